#!/usr/bin/env python3
"""A deterministic synthetic repository for the benchmark: unrelated Python and YAML mixed with KFP v1 code.

The default mix and file sizes were measured on kubeflow/pipelines at tag 1.8.5 (1120 Python files, 842
YAML files, with `kfp-migrate check`): 451 Python files and 285 YAML components need migrating (37.5% of
all files); 307 more Python files mention kfp without anything kfp 2 rejects; 46 v1 components are
already what kfp 2 reads; the rest is library code, tests, Kubernetes manifests and CI configuration.
The KFP code takes its shapes from fixtures/KFP1xx-3xx and ../shared/corpus/kfp-v1-components, with
names recombined from word lists, so no file is a copy of another. One seed gives one tree, byte for byte.

    python bench/synthetic.py ROOT [--files N] [--seed S] [--kfp-share F | --all-kfp] [--python-only]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class Kind(str, Enum):
    LIBRARY = "py-library"
    TEST = "py-test"
    KFP_ADJACENT = "py-kfp-adjacent"  # mentions or imports kfp; nothing kfp 2 rejects
    V1_PY_COMPONENTS = "py-v1-components"  # kfp 1 function components
    V1_PIPELINE = "py-v1-pipeline"  # kfp 1 pipelines, often with their own components
    K8S = "yaml-k8s"
    CI = "yaml-ci"
    TYPED_COMPONENT = "yaml-component-typed"  # a v1 component kfp 2 reads as it is
    V1_COMPONENT = "yaml-component-v1"


V1_KINDS = frozenset({Kind.V1_COMPONENT, Kind.V1_PY_COMPONENTS, Kind.V1_PIPELINE})
PYTHON_KINDS = frozenset({Kind.LIBRARY, Kind.TEST, Kind.KFP_ADJACENT, Kind.V1_PY_COMPONENTS, Kind.V1_PIPELINE})
# Files of each kind in kubeflow/pipelines 1.8.5 (see the module docstring); the Python with findings
# splits into 195 files of components only and 256 with pipelines (107 of them also define components).
MEASURED = {
    Kind.V1_COMPONENT: 285,
    Kind.V1_PY_COMPONENTS: 195,
    Kind.V1_PIPELINE: 256,
    Kind.LIBRARY: 250,
    Kind.TEST: 112,
    Kind.KFP_ADJACENT: 307,
    Kind.K8S: 408,
    Kind.CI: 103,
    Kind.TYPED_COMPONENT: 46,
}
KFP_SHARE = 736 / 1962
# Sizes in bytes as (median, lognormal sigma, floor, cap), fitted to the 1.8.5 medians and 90th
# percentiles: Python 2.7 kB / 10 kB, components 2.7 kB / 8.1 kB, other YAML 0.5 kB / 3.5 kB (its one
# 1.9 MB file is left out: one outlier would dominate a small tree).
PY_SIZE = (2300.0, 1.0, 400, 60_000)  # 2.3 kB: the KFP modules' own content pushes the median to 2.7 kB
SIZES = {
    Kind.LIBRARY: PY_SIZE,
    Kind.TEST: PY_SIZE,
    Kind.KFP_ADJACENT: PY_SIZE,
    Kind.V1_PY_COMPONENTS: PY_SIZE,
    Kind.V1_PIPELINE: PY_SIZE,
    Kind.V1_COMPONENT: (2700.0, 0.85, 200, 40_000),
    Kind.TYPED_COMPONENT: (2700.0, 0.85, 200, 40_000),
    Kind.K8S: (500.0, 1.5, 120, 40_000),
    Kind.CI: (500.0, 1.5, 120, 40_000),
}
# Generated first: pipelines load the YAML components and import the Python ones.
ORDER = (
    Kind.V1_COMPONENT,
    Kind.TYPED_COMPONENT,
    Kind.V1_PY_COMPONENTS,
    Kind.V1_PIPELINE,
    Kind.KFP_ADJACENT,
    Kind.LIBRARY,
    Kind.TEST,
    Kind.K8S,
    Kind.CI,
)
GITIGNORE = """\
# Python
__pycache__/
*.py[cod]
*.egg-info/
.venv/
dist/
build/
# Compiled pipelines
*.tar.gz
# kfp-migrate's cache
.kfp_migrate_cache/
"""
# Build output that .gitignore hides: copies of KFP files a tool honouring .gitignore never reads.
IGNORED_DIR = "build/lib"
# The licence header 621 of the 1136 Python files and 105 of the 842 YAML files in 1.8.5 start with; it is
# much of why real files hold half as many tokens per byte as code alone (8.7 bytes a token there).
LICENCE_SHARE = {"py": 621 / 1136, "yaml": 105 / 842}
LICENCE = """\
# Copyright {year} The Kubeflow Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""

VERBS = (
    "load", "save", "build", "parse", "compute", "merge", "filter", "transform", "validate", "export",
    "fetch", "clean", "normalize", "aggregate", "split", "rank", "encode", "decode", "render", "upload",
    "download", "prepare", "score", "train", "evaluate", "deploy", "publish", "collect", "convert", "sample",
)  # fmt: skip
NOUNS = (
    "data", "model", "batch", "table", "rows", "feature", "label", "metric", "config", "image", "token",
    "vocab", "report", "schema", "shard", "bucket", "record", "window", "epoch", "weight", "layer", "query",
    "stage", "result", "summary", "threshold", "frame", "column", "series", "chart", "event", "user",
    "order", "price", "region", "topic", "stream", "dataset", "checkpoint", "embedding", "vector", "review",
)  # fmt: skip
ADJECTIVES = (
    "raw", "clean", "daily", "final", "local", "remote", "sparse", "dense", "hourly", "online", "shared",
    "global", "small", "large", "cached", "sorted", "weekly", "latest", "default", "private",
)  # fmt: skip
AREAS = (
    "gcp", "aws", "azure", "contrib", "local", "ibm-components", "diagnostics", "kubeflow", "filesystem",
    "dataset_manipulation", "google-cloud", "tensorflow", "xgboost", "pandas", "tfx", "notebooks",
)  # fmt: skip
PYTHON_IMAGES = ("python:3.7", "python:3.8", "python:3.9", "python:3.10-slim", "python:3.11")
OTHER_IMAGES = (
    "tensorflow/tensorflow:2.4.1", "gcr.io/deeplearning-platform-release/tf2-cpu.2-3", "alpine",
    "pytorch/pytorch:1.7.1-cuda11.0-cudnn8-runtime", "google/cloud-sdk:279.0.0", "library/bash:4.4.23",
)  # fmt: skip
PACKAGES = (
    "pandas==1.1.5", "scikit-learn==0.24.1", "google-cloud-storage==1.35.0", "xgboost==1.3.3", "numpy<1.20",
    "pyarrow==3.0.0", "requests==2.25.1",
)  # fmt: skip
# v1 type names: parameters kfp 2 knows, artifacts (mostly names kfp 2 does not know), odd parameters.
PARAM_TYPES = ("String", "String", "Integer", "Integer", "Float", "Bool", "Boolean", "JsonObject", "JsonArray")
ARTIFACT_TYPES = ("GCSPath", "CSV", "Model", "Dataset", "ApacheParquet", "TFRecord", "JsonObject", "Tensorboard")
KFP2_PARAM_TYPES = ("String", "Integer", "Float", "Boolean")


# ---------------------------------------------------------------------------------------------- the mix


def allocate(n_files: int, kfp_share: float = KFP_SHARE, python_only: bool = False) -> dict[Kind, int]:
    """How many files of each kind: `kfp_share` of them KFP v1 code, each group split as in 1.8.5.
    Every kind of a group gets at least one file when the group has room for all of them."""
    if not 0.0 <= kfp_share <= 1.0:
        raise ValueError(f"kfp_share must be between 0 and 1, not {kfp_share}")
    kinds = [k for k in ORDER if not python_only or k in PYTHON_KINDS]
    v1 = round(n_files * kfp_share)
    counts: dict[Kind, int] = {}
    for group, total in (
        ([k for k in kinds if k in V1_KINDS], v1),
        ([k for k in kinds if k not in V1_KINDS], n_files - v1),
    ):
        counts.update(_split(total, {k: MEASURED[k] for k in group}))
    return counts


def _split(total: int, weights: dict[Kind, int]) -> dict[Kind, int]:
    """Largest-remainder apportionment, then at least one of each kind when there are enough files."""
    if not weights or total <= 0:
        return dict.fromkeys(weights, 0)
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    for k in sorted(weights, key=lambda k: (counts[k] - exact[k], ORDER.index(k)))[: total - sum(counts.values())]:
        counts[k] += 1
    if total >= len(weights):
        for k in weights:
            if counts[k] == 0:
                counts[max(counts, key=lambda j: (counts[j], -ORDER.index(j)))] -= 1
                counts[k] = 1
    return counts


# ------------------------------------------------------------------------------------------------ names


class Names:
    """Identifiers recombined from word lists; every choice comes from the one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def noun(self) -> str:
        return self.rng.choice(NOUNS)

    def verb(self) -> str:
        return self.rng.choice(VERBS)

    def snake(self, words: int = 2) -> str:
        parts = [self.rng.choice(ADJECTIVES)] if words > 2 else []
        return "_".join([*parts, self.verb(), self.noun()][-words:] if words > 1 else [self.noun()])

    def func(self) -> str:
        return f"{self.verb()}_{self.noun()}"

    def camel(self) -> str:
        return self.rng.choice(ADJECTIVES).title() + self.noun().title()

    def title(self) -> str:
        verb, noun = self.verb().title(), self.noun()
        return f"{verb} {self.rng.choice(ADJECTIVES)} {noun}" if self.rng.random() < 0.5 else f"{verb} {noun}"

    def sentence(self) -> str:
        verb = self.verb().title()
        verb += "es" if verb.endswith(("sh", "ch", "s", "x")) else "s"
        return f"{verb} the {self.rng.choice(ADJECTIVES)} {self.noun()} for each {self.noun()}."

    def unique(self, taken: set[str], make: Callable[[], str]) -> str:
        for _ in range(50):
            name = make()
            if name not in taken and _sanitize(name) not in taken:
                taken.update({name, _sanitize(name)})
                return name
        return self.claim(taken, make())

    def claim(self, taken: set[str], base: str) -> str:
        """`base`, or `base_2`, `base_3`... when taken."""
        name, count = base, 2
        while name in taken or _sanitize(name) in taken:
            name, count = f"{base}_{count}", count + 1
        taken.update({name, _sanitize(name)})
        return name


def _sanitize(name: str) -> str:
    """The Python name kfp 1 gave a component input or output (`Input Name` -> `input_name`)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# --------------------------------------------------------------------------------- what pipelines call


@dataclass(frozen=True)
class Port:
    name: str  # as kfp 1 callers write it: op(name=...), task.outputs['name']
    artifact: bool
    optional: bool = False
    type: str = ""  # of a parameter: int, float, bool or str; "" when untyped or a JSON type


# Parameter types of v1 YAML type names and kfp 1 annotations, as the wiring of a pipeline sees them.
PORT_TYPES = {"Integer": "int", "Float": "float", "Bool": "bool", "Boolean": "bool", "String": "str", "GCSPath": "str"}
PORT_TYPES |= {"GCPProjectID": "str", "int": "int", "float": "float", "bool": "bool", "str": "str"}


@dataclass(frozen=True)
class Op:
    symbol: str
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]


@dataclass
class Repo:
    """What the files generated so far offer to those generated later."""

    yaml_components: list[tuple[str, Op]] = field(default_factory=list)  # (path, interface)
    py_components: list[tuple[str, tuple[Op, ...]]] = field(default_factory=list)  # (path, ops)


# ---------------------------------------------------------------------------------------- unrelated Python

LIBRARY_HEADER = '''\
"""{doc}"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOG = logging.getLogger(__name__)
{const} = {value}
'''


def docstring(n: Names, indent: str, params: Sequence[str] = (), returns: bool = False) -> str:
    """A Google-style docstring (summary, Args, Returns), as most functions in the measured tree have."""
    lines = [n.sentence()]
    if params:
        lines += ["", "Args:", *(f"    {param}: {n.sentence()}" for param in params)]
    if returns:
        lines += ["", "Returns:", f"    {n.sentence()}"]
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""\n'
    body = "".join(f"{indent}{line}\n" if line else "\n" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{body}{indent}"""\n'


def _library_block(n: Names, const: str) -> str:
    rng = n.rng
    func, noun, other = n.func(), n.noun(), n.noun()
    pick = rng.randrange(6)
    if pick == 0:
        return f'''\
@dataclass
class {n.camel()}:
    """A {noun} and its {other}s."""

    name: str
    {noun}_count: int = {rng.randint(0, 9)}
    {other}_tags: list[str] = field(default_factory=list)

    def {n.verb()}(self, values: Iterable[int]) -> int:
{docstring(n, "        ", ("values",), True)}        total = self.{noun}_count
        for value in values:
            if value > {const}:
                total += value
            else:
                total -= 1
        return total
'''
    if pick == 1:
        return f'''\
def {func}(path: Path, limit: int = {rng.randint(5, 500)}) -> list[dict[str, str]]:
{docstring(n, "    ", ("path", "limit"), True)}    rows: list[dict[str, str]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= limit:
                break
            rows.append({{"{noun}": line.strip(), "number": str(number)}})
    LOG.debug("read %d {noun}s from %s", len(rows), path)
    return rows
'''
    if pick == 2:
        return f"""\
def {func}({noun}_values: Sequence[float], weights: Sequence[float] | None = None) -> dict[str, float]:
{docstring(n, "    ", (f"{noun}_values", "weights"), True)}    if not {noun}_values:
        raise ValueError("no {noun}s to {n.verb()}")
    # {n.sentence()}
    weights = weights or [1.0] * len({noun}_values)
    total = sum(w * v for w, v in zip(weights, {noun}_values))
    return {{"mean": total / sum(weights), "max": max({noun}_values), "min": min({noun}_values)}}
"""
    if pick == 3:
        env = f"{noun.upper()}_{other.upper()}_URL"
        return f'''\
class {n.camel()}Client:
    """Talks to the {noun} service."""

    def __init__(self, endpoint: str, timeout: float = {rng.randint(5, 120)}.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self._cache: dict[str, str] = {{}}

    def {n.verb()}_{other}(self, key: str) -> str | None:
{docstring(n, "        ", ("key",), True)}        if key in self._cache:
            return self._cache[key]
        try:
            value = os.environ["{env}"] + "/" + key
        except KeyError:
            LOG.warning("{env} is not set")
            return None
        self._cache[key] = value
        return value
'''
    if pick == 4:
        return f"""\
def {func}(items: Iterable[str], size: int = {rng.randint(2, 64)}) -> Iterator[list[str]]:
{docstring(n, "    ", ("items", "size"))}
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
"""
    return f'''\
def {func}(path: str) -> dict[str, object]:
{docstring(n, "    ", ("path",), True)}
    defaults = {{"{noun}": {rng.randint(1, 99)}, "{other}": "{rng.choice(ADJECTIVES)}", "on": {rng.random() < 0.5}}}
    if not os.path.exists(path):
        # {n.sentence()}
        return defaults
    with open(path, encoding="utf-8") as handle:
        loaded = json.load(handle)
    return {{**defaults, **loaded}}
'''


HELPERS = """\
# Helpers
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOG = logging.getLogger(__name__)
LIMIT = 3
"""


def _pad(text: str, target: int, n: Names) -> str:
    """Grow a module to `target` bytes with plain helpers, as real modules mix them with KFP code."""
    if len(text) < target:
        text += "\n\n" + HELPERS
    while len(text) < target:
        text += "\n\n" + _library_block(n, "LIMIT")
    return text


def library_module(n: Names, target: int) -> str:
    if n.rng.random() < 0.06:  # a package marker: empty, or only the licence header
        return ""
    const = f"{n.noun().upper()}_LIMIT"
    text = LIBRARY_HEADER.format(doc=n.sentence(), const=const, value=n.rng.randint(1, 1000))
    while len(text) < target:
        text += "\n\n" + _library_block(n, const)
    return text


def _test_block(n: Names) -> str:
    rng = n.rng
    a, b, c = rng.randint(-9, 9), rng.randint(0, 99), rng.randint(1, 50)
    word = n.noun()
    pick = rng.randrange(4)
    if pick == 0:
        return f"""\
@pytest.mark.parametrize("value, expected", [({a}, {a * 2}), ({b}, {b * 2}), (0, 0)])
def test_{n.func()}_doubles(value: int, expected: int) -> None:
    assert value * 2 == expected
"""
    if pick == 1:
        key = n.noun()
        return f'''\
def test_{n.func()}_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "{key}.json"
    target.write_text(json.dumps({{"{key}": {b}}}), encoding="utf-8")
    loaded = json.loads(target.read_text(encoding="utf-8"))
    assert loaded["{key}"] == {b}
'''
    if pick == 2:
        return f"""\
class Test{n.camel()}:
    def setup_method(self) -> None:
        self.values = [{a}, {b}, {c}]

    def test_sum(self) -> None:
        assert sum(self.values) == {a + b + c}

    def test_smallest(self) -> None:
        assert sorted(self.values)[0] == {min(a, b, c)}
"""
    return f'''\
class {n.camel()}Test(unittest.TestCase):
    def test_{n.func()}(self) -> None:
        self.assertEqual(len("{word}" * {c}), {len(word) * c})

    def test_{n.func()}_empty(self) -> None:
        self.assertFalse([])
'''


def test_module(n: Names, target: int) -> str:
    text = f'"""Tests for {n.func()}."""\n\nimport json\nimport unittest\nfrom pathlib import Path\n\nimport pytest\n'
    while len(text) < target:
        text += "\n\n" + _test_block(n)
    return text


# ------------------------------------------------------------------------------ Python that mentions kfp


def kfp_adjacent_module(n: Names, target: int) -> str:
    """kfp 2 code, a client script, or a mention in a string: read by the tool, nothing to report."""
    rng = n.rng
    pick = rng.randrange(3)
    if pick == 0:
        text = _kfp2_module(n)
    elif pick == 1:
        name = n.snake()
        text = f'''\
"""Submits the compiled {name} pipeline to a Kubeflow Pipelines endpoint."""

import argparse
import os

import kfp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("PIPELINES_HOST", "http://localhost:8080"))
    parser.add_argument("--package", default="{name}.yaml")
    parser.add_argument("--experiment", default="{n.snake()}")
    args = parser.parse_args()
    client = kfp.Client(host=args.host)
    experiment = client.create_experiment(args.experiment)
    run = client.run_pipeline(experiment.id, "{name}-run", args.package, params={{"{n.noun()}": {rng.randint(1, 99)}}})
    client.wait_for_run_completion(run.id, timeout={rng.choice((600, 3600, 7200))})


if __name__ == "__main__":
    main()
'''
    else:
        text = LIBRARY_HEADER.format(
            doc=f"Release helpers; the SDK is published as kfp-{n.noun()}.",
            const="ENDPOINT",
            value='"https://kfp.example.com"',
        )
    return _pad(text, target, n)


def _kfp2_module(n: Names) -> str:
    """A kfp 2 module: typed components and a pipeline wired with matching types."""
    producer, consumer, pipeline = n.func(), n.func(), n.snake()
    if consumer == producer:
        consumer += "_next"
    epochs = n.rng.randint(1, 20)
    return f'''\
"""kfp 2 components for the {pipeline} pipeline."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component(base_image="python:3.11")
def {producer}(rows: int, data: Output[Dataset]) -> None:
    with open(data.path, "w") as handle:
        handle.write("\\n".join(str(i) for i in range(rows)))


@dsl.component(base_image="python:3.11", packages_to_install=["{n.rng.choice(PACKAGES)}"])
def {consumer}(data: Input[Dataset], model: Output[Model], epochs: int = {epochs}) -> float:
    with open(data.path) as handle:
        lines = handle.read().splitlines()
    with open(model.path, "w") as handle:
        handle.write(str(len(lines) * epochs))
    return float(len(lines))


@dsl.pipeline(name="{pipeline.replace("_", "-")}")
def {pipeline}_pipeline(rows: int = {n.rng.randint(10, 1000)}, epochs: int = {epochs}) -> None:
    made = {producer}(rows=rows)
    {consumer}(data=made.outputs["data"], epochs=epochs)
'''


# ------------------------------------------------------------------------------- KFP v1 Python components

# (kind, weight): how a kfp 1 function declares an input or output.
INPUT_SHAPES = (
    ("untyped", 5), ("int", 2), ("float", 1), ("str", 2), ("bool", 1), ("input_path", 0.7),
    ("input_path_param", 0.15), ("input_text", 0.3), ("v1_type_name", 0.6),
)  # fmt: skip
OUTPUT_SHAPES = (("output_path", 0.8), ("output_path_param", 1), ("output_text", 0.3))
SCALAR_DEFAULTS = {"int": "3", "float": "0.5", "str": "'default'", "bool": "False"}


def _weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


COMPONENT_NAMES = (
    "InputPath", "InputTextFile", "OutputPath", "OutputTextFile", "create_component_from_func", "func_to_container_op",
)  # fmt: skip


@dataclass(frozen=True)
class Module:
    """A prefix for kfp.components names, and whether kfp 1.8's kfp.v2 preview is used instead."""

    prefix: str  # "", "comp." or "components."
    v2_preview: bool = False

    def imports(self, code: str) -> str:
        """The import `code` needs: only the names it uses, as tidy modules import them."""
        if self.v2_preview:
            return "from kfp.v2.dsl import Dataset, Input, Model, Output, component\n"
        if self.prefix == "comp.":
            return "import kfp.components as comp\n"
        if self.prefix == "components.":
            return "from kfp import components\n"
        used = [name for name in COMPONENT_NAMES if re.search(rf"\b{name}\b", code)]
        if len(used) <= 2:
            return f"from kfp.components import {', '.join(used)}\n"
        return "from kfp.components import (\n" + "".join(f"    {name},\n" for name in used) + ")\n"


def _pick_module(rng: random.Random) -> Module:
    return Module(rng.choice(("", "", "comp.", "components.")), v2_preview=rng.random() < 0.12)


def v1_function_component(n: Names, mod: Module, taken: set[str]) -> tuple[str, Op]:
    """A function and the factory call (or decorator) that makes it a kfp 1 component."""
    rng, p = n.rng, mod.prefix
    func = n.unique(taken, n.func)
    ports: set[str] = set()
    required: list[str] = []
    defaulted: list[str] = []
    body: list[str] = []
    inputs: list[Port] = []
    outputs: list[Port] = []
    for _ in range(rng.randint(1, 4)):
        shape, name = _weighted(rng, INPUT_SHAPES), n.unique(ports, n.noun)
        if mod.v2_preview and shape not in ("int", "float", "str", "bool"):
            shape = rng.choice(("input_artifact", "str"))
        has_default = shape in ("untyped", "int", "float", "str", "bool") and rng.random() < 0.4
        port_type = shape
        if shape == "untyped":
            param, value, artifact = name, name, False
        elif shape in SCALAR_DEFAULTS:
            param, value, artifact = f"{name}: {shape}", name, False
        elif shape == "input_artifact":
            param, value, artifact = f"{name}: Input[Dataset]", f"{name}.path", True
        elif shape == "input_path":
            t = rng.choice(("'CSV'", "'Model'", "'JsonObject'", "", "'TFRecord'"))
            param, value, artifact = f"{name}_path: {p}InputPath({t})", f"open({name}_path).read()", True
        elif shape == "input_path_param":
            param, value, artifact = f"{name}_path: {p}InputPath(str)", f"open({name}_path).read()", False
            port_type = "str"
        elif shape == "input_text":
            param, value, artifact = f"{name}_file: {p}InputTextFile('CSV')", f"{name}_file.read()", True
        else:
            port_type = rng.choice(("GCSPath", "Integer", "GCPProjectID"))
            param, value, artifact = f"{name}: '{port_type}'", name, False
        inputs.append(Port(name, artifact, has_default, PORT_TYPES.get(port_type, "")))
        body.append(f"    print('{name}', {value})")
        if has_default:
            defaulted.append(
                f"{param}={SCALAR_DEFAULTS.get(shape, repr(n.noun()))}"
                if ":" not in param
                else f"{param} = {SCALAR_DEFAULTS[shape]}"
            )
        else:
            required.append(param)
    for _ in range(rng.randint(0, 2)):
        shape, name = _weighted(rng, OUTPUT_SHAPES), n.unique(ports, n.noun)
        if mod.v2_preview:
            required.append(f"{name}: Output[Model]")
            body.append(f"    with open({name}.path, 'w') as writer:\n        writer.write('{n.noun()}')")
            outputs.append(Port(name, True))
        elif shape == "output_text":
            required.append(f"{name}_file: {p}OutputTextFile(str)")
            body.append(f"    {name}_file.write('{n.noun()}')")
            outputs.append(Port(name, False, type="str"))
        else:
            kind = "int" if shape == "output_path_param" else rng.choice(("'Model'", "'CSV'", "'HTML'"))
            required.append(f"{name}_path: {p}OutputPath({kind})")
            body.append(f"    with open({name}_path, 'w') as writer:\n        writer.write(str({rng.randint(0, 99)}))")
            outputs.append(Port(name, shape == "output_path", type="" if shape == "output_path" else "int"))
    returns = rng.choice(("", "", " -> str", " -> float"))
    if returns:
        body.append("    return " + ("'done'" if "str" in returns else "0.5"))
        outputs.append(Port("output", False, type=returns.split()[-1]))
    params = ",\n    ".join(required + defaulted)
    source = (
        f"def {func}(\n    {params},\n){returns}:\n"
        + docstring(
            n, "    ", [re.split("[:=]", param)[0] for param in required + defaulted] if rng.random() < 0.6 else ()
        )
        + "    import json\n\n"
        + "\n".join(body)
        + "\n"
    )
    image = rng.choice(PYTHON_IMAGES + OTHER_IMAGES[:2])
    packages = f", packages_to_install=['{rng.choice(PACKAGES)}']" if rng.random() < 0.4 else ""
    if mod.v2_preview:
        return f"@component(base_image='{image}'{packages})\n{source}", Op(func, tuple(inputs), tuple(outputs))
    factory = f"{p}{rng.choice(('create_component_from_func', 'create_component_from_func', 'func_to_container_op'))}"
    form = rng.choices(("assign", "file", "no_image", "decorator"), (6, 1, 0.5, 1.2))[0]
    if form == "decorator":
        return f"@{factory}\n{source}", Op(func, tuple(inputs), tuple(outputs))
    option = {
        "assign": f", base_image='{image}'{packages}",
        "file": f", output_component_file='{func}.yaml', base_image='{image}'",
        "no_image": "",
    }[form]
    symbol = n.claim(taken, f"{func}_op")
    return f"{source}\n\n{symbol} = {factory}({func}{option})\n", Op(symbol, tuple(inputs), tuple(outputs))


def v1_components_module(n: Names, target: int) -> tuple[str, tuple[Op, ...]]:
    mod = _pick_module(n.rng)
    taken: set[str] = set()
    code = ""
    ops: list[Op] = []
    # 1.3 factory calls a module in 1.8.5 (KFP202); helpers fill the rest of the file.
    for _ in range(n.rng.choice((1, 1, 1, 1, 2, 2, 3))):
        source, op = v1_function_component(n, mod, taken)
        code += "\n\n" + source
        ops.append(op)
    return _pad(f'"""{n.sentence()}"""\n\n' + mod.imports(code) + code, target, n), tuple(ops)


# -------------------------------------------------------------------------------- KFP v1 YAML components


@dataclass(frozen=True)
class YamlPort:
    name: str
    type: str | None  # as written after `type: `
    placeholder: str  # inputValue, inputPath, inputUri, outputPath
    artifact: bool
    default: str | None = None
    optional: bool = False
    description: str | None = None

    def item(self, flow: bool) -> str:
        fields = [("name", self.name)]
        if self.type is not None:
            fields.append(("type", self.type))
        if self.default is not None:
            fields.append(("default", self.default))
        if self.optional:
            fields.append(("optional", "true"))
        if self.description is not None:
            fields.append(("description", f"'{self.description}'"))
        if flow:
            return "- {" + ", ".join(f"{k}: {v}" for k, v in fields) + "}"
        return "- " + "\n  ".join(f"{k}: {v}" for k, v in fields)


def _yaml_input(n: Names, taken: set[str], clean: bool) -> YamlPort:
    rng = n.rng
    name = n.unique(taken, n.noun if clean or rng.random() < 0.65 else lambda: f"{n.noun().title()} {n.noun()}")
    description = n.sentence() if rng.random() < 0.6 else None
    if clean:
        t = rng.choice(KFP2_PARAM_TYPES)
        default = {"String": f"'{n.noun()}'", "Integer": "'10'", "Float": "'0.5'", "Boolean": "'False'"}[t]
        optional = rng.random() < 0.3
        return YamlPort(name, t, "inputValue", False, default if optional else None, optional, description)
    shape = rng.choices(
        ("untyped_value", "untyped_path", "param", "artifact", "param_path", "artifact_value", "dict_type"),
        (2, 1, 6, 3, 0.4, 1, 0.3),
    )[0]
    optional = shape in ("untyped_value", "param") and rng.random() < 0.3
    if shape == "untyped_value":
        return YamlPort(name, None, "inputValue", False, f"'{n.noun()}'" if optional else None, optional, description)
    if shape == "untyped_path":
        return YamlPort(name, None, "inputPath", True, None, False, description)
    if shape == "param":
        t = rng.choice(PARAM_TYPES)
        default = {
            "Integer": "'10'",
            "Float": "'0.1'",
            "Bool": "'False'",
            "Boolean": "'True'",
            "JsonObject": "'{}'",
        }.get(t, "'[]'" if t == "JsonArray" else f"'{n.noun()}'")
        return YamlPort(name, t, "inputValue", False, default if optional else None, optional, description)
    if shape == "artifact":
        return YamlPort(name, rng.choice(ARTIFACT_TYPES), "inputPath", True, None, False, description)
    if shape == "param_path":
        return YamlPort(name, "String", "inputPath", False, None, False, description)
    if shape == "artifact_value":
        return YamlPort(
            name, rng.choice(("GCSPath", "GCPProjectID", "GCSPath")), "inputValue", False, None, False, description
        )
    dict_type = "{GCSPath: {openapi_schema_validator: {type: string, pattern: '^gs://.*$'}}}"
    return YamlPort(name, dict_type, "inputValue", False, None, False, description)


def _yaml_output(n: Names, taken: set[str], clean: bool) -> YamlPort:
    rng = n.rng
    if not clean and rng.random() < 0.1 and "MLPipeline UI metadata" not in taken:
        taken.update({"MLPipeline UI metadata", "mlpipeline_ui_metadata"})
        return YamlPort("MLPipeline UI metadata", "UI metadata", "outputPath", True)
    name = n.unique(taken, n.noun if clean or rng.random() < 0.7 else lambda: f"{n.noun().title()} {n.noun()}")
    if clean:
        return YamlPort(name, rng.choice(("String", "Integer")), "outputPath", False)
    t = rng.choices((None, "String", "Integer", "Model", "CSV", "GCSPath"), (2, 2, 1, 2, 1, 1))[0]
    return YamlPort(name, t, "outputPath", t not in ("String", "Integer"))


def _args(n: Names, ports: Sequence[YamlPort], clean: bool) -> list[str]:
    """`args` items in block style: a flag and its placeholder, `if` for optional inputs, some `concat`."""
    items: list[str] = []
    for port in ports:
        flag = "--" + _sanitize(port.name).replace("_", "-")
        placeholder = f"{{{port.placeholder}: {port.name}}}"
        if port.optional:
            items.append(f"- if:\n    cond: {{isPresent: {port.name}}}\n    then: [{flag}, {placeholder}]")
        elif not clean and n.rng.random() < 0.15:
            items.append(f"- {{concat: [{flag}=, {placeholder}]}}")
        else:
            items += [f"- {flag}", f"- {placeholder}"]
    return items


def _program(n: Names, target: int) -> str:
    """The body of a component written from a Python function, as kfp 1 embedded it in `command`."""
    text = f"def {n.func()}(**kwargs):\n    import json\n    print(json.dumps(kwargs))\n"
    while len(text) < target:
        text += "\n" + _library_block(n, "3")
    return text + "\nimport argparse\n_parser = argparse.ArgumentParser(description='')\n"


def component_yaml(n: Names, target: int, clean: bool = False) -> tuple[str, Op]:
    """A v1 component spec; `clean` makes one kfp 2 reads as it is (snake_case names, parameter types)."""
    rng = n.rng
    flow = rng.random() < 0.6
    title = n.title()
    taken: set[str] = set()
    inputs = [_yaml_input(n, taken, clean) for _ in range(rng.randint(1, 6))]
    outputs = [_yaml_output(n, taken, clean) for _ in range(rng.randint(0 if not clean else 1, 3))]
    lines: list[str] = []
    lines.append(f"name: {title}")
    lines.append(f"description: {n.sentence()}")
    if not clean and rng.random() < 0.25:
        lines += ["metadata:", "  annotations:", f"    author: {n.camel()} <{n.noun()}@example.com>"]
    lines.append("inputs:")
    lines += [port.item(flow) for port in inputs]
    if outputs:
        lines.append("outputs:")
        lines += [port.item(flow) for port in outputs]
    lines += ["implementation:", "  container:", f"    image: {rng.choice(PYTHON_IMAGES + OTHER_IMAGES)}"]
    style = rng.choices(("cli", "script", "program"), (4, 2, 3))[0]
    head = "\n".join(lines) + "\n"
    if style == "cli":
        module = f"{n.noun()}.{n.func()}"
        command = ["    command: [python3, -u, -m, " + module + "]"]
    elif style == "script":
        script = "\n".join(f'      {v}="${i}"' for i, v in enumerate(_sanitize(p.name) for p in inputs + outputs))
        command = ["    command:", "    - sh", "    - -exc", "    - |", script, '      echo "$@"']
    else:
        body = _program(n, max(200, target - len(head) - 400))
        program = "\n".join(("      " + line) if line else "" for line in body.splitlines())
        command = [
            "    command:",
            "    - sh",
            "    - -ec",
            "    - |",
            "      program_path=$(mktemp)",
            '      printf "%s" "$0" > "$program_path"',
            '      python3 -u "$program_path" "$@"',
            "    - |",
            program,
        ]
    args = _args(n, inputs + outputs, clean)
    text = (
        head + "\n".join(command) + "\n    args:\n" + "\n".join("    " + a.replace("\n", "\n    ") for a in args) + "\n"
    )
    if not clean and outputs and rng.random() < 0.08:
        text += f"    fileOutputs:\n      {outputs[0].name}: /tmp/outputs/{_sanitize(outputs[0].name)}\n"
    interface = Op(
        _sanitize(title) + "_op",
        tuple(Port(_sanitize(p.name), p.artifact, p.optional, PORT_TYPES.get(p.type or "", "")) for p in inputs),
        tuple(Port(_sanitize(p.name), p.artifact, type=PORT_TYPES.get(p.type or "", "")) for p in outputs),
    )
    return text, interface


# ------------------------------------------------------------------------------------ KFP v1 pipelines

MODIFIERS = (
    (".apply(gcp.use_gcp_secret('user-gcp-sa'))", "gcp", 3),
    (".apply(onprem.mount_pvc('pipeline-claim', 'pipeline', '/mnt'))", "onprem", 0.6),
    (".set_gpu_limit(1)", "", 1.5),
    (".add_node_selector_constraint('cloud.google.com/gke-accelerator', 'nvidia-tesla-t4')", "", 1),
    (".set_memory_limit('4G').set_cpu_limit('2')", "", 2),
    (".set_retry(3)", "", 0.8),
    (".add_env_variable(V1EnvVar(name='MODE', value='fast'))", "k8s", 0.8),
    (".set_timeout(600)", "", 2),
    (".add_pod_annotation('sidecar.istio.io/inject', 'false')", "", 1.5),
    (".set_display_name('{title}')", "", 2),
    (".after({previous})", "", 2),
)


@dataclass
class Step:
    var: str
    op: Op


def _container_op_helper(n: Names, taken: set[str]) -> tuple[str, Op]:
    """A function returning a dsl.ContainerOp, the commonest kfp 1 pipeline shape (KFP301)."""
    rng = n.rng
    func = n.unique(taken, lambda: f"{n.func()}_op")
    args = [n.noun() for _ in range(rng.randint(1, 2))]
    args = list(dict.fromkeys(args))
    output = rng.random() < 0.7
    file_outputs = f"\n        file_outputs={{'output': '/tmp/{n.noun()}.txt'}}," if output else ""
    image = rng.choice(OTHER_IMAGES)
    source = f"""\
def {func}({", ".join(args)}):
    return dsl.ContainerOp(
        name='{n.title()}',
        image='{image}',
        command=['sh', '-c'],
        arguments=['echo "$0" "$1" | tee /tmp/output', {", ".join(args)}],{file_outputs}
    )
"""
    return source, Op(func, tuple(Port(a, False) for a in args), (Port("output", False),) if output else ())


CONSTANTS: dict[str, Callable[[Names], str]] = {
    "int": lambda n: str(n.rng.randint(1, 100)),
    "float": lambda n: f"0.{n.rng.randint(1, 9)}",
    "bool": lambda n: n.rng.choice(("True", "False")),
    "str": lambda n: repr(n.noun()),
    "": lambda n: n.rng.choice((repr(n.noun()), "dsl.RUN_ID_PLACEHOLDER", repr(n.noun()))),
}


def _next_op(rng: random.Random, ops: Sequence[Op], steps: Sequence[Step]) -> Op:
    """Mostly an op whose required file inputs an earlier task can feed, as in pipelines that ran."""
    produced = any(o.artifact for s in steps for o in s.op.outputs)
    fed = [op for op in ops if produced or not any(i.artifact and not i.optional for i in op.inputs)]
    return rng.choice(fed if fed and rng.random() < 0.95 else ops)


def _call(n: Names, step_op: Op, steps: list[Step], params: dict[str, str], indent: str) -> str:
    """A task: keyword arguments (positional now and then: KFP315) from earlier outputs, parameters, constants;
    mostly of the input's type, as working v1 pipelines were, sometimes a URI into an artifact (KFP317)."""
    rng = n.rng
    args: list[tuple[str, str]] = []
    for port in step_op.inputs:
        if port.optional and rng.random() < 0.5:
            continue
        fits = (
            [(s, o) for s in steps for o in s.op.outputs if o.artifact]
            if port.artifact
            else [(s, o) for s in steps for o in s.op.outputs if not o.artifact and o.type in ("", port.type)]
        )
        typed = [p for p, t in params.items() if (t == "str" if port.artifact else t == port.type or not port.type)]
        if fits and rng.random() < (0.97 if port.artifact else 0.6):
            source, out = rng.choice(fits)
            value = f"{source.var}.output" if len(source.op.outputs) == 1 else f"{source.var}.outputs['{out.name}']"
        elif typed and rng.random() < 0.6:
            value = rng.choice(typed)
        elif port.artifact:
            value = f"'gs://{n.noun()}-bucket/{n.noun()}.csv'"
        else:
            value = CONSTANTS[port.type](n)
        args.append((port.name, value))
    positional = rng.random() < 0.35
    rendered = [value if positional and i < 2 else f"{name}={value}" for i, (name, value) in enumerate(args)]
    call = f"{step_op.symbol}({', '.join(rendered)})"
    if len(call) < 90:
        return call
    inner = "".join(f"\n{indent}    {arg}," for arg in rendered)
    return f"{step_op.symbol}({inner}\n{indent})"


def v1_pipeline_module(n: Names, target: int, repo: Repo, here: str, sibling: tuple[str, tuple[Op, ...]] | None) -> str:
    """A kfp 1 pipeline module: components from YAML files, URLs, inline text, ContainerOps, local functions
    and a sibling module; tasks with v1 modifiers, `dsl.Condition`, `ParallelFor`, volumes, the compiler."""
    rng = n.rng
    taken: set[str] = set()
    imports = {"import kfp", "from kfp import dsl"}
    extra_imports: set[str] = set()
    defs: list[str] = []
    ops: list[Op] = []
    local_import = ""
    if sibling is not None:
        module = Path(sibling[0]).stem
        chosen = sibling[1][: rng.randint(1, min(3, len(sibling[1])))]
        local_import = f"from {module} import {', '.join(sorted({op.symbol for op in chosen}))}\n"
        ops += chosen
        taken.update(op.symbol for op in chosen)
    if repo.yaml_components and rng.random() < 0.35:
        imports.add("import os")
        imports.add("from kfp import components")
        for path, op in rng.sample(repo.yaml_components, min(len(repo.yaml_components), rng.randint(1, 2))):
            relative = os.path.relpath(path, os.path.dirname(here)).replace(os.sep, "/")
            symbol = n.claim(taken, op.symbol)
            defs.append(
                f"{symbol} = components.load_component_from_file(\n"
                f"    os.path.join(os.path.dirname(__file__), '{relative}')\n)"
            )
            ops.append(Op(symbol, op.inputs, op.outputs))
    if rng.random() < 0.35:
        imports.add("from kfp import components")
        text, op = component_yaml(n, 0, clean=False)
        symbol = n.claim(taken, op.symbol)
        defs.append(f"{symbol} = components.load_component_from_text('''\n{text}''')")
        ops.append(Op(symbol, op.inputs, op.outputs))
    if rng.random() < 0.45:
        imports.add("from kfp import components")
        area, name = rng.choice(AREAS), n.func()
        symbol = n.claim(taken, f"{name}_op")
        url = f"https://raw.githubusercontent.com/kubeflow/pipelines/1.8.5/components/{area}/{name}/component.yaml"
        defs.append(f"{symbol} = components.load_component_from_url(\n    '{url}'\n)")
        ops.append(Op(symbol, (Port(n.noun(), False), Port(n.noun(), True, True)), (Port("output", False),)))
    if not ops or rng.random() < 0.5:
        for _ in range(rng.randint(1, 3)):
            source, op = _container_op_helper(n, taken)
            defs.append(source)
            ops.append(op)
    if rng.random() < 0.3:
        mod = Module(rng.choice(("", "comp.", "components.")))
        for _ in range(rng.choice((1, 1, 2))):
            source, op = v1_function_component(n, mod, taken)
            defs.append(source)
            ops.append(op)
        line = mod.imports("\n".join(defs)).rstrip("\n")
        (imports if "\n" not in line else extra_imports).add(line)
    name = n.snake(rng.choice((2, 3)))
    # Pipeline parameters: untyped strings (KFP201), URIs among them, and typed integers.
    params = {n.unique(taken, n.noun): "str" if rng.random() < 0.6 else "int" for _ in range(rng.randint(1, 3))}
    param_text = ", ".join(
        f"{p}='{rng.choice(('gs://', ''))}{n.noun()}'" if t == "str" else f"{p}: int = {rng.randint(1, 50)}"
        for p, t in params.items()
    )
    body: list[str] = []
    steps: list[Step] = []
    indent = "    "
    modifiers_used: set[str] = set()
    for index in range(rng.randint(2, 7)):
        op = _next_op(rng, ops, steps)
        var = n.unique(taken, lambda: f"{n.noun()}_task")
        call = _call(n, op, steps, params, indent)
        if steps and rng.random() < 0.5:
            text, module, _ = MODIFIERS[rng.choices(range(len(MODIFIERS)), [m[2] for m in MODIFIERS])[0]]
            call += text.format(title=n.title(), previous=rng.choice(steps).var)
            modifiers_used.add(module)
        if rng.random() < 0.3:
            body.append(f"{indent}# {n.sentence()}")
        body.append(f"{indent}{var} = {call}")
        if index == 1 and rng.random() < 0.3:
            body.append(f"{indent}{var}.execution_options.caching_strategy.max_cache_staleness = 'P0D'")
        steps.append(Step(var, op))
        if indent == "    " and rng.random() < 0.25:
            outs = [o for o in op.outputs if not o.artifact]
            if outs:
                ref = f"{var}.output" if len(op.outputs) == 1 else f"{var}.outputs['{outs[0].name}']"
                body.append(f"{indent}with dsl.Condition({ref} == '{rng.choice(('heads', 'true', 'done'))}'):")
            else:
                body.append(f"{indent}with dsl.ParallelFor([{rng.randint(1, 9)}, {rng.randint(10, 99)}]) as item:")
            indent = "        "
            loop = {"item": "int"} if "ParallelFor" in body[-1] else {}
            body.append(f"{indent}{_call(n, rng.choice(ops), steps, params | loop, indent)}")
    if rng.random() < 0.15:
        body.insert(
            0,
            "    vop = dsl.VolumeOp(name='pvc', resource_name='data-pvc', size='1Gi', modes=dsl.VOLUME_MODE_RWO)",
        )
        body.append(f"    {steps[0].var}.add_pvolumes({{'/data': vop.volume}})")
    if rng.random() < 0.15:
        body.append(f"    dsl.get_pipeline_conf().set_parallelism({rng.randint(1, 8)})")
    if "gcp" in modifiers_used:
        imports.add("from kfp import gcp")
    if "onprem" in modifiers_used:
        imports.add("from kfp import onprem")
    if "k8s" in modifiers_used:
        extra_imports.add("from kubernetes.client.models import V1EnvVar")
    compile_call = rng.choices(
        (
            f"kfp.compiler.Compiler().compile({name}_pipeline, __file__ + '.yaml')",
            f"kfp.compiler.Compiler().compile({name}_pipeline, __file__ + '.tar.gz')",
            f"kfp.compiler.Compiler(mode=dsl.PipelineExecutionMode.V2_COMPATIBLE).compile({name}_pipeline, 'p.yaml')",
            f"kfp.Client().create_run_from_pipeline_func({name}_pipeline, arguments={{}})",
            f"kfp.compiler.Compiler().compile({name}_pipeline, '{name}.tar.gz', type_check=False)",
        ),
        (4, 3, 1, 2, 1),
    )[0]
    text = (
        f'"""{n.sentence()}"""\n\n'
        + "\n".join(sorted(imports, key=lambda line: (line.startswith("from"), line)))
        + ("\n" + "\n".join(sorted(extra_imports)) if extra_imports else "")
        + ("\n\n" + local_import if local_import else "\n")
        + "\n\n"
        + "\n\n\n".join(d.rstrip("\n") for d in defs)
        + f"\n\n\n@dsl.pipeline(name='{name.replace('_', '-')}', description='{n.sentence()}')\n"
        + f"def {name}_pipeline({param_text}):\n"
        + "\n".join(body)
        + "\n"
    )
    return _pad(text, target, n) + f"\n\nif __name__ == '__main__':\n    {compile_call}\n"


# --------------------------------------------------------------------------------------- unrelated YAML


def _k8s_document(n: Names, app: str) -> str:
    rng = n.rng
    pick = rng.randrange(5)
    labels = f"  labels:\n    app: {app}\n    component: {n.noun()}\n"
    if pick == 0:
        env = "".join(
            f'        - name: {n.noun().upper()}_{n.noun().upper()}\n          value: "{rng.randint(0, 999)}"\n'
            for _ in range(rng.randint(1, 5))
        )
        return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
{labels}spec:
  replicas: {rng.randint(1, 3)}
  selector:
    matchLabels:
      app: {app}
  template:
    metadata:
      labels:
        app: {app}
    spec:
      serviceAccountName: {app}
      containers:
      - name: {app}
        image: gcr.io/ml-pipeline/{app}:1.8.5
        ports:
        - containerPort: {rng.choice((8080, 8888, 3000, 9090))}
        env:
{env}        resources:
          requests:
            cpu: {rng.randint(1, 9)}00m
            memory: {rng.randint(1, 8)}00Mi
"""
    if pick == 1:
        return f"""\
apiVersion: v1
kind: Service
metadata:
  name: {app}
{labels}spec:
  ports:
  - name: http
    port: {rng.choice((80, 8888, 443))}
    protocol: TCP
    targetPort: {rng.choice((8080, 3000))}
  selector:
    app: {app}
"""
    if pick == 2:
        data = "".join(f'  {n.noun()}_{n.noun()}: "{rng.choice(ADJECTIVES)}"\n' for _ in range(rng.randint(2, 8)))
        return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\n{labels}data:\n{data}"
    if pick == 3:
        resources = ", ".join(f"{n.noun()}s" for _ in range(rng.randint(1, 4)))
        return f"""\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {app}-role
rules:
- apiGroups:
  - ""
  resources: [{resources}]
  verbs: [get, list, watch, create, delete]
"""
    return f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {app}\n{labels}"


def k8s_manifest(n: Names, target: int) -> str:
    app = f"ml-pipeline-{n.noun()}"
    if n.rng.random() < 0.15:
        kinds = ("deployment", "service", "role", "sa")[: n.rng.randint(1, 4)]
        resources = "".join(f"- {n.noun()}-{kind}.yaml\n" for kind in kinds)
        kustomize = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: kubeflow\n"
        return f"{kustomize}resources:\n{resources}"
    text = _k8s_document(n, app)
    while len(text) < target:
        text += "---\n" + _k8s_document(n, app)
    return text


def ci_config(n: Names, target: int) -> str:
    """A GitHub workflow or a Cloud Build config."""
    rng = n.rng
    if rng.random() < 0.6:
        text = f"""\
name: {n.title()}

on:
  push:
    branches: [master]
  pull_request:
    paths:
    - '{n.noun()}/**'

jobs:
"""
        while len(text) < target or "runs-on" not in text:
            text += f"""\
  {n.func().replace("_", "-")}:
    runs-on: ubuntu-latest
    steps:
    - uses: actions/checkout@v2
    - uses: actions/setup-python@v2
      with:
        python-version: '3.{rng.choice((7, 8, 9))}'
    - name: {n.sentence()}
      run: |
        pip install -r requirements.txt
        python -m pytest {n.noun()}/
"""
        return text
    text = "steps:\n"
    while len(text) < target:
        image = f"gcr.io/$PROJECT_ID/{n.noun()}-{n.noun()}:$COMMIT_SHA"
        text += f"""\
- name: 'gcr.io/cloud-builders/docker'
  args: ['build', '-t', '{image}', '-f', '{n.noun()}/Dockerfile', '.']
  id: 'build{n.noun().title()}'
- name: 'gcr.io/cloud-builders/docker'
  args: ['push', '{image}']
"""
    return text + f"timeout: '{rng.randint(10, 60)}m'\n"


# ---------------------------------------------------------------------------------------------- layout


class Layout:
    """Nested directories that look like a repository's: components/<area>/<name>/, samples/core/<name>/,
    manifests/kustomize/base/<app>/, sdk/python/<package>/, .github/workflows/, about 2.6 files a folder."""

    def __init__(self, n: Names) -> None:
        self.n = n
        self.used: set[str] = set()
        self.dirs: dict[str, list[str]] = {}

    def _dir(self, family: str, make: Callable[[], str], reuse: float) -> str:
        existing = self.dirs.setdefault(family, [])
        if existing and self.n.rng.random() < reuse:
            return self.n.rng.choice(existing)
        directory = make()
        existing.append(directory)
        return directory

    def file(self, directory: str, stem: str, suffix: str) -> str:
        path, count = f"{directory}/{stem}{suffix}", 2
        while path in self.used:
            path, count = f"{directory}/{stem}_{count}{suffix}", count + 1
        self.used.add(path)
        return path

    def component_dir(self) -> str:
        n = self.n
        group = f"/{n.noun()}" if n.rng.random() < 0.4 else ""
        return self._dir("components", lambda: f"components/{n.rng.choice(AREAS)}{group}/{n.func()}", 0.1)

    def path(self, kind: Kind) -> str:
        n, rng = self.n, self.n.rng
        if kind in (Kind.V1_COMPONENT, Kind.TYPED_COMPONENT):
            return self.file(self.component_dir(), "component", ".yaml")
        if kind is Kind.V1_PY_COMPONENTS:
            if rng.random() < 0.5:
                return self.file(self.component_dir() + rng.choice(("", "/src")), n.func(), ".py")
            return self.file(self.component_dir(), "component", ".py")
        if kind is Kind.V1_PIPELINE:
            top = rng.choice(("samples/core", "samples/contrib", "samples/tutorials", "pipelines", "test/sample-test"))
            directory = self._dir("pipelines", lambda: f"{top}/{n.snake()}", 0.2)
            return self.file(directory, n.snake(), ".py")
        if kind in (Kind.LIBRARY, Kind.KFP_ADJACENT):
            top = rng.choice(("sdk/python", "backend/src", "tools", "components/_utils", "api/python", "samples/utils"))
            directory = self._dir(
                "python", lambda: f"{top}/{n.noun()}" + (f"/{n.noun()}" if rng.random() < 0.5 else ""), 0.6
            )
            return self.file(directory, "__init__" if rng.random() < 0.08 else n.func(), ".py")
        if kind is Kind.TEST:
            if self.dirs.get("python") and rng.random() < 0.7:
                return self.file(rng.choice(self.dirs["python"]) + "/tests", f"test_{n.func()}", ".py")
            return self.file(self._dir("tests", lambda: f"test/{n.noun()}", 0.5), f"test_{n.func()}", ".py")
        if kind is Kind.K8S:
            layer = rng.choice(("base", "base", "env/gcp", "env/dev", "third-party"))
            directory = self._dir("k8s", lambda: f"manifests/kustomize/{layer}/{n.noun()}", 0.7)
            return self.file(
                directory, rng.choice(("deployment", "service", "configmap", "role", "kustomization")), ".yaml"
            )
        if rng.random() < 0.5:
            return self.file(".github/workflows", n.func().replace("_", "-"), ".yml")
        return self.file(self._dir("ci", lambda: f"test/{n.noun()}", 0.3), "cloudbuild", ".yaml")


# ------------------------------------------------------------------------------------------- generate


@dataclass(frozen=True)
class GeneratedFile:
    path: str  # relative to the root, with forward slashes
    kind: Kind
    size: int


@dataclass(frozen=True)
class Manifest:
    root: Path
    files: tuple[GeneratedFile, ...]  # every file a run should read (not .gitignore, not the ignored ones)
    ignored: tuple[str, ...]  # files under a .gitignore'd folder

    def of(self, *kinds: Kind) -> list[GeneratedFile]:
        return [f for f in self.files if f.kind in kinds]

    def counts(self) -> Counter[Kind]:
        return Counter(f.kind for f in self.files)


def generate(root: Path, n_files: int, seed: int, kfp_share: float = KFP_SHARE, python_only: bool = False) -> Manifest:
    """Write `n_files` YAML and Python files under `root` (created; must be empty or absent), a .gitignore,
    and a few ignored copies under build/. The same arguments always write the same bytes."""
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    rng = random.Random(seed)
    n = Names(rng)
    layout = Layout(n)
    repo = Repo()
    texts: dict[str, tuple[Kind, str]] = {}
    counts = allocate(n_files, kfp_share, python_only)
    for kind in ORDER:
        for _ in range(counts.get(kind, 0)):
            median, sigma, low, high = SIZES[kind]
            target = int(min(high, max(low, rng.lognormvariate(math.log(median), sigma))))
            sibling = None
            if kind is Kind.V1_PIPELINE and repo.py_components and rng.random() < 0.35:
                # Beside a components module, importing from it (`from train import train_op`).
                sibling = rng.choice(repo.py_components)
                path = layout.file(os.path.dirname(sibling[0]), n.snake() + "_pipeline", ".py")
            else:
                path = layout.path(kind)
            language = "py" if kind in PYTHON_KINDS else "yaml"
            header = ""
            if kind not in (Kind.CI,) and rng.random() < LICENCE_SHARE[language]:
                header = LICENCE.format(year=rng.choice((2019, 2020, 2021))) + ("\n" if language == "py" else "")
            texts[path] = (kind, header + _content(kind, n, max(low, target - len(header)), repo, path, sibling))
    v1_python = sorted(p for p, (k, _) in texts.items() if k in (Kind.V1_PY_COMPONENTS, Kind.V1_PIPELINE))
    ignored = {}
    for path in rng.sample(v1_python, min(len(v1_python), max(1, n_files // 100))) if v1_python else []:
        ignored[f"{IGNORED_DIR}/{path}"] = texts[path][1]
    root.mkdir(parents=True, exist_ok=True)
    (root / ".gitignore").write_bytes(GITIGNORE.encode())
    for path, text in sorted({**{p: t for p, (_, t) in texts.items()}, **ignored}.items()):
        target_path = root / path
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target_path.write_bytes(text.encode("utf-8"))
    files = tuple(GeneratedFile(p, k, len(t.encode("utf-8"))) for p, (k, t) in sorted(texts.items()))
    return Manifest(root, files, tuple(sorted(ignored)))


def _content(
    kind: Kind, n: Names, target: int, repo: Repo, path: str, sibling: tuple[str, tuple[Op, ...]] | None
) -> str:
    if kind in (Kind.V1_COMPONENT, Kind.TYPED_COMPONENT):
        text, op = component_yaml(n, target, clean=kind is Kind.TYPED_COMPONENT)
        if kind is Kind.V1_COMPONENT:
            repo.yaml_components.append((path, op))
        return text
    if kind is Kind.V1_PY_COMPONENTS:
        text, ops = v1_components_module(n, target)
        repo.py_components.append((path, ops))
        return text
    if kind is Kind.V1_PIPELINE:
        return v1_pipeline_module(n, target, repo, path, sibling)
    if kind is Kind.KFP_ADJACENT:
        return kfp_adjacent_module(n, target)
    if kind is Kind.LIBRARY:
        return library_module(n, target)
    if kind is Kind.TEST:
        return test_module(n, target)
    if kind is Kind.K8S:
        return k8s_manifest(n, target)
    return ci_config(n, target)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    share = parser.add_mutually_exclusive_group()
    share.add_argument("--kfp-share", type=float, default=KFP_SHARE, help="share of files that are KFP v1 code")
    share.add_argument("--all-kfp", action="store_true", help="every file is KFP v1 code")
    parser.add_argument("--python-only", action="store_true", help="no YAML files")
    args = parser.parse_args(argv)
    manifest = generate(args.root, args.files, args.seed, 1.0 if args.all_kfp else args.kfp_share, args.python_only)
    total = sum(f.size for f in manifest.files)
    print(f"{len(manifest.files)} files ({total / 1e6:.1f} MB) under {manifest.root}, {len(manifest.ignored)} ignored")
    for kind, count in sorted(manifest.counts().items()):
        print(f"  {kind.value:22} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
