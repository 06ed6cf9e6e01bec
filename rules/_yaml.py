"""A v1 component document seen as kfp 2 sees it: its inputs, outputs, types and placeholders.

Classification follows kfp 2.17 `dsl/structures.py:ComponentSpec.from_v1_component_spec` and
`dsl/types/type_utils.py` (../shared/docs/kfp-semantics.md §2).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from migrate.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlSource,
    mapping_get,
    mapping_items,
    str_value,
)

# kfp 2 `type_utils.PARAMETER_TYPES_MAPPING`: lower-cased v1 name -> kfp 2 parameter type.
PARAMETER_TYPES = {
    "string": "String",
    "str": "String",
    "text": "String",
    "integer": "Integer",
    "int": "Integer",
    "float": "Float",
    "double": "Float",
    "bool": "Boolean",
    "boolean": "Boolean",
    "jsonobject": "Dict",
    "dict": "Dict",
    "jsonarray": "List",
    "list": "List",
}
# kfp 2 `artifact_types` classes that v1 names map onto (case-insensitive).
ARTIFACT_CLASSES = {
    name.lower(): name
    for name in (
        "Artifact",
        "Dataset",
        "Model",
        "Metrics",
        "ClassificationMetrics",
        "SlicedClassificationMetrics",
        "HTML",
        "Markdown",
    )
}
# v1 types whose values are strings naming something (a path, a URI, a project): kfp 2 turns
# them into artifacts, but v1 passed them by value.
STRINGISH_TYPES = frozenset(
    name.lower()
    for name in ("GCSPath", "GcsUri", "GCRPath", "GCPRegion", "GCPProjectID", "LocalPath", "Url", "URI", "GcsPath")
)
_GOOGLE_TYPE = re.compile(r"^google.[A-Za-z]+$")  # kfp 2's own regex, dot unescaped on purpose

VALUE_PLACEHOLDERS = frozenset({"inputValue"})
INPUT_ARTIFACT_PLACEHOLDERS = frozenset({"inputPath", "inputUri"})
INPUT_PLACEHOLDERS = frozenset({"inputValue", "inputPath", "inputUri", "isPresent", "inputMetadata"})
OUTPUT_PLACEHOLDERS = frozenset({"outputPath", "outputUri"})
NAMED_PLACEHOLDERS = INPUT_PLACEHOLDERS | OUTPUT_PLACEHOLDERS | {"inputOutputPortName"}
ALL_PLACEHOLDERS = NAMED_PLACEHOLDERS | {"concat", "if", "executorInput", "outputMetadata"}


class Kind(str, Enum):
    PARAMETER = "parameter"
    ARTIFACT = "artifact"
    FINAL_STATUS = "final_status"
    BROKEN = "broken"  # kfp 2 raises while loading the type


def canonical_name(type_name: str) -> str:
    """kfp 2 `get_canonical_name_for_outer_generic`: `typing.List[int]` -> `List`."""
    name = type_name.removeprefix("typing.")
    if name.lower().startswith(("list", "dict")):
        return name.split("[", 1)[0]
    return name


def classify_name(type_name: str, is_input: bool = True) -> tuple[Kind, str]:
    """kfp 2's reading of a string type: its kind and the type it keeps in memory."""
    name = canonical_name(type_name)
    if is_input and name == "PipelineTaskFinalStatus":
        return Kind.FINAL_STATUS, name
    if name.lower() in PARAMETER_TYPES:
        return Kind.PARAMETER, PARAMETER_TYPES[name.lower()]
    if _GOOGLE_TYPE.match(name):
        if not name.startswith("google."):
            return Kind.BROKEN, name
        return Kind.ARTIFACT, f"{name}@0.0.1"
    if name.lower() in ARTIFACT_CLASSES:
        return Kind.ARTIFACT, f"system.{ARTIFACT_CLASSES[name.lower()]}@0.0.1"
    return Kind.ARTIFACT, "system.Artifact@0.0.1"


def is_stringish(type_name: str) -> bool:
    """A v1 name for a string-valued thing (path, URI, project, region)."""
    lower = type_name.lower()
    return lower in STRINGISH_TYPES or lower.endswith(("uri", "url", "path"))


@dataclass(frozen=True)
class Placeholder:
    """One `{kind: argument}` mapping inside command, args or env."""

    kind: str
    node: MappingNode
    key: ScalarNode
    argument: Node
    section: str  # command | args | env | image
    within: tuple[str, ...]  # enclosing placeholder roles, outermost first: ("concat", "if.then")

    @cached_property  # read for every placeholder by several rules
    def name(self) -> str | None:
        return str_value(self.argument)


@dataclass(frozen=True)
class Port:
    """One entry of `inputs` or `outputs`."""

    node: MappingNode
    is_input: bool
    name_node: Node | None
    type_node: Node | None

    @cached_property  # read for every port by most rules
    def name(self) -> str | None:
        return str_value(self.name_node)

    @cached_property
    def raw_type(self) -> str | None:
        return str_value(self.type_node)

    @cached_property
    def kind(self) -> Kind:
        return self.classify()[0]

    @cached_property
    def kfp2_type(self) -> str:
        return self.classify()[1]

    def classify(self) -> tuple[Kind, str]:
        type_node = self.type_node
        if type_node is None or (isinstance(type_node, ScalarNode) and type_node.tag.endswith(":null")):
            return Kind.ARTIFACT, "system.Artifact@0.0.1"
        if isinstance(type_node, ScalarNode):
            # yaml reads `type: 1` as an int; kfp 2 then calls .lower() on it
            if type_node.tag != "tag:yaml.org,2002:str":
                return Kind.BROKEN, type_node.value
            return classify_name(type_node.value, self.is_input)
        if isinstance(type_node, MappingNode):
            return (Kind.ARTIFACT, "system.Artifact@0.0.1") if type_node.value else (Kind.BROKEN, "{}")
        return Kind.BROKEN, "list"

    @property
    def outer_type_name(self) -> str | None:
        """The type's name: the string, or a dict form's single outer key (`{GCSPath: {...}}`)."""
        if isinstance(self.type_node, MappingNode) and len(self.type_node.value) == 1:
            return str_value(self.type_node.value[0][0])
        return self.raw_type

    def get(self, key: str) -> Node | None:
        return mapping_get(self.node, key)


@dataclass
class Component:
    """The parts of a v1 component document that the rules read."""

    src: YamlSource
    root: MappingNode
    inputs: list[Port] = field(default_factory=list)
    outputs: list[Port] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)
    container: MappingNode | None = None

    def input(self, name: str) -> Port | None:
        """The last input named `name` (the one kfp keeps)."""
        return self._inputs_by_name.get(name)

    def output(self, name: str) -> Port | None:
        return self._outputs_by_name.get(name)

    # Rules look a port up for every placeholder; built on first use, once component_of has filled the lists.
    @cached_property
    def _inputs_by_name(self) -> dict[str | None, Port]:
        return {port.name: port for port in self.inputs}

    @cached_property
    def _outputs_by_name(self) -> dict[str | None, Port]:
        return {port.name: port for port in self.outputs}

    def uses_of(self, name: str, kinds: frozenset[str] = INPUT_PLACEHOLDERS) -> list[Placeholder]:
        return [p for p in self.placeholders if p.kind in kinds and p.name == name]

    def input_kinds_used(self, name: str) -> set[str]:
        return {p.kind for p in self.uses_of(name)}

    def output_kinds_used(self, name: str) -> set[str]:
        return {p.kind for p in self.uses_of(name, OUTPUT_PLACEHOLDERS)}


def component_of(src: YamlSource) -> Component | None:
    """The component view of a document whose top level has `implementation`, else None."""
    root = src.root
    if not isinstance(root, MappingNode) or mapping_get(root, "implementation") is None:
        return None
    component = Component(src, root)
    component.inputs = list(_ports(mapping_get(root, "inputs"), is_input=True))
    component.outputs = list(_ports(mapping_get(root, "outputs"), is_input=False))
    container = mapping_get(mapping_get(root, "implementation"), "container")
    if isinstance(container, MappingNode):
        component.container = container
        for section in ("command", "args"):
            component.placeholders.extend(_placeholders(mapping_get(container, section), section, ()))
        for _, value in mapping_items(mapping_get(container, "env")):
            component.placeholders.extend(_placeholders(value, "env", ()))
        component.placeholders.extend(_placeholders(mapping_get(container, "image"), "image", ()))
    return component


def _ports(node: Node | None, is_input: bool) -> Iterator[Port]:
    if not isinstance(node, SequenceNode):
        return
    for item in node.value:
        if isinstance(item, MappingNode):
            yield Port(item, is_input, mapping_get(item, "name"), mapping_get(item, "type"))


def _placeholders(node: Node | None, section: str, within: tuple[str, ...]) -> Iterator[Placeholder]:
    if isinstance(node, SequenceNode):
        for item in node.value:
            yield from _placeholders(item, section, within)
    elif isinstance(node, MappingNode):
        pairs = list(mapping_items(node))
        if len(pairs) != 1 or len(node.value) != 1:
            return  # malformed: reported by the placeholder-shape rule
        key, argument = pairs[0]
        kind = key.value
        yield Placeholder(kind, node, key, argument, section, within)
        if kind == "concat":
            yield from _placeholders(argument, section, (*within, "concat"))
        elif kind == "if":
            for role in ("cond", "then", "else"):
                yield from _placeholders(mapping_get(argument, role), section, (*within, f"if.{role}"))
