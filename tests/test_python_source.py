"""PythonSource's own traversals give what LibCST's give: children, visits, parents and positions."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from migrate.lines import PYTHON_LINE_BREAK, LineIndex
from migrate.python_source import PythonSource
from migrate.python_tree import children, descendants, walk
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
    for node in descendants(src.module):
        mine, theirs = children(node), node.children
        assert [id(n) for n in mine] == [id(n) for n in theirs], type(node).__name__
        count += 1
    order: list[int] = []

    class Order(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            order.append(id(node))
            return True

    src.module.visit(Order())
    assert order == [id(n) for n in descendants(src.module)]
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
    roots += [n for n in descendants(src.module) if isinstance(n, cst.Call | cst.IndentedBlock | cst.Comment)]
    for visitor_class in (_Recorder, _CommentRecorder):
        for root in roots:
            expected, by_tree, direct = visitor_class(), visitor_class(), visitor_class()
            root.visit(expected)
            src.walk(root, by_tree)
            walk(root, direct)
            assert by_tree.calls == expected.calls
            assert direct.calls == expected.calls


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
