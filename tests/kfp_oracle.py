"""The kfp 2 oracle: load a v1 component YAML, wire it into a pipeline, compile it."""

from __future__ import annotations

import json
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

# Typed constants for parameter inputs, keyed by kfp 2's in-memory parameter type names.
PARAMETER_CONSTANTS: dict[str, object] = {
    "String": "x",
    "Integer": 1,
    "Float": 1.0,
    "Boolean": True,
    "Dict": {},
    "List": [],
}


@dataclass(frozen=True)
class Outcome:
    """Where kfp 2 stopped (`ok`, `load`, `call`, `build`, `compile`) and why."""

    stage: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.stage == "ok"


def compile_component_text(text: str) -> Outcome:
    """Load `text` with kfp 2, call it with typed arguments in a pipeline, compile."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from kfp import compiler, components, dsl
        from kfp.dsl.types import artifact_types, type_utils

        stage = "load"
        try:
            component = components.load_component_from_text(text)
            spec = component.component_spec
            stage = "call"

            @dsl.pipeline(name="oracle")
            def oracle_pipeline():  # type: ignore[no-untyped-def]  # kfp reads the return annotation
                arguments: dict[str, object] = {}
                for name, input_spec in (spec.inputs or {}).items():
                    if type_utils.is_task_final_status_type(input_spec.type):
                        continue
                    if type_utils.is_parameter_type(input_spec.type):
                        arguments[name] = PARAMETER_CONSTANTS[input_spec.type]
                    else:
                        title = input_spec.type.split("@")[0]
                        artifact_class = artifact_types._SCHEMA_TITLE_TO_TYPE.get(title, dsl.Artifact)
                        arguments[name] = dsl.importer(
                            artifact_uri="gs://bucket/object", artifact_class=artifact_class
                        ).output
                component(**arguments)

            stage = "compile"
            with tempfile.TemporaryDirectory() as tmp:
                compiler.Compiler().compile(oracle_pipeline, str(Path(tmp) / "pipeline.yaml"))
        except Exception as error:
            first_line = str(error).splitlines()[0] if str(error) else ""
            return Outcome(stage, f"{type(error).__name__}: {first_line}")
    return Outcome("ok")


def main(paths: list[str]) -> None:
    """Print one JSON line per file: path, stage, error."""
    for path in paths:
        text = Path(path).read_text(encoding="utf-8-sig")
        outcome = compile_component_text(text)
        print(json.dumps({"path": path, "stage": outcome.stage, "error": outcome.error}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
