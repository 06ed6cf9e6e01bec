"""Task wiring seen statically: which component each call in a pipeline creates a task of, that
component's interface as kfp 2 will see it, and what feeds each of its inputs.

Components are found without importing anything: function components of this module, components
loaded with `load_component_from_file` (literal path, text handed over by the runner) or
`load_component_from_text` (literal text), and both kinds imported from other scanned modules.
Semantics: ../shared/docs/kfp-semantics.md §3.2 (what kfp 2 checks when a task is created).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import cast

import libcst as cst

from migrate.callers import LITERAL_TYPES, LOADERS, URI, path_literal
from migrate.python_source import PythonProblem, PythonSource, reading
from migrate.python_tree import kids
from migrate.unknown_whitespace import forget_reads
from migrate.unknown_whitespace import reads as whitespace_reads
from migrate.yaml_source import YamlProblem, YamlSource
from rules._python import (
    NOT_LITERAL,
    PYTHON_PARAMETER_TYPES,
    Component,
    KfpModule,
    Role,
    all_params,
    bind_positionals,
    implied_type,
    kfp_module,
    literal_value,
    type_text,
)
from rules._yaml import ARTIFACT_CLASSES, Kind, classify_name, component_of
from rules._yaml import Component as YamlComponent
from rules._yaml import Port as YamlPort
from rules.yaml_components.names import sanitize

TEXT_LOADERS = ("load_component_from_text",)
URL_LOADERS = ("load_component_from_url",)
KFP_MODULES = ("kfp.components", "kfp.dsl", "kfp.v2.components", "kfp.v2.dsl")
GENERIC_ARTIFACT = "system.Artifact"
PARAMETER_OF_PYTHON = {python: kfp for kfp, python in PYTHON_PARAMETER_TYPES.items()}
# Methods that return the task they are called on (kfp 1 and kfp 2), so `t = op(...).after(x)` is a task.
TASK_METHODS = re.compile(r"^(set_\w+|add_\w+|after|apply|ignore_upstream_failure)$")

_Defined = cst.FunctionDef | cst.ClassDef  # what a function body defines


class Nature(str, Enum):
    PARAMETER = "parameter"
    ARTIFACT = "artifact"


@dataclass(frozen=True)
class Slot:
    """One input or output of a component, as kfp 2 sees it."""

    name: str  # kfp 2's name
    v1_names: tuple[str, ...]  # names kfp 1 also accepted (keywords, `outputs[...]` keys)
    nature: Nature | None  # None: kfp 2 cannot read it (another rule reports that)
    type: str  # `Integer`, ... for parameters; `system.Dataset`, `google.VertexModel` for artifacts
    optional: bool = False

    def describe(self) -> str:
        return f"{self.nature.value} `{self.type}`" if self.nature else "unknown type"


@dataclass(frozen=True)
class Interface:
    """What a task factory accepts and produces."""

    label: str  # how messages name the component: `train_op` (train.yaml)
    inputs: tuple[Slot, ...]
    outputs: tuple[Slot, ...]
    positional_order: tuple[str, ...]  # kfp 2 input names in the order kfp 1 bound positional arguments
    typed: bool  # types are final: kfp 2 checks arguments against them as they are
    from_yaml: bool

    def input(self, name: str) -> Slot | None:
        return next((s for s in self.inputs if s.name == name), None)

    def input_for_v1(self, name: str) -> Slot | None:
        return self.input(name) or next((s for s in self.inputs if name in s.v1_names), None)

    def output_for(self, key: str) -> Slot | None:
        return next((s for s in self.outputs if s.name == key), None) or next(
            (s for s in self.outputs if key in s.v1_names), None
        )


@dataclass(frozen=True)
class Feed:
    """What one argument of a task call is, statically."""

    text: str  # the argument's code, for messages
    nature: Nature | None
    type: str | None  # Integer / system.Dataset / None when unknown
    kind: str  # constant | uri | parameter | output | other
    value: object = NOT_LITERAL
    producer: Interface | None = None
    producer_slot: Slot | None = None


@dataclass(frozen=True)
class TaskArg:
    arg: cst.Arg
    slot: Slot | None  # None: the call names no such input (or binding failed)
    keyword: str | None  # as written
    feed: Feed


@dataclass(frozen=True)
class TaskCall:
    call: cst.Call
    symbol: str
    interface: Interface | None  # None: a component, but its interface is out of reach (URL, ...)
    args: tuple[TaskArg, ...]
    function: cst.FunctionDef


def kfp1_pythonic(name: str) -> str:
    """kfp 1 `_naming._sanitize_python_function_name`: the keyword a loaded component accepted."""
    normalized = re.sub(" +", " ", re.sub(r"[\W_]", " ", name.lower())).strip()
    if re.match(r"\d", normalized):
        normalized = "n" + normalized
    return normalized.replace(" ", "_")


def schema(kfp2_type: str) -> str:
    """`system.Dataset@0.0.1` -> `system.Dataset`."""
    return kfp2_type.split("@", 1)[0]


def compatible(given: Feed, wanted: Slot) -> bool:
    """kfp 2 `type_utils.verify_type_compatibility`, for what is known statically."""
    if given.nature is None or wanted.nature is None or given.type is None:
        return True
    if given.nature is not wanted.nature:
        return False
    if given.nature is Nature.PARAMETER:
        return given.type == wanted.type
    return GENERIC_ARTIFACT in (given.type, wanted.type) or given.type == wanted.type


def yaml_interface(text: str, label: str, original: str | None = None) -> Interface | None:
    """A v1 component file's interface as kfp 2 reads `text`; kfp 1's names come from `original`, the file
    before this run's fixes (which may rename ports to kfp 2's names, KFP145)."""
    found = _component(text, label)
    if found is None:
        return None
    before = _component(original, label) if original is not None and original != text else found
    v1_inputs, v1_outputs = _v1_names(before.inputs if before else []), _v1_names(before.outputs if before else [])
    inputs: list[Slot] = []
    for port in found.inputs:
        if port.name is None:
            continue
        optional = port.get("optional") is not None or port.get("default") is not None
        v1 = v1_inputs.get(sanitize(port.name), port.name)
        inputs.append(_yaml_slot(port.name, port.kind, port.kfp2_type, optional, kfp1_pythonic(v1)))
    outputs = []
    for port in found.outputs:
        if port.name is not None:
            v1 = v1_outputs.get(sanitize(port.name), port.name)
            outputs.append(_yaml_slot(port.name, port.kind, port.kfp2_type, False, v1, kfp1_pythonic(v1)))
    required = [s.name for s in inputs if not s.optional]
    optional_names = [s.name for s in inputs if s.optional]
    return Interface(label, tuple(inputs), tuple(outputs), tuple(required + optional_names), True, True)


def _component(text: str | None, label: str) -> YamlComponent | None:
    if text is None:
        return None
    try:
        return component_of(YamlSource(text, label))
    except YamlProblem:
        return None


def _v1_names(ports: list[YamlPort]) -> dict[str, str]:
    """kfp 2 name -> the name the file gave the port."""
    return {sanitize(p.name): p.name for p in ports if p.name is not None}


def _yaml_slot(name: str, kind: Kind, kfp2_type: str, optional: bool, *v1_names: str) -> Slot:
    nature = {Kind.PARAMETER: Nature.PARAMETER, Kind.ARTIFACT: Nature.ARTIFACT}.get(kind)
    type_ = schema(kfp2_type) if nature is Nature.ARTIFACT else kfp2_type
    return Slot(sanitize(name), tuple(dict.fromkeys(v1_names)), nature, type_, optional)


def python_interface(module: KfpModule, component: Component, label: str) -> Interface:
    """A function component's interface; `typed` only once it is in kfp 2 form (no kfp 1 factory or marker)."""
    v1 = component.is_v1 or any(p.v1_marker for p in component.ports)
    inputs = []
    for port in component.ports:
        if port.is_output:
            continue
        nature, type_ = _python_port_type(module, port.role, port.param, port.type_name)
        inputs.append(
            Slot(port.v1_name if v1 else port.name, (port.name,), nature, type_, port.param.default is not None)
        )
    outputs = [
        Slot(p.v1_name if v1 else p.name, (p.name,), *_python_port_type(module, p.role, p.param, p.type_name))
        for p in component.ports
        if p.is_output
    ]
    outputs += _return_outputs(module, component.func)
    names = bind_positionals(component, [(None, False)] * len(inputs))
    order = tuple(n for n in names if n is not None)
    return Interface(label, tuple(inputs), tuple(outputs), order, not v1, False)


def _python_port_type(
    module: KfpModule, role: Role, param: cst.Param, type_name: str | None
) -> tuple[Nature | None, str]:
    if role is Role.VALUE:
        annotation = param.annotation.annotation if param.annotation else None
        return _annotation_type(module, annotation)
    if type_name is None:
        return (
            (Nature.ARTIFACT, GENERIC_ARTIFACT) if role in (Role.INPUT_ARTIFACT, Role.OUTPUT_ARTIFACT) else (None, "")
        )
    kind, kfp2_type = classify_name(type_name)
    if kind is Kind.PARAMETER:
        # `InputPath(str)` compiles in kfp 2 but cannot run; `OutputPath(int)` is a parameter output.
        return (Nature.PARAMETER, kfp2_type) if role is Role.OUTPUT_FILE else (None, "")
    lower = type_name.lower()
    artifact = f"system.{ARTIFACT_CLASSES[lower]}" if lower in ARTIFACT_CLASSES else schema(kfp2_type)
    return Nature.ARTIFACT, artifact


def _annotation_type(module: KfpModule, annotation: cst.BaseExpression | None) -> tuple[Nature | None, str]:
    if annotation is None:
        return None, ""
    text = type_text(annotation) or ""
    if isinstance(annotation, cst.Subscript):
        marker = (module.qualified(annotation.value) or "").rpartition(".")
        element = annotation.slice[0].slice if annotation.slice else None
        if marker[0] in KFP_MODULES and marker[2] in ("Input", "Output") and isinstance(element, cst.Index):
            return _annotation_type(module, element.value)
        text = type_text(annotation.value) or ""
    python = {"Dict": "dict", "List": "list", "Text": "str"}.get(text, text)
    if python in PARAMETER_OF_PYTHON:
        return Nature.PARAMETER, PARAMETER_OF_PYTHON[python]
    qualified = module.qualified(annotation) or ""
    if qualified.rpartition(".")[0] in KFP_MODULES and text.lower() in ARTIFACT_CLASSES:
        return Nature.ARTIFACT, f"system.{ARTIFACT_CLASSES[text.lower()]}"
    return None, ""


def _return_outputs(module: KfpModule, func: cst.FunctionDef) -> list[Slot]:
    returns = func.returns.annotation if func.returns else None
    if returns is None or (isinstance(returns, cst.Name) and returns.value == "None"):
        return []
    nature, type_ = _annotation_type(module, returns)
    if nature is not None:
        return [Slot("Output", ("Output",), nature, type_)]
    fields = _named_tuple_fields(returns)
    if fields is None:
        return [Slot("Output", ("Output",), None, "")]
    return [Slot(name, (name,), *_annotation_type(module, field)) for name, field in fields]


def _named_tuple_fields(node: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]] | None:
    """`NamedTuple('Outputs', [('a', int), ...])` or `NamedTuple('Outputs', a=int)` fields, else None."""
    if isinstance(node, cst.Call) and len(node.args) > 1 and all(a.keyword for a in node.args[1:]):
        return [(a.keyword.value, a.value) for a in node.args[1:] if a.keyword is not None]
    if not (isinstance(node, cst.Call) and len(node.args) >= 2 and isinstance(node.args[1].value, cst.List)):
        return None
    fields = []
    for element in node.args[1].value.elements:
        pair = element.value
        if not (isinstance(pair, cst.Tuple) and len(pair.elements) == 2):
            return None
        name = literal_value(pair.elements[0].value)
        if not isinstance(name, str):
            return None
        fields.append((name, pair.elements[1].value))
    return fields


class Wiring:
    """The task calls of one module, with their components' interfaces."""

    def __init__(self, src: PythonSource) -> None:
        self.src = src
        self.module = kfp_module(src)
        self.symbols: dict[str, Interface | None] = {}
        self._collect_symbols()
        self.tasks: dict[cst.FunctionDef, dict[str, Interface]] = {}  # task variables per function
        self._locals: dict[cst.FunctionDef, set[str]] = {}
        self.calls: list[TaskCall] = list(self._task_calls()) if self.symbols else []

    def _collect_symbols(self) -> None:
        module = self.module
        for component in module.components + module.container_components:
            for symbol in component.symbols:
                self.symbols[symbol] = python_interface(module, component, f"`{symbol}`")
        for call, _ in module.calls:
            loader = (module.qualified(call.func) or "").rpartition(".")
            if loader[0] not in ("kfp.components", "kfp.v2.components") or not call.args:
                continue
            targets = module.assignments.get(call, ())
            if not targets:
                continue
            loaded = self._loaded(loader[2], call.args[0].value, targets[0])
            if loaded is not None or loader[2] in LOADERS + TEXT_LOADERS + URL_LOADERS:
                for target in targets:
                    self.symbols[target] = loaded
        for binding in module.imports:
            if not binding.top_level or binding.local in self.symbols:
                continue
            head, _, name = binding.qualified.rpartition(".")
            statement = binding.statement
            if not isinstance(statement, cst.ImportFrom) or head.startswith("kfp"):
                continue
            dots = "." * len(statement.relative)
            found = self.src.foreign.sources.get(f"py:{dots}{head}")
            if found is not None:
                imported = _foreign_interface(found.path, found.text, name, self.src.quick)
                if imported is not None:
                    self.symbols[binding.local] = imported

    def _loaded(self, loader: str, arg: cst.BaseExpression, label_name: str) -> Interface | None:
        code = self.src.code(arg)
        if loader in TEXT_LOADERS:
            text = literal_value(arg)
            return yaml_interface(text, f"`{label_name}`") if isinstance(text, str) else None
        if loader not in LOADERS:
            return None
        try:
            literal = path_literal(ast.parse(code, mode="eval").body)
        except SyntaxError:
            return None
        found = self.src.foreign.sources.get(f"yaml:{literal}") if literal else None
        return yaml_interface(found.text, f"`{label_name}` ({literal})", found.original) if found else None

    def _task_calls(self) -> Iterator[TaskCall]:
        tasks = self.tasks
        for call, function in self.module.calls:
            if function is None or not isinstance(call.func, cst.Name) or call.func.value not in self.symbols:
                continue
            if call.func.value in self._local_names(function):
                continue  # shadowed: a parameter, or a name the function binds (`def evaluate(...)` inside it)
            interface = self.symbols[call.func.value]
            known = tasks.setdefault(function, {})
            task_name = self._assigned_task(call)
            if task_name is not None and interface is not None:
                known[task_name] = interface
            yield TaskCall(
                call, call.func.value, interface, tuple(self._args(call, interface, function, known)), function
            )

    def _local_names(self, function: cst.FunctionDef) -> set[str]:
        """The names that, in `function`, name no component: its parameters, and the functions and classes it
        defines that are no component (a helper `def evaluate(...)` inside the component `evaluate`)."""
        found = self._locals.get(function)
        if found is None:
            components = {id(c.func) for c in self.module.components}
            numbered = self.src.tree.outermost(function.body, ("FunctionDef", "ClassDef"))
            defined = _functions_in(function.body) if numbered is None else cast(list[_Defined], numbered)
            helpers = {d.name.value for d in defined if id(d) not in components}
            found = self._locals[function] = {p.name.value for p in all_params(function)} | helpers
        return found

    def _assigned_task(self, call: cst.Call) -> str | None:
        """`t` in `t = op(...)` or `t = op(...).after(x).set_display_name('y')`."""
        node: cst.CSTNode = call
        parents = self.src.parents
        while True:
            parent = parents.get(node)
            grand = parents.get(parent) if parent is not None else None
            if isinstance(parent, cst.Attribute) and isinstance(grand, cst.Call) and grand.func is parent:
                if not TASK_METHODS.match(parent.attr.value):
                    return None
                node = grand
                continue
            break
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            return target.value if isinstance(target, cst.Name) else None
        return None

    def _args(
        self, call: cst.Call, interface: Interface | None, function: cst.FunctionDef, tasks: dict[str, Interface]
    ) -> Iterator[TaskArg]:
        positional = iter(interface.positional_order if interface else ())
        params = {p.name.value: p for p in all_params(function)}
        for arg in call.args:
            if arg.star:
                continue
            keyword = arg.keyword.value if arg.keyword else None
            slot = None
            if interface is not None:
                slot = interface.input_for_v1(keyword) if keyword else interface.input(next(positional, ""))
            yield TaskArg(arg, slot, keyword, self._feed(arg.value, params, tasks))

    def _feed(self, value: cst.BaseExpression, params: dict[str, cst.Param], tasks: dict[str, Interface]) -> Feed:
        text = self.src.code(value)
        literal = literal_value(value)
        if literal is not NOT_LITERAL and literal is not None:
            python = LITERAL_TYPES.get(type(literal), "")
            kind = "uri" if isinstance(literal, str) and URI.match(literal) else "constant"
            return Feed(text, Nature.PARAMETER, PARAMETER_OF_PYTHON.get(python), kind, literal)
        if isinstance(value, cst.Name) and value.value in params:
            param = params[value.value]
            annotation = param.annotation.annotation if param.annotation else None
            if annotation is None:
                implied, guessed = implied_type(param)
                type_ = None if guessed or param.default is None else PARAMETER_OF_PYTHON.get(implied)
                return Feed(text, Nature.PARAMETER, type_, "parameter")
            nature, type_ = _annotation_type(self.module, annotation)
            return Feed(text, nature, type_ or None, "parameter")
        producer = _output_reference(value)
        if producer is not None and producer[0] in tasks:
            interface = tasks[producer[0]]
            slot = (
                interface.output_for(producer[1])
                if producer[1]
                else (interface.outputs[0] if len(interface.outputs) == 1 else None)
            )
            if slot is not None and interface.typed:
                return Feed(text, slot.nature, slot.type or None, "output", producer=interface, producer_slot=slot)
            return Feed(text, None, None, "output", producer=interface)
        return Feed(text, None, None, "other")

    def output_keys(self) -> Iterator[tuple[cst.SimpleString, str, Interface]]:
        """Every `t.outputs['key']` on a task variable whose component is known: (key node, key, component)."""
        for function, known in self.tasks.items():
            finder = _OutputsSubscripts()
            self.src.walk(function, finder)
            for name, key_node in finder.found:
                if name in known:
                    key = literal_value(key_node)
                    if isinstance(key, str):
                        yield key_node, key, known[name]


class _OutputsSubscripts(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[str, cst.SimpleString]] = []

    def visit_Subscript(self, node: cst.Subscript) -> None:
        base = node.value
        if (
            isinstance(base, cst.Attribute)
            and base.attr.value == "outputs"
            and isinstance(base.value, cst.Name)
            and len(node.slice) == 1
            and isinstance(node.slice[0].slice, cst.Index)
            and isinstance(node.slice[0].slice.value, cst.SimpleString)
        ):
            self.found.append((base.value.value, node.slice[0].slice.value))


def _output_reference(value: cst.BaseExpression) -> tuple[str, str | None] | None:
    """(`t`, `'x'`) for `t.outputs['x']`, (`t`, None) for `t.output`."""
    if isinstance(value, cst.Attribute) and value.attr.value == "output" and isinstance(value.value, cst.Name):
        return value.value.value, None
    if (
        isinstance(value, cst.Subscript)
        and isinstance(value.value, cst.Attribute)
        and value.value.attr.value == "outputs"
        and isinstance(value.value.value, cst.Name)
        and len(value.slice) == 1
        and isinstance(value.slice[0].slice, cst.Index)
    ):
        key = literal_value(value.slice[0].slice.value)
        if isinstance(key, str):
            return value.value.value.value, key
    return None


# By (path, text): the interface of each component the module defines, by the names it goes by.
_FOREIGN: dict[tuple[str, int], dict[str, Interface]] = {}


def _foreign_interface(path: str, text: str, symbol: str, quick: bool) -> Interface | None:
    """A component another scanned module defines (read once per process; on a quick tree when the module
    being checked is read on one: an interface holds no edit)."""
    key = (path, hash(text))
    if key not in _FOREIGN:
        _FOREIGN[key] = _interfaces(path, text, quick)
    return _FOREIGN[key].get(symbol)


def _interfaces(path: str, text: str, quick: bool) -> dict[str, Interface]:
    if quick:
        reads = whitespace_reads()
        found = _interfaces_on(path, text, quick=True)
        if whitespace_reads() == reads:
            return found
        forget_reads(reads)  # (of a tree dropped: the module being checked did not read them)
    return _interfaces_on(path, text, quick=False)


def _interfaces_on(path: str, text: str, quick: bool) -> dict[str, Interface]:
    try:
        src = PythonSource(text, path, quick=quick)
    except PythonProblem:
        return {}
    found: dict[str, Interface] = {}
    with reading(src):  # (the code of its nodes is its text)
        module = kfp_module(src)
        for component in module.components:
            for symbol in sorted(component.symbols):
                label = f"`{symbol}` ({path.rsplit('/', 1)[-1]})"
                found.setdefault(symbol, python_interface(module, component, label))
    return found


def _functions_in(body: cst.CSTNode) -> Iterator[_Defined]:
    """The functions and classes a function body defines (not those nested in them)."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef | cst.ClassDef):
            yield node
            continue
        stack.extend(kids(node))


def wiring(src: PythonSource) -> Wiring:
    """The module's task wiring, computed once per parse."""
    found = src.cache.get("wiring")
    if not isinstance(found, Wiring):
        found = src.cache["wiring"] = Wiring(src)
    return found
