"""KFP322 beside the rules that read the same parameters: one finding per parameter, and the type kfp 2 will
check it against."""

from __future__ import annotations

from migrate.engine import check_text, fix_text
from migrate.model import FixSafety
from migrate.registry import all_rules

HEAD = (
    "from kfp import dsl\nfrom kfp.components import create_component_from_func\n\n\n"
    "def use(n: int, x: float, s: str):\n    print(n, x, s)\n\n\n"
    "use_op = create_component_from_func(use, base_image='python:3.11')\n\n\n"
)


def _codes(text: str) -> list[str]:
    return sorted(f.code for f in check_text(text, "p.py", all_rules()) if f.code in ("KFP201", "KFP208", "KFP322"))


def test_inputs_that_disagree_leave_the_type_to_a_human() -> None:
    text = HEAD + "@dsl.pipeline(name='p')\ndef p(v: dsl.PipelineParam):\n    use_op(n=v, x=v, s='a')\n"
    (finding,) = [f for f in check_text(text, "p.py", all_rules()) if f.code == "KFP322"]
    assert finding.fix is None
    assert "(it feeds inputs of types Float, Integer)" in finding.message


def test_the_inputs_it_feeds_decide_the_type_unsafely() -> None:
    text = (
        HEAD
        + "@dsl.pipeline(name='p')\ndef p(v: dsl.PipelineParam(name='v', value=1)):\n    use_op(n=v, x=1.0, s='a')\n"
    )
    (finding,) = [f for f in check_text(text, "p.py", all_rules()) if f.code == "KFP322"]
    assert finding.fix is not None and finding.fix.safety is FixSafety.UNSAFE
    fixed = fix_text(text, "p.py", all_rules(), unsafe=True).fixed
    assert fixed is not None and "def p(v: int):" in fixed


def test_without_inputs_a_class_annotation_becomes_str_safely() -> None:
    text = HEAD + "@dsl.pipeline(name='p')\ndef p(v: dsl.PipelineParam):\n    use_op(n=1, x=1.0, s='a')\n"
    fixed = fix_text(text, "p.py", all_rules(), unsafe=False).fixed
    assert fixed is not None and "def p(v: str):" in fixed


def test_one_rule_reports_a_pipeline_param_parameter() -> None:
    """KFP201 (untyped) and KFP208 (unreadable annotation) leave these parameters to KFP322."""
    text = HEAD + (
        "@dsl.pipeline(name='p')\n"
        "def p(a=dsl.PipelineParam(name='a', value=2), b: dsl.PipelineParam(name='b', value=3) = 4):\n"
        "    use_op(n=a, x=1.0, s='a')\n"
    )
    assert _codes(text) == ["KFP322", "KFP322"]
    fixed = fix_text(text, "p.py", all_rules(), unsafe=True).fixed
    assert fixed is not None and "def p(a: int = 2, b: int = 4):" in fixed
