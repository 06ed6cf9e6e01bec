"""The kfp 2 oracle for Python modules: import a file, list its components' interfaces, compile its pipelines."""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

RUN_NAME = "kfp_migrate_oracle_module"
# Modules that warn once, when first imported; dropped after each run so the next module's import warns again.
REIMPORT_PREFIXES = ("kfp.v2",)
# Sibling files copied into the temporary cwd so relative reads (`load_component_from_file('x.yaml')`) work.
MAX_STAGED_FILES = 500
MAX_STAGED_BYTES = 1_000_000

Interface = dict[str, list[str]]


@dataclass
class ModuleOutcome:
    """Where kfp 2 stopped importing a module (`ok`, `import`), and what the module holds."""

    path: str
    stage: str = "ok"
    error: str = ""
    components: dict[str, Interface] = field(default_factory=dict)
    pipelines: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the module imported."""
        return self.stage == "ok"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def first_line(error: BaseException) -> str:
    """`Type: first line of message`."""
    text = str(error)
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _stage_cwd(source: Path, target: Path) -> None:
    """Copy small files from `source` (recursively, bounded) into `target`, skipping caches."""
    copied = 0
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in {"__pycache__", ".git"} and not d.startswith("."))
        for name in sorted(files):
            src = Path(root) / name
            if copied >= MAX_STAGED_FILES:
                return
            if not src.is_file() or src.stat().st_size > MAX_STAGED_BYTES:  # also skips broken links
                continue
            dst = target / src.relative_to(source)
            with contextlib.suppress(OSError):  # unreadable files are simply not staged
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
                copied += 1


def _module_dir(module: ModuleType) -> Path | None:
    """The directory a module was loaded from, if any."""
    origin = getattr(module, "__file__", None)
    if origin:
        return Path(origin).resolve().parent
    paths = list(getattr(module, "__path__", []) or [])
    return Path(paths[0]).resolve().parent if paths else None


def _is_under(child: Path | None, parent: Path) -> bool:
    """True when `child` is `parent` or inside it."""
    return child is not None and (child == parent or parent in child.parents)


def _is_installed(directory: Path | None) -> bool:
    """True for modules of the interpreter or its environment (a venv may sit under the module's dir)."""
    prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    return any(_is_under(directory, prefix) for prefix in prefixes)


def _reimported(name: str) -> bool:
    """True for a module that must be imported afresh by every run (it warns only when first imported)."""
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in REIMPORT_PREFIXES)


def _forget_modules(before: set[str], base: Path) -> None:
    """Drop modules imported from `base` since `before`, and once-warning kfp modules, from sys.modules."""
    for name in [n for n in sys.modules if n not in before or _reimported(n)]:
        module = sys.modules[name]
        directory = _module_dir(module)
        if _reimported(name) or (_is_under(directory, base) and not _is_installed(directory)):
            del sys.modules[name]
            parent_name, _, child = name.rpartition(".")
            parent = sys.modules.get(parent_name)
            if parent is not None and getattr(parent, child, None) is module:
                delattr(parent, child)


@cache
def _preload_kfp() -> None:
    """Import kfp once, quietly, so its own import-time warnings are not blamed on the first module."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import kfp.compiler
        import kfp.components
        import kfp.dsl  # noqa: F401


def _reset_kfp_state() -> None:
    """Clear kfp 2's default pipeline, in case a module left one half-built."""
    from kfp.dsl import pipeline_context

    pipeline_context.Pipeline._default_pipeline = None


def _interface(component: Any) -> Interface:
    """Input and output names of a kfp 2 component, in declaration order."""
    spec = component.component_spec
    return {"inputs": list(spec.inputs or {}), "outputs": list(spec.outputs or {})}


def _compile(pipeline: Any, workdir: Path) -> str:
    """`ok`, or the first line of the compile error."""
    from kfp import compiler

    try:
        compiler.Compiler().compile(pipeline, str(workdir / "pipeline.yaml"))
    except Exception as error:
        return first_line(error)
    return "ok"


def _collect(outcome: ModuleOutcome, namespace: dict[str, Any], workdir: Path) -> None:
    """Fill `outcome` with the module's components and compiled pipelines."""
    from kfp.dsl.base_component import BaseComponent
    from kfp.dsl.graph_component import GraphComponent

    for name, value in namespace.items():
        if isinstance(value, GraphComponent):
            outcome.pipelines[name] = _compile(value, workdir)
        elif isinstance(value, BaseComponent):
            outcome.components[name] = _interface(value)


def _run(path: Path, outcome: ModuleOutcome, workdir: Path) -> None:
    """Import `path` with cwd `workdir`; record the stage, components and pipelines in `outcome`."""
    try:
        namespace = runpy.run_path(str(path), run_name=RUN_NAME)
    except (Exception, SystemExit) as error:
        outcome.stage, outcome.error = "import", first_line(error)
        return
    _collect(outcome, namespace, workdir)


@contextlib.contextmanager
def _isolated(path: Path) -> Iterator[Path]:
    """Cwd a scratch copy of `path`'s dir, that dir first on sys.path, no bytecode; all undone on exit."""
    before, old_cwd, entry, bytecode = set(sys.modules), os.getcwd(), str(path.parent), sys.dont_write_bytecode
    with tempfile.TemporaryDirectory(prefix="py-oracle-") as tmp:
        workdir = Path(tmp) / "cwd"
        workdir.mkdir()
        _stage_cwd(path.parent, workdir)
        sys.path.insert(0, entry)
        sys.dont_write_bytecode = True  # no __pycache__ in the fixtures
        os.chdir(workdir)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old_cwd)
            sys.dont_write_bytecode = bytecode
            if entry in sys.path:
                sys.path.remove(entry)
            _forget_modules(before, path.parent)
            _reset_kfp_state()


def inspect_module(path: Path) -> ModuleOutcome:
    """Import `path` under kfp 2 in a scratch cwd and report its components, pipelines and warnings."""
    path = Path(path).resolve()
    outcome = ModuleOutcome(str(path))
    _preload_kfp()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _isolated(path) as scratch:
            _run(path, outcome, scratch)
    outcome.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    return outcome


def main(paths: list[str]) -> int:
    """Print one JSON line per file; exit 1 if any failed to import or compile."""
    failed = False
    for path in paths:
        outcome = inspect_module(Path(path))
        failed |= not outcome.ok or any(result != "ok" for result in outcome.pipelines.values())
        print(json.dumps(outcome.to_json()), flush=True)
    return int(failed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
