"""KFP203-206, KFP217: v1 file parameters (InputPath, OutputPath, text and binary files) in kfp 2 form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from migrate.model import Example, Fix, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import Component, KfpModule, Port, kfp_module
from rules.py_components import _convert

_REFS = ("../shared/docs/kfp-semantics.md §4.1, §4.2",)


class _FileParameterRule(PythonRule):
    """Reports the parameters whose primary code is this rule's and offers the shared rewrite."""

    references: ClassVar[tuple[str, ...]] = _REFS

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for component in module.components:
            fixes = file_parameter_fixes(module, component)
            for port, chosen in fixes.plans:
                if fixes.codes[port.name] != self.code:
                    continue
                fields = self.fields(module, component, port, chosen)
                fix = fixes.by_rule.get((self.code, chosen.safety))
                yield self.at(src, port.param.name, fix, severity=None, **fields)

    def fields(self, module: KfpModule, component: Component, port: Port, chosen: _convert.Plan) -> dict[str, Any]:
        note = f" ({chosen.reason})" if chosen.reason else ""
        return {"param": port.name, "io": "output" if port.is_output else "input", "v1": port.v1_name, "note": note}


@dataclass(frozen=True)
class FileParameterFixes:
    """A component's file parameters (each with its plan and the code of the rule reporting it) and the fixes
    that rewrite them: one per rule and safety level."""

    plans: list[tuple[Port, _convert.Plan]]
    codes: dict[str, str | None]  # parameter name -> rule code
    by_rule: dict[tuple[str, FixSafety], Fix | None]

    def fix_of(self, port: Port) -> Fix | None:
        """The fix that rewrites `port`; None where it takes a human."""
        code = self.codes.get(port.name)
        plan = next((chosen for p, chosen in self.plans if p is port), None)
        if code is None or plan is None:
            return None
        return self.by_rule.get((code, plan.safety))


def file_parameter_fixes(module: KfpModule, component: Component) -> FileParameterFixes:
    """The same `Fix` objects for every rule that asks (KFP202 requires them), made once per parse."""
    key = f"file_parameter_fixes {id(component)}"
    found = module.src.cache.get(key)
    if isinstance(found, FileParameterFixes):
        return found
    codes = {p.name: _convert.primary_code(module, component, p) for p in component.ports}
    plans = [(port, _convert.plan(module, component, port)) for port in component.ports if codes[port.name]]
    by_rule: dict[tuple[str, FixSafety], Fix | None] = {}
    for code, safety in sorted({(codes[p.name] or "", chosen.safety) for p, chosen in plans}):
        if safety is FixSafety.NONE:
            continue
        # One fix per rule and safety level rewrites all of its parameters of the component at once: their first
        # statements go in one block, so a wide component converges in one pass, not one per parameter.
        group = [(port, chosen) for port, chosen in plans if codes[port.name] == code and chosen.safety is safety]
        edits = _convert.edits(module, component, group)
        title = _title(*group[0]) if len(group) == 1 else _group_title(component)
        by_rule[(code, safety)] = Fix(title, safety, tuple(edits)) if edits else None
    made = module.src.cache[key] = FileParameterFixes(plans, codes, by_rule)
    return made


def _group_title(component: Component) -> str:
    return f"Rewrite the file parameters of `{component.name}` in kfp 2 form, binding the old names first"


def _title(port: Port, chosen: _convert.Plan) -> str:
    target = {
        "artifact": f"`{port.v1_name}: Input[{port.artifact_class}]`",
        "output-artifact": f"`{port.v1_name}: Output[{port.artifact_class}]`",
        "output-parameter": f"`{port.v1_name}: OutputPath(...)`",
        "value": f"the value parameter `{port.v1_name}`, written to a temporary file in the body",
        "importer": f"`{port.v1_name}: Input[{port.artifact_class}]`, fed by `dsl.importer` at the call sites",
    }[chosen.kind]
    return f"Make `{port.name}` {target}, binding `{port.name}` as the body's first statement"


class StrippedFileParameterName(_FileParameterRule):
    code = "KFP203"
    name = "stripped-file-parameter-name"
    summary = (
        "Checks for v1 file parameters whose component input or output name kfp 1 derived by stripping `_path`/`_file`."
    )
    message = "`{param}` is the {io} `{v1}` in kfp 1 but would be `{param}` in kfp 2{note}"
    fix_title = "Rename the parameter to `{v1}` and bind `{param}` in the body"
    rationale = (
        "kfp 1 dropped `_path` (for `InputPath`/`OutputPath`) and then `_file` from a file parameter's "
        "name: `data_path: InputPath('CSV')` is the input `data`, and callers write `train(data=...)`. "
        "kfp 2 keeps the name: the same function has the input `data_path`, every caller breaks and "
        "`task.outputs['model']` becomes a `KeyError`. The fix renames the parameter to kfp 1's name, "
        "types it `Input[T]`/`Output[T]` (or `OutputPath(T)` for parameter outputs), and makes the body's "
        "first statement `data_path = data.path`, so the interface and the body stay as they were."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Not offered when kfp 1 renamed the port to avoid a clash (`data_2`), when the new name would hide "
        "a global the body reads, or when callers pass constants (see KFP217)."
    )
    valid = (
        "from kfp import dsl\nfrom kfp.dsl import Dataset, Input\n\n"
        "@dsl.component\ndef train(data: Input[Dataset]):\n    data_path = data.path\n",
    )
    invalid = (
        Example(
            "from kfp.components import InputPath, create_component_from_func\n\n"
            "def train(data_path: InputPath('Dataset')):\n    print(open(data_path).read())\n\n"
            "train_op = create_component_from_func(train)\n",
            fixed="from kfp.components import InputPath, create_component_from_func\n"
            "from kfp.dsl import Dataset, Input\n\n"
            "def train(data: Input[Dataset]):\n    data_path = data.path\n    print(open(data_path).read())\n\n"
            "train_op = create_component_from_func(train)\n",
        ),
    )


class ParameterTypedInputFile(_FileParameterRule):
    code = "KFP204"
    name = "parameter-typed-input-file"
    summary = (
        "Checks for `InputPath`/`InputTextFile`/`InputBinaryFile` of a parameter type such as `str` or `'Integer'`."
    )
    message = "`{param}` reads a file, but its type makes it a parameter in kfp 2, which cannot run"
    fix_title = "Take `{v1}` by value and write it to a temporary file at the top of the body"
    rationale = (
        "kfp 1 wrote a value passed to a file input into a file and gave the function its path. In kfp 2 "
        "`InputPath(str)` compiles as a parameter input and then fails at run time with "
        "`ValueError: Failed to get input artifact path for artifact name ...` (probe P12a). The fix "
        "takes the value as a parameter and writes it to a temporary file the way kfp 1 serialized it, "
        "so the body still reads a file."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "If a caller connects an artifact (a file output) to this input, kfp 2 will reject the connection; "
        "that caller then needs the artifact form instead. Optional inputs (`= None`) are left to a human."
    )
    valid = ("from kfp import dsl\n\n@dsl.component\ndef show(text: str):\n    print(text)\n",)
    invalid = (
        Example(
            "from kfp.components import InputPath, create_component_from_func\n\n"
            "def show(text_path: InputPath(str)):\n    print(open(text_path).read())\n\n"
            "show_op = create_component_from_func(show)\n",
            fixed="from kfp.components import InputPath, create_component_from_func\n\n"
            "def show(text: str):\n    import tempfile\n"
            '    with tempfile.NamedTemporaryFile("w", delete=False) as _text_file:\n'
            "        _text_file.write(text)\n    text_path = _text_file.name\n    print(open(text_path).read())\n\n"
            "show_op = create_component_from_func(show)\n",
            unsafe=True,
        ),
    )


class TextOrBinaryFileParameter(_FileParameterRule):
    code = "KFP205"
    name = "text-or-binary-file-parameter"
    summary = "Checks for `InputTextFile`/`InputBinaryFile`/`OutputTextFile`/`OutputBinaryFile` parameters."
    message = "`{param}` uses a kfp 1 file-object marker, which kfp 2 does not have{note}"
    fix_title = "Type `{v1}` as an artifact and open its path at the top of the body"
    rationale = (
        "kfp 1 opened these files for the function (mode `rt`, `rb`, `wt`, `wb`). kfp 2 has no such "
        "markers: `from kfp.components import InputTextFile` is an `ImportError` (probe P10r). The fix "
        "types the parameter `Input[T]`/`Output[T]` (or `OutputPath(T)`) and opens the file in the same "
        "mode as the body's first statement, so the body still gets an open file."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = "Inputs fed with constants are KFP217's to decide; parameter-typed inputs are KFP204's."
    valid = (
        "from kfp import dsl\nfrom kfp.dsl import Artifact, Input\n\n"
        "@dsl.component\ndef show(notes: Input[Artifact]):\n    print(open(notes.path).read())\n",
    )
    invalid = (
        Example(
            "from kfp.components import InputTextFile, func_to_container_op\n\n"
            "@func_to_container_op\ndef show(notes_file: InputTextFile('Markdown')):\n    print(notes_file.read())\n",
            fixed="from kfp.components import InputTextFile, func_to_container_op\nfrom kfp.dsl import Input, Markdown\n\n"
            '@func_to_container_op\ndef show(notes: Input[Markdown]):\n    notes_file = open(notes.path, "rt")\n'
            "    print(notes_file.read())\n",
        ),
    )


class V1FileParameter(_FileParameterRule):
    code = "KFP206"
    name = "v1-file-parameter"
    summary = "Checks for `InputPath`/`OutputPath`/`InputArtifact`/`OutputArtifact` from `kfp.components`."
    message = "`{param}` is annotated with a kfp 1 marker from `kfp.components`, gone in kfp 2{note}"
    fix_title = "Annotate `{param}` with `Input[T]`/`Output[T]`"
    rationale = (
        "`kfp.components.InputPath` and its siblings do not exist in kfp 2 (`ImportError`, probe P10q). "
        "The v2 form of a file input is an artifact, `Input[T]`, whose `.path` is the file; outputs are "
        "`Output[T]`, or `OutputPath(T)` for parameter outputs. Unknown v1 type names (`CSV`) become "
        "`Artifact`, as kfp 2 itself would treat them."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = "Inputs fed with constants are KFP217's to decide."
    valid = (
        "from kfp import dsl\nfrom kfp.dsl import Model, Output\n\n"
        "@dsl.component\ndef train(model: Output[Model]):\n    open(model.path, 'w').write('m')\n",
    )
    invalid = (
        Example(
            "import kfp.components as comp\n\n"
            "def train(model: comp.OutputPath('Model')):\n    open(model, 'w').write('m')\n\n"
            "train_op = comp.create_component_from_func(train)\n",
            fixed="import kfp.components as comp\nfrom kfp.dsl import Model, Output\n\n"
            "def train(model: Output[Model]):\n    model = model.path\n    open(model, 'w').write('m')\n\n"
            "train_op = comp.create_component_from_func(train)\n",
        ),
    )


class FileInputFedValues(_FileParameterRule):
    code = "KFP217"
    name = "file-input-fed-values"
    summary = "Checks for file inputs that callers in the module feed with constants, URIs or pipeline parameters."
    message = "Callers pass {fed} to the file input `{v1}`; kfp 2 accepts only artifacts there{note}"
    fix_title = "Take `{v1}` by value and write it to a temporary file"
    rationale = (
        "kfp 1 wrote a constant or pipeline parameter passed to a file input into a file. kfp 2 requires "
        "an artifact and rejects the call (probe Y1A). Where every caller passes values, the fix takes the "
        "value as a parameter and writes it to a temporary file in the body, which keeps the function's "
        "meaning. Where every caller passes a URI constant, the fix feeds the input from `dsl.importer`. "
        "Anything mixed is left to a human."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "The value form stops accepting artifacts from other tasks. The importer form gives the function "
        "the object at the URI, where kfp 1 gave it a file holding the URI's text: choose it only when the "
        "component expects the data."
    )
    valid = (
        "from kfp import dsl\n\n@dsl.component\ndef show(text: str):\n    print(text)\n\n"
        "@dsl.pipeline\ndef p():\n    show(text='hi')\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\nfrom kfp.components import InputPath, create_component_from_func\n\n"
            "def show(data_path: InputPath()):\n    print(open(data_path).read())\n\n"
            "show_op = create_component_from_func(show)\n\n"
            "@dsl.pipeline\ndef p(msg: str):\n    show_op(data=msg)\n",
            fixed="from kfp import dsl\nfrom kfp.components import InputPath, create_component_from_func\n\n"
            "def show(data: str):\n    import tempfile\n"
            '    with tempfile.NamedTemporaryFile("w", delete=False) as _data_file:\n'
            "        _data_file.write(data)\n    data_path = _data_file.name\n    print(open(data_path).read())\n\n"
            "show_op = create_component_from_func(show)\n\n"
            "@dsl.pipeline\ndef p(msg: str):\n    show_op(data=msg)\n",
            unsafe=True,
        ),
    )

    def fields(self, module: KfpModule, component: Component, port: Port, chosen: _convert.Plan) -> dict[str, Any]:
        args = _convert.feeds(module, component, port)
        kinds = sorted({a.kind.value for a in args})
        elsewhere = sorted({a.caller for a in args if not a.local})
        if elsewhere:
            kinds[-1] += f" (also in {', '.join(elsewhere[:3])}{', ...' if len(elsewhere) > 3 else ''})"
        return {**super().fields(module, component, port, chosen), "fed": " and ".join(kinds)}
