"""KFP202, KFP214-216: kfp 1 component factories and imports, and their options, in kfp 2 form."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import libcst as cst

from migrate.model import Edit, Example, Fix, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from migrate.python_tree import descendants
from rules._python import (
    V1_COMPONENT_MODULES,
    Component,
    ImportBinding,
    KfpModule,
    Maker,
    kfp_module,
    literal_value,
)
from rules.py_components._convert import is_v1_file_port
from rules.py_components._edits import Imports, code, replace, used_names
from rules.py_components.paths import file_parameter_fixes

# Positional parameters after `func` (SOURCE K1 `_python_op.py`).
_POSITIONAL = {
    "create_component_from_func": ("output_component_file", "base_image", "packages_to_install", "annotations"),
    "func_to_container_op": (
        "output_component_file",
        "base_image",
        "extra_code",
        "packages_to_install",
        "modules_to_capture",
        "use_code_pickling",
        "annotations",
    ),
    "create_component_from_func_v2": (
        "base_image",
        "packages_to_install",
        "output_component_file",
        "install_kfp_package",
        "kfp_package_path",
    ),
}
_CARRIED = frozenset(
    {"base_image", "packages_to_install", "output_component_file", "install_kfp_package", "kfp_package_path"}
)
# Options kfp 2 has no equivalent for, with the value that means "not used".
_NO_EQUIVALENT: dict[str, object] = {
    "annotations": None,
    "extra_code": "",
    "modules_to_capture": None,
    "use_code_pickling": False,
}
# Names `kfp.components` still has in kfp 2 (`kfp/components/__init__.py`).
V2_COMPONENTS_NAMES = frozenset(
    {
        "load_component_from_file",
        "load_component_from_url",
        "load_component_from_text",
        "PythonComponent",
        "BaseComponent",
        "ContainerComponent",
        "YamlComponent",
    }
)
_MOVED_TO_DSL = frozenset({"InputPath", "OutputPath"})
_V2_BASE_IMAGE = "python:3.11"


def named_options(maker: Maker) -> list[tuple[str, cst.Arg]]:
    """Every option of a factory call by name, positional ones named as kfp 1 bound them."""
    positional = iter(_POSITIONAL.get(maker.qualified.rpartition(".")[2], ()))
    out: list[tuple[str, cst.Arg]] = []
    for arg in maker.options:
        if arg.star:
            continue
        name = arg.keyword.value if arg.keyword else next(positional, "")
        out.append((name, arg))
    return out


def unmapped(maker: Maker) -> list[tuple[str, cst.Arg]]:
    """Options with no kfp 2 equivalent, set to something other than their "unused" value."""
    return [
        (name, arg)
        for name, arg in named_options(maker)
        if name in _NO_EQUIVALENT and literal_value(arg.value) != _NO_EQUIVALENT[name]
    ]


class V1ComponentApi(PythonRule):
    code = "KFP202"
    name = "v1-component-api"
    summary = (
        "Checks for kfp 1 component factories (`create_component_from_func`, `func_to_container_op`) and their imports."
    )
    message = "{what} is kfp 1 API, gone in kfp 2{note}"
    fix_title = "Use `dsl.component`"
    rationale = (
        "`create_component_from_func`, `func_to_container_op` and the file markers were removed from "
        "`kfp.components` in kfp 2; importing them is an `ImportError` (probes P10q, P30b). The kfp 2 "
        "factory is `dsl.component`. As a decorator it replaces the v1 decorator; as a call, "
        "`train_op = dsl.component(train, base_image=...)` keeps `train_op` working for the code that "
        "uses it and leaves `train` a plain function. `base_image`, `packages_to_install` and "
        "`output_component_file` carry over. The factory is rewritten only once the file parameters are "
        "in kfp 2 form (KFP203-206), because kfp 1's names depend on it. The import is rewritten once "
        "nothing uses the removed names."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when it drops `annotations=` (component metadata kfp 2 has no place for); not offered while "
        "`extra_code`, `modules_to_capture` or `use_code_pickling` are set (see KFP215)."
    )
    valid = (
        "from kfp import dsl\n\n@dsl.component(base_image='python:3.11')\ndef add(a: int) -> int:\n    return a\n",
    )
    invalid = (
        Example(
            "from kfp.components import create_component_from_func\n\n"
            "def add(a: int) -> int:\n    return a\n\n"
            "add_op = create_component_from_func(add, base_image='python:3.11')\n",
            fixed="from kfp import dsl\n\ndef add(a: int) -> int:\n    return a\n\n"
            "add_op = dsl.component(add, base_image='python:3.11')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        made: list[tuple[Maker, Fix]] = []
        for component in module.components:
            for maker in component.makers:
                if maker.qualified.rpartition(".")[0] in V1_COMPONENT_MODULES:
                    located = self._maker(module, component, maker)
                    if located.fix is not None:
                        made.append((maker, located.fix))
                    yield located
        for statement, bindings in _v1_import_statements(module):
            yield self._import(module, statement, bindings, made)

    def _maker(self, module: KfpModule, component: Component, maker: Maker) -> Located:
        what = f"`{maker.qualified.rpartition('.')[2]}`"
        node: cst.CSTNode = maker.node.decorator if isinstance(maker.node, cst.Decorator) else maker.node.func
        pending = [p for p in component.ports if is_v1_file_port(p)]
        # The file parameters' rewrites (KFP203-206, KFP217) come with this one, in the same pass.
        parameter_fixes = file_parameter_fixes(module, component) if pending else None
        requires = [parameter_fixes.fix_of(p) for p in pending] if parameter_fixes else []
        names = ", ".join(f"`{p.name}`" for p in pending)
        if None in requires:
            return self.at(module.src, node, None, what=what, note=f" (rewrite the file parameters {names} first)")
        along = f" (fixed along with the file parameters {names})" if pending else ""
        blocking = [name for name, _ in unmapped(maker) if name != "annotations"]
        if blocking:
            note = f" (`{'`, `'.join(blocking)}` has no kfp 2 equivalent, see KFP215)"
            return self.at(module.src, node, None, what=what, note=note)
        imports = Imports(module)
        edits = _rewrite_maker(module, maker, imports.ref("kfp.dsl.component", through_module=True))
        dropped = [name for name, _ in unmapped(maker)]
        required = tuple(dict.fromkeys(fix for fix in requires if fix is not None))
        safety = FixSafety.UNSAFE if dropped else FixSafety.SAFE
        title = "Use `dsl.component`" + (" and drop `annotations=`" if dropped else "")
        fix = self.fix(*edits, *imports.edits(), safety=safety, title=title, requires=required)
        return self.at(module.src, node, fix, what=what, note=along)

    def _import(
        self, module: KfpModule, statement: cst.ImportFrom, bindings: list[ImportBinding], made: list[tuple[Maker, Fix]]
    ) -> Located:
        gone = [b for b in bindings if b.qualified.rpartition(".")[2] not in V2_COMPONENTS_NAMES]
        what = "Importing " + ", ".join(f"`{b.qualified.rpartition('.')[2]}`" for b in gone)
        src = module.src
        used = used_names(src)
        # A name whose every use another fix rewrites (a factory, a file parameter's annotation) is gone after
        # them: this fix requires them, and one pass applies them all.
        cover = _covering_fixes(module, made)
        reads = _reads(src, {b.local for b in gone})
        after: dict[str, list[Fix | None]] = {b.local: [cover.get(id(n)) for n in reads[b.local]] for b in gone}
        gone_after = {local for local, fixes in after.items() if None not in fixes}
        required = tuple(dict.fromkeys(fix for fixes in after.values() for fix in fixes if fix is not None))
        blocking = [b.local for b in gone if b.local in used and b.local not in gone_after and not _moved(b)]
        if blocking:
            note = f" (still used: {', '.join(f'`{n}`' for n in blocking)})"
            return self.at(src, statement, None, what=what, note=note)
        if any(_moved(b) and b.local not in gone_after and _in_v1_file_port(cover, reads[b.local]) for b in gone):
            # InputPath/OutputPath still in a file parameter no fix rewrites: it may yet become unused.
            return self.at(src, statement, None, what=what, note=" (after the file parameters)")
        if "#" in src.code(statement):  # rewritten, the statement would lose its comments
            return self.at(src, statement, None, what=what, note=" (by hand: a rewrite would drop its comments)")
        edit = _rewrite_import(module, statement, bindings, used - gone_after)
        if edit is None:
            return self.at(src, statement, None, what=what, note="")
        title = "Import only what kfp 2 still has"
        fix = self.fix(edit, title=title, safety=FixSafety.SAFE, requires=required)
        return self.at(src, statement, fix, what=what, note="")


def _moved(binding: ImportBinding) -> bool:
    return binding.qualified.rpartition(".")[2] in _MOVED_TO_DSL


def _covering_fixes(module: KfpModule, made: list[tuple[Maker, Fix]]) -> dict[int, Fix | None]:
    """By `id` of a name read: the fix that rewrites it away, None where a human has to (a file parameter's
    annotation that takes one)."""
    cover: dict[int, Fix | None] = {}
    for maker, fix in made:
        reference = _factory_reference(maker)
        if reference is not None:
            cover[id(reference)] = fix
    for component in module.components:
        pending = [p for p in component.ports if is_v1_file_port(p) and p.param.annotation is not None]
        if not pending:
            continue
        fixes = file_parameter_fixes(module, component)
        for port in pending:
            annotation = port.param.annotation
            assert annotation is not None
            port_fix = fixes.fix_of(port)
            for node in descendants(annotation.annotation):
                if isinstance(node, cst.Name):
                    cover[id(node)] = port_fix
    return cover


def _in_v1_file_port(cover: dict[int, Fix | None], reads: list[cst.Name]) -> bool:
    """Whether one of `reads` is in a file parameter's annotation that no fix rewrites."""
    return any(id(node) in cover and cover[id(node)] is None for node in reads)


def _factory_reference(maker: Maker) -> cst.Name | None:
    """The plain name a factory is called or applied by (`create_component_from_func(...)`, `@func_to_...`)."""
    expression = maker.node.decorator if isinstance(maker.node, cst.Decorator) else maker.node.func
    if isinstance(expression, cst.Call):
        expression = expression.func
    return expression if isinstance(expression, cst.Name) else None


def _reads(src: PythonSource, names: set[str]) -> dict[str, list[cst.Name]]:
    """Where each of `names` is read, outside import statements: one look at the module's names."""
    found: dict[str, list[cst.Name]] = {name: [] for name in names}
    tree = src.tree
    for i in tree.of_name.get("Name", ()):
        node = tree.nodes[i]
        if isinstance(node, cst.Name) and node.value in found and not _in_import(src, node):
            found[node.value].append(node)
    return found


def _in_import(src: PythonSource, node: cst.CSTNode) -> bool:
    parent = src.parents.get(node)
    while isinstance(parent, cst.Attribute | cst.ImportAlias | cst.AsName):
        if isinstance(parent, cst.ImportAlias | cst.AsName):
            return True
        parent = src.parents.get(parent)
    return False


def _v1_import_statements(module: KfpModule) -> Iterator[tuple[cst.ImportFrom, list[ImportBinding]]]:
    grouped: dict[cst.ImportFrom, list[ImportBinding]] = {}
    for binding in module.imports:
        statement = binding.statement
        if isinstance(statement, cst.ImportFrom) and binding.qualified.rpartition(".")[0] in V1_COMPONENT_MODULES:
            grouped.setdefault(statement, []).append(binding)
    for statement, bindings in grouped.items():
        if any(b.qualified.rpartition(".")[2] not in V2_COMPONENTS_NAMES for b in bindings):
            yield statement, bindings


def _rewrite_maker(module: KfpModule, maker: Maker, component_ref: str) -> list[Edit]:
    src = module.src
    carried = [(name, arg) for name, arg in named_options(maker) if _carried(name, arg)]
    kwargs = ", ".join(f"{name}={code(arg.value)}" for name, arg in carried)
    if isinstance(maker.node, cst.Decorator):
        expression = f"{component_ref}({kwargs})" if kwargs else component_ref
        return [replace(src, maker.node.decorator, expression)]
    edits = [replace(src, maker.node.func, component_ref)]
    for name, arg in named_options(maker):
        if not _carried(name, arg):
            previous = maker.node.args[maker.node.args.index(arg) - 1]
            edits.append(Edit(src.span(previous.value)[1], src.span(arg.value)[1], ""))
        elif arg.keyword is None:
            start, _ = src.span(arg.value)
            edits.append(Edit(start, start, f"{name}="))
    return edits


def _carried(name: str, arg: cst.Arg) -> bool:
    """Options kept in the kfp 2 call; `None` is every carried option's default, so it goes."""
    return name in _CARRIED and literal_value(arg.value) is not None


def _rewrite_import(
    module: KfpModule, statement: cst.ImportFrom, bindings: list[ImportBinding], used: set[str]
) -> Edit | None:
    src = module.src
    keep = [b for b in bindings if b.qualified.rpartition(".")[2] in V2_COMPONENTS_NAMES]
    moved = [b for b in bindings if b.qualified.rpartition(".")[2] in _MOVED_TO_DSL and b.local in used]
    lines = []
    if keep:
        lines.append(f"from {_module_text(statement)} import {', '.join(_alias_text(b.alias) for b in keep)}")
    if moved:
        lines.append(f"from kfp.dsl import {', '.join(_alias_text(b.alias) for b in moved)}")
    line = src.parents.get(statement)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    start, end = src.span(line)
    if lines:
        indent = src.indent_at(start)
        return Edit(start, end, (src.newline + indent).join(lines))
    # Remove the whole line, its comment and line break included.
    return Edit(src.line_start(start), src.next_line_start(end), "")


def _alias_text(alias: cst.ImportAlias) -> str:
    """`name` or `name as other`, without the comma and line breaks around it in a parenthesized import."""
    if alias.asname is None:
        return code(alias.name)
    return f"{code(alias.name)} as {code(alias.asname.name)}"


def _module_text(statement: cst.ImportFrom) -> str:
    assert statement.module is not None
    return code(statement.module)


class MissingBaseImage(PythonRule):
    code = "KFP214"
    name = "v1-component-without-base-image"
    summary = "Checks for kfp 1 function components that do not name a `base_image`."
    message = "`{func}` runs on kfp 1's default image `python:3.7`; kfp 2 uses `python:3.11` and will change it again"
    fix_title = f"Pin `base_image='{_V2_BASE_IMAGE}'`"
    rationale = (
        "Without `base_image`, kfp 1 ran the function on `python:3.7`; kfp 2.17 uses `python:3.11`, warns "
        "that it will switch to `python:3.12` on 1 October 2027 (`FutureWarning`, probe P10x), and installs "
        "kfp 2 in the container at start-up, which `python:3.7` cannot do. Code that relied on 3.7-era "
        "packages behaves differently either way; pinning the image makes the choice visible and stable."
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = "The image is a choice: `python:3.11` is what kfp 2.17 uses today, not what kfp 1 used."
    valid = (
        "from kfp.components import create_component_from_func\n\ndef f() -> int:\n    return 1\n\n"
        "f_op = create_component_from_func(f, base_image='python:3.11')\n",
    )
    invalid = (
        Example(
            "from kfp.components import create_component_from_func\n\ndef f() -> int:\n    return 1\n\n"
            "f_op = create_component_from_func(f)\n",
            fixed="from kfp.components import create_component_from_func\n\ndef f() -> int:\n    return 1\n\n"
            f"f_op = create_component_from_func(f, base_image='{_V2_BASE_IMAGE}')\n",
            unsafe=True,
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for component in module.components:
            for maker in component.makers:
                if not maker.is_v1 or any(name == "base_image" for name, _ in named_options(maker)):
                    continue
                node = maker.node.decorator if isinstance(maker.node, cst.Decorator) else maker.node
                fix = None
                if isinstance(node, cst.Call) and node.args:
                    last = node.args[-1]
                    end = src.span(last.value)[1]
                    fix = self.fix(Edit(end, end, f", base_image='{_V2_BASE_IMAGE}'"))
                yield self.at(src, node, fix, func=component.name)


class OptionWithoutEquivalent(PythonRule):
    code = "KFP215"
    name = "factory-option-without-equivalent"
    summary = "Checks for kfp 1 factory options that kfp 2 has no equivalent for."
    message = "`{option}=` has no kfp 2 equivalent"
    rationale = (
        "`func_to_container_op(extra_code=, modules_to_capture=, use_code_pickling=)` changed the code "
        "kfp 1 shipped into the container; `annotations=` set component metadata. `dsl.component` has none "
        "of these. Code from `extra_code` must move into the function; pickled closures must become "
        "self-contained functions (imports inside the body). Annotations can go in the docstring or a "
        "pipeline-level `kfp.kubernetes` setting."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Only a human can move the code or metadata somewhere meaningful."
    valid = (
        "from kfp.components import func_to_container_op\n\ndef f() -> int:\n    return 1\n\n"
        "f_op = func_to_container_op(f, base_image='python:3.11')\n",
    )
    invalid = (
        Example(
            "from kfp.components import func_to_container_op\n\ndef f() -> int:\n    return 1\n\n"
            "f_op = func_to_container_op(f, use_code_pickling=True)\n"
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for component in module.components:
            for maker in component.makers:
                if maker.qualified.rpartition(".")[0] in V1_COMPONENT_MODULES:
                    for name, arg in unmapped(maker):
                        yield self.at(src, arg, None, option=name)


_V2_ALIASES = {"kfp.v2.dsl": "kfp.dsl", "kfp.v2.compiler": "kfp.compiler"}


class KfpV2Namespace(PythonRule):
    code = "KFP216"
    name = "kfp-v2-namespace"
    summary = "Checks for imports through `kfp.v2`, kfp 1.8's preview of the v2 API."
    message = "`{name}` is a deprecated alias of `{target}` in kfp 2"
    fix_title = "Import `{target}`"
    rationale = (
        "In kfp 2, `kfp.v2.dsl` and `kfp.v2.compiler` only re-export `kfp.dsl` and `kfp.compiler` and raise "
        "a `DeprecationWarning` on import (probe P10u); other `kfp.v2` modules are gone. kfp 1.8's "
        "`kfp.v2.dsl.component` already had kfp 2's naming, so nothing else changes."
    )
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    valid = ("from kfp import dsl\n",)
    invalid = (Example("from kfp.v2 import dsl\n", fixed="from kfp import dsl\n"),)

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for binding in module.imports:
            statement = binding.statement
            if isinstance(statement, cst.ImportFrom) and statement.module is not None:
                dotted = code(statement.module)
                if dotted == "kfp.v2" and binding.qualified in _V2_ALIASES:
                    fix = self.fix(replace(src, statement.module, "kfp"), target=_V2_ALIASES[binding.qualified])
                    yield self.at(
                        src, binding.alias, fix, name=binding.qualified, target=_V2_ALIASES[binding.qualified]
                    )
                elif dotted in _V2_ALIASES and binding is _first(module.imports, statement):
                    target = _V2_ALIASES[dotted]
                    yield self.at(
                        src,
                        statement.module,
                        self.fix(replace(src, statement.module, target), target=target),
                        name=dotted,
                        target=target,
                    )
            elif isinstance(statement, cst.Import):
                alias_target = _V2_ALIASES.get(code(binding.alias.name))
                if alias_target and binding.alias.asname is not None:
                    fix = self.fix(replace(src, binding.alias.name, alias_target), target=alias_target)
                    yield self.at(src, binding.alias, fix, name=src.code(binding.alias.name), target=alias_target)


def _first(bindings: Sequence[ImportBinding], statement: cst.ImportFrom) -> ImportBinding | None:
    return next((b for b in bindings if b.statement is statement), None)


_OLD_PYTHON_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(2(?:\.\d+)?|3\.[0-8])(?=$|[.-])")


class BaseImageTooOld(PythonRule):
    code = "KFP218"
    name = "base-image-too-old-for-kfp2"
    summary = "Checks for `python:` base images older than 3.9, which cannot install kfp 2 at start-up."
    message = "`{image}` has Python {version}; kfp 2 installs itself in the container and needs Python 3.9 or later"
    fix_title = "Use `{fixed}`"
    rationale = (
        "A kfp 2 lightweight component runs `pip install kfp==<sdk version>` in its container before the "
        "function (SOURCE K2 `component_factory._get_packages_to_install_command`), and kfp 2.17 declares "
        "`Requires-Python: >=3.9`. On `python:3.7`, kfp 1's default and common in v1 code, pip finds no "
        "matching kfp and the task fails at run time, after the pipeline compiled fine."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "A newer Python can change how the function and its pinned packages behave; check "
        "`packages_to_install` against Python 3.11."
    )
    valid = ("from kfp import dsl\n\n@dsl.component(base_image='python:3.11')\ndef f() -> int:\n    return 1\n",)
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.component(base_image='python:3.7')\ndef f() -> int:\n    return 1\n",
            fixed="from kfp import dsl\n\n@dsl.component(base_image='python:3.11')\ndef f() -> int:\n    return 1\n",
            unsafe=True,
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for component in module.components:
            for maker in component.makers:
                options = dict(named_options(maker))
                image_arg = options.get("base_image")
                installs = options.get("install_kfp_package")
                if image_arg is None or "target_image" in options:
                    continue
                if installs is not None and literal_value(installs.value) is False:
                    continue
                image = literal_value(image_arg.value)
                if not isinstance(image, str) or not isinstance(image_arg.value, cst.SimpleString):
                    continue
                match = _OLD_PYTHON_IMAGE.match(image)
                if match is None:
                    continue
                version = match.group(1)
                fixed = image[: match.start(1)] + _V2_BASE_IMAGE.split(":")[1] + image[match.end(1) :]
                quoted = code(image_arg.value)
                fix = self.fix(replace(src, image_arg.value, quoted[0] + fixed + quoted[-1]), fixed=fixed)
                yield self.at(src, image_arg.value, fix, image=image, version=version)
