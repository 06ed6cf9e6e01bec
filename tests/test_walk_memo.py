"""A walk remembered across runs answers only while the folders it listed and the `.gitignore` files it read
are unchanged, and never when they changed too recently to be trusted."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import migrate.cache as cache_module
import migrate.discovery as discovery_module
from migrate.cache import Cache
from migrate.config import Config
from migrate.discovery import discover


@pytest.fixture
def trusting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust what changed a moment ago, as a run an hour later would (change times cannot be set back)."""
    monkeypatch.setattr(cache_module, "_RACY_SECONDS", -3600.0)


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg" / "deep").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("generated/\n")
    (root / "pkg" / "a.py").write_text("import kfp\n")
    (root / "pkg" / "deep" / "b.yaml").write_text("implementation: {}\n")
    (root / "generated").mkdir()
    (root / "generated" / "c.py").write_text("import kfp\n")
    return root


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders a walk really listed."""
    seen: list[str] = []
    real = discovery_module.os.scandir

    def counting(path: str) -> object:
        seen.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(discovery_module.os, "scandir", counting)
    return seen


def _found(root: Path, cache_dir: Path) -> list[str]:
    cache = Cache.open(cache_dir, "key")
    found = [str(c.path.relative_to(root)) for c in discover([root], Config(root=root), memo=cache)]
    cache.save()
    return found


def test_an_unchanged_tree_is_not_listed_again(tmp_path: Path, listed: list[str], trusting: None) -> None:
    root = _tree(tmp_path)
    first = _found(root, tmp_path / "cache")
    assert first == ["pkg/a.py", "pkg/deep/b.yaml"] and listed
    listed.clear()
    assert _found(root, tmp_path / "cache") == first
    assert listed == []


def test_a_new_file_a_removed_one_and_an_edited_gitignore_are_seen(
    tmp_path: Path, listed: list[str], trusting: None
) -> None:
    root = _tree(tmp_path)
    _found(root, tmp_path / "cache")
    (root / "pkg" / "deep" / "new.py").write_text("import kfp\n")
    assert "pkg/deep/new.py" in _found(root, tmp_path / "cache")
    (root / "pkg" / "a.py").unlink()
    assert "pkg/a.py" not in _found(root, tmp_path / "cache")
    # An edit in place leaves its folder's time alone: the file's own stamp says it changed.
    (root / ".gitignore").write_text("generated/\npkg/deep/\n")
    assert _found(root, tmp_path / "cache") == []
    (root / ".gitignore").write_text("")
    assert "generated/c.py" in _found(root, tmp_path / "cache")


def test_a_tree_changed_just_now_is_not_remembered(tmp_path: Path, listed: list[str]) -> None:
    root = _tree(tmp_path)  # its folders' times are now
    _found(root, tmp_path / "cache")
    listed.clear()
    _found(root, tmp_path / "cache")
    assert listed  # walked again: a change within the same clock tick could have gone unseen


def test_other_exclusions_walk_again(tmp_path: Path, trusting: None) -> None:
    root = _tree(tmp_path)
    _found(root, tmp_path / "cache")
    cache = Cache.open(tmp_path / "cache", "key")
    config = Config(root=root, extend_exclude=("deep",))
    assert [str(c.path.relative_to(root)) for c in discover([root], config, memo=cache)] == ["pkg/a.py"]


def test_folders_above_the_walk_count_for_each_folder_named(tmp_path: Path, trusting: None) -> None:
    """A second folder in one run (or a `force_exclude` check first) must still record the `.gitignore`
    files above it, or an edit there would go unseen by a later run over that folder alone."""
    root = _tree(tmp_path)
    (root / "other").mkdir()
    (root / "other" / "d.py").write_text("import kfp\n")
    cache = Cache.open(tmp_path / "cache", "key")
    both = [
        str(c.path.relative_to(root)) for c in discover([root / "pkg", root / "other"], Config(root=root), memo=cache)
    ]
    cache.save()
    assert both == ["pkg/a.py", "pkg/deep/b.yaml", "other/d.py"]
    (root / ".gitignore").write_text("generated/\nd.py\n")
    for force_exclude in (False, True):
        cache = Cache.open(tmp_path / "cache", "key")
        found = discover([root / "other"], Config(root=root), force_exclude=force_exclude, memo=cache)
        assert [str(c.path.relative_to(root)) for c in found] == []
        cache.save()
