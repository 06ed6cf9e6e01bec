"""The YAML reading is PyYAML's `safe_load` reading: same nodes, same tags, same refusals, however it is sped up."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import migrate.yaml_source as yaml_source
from migrate.yaml_source import YamlProblem, YamlSource, compose, mapping_get, mapping_key
from rules.yaml_components._common import component, container_slots
from rules.yaml_components._slots import slots

# Every implicit tag the resolver can give, repeated so that the second reading of a value comes from the memo,
# and the scalar styles that are never resolved: quoted, block, `!` and `!!str`.
TRICKY = """\
name: t
flags: [on, Off, yes, NO, true, y, n, ~, null, '', "", ! on, !!str on, on]
numbers: [1, -0x1F, 0o7, 017, 1_000, 1:20, 1.5, .inf, -.Inf, .NaN, 6.02e+23, 1e3, 1, 017]
dates: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5, 2001-12-14]
text: [String, 'String', "String", inputValue, inputValue, =x, <<x, -ec, -]
block: |
  on
folded: >
  1
empty:
? [complex, key]
: value
implementation: {container: {image: alpine, command: [echo, {inputValue: a}]}}
"""


def _shape(node: Any) -> Any:
    """A node tree as plain data: kind, tag, value, style and marks of every node."""
    if node is None:
        return None
    marks = (node.start_mark.index, node.end_mark.index, node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.MappingNode):
        return ("map", node.tag, node.flow_style, *marks, [(_shape(k), _shape(v)) for k, v in node.value])
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, node.flow_style, *marks, [_shape(item) for item in node.value])
    return ("scalar", node.tag, node.value, node.style or "", *marks)  # plain: None in PyYAML's parser, '' in libyaml


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)])
def test_nodes_and_tags_are_the_ones_safe_load_reads(loader: Any) -> None:
    compose.cache_clear()
    yaml_source._PLAIN_TAGS.clear()
    assert _shape(compose(TRICKY)) == _shape(yaml.compose(TRICKY, Loader=loader))
    compose.cache_clear()  # again, with every plain value's tag remembered
    assert _shape(compose(TRICKY)) == _shape(yaml.compose(TRICKY, Loader=loader))


def test_a_remembered_tag_is_the_one_its_value_resolves_to() -> None:
    yaml_source._PLAIN_TAGS.clear()
    compose.cache_clear()
    compose(TRICKY)
    assert yaml_source._PLAIN_TAGS["on"] == "tag:yaml.org,2002:bool"
    assert yaml_source._PLAIN_TAGS["017"] == "tag:yaml.org,2002:int"
    assert yaml_source._PLAIN_TAGS["2001-12-14"] == "tag:yaml.org,2002:timestamp"
    assert yaml_source._PLAIN_TAGS["inputValue"] == "tag:yaml.org,2002:str"
    assert "String" in yaml_source._PLAIN_TAGS and "'String'" not in yaml_source._PLAIN_TAGS


def _problem(text: str) -> tuple[str, str, int] | None:
    compose.cache_clear()
    try:
        compose(text)
    except YamlProblem as problem:
        return problem.code, problem.message, problem.offset
    return None


def _full_check(text: str) -> tuple[str, str, int] | None:
    """The problem the graph check reports when it counts every node, with no shortcut."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    try:
        yaml_source._check_shared_graph(root)
    except YamlProblem as problem:
        return problem.code, problem.message, problem.offset
    return None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: =\n", "KFP003"),  # an implicit `value` tag, with neither `!` nor `&` in the text
        ("<<: {a: 1}\nb: 2\n", "KFP003"),  # an implicit `merge` tag
        ("a: 1\nb: !!python/name:os.system\n", "KFP003"),
        ("a: !!set {x}\nb: !custom 1\n", "KFP003"),  # `!!set` is safe, the later local tag is not
        ("run: a && b\nc: !!binary aGk=\n", None),
        ("run: a && b\nc: [1, 2]\n", None),
        ("a: &x [1, 2]\nb: [*x, *x]\n", None),
        ("a: &x !!str 1\nb: *x\nc: !!python/none x\n", "KFP003"),
        ("a: &a [x, x, x]\nb: [*a, *a]\n", None),
        ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: &d [*c, *c, *c]\ne: [*d, *d]\n", "KFP004"),
    ],
)
def test_tags_and_aliases_are_refused_as_the_full_graph_check_refuses_them(
    text: str, code: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yaml_source, "MAX_EXPANDED_NODES", 100)
    found = _problem(text)
    assert found == _full_check(text)
    assert (found[0] if found else None) == code


@pytest.mark.parametrize("text", ["[a, b, c, d, e, f]\n", "[a, b, c, d, e, f, '&&']\n", "[a, b, c, d, e, !!str f]\n"])
def test_too_many_nodes_are_refused_without_any_alias(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "MAX_EXPANDED_NODES", 5)
    assert _problem(text) == _full_check(text)
    assert _problem(text) == ("KFP004", "YAML aliases expand to more than 5 nodes (an alias bomb); not processed", 0)
    monkeypatch.setattr(yaml_source, "MAX_EXPANDED_NODES", 8)
    assert _problem(text) is None


def test_an_alias_inside_its_own_anchor_is_refused_instead_of_hanging() -> None:
    text = "name: t\nx: &a [1, *a]\nimplementation: {container: {image: a}}\n"
    loop = yaml.safe_load(text)["x"]
    assert loop[1] is loop  # what safe_load makes of it
    found = _problem(text)
    assert found is not None and found[0] == "KFP004" and found[2] == text.index("&a [1, *a]")


def test_syntax_errors_still_point_at_the_problem() -> None:
    text = "name: t\nimplementation: {container: {image: a}\n"
    found = _problem(text)
    assert found is not None and found[0] == "KFP002" and found[1].startswith("YAML syntax error: ")
    assert found[2] == len(text)


def test_the_last_key_wins_and_only_string_keys_count() -> None:
    root = YamlSource("a: 1\n1: int\n'1': str\n[1]: list\na: 2\n").root
    last_a, key_a, one = mapping_get(root, "a"), mapping_key(root, "a"), mapping_get(root, "1")
    assert last_a is not None and last_a.value == "2"
    assert key_a is not None and key_a.start_mark.line == 4
    assert one is not None and one.value == "str"
    assert mapping_get(root, "[1]") is None and mapping_get(root, "b") is None
    assert mapping_get(last_a, "a") is None  # not a mapping


COMPONENT = """\
name: t
inputs:
- {name: a, type: String}
- {name: a, type: Integer}
implementation:
  container:
    image: alpine
    command: [echo, {concat: [x, {inputValue: a}]}, {if: {cond: {isPresent: a}, then: [--a, {inputValue: a}]}}]
    args: [{inputValue: a}]
"""


def test_slots_are_walked_once_per_source_in_order() -> None:
    src = YamlSource(COMPONENT)
    found = component(src)
    assert found is not None
    shared = container_slots(src)
    assert container_slots(src) is shared
    assert shared == slots(found.container)
    assert [(slot.section, slot.role, slot.within, slot.key()) for slot in shared] == [
        ("command", "item", (), None),
        ("command", "item", (), "concat"),
        ("command", "item", ("concat",), None),
        ("command", "item", ("concat",), "inputValue"),
        ("command", "item", (), "if"),
        ("command", "cond", ("if.cond",), "isPresent"),
        ("command", "item", ("if.then",), None),
        ("command", "item", ("if.then",), "inputValue"),
        ("args", "item", (), "inputValue"),
    ]


def test_a_port_name_finds_the_last_port_so_named() -> None:
    found = component(YamlSource(COMPONENT))
    assert found is not None
    assert found.input("a") is found.inputs[1]
    assert found.input("b") is None and found.output("a") is None
