"""The hooks in .pre-commit-hooks.yaml, run by pre-commit itself on throwaway git repositories.

pre-commit pip-installs this checkout into a virtualenv of its own (once per session; it needs the package
index). Why the hooks look as they do:
- `--force-exclude` (as in ruff's hooks): pre-commit names every staged file, and `exclude` in
  `[tool.kfp-migrate]` must still apply to them.
- `--no-progress`: pre-commit runs hooks on a pseudo-terminal when colour is on and prints their output
  only afterwards, so a progress bar would only litter it.
- `require_serial`: kfp-migrate runs its own process pool and content-hash cache, and reads the files it is
  given together (a component's fix depends on the pipelines calling it); pre-commit's parallel batches would
  split those files, oversubscribe the CPUs and race on the cache.
- `files` narrows `types_or: [python, yaml]` to the suffixes kfp-migrate reads by: identify tags an
  executable script with a python shebang `python`, and kfp-migrate would read it as YAML.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

FIX_HOOK, CHECK_HOOK = "kfp-migrate", "kfp-migrate-check"
HOOK_NAMES = {FIX_HOOK: "kfp-migrate fix", CHECK_HOOK: "kfp-migrate check"}

# v1 inputs whose findings `fix` repairs completely (their .out files equal a fix with every rule).
COMPONENT, PIPELINE = "components/echo/component.yaml", "pipelines/decorated.py"
COMPONENTS = {COMPONENT: FIXTURES / "KFP101" / "block_style_mapping", PIPELINE: FIXTURES / "KFP202" / "decorators"}
# Files the hooks must leave alone, byte for byte.
UNRELATED = {
    # `on` is a YAML 1.1 boolean: a trap for anything that re-dumps YAML.
    ".github/workflows/ci.yml": "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test  # the suite\n",
    "tools/release.py": "import subprocess\n\n\ndef tag(version):\n    subprocess.run(['git', 'tag', version], check=True)\n",
    # Matches `[tool.kfp-migrate] extend-exclude` below: a v1 component the project chose not to migrate.
    "vendored/echo.yaml": (FIXTURES / "KFP101" / "block_style_mapping.in.yaml").read_text(),
    "pyproject.toml": '[project]\nname = "consumer"\n\n[tool.kfp-migrate]\nextend-exclude = ["vendored/"]\n',
}
# Executable with a python shebang: pre-commit tags it `python`; as YAML it is a syntax error.
SCRIPT, SCRIPT_TEXT = (
    "bin/deploy",
    "#!/usr/bin/env python3\nimport sys\n\n\ndef main():\n    print({'argv': sys.argv})\n\n\nmain()\n",
)
FINDING = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d{3}) ", re.MULTILINE)
STATUS = re.compile(r"^(?P<name>\S.*?)\.{3,}(?:\(no files to check\))?(?P<status>Passed|Failed|Skipped)$", re.MULTILINE)
MODIFIED = "- files were modified by this hook"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROGRESS = re.compile(r"\d+/\d+ files")


@dataclass(frozen=True)
class HookRun:
    returncode: int
    output: str

    def status(self, hook: str) -> str:
        """Passed, Failed or Skipped, from pre-commit's line for the hook."""
        statuses = {m["name"]: m["status"] for m in STATUS.finditer(ANSI.sub("", self.output))}
        assert HOOK_NAMES[hook] in statuses, self.output
        return statuses[HOOK_NAMES[hook]]

    def findings(self) -> set[tuple[str, int, int, str]]:
        return {(m["path"], int(m["line"]), int(m["col"]), m["code"]) for m in FINDING.finditer(self.output)}


def _environment(home: Path) -> dict[str, str]:
    """The caller's environment without what a surrounding git hook, pre-commit run or test fixture would leak in:
    PYTHONPATH would let the hook import this checkout instead of what pre-commit installed, and conftest
    points KFP_MIGRATE_CACHE_DIR away from the repository, where a user's hook keeps its cache."""
    leaks = ("GIT_", "PRE_COMMIT", "KFP_MIGRATE_", "PYTHONPATH", "PYTHONHOME")
    kept = {k: v for k, v in os.environ.items() if not k.startswith(leaks) and k != "SKIP"}
    return {**kept, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    """git's standard output; with check=False, its output and errors whatever the exit code."""
    identity = ("-c", "user.name=kfp-migrate tests", "-c", "user.email=tests@invalid", "-c", "commit.gpgsign=false")
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if not check:
        return done.stdout + done.stderr
    assert done.returncode == 0, f"git {' '.join(args)} in {cwd}:\n{done.stdout}{done.stderr}"
    return done.stdout


def _snapshot(checkout: Path, target: Path) -> str:
    """Commit the checkout as it is on disk, untracked files included, into a new repository; its revision.
    `pre-commit try-repo` commits staged files and changes to tracked ones only (and installs afresh on every
    call), so a new module or .pre-commit-hooks.yaml not yet `git add`ed would be missing from what it installs."""
    if subprocess.run(["git", "rev-parse"], cwd=checkout, capture_output=True).returncode != 0:
        pytest.fail(f"{checkout} is not a git checkout: pre-commit installs hooks from a git repository")
    listed = _git(checkout, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, listed):
        source = checkout / name
        if source.is_file() or source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name, follow_symlinks=False)
    _git(target, "init", "-q")
    _git(target, "add", "--all", "--force", ".")
    _git(target, "commit", "-q", "--no-verify", "-m", "snapshot of the checkout under test")
    return _git(target, "rev-parse", "HEAD").strip()


def _config(repo: Path, rev: str) -> str:
    """What `pre-commit try-repo` writes, with JSON strings (valid YAML) for the path."""
    hooks = "".join(f"    -   id: {hook}\n" for hook in HOOK_NAMES)
    return f"repos:\n-   repo: {json.dumps(str(repo))}\n    rev: {rev}\n    hooks:\n{hooks}"


def _pre_commit(cwd: Path, home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=_environment(home),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,  # a hook that prompts reads end-of-file and fails instead of hanging
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def hook_config(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The .pre-commit-config.yaml text for the checkout under test, and a PRE_COMMIT_HOME with its hooks installed."""
    base = tmp_path_factory.mktemp("pre-commit")
    snapshot, home, warmup = base / "hook-repo", base / "home", base / "warmup"
    for directory in (snapshot, home, warmup):
        directory.mkdir()
    config = _config(snapshot, _snapshot(ROOT, snapshot))
    _git(warmup, "init", "-q")
    (warmup / ".pre-commit-config.yaml").write_text(config)
    try:
        done = _pre_commit(warmup, home, "install-hooks", timeout=900)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"pre-commit install-hooks took over {error.timeout} s: is the package index reachable?")
    if done.returncode != 0:
        log = home / "pre-commit.log"
        pytest.fail(
            "pre-commit could not build the hooks' environment; it pip-installs this checkout and its "
            "dependencies, which needs the package index (or a pip configuration pointing at a mirror).\n"
            f"{done.stdout}{done.stderr}\n{log.read_text() if log.exists() else ''}"
        )
    return config, home


@pytest.fixture
def consumer(tmp_path: Path, hook_config: tuple[str, Path]) -> dict[str, bytes]:
    """A git repository using the hooks: v1 components, files they must not touch; every file's bytes."""
    files = {name: _fixture(case, "in", name).read_text() for name, case in COMPONENTS.items()}
    files |= UNRELATED | {SCRIPT: SCRIPT_TEXT, ".pre-commit-config.yaml": hook_config[0]}
    _repository(tmp_path, files, executable=SCRIPT)
    return _contents(tmp_path)


def _repository(root: Path, files: dict[str, str], executable: str | None = None) -> None:
    """A git repository at `root` with `files` staged (not committed, as for `pre-commit run --all-files`)."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode())
    if executable is not None:
        (root / executable).chmod((root / executable).stat().st_mode | stat.S_IXUSR)
    _git(root, "init", "-q")
    _git(root, "add", "--all", ".")


def _fixture(case: Path, kind: str, name: str) -> Path:
    """`case`'s .in or .out file, with the suffix of `name`."""
    return case.parent / f"{case.name}.{kind}{Path(name).suffix}"


def _contents(repo: Path) -> dict[str, bytes]:
    return {name: (repo / name).read_bytes() for name in _git(repo, "ls-files", "-z").split("\0") if name}


def _run(repo: Path, home: Path, hook: str, *files: str, color: str = "never") -> HookRun:
    """Run one hook on `files` (as a commit staging only them would), or on all files."""
    chosen = ("--files", *files) if files else ("--all-files",)
    done = _pre_commit(repo, home, "run", *chosen, "--color", color, hook)
    output = done.stdout + done.stderr
    # Neither pre-commit's own errors (bad manifest, failed install) nor a crash of kfp-migrate (exit 2,
    # e.g. a dependency missing from pyproject.toml) is a hook result: they fail even an xfail test.
    if "An error has occurred" in output or "An unexpected error has occurred" in output or "- exit code: 2" in output:
        pytest.fail(f"pre-commit or kfp-migrate failed:\n{output}")
    return HookRun(done.returncode, output)


def test_check_hook_fails_with_the_findings_and_changes_nothing(
    tmp_path: Path, consumer: dict[str, bytes], hook_config: tuple[str, Path]
) -> None:
    run = _run(tmp_path, hook_config[1], CHECK_HOOK)
    assert (run.returncode, run.status(CHECK_HOOK)) == (1, "Failed"), run.output
    assert "- exit code: 1" in run.output and MODIFIED not in run.output, run.output
    expected = {
        (name, *map(int, position.split(":")), code)
        for name, case in COMPONENTS.items()
        for position, code, _ in (line.split(" ", 2) for line in case.with_suffix(".findings").read_text().splitlines())
    }
    assert expected <= run.findings(), run.output
    # Excluded, unrelated and extensionless files get no finding, not even "cannot be read".
    assert {path for path, *_ in run.findings()} == set(COMPONENTS), run.output
    assert _contents(tmp_path) == consumer


def test_fix_hook_fixes_and_fails_once_then_passes(
    tmp_path: Path, consumer: dict[str, bytes], hook_config: tuple[str, Path]
) -> None:
    home = hook_config[1]
    first = _run(tmp_path, home, FIX_HOOK)
    # kfp-migrate exits 0 (nothing left), yet the commit must stop: pre-commit saw the files change.
    assert (first.returncode, first.status(FIX_HOOK)) == (1, "Failed"), first.output
    assert MODIFIED in first.output, first.output
    fixed = _contents(tmp_path)
    for name, case in COMPONENTS.items():
        assert fixed[name] == _fixture(case, "out", name).read_bytes(), name
    assert {name: data for name, data in fixed.items() if name not in COMPONENTS} == {
        name: data for name, data in consumer.items() if name not in COMPONENTS
    }

    second = _run(tmp_path, home, FIX_HOOK)
    assert (second.returncode, second.status(FIX_HOOK)) == (0, "Passed"), second.output
    check = _run(tmp_path, home, CHECK_HOOK)
    assert (check.returncode, check.status(CHECK_HOOK)) == (0, "Passed"), check.output
    assert _contents(tmp_path) == fixed
    # The cache kfp-migrate keeps in the repository ignores itself: nothing new for `git add -A` to pick up.
    assert _git(tmp_path, "ls-files", "--others", "--exclude-standard") == ""


def test_commit_fixes_the_staged_files_and_keeps_unstaged_edits(
    tmp_path: Path, consumer: dict[str, bytes], hook_config: tuple[str, Path]
) -> None:
    """A real `git commit` in a dirty tree: pre-commit stashes unstaged edits, the hooks see the staged files only."""
    home = hook_config[1]
    env = _environment(home)
    _git(tmp_path, "commit", "-q", "--no-verify", "-m", "v1 as it was", env=env)
    installed = _pre_commit(tmp_path, home, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    pinned = consumer[COMPONENT].replace(b"image: alpine", b"image: alpine:3")
    (tmp_path / COMPONENT).write_bytes(pinned)
    _git(tmp_path, "add", COMPONENT)
    (tmp_path / PIPELINE).write_bytes(consumer[PIPELINE] + b"# not staged\n")

    output = _git(tmp_path, "commit", "-m", "pin the image", env=env, check=False)
    assert MODIFIED in output and "Stashing unstaged files" in output, output
    assert _git(tmp_path, "log", "--format=%s") == "v1 as it was\n"
    fixed = _fixture(COMPONENTS[COMPONENT], "out", COMPONENT).read_bytes().replace(b"image: alpine", b"image: alpine:3")
    assert (tmp_path / COMPONENT).read_bytes() == fixed
    # Not staged, so not given to the hooks: still v1, and the edit survives pre-commit's stash.
    assert (tmp_path / PIPELINE).read_bytes() == consumer[PIPELINE] + b"# not staged\n"

    _git(tmp_path, "add", COMPONENT)
    _git(tmp_path, "commit", "-m", "pin the image", env=env)
    assert _git(tmp_path, "show", f"HEAD:{COMPONENT}").encode() == fixed


def test_many_files_get_one_report_and_no_progress_bar(tmp_path: Path, hook_config: tuple[str, Path]) -> None:
    """With colour on (as under `git commit` in a terminal) pre-commit runs hooks on a pseudo-terminal and shows
    their output only afterwards, so a progress bar would only litter it. One report: `require_serial` keeps
    pre-commit from splitting the files across parallel runs (on a machine with more than one CPU)."""
    config, home = hook_config
    json_check = f"    -   id: {CHECK_HOOK}\n        args: [--output-format=json]\n"
    files = {
        f"components/c{i:03}.yaml": _fixture(COMPONENTS[COMPONENT], "in", COMPONENT).read_text() for i in range(120)
    }
    files[".pre-commit-config.yaml"] = config.replace(f"    -   id: {CHECK_HOOK}\n", json_check)
    _repository(tmp_path, files)
    run = _run(tmp_path, home, CHECK_HOOK, color="always")
    head = run.output[:3000]  # the whole report is 120 findings long
    assert (run.returncode, run.status(CHECK_HOOK)) == (1, "Failed"), head
    assert not PROGRESS.search(run.output), head
    start = run.output.index("\n[") + 1
    report, end = json.JSONDecoder().raw_decode(run.output, start)
    assert run.output[end:].strip() == "", f"a second report: {run.output[end : end + 3000]}"
    assert sorted(finding["filename"] for finding in report) == sorted(n for n in files if n.startswith("components/"))


def test_yaml_that_is_no_component_never_fails_the_hooks(tmp_path: Path, hook_config: tuple[str, Path]) -> None:
    files = {
        "deploy/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
        "mkdocs.yml": "site_name: docs\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
        ".pre-commit-config.yaml": hook_config[0],
    }
    _repository(tmp_path, files)
    run = _run(tmp_path, hook_config[1], CHECK_HOOK)
    assert (run.returncode, run.status(CHECK_HOOK)) == (0, "Passed"), run.output


def test_fix_hook_heeds_callers_in_files_not_staged(tmp_path: Path, hook_config: tuple[str, Path]) -> None:
    component = "from kfp.components import create_component_from_func\n\n\ndef make(rows):\n    print(int(rows))\n\n\nmake_op = create_component_from_func(make, base_image='python:3.11')\n"
    pipeline = "from kfp import dsl\n\nfrom steps import make_op\n\n\n@dsl.pipeline(name='making')\ndef making():\n    make_op(rows=7)\n"
    _repository(tmp_path, {"steps.py": component, "pipeline.py": pipeline, ".pre-commit-config.yaml": hook_config[0]})
    run = _run(tmp_path, hook_config[1], FIX_HOOK, "steps.py")
    assert run.status(FIX_HOOK) == "Failed", run.output
    assert "rows: str" not in (tmp_path / "steps.py").read_text(), run.output
