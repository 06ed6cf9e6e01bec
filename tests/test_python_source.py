"""PythonSource's own traversals give what LibCST's give: children, visits, parents and positions."""

from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest
from libcst._nodes.internal import CodegenState
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from migrate.lines import PYTHON_LINE_BREAK, LineIndex
from migrate.python_source import PythonSource, _offsets, _Parsed, _written_back
from migrate.python_tree import _WHITESPACE, Tree, children, descendants, walk
from tests.conftest import FIXTURES

# Odd corners: CRLF and lone CR, continuation lines, comments everywhere, f-string format specs (a field
# LibCST visits only sometimes), decorators, nested functions, classes, lambdas, `import *`, no final newline.
ODD = {
    "crlf": "import kfp\r\nfrom kfp import dsl\r\n\r\n@dsl.pipeline(name='p')  # c\r\ndef p(a: int = 1):\r\n"
    "    x = f'{a:>{a}}'\r\n    return (x,\r\n            a)\r\n",
    "cr": "import kfp\rx = [1,\r     2]\r",
    "continuations": "from kfp import \\\n    dsl\nx = 1 + \\\n    2\nif x:  # why\n    pass\n    # trailing\n# end\n",
    "shapes": "from kfp.dsl import *\nimport kfp.dsl as d\n\n\nclass C(d.Base, metaclass=M):\n    '''doc'''\n\n"
    "    @staticmethod\n    def f(*args, k=lambda y: y.z, **kw) -> 'C':\n        def g(): return [i async for i in k]\n"
    "        return g\n\n\nv = C.f(1, k=2)[0]['a'].b  # no final newline",
    "fstrings": "x = f'{a!r:{b}.{c}} {d=} {e:%Y}'\ny = rf'{x}' f'{x:{y}}'\n",
}


def _sources() -> list[tuple[str, str]]:
    found = [(name, text) for name, text in ODD.items()]
    for path in sorted(FIXTURES.glob("KFP[23]*/*.py")):
        found.append((str(path.relative_to(FIXTURES)), path.read_text(encoding="utf-8")))
    for path in sorted((Path(__file__).parent.parent / "examples").glob("*.py")):
        found.append((path.name, path.read_text(encoding="utf-8")))
    return found


SOURCES = _sources()


class _Recorder(cst.CSTVisitor):
    """Records its calls; enters some subtrees and not others, and leaves some classes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        self.calls.append(("visit_Attribute", id(node)))
        return False

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(("visit_Call", id(node)))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls.append(("leave_Call", id(original_node)))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.calls.append(("visit_FunctionDef", id(node)))
        return len(node.params.params) != 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.calls.append(("leave_FunctionDef", id(original_node)))

    def leave_Name(self, original_node: cst.Name) -> None:
        self.calls.append(("leave_Name", id(original_node)))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self.calls.append(("visit_SimpleString", id(node)))


class _CommentRecorder(_Recorder):
    """Visits a whitespace class, which the numbered tree leaves out."""

    def visit_Comment(self, node: cst.Comment) -> None:
        self.calls.append(("visit_Comment", id(node)))


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=[name for name, _ in SOURCES])
def test_children_and_order_are_libcsts(name: str, text: str) -> None:
    src = PythonSource(text, "m.py")
    count = 0
    for node in descendants(src.module, whitespace=True):
        mine, theirs = children(node), node.children
        assert [id(n) for n in mine] == [id(n) for n in theirs], type(node).__name__
        count += 1
    order: list[int] = []

    class Order(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            order.append(id(node))
            return True

    src.module.visit(Order())
    assert order == [id(n) for n in descendants(src.module, whitespace=True)]
    assert count == len(order)


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=[name for name, _ in SOURCES])
def test_parents_and_spans_are_libcsts(name: str, text: str) -> None:
    src = PythonSource(text, "m.py")
    wrapper = MetadataWrapper(src.module, unsafe_skip_copy=True)
    parents = wrapper.resolve(ParentNodeProvider)
    assert all(src.parents.get(node) is parent for node, parent in parents.items())
    assert src.parents.get(src.module) is None
    lines = LineIndex(text, PYTHON_LINE_BREAK)
    positions = wrapper.resolve(PositionProvider)
    for node, where in positions.items():
        assert src.has_span(node)
        if where.end.line > len(lines.starts):  # past a missing final newline: no offset
            with pytest.raises(IndexError):
                src.span(node)
            continue
        start = lines.starts[where.start.line - 1] + where.start.column
        end = lines.starts[where.end.line - 1] + where.end.column
        assert src.span(node) == (start, end), type(node).__name__


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=[name for name, _ in SOURCES])
def test_walks_make_libcsts_calls(name: str, text: str) -> None:
    src = PythonSource(text, "m.py")
    roots: list[cst.CSTNode] = [src.module, *src.module.body]
    roots += [
        n for n in descendants(src.module, whitespace=True) if isinstance(n, cst.Call | cst.IndentedBlock | cst.Comment)
    ]
    for visitor_class in (_Recorder, _CommentRecorder):
        for root in roots:
            expected, by_tree, direct = visitor_class(), visitor_class(), visitor_class()
            root.visit(expected)
            src.walk(root, by_tree)
            walk(root, direct)
            assert by_tree.calls == expected.calls
            assert direct.calls == expected.calls


def _numbered(tree: Tree) -> tuple[list[int], list[int], list[int], dict[int, int], dict[str, list[int]]]:
    return [id(n) for n in tree.nodes], tree.ends, tree.parent, tree.number, tree.of_name


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=[name for name, _ in SOURCES])
def test_numbering_by_class_functions_is_numbering_by_children(name: str, text: str) -> None:
    module = cst.parse_module(text)
    by_loop = object.__new__(Tree)
    by_loop.module, by_loop.nodes, by_loop.ends, by_loop.parent, by_loop.number = module, [], [], [], {}
    of_class: dict[type, list[int]] = {}
    by_loop._number_iteratively(of_class)
    by_loop.of_name = {cls.__name__: numbers for cls, numbers in of_class.items()}
    assert _numbered(Tree(module)) == _numbered(by_loop)
    assert [id(n) for n in Tree(module).nodes] == [id(n) for n in descendants(module)]


def test_a_tree_deeper_than_the_stack_is_numbered_by_the_loop() -> None:
    """3,000 implicitly concatenated strings nest 3,000 deep: deeper than Python's recursion limit."""
    module = cst.parse_module("x = (\n" + "    'a'\n" * 3000 + ")\n")
    tree = Tree(module)
    assert [id(n) for n in tree.nodes] == [id(n) for n in descendants(module)]
    assert len(tree.of_name["ConcatenatedString"]) == 2999
    inner = tree.nodes[tree.of_name["SimpleString"][-1]]
    assert type(tree.parent_of(inner)) is cst.ConcatenatedString


@pytest.mark.parametrize(("name", "text"), SOURCES, ids=[name for name, _ in SOURCES])
def test_outermost_nodes_are_those_a_walk_that_stops_at_them_finds(name: str, text: str) -> None:
    src = PythonSource(text, "m.py")
    kinds = ("FunctionDef", "ClassDef")
    for root in descendants(src.module):
        expected: list[cst.CSTNode] = []
        stack = list(reversed(children(root)))
        while stack:
            node = stack.pop()
            if type(node).__name__ in kinds:
                expected.append(node)
            else:
                stack.extend(reversed(children(node)))
        assert [id(n) for n in src.tree.outermost(root, kinds) or []] == [id(n) for n in expected]
    assert src.tree.outermost(cst.Name("elsewhere"), kinds) is None


def test_a_visitor_with_its_own_hooks_gets_libcsts_visit() -> None:
    src = PythonSource("f(a.b, c)\n", "m.py")
    seen: list[str] = []

    class Hooks(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            seen.append(type(node).__name__)
            return True

        def visit_Call_func(self, node: cst.Call) -> None:
            seen.append("func of a call")

    src.walk(src.module, Hooks())
    assert "func of a call" in seen
    assert seen.count("Name") == 4  # f, a, b, c


# --- offsets found a statement at a time ------------------------------------------------------------------

# Where finding one statement's place could go wrong: line breaks, indentation LibCST does not keep, where
# statements start (header comments, decorators, `;`, suites on one line), statements whose text repeats (a
# place not unique in the text), blocks after the first one of a statement, `match` (indents its cases).
EDGES = {
    "cr in crlf": "x = 1\ry = 2\r\ndef f():\r    return 1\n",
    "cr only": "import kfp\rdef f(a):\r    return a\r\rx = f(1)\r",
    "tab indentation": "def f(a):\n\tif a:\n\t\treturn 1\n\treturn 2\nx = 1\n",
    "tab in a string": "x = 'a\tb'\ny = 2  #\tc\n",
    "no final newline": "import kfp\ndef f():\n    return 1\nx = f()",
    "comment without final newline": "x = 1\n# end",
    "repeated without final newline": "x = 1\nx = 1\nif x:\n    x = 1\n    x = 1",
    "crlf without final newline": "import kfp\r\nx = kfp.f(1,\r\n  2)",
    "header comments": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n'''doc'''\nimport kfp\n",
    "semicolons": "a = 1; b = 2\nc = 3;\nif a: b = 4; c = 5\n",
    "decorators with comments": "@dsl.pipeline(\n    name='p',  # n\n)\n# between\n\n@other\n# after\n"
    "def p(a: int = 1):\n    '''doc'''\n    return a\n",
    "top-level if and try": "if x:\n    a = 1\nelif y:\n    a = 2\nelse:\n    a = 3\ntry:\n    import kfp\n"
    "except ImportError as e:\n    kfp = None\nelse:\n    pass\nfinally:\n    z = 1\n",
    "backslash continuations": "from kfp import \\\n    dsl\nx = 1 + \\\n    2\ny = [1,\n\\\n 2]\n",
    "backslash alone on a line": "x = 1\n\\\ny = 2\n",
    "backslash alone on a line after a cr": "x = 1\r\\\r\ny = 2\n",
    "form feed line": "x = 1\n\x0c\ndef f():\n    return 1\n",
    "form feed before a statement": "\x0cx = 1\ny = 2\n",
    "byte order mark kept": "\ufeffx = 1\ny = 2\n",
    "byte order mark stripped": "\ufeffimport kfp\nx = 1\n".removeprefix("\ufeff"),
    "empty": "",
    "one newline": "\n",
    "comments only": "# a\n\n# b\n",
    "deeper comments after a block": "def f():\n    if x:\n        y = 1\n            # deeper\n        # same\n"
    "    # outer\n# top\nz = 1\n",
    "non-ASCII": "nom_\u00e9 = '\u00fc\u2192\u20ac'\ndef \u0192(\u00df='\u65e5\u672c'):\n    return \u00df  # \u2713\n",
    "repeated statements": "x = 1\nx = 1\nif x:\n    y = 1\n    y = 1\nelse:\n    y = 1\n    y = 1\nx = 1\n",
    "match": "match x:\n    case 1:\n        y = 1\n    case _:\n        y = 1\n        y = 1\n",
    "suites on one line": "for i in x: y = i\nwhile 0: pass\nwith a as b, c: d\nclass C(B): x = 1\n"
    "async def f():\n    async with a: pass\n    async for i in b: pass\n",
    "nested": "def f():\n    def g():\n        class C:\n            def h(self):\n                return [lambda: 1]\n"
    "        return C\n    return g\n",
}


def _span_sources() -> list[tuple[str, str]]:
    found = list(EDGES.items()) + list(ODD.items())
    for path in sorted(FIXTURES.glob("**/*.py")):
        found.append((str(path.relative_to(FIXTURES)), path.read_text(encoding="utf-8")))
    return found


SPAN_SOURCES = _span_sources()


@pytest.mark.parametrize(("name", "text"), SPAN_SOURCES, ids=[name for name, _ in SPAN_SOURCES])
def test_offsets_found_a_statement_at_a_time_are_the_whole_generations(name: str, text: str) -> None:
    module = cst.parse_module(text)
    whole = _offsets(module)
    nodes = list(descendants(module, whitespace=True))
    numbered = [node for node in nodes[1:] if type(node) not in _WHITESPACE]
    # Questions in any order: what is already placed decides how the next statement is placed.
    shuffled = numbered[:]
    random.Random(name).shuffle(shuffled)
    for order in (shuffled, numbered[::-1]):
        parsed = _Parsed(text, module)
        for node in order:
            assert parsed.span(node) == whole.get(id(node)), type(node).__name__
        if numbered:  # the whole module generated only where it must be
            assert parsed.offsets.complete is not _written_back(text)
        for node in nodes:  # whitespace and the module itself: the whole generation
            assert parsed.span(node) == whole.get(id(node)), type(node).__name__
    for node in random.Random(name).sample(numbered, min(len(numbered), 60)):  # the first question asked
        assert _Parsed(text, module).span(node) == whole.get(id(node)), type(node).__name__
    assert _Parsed(text, module).span(cst.MaybeSentinel.DEFAULT) is None  # type: ignore[arg-type]
    assert _Parsed(text, module).span(cst.Name("elsewhere")) is None


@pytest.mark.parametrize(("name", "text"), SPAN_SOURCES, ids=[name for name, _ in SPAN_SOURCES])
def test_statements_are_placed_only_where_libcst_writes_back_the_text(name: str, text: str) -> None:
    module = cst.parse_module(text)
    # The code as generated, before LibCST drops the newline it gave a last line without one.
    state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    for node in (*module.header, *module.body, *module.footer):
        node._codegen(state)
    assert "".join(state.tokens).startswith(text) or not _written_back(text)


def test_only_the_statements_holding_a_node_are_generated() -> None:
    text = "import kfp\n\n\ndef a():\n    return [1, 2]\n\n\n@kfp.dsl.pipeline(name='p')\ndef b(x: int):\n"
    text += "    y = 1\n    if x:\n        return f(y)\n    y = 1\n"
    module = cst.parse_module(text)
    first, last = module.body[1], module.body[2]
    assert isinstance(first, cst.FunctionDef) and isinstance(last, cst.FunctionDef)
    before, branch, after = last.body.body
    assert isinstance(branch, cst.If) and isinstance(branch.body, cst.IndentedBlock)
    # Its line is once in the text: the call's statement is found directly.
    parsed = _Parsed(text, module)
    call = next(node for node in descendants(branch.body) if isinstance(node, cst.Call))
    assert text[slice(*parsed.span(call) or (0, 0))] == "f(y)"
    assert not parsed.offsets.complete
    assert set(parsed.offsets.found) == {id(node) for node in descendants(branch.body.body[0], whitespace=True)}
    # `    y = 1` twice: placed after the pipeline's head, past the first one.
    parsed = _Parsed(text, module)
    assert parsed.span(after) == (text.rindex("y = 1"), len(text) - 1)
    generated = parsed.offsets.found
    assert not parsed.offsets.complete
    assert id(last.decorators[0]) in generated and id(last.params) in generated
    assert not any(id(node) in generated for node in (*descendants(first), *descendants(before), *descendants(branch)))
