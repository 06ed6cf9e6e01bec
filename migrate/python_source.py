"""A parsed Python module: the libcst tree plus str offsets for every node, for text edits.

Positions come from one code generation that counts offsets (LibCST's `PositionProvider` computes lines and
columns, several times slower); parents and visits from `migrate.python_tree`.
"""

from __future__ import annotations

import ast
from functools import cached_property, lru_cache

import libcst as cst
from libcst._nodes.internal import CodegenState

from migrate.callers import NO_CROSS_FILE, CrossFile
from migrate.lines import PYTHON_LINE_BREAK, LineIndex
from migrate.python_tree import Parents, Tree


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


class _Parsed:
    """A text's tree, and what follows from the tree alone: the same for every source of that text."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module

    @cached_property
    def spans(self) -> dict[int, tuple[int, int]]:
        """id(node) -> (start, end) str offsets of every node, where LibCST's `PositionProvider` places it."""
        return _offsets(self.module)

    @cached_property
    def tree(self) -> Tree:
        return Tree(self.module)


# `fix` parses each pass's result twice (is it still Python? then, its findings) and checks the final text
# again: the few latest parses are kept. Trees are immutable; each source keeps its own `cache`.
@lru_cache(maxsize=8)
def _parse(text: str) -> _Parsed:
    return _Parsed(cst.parse_module(text))


class PythonSource:
    """One module's text and tree. Offsets are str indexes (LibCST columns count characters)."""

    def __init__(self, text: str, path: str, foreign: CrossFile = NO_CROSS_FILE) -> None:
        self.text, self.path = text, path
        self.foreign = foreign  # what the other scanned files say about this module
        try:
            self._parsed = _parse(text)
        except cst.ParserSyntaxError as error:
            raise _described(text, error) from None
        except RecursionError:
            raise PythonProblem("Python nesting too deep to parse", 1, 1) from None
        self.module = self._parsed.module
        self.lines = LineIndex(text, PYTHON_LINE_BREAK)
        self.line_starts = self.lines.starts
        self.newline = "\r\n" if "\r\n" in text else "\r" if "\r" in text and "\n" not in text else "\n"
        self.cache: dict[str, object] = {}  # analyses that rules share, computed once per parse

    @property
    def _spans(self) -> dict[int, tuple[int, int]]:
        return self._parsed.spans

    @property
    def tree(self) -> Tree:
        return self._parsed.tree

    @cached_property
    def parents(self) -> Parents:
        """Each node's parent, as LibCST's `ParentNodeProvider` gives it."""
        return Parents(self.tree)

    def walk(self, node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
        """`node.visit(visitor)` for a visitor that only reads, `node` being part of this module."""
        self.tree.walk(node, visitor)

    def offset(self, line: int, col: int) -> int:
        """The str offset of a 1-based line and 0-based column, as LibCST reports them."""
        return self.line_starts[line - 1] + col

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """Where `node` starts and ends: str offsets, as LibCST's `PositionProvider` places it."""
        start, end = self._spans[id(node)]
        if end > len(self.text):
            # A last line without its newline: LibCST's end still counts the newline it generates, then drops.
            # As with its line and column (a line past the text), there is no offset for it.
            raise IndexError(f"{type(node).__name__} ends past the end of the text")
        return start, end

    def has_span(self, node: cst.CSTNode) -> bool:
        return id(node) in self._spans

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


# --- positions --------------------------------------------------------------------------------------------


class _OffsetState(CodegenState):
    """Code generation that keeps only where each node starts and ends, as str offsets: what LibCST's
    `PositionProvidingCodegenState` records as lines and columns, without splitting every token."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.spans: dict[int, tuple[int, int]] = {}  # by id(node): a node's own hash is a Python call
        self.starts: list[int] = []

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop()
        if id(node) not in self.spans:  # a syntactic position recorded inside wins
            self.spans[id(node)] = (start, self.offset)

    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> _SyntacticPosition:
        return _SyntacticPosition(self, node, start_node, end_node)


class _SyntacticPosition:
    """LibCST's `record_syntactic_position` context, as a plain object: a generator-based context manager
    per node costs more than the rest of the bookkeeping."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self, state: _OffsetState, node: cst.CSTNode, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None
    ) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.offset

    def __exit__(self, *_: object) -> None:
        spans = self.state.spans
        start = spans[id(self.start_node)][0] if self.start_node is not None else self.start
        end = spans[id(self.end_node)][1] if self.end_node is not None else self.state.offset
        spans[id(self.node)] = (start, end)


def _offsets(module: cst.Module) -> dict[int, tuple[int, int]]:
    state = _OffsetState(module)
    module._codegen(state)
    return state.spans
