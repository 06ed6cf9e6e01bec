"""Python modules: kfp 2 code is left byte-identical, fixes converge, bad modules are reported and kept."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from migrate.engine import check_text, fix_text
from migrate.registry import all_rules
from migrate.runner import Candidate, Options, discover, run
from tests.conftest import FIXTURES

ALL = all_rules()

# Idiomatic kfp 2 modules, in the shapes the kfp 2 docs use: nothing to report, nothing to change.
V2_MODULES = {
    "artifacts": '''\
from typing import NamedTuple

from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output, OutputPath


@dsl.component(base_image="python:3.11", packages_to_install=["pandas==2.2.2"])
def train(data: Input[Dataset], model: Output[Model], metrics: Output[Metrics], epochs: int = 3,
          note: str = None) -> NamedTuple("Outputs", [("accuracy", float), ("label", str)]):
    """Trains."""
    import pandas as pd
    rows = pd.read_csv(data.path)
    with open(model.path, "w") as f:
        f.write(str(len(rows) * epochs))
    metrics.log_metric("rows", len(rows))
    return (0.9, "ok")


@dsl.component
def count(data: dsl.InputPath("Dataset"), total: OutputPath(int)):
    open(total, "w").write(str(len(open(data).read())))


@dsl.pipeline(name="training")
def training(uri: str = "gs://bucket/data.csv", epochs: int = 3):
    data = dsl.importer(artifact_uri=uri, artifact_class=Dataset)
    with dsl.ParallelFor([1, 2]) as item:
        train(data=data.output, epochs=epochs)
    count(data=data.output)


if __name__ == "__main__":
    compiler.Compiler().compile(training, "training.yaml")
''',
    "container_component": """\
import kfp
from kfp import dsl


@dsl.container_component
def echo(msg: str):
    return dsl.ContainerSpec(image="alpine", command=["echo"], args=[msg])


@kfp.dsl.pipeline
def hello(msg: str = "hi"):
    echo(msg=msg).set_caching_options(False)
""",
    "not_kfp_at_all": """\
def add(a, b):
    return a + b
""",
}


@pytest.mark.parametrize("name", sorted(V2_MODULES))
def test_kfp2_modules_have_no_findings_and_stay_byte_identical(name: str) -> None:
    text = V2_MODULES[name]
    assert check_text(text, f"{name}.py", ALL) == []
    assert fix_text(text, f"{name}.py", ALL, unsafe=True).fixed is None


PY_CASES = sorted(FIXTURES.glob("KFP[23]*/*.in.py"))


@pytest.mark.parametrize("case", PY_CASES, ids=lambda p: f"{p.parent.name}/{p.name.split('.in.')[0]}")
def test_fixing_with_every_rule_twice_equals_once(case: Path) -> None:
    text = case.read_bytes().decode("utf-8")
    once = fix_text(text, case.name, ALL, unsafe=True)
    assert not any(f.code == "KFP007" for f in once.findings), once.findings
    fixed = once.fixed if once.fixed is not None else text
    assert fix_text(fixed, case.name, ALL, unsafe=True).fixed is None


V1_MODULE = (
    "from kfp.components import OutputPath, create_component_from_func\n\n"
    "def make(out_path: OutputPath('CSV')):\n    open(out_path, 'w').write('x')  # keep\n\n"
    "make_op = create_component_from_func(make, base_image='python:3.11')\n"
)


def test_python_file_keeps_bom_crlf_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "comp.py"
    path.write_bytes(b"\xef\xbb\xbf" + V1_MODULE.replace("\n", "\r\n").encode())
    os.chmod(path, 0o750)
    [report] = run([Candidate(path, explicit=True)], Options(rules=ALL, fix=True))
    data = path.read_bytes()
    assert report.written and data.startswith(b"\xef\xbb\xbf") and b"\n" not in data.replace(b"\r\n", b"")
    assert b"# keep" in data and b"out: Output[Artifact]" in data and b"from kfp import dsl" in data
    assert stat.S_IMODE(path.stat().st_mode) == 0o750


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"import kfp\ndef f(:\n    pass\n", "KFP008"),
        (b"import kfp\nname = 'caf\xe9'\n", "KFP001"),
        (b"import kfp\x00\x01", "KFP001"),
    ],
    ids=["syntax-error", "latin-1", "binary"],
)
def test_bad_python_is_reported_left_alone_and_does_not_stop_the_run(tmp_path: Path, content: bytes, code: str) -> None:
    bad = tmp_path / "bad.py"
    bad.write_bytes(content)
    good = tmp_path / "good.py"
    good.write_text(V1_MODULE)
    reports = {Path(r.path).name: r for r in run(list(discover([tmp_path])), Options(rules=ALL, fix=True))}
    assert [f.code for f in reports["bad.py"].findings] == [code]
    assert f"{bad}:" not in reports["bad.py"].findings[0].message
    assert bad.read_bytes() == content
    assert reports["good.py"].written


def test_syntax_error_names_the_line() -> None:
    [finding] = check_text("from kfp import dsl\n\ndef f(:\n    pass\n", "m.py", ALL)
    assert (finding.code, finding.line) == ("KFP008", 3)


def test_modules_without_kfp_are_skipped_when_walking(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("def f(:\n")
    assert run(list(discover([tmp_path])), Options(rules=ALL)) == []


COMPONENTS = (
    "from kfp.components import InputPath, create_component_from_func\n\n"
    "def show(data_path: InputPath(), times):\n    print(open(data_path).read() * int(times))\n\n"
    "show_op = create_component_from_func(show, base_image='python:3.11')\n"
)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("show_op(data=msg, times=2)", "def show(data: str, times: int):"),
        ("show_op('hello', 3)", "def show(data: str, times: int):"),
        ("show_op(data='gs://b/x', times=2)", "def show(data_path: InputPath(), times: int):"),
    ],
    ids=["keyword-parameter", "positional-constant", "uri-left-to-human"],
)
def test_calls_in_other_scanned_files_decide_file_inputs(tmp_path: Path, call: str, expected: str) -> None:
    (tmp_path / "comps.py").write_text(COMPONENTS)
    (tmp_path / "pipe.py").write_text(
        f"from kfp import dsl\nfrom comps import show_op\n\n@dsl.pipeline(name='p')\ndef p(msg: str = 'hi'):\n    {call}\n"
    )
    reports = {Path(r.path).name: r for r in run(list(discover([tmp_path])), Options(rules=ALL, fix=True, unsafe=True))}
    assert expected in (tmp_path / "comps.py").read_text()
    if "gs://" in call:
        [finding] = [f for f in reports["comps.py"].findings if f.code == "KFP217"]
        assert "pipe.py" in finding.message and "dsl.importer" in finding.message


def test_json_locations_count_python_line_breaks_only() -> None:
    """U+2028 inside a Python string is not a line break (it is in YAML): edit rows must not drift."""
    from migrate.report import json_report
    from migrate.runner import check_stdin_text

    text = 'X = "a\u2028b"\n' + V1_MODULE
    report, _ = check_stdin_text(text.encode(), Options(rules=ALL), "m.py")
    [kfp203] = [f for f in json.loads(json_report([report])) if f["code"] == "KFP203"]
    assert kfp203["location"]["row"] == 4
    # the new import goes after line 2, the name and annotation are on line 4, the binding before line 5
    assert sorted(edit["location"]["row"] for edit in kfp203["fix"]["edits"]) == [3, 4, 4, 5]
