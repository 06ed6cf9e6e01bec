"""KFP320: v1 graph components and component stores (`@dsl.graph_component`, `ComponentStore`, `load_component`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from migrate.python_tree import walk
from rules._python import PIPELINE_DECORATORS, V1_COMPONENT_MODULES, KfpModule, kfp_module, literal_value
from rules.py_components._edits import Imports, code, names_in, replace

_SEMANTICS = "../shared/docs/kfp-semantics.md"
_GRAPH_DECORATORS = frozenset({"kfp.dsl.graph_component", "kfp.dsl._component.graph_component"})
_CREATE_GRAPH = frozenset(
    f"{m}.create_graph_component_from_pipeline_func" for m in (*V1_COMPONENT_MODULES, "kfp.components._components")
)
_LOAD_COMPONENT = frozenset({"kfp.components.load_component", "kfp.components._components.load_component"})
_STORE = frozenset({"kfp.components.ComponentStore", "kfp.components._component_store.ComponentStore"})
# kfp 1's `load_component(filename=, url=, text=)` -> the kfp 2 loader for each (SOURCE K1 `_components.py`).
_LOADERS = {
    "filename": "load_component_from_file",
    "url": "load_component_from_url",
    "text": "load_component_from_text",
}
# SOURCE K1 `components/_component_store.py`: `ComponentStore.default_store`'s URL prefix.
_DEFAULT_PREFIX = "https://raw.githubusercontent.com/kubeflow/pipelines/master/components/"
_PINNED_PREFIX = "https://raw.githubusercontent.com/kubeflow/pipelines/1.8.22/components/"


def _returns_value(func: cst.FunctionDef) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is func  # returns of nested functions are theirs

        def visit_Return(self, node: cst.Return) -> None:
            nonlocal found
            found = found or node.value is not None

    walk(func, Finder())
    return found


def _unsupported(func: cst.FunctionDef) -> str | None:
    """Why `func` cannot simply become a kfp 2 pipeline, or None."""
    if func.name.value in names_in(func.body):
        return (
            "it calls itself: a kfp 2 pipeline is built when it is defined, so recursion raises "
            f"`NameError: name '{func.name.value}' is not defined`; rewrite the loop (e.g. unroll it with `dsl.If`)"
        )
    if _returns_value(func):
        return "it returns outputs: a kfp 2 pipeline declares them with a `NamedTuple` return annotation"
    return None


def _store_url(module: KfpModule, store: cst.BaseExpression) -> tuple[list[str] | None, bool]:
    """The URL prefixes a `ComponentStore` expression searches (None: unknown), and whether it is the default."""
    if isinstance(store, cst.Attribute) and store.attr.value == "default_store":
        return ([_DEFAULT_PREFIX] if module.qualified(store.value) in _STORE else None), True
    if isinstance(store, cst.Call) and module.qualified(store.func) in _STORE:
        prefixes: list[str] = []
        for arg in store.args:
            value = literal_value(arg.value)
            if arg.keyword is None or arg.keyword.value != "url_search_prefixes" or not isinstance(value, list):
                return None, False  # local paths, a URI template or auth: only a human knows what they found
            if not all(isinstance(v, str) for v in value):
                return None, False
            prefixes.extend(value)
        return prefixes, False
    return None, False


class GraphComponentApi(PythonRule):
    code = "KFP320"
    name = "v1-graph-component-api"
    summary = (
        "Checks for kfp 1 graph and component-store APIs: `@dsl.graph_component`, "
        "`create_graph_component_from_pipeline_func`, `ComponentStore`, `components.load_component`."
    )
    message = "{what} is kfp 1 API, gone in kfp 2 (`{error}`){note}"
    fix_title = "{title}"
    rationale = (
        "kfp 2 has none of these. `kfp.dsl.graph_component` is a module, so `@dsl.graph_component` raises "
        "`TypeError: 'module' object is not callable`; `kfp.components` has no `create_graph_component_from_"
        "pipeline_func`, `ComponentStore` or `load_component` (`AttributeError: module 'kfp.components' has no "
        "attribute ...`, or `ImportError` when imported by name: KFP202). A kfp 2 `@dsl.pipeline` is itself a "
        "component that other pipelines call, so a graph component becomes a pipeline and "
        "`create_graph_component_from_pipeline_func(f)` becomes `f` decorated with `@dsl.pipeline`. "
        "`load_component(filename=|url=|text=)` called `load_component_from_file|url|text` (SOURCE K1 "
        "`components/_components.py`), which kfp 2 has. `ComponentStore(url_search_prefixes=[p])."
        "load_component('n')` read `p + 'n/component.yaml'` (after a local `./n/component.yaml`; SOURCE K1 "
        "`components/_component_store.py`), so it becomes `load_component_from_url` of that URL. With several "
        "prefixes kfp 1 took the first that answered at run time, which only the author can tell. "
        "`ComponentStore.default_store` searched `kubeflow/pipelines` at `master`, which no longer has those "
        f"components. ({_SEMANTICS} §5.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "`@dsl.graph_component` -> `@dsl.pipeline` and `load_component(...)` -> `load_component_from_*` are "
        "safe. Unsafe: `create_graph_component_from_pipeline_func(f)` decorates `f` itself, so its other callers "
        "get a nested pipeline too; a store's `load_component` reads the URL kfp 1 read, without the local "
        "`./<name>/component.yaml` it tried first, and the default store's URL is pinned to tag `1.8.22` "
        "(kfp 1 read `master` at run time). No fix for recursive graph components, ones that return outputs, "
        "several URL prefixes, `digest=`/`tag=`, or other store options."
    )
    valid = (
        "from kfp import components, dsl\n\nop = components.load_component_from_url('https://x/c.yaml')\n\n"
        "@dsl.pipeline\ndef sub(a: str):\n    op(a=a)\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.graph_component\ndef sub(a: str):\n    op(a=a)\n",
            "from kfp import dsl\n\n@dsl.pipeline\ndef sub(a: str):\n    op(a=a)\n",
        ),
        Example(
            "from kfp import components\n\nop = components.load_component(url='https://x/c.yaml')\n",
            "from kfp import components\n\nop = components.load_component_from_url('https://x/c.yaml')\n",
        ),
        Example(
            "from kfp import components\n\nstore = components.ComponentStore(url_search_prefixes=['https://x/'])\n"
            "op = store.load_component('a/b')\n",
            "from kfp import components\n\nop = components.load_component_from_url('https://x/a/b/component.yaml')\n",
            unsafe=True,
        ),
        Example(
            "from kfp import dsl\n\n@dsl.graph_component\ndef loop(a: str):\n    with dsl.Condition(a == 'x'):\n"
            "        loop(op(a=a).output)\n"
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        stores = dict(_module_stores(module))
        for func in module.functions.values():
            for decorator in func.decorators:
                if module.qualified(decorator.decorator) in _GRAPH_DECORATORS:
                    yield self._decorator(module, func, decorator)
        for call, _ in module.calls:
            name = module.qualified(call.func)
            if name in _LOAD_COMPONENT:
                yield self._load_component(module, call)
            elif name in _CREATE_GRAPH:
                yield self._create_graph(module, call)
            elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "load_component":
                store = call.func.value
                if isinstance(store, cst.Name) and store.value in stores:
                    store = stores[store.value][0]
                prefixes, default = _store_url(module, store)
                if prefixes is not None:
                    yield self._store_load(module, call, prefixes, default)
        for local, (value, statement) in stores.items():
            yield self._store(module, local, value, statement)

    def _decorator(self, module: KfpModule, func: cst.FunctionDef, decorator: cst.Decorator) -> Located:
        src = module.src
        why = _unsupported(func)
        fields: dict[str, Any] = {
            "what": "`@dsl.graph_component`",
            "error": "TypeError: 'module' object is not callable",
        }
        if why is not None:
            return self.at(src, decorator, None, note=f"; no fix: {why}", **fields)
        imports = Imports(module)
        pipeline = imports.ref("kfp.dsl.pipeline", through_module=True)
        edits = [replace(src, decorator.decorator, pipeline), *imports.edits()]
        return self.at(src, decorator, self.fix(*edits, title=f"Use `@{pipeline}`"), note="", **fields)

    def _load_component(self, module: KfpModule, call: cst.Call) -> Located:
        src = module.src
        fields: dict[str, Any] = {
            "what": "`components.load_component`",
            "error": "AttributeError: module 'kfp.components' has no attribute 'load_component'",
        }
        args = [a for a in call.args if not a.star]
        if len(args) != 1 or len(call.args) != 1:
            return self.at(src, call, None, note="; no fix: pass exactly one source", **fields)
        arg = args[0]
        source = arg.keyword.value if arg.keyword is not None else "filename"
        if source not in _LOADERS:
            return self.at(src, call, None, note=f"; no fix: `{source}=` has no kfp 2 loader", **fields)
        imports = Imports(module)
        loader = imports.ref(f"kfp.components.{_LOADERS[source]}", through_module=True)
        edits = [replace(src, call.func, loader), *imports.edits()]
        if arg.keyword is not None:  # kfp 2's file loader calls it `file_path`: pass the source by position
            edits.append(Edit(src.span(arg)[0], src.span(arg.value)[0], ""))
        return self.at(src, call, self.fix(*edits, title=f"Use `{loader}`"), note="", **fields)

    def _create_graph(self, module: KfpModule, call: cst.Call) -> Located:
        src = module.src
        fields: dict[str, Any] = {
            "what": "`create_graph_component_from_pipeline_func`",
            "error": "AttributeError: module 'kfp.components' has no attribute "
            "'create_graph_component_from_pipeline_func'",
        }
        arg = call.args[0] if len(call.args) == 1 else None
        named = arg is not None and (arg.keyword is None or arg.keyword.value == "pipeline_func")
        func = module.functions.get(arg.value.value) if named and arg and isinstance(arg.value, cst.Name) else None
        if func is None or arg is None:
            note = (
                "; no fix: a kfp 2 pipeline is the component; write it out with "
                "`compiler.Compiler().compile(pipeline, 'pipeline.yaml')` (kfp 2 IR, not a v1 component file)"
            )
            return self.at(src, call, None, note=note, **fields)
        why = _unsupported(func)
        if why is not None:
            return self.at(src, call, None, note=f"; no fix: `{func.name.value}` cannot be a pipeline: {why}", **fields)
        edits = [replace(src, call, code(arg.value))]
        title = f"Use `{func.name.value}` itself"
        if not any(module.qualified(_callee(d.decorator)) in PIPELINE_DECORATORS for d in func.decorators):
            imports = Imports(module)
            pipeline = imports.ref("kfp.dsl.pipeline", through_module=True)
            start = src.span(func)[0]
            if func.decorators:
                start = src.span(func.decorators[0])[0]
            indent = src.indent_at(start)
            edits += [Edit(start, start, f"@{pipeline}{src.newline}{indent}"), *imports.edits()]
            title = f"Decorate `{func.name.value}` with `@{pipeline}` and use it itself"
        return self.at(src, call, self.fix(*edits, safety=FixSafety.UNSAFE, title=title), note="", **fields)

    def _store_load(self, module: KfpModule, call: cst.Call, prefixes: list[str], default: bool) -> Located:
        src = module.src
        fields: dict[str, Any] = {
            "what": "`ComponentStore.load_component`",
            "error": "AttributeError: module 'kfp.components' has no attribute 'ComponentStore'",
        }
        name = None
        for index, arg in enumerate(call.args):
            keyword = arg.keyword.value if arg.keyword is not None else ("name" if index == 0 else "?")
            if keyword != "name" or arg.star:
                return self.at(src, call, None, note=f"; no fix: `{keyword}` has no kfp 2 form", **fields)
            name = literal_value(arg.value)
        if not isinstance(name, str) or not name:
            return self.at(src, call, None, note="; no fix: the component name is not a literal", **fields)
        urls = [f"{prefix}{name}/component.yaml" for prefix in prefixes]
        if len(urls) != 1:
            tried = ", ".join(f"`{u}`" for u in urls)
            note = f"; no fix: kfp 1 took the first of {tried} that answered at run time"
            return self.at(src, call, None, note=note, **fields)
        url = urls[0]
        note = ""
        if default:
            note = f"; kfp 1 read `{url}`, which `master` no longer has"
            url = f"{_PINNED_PREFIX}{name}/component.yaml"
        imports = Imports(module)
        loader = imports.ref("kfp.components.load_component_from_url", through_module=True)
        edits = [replace(src, call, f"{loader}({url!r})"), *imports.edits()]
        title = f"Use `{loader}({url!r})`"
        return self.at(src, call, self.fix(*edits, safety=FixSafety.UNSAFE, title=title), note=note, **fields)

    def _store(
        self, module: KfpModule, local: str, value: cst.BaseExpression, statement: cst.SimpleStatementLine
    ) -> Located:
        src = module.src
        fields: dict[str, Any] = {
            "what": "`ComponentStore`",
            "error": "AttributeError: module 'kfp.components' has no attribute 'ComponentStore'",
        }
        if _uses(src.module, local) > 1:  # the assignment's own target is one
            note = f"; `{local}` is still used: rewrite its `load_component` calls first"
            return self.at(src, value, None, note=note, **fields)
        start = src.span(statement)[0]
        begin, end = src.line_start(start), src.next_line_start(src.span(statement)[1] - 1)
        following = src.text[end : src.next_line_start(end)] if end < len(src.text) else ""
        if following.strip() == "" and following and src.text[:begin].endswith(("\n\n", "\r\n\r\n")):
            end += len(following)  # one blank line, not two, where the statement was
        edit = Edit(begin, end, "")
        fix = self.fix(edit, title=f"Remove the unused `{local}`")
        return self.at(src, value, fix, note="", **fields)


def _callee(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.func if isinstance(expr, cst.Call) else expr


def _uses(node: cst.CSTNode, name: str) -> int:
    count = 0

    class Counter(cst.CSTVisitor):
        def visit_Name(self, found: cst.Name) -> None:
            nonlocal count
            count += found.value == name

    walk(node, Counter())
    return count


def _module_stores(
    module: KfpModule,
) -> Iterator[tuple[str, tuple[cst.BaseExpression, cst.SimpleStatementLine]]]:
    """Module-level `name = ComponentStore(...)` / `name = ComponentStore.default_store` statements."""
    for statement in module.src.module.body:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            continue
        target = assign.targets[0].target
        value = assign.value
        if not isinstance(target, cst.Name):
            continue
        is_store = (isinstance(value, cst.Call) and module.qualified(value.func) in _STORE) or (
            isinstance(value, cst.Attribute)
            and value.attr.value == "default_store"
            and module.qualified(value.value) in _STORE
        )
        if is_store:
            yield target.value, (value, statement)
