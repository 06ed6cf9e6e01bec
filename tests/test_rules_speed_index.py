"""The rules' shortcuts through the tree index give what a plain visit of the tree gives.

`references` (rules/pipeline_dsl/removed.py) and `_free_in_body` (rules/py_components/_convert.py) read the
tree index instead of visiting every node. The visitors below are the definitions they must agree with: run
on modules full of the places a name can sit (imports, keywords, parameters, definitions, attribute names,
type parameters), on LibCST's tree and on the quick tree built from `ast`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import libcst as cst
import pytest

from migrate.python_source import PythonSource, reading
from migrate.python_tree import walk
from rules._python import NOT_LITERAL, KfpModule, kfp_module, literal_value
from rules.pipeline_dsl._modifiers import modifier_calls
from rules.pipeline_dsl.removed import _resolved_names, references
from rules.py_components._convert import _NameUse, _read_below

MODULES = {
    "imports": """
        import kfp
        import kfp.dsl as dsl
        from kfp.dsl import ContainerOp, Condition as Cond
        from kfp import components as comp
        op = dsl.ContainerOp(name='a', image='b')
        kfp.dsl.ContainerOp(name=dsl.RUN_ID_PLACEHOLDER)
        ContainerOp(image=comp.load_component_from_text(Cond))
        (dsl).ContainerOp()
        (kfp.dsl).Condition(op.output == 1)
        dsl.ContainerOp().container.set_image_pull_policy(dsl.x.y.z)
        """,
    "definitions": """
        from kfp import dsl
        import kfp

        @dsl.pipeline(name=dsl.RUN_ID_PLACEHOLDER)
        def dsl(dsl: dsl.PipelineParam = dsl.x, *kfp: kfp.dsl.A, **ContainerOp) -> dsl.ContainerOp:
            import kfp.dsl as inner
            from kfp.dsl import Condition
            global dsl
            return dsl.ContainerOp(dsl=dsl, kfp=kfp.dsl)

        class kfp(dsl.ContainerOp, metaclass=dsl.Meta, dsl=kfp.dsl):
            dsl = kfp.dsl.Condition
            def kfp(self, dsl=lambda dsl=dsl.a: dsl.b):
                return self.dsl.ContainerOp
        """,
    "expressions": """
        import kfp.dsl
        from kfp import dsl
        x = [dsl.a for dsl in dsl.items if dsl.cond]
        y = {dsl.k: kfp.dsl.v for _ in ()}
        z = f"{dsl.ContainerOp!r:>{dsl.width}}" + dsl.s[dsl.i:dsl.j]
        with dsl.Condition(1) as dsl:
            del dsl
        for dsl.x in kfp.dsl.y:
            dsl.f(*dsl.args, **dsl.kwargs)(dsl)
        dsl.a().b.c(dsl.d)[dsl.e].f
        print(not dsl.x, -dsl.y, dsl.z if dsl.w else dsl.v, await_ := dsl.u)
        """,
}
# Type parameters: LibCST's parser reads them whatever Python runs it (the quick tree only on Python 3.12+).
TYPE_PARAMETERS = """
    from kfp import dsl
    def f[T: dsl.Bound](x: T) -> dsl.Out: ...
    class C[U: dsl.Other](dsl.Base): ...
    """


class _References(cst.CSTVisitor):
    """The definition: names and attributes in expressions (not attribute names, keywords, parameters or
    definitions, nor inside imports), in visiting order, each with the index after the entries inside it."""

    def __init__(self, module: KfpModule) -> None:
        self.module = module
        self.found: list[tuple[cst.CSTNode, str, int]] = []

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        qualified = self.module.qualified(node)
        at = len(self.found)
        if qualified is not None:
            self.found.append((node, qualified, at + 1))
        walk(node.value, self)
        if qualified is not None:
            self.found[at] = (node, qualified, len(self.found))
        return False

    def visit_Name(self, node: cst.Name) -> None:
        qualified = self.module.qualified(node)
        if qualified is not None:
            self.found.append((node, qualified, len(self.found) + 1))

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        for part in (node.annotation, node.default):
            if part is not None:
                walk(part, self)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for part in (*node.decorators, node.params, node.returns, node.body):
            if part is not None:
                walk(part, self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for part in (*node.decorators, *node.bases, *node.keywords, node.body):
            walk(part, self)
        return False


def _sources(text: str) -> list[PythonSource]:
    found = [PythonSource(text, "m.py")]
    quick = PythonSource(text, "m.py", quick=True)
    if quick.quick:
        found.append(quick)
    return found


def _as_seen(src: PythonSource, entries: Sequence[tuple[cst.CSTNode, str, int]]) -> list[tuple[str, str, int]]:
    return [(src.code(node), qualified, end) for node, qualified, end in entries]


@pytest.mark.parametrize("text", [*MODULES.values(), TYPE_PARAMETERS], ids=[*MODULES, "type-parameters"])
def test_resolved_names_are_what_a_visit_finds(text: str) -> None:
    for src in _sources(textwrap.dedent(text)):
        with reading(src):
            module = kfp_module(src)
            visitor = _References(module)
            walk(src.module, visitor)
            found = _resolved_names(module)
            assert found, "each module names something it imports"
            assert [(id(n), q, e) for n, q, e in found] == [(id(n), q, e) for n, q, e in visitor.found]
            assert _as_seen(src, found) == _as_seen(src, visitor.found)


def test_references_skip_names_that_are_no_expression() -> None:
    src = PythonSource(textwrap.dedent(MODULES["definitions"]), "m.py")
    with reading(src):
        module = kfp_module(src)
        seen = [(src.code(node), qualified) for node, qualified in references(module, frozenset({"kfp.dsl.x"}))]
        # `dsl.x` as the default of `dsl` (a parameter, not the import); not the decorator's keyword `name=`.
        assert seen == [("dsl.x", "kfp.dsl.x")]
        ops = references(module, frozenset({"kfp.dsl.ContainerOp"}))
        # `-> dsl.ContainerOp`, the returned value, the class base; not `self.dsl.ContainerOp`, not `**ContainerOp`,
        # not the imports (line 1 is empty).
        assert [src.position(src.span(node)[0]) for node, _ in ops] == [(6, 76), (10, 12), (12, 11)]


NAME_USES = """
    def f(data_path, model_path, out):
        print(model, g(data=1), x.data, out.data.path)
        def inner(table=lambda: table):
            pass
        return [network for network in ()], h(*args, key=value.key)
    """


@pytest.mark.parametrize("name", ["data", "model", "table", "network", "key", "value", "args", "path", "absent"])
def test_read_below_is_what_the_visit_reads(name: str) -> None:
    for src in _sources(textwrap.dedent(NAME_USES)):
        func = src.module.body[0]
        assert isinstance(func, cst.FunctionDef)
        visitor = _NameUse(name)
        walk(func.body, visitor)
        assert _read_below(src.tree, func.body, name) is visitor.read


def test_read_below_of_a_node_elsewhere_does_not_know() -> None:
    src = PythonSource("def f():\n    return data\n", "m.py")
    other = cst.parse_module("def f():\n    return data\n").body[0]
    assert isinstance(other, cst.FunctionDef)
    assert _read_below(src.tree, other.body, "absent") is True


def test_qualified_is_answered_again_for_new_nodes() -> None:
    src = PythonSource("from kfp import dsl\nimport kfp.components as comp\nx = dsl.a.b\n", "m.py")
    module = kfp_module(src)
    assert module.qualified(cst.parse_expression("dsl.a.b")) == "kfp.dsl.a.b"
    for _ in range(3):  # new nodes, some at addresses of freed ones: each gets its own answer
        assert module.qualified(cst.parse_expression("comp.load")) == "kfp.components.load"
        assert module.qualified(cst.parse_expression("other.load")) is None
        assert module.qualified(cst.parse_expression("dsl.x.y")) == "kfp.dsl.x.y"
    assert module.qualified(cst.parse_expression("dsl")) == "kfp.dsl"
    assert module.qualified(cst.parse_expression("f().dsl")) is None


def test_literal_containers_are_not_shared() -> None:
    node = cst.parse_expression("[1, {'a': 2}]")
    first = literal_value(node)
    assert first == [1, {"a": 2}]
    assert isinstance(first, list)
    first.append(3)
    assert literal_value(node) == [1, {"a": 2}]
    assert literal_value(cst.parse_expression("'python:3.7'")) == "python:3.7"
    assert literal_value(cst.parse_expression("'python:3.7'")) == "python:3.7"
    assert literal_value(cst.parse_expression("str")) is NOT_LITERAL
    assert literal_value(cst.parse_expression("str")) is NOT_LITERAL
    assert literal_value(cst.parse_expression("-1.5")) == -1.5


def test_modifier_calls_keep_the_module_order() -> None:
    text = textwrap.dedent(
        """
        from kfp import dsl
        @dsl.pipeline(name='p')
        def p():
            t = dsl.ContainerOp(name='a', image='b')
            t.apply(one)
            t.add_pvolumes({'/m': v})
            t.other()
            t.apply(two)
            t.container.add_pvolumes({})
        """
    )
    for src in _sources(text):
        with reading(src):
            module = kfp_module(src)
            links = list(modifier_calls(module, {"apply", "add_pvolumes"}))
            assert [(link.method, src.position(src.span(link.call)[0])[0]) for link in links] == [
                ("apply", 6),
                ("add_pvolumes", 7),
                ("apply", 9),
            ]
