"""Cross-file facts: what a module imports, loads and passes to names from other scanned files.

`facts` skips walking what cannot matter (expressions, when no loader can be called; modules that call nothing
a scanned file defines). Each case here is one that must not be skipped, checked for its content and against
`collect` and `dependencies` walking the whole tree.
"""

from __future__ import annotations

import ast
import os
import textwrap
from pathlib import Path

import pytest

from migrate import callers

COMPONENT = "name: train\ninputs:\n- {name: data}\nimplementation:\n  container: {image: busybox}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "helpers.py").write_text("def train(data, epochs=1):\n    return data\n")
    (tmp_path / "train.yaml").write_text(COMPONENT)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "steps.py").write_text("def step(data):\n    return data\n")
    return tmp_path


def facts_of(folder: Path, source: str, name: str = "pipeline.py") -> callers.Facts:
    """`facts` for a module written at folder/name, checked against the walk that skips nothing."""
    path = folder / name
    text = textwrap.dedent(source)
    path.write_text(text)
    found = callers.facts(text, str(path))
    whole = ast.parse(text)
    assert found.calls == callers.collect(whole, str(path))
    assert found.dependencies == tuple(callers.dependencies(whole, str(path)))
    return found


def test_an_import_inside_a_function_is_a_dependency(project: Path) -> None:
    found = facts_of(
        project,
        """
        import os

        def pipeline():
            from helpers import train
            return train
        """,
    )
    assert found.dependencies == (("py:helpers", (project / "helpers.py").resolve()),)


def test_a_relative_import_inside_a_function_is_a_dependency(project: Path) -> None:
    found = facts_of(
        project,
        """
        def pipeline():
            try:
                from .steps import step
            except ImportError:
                from steps import step
            return step
        """,
        "pkg/pipeline.py",
    )
    steps = (project / "pkg" / "steps.py").resolve()
    assert found.dependencies == (("py:.steps", steps), ("py:steps", steps))


@pytest.mark.parametrize(
    ("imports", "call", "name"),
    [
        ("from . import steps", "steps.step", "pkg/pipeline.py"),
        ("from . import steps as s", "s.step", "pkg/pipeline.py"),
        ("from pkg import steps", "steps.step", "pipeline.py"),
        ("import pkg.steps", "pkg.steps.step", "pipeline.py"),
        ("import pkg.steps as s", "s.step", "pipeline.py"),
    ],
)
def test_calls_through_a_module_of_a_package_are_collected(project: Path, imports: str, call: str, name: str) -> None:
    """`from pkg import steps` binds the module pkg/steps.py (`pkg` itself names no function `step`)."""
    (project / "pkg" / "__init__.py").unlink()  # a namespace package: nothing but the module names a file
    found = facts_of(project, f"{imports}\n\ndef pipeline():\n    {call}(data='gs://bucket/data')\n", name)
    steps = str((project / "pkg" / "steps.py").resolve())
    assert [(file, arg.symbol, arg.kind) for file, arg in found.calls.targets] == [(steps, "step", "URI")]
    assert not callers._imports_no_scanned_file(imports + "\n", str(project / name))


def test_a_name_imported_from_a_package_is_not_taken_for_its_module(project: Path) -> None:
    found = facts_of(project, "from pkg import steps\n\ndef pipeline():\n    steps(data='x')\n")
    init = str((project / "pkg" / "__init__.py").resolve())
    assert [(file, arg.symbol) for file, arg in found.calls.targets] == [(init, "steps")]  # what pkg binds


@pytest.mark.parametrize(
    "call",
    [
        "load_component_from_file('train.yaml')",
        "kfp.components.load_component_from_file('train.yaml')",
        "comp.load_component_from_file(os.path.join(os.path.dirname(__file__), 'train.yaml'))",
        # NFKC folds U+FF4C, a fullwidth l, into `l`: the name Python sees is the loader's.
        "\uff4coad_component_from_file('train.yaml')",
    ],
)
def test_a_loader_call_anywhere_is_a_dependency(project: Path, call: str) -> None:
    found = facts_of(
        project,
        f"""
        import os
        import kfp
        from kfp import components as comp

        def pipeline():
            if True:
                task = {call}
        """,
    )
    assert found.dependencies == (("yaml:train.yaml", (project / "train.yaml").resolve()),)


def test_dependencies_keep_the_order_of_the_whole_walk(project: Path) -> None:
    (project / "other.py").write_text("")
    found = facts_of(
        project,
        """
        from kfp.components import load_component_from_file

        def pipeline():
            try:
                pass
            except ValueError:
                from other import x
            load_component_from_file('train.yaml')

        from helpers import train
        """,
    )
    assert [key for key, _ in found.dependencies] == ["py:helpers", "yaml:train.yaml", "py:other"]


def test_calls_to_names_from_scanned_files_are_collected(project: Path) -> None:
    found = facts_of(
        project,
        """
        from typing import NamedTuple
        from helpers import train
        import pkg.steps as steps

        def pipeline(n: int, path='gs://bucket'):
            NamedTuple('Outputs', [])
            def inner():
                train('gs://bucket/data', epochs=n)
            steps.step(data=path)
        """,
    )
    helpers, steps = str((project / "helpers.py").resolve()), str((project / "pkg" / "steps.py").resolve())
    caller = str(project / "pipeline.py")
    assert [
        (file, arg.symbol, arg.keyword, arg.position, arg.kind, arg.value_type) for file, arg in found.calls.targets
    ] == [
        (steps, "step", "data", None, "PARAMETER", "str"),  # in `pipeline`, which walks `inner` after its own calls
        (helpers, "train", None, 0, "URI", "str"),
        (helpers, "train", "epochs", None, "PARAMETER", "int"),
        (helpers, "train", None, 0, "URI", "str"),  # again, from `inner`
        (helpers, "train", "epochs", None, "OTHER", None),  # `n` is not `inner`'s parameter
    ]
    assert {arg.caller for _, arg in found.calls.targets} == {caller}


def test_calls_through_a_plainly_imported_module_are_collected(project: Path) -> None:
    """`import helpers` binds the module: `helpers.train(...)` calls into it, as `pkg.steps.step(...)` calls
    into pkg/steps.py after `import pkg.steps`."""
    found = facts_of(
        project,
        """
        import helpers
        import pkg.steps

        def pipeline():
            helpers.train('gs://bucket/data')
            pkg.steps.step(data='x')
            pkg.step(data='x')
        """,
    )
    helpers = str((project / "helpers.py").resolve())
    steps = str((project / "pkg" / "steps.py").resolve())
    assert [(file, arg.symbol, arg.kind) for file, arg in found.calls.targets] == [
        (helpers, "train", "URI"),
        (steps, "step", "CONSTANT"),
    ]


@pytest.mark.parametrize(
    ("imports", "calls_helpers"),
    [
        ("from missing import train\nfrom helpers import train", True),
        ("from helpers import train\nfrom missing import train", False),  # the later import is the one called
    ],
)
def test_the_last_import_of_a_name_decides(project: Path, imports: str, calls_helpers: bool) -> None:
    found = facts_of(project, f"{imports}\n\ndef pipeline():\n    train(data='x')\n")
    assert bool(found.calls.targets) is calls_helpers


def test_a_module_linked_into_a_folder_resolves_from_where_it_points(project: Path) -> None:
    (project / "elsewhere").mkdir()
    text = "from helpers import train\n\ndef pipeline():\n    train(data='x')\n"
    (project / "pipeline.py").write_text(text)
    os.symlink(project / "pipeline.py", project / "elsewhere" / "pipeline.py")
    found = callers.facts(text, str(project / "elsewhere" / "pipeline.py"))
    assert found.dependencies == (("py:helpers", (project / "helpers.py").resolve()),)


def test_probes_are_each_file_once_in_the_order_looked_at(project: Path) -> None:
    found = facts_of(
        project,
        """
        from helpers import train
        from missing import thing

        def pipeline():
            from helpers import train
        """,
    )
    here = project.resolve()
    folders = [here, *here.parents][:8]  # an absolute import may name a file in any folder above
    looked_at: list[tuple[str, bool]] = []
    for module in ("helpers", "helpers/train", "missing", "missing/thing"):  # a name may be a module too
        for folder in folders:
            if "/" in module:  # a module of a package: the package's folder first, then its files
                package = os.path.join(folder / module.split("/")[0], "")
                looked_at.append((package, os.path.isdir(package)))
                if not os.path.isdir(package):
                    continue
            looked_at += [
                (p, os.path.isfile(p)) for p in (str(folder / f"{module}.py"), str(folder / module / "__init__.py"))
            ]
    assert found.probes == tuple(looked_at)
    assert (str(here / "helpers.py"), True) in found.probes and (str(here / "missing.py"), False) in found.probes
    assert found.still_valid()
    (project / "missing").mkdir()  # a folder where there was none: `missing.thing` may now be a module
    assert not found.still_valid()
    (project / "missing").rmdir()
    assert found.still_valid()
    (project / "missing.py").write_text("")
    assert not found.still_valid()


def test_a_module_that_does_not_parse_has_no_facts(project: Path) -> None:
    assert callers.facts("def (:\n", str(project / "broken.py")) == callers.Facts(callers.ForeignCalls(()), (), ())


def test_statements_are_walked_in_the_order_of_the_whole_walk() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            import a
            class C:
                def f(self):
                    try:
                        import b
                    except E:
                        def g(): pass
                    finally:
                        x = 1
            match y:
                case 1:
                    from c import d
                case _:
                    pass
            while z:
                pass
            else:
                async def h():
                    async with w:
                        pass
            """
        )
    )
    kinds = (ast.Module, ast.stmt, ast.excepthandler, ast.match_case)
    assert callers._Nodes(tree).statements == [node for node in ast.walk(tree) if isinstance(node, kinds)]
    assert callers._Nodes(tree).every == list(ast.walk(tree))


def test_a_module_importing_no_scanned_file_is_not_parsed(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "from kfp import dsl\nfrom typing import NamedTuple\nimport json as j, os\n\n\ndef f():\n    from . import x\n"
    )
    monkeypatch.setattr(callers, "_parse", lambda text: pytest.fail("parsed"))
    assert callers.facts(text, str(project / "pipeline.py")).calls == callers.ForeignCalls(())


@pytest.mark.parametrize(
    "source",
    [
        "from helpers import train\n",
        "import helpers as h\n",
        "import helpers\n",
        "import json, helpers\n",
        "import helpers\tas\th\n",
        "x = 1; from helpers import train\n",
        "from .import steps\n",
        "# we import this from helpers\nfrom helpers import train\n",
        "from helpers \\\n    import train\n",
        "import helpers as h  # a comment after it\n",
        "op = load_component_from_file('train.yaml')\n",
    ],
)
def test_a_module_that_may_import_a_scanned_file_is_parsed(project: Path, source: str) -> None:
    path = project / "pkg" / "mod.py" if "from ." in source else project / "pipeline.py"
    assert not callers._imports_no_scanned_file(source, str(path))
    facts_of(path.parent, source, path.name)


def test_facts_of_one_run_share_their_existence_checks(project: Path) -> None:
    """Within a run no module a run's facts look for appears (the facts are gathered before anything is
    written): each place is checked once for all modules. A new run checks again."""
    source = "from steps_later import train\n\ndef pipeline():\n    train(data='x')\n"
    path = str(project / "pipeline.py")
    run = callers.run_token()
    assert callers.facts(source, path, run).calls.targets == ()
    (project / "steps_later.py").write_text("def train(data):\n    return data\n")
    assert callers.facts(source, path, run).calls.targets == ()  # as this run found it
    assert len(callers.facts(source, path, callers.run_token()).calls.targets) == 1
    assert len(callers.facts(source, path).calls.targets) == 1  # no run: nothing shared


def test_calls_follow_names_a_module_imports_from_another(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from b import train\nfrom c import other as train_too\n")
    (tmp_path / "b.py").write_text("from a import train  # each imports from the other: followed, not forever\n")
    (tmp_path / "c.py").write_text("def other(data):\n    return data\n")
    (tmp_path / "d.py").write_text("def train(data):\n    return data\nfrom c import other as train\n")
    a, b, c, d = (str((tmp_path / name).resolve()) for name in ("a.py", "b.py", "c.py", "d.py"))
    arg = callers.ForeignArg("train_too", "data", None, "URI", "str", "pipe.py")
    cycling = callers.ForeignArg("train", "data", None, "URI", "str", "pipe.py")
    defined = callers.ForeignArg("train", None, 0, "CONSTANT", "int", "pipe.py")
    found = callers.through_reexports({a: (arg, cycling), d: (defined,)}, lambda file: Path(file).read_text())
    assert found[c] == (callers.ForeignArg("other", "data", None, "URI", "str", "pipe.py"),)
    assert found[a] == (arg, cycling) and found[b] == (cycling,)
    assert found[d] == (defined,)  # d defines `train` itself: not followed


@pytest.mark.parametrize(
    "init",
    [
        "from .lib import train as run_it\n",
        "from .lib import (\n    other,  # a comment\n    train as run_it,\n)\n",
        "from .lib import *\n",
        "from .missing import run_it\nfrom .lib import train as run_it\n",
    ],
)
def test_names_a_package_imports_are_read_from_its_import_lines(tmp_path: Path, init: str) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(init)
    (tmp_path / "pkg" / "lib.py").write_text(
        "def train(data):\n    return data\n\ndef run_it(data):\n    return data\n"
    )
    init_path, lib = (str((tmp_path / "pkg" / name).resolve()) for name in ("__init__.py", "lib.py"))
    arg = callers.ForeignArg("run_it", "data", None, "URI", "str", "pipe.py")
    found = callers.through_reexports({init_path: (arg,)}, lambda file: Path(file).read_text())
    symbol = "run_it" if "*" in init else "train"
    assert found[lib] == (callers.ForeignArg(symbol, "data", None, "URI", "str", "pipe.py"),)


def test_a_later_import_that_names_no_file_hides_the_earlier_one(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("def train(data):\n    return data\n")
    (tmp_path / "mod.py").write_text("from lib import train\nfrom missing import train\n")
    mod = str((tmp_path / "mod.py").resolve())
    arg = callers.ForeignArg("train", "data", None, "URI", "str", "pipe.py")
    assert callers.through_reexports({mod: (arg,)}, lambda file: Path(file).read_text()) == {mod: (arg,)}


def test_imports_inside_a_function_count_for_its_calls(project: Path) -> None:
    """A pipeline that imports its components in its own body; a function's import of no scanned file
    hides the module's name for that function only."""
    found = facts_of(
        project,
        """
        from helpers import train

        def pipeline():
            from pkg.steps import step
            import helpers as h
            step(data='gs://bucket/data')
            h.train(1)

        def other():
            from missing import train
            train('x')

        def third():
            train(data='y')
        """,
    )
    steps, helpers = (str((project / p).resolve()) for p in ("pkg/steps.py", "helpers.py"))
    assert [(file, arg.symbol, arg.kind, arg.value_type) for file, arg in found.calls.targets] == [
        (steps, "step", "URI", "str"),
        (helpers, "train", "CONSTANT", "int"),
        (helpers, "train", "CONSTANT", "str"),
    ]
