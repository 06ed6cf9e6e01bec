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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from migrate import python_ast

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

    def calls_to(self, symbols: Iterable[str]) -> Iterator[ForeignArg]:
        """What other modules pass to the names `symbols`: the only question rules ask of `calls`."""
        wanted = set(symbols)
        return (arg for arg in self.calls if arg.symbol in wanted)


NO_CROSS_FILE = CrossFile()


@dataclass(frozen=True)
class AskedCrossFile(CrossFile):
    """A `CrossFile` that records the names rules asked about the callers of (`asked`)."""

    asked: set[str] = field(default_factory=set, compare=False)

    def calls_to(self, symbols: Iterable[str]) -> Iterator[ForeignArg]:
        symbols = set(symbols)
        self.asked.update(symbols)
        return super().calls_to(symbols)


@dataclass
class _Recording:
    """What one `facts` call looked at. Both of its passes ask about the same imports, and the answer cannot
    change within one call, so each file is checked, and each import resolved, once."""

    probes: dict[str, bool] = field(default_factory=dict)  # file -> exists, in the order first checked
    candidates: dict[tuple[str, str, int], list[Path]] = field(default_factory=dict)


# Set while `facts` runs: the cache re-checks the files it looked at.
_recording: _Recording | None = None

# Which files exist, as one run found them: modules probe the same places (`typing.py` in each folder above
# them), and no file a run's facts look for appears while they are gathered. Keyed by the run (`run_token`).
_existing: tuple[str | None, dict[str, bool]] = (None, {})


def run_token() -> str:
    """A new run's name: facts gathered under it share their existence checks."""
    return os.urandom(8).hex()


def is_file(path: Path | str) -> bool:
    name = str(path)
    if _recording is None:
        return _probe(name)
    if name not in _recording.probes:
        _recording.probes[name] = _exists(name)  # the check `Facts.still_valid` repeats
    return _recording.probes[name]


def is_folder(path: str) -> bool:
    """Whether `path` is a folder: recorded as a probe of `path` and a separator, which `_exists` tells apart."""
    return is_file(os.path.join(path, ""))


def _exists(name: str) -> bool:
    known = _existing[1]
    if name not in known:
        known[name] = _probe(name)
    return known[name]


def _probe(name: str) -> bool:
    return os.path.isdir(name) if name.endswith(os.sep) else os.path.isfile(name)


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
                memo[path] = _probe(path)
            if memo[path] != exists:
                return False
        return True


def facts(text: str, path: str, run: str | None = None) -> Facts:
    """`collect` and `dependencies` from one parse. Calls with the same `run` share existence checks."""
    global _recording, _existing
    if run is None or run != _existing[0]:
        _existing = (run, {})
    _recording = recording = _Recording()
    try:
        if _imports_no_scanned_file(text, path):
            return Facts(ForeignCalls(()), (), tuple(recording.probes.items()))
        tree = _parse(text)
        nodes = _Nodes(tree, may_load=may_load(text)) if tree is not None else None  # walked once for both
        calls, loaded = collect(tree, path, nodes), tuple(dependencies(tree, path, nodes))
        return Facts(calls, loaded, tuple(recording.probes.items()))
    finally:
        _recording = None


# Import statements alone on their lines (`from a.b import c` at any indentation, `import a.b as c, d`), or
# any other `import` word: one scan tells them apart.
_IMPORTS = re.compile(
    r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import\b([^\n]*)|^[ \t]*import[ \t]+([^\n]*)|\bimport\b", re.MULTILINE
)
_ALIAS = re.compile(r"[ \t]*([\w.]+)(?:[ \t]+as[ \t]+(\w+))?[ \t]*\r?")


def _imports_no_scanned_file(text: str, path: str) -> bool:
    """True only when `facts` would find nothing, told from the text without a parse: no loader call, and
    every import plainly written on its own lines naming kfp or no file found (`typing`, `json`). A text
    where that is not plain (an `import` word elsewhere, a line `import (`) is parsed."""
    if may_load(text) or "\\\n" in text or "\\\r" in text:
        return False  # (a line continued may start with the `import` of a `from` on the line before)
    here: str | None = None
    for found in _IMPORTS.finditer(text):
        dots, module, from_names, names = found.groups()
        if module is None and names is None:
            return False  # an `import` this reading did not place: in prose, after `;`, or `from .import x`
        here = here or _folder(path)
        if names is None:
            if module.startswith("kfp"):
                continue
            if _candidates(here, module, len(dots)):
                return False
            for alias in from_names.split(","):  # `from pkg import steps`: a module of a package
                plain = _ALIAS.fullmatch(alias)
                if plain is None or _candidates(here, _submodule(module, plain.group(1)), len(dots)):
                    return False  # (`import (`, `*`, a comment: parse)
            continue
        for alias in names.split(","):
            plain = _ALIAS.fullmatch(alias)
            if plain is None:
                return False  # `import (`, a comment, a line continuation: parse
            name, _ = plain.groups()
            if not name.startswith("kfp") and _candidates(here, name, 0):
                return False
    return True


def _submodule(package: str, name: str) -> str:
    return f"{package}.{name}" if package else name


def _parse(text: str) -> ast.Module | None:
    try:
        return python_ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


LOADERS = ("load_component_from_file",)


def may_load(text: str) -> bool:
    """False only when no call in `text` can name a loader. Python folds non-ASCII identifiers to their NFKC
    form, so a loader's name can be spelt without its ASCII letters; such texts are walked whole."""
    return not text.isascii() or any(loader in text for loader in LOADERS)


def _walk(root: ast.AST) -> list[ast.AST]:
    """`list(ast.walk(root))`, without a generator per node: nearly twice as fast."""
    found = [root]
    for node in found:  # grows as it goes: breadth-first
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                found.append(value)
            elif isinstance(value, list):
                found.extend(item for item in value if isinstance(item, ast.AST))
    return found


# The fields of a statement (or of the module, an `except` clause, a `match` case) that hold statements.
_BLOCKS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


class _Nodes:
    """A module's nodes in `ast.walk` order, walked only as deep as the question needs."""

    def __init__(self, tree: ast.Module, *, may_load: bool = True) -> None:
        self.tree = tree
        self.may_load = may_load  # whether a loader call may be among the expressions

    @cached_property
    def every(self) -> list[ast.AST]:
        return _walk(self.tree)

    @cached_property
    def statements(self) -> list[ast.AST]:
        """The statements, in the same relative order as in `every`: breadth-first over the nodes that lead
        to them keeps both their depths and their order. Every `def` and `from ... import` is one."""
        found: list[ast.AST] = [self.tree]
        for node in found:  # grows as it goes: breadth-first
            for name in node._fields:
                if name in _BLOCKS:
                    found.extend(getattr(node, name))
        return found

    @property
    def imports_and_loads(self) -> list[ast.AST]:
        """What `dependencies` looks at: every `from ... import`, and every call when one may load."""
        return self.every if self.may_load else self.statements


def dependencies(source: str | ast.Module | None, path: str, nodes: _Nodes | None = None) -> Iterator[tuple[str, Path]]:
    """(`yaml:<literal>` or `py:<module>`, resolved file) for each component file loaded with a literal
    path (relative to the calling file's folder, as pipelines next to their components write it) and
    each non-kfp module imported with `from ... import`."""
    tree = _parse(source) if isinstance(source, str) else source
    if tree is None:
        return
    here = _folder(path)
    for node in (nodes or _Nodes(tree)).imports_and_loads:
        if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("kfp"):
            for file in _candidates(here, node.module or "", node.level)[:1]:
                yield f"py:{'.' * node.level}{node.module or ''}", file
        elif isinstance(node, ast.Call) and node.args and _called_name(node.func) in LOADERS:
            literal = path_literal(node.args[0])
            if literal is not None and is_file(Path(here) / literal):
                yield f"yaml:{literal}", (Path(here) / literal).resolve()


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


def collect(source: str | ast.Module | None, path: str, nodes: _Nodes | None = None) -> ForeignCalls:
    """What `path` passes to names imported from other (non-kfp) modules; nothing when it does not parse.
    A function's own imports (`def pipeline(): from comps import train_op`) count for the calls in it."""
    tree = _parse(source) if isinstance(source, str) else source
    if tree is None:
        return ForeignCalls(())
    here = _folder(path)
    imported, modules = _bound(tree.body, here, {}, {})
    nodes = nodes or _Nodes(tree)
    top = set(map(id, tree.body))
    inner = [s for s in nodes.statements if isinstance(s, ast.Import | ast.ImportFrom) and id(s) not in top]
    # Whatever any function imports too: a name no file was found for adds no target (`import pandas` in a
    # component's body), and most modules call nothing they import from other scanned files.
    anywhere = _bound(inner, here, dict(imported), dict(modules)) if inner else (imported, modules)
    if not (imported or modules or anywhere[0] or anywhere[1]):
        return ForeignCalls(())
    if not any(
        isinstance(n, ast.Call) and (_callee(n.func, imported, modules) or _callee(n.func, *anywhere))
        for n in nodes.every
    ):
        return ForeignCalls(())
    inner = inner if anywhere != (imported, modules) else []  # (imports of no scanned file change nothing)
    targets: list[tuple[str, ForeignArg]] = []
    for func in nodes.statements:
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = {a.arg: a for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
        defaults = _defaults(func)
        walked = _walk(func)
        names, aliases = imported, modules
        if inner:
            local = [n for n in walked if isinstance(n, ast.Import | ast.ImportFrom)]
            names, aliases = _bound(local, here, dict(imported), dict(modules)) if local else (names, aliases)
        for call in walked:
            if not isinstance(call, ast.Call):
                continue
            resolved = _callee(call.func, names, aliases)
            if resolved is None:
                continue
            files, symbol = resolved
            for index, (keyword, value) in enumerate(_arguments(call)):
                kind, value_type = _kind(value, params, defaults)
                arg = ForeignArg(symbol, keyword, None if keyword else index, kind, value_type, path)
                targets += [(str(file), arg) for file in files]
    return ForeignCalls(tuple(targets))


def _bound(
    statements: Iterable[ast.AST],
    here: str,
    imported: dict[str, tuple[list[Path], str]],
    modules: dict[str, list[Path]],
) -> tuple[dict[str, tuple[list[Path], str]], dict[str, list[Path]]]:
    """`imported` (local name -> candidate files, name there) and `modules` (local name -> a module's candidate
    files) with what the import statements among `statements` bind; names bound to no file found dropped."""
    for node in statements:
        if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("kfp"):
            files = _candidates(here, node.module or "", node.level)
            for alias in node.names:
                imported[alias.asname or alias.name] = (files, alias.name)
                # `from pkg import steps` then `steps.train(...)`: steps may be a module of the package.
                modules[alias.asname or alias.name] = _candidates(
                    here, _submodule(node.module or "", alias.name), node.level
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not alias.name.startswith("kfp"):
                    # `import a.b as c` binds c to a.b; `import a.b` binds a, and `a.b.train(...)` calls into a.b.
                    modules[alias.asname or alias.name] = _candidates(here, alias.name, 0)
    return (
        {name: found for name, found in imported.items() if found[0]},
        {alias: files for alias, files in modules.items() if files},
    )


def index(collected: Iterable[ForeignCalls]) -> dict[str, tuple[ForeignArg, ...]]:
    """Arguments by the resolved path of the file that defines the called name."""
    by_file: dict[str, list[ForeignArg]] = {}
    for calls in collected:
        for file, arg in calls.targets:
            by_file.setdefault(file, []).append(arg)
    return {file: tuple(args) for file, args in by_file.items()}


# How many modules a called name is followed through, each importing it from the next.
_REEXPORT_DEPTH = 3
# A top-level `from a.b import c as d, e` or `from .a import (c, d)`: dots, module, what it imports.
_FROM_IMPORT = re.compile(r"^from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n]*)", re.MULTILINE)
# Names a module plainly defines at its top level: `def train_op`, `class Op`, `train_op = ...`.
_DEFINED = re.compile(r"^(?:(?:async[ \t]+)?def|class)[ \t]+(\w+)|^(\w+)[ \t]*(?::|=(?!=))", re.MULTILINE)


def through_reexports(
    found: Mapping[str, tuple[ForeignArg, ...]], read: Callable[[str], str | None]
) -> dict[str, tuple[ForeignArg, ...]]:
    """`found` (`index`), where a module only imports a name it is called by (a package's `__init__.py`
    with `from .lib import train_op`), with those calls given to the module the name comes from as well,
    under the name it has there. `read`: a file's text, or None."""
    result = {file: list(args) for file, args in found.items()}
    seen: dict[str, set[ForeignArg]] = {}  # by file, once calls are moved to it
    frontier: Mapping[str, Sequence[ForeignArg]] = found
    for _ in range(_REEXPORT_DEPTH):
        moved: dict[str, list[ForeignArg]] = {}
        for file, args in frontier.items():
            names = _imported_names(file, {arg.symbol for arg in args}, read)
            for arg in args:
                if arg.symbol not in names:
                    continue
                files, symbol = names[arg.symbol]
                for target in map(str, files):
                    again = replace(arg, symbol=symbol)
                    known = seen.setdefault(target, set(result.get(target, ())))
                    if again not in known:
                        known.add(again)
                        result.setdefault(target, []).append(again)
                        moved.setdefault(target, []).append(again)
        if not moved:
            break
        frontier = moved
    return {file: tuple(args) for file, args in result.items()}


def _imported_names(
    file: str, symbols: set[str], read: Callable[[str], str | None]
) -> dict[str, tuple[list[Path], str]]:
    """Of `symbols`, those the module at `file` binds by importing them from other scanned files: the files,
    and the name each has there. Read from the module's top-level `from ... import` lines, without a parse
    (this runs on every run, the cache's too). A name the module plainly defines (`def train_op`,
    `train_op = ...`) is not looked for; one no import names may come from a `*` import."""
    text = read(file)
    if text is None or "import" not in text:
        return {}
    lines = [(dots, module, list(_imported(listed))) for dots, module, listed in _FROM_IMPORT.findall(text)]
    lines = [line for line in lines if not line[1].startswith("kfp")]
    if not any(local in symbols or name == "*" for _, _, names in lines for name, local in names):
        return {}
    wanted = symbols - {m.group(1) or m.group(2) for m in _DEFINED.finditer(text)}
    found: dict[str, tuple[list[Path], str]] = {}
    starred: list[Path] = []
    for dots, module, names in lines:
        if not any(local in wanted or name == "*" for name, local in names):
            continue
        files = _candidates(_folder(file), module, len(dots))
        for name, local in names:
            if name == "*":
                starred += files
            elif local in wanted and files:
                found[local] = (files, name)
            elif local in wanted:
                found.pop(local, None)  # the later import is the one bound
    for symbol in wanted - found.keys() if starred else ():
        found[symbol] = (starred, symbol)
    return found


def _imported(listed: str) -> Iterator[tuple[str, str]]:
    """(name, local name) for each name a `from ... import` lists; `*` as ("*", "*")."""
    for piece in re.sub(r"#[^\n]*", "", listed).strip("() \t\r\n").split(","):
        piece = piece.strip()
        if piece == "*":
            yield "*", "*"
        elif (alias := _ALIAS.fullmatch(piece)) is not None:
            yield alias.group(1), alias.group(2) or alias.group(1)


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


def _folder(path: str) -> str:
    """The real folder of the file at `path` (where a link to it points), as `Path(path).resolve().parent`."""
    return os.path.dirname(_real_path(path))


def _candidates(here: str, module: str, level: int) -> list[Path]:
    """Files `module` may name: relative to the importing file's package, or to any folder above it."""
    key = (here, module, level)
    if _recording is not None and key in _recording.candidates:
        return _recording.candidates[key]
    parts = [p for p in module.split(".") if p]
    if not parts or parts == ["__future__"]:  # `from . import x` names no file; `__future__` is for the compiler
        return []
    if level:
        root = here
        for _ in range(level - 1):
            root = os.path.dirname(root)
        roots = [root]
    else:
        roots = _up_from(here)[:8]
    found = []
    for root in roots:
        if len(parts) > 1 and not is_folder(os.path.join(root, *parts[:-1])):
            continue  # (one check for the package rather than two for its module)
        stem = os.path.join(root, *parts)
        for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
            if is_file(candidate):
                found.append(Path(os.path.realpath(candidate)))
    if _recording is not None:
        _recording.candidates[key] = found
    return found


def _up_from(folder: str) -> list[str]:
    """`folder` and the folders above it, nearest first."""
    found = [folder]
    while (parent := os.path.dirname(found[-1])) != found[-1]:
        found.append(parent)
    return found


def _callee(
    func: ast.expr, imported: dict[str, tuple[list[Path], str]], modules: dict[str, list[Path]]
) -> tuple[list[Path], str] | None:
    if isinstance(func, ast.Name) and func.id in imported:
        return imported[func.id]
    if isinstance(func, ast.Attribute) and (module := _dotted(func.value)) in modules:
        return modules[module], func.attr
    return None


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` as written, for a chain of names; else None."""
    attributes = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(attributes)]) if isinstance(node, ast.Name) else None


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
