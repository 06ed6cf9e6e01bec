"""Reading a LibCST tree fast: a node's children, a module's nodes numbered with their parents, and visits.

LibCST's own traversals are slow for reading: `node.visit(...)`, `node.children` and its parent provider
rebuild (and re-validate) every node they pass. These read the nodes' fields directly, in the order LibCST
visits them, and give the same children, parents and visitor calls (tests/test_python_source.py).
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any

import libcst as cst

from migrate.unknown_whitespace import uncounted

# --- children in LibCST's order ---------------------------------------------------------------------------

# The fields each node class visits, in visiting order; None where a field is visited only sometimes
# (`FormattedStringExpression.format_spec`), whose nodes then fall back to LibCST's `children`.
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...] | None] = {}
# What a visited field's value is, by its class: 0 nothing (None, MaybeSentinel), 1 a node, 2 a sequence.
# Looked up by class because `isinstance(value, CSTNode)` goes through `ABCMeta` and is slow.
_VALUE_KIND: dict[type, int] = {type(None): 0, cst.MaybeSentinel: 0, tuple: 2, list: 2}


class _FieldOrder(cst.CSTVisitor):
    """Records the fields `_visit_and_replace_children` visits: LibCST announces each one, even when empty."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        pass

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


def _child_fields(node: cst.CSTNode) -> tuple[str, ...] | None:
    probe = _FieldOrder()
    # A quick tree's whitespace may not validate: the fields are visited before the node is rebuilt. (Only the
    # names of the fields count, the same on every tree: its reads of whitespace are not.)
    with uncounted(), contextlib.suppress(cst.CSTValidationError):
        node._visit_and_replace_children(probe)
    fields = tuple(dict.fromkeys(probe.fields))
    # A field the method names but this node did not visit is visited conditionally: order unknown.
    named = {f.name for f in dataclasses.fields(node)}
    constants = type(node)._visit_and_replace_children.__code__.co_consts
    skipped = {c for c in constants if isinstance(c, str) and c in named} - set(fields)
    found = _CHILD_FIELDS[type(node)] = None if skipped else fields
    return found


def _value_kind(value: object) -> int:
    kind = 1 if isinstance(value, cst.CSTNode) else 2 if isinstance(value, Sequence) else 0
    _VALUE_KIND[type(value)] = kind
    return kind


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node.children`: the same nodes in the same order, without rebuilding the node."""
    try:
        fields = _CHILD_FIELDS[type(node)]
    except KeyError:
        fields = _child_fields(node)
    if fields is None:
        return list(node.children)
    found: list[cst.CSTNode] = []
    for name in fields:
        value = getattr(node, name)
        kind = _VALUE_KIND.get(type(value))
        if kind is None:
            kind = _value_kind(value)
        if kind == 1:
            found.append(value)
        elif kind == 2:
            found.extend(value)
    return found


def descendants(node: cst.CSTNode, whitespace: bool = False) -> Iterator[cst.CSTNode]:
    """`node` and every node below it, in the order LibCST visits them; whitespace only with `whitespace`."""
    below = children if whitespace else kids
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(below(current)))


def kids(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`children(node)` but whitespace, newlines and comments: the fields holding them are not read (a quick
    tree's stand-ins count reads, `migrate.unknown_whitespace`)."""
    kind = type(node)
    return (_KIDS.get(kind) or _kids_of(kind, node))(node)


def _kids_by_visit(node: cst.CSTNode) -> list[cst.CSTNode]:
    with uncounted():  # whitespace is visited, but only to be left out
        return [kid for kid in node.children if type(kid) not in _NOT_NODES]


# Whitespace, newlines and comments: over half of a module's nodes, with only more of them below, and no rule
# visits them. The tree leaves them out; the rare question about one takes the slow, complete way.
_WHITESPACE = frozenset(
    {cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline, cst.Comment}
)
_WHITESPACE_NAMES = frozenset(cls.__name__ for cls in _WHITESPACE)
_SMALL = 24  # subtrees below this many (numbered) nodes are walked node by node


# Per node class: its children that are no whitespace, in visiting order. Generated from the fields the class
# visits (`_child_fields`): fields whose declared type is whitespace are left out unread.
_KIDS: dict[type, Callable[[cst.CSTNode], list[cst.CSTNode]]] = {}
_NOT_NODES = frozenset({*_WHITESPACE, type(None), cst.MaybeSentinel})


def declares_whitespace(annotation: str) -> bool:
    """Whether a LibCST node field's declared type (as text) holds whitespace: spaces, lines, comments."""
    return any(word in annotation for word in ("Whitespace", "EmptyLine", "Newline", "Comment"))


def _node_fields(kind: type[cst.CSTNode], node: cst.CSTNode) -> tuple[str, ...] | None:
    """The fields of `kind` LibCST visits, in order, but those declared to hold whitespace; None where the
    order is not known (`_child_fields`). What the generated `_KIDS` and `_NUMBER` functions read."""
    fields = _CHILD_FIELDS[kind] if kind in _CHILD_FIELDS else _child_fields(node)
    if fields is None:
        return None
    declared = {field.name: str(field.type) for field in dataclasses.fields(node)}
    return tuple(name for name in fields if not declares_whitespace(declared[name]))


def _kids_of(kind: type[cst.CSTNode], node: cst.CSTNode) -> Callable[[cst.CSTNode], list[cst.CSTNode]]:
    fields = _node_fields(kind, node)
    if fields is None:
        _KIDS[kind] = _kids_by_visit
        return _kids_by_visit
    lines = ["def kids(node):", "    found = []"]
    for name in fields:
        lines += [
            f"    value = node.{name}",
            "    if type(value) is tuple or type(value) is list:",
            "        found += [kid for kid in value if type(kid) not in NOT_NODES]",
            "    elif type(value) not in NOT_NODES:",
            "        found.append(value)",
        ]
    lines.append("    return found")
    namespace: dict[str, object] = {"NOT_NODES": _NOT_NODES}
    exec("\n".join(lines), namespace)  # the code names only LibCST's own fields
    _KIDS[kind] = namespace["kids"]  # type: ignore[assignment]
    return _KIDS[kind]


# Numbering a tree, a function per node class (generated like `_KIDS`) numbers a node and calls those of its
# children's classes: a third faster than a loop over `kids` lists. They share one namespace, which holds
# the tree being numbered, so only one thread numbers at a time.
_NUMBERING: dict[str, Any] = {"NOT_NODES": _NOT_NODES}
_NUMBER: dict[type, Callable[[cst.CSTNode, int], None]] = _NUMBERING.setdefault("NUMBER", {})
_NUMBERING_LOCK = threading.Lock()


def _number_recursively(tree: Tree, of_class: dict[type, list[int]]) -> None:
    numbering = {
        "nodes": tree.nodes,
        "ends": tree.ends,
        "number": tree.number,
        "of_class": of_class,
        "add_node": tree.nodes.append,
        "add_end": tree.ends.append,
        "add_parent": tree.parent.append,
    }
    with _NUMBERING_LOCK:
        _NUMBERING.update(numbering)
        try:
            kind = type(tree.module)
            (_NUMBER.get(kind) or _numbering(kind, tree.module))(tree.module, -1)
        finally:  # the namespace outlives the tree: it must not keep it alive
            _NUMBERING.update(dict.fromkeys(numbering))


def _numbering(kind: type[cst.CSTNode], node: cst.CSTNode) -> Callable[[cst.CSTNode, int], None]:
    fields = _node_fields(kind, node)
    name = kind.__name__
    lines = [
        f"def number_{name}(node, up):",
        "    i = len(nodes)",
        "    add_node(node)",
        "    add_end(0)",
        "    add_parent(up)",
        "    number[id(node)] = i",
        f"    found = of_class.get({name})",
        "    if found is None:",
        f"        of_class[{name}] = [i]",
        "    else:",
        "        found.append(i)",
    ]
    kid = "(NUMBER.get(kind) or numbering(kind, {0}))({0}, i)"
    if fields is None:
        lines += ["    for value in kids_by_visit(node):", "        kind = type(value)"]
        lines.append("        " + kid.format("value"))
    else:
        for field in fields:
            lines += [
                f"    value = node.{field}",
                "    kind = type(value)",
                "    if kind is tuple or kind is list:",
                "        for each in value:",
                "            kind = type(each)",
                "            if kind not in NOT_NODES:",
                "                " + kid.format("each"),
                "    elif kind not in NOT_NODES:",
                "        " + kid.format("value"),
            ]
    lines.append("    ends[i] = len(nodes)")
    _NUMBERING.update({name: kind, "numbering": _numbering, "kids_by_visit": _kids_by_visit})
    exec("\n".join(lines), _NUMBERING)  # the code names only LibCST's own classes and fields
    _NUMBER[kind] = _NUMBERING[f"number_{name}"]
    return _NUMBER[kind]


class Tree:
    """A module's nodes in LibCST's visiting order (pre-order), numbered: where each node's subtree ends,
    its parent, and the numbers of the nodes of each class. Built once; makes every visit cheap.
    Whitespace nodes are not numbered (see `_WHITESPACE`)."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.nodes: list[cst.CSTNode] = []
        self.ends: list[int] = []  # the subtree of node i is nodes[i:ends[i]]
        self.parent: list[int] = []  # -1 for the module
        self.number: dict[int, int] = {}  # id(node) -> i
        of_class: dict[type, list[int]] = {}  # ascending
        try:
            _number_recursively(self, of_class)
        except RecursionError:  # nesting deeper than Python's stack (a long implicit string concatenation)
            for numbered in (self.nodes, self.ends, self.parent, self.number, of_class):
                numbered.clear()
            self._number_iteratively(of_class)
        # By class name, as visitors name them (LibCST's node class names are unique).
        self.of_name: dict[str, list[int]] = {cls.__name__: numbers for cls, numbers in of_class.items()}

    def _number_iteratively(self, of_class: dict[type, list[int]]) -> None:
        nodes, ends, parent, number = self.nodes, self.ends, self.parent, self.number
        # Two stacks: the nodes to number, and each one's parent; a node's own number below -1 (-2 - i) marks
        # where every node below i has been numbered.
        todo: list[cst.CSTNode | None] = [self.module]
        above: list[int] = [-1]
        while todo:
            node, up = todo.pop(), above.pop()
            if node is None:
                ends[-2 - up] = len(nodes)
                continue
            i = len(nodes)
            nodes.append(node)
            ends.append(i + 1)
            parent.append(up)
            number[id(node)] = i
            kind = type(node)
            numbers = of_class.get(kind)
            if numbers is None:
                of_class[kind] = [i]
            else:
                numbers.append(i)
            kids = (_KIDS.get(kind) or _kids_of(kind, node))(node)
            if kids:
                todo.append(None)
                above.append(-2 - i)
                kids.reverse()
                todo += kids
                above += [i] * len(kids)

    def parent_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        i = self.number.get(id(node))
        if i is None or self.nodes[i] is not node:
            return self._whitespace_parents.get(id(node)) if type(node) in _WHITESPACE else None
        return self.nodes[self.parent[i]] if self.parent[i] >= 0 else None

    @cached_property
    def _whitespace_parents(self) -> dict[int, cst.CSTNode]:
        found: dict[int, cst.CSTNode] = {}
        for node in descendants(self.module, whitespace=True):
            for kid in children(node):
                if type(kid) in _WHITESPACE:
                    found[id(kid)] = node
        return found

    def outermost(self, node: cst.CSTNode, names: Sequence[str]) -> list[cst.CSTNode] | None:
        """The nodes below `node` of the classes named, but those inside another of them, in visiting order
        (the functions a body defines, not those they nest); None for a node not numbered here."""
        start = self.number.get(id(node))
        if start is None or self.nodes[start] is not node:
            return None
        end = self.ends[start]
        numbers: list[int] = []
        for name in names:
            found = self.of_name.get(name, [])
            numbers += found[bisect.bisect_right(found, start) : bisect.bisect_left(found, end)]
        numbers.sort()
        outer: list[cst.CSTNode] = []
        inside = start  # the end of the last node taken
        for i in numbers:
            if i >= inside:
                outer.append(self.nodes[i])
                inside = self.ends[i]
        return outer

    def walk(self, node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
        """`node.visit(visitor)`, calling only the visitor's own `visit_X`/`leave_X` methods, in the same order:
        nodes of other classes are skipped without being looked at."""
        start = self.number.get(id(node))
        methods = _dispatch(type(visitor))
        if (
            start is None
            or self.nodes[start] is not node
            or methods is None
            or not _WHITESPACE_NAMES.isdisjoint(methods)
        ):
            walk(node, visitor)
            return
        end = self.ends[start]
        nodes, ends = self.nodes, self.ends
        found: list[int] = []
        if end - start < _SMALL:  # looking at every node costs less than finding the right ones
            found = [i for i in range(start, end) if type(nodes[i]).__name__ in methods]
        else:
            lists = 0
            for name in methods:
                numbers = self.of_name.get(name)
                if numbers is None or numbers[-1] < start or numbers[0] >= end:
                    continue
                lists += 1
                found.extend(numbers[bisect.bisect_left(numbers, start) : bisect.bisect_left(numbers, end)])
            if lists > 1:
                found.sort()
        skip = 0  # the end of the subtree a visit said not to enter
        leaving: list[tuple[int, cst.CSTNode, Callable[[Any, cst.CSTNode], Any]]] = []  # innermost last
        for i in found:
            while leaving and leaving[-1][0] <= i:
                _, left, leave_left = leaving.pop()
                leave_left(visitor, left)
            if i < skip:
                continue
            current = nodes[i]
            visit, leave = methods[type(current).__name__]
            if leave is not None:
                leaving.append((ends[i], current, leave))
            if visit is not None and visit(visitor, current) is False:
                skip = ends[i]
        while leaving:
            _, left, leave_left = leaving.pop()
            leave_left(visitor, left)


class Parents:
    """node -> its parent node, read like a dict."""

    def __init__(self, tree: Tree) -> None:
        self._tree = tree

    def get(self, node: cst.CSTNode | None, default: cst.CSTNode | None = None) -> cst.CSTNode | None:
        found = self._tree.parent_of(node) if node is not None else None
        return default if found is None else found

    def __getitem__(self, node: cst.CSTNode) -> cst.CSTNode:
        found = self._tree.parent_of(node)
        if found is None:
            raise KeyError(node)
        return found

    def __contains__(self, node: object) -> bool:
        return isinstance(node, cst.CSTNode) and self._tree.parent_of(node) is not None


# --- read-only visits -------------------------------------------------------------------------------------

_Method = Callable[[Any, cst.CSTNode], Any]
_Methods = dict[str, tuple[_Method | None, _Method | None]]
# Per visitor class: its own (visit_X, leave_X) by node class name X. Weak: some visitors are local classes.
_DISPATCH: weakref.WeakKeyDictionary[type, _Methods | None] = weakref.WeakKeyDictionary()


def _dispatch(visitor: type) -> _Methods | None:
    """The methods a plain visitor defines itself; None for one that needs LibCST's own visit (custom
    `on_visit`-style hooks, or `visit_Call_func`-style attribute hooks). LibCST's base classes declare
    every `visit_X` as a no-op: those count as none."""
    if visitor in _DISPATCH:
        return _DISPATCH[visitor]
    hooks = ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute")
    custom = any(getattr(visitor, hook) is not getattr(cst.CSTVisitor, hook) for hook in hooks)
    own = {
        name.partition("_")[2]
        for cls in visitor.__mro__
        if not cls.__module__.startswith("libcst")
        for name in vars(cls)
        if name.startswith(("visit_", "leave_"))
    }
    methods: _Methods | None = None
    if not custom and not any("_" in name for name in own):  # LibCST class names have no underscore
        methods = {}
        for name in own:
            visit, leave = (getattr(visitor, prefix + name, None) for prefix in ("visit_", "leave_"))
            methods[name] = (_own(visit), _own(leave))
    _DISPATCH[visitor] = methods
    return methods


def _own(method: _Method | None) -> _Method | None:
    return None if method is None or method.__module__.startswith("libcst") else method


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """`node.visit(visitor)` for a visitor that only reads: the same calls in the same order. Prefer
    `PythonSource.walk` for nodes of a parsed module."""
    methods = _dispatch(type(visitor))
    if methods is None:
        node.visit(visitor)
        return
    below = kids if _WHITESPACE_NAMES.isdisjoint(methods) else children
    stack: list[tuple[cst.CSTNode, bool]] = [(node, False)]
    while stack:
        current, leaving = stack.pop()
        visit, leave = methods.get(type(current).__name__, (None, None))
        if leaving:
            if leave is not None:
                leave(visitor, current)
            continue
        if leave is not None:
            stack.append((current, True))
        if visit is None or visit(visitor, current) is not False:
            stack.extend((child, False) for child in reversed(below(current)))
