"""`migrate.cst_from_ast.build` gives LibCST's own tree and spans, compared node by node with `parse_module`
(bench/cst_from_ast_oracle.py): on the repository's Python files, the rules' examples and hand-written cases."""

from __future__ import annotations

import ast
import pathlib
import sys

import libcst as cst
import pytest

from migrate.cst_from_ast import Unsupported, build
from migrate.registry import all_rules

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "bench"))
from cst_from_ast_oracle import compare

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _agrees(text: str) -> None:
    difference = compare(text)
    assert difference is None, difference
    # LibCST's own visits rebuild (and validate) each node: the shared whitespace must pass its checks.
    build(text).module.visit(cst.CSTVisitor())


def _repository_files() -> list[pathlib.Path]:
    return sorted(p for folder in ("fixtures", "tests") for p in (ROOT / folder).rglob("*.py"))


def test_repository_python_files() -> None:
    checked = 0
    for path in _repository_files():
        text = path.read_text(encoding="utf-8")
        try:
            difference = compare(text)
        except Unsupported:
            continue
        assert difference is None, f"{path}: {difference}"
        checked += 1
    assert checked > 100


def _rule_examples() -> list[str]:
    texts: list[str] = []
    for rule in all_rules():
        if rule.language != "python":
            continue
        texts.extend(rule.valid)
        for example in rule.invalid:
            texts.append(example.source)
            if example.fixed is not None:
                texts.append(example.fixed)
    return texts


def test_rule_examples() -> None:
    texts = _rule_examples()
    assert len(texts) > 50
    for text in texts:
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        _agrees(text)


PARENTHESES = [
    "f((a))\n",
    "f((a), (b) ,)\n",
    "f(x for x in y)\n",
    "f((x for x in y))\n",
    "x = ((x for x in y))\n",
    "((a).b)\n",
    "(a)(b)[(c)]\n",
    "(yield)\n",
    "def g():\n    x = (yield)\n    y = (yield )\n    z = yield x\n    w = yield from (x)\n",
    "with (a, b):\n    pass\n",
    "with (a):\n    pass\n",
    "with (a) as b, (c) as d:\n    pass\n",
    "with (a, b) as c:\n    pass\n",
    "with (\n    a as b,\n    c as d,\n):\n    pass\n",
    "with ((a)):\n    pass\n",
    "with (a) + b:\n    pass\n",
    "from x import (a, b)\n",
    "from x import (a, b,)\n",
    "from x import (\n    a,  # c\n    b\n)\n",
    "print((a), (b))\n",
    "x = (  # comment\n    a  # more\n)\n",
    "x = ((a, b))\n",
    "x = (a), (b)\n",
    "x = ((a), b)\n",
    "x = ()\n",
    "x = ( )\n",
    "x = (a, )\n",
    "x = [a, ]\n",
    "x = {a: b , }\n",
    "x = {a, b\n     }\n",
    "x = a, \n",
    "x = a,  # c\n",
    "for x in a, b:\n    pass\n",
    "del a, b\ndel a,\ndel (a), [b]\n",
    "not ((a or (b)))\n",
    "x = -(1) + +(2) - ~(3)\n",
    "x = (lambda: 0)\n",
    "x = (a if (b) else (c))\n",
    "x = (a := 1)\n",
    "x = f(a)(b)(c)\n",
    "x = a[1:2, ::3][:][::][1:][ : ]\n",
    "x = a[b, ]\nx = a[(b, c)]\nx = a[b,c:d]\n",
    "class A():\n    pass\nclass B(C, ):\n    pass\nclass D(E, metaclass=F, **g):\n    pass\n",
    "if (a\n    # comment\n    and b):\n    pass\n",
    "x = (a  \\\n     + b)\n",
    "x = a \\\n    + b\n",
]

STRINGS = [
    "x = 'a' \"b\" '''c''' \"\"\"d\"\"\"\n",
    "x = r'a\\'' u'e'\ny = b'b' rb'c' Rb\"d\" BR'f'\n",
    "x = ('a'\n     'b'  # comment\n     'c')\n",
    "x = f'{a}' 'b' f\"{c!r}\"\n",
    "x = f'{a!r:>{width}} {b=} {c = !s} {d:}'\n",
    "x = f'{a:{b}.{c}f}' F'{{literal}} {x}' rf'\\d{y}'\n",
    "x = f'''{\n    a\n}'''\n",
    "x = f'{\"nested\"}' f\"{'n'}\"\n",
    'x = f\'{x["k"]}\' f\'{ {"a": 1}["a"] }\'\n',
    "x = f'{f\"{a}\"}'\n",
    "x = f'\\N{EM DASH} {a}'\n",
    "x = f'{a!r}' f'{a=!r:10}'\n",
    "x = f'{a, b}' f'{a,}' f'{(a, b)}'\n",
    "x = f''\nx = f'plain'\n",
    "x = 'é' + f'{é}'  # é\n",
    "s = 'ü'; t = f'{s}ü{s}'\n",
]

STATEMENTS = [
    "",
    "\n",
    "x = 1",
    "x = 1\n# last comment",
    "x = 1\r\ny = 2\r\n",
    "x = 1\ry = 2\r",
    "# only a comment\n",
    "x = 1; y = 2;  # c\n",
    "if a: b; c\nelse: d\n",
    "while a: pass\nelse:\n    pass\n",
    "for a in b: pass\n",
    "if a:\n    pass\nelif b:\n    pass\nelif c: pass\nelse:\n    if d:\n        pass\n",
    "try:\n    pass\nexcept E as e:\n    pass\nexcept (A, B):\n    pass\nexcept:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
    "@a\n@b.c(d)\n# comment\n@ (e)\ndef f(a, /, b=1, *args, c, d=2, **kw) -> int:\n    return\n",
    "def f(a, /):\n    pass\ndef g(*, a):\n    pass\ndef h(a: int = 1, *b: str):\n    pass\n",
    "def f(\n    a,\n    b,\n):\n    pass\n",
    "lambda: 0\nlambda a, *b, c=1, **d: 0\nlambda a, : 0\nlambda *, a: a\nlambda a, /: a\n",
    "async def f():\n    async for a in b:\n        pass\n    async with a as b:\n        pass\n    await x\n",
    "x: int\nx: int = 1\nx.y: z = 1\n",
    "x += 1\nx //= 2\nx **= 3\nx @= y\nx >>= 1\n",
    "import a\nimport a.b.c as d, e\nfrom . import a\nfrom .. a import b\nfrom ... import c\nfrom .a.b import *\n",
    "global a, b\ndef f():\n    nonlocal c\n",
    "assert a\nassert a, 'message'\nraise\nraise A\nraise A from b\n",
    "class A:\n    '''doc'''\n\n    x = 1\n\n\n    def f(self):\n        return self.x\n",
    "if a:\n  if b:\n        c\n  d\n",
    "x = [i for i in range(3) if i if not i]\n",
    "x = {k: v for k, v in y.items() for z in k}\ny = {a for a in b}\nz = (a async for a in b)\n",
    "x = [*a, *b]\ny = {**a, 'b': 1}\nf(*a, **b)\n*a, b = c\n",
    "x = a if b else c\ny = a or b or c and d\nz = not a\n",
    "x = a < b <= c != d is not e not in f in g is h\n",
    "x = 1 + 2 * 3 / 4 // 5 % 6 ** 7 << 8 >> 9 & 10 | 11 ^ 12 @ 13\n",
    "x = 0x1F + 0o7 + 0b1 + 1_000 + 1.5 + 1e3 + 2j + .5\n",
    "x = ... ; y = None ; z = True\n",
    "x = a.b.c(d)[e].f\n",
    "x = a[b][c:d]\n",
    "é = 1\nx = 'ü' + é  # ü\ndef ß(ä=1): pass\n",
    "x = (\n    1,\n    2\n)\n",
    "if True:\n\n    # comment\n    x = 1\n\n  # dedented comment\ny = 2\n",
]


@pytest.mark.parametrize("text", PARENTHESES + STRINGS + STATEMENTS)
def test_edge_cases(text: str) -> None:
    _agrees(text)


def test_python_3_11_syntax() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("except* and starred subscripts are Python 3.11")
    _agrees("try:\n    pass\nexcept* A:\n    pass\nexcept* (B, C) as e:\n    pass\n")
    _agrees("x = a[*b]\ny = a[1, *b]\n")


def test_python_3_12_fstrings() -> None:
    if sys.version_info < (3, 12):
        pytest.skip("quotes reused inside f-strings are Python 3.12")
    _agrees("x = f'{'a'}' f\"{x[\"k\"]}\" f'{f'{a}'}'\n")
    _agrees("x = f'{a # comment\n}'\n")


@pytest.mark.parametrize(
    "text",
    [
        "if a:\n\tb\n",  # a tab before the first token: LibCST writes other indentation back
        "x = 1\n\x0cy = 2\n",  # a form feed
        "x = [\n\\\n]\n",  # a continuation before a line's first token
        "match a:\n    case 1:\n        pass\n",
        "(x): int = 1\n",  # LibCST 1.9 does not parse it
        "try:\n    pass\nexcept A :\n    pass\n",  # LibCST drops the space before `:`
    ],
)
def test_unsupported(text: str) -> None:
    with pytest.raises(Unsupported):
        build(text)


def test_invalid_python_raises_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        build("x = (\n")


def test_nodes_are_libcst_nodes_that_visit() -> None:
    built = build("@d\ndef f(a, b=1):\n    return g(a, key='v')\n")
    names: list[str] = []

    class Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.append(node.value)

    built.module.visit(Names())
    assert names == ["d", "f", "a", "b", "g", "a", "key"]
    function = built.module.body[0]
    assert isinstance(function, cst.FunctionDef) and isinstance(function.body, cst.IndentedBlock)
    line = function.body.body[0]
    assert isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.Return)
    call = line.body[0].value
    assert isinstance(call, cst.Call) and built.spans[id(call)] == (29, 42)
