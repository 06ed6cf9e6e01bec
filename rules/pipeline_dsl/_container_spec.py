"""What a v1 `dsl.ContainerOp(...)` call becomes: a `@dsl.container_component` and a call of it (KFP301).

v1 turned every `command`/`arguments` item into a string (`str(item)`, SOURCE K1 `dsl/_container_op.py:
as_string_list`), pipeline parameters and task outputs included (`{{inputs.parameters.x}}`, passed by value).
A container component reads its inputs through placeholders that behave the same in `str()`, f-strings,
`%` and `.format` (verified), so the lists are copied as written, with every value of the enclosing
function made an input of the new component. Semantics: ../shared/docs/kfp-semantics.md §5, P31a.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from migrate.model import Edit
from migrate.python_source import PythonSource, node_code
from migrate.python_tree import walk
from rules._python import NOT_LITERAL, PYTHON_PARAMETER_TYPES, KfpModule, all_params, implied_type, literal_value
from rules._yaml import PARAMETER_TYPES
from rules.pipeline_dsl._modifiers import bind
from rules.pipeline_dsl._wiring import Nature, wiring
from rules.pipeline_dsl.removed import pipeline_functions

# kfp 1.8.22 `ContainerOp.__init__` parameters, in order (SOURCE K1 `dsl/_container_op.py`).
SIGNATURE = (
    "name",
    "image",
    "command",
    "arguments",
    "init_containers",
    "sidecars",
    "container_kwargs",
    "artifact_argument_paths",
    "file_outputs",
    "output_artifact_paths",
    "is_exit_handler",
    "pvolumes",
)
UNSUPPORTED = {
    "init_containers": "init containers have no kfp 2 equivalent",
    "sidecars": "sidecars have no kfp 2 equivalent",
    "container_kwargs": "`container_kwargs` sets Kubernetes container fields a container component cannot declare",
    "artifact_argument_paths": (
        "`artifact_argument_paths` places input files at fixed paths; declare `dsl.Input[...]` inputs instead"
    ),
    "output_artifact_paths": "`output_artifact_paths` are artifact outputs; declare `dsl.Output[...]` outputs instead",
    "pvolumes": (
        "`pvolumes` mounts volumes (and `task.pvolume` chains them); mount them with `kfp.kubernetes.mount_pvc`"
    ),
}
# v1 moved these `file_outputs` to UI artifacts (SOURCE K1 `dsl/_container_op.py:_is_legacy_output_name`).
LEGACY_OUTPUTS = frozenset({"mlpipeline-ui-metadata", "mlpipeline-metrics"})
_SIMPLE_TYPES = frozenset(PYTHON_PARAMETER_TYPES.values())


class Blocked(Exception):
    """The op cannot be rewritten mechanically; the message says why."""


@dataclass
class Param:
    """One input of the new component: its name, annotation and what the call passes to it."""

    name: str
    annotation: str
    value: str
    guessed: bool = False


@dataclass
class Plan:
    """The rewrite of one `ContainerOp(...)` call."""

    call: cst.Call
    anchor: int  # where the component is inserted: the start of the top-level statement holding the call
    base_name: str
    display: str  # the text of `name=`, for `set_display_name` when kfp 2 would name the task differently
    name_literal: str | None
    inputs: list[Param] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (output name, file path)
    image: str = ""
    command: str | None = None
    args: str | None = None
    component: str = ""  # the final, unique function name

    @property
    def guessed(self) -> list[str]:
        return [p.name for p in self.inputs if p.guessed]


def sanitize(name: str) -> str:
    """A snake_case Python name for `name` (`GCS - Download` -> `gcs_download`, `TrainOp` -> `train_op`)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    snake = re.sub(r"[^a-z0-9]+", "_", snake).strip("_")
    if not snake:
        return "container_op"
    if snake[0].isdigit():
        snake = "op_" + snake
    return snake + "_" if keyword.iskeyword(snake) else snake


# --- local names -----------------------------------------------------------------------------------------


class _Bindings(cst.CSTVisitor):
    """Names a function binds (parameters, assignments, loop and `with` targets), with assigned values."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.values: dict[str, list[cst.BaseExpression | None]] = {}
        self.globals: set[str] = set()

    def _target(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
            self.values.setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._target(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self._target(target.value, None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._target(node.name, None)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._target(node.name, None)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._target(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        # `for i in range(n)` binds ints: known, so the new input is typed `int`.
        iterated = node.iter
        ranged = (
            isinstance(iterated, cst.Call) and isinstance(iterated.func, cst.Name) and iterated.func.value == "range"
        )
        self._target(node.target, cst.Integer("0") if ranged else None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._target(node.asname.name, None)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._target(node.name.name, None)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        name = node.asname.name if node.asname else node.name
        if isinstance(name, cst.Name):
            self._target(name, None)
        elif isinstance(name, cst.Attribute):
            base: cst.BaseExpression = name
            while isinstance(base, cst.Attribute):
                base = base.value
            self._target(base, None)

    def visit_Global(self, node: cst.Global) -> None:
        self.globals.update(n.name.value for n in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.globals.update(n.name.value for n in node.names)


@dataclass(frozen=True)
class Scope:
    func: cst.FunctionDef
    params: dict[str, cst.Param]
    names: frozenset[str]
    values: dict[str, list[cst.BaseExpression | None]]


def scopes_of(src: PythonSource, node: cst.CSTNode) -> list[Scope]:
    """The functions enclosing `node`, innermost first, with the names each binds."""
    found: list[Scope] = []
    parent = src.parents.get(node)
    while parent is not None:
        if isinstance(parent, cst.FunctionDef):
            key = f"pipeline_dsl.container_spec.scope:{id(parent)}"
            scope = src.cache.get(key)
            if not isinstance(scope, Scope):
                visitor = _Bindings()
                if isinstance(parent.body, cst.IndentedBlock):
                    for statement in parent.body.body:
                        src.walk(statement, visitor)
                else:
                    src.walk(parent.body, visitor)
                params = {p.name.value: p for p in all_params(parent)}
                for star in (parent.params.star_arg, parent.params.star_kwarg):
                    if isinstance(star, cst.Param):
                        params[star.name.value] = star
                names = (visitor.names | set(params)) - visitor.globals
                scope = src.cache[key] = Scope(parent, params, frozenset(names), visitor.values)
            found.append(scope)
        parent = src.parents.get(parent)
    return found


def local_names(scopes: Sequence[Scope]) -> set[str]:
    return {name for scope in scopes for name in scope.names}


def top_statement(src: PythonSource, node: cst.CSTNode) -> cst.CSTNode:
    """The module-level statement that holds `node`."""
    current: cst.CSTNode = node
    parent = src.parents.get(current)
    while parent is not None and not isinstance(parent, cst.Module):
        current, parent = parent, src.parents.get(parent)
    return current


def insertion_point(src: PythonSource, statement: cst.CSTNode) -> int:
    """The start of the module-level statement's line, above the comment lines that sit right on top of it:
    its own (LibCST gives the first statement's to the module's header, and deeper ones to the block before).
    Read from the text, the same on a quick tree (which does not know the comments) as on LibCST's."""
    decorators = getattr(statement, "decorators", ())
    line = src.position(src.span(decorators[0] if decorators else statement)[0])[0]
    if statement is not src.module.body[0]:
        while line > 1 and src.text.startswith("#", src.line_starts[line - 2]):
            line -= 1
    return src.line_starts[line - 1]


# --- values used by the op --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A value of the enclosing function used by the op: a name, `t.output` or `t.outputs['k']`."""

    node: cst.BaseExpression
    root: str  # the local name
    key: str | None = None  # output key; `""` for `.output`; None for a plain name


class _Refs(cst.CSTVisitor):
    def __init__(self, local: set[str]) -> None:
        self.local = local
        self.found: list[Ref] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node.attr.value == "output" and isinstance(node.value, cst.Name) and node.value.value in self.local:
            self.found.append(Ref(node, node.value.value, ""))
            return False
        walk(node.value, self)
        return False

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        base = node.value
        if (
            isinstance(base, cst.Attribute)
            and base.attr.value == "outputs"
            and isinstance(base.value, cst.Name)
            and base.value.value in self.local
            and len(node.slice) == 1
            and isinstance(node.slice[0].slice, cst.Index)
        ):
            key = literal_value(node.slice[0].slice.value)
            if isinstance(key, str):
                self.found.append(Ref(node, base.value.value, key))
                return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.local:
            self.found.append(Ref(node, node.value))

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return True


def refs_in(node: cst.CSTNode, local: set[str]) -> list[Ref]:
    finder = _Refs(local)
    walk(node, finder)
    return finder.found


_NON_S_CONVERSION = re.compile(r"%(?!s)")


def _is_str_call(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "str"


def _is_format_call(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format"


def accepted_place(src: PythonSource, ref: Ref, top: cst.CSTNode) -> bool:
    """Whether a placeholder works where the value sits: an item of the list itself, `str(v)`, `f'{v}'`,
    `'%s' % v`, `'{}'.format(v)` (kfp 2 placeholders format as their placeholder string there; `'a' + v`
    raised in v1 and raises in kfp 2)."""
    node: cst.CSTNode = ref.node
    parent = src.parents.get(node)
    if node is top or (isinstance(parent, cst.Element) and src.parents.get(parent) is top):
        return True
    if isinstance(parent, cst.FormattedStringExpression):
        return True
    if isinstance(parent, cst.Arg):
        call = src.parents.get(parent)
        return (_is_str_call(call) and parent.keyword is None) or _is_format_call(call)
    if isinstance(parent, cst.Element) and isinstance(src.parents.get(parent), cst.Tuple):
        node = src.parents[parent]
        parent = src.parents.get(node)
    if not (isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Modulo)):
        return False
    # A placeholder formats only through `%s` (`%d` raises `TypeError: %d format: a real number is required`).
    template = literal_value(parent.left)
    return (
        parent.right is node and isinstance(template, str) and not _NON_S_CONVERSION.search(template.replace("%%", ""))
    )


def is_stringy(node: cst.BaseExpression, refs: set[cst.CSTNode]) -> bool:
    """The item is a string (or a placeholder) as written, so it needs no `str(...)`."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString) or node in refs:
        return True
    if _is_str_call(node):
        return True
    if _is_format_call(node):
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        return is_stringy(node.func.value, refs)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo | cst.Add):
        return is_stringy(node.left, refs) or (isinstance(node.operator, cst.Add) and is_stringy(node.right, refs))
    return False


# --- types ----------------------------------------------------------------------------------------------


def _annotation_type(annotation: cst.BaseExpression) -> str | None:
    text = annotation.value if isinstance(annotation, cst.Name) else literal_value(annotation)
    if not isinstance(text, str):
        return None
    if text in _SIMPLE_TYPES:
        return text
    kfp2 = PARAMETER_TYPES.get(text.lower())
    return PYTHON_PARAMETER_TYPES.get(kfp2) if kfp2 else None


def _literal_type(node: cst.BaseExpression | None) -> str | None:
    value = literal_value(node)
    if value is NOT_LITERAL or value is None:
        return None
    return {bool: "bool", int: "int", float: "float", str: "str", dict: "dict", list: "list"}.get(type(value))


def param_type(module: KfpModule, func: cst.FunctionDef, param: cst.Param, depth: int = 0) -> str | None:
    """The type a function's parameter carries: its annotation; for a pipeline, what KFP201 annotates; for
    a helper, what every caller in the module passes (with its default). None when unknown."""
    if param.annotation is not None:
        return _annotation_type(param.annotation.annotation)
    if func in module.pipelines or func.name.value in pipeline_functions(module):
        chosen, guessed = implied_type(param)
        return None if guessed else chosen
    seen: set[str] = set()
    if param.default is not None:
        default = _literal_type(param.default)
        if default is None:
            return None
        seen.add(default)
    names = [p.name.value for p in all_params(func)]
    callers = 0
    for call, caller in module.calls:
        if not (isinstance(call.func, cst.Name) and call.func.value == func.name.value):
            continue
        callers += 1
        bound = bind(call.args, names)
        if bound is None:
            return None
        arg = bound.get(param.name.value)
        if arg is None:
            continue
        found = value_type(module, arg.value, caller, depth + 1)
        if found is None:
            return None
        seen.add(found)
    return seen.pop() if callers and len(seen) == 1 else None


def value_type(
    module: KfpModule, value: cst.BaseExpression, func: cst.FunctionDef | None, depth: int = 0
) -> str | None:
    """The type of an argument expression: a literal's, a parameter's, `str` for a task output."""
    literal = _literal_type(value)
    if literal is not None:
        return literal
    if isinstance(value, cst.Attribute) and value.attr.value == "output":
        return "str"
    if (
        isinstance(value, cst.Subscript)
        and isinstance(value.value, cst.Attribute)
        and value.value.attr.value == "outputs"
    ):
        return "str"
    if isinstance(value, cst.Name) and func is not None and depth < 4:
        params = {p.name.value: p for p in all_params(func)}
        if value.value in params:
            return param_type(module, func, params[value.value], depth)
    return None


def name_type(module: KfpModule, name: str, scopes: Sequence[Scope]) -> str | None:
    """The type of a local name used by the op, from where the innermost function binds it."""
    for scope in scopes:
        if name not in scope.names:
            continue
        if name in scope.params:
            return param_type(module, scope.func, scope.params[name])
        values = scope.values.get(name, [None])
        types = {_literal_type(v) for v in values}
        return types.pop() if len(types) == 1 else None
    return None


def output_type(src: PythonSource, ref: Ref, scopes: Sequence[Scope]) -> str:
    """`str` for a task output, or the parameter type its component declares; raises for an artifact."""
    tasks = wiring(src).tasks.get(scopes[0].func, {}) if scopes else {}
    interface = tasks.get(ref.root)
    if interface is None:
        return "str"
    slot = interface.output_for(ref.key) if ref.key else (interface.outputs[0] if len(interface.outputs) == 1 else None)
    if slot is None or slot.nature is None:
        return "str"
    if slot.nature is Nature.ARTIFACT:
        raise Blocked(
            f"`{code_of(ref.node)}` is an artifact in kfp 2, which a parameter input cannot take; v1 passed "
            "its content by value"
        )
    return PYTHON_PARAMETER_TYPES.get(slot.type, "str")


# --- text -----------------------------------------------------------------------------------------------


def code_of(node: cst.CSTNode) -> str:
    return node_code(node, as_written=False)


def render(src: PythonSource, node: cst.CSTNode, edits: Sequence[Edit]) -> str:
    """The node's source text with `edits` (absolute offsets inside it) applied."""
    start, end = src.span(node)
    text = src.text[start:end]
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start - start] + edit.text + text[edit.end - start :]
    return text


def reindent(text: str, old: str, new: str) -> str:
    """Move continuation lines from indent `old` to `new` (not inside multi-line strings)."""
    lines = text.splitlines(keepends=True)
    out = [lines[0]] if lines else []
    for line in lines[1:]:
        out.append(new + line[len(old) :] if line.startswith(old) else line)
    return "".join(out)


def has_multiline_string(node: cst.CSTNode) -> bool:
    finder = _MultilineStrings()
    walk(node, finder)
    return finder.found


class _MultilineStrings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.found = self.found or "\n" in node.value or "\r" in node.value

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self.found = self.found or any(
            isinstance(p, cst.FormattedStringText) and ("\n" in p.value or "\r" in p.value) for p in node.parts
        )


def _positional(index: int) -> str:
    return "$0" if index == 0 else "${" + str(index) + "}"


_SH_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+\Z")


def sh_quote(text: str) -> str:
    if _SH_SAFE.match(text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def output_script(paths: Sequence[str]) -> str:
    """Run the command (`"$@"`), then write each file in `paths` to the output file passed as `$0`, `$1`...,
    minus one trailing newline: Argo trimmed one from v1 output parameters (`strings.TrimSuffix(output,
    "\\n")` in its executor), the kfp 2 launcher keeps a STRING file as it is (`metadata.TextToPbValue`).
    `-e` fails the task when the command fails or a file is missing, as v1 did."""
    steps = [f"kfp_out{i}={_positional(i)}" for i in range(len(paths))]
    if len(paths) > 1:
        steps.append(f"shift {len(paths) - 1}")
    steps += ['"$@"', "nl=$(printf '\\nx')", "nl=${nl%x}"]
    for i, path in enumerate(paths):
        steps += [
            f"v=$(cat {sh_quote(path)} && echo x)",
            "v=${v%x}",
            f'mkdir -p "$(dirname "$kfp_out{i}")"',
            f'printf \'%s\' "${{v%"$nl"}}" > "$kfp_out{i}"',
        ]
    return "; ".join(steps)


def merge(edits: Sequence[Edit]) -> list[Edit]:
    """The edits of one fix with every insertion that touches a neighbour folded into it: the engine
    refuses a fix whose own edits touch (an import line deleted where new import lines go, a component
    inserted where a module-level call starts)."""
    merged: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        last = merged[-1] if merged else None
        if last is not None and last.start == last.end == edit.start:
            merged[-1] = Edit(edit.start, edit.end, last.text + edit.text)
        elif last is not None and edit.start == edit.end == last.end:
            merged[-1] = Edit(last.start, last.end, last.text + edit.text)
        else:
            merged.append(edit)
    return merged
