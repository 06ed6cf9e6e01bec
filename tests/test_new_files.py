"""Fixes that create a file beside the one they fix (KFP141's companion pipeline), through the command line."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

runner = CliRunner()
GRAPH = (Path(__file__).parent.parent / "fixtures" / "KFP141" / "graph_component.in.yaml").read_text()
COMMENT = "# kfp 2: see component_pipeline.py (kfp-migrate KFP141)\n"
COMPANION_START = '"""kfp 2 form of the v1 graph component `component.yaml`, which kfp 2 cannot load.\n'


def _tree(tmp_path: Path, text: str = GRAPH, mode: int = 0o640) -> Path:
    path = tmp_path / "component.yaml"
    path.write_text(text)
    path.chmod(mode)
    return path


def _files(tmp_path: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(tmp_path.iterdir()) if p.is_file()}


def test_check_offers_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "KFP141 [-] Graph component" in result.stdout
    assert list(_files(tmp_path)) == ["component.yaml"]


def test_safe_fix_does_not_create_the_companion(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert runner.invoke(app, ["fix", str(tmp_path)]).exit_code == 1
    assert _files(tmp_path) == {"component.yaml": GRAPH}


def test_unsafe_fix_creates_the_companion_and_names_it_in_the_yaml(tmp_path: Path) -> None:
    path = _tree(tmp_path, mode=0o750)
    result = runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    assert result.exit_code == 1, result.stdout  # kfp 2 still cannot load the YAML
    files = _files(tmp_path)
    assert sorted(files) == ["component.yaml", "component_pipeline.py"]
    assert files["component.yaml"] == GRAPH.replace("implementation:\n", COMMENT + "implementation:\n", 1)
    assert files["component_pipeline.py"].startswith(COMPANION_START)
    # the source's mode, without its exec bits
    assert stat.S_IMODE((tmp_path / "component_pipeline.py").stat().st_mode) == 0o640
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert "its kfp 2 form is the `@dsl.pipeline` in `component_pipeline.py`" in result.stdout
    assert "Fixed 1 finding in 1 file" in result.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".kfp-migrate")]


def test_fix_twice_equals_fix_once(tmp_path: Path) -> None:
    _tree(tmp_path)
    runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    once = _files(tmp_path)
    result = runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    assert _files(tmp_path) == once
    assert "Fixed 0 findings in 0 files, 1 remaining." in result.stdout
    # the companion is Python that imports kfp: scanned too, and nothing in it needs a fix
    assert "component_pipeline.py" not in result.stdout.replace("in `component_pipeline.py`", "")


def test_diff_shows_the_new_file_from_dev_null_and_writes_nothing(tmp_path: Path) -> None:
    path = _tree(tmp_path)
    result = runner.invoke(app, ["fix", "--unsafe-fixes", "--diff", str(path)])
    assert result.exit_code == 1
    out = result.stdout
    assert f"--- a/{path}\n+++ b/{path}\n" in out
    assert f"+{COMMENT}" in out
    assert f"--- /dev/null\n+++ b/{tmp_path / 'component_pipeline.py'}\n@@ -0,0 +1," in out
    assert f"+{COMPANION_START}" in out
    assert out.index(f"+++ b/{path}") < out.index("--- /dev/null")
    assert list(_files(tmp_path)) == ["component.yaml"]


def test_json_report_stays_valid(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = runner.invoke(app, ["check", "--output-format", "json", str(tmp_path)])
    (item,) = json.loads(result.stdout)
    assert item["code"] == "KFP141"
    assert item["fix"]["applicability"] == "unsafe"
    assert item["fix"]["message"] == "Write the graph as a `@dsl.pipeline` in `component_pipeline.py`"
    assert [e["content"] for e in item["fix"]["edits"]] == [COMMENT]
    result = runner.invoke(app, ["fix", "--unsafe-fixes", "--output-format", "json", str(tmp_path)])
    (item,) = json.loads(result.stdout)
    assert item["fix"] is None and "component_pipeline.py" in item["message"]


def test_an_existing_companion_with_other_content_is_never_overwritten(tmp_path: Path) -> None:
    _tree(tmp_path)
    mine = tmp_path / "component_pipeline.py"
    mine.write_text("# my own module\n")
    for args in (["--diff"], []):
        result = runner.invoke(app, ["fix", "--unsafe-fixes", *args, str(tmp_path)])
        assert result.exit_code == (0 if args else 1)  # --diff: 1 when it shows changes, as ruff
        assert not args or result.stdout == ""
        if args:
            continue
        assert "KFP007 not fixed: the fix would create" in result.stdout
        assert f"{mine}, which exists with other content" in result.stdout
        assert "KFP141 Graph component" in result.stdout
        assert "/dev/null" not in result.stdout
        assert _files(tmp_path) == {"component.yaml": GRAPH, "component_pipeline.py": "# my own module\n"}


def test_refusal_keeps_the_other_fixes(tmp_path: Path) -> None:
    """Only the fix whose file exists is held back; the file's other fixes are applied."""
    _tree(tmp_path, GRAPH.replace("name: g\n", "name: g\nauthor: me\n"))
    (tmp_path / "component_pipeline.py").write_text("# my own module\n")
    result = runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    assert "KFP007 not fixed" in result.stdout
    text = (tmp_path / "component.yaml").read_text()
    assert "metadata: {annotations: {author: me}}" in text
    assert "kfp 2: see" not in text


def test_an_identical_companion_is_left_as_it_is(tmp_path: Path) -> None:
    _tree(tmp_path)
    runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    companion = tmp_path / "component_pipeline.py"
    expected = companion.read_text()
    _tree(tmp_path)  # the comment is gone again: the fix is offered again
    companion.chmod(0o600)
    before = companion.stat().st_mtime_ns
    result = runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    assert "KFP007" not in result.stdout
    assert COMMENT in (tmp_path / "component.yaml").read_text()
    assert companion.read_text() == expected
    assert companion.stat().st_mtime_ns == before and stat.S_IMODE(companion.stat().st_mode) == 0o600


def test_a_symlink_in_the_companions_place_is_not_followed(tmp_path: Path) -> None:
    _tree(tmp_path)
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep\n")
    os.symlink(target, tmp_path / "component_pipeline.py")
    result = runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path / "component.yaml")])
    assert "KFP007 not fixed" in result.stdout
    assert target.read_text() == "keep\n"
    assert (tmp_path / "component.yaml").read_text() == GRAPH


def test_no_fix_when_a_task_names_its_component_only_by_name(tmp_path: Path) -> None:
    text = "name: g\nimplementation:\n  graph:\n    tasks:\n      step:\n        componentRef: {name: xgboost/train}\n"
    _tree(tmp_path, text)
    result = runner.invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    assert "KFP141 Graph component" in result.stdout
    assert "names its component only by `name`" in result.stdout
    assert list(_files(tmp_path)) == ["component.yaml"]
