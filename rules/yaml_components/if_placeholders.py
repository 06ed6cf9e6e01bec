"""KFP130-132: `if` placeholders kfp 2 cannot convert (kfp-semantics.md §1.2)."""

from __future__ import annotations

from collections.abc import Iterator

from migrate.model import Edit, Example, FixSafety, Located, Severity, YamlRule
from migrate.yaml_edit import content_end, decorated, drops_comment, portable_text, replace, set_mapping_value
from migrate.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlSource,
    construct,
    mapping_get,
)
from rules.yaml_components._common import container_slots
from rules.yaml_components._slots import (
    BOOL_TAG,
    IF_KEYS,
    STR_TAG,
    Slot,
    branch_items,
    example,
    if_body,
    if_pair,
    is_string,
    item_texts,
    replace_slot_in_list,
    single_pair,
    strtobool,
)

_SEMANTICS = "../shared/docs/kfp-semantics.md"


def _if_slots(src: YamlSource) -> Iterator[tuple[Slot, MappingNode]]:
    for slot in container_slots(src):
        body = if_body(slot)
        if body is not None:
            yield slot, body


def _set_value(src: YamlSource, key: Node, value: Node, text: str) -> Edit | None:
    """`set_mapping_value`, which keeps one comment between key and value, unless it would drop another."""
    between = src.text[key.end_mark.index : value.start_mark.index]
    if between.count("#") > 1 or drops_comment(src, [replace(src, value, "")]):
        return None
    return set_mapping_value(src, key, value, text)


def _replace_slot(src: YamlSource, slot: Slot, items: list[Node]) -> Edit | None:
    """Put `items` where the `if` in `slot` was: inline in a list, or as the single then/else value."""
    texts = item_texts(src, items)
    if texts is None or decorated(src, slot.node):
        return None
    if slot.role == "item":
        edit = replace_slot_in_list(src, slot, texts)
        return None if edit is None or drops_comment(src, [edit]) else edit
    pair = if_pair(slot.parent, slot.role) if isinstance(slot.parent, MappingNode) else None
    if pair is None:
        return None
    if not slot.in_concat:
        text = "[" + ", ".join(texts) + "]"
    elif len(texts) == 1 and (slot.role == "then" or is_string(items[0])):
        text = texts[0]  # in concat a list is an error, and a placeholder `else` is kfp 2's bug
    else:
        return None
    return _set_value(src, pair[0], slot.node, text)


class IfCondNotIsPresent(YamlRule):
    code = "KFP130"
    name = "if-cond-not-ispresent"
    summary = "Checks for `if` placeholders whose `cond` is not `{isPresent: name}`."
    message = "`if` condition {cond} is not `{{isPresent: ...}}`, the only one kfp 2 loads{extra}"
    fix_title = "Replace the `if` by its `{branch}` branch"
    rationale = (
        "v1 evaluated `cond` when the pipeline was submitted: a literal boolean or string (read with "
        "`strtobool`: `y yes t true on 1` / `n no f false off 0`), `{isPresent: x}` or `{inputValue: x}`. "
        "kfp 2 converts only `{isPresent: x}` and fails to load the rest: `cond: true` raises `TypeError: "
        "'bool' object is not subscriptable`, `cond: {inputValue: f}` raises `KeyError: 'isPresent'` (kfp "
        "1.8's compiler rejected that one too). A literal condition always picks the same branch, so the "
        f"`if` can be replaced by that branch. ({_SEMANTICS} §1.2; probes Y54, Y55.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "A literal condition is constant, so the command line is the one v1 built. A condition read from an "
        "input has no fix: decide at pipeline level with `dsl.If` and two components, or pass the flag "
        "as an argument the program reads."
    )
    valid = (
        example(
            "[echo, {if: {cond: {isPresent: a}, then: [--a, {inputValue: a}]}}]",
            "- {name: a, type: String, optional: true}\n",
        ),
    )
    invalid = (
        Example(
            example("[echo, {if: {cond: true, then: [--a, b], else: [--c]}}, d]"),
            example("[echo, --a, b, d]"),
        ),
        Example(example("[echo, {if: {cond: 'off', then: [--a]}}, d]"), example("[echo, d]")),
        Example(example("[echo, {if: {cond: {inputValue: f}, then: [--f]}}]", "- {name: f, type: Boolean}\n")),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for slot, body in _if_slots(src):
            cond = mapping_get(body, "cond")
            if cond is None:
                continue  # KFP134: malformed `if`
            shown = f"`{portable_text(src, cond) or src.slice(cond)}`"
            if isinstance(cond, ScalarNode) and cond.tag in (BOOL_TAG, STR_TAG):
                value = construct(cond) if cond.tag == BOOL_TAG else strtobool(cond.value)
                if value is None:
                    yield self.at(cond, cond=shown, extra="; v1 rejected it too: it is not a truth value")
                    continue
                branch = "then" if value else "else"
                edit = _replace_slot(src, slot, branch_items(mapping_get(body, branch)))
                fix = self.fix(edit, branch=branch) if edit else None
                yield self.at(cond, fix, cond=shown, extra=f"; v1 always chose `{branch}`")
            elif (pair := single_pair(cond)) is not None and pair[0].value == "inputValue":
                extra = "; it depends on an input at run time: branch in the pipeline with `dsl.If` instead"
                yield self.at(cond, cond=shown, extra=extra)


class IfElseSinglePlaceholder(YamlRule):
    code = "KFP131"
    name = "if-else-single-placeholder"
    summary = "Checks for `if` placeholders whose `else` is a single placeholder rather than a list."
    message = "`else` holds a single placeholder (`{key}`), which kfp 2's converter drops; loading fails{extra}"
    fix_title = "Wrap the `else` value in a list"
    rationale = (
        "v1 accepted a single value or a list in `then` and `else`. kfp 2's converter converts a single "
        "placeholder in `else` and then discards the result, so loading fails with `TypeError: Unexpected "
        "argument \"{'inputPath': 'd'}\" of type <class 'dict'>.` A one-item list means the same and is "
        f"converted correctly; a plain string `else` is fine. ({_SEMANTICS} §1.2; probes Y52, Y53.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = "A one-item list expands to the same argument in v1 and kfp 2."
    valid = (
        example(
            "[echo, {if: {cond: {isPresent: a}, then: [--a], else: [{inputPath: d}]}}]",
            "- {name: a, type: String, optional: true}\n- {name: d, type: Dataset}\n",
        ),
    )
    invalid = (
        Example(
            example(
                "[echo, {if: {cond: {isPresent: a}, then: [--a], else: {inputPath: d}}}]",
                "- {name: a, type: String, optional: true}\n- {name: d, type: Dataset}\n",
            ),
            example(
                "[echo, {if: {cond: {isPresent: a}, then: [--a], else: [{inputPath: d}]}}]",
                "- {name: a, type: String, optional: true}\n- {name: d, type: Dataset}\n",
            ),
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for slot, body in _if_slots(src):
            pair = if_pair(body, "else")
            if pair is None or not isinstance(pair[1], MappingNode):
                continue
            key_node, value = pair[0], pair[1]
            inner = single_pair(value)
            key = inner[0].value if inner else "?"
            if slot.in_concat:
                extra = "; inside `concat` a list fails too: move the `if` out of the `concat` by hand"
                yield self.at(value, key=key, extra=extra)
                continue
            edits: list[Edit] | None
            if value.flow_style:
                # One edit over the whole value, not two insertions at its ends: the engine would let
                # those sit beside another rule's rewrite of the same value (KFP130 on a nested `if`).
                start, end = value.start_mark.index, content_end(src, value)
                edits = [Edit(start, end, f"[{src.text[start:end]}]")]
            else:
                text = portable_text(src, value)
                edit = _set_value(src, key_node, value, f"[{text}]") if text else None
                edits = [edit] if edit else None
            yield self.at(value, self.fix(*edits) if edits else None, key=key, extra="")


class IfListsInConcat(YamlRule):
    code = "KFP132"
    name = "if-lists-in-concat"
    summary = "Checks for `if` placeholders inside `concat` whose `then` or `else` is a list."
    message = "`if` inside `concat` has a list in `{roles}`, which kfp 2 refuses to load{extra}"
    fix_title = "Replace each one-item list by its item"
    rationale = (
        "v1 joined whatever an `if` inside `concat` expanded to. kfp 2 refuses lists there: `ValueError: "
        "Cannot use IfPresentPlaceholder within ConcatPlaceholder when `then` and `else_` arguments to "
        "IfPresentPlaceholder are lists.` A one-item list is the same as its item. "
        f"({_SEMANTICS} §1.2; probe Y56.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "A one-item list and its item expand to the same text. Longer lists get no fix; nor does a "
        "placeholder `else`, which kfp 2 cannot load as a single value either (KFP131)."
    )
    valid = (
        example(
            "[echo, {concat: [--x=, {if: {cond: {isPresent: a}, then: {inputValue: a}, else: none}}]}]",
            "- {name: a, type: String, optional: true}\n",
        ),
    )
    invalid = (
        Example(
            example(
                "[echo, {concat: [--x=, {if: {cond: {isPresent: a}, then: [{inputValue: a}], else: [none]}}]}]",
                "- {name: a, type: String, optional: true}\n",
            ),
            example(
                "[echo, {concat: [--x=, {if: {cond: {isPresent: a}, then: {inputValue: a}, else: none}}]}]",
                "- {name: a, type: String, optional: true}\n",
            ),
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for slot, body in _if_slots(src):
            if not slot.in_concat:
                continue
            lists = [
                (role, pair)
                for role in IF_KEYS[1:]
                if (pair := if_pair(body, role)) and isinstance(pair[1], SequenceNode)
            ]
            if not lists:
                continue
            edits: list[Edit] = []
            why = ""
            for role, (key_node, value) in lists:
                text = portable_text(src, value.value[0]) if len(value.value) == 1 else None
                if len(value.value) != 1:
                    why = f"; `{role}` has {len(value.value)} items, which cannot become one"
                elif role == "else" and not is_string(value.value[0]):
                    why = "; `else` would become a single placeholder, which kfp 2 cannot load either (KFP131)"
                elif text is not None:
                    edit = _set_value(src, key_node, value, text)
                    edits += [edit] if edit else []
            ok = not why and len(edits) == len(lists)
            roles = "` and `".join(role for role, _ in lists)
            yield self.at(lists[0][1][1], self.fix(*edits) if ok else None, roles=roles, extra=why)
