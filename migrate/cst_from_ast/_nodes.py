"""LibCST nodes made without their constructors: `object.__new__` and the slots set directly.

A constructor validates its node, and most of LibCST's parse time is building nodes. Whitespace fields get
shared stand-ins that count their reads (`migrate.unknown_whitespace`): they are not the text's."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import libcst as cst

from migrate.python_tree import declares_whitespace
from migrate.unknown_whitespace import NO_LINES, UnknownWhitespace

# One space: LibCST's validation (run when `visit` or `children` rebuilds a node) wants one after keywords
# and around some operators, and nowhere forbids it.
WS: Any = UnknownWhitespace(cst.SimpleWhitespace(" "))
TRAILING: Any = UnknownWhitespace(cst.TrailingWhitespace())
NEWLINE: Any = UnknownWhitespace(cst.Newline())
DEFAULT = cst.MaybeSentinel.DEFAULT


WS_EMPTY: Any = UnknownWhitespace(cst.SimpleWhitespace(""))
_EMPTY_FIELDS = {"whitespace_after_type_parameters"}  # validation wants these empty


def _default(annotation: str) -> object:
    if "Sequence" in annotation:
        return NO_LINES
    if "TrailingWhitespace" in annotation:
        return TRAILING
    if "Newline" in annotation:
        return NEWLINE
    if "Comment" in annotation:
        raise TypeError(f"no stand-in for a field of type {annotation}")
    return WS


def factory(cls: type, names: str) -> Callable[..., Any]:
    """A function taking the fields `names` (space separated) in that order and making a `cls`; its other
    fields, all whitespace, get shared defaults."""
    given = names.split()
    env: dict[str, object] = {"new": object.__new__, "cls": cls}
    lines = [f"def make({', '.join(given)}):", "    n = new(cls)"]
    fields = {field.name: str(field.type) for field in dataclasses.fields(cls)}
    unknown = set(given) - set(fields)
    if unknown:
        raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")
    for name, annotation in fields.items():
        slot = next(klass.__dict__[name] for klass in cls.__mro__ if name in klass.__dict__)
        env[f"set_{name}"] = slot.__set__
        if name in given:
            lines.append(f"    set_{name}(n, {name})")
        else:
            if not declares_whitespace(annotation):
                raise TypeError(f"{cls.__name__}.{name} needs a value")
            env[f"default_{name}"] = WS_EMPTY if name in _EMPTY_FIELDS else _default(annotation)
            lines.append(f"    set_{name}(n, default_{name})")
    lines.append("    return n")
    exec("\n".join(lines), env)
    return env["make"]  # type: ignore[return-value]


def setter(cls: type, name: str) -> Callable[[cst.CSTNode, object], None]:
    """Sets field `name` of a node of `cls` made here (still being built)."""
    slot = next(klass.__dict__[name] for klass in cls.__mro__ if name in klass.__dict__)
    return slot.__set__  # type: ignore[no-any-return]


# --- the factories ------------------------------------------------------------------------------------------

Name = factory(cst.Name, "value lpar rpar")
Integer = factory(cst.Integer, "value lpar rpar")
Float = factory(cst.Float, "value lpar rpar")
Imaginary = factory(cst.Imaginary, "value lpar rpar")
SimpleString = factory(cst.SimpleString, "value lpar rpar")
Ellipsis = factory(cst.Ellipsis, "lpar rpar")
ConcatenatedString = factory(cst.ConcatenatedString, "left right lpar rpar")
FormattedString = factory(cst.FormattedString, "parts start end lpar rpar")
FormattedStringText = factory(cst.FormattedStringText, "value")
FormattedStringExpression = factory(cst.FormattedStringExpression, "expression conversion format_spec equal")
LeftParen = factory(cst.LeftParen, "")
RightParen = factory(cst.RightParen, "")
LeftSquareBracket = factory(cst.LeftSquareBracket, "")
RightSquareBracket = factory(cst.RightSquareBracket, "")
LeftCurlyBrace = factory(cst.LeftCurlyBrace, "")
RightCurlyBrace = factory(cst.RightCurlyBrace, "")
Comma = factory(cst.Comma, "")
Dot = factory(cst.Dot, "")
Colon = factory(cst.Colon, "")
Semicolon = factory(cst.Semicolon, "")
AssignEqual = factory(cst.AssignEqual, "")
ImportStar = factory(cst.ImportStar, "")
Asynchronous = factory(cst.Asynchronous, "")
NotEqual = factory(cst.NotEqual, "value")
Attribute = factory(cst.Attribute, "value attr dot lpar rpar")
Call = factory(cst.Call, "func args lpar rpar")
Arg = factory(cst.Arg, "value keyword equal comma star")
Subscript = factory(cst.Subscript, "value slice lbracket rbracket lpar rpar")
SubscriptElement = factory(cst.SubscriptElement, "slice comma")
Index = factory(cst.Index, "value star whitespace_after_star")
Slice = factory(cst.Slice, "lower upper step first_colon second_colon")
BinaryOperation = factory(cst.BinaryOperation, "left operator right lpar rpar")
BooleanOperation = factory(cst.BooleanOperation, "left operator right lpar rpar")
UnaryOperation = factory(cst.UnaryOperation, "operator expression lpar rpar")
Comparison = factory(cst.Comparison, "left comparisons lpar rpar")
ComparisonTarget = factory(cst.ComparisonTarget, "operator comparator")
Lambda = factory(cst.Lambda, "params body colon lpar rpar whitespace_after_lambda")
IfExp = factory(cst.IfExp, "test body orelse lpar rpar")
NamedExpr = factory(cst.NamedExpr, "target value lpar rpar")
Await = factory(cst.Await, "expression lpar rpar")
Yield = factory(cst.Yield, "value lpar rpar whitespace_after_yield")
From = factory(cst.From, "item whitespace_before_from")
Tuple = factory(cst.Tuple, "elements lpar rpar")
List = factory(cst.List, "elements lbracket rbracket lpar rpar")
Set = factory(cst.Set, "elements lbrace rbrace lpar rpar")
Dict = factory(cst.Dict, "elements lbrace rbrace lpar rpar")
Element = factory(cst.Element, "value comma")
StarredElement = factory(cst.StarredElement, "value comma lpar rpar")
DictElement = factory(cst.DictElement, "key value comma")
StarredDictElement = factory(cst.StarredDictElement, "value comma")
GeneratorExp = factory(cst.GeneratorExp, "elt for_in lpar rpar")
ListComp = factory(cst.ListComp, "elt for_in lbracket rbracket lpar rpar")
SetComp = factory(cst.SetComp, "elt for_in lbrace rbrace lpar rpar")
DictComp = factory(cst.DictComp, "key value for_in lbrace rbrace lpar rpar")
CompFor = factory(cst.CompFor, "target iter ifs inner_for_in asynchronous")
CompIf = factory(cst.CompIf, "test")
Parameters = factory(cst.Parameters, "params star_arg kwonly_params star_kwarg posonly_params posonly_ind")
Param = factory(cst.Param, "name annotation equal default comma star")
ParamStar = factory(cst.ParamStar, "comma")
ParamSlash = factory(cst.ParamSlash, "comma")
Annotation = factory(cst.Annotation, "annotation")

Module = factory(cst.Module, "body encoding default_indent default_newline has_trailing_newline")
SimpleStatementLine = factory(cst.SimpleStatementLine, "body")
SimpleStatementSuite = factory(cst.SimpleStatementSuite, "body")
IndentedBlock = factory(cst.IndentedBlock, "body indent")
Expr = factory(cst.Expr, "value semicolon")
Assign = factory(cst.Assign, "targets value semicolon")
AssignTarget = factory(cst.AssignTarget, "target")
AugAssign = factory(cst.AugAssign, "target operator value semicolon")
AnnAssign = factory(cst.AnnAssign, "target annotation value equal semicolon")
Return = factory(cst.Return, "value whitespace_after_return semicolon")
Del = factory(cst.Del, "target semicolon")
Pass = factory(cst.Pass, "semicolon")
Break = factory(cst.Break, "semicolon")
Continue = factory(cst.Continue, "semicolon")
Raise = factory(cst.Raise, "exc cause whitespace_after_raise semicolon")
Assert = factory(cst.Assert, "test msg comma semicolon")
Global = factory(cst.Global, "names semicolon")
Nonlocal = factory(cst.Nonlocal, "names semicolon")
NameItem = factory(cst.NameItem, "name comma")
Import = factory(cst.Import, "names semicolon")
ImportFrom = factory(cst.ImportFrom, "module names relative lpar rpar semicolon")
ImportAlias = factory(cst.ImportAlias, "name asname comma")
AsName = factory(cst.AsName, "name")
If = factory(cst.If, "test body orelse")
Else = factory(cst.Else, "body")
For = factory(cst.For, "target iter body orelse asynchronous")
While = factory(cst.While, "test body orelse")
With = factory(cst.With, "items body asynchronous lpar rpar")
WithItem = factory(cst.WithItem, "item asname comma")
Try = factory(cst.Try, "body handlers orelse finalbody")
TryStar = factory(cst.TryStar, "body handlers orelse finalbody")
ExceptHandler = factory(cst.ExceptHandler, "body type name")
ExceptStarHandler = factory(cst.ExceptStarHandler, "body type name")
Finally = factory(cst.Finally, "body")
FunctionDef = factory(cst.FunctionDef, "name params body decorators returns asynchronous type_parameters")
ClassDef = factory(cst.ClassDef, "name body bases keywords decorators lpar rpar type_parameters")
Decorator = factory(cst.Decorator, "decorator")

# Operators: one factory per class, with its token.
BINARY: dict[type, tuple[Callable[[], cst.CSTNode], str]] = {}
AUGMENTED: dict[type, tuple[Callable[[], cst.CSTNode], str]] = {}
COMPARE: dict[type, tuple[Callable[[], cst.CSTNode], str]] = {}
UNARY: dict[type, tuple[Callable[[], cst.CSTNode], str]] = {}
BOOLEAN: dict[type, tuple[Callable[[], cst.CSTNode], str]] = {}


def _operators() -> None:
    import ast

    binary = {
        ast.Add: (cst.Add, "+"),
        ast.Sub: (cst.Subtract, "-"),
        ast.Mult: (cst.Multiply, "*"),
        ast.Div: (cst.Divide, "/"),
        ast.FloorDiv: (cst.FloorDivide, "//"),
        ast.Mod: (cst.Modulo, "%"),
        ast.Pow: (cst.Power, "**"),
        ast.LShift: (cst.LeftShift, "<<"),
        ast.RShift: (cst.RightShift, ">>"),
        ast.BitOr: (cst.BitOr, "|"),
        ast.BitXor: (cst.BitXor, "^"),
        ast.BitAnd: (cst.BitAnd, "&"),
        ast.MatMult: (cst.MatrixMultiply, "@"),
    }
    # Every augmented operator is its binary operator's `Assign` class, with `=` after the token: `+=` AddAssign.
    augmented = {key: (getattr(cst, f"{cls.__name__}Assign"), f"{token}=") for key, (cls, token) in binary.items()}
    compare = {
        ast.Eq: (cst.Equal, "=="),
        ast.Lt: (cst.LessThan, "<"),
        ast.LtE: (cst.LessThanEqual, "<="),
        ast.Gt: (cst.GreaterThan, ">"),
        ast.GtE: (cst.GreaterThanEqual, ">="),
        ast.Is: (cst.Is, "is"),
        ast.In: (cst.In, "in"),
        ast.IsNot: (cst.IsNot, "is"),
        ast.NotIn: (cst.NotIn, "not"),
        ast.NotEq: (cst.NotEqual, "!"),
    }
    unary = {
        ast.Not: (cst.Not, "not"),
        ast.USub: (cst.Minus, "-"),
        ast.UAdd: (cst.Plus, "+"),
        ast.Invert: (cst.BitInvert, "~"),
    }
    boolean = {ast.And: (cst.And, "and"), ast.Or: (cst.Or, "or")}
    for table, found in (
        (binary, BINARY),
        (augmented, AUGMENTED),
        (compare, COMPARE),
        (unary, UNARY),
        (boolean, BOOLEAN),
    ):
        for key, (cls, token) in table.items():
            found[key] = (factory(cls, "value" if cls is cst.NotEqual else ""), token)


_operators()
