"""One file checked or fixed: read safely, run through the engine, written atomically."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate.discovery import Candidate
from migrate.languages import BOM, imports_kfp, is_python
from migrate.model import Finding, NewFile, Rule, Severity, any_provisional
from migrate.registry import rule_classes
from migrate.settings import PerFileIgnores

__all__ = ["FileReport", "Options", "check_stdin_text", "process", "safe_process"]

MAX_FILE_BYTES = 10 * 1024 * 1024

_PYTHON_RULES, _YAML_RULES = frozenset({"python", "file"}), frozenset({"yaml", "file"})

_FILE_RULES = frozenset({"file"})


@dataclass(frozen=True)
class FileReport:
    """What happened to one file."""

    path: str
    findings: tuple[Finding, ...]
    applied: int = 0
    original: str | None = None
    fixed: str | None = None  # set when fixes changed the text (written unless --diff)
    written: bool = False
    text: str | None = None  # the text the findings' offsets refer to
    created: tuple[NewFile, ...] = ()  # files the fixes create (written unless --diff); names are full paths
    kfp: bool = True  # False: looked at on a mere mention of `kfp`/`implementation`, but no KFP code


@dataclass(frozen=True)
class Options:
    """What a run does. `codes` (from the command line) defers importing rules until a file needs them,
    and then only its language's; `rules` (classes, as tests give them) is used when `codes` is None."""

    rules: tuple[type[Rule], ...] = ()
    fix: bool = False
    unsafe: bool = False
    write: bool = True
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    per_file_ignores: PerFileIgnores = field(default_factory=PerFileIgnores)
    codes: tuple[str, ...] | None = None
    keep_text: bool = True  # reports carry each file's text (JSON and SARIF turn fix offsets into positions)

    @property
    def selected_codes(self) -> tuple[str, ...]:
        return self.codes if self.codes is not None else tuple(rule.code for rule in self.rules)

    def all_rules(self) -> tuple[type[Rule], ...]:
        return self.rules if self.codes is None else rule_classes(self.codes)

    def rules_for(self, path: str, python_rules: bool = True) -> tuple[type[Rule], ...]:
        chosen = self.rules
        if self.codes is not None:
            languages = (_PYTHON_RULES if python_rules else _FILE_RULES) if is_python(path) else _YAML_RULES
            chosen = rule_classes(self.codes, languages)
        ignored = self.per_file_ignores.ignored(path)
        return tuple(rule for rule in chosen if rule.code not in ignored) if ignored else chosen

    def codes_for(self, path: str) -> set[str]:
        """The codes that apply to `path`, without importing any rule."""
        return set(self.selected_codes) - self.per_file_ignores.ignored(path)


def decode(data: bytes, path: str) -> str | Finding:
    """The text of a file (without its BOM), or a KFP001 finding saying why it is not text."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return _file_finding("KFP001", "binary file (contains NUL bytes): not a component", path, line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        detail = f"not UTF-8 (byte 0x{data[error.start]:02x}); kfp reads component files as UTF-8"
        return _file_finding("KFP001", detail, path, line, col)
    return text.removeprefix(BOM)


def _file_finding(code: str, detail: str, path: str, line: int = 1, col: int = 1) -> Finding:
    return Finding(code, detail, path, line, col, line, col, Severity.ERROR)


def marker_of(name: str) -> bytes:
    """The cheap pre-filter before parsing: every v1 component has an `implementation` key, all KFP Python
    mentions kfp."""
    return b"kfp" if is_python(name) else b"implementation"


def may_be_kfp(path: Path) -> bool:
    """Whether the file holds its language's marker (`marker_of`): what a run needs LibCST and the rules for."""
    data = small_bytes(path)
    return data is not None and marker_of(str(path)) in data


def process(candidate: Candidate, options: Options) -> FileReport | None:
    """Check or fix one file. None when the file is not a v1 component and was not asked for."""
    path = candidate.path
    name = str(path)
    selected = options.codes_for(name)
    try:
        info = path.stat()
        if info.st_size > MAX_FILE_BYTES:
            if not candidate.explicit:
                return None
            detail = f"file is {info.st_size} bytes, over the {MAX_FILE_BYTES} byte limit: not processed"
            return _only(name, _file_finding("KFP005", detail, name), selected)
        data = path.read_bytes()
    except OSError as error:
        return _only(name, _file_finding("KFP001", f"cannot read: {error.strerror or error}", name), selected)
    # Cheap pre-filters: every v1 component has an `implementation` key, all KFP Python mentions kfp.
    marker = marker_of(name)
    if not candidate.explicit and marker not in data:
        return None
    decoded = decode(data, name)
    if isinstance(decoded, Finding):
        return _only(name, decoded, selected) if candidate.explicit or marker in data else None
    had_bom = data.startswith(BOM.encode())
    # A module that imports no kfp gets no Python rule: do not import them (and LibCST) for it.
    rules = options.rules_for(name, python_rules=not is_python(name) or imports_kfp(decoded))
    from migrate.engine import check_file, fix_text  # a run the cache answers never imports the engine

    # A tree built from `ast` serves unless a rule read whitespace it does not know (`Fix.provisional`): a report
    # that shows the fixes' edits then checks again on LibCST's.
    quick = not options.keep_text
    findings, is_kfp = check_file(decoded, name, rules, candidate.explicit, candidate.foreign, quick=True)
    if options.keep_text and any_provisional(findings):
        findings, is_kfp = check_file(decoded, name, rules, candidate.explicit, candidate.foreign)
    shown = decoded if options.keep_text else None  # the text is sent back from a worker only when needed
    if not options.fix or not findings:
        return FileReport(name, tuple(findings), text=shown, kfp=is_kfp or bool(findings))
    outcome = fix_text(decoded, name, rules, options.unsafe, candidate.foreign, known=findings, quick=quick)
    if outcome.fixed is None:
        return FileReport(name, outcome.findings, outcome.applied, text=shown)
    if path.is_symlink():
        detail = f"is a symlink to {os.path.realpath(path)}: not rewritten; fix the target instead"
        refusal = _file_finding("KFP006", detail, name)
        return FileReport(name, (refusal, *findings), text=shown)
    created, refusals = _new_files(path, outcome.created)
    if refusals:
        # A fix whose new file would replace a different one is not applied at all, its edits included.
        kept = tuple(f for f in findings if f.code in outcome.creators and f.code in selected)
        if kept:
            refusals = tuple(replace(r, line=kept[0].line, col=kept[0].col) for r in refusals)
            refusals = tuple(replace(r, end_line=r.line, end_col=r.col) for r in refusals)
        held_back = tuple(rule for rule in rules if rule.code not in outcome.creators)
        outcome = fix_text(decoded, name, held_back, options.unsafe, candidate.foreign, quick=quick)
        outcome = replace(outcome, findings=(*refusals, *(replace(f, fix=None) for f in kept), *outcome.findings))
        created = ()
    if outcome.fixed is None:  # the held-back fix was the only change
        return FileReport(name, outcome.findings, outcome.applied, text=shown)
    if options.write:
        for new in created:  # first: a comment in the fixed file may name them
            _create_atomic(Path(new.name), new.text, path)
        _write_atomic(path, (BOM if had_bom else "") + outcome.fixed)
    return FileReport(
        name, outcome.findings, outcome.applied, decoded, outcome.fixed, options.write, outcome.fixed, created
    )


def _new_files(path: Path, files: Sequence[NewFile]) -> tuple[tuple[NewFile, ...], tuple[Finding, ...]]:
    """The files to create beside `path` (full paths; those already there with the same text are left out),
    and a refusal for each that exists with other content: it is never overwritten."""
    created: list[NewFile] = []
    refusals: list[Finding] = []
    for new in files:
        target = path.parent / new.name
        if not (target.exists() or target.is_symlink()):
            created.append(NewFile(str(target), new.text))
            continue
        try:
            same = target.is_file() and target.read_bytes().decode("utf-8") == new.text
        except (OSError, UnicodeDecodeError):
            same = False
        if not same:
            detail = (
                f"not fixed: the fix would create {target}, which exists with other content; it is never "
                "overwritten: move it away (or compare it with the fix's) and run again"
            )
            refusals.append(_file_finding("KFP007", detail, str(path)))
    return tuple(created), tuple(refusals)


def _only(name: str, finding: Finding, selected: set[str]) -> FileReport:
    return FileReport(name, (finding,) if finding.code in selected else ())


def _create_atomic(target: Path, text: str, source: Path) -> None:
    """Create `target` through a temporary file, with `source`'s mode minus exec bits; never replace a file."""
    import tempfile  # only runs that write import it

    mode = stat.S_IMODE(source.stat().st_mode) & ~(stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".kfp-migrate")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temp, mode)
        try:
            os.link(temp, target)  # raises FileExistsError if the file appeared meanwhile; os.replace would not
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system
            if target.exists() or target.is_symlink():
                raise FileExistsError(f"{target} appeared while it was being created") from None
            os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, keeping the file's mode."""
    import tempfile

    mode = stat.S_IMODE(path.stat().st_mode)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".kfp-migrate")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def small_bytes(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def small_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data.decode("utf-8", "replace").removeprefix(BOM) if len(data) <= MAX_FILE_BYTES else None


def safe_process(candidate: Candidate, options: Options) -> FileReport | None:
    try:
        return process(candidate, options)
    except RecursionError:
        detail = "nesting too deep to process"
    except Exception as error:
        detail = f"internal error ({type(error).__name__}: {error}); nothing was written; please report it"
    return FileReport(str(candidate.path), (_file_finding("KFP007", detail, str(candidate.path)),))


def check_stdin_text(data: bytes, options: Options, name: str = "-") -> tuple[FileReport, str]:
    """Check or fix text read from stdin; returns the report and the text to print when fixing."""
    from migrate.engine import check_text, fix_text

    decoded = decode(data, name)
    if isinstance(decoded, Finding):
        return FileReport(name, (decoded,)), data.decode("utf-8", "replace")
    had_bom = data.startswith(BOM.encode())
    if not options.fix:
        return FileReport(name, tuple(check_text(decoded, name, options.rules_for(name))), text=decoded), decoded
    outcome = fix_text(decoded, name, options.rules_for(name), options.unsafe)
    if outcome.created:  # standard input has no folder to write a new file into: skip those fixes
        rules = tuple(r for r in options.rules_for(name) if r.code not in outcome.creators)
        outcome = fix_text(decoded, name, rules, options.unsafe)
    text = outcome.fixed if outcome.fixed is not None else decoded
    report = FileReport(name, outcome.findings, outcome.applied, decoded, outcome.fixed, text=text)
    return report, (BOM if had_bom else "") + text
