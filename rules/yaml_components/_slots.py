"""Every place in `command`/`args` where v1 expects an argument, malformed ones included.

`rules._yaml.Component.placeholders` skips mappings that are not well-formed placeholders; the
rules about placeholder shape and `if` need all of them, and need to know each one's parent to
rewrite it, so they walk the container here. Shapes follow kfp 1.8.22
`components/_structures.py` (CommandlineArgumentType, IfPlaceholderStructure), the structure
both SDKs load v1 YAML with (../shared/docs/kfp-semantics.md §1.2).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from migrate.model import Edit
from migrate.yaml_edit import line_start, portable_text, replace_item
from migrate.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlSource,
    mapping_get,
    mapping_items,
)

STR_TAG = "tag:yaml.org,2002:str"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"

# Placeholders taking an input or output name (kfp 1.8.22 _structures.py).
INPUT_NAMED = frozenset({"inputValue", "inputPath", "inputUri", "isPresent", "inputMetadata", "inputOutputPortName"})
OUTPUT_NAMED = frozenset({"outputPath", "outputUri"})
NULL_VALUED = frozenset({"executorInput", "outputMetadata"})
ARGUMENT_KEYS = (INPUT_NAMED - {"isPresent"}) | OUTPUT_NAMED | NULL_VALUED | {"concat", "if"}
V2_COMPAT_ONLY = frozenset({"inputMetadata", "outputMetadata", "inputOutputPortName"})
IF_KEYS = ("cond", "then", "else")

# distutils.util.strtobool, which v1 applied to the condition's text (kfp 1.8.22 _components.py).
_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})


def strtobool(text: str) -> bool | None:
    """v1's reading of a condition: `''` is false (v1 short-circuits it), unknown text is None."""
    lowered = text.lower()
    if lowered == "" or lowered in _FALSE:
        return False
    return True if lowered in _TRUE else None


@dataclass(frozen=True)
class Slot:
    """One argument position: an item of a list, or the single value of `if.cond/then/else`."""

    node: Node
    section: str  # command | args
    parent: Node  # the list holding it, or the `if` body for a single cond/then/else
    role: str  # item | cond | then | else
    within: tuple[str, ...]  # enclosing placeholder roles, outermost first: ("concat", "if.then")

    @property
    def index(self) -> int:
        assert isinstance(self.parent, SequenceNode)
        return next(i for i, item in enumerate(self.parent.value) if item is self.node)

    @property
    def in_concat(self) -> bool:
        return "concat" in self.within

    _pair: tuple[ScalarNode, Node] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pair", single_pair(self.node))  # every rule asks each slot for it

    def key(self) -> str | None:
        """The placeholder key when the node is a mapping with exactly one string key."""
        pair = self._pair
        return pair[0].value if pair else None

    def argument(self) -> Node | None:
        pair = self._pair
        return pair[1] if pair else None


def single_pair(node: Node) -> tuple[ScalarNode, Node] | None:
    if not isinstance(node, MappingNode) or len(node.value) != 1:
        return None
    key, value = node.value[0]
    return (key, value) if isinstance(key, ScalarNode) and key.tag == STR_TAG else None


def slots(container: MappingNode | None) -> tuple[Slot, ...]:
    """Every slot of `command` and `args`, outer before inner; a node reached twice (alias) once."""
    found: list[Slot] = []
    seen: set[int] = set()
    for section in ("command", "args"):
        node = mapping_get(container, section)
        if isinstance(node, SequenceNode) and id(node) not in seen:
            seen.add(id(node))
            for item in node.value:
                _walk(Slot(item, section, node, "item", ()), seen, found)
    return tuple(found)


def _walk(slot: Slot, seen: set[int], found: list[Slot]) -> None:
    if id(slot.node) in seen:
        return
    seen.add(id(slot.node))
    found.append(slot)
    key, argument = slot.key(), slot.argument()
    if key == "concat" and isinstance(argument, SequenceNode):
        for item in argument.value:
            _walk(Slot(item, slot.section, argument, "item", (*slot.within, "concat")), seen, found)
    elif key == "if" and isinstance(argument, MappingNode):
        for role in IF_KEYS:
            value = mapping_get(argument, role)
            within = (*slot.within, f"if.{role}")
            if isinstance(value, SequenceNode) and role != "cond":
                for item in value.value:
                    _walk(Slot(item, slot.section, value, "item", within), seen, found)
            elif value is not None:
                _walk(Slot(value, slot.section, argument, role, within), seen, found)


def if_body(slot: Slot) -> MappingNode | None:
    argument = slot.argument()
    return argument if slot.key() == "if" and isinstance(argument, MappingNode) else None


def if_pair(body: MappingNode, role: str) -> tuple[ScalarNode, Node] | None:
    found = None
    for key, value in mapping_items(body):
        if key.value == role and key.tag == STR_TAG:
            found = (key, value)
    return found


def is_string(node: Node | None) -> bool:
    return isinstance(node, ScalarNode) and node.tag == STR_TAG


def branch_items(node: Node | None) -> list[Node]:
    """The arguments an `if` branch stands for: none, its list's items, or the single value."""
    if node is None:
        return []
    return list(node.value) if isinstance(node, SequenceNode) else [node]


def item_texts(src: YamlSource, nodes: list[Node]) -> list[str] | None:
    texts = [portable_text(src, node) for node in nodes]
    return None if any(text is None for text in texts) else [t for t in texts if t is not None]


def replace_slot_in_list(src: YamlSource, slot: Slot, texts: list[str]) -> Edit | None:
    """Replace a list item by zero or more items; None where the block layout is unusual."""
    assert isinstance(slot.parent, SequenceNode)
    start = slot.node.start_mark.index
    if not slot.parent.flow_style:
        # replace_item indents new items from the item's column, assuming `- ` right before it.
        before = src.text[line_start(src, start) : start]
        if not before.endswith("- ") or before[:-2].strip():
            return None
    return replace_item(src, slot.parent, slot.index, texts)


def example(command: str, inputs: str = "", outputs: str = "") -> str:
    """A small component for the rules' examples."""
    ports = (f"inputs:\n{inputs}" if inputs else "") + (f"outputs:\n{outputs}" if outputs else "")
    return f"name: t\n{ports}implementation:\n  container:\n    image: alpine\n    command: {command}\n"


_SCALAR_KINDS = {
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "null": "null",
    "timestamp": "a date",
}


def not_string(node: ScalarNode) -> str:
    return _SCALAR_KINDS.get(node.tag.rsplit(":", 1)[-1], "not a string")


def quotable(src: YamlSource, node: Node) -> bool:
    """A plain non-string scalar whose text is exactly its value: quoting it keeps what was written."""
    return (
        isinstance(node, ScalarNode)
        and not node.style
        and node.tag != STR_TAG
        and bool(node.value)
        and src.slice(node) == node.value
    )


def slot_problem(slot: Slot) -> str | None:
    """Why v1's ContainerSpec.from_dict rejects this argument, or None when it is well formed."""
    node = slot.node
    if isinstance(node, ScalarNode):
        if node.tag == STR_TAG or (slot.role == "cond" and node.tag == BOOL_TAG):
            return None
        where = "`if` condition" if slot.role == "cond" else "argument"
        shown = f"`{node.value}`" if node.value else "(empty)"
        return f"{where} {shown} is {not_string(node)}, not a string"
    if isinstance(node, SequenceNode):
        return "a list inside a list is not an argument"
    if not isinstance(node, MappingNode):
        return None
    if not node.value:
        return "an empty mapping `{}` is not a placeholder"
    if len(node.value) > 1:
        keys = ", ".join(f"`{key.value}`" for key, _ in node.value if isinstance(key, ScalarNode))
        return f"a mapping with {len(node.value)} keys ({keys}) is not a placeholder: a placeholder has one key"
    pair = single_pair(node)
    if pair is None:
        return "a mapping whose key is not a string is not a placeholder"
    key, argument = pair[0].value, pair[1]
    if slot.role == "cond" and key not in ("isPresent", "inputValue"):
        return f"`{key}` cannot be an `if` condition (v1 takes `isPresent`, `inputValue`, a string or a boolean)"
    if slot.role != "cond" and key == "isPresent":
        return "`isPresent` is only valid as an `if` condition, not as an argument"
    if slot.role != "cond" and key not in ARGUMENT_KEYS:
        if key == "ifPresent":
            return "`ifPresent` is the kfp 2 IR spelling; v1 says `if: {cond: {isPresent: NAME}, then: [...]}`"
        close = difflib.get_close_matches(key, sorted(ARGUMENT_KEYS), 1)
        return f"`{key}` is not a placeholder" + (f" (did you mean `{close[0]}`?)" if close else "")
    if key in INPUT_NAMED | OUTPUT_NAMED and not (isinstance(argument, ScalarNode) and argument.tag == STR_TAG):
        return f"`{key}` needs an input or output name (a string)"
    if key in NULL_VALUED and not (isinstance(argument, ScalarNode) and argument.tag == NULL_TAG):
        return f"`{key}` takes no value: write `{key}: null`"
    if key == "concat" and not isinstance(argument, SequenceNode):
        return "`concat` needs a list"
    return _if_problem(argument) if key == "if" else None


def _if_problem(body: Node) -> str | None:
    if not isinstance(body, MappingNode):
        return "`if` needs a mapping with `cond`, `then` and optionally `else`"
    keys = [key.value for key, _ in mapping_items(body)]
    unknown = [key for key in keys if key not in ("cond", "then", "else")]
    if unknown or len(keys) != len(body.value):
        listed = ", ".join(f"`{key}`" for key in unknown)
        return "`if` has keys other than `cond`, `then` and `else`" + (f": {listed}" if listed else "")
    missing = [key for key in ("cond", "then") if key not in keys]
    return f"`if` has no `{missing[0]}`" if missing else None
