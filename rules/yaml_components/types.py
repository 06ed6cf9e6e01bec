"""KFP101-103, KFP107-112: input and output types, as kfp 2 classifies them (kfp-semantics.md §2, §3.1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from migrate.model import Example, FixSafety, Located, Severity, YamlRule
from migrate.yaml_edit import remove_pair
from migrate.yaml_source import MappingNode, ScalarNode, YamlSource, mapping_key, str_value
from rules._yaml import (
    ARTIFACT_CLASSES,
    INPUT_ARTIFACT_PLACEHOLDERS,
    Kind,
    Port,
    classify_name,
    is_stringish,
)
from rules.yaml_components._common import component, describe, ports, set_type, where

_SEMANTICS = "../shared/docs/kfp-semantics.md"
# v1 parameter types kfp 2 does not know; v1 serialized them as these kfp 2 parameter types.
V1_PARAMETER_SYNONYMS = {"dictionary": "JsonObject"}


def _untyped(port: Port) -> bool:
    node = port.type_node
    return node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null"))


class UntypedInputByValue(YamlRule):
    code = "KFP101"
    name = "untyped-input-by-value"
    summary = "Checks for inputs without a `type` that the command reads with `inputValue`."
    message = (
        "Input `{input}` has no type, so kfp 2 makes it an artifact and fails when the task is created: "
        "an artifact cannot be passed with `inputValue`{extra}"
    )
    fix_title = "Add `type: String`"
    rationale = (
        "KFP v2 decides parameter or artifact from the declared type alone, and an input without a type "
        "becomes `system.Artifact`. Creating a task of a component that reads such an input with "
        '`{inputValue: x}` raises `TypeError: Input "x" with type "system.Artifact@0.0.1" cannot be '
        "paired with InputValuePlaceholder.` v1 passed the argument as a string, so `type: String` keeps "
        f"what the command received. ({_SEMANTICS} §2, §3.1; probe Y15.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The command receives the same string as in v1. Callers that pass the output of another task "
        "now need that output to be a `String` parameter too (kfp 2 checks connection types)."
    )
    valid = (
        "name: t\ninputs:\n- {name: a, type: String}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo, {inputValue: a}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: a}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: a}]\n",
            "name: t\ninputs:\n- {name: a, type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: a}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for port in found.inputs:
            if port.name is None or not _untyped(port):
                continue
            used = found.input_kinds_used(port.name)
            if "inputValue" not in used:
                continue
            if used & INPUT_ARTIFACT_PLACEHOLDERS:
                extra = "; it is also read as a file, so no single type fits: split it into two inputs"
                yield self.at(where(port), input=port.name, extra=extra)
            else:
                yield self.at(where(port), self.fix(set_type(src, port, "String")), input=port.name, extra="")


class UntypedInputArtifact(YamlRule):
    code = "KFP102"
    name = "untyped-input-artifact"
    summary = "Checks for inputs without a `type` that are read as files or URIs, or not at all."
    message = "Input `{input}` has no type; kfp 2 treats it as a generic artifact (`system.Artifact`)"
    fix_title = "Add `type: Artifact`"
    rationale = (
        "An input with no type becomes `system.Artifact` in kfp 2, which is what `inputPath`/`inputUri` "
        "need, so the component loads. Saying so makes the interface explicit: callers must now pass an "
        "artifact (a task output or `dsl.importer`), where v1 also accepted a constant and wrote it to a "
        f"file. ({_SEMANTICS} §2; probes Y16, Y1A.)"
    )
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    fix_safety_note = "The compiled component is identical; only the spec becomes explicit."
    valid = (
        "name: t\ninputs:\n- {name: a, type: Artifact}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [cat, {inputPath: a}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- name: a\n  description: data\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [cat, {inputPath: a}]\n",
            "name: t\ninputs:\n- name: a\n  type: Artifact\n  description: data\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [cat, {inputPath: a}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for port in found.inputs:
            if port.name is not None and _untyped(port) and "inputValue" not in found.input_kinds_used(port.name):
                yield self.at(where(port), self.fix(set_type(src, port, "Artifact")), input=port.name)


class UntypedOutput(YamlRule):
    code = "KFP103"
    name = "untyped-output"
    summary = "Checks for outputs without a `type`."
    message = "Output `{output}` has no type; kfp 2 treats it as a generic artifact (`system.Artifact`)"
    fix_title = "Add `type: Artifact`"
    rationale = (
        "An output with no type becomes `system.Artifact` in kfp 2. v1 let any consumer read it, by value "
        "or as a file; in kfp 2 an artifact can only feed artifact inputs, so a consumer that reads it with "
        f"`inputValue` fails when the pipeline is built. ({_SEMANTICS} §2, §3.2; probe Y23.)"
    )
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The compiled component is identical. If every consumer reads the output by value, "
        "`type: String` is the better choice: change it by hand."
    )
    valid = (
        "name: t\noutputs:\n- {name: o, type: Dataset}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [touch, {outputPath: o}]\n",
    )
    invalid = (
        Example(
            "name: t\noutputs:\n- {name: o}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [touch, {outputPath: o}]\n",
            "name: t\noutputs:\n- {name: o, type: Artifact}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [touch, {outputPath: o}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for port in found.outputs:
            if port.name is not None and _untyped(port):
                yield self.at(where(port), self.fix(set_type(src, port, "Artifact")), output=port.name)


class ArtifactInputByValue(YamlRule):
    code = "KFP107"
    name = "artifact-input-by-value"
    summary = "Checks for inputs whose type kfp 2 reads as an artifact but that the command reads with `inputValue`."
    message = (
        "Input `{input}` has type `{type}`, which kfp 2 reads as artifact `{kfp2_type}`; creating the task "
        "fails because an artifact cannot be passed with `inputValue`{extra}"
    )
    fix_title = "Change the type to `{suggested}`"
    rationale = (
        "kfp 2 knows only its own parameter types (`String`, `Integer`, `Float`, `Boolean`, `JsonObject`, "
        "`JsonArray` and aliases); every other name, including v1's string-like `GCSPath`, `GCPProjectID`, "
        "`GCPRegion` or `URI`, becomes an artifact, and `{inputValue: x}` on an artifact raises `TypeError: "
        'Input "x" with type "system.Artifact@0.0.1" cannot be paired with InputValuePlaceholder.` '
        "v1 passed these arguments as strings. "
        f"({_SEMANTICS} §2 and §3.1; probes Y13, Y17, Y18, Y32.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Safe for names kfp 2 does not know (`GCSPath`, `ExamplesUri`, `PythonCode`, ...): kfp 2 would drop "
        "the name anyway, and `String` delivers the same text v1 delivered. Unsafe for kfp 2's own artifact "
        "classes (`Dataset`, `Model`, `google.*`): the author may have meant an artifact, in which case "
        "`{inputUri: x}` is the right change instead."
    )
    valid = (
        "name: t\ninputs:\n- {name: a, type: GCSPath}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [gsutil, cp, {inputPath: a}, /tmp]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: bucket, type: GCSPath}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [gsutil, ls, {inputValue: bucket}]\n",
            "name: t\ninputs:\n- {name: bucket, type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [gsutil, ls, {inputValue: bucket}]\n",
        ),
        Example(
            "name: t\ninputs:\n- {name: data, type: Dataset}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: data}]\n",
            "name: t\ninputs:\n- {name: data, type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: data}]\n",
            unsafe=True,
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for port in found.inputs:
            type_name = port.raw_type
            if port.name is None or type_name is None or port.kind is not Kind.ARTIFACT:
                continue
            used = found.input_kinds_used(port.name)
            if "inputValue" not in used:
                continue
            fields: dict[str, Any] = {"input": port.name, "type": type_name, "kfp2_type": port.kfp2_type}
            if used & INPUT_ARTIFACT_PLACEHOLDERS:
                extra = "; it is also read as a file or URI, so no single type fits: split it into two inputs"
                yield self.at(where(port), extra=extra, **fields)
                continue
            suggested = V1_PARAMETER_SYNONYMS.get(type_name.lower(), "String")
            known_artifact = type_name.lower() in ARTIFACT_CLASSES or type_name.startswith("google.")
            safety = FixSafety.UNSAFE if known_artifact else FixSafety.SAFE
            fix = self.fix(set_type(src, port, suggested), safety=safety, suggested=suggested)
            yield self.at(where(port), fix, extra="", **fields)


class UnknownTypeName(YamlRule):
    code = "KFP108"
    name = "unknown-type-name"
    summary = "Checks for type names kfp 2 does not know, which it silently turns into a generic artifact."
    message = "{port} has type `{type}`, unknown to kfp 2: it becomes a generic `system.Artifact`{extra}"
    fix_title = "Change the type to `String`"
    rationale = (
        "kfp 2 maps every type name it does not know (`CSV`, `ApacheParquet`, `TFRecord`, `UI metadata`, "
        "`GCSPath`, ...) to `system.Artifact` and keeps no trace of the name. v1 compared names when "
        "connecting tasks (CSV to ApacheParquet was an error); kfp 2 accepts any artifact there. Outputs "
        "with a string-like v1 type (`GCSPath`, `URI`) wrote a value that v1 consumers could read by value, "
        f"which an artifact cannot feed in kfp 2. ({_SEMANTICS} §2; probe P20.)"
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.NONE
    fix_safety_note = (
        "Usually nothing to fix: record the old name in the description if it mattered. For outputs with "
        "a string-like type an unsafe fix offers `String`, which makes the output a parameter: right when "
        "every consumer reads it by value."
    )
    valid = (
        "name: t\noutputs:\n- {name: o, type: Dataset}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [touch, {outputPath: o}]\n",
    )
    invalid = (
        Example(
            "name: t\noutputs:\n- {name: table, type: CSV}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [touch, {outputPath: table}]\n"
        ),
        Example(
            "name: t\noutputs:\n- {name: dir, type: GCSPath}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [sh, -c, 'echo gs://b/x > $0', {outputPath: dir}]\n",
            "name: t\noutputs:\n- {name: dir, type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [sh, -c, 'echo gs://b/x > $0', {outputPath: dir}]\n",
            unsafe=True,
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for port in ports(src):
            type_name = port.raw_type
            if port.name is None or type_name is None or not _unknown_name(type_name, port.is_input):
                continue
            if port.is_input and "inputValue" in found.input_kinds_used(port.name):
                continue  # KFP107 says more
            fields: dict[str, Any] = {"port": describe(port), "type": type_name}
            if not port.is_input and is_stringish(type_name) and "outputUri" not in found.output_kinds_used(port.name):
                extra = "; consumers that read it by value will fail"
                fix = self.fix(set_type(src, port, "String"), safety=FixSafety.UNSAFE)
                yield self.at(where(port), fix, extra=extra, **fields)
            else:
                yield self.at(where(port), extra="", **fields)


def _unknown_name(type_name: str, is_input: bool) -> bool:
    kind, kfp2_type = classify_name(type_name, is_input)
    if kind is not Kind.ARTIFACT or kfp2_type != "system.Artifact@0.0.1":
        return False
    lower = type_name.lower()
    return lower != "artifact" and not lower.startswith("system.")


class BundledTypeString(YamlRule):
    code = "KFP109"
    name = "bundled-type-string"
    summary = "Checks for v2-style schema strings (`system.Dataset@0.0.1`) used as a v1 type."
    message = (
        "{port} has type `{type}`, which kfp 2 does not parse in a v1 spec: it becomes a generic `system.Artifact`"
    )
    fix_title = "Change the type to `{suggested}`"
    rationale = (
        "In a v1 component spec kfp 2 looks type names up by class name (`Dataset`); a schema string such "
        "as `system.Dataset@0.0.1` matches nothing and silently becomes `system.Artifact`, losing the "
        f"type the author wrote. ({_SEMANTICS} §2; probe Y30.)"
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The type becomes the one the author wrote. kfp 2 then checks it when tasks are connected: a "
        "connection from a different artifact class (say `Model` into `Dataset`) now fails."
    )
    valid = (
        "name: t\ninputs:\n- {name: d, type: Dataset}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [cat, {inputPath: d}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: d, type: system.Dataset@0.0.1}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [cat, {inputPath: d}]\n",
            "name: t\ninputs:\n- {name: d, type: Dataset}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [cat, {inputPath: d}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for port in ports(src):
            type_name = port.raw_type
            bundled = type_name is not None and (
                type_name.startswith("system.") or (type_name.startswith("google.") and "@" in type_name)
            )
            if type_name is None or not bundled:
                continue
            title = type_name.split("@", 1)[0]
            class_name = title.removeprefix("system.")
            fields: dict[str, Any] = {"port": describe(port), "type": type_name}
            if title.startswith("google."):
                suggested = title
            elif class_name.lower() in ARTIFACT_CLASSES:
                suggested = ARTIFACT_CLASSES[class_name.lower()]
            else:
                yield self.at(where(port), **fields)
                continue
            yield self.at(where(port), self.fix(set_type(src, port, suggested), suggested=suggested), **fields)


class GoogleTypeRegexBug(YamlRule):
    code = "KFP110"
    name = "google-type-regex-bug"
    summary = "Checks for type names that kfp 2's `google.` pattern matches by accident, such as `googleXfoo`."
    message = "{port} has type `{type}`, which kfp 2 fails to load (its `^google.[A-Za-z]+$` check matches it)"
    rationale = (
        "kfp 2 treats any type matching `^google.[A-Za-z]+$` as a Google artifact and splits it at the "
        "dot. The dot is unescaped, so a name like `googleXfoo` matches, has no dot, and loading raises "
        "``TypeError: Artifact schema_title must have both a namespace and a name, separated by a `.`.`` "
        f"({_SEMANTICS} §2; probe Y31.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Rename the type; only the author knows whether `google.Xfoo` or another name was meant."
    valid = (
        "name: t\ninputs:\n- {name: m, type: google.VertexModel}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo, {inputUri: m}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: m, type: googleXfoo}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [cat, {inputPath: m}]\n"
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for port in ports(src):
            if port.raw_type is not None and port.kind is Kind.BROKEN:
                yield self.at(where(port), port=describe(port), type=port.raw_type)


class DictFormType(YamlRule):
    code = "KFP111"
    name = "dict-form-type"
    summary = "Checks for types written as a mapping (`{GCSPath: {...}}`, `{String: {}}`, `{}`)."
    message = "{port} has a mapping type {shape}"
    fix_title = "Change the type to `{suggested}`"
    rationale = (
        "v1 allowed a type with properties, such as `{GCSPath: {data_type: CSV}}`; its name is the outer "
        "key. kfp 2 reads every mapping type as a generic `system.Artifact`, so `{JsonObject: {...}}` read "
        "with `inputValue` fails when the task is created, and `{String: {}}` on an output declares an "
        "artifact while the command writes a parameter file. An empty mapping (`type: {}`) makes loading "
        f"fail with `IndexError: list index out of range`. ({_SEMANTICS} §2, §3.1; probes Y19, Y24.)"
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The properties (`data_type`, `openapi_schema_validator`) are dropped: kfp 2 never reads them. "
        "No fix is offered where the outer name would clash with how the command uses the port."
    )
    valid = (
        "name: t\ninputs:\n- {name: c, type: JsonObject}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo, {inputValue: c}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: c, type: {JsonObject: {data_type: 'proto:x.Config'}}}\n"
            "implementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: c}]\n",
            "name: t\ninputs:\n- {name: c, type: JsonObject}\n"
            "implementation:\n  container:\n    image: alpine\n    command: [echo, {inputValue: c}]\n",
        ),
        Example(
            "name: t\noutputs:\n- {name: o, type: {}}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [touch, {outputPath: o}]\n",
            "name: t\noutputs:\n- {name: o}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [touch, {outputPath: o}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for port in ports(src):
            node = port.type_node
            if not isinstance(node, MappingNode) or port.name is None:
                continue
            fields: dict[str, Any] = {"port": describe(port)}
            if not node.value:
                key = mapping_key(port.node, "type")
                fix = self.fix(remove_pair(src, port.node, key), title="Remove the empty type") if key else None
                shape = "`{}`: kfp 2 fails to load it (IndexError)"
                yield self.at(node, fix, shape=shape, severity=Severity.ERROR, **fields)
                continue
            outer = str_value(node.value[0][0]) if len(node.value) == 1 else None
            if outer is None:
                yield self.at(node, shape="with several keys: kfp 2 reads it as a generic artifact", **fields)
                continue
            shape = f"(`{outer}` with properties): kfp 2 reads it as a generic artifact, not `{outer}`"
            used = found.input_kinds_used(port.name) if port.is_input else found.output_kinds_used(port.name)
            # An artifact read with inputValue fails when the task is created.
            severity = Severity.ERROR if "inputValue" in used else None
            fix = None
            if self._fits(used, classify_name(outer, port.is_input)[0]):
                fix = self.fix(set_type(src, port, outer), suggested=outer)
            yield self.at(node, fix, shape=shape, severity=severity, **fields)

    @staticmethod
    def _fits(used: set[str], kind: Kind) -> bool:
        if kind is Kind.BROKEN:
            return False
        if kind is Kind.PARAMETER:
            return not (used & (INPUT_ARTIFACT_PLACEHOLDERS | {"outputUri"}))
        return True


class NonStringType(YamlRule):
    code = "KFP112"
    name = "non-string-type"
    summary = "Checks for types that are neither a name nor a mapping (a list, a number, a boolean)."
    message = "{port} has a type kfp 2 cannot read ({shape}); loading the component fails"
    rationale = (
        "v1 accepted a type given as a YAML list (`type: [String]`); kfp 2 calls `.lower()` on it and "
        "loading fails with `AttributeError: 'list' object has no attribute 'lower'`. A number or a "
        f"boolean fails the same way. ({_SEMANTICS} §2; probe Y34.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Only the author knows which single type was meant."
    valid = (
        "name: t\ninputs:\n- {name: a, type: String}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo, {inputValue: a}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: a, type: [String]}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: a}]\n"
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        for port in ports(src):
            node = port.type_node
            if node is None or isinstance(node, MappingNode) or _untyped(port):
                continue
            if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str":
                continue
            shape = "a list" if not isinstance(node, ScalarNode) else f"`{node.value}` is not a string"
            yield self.at(node, port=describe(port), shape=shape)
