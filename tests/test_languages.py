"""The cheap text tests run on every file before any parse: a fast one must say what its pattern says."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from migrate.languages import IMPORTS_KFP, imports_kfp
from tests.conftest import FIXTURES

PIECES = ("import", "from", ",", " ", "\t", "\\\n", "\n", "kfp", "kfp2", "kfp.dsl", "x", "_", "é", "\u2003", "#", "(")


@pytest.mark.parametrize(
    "text",
    [
        "import kfp",
        "from kfp import dsl",
        "import os, kfp.dsl",
        "from \\\n   kfp import dsl",
        "import\u2003kfp",
        "ximport kfp",
        "_from kfp import x",
        "éimport kfp",
        "importkfp",
        "kfp",
        "import kfp2",
        "from kfpx import y",
        "x = 1 ,kfp",
        "",
    ],
)
def test_imports_kfp_says_what_its_pattern_says(text: str) -> None:
    assert imports_kfp(text) == (IMPORTS_KFP.search(text) is not None)


def test_imports_kfp_agrees_with_its_pattern_on_random_texts() -> None:
    rng = random.Random(5)
    texts = ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12))) for _ in range(20_000)]
    assert sum(IMPORTS_KFP.search(t) is not None for t in texts) > 1_000  # both answers are well represented
    assert [imports_kfp(t) for t in texts] == [IMPORTS_KFP.search(t) is not None for t in texts]


def test_imports_kfp_agrees_with_its_pattern_on_the_fixtures() -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(Path(FIXTURES).rglob("*.py"))]
    assert len(texts) > 50
    assert [imports_kfp(t) for t in texts] == [IMPORTS_KFP.search(t) is not None for t in texts]
