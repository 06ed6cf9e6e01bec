"""Shared paths and helpers for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# CI clones main with shared/ beside it; a developer's checkout has it at ../shared too.
SHARED = Path(os.environ.get("KFP_MIGRATE_SHARED", ROOT.parent / "shared"))


def shared_dir(*parts: str) -> Path:
    """A directory under ../shared; missing is a skip locally and an error in CI."""
    path = SHARED.joinpath(*parts)
    if not path.is_dir():
        if os.environ.get("CI"):
            raise FileNotFoundError(f"{path} is missing: CI needs ../shared beside the checkout")
        pytest.skip(f"{path} not found (set KFP_MIGRATE_SHARED)")
    return path


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty cache of its own: no test sees another's results, none writes in the checkout."""
    monkeypatch.setenv("KFP_MIGRATE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
