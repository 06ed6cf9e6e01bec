"""KFP144, KFP145, KFP148: port names, as kfp 2 reads and sanitizes them (kfp-semantics.md §1.3)."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from migrate.model import Edit, Example, FixSafety, Located, Severity, YamlRule
from migrate.yaml_edit import decorated, replace, requote, scalar
from migrate.yaml_source import ScalarNode, YamlSource, construct, mapping_get, mapping_items
from rules._yaml import INPUT_PLACEHOLDERS, OUTPUT_PLACEHOLDERS, Component, Placeholder, Port
from rules.yaml_components._common import component, describe

_SEMANTICS = "../shared/docs/kfp-semantics.md"
# Placeholders that name a port of each side; inputOutputPortName may name either.
_NAMING = {
    True: INPUT_PLACEHOLDERS | {"inputOutputPortName"},
    False: OUTPUT_PLACEHOLDERS | {"inputOutputPortName"},
}


_NOT_NAME = re.compile("[^_0-9a-z]+")


@lru_cache(maxsize=4096)  # every rule on names asks for each port's, some more than once
def sanitize(name: str) -> str:
    """kfp 2 `dsl/utils.py:sanitize_input_name`, applied to every v1 input and output name."""
    return _NOT_NAME.sub("_", name.lower()).lstrip("_").rstrip("_")


def _side(found: Component, is_input: bool) -> list[Port]:
    return found.inputs if is_input else found.outputs


def _word(is_input: bool) -> str:
    return "input" if is_input else "output"


def _references(found: Component, port: Port) -> list[Placeholder]:
    return [p for p in found.placeholders if p.kind in _NAMING[port.is_input] and p.name == port.name]


def _file_output_keys(found: Component, name: str) -> list[ScalarNode]:
    file_outputs = mapping_get(found.container, "fileOutputs")
    return [key for key, _ in mapping_items(file_outputs) if key.value == name and key.tag.endswith(":str")]


class DuplicatePortName(YamlRule):
    code = "KFP144"
    name = "duplicate-port-name"
    summary = "Checks for inputs (or outputs) with the same name, as written or once kfp 2 sanitizes it."
    message = "{port} {problem}"
    rationale = (
        "Two inputs (or two outputs) with the same name make loading fail with `ValueError: Non-unique "
        "input name`, in v1 and kfp 2. kfp 2 also sanitizes every name (lowercase, runs of other characters "
        "to `_`), and names that become equal are merged without a word: `Input Data` and `input_data` turn "
        "into one input, the last declared, so the first one's type and default are lost while the command "
        f"still refers to both. ({_SEMANTICS} §1.3; probes Y63, Y65, Y26.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Renaming a port changes the component's interface; only the author can pick the new name."
    valid = (
        "name: t\ninputs:\n- {name: a, type: String}\noutputs:\n- {name: a, type: String}\nimplementation:\n"
        "  container:\n    image: alpine\n    command: [cp, {inputValue: a}, {outputPath: a}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: a, type: String}\n- {name: a, type: Integer}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [echo, {inputValue: a}]\n"
        ),
        Example(
            "name: t\noutputs:\n- {name: output, type: Integer}\n- {name: Output, type: String}\n"
            "implementation:\n  container:\n    image: alpine\n"
            "    command: [sh, -c, 'true', {outputPath: output}, {outputPath: Output}]\n"
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for is_input in (True, False):
            exact: set[str] = set()
            first: dict[str, Port] = {}
            word = _word(is_input)
            for port in _side(found, is_input):
                if port.name is None or port.name_node is None:
                    continue
                key = sanitize(port.name)
                earlier = first.setdefault(key, port)
                if port.name in exact:
                    problem = (
                        "is declared twice: loading the component fails with "
                        f'`ValueError: Non-unique {word} name "{port.name}"`'
                    )
                    yield self.at(port.name_node, port=describe(port), problem=problem)
                elif earlier is not port:
                    problem = (
                        f"and {word} `{earlier.name}` are both named `{key}` in kfp 2, which silently keeps "
                        "only the one declared last"
                    )
                    # v1 kept both; kfp 2 loads and compiles, with one port fewer
                    yield self.at(port.name_node, severity=Severity.CHANGE, port=describe(port), problem=problem)
                exact.add(port.name)


def _usage(name: str, is_input: bool) -> str:
    if not is_input:
        return f"`task.outputs['{name}']`"
    return f"`{name}=...`" if name.isidentifier() and not keyword.iskeyword(name) else f"`**{{'{name}': ...}}`"


class SanitizedPortName(YamlRule):
    code = "KFP145"
    name = "sanitized-port-name"
    summary = "Checks for input and output names that kfp 2 changes (capitals, spaces, dashes)."
    message = "{port} {detail}"
    fix_title = "Rename it to `{sanitized}`"
    rationale = (
        "kfp 2 sanitizes v1 input and output names: lowercase, every run of characters other than `a-z`, "
        "`0-9` and `_` becomes `_`, and leading or trailing `_` go. Pipeline code must use the new name: "
        "`task.outputs['Output']` raises `KeyError: 'Output'`, and an argument `Input Data` is passed as "
        "`input_data=`. Writing the sanitized name in the file makes the interface say what kfp 2 does. "
        f"({_SEMANTICS} §1.3; probes Y64, Y68, Y69, P21.)"
    )
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The compiled component is byte-identical: kfp 2 already used the sanitized name. The name and every "
        "placeholder (and `fileOutputs` key) that refers to it are renamed together. No fix when two names "
        "sanitize to the same one (KFP144) or to an empty one."
    )
    valid = (
        "name: t\noutputs:\n- {name: output, type: Float}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [sh, -c, 'echo 1 > $0', {outputPath: output}]\n",
    )
    invalid = (
        Example(
            "name: t\noutputs:\n- {name: Output, type: Float}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [sh, -c, 'echo 1 > $0', {outputPath: Output}]\n",
            "name: t\noutputs:\n- {name: output, type: Float}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [sh, -c, 'echo 1 > $0', {outputPath: output}]\n",
        ),
        Example(
            "name: t\ninputs:\n- {name: Input Data, type: String, optional: true}\nimplementation:\n"
            "  container:\n    image: alpine\n    command:\n    - echo\n    - if:\n"
            "        cond: {isPresent: Input Data}\n        then: [--data, {inputValue: Input Data}]\n",
            "name: t\ninputs:\n- {name: input_data, type: String, optional: true}\nimplementation:\n"
            "  container:\n    image: alpine\n    command:\n    - echo\n    - if:\n"
            "        cond: {isPresent: input_data}\n        then: [--data, {inputValue: input_data}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        graph = mapping_get(mapping_get(found.root, "implementation"), "graph") is not None
        for is_input in (True, False):
            side = _side(found, is_input)
            counts: dict[str, int] = {}
            for port in side:
                if port.name is not None:
                    counts[sanitize(port.name)] = counts.get(sanitize(port.name), 0) + 1
            for port in side:
                name, node = port.name, port.name_node
                if name is None or not isinstance(node, ScalarNode) or sanitize(name) == name:
                    continue
                new = sanitize(name)
                fields: dict[str, Any] = {"port": describe(port), "name": name, "sanitized": new}
                if not new:
                    detail = "becomes an empty name in kfp 2, which no keyword argument can pass"
                    yield self.at(node, detail=detail, **fields)
                    continue
                detail = f"is named `{new}` in kfp 2: Python code must use {_usage(new, is_input)}"
                fix = None
                if counts[new] == 1 and not graph:
                    edits = self._renames(src, found, port, new)
                    fix = self.fix(*edits, sanitized=new) if edits else None
                yield self.at(node, fix, detail=detail, **fields)

    @staticmethod
    def _renames(src: YamlSource, found: Component, port: Port, new: str) -> tuple[Edit, ...]:
        """Edits renaming the port and its references; empty when one of them cannot be edited in place."""
        assert isinstance(port.name_node, ScalarNode) and port.name is not None
        nodes: list[ScalarNode] = [port.name_node]
        for placeholder in _references(found, port):
            if isinstance(placeholder.argument, ScalarNode):
                nodes.append(placeholder.argument)
        if not port.is_input:
            nodes.extend(_file_output_keys(found, port.name))
        unique = {node.start_mark.index: node for node in nodes}  # an alias shares its anchor's node
        if any(decorated(src, node) for node in unique.values()):
            return ()
        return tuple(replace(src, node, requote(node, new)) for node in unique.values())


def _yaml_reading(node: ScalarNode) -> str:
    kind = node.tag.rsplit(":", 1)[1]
    return "null" if kind == "null" else f"{'an' if kind == 'int' else 'a'} {kind} (`{construct(node)!r}`)"


def _non_string(node: object) -> bool:
    return isinstance(node, ScalarNode) and not node.tag.endswith(":str")


class NonStringPortName(YamlRule):
    code = "KFP148"
    name = "non-string-port-name"
    summary = "Checks for port names, and placeholder arguments naming ports, that YAML reads as non-strings."
    message = "{what} {shown} is read by YAML as {reading}, not a name: kfp 1 and kfp 2 fail to load the component"
    fix_title = "Quote it: `{quoted}`"
    rationale = (
        "kfp reads component files with YAML 1.1, where unquoted `on`, `off`, `yes`, `no`, `true`, `null`, "
        "`1` or `1.5` are booleans, null or numbers. A port called `on` therefore has the name `True`, and "
        "loading fails with `TypeError: Error: InputSpec.from_dict(struct={'name': True, ...`; a placeholder "
        "`{inputValue: on}` fails the same way in `ContainerImplementation.from_dict`. Quoting the text "
        f"keeps the name the author wrote. ({_SEMANTICS} §1.1.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = "The component did not load before; the quoted name is the text that was written."
    valid = (
        "name: t\ninputs:\n- {name: 'on', type: String}\nimplementation:\n  container:\n    image: alpine\n"
        "    command: [echo, {inputValue: 'on'}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: on, type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: on}]\n",
            "name: t\ninputs:\n- {name: 'on', type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo, {inputValue: 'on'}]\n",
        ),
        Example(
            "name: t\noutputs:\n- {name: '1', type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [touch, {outputPath: 1}]\n",
            "name: t\noutputs:\n- {name: '1', type: String}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [touch, {outputPath: '1'}]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        claimed: set[int] = set()  # placeholder arguments already quoted by their port's fix
        named: dict[tuple[bool, str], Port] = {}
        for port in [*found.inputs, *found.outputs]:
            node = port.name_node
            if isinstance(node, ScalarNode):
                named.setdefault((port.is_input, node.value), port)
            if not _non_string(node):
                continue
            assert isinstance(node, ScalarNode)
            nodes = [node] + [
                p.argument
                for p in found.placeholders
                if p.kind in _NAMING[port.is_input]
                and _non_string(p.argument)
                and isinstance(p.argument, ScalarNode)
                and p.argument.value == node.value
            ]
            claimed.update(id(n) for n in nodes)
            what = f"{_word(port.is_input).capitalize()} name"
            yield self._finding(src, node, nodes, what)
        for placeholder in found.placeholders:
            argument = placeholder.argument
            if (
                id(argument) in claimed
                or not _non_string(argument)
                or placeholder.kind not in _NAMING[True] | _NAMING[False]
            ):
                continue
            assert isinstance(argument, ScalarNode)
            sides = (True, False) if placeholder.kind == "inputOutputPortName" else (placeholder.kind in _NAMING[True],)
            if any((side, argument.value) in named for side in sides):
                claimed.add(id(argument))
                yield self._finding(src, argument, [argument], f"`{placeholder.kind}` argument")

    def _finding(self, src: YamlSource, node: ScalarNode, nodes: list[ScalarNode], what: str) -> Located:
        shown = f"`{node.value}`" if node.value else "(empty)"
        fields: dict[str, Any] = {"what": what, "shown": shown, "reading": _yaml_reading(node)}
        unique = {n.start_mark.index: n for n in nodes}
        if not node.value or any(decorated(src, n) for n in unique.values()):
            return self.at(node, **fields)
        quoted = scalar(node.value)
        return self.at(node, self.fix(*(replace(src, n, quoted) for n in unique.values()), quoted=quoted), **fields)
