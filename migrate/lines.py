"""Offsets to 1-based (line, column), with each language's own line breaks."""

from __future__ import annotations

import re
from bisect import bisect_right

# YAML 1.1 also breaks lines at NEL and the Unicode line/paragraph separators; Python (and LibCST) do not.
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
PYTHON_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Converts str offsets to 1-based (line, column) and back."""

    def __init__(self, text: str, breaks: re.Pattern[str] = YAML_LINE_BREAK) -> None:
        self.starts = [0] + [m.end() for m in breaks.finditer(text)]

    @classmethod
    def for_path(cls, text: str, path: str) -> LineIndex:
        return cls(text, PYTHON_LINE_BREAK if path.endswith(".py") else YAML_LINE_BREAK)

    def position(self, offset: int) -> tuple[int, int]:
        line = max(1, bisect_right(self.starts, offset))
        return line, offset - self.starts[line - 1] + 1
