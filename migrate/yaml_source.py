"""A YAML file composed into nodes with character offsets, read exactly as kfp reads it.

kfp 1 and kfp 2 both read component files with PyYAML's `safe_load` (YAML 1.1: `on`, `yes`
and `no` are booleans), so the node tree comes from PyYAML's composer, which gives every node
its start and end offsets without building any Python object. Only plain scalars are ever
constructed, and only with the safe constructor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from migrate.lines import YAML_LINE_BREAK, LineIndex

__all__ = ["MappingNode", "Node", "ScalarNode", "SequenceNode", "YamlProblem", "YamlSource", "children", "compose"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What yaml.safe_load can construct; any other tag makes kfp fail to load the file.
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("null", "bool", "int", "float", "binary", "timestamp", "omap", "pairs", "set", "str", "seq", "map")
)
# A billion-laughs document is small on disk and huge once aliases are expanded.
MAX_EXPANDED_NODES = 200_000


@dataclass(frozen=True)
class YamlProblem(Exception):
    """The file cannot be read as kfp would read it. `code` is the KFP0xx rule that reports it."""

    code: str
    message: str
    offset: int

    def __str__(self) -> str:
        return self.message


def compose(text: str) -> Node | None:
    """Compose the first document of `text`; raise YamlProblem for anything kfp could not load."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        offset = _offset_of(text, mark) if mark is not None else 0
        problem = error.problem or error.context or "invalid YAML"
        raise YamlProblem("KFP002", f"YAML syntax error: {problem}", offset) from None
    except yaml.YAMLError as error:  # reader errors: control characters and the like
        position = getattr(error, "position", 0) or 0
        raise YamlProblem("KFP002", f"YAML syntax error: {str(error).splitlines()[0]}", position) from None
    if root is not None:
        _check_graph(root)
    return root


def _offset_of(text: str, mark: Any) -> int:
    lines = LineIndex(text).starts
    line = min(int(mark.line), len(lines) - 1)
    return min(lines[line] + int(mark.column), len(text))


def _check_graph(root: Node) -> None:
    """Reject unsafe tags and alias bombs without ever expanding the aliases."""
    expanded: dict[int, int] = {}
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
            stack.append((node, True))
            stack.extend((child, False) for child in below if id(child) not in expanded)
            continue
        expanded[id(node)] = 1 + sum(expanded[id(child)] for child in below)
        if expanded[id(node)] > MAX_EXPANDED_NODES:
            raise YamlProblem(
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
    found = None
    for key_node, value in mapping_items(node):
        if key_node.value == key and key_node.tag == "tag:yaml.org,2002:str":
            found = value
    return found


def mapping_key(node: Node | None, key: str) -> ScalarNode | None:
    found = None
    for key_node, _ in mapping_items(node):
        if key_node.value == key and key_node.tag == "tag:yaml.org,2002:str":
            found = key_node
    return found


def is_str(node: Node | None) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str"


def str_value(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str" else None
