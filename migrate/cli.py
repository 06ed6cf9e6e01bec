"""The command line: parses options, calls the runner, prints, picks the exit code. No logic of its own."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from migrate import __version__
from migrate.docs import render_rule
from migrate.registry import UnknownCodeError, all_rules, rule_by_code, select
from migrate.report import json_report, text_report, unified_diff
from migrate.runner import Options, check_stdin_text, discover, run

# Exit codes, as ruff: 0 nothing left to report, 1 findings remain, 2 usage or internal error.
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="kfp-migrate",
    help="Lint and migrate Kubeflow Pipelines v1 components to the KFP v2 SDK.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


PathsArg = Annotated[list[str], typer.Argument(help="Files or directories; `-` reads standard input.")]
SelectOpt = Annotated[
    list[str] | None, typer.Option("--select", help="Only these codes or prefixes (repeatable, comma-separated).")
]
IgnoreOpt = Annotated[list[str] | None, typer.Option("--ignore", help="Skip these codes or prefixes.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--output-format", help="How findings are printed.")]
StdinNameOpt = Annotated[
    str, typer.Option("--stdin-filename", help="The name to report for `-`; a `.py` name reads Python.")
]


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"kfp-migrate: error: {message}\n")
    return typer.Exit(EXIT_ERROR)


def _options(select_: list[str] | None, ignore: list[str] | None, **kwargs: bool) -> Options:
    try:
        rules = select(_split(select_), _split(ignore))
    except UnknownCodeError as error:
        raise _fail(str(error)) from None
    return Options(rules=rules, **kwargs)


def _execute(
    paths: list[str], options: Options, output_format: OutputFormat, diff: bool = False, stdin_name: str = "-"
) -> int:
    if "-" in paths:
        if len(paths) > 1:
            raise _fail("`-` (standard input) cannot be combined with other paths")
        report, fixed_text = check_stdin_text(sys.stdin.buffer.read(), options, stdin_name)
        reports = [report]
        if options.fix and not diff:
            sys.stdout.write(fixed_text)
            sys.stderr.write(text_report(reports, True, options.unsafe))
            return EXIT_FINDINGS if report.findings else EXIT_CLEAN
    else:
        missing = [p for p in paths if not Path(p).exists() and not Path(p).is_symlink()]
        if missing:
            raise _fail(f"{missing[0]}: no such file or directory")
        reports = run(list(discover(Path(p) for p in paths)), options)
    if diff:
        changes = [unified_diff(report) for report in reports if report.fixed is not None]
        sys.stdout.write("".join(changes))
        sys.stderr.write(
            text_report(reports, True, options.unsafe, show_fixes=False, dry_run=True).splitlines()[-1] + "\n"
        )
        return EXIT_FINDINGS if changes else EXIT_CLEAN
    if output_format is OutputFormat.json:
        sys.stdout.write(json_report(reports))
    else:
        sys.stdout.write(text_report(reports, options.fix, options.unsafe))
    return EXIT_FINDINGS if any(report.findings for report in reports) else EXIT_CLEAN


@app.command()
def check(
    paths: PathsArg,
    select_: SelectOpt = None,
    ignore: IgnoreOpt = None,
    output_format: FormatOpt = OutputFormat.text,
    stdin_filename: StdinNameOpt = "-",
) -> None:
    """Report what kfp 2 will reject or treat differently. Writes nothing."""
    options = _options(select_, ignore)
    raise typer.Exit(_execute(paths, options, output_format, stdin_name=stdin_filename))


@app.command()
def fix(
    paths: PathsArg,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Also apply fixes that need a human's judgement.")
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print the changes as a diff; write nothing.")] = False,
    select_: SelectOpt = None,
    ignore: IgnoreOpt = None,
    output_format: FormatOpt = OutputFormat.text,
    stdin_filename: StdinNameOpt = "-",
) -> None:
    """Apply fixes in place (atomically), then report what is left."""
    options = _options(select_, ignore, fix=True, unsafe=unsafe_fixes, write=not diff)
    raise typer.Exit(_execute(paths, options, output_format, diff=diff, stdin_name=stdin_filename))


@app.command("rules")
def list_rules(output_format: FormatOpt = OutputFormat.text) -> None:
    """List every rule: code, name, what kfp 2 does, fix, summary."""
    if output_format is OutputFormat.json:
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.value,
                "fix": r.fix_safety.value,
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
    try:
        app()
    except SystemExit:
        raise
    except Exception as error:
        sys.stderr.write(f"kfp-migrate: internal error: {type(error).__name__}: {error}\n")
        sys.exit(EXIT_ERROR)
