#!/usr/bin/env python3
"""Check that quick trees (migrate.cst_from_ast) find what LibCST trees find, over real code.

For every kfp module under the given paths, runs every default Python rule on LibCST's tree and on the quick
tree and compares what a check shows (code, message, place, severity, fix title and safety), and the fixes'
edits where the quick tree's are not provisional (its rules read no whitespace it does not know). Prints each
difference, how many modules got a quick tree, and the time each way; exits 1 on any difference.

Usage: python bench/quick_oracle.py PATH... [--limit N]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from pathlib import Path

from migrate.engine import check_text
from migrate.languages import BOM, IMPORTS_KFP
from migrate.model import Finding, PythonRule, any_provisional
from migrate.python_source import PythonProblem, PythonSource
from migrate.registry import all_rules


def _seen(findings: list[Finding], edits_of: list[Finding] | None = None) -> list[tuple[object, ...]]:
    """What a check shows of each finding, and its fix's edits unless the fix in `edits_of` (the quick
    check's findings) at the same place is provisional."""
    trusted = [not (f.fix and f.fix.provisional) for f in (edits_of if edits_of is not None else findings)]
    if len(trusted) != len(findings):
        trusted = [False] * len(findings)
    return [
        (
            f.code, f.message, f.line, f.col, f.end_line, f.end_col, f.severity,
            f.fix and (f.fix.title, f.fix.safety, f.fix.edits if exact else None),
        )
        for f, exact in zip(findings, trusted, strict=True)
    ]  # fmt: skip


def _modules(paths: list[str]) -> list[tuple[str, str]]:
    found = []
    for top in paths:
        files = [Path(top)] if Path(top).is_file() else sorted(Path(top).rglob("*.py"))
        for file in files:
            try:
                text = file.read_bytes().decode("utf-8").removeprefix(BOM)
            except (OSError, UnicodeDecodeError):
                continue
            if IMPORTS_KFP.search(text):
                found.append((str(file), text))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--limit", type=int, default=20, help="differences to print")
    args = parser.parse_args()
    gc.set_threshold(50_000, 50, 100)  # as the CLI runs
    rules = [rule for rule in all_rules() if issubclass(rule, PythonRule) and rule.default_enabled]
    modules = _modules(args.paths)
    differing, quick_trees, provisional, times = 0, 0, 0, {"exact": 0.0, "quick": 0.0}
    for path, text in modules:
        with contextlib.suppress(PythonProblem):
            quick_trees += PythonSource(text, path, quick=True).quick
        found = {}
        for mode in ("exact", "quick"):
            started = time.perf_counter()
            found[mode] = check_text(text, path, rules, quick=mode == "quick")
            times[mode] += time.perf_counter() - started
        provisional += any_provisional(found["quick"])
        results = {mode: _seen(found[mode], found["quick"]) for mode in found}
        if results["exact"] != results["quick"]:
            differing += 1
            if differing <= args.limit:
                print(f"DIFFERS {os.path.relpath(path)}")
                exact, quick = set(results["exact"]), set(results["quick"])
                for item in sorted(exact - quick, key=str):
                    print(f"  only exact: {item}")
                for item in sorted(quick - exact, key=str):
                    print(f"  only quick: {item}")
    print(
        f"{len(modules)} kfp modules, {quick_trees} with a quick tree ({provisional} with provisional fixes), "
        f"{differing} differing; "
        f"rules on LibCST trees {times['exact']:.2f} s, on quick trees {times['quick']:.2f} s"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
