"""Statements and the module: `ast` statements to LibCST's, grouped into lines and blocks as LibCST does."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from itertools import accumulate, count
from typing import Any, ClassVar

from migrate.cst_from_ast import _nodes as n
from migrate.cst_from_ast._expressions import DEFAULT, Expressions, Node, Unsupported
from migrate.cst_from_ast._scan import LINE_GAP, PAREN_OR_COMMENT

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_GAP_STARTS = frozenset(" \t\f\\")
_set_semicolon: dict[type, Callable[[Node, object], None]] = {}
Placed = tuple[Node, int, int]  # a statement, where it starts and ends (LibCST's span)


def _semicolon_setter(cls: type) -> Callable[[Node, object], None]:
    found = _set_semicolon.get(cls)
    if found is None:
        found = _set_semicolon[cls] = n.setter(cls, "semicolon")
    return found


class Builder(Expressions):
    """Builds the LibCST module of one text (or of one replacement field's expression, for f-strings)."""

    def __init__(self, text: str, depth: int = 0) -> None:
        self.text = text
        self.depth = depth
        self.sp: dict[int, tuple[int, int]] = {}
        self.ascii = text.isascii()
        self._encoded = {}
        if "\r" in text:
            self.ls = [0, 0, *[m.end() for m in _LINE_BREAK.finditer(text)]]
        else:  # line i + 1 starts after the i first lines and their newlines
            self.ls = [0, 0, *map(operator.add, accumulate(map(len, text.split("\n")[:-1])), count(1))]
        self.default_indent: str | None = None
        self.indents: list[str] = [""]

    def module(self, tree: ast.Module) -> Node:
        text = self.text
        body = self.body(tree.body)
        first_line = _LINE_BREAK.search(text)
        newline = first_line.group() if first_line is not None else "\n"
        trailing = text.endswith("\n") and not text.endswith(("\\\n", "\\\r\n"))
        made = n.Module(body, "utf-8", self.default_indent or "    ", newline, trailing)
        end = len(text)
        if not trailing and text and not text.endswith(("\n", "\r")):
            end += len(newline)
        self.sp[id(made)] = (0, end)
        return made

    # --- bodies -------------------------------------------------------------------------------------------

    def body(self, statements: list[ast.stmt]) -> list[Node]:
        """Statements of a module or block: simple statements joined by `;` make one line."""
        made: list[Node] = []
        count = len(statements)
        i = 0
        sp = self.sp
        while i < count:
            statement = statements[i]
            compound = self.COMPOUND.get(type(statement))
            if compound is not None:
                made.append(compound(self, statement)[0])
                i += 1
                continue
            line, start, end = self.simple_line(statements, i)
            i += len(line)
            node = n.SimpleStatementLine(line)
            sp[id(node)] = (start, end)
            made.append(node)
        return made

    def simple_line(self, statements: list[ast.stmt], i: int) -> tuple[list[Node], int, int]:
        """The simple statements from `statements[i]` that share its line (joined by `;`)."""
        text = self.text
        line: list[Node] = []
        first = -1
        while True:
            statement = statements[i]
            simple = self.SIMPLE.get(type(statement))
            if simple is None:
                raise Unsupported(f"statement {type(statement).__name__}")
            start, end = self.where(statement)
            node, start, end = simple(self, statement, start, end)
            if first < 0:
                first = start
            line.append(node)
            at = end
            if text[at : at + 1] in _LINE_GAP_STARTS:
                at = LINE_GAP.match(text, end).end()  # type: ignore[union-attr]
            if text[at : at + 1] != ";":
                return line, first, end
            _semicolon_setter(type(node))(node, self.punct(n.Semicolon, at))
            following = LINE_GAP.match(text, at + 1).end()  # type: ignore[union-attr]
            i += 1
            if i >= len(statements) or self.where(statements[i])[0] != following:
                return line, first, end

    def suite(self, statements: list[ast.stmt], colon: int) -> Placed:
        """The body of a compound statement whose `:` is at `colon`."""
        text = self.text
        first_start = self.first_token(statements[0])
        between = text[colon + 1 : first_start]
        if "\n" not in between and "\r" not in between:
            line, start, end = self.simple_line(statements, 0)
            if len(line) != len(statements):
                raise Unsupported("suite over several lines")
            made = n.SimpleStatementSuite(line)
            self.sp[id(made)] = (start, end)
            return made, start, end
        line_start = max(text.rfind("\n", 0, first_start), text.rfind("\r", 0, first_start)) + 1
        absolute = text[line_start:first_start]
        outer = self.indents[-1]
        if not absolute.startswith(outer) or len(absolute) <= len(outer) or absolute.strip(" \t"):
            raise Unsupported("indentation")
        relative = absolute[len(outer) :]
        if self.default_indent is None:
            self.default_indent = relative
        self.indents.append(absolute)
        body = self.body(statements)
        self.indents.pop()
        start = self.sp[id(body[0])][0]
        end = self.sp[id(body[-1])][1]
        made = n.IndentedBlock(body, None if relative == self.default_indent else relative)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def first_token(self, statement: ast.stmt) -> int:
        """Where a statement's first token is: its first decorator's `@`, or where `ast` starts it."""
        decorators = getattr(statement, "decorator_list", None)
        if decorators:
            return self.at_sign(decorators[0])
        return self.where(statement)[0]

    def at_sign(self, decorator: ast.expr) -> int:
        start = self.where(decorator)[0]
        text = self.text
        line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
        at = text.find("@", line_start, start)
        if at < 0:
            raise Unsupported("decorator's @ on another line")
        return at

    def clause(self, keyword: str, previous: int, statements: list[ast.stmt]) -> tuple[Node, int, int, int]:
        """An `else:` / `finally:` clause after the block ending at `previous`: (body, keyword at, end)."""
        at = self.expect(previous, keyword)
        colon = self.expect(at + len(keyword), ":")
        body, _, end = self.suite(statements, colon)
        return body, at, end, colon

    def else_(self, previous: int, statements: list[ast.stmt]) -> tuple[Node, int]:
        body, at, end, _ = self.clause("else", previous, statements)
        made = n.Else(body)
        self.sp[id(made)] = (at, end)
        return made, end

    # --- simple statements --------------------------------------------------------------------------------

    def expr_statement(self, node: ast.Expr, start: int, end: int) -> Placed:
        value, start, end = self.ex(node.value, start)
        made = n.Expr(value, DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def assign(self, node: ast.Assign, start: int, end: int) -> Placed:
        sp = self.sp
        targets = []
        before = start
        for target in node.targets:
            converted, target_start, target_end = self.ex(target, before)
            made = n.AssignTarget(converted)
            sp[id(made)] = (target_start, target_end)
            targets.append(made)
            before = self.expect(target_end, "=") + 1
        value, _, end = self.ex(node.value, before)
        made = n.Assign(targets, value, DEFAULT)
        sp[id(made)] = (start, end)
        return made, start, end

    def aug_assign(self, node: ast.AugAssign, start: int, end: int) -> Placed:
        target, operator, value, end = self.operation(node.target, n.AUGMENTED[type(node.op)], node.value, start)
        made = n.AugAssign(target, operator, value, DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def ann_assign(self, node: ast.AnnAssign, start: int, end: int) -> Placed:
        sp = self.sp
        target, start, target_end = self.ex(node.target, start)
        if target.lpar:
            raise Unsupported("LibCST does not parse a parenthesized annotated target")
        colon = self.expect(target_end, ":")
        converted, annotation_start, end = self.ex(node.annotation, colon + 1)
        annotation = n.Annotation(converted)
        sp[id(annotation)] = (annotation_start, end)
        value = None
        equal = DEFAULT
        if node.value is not None:
            at = self.expect(end, "=")
            equal = self.punct(n.AssignEqual, at)
            value, _, end = self.ex(node.value, at + 1)
        made = n.AnnAssign(target, annotation, value, equal, DEFAULT)
        sp[id(made)] = (start, end)
        return made, start, end

    def return_(self, node: ast.Return, start: int, end: int) -> Placed:
        if node.value is None:
            made = n.Return(None, n.WS, DEFAULT)
            end = start + 6
        else:
            value, _, end = self.ex(node.value, start + 6)
            made = n.Return(value, n.WS, DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def delete(self, node: ast.Delete, start: int, end: int) -> Placed:
        targets = node.targets
        if len(targets) == 1:
            target, first, end = self.ex(targets[0], start + 3)
            comma, _ = self.comma_after(end)
            if comma is not DEFAULT:
                element = n.Element(target, comma)
                self.sp[id(element)] = (first, end)
                target = n.Tuple([element], (), ())
                end = self.sp[id(comma)][1]
                self.sp[id(target)] = (first, end)
        else:
            elements, first, end, _ = self.elements(targets, start + 3)
            target = n.Tuple(elements, (), ())
            self.sp[id(target)] = (first, end)
        made = n.Del(target, DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def pass_(self, node: ast.stmt, start: int, end: int) -> Placed:
        made = self.KEYWORD_STATEMENTS[type(node)](DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def raise_(self, node: ast.Raise, start: int, end: int) -> Placed:
        exc = cause = None
        end = start + 5
        if node.exc is not None:
            exc, _, end = self.ex(node.exc, end)
        if node.cause is not None:
            at = self.expect(end, "from")
            value, _, end = self.ex(node.cause, at + 4)
            cause = n.From(value, n.WS)
            self.sp[id(cause)] = (at, end)
        made = n.Raise(exc, cause, DEFAULT if exc is None else n.WS, DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def assert_(self, node: ast.Assert, start: int, end: int) -> Placed:
        test, _, end = self.ex(node.test, start + 6)
        comma = DEFAULT
        msg = None
        if node.msg is not None:
            at = self.expect(end, ",")
            comma = self.punct(n.Comma, at)
            msg, _, end = self.ex(node.msg, at + 1)
        made = n.Assert(test, msg, comma, DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def global_(self, node: ast.Global | ast.Nonlocal, start: int, end: int) -> Placed:
        keyword = "global" if type(node) is ast.Global else "nonlocal"
        sp = self.sp
        before = start + len(keyword)
        items = []
        for _ in node.names:
            name, name_end = self.name_at(before)
            comma, after = self.comma_after(name_end)
            item = n.NameItem(name, comma)
            sp[id(item)] = sp[id(name)]
            items.append(item)
            before = after
            end = name_end
        made = (n.Global if keyword == "global" else n.Nonlocal)(items, DEFAULT)
        sp[id(made)] = (start, end)
        return made, start, end

    def dotted(self, before: int) -> tuple[Node, int]:
        """A dotted name (`a.b.c`, maybe with spaces) after the token ending at `before`."""
        value, end = self.name_at(before)
        start = self.sp[id(value)][0]
        while True:
            at = self.skip(end)
            if self.text[at : at + 1] != "." or self.text[at : at + 3] == "...":
                return value, end
            dot = self.punct(n.Dot, at)
            attr, end = self.name_at(at + 1)
            value = n.Attribute(value, attr, dot, (), ())
            self.sp[id(value)] = (start, end)

    def aliases(self, names: list[ast.alias], before: int) -> tuple[list[Node], int, int]:
        """`a as b, c`: the `ImportAlias`es, where the last ends (without a trailing comma) and where its
        code ends (with one)."""
        sp = self.sp
        made = []
        end = before
        for _ in names:
            name, end = self.dotted(before)
            start = sp[id(name)][0]
            asname = None
            at = self.skip(end)
            if self.text.startswith("as", at) and not self.text[at + 2 : at + 3].isidentifier():
                target, target_end = self.name_at(at + 2)
                asname = n.AsName(target)
                sp[id(asname)] = (end, target_end)
                end = target_end
            comma, before = self.comma_after(end)
            alias = n.ImportAlias(name, asname, comma)
            sp[id(alias)] = (start, end)
            made.append(alias)
        return made, end, before

    def import_(self, node: ast.Import, start: int, end: int) -> Placed:
        names, end, _ = self.aliases(node.names, start + 6)
        made = n.Import(names, DEFAULT)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def import_from(self, node: ast.ImportFrom, start: int, end: int) -> Placed:
        text, sp = self.text, self.sp
        before = start + 4
        relative = []
        while True:
            at = self.skip(before)
            if text[at : at + 1] != ".":
                break
            relative.append(self.punct(n.Dot, at))
            before = at + 1
        module = None
        if node.module is not None:
            module, before = self.dotted(before)
        at = self.expect(before, "import")
        before = at + 6
        at = self.skip(before)
        lpar = rpar = None
        if text[at] == "*":
            names: Any = self.punct(n.ImportStar, at)
            end = at + 1
        elif text[at] == "(":
            lpar, before = self.opener(n.LeftParen, at)
            depth = self.depth
            self.depth = depth + 1
            names, last, before = self.aliases(node.names, at + 1)
            self.depth = depth
            close = self.expect(before, ")")
            rpar = self.closer(n.RightParen, last, close, before == last)
            end = close + 1
        else:
            names, end, _ = self.aliases(node.names, before)
        made = n.ImportFrom(module, names, relative, lpar, rpar, DEFAULT)
        sp[id(made)] = (start, end)
        return made, start, end

    # --- compound statements ------------------------------------------------------------------------------

    def if_(self, node: ast.If, start: int = -1, keyword: str = "if") -> Placed:
        if start < 0:
            start = self.where(node)[0]
        test, _, test_end = self.ex(node.test, start + len(keyword))
        colon = self.expect(test_end, ":")
        body, _, end = self.suite(node.body, colon)
        orelse = None
        if node.orelse:
            at = self.skip(end)
            if self.text.startswith("elif", at):
                orelse, _, end = self.if_(node.orelse[0], at, "elif")  # type: ignore[arg-type]
            else:
                orelse, end = self.else_(end, node.orelse)
        made = n.If(test, body, orelse)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def asynchronous(self, start: int, keyword: str) -> tuple[Node | None, int]:
        if self.text.startswith("async", start):
            made = self.punct(n.Asynchronous, start, 5)
            return made, self.expect(start + 5, keyword)
        return None, start

    def for_(self, node: ast.For | ast.AsyncFor) -> Placed:
        start = self.where(node)[0]
        asynchronous, at = self.asynchronous(start, "for")
        target, _, target_end = self.ex(node.target, at + 3)
        at = self.expect(target_end, "in")
        iter_, _, iter_end = self.ex(node.iter, at + 2)
        colon = self.expect(iter_end, ":")
        body, _, end = self.suite(node.body, colon)
        orelse = None
        if node.orelse:
            orelse, end = self.else_(end, node.orelse)
        made = n.For(target, iter_, body, orelse, asynchronous)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def while_(self, node: ast.While) -> Placed:
        start = self.where(node)[0]
        test, _, test_end = self.ex(node.test, start + 5)
        colon = self.expect(test_end, ":")
        body, _, end = self.suite(node.body, colon)
        orelse = None
        if node.orelse:
            orelse, end = self.else_(end, node.orelse)
        made = n.While(test, body, orelse)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def with_(self, node: ast.With | ast.AsyncWith) -> Placed:
        text, sp = self.text, self.sp
        start = self.where(node)[0]
        asynchronous, at = self.asynchronous(start, "with")
        before = at + 4
        open_at = self.skip(before)
        parenthesized = text[open_at] == "(" and self._with_parentheses(node, open_at)
        lpar: Node = DEFAULT
        rpar: Node = DEFAULT
        depth = self.depth
        if parenthesized:
            lpar, _ = self.opener(n.LeftParen, open_at)
            before = open_at + 1
            self.depth = depth + 1
        items = []
        comma = DEFAULT
        end = before
        for item in node.items:
            converted, item_start, end = self.ex(item.context_expr, before)
            asname = None
            if item.optional_vars is not None:
                at = self.expect(end, "as")
                target, _, target_end = self.ex(item.optional_vars, at + 2)
                asname = n.AsName(target)
                sp[id(asname)] = (end, target_end)
                end = target_end
            comma, before = self.comma_after(end)
            made = n.WithItem(converted, asname, comma)
            sp[id(made)] = (item_start, end)
            items.append(made)
        self.depth = depth
        if parenthesized:
            close = self.expect(before, ")")
            rpar = self.closer(n.RightParen, end if comma is DEFAULT else self.sp[id(comma)][1], close, True)
            before = close + 1
        colon = self.expect(before, ":")
        body, _, end = self.suite(node.body, colon)
        made = n.With(items, body, asynchronous, lpar, rpar)
        sp[id(made)] = (start, end)
        return made, start, end

    def _with_parentheses(self, node: ast.With | ast.AsyncWith, open_at: int) -> bool:
        """Whether the `(` after `with` is the statement's (`with (a, b):`), not its first item's: Python tries
        the parenthesized form first."""
        text = self.text
        first = node.items[0].context_expr
        first_start, first_end = self.where(first)
        if first_start == open_at:
            return False  # the expression starts with it: `with (a) + b:`, `with (a, b) as c:`
        opens = sum(1 for m in PAREN_OR_COMMENT.finditer(text, open_at, first_start) if text[m.start()] == "(")
        at = first_end
        for _ in range(opens):
            at = self.skip(at)
            if text[at : at + 1] != ")":
                return True  # one is not closed after the first item's expression: the statement's
            at += 1
        return text[self.skip(at) : self.skip(at) + 1] == ":"

    def try_(self, node: Any) -> Placed:
        sp = self.sp
        start = self.where(node)[0]
        colon = self.expect(start + 3, ":")
        body, _, end = self.suite(node.body, colon)
        star = type(node) is not ast.Try
        handlers = []
        for handler in node.handlers:
            at = self.where(handler)[0]
            before = at + 6
            if star:
                before = self.expect(before, "*") + 1
            kind = None
            if handler.type is not None:
                kind, _, before = self.ex(handler.type, before)
            name = None
            if handler.name is not None:
                as_at = self.expect(before, "as")
                target, target_end = self.name_at(as_at + 2)
                name = n.AsName(target)
                sp[id(name)] = (before, target_end)
                before = target_end
            colon = self.expect(before, ":")
            if kind is not None and name is None and colon != before:
                raise Unsupported("LibCST drops the whitespace before this except's colon")
            handler_body, _, end = self.suite(handler.body, colon)
            made = (n.ExceptStarHandler if star else n.ExceptHandler)(handler_body, kind, name)
            sp[id(made)] = (at, end)
            handlers.append(made)
        orelse = None
        if node.orelse:
            orelse, end = self.else_(end, node.orelse)
        finalbody = None
        if node.finalbody:
            final_body, at, end, _ = self.clause("finally", end, node.finalbody)
            finalbody = n.Finally(final_body)
            sp[id(finalbody)] = (at, end)
        made = (n.TryStar if star else n.Try)(body, handlers, orelse, finalbody)
        sp[id(made)] = (start, end)
        return made, start, end

    def decorators(self, node: Any) -> list[Node]:
        made = []
        for decorator in node.decorator_list:
            at = self.at_sign(decorator)
            converted, _, end = self.ex(decorator, at + 1)
            item = n.Decorator(converted)
            self.sp[id(item)] = (at, end)
            made.append(item)
        return made

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Placed:
        if getattr(node, "type_params", None):
            raise Unsupported("type parameters")
        decorators = self.decorators(node)
        start = self.where(node)[0]
        asynchronous, at = self.asynchronous(start, "def")
        name, name_end = self.name_at(at + 3)
        open_at = self.expect(name_end, "(")
        depth = self.depth
        self.depth = depth + 1
        params, close = self.parameters(node.args, open_at + 1)
        self.depth = depth
        if self.text[close] != ")":
            raise Unsupported("parameters")
        before = close + 1
        returns = None
        if node.returns is not None:
            arrow = self.expect(before, "->")
            converted, returns_start, before = self.ex(node.returns, arrow + 2)
            returns = n.Annotation(converted)
            self.sp[id(returns)] = (returns_start, before)
        colon = self.expect(before, ":")
        body, _, end = self.suite(node.body, colon)
        made = n.FunctionDef(name, params, body, decorators, returns, asynchronous, None)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def class_(self, node: ast.ClassDef) -> Placed:
        if getattr(node, "type_params", None):
            raise Unsupported("type parameters")
        decorators = self.decorators(node)
        start = self.where(node)[0]
        name, before = self.name_at(start + 5)
        at = self.skip(before)
        lpar: Node = DEFAULT
        rpar: Node = DEFAULT
        bases: list[Node] = []
        keywords: list[Node] = []
        if self.text[at] == "(":
            lpar, _ = self.opener(n.LeftParen, at)
            depth = self.depth
            self.depth = depth + 1
            args = self.arguments(node.bases, node.keywords, at)
            self.depth = depth
            for arg in args:
                if arg.keyword is None and arg.star != "**":
                    if keywords:
                        raise Unsupported("class base after a keyword")
                    bases.append(arg)
                else:
                    keywords.append(arg)
            last = self.sp[id(args[-1])][1] if args else at + 1
            trailing = bool(args) and args[-1].comma is not DEFAULT
            before = self.skip(last if not trailing else self.sp[id(args[-1].comma)][1])
            if self.text[before] != ")":
                raise Unsupported("class arguments")
            rpar = self.closer(n.RightParen, last, before, bool(args) and not trailing)
            before += 1
        colon = self.expect(before, ":")
        body, _, end = self.suite(node.body, colon)
        made = n.ClassDef(name, body, bases, keywords, decorators, lpar, rpar, None)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def unsupported(self, node: ast.stmt) -> Placed:
        raise Unsupported(type(node).__name__)

    KEYWORD_STATEMENTS: ClassVar[dict[type, Callable[[object], Node]]] = {
        ast.Pass: n.Pass,
        ast.Break: n.Break,
        ast.Continue: n.Continue,
    }
    SIMPLE: ClassVar[dict[type, Callable[..., Placed]]] = {
        ast.Expr: expr_statement,
        ast.Assign: assign,
        ast.AugAssign: aug_assign,
        ast.AnnAssign: ann_assign,
        ast.Return: return_,
        ast.Delete: delete,
        ast.Pass: pass_,
        ast.Break: pass_,
        ast.Continue: pass_,
        ast.Raise: raise_,
        ast.Assert: assert_,
        ast.Global: global_,
        ast.Nonlocal: global_,
        ast.Import: import_,
        ast.ImportFrom: import_from,
    }
    COMPOUND: ClassVar[dict[type, Callable[..., Placed]]] = {
        ast.If: if_,
        ast.For: for_,
        ast.AsyncFor: for_,
        ast.While: while_,
        ast.With: with_,
        ast.AsyncWith: with_,
        ast.Try: try_,
        ast.FunctionDef: function,
        ast.AsyncFunctionDef: function,
        ast.ClassDef: class_,
        ast.Match: unsupported,
    }
    if hasattr(ast, "TryStar"):
        COMPOUND[ast.TryStar] = try_
    if hasattr(ast, "TypeAlias"):
        SIMPLE[ast.TypeAlias] = lambda self, node, start, end: self.unsupported(node)
