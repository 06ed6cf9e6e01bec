"""A YAML file composed into nodes with character offsets, read exactly as kfp reads it.

kfp 1 and kfp 2 both read component files with PyYAML's `safe_load` (YAML 1.1: `on`, `yes`
and `no` are booleans), so the node tree comes from PyYAML's composer, which gives every node
its start and end offsets without building any Python object. Only plain scalars are ever
constructed, and only with the safe constructor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from migrate.lines import YAML_LINE_BREAK, LineIndex

__all__ = ["MappingNode", "Node", "ScalarNode", "SequenceNode", "YamlProblem", "YamlSource", "children", "compose"]

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What yaml.safe_load can construct; any other tag makes kfp fail to load the file.
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("null", "bool", "int", "float", "binary", "timestamp", "omap", "pairs", "set", "str", "seq", "map")
)
# A billion-laughs document is small on disk and huge once aliases are expanded.
MAX_EXPANDED_NODES = 200_000

# The tag `Resolver.resolve` gives each plain scalar seen so far: component files repeat the same
# keys and values (`name`, `type`, `String`, `inputValue`), and each miss costs a few regex matches.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_KEPT = 20_000
_PLAIN_TAGS_LONGEST = 200  # longer text (a plain multi-line description) seldom comes back
_COLLECTION_TAGS: dict[type[Node], str] = {SequenceNode: "tag:yaml.org,2002:seq", MappingNode: "tag:yaml.org,2002:map"}


class _Loader(_SafeLoader):  # type: ignore[misc]
    """yaml.safe_load's loader, with its per-node calls into Python made cheap, counting what it tags.

    For every node the composer calls `descend_resolver`, `resolve` and `ascend_resolver`. The first
    and last only serve path resolvers, and SafeLoader has none (PyYAML registers none). Without them
    `Resolver.resolve` gives a plain scalar the tag of the first implicit resolver whose regex
    matches, else `str`, and any other node its kind's default tag: the same tags, from a memo.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.tagged = 0  # nodes given an implicit tag: every node, when the text has no `!`
        self.unsafe_tag = False  # an implicit tag outside SAFE_TAGS: `<<` or `=`

    def descend_resolver(self, current_node: Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        self.tagged += 1
        if kind is not ScalarNode:
            return _COLLECTION_TAGS[kind]
        if not implicit[0]:  # not plain: quoted, block or tagged `!`
            return "tag:yaml.org,2002:str"
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(value) <= _PLAIN_TAGS_LONGEST:
                if len(_PLAIN_TAGS) >= _PLAIN_TAGS_KEPT:
                    _PLAIN_TAGS.clear()
                _PLAIN_TAGS[value] = tag
        if tag not in SAFE_TAGS:
            self.unsafe_tag = True
        return tag

    def needs_graph_check(self, text: str) -> bool:
        """Whether `_check_graph` could find anything in the tree just composed from `text`.

        A tag property starts with `!` and an alias needs an anchor, which starts with `&`. Without
        either, every node was tagged here, once, and none is shared: the node count is `tagged`.
        """
        return "!" in text or "&" in text or self.unsafe_tag or self.tagged > MAX_EXPANDED_NODES


@dataclass(frozen=True)
class YamlProblem(Exception):
    """The file cannot be read as kfp would read it. `code` is the KFP0xx rule that reports it."""

    code: str
    message: str
    offset: int

    def __str__(self) -> str:
        return self.message


# `fix` parses each fixed text twice in a row: to see that it still parses, then to check it. Nothing
# changes a node once composed, so both can share one tree.
@lru_cache(maxsize=1)
def compose(text: str) -> Node | None:
    """Compose the first document of `text`; raise YamlProblem for anything kfp could not load."""
    loader = _Loader(text)
    try:
        root: Node | None = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        offset = _offset_of(text, mark) if mark is not None else 0
        problem = error.problem or error.context or "invalid YAML"
        raise YamlProblem("KFP002", f"YAML syntax error: {problem}", offset) from None
    except yaml.YAMLError as error:  # reader errors: control characters and the like
        position = getattr(error, "position", 0) or 0
        raise YamlProblem("KFP002", f"YAML syntax error: {str(error).splitlines()[0]}", position) from None
    finally:
        loader.dispose()
    if root is not None and loader.needs_graph_check(text):
        _check_graph(root)
    return root


def _offset_of(text: str, mark: Any) -> int:
    lines = LineIndex(text).starts
    line = min(int(mark.line), len(lines) - 1)
    return min(lines[line] + int(mark.column), len(text))


def _check_graph(root: Node) -> None:
    """Reject unsafe tags and alias bombs without ever expanding the aliases."""
    if _plain_tree(root):
        return
    _check_shared_graph(root)


def _plain_tree(root: Node) -> bool:
    """Whether the graph check can only pass: no node reached twice, safe tags, not too many nodes.

    Most texts that get here have `&&` in a shell command or `#!` in a script and no alias at all:
    one walk settles them, without counting what each node expands to.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag not in SAFE_TAGS or id(node) in seen:
            return False
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for pair in node.value:
                stack.extend(pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return len(seen) <= MAX_EXPANDED_NODES


def _check_shared_graph(root: Node) -> None:
    """The graph check proper: count what each node expands to, stopping at the first problem."""
    expanded: dict[int, int] = {}
    open_nodes: set[int] = set()  # the path from the root: nodes whose children are being counted
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in expanded:
            continue
        if node.tag not in SAFE_TAGS:
            kind = "Python object tag" if node.tag.startswith("tag:yaml.org,2002:python/") else "tag"
            raise YamlProblem(
                "KFP003",
                f"{kind} `{_short_tag(node.tag)}` cannot be loaded by kfp (yaml.safe_load refuses it)",
                node.start_mark.index,
            )
        below = children(node)
        if not children_done:
            if id(node) in open_nodes:  # an alias inside its own anchor (`&a [*a]`) never ends
                raise _alias_bomb(node)
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in below if id(child) not in expanded)
            continue
        open_nodes.discard(id(node))
        expanded[id(node)] = 1 + sum(expanded[id(child)] for child in below)
        if expanded[id(node)] > MAX_EXPANDED_NODES:
            raise _alias_bomb(node)


def _alias_bomb(node: Node) -> YamlProblem:
    return YamlProblem(
        "KFP004",
        f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb); not processed",
        node.start_mark.index,
    )


def children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


_constructor = yaml.constructor.SafeConstructor()


def construct(node: Node) -> Any:
    """The Python value yaml.safe_load gives `node` (tags were checked in compose)."""
    return _constructor.construct_object(node, deep=True)


class YamlSource:
    """One YAML document: its text (without a BOM), its node tree and helpers to read it."""

    def __init__(self, text: str, path: str = "-") -> None:
        self.text = text
        self.path = path
        self.root = compose(text)
        self._lines: LineIndex | None = None
        self.cache: dict[str, object] = {}  # analyses that rules share (the engine drops them after the rules)

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    def slice(self, node: Node) -> str:
        return self.text[node.start_mark.index : node.end_mark.index]

    def newline(self) -> str:
        match = YAML_LINE_BREAK.search(self.text)
        return match.group() if match else "\n"


def mapping_items(node: Node | None) -> Iterator[tuple[ScalarNode, Node]]:
    """Key/value pairs of a mapping whose keys are scalars (kfp never uses other keys)."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                yield key, value


def mapping_get(node: Node | None, key: str) -> Node | None:
    """The value of `key` in a mapping; the last one wins, as in yaml.safe_load."""
    pair = _last_pair(node, key)
    return pair[1] if pair else None


def mapping_key(node: Node | None, key: str) -> ScalarNode | None:
    pair = _last_pair(node, key)
    return pair[0] if pair else None


def _last_pair(node: Node | None, key: str) -> tuple[ScalarNode, Node] | None:
    # The rules look keys up far more than anything else; a plain loop, since only a scalar's value is a str.
    found = None
    if isinstance(node, MappingNode):
        for pair in node.value:
            if pair[0].value == key and pair[0].tag == "tag:yaml.org,2002:str":
                found = pair
    return found


def is_str(node: Node | None) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def str_value(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str" else None
