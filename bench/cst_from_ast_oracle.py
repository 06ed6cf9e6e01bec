"""Compares `migrate.cst_from_ast.build` with LibCST's parser, file by file, and times both.

    python bench/cst_from_ast_oracle.py PATH... [--quiet] [--kfp]

For every .py file under PATH that `ast` parses and `build` converts: LibCST's tree and spans
(`migrate.python_source._offsets`, what `PythonSource` uses) against the built ones, node by node: class,
every non-whitespace field (leaf strings, `MaybeSentinel` or a node, sequence lengths), span. Prints the first
mismatch of each file and totals; exits 1 on any mismatch. `--kfp`: only files importing kfp (as the CLI's
`check` selects them). Timings are over the converted files, with the CLI's garbage collector threshold.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import os
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator

import libcst as cst

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from migrate.cst_from_ast import Unsupported, build
from migrate.python_source import _offsets

_WHITESPACE = (
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
)
_WHITESPACE_WORDS = ("Whitespace", "EmptyLine", "Newline", "Comment")
_FIELDS: dict[type, list[tuple[str, bool]]] = {}


def _fields(cls: type) -> list[tuple[str, bool]]:
    """(name, whether it holds whitespace) of each dataclass field."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = [
            (field.name, any(word in str(field.type) for word in _WHITESPACE_WORDS))
            for field in dataclasses.fields(cls)
        ]
    return found


def _kind(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, cst.MaybeSentinel):
        return "MaybeSentinel"
    if isinstance(value, _WHITESPACE):
        return "whitespace"
    if isinstance(value, (list, tuple)):
        return "sequence"
    return type(value).__name__


def compare(text: str) -> str | None:
    """None if `build(text)` is LibCST's tree of `text`, else the first difference. Raises what `build` raises,
    and LibCST's `ParserSyntaxError`."""
    built = build(text)
    expected = cst.parse_module(text)
    return compare_trees(expected, _offsets(expected), built.module, built.spans)


def compare_trees(
    expected: cst.CSTNode, expected_spans: dict[int, tuple[int, int]], got: cst.CSTNode, got_spans: object
) -> str | None:
    get = got_spans.get  # type: ignore[attr-defined]
    stack: list[tuple[object, object, str]] = [(expected, got, "Module")]
    while stack:
        want, have, path = stack.pop()
        if type(want) is not type(have):
            return f"{path}: {type(have).__name__} instead of {type(want).__name__}"
        if isinstance(want, cst.CSTNode):
            if not isinstance(want, _WHITESPACE):
                span, got_span = expected_spans.get(id(want)), get(id(have))
                if span != got_span:
                    return f"{path}: span {got_span} instead of {span}"
            for name, whitespace in _fields(type(want)):
                value, other = getattr(want, name), getattr(have, name)
                where = f"{path}.{name}"
                if whitespace:
                    kinds = {_kind(value), _kind(other)}
                    if len(kinds) > 1:
                        return f"{where}: {_kind(other)} instead of {_kind(value)} ({value!r:.60})"
                    continue
                if isinstance(value, (list, tuple)):
                    if not isinstance(other, (list, tuple)) or len(value) != len(other):
                        return f"{where}: {other!r:.80} instead of {len(value)} items"
                    for i in range(len(value) - 1, -1, -1):
                        stack.append((value[i], other[i], f"{where}[{i}]"))
                elif isinstance(value, cst.CSTNode):
                    stack.append((value, other, f"{where}<{type(value).__name__}>"))
                elif value != other or type(value) is not type(other):
                    return f"{where}: {other!r:.80} instead of {value!r:.80}"
        elif want != have:
            return f"{path}: {have!r:.80} instead of {want!r:.80}"
    return None


def python_files(paths: list[str]) -> Iterator[str]:
    for path in paths:
        if os.path.isfile(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.join(root, name)


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    kfp_only = "--kfp" in argv
    paths = [a for a in argv if not a.startswith("--")]
    from migrate.languages import IMPORTS_KFP

    gc.set_threshold(50_000, 50, 100)
    warnings.simplefilter("ignore", SyntaxWarning)  # invalid escapes in the corpora's strings
    warnings.simplefilter("ignore", DeprecationWarning)
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    converted_texts: list[str] = []
    mismatches = 0
    for path in python_files(paths):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (UnicodeDecodeError, OSError):
            totals["unreadable"] += 1
            continue
        if kfp_only and not IMPORTS_KFP.search(text):
            continue
        totals["files"] += 1
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            totals["ast rejects"] += 1
            continue
        try:
            difference = compare(text)
        except Unsupported as error:
            totals["unsupported"] += 1
            reasons[str(error).split(" at ")[0][:60]] += 1
            continue
        except cst.ParserSyntaxError:
            totals["libcst rejects, built"] += 1
            print(f"LIBCST REJECTS (built anyway) {path}")
            mismatches += 1
            continue
        except RecursionError:
            totals["recursion"] += 1
            continue
        except Exception as error:
            mismatches += 1
            totals["crash"] += 1
            print(f"CRASH {path}: {type(error).__name__}: {error}")
            continue
        totals["converted"] += 1
        converted_texts.append(text)
        if difference is not None:
            mismatches += 1
            totals["mismatch"] += 1
            print(f"MISMATCH {path}: {difference}")
        elif not quiet:
            pass
    print(dict(totals))
    if reasons:
        print("unsupported:", dict(reasons.most_common()))
    if converted_texts:
        _timings(converted_texts)
    print(f"mismatches: {mismatches}")
    return 1 if mismatches else 0


def _timings(texts: list[str]) -> None:
    def clock(function: object) -> float:
        best = float("inf")
        for _ in range(3):
            gc.collect()
            started = time.perf_counter()
            for text in texts:
                function(text)  # type: ignore[operator]
            best = min(best, time.perf_counter() - started)
        return best

    parse = clock(ast.parse)
    built = clock(build)
    libcst = clock(cst.parse_module)
    print(
        f"{len(texts)} files, {sum(map(len, texts))} chars: ast.parse {parse:.3f}s, build {built:.3f}s, "
        f"libcst.parse_module {libcst:.3f}s; build is {libcst / built:.2f}x faster than LibCST"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
