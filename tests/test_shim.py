"""The `sh` shims of KFP104 and KFP140 really run (checked with /bin/sh), and fixed components compile."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrate.engine import fix_text
from migrate.registry import all_rules, rule_by_code
from rules.yaml_components._shim import INPUTS_DIR, input_file_names, input_script, output_script
from tests.conftest import shared_dir
from tests.kfp_oracle import compile_component_text

SH = "/bin/sh"
pytestmark = pytest.mark.skipif(not Path(SH).exists(), reason="needs a POSIX shell at /bin/sh")

# Values a shell could mangle: quotes, `$`, backslashes, `%` (printf), newlines, a leading dash.
AWKWARD = [
    "plain",
    "two words",
    'it\'s "quoted"',
    "$HOME `x` $(y)",
    "back\\slash\\n",
    "100%s",
    "-n",
    "a\nb\n",
    "",
]
# Prints its arguments as JSON, so the test sees exactly the argv the shim passed on.
ECHO_ARGV = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))"]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


def test_input_shim_writes_each_value_and_execs_the_command_unchanged(tmp_path: Path) -> None:
    values = AWKWARD + [f"value {i}" for i in range(12 - len(AWKWARD))]  # 12 inputs: `${10}` and `${11}` too
    paths = [str(tmp_path / f"in{i}") for i in range(len(values))]
    command = [*ECHO_ARGV, "--x", "with space", "$0", ""]
    result = _run([SH, "-ec", input_script(paths, str(tmp_path)), *values, *command])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '["--x", "with space", "$0", ""]'
    for path, value in zip(paths, values, strict=True):
        assert Path(path).read_bytes() == value.encode()


def test_input_shim_passes_the_command_exit_status(tmp_path: Path) -> None:
    result = _run([SH, "-ec", input_script([str(tmp_path / "a")], str(tmp_path)), "v", SH, "-c", "exit 7"])
    assert result.returncode == 7


def test_output_shim_copies_fixed_paths_after_the_command(tmp_path: Path) -> None:
    sources = [tmp_path / "fixed one.txt", tmp_path / "it's.json", tmp_path / "dir"]
    outputs = [tmp_path / "out" / "a" / "data", tmp_path / "out" / "b", tmp_path / "out" / "c" / "d"]
    program = 'printf hi > "$1"; printf \'{}\' > "$2"; mkdir -p "$3"; printf x > "$3/f"; echo "$4"'
    command = [SH, "-c", program, "prog", *map(str, sources), "last arg"]
    result = _run([SH, "-ec", output_script([str(s) for s in sources]), *map(str, outputs), *command])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "last arg\n"
    assert outputs[0].read_text() == "hi"
    assert outputs[1].read_text() == "{}"
    assert (outputs[2] / "f").read_text() == "x"


@pytest.mark.parametrize("program", ["exit 3", "true"], ids=["command_fails", "file_missing"])
def test_output_shim_fails_like_v1(tmp_path: Path, program: str) -> None:
    source, output = tmp_path / "never.txt", tmp_path / "out" / "o"
    result = _run([SH, "-ec", output_script([str(source)]), str(output), SH, "-c", program])
    assert result.returncode != 0
    assert not output.exists()


def test_input_file_names_are_distinct_and_safe() -> None:
    names = input_file_names(["a b", "a_b", "A_B", "../x", ".", "ok-1.txt"])
    assert names == ["a_b", "a_b_2", "A_B_3", "_x", "input", "ok-1.txt"]


def _argv(text: str, values: dict[str, str], outputs: dict[str, str]) -> list[str]:
    """What a kfp 2 launcher would run for the (flat) command+args of a component."""

    def resolve(item: Any) -> str:
        if isinstance(item, str):
            return item
        ((kind, name),) = item.items()
        if kind == "inputValue":
            return values[name]
        if kind == "outputPath":
            return outputs[name]
        if kind == "concat":
            return "".join(resolve(part) for part in name)
        raise AssertionError(f"unexpected placeholder {item}")

    container = yaml.safe_load(text)["implementation"]["container"]
    return [resolve(item) for item in container.get("command", []) + container.get("args", [])]


def test_kfp104_fixed_component_runs(tmp_path: Path) -> None:
    rule = rule_by_code("KFP104")
    assert rule is not None
    run = uuid.uuid4().hex  # the shim writes to a fixed directory: keep runs apart
    name, number = f"text_{run}", f"n_{run}"
    source = (
        f"name: t\ninputs:\n- {{name: {name}, type: String}}\n- {{name: {number}, type: Integer}}\n"
        "outputs:\n- {name: o, type: String}\nimplementation:\n  container:\n    image: alpine\n"
        '    command: [sh, -c, \'cat "$0" "$1" > "$2"\']\n'
        f"    args: [{{inputPath: {name}}}, {{concat: ['', {{inputPath: {number}}}]}}, {{outputPath: o}}]\n"
    )
    fixed = fix_text(source, "c.yaml", [rule], unsafe=True).fixed
    assert fixed is not None and "inputPath" not in fixed
    output = tmp_path / "o"
    result = _run(_argv(fixed, {name: "it's $x\n", number: "42"}, {"o": str(output)}))
    assert result.returncode == 0, result.stderr
    assert output.read_text() == "it's $x\n42"
    for written in (name, number):
        os.unlink(f"{INPUTS_DIR}/{written}")


def test_kfp140_fixed_component_runs(tmp_path: Path) -> None:
    rule = rule_by_code("KFP140")
    assert rule is not None
    fixed_path = tmp_path / "result.txt"
    source = (
        "name: t\noutputs:\n- {name: o, type: String}\nimplementation:\n  container:\n    image: alpine\n"
        f"    command: [sh, -c, 'echo hi > {fixed_path}']\n    fileOutputs: {{o: '{fixed_path}'}}\n"
    )
    fixed = fix_text(source, "c.yaml", [rule], unsafe=True).fixed
    assert fixed is not None and "fileOutputs" not in fixed
    output = tmp_path / "kfp" / "outputs" / "o"
    result = _run(_argv(fixed, {}, {"o": str(output)}))
    assert result.returncode == 0, result.stderr
    assert output.read_text() == "hi\n"


@pytest.mark.parametrize("name", ["Create_object", "Apply_object"])
def test_kfp104_corpus_components_compile_after_unsafe_fix(name: str) -> None:
    """The corpus' JsonObject-by-path components: kfp 2 rejects them as they are, accepts them fixed."""
    root = shared_dir("corpus", "kfp-v1-components", "kubeflow", "pipelines", "components", "contrib")
    text = (root / "kubernetes" / name / "component.yaml").read_text(encoding="utf-8")
    assert compile_component_text(text).stage == "call"
    outcome = fix_text(text, "component.yaml", all_rules(), unsafe=True)
    assert outcome.fixed is not None and "{inputPath:" not in outcome.fixed
    assert compile_component_text(outcome.fixed).ok, compile_component_text(outcome.fixed).error
