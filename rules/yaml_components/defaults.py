"""KFP120-123: input defaults, as kfp 2 casts and stores them (kfp-semantics.md §1.1, §2 "Defaults")."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from migrate.model import Edit, Example, Fix, FixSafety, Located, Severity, YamlRule
from migrate.yaml_edit import (
    content_end,
    decorated,
    remove_pair,
    replace,
    scalar,
    set_mapping_value,
    source_of,
)
from migrate.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlSource,
    construct,
    mapping_key,
)
from rules._yaml import Kind, Port
from rules.yaml_components._common import component

_SEMANTICS = "../shared/docs/kfp-semantics.md"
_PRIMITIVE = (str, int, float, bool)  # what v1's InputSpec accepts as a default (PrimitiveTypes)
_JSON_TYPES = frozenset({"dict", "list", "jsonobject", "jsonarray"})


def _strtobool(text: str) -> bool:
    """kfp 2 `type_utils.strtobool` (a copy of distutils'), raising the same ValueError."""
    lowered = text.lower()
    if lowered in ("y", "yes", "t", "true", "on", "1"):
        return True
    if lowered in ("n", "no", "f", "false", "off", "0"):
        return False
    raise ValueError(f"invalid truth value {lowered!r}")


def _bool_cast(value: Any) -> Any:
    return _strtobool(value) if isinstance(value, str) else value


def _json_cast(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


# kfp 2 `type_utils._V1_DEFAULT_DESERIALIZER_MAPPING`, keyed by the *raw* lower-cased type name:
# `List[int]` or `typing.Integer` are parameters, but their defaults are never cast.
_CASTS: dict[str, Callable[[Any], Any]] = {
    "integer": int,
    "int": int,
    "double": float,
    "float": float,
    "string": str,
    "str": str,
    "text": str,
    "bool": _bool_cast,
    "boolean": _bool_cast,
    **dict.fromkeys(_JSON_TYPES, _json_cast),
}


def _defaulted_inputs(src: YamlSource) -> Iterator[tuple[Port, ScalarNode, Node]]:
    """Named inputs with a default kfp 2 sees, with the `default` key and value nodes."""
    found = component(src)
    for port in found.inputs if found is not None else ():
        default = _default(port)
        if port.name is not None and default is not None:
            yield port, *default


def _default(port: Port) -> tuple[ScalarNode, Node] | None:
    """The `default` key and value of an input, when kfp 2 sees one (`default: null` is none)."""
    key, value = mapping_key(port.node, "default"), port.get("default")
    if key is None or value is None:
        return None
    if isinstance(value, ScalarNode) and value.tag.endswith(":null"):
        return None
    return key, value


def _shown(src: YamlSource, node: Node) -> str:
    """The value as the message shows it: a scalar's own text, a collection's source on one line."""
    if isinstance(node, ScalarNode):
        text = node.value if node.value.strip() else repr(node.value)
    else:
        text = " ".join(source_of(src, node).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _owned(src: YamlSource, key: Node, value: Node) -> bool:
    """False for an alias (its node sits at the anchor, elsewhere) or an anchored/tagged value."""
    return value.start_mark.index > key.end_mark.index and not decorated(src, value)


def _leaves(value: Any) -> Iterator[Any]:
    """The scalars inside a JSON value (the value itself when it is a scalar)."""
    if isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _leaves(item)
    else:
        yield value


def cast_problem(raw_type: str, kfp2_type: str, value: Any) -> str | None:
    """What goes wrong when kfp 2 casts `value` by `raw_type` and stores it as a `kfp2_type` default."""
    try:
        cast = _CASTS.get(raw_type.lower(), lambda x: x)(value)
    except (ValueError, TypeError, OverflowError) as error:
        return f"cannot be cast by kfp 2: loading the component fails with `{type(error).__name__}: {error}`"
    # pipeline_spec_builder._fill_in_component_input_default_value assigns the value to a protobuf field
    stored = {
        "Integer": isinstance(cast, int | float),
        "Float": isinstance(cast, int | float),
        "String": isinstance(cast, str),
        "Boolean": isinstance(cast, bool | int),
    }.get(kfp2_type, True)
    if not stored:
        why = "" if raw_type.lower() in _CASTS else " (kfp 2 casts defaults only for its own type names)"
        return (
            f"stays a `{type(cast).__name__}`{why}, which a `{kfp2_type}` default cannot hold: "
            "creating the task fails with `TypeError`"
        )
    leaves = list(_leaves(cast))
    if kfp2_type in ("Dict", "List") and cast is not None and None in leaves:
        return "holds a JSON `null`, which kfp 2 cannot store: creating the task fails with `ValueError`"
    if any(isinstance(leaf, float) and not math.isfinite(leaf) for leaf in leaves):
        return (
            "is or holds NaN or infinity, which the pipeline spec cannot hold: compiling fails with "
            "`SerializeToJsonError`"
        )
    return None


class DefaultOnArtifactInput(YamlRule):
    code = "KFP120"
    name = "default-on-artifact-input"
    summary = "Checks for defaults on inputs that kfp 2 reads as artifacts."
    message = (
        "Input `{input}` is an artifact in kfp 2 (`{kfp2_type}`), which drops its default `{default}` "
        "and only makes the input optional"
    )
    fix_title = "Remove the default and keep the input optional"
    rationale = (
        "kfp 2 stores defaults for parameters only. An artifact input (any type kfp 2 does not know as a "
        "parameter, or no type at all) keeps no default: the value is silently dropped and the input "
        "becomes optional, so a task that relied on the default gets no artifact. v1 wrote the default "
        "into the file the command read. Inputs read with `inputValue` are left to KFP101/KFP107, which "
        f'make them parameters and so keep the default. ({_SEMANTICS} §2 "Defaults"; probes Y40, Y49.)'
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The compiled component is identical (the input stays optional and kfp 2 already dropped the "
        "value). Callers that relied on the default must now pass "
        "`dsl.importer(artifact_uri=<the old default>, ...)`."
    )
    valid = (
        "name: t\ninputs:\n- {name: d, type: Dataset, optional: true}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [cat, {inputPath: d}]\n",
        "name: t\ninputs:\n- {name: d, default: x}\nimplementation:\n  container:\n    image: alpine\n"
        "    command: [echo, {inputValue: d}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: d, type: Dataset, default: 'gs://b/d.csv'}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [cat, {inputPath: d}]\n",
            "name: t\ninputs:\n- {name: d, type: Dataset, optional: true}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [cat, {inputPath: d}]\n",
        ),
        Example(
            "name: t\ninputs:\n- {name: d, type: CSV, default: '', optional: true}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [cat, {inputPath: d}]\n",
            "name: t\ninputs:\n- {name: d, type: CSV, optional: true}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [cat, {inputPath: d}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for port, key, value in _defaulted_inputs(src):
            if port.kind is not Kind.ARTIFACT:
                continue
            if not isinstance(value, ScalarNode) or not isinstance(construct(value), _PRIMITIVE):
                continue  # KFP123: kfp 2 fails to load it before it could drop it
            found = component(src)  # cached on src
            if found is not None and "inputValue" in found.input_kinds_used(port.name or ""):
                continue  # KFP101/KFP107 make it a parameter, which keeps the default
            fix = self._fix(src, port, key, value) if _owned(src, key, value) else None
            yield self.at(value, fix, input=port.name, kfp2_type=port.kfp2_type, default=_shown(src, value))

    def _fix(self, src: YamlSource, port: Port, key: ScalarNode, value: Node) -> Fix:
        optional = port.get("optional")
        if optional is None:
            edit = Edit(key.start_mark.index, content_end(src, value), "optional: true")
            return self.fix(edit, title="Replace the default by `optional: true`")
        remove = remove_pair(src, port.node, key)
        if isinstance(optional, ScalarNode) and construct(optional) is True:
            return self.fix(remove)
        return self.fix(remove, replace(src, optional, "true"))


class DefaultNotCastable(YamlRule):
    code = "KFP121"
    name = "default-not-castable"
    summary = "Checks for parameter defaults that kfp 2 cannot cast to, or store as, the input's type."
    message = "Default `{default}` of `{type}` input `{input}` {problem}"
    rationale = (
        "kfp 2 casts a v1 default by the raw type name: `int()` for `Integer`/`int`, `float()` for "
        "`Float`/`Double`, `strtobool` (`y yes t true on 1` / `n no f false off 0`) for `Bool`/`Boolean`, "
        "`json.loads` for `JsonObject`/`JsonArray`/`Dict`/`List`. `'abc'` or `'1.5'` for an `Integer` "
        "raises `ValueError` when the component is loaded. Type names it does not cast (`typing.Integer`) "
        "leave the text as it is, and a number default that is NaN or infinite cannot be written to the "
        f'pipeline spec. v1 passed the default as text. ({_SEMANTICS} §2 "Defaults"; probes Y41, Y42, Y44.)'
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Only the author knows which value was meant (`1.5` for an `Integer`: `1`, `2`, or a `Float`?)."
    valid = (
        "name: t\ninputs:\n- {name: a, type: Integer, default: '10'}\n"
        "- {name: b, type: Bool, default: 'yes'}\nimplementation:\n  container:\n    image: alpine\n"
        "    command: [echo, {inputValue: a}, {inputValue: b}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: a, type: Integer, default: '1.5'}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: a}]\n"
        ),
        Example(
            "name: t\ninputs:\n- {name: a, type: Boolean, default: maybe}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: a}]\n"
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for port, _key, value in _defaulted_inputs(src):
            if port.raw_type is None or port.kind is not Kind.PARAMETER:
                continue
            if not isinstance(value, ScalarNode):
                continue
            constructed = construct(value)
            if not isinstance(constructed, _PRIMITIVE):
                continue  # KFP123
            problem = cast_problem(port.raw_type, port.kfp2_type, constructed)
            if problem is not None:
                yield self.at(value, input=port.name, type=port.raw_type, default=_shown(src, value), problem=problem)


class DefaultNotJson(YamlRule):
    code = "KFP122"
    name = "default-not-json"
    summary = "Checks for `JsonObject`/`JsonArray` (`Dict`/`List`) defaults that kfp 2 keeps as plain text."
    message = "Default `{default}` of `{type}` input `{input}` {problem}, so kfp 2 keeps it as a string"
    rationale = (
        "kfp 2 parses the default of a `JsonObject`, `JsonArray`, `Dict` or `List` input with `json.loads` "
        "and, when that fails, silently keeps the text: the input is a struct or list parameter whose "
        "default is a string, which the backend does not deliver as v1 did. Generic spellings such as "
        "`List[int]` or `typing.Dict[str, int]` are never parsed, because kfp 2 picks the cast by the raw "
        f'type name. ({_SEMANTICS} §2 "Defaults"; probe Y45.)'
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.NONE
    fix_safety_note = (
        "Write the default as JSON (`'{\"a\": 1}'`, `'[1, 2]'`); only the author knows the intended value."
    )
    valid = (
        "name: t\ninputs:\n- {name: a, type: JsonArray, default: '[1, 2]'}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo, {inputValue: a}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: a, type: JsonObject, default: 'not json'}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"
        ),
        Example(
            "name: t\ninputs:\n- {name: a, type: 'List[int]', default: '[1, 2]'}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for port, _key, value in _defaulted_inputs(src):
            raw_type = port.raw_type
            if raw_type is None or port.kfp2_type not in ("Dict", "List"):
                continue
            if port.kind is not Kind.PARAMETER or not isinstance(value, ScalarNode):
                continue
            text = construct(value)
            if not isinstance(text, str):
                continue
            if raw_type.lower() not in _JSON_TYPES:
                problem = (
                    "is never parsed as JSON for this spelling of the type "
                    "(only `JsonObject`, `JsonArray`, `Dict` and `List` are)"
                )
            elif _json_cast(text) is text:
                problem = "is not valid JSON"
            else:
                continue
            yield self.at(value, input=port.name, type=raw_type, default=_shown(src, value), problem=problem)


def _json_text(value: Any) -> str | None:
    """`value` as JSON text when it survives the round trip unchanged (no dates, no int keys)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == value else None


class NonScalarDefault(YamlRule):
    code = "KFP123"
    name = "non-scalar-default"
    summary = "Checks for defaults written as a YAML list or mapping (or a date) instead of a string."
    message = "Default of input `{input}` is a YAML {shape}; kfp 1 and kfp 2 both fail to load the component"
    fix_title = "Write the default as the string `{text}`"
    rationale = (
        "A v1 default must be a string, number or boolean. A YAML list or mapping (or an unquoted date, "
        "which YAML reads as a timestamp) makes loading fail with `TypeError: Error: "
        "InputSpec.from_dict(...` "
        "in v1 and in kfp 2. The JSON text of the value, as a quoted string, is what a `JsonArray` or "
        f"`JsonObject` input expects, and kfp 2 parses it back. ({_SEMANTICS} §1.1; probes Y4A, Y4B.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The component did not load before, and the string holds exactly the value written. Values that JSON "
        "cannot hold unchanged (dates inside, non-string keys) get no fix."
    )
    valid = (
        "name: t\ninputs:\n- {name: a, type: JsonArray, default: '[1, 2]'}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo, {inputValue: a}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: a, type: JsonArray, default: [1, 2]}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n",
            "name: t\ninputs:\n- {name: a, type: JsonArray, default: '[1, 2]'}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n",
        ),
        Example(
            "name: t\ninputs:\n- name: cfg\n  type: JsonObject\n  default:\n    lr: 0.1\n"
            "    layers: [64, 32]\nimplementation:\n  container:\n    image: alpine\n"
            "    command: [echo, {inputValue: cfg}]\n",
            'name: t\ninputs:\n- name: cfg\n  type: JsonObject\n  default: \'{"lr": 0.1, "layers": [64, '
            "32]}'\nimplementation:\n  container:\n    image: alpine\n"
            "    command: [echo, {inputValue: cfg}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for port, key, value in _defaulted_inputs(src):
            if isinstance(value, MappingNode | SequenceNode):
                shape = "mapping" if isinstance(value, MappingNode) else "list"
                if value.tag.endswith((":set", ":omap", ":pairs")):
                    shape = value.tag.rsplit(":", 1)[1]
                text = _json_text(construct(value)) if shape in ("mapping", "list") else None
            elif isinstance(value, ScalarNode) and not isinstance(construct(value), _PRIMITIVE):
                shape = value.tag.rsplit(":", 1)[1]
                text = value.value if shape == "timestamp" else None  # the text the author typed
            else:
                continue
            fix = None
            if text is not None and _owned(src, key, value):
                fix = self.fix(set_mapping_value(src, key, value, scalar(text)), text=text)
            yield self.at(value, fix, input=port.name, shape=shape)
