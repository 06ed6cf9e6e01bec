"""`[tool.kfp-migrate]` in pyproject.toml: discovery by walking up, precedence, strict validation,
exclusions and `.gitignore` (through pathspec), per-file ignores."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.config import ConfigError, discover_config, load

runner = CliRunner()
# KFP101 (untyped, read by value) and KFP145 (a name kfp 2 sanitizes) in one component.
COMPONENT = (
    "name: t\ninputs:\n- {name: My-Input}\nimplementation:\n  container:\n    image: alpine\n"
    "    command: [echo, {inputValue: My-Input}]\n"
)


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.kfp-migrate]\n{table}\n")
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "c.yaml").write_text(COMPONENT)
    return tmp_path


def _codes(output: str) -> list[str]:
    return sorted({word for line in output.splitlines() for word in line.split() if word.startswith("KFP")})


def test_the_closest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["KFP145"]')
    inner = tmp_path / "components"
    (inner / "pyproject.toml").write_text("[project]\nname = 'inner'\n")  # no table: passed over
    config = discover_config([inner / "c.yaml"], tmp_path)
    assert config.source == tmp_path / "pyproject.toml"
    result = runner.invoke(app, ["check", str(inner)])
    assert _codes(result.stdout) == ["KFP145"]


def test_command_line_select_replaces_and_ignore_adds(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["KFP145"]')
    target = str(tmp_path / "components")
    assert _codes(runner.invoke(app, ["check", "--select", "KFP101", target]).stdout) == ["KFP101"]
    assert runner.invoke(app, ["check", "--ignore", "KFP145", target]).exit_code == 0
    both = runner.invoke(app, ["check", "--extend-select", "KFP101", target]).stdout
    assert _codes(both) == ["KFP101", "KFP145"]


def test_isolated_ignores_the_file(tmp_path: Path) -> None:
    _project(tmp_path, 'select = ["KFP145"]')
    result = runner.invoke(app, ["check", "--isolated", str(tmp_path / "components")])
    assert _codes(result.stdout) == ["KFP101", "KFP145"]


def test_per_file_ignores_match_paths_relative_to_the_config(tmp_path: Path) -> None:
    _project(tmp_path, '[tool.kfp-migrate.per-file-ignores]\n"components/*" = ["KFP1"]')
    (tmp_path / "other.yaml").write_text(COMPONENT)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert "components" not in result.stdout
    assert f"{tmp_path / 'other.yaml'}:3:" in result.stdout


def test_unsafe_fixes_and_output_format_come_from_the_config(tmp_path: Path) -> None:
    _project(tmp_path, 'output-format = "json"\nunsafe-fixes = true')
    result = runner.invoke(app, ["check", str(tmp_path / "components")])
    assert result.stdout.lstrip().startswith("[")
    assert load(tmp_path / "pyproject.toml").unsafe_fixes is True


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('selct = ["KFP1"]', "unknown key `selct` in [tool.kfp-migrate]"),
        ('extend_select = ["KFP1"]', "did you mean `extend-select`?"),
        ('select = ["KFP9999"]', "`KFP9999` is not a rule code"),
        ('select = "KFP1"', "`select` must be a list of strings"),
        ("unsafe-fixes = 1", "`unsafe-fixes` must be true or false"),
        ('output-format = "xml"', "`output-format` must be one of"),
        ('[tool.kfp-migrate.per-file-ignores]\n"a/*" = ["NOPE1"]', "`NOPE1` is not a rule code"),
        ("select = [", "invalid TOML"),
    ],
)
def test_configuration_mistakes_are_errors_naming_the_file(tmp_path: Path, table: str, message: str) -> None:
    _project(tmp_path, table)
    result = runner.invoke(app, ["check", str(tmp_path / "components")])
    assert result.exit_code == 2
    assert message in result.stderr
    assert str(tmp_path / "pyproject.toml") in result.stderr


def test_config_error_type(tmp_path: Path) -> None:
    _project(tmp_path, "nope = 1")
    with pytest.raises(ConfigError):
        load(tmp_path / "pyproject.toml")


def test_extend_exclude_and_exclude(tmp_path: Path) -> None:
    _project(tmp_path, 'extend-exclude = ["components"]')
    (tmp_path / "kept.yaml").write_text(COMPONENT)
    output = runner.invoke(app, ["check", str(tmp_path)]).stdout
    assert "kept.yaml" in output and "components" not in output
    # A file named on the command line is still checked, as in ruff, unless --force-exclude.
    named = str(tmp_path / "components" / "c.yaml")
    assert runner.invoke(app, ["check", named]).exit_code == 1
    assert runner.invoke(app, ["check", "--force-exclude", named]).exit_code == 0


def test_default_excludes_skip_virtualenvs_and_build_output(tmp_path: Path) -> None:
    for folder in (".venv", "build", "node_modules", "src"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "c.yaml").write_text(COMPONENT)
    output = runner.invoke(app, ["check", "--isolated", str(tmp_path)]).stdout
    assert str(tmp_path / "src" / "c.yaml") in output
    assert ".venv" not in output and "build" not in output and "node_modules" not in output


def test_gitignore_is_honoured_in_a_git_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n*.tmp.yaml\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("!keep.tmp.yaml\n")
    for name in ("generated/c.yaml", "a.tmp.yaml", "sub/keep.tmp.yaml", "sub/c.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(COMPONENT)
    output = runner.invoke(app, ["check", "--isolated", str(tmp_path)]).stdout
    reported = sorted({line.split(":")[0] for line in output.splitlines() if ": KFP" in line})
    assert reported == sorted(str(tmp_path / n) for n in ("sub/c.yaml", "sub/keep.tmp.yaml"))
    everything = runner.invoke(app, ["check", "--isolated", "--no-respect-gitignore", str(tmp_path)]).stdout
    assert "generated" in everything and "a.tmp.yaml" in everything


def test_gitignore_outside_a_repository_means_nothing(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.yaml\n")
    (tmp_path / "c.yaml").write_text(COMPONENT)
    assert runner.invoke(app, ["check", "--isolated", str(tmp_path)]).exit_code == 1
