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


def is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)
