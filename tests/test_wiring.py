"""Task wiring across files: components loaded from YAML files beside the pipeline, or imported from
other scanned modules, are checked and fixed as if they were defined in the pipeline's module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from migrate.registry import all_rules, select
from migrate.runner import Options, discover, run
from rules.pipeline_dsl._wiring import kfp1_pythonic, sanitize
from rules.pipeline_dsl.wiring import converted_constant

ALL = all_rules()
TRAIN_YAML = """\
name: Train
inputs:
- {name: Training Data, type: Dataset}
- {name: epochs, type: Integer, default: '1', optional: true}
- {name: rate, type: Float}
outputs:
- {name: Model, type: Model}
- {name: Output, type: String}
implementation:
  container:
    image: alpine
    command: [sh, -c, 'cat $0; echo $1 $2 > $4; echo m > $3', {inputPath: Training Data}, {inputValue: epochs},
      {inputValue: rate}, {outputPath: Model}, {outputPath: Output}]
"""
PIPELINE = """\
import os

from kfp import components, dsl

train_op = components.load_component_from_file(os.path.join(os.path.dirname(__file__), "train.yaml"))
prepare_op = components.load_component_from_file("prepare.yaml")


@dsl.pipeline(name="train")
def pipeline(rate: float = 0.1):
    prepared = prepare_op()
    trained = train_op(prepared.outputs["data"], rate, epochs="3")
    train_op(training_data=trained.outputs["Model"], rate=1)
"""
PREPARE_YAML = """\
name: Prepare
outputs:
- {name: data, type: Dataset}
implementation:
  container:
    image: alpine
    command: [sh, -c, 'echo x > $0', {outputPath: data}]
"""


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "train.yaml").write_text(TRAIN_YAML)
    (tmp_path / "prepare.yaml").write_text(PREPARE_YAML)
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    return tmp_path


def _codes(reports: list, name: str) -> list[str]:
    return [f.code for r in reports if Path(r.path).name == name for f in r.findings]


def test_components_loaded_from_files_are_checked(tmp_path: Path) -> None:
    reports = run(list(discover([_tree(tmp_path)])), Options(rules=select(["KFP3"])))
    assert sorted(_codes(reports, "pipeline.py")) == ["KFP315", "KFP315", "KFP316", "KFP318", "KFP318", "KFP319"]
    messages = [f.message for r in reports for f in r.findings if f.code == "KFP319"]
    assert "`train_op` (train.yaml) input `training_data` (artifact `system.Dataset`)" in messages[0]
    assert "`train_op` (train.yaml) output `model` (artifact `system.Model`)" in messages[0]


def test_fixed_pipeline_compiles_under_kfp2_except_what_is_left_to_a_human(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    reports = run(list(discover([tree])), Options(rules=ALL, fix=True, unsafe=True))
    text = (tree / "pipeline.py").read_text()
    assert 'train_op(training_data=prepared.outputs["data"], rate=rate, epochs=3)' in text
    assert 'train_op(training_data=trained.outputs["model"], rate=1.0)' in text
    assert _codes(reports, "pipeline.py") == ["KFP319"]  # Model into Dataset: a human decides
    (tree / "pipeline.py").write_text(text.replace('trained.outputs["model"]', 'prepared.outputs["data"]'))
    again = run(list(discover([tree])), Options(rules=ALL, fix=True, unsafe=True))
    assert _codes(again, "pipeline.py") == []
    compiled = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pipeline; from kfp import compiler; compiler.Compiler().compile(pipeline.pipeline, 'p.yaml')",
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr


def test_loaded_component_is_seen_as_this_run_will_fix_it(tmp_path: Path) -> None:
    """An untyped YAML input is an artifact to kfp 2 until KFP101 types it; fixing both at once converges."""
    (tmp_path / "echo.yaml").write_text(
        "name: Echo\ninputs:\n- {name: msg}\nimplementation:\n  container:\n    image: alpine\n"
        "    command: [echo, {inputValue: msg}]\n"
    )
    (tmp_path / "pipe.py").write_text(
        "from kfp import components, dsl\n\necho_op = components.load_component_from_file('echo.yaml')\n\n"
        "@dsl.pipeline(name='p')\ndef p():\n    echo_op(msg='hi')\n"
    )
    checked = run(list(discover([tmp_path])), Options(rules=ALL))
    assert "KFP317" in _codes(checked, "pipe.py")  # as it stands, kfp 2 rejects it
    fixed = run(list(discover([tmp_path])), Options(rules=ALL, fix=True, unsafe=True))
    assert "KFP317" not in _codes(fixed, "pipe.py")
    again = run(list(discover([tmp_path])), Options(rules=ALL, fix=True, unsafe=True))
    assert all(r.fixed is None for r in again)


def test_components_imported_from_other_modules(tmp_path: Path) -> None:
    (tmp_path / "comps.py").write_text(
        "from kfp import dsl\nfrom kfp.dsl import Dataset, Input\n\n"
        "@dsl.component(base_image='python:3.11')\ndef show(data: Input[Dataset], times: int):\n    print(times)\n"
    )
    (tmp_path / "pipe.py").write_text(
        "from kfp import dsl\nfrom comps import show\n\n@dsl.pipeline(name='p')\ndef p():\n    show('gs://b/x.csv', '2')\n"
    )
    fixed = run(list(discover([tmp_path])), Options(rules=select(["KFP3"]), fix=True, unsafe=True))
    assert _codes(fixed, "pipe.py") == []
    assert (
        "show(data=dsl.importer(artifact_uri='gs://b/x.csv', artifact_class=dsl.Dataset).output, times=2)"
        in (tmp_path / "pipe.py").read_text()
    )


def test_unknown_components_get_no_findings(tmp_path: Path) -> None:
    (tmp_path / "pipe.py").write_text(
        "from kfp import components, dsl\n\nop = components.load_component_from_file('missing.yaml')\n\n"
        "@dsl.pipeline(name='p')\ndef p():\n    op(a=1)\n"
    )
    assert _codes(run(list(discover([tmp_path])), Options(rules=select(["KFP3"]))), "pipe.py") == []


@pytest.mark.parametrize(
    ("name", "kfp1", "kfp2"),
    [
        ("Output", "output", "output"),
        ("Model Dir", "model_dir", "model_dir"),
        ("1st", "n1st", "1st"),
        ("a__b", "a_b", "a__b"),
    ],
)
def test_names_as_each_kfp_makes_them(name: str, kfp1: str, kfp2: str) -> None:
    assert (kfp1_pythonic(name), sanitize(name)) == (kfp1, kfp2)


def test_names_match_kfp2_own_sanitizer() -> None:
    from kfp.dsl.utils import sanitize_input_name

    for name in ["Output", "Model Dir", "1st", "a__b", "-x-", "Über Data", "CamelCase"]:
        assert sanitize(name) == sanitize_input_name(name)


@pytest.mark.parametrize(
    ("value", "wanted", "expected"),
    [
        (1, "Float", ("1.0", True)),
        ("0.5", "Float", ("0.5", True)),
        ("nan", "Float", None),
        ("3", "Integer", ("3", True)),
        ("03", "Integer", ("3", False)),
        ("x", "Integer", None),
        ("true", "Boolean", ("True", True)),
        ("True", "Boolean", ("True", False)),
        ('{"a": 1}', "Dict", ("{'a': 1}", False)),
        ("[1]", "Dict", None),
        (True, "Integer", None),
    ],
)
def test_constant_conversions(value: object, wanted: str, expected: tuple[str, bool] | None) -> None:
    assert converted_constant(value, wanted) == expected


def test_a_helper_named_as_its_component_is_no_task() -> None:
    """Inside the component `evaluate`, `evaluate(p, x)` calls the helper it defines, not the component."""
    from migrate.engine import check_text

    text = (
        "from kfp import dsl\n\n\n@dsl.component\ndef evaluate(p: dict) -> float:\n"
        "    def evaluate(p, x):\n        return p['a'] * x\n\n    return evaluate(p, 2)\n\n\n"
        "@dsl.pipeline\ndef pipe():\n    evaluate(dict(a=1))\n"
    )
    found = [(f.line, f.code) for f in check_text(text, "m.py", all_rules()) if f.code.startswith("KFP31")]
    assert found == [(14, "KFP315")]  # the pipeline's call, not the helper's
