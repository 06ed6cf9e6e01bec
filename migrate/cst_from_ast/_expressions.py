"""Expressions: `ast` nodes to LibCST's, each placed in the text (see the package's docstring)."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import libcst as cst

from migrate.cst_from_ast import _nodes as n
from migrate.cst_from_ast._scan import (
    BODY,
    GAP,
    LINE_GAP,
    NAME,
    PAREN_OR_COMMENT,
    FString,
    Part,
    quote_at,
    string_end,
)

DEFAULT = n.DEFAULT
_make_name = n.Name
_make_comma = n.Comma
_make_dot = n.Dot
_make_attribute = n.Attribute
_make_string = n.SimpleString
_SIMPLE_BODY = {quote: BODY[quote] for quote in BODY}
_GAP_STARTS = frozenset(" \t\f\\#\r\n")  # a 1-char slice, or "" at the end: not a gap
_set_lpar: dict[type, Callable[[Any, object], None]] = {}  # by class: the slot setter of `lpar` / `rpar`
_set_rpar: dict[type, Callable[[Any, object], None]] = {}
_set_comma = n.setter(cst.StarredElement, "comma")

Node = Any  # a LibCST node being built
Converted = tuple[Node, int, int]  # a node, where its code starts and ends (parentheses included)


class Unsupported(Exception):
    """A text this module does not convert; the caller falls back to LibCST."""


class Expressions:
    """Converts expressions. `text`: the module's text; `sp`: id(node) -> (start, end), what LibCST's
    `PositionProvider` gives as str offsets; `depth` > 0 inside brackets (where whitespace spans lines)."""

    text: str
    sp: dict[int, tuple[int, int]]
    depth: int
    ls: list[int]
    ascii: bool

    # --- positions ----------------------------------------------------------------------------------------

    def where(self, node: ast.AST) -> tuple[int, int]:
        """Where `node` starts and ends in the text, as str offsets (`ast` counts UTF-8 bytes in a line)."""
        if self.ascii:
            ls = self.ls
            return ls[node.lineno] + node.col_offset, ls[node.end_lineno] + node.end_col_offset  # type: ignore[attr-defined]
        return (
            self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def offset(self, line: int, col: int) -> int:
        start = self.ls[line]
        if self.ascii:
            return start + col
        encoded = self._encoded.get(line)
        if encoded is None:
            end = self.ls[line + 1] if line + 1 < len(self.ls) else len(self.text)
            chars = self.text[start:end]
            encoded = self._encoded[line] = None if chars.isascii() else chars.encode()
        if encoded is None:
            return start + col
        return start + len(encoded[:col].decode())

    _encoded: dict[int, bytes | None]

    def skip(self, at: int) -> int:
        """Where the next token after `at` starts."""
        text = self.text
        char = text[at : at + 1]
        if char not in _GAP_STARTS:
            return at
        if char == " " and text[at + 1 : at + 2] not in _GAP_STARTS:
            return at + 1
        return GAP.match(text, at).end()  # type: ignore[union-attr]

    def gap_end(self, at: int) -> int:
        """Where the whitespace a comma (or colon) at `at` - 1 owns ends: up to the next token inside brackets,
        the rest of the line's spaces outside."""
        if self.depth:
            return GAP.match(self.text, at).end()  # type: ignore[union-attr]
        return LINE_GAP.match(self.text, at).end()  # type: ignore[union-attr]

    def expect(self, at: int, token: str) -> int:
        """Where `token` is, the next token after `at`."""
        text = self.text
        if text.startswith(token, at):
            return at
        if text[at : at + 1] == " " and text.startswith(token, at + 1):
            return at + 1
        at = GAP.match(text, at).end()  # type: ignore[union-attr]
        if not text.startswith(token, at):
            raise Unsupported(f"expected {token!r} at {at}")
        return at

    def name_at(self, at: int) -> tuple[Node, int]:
        """The identifier starting at the next token after `at`, as a `Name`, and where it ends."""
        at = GAP.match(self.text, at).end()  # type: ignore[union-attr]
        found = NAME.match(self.text, at)
        if found is None:
            raise Unsupported(f"expected a name at {at}")
        end = found.end()
        node = n.Name(found.group(), (), ())
        self.sp[id(node)] = (at, end)
        return node, end

    def comma_after(self, at: int) -> tuple[Node, int]:
        """A comma as the next token after `at` (and where the whitespace it owns ends), else (DEFAULT, at)."""
        text = self.text
        char = text[at : at + 1]
        if char == ",":
            found = at
        elif char not in _GAP_STARTS:
            return DEFAULT, at
        else:
            found = GAP.match(text, at).end()  # type: ignore[union-attr]
            if text[found : found + 1] != ",":
                return DEFAULT, at
        comma = _make_comma()
        self.sp[id(comma)] = (found, found + 1)
        after = found + 1
        char = text[after : after + 1]
        if char not in _GAP_STARTS:
            return comma, after
        if char == " " and text[after + 1 : after + 2] not in _GAP_STARTS:
            return comma, after + 1
        return comma, self.gap_end(after)

    def punct(self, make: Callable[[], Node], at: int, size: int = 1) -> Node:
        node = make()
        self.sp[id(node)] = (at, at + size)
        return node

    def opener(self, make: Callable[[], Node], at: int) -> tuple[Node, int]:
        """A `(`, `[` or `{` at `at`, owning the whitespace after it; and where that ends."""
        node = make()
        end = GAP.match(self.text, at + 1).end()  # type: ignore[union-attr]
        self.sp[id(node)] = (at, end)
        return node, end

    def closer(self, make: Callable[[], Node], previous: int, at: int, owns: bool) -> Node:
        """A `)`, `]` or `}` at `at`, owning the whitespace before it (from `previous`) unless the token before
        it (a comma, a colon or its opener) took it."""
        node = make()
        self.sp[id(node)] = (previous if owns else at, at + 1)
        return node

    # --- parentheses --------------------------------------------------------------------------------------

    def ex(self, node: ast.expr, before: int) -> Converted:
        """Converts `node`, the token before it ending at `before`, with the parentheses around it that are its
        own (LibCST's `lpar`/`rpar`)."""
        if self.ascii:
            ls = self.ls
            start = ls[node.lineno] + node.col_offset
            end = ls[node.end_lineno] + node.end_col_offset  # type: ignore[index,operator]
        else:
            start, end = self.where(node)
        text = self.text
        kind = type(node)
        if before == start or text.find("(", before, start) < 0:
            if kind is ast.Name:  # the most common node: made here
                made = _make_name(text[start:end], (), ())
                self.sp[id(made)] = (start, end)
                return made, start, end
            return self.EXPRESSIONS[kind](self, node, start, end)
        opens: list[int] | None = None
        if True:
            opens = []
            for found in PAREN_OR_COMMENT.finditer(text, before, start):
                char = text[found.start()]
                if char == "(":
                    opens.append(found.start())
                elif char != "#":
                    opens = []  # the parent's token: the parentheses before it are not this node's
            if not opens:
                opens = None
        if opens is None:
            return self.EXPRESSIONS[type(node)](self, node, start, end)
        depth = self.depth
        self.depth = depth + 1
        converted, core_start, core_end = self.EXPRESSIONS[type(node)](self, node, start, end)
        self.depth = depth
        closes: list[int] = []
        at = core_end
        for _ in opens:
            close = GAP.match(text, at).end()  # type: ignore[union-attr]
            if text[close : close + 1] != ")":
                break
            closes.append(close)
            at = close + 1
        if not closes:
            return converted, core_start, core_end
        opens = opens[len(opens) - len(closes) :]
        sp = self.sp
        lpar = []
        for i, at in enumerate(opens):
            paren = n.LeftParen()
            sp[id(paren)] = (at, opens[i + 1] if i + 1 < len(opens) else core_start)
            lpar.append(paren)
        rpar = []
        previous = core_end
        for at in closes:
            paren = n.RightParen()
            sp[id(paren)] = (previous, at + 1)
            rpar.append(paren)
            previous = at + 1
        cls = type(converted)
        own_l, own_r = converted.lpar, converted.rpar
        _lpar_setter(cls)(converted, (*lpar, *own_l) if own_l else tuple(lpar))
        _rpar_setter(cls)(converted, (*own_r, *rpar) if own_r else tuple(rpar))
        return converted, opens[0], closes[-1] + 1

    # --- leaves -------------------------------------------------------------------------------------------

    def name(self, node: ast.Name, start: int, end: int) -> Converted:
        made = n.Name(self.text[start:end], (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def constant(self, node: ast.Constant, start: int, end: int) -> Converted:
        value = node.value
        kind = type(value)
        if kind is str or kind is bytes:
            return self.strings(start, end)
        text = self.text[start:end]
        if kind is int:
            made = n.Integer(text, (), ())
        elif kind is float:
            made = n.Float(text, (), ())
        elif kind is complex:
            made = n.Imaginary(text, (), ())
        elif value is ...:
            made = n.Ellipsis((), ())
        else:  # True, False, None
            made = n.Name(text, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def joined(self, node: ast.JoinedStr, start: int, end: int) -> Converted:
        return self.strings(start, end)

    def strings(self, start: int, end: int) -> Converted:
        """The string literals from `start` to `end`: one, or several concatenated."""
        text = self.text
        quote = text[start]
        if quote == "'" or quote == '"':  # no prefix: the most common string
            if text.startswith(quote * 3, start):
                quote *= 3
            found = BODY[quote].match(text, start + len(quote))
            if found is not None and found.end() == end:
                made = _make_string(text[start:end], (), ())
                self.sp[id(made)] = (start, end)
                return made, start, end
        pieces: list[Node] = []
        at = start
        while True:
            piece_end = string_end(text, at)
            pieces.append(self.string(at, piece_end))
            if piece_end >= end:
                break
            at = GAP.match(text, piece_end).end()  # type: ignore[union-attr]
        if piece_end != end:
            raise Unsupported("strings do not end where ast says")
        if len(pieces) == 1:
            return pieces[0], start, end
        sp = self.sp
        right = pieces[-1]
        for left in reversed(pieces[:-1]):
            right_end = sp[id(right)][1]
            right = n.ConcatenatedString(left, right, (), ())
            sp[id(right)] = (sp[id(left)][0], right_end)
        return right, start, end

    def string(self, start: int, end: int) -> Node:
        text = self.text
        quote_start = start
        while text[quote_start] not in "'\"":
            quote_start += 1
        prefix = text[start:quote_start].lower()
        if "f" not in prefix:
            if "t" in prefix:
                raise Unsupported("template strings")
            made = n.SimpleString(text[start:end], (), ())
        else:
            quote = quote_at(text, quote_start)
            _, parts = FString(text, quote_start + len(quote), quote, "r" in prefix).scan()
            made = n.FormattedString(self.fstring_parts(parts), text[start : quote_start + len(quote)], quote, (), ())
        self.sp[id(made)] = (start, end)
        return made

    def fstring_parts(self, parts: Sequence[Part]) -> list[Node]:
        text, sp = self.text, self.sp
        made: list[Node] = []
        for part in parts:
            if part[0] == "text":
                piece = n.FormattedStringText(text[part[1] : part[2]])
                sp[id(piece)] = (part[1], part[2])
            else:
                _, start, expression, stop, equal, conversion, spec, end = part
                value = self.sub_expression(expression, stop)
                equal_node = None
                if equal >= 0:
                    equal_node = self.punct(n.AssignEqual, equal)
                piece = n.FormattedStringExpression(
                    value, conversion, None if spec is None else self.fstring_parts(spec), equal_node
                )
                sp[id(piece)] = (start, end)
            made.append(piece)
        return made

    def sub_expression(self, start: int, stop: int) -> Node:
        """The expression of a replacement field, `text[start:stop]` (`ast` does not place what is inside an
        f-string before Python 3.12): parsed on its own, placed back."""
        source = "(" + self.text[start:stop] + ")"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source, mode="eval")
        except SyntaxError as error:
            raise Unsupported(f"replacement field: {error}") from None
        inner = type(self)(source, depth=1)  # type: ignore[call-arg]
        body = tree.body
        if type(body) is ast.Tuple and body.col_offset == 0:  # `{a, b}`: the parentheses are not the text's
            elements, first, last, _ = inner.elements(body.elts, 1)
            converted = n.Tuple(elements, (), ())
            inner.sp[id(converted)] = (first, last)
        else:
            converted, _, _ = inner.ex(body, 1)
        shift = start - 1
        sp = self.sp
        for key, (begin, finish) in inner.sp.items():
            sp[key] = (begin + shift, finish + shift)
        return converted

    # --- operations ---------------------------------------------------------------------------------------

    def attribute(self, node: ast.Attribute, start: int, end: int) -> Converted:
        value, _, at = self.ex(node.value, start)
        text, sp = self.text, self.sp
        if text[at : at + 1] != ".":
            at = self.expect(at, ".")
        dot = _make_dot()
        sp[id(dot)] = (at, at + 1)
        at += 1
        if text[at : at + 1] in _GAP_STARTS:
            at = GAP.match(text, at).end()  # type: ignore[union-attr]
        attr = _make_name(text[at:end], (), ())
        sp[id(attr)] = (at, end)
        made = _make_attribute(value, attr, dot, (), ())
        sp[id(made)] = (start, end)
        return made, start, end

    def operation(
        self, left: ast.expr, operator: tuple[Callable[[], Node], str], right: ast.expr, start: int
    ) -> tuple[Node, Node, Node, int]:
        """`left <operator> right` from `start`: both operands, the operator's node, and where `right` ends."""
        left_node, _, left_end = self.ex(left, start)
        make, token = operator
        at = self.expect(left_end, token)
        operator_node = self.punct(make, at, len(token))
        right_node, _, right_end = self.ex(right, at + len(token))
        return left_node, operator_node, right_node, right_end

    def binary(self, node: ast.BinOp, start: int, end: int) -> Converted:
        left, operator, right, _ = self.operation(node.left, n.BINARY[type(node.op)], node.right, start)
        made = n.BinaryOperation(left, operator, right, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def boolean(self, node: ast.BoolOp, start: int, end: int) -> Converted:
        make, token = n.BOOLEAN[type(node.op)]
        values = node.values
        left, _, previous = self.ex(values[0], start)
        sp = self.sp
        for value in values[1:]:
            at = self.expect(previous, token)
            operator = self.punct(make, at, len(token))
            right, _, previous = self.ex(value, at + len(token))
            left = n.BooleanOperation(left, operator, right, (), ())
            sp[id(left)] = (start, previous)
        return left, start, end

    def compare(self, node: ast.Compare, start: int, end: int) -> Converted:
        left, _, previous = self.ex(node.left, start)
        sp, text = self.sp, self.text
        targets = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            make, token = n.COMPARE[type(op)]
            at = self.expect(previous, token)
            if type(op) is ast.NotEq:
                token = text[at : at + 2]
                operator = n.NotEqual(token)
                op_end = at + 2
            elif type(op) is ast.IsNot:
                op_end = self.expect(at + 2, "not") + 3
                operator = make()
            elif type(op) is ast.NotIn:
                op_end = self.expect(at + 3, "in") + 2
                operator = make()
            else:
                op_end = at + len(token)
                operator = make()
            sp[id(operator)] = (at, op_end)
            value, _, value_end = self.ex(comparator, op_end)
            target = n.ComparisonTarget(operator, value)
            sp[id(target)] = (previous, value_end)
            targets.append(target)
            previous = value_end
        made = n.Comparison(left, targets, (), ())
        sp[id(made)] = (start, end)
        return made, start, end

    def unary(self, node: ast.UnaryOp, start: int, end: int) -> Converted:
        make, token = n.UNARY[type(node.op)]
        operand, operand_start, _ = self.ex(node.operand, start + len(token))
        operator = make()
        self.sp[id(operator)] = (start, operand_start)
        made = n.UnaryOperation(operator, operand, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def if_exp(self, node: ast.IfExp, start: int, end: int) -> Converted:
        body, _, body_end = self.ex(node.body, start)
        at = self.expect(body_end, "if")
        test, _, test_end = self.ex(node.test, at + 2)
        at = self.expect(test_end, "else")
        orelse, _, _ = self.ex(node.orelse, at + 4)
        made = n.IfExp(test, body, orelse, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def named(self, node: ast.NamedExpr, start: int, end: int) -> Converted:
        target, _, target_end = self.ex(node.target, start)
        at = self.expect(target_end, ":=")
        value, _, _ = self.ex(node.value, at + 2)
        made = n.NamedExpr(target, value, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def await_(self, node: ast.Await, start: int, end: int) -> Converted:
        value, _, _ = self.ex(node.value, start + 5)
        made = n.Await(value, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def yield_(self, node: ast.Yield, start: int, end: int) -> Converted:
        if node.value is None:
            made = n.Yield(None, (), (), DEFAULT)
        else:
            value, _, _ = self.ex(node.value, start + 5)
            made = n.Yield(value, (), (), n.WS)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def yield_from(self, node: ast.YieldFrom, start: int, end: int) -> Converted:
        at = self.expect(start + 5, "from")
        value, _, value_end = self.ex(node.value, at + 4)
        item = n.From(value, DEFAULT)
        self.sp[id(item)] = (at, value_end)
        made = n.Yield(item, (), (), n.WS)
        self.sp[id(made)] = (start, end)
        return made, start, end

    def lambda_(self, node: ast.Lambda, start: int, end: int) -> Converted:
        params, at = self.parameters(node.args, start + 6, lambda_=True)
        colon = self.punct(n.Colon, at)
        body, _, _ = self.ex(node.body, at + 1)
        made = n.Lambda(
            params,
            body,
            colon,
            (),
            (),
            n.WS
            if params.params
            or params.star_arg is not DEFAULT
            or params.kwonly_params
            or params.star_kwarg
            or params.posonly_params
            else DEFAULT,
        )
        self.sp[id(made)] = (start, end)
        return made, start, end

    # --- calls and subscripts -----------------------------------------------------------------------------

    def call(self, node: ast.Call, start: int, end: int) -> Converted:
        func, _, func_end = self.ex(node.func, start)
        open_at = self.expect(func_end, "(")
        depth = self.depth
        self.depth = depth + 1
        args = self.arguments(node.args, node.keywords, open_at)
        self.depth = depth
        made = n.Call(func, args, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def arguments(self, positional: list[ast.expr], keywords: list[ast.keyword], open_at: int) -> list[Node]:
        """A call's (or a class's) arguments, in the order of the text, after its `(` at `open_at`."""
        items: list[ast.AST] = [*positional, *keywords]
        if keywords and positional:
            items.sort(key=lambda item: (item.lineno, item.col_offset))  # type: ignore[attr-defined]
        sp = self.sp
        args: list[Node] = []
        before = open_at + 1
        for item in items:
            kind = type(item)
            if kind is ast.keyword:
                at = self.ls[item.lineno] + item.col_offset if self.ascii else self.where(item)[0]  # type: ignore[attr-defined]
                if item.arg is None:  # type: ignore[attr-defined]
                    value, _, value_end = self.ex(item.value, at + 2)  # type: ignore[attr-defined]
                    keyword, equal, star = None, DEFAULT, "**"
                else:
                    word = item.arg  # type: ignore[attr-defined]
                    if self.ascii:
                        name_end = at + len(word)
                        keyword = _make_name(word, (), ())
                        sp[id(keyword)] = (at, name_end)
                    else:
                        keyword, name_end = self.name_at(at)
                    equal_at = self.expect(name_end, "=")
                    equal = self.punct(n.AssignEqual, equal_at)
                    value, _, value_end = self.ex(item.value, equal_at + 1)  # type: ignore[attr-defined]
                    star = ""
            elif kind is ast.Starred:
                at, _ = self.where(item)
                value, _, value_end = self.ex(item.value, at + 1)  # type: ignore[attr-defined]
                keyword, equal, star = None, DEFAULT, "*"
            elif kind is ast.GeneratorExp and len(items) == 1 and self.where(item)[0] == open_at:
                # The call's parentheses are the generator's: LibCST gives it none.
                value, at, value_end = self.generator(item, open_at, self.where(item)[1], own=False)  # type: ignore[arg-type]
                keyword, equal, star = None, DEFAULT, ""
            else:
                value, at, value_end = self.ex(item, before)  # type: ignore[arg-type]
                keyword, equal, star = None, DEFAULT, ""
            comma, before = self.comma_after(value_end)
            arg = n.Arg(value, keyword, equal, comma, star)
            sp[id(arg)] = (at, value_end)
            args.append(arg)
        return args

    def subscript(self, node: ast.Subscript, start: int, end: int) -> Converted:
        value, _, value_end = self.ex(node.value, start)
        open_at = self.expect(value_end, "[")
        lbracket, before = self.opener(n.LeftSquareBracket, open_at)
        depth = self.depth
        self.depth = depth + 1
        index = node.slice
        elements: list[Node] = []
        sp = self.sp
        items = index.elts if type(index) is ast.Tuple and not self.own_parens(index) else None
        trailing = False
        for item in items if items is not None else (index,):
            part, part_start, part_end = self.slice_part(item, before)
            comma, before = self.comma_after(part_end)
            element = n.SubscriptElement(part, comma)
            sp[id(element)] = (part_start, part_end)
            elements.append(element)
            trailing = comma is not DEFAULT
            last_end = part_end
        self.depth = depth
        close_at = end - 1
        owns = not trailing and not self._ends_with_colon(elements[-1].slice)
        rbracket = self.closer(n.RightSquareBracket, last_end, close_at, owns)
        made = n.Subscript(value, elements, lbracket, rbracket, (), ())
        sp[id(made)] = (start, end)
        return made, start, end

    def _ends_with_colon(self, part: Node) -> bool:
        return type(part) is cst.Slice and (
            part.step is None and (part.second_colon is not DEFAULT or part.upper is None)
        )

    def slice_part(self, item: ast.expr, before: int) -> Converted:
        """An `Index` or a `Slice`."""
        sp = self.sp
        if type(item) is not ast.Slice:
            if type(item) is ast.Starred:
                at, _ = self.where(item)
                value, _, value_end = self.ex(item.value, at + 1)
                made = n.Index(value, "*", n.WS)
            else:
                value, at, value_end = self.ex(item, before)
                made = n.Index(value, None, None)
            sp[id(made)] = (at, value_end)
            return made, at, value_end
        start = before
        lower = upper = step = None
        if item.lower is not None:
            lower, start, before = self.ex(item.lower, before)
        colon_at = self.expect(before, ":")
        first = self.punct(n.Colon, colon_at)
        if lower is None:
            start = colon_at
        end = self.gap_end(colon_at + 1)
        before = colon_at + 1
        if item.upper is not None:
            upper, _, end = self.ex(item.upper, before)
            before = end
        second = DEFAULT
        at = self.skip(before)
        if self.text[at : at + 1] == ":":
            second = self.punct(n.Colon, at)
            end = self.gap_end(at + 1)
            if item.step is not None:
                step, _, end = self.ex(item.step, at + 1)
        made = n.Slice(lower, upper, step, first, second)
        sp[id(made)] = (start, end)
        return made, start, end

    # --- collections --------------------------------------------------------------------------------------

    def own_parens(self, node: ast.Tuple) -> bool:
        """Whether a tuple's `ast` position includes its own parentheses (else it starts with its first
        element, and any parenthesis there is that element's)."""
        start, _ = self.where(node)
        text = self.text
        if text[start] != "(":
            return False
        if not node.elts:
            return True
        first_start, first_end = self.where(node.elts[0])
        opens = sum(1 for m in PAREN_OR_COMMENT.finditer(text, start, first_start) if text[m.start()] == "(")
        at = first_end
        closes = 0
        while closes < opens:
            at = self.skip(at)
            if text[at : at + 1] != ")":
                break
            closes += 1
            at += 1
        return closes < opens

    def elements(self, elts: list[ast.expr], before: int) -> tuple[list[Node], int, int, bool]:
        """The elements of a list, tuple or set: (nodes, where the first starts, where the last ends (its
        trailing comma included, not the whitespace after it: LibCST gives that to what follows), whether
        there is a trailing comma)."""
        sp = self.sp
        made: list[Node] = []
        first = last = before
        comma = DEFAULT
        for i, elt in enumerate(elts):
            value, start, end = self.ex(elt, before)
            comma, before = self.comma_after(end)
            if type(elt) is ast.Starred:
                _set_comma(value, comma)
                element = value
            else:
                element = n.Element(value, comma)
                sp[id(element)] = (start, end)
            if i == 0:
                first = start
            made.append(element)
            last = end if comma is DEFAULT else sp[id(comma)][1]
        return made, first, last, comma is not DEFAULT

    def starred(self, node: ast.Starred, start: int, end: int) -> Converted:
        value, _, _ = self.ex(node.value, start + 1)
        made = n.StarredElement(value, DEFAULT, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def tuple_(self, node: ast.Tuple, start: int, end: int) -> Converted:
        sp = self.sp
        if not self.own_parens(node):
            elements, first, last, _ = self.elements(node.elts, start)
            made = n.Tuple(elements, (), ())
            sp[id(made)] = (first, last)
            return made, start, last
        lpar, _ = self.opener(n.LeftParen, start)
        depth = self.depth
        self.depth = depth + 1
        elements, first, last, _ = self.elements(node.elts, start + 1)
        self.depth = depth
        close_at = end - 1
        if not elements:
            first = last = close_at
        rpar = self.closer(n.RightParen, last, close_at, bool(elements))
        made = n.Tuple(elements, (lpar,), (rpar,))
        sp[id(made)] = (first, last if elements else close_at)
        return made, start, end

    def _bracketed(self, elts: list[ast.expr], start: int, end: int, opener: Any, closer: Any) -> tuple[Any, ...]:
        left, _ = self.opener(opener, start)
        depth = self.depth
        self.depth = depth + 1
        elements, _, last, _ = self.elements(elts, start + 1)
        self.depth = depth
        right = self.closer(closer, last, end - 1, bool(elements))
        return elements, left, right

    def list_(self, node: ast.List, start: int, end: int) -> Converted:
        elements, left, right = self._bracketed(node.elts, start, end, n.LeftSquareBracket, n.RightSquareBracket)
        made = n.List(elements, left, right, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def set_(self, node: ast.Set, start: int, end: int) -> Converted:
        elements, left, right = self._bracketed(node.elts, start, end, n.LeftCurlyBrace, n.RightCurlyBrace)
        made = n.Set(elements, left, right, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def dict_(self, node: ast.Dict, start: int, end: int) -> Converted:
        sp = self.sp
        left, before = self.opener(n.LeftCurlyBrace, start)
        depth = self.depth
        self.depth = depth + 1
        elements = []
        comma = DEFAULT
        last = before
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                at = self.expect(before, "**")
                converted, _, value_end = self.ex(value, at + 2)
                comma, after = self.comma_after(value_end)
                element = n.StarredDictElement(converted, comma)
                sp[id(element)] = (at, value_end)
            else:
                key_node, at, key_end = self.ex(key, before)
                colon = self.expect(key_end, ":")
                converted, _, value_end = self.ex(value, colon + 1)
                comma, after = self.comma_after(value_end)
                element = n.DictElement(key_node, converted, comma)
                sp[id(element)] = (at, value_end)
            elements.append(element)
            before = after
            last = value_end if comma is DEFAULT else sp[id(comma)][1]
        self.depth = depth
        right = self.closer(n.RightCurlyBrace, last, end - 1, bool(elements))
        made = n.Dict(elements, left, right, (), ())
        sp[id(made)] = (start, end)
        return made, start, end

    # --- comprehensions -----------------------------------------------------------------------------------

    def comprehension(self, generators: list[ast.comprehension], before: int) -> tuple[Node, int]:
        """The `for ... in ... if ...` clauses after the token ending at `before`, and where they end."""
        text, sp = self.text, self.sp
        clauses = []
        for generator in generators:
            start = before
            at = self.skip(before)
            asynchronous = None
            if generator.is_async:
                asynchronous = self.punct(n.Asynchronous, at, 5)
                at = self.expect(at + 5, "for")
            elif not text.startswith("for", at):
                raise Unsupported("expected for")
            target, _, target_end = self.ex(generator.target, at + 3)
            at = self.expect(target_end, "in")
            iter_, _, before = self.ex(generator.iter, at + 2)
            ifs = []
            for test in generator.ifs:
                at = self.expect(before, "if")
                converted, _, test_end = self.ex(test, at + 2)
                clause = n.CompIf(converted)
                sp[id(clause)] = (before, test_end)
                ifs.append(clause)
                before = test_end
            clauses.append((start, target, iter_, ifs, asynchronous))
        inner = None
        end = before
        for start, target, iter_, ifs, asynchronous in reversed(clauses):
            inner = n.CompFor(target, iter_, ifs, inner, asynchronous)
            sp[id(inner)] = (start, end)
        return inner, end

    def generator(self, node: ast.GeneratorExp, start: int, end: int, own: bool = True) -> Converted:
        depth = self.depth
        self.depth = depth + 1
        elt, elt_start, elt_end = self.ex(node.elt, start + 1)
        for_in, for_end = self.comprehension(node.generators, elt_end)
        self.depth = depth
        if own:
            lpar = n.LeftParen()
            self.sp[id(lpar)] = (start, elt_start)
            rpar = self.closer(n.RightParen, for_end, end - 1, True)
            made = n.GeneratorExp(elt, for_in, (lpar,), (rpar,))
        else:
            made = n.GeneratorExp(elt, for_in, (), ())
        self.sp[id(made)] = (elt_start, for_end)
        if own:
            return made, start, end
        return made, elt_start, for_end

    def generator_own(self, node: ast.GeneratorExp, start: int, end: int) -> Converted:
        return self.generator(node, start, end)

    def _in_brackets(self, node: Any, start: int, end: int, opener: Any, closer: Any) -> tuple[Any, ...]:
        left, _ = self.opener(opener, start)
        depth = self.depth
        self.depth = depth + 1
        if type(node) is ast.DictComp:
            key, _, key_end = self.ex(node.key, start + 1)
            colon = self.expect(key_end, ":")
            value, _, value_end = self.ex(node.value, colon + 1)
            elt = (key, value)
        else:
            elt, _, value_end = self.ex(node.elt, start + 1)
        for_in, for_end = self.comprehension(node.generators, value_end)
        self.depth = depth
        right = self.closer(closer, for_end, end - 1, True)
        return elt, for_in, left, right

    def list_comp(self, node: ast.ListComp, start: int, end: int) -> Converted:
        elt, for_in, left, right = self._in_brackets(node, start, end, n.LeftSquareBracket, n.RightSquareBracket)
        made = n.ListComp(elt, for_in, left, right, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def set_comp(self, node: ast.SetComp, start: int, end: int) -> Converted:
        elt, for_in, left, right = self._in_brackets(node, start, end, n.LeftCurlyBrace, n.RightCurlyBrace)
        made = n.SetComp(elt, for_in, left, right, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    def dict_comp(self, node: ast.DictComp, start: int, end: int) -> Converted:
        (key, value), for_in, left, right = self._in_brackets(node, start, end, n.LeftCurlyBrace, n.RightCurlyBrace)
        made = n.DictComp(key, value, for_in, left, right, (), ())
        self.sp[id(made)] = (start, end)
        return made, start, end

    # --- parameters ---------------------------------------------------------------------------------------

    def parameters(self, args: ast.arguments, before: int, lambda_: bool = False) -> tuple[Node, int]:
        """A function's (or lambda's) parameters after the token ending at `before` (`(` or `lambda`): the
        `Parameters` and where the token after them (`)` or `:`) is. The whitespace before that token is the
        last parameter's, that after a comma the comma's."""
        sp = self.sp
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        cursor = before  # where the last token read ends
        first = -1

        def comma_after(at: int) -> Node:
            nonlocal cursor
            found = self.skip(at)
            if self.text[found : found + 1] == ",":
                cursor = found + 1
                return self.punct(n.Comma, found)
            cursor = at
            return DEFAULT

        def param(arg: ast.arg, default: ast.expr | None, star: str) -> Node:
            nonlocal first
            at = self.expect(cursor, star) if star else self.skip(cursor)
            if first < 0:
                first = at
            name, after = self.name_at(at + len(star))
            name_end = after
            annotation = None
            if arg.annotation is not None:
                colon = self.expect(after, ":")
                converted, annotation_start, after = self.ex(arg.annotation, colon + 1)
                annotation = n.Annotation(converted)
                sp[id(annotation)] = (annotation_start, after)
            equal = DEFAULT
            value = None
            if default is not None:
                equal_at = self.expect(after, "=")
                equal = self.punct(n.AssignEqual, equal_at)
                value, _, after = self.ex(default, equal_at + 1)
            made = n.Param(name, annotation, equal, value, comma_after(after), star)
            sp[id(made)] = (at, name_end)
            return made

        posonly: list[Node] = []
        params: list[Node] = []
        posonly_ind: Node = DEFAULT
        for i, arg in enumerate(positional):
            (posonly if i < len(args.posonlyargs) else params).append(param(arg, defaults[i], ""))
            if i == len(args.posonlyargs) - 1:
                at = self.expect(cursor, "/")
                posonly_ind = n.ParamSlash(comma_after(at + 1))
                sp[id(posonly_ind)] = (at, self.skip(cursor))
        star_arg: Node = DEFAULT
        if args.vararg is not None:
            star_arg = param(args.vararg, None, "*")
        elif args.kwonlyargs:
            at = self.expect(cursor, "*")
            if first < 0:
                first = at
            star_arg = n.ParamStar(comma_after(at + 1))
            sp[id(star_arg)] = (at, self.skip(cursor))
        kwonly = [param(arg, default, "") for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
        star_kwarg = param(args.kwarg, None, "**") if args.kwarg is not None else None
        made = n.Parameters(params, star_arg, kwonly, star_kwarg, posonly, posonly_ind)
        closer = self.skip(cursor)
        if first < 0:
            first = end = before if lambda_ else closer
        else:
            end = closer
        sp[id(made)] = (first, end)
        return made, closer

    EXPRESSIONS: ClassVar[dict[type, Callable[..., Converted]]] = {}


def _lpar_setter(cls: type) -> Callable[[Node, object], None]:
    found = _set_lpar.get(cls)
    if found is None:
        found = _set_lpar[cls] = n.setter(cls, "lpar")
    return found


def _rpar_setter(cls: type) -> Callable[[Node, object], None]:
    found = _set_rpar.get(cls)
    if found is None:
        found = _set_rpar[cls] = n.setter(cls, "rpar")
    return found


Expressions.EXPRESSIONS.update(
    {
        ast.Name: Expressions.name,
        ast.Constant: Expressions.constant,
        ast.JoinedStr: Expressions.joined,
        ast.Attribute: Expressions.attribute,
        ast.BinOp: Expressions.binary,
        ast.BoolOp: Expressions.boolean,
        ast.Compare: Expressions.compare,
        ast.UnaryOp: Expressions.unary,
        ast.IfExp: Expressions.if_exp,
        ast.NamedExpr: Expressions.named,
        ast.Await: Expressions.await_,
        ast.Yield: Expressions.yield_,
        ast.YieldFrom: Expressions.yield_from,
        ast.Lambda: Expressions.lambda_,
        ast.Call: Expressions.call,
        ast.Subscript: Expressions.subscript,
        ast.Starred: Expressions.starred,
        ast.Tuple: Expressions.tuple_,
        ast.List: Expressions.list_,
        ast.Set: Expressions.set_,
        ast.Dict: Expressions.dict_,
        ast.GeneratorExp: Expressions.generator_own,
        ast.ListComp: Expressions.list_comp,
        ast.SetComp: Expressions.set_comp,
        ast.DictComp: Expressions.dict_comp,
    }
)
