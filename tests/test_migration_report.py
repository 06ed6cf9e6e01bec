"""The migration report, built from real engine runs (a check, a dry-run `fix`, a dry-run `fix --unsafe-fixes`)
over a small repository made of fixtures: the numbers are asserted exactly, the Markdown read back line by line,
the HTML parsed with html.parser."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from migrate.formats._shared import DOCS_URL
from migrate.migration_report import (
    FileSection,
    MigrationReport,
    build_report,
    headline,
    percentage,
    to_html,
    to_markdown,
)
from migrate.model import Finding, Severity
from migrate.registry import select
from migrate.runner import FileReport, Options, discover, run

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RULES = select()
ODD_DIR = "odd <b>&\"quote'"
# Where each fixture goes in the repository the report is about.
COPIES = {
    "components/echo/component.yaml": "KFP101/block_style_mapping.in.yaml",  # KFP101, a safe fix
    "components/cat/component.yaml": "KFP104/flow_style_command.in.yaml",  # KFP104, an unsafe fix
    "components/probe/component.yaml": "KFP140/flow_probe_y25.in.yaml",  # a `change` with an unsafe fix
    "components/split/component.yaml": "KFP108/v1_only_type_names.in.yaml",  # `change`s that stay, KFP145 safe
    f"components/{ODD_DIR}/uri.yaml": "KFP105/integer_input_uri.in.yaml",  # an error no fix repairs
    "components/clean/component.yaml": "KFP101/block_style_mapping.out.yaml",  # nothing to report
    "pipelines/greeting.py": "KFP201/untyped_parameters.in.py",  # KFP201 x7, KFP202 x2, all safe
}


@dataclass
class Runs:
    root: Path
    before: list[FileReport]
    after_safe: list[FileReport]
    after_unsafe: list[FileReport]
    report: MigrationReport = field(init=False)

    def __post_init__(self) -> None:
        self.report = build_report(self.before, self.after_safe, self.after_unsafe, root=str(self.root))


def _build(root: Path) -> None:
    for target, source in COPIES.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / source, root / target)
    # Clean kfp 2 code; its old-style escape makes `ast` warn, which pytest turns into an error.
    (root / "pipelines/clean_v2.py").write_text(
        'import re\n\nfrom kfp import dsl\n\nPATTERN = re.compile("\\d+")\n\n\n'
        "@dsl.component\ndef add(a: int, b: int) -> int:\n    return a + b\n"
    )
    (root / "components/broken.yaml").write_text("name: Broken\ninputs: [\nimplementation:\n  container: {}\n")
    # A symlink is checked but never written: its fix run reports KFP006, a finding only the fix brings.
    (root / "components/link.yaml").symlink_to("echo/component.yaml")
    # The runner passes these on (they mention `kfp` / `implementation`), yet they are not KFP code.
    (root / "pipelines/unrelated.py").write_text('import os\n\nprint("kfp is mentioned, never imported", os.sep)\n')
    (root / "settings.yaml").write_text("# implementation notes\nretries: 3\n")
    (root / "notes.yaml").write_text("name: not looked at\n")
    (root / "README.md").write_text("# a repository\n")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("repository")
    _build(root)
    candidates = list(discover([root]))
    before = run(candidates, Options(rules=RULES, jobs=1))
    after_safe = run(candidates, Options(rules=RULES, fix=True, write=False, jobs=1))
    after_unsafe = run(candidates, Options(rules=RULES, fix=True, unsafe=True, write=False, jobs=1))
    return Runs(root, before, after_safe, after_unsafe)


def _section(report: MigrationReport, path: str) -> FileSection:
    return next(s for s in report.files if s.path == path)


def _codes(findings: tuple[Finding, ...]) -> Counter[str]:
    return Counter(f.code for f in findings)


def test_nothing_was_written(runs: Runs) -> None:
    for target, source in COPIES.items():
        assert (runs.root / target).read_bytes() == (FIXTURES / source).read_bytes()


def test_only_kfp_files_count(runs: Runs) -> None:
    report = runs.report
    assert report.total == 10
    assert report.other_files == 2  # pipelines/unrelated.py and settings.yaml
    assert sorted(s.path for s in report.files if s.kind == "python") == [
        "pipelines/clean_v2.py",
        "pipelines/greeting.py",
    ]
    assert [s.path for s in report.files if s.unreadable] == ["components/broken.yaml"]


def test_readiness_at_each_stage(runs: Runs) -> None:
    now, after_fix, after_unsafe = runs.report.stages
    # Now: only the files with no error (probe and split have `change`s only, the clean ones nothing).
    assert (now.ready, now.ready_with_changes) == (4, 2)
    # `fix` repairs echo and greeting; cat needs --unsafe-fixes; link.yaml is a symlink, never written.
    assert (after_fix.ready, after_fix.ready_with_changes) == (6, 2)
    # --unsafe-fixes repairs cat and probe's fileOutputs; split keeps its unknown type names.
    assert (after_unsafe.ready, after_unsafe.ready_with_changes) == (7, 1)
    assert now.findings == Counter({Severity.ERROR: 14, Severity.CHANGE: 5, Severity.INFO: 1})
    assert after_fix.findings == Counter({Severity.ERROR: 5, Severity.CHANGE: 5})
    assert after_unsafe.findings == Counter({Severity.ERROR: 4, Severity.CHANGE: 3})


def test_what_each_file_gets(runs: Runs) -> None:
    report = runs.report
    echo = _section(report, "components/echo/component.yaml")
    assert (_codes(echo.fixed), echo.fixed_unsafe, echo.remaining) == (Counter({"KFP101": 1}), (), ())
    assert echo.ready == (False, True, True)
    cat = _section(report, "components/cat/component.yaml")
    assert (cat.fixed, _codes(cat.fixed_unsafe), cat.remaining) == ((), Counter({"KFP104": 1}), ())
    assert cat.ready == (False, False, True)
    greeting = _section(report, "pipelines/greeting.py")
    assert _codes(greeting.fixed) == Counter({"KFP201": 7, "KFP202": 2})
    assert greeting.applied == (9, 9)
    split = _section(report, "components/split/component.yaml")
    assert _codes(split.fixed) == Counter({"KFP145": 1})
    assert _codes(split.fixed_unsafe) == Counter({"KFP108": 1})
    # The rename changes one KFP108 message: matched by code, it stays one finding, not one fixed and one new.
    assert _codes(split.remaining) == Counter({"KFP108": 3}) and split.introduced == ()
    assert [f.line for f in split.remaining] == [3, 5, 6]  # lines in the file as it is now
    assert split.ready == (True, True, True) and split.changes == (True, True, True)
    uri = _section(report, f"components/{ODD_DIR}/uri.yaml")
    assert (uri.fixed, uri.fixed_unsafe, _codes(uri.remaining)) == ((), (), Counter({"KFP105": 1}))
    link = _section(report, "components/link.yaml")
    assert _codes(link.remaining) == Counter({"KFP101": 1})
    assert _codes(link.introduced) == Counter({"KFP006": 1})
    assert link.ready == (False, False, False)
    clean = _section(report, "components/clean/component.yaml")
    assert (clean.found, clean.ready) == (0, (True, True, True))


def test_findings_by_rule_add_up(runs: Runs) -> None:
    rows = {row.code: row for row in runs.report.rules}
    found = Counter(f.code for r in runs.before for f in r.findings)
    assert {code: row.found for code, row in rows.items() if row.found} == dict(found)
    assert (rows["KFP201"].found, rows["KFP201"].fixed) == (7, 7)
    assert (rows["KFP104"].fixed, rows["KFP104"].fixed_unsafe) == (0, 1)
    assert (rows["KFP108"].found, rows["KFP108"].fixed_unsafe, rows["KFP108"].remaining) == (4, 1, 3)
    assert (rows["KFP006"].found, rows["KFP006"].introduced) == (0, 1)
    assert [row.code for row in runs.report.rules][:2] == ["KFP201", "KFP108"]  # most findings first


def test_files_needing_a_human_come_first(runs: Runs) -> None:
    assert [s.path for s in runs.report.files] == [
        "components/broken.yaml",
        "components/link.yaml",
        f"components/{ODD_DIR}/uri.yaml",
        "components/split/component.yaml",
        "components/cat/component.yaml",
        "components/echo/component.yaml",
        "components/probe/component.yaml",
        "pipelines/greeting.py",
        "components/clean/component.yaml",
        "pipelines/clean_v2.py",
    ]


def test_markdown(runs: Runs) -> None:
    text = to_markdown(runs.report)
    lines = text.splitlines()
    assert lines[0] == f"# kfp 2 migration report: `{runs.root}`"
    assert lines[2] == (
        "**Ready for kfp 2: 40.0% (4 of 10) now, 60.0% (6 of 10) after `kfp-migrate fix`, "
        "70.0% (7 of 10) after `kfp-migrate fix --unsafe-fixes`.**"
    )
    assert "| ready for kfp 2 | 40.0% (4 of 10) | 60.0% (6 of 10) | 70.0% (7 of 10) |" in lines
    assert "| of which with silent behaviour changes to review | 2 | 2 | 1 |" in lines
    assert "| not ready: an error left | 6 | 4 | 3 |" in lines
    assert "| findings left: errors / changes / info | 20: 14 / 5 / 1 | 10: 5 / 5 / 0 | 7: 4 / 3 / 0 |" in lines
    kfp104 = f"[KFP104]({DOCS_URL}#parameter-input-by-path-kfp104)"
    assert f"| {kfp104} | parameter-input-by-path | error | unsafe | 1 | 0 | 1 | 0 | 0 |" in lines
    assert "found 10 KFP files: 8 v1 component YAML files and 2 Python modules importing kfp" in text
    assert "2 other files mention `kfp` or `implementation`" in text
    headings = [line for line in lines if line.startswith("#### ")]
    assert headings == [f"#### `{s.path}`" for s in runs.report.files if s.found or s.introduced]
    assert "- `components/clean/component.yaml`" in lines  # listed under "Nothing found"
    uri = lines.index(f"#### `components/{ODD_DIR}/uri.yaml`")
    assert lines[uri + 4] == "- Needs a human (1):"
    assert lines[uri + 5].startswith(
        f"  - line 8: [KFP105]({DOCS_URL}#parameter-input-by-uri-kfp105) parameter-input-by-uri: Input `a` has "
    )
    assert lines[uri + 5].endswith("*Why:* kfp 2 rejects this.")
    assert "- `fix` resolves 9: KFP201 x7, KFP202 x2." in lines
    assert "- Found only once fixed (1; lines in the fixed file):" in lines
    assert "- `fix --unsafe-fixes` also resolves 1; review each change:" in lines


class _Page(HTMLParser):
    """What the tests read from the page: links, elements, the SVG's bars, the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.links: list[str] = []
        self.bars: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        values = dict(attrs)
        self.links += [value for name, value in attrs if name in ("href", "src", "xlink:href") and value]
        if tag == "g" and values.get("class") == "bar":
            self.bars.append(values.get("data-code") or "")
        if tag not in ("meta", "br", "img", "input", "link"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.open == []
    return parser


def test_html_is_one_self_contained_page(runs: Runs) -> None:
    page = to_html(runs.report)
    parsed = _parse(page)
    assert parsed.tags["script"] == 0 and parsed.tags["link"] == 0 and parsed.tags["img"] == 0
    assert parsed.tags["style"] == 1 and parsed.tags["svg"] == 1
    external = [link for link in parsed.links if not link.startswith("#")]
    assert external and all(link.startswith(DOCS_URL + "#") for link in external)
    assert "@import" not in page and "url(" not in page
    codes = {f.code for r in (*runs.before, *runs.after_safe, *runs.after_unsafe) for f in r.findings}
    assert len(codes) == 10
    assert sorted(parsed.bars) == sorted(codes)  # one bar per rule, those found only once fixed included


def test_html_escapes_paths_and_shows_the_same_numbers(runs: Runs) -> None:
    page = to_html(runs.report)
    text = " ".join(" ".join(_parse(page).text).split())
    assert f"components/{ODD_DIR}/uri.yaml" in text  # read back intact once unescaped
    assert ODD_DIR not in page and "odd &lt;b&gt;&amp;&quot;quote&#x27;" in page
    assert "40.0% (4 of 10)" in text and "60.0% (6 of 10)" in text and "70.0% (7 of 10)" in text
    assert "line 8: KFP105 parameter-input-by-uri: Input a has parameter type Integer" in text


def test_output_does_not_depend_on_run_order(runs: Runs) -> None:
    shuffled = [list(reports) for reports in (runs.before, runs.after_safe, runs.after_unsafe)]
    for reports in shuffled:
        random.Random(5).shuffle(reports)
    again = build_report(*shuffled, root=str(runs.root))
    assert to_markdown(again) == to_markdown(runs.report)
    assert to_html(again) == to_html(runs.report)


def test_without_an_unsafe_run(runs: Runs) -> None:
    report = build_report(runs.before, runs.after_safe, root=str(runs.root))
    assert [(s.ready, s.ready_with_changes) for s in report.stages] == [(4, 2), (6, 2)]
    cat = _section(report, "components/cat/component.yaml")
    assert (cat.fixed_unsafe, _codes(cat.remaining)) == ((), Counter({"KFP104": 1}))
    text = to_markdown(report)
    assert "| ready for kfp 2 | 40.0% (4 of 10) | 60.0% (6 of 10) |" in text.splitlines()
    assert "`fix --unsafe-fixes` was not tried." in text
    assert "*Why:* kfp 2 rejects this. Fixable with `--unsafe-fixes`." in text  # cat's KFP104
    assert _parse(to_html(report)).tags["svg"] == 1


def test_no_kfp_files_is_not_full_readiness(tmp_path: Path) -> None:
    (tmp_path / "unrelated.py").write_text("# kfp, only in a comment\n")
    reports = run(list(discover([tmp_path])), Options(rules=RULES, jobs=1))
    report = build_report(reports, reports, reports, root=str(tmp_path))
    assert (report.total, report.other_files) == (0, 1)
    assert headline(report) == "No KFP files found."
    text = to_markdown(report)
    assert "No KFP files found" in text and "%" not in text
    page = to_html(report)
    assert "No KFP files found" in page and "%" not in page.split("<body>")[1]
    assert _parse(page).tags["svg"] == 0


def test_runs_over_different_files_are_refused(runs: Runs) -> None:
    with pytest.raises(ValueError, match="same files"):
        build_report(runs.before, runs.after_safe[1:], root=str(runs.root))


def test_checked_rules_are_named_when_narrowed(runs: Runs) -> None:
    everything = build_report(runs.before, runs.after_safe, root=str(runs.root), checked=[r.code for r in RULES])
    assert everything.unchecked == ()
    narrowed = build_report(runs.before, runs.after_safe, root=str(runs.root), checked=["KFP101", "KFP104"])
    assert "KFP105" in narrowed.unchecked and "KFP009" not in narrowed.unchecked  # KFP009 is off by default
    assert "left out (KFP001, KFP002," in to_markdown(narrowed)


@pytest.mark.parametrize(
    ("count", "total", "shown"),
    [
        (249, 250, "99.6% (249 of 250)"),
        (1999, 2000, "99.95% (1999 of 2000)"),
        (199999, 200000, "99.999% (199999 of 200000)"),
        (1, 2000, "0.1% (1 of 2000)"),
        (1, 30000, "0.003% (1 of 30000)"),
        (0, 7, "0.0% (0 of 7)"),
        (7, 7, "100.0% (7 of 7)"),
        (1, 3, "33.3% (1 of 3)"),
        (0, 0, "no KFP files found"),
    ],
)
def test_percentage_never_rounds_to_all_or_nothing(count: int, total: int, shown: str) -> None:
    assert percentage(count, total) == shown


def test_messages_cannot_inject_markup(runs: Runs) -> None:
    """The engine's messages keep user text in backticks; text outside them (here made by hand) is escaped too."""
    path = str(runs.root / "components/hand.yaml")
    finding = Finding("KFP105", "a <img src=x> & `<b>` | [link](javascript:x)", path, 2, 1, 2, 1, Severity.ERROR)
    report = FileReport(path, (finding,), text="implementation: {}\n")
    built = build_report([report], [report], root=str(runs.root))
    line = next(line for line in to_markdown(built).splitlines() if line.startswith("  - line 2:"))
    assert "a &lt;img src=x&gt; &amp; `<b>` \\| \\[link\\](javascript:x)." in line
    page = to_html(built)
    assert "a &lt;img src=x&gt; &amp; <code>&lt;b&gt;</code> | [link](javascript:x)." in page
    assert _parse(page).tags["img"] == 0


def test_report_command_writes_both_pages_and_touches_no_scanned_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from migrate.cli import app

    tree = tmp_path / "repo"
    tree.mkdir()
    source = FIXTURES.parent / "examples"
    for path in source.iterdir():
        (tree / path.name).write_bytes(path.read_bytes())
    before = {p.name: p.read_bytes() for p in tree.iterdir()}
    result = CliRunner().invoke(app, ["report", "--output", str(tmp_path / "out"), str(tree)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Ready for kfp 2: 0.0% (0 of 2) now, ")
    assert (tmp_path / "out" / "report.md").read_text().startswith("# kfp 2 migration report")
    assert "<svg" in (tmp_path / "out" / "report.html").read_text()
    assert {p.name: p.read_bytes() for p in tree.iterdir()} == before
