"""The command line: parses options, resolves settings, calls the runner, prints, picks the exit code.

Heavy modules (LibCST, the rules, the renderers) are imported only by the commands that need them, so a
run the cache answers starts fast.
"""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from migrate import __version__
from migrate.config import OUTPUT_FORMATS, Config, ConfigError, discover_config

if TYPE_CHECKING:
    from collections.abc import Callable

    from migrate.cache import Cache
    from migrate.discovery import Candidate
    from migrate.runner import FileReport, Options

# Exit codes, as ruff: 0 nothing left to report, 1 findings remain, 2 usage or internal error.
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# Runs with at least this many files to parse show a progress bar on a terminal.
PROGRESS_THRESHOLD = 100

app = typer.Typer(
    name="kfp-migrate",
    help="Lint and migrate Kubeflow Pipelines v1 components to the KFP v2 SDK.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PathsArg = Annotated[list[str], typer.Argument(help="Files or directories; `-` reads standard input.")]
SelectOpt = Annotated[
    list[str] | None,
    typer.Option("--select", help="Only these codes or prefixes (repeatable, comma-separated); replaces the config's."),
]
ExtendSelectOpt = Annotated[
    list[str] | None, typer.Option("--extend-select", help="Add these codes or prefixes to the selection.")
]
IgnoreOpt = Annotated[list[str] | None, typer.Option("--ignore", help="Skip these codes or prefixes.")]
FormatOpt = Annotated[
    str | None,
    typer.Option("--output-format", help=f"How findings are printed: {', '.join(OUTPUT_FORMATS)}.", show_default=False),
]
StdinNameOpt = Annotated[
    str, typer.Option("--stdin-filename", help="The name to report for `-`; a `.py` name reads Python.")
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Read settings from this pyproject.toml instead of searching.")
]
IsolatedOpt = Annotated[bool, typer.Option("--isolated", help="Ignore every configuration file.")]
ExcludeOpt = Annotated[
    list[str] | None, typer.Option("--exclude", help="Glob patterns to skip; replaces the default list.")
]
ExtendExcludeOpt = Annotated[list[str] | None, typer.Option("--extend-exclude", help="More glob patterns to skip.")]
ForceExcludeOpt = Annotated[
    bool,
    typer.Option(
        "--force-exclude",
        help="Treat named files as if found by a walk: exclusions apply, non-components are skipped quietly.",
    ),
]
GitignoreOpt = Annotated[
    bool | None,
    typer.Option(
        "--respect-gitignore/--no-respect-gitignore", help="Skip files .gitignore ignores.", show_default=False
    ),
]
StatisticsOpt = Annotated[bool, typer.Option("--statistics", help="Print a count per rule instead of findings.")]
ExitZeroOpt = Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings remain.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")]
CacheDirOpt = Annotated[
    Path | None, typer.Option("--cache-dir", help="Where the cache lives (default: .kfp_migrate_cache).")
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Processes sharing the files: this one and N-1 workers (default: one per CPU).",
        show_default=False,
    ),
]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="Report only findings not recorded in this baseline file.")
]
WriteBaselineOpt = Annotated[
    Path | None, typer.Option("--write-baseline", help="Record every current finding in this file, then exit 0.")
]
ChangedSinceOpt = Annotated[
    str | None, typer.Option("--changed-since", help="Only files git reports changed since this commit or ref.")
]
ProgressOpt = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="A progress bar on standard error (default: on a terminal).",
        show_default=False,
    ),
]


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"kfp-migrate: error: {message}\n")
    return typer.Exit(EXIT_ERROR)


def _codes(values: list[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def _resolve(
    paths: list[str],
    config_file: Path | None,
    isolated: bool,
    selection: tuple[list[str] | None, list[str] | None, list[str] | None],
    exclusion: tuple[list[str] | None, list[str] | None, bool | None],
    *,
    unsafe_fixes: bool | None = None,
    output_format: str | None = None,
    cache_dir: Path | None = None,
) -> Config:
    """The run's settings: the configuration file's, with the command line's on top.
    `selection`: --select, --ignore, --extend-select; `exclusion`: --exclude, --extend-exclude,
    --respect-gitignore."""
    from migrate.settings import CommandLine, merge

    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise _fail(f"--output-format must be one of {', '.join(OUTPUT_FORMATS)}; got `{output_format}`")
    try:
        config = discover_config([Path(p) for p in paths if p != "-"], Path.cwd(), config_file, isolated)
    except ConfigError as error:
        raise _fail(str(error)) from None
    select_, ignore, extend_select = selection
    exclude, extend_exclude, respect_gitignore = exclusion
    cli = CommandLine(
        select=_codes(select_) or None,
        ignore=_codes(ignore),
        extend_select=_codes(extend_select),
        exclude=tuple(exclude) if exclude else None,
        extend_exclude=tuple(extend_exclude or ()),
        respect_gitignore=respect_gitignore,
        unsafe_fixes=unsafe_fixes,
        output_format=output_format,
        cache_dir=cache_dir,
    )
    return merge(config, cli)


def _options(config: Config, *, fix: bool = False, write: bool = True, jobs: int | None = None) -> Options:
    from migrate.runner import Options
    from migrate.settings import per_file_ignores, selected_codes

    try:
        codes = selected_codes(config)
    except ConfigError as error:
        raise _fail(str(error)) from None
    from migrate.formats import NEEDS_TEXT

    ignores = per_file_ignores(config)
    options = Options((), fix, config.unsafe_fixes, write, per_file_ignores=ignores, codes=codes)
    return replace(options, keep_text=config.output_format in NEEDS_TEXT, jobs=jobs or options.jobs)


def _candidates(
    paths: list[str],
    config: Config,
    force_exclude: bool,
    changed_since: str | None,
    memo: Cache | None = None,
    seen: Callable[[Candidate], None] | None = None,
) -> list[Candidate]:
    """The files to process; `seen` is told of each as it is found."""
    from migrate.discovery import discover
    from migrate.gitfiles import GitError, changed_files

    missing = [p for p in paths if not Path(p).exists() and not Path(p).is_symlink()]
    if missing:
        raise _fail(f"{missing[0]}: no such file or directory")
    found: list[Candidate] = []
    for candidate in discover((Path(p) for p in paths), config, force_exclude, memo):
        found.append(candidate)
        if seen is not None:
            seen(candidate)
    if changed_since is None:
        return found
    try:
        changed = changed_files(changed_since, config.root)
    except GitError as error:
        raise _fail(str(error)) from None
    return [c for c in found if Path(os.path.abspath(c.path)) in changed]


def _progress_bar(enabled: bool | None) -> Callable[[int, int], None] | None:
    """A callback drawing a bar on standard error, or None (not a terminal, or asked not to)."""
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    from migrate.progress import bar

    return bar(PROGRESS_THRESHOLD if enabled is None else 1)


def _execute(
    paths: list[str],
    config: Config,
    options: Options,
    *,
    diff: bool = False,
    stdin_name: str = "-",
    force_exclude: bool = False,
    statistics: bool = False,
    exit_zero: bool = False,
    no_cache: bool = False,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
    changed_since: str | None = None,
    progress: bool | None = None,
) -> tuple[int, bool]:
    """The exit code, and whether any file was written."""
    from migrate.formats import render, statistics_json, statistics_report, text_report, unified_diff

    findings_exit = EXIT_CLEAN if exit_zero else EXIT_FINDINGS
    if "-" in paths:
        from migrate.runner import check_stdin_text

        if len(paths) > 1:
            raise _fail("`-` (standard input) cannot be combined with other paths")
        report, fixed_text = check_stdin_text(sys.stdin.buffer.read(), options, stdin_name)
        reports = [report]
        if options.fix and not diff:
            sys.stdout.write(fixed_text)
            sys.stderr.write(text_report(reports, True, options.unsafe))
            return (findings_exit if report.findings else EXIT_CLEAN), False
    else:
        reports = _run(paths, config, options, force_exclude, changed_since, no_cache, progress)
    wrote = any(report.written for report in reports)
    if write_baseline is not None:
        from migrate.baseline import write

        write(write_baseline, reports)
        sys.stderr.write(f"Recorded {sum(len(r.findings) for r in reports)} findings in {write_baseline}.\n")
        return EXIT_CLEAN, wrote
    if baseline is not None:
        from migrate.baseline import BaselineError, new_findings

        try:
            reports = new_findings(baseline, reports)
        except BaselineError as error:
            raise _fail(str(error)) from None
    if diff:
        changes = [unified_diff(report) for report in reports if report.fixed is not None]
        sys.stdout.write("".join(changes))
        sys.stderr.write(
            text_report(reports, True, options.unsafe, show_fixes=False, dry_run=True).splitlines()[-1] + "\n"
        )
        return (findings_exit if changes else EXIT_CLEAN), False
    color = config.output_format in ("text", "grouped") and _wants_color()
    if statistics and config.output_format == "json":
        sys.stdout.write(statistics_json(reports))
    elif statistics:
        sys.stdout.write(statistics_report(reports, options.fix, options.unsafe, color=color))
    else:
        ci_root = _ci_root(config) if config.output_format in ("sarif", "gitlab") else None
        sys.stdout.write(
            render(
                config.output_format,
                reports,
                fixing=options.fix,
                unsafe=options.unsafe,
                color=color,
                rules=options.all_rules() if config.output_format == "sarif" else (),
                root=ci_root,
            )
        )
    return (findings_exit if any(report.findings for report in reports) else EXIT_CLEAN), wrote


def _run(
    paths: list[str],
    config: Config,
    options: Options,
    force_exclude: bool,
    changed_since: str | None,
    no_cache: bool,
    progress: bool | None,
) -> list[FileReport]:
    from migrate.cache import Cache, cache_directory, settings_key
    from migrate.processing import may_be_kfp
    from migrate.runner import Pool, run

    cache = Cache.disabled()
    if not no_cache:
        key = settings_key(sorted(options.selected_codes), options.per_file_ignores, options.fix, options.unsafe)
        cache = Cache.open(cache_directory(config.cache_dir, config.root), key)
    with Pool(options.jobs) as pool:
        # Every file found will be processed: once one is KFP code (a tree without any needs neither LibCST nor
        # the rules), the workers start while the rest are found.
        warm = cache.empty and options.jobs > 1 and any(Path(p).is_dir() for p in paths)

        def seen(candidate: Candidate) -> None:
            nonlocal warm
            if warm and may_be_kfp(candidate.path):
                warm = False
                pool.warm(options)

        candidates = _candidates(paths, config, force_exclude, changed_since, cache, seen if warm else None)
        context = _project_context(paths, config, candidates)
        return run(candidates, options, cache, progress=_progress_bar(progress), context=context, pool=pool)


def _ci_root(config: Config) -> Path:
    """What CI paths are relative to: the git repository's top (code scanning reads URIs from there),
    else the project root."""
    from migrate.gitfiles import toplevel

    return toplevel(Path.cwd()) or config.root


def _project_context(paths: list[str], config: Config, candidates: list[Candidate]) -> list[Path]:
    """Named kfp modules (pre-commit names only the staged ones) still see what the rest of their project
    passes to them: the other modules of the git work tree, or of the configuration's directory."""
    named = [Path(p) for p in paths if p.endswith(".py") and Path(p).is_file()]
    if not any(b"kfp" in _head(path) for path in named):
        return []
    from migrate.discovery import project_modules
    from migrate.gitfiles import toplevel

    root = toplevel(named[0].parent) or (config.root if config.source is not None else None)
    if root is None:
        return []
    return project_modules(replace(config, root=root), [c.path for c in candidates])


def _head(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _wants_color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (no-color.org); FORCE_COLOR forces it."""
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


@app.command()
def check(
    paths: PathsArg,
    select_: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    output_format: FormatOpt = None,
    statistics: StatisticsOpt = False,
    exit_zero: ExitZeroOpt = False,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    force_exclude: ForceExcludeOpt = False,
    respect_gitignore: GitignoreOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    jobs: JobsOpt = None,
    baseline: BaselineOpt = None,
    write_baseline: WriteBaselineOpt = None,
    changed_since: ChangedSinceOpt = None,
    progress: ProgressOpt = None,
    stdin_filename: StdinNameOpt = "-",
) -> None:
    """Report what kfp 2 will reject or treat differently. Writes nothing."""
    selection, exclusion = (select_, ignore, extend_select), (exclude, extend_exclude, respect_gitignore)
    settings = _resolve(paths, config, isolated, selection, exclusion, output_format=output_format, cache_dir=cache_dir)
    options = _options(settings, jobs=jobs)
    code, _ = _execute(
        paths,
        settings,
        options,
        stdin_name=stdin_filename,
        force_exclude=force_exclude,
        statistics=statistics,
        exit_zero=exit_zero,
        no_cache=no_cache,
        baseline=baseline,
        write_baseline=write_baseline,
        changed_since=changed_since,
        progress=progress,
    )
    raise typer.Exit(code)


@app.command()
def fix(
    paths: PathsArg,
    unsafe_fixes: Annotated[
        bool | None,
        typer.Option(
            "--unsafe-fixes/--no-unsafe-fixes",
            help="Also apply fixes that need a human's judgement.",
            show_default=False,
        ),
    ] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Print the changes as a diff; write nothing.")] = False,
    select_: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    output_format: FormatOpt = None,
    statistics: StatisticsOpt = False,
    exit_zero: ExitZeroOpt = False,
    exit_non_zero_on_fix: Annotated[
        bool, typer.Option("--exit-non-zero-on-fix", help="Exit 1 when a file was changed, even if nothing remains.")
    ] = False,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    force_exclude: ForceExcludeOpt = False,
    respect_gitignore: GitignoreOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    jobs: JobsOpt = None,
    baseline: BaselineOpt = None,
    changed_since: ChangedSinceOpt = None,
    progress: ProgressOpt = None,
    stdin_filename: StdinNameOpt = "-",
) -> None:
    """Apply fixes in place (atomically), then report what is left."""
    selection, exclusion = (select_, ignore, extend_select), (exclude, extend_exclude, respect_gitignore)
    settings = _resolve(
        paths,
        config,
        isolated,
        selection,
        exclusion,
        unsafe_fixes=unsafe_fixes,
        output_format=output_format,
        cache_dir=cache_dir,
    )
    options = _options(settings, fix=True, write=not diff, jobs=jobs)
    code, wrote = _execute(
        paths,
        settings,
        options,
        diff=diff,
        stdin_name=stdin_filename,
        force_exclude=force_exclude,
        statistics=statistics,
        exit_zero=exit_zero,
        no_cache=no_cache,
        baseline=baseline,
        changed_since=changed_since,
        progress=progress,
    )
    if exit_non_zero_on_fix and wrote and not exit_zero:
        code = EXIT_FINDINGS
    raise typer.Exit(code)


@app.command()
def report(
    paths: Annotated[list[str], typer.Argument(help="Files or directories of the repository to report on.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory to write report.md and report.html into.")
    ] = Path("kfp-migrate-report"),
    select_: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    respect_gitignore: GitignoreOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
    jobs: JobsOpt = None,
    progress: ProgressOpt = None,
) -> None:
    """Write a migration report: per file what `fix` and `fix --unsafe-fixes` resolve, what needs a human
    and why, and how ready the repository is for kfp 2. Changes no scanned file."""

    from migrate.migration_report import build_report, headline, to_html, to_markdown

    if "-" in paths:
        raise _fail("`report` reads files, not standard input")
    selection, exclusion = (select_, ignore, extend_select), (exclude, extend_exclude, respect_gitignore)
    settings = _resolve(paths, config, isolated, selection, exclusion, cache_dir=cache_dir)
    checking = _options(settings, jobs=jobs)
    runs = [
        _run(paths, settings, options, False, None, no_cache, progress)
        for options in (
            checking,
            replace(checking, fix=True, write=False),
            replace(checking, fix=True, unsafe=True, write=False),
        )
    ]
    root = paths[0] if len(paths) == 1 else os.path.commonpath([os.path.abspath(p) for p in paths])
    built = build_report(*runs, root=root, checked=checking.selected_codes)
    try:
        output.mkdir(parents=True, exist_ok=True)
        (output / "report.md").write_text(to_markdown(built), encoding="utf-8")
        (output / "report.html").write_text(to_html(built), encoding="utf-8")
    except OSError as error:
        raise _fail(f"{output}: cannot write the report: {error.strerror or error}") from None
    sys.stdout.write(f"{headline(built)}\nWrote {output / 'report.md'} and {output / 'report.html'}\n")


@app.command("rules")
def list_rules(output_format: FormatOpt = None) -> None:
    """List every rule: code, name, what kfp 2 does, fix, summary."""
    from migrate.registry import all_rules

    if output_format == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.value,
                "fix": r.fix_safety.value,
                "default": r.default_enabled,
                "summary": r.summary,
            }
            for r in all_rules()
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    width = max(len(r.name) for r in all_rules())
    for r in all_rules():
        sys.stdout.write(f"{r.code}  {r.name:<{width}}  {r.severity.value:<6}  {r.fix_safety.value:<6}  {r.summary}\n")


@app.command()
def rule(code: Annotated[str, typer.Argument(help="A rule code, such as KFP101.")]) -> None:
    """Explain one rule."""
    from migrate.docs import render_rule
    from migrate.registry import rule_by_code

    found = rule_by_code(code)
    if found is None:
        raise _fail(f"`{code}` is not a rule code (see `kfp-migrate rules`)")
    sys.stdout.write(render_rule(found))


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"kfp-migrate {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Lint and migrate Kubeflow Pipelines v1 components to the KFP v2 SDK."""


def main() -> None:
    """Console entry point; an unexpected error exits 2 with one line, never a traceback wall."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # a file name that is not UTF-8 is printed as its own bytes
            stream.reconfigure(errors="surrogateescape")
    # A run makes many objects and frees few until it ends (trees, cached findings): cyclic garbage
    # collection passes over them again and again for nothing. A short-lived CLI can collect rarely.
    gc.set_threshold(50_000, 50, 100)
    try:
        app()
    except SystemExit as done:
        _exit_now(done.code)
    except Exception as error:
        sys.stderr.write(f"kfp-migrate: internal error: {type(error).__name__}: {error}\n")
        _exit_now(EXIT_ERROR)


def _exit_now(code: object) -> NoReturn:
    """Exit without tearing the interpreter down: freeing every tree and report one by one takes about
    0.07 s after a large run, and nothing is left to do (files are written, the cache saved, the pool shut
    down). Standard output and error are flushed first; the code means what `sys.exit`'s would."""
    if code is None:
        status = EXIT_CLEAN
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader left (`| head`): what it did not read is not an error of ours
        pass
    except OSError:
        status = status or EXIT_ERROR
    os._exit(status)
