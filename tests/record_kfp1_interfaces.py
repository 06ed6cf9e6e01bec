"""Record the input and output names kfp 1.8 gives each component of a v1 fixture (run with /tmp/kfp1/bin/python).

Usage: /tmp/kfp1/bin/python tests/record_kfp1_interfaces.py [--prune] [FILE.py ...]

Writes `<case>.kfp1.json` beside each file that imports under kfp 1; with no files, records every
`fixtures/KFP[23]*/*.in.py` and `fixtures/e2e/**/*.py`. Not run in CI: the JSON files are committed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import sys
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RUN_NAME = "kfp_migrate_kfp1_recorder"
SKIPPED_SUFFIXES = (".out.py",)


def json_path(path: Path) -> Path:
    """`case.in.py` or `case.py` -> `case.kfp1.json` beside it."""
    name = path.name
    stem = name[: -len(".in.py")] if name.endswith(".in.py") else name[: -len(".py")]
    return path.with_name(f"{stem}.kfp1.json")


def default_files() -> list[Path]:
    """Every v1 fixture: `fixtures/KFP[23]*/*.in.py` and `fixtures/e2e/**/*.py` (not `.out.py`)."""
    files = sorted(FIXTURES.glob("KFP[23]*/*.in.py")) + sorted(FIXTURES.glob("e2e/**/*.py"))
    return [f for f in files if not f.name.endswith(SKIPPED_SUFFIXES)]


def is_kfp1_component(value: Any) -> bool:
    """True for what create_component_from_func / func_to_container_op / load_component return."""
    from kfp.components.structures import ComponentSpec

    return callable(value) and isinstance(getattr(value, "component_spec", None), ComponentSpec)


def interface(component: Any) -> dict[str, list[str]]:
    """Input and output names of a kfp 1 component factory, in declaration order."""
    spec = component.component_spec
    return {"inputs": [i.name for i in spec.inputs or []], "outputs": [o.name for o in spec.outputs or []]}


def _is_local(origin: str | None, base: Path) -> bool:
    """True for a module file under `base` that is not part of the interpreter or its venv."""
    if not origin:
        return False
    path = Path(origin).resolve()
    installed = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    return base in path.parents and not any(prefix in path.parents for prefix in installed)


def _forget_modules(before: set[str], base: Path) -> None:
    """Drop modules imported from `base` since `before`, so the next file gets its own siblings."""
    for name in [n for n in sys.modules if n not in before]:
        if _is_local(getattr(sys.modules[name], "__file__", None), base):
            del sys.modules[name]


def load_interfaces(path: Path) -> dict[str, dict[str, list[str]]]:
    """Import `path` with cwd its directory and return {global name: interface} of its kfp 1 components."""
    path = path.resolve()
    before, old_cwd, entry = set(sys.modules), os.getcwd(), str(path.parent)
    sys.path.insert(0, entry)
    bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in the fixtures
    os.chdir(path.parent)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            namespace = runpy.run_path(str(path), run_name=RUN_NAME)
    finally:
        os.chdir(old_cwd)
        sys.dont_write_bytecode = bytecode
        if entry in sys.path:
            sys.path.remove(entry)
        _forget_modules(before, path.parent)
    return {name: interface(value) for name, value in namespace.items() if is_kfp1_component(value)}


def record(path: Path, prune: bool) -> bool:
    """Write the JSON for `path`; on an import failure report it (and delete a stale JSON when pruning)."""
    target = json_path(path)
    existing = set(path.parent.iterdir()) if path.parent.is_dir() else set()
    try:
        interfaces = load_interfaces(path)
    except (Exception, SystemExit) as error:
        message = str(error).splitlines()[0] if str(error) else ""
        print(f"{display(path)}: does not import under kfp 1: {type(error).__name__}: {message}", file=sys.stderr)
        if prune and target.exists():
            target.unlink()
            print(f"{display(path)}: pruned {target.name}", file=sys.stderr)
        return False
    finally:
        report_new_files(path, existing)
    target.write_text(json.dumps(interfaces, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return True


def report_new_files(path: Path, existing: set[Path]) -> None:
    """Warn about files the module wrote into its own directory (its cwd while importing); they are not removed."""
    created = sorted(set(path.parent.iterdir()) - existing) if path.parent.is_dir() else []
    for new in created:
        if new.name != "__pycache__":
            print(f"{display(path)}: importing it created {new.name} (not removed)", file=sys.stderr)


def display(path: Path) -> str:
    """`path` relative to the cwd when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="v1 Python files (default: every v2 fixture input)")
    parser.add_argument("--prune", action="store_true", help="delete the JSON of a file that no longer imports")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Record every file; exit 1 if any failed to import."""
    import kfp

    args = parse_args(argv)
    files = args.files or default_files()
    if not kfp.__version__.startswith("1."):
        print(f"needs kfp 1 (e.g. /tmp/kfp1/bin/python), found kfp {kfp.__version__}", file=sys.stderr)
        return 2
    recorded = sum(record(path, args.prune) for path in files)
    print(f"kfp {kfp.__version__}: recorded {recorded} of {len(files)} files, {len(files) - recorded} failed to import")
    return int(recorded != len(files))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
