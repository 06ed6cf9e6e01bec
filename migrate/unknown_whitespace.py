"""The whitespace a quick tree does not know: stand-ins that count every read.

A quick tree's whitespace fields (spaces, line breaks, comments, blank lines) hold these instead of the text's.
Each behaves as a LibCST default (one space, no comment, no blank line) and adds one to `READS` whenever it is
looked at: an attribute, a comparison, a length, an iteration, code generation, even `isinstance` (which asks
for `__class__`). Work that leaves `READS` unchanged on a quick tree read none of them, so it read only what the
quick tree shares exactly with LibCST's (tests/test_cst_from_ast.py): its result is the one LibCST's tree gives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

READS = [0]  # a list: the counter is shared by reference wherever it is imported


def reads() -> int:
    return READS[0]


def record_read() -> None:
    READS[0] += 1


def forget_reads(back_to: int) -> None:
    """Undo the reads since `reads()` said `back_to`: they were for a result thrown away."""
    READS[0] = back_to


@contextlib.contextmanager
def uncounted() -> Iterator[None]:
    """For work that visits whitespace but whose result cannot depend on it (LibCST's own traversals)."""
    back_to = READS[0]
    try:
        yield
    finally:
        READS[0] = back_to


class UnknownWhitespace:
    """Stands in for one whitespace node (`real`, a LibCST default), which it hands out after counting."""

    __slots__ = ("_real",)

    def __init__(self, real: object) -> None:
        object.__setattr__(self, "_real", real)

    def __getattribute__(self, name: str) -> Any:
        READS[0] += 1
        return getattr(object.__getattribute__(self, "_real"), name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{name}: a quick tree's whitespace is read-only")

    def __eq__(self, other: object) -> bool:
        READS[0] += 1
        return bool(object.__getattribute__(self, "_real") == other)

    def __hash__(self) -> int:
        READS[0] += 1
        return hash(object.__getattribute__(self, "_real"))

    def __repr__(self) -> str:
        READS[0] += 1
        return repr(object.__getattribute__(self, "_real"))


class UnknownLines(tuple):  # type: ignore[type-arg]
    """Stands in for a sequence of blank or comment lines (`leading_lines`, a module's header): empty, counted."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        READS[0] += 1
        return tuple.__getattribute__(self, name)

    def __len__(self) -> int:
        READS[0] += 1
        return 0

    def __iter__(self) -> Iterator[Any]:
        READS[0] += 1
        return iter(())

    def __getitem__(self, index: Any) -> Any:
        READS[0] += 1
        return ().__getitem__(index)

    def __contains__(self, item: object) -> bool:
        READS[0] += 1
        return False

    def __eq__(self, other: object) -> bool:
        READS[0] += 1
        return other == ()

    def __hash__(self) -> int:
        READS[0] += 1
        return hash(())

    def __bool__(self) -> bool:
        READS[0] += 1
        return False

    def __reversed__(self) -> Iterator[Any]:
        READS[0] += 1
        return iter(())


NO_LINES = UnknownLines()
