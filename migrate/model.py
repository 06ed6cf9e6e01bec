"""Plain data shared by the engine and the rules: rules' metadata, findings, fixes, edits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import libcst as cst

    from migrate.python_source import PythonSource
    from migrate.yaml_source import Node, YamlSource


class FixSafety(str, Enum):
    """How sure a fix is that it keeps the component's meaning."""

    SAFE = "safe"  # same meaning; applied by `fix`
    UNSAFE = "unsafe"  # needs a human choice; applied only with --unsafe-fixes
    NONE = "none"  # lint only: the finding itself is the to-do


class Severity(str, Enum):
    """What kfp 2 does with the pattern a rule finds (../shared/docs/kfp-semantics.md §6)."""

    ERROR = "error"  # kfp 2 raises when it loads, calls or compiles the component
    CHANGE = "change"  # kfp 2 accepts it but behaves differently from v1, silently
    INFO = "info"  # no behaviour change; worth knowing while migrating


@dataclass(frozen=True)
class ImportInsertion:
    """The imports an inserting `Edit` adds. Fixes that each add imports at one place join there into one
    insertion, so they apply in the same pass instead of one per pass."""

    names: tuple[tuple[str, str], ...]  # (module, name)
    # "lines": new `from m import a, b` lines; "aliases": `, a, b` after an import's last name;
    # "aliases,": ` a, b,` after a last name that has a trailing comma
    form: str
    newline: str = "\n"
    newline_first: bool = False  # "lines" after a last line that has no newline

    def kind(self) -> tuple[str, ...]:
        return ("imports", self.form, self.newline, str(self.newline_first))

    def joined(self, other: Insertion) -> ImportInsertion:
        assert isinstance(other, ImportInsertion)
        return replace(self, names=tuple(sorted(set(self.names) | set(other.names))))

    def render(self) -> str:
        if self.form != "lines":
            names = sorted({name for _, name in self.names})
            return "".join(f" {n}," for n in names) if self.form == "aliases," else "".join(f", {n}" for n in names)
        by_module: dict[str, set[str]] = {}
        for module, name in self.names:
            by_module.setdefault(module, set()).add(name)
        lines = [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(by_module.items())]
        return _lines(lines, self.newline, self.newline_first)


@dataclass(frozen=True)
class StatementsInsertion:
    """Whole lines an inserting `Edit` puts at one place (a function body's first statements), in `order`.
    Fixes that each put lines there join, their blocks by order, so they apply in the same pass."""

    blocks: tuple[tuple[int, tuple[str, ...]], ...]  # (order, lines without their newline)
    newline: str = "\n"
    newline_first: bool = False  # after a last line that has no newline

    def kind(self) -> tuple[str, ...]:
        return ("statements", self.newline, str(self.newline_first))

    def joined(self, other: Insertion) -> StatementsInsertion:
        assert isinstance(other, StatementsInsertion)
        return replace(self, blocks=tuple(sorted({*self.blocks, *other.blocks})))

    def render(self) -> str:
        return _lines([line for _, lines in self.blocks for line in lines], self.newline, self.newline_first)


def _lines(lines: Iterable[str], newline: str, newline_first: bool) -> str:
    if newline_first:
        return "".join(newline + line for line in lines)
    return "".join(line + newline for line in lines)


Insertion = ImportInsertion | StatementsInsertion


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with `text`; an insertion has start == end. Offsets are str indexes."""

    start: int
    end: int
    text: str
    joins_as: Insertion | None = None  # an insertion that joins others of its kind at its place; `text` renders it

    def joins(self, other: Edit) -> bool:
        """Whether both are insertions of one kind at one place: applied together, as one joined insertion."""
        mine, theirs = self.joins_as, other.joins_as
        return (
            mine is not None
            and theirs is not None
            and self.start == self.end == other.start == other.end
            and mine.kind() == theirs.kind()
        )

    def joined(self, other: Edit) -> Edit:
        assert self.joins_as is not None and other.joins_as is not None
        insertion = self.joins_as.joined(other.joins_as)
        return Edit(self.start, self.end, insertion.render(), insertion)


@dataclass(frozen=True)
class NewFile:
    """A file a fix creates beside the fixed one; `name` is relative to the fixed file's directory."""

    name: str
    text: str


@dataclass(frozen=True)
class Fix:
    title: str
    safety: FixSafety
    edits: tuple[Edit, ...]
    creates: tuple[NewFile, ...] = ()  # written by the runner, never over a different existing file
    # Fixes this one is applied with, never without (its edits alone would break the code): a usage rewritten
    # with the parameters it depends on, an import dropped with its last uses. One pass applies them together.
    requires: tuple[Fix, ...] = ()
    # Found on a tree built from `ast` by rules that read whitespace that tree does not know: whether there is a
    # fix, and how safe, is exact; its edits are not, so they are never applied or shown (found again on LibCST's).
    provisional: bool = False

    def with_required(self) -> tuple[Fix, ...]:
        """This fix and every fix it requires, at any depth: what one pass applies together."""
        found = [self]
        for fix in found:  # (grows while it is read: each fix's requirements are looked at once)
            found.extend(required for required in fix.requires if required not in found)
        return tuple(found)

    def complete_edits(self) -> list[Edit]:
        """The edits of this fix and of every fix it requires, in text order, insertions that join made one:
        what a reader of a report applies for this fix alone (its own edits would break the code)."""
        return sorted(joined_edits(edit for fix in self.with_required() for edit in fix.edits), key=_span)

    def complete_creates(self) -> tuple[NewFile, ...]:
        return tuple(dict.fromkeys(new for fix in self.with_required() for new in fix.creates))


def _span(edit: Edit) -> tuple[int, int]:
    return edit.start, edit.end


def joined_edits(edits: Iterable[Edit]) -> list[Edit]:
    """`edits`, with the insertions that join (`Edit.joins`) made one."""
    out: list[Edit] = []
    for edit in edits:
        for index, earlier in enumerate(out):
            if edit.joins(earlier):
                out[index] = earlier.joined(edit)
                break
        else:
            out.append(edit)
    return out


def any_provisional(findings: Iterable[Finding]) -> bool:
    """Whether a fix among `findings` is provisional: their edits cannot be applied or shown."""
    return any(f.fix is not None and f.fix.provisional for f in findings)


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    """Whether `fix` applies those edits: safe ones always, unsafe ones with `--unsafe-fixes`."""
    if fix is None or not fix.edits or fix.safety is FixSafety.NONE:
        return False
    return unsafe or fix.safety is FixSafety.SAFE


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Lines and columns are 1-based; columns count characters."""

    code: str
    message: str
    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    severity: Severity = Severity.ERROR
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)


@dataclass(frozen=True)
class Example:
    """A rule's example: `source` triggers it (or not, for valid ones); `fixed` is its fixed form."""

    source: str
    fixed: str | None = None
    unsafe: bool = False  # the fix shown needs --unsafe-fixes


@dataclass(frozen=True)
class Located:
    """A finding before it knows its file: the node it is about, the message, the fix."""

    start: int
    end: int
    message: str
    fix: Fix | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # when this case is worse (or milder) than the rule's usual one


class Rule:
    """Metadata shared by every rule; subclasses add the check for one language."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    message: ClassVar[str]
    fix_title: ClassVar[str | None] = None
    rationale: ClassVar[str]
    severity: ClassVar[Severity]
    fix_safety: ClassVar[FixSafety]
    fix_safety_note: ClassVar[str] = ""
    since: ClassVar[str] = "0.1.0"
    valid: ClassVar[tuple[str, ...]] = ()
    invalid: ClassVar[tuple[Example, ...]] = ()
    references: ClassVar[tuple[str, ...]] = ()
    language: ClassVar[str] = "yaml"  # what the examples are written in
    default_enabled: ClassVar[bool] = True  # False: runs only when `--select`/`extend-select` names it

    @classmethod
    def example_path(cls) -> str:
        return "example.py" if cls.language == "python" else "example.yaml"

    @classmethod
    def family(cls) -> str:
        return cls.__module__.split(".")[1] if cls.__module__.count(".") else cls.__module__

    def fix(
        self,
        *edits: Edit,
        safety: FixSafety | None = None,
        title: str | None = None,
        requires: tuple[Fix, ...] = (),
        **fields: Any,
    ) -> Fix:
        """A fix made of `edits`, titled from `fix_title` unless `title` is given. One that `requires` others is
        as sure as the least sure of them (they are applied together)."""
        chosen_title = title or (self.fix_title or "").format(**fields)
        chosen = safety or self.fix_safety
        if any(other.safety is FixSafety.UNSAFE for other in requires):
            chosen = FixSafety.UNSAFE
        return Fix(chosen_title, chosen, tuple(edits), requires=requires)


class YamlRule(Rule):
    """A rule over one v1 component YAML document."""

    # Run on explicitly named YAML files that are not components, too (e.g. a missing `implementation`).
    applies_to_non_components: ClassVar[bool] = False

    def check(self, src: YamlSource) -> Iterator[Located]:
        raise NotImplementedError

    def at(self, node: Node, fix: Fix | None = None, *, severity: Severity | None = None, **fields: Any) -> Located:
        """A finding located at `node`, with the rule's message formatted from `fields`."""
        message = self.message.format(**fields)
        return Located(node.start_mark.index, node.end_mark.index, message, fix, fields, severity)


class PythonRule(Rule):
    """A rule over one Python module that uses kfp. Rules read the shared analysis in `rules/_python.py`
    (one walk per module) rather than visiting the tree themselves: most need imports and call sites
    from the whole module, which a per-node visitor does not have."""

    language: ClassVar[str] = "python"

    def check(self, src: PythonSource) -> Iterator[Located]:
        raise NotImplementedError

    def at(
        self,
        src: PythonSource,
        node: cst.CSTNode,
        fix: Fix | None = None,
        *,
        severity: Severity | None = None,
        **fields: Any,
    ) -> Located:
        """A finding located at `node`, with the rule's message formatted from `fields`."""
        start, end = src.span(node)
        return Located(start, end, self.message.format(**fields), fix, fields, severity)


class FileRule(Rule):
    """A problem with the file itself (KFP0xx), found by the engine before any rule runs."""
