"""KFP322: `dsl.PipelineParam`, kfp 1's pipeline parameter object, as an annotation, a default or a value."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from migrate.callers import LITERAL_TYPES
from migrate.model import Edit, Example, Fix, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from migrate.python_tree import descendants
from rules._python import (
    NOT_LITERAL,
    PIPELINE_PARAM,
    PYTHON_PARAMETER_TYPES,
    KfpModule,
    all_params,
    implied_type,
    is_pipeline_param,
    kfp_module,
    literal_value,
)
from rules.pipeline_dsl._wiring import Nature, wiring
from rules.pipeline_dsl.removed import pipeline_functions, references, remove_alias
from rules.pipeline_dsl.wiring import converted_constant

_IR_TYPES = {python: ir for ir, python in PYTHON_PARAMETER_TYPES.items()}
# kfp 1 `PipelineParam(name, op_name=None, value=None, param_type=None, pattern=None)` (SOURCE K1).
_VALUE_POSITION = 2


class PipelineParamObject(PythonRule):
    code = "KFP322"
    name = "pipeline-param-object"
    summary = "Checks for `dsl.PipelineParam`, kfp 1's pipeline parameter class, which kfp 2 does not have."
    message = "{problem}"
    fix_title = "{title}"
    rationale = (
        "kfp 1 documented pipelines as `def my_pipeline(a: PipelineParam, b: PipelineParam)` (SOURCE K1 "
        "`dsl/_pipeline.py`), and older code gave defaults as `PipelineParam(name='b', value=3)`. kfp 2 has no "
        "such class: `dsl.PipelineParam` raises `AttributeError: module 'kfp.dsl' has no attribute "
        "'PipelineParam'` and `from kfp.dsl import PipelineParam` an `ImportError`, so the module no longer "
        "imports. kfp 1 compiled `a: PipelineParam` as an input of type `PipelineParam`, which only untyped "
        "component inputs accepted, and passed its value as a string; an annotation that is a `PipelineParam(...)` "
        "object left the input untyped. kfp 2 pipeline parameters need a parameter type, and kfp 2 checks it "
        "against the inputs the parameter is passed to (KFP318), so the fix annotates the type those inputs take "
        "when they agree, else the type the default implies, else `str` (what the tasks got in kfp 1). For a "
        "`PipelineParam(...)` default kfp 1 warned (`Explicit creation of kfp.dsl.PipelineParams by the users is deprecated`) and "
        "compiled the input with no default at all; the fix writes `b: int = 3` as that warning advised."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when the default is a `PipelineParam(..., value=...)` (kfp 1 compiled no default; the fix adds "
        "one), when the type comes from the inputs the parameter feeds (runs must then pass that type), and "
        "when the default is an expression whose type is a guess (`str`). No fix when those inputs disagree. "
        "Other uses (`isinstance` checks, objects built for `ContainerOp` arguments) and a default without a literal `value` have no fix; the import goes "
        "once nothing uses it."
    )
    valid = ("from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p(stage: str, rate: float = 0.1):\n    pass\n",)
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p(stage: dsl.PipelineParam):\n    pass\n",
            fixed="from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p(stage: str):\n    pass\n",
        ),
        Example(
            "from kfp import dsl\nfrom kfp.dsl import PipelineParam\n\n@dsl.pipeline(name='p')\n"
            "def p(rate: PipelineParam = PipelineParam(name='rate', value=0.1)):\n    pass\n",
            fixed="from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p(rate: float = 0.1):\n    pass\n",
            unsafe=True,
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        bindings = [b for b in module.imports if b.qualified in PIPELINE_PARAM]
        uses = references(module, PIPELINE_PARAM)
        if not uses and not bindings:
            return
        handled: set[cst.CSTNode] = set()
        for func in _pipelines(module):
            for param in all_params(func):
                found = self._parameter(src, module, func, param)
                if found is not None:
                    handled.update(descendants(param))
                    yield found
        for node, _ in uses:
            if node not in handled:
                problem = (
                    f"`{src.code(node)}` is gone in kfp 2 (`AttributeError`); no fix: kfp 2 makes a pipeline's "
                    "parameters from its typed arguments and has no public class for them"
                )
                yield self.at(src, node, None, problem=problem, title="")
        for binding in bindings:
            remaining = sum(1 for node, _ in uses if isinstance(node, cst.Name) and node.value == binding.local)
            problem = "`PipelineParam` is gone in kfp 2 (`ImportError`)"
            if remaining:
                problem += f"; the import goes once its {remaining} use(s) here are migrated"
            edit = None if remaining else remove_alias(src, binding.statement, binding.alias)
            fix = self.fix(edit, title="Remove the import") if edit is not None else None
            yield self.at(src, binding.alias, fix, problem=problem, title="")

    def _parameter(
        self, src: PythonSource, module: KfpModule, func: cst.FunctionDef, param: cst.Param
    ) -> Located | None:
        """The finding for a pipeline parameter annotated with, or defaulting to, a `PipelineParam`; its type is
        checked against the component inputs `func` passes it to (`_consumers`), which kfp 2 makes it match."""
        annotation = param.annotation.annotation if param.annotation is not None else None
        typed_by_it = annotation is not None and is_pipeline_param(module, annotation)
        default = param.default
        default_object = isinstance(default, cst.Call) and is_pipeline_param(module, default)
        if not typed_by_it and not default_object:
            return None
        name = param.name.value
        consumers = _consumers(src, func, name)  # only now: the wiring of most pipelines is never needed here
        wanted = {PYTHON_PARAMETER_TYPES.get(kind) for kind in consumers}
        note = (
            f" (it feeds inputs of types {', '.join(sorted(consumers))})" if len(wanted) > 1 or None in wanted else ""
        )
        needed = wanted.pop() if len(wanted) == 1 and not note else None
        if not default_object:
            assert annotation is not None
            chosen, guessed = implied_type(param)
            safety = FixSafety.UNSAFE if guessed else FixSafety.SAFE
            if needed is not None and needed != chosen:
                # kfp 2 checks the types a task gets; a default of another type stays for KFP318 to report
                chosen, safety = (needed, FixSafety.UNSAFE) if param.default is None else (chosen, safety)
            title = f"Annotate `{name}: {chosen}`"
            fix = None if note else self.fix(Edit(*src.span(annotation), chosen), safety=safety, title=title)
            problem = (
                f"`{name}: {src.code(annotation)}` is kfp 1's untyped pipeline parameter; `PipelineParam` is gone "
                f"in kfp 2 (`AttributeError`){note}"
            )
            return self.at(src, annotation, fix, problem=problem, title="")
        assert isinstance(default, cst.Call)
        problem = (
            f"`{name}` defaults to a `PipelineParam`, gone in kfp 2 (`AttributeError`); kfp 1 compiled the "
            f"parameter with no default{note}"
        )
        fix = None if note else self._default_fix(src, param, default, typed_by_it, needed)
        return self.at(src, default, fix, problem=problem, title="")

    def _default_fix(
        self, src: PythonSource, param: cst.Param, default: cst.Call, typed_by_it: bool, needed: str | None
    ) -> Fix | None:
        """`b: T = V` from `b[: PipelineParam] = PipelineParam(..., value=V)` with a literal `V`; `needed`: the
        type the inputs it feeds take, `V` converted to it where kfp 2 reads the same value."""
        value = _value_arg(default)
        literal = literal_value(value) if value is not None else NOT_LITERAL
        if value is None or literal is NOT_LITERAL or literal is None or isinstance(value, cst.FormattedString):
            return None
        chosen, written = LITERAL_TYPES.get(type(literal), "str"), src.code(value)
        if needed is not None and needed != chosen:
            converted = converted_constant(literal, _IR_TYPES[needed])
            if converted is not None:
                chosen, written = needed, converted[0]
        name = param.name.value
        edits = [Edit(*src.span(default), written)]
        if param.annotation is None:
            name_end, default_start = src.span(param.name)[1], src.span(default)[0]
            if src.text[name_end:default_start].strip() == "=":  # `b=V` becomes `b: T = V`, as formatters write it
                edits.append(Edit(name_end, default_start, f": {chosen} = "))
            else:
                edits.append(Edit(name_end, name_end, f": {chosen}"))
        elif typed_by_it:
            edits.append(Edit(*src.span(param.annotation.annotation), chosen))
        else:
            chosen = src.code(param.annotation.annotation)
        return self.fix(*edits, safety=FixSafety.UNSAFE, title=f"Use `{name}: {chosen} = {written}`")


def _consumers(src: PythonSource, func: cst.FunctionDef, name: str) -> set[str]:
    """The parameter types (`Float`, ...) of the component inputs `func` passes its parameter `name` to."""
    found = set()
    for task in wiring(src).calls:
        if task.function is not func:
            continue
        for item in task.args:
            slot, feed = item.slot, item.feed
            # An artifact input (or a v1 untyped one, which KFP201 types) is other rules' business.
            if slot is not None and slot.nature is Nature.PARAMETER and feed.kind == "parameter" and feed.text == name:
                found.add(slot.type)
    return found


def _pipelines(module: KfpModule) -> list[cst.FunctionDef]:
    """`@dsl.pipeline` functions and module-level functions handed to the compiler, each once."""
    found = {id(func): func for func in module.pipelines}
    for name in pipeline_functions(module):
        func = module.functions.get(name)
        if func is not None:
            found.setdefault(id(func), func)
    return list(found.values())


def _value_arg(call: cst.Call) -> cst.BaseExpression | None:
    positional = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in call.args):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "value":
            return arg.value
    return positional[_VALUE_POSITION].value if len(positional) > _VALUE_POSITION else None
