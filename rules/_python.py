"""What a Python module says about KFP: imports, function components, their ports, pipelines, calls.

One walk over the tree builds a `KfpModule`; every KFP2xx rule reads it instead of walking again.
Everything is static: names are resolved through the module's own import statements, nothing is
imported or run. Semantics: ../shared/docs/kfp-semantics.md §4.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

import libcst as cst

from migrate.callers import LITERAL_TYPES, URI
from migrate.python_source import PythonSource, node_code, value_code
from rules._yaml import ARTIFACT_CLASSES, PARAMETER_TYPES

V1_MARKERS = frozenset(
    {
        "InputPath",
        "OutputPath",
        "InputTextFile",
        "InputBinaryFile",
        "OutputTextFile",
        "OutputBinaryFile",
        "InputArtifact",
        "OutputArtifact",
    }
)
V1_COMPONENT_MODULES = ("kfp.components", "kfp.components._python_op")
# Factories that turn a function into a v1 component (names stripped, §4.1).
V1_FACTORIES = frozenset(
    f"{m}.{n}" for m in V1_COMPONENT_MODULES for n in ("create_component_from_func", "func_to_container_op")
)
# kfp 1.8's bridge to v2: v2 naming already, only the factory has to change.
V1_V2_FACTORIES = frozenset(f"{m}.create_component_from_func_v2" for m in V1_COMPONENT_MODULES)
V2_DSL_MODULES = ("kfp.dsl", "kfp.v2.dsl")
V2_COMPONENT_DECORATORS = frozenset(f"{m}.component" for m in V2_DSL_MODULES)
CONTAINER_COMPONENT_DECORATORS = frozenset(f"{m}.container_component" for m in V2_DSL_MODULES)
PIPELINE_DECORATORS = frozenset(f"{m}.pipeline" for m in V2_DSL_MODULES)
# What makes a component of a function, as a decorator or called on it (asked of every call of a module).
_MAKERS = V1_FACTORIES | V1_V2_FACTORIES | V2_COMPONENT_DECORATORS
PARTIAL = frozenset({"functools.partial"})
# Submodules `kfp/__init__.py` imports (directly or through them), so `import kfp` reaches them.
KFP_INIT_IMPORTS = frozenset({"dsl", "components", "compiler", "client", "Client"})
# kfp 2 lightweight components need these python types for parameters (§4.2).
PYTHON_PARAMETER_TYPES = {
    "String": "str",
    "Integer": "int",
    "Float": "float",
    "Boolean": "bool",
    "Dict": "dict",
    "List": "list",
}


class Role(str, Enum):
    """How a parameter is passed, from its annotation."""

    VALUE = "value"  # plain parameter, by value
    INPUT_FILE = "input file"  # v1 or v2 InputPath-like: the function gets a path or an open file
    OUTPUT_FILE = "output file"
    INPUT_ARTIFACT = "input artifact"  # v2 Input[T] or a bare artifact class
    OUTPUT_ARTIFACT = "output artifact"  # v2 Output[T]


@dataclass(frozen=True)
class Port:
    """One function parameter of a component, with what v1 and v2 make of it."""

    param: cst.Param
    index: int
    role: Role
    marker: str | None  # InputPath, OutputTextFile, Input, Output, ... or None
    v1_marker: bool  # the marker comes from kfp.components (kfp 1 only)
    type_name: str | None  # the marker's type argument as text: 'CSV', 'str', 'Dataset'; None when absent
    v1_name: str  # the I/O name kfp 1.8.22 gave it (stripped, made unique)

    @property
    def name(self) -> str:
        return self.param.name.value

    @property
    def is_output(self) -> bool:
        return self.role in (Role.OUTPUT_FILE, Role.OUTPUT_ARTIFACT)

    @property
    def parameter_type(self) -> str | None:
        """The kfp 2 parameter type ('String', 'Integer', ...) a marker's type names, if it names one."""
        if self.type_name is None:
            return None
        return PARAMETER_TYPES.get(self.type_name.lower())

    @property
    def artifact_class(self) -> str:
        """The kfp 2 artifact class a marker's type maps to; unknown v1 names become `Artifact`."""
        name = (self.type_name or "").lower()
        if name.startswith("system.") and "@" in name:
            name = name.split("@")[0].removeprefix("system.")
        return ARTIFACT_CLASSES.get(name, "Artifact")


@dataclass(frozen=True)
class Maker:
    """What makes a function a component: a decorator or a factory call."""

    node: cst.Decorator | cst.Call
    qualified: str  # the factory or decorator, e.g. kfp.components.create_component_from_func
    options: tuple[cst.Arg, ...]  # keyword options (the function argument excluded)
    targets: tuple[str, ...] = ()  # names the factory's result is assigned to (`train_op = ...`)

    @property
    def is_v1(self) -> bool:
        return self.qualified in V1_FACTORIES

    @property
    def is_decorator(self) -> bool:
        return isinstance(self.node, cst.Decorator)


@dataclass
class Component:
    """A function turned into a component, by one or more makers."""

    func: cst.FunctionDef
    makers: list[Maker] = field(default_factory=list)
    ports: list[Port] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.func.name.value

    @property
    def is_v1(self) -> bool:
        """v1 naming applies (kfp 1 `create_component_from_func`/`func_to_container_op`)."""
        return any(maker.is_v1 for maker in self.makers)

    @property
    def symbols(self) -> set[str]:
        """Names that other code calls to create tasks of this component."""
        names = {t for maker in self.makers for t in maker.targets}
        if any(maker.is_decorator for maker in self.makers):
            names.add(self.name)
        return names


class ArgKind(str, Enum):
    """What feeds a component input at a call site."""

    URI = "a URI constant"
    CONSTANT = "a constant"
    PARAMETER = "a pipeline parameter"
    TASK_OUTPUT = "a task output"
    OTHER = "an expression"


@dataclass(frozen=True)
class CallArg:
    """An argument fed to a component input: in this module (`value` set) or in another scanned file."""

    input_name: str
    kind: ArgKind
    value_type: str | None  # `int` for a constant `3` or a pipeline parameter `n: int`; None when unknown
    value: cst.BaseExpression | None = None  # None for calls in other files
    caller: str = ""  # the other file, for calls there

    @property
    def local(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class ImportBinding:
    """A local name bound by an import statement to a qualified name."""

    local: str
    qualified: str
    statement: cst.Import | cst.ImportFrom
    alias: cst.ImportAlias
    top_level: bool


class KfpModule:
    """The KFP facts of one module."""

    def __init__(self, src: PythonSource) -> None:
        self.src = src
        collector = _Collector(src)
        src.walk(src.module, collector)
        self.bindings: dict[str, ImportBinding] = collector.bindings
        self.imports: list[ImportBinding] = collector.imports
        self.functions: dict[str, cst.FunctionDef] = collector.functions
        self.defined_names: set[str] = collector.defined_names
        self.pipelines: list[cst.FunctionDef] = []
        self.future_annotations: cst.ImportFrom | None = collector.future_annotations
        self.calls: list[tuple[cst.Call, cst.FunctionDef | None]] = collector.calls
        self.assignments: dict[cst.Call, tuple[str, ...]] = collector.assignments
        self.components: list[Component] = []
        # `@dsl.container_component` functions make tasks too; no lightweight-component rule applies to them.
        self.container_components: list[Component] = []
        self._call_args: dict[int, tuple[CallArg, ...]] = {}
        self._qualified: dict[int, tuple[cst.Attribute, str | None]] = {}  # see `qualified`
        by_func: dict[cst.FunctionDef, Component] = {}
        for func in collector.all_functions:
            for decorator in func.decorators:
                maker = self._decorator_maker(decorator)
                if maker is not None:
                    by_func.setdefault(func, Component(func)).makers.append(maker)
                elif self.qualified(_callee(decorator.decorator)) in PIPELINE_DECORATORS:
                    self.pipelines.append(func)
                elif self.qualified(decorator.decorator) in CONTAINER_COMPONENT_DECORATORS:
                    container = Component(func, [Maker(decorator, "kfp.dsl.container_component", ())])
                    self.container_components.append(container)
        for call, _ in self.calls:
            found = self._call_maker(call)
            if found is not None:
                func, maker = found
                by_func.setdefault(func, Component(func)).makers.append(maker)
        for component in by_func.values():
            component.ports = list(_ports(self, component))
            self.components.append(component)
        for container in self.container_components:
            container.ports = list(_ports(self, container))

    def qualified(self, expr: cst.BaseExpression | None) -> str | None:
        """`kfp.components.InputPath` for `comp.InputPath` after `import kfp.components as comp`, etc."""
        # Most rules ask about the callee of every call: called hundreds of thousands of times over a repository.
        # `type(...) is`: LibCST's `Name` and `Attribute` have no subclasses, and their `isinstance` goes through
        # `ABCMeta` (`node` is untyped so that no `cast` call is needed either). An attribute's answer is kept:
        # each rule asks again, and the chain below is climbed each time.
        node: Any = expr
        kind = type(node)
        if kind is cst.Name:
            binding = self.bindings.get(node.value)
            return binding.qualified if binding else None
        if kind is cst.Attribute:
            known = self._qualified.get(id(node))
            if known is not None:
                return known[1]
            base = self.qualified(node.value)
            found = f"{base}.{node.attr.value}" if base else None
            # The node is kept with its answer: its id cannot be another node's while the entry lives.
            self._qualified[id(node)] = (node, found)
            return found
        return None

    def _decorator_maker(self, decorator: cst.Decorator) -> Maker | None:
        expr = decorator.decorator
        name = self.qualified(_callee(expr))
        if name in _MAKERS:
            options = tuple(a for a in expr.args if a.keyword) if isinstance(expr, cst.Call) else ()
            return Maker(decorator, name or "", options)
        if name in PARTIAL and isinstance(expr, cst.Call) and expr.args:
            inner = self.qualified(expr.args[0].value)
            if inner in V1_FACTORIES | V1_V2_FACTORIES:
                return Maker(decorator, inner or "", tuple(a for a in expr.args[1:] if a.keyword))
        return None

    def _call_maker(self, call: cst.Call) -> tuple[cst.FunctionDef, Maker] | None:
        name = self.qualified(call.func)
        if name not in _MAKERS:
            return None
        func_arg = next((a for a in call.args if a.keyword is None or a.keyword.value == "func"), None)
        if func_arg is None or not isinstance(func_arg.value, cst.Name) or func_arg.star:
            return None
        func = self.functions.get(func_arg.value.value)
        if func is None:
            return None
        options = tuple(a for a in call.args if a is not func_arg)
        return func, Maker(call, name or "", options, self.assignments.get(call, ()))

    def is_kfp(self) -> bool:
        return any(b.qualified.split(".")[0] == "kfp" for b in self.imports)

    def binding_for(self, qualified: str) -> str | None:
        """An expression naming `qualified` through an existing top-level import, e.g. `dsl.Input`."""
        candidates = {qualified}
        if qualified.startswith("kfp.dsl."):
            candidates.add("kfp.v2.dsl." + qualified.removeprefix("kfp.dsl."))
        best: str | None = None
        for binding in self.imports:
            if not binding.top_level or self.bindings.get(binding.local) is not binding:
                continue
            for target in candidates:
                if binding.qualified == target:
                    return binding.local
                if target.startswith(binding.qualified + "."):
                    rest = target.removeprefix(binding.qualified + ".")
                    # `import kfp` gives kfp.dsl only because kfp/__init__ imports it (not kfp.kubernetes);
                    # prefer a closer binding.
                    if binding.qualified == "kfp" and rest.split(".")[0] not in KFP_INIT_IMPORTS:
                        continue
                    if best is None or len(rest) < len(best.split(".", 1)[-1]):
                        best = f"{binding.local}.{rest}"
        return best

    def _with_aliases(self, symbols: set[str]) -> set[str]:
        """`symbols` and the names the module binds to them (`view_op = show_op`, at any depth): calls to
        those make tasks of the same component."""
        rebound = self._rebound
        if not rebound:
            return symbols
        found = set(symbols)
        while more := {name for name, value in rebound if value in found and name not in found}:
            found |= more
        return found

    @cached_property
    def _rebound(self) -> tuple[tuple[str, str], ...]:
        """(name, name it is bound to) for each top-level `name = other_name`."""
        pairs = []
        for statement in self.src.module.body:
            for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and isinstance(small.value, cst.Name):
                    value = small.value.value
                    pairs += [(t.target.value, value) for t in small.targets if isinstance(t.target, cst.Name)]
        return tuple(pairs)

    def call_args(self, component: Component) -> tuple[CallArg, ...]:
        """Arguments passed to this component's task factory in this module and in the other scanned files.
        Every file-parameter rule asks for each port, so the answer is kept per component."""
        found = self._call_args.get(id(component))
        if found is None:
            found = self._call_args[id(component)] = tuple(self._find_call_args(component))
        return found

    def _find_call_args(self, component: Component) -> Iterator[CallArg]:
        symbols = self._with_aliases(component.symbols)
        for call, enclosing in self.calls:
            if not (isinstance(call.func, cst.Name) and call.func.value in symbols):
                continue
            params = {p.name.value: p for p in all_params(enclosing)} if enclosing else {}
            names = bind_positionals(
                component, [(a.keyword.value if a.keyword else None, bool(a.star)) for a in call.args]
            )
            for arg, input_name in zip(call.args, names, strict=True):
                if input_name is not None:
                    kind = arg_kind(arg.value, set(params))
                    yield CallArg(input_name, kind, _value_type(arg.value, kind, params), arg.value)
        for other in self.src.foreign.calls_to(symbols):
            if other.keyword is not None:
                name: str | None = other.keyword
            else:
                name = bind_positionals(component, [(None, False)] * ((other.position or 0) + 1))[-1]
            if name is not None:
                yield CallArg(name, ArgKind[other.kind], other.value_type, None, other.caller)


def bind_positionals(component: Component, args: list[tuple[str | None, bool]]) -> list[str | None]:
    """The input each (keyword, starred) argument feeds: keywords by name, positionals as kfp 1 bound
    them, required inputs first (SOURCE K1 `_components._create_task_factory_from_component_spec`)."""
    inputs = [p for p in component.ports if not p.is_output]
    required = [p.v1_name for p in inputs if p.param.default is None]
    optional = [p.v1_name for p in inputs if p.param.default is not None]
    order = iter(required + optional if component.is_v1 else [p.name for p in inputs])
    names: list[str | None] = []
    for keyword, starred in args:
        if starred:
            names.append(None)
        elif keyword is not None:
            names.append(keyword)
        else:
            names.append(next(order, None))
    return names


def all_params(func: cst.FunctionDef) -> list[cst.Param]:
    return [*func.params.posonly_params, *func.params.params, *func.params.kwonly_params]


# kfp 1's pipeline parameter class (KFP322); kfp 2 has none.
PIPELINE_PARAM = frozenset({"kfp.dsl.PipelineParam", "kfp.dsl._pipeline_param.PipelineParam"})


def is_pipeline_param(module: KfpModule, expr: cst.BaseExpression | None) -> bool:
    """`dsl.PipelineParam` (however imported), or a `PipelineParam(...)` object: KFP322's to report."""
    if isinstance(expr, cst.Call):
        expr = expr.func
    return expr is not None and module.qualified(expr) in PIPELINE_PARAM


def implied_type(param: cst.Param) -> tuple[str, bool]:
    """The type a parameter's default implies (`str` without one), and whether that is a guess."""
    if param.default is None or isinstance(param.default, cst.FormattedString):
        return "str", False
    value = literal_value(param.default)
    if value is NOT_LITERAL:
        return "str", True
    return LITERAL_TYPES.get(type(value), "str"), False


def _value_type(value: cst.BaseExpression, kind: ArgKind, params: dict[str, cst.Param]) -> str | None:
    if kind in (ArgKind.CONSTANT, ArgKind.URI):
        return LITERAL_TYPES.get(type(literal_value(value)))
    if kind is ArgKind.PARAMETER and isinstance(value, cst.Name):
        param = params[value.value]
        annotation = param.annotation.annotation if param.annotation else None
        if annotation is None:
            implied, guessed = implied_type(param)
            return None if guessed else implied
        if isinstance(annotation, cst.Name) and annotation.value in LITERAL_TYPES.values():
            return annotation.value
    return None


def arg_kind(value: cst.BaseExpression, pipeline_params: set[str]) -> ArgKind:
    if isinstance(value, cst.SimpleString | cst.ConcatenatedString):
        literal = literal_value(value)
        return ArgKind.URI if isinstance(literal, str) and URI.match(literal) else ArgKind.CONSTANT
    if isinstance(value, cst.Integer | cst.Float | cst.List | cst.Dict | cst.Tuple | cst.UnaryOperation):
        return ArgKind.CONSTANT if literal_value(value) is not NOT_LITERAL else ArgKind.OTHER
    if isinstance(value, cst.Name):
        if value.value in ("True", "False", "None"):
            return ArgKind.CONSTANT
        return ArgKind.PARAMETER if value.value in pipeline_params else ArgKind.OTHER
    if isinstance(value, cst.Attribute) and value.attr.value == "output":
        return ArgKind.TASK_OUTPUT
    if (
        isinstance(value, cst.Subscript)
        and isinstance(value.value, cst.Attribute)
        and value.value.attr.value == "outputs"
    ):
        return ArgKind.TASK_OUTPUT
    return ArgKind.OTHER


NOT_LITERAL = object()
# Tokens whose code is their `value` when unparenthesized: no code generation needed.
_TOKENS = (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Name)


def literal_value(node: cst.BaseExpression | None) -> object:
    """The Python value of a literal expression, or `NOT_LITERAL`."""
    if node is None:
        return NOT_LITERAL
    code = _code(node)
    known = _LITERALS.get(code, _UNSEEN)
    if known is not _UNSEEN:
        return known
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError, TypeError):
        value = NOT_LITERAL  # the same answer for the same code: kept
    except (MemoryError, RecursionError):
        return NOT_LITERAL  # may depend on how deep the caller is: not kept
    if len(code) <= _KEPT_LENGTH and (value is NOT_LITERAL or type(value) in _SHAREABLE):
        if len(_LITERALS) >= _LITERALS_KEPT:
            _LITERALS.clear()
        _LITERALS[code] = value
    return value


# Rules evaluate the same few codes over and over (`str`, `None`, an image name in every task): `literal_eval`
# compiles each time. Only values no caller can change are kept (a list or dict is evaluated afresh), of short
# codes (the ones that repeat; a long text would hold memory), a bounded number of them.
_LITERALS: dict[str, object] = {}
_LITERALS_KEPT = 4096
_KEPT_LENGTH = 200
_UNSEEN = object()
_SHAREABLE = frozenset({str, bytes, int, float, complex, bool, type(None)})


def _code(node: cst.BaseExpression) -> str:
    if isinstance(node, _TOKENS) and not node.lpar and not node.rpar:
        return node.value
    return value_code(node)


def _callee(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.func if isinstance(expr, cst.Call) else expr


def _marker_of(module: KfpModule, annotation: cst.BaseExpression) -> tuple[str | None, bool, cst.BaseExpression | None]:
    """(marker, from kfp 1, type argument) for `InputPath('CSV')`, `Input[Dataset]`, `OutputTextFile()`, ..."""
    if isinstance(annotation, cst.Call):
        name = module.qualified(annotation.func) or ""
        head, _, marker = name.rpartition(".")
        args = [a for a in annotation.args if a.keyword is None or a.keyword.value == "type"]
        type_arg = args[0].value if args else None
        if marker in V1_MARKERS and head in V1_COMPONENT_MODULES:
            return marker, True, type_arg
        if marker in ("InputPath", "OutputPath") and head in V2_DSL_MODULES:
            return marker, False, type_arg
        return None, False, None
    if isinstance(annotation, cst.Subscript):
        name = module.qualified(annotation.value) or ""
        head, _, marker = name.rpartition(".")
        if marker in ("Input", "Output") and head in V2_DSL_MODULES and annotation.slice:
            element = annotation.slice[0].slice
            return marker, False, element.value if isinstance(element, cst.Index) else None
    return None, False, None


def type_text(node: cst.BaseExpression | None) -> str | None:
    if node is None:
        return None
    value = literal_value(node)
    if isinstance(value, str):
        return value
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node_code(node)


_ROLES = {
    "InputPath": Role.INPUT_FILE,
    "InputTextFile": Role.INPUT_FILE,
    "InputBinaryFile": Role.INPUT_FILE,
    "InputArtifact": Role.INPUT_FILE,
    "OutputPath": Role.OUTPUT_FILE,
    "OutputTextFile": Role.OUTPUT_FILE,
    "OutputBinaryFile": Role.OUTPUT_FILE,
    "OutputArtifact": Role.OUTPUT_FILE,
    "Input": Role.INPUT_ARTIFACT,
    "Output": Role.OUTPUT_ARTIFACT,
}


def _ports(module: KfpModule, component: Component) -> Iterator[Port]:
    """Ports in declaration order, with kfp 1's names (SOURCE K1 `_extract_component_interface`)."""
    seen: dict[bool, set[str]] = {True: set(), False: set()}
    params = component.func.params
    for index, param in enumerate([*params.posonly_params, *params.params, *params.kwonly_params]):
        annotation = param.annotation.annotation if param.annotation else None
        marker, v1_marker, type_arg = _marker_of(module, annotation) if annotation is not None else (None, False, None)
        role = _ROLES.get(marker or "", Role.VALUE)
        name = param.name.value
        v1_name = name
        if v1_marker and component.is_v1:
            if marker in ("InputPath", "OutputPath") and v1_name.endswith("_path"):
                v1_name = v1_name[: -len("_path")]
            if v1_name.endswith("_file"):
                v1_name = v1_name[: -len("_file")]
        is_output = role in (Role.OUTPUT_FILE, Role.OUTPUT_ARTIFACT)
        v1_name = _unique(v1_name, seen[is_output])
        seen[is_output].add(v1_name)
        yield Port(param, index, role, marker, v1_marker, type_text(type_arg), v1_name)


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    index = 2
    while f"{name}_{index}" in taken:
        index += 1
    return f"{name}_{index}"


class _Collector(cst.CSTVisitor):
    """One pass: imports, module-level functions, every function, calls with their enclosing function."""

    def __init__(self, src: PythonSource) -> None:
        self.src = src
        self.bindings: dict[str, ImportBinding] = {}
        self.imports: list[ImportBinding] = []
        self.functions: dict[str, cst.FunctionDef] = {}
        self.all_functions: list[cst.FunctionDef] = []
        self.calls: list[tuple[cst.Call, cst.FunctionDef | None]] = []
        self.assignments: dict[cst.Call, tuple[str, ...]] = {}
        self.future_annotations: cst.ImportFrom | None = None
        self.defined_names: set[str] = set()  # module-level names bound by def, class or assignment
        self._functions: list[cst.FunctionDef] = []
        self._classes = 0

    def _bind(self, local: str, qualified: str, statement: cst.Import | cst.ImportFrom, alias: cst.ImportAlias) -> None:
        binding = ImportBinding(local, qualified, statement, alias, not self._functions and not self._classes)
        self.imports.append(binding)
        if binding.top_level:
            self.bindings[local] = binding

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, full, node, alias)
            else:
                self._bind(full.split(".")[0], full.split(".")[0], node, alias)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = _dotted(node.module)
        for alias in node.names:
            name = _dotted(alias.name)
            if module == "__future__" and name == "annotations":
                self.future_annotations = node
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self._bind(local, f"{module}.{name}", node, alias)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self._functions and not self._classes:
            self.defined_names.add(node.name.value)
        self._classes += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._functions and not self._classes:
            self.functions[node.name.value] = node
            self.defined_names.add(node.name.value)
        self.all_functions.append(node)
        self._functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((node, self._functions[-1] if self._functions else None))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if not self._functions and not self._classes and isinstance(node.target, cst.Name):
            self.defined_names.add(node.target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call):
            names = tuple(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
            self.assignments[node.value] = names


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def kfp_module(src: PythonSource) -> KfpModule:
    """The module's KFP facts, computed once per parse."""
    found = src.cache.get("kfp_module")
    if not isinstance(found, KfpModule):
        found = src.cache["kfp_module"] = KfpModule(src)
    return found


def ports_of(components: Sequence[Component]) -> Iterator[tuple[Component, Port]]:
    for component in components:
        for port in component.ports:
            yield component, port
