"""`--baseline FILE`: adopt the tool gradually by reporting only findings that are not recorded yet.

A finding is recorded as (file relative to the baseline's directory, code, message), with a count, so findings
survive lines moving above them; an edited message or a second occurrence on the same file is new.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrate.runner import FileReport

_VERSION = 1


class BaselineError(ValueError):
    """The baseline file is missing or not one kfp-migrate wrote."""


def _relative(path: str, root: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root.absolute()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _keys(report: FileReport, root: Path) -> list[tuple[str, str, str]]:
    name = _relative(report.path, root)
    return [(name, f.code, f.message) for f in report.findings]


def write(target: Path, reports: Sequence[FileReport]) -> None:
    counts = Counter(key for report in reports for key in _keys(report, target.parent))
    rows = [{"path": p, "code": c, "message": m, "count": n} for (p, c, m), n in sorted(counts.items())]
    text = json.dumps({"kfp-migrate-baseline": _VERSION, "findings": rows}, indent=2, ensure_ascii=False)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text + "\n", encoding="utf-8")
    os.replace(temporary, target)


def read(source: Path) -> Counter[tuple[str, str, str]]:
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{source}: cannot read the baseline: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{source}: not a baseline file ({error})") from None
    if not isinstance(data, dict) or data.get("kfp-migrate-baseline") != _VERSION:
        raise BaselineError(f"{source}: not a kfp-migrate baseline (write one with --write-baseline)")
    counts: Counter[tuple[str, str, str]] = Counter()
    for row in data.get("findings", []):
        counts[(str(row["path"]), str(row["code"]), str(row["message"]))] += int(row.get("count", 1))
    return counts


def new_findings(source: Path, reports: Sequence[FileReport]) -> list[FileReport]:
    """The reports with recorded findings taken out (each recorded one absorbs one finding)."""
    remaining = read(source)
    kept: list[FileReport] = []
    for report in reports:
        fresh = []
        for finding, key in zip(report.findings, _keys(report, source.parent), strict=True):
            if remaining[key] > 0:
                remaining[key] -= 1
            else:
                fresh.append(finding)
        kept.append(replace(report, findings=tuple(fresh)))
    return kept
