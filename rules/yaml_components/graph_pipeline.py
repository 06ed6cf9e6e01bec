"""A v1 graph component (`implementation.graph`) written as the kfp 2 `@dsl.pipeline` module that wires the same tasks.

Used by KFP141. kfp 1.8.22 expanded a graph task by task (SOURCE K1 `components/_components.py:_resolve_graph_task`):
each task's component came from its `componentRef` (inline `spec`, else `url`, else a lookup by `name` in
`ComponentStore.default_store`), its arguments were constants, graph inputs (defaults filled in) or other tasks'
outputs, and tasks ran in dependency order (`GraphSpec._toposorted_tasks`). The generated module does the same
with kfp 2's loaders, types the pipeline's inputs and outputs as kfp 2 types the v1 ones (rules/_yaml.py,
kfp-semantics.md §2) and uses the names kfp 2 gives a loaded v1 component's inputs and outputs (§1.3).
"""

from __future__ import annotations

import ast
import json
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules._yaml import Kind, classify_name
from rules.yaml_components.names import sanitize

# kfp 2 parameter type -> the Python annotation that declares it on a pipeline.
_PYTHON_TYPES = {"String": "str", "Integer": "int", "Float": "float", "Boolean": "bool", "Dict": "dict", "List": "list"}
_EXPECTED = {
    "String": (str,),
    "Integer": (int,),
    "Float": (float,),
    "Boolean": (bool,),
    "Dict": (dict,),
    "List": (list,),
}
# kfp 2 classes for `system.<Class>@0.0.1` artifacts (all exported by kfp.dsl).
_ARTIFACT_CLASSES = frozenset(
    {
        "Artifact",
        "Dataset",
        "Model",
        "Metrics",
        "ClassificationMetrics",
        "SlicedClassificationMetrics",
        "HTML",
        "Markdown",
    }
)
_REMOTE = re.compile(r"^(https?|gs)://", re.IGNORECASE)
COMMENT = "# kfp 2: see {name} (kfp-migrate KFP141)"
COMMENT_PATTERN = re.compile(r"^[ \t]*# kfp 2: see (\S+\.py) \(kfp-migrate KFP141\)[ \t]*$", re.MULTILINE)


class Unsupported(Exception):
    """The graph uses something with no kfp 2 equivalent the generator can write; the message says what."""


def companion_name(yaml_path: str) -> str:
    """`component.yaml` -> `component_pipeline.py`: an importable module name that does not take the place of the
    `component.py` that many v1 components keep beside their YAML (the source it was generated from)."""
    base = re.split(r"[\\/]", yaml_path)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    name = re.sub(r"\W+", "_", stem, flags=re.ASCII).strip("_").lower() or "graph"
    if name[0].isdigit():
        name = f"graph_{name}"
    return f"{name}_pipeline.py"


def _identifier(name: str, what: str) -> str:
    ident = sanitize(name)
    if not ident.isidentifier() or keyword.iskeyword(ident):
        raise Unsupported(f"{what} `{name}` has no Python name in kfp 2 (`{ident}`)")
    return ident


def _strtobool(text: str) -> bool:
    """kfp 2 `type_utils.strtobool`."""
    lowered = text.lower()
    if lowered in ("y", "yes", "t", "true", "on", "1"):
        return True
    if lowered in ("n", "no", "f", "false", "off", "0"):
        return False
    raise ValueError(f"invalid truth value {text!r}")


def _json_or_text(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


# kfp 2 `type_utils._V1_DEFAULT_DESERIALIZER_MAPPING`, keyed by the raw, lower-cased v1 type name.
_DESERIALIZERS: dict[str, Any] = {
    "integer": int,
    "int": int,
    "float": float,
    "double": float,
    "string": str,
    "str": str,
    "text": str,
    "bool": _strtobool,
    "boolean": _strtobool,
    "dict": _json_or_text,
    "list": _json_or_text,
    "jsonobject": _json_or_text,
    "jsonarray": _json_or_text,
}


def _literal(value: Any) -> str:
    """Python source for a YAML value, checked to read back as the same value."""
    text = repr(value)
    try:
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise Unsupported(f"the value {text} has no Python literal")
    return text


def _kind(type_value: Any, is_input: bool) -> tuple[Kind, str]:
    if type_value is None:
        return Kind.ARTIFACT, "system.Artifact@0.0.1"
    if isinstance(type_value, str):
        return classify_name(type_value, is_input)
    if isinstance(type_value, dict) and type_value:
        return Kind.ARTIFACT, "system.Artifact@0.0.1"
    return Kind.BROKEN, repr(type_value)


def _artifact_class(kfp2_type: str, name: str) -> str:
    schema = kfp2_type.split("@", 1)[0]
    if schema.startswith("system.") and schema[7:] in _ARTIFACT_CLASSES:
        return f"dsl.{schema[7:]}"
    raise Unsupported(f"`{name}` has type `{kfp2_type}`, which no kfp.dsl artifact class declares")


@dataclass(frozen=True)
class _Input:
    ident: str
    annotation: str
    default: str | None  # Python source; None = required


def _input(spec: Any) -> tuple[str, _Input]:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
        raise Unsupported("an input has no name")
    name: str = spec["name"]
    ident = _identifier(name, "input")
    kind, kfp2_type = _kind(spec.get("type"), True)
    optional = bool(spec.get("optional")) or "default" in spec
    if kind is Kind.ARTIFACT:
        # kfp 2 drops an artifact input's default and makes it optional (kfp-semantics.md §2, probe Y40).
        return name, _Input(ident, f"dsl.Input[{_artifact_class(kfp2_type, name)}]", "None" if optional else None)
    if kind is not Kind.PARAMETER:
        raise Unsupported(f"input `{name}` has type `{kfp2_type}`, which a pipeline cannot declare")
    default = spec.get("default")
    if default is None:
        return name, _Input(ident, _PYTHON_TYPES[kfp2_type], "None" if optional else None)
    raw = spec.get("type")
    try:
        value = _DESERIALIZERS.get(raw.lower(), lambda x: x)(default) if isinstance(raw, str) else default
    except ValueError as error:
        raise Unsupported(f"the default of input `{name}` does not load in kfp 2 ({error})") from None
    if kfp2_type == "Float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, _EXPECTED[kfp2_type]) or (kfp2_type == "Integer" and isinstance(value, bool)):
        raise Unsupported(f"the default of input `{name}` is not a {kfp2_type.lower()} in kfp 2")
    return name, _Input(ident, _PYTHON_TYPES[kfp2_type], _literal(value))


def _outputs(spec: Mapping[str, Any], values: Any) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(Python name, annotation, taskOutput reference) per graph output, in declaration order."""
    declared = spec.get("outputs") or []
    if not isinstance(declared, list) or not isinstance(values, Mapping | None):
        raise Unsupported("`outputs` or `outputValues` is not a list or mapping")
    values = values or {}
    names = [o.get("name") if isinstance(o, Mapping) else None for o in declared]
    for name in values:
        if name not in names:
            raise Unsupported(f"`outputValues` names `{name}`, which is not a declared output")
    result: list[tuple[str, str, Mapping[str, Any]]] = []
    for output, name in zip(declared, names, strict=True):
        if not isinstance(name, str):
            raise Unsupported("an output has no name")
        reference = values.get(name)
        if not isinstance(reference, Mapping) or not isinstance(reference.get("taskOutput"), Mapping):
            raise Unsupported(f"output `{name}` does not come from a task output")
        kind, kfp2_type = _kind(output.get("type"), False)
        if kind is Kind.PARAMETER:
            annotation = _PYTHON_TYPES[kfp2_type]
        elif kind is Kind.ARTIFACT:
            annotation = _artifact_class(kfp2_type, name)
        else:
            raise Unsupported(f"output `{name}` has type `{kfp2_type}`, which a pipeline cannot declare")
        result.append((_identifier(name, "output"), annotation, reference["taskOutput"]))
    return result


@dataclass(frozen=True)
class _Loader:
    call: str  # the Python expression that loads the component


def _loader(task_id: str, ref: Any) -> _Loader:
    if not isinstance(ref, Mapping):
        raise Unsupported(f"task `{task_id}` has no `componentRef`")
    if ref.get("spec") is not None:
        if not isinstance(ref["spec"], Mapping):
            raise Unsupported(f"the inline `spec` of task `{task_id}` is not a mapping")
        text = _dump(ref["spec"])
        lines = "".join(f"\n    {_literal(line)}" for line in text.splitlines(keepends=True))
        return _Loader(f"components.load_component_from_text({lines}\n)")
    url = ref.get("url")
    if isinstance(url, str) and url:
        if _REMOTE.match(url):
            return _Loader(f"components.load_component_from_url(\n    {_literal(url)}\n)")
        path = url.removeprefix("file://")
        if path.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", path):
            return _Loader(f"components.load_component_from_file({_literal(path)})")
        parts = ", ".join(_literal(part) for part in path.replace("\\", "/").split("/") if part not in ("", "."))
        # Relative to this module (its YAML's folder), as kfp-migrate's own cross-file checks read it.
        return _Loader(f"components.load_component_from_file(os.path.join(os.path.dirname(__file__), {parts}))")
    raise Unsupported(
        f"task `{task_id}` names its component only by `name`; kfp 1 looked it up in `ComponentStore.default_store`, "
        "which kfp 2 does not have: give it a `url`"
    )


def _dump(spec: Mapping[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(dict(spec), sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000))


def _argument(task_id: str, value: Any, inputs: Mapping[str, _Input], tasks: Mapping[str, str]) -> str:
    if isinstance(value, str | int | float | bool) and value is not None:
        return _literal(value)  # kfp 1 passed a graph's constants as YAML typed them
    if isinstance(value, Mapping) and len(value) == 1:
        if isinstance(value.get("graphInput"), Mapping):
            name = value["graphInput"].get("inputName")
            if name not in inputs:
                raise Unsupported(f"task `{task_id}` reads graph input `{name}`, which is not declared")
            return inputs[name].ident
        if isinstance(value.get("taskOutput"), Mapping):
            return _task_output(value["taskOutput"], tasks, f"task `{task_id}`")
    raise Unsupported(f"task `{task_id}` has an argument that is not a constant, graph input or task output")


def _task_output(reference: Mapping[str, Any], tasks: Mapping[str, str], who: str) -> str:
    task_id, output = reference.get("taskId"), reference.get("outputName")
    if not isinstance(task_id, str) or task_id not in tasks or not isinstance(output, str):
        raise Unsupported(f"{who} reads output `{output}` of `{task_id}`, which is not a task of the graph")
    return f"{tasks[task_id]}.outputs[{_literal(sanitize(output))}]"


def _dependencies(task: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    arguments = task.get("arguments") or {}
    for value in arguments.values() if isinstance(arguments, Mapping) else ():
        if isinstance(value, Mapping) and isinstance(value.get("taskOutput"), Mapping):
            found.append(str(value["taskOutput"].get("taskId")))
    return found


def _toposorted(tasks: Mapping[str, Any]) -> list[str]:
    """Tasks in file order, each after the tasks whose outputs it reads."""
    order: list[str] = []
    pending = list(tasks)
    while pending:
        ready = next((t for t in pending if all(d in order or d not in tasks for d in _dependencies(tasks[t]))), None)
        if ready is None:
            raise Unsupported(f"task `{pending[0]}` has a cyclical dependency")
        order.append(ready)
        pending.remove(ready)
    return order


def _unique(base: str, taken: set[str]) -> str:
    name = base if base.isidentifier() and not keyword.iskeyword(base) else f"task_{base}"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _options(task_id: str, task: Mapping[str, Any], var: str) -> list[str]:
    lines: list[str] = []
    if "isEnabled" in task:
        raise Unsupported(f"task `{task_id}` has `isEnabled`: write it as a `dsl.If` around the task")
    if task.get("annotations"):
        raise Unsupported(f"task `{task_id}` has `annotations`, which kfp 2 tasks do not have")
    options = task.get("executionOptions") or {}
    if not isinstance(options, Mapping) or set(options) - {"retryStrategy", "cachingStrategy"}:
        raise Unsupported(f"task `{task_id}` has execution options kfp 2 has no equivalent for")
    retry = options.get("retryStrategy")
    if retry is not None:
        retries = retry.get("maxRetries") if isinstance(retry, Mapping) else None
        if not isinstance(retries, int) or isinstance(retries, bool) or set(retry) - {"maxRetries"}:
            raise Unsupported(f"task `{task_id}` has a retry strategy other than `maxRetries`")
        lines.append(f"{var}.set_retry(num_retries={retries})")
    caching = options.get("cachingStrategy")
    if caching is not None:
        staleness = caching.get("maxCacheStaleness") if isinstance(caching, Mapping) else None
        if staleness != "P0D" or set(caching) - {"maxCacheStaleness"}:
            raise Unsupported(f"task `{task_id}` has a cache staleness other than `P0D`, which kfp 2 cannot express")
        lines.append(f"{var}.set_caching_options(False)")
    return lines


def generate(spec: Any, yaml_name: str) -> str:
    """The companion module's text for the graph component `spec` (as yaml.safe_load gives it); raises Unsupported."""
    if not isinstance(spec, Mapping):
        raise Unsupported("the component is not a mapping")
    implementation = spec.get("implementation")
    graph = implementation.get("graph") if isinstance(implementation, Mapping) else None
    tasks = graph.get("tasks") if isinstance(graph, Mapping) else None
    if not isinstance(tasks, Mapping) or not tasks or not all(isinstance(t, Mapping) for t in tasks.values()):
        raise Unsupported("the graph has no tasks")
    assert isinstance(graph, Mapping)

    inputs: dict[str, _Input] = {}
    for item in spec.get("inputs") or []:
        input_name, parsed = _input(item)
        if input_name in inputs or any(i.ident == parsed.ident for i in inputs.values()):
            raise Unsupported(f"two inputs are named `{parsed.ident}` in kfp 2")
        inputs[input_name] = parsed
    outputs = _outputs(spec, graph.get("outputValues"))
    if len({ident for ident, _, _ in outputs}) != len(outputs):
        raise Unsupported("two outputs have the same name in kfp 2")

    taken: set[str] = {"components", "dsl", "os", "NamedTuple", "Outputs", *(i.ident for i in inputs.values())}
    loaders: dict[str, str] = {}  # loader expression -> module-level name
    variables: dict[str, str] = {}
    order = _toposorted(tasks)
    for task_id in tasks:
        if not isinstance(task_id, str):
            raise Unsupported("a task id is not a string")
    body: list[str] = []
    for task_id in order:
        task = tasks[task_id]
        loader = _loader(task_id, task.get("componentRef")).call
        if loader not in loaders:
            loaders[loader] = _unique(f"{sanitize(task_id) or 'task'}_op", taken)
        var = variables[task_id] = _unique(f"{sanitize(task_id) or 'task'}_task", taken)
        arguments = task.get("arguments") or {}
        if not isinstance(arguments, Mapping):
            raise Unsupported(f"the arguments of task `{task_id}` are not a mapping")
        keywords: list[str] = []
        for argument, value in arguments.items():
            key = sanitize(str(argument))
            expression = _argument(task_id, value, inputs, variables)
            if key.isidentifier() and not keyword.iskeyword(key):
                keywords.append(f"{key}={expression}")
            else:
                keywords.append(f"**{{{_literal(key)}: {expression}}}")
        call = f"{loaders[loader]}(" + "".join(f"\n        {k}," for k in keywords) + ("\n    )" if keywords else ")")
        body.append(f"    {var} = {call}")
        body.append(f"    {var}.set_display_name({_literal(task_id)})")
        body.extend(f"    {line}" for line in _options(task_id, task, var))

    uses_os = any("os.path" in loader for loader in loaders)
    head = [
        f'"""kfp 2 form of the v1 graph component `{yaml_name}`, which kfp 2 cannot load.',
        "",
        "Generated by `kfp-migrate fix --unsafe-fixes` (KFP141): review it, then use this pipeline where the",
        "graph component was loaded. A pipeline is a component in kfp 2: call it inside other pipelines.",
        '"""',
        "",
    ]
    if uses_os:
        head.append("import os")
    if outputs:
        head.append("from typing import NamedTuple")
    head += ["", "from kfp import components, dsl", ""]
    for loader, variable in loaders.items():
        head.append(f"{variable} = {loader}")
    if outputs:
        fields = "".join(f"\n        ({_literal(ident)}, {annotation})," for ident, annotation, _ in outputs)
        head += ["", f"Outputs = NamedTuple(\n    'Outputs',\n    [{fields}\n    ],\n)"]

    name = spec.get("name")
    pipeline_args = [f"name={_literal(name)}"] if isinstance(name, str) and name else []
    if isinstance(spec.get("description"), str):
        pipeline_args.append(f"description={_literal(spec['description'])}")
    decorator = "@dsl.pipeline(" + "".join(f"\n    {a}," for a in pipeline_args) + ("\n)" if pipeline_args else ")")
    function = sanitize(name) if isinstance(name, str) else ""
    if not function.isidentifier() or keyword.iskeyword(function) or function in taken:
        function = companion_name(yaml_name).removesuffix(".py")
    ordered = [i for i in inputs.values() if i.default is None] + [i for i in inputs.values() if i.default is not None]
    params = "".join(
        f"\n    {i.ident}: {i.annotation}" + (f" = {i.default}," if i.default is not None else ",") for i in ordered
    )
    signature = f"def {function}({params}\n)" if params else f"def {function}()"
    signature += " -> Outputs:" if outputs else ":"
    lines = [*head, "", "", decorator, signature, *body]
    if outputs:
        values = "".join(
            f"\n        {ident}={_task_output(ref, variables, f'output `{ident}`')}," for ident, _, ref in outputs
        )
        lines.append(f"    return Outputs({values}\n    )")
    return "\n".join(lines) + "\n"
