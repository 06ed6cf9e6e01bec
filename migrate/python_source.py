"""A parsed Python module: the libcst tree plus str offsets of its nodes, for text edits.

Positions come from code generation that counts offsets (LibCST's `PositionProvider` computes lines and
columns, several times slower), run only on the statements holding the nodes asked about; parents and visits
from `migrate.python_tree`.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property, lru_cache
from typing import TypeVar

import libcst as cst
from libcst._nodes.internal import CodegenState

from migrate.callers import NO_CROSS_FILE, CrossFile
from migrate.lines import PYTHON_LINE_BREAK, LineIndex
from migrate.python_tree import Parents, Tree
from migrate.unknown_whitespace import record_read


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

    def __init__(self, text: str, module: cst.Module) -> None:
        self.module = module
        self.offsets = _Offsets(text, module)

    @cached_property
    def tree(self) -> Tree:
        return Tree(self.module)

    def span(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """(start, end) str offsets of `node`, where LibCST's `PositionProvider` places it; None for what is
        not a node of this module."""
        offsets = self.offsets
        found = offsets.found.get(id(node))
        if found is None and not offsets.complete:
            found = offsets.compute(node, lambda: self.tree)
        return found


# `fix` parses each pass's result twice (is it still Python? then, its findings) and checks the final text
# again: the few latest parses are kept. Trees are immutable; each source keeps its own `cache`.
@lru_cache(maxsize=8)
def _parse(text: str) -> _Parsed:
    return _Parsed(text, cst.parse_module(text))


class _Built:
    """A tree `migrate.cst_from_ast` built from `ast`: LibCST's classes, fields and spans, but not its whitespace
    (shared defaults), so its code generation is not the text's (`node_code` reads the text instead)."""

    def __init__(self, module: cst.Module, spans: Mapping[int, tuple[int, int]]) -> None:
        self.module = module
        self.spans = spans

    @cached_property
    def tree(self) -> Tree:
        return Tree(self.module)

    def span(self, node: cst.CSTNode) -> tuple[int, int] | None:
        return self.spans.get(id(node))


@lru_cache(maxsize=8)
def _quick_parse(text: str) -> _Built | None:
    """The quick tree of `text`; None where only LibCST's parser will do: a text `ast` rejects (LibCST then says
    what is wrong, as without `quick`), or one the builder does not convert. Both answers are kept: `fix`
    asks again for each pass's text."""
    from migrate import cst_from_ast

    try:
        built = cst_from_ast.build(text)
    except (SyntaxError, cst_from_ast.Unsupported, RecursionError, MemoryError, ValueError):
        return None
    return _Built(built.module, built.spans)


# The sources whose rules are running: `node_code` reads their nodes' code from their text.
_reading: list[PythonSource] = []


@contextlib.contextmanager
def reading(src: PythonSource) -> Iterator[None]:
    """While rules read `src`: `node_code` of its nodes is their text. After: the analyses rules shared are
    dropped; they refer back to `src`, and the cycle would keep its tree alive until the cyclic collector
    (which a run calls rarely, and which then has every such tree to trace)."""
    _reading.append(src)
    try:
        yield
    finally:
        _reading.pop()
        src.cache.clear()


_CODEGEN = cst.Module([])  # how `code_for_node` writes a node outside any module


def node_code(node: cst.CSTNode, as_written: bool = True) -> str:
    """The code of `node`: as written, for a node of a module being read (LibCST's code generation re-indents a
    node over several lines; a quick tree has no whitespace to generate), else as LibCST writes it. Without
    `as_written`, LibCST's code generation, the same tokens, serves where it is cheaper (to evaluate a literal)."""
    written = _written(node, quick_only=not as_written)
    if written is None:
        return _CODEGEN.code_for_node(node)
    if not as_written and ("\n" in written or "\r" in written):
        record_read()  # LibCST's code generation of its tree would re-indent this: not the same text
    return written


def value_code(node: cst.BaseExpression) -> str:
    """Code that evaluates to what the expression `node` does: as written on a quick tree, else LibCST's code
    generation (cheaper than offsets). The two differ at most in how continuation lines are indented, which
    no value depends on (a string's lines are its token's, written as they are)."""
    written = _written(node, quick_only=True)
    return _CODEGEN.code_for_node(node) if written is None else written


def _written(node: cst.CSTNode, quick_only: bool) -> str | None:
    """The text of `node` in the source being read that owns it (with `quick_only`, only on a quick tree)."""
    for src in _reading:
        if (src.quick or not quick_only) and src.owns(node):
            start, end = src.span(node)
            return src.text[start:end]
    return None


class PythonSource:
    """One module's text and tree. Offsets are str indexes (LibCST columns count characters).

    `quick`: build the tree from `ast` (about three times cheaper than LibCST's parser) when the module allows;
    its findings are exact, and so are their fixes' edits unless a rule read whitespace (`Fix.provisional`).
    `self.quick` says which tree it got; a text `ast` rejects gets LibCST's tree, or error, as without `quick`."""

    def __init__(self, text: str, path: str, foreign: CrossFile = NO_CROSS_FILE, quick: bool = False) -> None:
        self.text, self.path = text, path
        self.foreign = foreign  # what the other scanned files say about this module
        try:
            built = _quick_parse(text) if quick else None
            self._parsed: _Parsed | _Built = built if built is not None else _parse(text)
            self.quick = built is not None
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
        found = self._parsed.span(node)
        if found is None:
            raise KeyError(node)
        start, end = found
        if end > len(self.text):
            # A last line without its newline: LibCST's end still counts the newline it generates, then drops.
            # As with its line and column (a line past the text), there is no offset for it.
            raise IndexError(f"{type(node).__name__} ends past the end of the text")
        return start, end

    def has_span(self, node: cst.CSTNode) -> bool:
        return self._parsed.span(node) is not None

    def code(self, node: cst.CSTNode) -> str:
        """The code of `node`, a node of this module, as written."""
        start, end = self.span(node)
        return self.text[start:end]

    def owns(self, node: cst.CSTNode) -> bool:
        """Whether `node` is a node of this module's tree (whitespace aside)."""
        if self.quick:
            return self._parsed.span(node) is not None
        tree = self.tree
        number = tree.number.get(id(node))
        return number is not None and tree.nodes[number] is node

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
    `PositionProvidingCodegenState` records as lines and columns, without splitting every token.
    `offset` and `indents`: where the first node generated starts, inside which indented blocks."""

    def __init__(self, module: cst.Module, offset: int = 0, indents: Sequence[str] = ()) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.indent_tokens = list(indents)
        self.offset = offset
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


class _SuiteReached(Exception):
    """Ends a `_HeadState` generation."""


class _HeadState(_OffsetState):
    """Generates a statement up to its first suite: a compound statement's head (`@d\\ndef f(a):`) is a few
    of its nodes, its body most of them. A simple statement line has no suite: all of it is generated."""

    def __init__(self, module: cst.Module, offset: int = 0, indents: Sequence[str] = ()) -> None:
        super().__init__(module, offset, indents)
        self.suite: cst.BaseSuite | None = None

    def before_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in _SUITES:
            self.suite = node  # type: ignore[assignment]
            raise _SuiteReached
        self.starts.append(self.offset)


_SUITES = frozenset({cst.IndentedBlock, cst.SimpleStatementSuite})


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

    def __exit__(self, stopped: type[BaseException] | None, *_: object) -> None:
        if stopped is not None:  # a head generation ended inside: this node has no end yet
            return
        spans = self.state.spans
        start = spans[id(self.start_node)][0] if self.start_node is not None else self.start
        end = spans[id(self.end_node)][1] if self.end_node is not None else self.state.offset
        spans[id(self.node)] = (start, end)


def _offsets(module: cst.Module) -> dict[int, tuple[int, int]]:
    state = _OffsetState(module)
    module._codegen(state)
    return state.spans


def _written_back(text: str) -> bool:
    """Whether LibCST's code generation starts with `text`. Where LibCST writes back other text than it read,
    a node's offset depends on every statement before it, and only the whole module's code generation gives it.

    LibCST regenerates indentation instead of keeping it: a form feed, a tab, or a backslash continuation
    before a line's first token can be lost; a byte order mark is. Found by comparing real files with their
    regenerated code, after changing their whitespace at random (tests/test_python_source.py keeps the cases).
    A last line without its newline is no such case: the code generated has one (then drops it, see
    `PythonSource.span`), offsets are counted with it."""
    if "\f" in text or text.startswith("\ufeff"):
        return False
    for mark in ("\t", "\\\n", "\\\r"):
        at = text.find(mark)
        while at >= 0:
            if _blank_before(text, at):
                return False
            at = text.find(mark, at + 1)
    return not (text.endswith("\\") and _blank_before(text, len(text) - 1))


def _blank_before(text: str, at: int) -> bool:
    """Whether only spaces and tabs are between the start of the line holding `at` and `at`."""
    start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    return not text[start:at].strip(" \t")


# A statement, the body holding it (the module's or an indented block's), the indentation it is generated with.
_Holder = tuple[cst.BaseStatement, cst.Module | cst.IndentedBlock, list[str]]


class _Offsets:
    """Where a module's nodes start and end, found a statement at a time, when a node is asked about.

    Each statement's code is a run of the module's text (where `_written_back`): a statement generated on its
    own, from where it starts, gives the offsets the whole module's generation gives. A statement's start is
    known exactly after the module's header (the first statement), after a statement generated whole (the
    next one), and after a compound statement's head (the first statement of its first block). Else it is the
    only place where the statement's head is in the text at a line's start, between the statements already
    placed around it (no such place twice: then the statements holding it are placed first, from the module
    down, and failing that the statements before it are generated). Every generation is compared with the
    text; the whole module's generation answers whatever this does not (the module, its header and footer,
    whitespace of statements not generated yet)."""

    def __init__(self, text: str, module: cst.Module) -> None:
        self.text, self.module = text, module
        self.found: dict[int, tuple[int, int]] = {}  # by id(node)
        self.complete = False  # the whole module generated: `found` is all there is
        self._start: dict[int, int] = {}  # by id(statement): where its code starts, leading lines included
        self._end: dict[int, int] = {}  # by id(statement) generated whole
        self._headed: set[int] = set()  # id(statement) whose head is in `found`
        self._placed: dict[int, list[int]] = {}  # by id(body): indexes of the statements with a `_start`, sorted
        self._index: dict[int, dict[int, int]] = {}  # by id(body): id(statement) -> its index
        self._unplaced: dict[int, _HeadState] = {}  # by id(statement): its head, not found once in the text

    def compute(self, node: cst.CSTNode, tree: Callable[[], Tree]) -> tuple[int, int] | None:
        if not isinstance(node, cst.CSTNode):  # `MaybeSentinel`: no node, no position
            return None
        if not self._by_statement or not self._around(node, tree()) or id(node) not in self.found:
            self.found = _offsets(self.module)
            self.complete = True
        return self.found.get(id(node))

    @cached_property
    def _by_statement(self) -> bool:
        return _written_back(self.text)

    def _around(self, node: cst.CSTNode, tree: Tree) -> bool:
        """Generates the statement holding `node` (its head, if `node` is there), placed directly or else after
        the statements holding it. False if it could not."""
        at = tree.number.get(id(node))
        if at is None or at == 0 or tree.nodes[at] is not node:
            return False  # whitespace (not numbered), the module, or no node of this module
        holders = _holders(tree, at, self.module)
        statement, _, indents = holders[-1]
        if not self._place(holders, chain=False):
            for depth in range(len(holders)):
                outer, _, outer_indents = holders[depth]
                if not self._place(holders[: depth + 1], chain=True):
                    # Its start is unknown: the statement holding it, whose start is known, is generated whole.
                    return depth > 0 and self._whole(*holders[depth - 1][::2])
                if not self._head(outer, outer_indents):
                    return False
                if id(node) in self.found:
                    return True
        if not self._head(statement, indents):
            return False
        return id(node) in self.found or self._whole(statement, indents)

    def _place(self, holders: list[_Holder], *, chain: bool) -> bool:
        """Finds where the last of `holders` starts (see the class), the others being the statements holding
        it; with `chain`, generates the statements before it if need be. False if it could not."""
        statement, body, indents = holders[-1]
        if id(statement) in self._start:
            return True
        index = self._index_of(statement, body)
        statements = body.body
        if index == 0 and body is self.module:
            return self._set_start(body, 0, sum(len(self.module.code_for_node(line)) for line in self.module.header))
        if index and id(statements[index - 1]) in self._end:
            return self._set_start(body, index, self._end[id(statements[index - 1])])
        state = self._unplaced.pop(id(statement), None) or _generated(_HeadState(self.module, 0, indents), statement)
        code = "".join(state.tokens)
        last_token = state.tokens[-1] if state.suite is None else ""
        start = _only_at_a_line_start(self.text, code, *self._bounds(holders), last_token)
        if start is not None:
            self._set_start(body, index, start)
            return self._commit(statement, start, state)
        if not chain:
            self._unplaced[id(statement)] = state
            return False
        # The statements from the last one placed before it are generated one after another.
        placed = self._placed.get(id(body), [])
        at = bisect.bisect_left(placed, index)
        first = placed[at - 1] if at else 0
        if not at and (body is not self.module or not self._place([(statements[0], body, indents)], chain=True)):
            return False
        for earlier in statements[first:index]:
            if not self._whole(earlier, indents):
                return False
            self._set_start(body, self._index_of(earlier, body) + 1, self._end[id(earlier)])
        return True

    def _bounds(self, holders: list[_Holder]) -> tuple[int, int]:
        """Where the last of `holders` starts at the earliest, and a place it starts before: from the
        statements placed around it and around those holding it."""
        low, high = 0, len(self.text) + 1
        for statement, body, _ in holders:
            index = self._index_of(statement, body)
            placed = self._placed.get(id(body), [])
            at = bisect.bisect_left(placed, index)
            if at < len(placed) and placed[at] == index:  # a statement holding it, placed
                low = max(low, self._start[id(statement)])
            elif at:
                low = max(low, self._start[id(body.body[placed[at - 1]])] + 1)
            after = bisect.bisect_right(placed, index)
            if after < len(placed):
                high = min(high, self._start[id(body.body[placed[after]])])
        return low, high

    def _head(self, statement: cst.BaseStatement, indents: list[str]) -> bool:
        if id(statement) in self._headed:
            return True
        start = self._start[id(statement)]
        return self._commit(statement, start, _generated(_HeadState(self.module, start, indents), statement))

    def _whole(self, statement: cst.BaseStatement, indents: list[str]) -> bool:
        if id(statement) in self._end:
            return True
        start = self._start[id(statement)]
        return self._commit(statement, start, _generated(_OffsetState(self.module, start, indents), statement))

    def _commit(self, statement: cst.BaseStatement, start: int, state: _OffsetState) -> bool:
        """Keeps what `state` generated of `statement`, placed at `start`, if it is the text there."""
        code = "".join(state.tokens)
        if not self.text.startswith(code, start) and not _ends(self.text, code, start, state.tokens[-1]):
            return False
        generated_at = state.offset - len(code)
        if generated_at == start:
            self.found.update(state.spans)
        else:
            shift = start - generated_at
            self.found.update({key: (begin + shift, end + shift) for key, (begin, end) in state.spans.items()})
        self._headed.add(id(statement))
        suite = state.suite if isinstance(state, _HeadState) else None
        if suite is None:
            self._end[id(statement)] = start + len(code)
        elif isinstance(suite, cst.IndentedBlock):
            first = start + len(code) + len(self.module.code_for_node(suite.header))
            self._set_start(suite, 0, first)
        return True

    def _set_start(self, body: cst.Module | cst.IndentedBlock, index: int, start: int) -> bool:
        statement = body.body[index]
        if id(statement) not in self._start:
            self._start[id(statement)] = start
            bisect.insort(self._placed.setdefault(id(body), []), index)
        return True

    def _index_of(self, statement: cst.BaseStatement, body: cst.Module | cst.IndentedBlock) -> int:
        index = self._index.get(id(body))
        if index is None:
            index = self._index[id(body)] = {id(s): i for i, s in enumerate(body.body)}
        return index[id(statement)]


def _holders(tree: Tree, at: int, module: cst.Module) -> list[_Holder]:
    """The statements holding node number `at`, outermost first, with their bodies and indentation."""
    line = [at]  # the node and its ancestors, up to the module's statement
    while tree.parent[at] > 0:
        at = tree.parent[at]
        line.append(at)
    holders: list[_Holder] = []
    indents: list[str] = []  # what `IndentedBlock` and `Match` push: the indentation of what is below
    for number in reversed(line):
        current, up = tree.nodes[number], tree.parent[number]
        if up == 0 or type(tree.nodes[up]) is cst.IndentedBlock:
            body = tree.nodes[up] if up else module
            holders.append((current, body, indents))  # type: ignore[arg-type]
        if isinstance(current, cst.IndentedBlock | cst.Match):
            indents = [*indents, module.default_indent if current.indent is None else current.indent]
    return holders


_State = TypeVar("_State", bound=_OffsetState)


def _generated(state: _State, statement: cst.BaseStatement) -> _State:
    with contextlib.suppress(_SuiteReached):
        statement._codegen(state)
    return state


def _only_at_a_line_start(text: str, code: str, low: int, high: int, last_token: str) -> int | None:
    """Where `code` is in `text` at a line's start, from `low` to before `high`, if there is one such place.
    With its `last_token`, `code` may also end the text but for that token: the newline of a last line without
    one."""
    found = None
    trimmed = code[: len(code) - len(last_token)]
    if last_token and text.endswith(trimmed) and low <= len(text) - len(trimmed) < high:
        found = len(text) - len(trimmed)
        if found and text[found - 1] not in "\r\n":
            found = None
    at = text.find(code, low)
    while 0 <= at < high:
        if at == 0 or text[at - 1] in "\r\n":
            if found is not None:
                return None
            found = at
        at = text.find(code, at + 1)
    return found


def _ends(text: str, code: str, start: int, last_token: str) -> bool:
    """Whether `code` at `start` is the end of `text` and the newline (`last_token`) of a last line without one."""
    return len(text) - start == len(code) - len(last_token) and text.endswith(code[: len(text) - start])
