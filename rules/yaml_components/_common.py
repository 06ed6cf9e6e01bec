"""Edits and lookups several KFP1xx rules share."""

from __future__ import annotations

from collections.abc import Iterator

from migrate.model import Edit
from migrate.yaml_edit import add_pair, content_end, replace, requote, scalar
from migrate.yaml_source import Node, ScalarNode, YamlSource, mapping_key
from rules._yaml import Component, Port, component_of
from rules.yaml_components._slots import Slot, slots


def component(src: YamlSource) -> Component | None:
    """The component view, built once per source and shared by every rule."""
    if "component" not in src.cache:
        src.cache["component"] = component_of(src)
    found = src.cache["component"]
    return found if isinstance(found, Component) else None


def container_slots(src: YamlSource) -> tuple[Slot, ...]:
    """`slots` of the component's container, walked once per source and shared by every rule."""
    cached = src.cache.get("container_slots")
    if not isinstance(cached, tuple):
        found = component(src)
        cached = src.cache["container_slots"] = slots(found.container if found else None)
    return cached


def ports(src: YamlSource) -> Iterator[Port]:
    found = component(src)
    if found is not None:
        yield from found.inputs
        yield from found.outputs


def set_type(src: YamlSource, port: Port, type_name: str) -> Edit:
    """Replace the port's type, or add `type:` after its name, keeping the quoting in use."""
    if port.type_node is None:
        return add_pair(src, port.node, "type", scalar(type_name))
    if isinstance(port.type_node, ScalarNode):
        return replace(src, port.type_node, requote(port.type_node, type_name))
    key = mapping_key(port.node, "type")
    if key is not None and not getattr(port.type_node, "flow_style", True):
        # A block mapping under `type:` starts on the next line; the new name belongs after the colon.
        return Edit(key.end_mark.index, content_end(src, port.type_node), ": " + scalar(type_name))
    return replace(src, port.type_node, scalar(type_name))


def where(port: Port) -> Node:
    """The node a finding about a port points at: its type if it has one, else its name."""
    return port.type_node or port.name_node or port.node


def describe(port: Port) -> str:
    return f"{'Input' if port.is_input else 'Output'} `{port.name}`"
