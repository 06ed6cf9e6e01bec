"""A parsed Python module: the libcst tree plus str offsets for every node, for text edits."""

from __future__ import annotations

import ast
from functools import cached_property

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from migrate.callers import NO_CROSS_FILE, CrossFile
from migrate.lines import PYTHON_LINE_BREAK, LineIndex


class PythonProblem(Exception):
    """The module does not parse; `line`/`col` are 1-based."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def _described(text: str, error: cst.ParserSyntaxError) -> PythonProblem:
    """CPython's own message and line where it has one (LibCST's point past the error), else LibCST's."""
    try:
        ast.parse(text)
    except SyntaxError as precise:
        return PythonProblem(f"Python syntax error: {precise.msg}", precise.lineno or 1, precise.offset or 1)
    except (ValueError, RecursionError, MemoryError):
        pass
    first = str(error).strip().splitlines()[0] if str(error).strip() else "syntax error"
    return PythonProblem(f"Python syntax LibCST cannot parse: {first}", error.raw_line, error.raw_column + 1)


class PythonSource:
    """One module's text and tree. Offsets are str indexes (LibCST columns count characters)."""

    def __init__(self, text: str, path: str, foreign: CrossFile = NO_CROSS_FILE) -> None:
        self.text, self.path = text, path
        self.foreign = foreign  # what the other scanned files say about this module
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as error:
            raise _described(text, error) from None
        except RecursionError:
            raise PythonProblem("Python nesting too deep to parse", 1, 1) from None
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.module = self.wrapper.module
        self.lines = LineIndex(text, PYTHON_LINE_BREAK)
        self.line_starts = self.lines.starts
        self.newline = "\r\n" if "\r\n" in text else "\r" if "\r" in text and "\n" not in text else "\n"
        self.cache: dict[str, object] = {}  # analyses that rules share, computed once per parse

    @cached_property
    def positions(self) -> dict[cst.CSTNode, CodeRange]:
        return dict(self.wrapper.resolve(PositionProvider))

    @cached_property
    def parents(self) -> dict[cst.CSTNode, cst.CSTNode]:
        return dict(self.wrapper.resolve(ParentNodeProvider))

    def offset(self, line: int, col: int) -> int:
        """The str offset of a 1-based line and 0-based column, as LibCST reports them."""
        return self.line_starts[line - 1] + col

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node]
        return self.offset(where.start.line, where.start.column), self.offset(where.end.line, where.end.column)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a str offset."""
        return self.lines.position(offset)

    def line_start(self, offset: int) -> int:
        return self.line_starts[self.position(offset)[0] - 1]

    def next_line_start(self, offset: int) -> int:
        """Where the line after the one holding `offset` starts (the end of the text on the last line)."""
        line = self.position(offset)[0]
        return self.line_starts[line] if line < len(self.line_starts) else len(self.text)

    def indent_at(self, offset: int) -> str:
        """The whitespace that starts the line holding `offset`."""
        start = self.line_start(offset)
        line = self.text[start:offset]
        return line[: len(line) - len(line.lstrip(" \t"))]
