"""Which language a file is in, and the cheap text tests that decide whether it is worth parsing."""

from __future__ import annotations

import re

BOM = "\ufeff"
PYTHON_SUFFIXES = (".py",)
# A file is taken for a v1 component, even when it does not parse, if a line starts with this.
LOOKS_LIKE_COMPONENT = re.compile(r"^implementation\s*:", re.MULTILINE)
# A Python file is taken for KFP code, even when it does not parse, if it imports kfp.
LOOKS_LIKE_KFP = re.compile(r"^\s*(from\s+kfp[.\s]|import\s+kfp\b)", re.MULTILINE)
# `kfp` as the first name of an imported module: after `import`, `from`, or a comma of `import a, kfp`, with
# spaces or line continuations between. No match: the module imports nothing from kfp, and LibCST need not
# parse it (`KfpModule.is_kfp()` would be False).
IMPORTS_KFP = re.compile(r"(?:\bimport|\bfrom|,)[\s\\]*kfp\b")
_KFP = re.compile(r"kfp\b")
_WORD = re.compile(r"\w")


def imports_kfp(text: str) -> bool:
    """`IMPORTS_KFP.search(text) is not None`, an order of magnitude faster: that pattern tries every comma and
    word of a module, this looks only behind each `kfp`."""
    for found in _KFP.finditer(text):
        before = found.start()
        while before and (text[before - 1].isspace() or text[before - 1] == "\\"):
            before -= 1
        if before and text[before - 1] == ",":
            return True
        for keyword in ("import", "from"):
            start = before - len(keyword)
            if start >= 0 and text.startswith(keyword, start) and not (start and _WORD.match(text, start - 1)):
                return True
    return False


def is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)
