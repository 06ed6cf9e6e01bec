"""The one rewrite of a v1 file parameter into kfp 2 form, shared by every rule that finds one.

kfp 1 named a file parameter's input/output after the parameter minus `_path`/`_file`; kfp 2 uses the
parameter name as is (kfp-semantics.md §4.1, §4.2). The rewrite gives the parameter kfp 1's name, so
callers and the component interface do not change, and binds the old name as the body's first
statement, so the body does not change either: `data_path = data.path`.
"""

from __future__ import annotations

import bisect
import keyword
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from migrate.model import Edit, FixSafety
from migrate.python_tree import Tree, walk
from rules._python import PYTHON_PARAMETER_TYPES, ArgKind, CallArg, Component, KfpModule, Port, Role
from rules.py_components._edits import Imports, body_indent, code, prologue, replace

_OPEN_MODES = {
    "InputTextFile": "rt",
    "InputBinaryFile": "rb",
    "OutputTextFile": "wt",
    "OutputBinaryFile": "wb",
}
VALUE_FEEDS = frozenset({ArgKind.CONSTANT, ArgKind.PARAMETER})


@dataclass(frozen=True)
class Plan:
    """What a file parameter becomes, and whether that needs a human (safety NONE: `reason` says why)."""

    kind: str  # artifact | output-artifact | output-parameter | value | importer | human
    safety: FixSafety
    reason: str = ""
    feeds: tuple[CallArg, ...] = field(default=())


def feeds(module: KfpModule, component: Component, port: Port) -> tuple[CallArg, ...]:
    return tuple(a for a in module.call_args(component) if a.input_name == port.v1_name)


def plan(module: KfpModule, component: Component, port: Port) -> Plan:
    """Decide the kfp 2 form of a file parameter from its marker, its type and what callers pass."""
    blocked = rename_blocked(module, component, port)
    if blocked:
        return Plan("human", FixSafety.NONE, blocked)
    if port.is_output:
        kind = "output-parameter" if port.parameter_type else "output-artifact"
        return Plan(kind, FixSafety.SAFE)
    args = feeds(module, component, port)
    kinds = {a.kind for a in args}
    if port.parameter_type:
        return Plan("value", FixSafety.UNSAFE, feeds=args)
    if kinds and kinds <= VALUE_FEEDS:
        return Plan("value", FixSafety.UNSAFE, feeds=args)
    if kinds == {ArgKind.URI}:
        if not all(a.local for a in args):
            return Plan("human", FixSafety.NONE, "callers in other files pass URIs: feed them `dsl.importer`", args)
        return Plan("importer", FixSafety.UNSAFE, feeds=args)
    if kinds & (VALUE_FEEDS | {ArgKind.URI}):
        return Plan("human", FixSafety.NONE, "no one rewrite fits every caller", args)
    return Plan("artifact", FixSafety.SAFE, feeds=args)


def rename_blocked(module: KfpModule, component: Component, port: Port) -> str:
    """Why the parameter cannot take kfp 1's name, or ''."""
    new = port.v1_name
    if port.name == new:
        return ""
    stripped = port.name.removesuffix("_path") if port.marker in ("InputPath", "OutputPath") else port.name
    stripped = stripped.removesuffix("_file")
    if new != stripped:
        return f"kfp 1 named it `{new}` to avoid a clash; rename by hand"
    if not new.isidentifier() or keyword.iskeyword(new) or new == "Output":
        return f"kfp 1 named it `{new}`, which cannot be a kfp 2 parameter name"
    if any(p.name == new for p in component.ports):
        return f"another parameter is already called `{new}`"
    if _free_in_body(module.src.tree, component.func, new):
        return f"the body reads a global or builtin `{new}`, which the renamed parameter would hide"
    return ""


def _free_in_body(tree: Tree, func: cst.FunctionDef, name: str) -> bool:
    if not _read_below(tree, func.body, name):
        return False  # most bodies, found from the tree's index without a visit
    finder = _NameUse(name)
    walk(func.body, finder)
    return finder.read and not finder.bound


def _read_below(tree: Tree, node: cst.CSTNode, name: str) -> bool:
    """Whether `_NameUse` would find `name` read below `node`: a `Name` so spelled, other than a keyword or an
    attribute's name (the only names its visit skips). True for a node not in `tree`: not known."""
    start = tree.number.get(id(node))
    if start is None or tree.nodes[start] is not node:
        return True
    nodes: list[Any] = tree.nodes  # untyped: no `cast` call for each name
    numbers = tree.of_name.get("Name", [])
    for i in numbers[bisect.bisect_left(numbers, start) : bisect.bisect_left(numbers, tree.ends[start])]:
        found = nodes[i]
        if found.value != name:
            continue
        holder = nodes[tree.parent[i]]
        kind = type(holder)
        if not (kind is cst.Arg and holder.keyword is found) and not (kind is cst.Attribute and holder.attr is found):
            return True
    return False


class _NameUse(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name, self.read, self.bound = name, False, False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.read = True

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)  # `f(data=x)`: the keyword is not a read of `data`
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)  # `x.data` neither
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._binds(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._binds(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._binds(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._binds(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._binds(node.name)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None and isinstance(node.name, cst.Name):
            self._binds(node.name)

    def _binds(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name) and target.value == self.name:
            self.bound = True
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._binds(element.value)


def edits(module: KfpModule, component: Component, chosen: list[tuple[Port, Plan]]) -> list[Edit] | None:
    """One fix's edits for several parameters of a component: their names and annotations, one block of
    first statements in signature order, the imports they need. None when the body cannot take them."""
    imports = Imports(module)
    out: list[Edit] = []
    first: list[str] = []
    for port, plan_ in sorted(chosen, key=lambda pair: pair[0].index):
        made = _port_edits(module, component, port, plan_, imports, first)
        if made is None:
            return None
        out += made
    if first:
        if body_indent(module.src, component.func) is None:
            return None
        lowest = min(port.index for port, _ in chosen)
        earlier = {p.v1_name for p in component.ports if p.index < lowest}
        earlier |= {f"_{name}_file" for name in earlier}
        body = prologue(module.src, component.func, first, frozenset(earlier), order=lowest)
        if body is None:
            return None
        out.append(body)
    return out + imports.edits()


def _port_edits(
    module: KfpModule, component: Component, port: Port, chosen: Plan, imports: Imports, first: list[str]
) -> list[Edit] | None:
    """Edits of one parameter; its first statements are appended to `first`."""
    new, old = port.v1_name, port.name
    default_none = port.param.default is not None
    if chosen.kind in ("artifact", "importer"):
        annotation = f"{imports.ref('kfp.dsl.Input')}[{imports.ref('kfp.dsl.' + port.artifact_class)}]"
        first.append(_bind(old, _opened(f"{new}.path", port), new, default_none))
    elif chosen.kind == "output-artifact":
        annotation = f"{imports.ref('kfp.dsl.Output')}[{imports.ref('kfp.dsl.' + port.artifact_class)}]"
        first.append(f"{old} = {_opened(f'{new}.path', port)}")
    elif chosen.kind == "output-parameter":
        annotation = f"{imports.ref('kfp.dsl.OutputPath')}({_type_source(port)})"
        if old != new or port.marker in _OPEN_MODES:
            first.append(f"{old} = {_opened(new, port)}")
    elif chosen.kind == "value" and not default_none:
        annotation = _value_type(port, chosen.feeds)
        written = _value_to_file(module, component, port, annotation, "import tempfile" in first)
        if written is None:
            return None
        first += written
    else:
        return None
    out: list[Edit] = []
    if new != old:
        out.append(replace(module.src, port.param.name, new))
    assert port.param.annotation is not None
    out.append(replace(module.src, port.param.annotation.annotation, annotation))
    if chosen.kind == "importer":
        for arg in chosen.feeds:
            assert arg.value is not None
            importer = (
                f"{imports.ref('kfp.dsl.importer')}(artifact_uri={code(arg.value)}, "
                f"artifact_class={imports.ref('kfp.dsl.' + port.artifact_class)}).output"
            )
            out.append(replace(module.src, arg.value, importer))
    return out


def _value_type(port: Port, args: tuple[CallArg, ...]) -> str:
    """The marker's parameter type, else the one type every constant caller passes, else `str`."""
    if port.parameter_type:
        return PYTHON_PARAMETER_TYPES[port.parameter_type]
    types = {a.value_type for a in args if a.kind in VALUE_FEEDS}
    return (types.pop() or "str") if len(types) == 1 else "str"


def _bind(old: str, expression: str, new: str, optional: bool) -> str:
    if optional:
        return f"{old} = {expression} if {new} is not None else None"
    return f"{old} = {expression}"


def _opened(path: str, port: Port) -> str:
    mode = _OPEN_MODES.get(port.marker or "")
    return f'open({path}, "{mode}")' if mode else path


def _type_source(port: Port) -> str:
    assert port.param.annotation is not None
    annotation = port.param.annotation.annotation
    if isinstance(annotation, cst.Call) and annotation.args:
        return code(annotation.args[0].value)
    return ""


def _value_to_file(
    module: KfpModule, component: Component, port: Port, value_type: str, has_tempfile: bool
) -> list[str] | None:
    """Lines writing the value to a temporary file as kfp 1 did (SOURCE K1 `_data_passing.serialize_value`)."""
    indent = body_indent(module.src, component.func)
    if indent is None:
        return None
    step = indent[1]
    new, old = port.v1_name, port.name
    handle = f"_{new}_file"
    if value_type == "str":
        text = new
    elif value_type in ("dict", "list"):
        text = f"json.dumps({new})"
    else:
        text = f"str({new})"
    lines = [] if has_tempfile or _imports_tempfile(component.func) else ["import tempfile"]
    if value_type in ("dict", "list"):
        lines.append("import json")
    lines += [
        f'with tempfile.NamedTemporaryFile("w", delete=False) as {handle}:',
        f"{step}{handle}.write({text})",
    ]
    mode = _OPEN_MODES.get(port.marker or "")
    lines.append(f'{old} = open({handle}.name, "{mode}")' if mode else f"{old} = {handle}.name")
    return lines


def _imports_tempfile(func: cst.FunctionDef) -> bool:
    body = func.body
    return isinstance(body, cst.IndentedBlock) and any(
        isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1 and code(s.body[0]) == "import tempfile"
        for s in body.body
    )


def is_v1_file_port(port: Port) -> bool:
    return port.v1_marker and port.role in (Role.INPUT_FILE, Role.OUTPUT_FILE)


def primary_code(module: KfpModule, component: Component, port: Port) -> str | None:
    """The one rule that reports this parameter, so a parameter gets one finding, not four."""
    if port.role is Role.INPUT_FILE and port.parameter_type:
        return "KFP204"
    if not port.v1_marker:
        return None
    if not port.is_output and {a.kind for a in feeds(module, component, port)} & (VALUE_FEEDS | {ArgKind.URI}):
        return "KFP217"
    if port.marker in _OPEN_MODES:
        return "KFP205"
    if port.name != port.v1_name:
        return "KFP203"
    return "KFP206"
