"""Text edits on Python source: imports added minimally, lines put at the top of a function body."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace as with_fields

import libcst as cst

from migrate.model import Edit, ImportInsertion, Insertion, StatementsInsertion
from migrate.python_source import PythonSource, node_code
from migrate.python_tree import walk
from rules._python import KfpModule


class Imports:
    """Names a fix needs; `ref` says how to spell one, `edits` adds whatever import is missing."""

    def __init__(self, module: KfpModule) -> None:
        self.module = module
        self._from: dict[str, list[str]] = {}  # module -> names to import from it
        self._spelled: dict[str, str] = {}

    def ref(self, qualified: str, through_module: bool = False) -> str:
        """How to write `qualified` (e.g. `kfp.dsl.Input`) here: through an import, existing or added.
        `through_module` spells a new import `dsl.component` rather than `component`."""
        if qualified in self._spelled:
            return self._spelled[qualified]
        existing = self.module.binding_for(qualified)
        if existing is not None:
            spelled = existing
        else:
            head, _, name = qualified.rpartition(".")
            free = name not in self.module.bindings and name not in self.module.defined_names
            if free and not through_module:
                self._from.setdefault(head, []).append(name)
                spelled = name
            else:  # the bare name is taken: go through its module, e.g. `dsl.Input`
                spelled = f"{self.ref(head)}.{name}" if "." in head else f"{head}.{name}"
        self._spelled[qualified] = spelled
        return spelled

    def edits(self) -> list[Edit]:
        out: list[Edit] = []
        new_lines: list[tuple[str, str]] = []
        for head, names in sorted(self._from.items()):
            statement = self._existing_from(head)
            if statement is not None and isinstance(statement.names, Sequence):
                out.append(_append_aliases(self.module.src, statement, head, names))
            else:
                new_lines += ((head, name) for name in names)
        if new_lines:
            out.append(_new_import_lines(self.module, tuple(new_lines)))
        return out

    def _existing_from(self, head: str) -> cst.ImportFrom | None:
        for binding in self.module.imports:
            statement = binding.statement
            if (
                binding.top_level
                and isinstance(statement, cst.ImportFrom)
                and binding.qualified.rpartition(".")[0] == head
            ):
                return statement
        return None


def _append_aliases(src: PythonSource, statement: cst.ImportFrom, head: str, names: list[str]) -> Edit:
    aliases = statement.names
    assert isinstance(aliases, Sequence)
    last = aliases[-1]
    end = src.span(last)[1]
    form = "aliases," if isinstance(last.comma, cst.Comma) else "aliases"
    return _inserting(end, ImportInsertion(tuple((head, n) for n in names), form))


def _inserting(at: int, insertion: Insertion) -> Edit:
    return Edit(at, at, insertion.render(), insertion)


def _new_import_lines(module: KfpModule, names: tuple[tuple[str, str], ...]) -> Edit:
    """New import statements after the last top-level import (or the docstring, or at the top)."""
    src = module.src
    nl = src.newline
    lines = ImportInsertion(names, "lines", nl)
    anchor: cst.BaseStatement | None = None
    for statement in src.module.body:
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(s, cst.Import | cst.ImportFrom) for s in statement.body
        ):
            anchor = statement
    if anchor is None and src.module.body:
        first = src.module.body[0]
        if _is_docstring(first):
            anchor = first
    if anchor is None:
        return _inserting(0, lines)
    end = src.span(anchor)[1]
    at = src.next_line_start(end)
    if at == len(src.text) and not src.text.endswith(("\n", "\r")):
        return _inserting(at, with_fields(lines, newline_first=True))
    return _inserting(at, lines)


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def body_indent(src: PythonSource, func: cst.FunctionDef) -> tuple[str, str] | None:
    """(indent of the body's statements, one more level) or None for a one-line body."""
    body = func.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    indent = src.indent_at(src.span(body.body[0])[0])
    step = body.indent if body.indent is not None else src.module.default_indent
    return indent, step


def prologue(
    src: PythonSource,
    func: cst.FunctionDef,
    lines: Sequence[str],
    after: frozenset[str] = frozenset(),
    order: int = 0,
) -> Edit | None:
    """Insert `lines` (relative indentation kept) as the first statements, after any docstring and
    after the bindings already made for the parameters named in `after` (so they stay in signature order).
    Other fixes' first statements at the same place join this block, ordered by `order`."""
    indent = body_indent(src, func)
    if indent is None:
        return None
    base, _ = indent
    body = func.body
    assert isinstance(body, cst.IndentedBlock)
    statements = list(body.body)
    block = StatementsInsertion(((order, tuple(base + line for line in lines)),), src.newline)
    previous: cst.BaseStatement | None = None
    if _is_docstring(statements[0]):
        previous = statements.pop(0)
    while statements and _binds_parameter(statements[0], after):
        previous = statements.pop(0)
    if previous is not None:
        at = src.next_line_start(src.span(previous)[1])
        if at == len(src.text) and not src.text.endswith(("\n", "\r")):
            return _inserting(at, with_fields(block, newline_first=True))
        return _inserting(at, block)
    # Above the blank and comment lines over the first statement (the lines after the header; read from the text,
    # which a quick tree's whitespace does not hold).
    first = body.body[0]
    decorators = getattr(first, "decorators", ())
    line = src.position(src.span(decorators[0] if decorators else first)[0])[0]
    while line > 1 and _blank_or_comment(src, line - 1):
        line -= 1
    return _inserting(src.line_starts[line - 1], block)


def _blank_or_comment(src: PythonSource, line: int) -> bool:
    start = src.line_starts[line - 1]
    end = src.line_starts[line] if line < len(src.line_starts) else len(src.text)
    content = src.text[start:end].strip(" \t\f\r\n")
    return not content or content.startswith("#")


def _binds_parameter(statement: cst.BaseStatement, params: frozenset[str]) -> bool:
    """A statement the file-parameter rewrite put first: `x_path = x.path`, or the temporary-file block."""
    if isinstance(statement, cst.With):
        return "tempfile.NamedTemporaryFile" in code(statement.items[0].item) if statement.items else False
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Import):
        return code(small) in ("import tempfile", "import json")
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return False
    return bool(names_in(small.value) & params)


def names_in(node: cst.CSTNode, skip_imports: bool = False) -> set[str]:
    """Every `Name` under `node`; with `skip_imports`, not those in import statements."""
    finder = _Names(skip_imports)
    walk(node, finder)
    return finder.names


def used_names(src: PythonSource) -> set[str]:
    """Names read anywhere in the module outside import statements (one walk per parse)."""
    found = src.cache.get("used_names")
    if not isinstance(found, set):
        finder = _Names(skip_imports=True)
        src.walk(src.module, finder)
        found = src.cache["used_names"] = finder.names
    return found


class _Names(cst.CSTVisitor):
    def __init__(self, skip_imports: bool) -> None:
        self.names: set[str] = set()
        self.skip_imports = skip_imports

    def visit_Import(self, node: cst.Import) -> bool:
        return not self.skip_imports

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return not self.skip_imports

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def replace(src: PythonSource, node: cst.CSTNode, text: str) -> Edit:
    start, end = src.span(node)
    return Edit(start, end, text)


def code(node: cst.CSTNode) -> str:
    return node_code(node, as_written=False)
