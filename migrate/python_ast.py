"""`ast.parse`, shared: a module's cross-file facts (`migrate.callers`) and its quick tree (`migrate.cst_from_ast`)
read the same parse when one process computes both."""

from __future__ import annotations

import ast
import warnings
from functools import lru_cache


@lru_cache(maxsize=2)
def parse(text: str) -> ast.Module:
    """The module's `ast`, without the warnings `ast` gives for invalid escapes and the like (LibCST gives none).
    Raises what `ast.parse` raises. The trees are shared: read them, never change them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)
