"""`# noqa: CODE` and `# kfp-migrate: ignore[CODE]` in YAML and Python; unused ones are KFP009."""

from __future__ import annotations

from migrate.engine import check_text, fix_text
from migrate.registry import select

ALL = select()
WITH_UNUSED = select(extend_select=["KFP009"])
YAML = (
    "name: t\ninputs:\n- {name: a}@C@\nimplementation:\n  container:\n    image: alpine\n"
    "    command: [echo, {inputValue: a}]\n"
)
PYTHON = (
    "from kfp.components import create_component_from_func\n\n\n"
    "def add(a: int, b: int) -> int:\n    return a + b\n\n\n"
    "add_op = create_component_from_func(add)@C@\n"
)


def _codes(text: str, path: str, rules=ALL) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in check_text(text, path, rules)]


def test_yaml_noqa_and_own_directive_suppress_the_line() -> None:
    assert _codes(YAML.replace("@C@", ""), "c.yaml") == ["KFP101"]
    assert _codes(YAML.replace("@C@", "  # noqa: KFP101"), "c.yaml") == []
    assert _codes(YAML.replace("@C@", "  # kfp-migrate: ignore[KFP101]"), "c.yaml") == []
    assert _codes(YAML.replace("@C@", "  # noqa"), "c.yaml") == []  # bare: every code, as in ruff
    assert _codes(YAML.replace("@C@", "  # noqa: KFP145"), "c.yaml") == ["KFP101"]  # another code


def test_python_directives_suppress_the_line() -> None:
    assert "KFP202" in _codes(PYTHON.replace("@C@", ""), "p.py")
    suppressed = _codes(PYTHON.replace("@C@", "  # noqa: E501, KFP202"), "p.py")
    assert suppressed.count("KFP202") == _codes(PYTHON.replace("@C@", ""), "p.py").count("KFP202") - 1


def test_a_suppressed_finding_is_not_fixed() -> None:
    text = YAML.replace("@C@", "  # kfp-migrate: ignore[KFP101]")
    assert fix_text(text, "c.yaml", ALL).fixed is None


def test_directives_inside_strings_and_scalars_do_not_count() -> None:
    script = YAML.replace("@C@", "").replace(
        "[echo, {inputValue: a}]", "[sh, -c, 'echo # noqa: KFP101', {inputValue: a}]"
    )
    assert "KFP101" in _codes(script, "c.yaml")
    block = YAML.replace("@C@", "").replace(
        "    command: [echo, {inputValue: a}]\n",
        "    command:\n    - sh\n    - |\n      x # noqa\n    - {inputValue: a}\n",
    )
    assert "KFP101" in _codes(block, "c.yaml")
    in_string = PYTHON.replace("@C@", "").replace("return a + b", "return '# noqa: KFP202'")
    assert "KFP202" in _codes(in_string, "p.py")


def test_unused_and_unknown_codes_are_kfp009_and_fixed() -> None:
    text = YAML.replace("@C@", "  # noqa: KFP101, KFP145, KFP999, E501")
    findings = check_text(text, "c.yaml", WITH_UNUSED)
    assert sorted(f.message for f in findings if f.code == "KFP009") == [
        "Unused suppression: no `KFP145` finding on this line",
        "`KFP999` in a suppression comment is not a kfp-migrate rule code",
    ]
    fixed = fix_text(text, "c.yaml", WITH_UNUSED).fixed
    assert fixed is not None and "# noqa: KFP101, E501\n" in fixed
    assert fix_text(fixed, "c.yaml", WITH_UNUSED).fixed is None  # fix twice == fix once


def test_kfp009_is_off_by_default_and_judges_only_rules_that_ran() -> None:
    text = YAML.replace("@C@", "  # noqa: KFP145")
    assert "KFP009" not in _codes(text, "c.yaml")
    assert "KFP009" not in _codes(text, "c.yaml", select(["KFP101", "KFP009"]))
    assert "KFP009" in _codes(text, "c.yaml", select(["KFP145", "KFP009"]))


def test_removing_the_only_code_removes_the_comment_or_the_line() -> None:
    text = YAML.replace("@C@", "  # noqa: KFP145")
    assert fix_text(text, "c.yaml", select(["KFP145", "KFP009"])).fixed == YAML.replace("@C@", "")
    own_line = YAML.replace("@C@", "").replace("implementation:", "# noqa: KFP145\nimplementation:")
    assert fix_text(own_line, "c.yaml", select(["KFP145", "KFP009"])).fixed == YAML.replace("@C@", "")
    explained = YAML.replace("@C@", "  # noqa: KFP145 because reasons")
    finding = next(f for f in check_text(explained, "c.yaml", WITH_UNUSED) if f.code == "KFP009")
    assert finding.fix is None  # the comment goes on: a human decides
