"""Facts across files, collected with `ast` (fast, C-parsed) before the rules run.

Two directions: what each scanned module passes to names it imports from other scanned modules, so a
component file's rules see what pipelines elsewhere feed its inputs
(`from components import train_op; train_op(data='gs://...')`); and which files a module loads
components from or imports names from, so a pipeline's rules can check its wiring against them
(`load_component_from_file('train.yaml')`). Static only: paths are resolved, nothing is imported.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# Shared with the LibCST analysis in rules/_python.py: a constant that names a resource, and literal types.
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
LITERAL_TYPES = {str: "str", bool: "bool", int: "int", float: "float", list: "list", dict: "dict"}


@dataclass(frozen=True)
class ForeignArg:
    """One argument a module outside the component's file passes to it."""

    symbol: str  # the name the component file defines (`train_op`)
    keyword: str | None  # the input, when passed by keyword
    position: int | None  # else its position
    kind: str  # an `ArgKind` name: URI, CONSTANT, PARAMETER, TASK_OUTPUT, OTHER
    value_type: str | None  # `int` for `3` or for a pipeline parameter `n: int`
    caller: str  # the calling file, for messages


@dataclass(frozen=True)
class ForeignCalls:
    """Calls from one module to names it imports from other modules, keyed by the module's file."""

    targets: tuple[tuple[str, ForeignArg], ...]  # (resolved path of the imported module, argument)


@dataclass(frozen=True)
class Dependency:
    """A file a module loads a component from or imports names from."""

    path: str
    text: str  # as this run sees it: for a component file this run fixes, the fixed text
    original: str  # as it is on disk (what kfp 1 loaded)


@dataclass(frozen=True)
class CrossFile:
    """What the other scanned files say about one module: who calls it, and the texts it depends on."""

    calls: tuple[ForeignArg, ...] = ()  # what other modules pass to names this one defines
    # Files this module loads components from (`yaml:<path as written>`) or imports names from
    # (`py:<module as written>`).
    sources: Mapping[str, Dependency] = field(default_factory=dict)


NO_CROSS_FILE = CrossFile()
# The files whose existence a collection looked at, when a caller records them (the cache re-checks them).
_probes: list[tuple[str, bool]] | None = None


def is_file(path: Path) -> bool:
    exists = path.is_file()
    if _probes is not None:
        _probes.append((str(path), exists))
    return exists


@dataclass(frozen=True)
class Facts:
    """What one module says about other files, and the existence checks that answer depended on."""

    calls: ForeignCalls
    dependencies: tuple[tuple[str, Path], ...]
    probes: tuple[tuple[str, bool], ...]

    def still_valid(self, known: dict[str, bool] | None = None) -> bool:
        """Every file it found still there, every one it missed still missing; `known` memoizes the checks
        across modules (they probe the same candidate paths)."""
        memo = known if known is not None else {}
        for path, exists in self.probes:
            if path not in memo:
                memo[path] = os.path.isfile(path)
            if memo[path] != exists:
                return False
        return True


def facts(text: str, path: str) -> Facts:
    """`collect` and `dependencies` from one parse."""
    global _probes
    _probes = []
    try:
        tree = _parse(text)
        nodes = list(ast.walk(tree)) if tree is not None else []  # one walk serves both
        calls, loaded = collect(tree, path, nodes), tuple(dependencies(tree, path, nodes))
        return Facts(calls, loaded, tuple(dict.fromkeys(_probes)))  # both passes probe the same imports
    finally:
        _probes = None


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


LOADERS = ("load_component_from_file",)


def dependencies(
    source: str | ast.Module | None, path: str, nodes: list[ast.AST] | None = None
) -> Iterator[tuple[str, Path]]:
    """(`yaml:<literal>` or `py:<module>`, resolved file) for each component file loaded with a literal
    path (relative to the calling file's folder, as pipelines next to their components write it) and
    each non-kfp module imported with `from ... import`."""
    tree = _parse(source) if isinstance(source, str) else source
    if tree is None:
        return
    here = Path(path).resolve().parent
    for node in nodes if nodes is not None else ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("kfp"):
            for file in _candidates(here, node.module or "", node.level)[:1]:
                yield f"py:{'.' * node.level}{node.module or ''}", file
        elif isinstance(node, ast.Call) and node.args and _called_name(node.func) in LOADERS:
            literal = path_literal(node.args[0])
            if literal is not None and is_file(here / literal):
                yield f"yaml:{literal}", (here / literal).resolve()


def _called_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def path_literal(node: ast.expr) -> str | None:
    """`'a/b.yaml'`, or `os.path.join(os.path.dirname(__file__), 'a', 'b.yaml')` as `a/b.yaml`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and _called_name(node.func) == "join" and node.args:
        first, *rest = node.args
        is_here = (
            isinstance(first, ast.Call)
            and _called_name(first.func) == "dirname"
            and any(isinstance(a, ast.Name) and a.id == "__file__" for a in first.args)
        )
        parts = [a.value for a in rest if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if is_here and parts and len(parts) == len(rest):
            return "/".join(parts)
    return None


def collect(source: str | ast.Module | None, path: str, nodes: list[ast.AST] | None = None) -> ForeignCalls:
    """What `path` passes to names imported from other (non-kfp) modules; nothing when it does not parse."""
    tree = _parse(source) if isinstance(source, str) else source
    if tree is None:
        return ForeignCalls(())
    here = Path(path).resolve().parent
    imported: dict[str, tuple[list[Path], str]] = {}  # local name -> (candidate files, symbol)
    modules: dict[str, list[Path]] = {}  # local module alias -> candidate files
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("kfp"):
            files = _candidates(here, node.module or "", node.level)
            for alias in node.names:
                imported[alias.asname or alias.name] = (files, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and not alias.name.startswith("kfp"):
                    modules[alias.asname] = _candidates(here, alias.name, 0)
    if not imported and not modules:
        return ForeignCalls(())
    every = nodes if nodes is not None else list(ast.walk(tree))
    if not any(isinstance(n, ast.Call) and _callee(n.func, imported, modules) for n in every):
        return ForeignCalls(())  # most modules call nothing they import from other scanned files
    targets: list[tuple[str, ForeignArg]] = []
    for func in every:
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = {a.arg: a for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
        defaults = _defaults(func)
        for call in ast.walk(func):
            if not isinstance(call, ast.Call):
                continue
            resolved = _callee(call.func, imported, modules)
            if resolved is None:
                continue
            files, symbol = resolved
            for index, (keyword, value) in enumerate(_arguments(call)):
                kind, value_type = _kind(value, params, defaults)
                arg = ForeignArg(symbol, keyword, None if keyword else index, kind, value_type, path)
                targets += [(str(file), arg) for file in files]
    return ForeignCalls(tuple(targets))


def index(collected: Iterable[ForeignCalls]) -> dict[str, tuple[ForeignArg, ...]]:
    """Arguments by the resolved path of the file that defines the called name."""
    by_file: dict[str, list[ForeignArg]] = {}
    for calls in collected:
        for file, arg in calls.targets:
            by_file.setdefault(file, []).append(arg)
    return {file: tuple(args) for file, args in by_file.items()}


def for_file(found: Mapping[str, tuple[ForeignArg, ...]], path: str) -> tuple[ForeignArg, ...]:
    return found.get(_real_path(path), ()) if found else ()


def _real_path(path: str) -> str:
    """`os.path.realpath`, resolving each folder once per run rather than once per file in it."""
    if os.path.islink(path) or ".." in path:  # `link/../x` climbs from where the link points
        return os.path.realpath(path)
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(_real_folder(folder), name)


@lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def _candidates(here: Path, module: str, level: int) -> list[Path]:
    """Files `module` may name: relative to the importing file's package, or to any folder above it."""
    parts = [p for p in module.split(".") if p]
    if parts == ["__future__"]:  # compiler directives, never a file
        return []
    if level:
        base = here
        for _ in range(level - 1):
            base = base.parent
        roots = [base]
    else:
        roots = [here, *here.parents][:8]
    found = []
    for root in roots:
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
            if parts and is_file(candidate):
                found.append(candidate.resolve())
    return found


def _callee(
    func: ast.expr, imported: dict[str, tuple[list[Path], str]], modules: dict[str, list[Path]]
) -> tuple[list[Path], str] | None:
    if isinstance(func, ast.Name) and func.id in imported:
        return imported[func.id]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
        return modules[func.value.id], func.attr
    return None


def _arguments(call: ast.Call) -> list[tuple[str | None, ast.expr]]:
    positional = [(None, a) for a in call.args if not isinstance(a, ast.Starred)]
    return positional + [(k.arg, k.value) for k in call.keywords if k.arg is not None]


def _defaults(func: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    args = [*func.args.posonlyargs, *func.args.args]
    found = {a.arg: d for a, d in zip(args[len(args) - len(func.args.defaults) :], func.args.defaults, strict=True)}
    found.update({a.arg: d for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults, strict=True) if d})
    return found


def _kind(value: ast.expr, params: dict[str, ast.arg], defaults: dict[str, ast.expr]) -> tuple[str, str | None]:
    try:
        literal = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        literal = ...
    if literal is not ...:
        if isinstance(literal, str) and URI.match(literal):
            return "URI", "str"
        return "CONSTANT", LITERAL_TYPES.get(type(literal))
    if isinstance(value, ast.Name) and value.id in params:
        annotation = params[value.id].annotation
        if isinstance(annotation, ast.Name) and annotation.id in LITERAL_TYPES.values():
            return "PARAMETER", annotation.id
        default = defaults.get(value.id)
        if annotation is None and default is not None:
            try:
                return "PARAMETER", LITERAL_TYPES.get(type(ast.literal_eval(default)))
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return "PARAMETER", None
        return "PARAMETER", "str" if annotation is None else None
    if isinstance(value, ast.Attribute) and value.attr == "output":
        return "TASK_OUTPUT", None
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute) and value.value.attr == "outputs":
        return "TASK_OUTPUT", None
    return "OTHER", None
