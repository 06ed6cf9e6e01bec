"""Surgical text edits on a composed YAML document: nothing outside the edited span changes.

Re-dumping a document (with ruamel or PyYAML) rewrites quoting, flow style and spacing, so every
change here is an `Edit` at node offsets, written in the style (flow or block) of its neighbours.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import yaml

from migrate.model import Edit
from migrate.yaml_source import MappingNode, Node, ScalarNode, SequenceNode, YamlSource

# The C parser reads exactly what the pure-Python one does (same resolver), ~10x faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A plain scalar may start with `-` when a non-space follows (`-ec`); _reads_back confirms each use.
_PLAIN_SAFE = re.compile(r"(?:[A-Za-z0-9_./]|-(?=\S))[A-Za-z0-9_./ -]*\Z")


def scalar(value: str) -> str:
    """YAML text that yaml.safe_load reads back as the string `value`, in flow or block context."""
    if _PLAIN_SAFE.match(value) and not value.endswith(" ") and _reads_back(value, value):
        return value
    if "\n" not in value and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=4096)  # the same names and types come back in every component
def _reads_back(text: str, value: str) -> bool:
    try:
        in_flow: object = yaml.load(f"[{text}]", Loader=_Loader)
        in_block: object = yaml.load(f"k: {text}", Loader=_Loader)
        return in_flow == [value] and in_block == {"k": value}
    except yaml.YAMLError:
        return False


def requote(node: ScalarNode, value: str) -> str:
    """`value` as a scalar in the quoting style `node` uses, when that style can hold it."""
    if node.style == "'" and "\n" not in value and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    if node.style == '"':
        return json.dumps(value, ensure_ascii=False)
    return scalar(value)


def content_end(src: YamlSource, node: Node) -> int:
    """Where a node's own text ends: block collections' and block scalars' end marks run on."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return content_end(src, last[1] if isinstance(last, tuple) else last)
    end: int = node.end_mark.index
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        while end > node.start_mark.index and src.text[end - 1] in "\r\n":
            end -= 1
    return end


def replace(src: YamlSource, node: Node, text: str) -> Edit:
    return Edit(node.start_mark.index, content_end(src, node), text)


def line_end(src: YamlSource, offset: int) -> int:
    """Offset of the line break ending the line that holds `offset` (or the end of the text)."""
    match = re.compile("\r\n|[\r\n\x85\u2028\u2029]").search(src.text, offset)
    return match.start() if match else len(src.text)


def line_start(src: YamlSource, offset: int) -> int:
    index = offset
    while index > 0 and src.text[index - 1] not in "\r\n\x85\u2028\u2029":
        index -= 1
    return index


def _single_line(src: YamlSource, node: Node) -> bool:
    text = src.text[node.start_mark.index : content_end(src, node)]
    return not any(ch in text for ch in "\r\n\x85\u2028\u2029")


def add_pair(src: YamlSource, mapping: MappingNode, key: str, value_text: str, after: str | None = "name") -> Edit:
    """Add `key: value` to a mapping, after the pair `after` when it exists, in the mapping's style."""
    if mapping.flow_style or not mapping.value:
        if not mapping.value:
            return Edit(mapping.start_mark.index, mapping.end_mark.index, "{" + f"{key}: {value_text}" + "}")
        anchor = _pair(mapping, after) or mapping.value[-1]
        end = content_end(src, anchor[1])
        return Edit(end, end, f", {key}: {value_text}")
    anchor = _pair(mapping, after)
    indent = " " * mapping.value[0][0].start_mark.column
    if anchor is not None and _single_line(src, anchor[1]) and not _is_block_collection(anchor[1]):
        end = line_end(src, anchor[1].end_mark.index)
        return Edit(end, end, f"{src.newline()}{indent}{key}: {value_text}")
    first_key = mapping.value[0][0]
    return Edit(first_key.start_mark.index, first_key.start_mark.index, f"{key}: {value_text}{src.newline()}{indent}")


def _is_block_collection(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode) and not node.flow_style


def _pair(mapping: MappingNode, key: str | None) -> tuple[Node, Node] | None:
    if key is None:
        return None
    for pair in mapping.value:
        if isinstance(pair[0], ScalarNode) and pair[0].value == key:
            return pair  # type: ignore[no-any-return]
    return None


def remove_pair(src: YamlSource, mapping: MappingNode, key_node: Node) -> Edit:
    """Remove one `key: value` pair, with its separator, keeping the rest of the mapping intact."""
    pairs = list(mapping.value)
    index = next(i for i, (k, _) in enumerate(pairs) if k is key_node)
    value = pairs[index][1]
    if mapping.flow_style:
        if index > 0:
            return Edit(content_end(src, pairs[index - 1][1]), content_end(src, value), "")
        if len(pairs) > 1:
            return Edit(key_node.start_mark.index, pairs[1][0].start_mark.index, "")
        return Edit(key_node.start_mark.index, content_end(src, value), "")
    if index + 1 < len(pairs):
        return Edit(key_node.start_mark.index, pairs[index + 1][0].start_mark.index, "")
    if index > 0:
        start = line_end(src, content_end(src, pairs[index - 1][1]))
        return Edit(start, line_end(src, content_end(src, value)), "")
    return Edit(key_node.start_mark.index, content_end(src, value), "{}")


def prepend_items(src: YamlSource, sequence: SequenceNode, items: list[str]) -> Edit:
    """Insert items at the front of a sequence, in its style."""
    if sequence.flow_style or not sequence.value:
        if not sequence.value:
            return Edit(sequence.start_mark.index, sequence.end_mark.index, "[" + ", ".join(items) + "]")
        first = sequence.value[0].start_mark.index
        return Edit(first, first, "".join(f"{item}, " for item in items))
    dash = sequence.start_mark.index
    indent = " " * sequence.start_mark.column
    return Edit(dash, dash, "".join(f"- {item}{src.newline()}{indent}" for item in items))


def replace_item(src: YamlSource, sequence: SequenceNode, index: int, items: list[str]) -> Edit:
    """Replace one item of a sequence by zero or more items, in the sequence's style."""
    node = sequence.value[index]
    if sequence.flow_style:
        if items:
            return Edit(node.start_mark.index, content_end(src, node), ", ".join(items))
        if index > 0:
            return Edit(content_end(src, sequence.value[index - 1]), content_end(src, node), "")
        if len(sequence.value) > 1:
            return Edit(node.start_mark.index, sequence.value[1].start_mark.index, "")
        return Edit(node.start_mark.index, content_end(src, node), "")
    indent = " " * (node.start_mark.column - 2)
    if items:
        joined = f"{src.newline()}{indent}- ".join(items)
        return Edit(node.start_mark.index, content_end(src, node), joined)
    start = line_start(src, node.start_mark.index)
    end = line_end(src, content_end(src, node))
    newline_len = 2 if src.text.startswith("\r\n", end) else 1 if end < len(src.text) else 0
    return Edit(start, end + newline_len, "")


def source_of(src: YamlSource, node: Node) -> str:
    """The node's own text, usable in flow context when it is a single line."""
    return src.text[node.start_mark.index : content_end(src, node)]


def set_mapping_value(src: YamlSource, key: Node, value: Node, text: str) -> Edit:
    """Replace a mapping value by flow `text`; a block collection value is pulled onto its key's line.

    Replacing only a block collection's own span would leave the new scalar alone on the next line,
    so the edit starts at the key and keeps a comment that sat on the key's line.
    """
    if not (isinstance(value, MappingNode | SequenceNode) and not value.flow_style and value.value):
        return replace(src, value, text)
    between = src.text[key.end_mark.index : value.start_mark.index]
    comment = re.search(r"#[^\r\n\x85\u2028\u2029]*", between)
    suffix = f"  {comment.group().rstrip()}" if comment else ""
    return Edit(key.end_mark.index, content_end(src, value), f": {text}{suffix}")


def decorated(src: YamlSource, node: Node) -> bool:
    """Whether the node's text starts with an anchor or a tag, which a plain replacement would drop."""
    return src.text.startswith(("&", "!"), node.start_mark.index)


# --- Added for the placeholder rules (KFP104, KFP130-134, KFP140) -----------------------------

_STR_TAG = "tag:yaml.org,2002:str"


def portable_text(src: YamlSource, node: Node) -> str | None:
    """One-line flow text for `node` that reads back the same in flow and block context, or None.

    Plain strings are re-quoted when needed (`a,b` is one item in a block list
    but two in a flow list) and multi-line strings become quoted ones. Anchored, tagged and empty
    nodes give None: moving them would change aliases or meaning.
    """
    text = source_of(src, node)
    if not text or text[0] in "&!*":
        return None
    if isinstance(node, ScalarNode):
        if node.tag == _STR_TAG:
            if node.style in ("'", '"') and _single_line(src, node):
                return text
            if not node.style and text == node.value and _reads_back(text, text):
                return text
            return scalar(node.value)
        return text if not node.style and _single_line(src, node) else None
    parts: list[str] = []
    if isinstance(node, MappingNode):
        for key, value in node.value:
            key_text, value_text = portable_text(src, key), portable_text(src, value)
            if key_text is None or value_text is None:
                return None
            parts.append(f"{key_text}: {value_text}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(node, SequenceNode):
        for item in node.value:
            item_text = portable_text(src, item)
            if item_text is None:
                return None
            parts.append(item_text)
        return "[" + ", ".join(parts) + "]"
    return None


def _scalar_spans(node: Node | None, seen: set[int], spans: list[tuple[int, int]]) -> None:
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        spans.append((node.start_mark.index, node.end_mark.index))
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            _scalar_spans(key, seen, spans)
            _scalar_spans(value, seen, spans)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _scalar_spans(item, seen, spans)


def drops_comment(src: YamlSource, edits: tuple[Edit, ...] | list[Edit]) -> bool:
    """Whether any edit replaces text holding a comment: a `#` outside every scalar's own text."""
    spans: list[tuple[int, int]] = []
    _scalar_spans(src.root, set(), spans)
    for edit in edits:
        for offset in range(edit.start, edit.end):
            if src.text[offset] == "#" and not any(start <= offset < end for start, end in spans):
                return True
    return False
