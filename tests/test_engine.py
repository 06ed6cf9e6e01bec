"""The engine and runner keep people's files: bytes outside edits, modes, BOM, CRLF; bad files are reported."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from migrate import callers, processing
from migrate import engine as engine_module
from migrate import runner as runner_module
from migrate.engine import apply_fixes, check_text, fix_text
from migrate.model import Edit, Fix, FixSafety, ImportInsertion, StatementsInsertion
from migrate.registry import all_rules
from migrate.runner import Candidate, Options, discover, run, with_callers
from tests.conftest import FIXTURES

ALL = all_rules()
UNTYPED = "name: t\ninputs:\n- {name: a}  # keep me\nimplementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"
TYPED = UNTYPED.replace("{name: a}", "{name: a, type: String}")


def _fix_file(path: Path, **options: bool) -> list:
    return run([Candidate(path, explicit=True)], Options(rules=ALL, fix=True, **options))


def test_fix_keeps_comments_and_changes_only_the_span() -> None:
    assert fix_text(UNTYPED, "c.yaml", ALL).fixed == TYPED


def test_crlf_and_bom_survive(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + UNTYPED.replace("\n", "\r\n").encode())
    _fix_file(path)
    assert path.read_bytes() == b"\xef\xbb\xbf" + TYPED.replace("\n", "\r\n").encode()


def test_block_style_insert_uses_the_file_newline() -> None:
    text = "name: t\r\ninputs:\r\n- name: a\r\n  description: x\r\nimplementation:\r\n  container:\r\n    image: alpine\r\n    command: [echo, {inputValue: a}]\r\n"
    fixed = fix_text(text, "c.yaml", ALL).fixed
    assert fixed == text.replace("- name: a\r\n", "- name: a\r\n  type: String\r\n")


def test_file_mode_is_kept_and_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(UNTYPED)
    os.chmod(path, 0o640)
    _fix_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == TYPED
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"], "no temporary file is left behind"


def test_fix_twice_equals_fix_once(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(UNTYPED)
    first = _fix_file(path)
    second = _fix_file(path)
    assert first[0].fixed is not None and second[0].fixed is None


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"name: t\nimplementation: {container: {image: a}\n", "KFP002"),
        (b"name: caf\xe9\nimplementation: {container: {image: a}}\n", "KFP001"),
        (b"implementation:\x00\x01\x02", "KFP001"),
        (b"name: !!python/object/apply:os.system [ls]\nimplementation: {container: {image: a}}\n", "KFP003"),
        (
            b"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
            b"implementation: {container: {image: a}}\n",
            "KFP004",
        ),
    ],
    ids=["broken-yaml", "latin-1", "binary", "python-tag", "alias-bomb"],
)
def test_bad_files_are_reported_left_alone_and_do_not_stop_the_run(tmp_path: Path, content: bytes, code: str) -> None:
    bad, good = tmp_path / "a_bad.yaml", tmp_path / "b_good.yaml"
    bad.write_bytes(content)
    good.write_text(UNTYPED)
    reports = run(list(discover([tmp_path])), Options(rules=ALL, fix=True))
    by_path = {Path(r.path).name: r for r in reports}
    assert [f.code for f in by_path["a_bad.yaml"].findings] == [code]
    assert by_path["a_bad.yaml"].findings[0].line >= 1
    assert bad.read_bytes() == content
    assert good.read_text() == TYPED


def test_broken_non_component_yaml_is_skipped_when_walking(tmp_path: Path) -> None:
    (tmp_path / "chart.yaml").write_text("metadata: {{ .Values.name }}\n")
    (tmp_path / "plain.yaml").write_text("just: data\n")
    assert run(list(discover([tmp_path])), Options(rules=ALL)) == []


def test_explicit_broken_file_is_reported_even_if_not_a_component(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: [\n")
    reports = run([Candidate(path, explicit=True)], Options(rules=ALL))
    assert [f.code for f in reports[0].findings] == ["KFP002"]


def test_symlinks_are_checked_but_never_written(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text(UNTYPED)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    reports = _fix_file(link)
    assert "KFP006" in [f.code for f in reports[0].findings]
    assert link.is_symlink() and target.read_text() == UNTYPED


def test_huge_file_is_reported_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as out:
        out.truncate(11 * 1024 * 1024)
    reports = run([Candidate(path, explicit=True)], Options(rules=ALL))
    assert [f.code for f in reports[0].findings] == ["KFP005"]


def test_overlapping_fixes_are_taken_one_at_a_time() -> None:
    first = Fix("a", FixSafety.SAFE, (Edit(0, 3, "xyz"),))
    overlapping = Fix("b", FixSafety.SAFE, (Edit(2, 4, "Q"),))
    later = Fix("c", FixSafety.SAFE, (Edit(5, 5, "!"),))
    assert apply_fixes("abcdefg", [overlapping, later, first]) == ("xyzde!fg", 2)


def _insertion(at: int, joins_as: ImportInsertion | StatementsInsertion) -> Edit:
    return Edit(at, at, joins_as.render(), joins_as)


def test_import_insertions_at_one_place_join_into_their_union() -> None:
    text = "import kfp\nx = 1\n"
    needs_input = _insertion(11, ImportInsertion((("kfp.dsl", "Input"),), "lines"))
    needs_both = _insertion(11, ImportInsertion((("kfp.dsl", "Output"), ("kfp.dsl", "Input"), ("kfp", "dsl")), "lines"))
    a = Fix("a", FixSafety.SAFE, (Edit(15, 16, "2"), needs_input))
    b = Fix("b", FixSafety.SAFE, (needs_both,))
    fixed, count = apply_fixes(text, [a, b])
    assert count == 2
    assert fixed == "import kfp\nfrom kfp import dsl\nfrom kfp.dsl import Input, Output\nx = 2\n"


def test_insertions_of_other_kinds_or_places_still_conflict() -> None:
    imports = _insertion(0, ImportInsertion((("kfp", "dsl"),), "lines"))
    aliases = _insertion(0, ImportInsertion((("kfp", "dsl"),), "aliases"))
    plain = Edit(0, 0, "from kfp import dsl\n")
    assert apply_fixes("", [Fix("a", FixSafety.SAFE, (imports,)), Fix("b", FixSafety.SAFE, (aliases,))])[1] == 1
    assert apply_fixes("", [Fix("a", FixSafety.SAFE, (imports,)), Fix("b", FixSafety.SAFE, (plain,))])[1] == 1


def test_first_statements_join_in_their_order_whichever_fix_comes_first() -> None:
    text = "def f(a, b):\n    pass\n"
    later = _insertion(13, StatementsInsertion(((2, ("    b_path = b.path",)),)))
    earlier = _insertion(13, StatementsInsertion(((1, ("    a_path = a.path", "    import json")),)))
    fixed, _ = apply_fixes(text, [Fix("b", FixSafety.SAFE, (later,)), Fix("a", FixSafety.SAFE, (earlier,))])
    assert fixed == "def f(a, b):\n    a_path = a.path\n    import json\n    b_path = b.path\n    pass\n"


def test_a_fix_is_applied_only_with_every_fix_it_requires() -> None:
    first = Fix("a", FixSafety.SAFE, (Edit(0, 1, "A"),))
    second = Fix("b", FixSafety.SAFE, (Edit(1, 2, "B"),), requires=(first,))
    third = Fix("c", FixSafety.SAFE, (Edit(2, 3, "C"),), requires=(second,))
    assert apply_fixes("abcd", [third, second, first]) == ("ABCd", 3)
    assert apply_fixes("abcd", [third, second]) == ("abcd", 0)
    blocked = Fix("x", FixSafety.SAFE, (Edit(0, 0, "X"),))  # taken first: `first` conflicts, so `second` waits
    assert apply_fixes("abcd", [blocked, first, second]) == ("Xabcd", 1)


def test_an_insertion_beside_a_deletion_does_not_conflict() -> None:
    deletion = Fix("d", FixSafety.SAFE, (Edit(2, 4, ""),))
    after, before = Fix("a", FixSafety.SAFE, (Edit(4, 4, "X"),)), Fix("b", FixSafety.SAFE, (Edit(2, 2, "Y"),))
    assert apply_fixes("abcdef", [deletion, after, before]) == ("abYXef", 3)
    replacing = Fix("r", FixSafety.SAFE, (Edit(2, 4, "Z"),))
    assert apply_fixes("abcdef", [replacing, after])[1] == 1


WAITING = (FIXTURES / "KFP202" / "waits_for_file_parameters.in.py").read_text()


def test_a_factory_and_its_file_parameters_are_fixed_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    passes = []
    real = engine_module.apply_fixes
    monkeypatch.setattr(engine_module, "apply_fixes", lambda text, fixes: passes.append(1) or real(text, fixes))
    outcome = fix_text(WAITING, "m.py", ALL)
    assert outcome.fixed is not None and "create_component_from_func" not in outcome.fixed
    assert len(passes) == 1


def test_a_fix_whose_requirement_is_suppressed_or_not_selected_has_none() -> None:
    maker = next(f for f in check_text(WAITING, "m.py", ALL) if f.code == "KFP202" and f.line == 8)
    assert maker.fix is not None and maker.fix.requires
    suppressed = WAITING.replace("-> int:\n", "-> int:  # noqa: KFP203\n", 1)
    assert suppressed != WAITING
    for text, rules in ((suppressed, ALL), (WAITING, [r for r in ALL if r.code == "KFP202"])):
        again = next(f for f in check_text(text, "m.py", rules) if f.code == "KFP202" and f.line == 8)
        assert again.fix is None


def test_yaml11_scalars_are_read_as_kfp_reads_them() -> None:
    # `on` is a boolean in YAML 1.1 (PyYAML, which kfp uses): an input named on is not a string name.
    text = "name: t\ninputs:\n- {name: a, type: String}\nimplementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"
    assert check_text(text, "c.yaml", ALL) == []


def test_parallel_and_serial_runs_agree(tmp_path: Path) -> None:
    for index in range(40):
        (tmp_path / f"c{index:02}.yaml").write_text(
            UNTYPED.replace("name: a", f"name: a{index}").replace("inputValue: a", f"inputValue: a{index}")
        )
    serial = run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))
    parallel = run(list(discover([tmp_path])), Options(rules=ALL, jobs=2))
    assert [r.findings for r in serial] == [r.findings for r in parallel]


def test_directory_symlinks_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "c.yaml").write_text(UNTYPED)
    (tmp_path / "loop").symlink_to(tmp_path)
    assert [c.path.name for c in discover([tmp_path])] == ["c.yaml"]


COMPONENT_MODULE = (
    "from kfp.components import create_component_from_func\n\n\n"
    "def publish(stage: float) -> str:\n    return str(stage)\n\n\n"
    "publish_op = create_component_from_func(publish, base_image='python:3.11')\n"
)
PIPELINE_MODULE = (
    "from kfp import dsl\n\nfrom comp import publish_op\n\n\n"
    "@dsl.pipeline(name='p')\ndef p():\n    publish_op(stage='price')\n"
)


@pytest.mark.parametrize("write", [True, False])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_module_importing_a_module_fixed_sees_it_fixed(tmp_path: Path, write: bool, jobs: int) -> None:
    """kfp 1 converts `'price'` for a float input; once `fix` makes the component kfp 2's, kfp 2 does not: the
    fix run reports it, as a check after it does (no second run finds more)."""
    (tmp_path / "comp.py").write_text(COMPONENT_MODULE)
    (tmp_path / "pipeline.py").write_text(PIPELINE_MODULE)
    reports = run(list(discover([tmp_path])), Options(rules=ALL, fix=True, write=write, jobs=jobs))
    by_name = {Path(r.path).name: r for r in reports}
    assert [f.code for f in by_name["pipeline.py"].findings] == ["KFP318"]
    assert by_name["comp.py"].fixed is not None and "dsl.component" in by_name["comp.py"].fixed
    assert by_name["comp.py"].applied == 2 and by_name["pipeline.py"].fixed is None
    if write:
        again = run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))
        assert sorted((Path(r.path).name, f.code) for r in again for f in r.findings) == [("pipeline.py", "KFP318")]


def test_fix_takes_a_module_after_the_modules_it_imports_and_each_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "comp.py").write_text(COMPONENT_MODULE)
    (tmp_path / "pipeline.py").write_text(PIPELINE_MODULE)
    (tmp_path / "other.py").write_text("from kfp import dsl\n\nfrom pipeline import p\n")
    order: list[str] = []
    real = processing.process
    monkeypatch.setattr(processing, "process", lambda c, o: order.append(c.path.name) or real(c, o))
    run(list(discover([tmp_path])), Options(rules=ALL, fix=True, jobs=1))
    assert sorted(order) == ["comp.py", "other.py", "pipeline.py"]
    assert order.index("comp.py") < order.index("pipeline.py") < order.index("other.py")


CALLED_COMPONENT = (
    "from kfp.components import InputPath, create_component_from_func\n\n"
    "def show(data_path: InputPath(), times):\n    print(open(data_path).read() * int(times))\n\n"
    "show_op = create_component_from_func(show, base_image='python:3.11')\n"
)


def test_a_check_processes_each_module_once_but_those_other_files_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check makes each module's report along with its cross-file facts, before the other modules' are known.
    A module that other files call is checked again: what they pass decides its findings (here, a URI passed
    to a file input)."""
    (tmp_path / "comps.py").write_text(CALLED_COMPONENT)
    (tmp_path / "pipe.py").write_text(
        "from kfp import dsl\nfrom comps import show_op\n\n@dsl.pipeline(name='p')\n"
        "def p():\n    show_op(data='gs://b/x', times=2)\n"
    )
    (tmp_path / "other.py").write_text("from kfp import dsl\n\nfrom comps import show\n")
    order: list[str] = []
    real = processing.process
    monkeypatch.setattr(processing, "process", lambda c, o: order.append(c.path.name) or real(c, o))
    serial = run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))
    assert sorted(order) == ["comps.py", "comps.py", "other.py", "pipe.py"]
    [uri] = [f for r in serial if r.path.endswith("comps.py") for f in r.findings if f.code == "KFP217"]
    assert "pipe.py" in uri.message
    parallel = run(list(discover([tmp_path])), Options(rules=ALL, jobs=2))
    assert [(r.path, r.findings) for r in parallel] == [(r.path, r.findings) for r in serial]


@pytest.mark.parametrize(
    ("imports", "called"),
    [
        ("import comps", "comps.show_op"),
        ("import steps.comps", "steps.comps.show_op"),
        ("from steps import comps", "comps.show_op"),
        ("from .steps import comps", "comps.show_op"),
    ],
)
def test_a_component_called_through_its_module_sees_what_is_passed(tmp_path: Path, imports: str, called: str) -> None:
    """However the pipeline names the component's module, the URI it passes is seen: KFP217 (a human's call:
    kfp 2 needs `dsl.importer`) instead of a safe rename that would break the pipeline."""
    folder = tmp_path if imports == "import comps" else tmp_path / "steps"
    folder.mkdir(exist_ok=True)
    (folder / "comps.py").write_text(CALLED_COMPONENT)
    if imports.startswith("from ."):
        (tmp_path / "__init__.py").write_text("")
    (tmp_path / "pipe.py").write_text(
        f"{imports}\nfrom kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    {called}('gs://b/x', 2)\n"
    )
    reports = run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))
    [uri] = [f for r in reports if r.path.endswith("comps.py") for f in r.findings if f.code == "KFP217"]
    assert "pipe.py" in uri.message


@pytest.mark.parametrize("where", ["pipe.py", "comps.py"])
def test_a_component_called_under_another_name_sees_what_is_passed(tmp_path: Path, where: str) -> None:
    """`view_op = show_op` makes tasks of the same component: a URI passed to `view_op` is seen."""
    pipeline = "\n@dsl.pipeline(name='p')\ndef p():\n    view_op('gs://b/x', 2)\n"
    component = CALLED_COMPONENT + "\nlater_op = show_op\nview_op = later_op\n"
    if where == "comps.py":
        component = "from kfp import dsl\n" + component + pipeline
    else:
        (tmp_path / "pipe.py").write_text("from kfp import dsl\nfrom comps import view_op\n" + pipeline)
    (tmp_path / "comps.py").write_text(component)
    reports = run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))
    [uri] = [f for r in reports if r.path.endswith("comps.py") for f in r.findings if f.code == "KFP217"]
    assert where in uri.message or where == "comps.py"


@pytest.mark.parametrize(
    ("imports", "called"),
    [("from comps import show_op", "show_op"), ("import comps", "comps.show_op"), ("from comps import view", "view")],
)
def test_a_component_a_package_imports_for_its_callers_sees_what_is_passed(
    tmp_path: Path, imports: str, called: str
) -> None:
    """comps/__init__.py (no kfp in it) imports the component from comps/steps/__init__.py, which imports it
    from comps/steps/lib.py: the URI the pipeline passes reaches the file that defines it."""
    (tmp_path / "comps" / "steps").mkdir(parents=True)
    (tmp_path / "comps" / "__init__.py").write_text("from .steps import show_op\nfrom .steps import show_op as view\n")
    (tmp_path / "comps" / "steps" / "__init__.py").write_text("from .lib import *  # noqa\nfrom .lib import show_op\n")
    (tmp_path / "comps" / "steps" / "lib.py").write_text(CALLED_COMPONENT)
    (tmp_path / "pipe.py").write_text(
        f"{imports}\nfrom kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    {called}('gs://b/x', 2)\n"
    )
    for jobs in (1, 2):
        reports = run(list(discover([tmp_path])), Options(rules=ALL, jobs=jobs))
        [uri] = [f for r in reports if r.path.endswith("lib.py") for f in r.findings if f.code == "KFP217"]
        assert "pipe.py" in uri.message


def test_a_component_a_pipeline_imports_in_its_body_sees_what_is_passed(tmp_path: Path) -> None:
    (tmp_path / "comps.py").write_text(CALLED_COMPONENT)
    (tmp_path / "pipe.py").write_text(
        "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    from comps import show_op\n    show_op('gs://b/x', 2)\n"
    )
    reports = run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))
    [uri] = [f for r in reports if r.path.endswith("comps.py") for f in r.findings if f.code == "KFP217"]
    assert "pipe.py" in uri.message


def test_a_module_whose_other_names_are_called_elsewhere_is_checked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What other files pass decides findings only through the components' call arguments: calls to a helper
    the module also defines leave its report as it was made."""
    (tmp_path / "comps.py").write_text(CALLED_COMPONENT + "\n\ndef helper(path):\n    return path\n")
    (tmp_path / "pipe.py").write_text(
        "from kfp import dsl\nfrom comps import helper\n\n@dsl.pipeline(name='p')\ndef p():\n    helper('gs://b/x')\n"
    )
    order: list[str] = []
    real = processing.process
    monkeypatch.setattr(processing, "process", lambda c, o: order.append(c.path.name) or real(c, o))
    reports = run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))
    assert sorted(order) == ["comps.py", "pipe.py"]
    [facts] = [r for r in reports if r.path.endswith("comps.py")]
    assert "KFP217" not in {f.code for f in facts.findings}  # (what a URI passed to `show_op` would give)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_checks_progress_counts_each_file_once_and_ends_at_its_total(tmp_path: Path, jobs: int) -> None:
    from migrate.cache import Cache

    project = tmp_path / "project"
    project.mkdir()
    (project / "comps.py").write_text(CALLED_COMPONENT)  # checked again: pipe.py calls it
    (project / "pipe.py").write_text("from kfp import dsl\nfrom comps import show_op\n\nshow_op('gs://b/x', 2)\n")
    (project / "plain.py").write_text("import os\n")
    for i in range(20):
        (project / f"c{i}.yaml").write_text(UNTYPED)
    calls: list[tuple[int, int]] = []
    cache = Cache.open(tmp_path / "cache", "key")
    run(list(discover([project])), Options(rules=ALL, jobs=jobs), cache, progress=lambda *a: calls.append(a))
    assert calls == [(done, 23) for done in range(1, 24)]
    calls.clear()  # again, the cache answering every file: the YAML files before the total, the modules in it
    cache = Cache.open(tmp_path / "cache", "key")
    run(list(discover([project])), Options(rules=ALL, jobs=jobs), cache, progress=lambda *a: calls.append(a))
    assert calls == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize("named_first", [False, True])
def test_a_module_both_named_and_found_is_checked_as_each(tmp_path: Path, named_first: bool) -> None:
    """`check d d/a.py`: one file, two candidates; only the named one reports a module that imports no kfp."""
    module = tmp_path / "a.py"
    module.write_text("# mentions kfp\nx = (\n")
    walked, named = Candidate(module, explicit=False), Candidate(module, explicit=True)
    calls: list[tuple[int, int]] = []
    reports = run(
        [named, walked] if named_first else [walked, named],
        Options(codes=("KFP008",), jobs=1),
        progress=lambda *a: calls.append(a),
    )
    assert [f.code for r in reports for f in r.findings] == ["KFP008"]
    assert calls == [(1, 2), (2, 2)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_module_also_given_as_context_counts_once(tmp_path: Path, jobs: int) -> None:
    (tmp_path / "a.py").write_text("import kfp\nfrom kfp import dsl\n")
    candidates = [Candidate(tmp_path / "a.py", explicit=False), Candidate(tmp_path / "b.yaml", explicit=False)]
    (tmp_path / "b.yaml").write_text(UNTYPED)
    calls: list[tuple[int, int]] = []
    run(candidates, Options(rules=ALL, jobs=jobs), progress=lambda *a: calls.append(a), context=[tmp_path / "a.py"])
    assert calls == [(1, 2), (2, 2)]


def test_a_module_whose_facts_cannot_be_collected_is_still_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "comps.py").write_text(CALLED_COMPONENT)
    (tmp_path / "other.py").write_text(CALLED_COMPONENT.replace("show", "view"))
    real = callers.facts

    def facts(text: str, path: str, run: str | None = None) -> object:
        if path.endswith("comps.py"):
            raise RecursionError
        return real(text, path, run)

    monkeypatch.setattr(callers, "facts", facts)
    reports = {Path(r.path).name: r for r in run(list(discover([tmp_path])), Options(rules=ALL, jobs=1))}
    assert {f.code for f in reports["comps.py"].findings} == {f.code for f in reports["other.py"].findings}
    assert "KFP202" in {f.code for f in reports["comps.py"].findings}


def test_modules_importing_each_other_share_the_last_wave(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / f"{name}.py").write_text(f"import kfp\n\nfrom {other} import x\n")
    (tmp_path / "c.py").write_text("import kfp\n\nfrom a import x\n")
    candidates = with_callers(list(discover([tmp_path])), Options(rules=ALL, fix=True, jobs=1))
    waves = [sorted(candidates[i].path.name for i in wave) for wave in runner_module._waves(candidates)]
    assert waves == [["a.py", "b.py", "c.py"]]  # (no order among them: the round after the waves re-checks)
