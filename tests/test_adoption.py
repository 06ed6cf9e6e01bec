"""Gradual adoption: `--baseline` reports only new findings, `--changed-since` only changed files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from migrate.cli import app

runner = CliRunner()
UNTYPED = "name: t\ninputs:\n- {name: a}\nimplementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"


def test_baseline_hides_recorded_findings_and_shows_new_ones(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(UNTYPED)
    baseline = tmp_path / "baseline.json"
    recorded = runner.invoke(app, ["check", "--isolated", "--write-baseline", str(baseline), str(tmp_path)])
    assert recorded.exit_code == 0
    rows = json.loads(baseline.read_text())["findings"]
    assert [(r["path"], r["code"], r["count"]) for r in rows] == [("old.yaml", "KFP101", 1)]
    assert runner.invoke(app, ["check", "--isolated", "--baseline", str(baseline), str(tmp_path)]).exit_code == 0
    # Lines moving above a recorded finding do not make it new; a second one, or a new file, is new.
    (tmp_path / "old.yaml").write_text("# moved\n" + UNTYPED)
    assert runner.invoke(app, ["check", "--isolated", "--baseline", str(baseline), str(tmp_path)]).exit_code == 0
    (tmp_path / "new.yaml").write_text(UNTYPED)
    result = runner.invoke(app, ["check", "--isolated", "--baseline", str(baseline), str(tmp_path)])
    assert result.exit_code == 1
    assert "new.yaml:3:10: KFP101" in result.stdout and "old.yaml" not in result.stdout


def test_a_bad_baseline_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(UNTYPED)
    (tmp_path / "b.json").write_text("[]")
    result = runner.invoke(app, ["check", "--baseline", str(tmp_path / "b.json"), str(tmp_path)])
    assert result.exit_code == 2 and "not a kfp-migrate baseline" in result.stderr


def _git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


def test_changed_since_takes_only_files_git_reports(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "committed.yaml").write_text(UNTYPED)
    (tmp_path / "edited.yaml").write_text(UNTYPED.replace("{name: a}", "{name: a, type: String}"))
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "start")
    (tmp_path / "edited.yaml").write_text(UNTYPED)
    (tmp_path / "untracked.yaml").write_text(UNTYPED)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(app, ["check", "--isolated", "--changed-since", "HEAD", "."])
        bad = runner.invoke(app, ["check", "--isolated", "--changed-since", "no-such-ref", "."])
    finally:
        os.chdir(cwd)
    reported = sorted({line.split(":")[0] for line in result.stdout.splitlines() if ": KFP" in line})
    assert reported == ["edited.yaml", "untracked.yaml"]
    assert bad.exit_code == 2 and "--changed-since" in bad.stderr
