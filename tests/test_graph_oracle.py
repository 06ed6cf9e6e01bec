"""The graph components of ../shared/corpus compile under kfp 2 after `fix --unsafe-fixes` (KFP141).

kfp 2 cannot load a v1 graph component; the fix writes a `@dsl.pipeline` module beside it. This copies each
corpus graph and the children it loads (tests/data/graph_children, pinned by URL; see the NOTICE there) into
a scratch tree, fixes the whole tree with the command line, imports every generated module under kfp 2 with
`load_component_from_url` reading the fixed local children, compiles its pipeline, and compares the
pipeline's interface and tasks with the graph's.

One edge needs a human: the pinned `XGBoost/Predict` declares its `predictions` file as `type: Text`, a
parameter in kfp 2, and `Calculate_regression_metrics` reads it with `inputPath`, an artifact. kfp 1 passed
both as files; kfp 2 cannot connect a parameter to an artifact (kfp-semantics.md §3.2) and the generated
pipeline fails to build there, as the first test shows. Upstream made the same change later
(`XGBoost/Predict` now declares `type: Predictions`, an artifact); with it, every pipeline compiles.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from migrate.cli import app
from rules._yaml import Kind, classify_name
from rules.yaml_components.names import sanitize
from tests.conftest import FIXTURES, shared_dir

CHILDREN = Path(__file__).parent / "data" / "graph_children"
RAW = "https://raw.githubusercontent.com/kubeflow/pipelines/"
# The one child whose pinned commit is gone (tests/data/graph_children/NOTICE).
SUBSTITUTED = (
    "7ea9363fe201918d419fecdc00d1275e657ff712/components/ml_metrics/Aggregate_regression_metrics/component.yaml"
)
PREDICT = "567c04c51ff00a1ee525b3458425b17adbe3df61/components/XGBoost/Predict/component.yaml"
TEXT_OUTPUT, ARTIFACT_OUTPUT = "- {name: predictions, type: Text}\n", "- {name: predictions, type: Predictions}\n"

# Runs in a fresh interpreter (kfp keeps global state): import the module with URL loads served from the local
# children, compile every pipeline it defines, print each one's interface and tasks as JSON.
SCRIPT = """
import json, runpy, sys
from pathlib import Path
from kfp import compiler, components
from kfp.dsl.graph_component import GraphComponent

module, children, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
prefix = "https://raw.githubusercontent.com/kubeflow/pipelines/"
loaded = []

def from_url(url, auth=None):
    assert url.startswith(prefix), url
    loaded.append(url)
    return components.load_component_from_file(str(children / url[len(prefix):]))

components.load_component_from_url = from_url
result = {}
for name, value in runpy.run_path(module).items():
    if isinstance(value, GraphComponent):
        compiler.Compiler().compile(value, str(out))
        spec = value.component_spec
        ir = value.pipeline_spec
        tasks = {t.task_info.name: t.component_ref.name for t in ir.root.dag.tasks.values()}
        result[name] = {
            "inputs": {k: [v.type, v.optional, v.default] for k, v in spec.inputs.items()},
            "outputs": {k: v.type for k, v in spec.outputs.items()},
            "tasks": tasks,
            "loaded": sorted(set(loaded)),
        }
print(json.dumps(result))
"""


def _graphs() -> list[Path]:
    try:
        root = shared_dir("corpus", "kfp-v1-components")
    except BaseException:  # collected before CI checks for shared/: test_there_are_three_graphs reports it
        return []
    return sorted(p for p in root.rglob("*.yaml") if "\n  graph:" in p.read_text(encoding="utf-8"))


def _label(path: Path) -> str:
    return "/".join(path.parts[-4:-1])


def test_there_are_three_graphs() -> None:
    shared_dir("corpus", "kfp-v1-components")
    assert len(_graphs()) == 3


def test_children_are_the_pinned_files() -> None:
    """Each child's sha256 is the `digest:` its graphs pin it with, except the documented substitute."""
    pinned: dict[str, str] = {}
    for graph in _graphs():
        for task in yaml.safe_load(graph.read_text())["implementation"]["graph"]["tasks"].values():
            ref = task["componentRef"]
            pinned[ref["url"].removeprefix(RAW)] = ref["digest"]
    if not pinned:
        pytest.skip("no corpus")
    stored = {str(p.relative_to(CHILDREN)) for p in CHILDREN.rglob("*.yaml")}
    assert stored == set(pinned)
    for relative, digest in pinned.items():
        actual = hashlib.sha256((CHILDREN / relative).read_bytes()).hexdigest()
        assert (actual == digest) != (relative == SUBSTITUTED), relative


@pytest.fixture(scope="module")
def fixed_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    graphs = _graphs()
    if not graphs:
        pytest.skip("no corpus")
    root = tmp_path_factory.mktemp("graphs")
    shutil.copytree(CHILDREN, root / "children", ignore=shutil.ignore_patterns("NOTICE"))
    for graph in graphs:
        target = root / "graphs" / _label(graph).replace("/", "__") / "component.yaml"
        target.parent.mkdir(parents=True)
        shutil.copyfile(graph, target)
    runner = CliRunner()
    runner.invoke(app, ["fix", "--unsafe-fixes", str(root)])
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    again = runner.invoke(app, ["fix", "--unsafe-fixes", str(root)])
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before, "a second fix changed files"
    assert "Fixed 0 findings in 0 files" in again.stdout
    return root


def _expected_inputs(spec: dict[str, Any]) -> dict[str, list[Any]]:
    result = {}
    for item in spec.get("inputs") or []:
        kind, kfp2_type = classify_name(item["type"]) if isinstance(item.get("type"), str) else (Kind.ARTIFACT, "")
        optional = bool(item.get("optional")) or "default" in item
        default = item.get("default") if kind is Kind.PARAMETER else None
        if default is not None:
            default = {"Integer": int, "Float": float, "String": str}[kfp2_type](default)
        result[sanitize(item["name"])] = [kfp2_type, optional, default]
    return result


def _expected_outputs(spec: dict[str, Any]) -> dict[str, str]:
    return {sanitize(o["name"]): classify_name(o["type"], is_input=False)[1] for o in spec.get("outputs") or []}


def _run(module: Path, children: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", SCRIPT, str(module), str(children), str(tmp_path / "p.yaml")]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)


def _folder(fixed_tree: Path, graph: Path) -> Path:
    return fixed_tree / "graphs" / _label(graph).replace("/", "__")


@pytest.mark.parametrize("graph", _graphs(), ids=_label)
def test_the_pinned_children_need_one_retype(graph: Path, fixed_tree: Path, tmp_path: Path) -> None:
    """With the pinned Predict, kfp 2 stops at the Text -> file edge, as it would for the same wiring in Python."""
    assert TEXT_OUTPUT in (fixed_tree / "children" / PREDICT).read_text()
    run = _run(_folder(fixed_tree, graph) / "component_pipeline.py", fixed_tree / "children", tmp_path)
    assert run.returncode != 0
    assert (
        "InconsistentTypeException: Incompatible argument passed to the input 'predicted_values' of component "
        "'calculate-regression-metrics-from-csv': Argument type 'STRING' is incompatible with the input type "
        "'system.Artifact@0.0.1'"
    ) in run.stderr


@pytest.mark.parametrize("graph", _graphs(), ids=_label)
def test_generated_pipeline_compiles_under_kfp2(graph: Path, fixed_tree: Path, tmp_path: Path) -> None:
    folder = _folder(fixed_tree, graph)
    fixed = (folder / "component.yaml").read_text()
    assert "# kfp 2: see component_pipeline.py (kfp-migrate KFP141)\n" in fixed
    children = tmp_path / "children"
    shutil.copytree(fixed_tree / "children", children)
    predict = children / PREDICT
    predict.write_text(predict.read_text().replace(TEXT_OUTPUT, ARTIFACT_OUTPUT))  # as upstream did later
    run = _run(folder / "component_pipeline.py", children, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    ((name, result),) = json.loads(run.stdout.splitlines()[-1]).items()
    spec = yaml.safe_load(graph.read_text())
    tasks = spec["implementation"]["graph"]["tasks"]
    assert name == sanitize(spec["name"])
    assert result["inputs"] == _expected_inputs(spec)
    assert result["outputs"] == _expected_outputs(spec)
    assert set(result["tasks"]) == set(tasks)  # one kfp 2 task per graph task, displayed under its id
    assert result["loaded"] == sorted({task["componentRef"]["url"] for task in tasks.values()})
    assert (tmp_path / "p.yaml").stat().st_size > 0


def test_fixture_companions_compile_under_kfp2(tmp_path: Path) -> None:
    """The inline-spec fixture needs no children: its companion compiles as it is."""
    source = FIXTURES / "KFP141" / "graph_component.in.yaml"
    shutil.copyfile(source, tmp_path / "component.yaml")
    CliRunner().invoke(app, ["fix", "--unsafe-fixes", str(tmp_path)])
    run = _run(tmp_path / "component_pipeline.py", tmp_path, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.splitlines()[-1])["g"]
    assert result["inputs"] == {"a": ["String", False, None]}
    assert result["outputs"] == {"o": "String"}
    assert set(result["tasks"]) == {"step"}
