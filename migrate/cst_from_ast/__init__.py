"""LibCST trees built from `ast`, several times faster than LibCST's parser, for reading only.

`build(text)` gives the module LibCST's `parse_module(text)` gives: the same node classes in the same places,
the same non-whitespace fields (names, strings as written, operators, commas, parentheses, `MaybeSentinel`
where LibCST has it), and each node's span as LibCST's `PositionProvider` places it. Whitespace fields hold
shared defaults: the tree's code generation is not the text. Where that could differ from LibCST, `build`
raises `Unsupported` and the caller parses with LibCST.

How: `ast` gives every expression and statement with its position; what it leaves out (parentheses, commas,
operators, keywords, `else:`) is read from the text between the nodes, which holds nothing but those tokens,
whitespace and comments. LibCST's spans follow its code generation: most nodes span their tokens, and a few
also the whitespace LibCST gives them (a unary operator the spaces after it, a `)` those before it unless a
comma took them, a trailing comma those after it). tests/test_cst_from_ast.py and bench/cst_from_ast_oracle.py
compare with LibCST's own trees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from migrate import python_ast
from migrate.cst_from_ast._expressions import Unsupported
from migrate.cst_from_ast._scan import Unscannable
from migrate.cst_from_ast._statements import Builder

__all__ = ["Built", "Unsupported", "build"]


@dataclass(frozen=True)
class Built:
    module: cst.Module
    spans: Mapping[int, tuple[int, int]]  # id(node) -> (start, end) str offsets; no whitespace nodes


def build(text: str) -> Built:
    """The LibCST module of `text` (no byte order mark), built from `ast`. Raises SyntaxError (from `ast.parse`)
    for invalid Python, `Unsupported` where the result could differ from LibCST's."""
    if not _written_back(text):  # (a text scan: before the parse)
        raise Unsupported("LibCST does not write this text back as it is")
    tree = python_ast.parse(text)
    builder = Builder(text)
    try:
        module = builder.module(tree)
    except (Unscannable, IndexError) as error:
        raise Unsupported(str(error)) from None
    return Built(module, builder.sp)


def _written_back(text: str) -> bool:
    from migrate.python_source import _written_back as written_back

    return written_back(text)
