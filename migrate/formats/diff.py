"""`fix --diff`: the changes fixes would make, as a unified diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrate.runner import FileReport


def unified_diff(report: FileReport) -> str:
    """The fixed file's changes, then each file the fixes create, as a diff from /dev/null (as git shows one)."""
    if report.original is None or report.fixed is None:
        return ""
    parts = [_diff(report.original, report.fixed, f"a/{report.path}", f"b/{report.path}")]
    parts.extend(_diff("", new.text, "/dev/null", f"b/{new.name}") for new in report.created)
    return "".join(parts)


def _diff(old: str, new: str, fromfile: str, tofile: str) -> str:
    import difflib  # only `--diff` needs it

    diff = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=fromfile, tofile=tofile
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in diff)
