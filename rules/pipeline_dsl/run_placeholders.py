"""KFP312: kfp 1 run placeholders (`dsl.RUN_ID_PLACEHOLDER`, Argo `{{workflow.uid}}`) in kfp 2 form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import kfp_module, literal_value
from rules.pipeline_dsl.removed import references, rename, rename_binding
from rules.py_components._edits import Imports

# kfp 1 constants (SOURCE K1 `dsl/__init__.py`) and the kfp 2 constant nearest in meaning.
_CONSTANTS = {
    "RUN_ID_PLACEHOLDER": "PIPELINE_JOB_ID_PLACEHOLDER",  # '{{workflow.uid}}'
    "EXECUTION_ID_PLACEHOLDER": "PIPELINE_TASK_ID_PLACEHOLDER",  # '{{workflow.uid}}-{{pod.name}}'
}
_V1_NAMES = frozenset(f"kfp.dsl.{name}" for name in _CONSTANTS)
# Argo variables kfp 1 passed through, longest first, with kfp 2's placeholder constant and its value.
_ARGO = (
    ("{{workflow.uid}}-{{pod.name}}", "PIPELINE_TASK_ID_PLACEHOLDER", "{{$.pipeline_task_uuid}}"),
    ("{{workflow.uid}}", "PIPELINE_JOB_ID_PLACEHOLDER", "{{$.pipeline_job_uuid}}"),
    ("{{workflow.name}}", "PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER", "{{$.pipeline_job_resource_name}}"),
    (
        "{{workflow.creationTimestamp}}",
        "PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER",
        "{{$.pipeline_job_create_time_utc}}",
    ),
    ("{{pod.name}}", "PIPELINE_TASK_ID_PLACEHOLDER", "{{$.pipeline_task_uuid}}"),
)
_ANY_ARGO = re.compile(r"\{\{(?:workflow\.[^}]*|pod\.name)\}\}")


class RunPlaceholders(PythonRule):
    code = "KFP312"
    name = "v1-run-placeholder"
    summary = (
        "Checks for `dsl.RUN_ID_PLACEHOLDER`, `dsl.EXECUTION_ID_PLACEHOLDER` and Argo variables "
        "(`{{workflow.uid}}`, `{{pod.name}}`) in strings."
    )
    message = "{problem}"
    fix_title = "Use kfp 2's `{placeholder}` (its value differs)"
    rationale = (
        "kfp 1 ran on Argo and its placeholders were Argo variables: `dsl.RUN_ID_PLACEHOLDER` is "
        "`'{{workflow.uid}}'`, `dsl.EXECUTION_ID_PLACEHOLDER` `'{{workflow.uid}}-{{pod.name}}'` (SOURCE K1 "
        "`dsl/__init__.py`). kfp 2 has neither constant (`AttributeError: module 'kfp.dsl' has no attribute "
        "'RUN_ID_PLACEHOLDER'`), and a literal `{{workflow.uid}}` passed to a task is compiled into the "
        "pipeline spec as a plain constant (verified): it is no kfp 2 placeholder. kfp 2's own placeholders "
        "are `dsl.PIPELINE_JOB_ID_PLACEHOLDER` (`{{$.pipeline_job_uuid}}`, the run's UUID), "
        "`PIPELINE_TASK_ID_PLACEHOLDER` (`{{$.pipeline_task_uuid}}`, the task's execution ID), "
        "`PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER` (the engine's run name, e.g. the Argo workflow name) and "
        "`PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER`; they work in task arguments, also inside longer "
        "strings (verified). Their values are not the Argo ones, so the fix needs `--unsafe-fixes`; other "
        "Argo variables (`{{workflow.namespace}}`, `{{workflow.parameters.x}}`) have no equivalent."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "The values differ from kfp 1's (a kfp 2 run or task ID instead of the Argo workflow UID or pod "
        "name): anything that parses them, or matches them against Kubernetes objects, must be checked."
    )
    valid = (
        "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train(run=dsl.PIPELINE_JOB_ID_PLACEHOLDER)\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train(run=dsl.RUN_ID_PLACEHOLDER)\n",
            fixed="from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    train(run=dsl.PIPELINE_JOB_ID_PLACEHOLDER)\n",
            unsafe=True,
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        for binding in module.imports:
            if binding.qualified in _V1_NAMES:
                old = binding.qualified.rpartition(".")[2]
                edits = rename_binding(src, module, binding, _CONSTANTS[old])
                fix = self.fix(*edits, placeholder=_CONSTANTS[old]) if edits else None
                problem = f"`{old}` is gone in kfp 2 (`ImportError`); the nearest is `{_CONSTANTS[old]}`"
                yield self.at(src, binding.alias, fix, problem=problem, placeholder=_CONSTANTS[old])
        for node, qualified in references(module, _V1_NAMES):
            old = qualified.rpartition(".")[2]
            edits = rename(src, module, node, _CONSTANTS[old])
            fix = self.fix(*edits, placeholder=_CONSTANTS[old]) if edits else None
            problem = f"`{old}` is gone in kfp 2; the nearest is `dsl.{_CONSTANTS[old]}`"
            if _in_parameter_default(src, node):
                fix = None
                problem += (
                    ", which kfp 2 documents for task arguments, not parameter defaults: pass it to the task "
                    "that needs it"
                )
            yield self.at(src, node, fix, problem=problem, placeholder=_CONSTANTS[old])
        # A literal is a run of the text: without `{{` or an escape in the text, no literal can have an Argo
        # variable (`_Strings` looks no further either), and most modules need no look at their strings.
        if "{{" not in src.text and "\\" not in src.text:
            return
        finder = _Strings(src)
        src.walk(src.module, finder)
        for string in finder.found:
            yield self._literal(src, string)

    def _literal(self, src: PythonSource, string: cst.SimpleString) -> Located:
        value = literal_value(string)
        assert isinstance(value, str)
        text = src.text[slice(*src.span(string))]
        mapped = [(argo, constant, v2) for argo, constant, v2 in _ARGO if argo in value]
        rest = value
        for argo, _, _ in mapped:
            rest = rest.replace(argo, "")
        unmapped = sorted(set(_ANY_ARGO.findall(rest)))
        names = ", ".join(f"`{argo}`" for argo, _, _ in mapped) or ", ".join(f"`{u}`" for u in unmapped)
        nearest = ", ".join(dict.fromkeys(f"`dsl.{constant}`" for _, constant, _ in mapped))
        if unmapped:
            problem = f"kfp 2 does not substitute the Argo variable(s) {', '.join(f'`{u}`' for u in unmapped)}"
            if mapped:
                problem += f" nor {names}"
            return self.at(src, string, None, severity=Severity.CHANGE, problem=problem, placeholder="")
        problem = f"kfp 2 passes {names} through as plain text; the nearest kfp 2 placeholder is {nearest}"
        single = [argo for argo, _, _ in _ARGO if value == argo]
        if single and not isinstance(src.parents.get(string), cst.ConcatenatedString):
            constant = next(c for a, c, _ in _ARGO if a == single[0])
            imports = Imports(kfp_module(src))
            spelled = imports.ref(f"kfp.dsl.{constant}", through_module=True)
            edits = [Edit(*src.span(string), spelled), *imports.edits()]
        else:
            new = text
            for argo, _, v2 in mapped:
                new = new.replace(argo, v2)
            edits = [Edit(*src.span(string), new)]
        fix = self.fix(*edits, placeholder=nearest.replace("`", ""))
        return self.at(src, string, fix, severity=Severity.CHANGE, problem=problem, placeholder=nearest)


class _Strings(cst.CSTVisitor):
    """Plain string literals with an Argo variable; not docstrings, f-strings or `'...'.format()` templates
    (where `{{` is an escaped brace)."""

    def __init__(self, src: PythonSource) -> None:
        self.src = src
        self.found: list[cst.SimpleString] = []

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "{{" not in node.value and "\\" not in node.value:
            return  # without an escape, the value has a `{{` only if the literal does
        value = literal_value(node)
        if not isinstance(value, str) or not _ANY_ARGO.search(value):
            return
        parent = self.src.parents.get(node)
        while isinstance(parent, cst.ConcatenatedString):
            parent = self.src.parents.get(parent)
        if isinstance(parent, cst.Expr):
            return  # a docstring or bare string statement
        if isinstance(parent, cst.Attribute) and parent.attr.value == "format":
            return
        self.found.append(node)


def _in_parameter_default(src: PythonSource, node: cst.CSTNode) -> bool:
    """Whether `node` is inside the default value of a function parameter (a pipeline parameter)."""
    child, parent = node, src.parents.get(node)
    while parent is not None and not isinstance(parent, cst.FunctionDef | cst.Module):
        if isinstance(parent, cst.Param) and parent.default is child:
            return True
        child, parent = parent, src.parents.get(parent)
    return False
