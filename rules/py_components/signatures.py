"""KFP201, KFP207-213: signatures of function components and pipelines that kfp 2 rejects or reads differently."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from migrate.callers import LITERAL_TYPES
from migrate.model import Edit, Example, Fix, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from migrate.python_tree import descendants
from rules._python import (
    NOT_LITERAL,
    PYTHON_PARAMETER_TYPES,
    Component,
    KfpModule,
    Role,
    implied_type,
    is_pipeline_param,
    kfp_module,
    literal_value,
    ports_of,
)
from rules._yaml import PARAMETER_TYPES, is_stringish
from rules.py_components._edits import Imports, code, replace

# String annotations kfp 2 reads as parameters (SOURCE K2 `component_factory.extract_component_interface`).
_V2_STRING_TYPES = frozenset({"String", "Integer", "Float", "Boolean", "Dict", "List"})
_ACCEPTED_TYPING = frozenset({"typing.Dict", "typing.List", "typing.Optional", "typing.NamedTuple"})


def _functions(module: KfpModule) -> Iterator[tuple[cst.FunctionDef, str]]:
    for component in module.components:
        yield component.func, "component"
    for pipeline in module.pipelines:
        yield pipeline, "pipeline"


def _params(func: cst.FunctionDef) -> list[cst.Param]:
    return [*func.params.posonly_params, *func.params.params, *func.params.kwonly_params]


class UntypedParameter(PythonRule):
    code = "KFP201"
    name = "untyped-component-parameter"
    summary = "Checks for component and pipeline parameters without a type annotation."
    message = "{kind} parameter `{param}` has no annotation; kfp 2 requires one{note}"
    fix_title = "Annotate `{param}: {type}`"
    rationale = (
        "kfp 2 decides parameter or artifact from the annotation alone and raises "
        "`TypeError: Missing type annotation for argument: x` without one (probe P10a); pipelines need "
        "typed parameters too. kfp 1 passed untyped values as strings (SOURCE K1 `_python_op`, untyped "
        "deserializer `str`), and its default, when not overridden, as the Python object. The fix "
        "annotates the type the default implies, else `str`."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when the default is not a literal (its type is then a guess, `str`), and when callers in the "
        "module pass another type: the parameter then takes the callers' type, and the body gets that type "
        "where kfp 1 gave it a string. No fix when callers disagree."
    )
    valid = ("from kfp import dsl\n\n@dsl.component\ndef f(n: int = 3):\n    print(n)\n",)
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.component\ndef f(name, n=3):\n    print(name, n)\n",
            fixed="from kfp import dsl\n\n@dsl.component\ndef f(name: str, n: int = 3):\n    print(name, n)\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for func, kind in _functions(module):
            component = next((c for c in module.components if c.func is func), None)
            for param in _params(func):
                if param.annotation is not None or is_pipeline_param(module, param.default):
                    continue  # a `PipelineParam(...)` default is KFP322's
                chosen, guessed = implied_type(param)
                note, safety = "", FixSafety.UNSAFE if guessed else FixSafety.SAFE
                fed = _caller_types(module, component, param.name.value) if component else set()
                if fed - {chosen}:
                    # kfp 2 checks argument types: `str` would break the callers (KFP318).
                    note = f" (callers pass {', '.join(sorted(fed))})"
                    chosen, safety = (fed.pop(), FixSafety.UNSAFE) if len(fed) == 1 else (chosen, FixSafety.NONE)
                name_end = src.span(param.name)[1]
                if param.default is not None:
                    edit = Edit(name_end, src.span(param.default)[0], f": {chosen} = ")
                else:
                    edit = Edit(name_end, name_end, f": {chosen}")
                fix = (
                    None
                    if safety is FixSafety.NONE
                    else self.fix(edit, safety=safety, param=param.name.value, type=chosen)
                )
                yield self.at(src, param.name, fix, kind=kind.capitalize(), param=param.name.value, note=note)


def _caller_types(module: KfpModule, component: Component, name: str) -> set[str]:
    """The types callers pass to input `name`: constants' and pipeline parameters', in any scanned file."""
    return {a.value_type for a in module.call_args(component) if a.input_name == name and a.value_type}


class FutureAnnotations(PythonRule):
    code = "KFP207"
    name = "future-annotations-in-component-module"
    summary = "Checks for `from __future__ import annotations` in modules that define components or pipelines."
    message = "`from __future__ import annotations` makes every kfp 2 component in this module fail"
    fix_title = "Remove the import"
    rationale = (
        "With postponed evaluation every annotation is a string, and kfp 2 reads `'int'` as an artifact "
        "type name: ``TypeError: Artifacts must have both a schema_title and a schema_version, separated by "
        "`@`. Got: int`` (probe P11a). Removing the import evaluates annotations again."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when an annotation uses `X | Y` or a class defined later in the module: those need the "
        "import (or quotes) on older Pythons."
    )
    valid = ("from kfp import dsl\n\n@dsl.component\ndef f(n: int):\n    print(n)\n",)
    invalid = (
        Example(
            "from __future__ import annotations\nfrom kfp import dsl\n\n@dsl.component\ndef f(n: int):\n    print(n)\n",
            fixed="from kfp import dsl\n\n@dsl.component\ndef f(n: int):\n    print(n)\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        statement = module.future_annotations
        if statement is None or not (module.components or module.pipelines):
            return
        line = src.parents.get(statement)
        fix = None
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and len(statement.names) == 1:  # type: ignore[arg-type]
            start, end = src.span(line)
            safety = FixSafety.UNSAFE if _needs_postponed(module) else FixSafety.SAFE
            fix = self.fix(Edit(src.line_start(start), src.next_line_start(end), ""), safety=safety)
        yield self.at(src, statement, fix)


def _needs_postponed(module: KfpModule) -> bool:
    finder = _AnnotationNeeds(module)
    module.src.walk(module.src.module, finder)
    return finder.needed


class _AnnotationNeeds(cst.CSTVisitor):
    """Annotations that only work postponed: `X | Y`, or a class defined further down."""

    def __init__(self, module: KfpModule) -> None:
        self.module = module
        # Document order from the node index (pre-order numbers), not offsets: no code generation.
        self.order = module.src.tree.number
        self.classes = {s.name.value: self.order[id(s)] for s in module.src.module.body if isinstance(s, cst.ClassDef)}
        self.needed = False

    def visit_Annotation(self, node: cst.Annotation) -> None:
        start = self.order[id(node)]
        for sub in descendants(node.annotation):
            if isinstance(sub, cst.BinaryOperation):
                self.needed = True
            if isinstance(sub, cst.Name) and self.classes.get(sub.value, -1) > start:
                self.needed = True


class UnsupportedAnnotation(PythonRule):
    code = "KFP208"
    name = "unsupported-parameter-annotation"
    summary = (
        "Checks for component parameter annotations kfp 2 cannot read: v1 type names, `Any`, `Union`, custom classes."
    )
    message = "kfp 2 cannot read the annotation `{annotation}` of `{param}`{note}"
    fix_title = "Annotate `{param}: {type}`"
    rationale = (
        "kfp 2 maps only `str`, `int`, `float`, `bool`, `dict`, `list` (and `typing` forms), artifact "
        "classes and `'String'`/`'Integer'`/`'Float'`/`'Boolean'`/`'Dict'`/`'List'` to types; anything "
        "else is read as an artifact type name and fails: ``TypeError: Artifacts must have both a "
        "schema_title and a schema_version, separated by `@`. Got: GCSPath`` (probes P10i-l). kfp 1 "
        "passed v1 type names such as `'GCSPath'`, `'Integer'`, `'JsonObject'` by value, so they have an "
        "exact Python type."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = "Only v1 type names are fixed; `Any`, `Union` and custom classes need a human's choice."
    valid = ("from kfp import dsl\n\n@dsl.component\ndef f(bucket: str):\n    print(bucket)\n",)
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.component\ndef f(bucket: 'GCSPath'):\n    print(bucket)\n",
            fixed="from kfp import dsl\n\n@dsl.component\ndef f(bucket: str):\n    print(bucket)\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for func, _ in _functions(module):
            for param in _params(func):
                if param.annotation is None or _accepted(module, param.annotation.annotation):
                    continue
                if is_pipeline_param(module, param.annotation.annotation):
                    continue  # KFP322's
                if any(p.param is param and p.role is not Role.VALUE for _, p in ports_of(module.components)):
                    continue
                annotation = param.annotation.annotation
                chosen = _python_type_for(module, annotation)
                fix = (
                    self.fix(replace(src, annotation, chosen), param=param.name.value, type=chosen) if chosen else None
                )
                note = "" if chosen else " (choose a parameter type or an artifact class)"
                yield self.at(src, annotation, fix, annotation=src.code(annotation), param=param.name.value, note=note)
        for component in module.components:
            for name, annotation in _return_types(component.func):
                if _accepted(module, annotation):
                    continue
                chosen = _python_type_for(module, annotation)
                fix = self.fix(replace(src, annotation, chosen), param=name, type=chosen) if chosen else None
                note = _VISUALIZATION_NOTE if name in _VISUALIZATIONS else ""
                note = note or ("" if chosen else " (choose a parameter type or an artifact class)")
                yield self.at(src, annotation, fix, annotation=src.code(annotation), param=name, note=note)


# kfp 1 rendered these outputs in the UI; kfp 2 shows Markdown, HTML and Metrics artifacts instead.
_VISUALIZATIONS = frozenset({"mlpipeline_ui_metadata", "mlpipeline_metrics"})
_VISUALIZATION_NOTE = (
    " (a kfp 1 UI output: write an `Output[Markdown]`, `Output[HTML]` or `Output[Metrics]` artifact instead)"
)


def _return_types(func: cst.FunctionDef) -> Iterator[tuple[str, cst.BaseExpression]]:
    """(output name, type) of a single return or of each `NamedTuple('X', [(name, type), ...])` field."""
    if func.returns is None:
        return
    annotation = func.returns.annotation
    if isinstance(annotation, cst.Call) and annotation.args and all(a.keyword for a in annotation.args[1:]):
        # `NamedTuple('Outputs', a=int, b=str)`: the keyword form kfp 2 reads too
        for arg in annotation.args[1:]:
            if arg.keyword is not None:
                yield arg.keyword.value, arg.value
        return
    if isinstance(annotation, cst.Call) and len(annotation.args) == 2:
        fields = annotation.args[1].value
        if isinstance(fields, cst.List | cst.Tuple):
            for element in fields.elements:
                pair = element.value
                if isinstance(pair, cst.Tuple) and len(pair.elements) == 2:
                    name = literal_value(pair.elements[0].value)
                    if isinstance(name, str):
                        yield name, pair.elements[1].value
        return
    if not isinstance(annotation, cst.Dict | cst.Subscript) and not (
        isinstance(annotation, cst.Name) and annotation.value == "None"
    ):
        yield "Output", annotation


def _accepted(module: KfpModule, annotation: cst.BaseExpression) -> bool:
    if isinstance(annotation, cst.Name) and annotation.value in LITERAL_TYPES.values():
        return annotation.value not in module.bindings and annotation.value not in module.defined_names
    if isinstance(annotation, cst.Subscript):
        return _accepted(module, annotation.value)
    qualified = module.qualified(annotation)
    if qualified is not None:
        return qualified.startswith("kfp.") or qualified in _ACCEPTED_TYPING
    value = literal_value(annotation)
    if isinstance(value, str):
        return value in _V2_STRING_TYPES or (value.startswith("system.") and "@" in value)
    return False


def _python_type_for(module: KfpModule, annotation: cst.BaseExpression) -> str | None:
    """The Python type kfp 1 delivered for a v1 type name, or None when only a human can tell."""
    value = literal_value(annotation)
    if not isinstance(value, str):
        if isinstance(annotation, cst.Call):  # kfp 1 type objects such as `GCSPath()`
            name = (module.qualified(annotation.func) or "").rpartition(".")[2]
            return "str" if name and is_stringish(name) else None
        return None
    parameter = PARAMETER_TYPES.get(value.lower())
    if parameter:
        return PYTHON_PARAMETER_TYPES[parameter]
    return "str" if is_stringish(value) else None


class ArtifactDefault(PythonRule):
    code = "KFP209"
    name = "file-parameter-default"
    summary = (
        "Checks for non-`None` defaults on `OutputPath`, `Output[T]` and `InputPath` parameters of kfp 2 components."
    )
    message = "kfp 2 ignores the default of `{param}`; kfp 1 rejected it"
    fix_title = "Use `= None`"
    rationale = (
        "kfp 1 raised `ValueError: Path inputs only support default values of None. Default values for "
        "outputs are not supported.` (probes P40d/e). kfp 2 accepts such a default and silently drops it "
        "(probes P10g, P10w), so the code suggests a behaviour that does not exist."
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.SAFE
    valid = (
        "from kfp import dsl\nfrom kfp.dsl import Model, Output\n\n@dsl.component\ndef f(m: Output[Model]):\n    pass\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\nfrom kfp.dsl import OutputPath\n\n@dsl.component\ndef f(m: OutputPath(str) = 'x'):\n    pass\n",
            fixed="from kfp import dsl\nfrom kfp.dsl import OutputPath\n\n@dsl.component\ndef f(m: OutputPath(str) = None):\n    pass\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for _, port in ports_of(module.components):
            default = port.param.default
            if default is None or port.v1_marker or literal_value(default) is None:
                continue
            if port.role in (Role.OUTPUT_FILE, Role.OUTPUT_ARTIFACT, Role.INPUT_FILE):
                yield self.at(src, default, self.fix(replace(src, default, "None")), param=port.name)


class InputArtifactDefault(PythonRule):
    code = "KFP210"
    name = "input-artifact-default"
    summary = "Checks for `Input[T]` parameters with a default other than `None`."
    message = "`{param}` is an input artifact with a default; kfp 2 allows only `None`"
    rationale = (
        "kfp 2 raises `ValueError: Optional Input artifacts may only have default value None. Got: gs://x.` "
        "(probe P10f). An artifact default would be an importer: `dsl.importer(artifact_uri=...)` at the "
        "call site."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Moving the default into the pipeline as an importer is a design decision."
    valid = (
        "from kfp import dsl\nfrom kfp.dsl import Dataset, Input\n\n@dsl.component\ndef f(d: Input[Dataset] = None):\n    pass\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\nfrom kfp.dsl import Dataset, Input\n\n@dsl.component\ndef f(d: Input[Dataset] = 'gs://b/d'):\n    pass\n"
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for _, port in ports_of(module.components):
            default = port.param.default
            if port.role is Role.INPUT_ARTIFACT and default is not None and literal_value(default) is not None:
                yield self.at(src, default, None, param=port.name)


def _rejected_default(annotation: str, value: object) -> bool:
    """Defaults kfp 2 fails on when a pipeline is built (checked against kfp 2.17: `dict = []`, `int = 1.5`,
    `bool = 0` are accepted as they are)."""
    if annotation == "str":
        return not isinstance(value, str)
    return annotation in ("int", "float", "bool") and isinstance(value, str)


class DefaultTypeMismatch(PythonRule):
    code = "KFP211"
    name = "default-type-mismatch"
    summary = "Checks for parameter defaults kfp 2 cannot convert to the annotated type (`n: int = 'x'`)."
    message = "The default {default} of `{param}` is not of type `{type}`"
    rationale = (
        "kfp 2 puts the default into the pipeline spec as a typed value: `a: int = 'x'` defines fine and "
        "then fails when a pipeline is built, `TypeError: must be real number, not str` (probe P10p). kfp 1 "
        "serialized defaults to strings and did not notice."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Either the annotation or the default is wrong; only a human knows which."
    valid = ("from kfp import dsl\n\n@dsl.component\ndef f(n: int = 3):\n    pass\n",)
    invalid = (Example("from kfp import dsl\n\n@dsl.component\ndef f(n: int = '3'):\n    pass\n"),)

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for func, _ in _functions(module):
            for param in _params(func):
                if param.annotation is None or param.default is None:
                    continue
                annotation = param.annotation.annotation
                if not isinstance(annotation, cst.Name) or annotation.value in module.bindings:
                    continue
                value = literal_value(param.default)
                if value is NOT_LITERAL or value is None:
                    continue
                if _rejected_default(annotation.value, value):
                    yield self.at(
                        src,
                        param.default,
                        None,
                        default=src.code(param.default),
                        param=param.name.value,
                        type=annotation.value,
                    )


class ParameterNamedOutput(PythonRule):
    code = "KFP212"
    name = "parameter-named-output"
    summary = "Checks for component parameters named `Output`."
    message = "A parameter named `Output` is rejected by kfp 2"
    rationale = (
        "kfp 2 reserves `Output` for a component's single return value and raises "
        '`ValueError: "Output" is an invalid parameter name.` (probe P10h). kfp 1 accepted it.'
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Renaming changes the component's interface: callers must change too."
    valid = ("from kfp import dsl\n\n@dsl.component\ndef f(output: str):\n    pass\n",)
    invalid = (Example("from kfp import dsl\n\n@dsl.component\ndef f(Output: str):\n    pass\n"),)

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for component in module.components:
            for param in _params(component.func):
                if param.name.value == "Output":
                    yield self.at(src, param.name)


class DictReturnAnnotation(PythonRule):
    code = "KFP213"
    name = "dict-return-annotation"
    summary = "Checks for components that declare their outputs with a dict return annotation."
    message = "kfp 2 cannot read the dict return annotation of `{func}`"
    fix_title = "Use a `NamedTuple`"
    rationale = (
        "kfp 1 accepted `-> {'a': int, 'b': str}` (deprecated) and read the returned values in that order. "
        "kfp 2 raises `AttributeError: 'str' object has no attribute 'is_artifact_list'` (probe P10m). A "
        "`NamedTuple` with the same fields declares the same outputs and takes the same returned tuple."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    valid = (
        "from typing import NamedTuple\nfrom kfp import dsl\n\n@dsl.component\ndef f() -> NamedTuple('Outputs', [('a', int)]):\n    return (1,)\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.component\ndef f() -> {'a': int}:\n    return (1,)\n",
            fixed="from kfp import dsl\nfrom typing import NamedTuple\n\n@dsl.component\ndef f() -> NamedTuple('Outputs', [('a', int)]):\n    return (1,)\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for component in module.components:
            returns = component.func.returns
            if returns is None or not isinstance(returns.annotation, cst.Dict):
                continue
            yield self.at(
                src,
                returns.annotation,
                _named_tuple_fix(self, module, component, returns.annotation),
                func=component.name,
            )


def _named_tuple_fix(rule: PythonRule, module: KfpModule, component: Component, annotation: cst.Dict) -> Fix | None:
    fields = []
    for element in annotation.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(literal_value(element.key), str):
            return None
        fields.append(f"({code(element.key)}, {code(element.value)})")
    imports = Imports(module)
    text = f"{imports.ref('typing.NamedTuple')}('Outputs', [{', '.join(fields)}])"
    return rule.fix(replace(module.src, annotation, text), *imports.edits())


class ArtifactMarkerOnParameterType(PythonRule):
    code = "KFP219"
    name = "artifact-marker-on-parameter-type"
    summary = "Checks for `Input[T]`/`Output[T]` where `T` is a parameter type such as `int` or `str`."
    message = "`{param}: {annotation}` compiles as a parameter, but at run time the function gets `None`"
    fix_title = "Annotate `{param}: {fixed}`"
    rationale = (
        "kfp 2 compiles `Input[int]` as an `Integer` parameter input and `Output[str]` as a `String` "
        "parameter output, but its executor treats every `Input[...]`/`Output[...]` annotation as an "
        "artifact (SOURCE K2 `dsl/executor.py:Executor.execute`), finds none, and passes `None`: run with "
        "`kfp.local` (kfp 2.17), `n: Input[int]` called with `n=3` prints `None` and succeeds, and "
        "`label: Output[str]` fails on `open(None)`. A parameter input is annotated with the type itself; "
        "a parameter output is `OutputPath(T)`, a file the function writes the value to."
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = "The body may use the artifact API (`.path`, `.metadata`); it then needs rewriting too."
    valid = ("from kfp import dsl\n\n@dsl.component\ndef f(n: int):\n    print(n)\n",)
    invalid = (
        Example(
            "from kfp import dsl\nfrom kfp.dsl import Input\n\n@dsl.component\ndef f(n: Input[int]):\n    print(n)\n",
            fixed="from kfp import dsl\nfrom kfp.dsl import Input\n\n@dsl.component\ndef f(n: int):\n    print(n)\n",
            unsafe=True,
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for _, port in ports_of(module.components):
            type_name = port.type_name
            if port.role not in (Role.INPUT_ARTIFACT, Role.OUTPUT_ARTIFACT) or type_name not in LITERAL_TYPES.values():
                continue
            assert type_name is not None and port.param.annotation is not None
            annotation = port.param.annotation.annotation
            imports = Imports(module)
            fixed = (
                type_name if port.role is Role.INPUT_ARTIFACT else f"{imports.ref('kfp.dsl.OutputPath')}({type_name})"
            )
            fix = self.fix(replace(src, annotation, fixed), *imports.edits(), param=port.name, fixed=fixed)
            yield self.at(src, annotation, fix, param=port.name, annotation=src.code(annotation))
