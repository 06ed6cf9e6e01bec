"""The command line: exit codes as ruff (0 clean, 1 findings left, 2 usage/internal error), formats, stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

runner = CliRunner()
UNTYPED = "name: t\ninputs:\n- {name: a}\nimplementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"
UNFIXABLE = "name: t\ninputs:\n- {name: a, type: [String]}\nimplementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"


def _write(tmp_path: Path, text: str, name: str = "component.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_check_reports_and_exits_1(tmp_path: Path) -> None:
    path = _write(tmp_path, UNTYPED)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3:10: KFP101 [*] Input `a` has no type" in result.stdout
    assert path.read_text() == UNTYPED


def test_clean_check_exits_0(tmp_path: Path) -> None:
    _write(tmp_path, UNTYPED.replace("{name: a}", "{name: a, type: String}"))
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.stdout
    assert "All checks passed" in result.stdout


def test_fix_exits_0_when_everything_was_fixed(tmp_path: Path) -> None:
    path = _write(tmp_path, UNTYPED)
    result = runner.invoke(app, ["fix", str(path)])
    assert result.exit_code == 0, result.stdout
    assert "type: String" in path.read_text()


def test_fix_exits_1_when_findings_remain(tmp_path: Path) -> None:
    _write(tmp_path, UNFIXABLE)
    assert runner.invoke(app, ["fix", str(tmp_path)]).exit_code == 1


def test_diff_writes_nothing_and_exits_1_when_it_would_change(tmp_path: Path) -> None:
    path = _write(tmp_path, UNTYPED)
    result = runner.invoke(app, ["fix", "--diff", str(path)])
    assert result.exit_code == 1
    assert "+- {name: a, type: String}" in result.stdout
    assert path.read_text() == UNTYPED


def test_json_output_is_ruff_shaped_and_unwrapped(tmp_path: Path) -> None:
    _write(tmp_path, UNTYPED)
    result = runner.invoke(app, ["check", "--output-format", "json", str(tmp_path)], terminal_width=20)
    items = json.loads(result.stdout)
    assert items[0]["code"] == "KFP101"
    assert items[0]["location"] == {"row": 3, "column": 10}
    assert items[0]["fix"]["applicability"] == "safe"
    assert items[0]["fix"]["edits"][0]["content"] == ", type: String"


def test_select_and_ignore(tmp_path: Path) -> None:
    _write(tmp_path, UNTYPED)
    assert runner.invoke(app, ["check", "--ignore", "KFP101", str(tmp_path)]).exit_code == 0
    assert runner.invoke(app, ["check", "--select", "KFP1", str(tmp_path)]).exit_code == 1
    bad = runner.invoke(app, ["check", "--select", "KFP999", str(tmp_path)])
    assert bad.exit_code == 2 and "not a rule code" in bad.stderr


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2


def test_stdin_fix_prints_the_fixed_text() -> None:
    result = runner.invoke(app, ["fix", "-"], input=UNTYPED)
    assert result.exit_code == 0
    assert result.stdout == UNTYPED.replace("{name: a}", "{name: a, type: String}")


def test_rules_and_rule_pages() -> None:
    listing = runner.invoke(app, ["rules"])
    assert listing.exit_code == 0 and "KFP101" in listing.stdout
    page = runner.invoke(app, ["rule", "kfp101"])
    assert page.exit_code == 0 and page.stdout.startswith("# untyped-input-by-value (KFP101)")
    assert runner.invoke(app, ["rule", "KFP999"]).exit_code == 2


def test_module_entry_point_runs(tmp_path: Path) -> None:
    _write(tmp_path, UNTYPED)
    proc = subprocess.run([sys.executable, "-m", "migrate", "check", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "KFP101" in proc.stdout


def test_the_entry_point_flushes_everything_before_its_quick_exit(tmp_path: Path) -> None:
    """`main` ends with `os._exit`, skipping the interpreter's teardown: what was written must be out first."""
    for n in range(60):
        _write(tmp_path, UNTYPED, f"c{n}.yaml")
    command = [sys.executable, "-m", "migrate", "check", "--output-format", "json", "--no-cache", str(tmp_path)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert len(json.loads(proc.stdout)) == 60
    usage = subprocess.run([sys.executable, "-m", "migrate", "check", "--bogus"], capture_output=True, text=True)
    assert usage.returncode == 2 and "--bogus" in usage.stderr
    clean = subprocess.run([sys.executable, "-m", "migrate", "--version"], capture_output=True, text=True)
    assert clean.returncode == 0 and clean.stdout.startswith("kfp-migrate ")
