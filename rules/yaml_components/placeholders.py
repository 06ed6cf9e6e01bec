"""KFP104-106, KFP133-135: placeholders kfp 2 rejects for their port or shape (kfp-semantics §1.2, §3.1)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from migrate.model import Example, Fix, FixSafety, Located, Severity, YamlRule
from migrate.yaml_edit import decorated, replace, scalar
from migrate.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlSource,
    construct,
    mapping_get,
)
from migrate.yaml_source import mapping_items as pairs_of
from rules._yaml import Component, Kind, Placeholder, Port
from rules.yaml_components._common import component, container_slots
from rules.yaml_components._shim import (
    INPUTS_DIR,
    input_file_names,
    input_script,
    placeholder_item,
    prepend_to_command,
    shim_items,
)
from rules.yaml_components._slots import (
    BOOL_TAG,
    INPUT_NAMED,
    NULL_TAG,
    OUTPUT_NAMED,
    STR_TAG,
    V2_COMPAT_ONLY,
    example,
    not_string,
    quotable,
    single_pair,
    slot_problem,
)

_SEMANTICS = "../shared/docs/kfp-semantics.md"


def _uses(found: Component, kind: str) -> list[Placeholder]:
    """Well-formed `kind` placeholders, each node once (aliases repeat nodes)."""
    seen: set[int] = set()
    result = []
    for placeholder in found.placeholders:
        if placeholder.kind == kind and placeholder.name is not None and id(placeholder.node) not in seen:
            seen.add(id(placeholder.node))
            result.append(placeholder)
    return result


class ParameterInputByPath(YamlRule):
    code = "KFP104"
    name = "parameter-input-by-path"
    summary = "Checks for parameter-typed inputs that the command reads as a file with `inputPath`."
    message = (
        "Input `{input}` has parameter type `{type}` but is read with `inputPath`; kfp 2 fails when the task "
        "is created: a parameter has no file{extra}"
    )
    fix_title = "Pass {inputs} with `inputValue` and let a `sh` shim write the file before the command runs"
    rationale = (
        "v1 wrote the value of an `{inputPath: x}` input into a file and passed the file's path, whatever "
        "the type. kfp 2 gives files only to artifacts: for a parameter type (`String`, `Integer`, "
        '`JsonObject`, ...) creating the task raises `TypeError: Input "x" with type "String" cannot be '
        "paired with InputPathPlaceholder.` kfp 1.8's `create_component_from_func` produced this shape for "
        "`InputTextFile(str)` parameters, and many hand-written components use it. The fix keeps the "
        "parameter and does v1's job in the container: a `sh` shim prepended to `command` receives the "
        "value with `{inputValue: x}`, writes it to a file, and `exec`s the original command line, in which "
        f"the placeholder is now that file's path. ({_SEMANTICS} §1.2, §3.1; probes Y11, Y67.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "The image must have a POSIX shell as `sh` on its PATH (distroless images do not). kfp 2 renders "
        "the value, not v1: `JsonObject`/`JsonArray` values are serialized by kfp 2 as JSON (spacing and key "
        "order may differ from v1's `json.dumps`) and booleans as `true`/`false`. The file lives under "
        f"`{INPUTS_DIR}/` instead of v1's `/tmp/inputs/<name>/data`. Retyping the input to an artifact type "
        "is the alternative when callers pass files: only the author knows which was meant."
    )
    valid = (example("[cat, {inputPath: a}]", "- {name: a, type: Dataset}\n"),)
    invalid = (
        Example(
            example("[cat, {inputPath: a}]", "- {name: a, type: String}\n"),
            example(
                "[sh, -ec, 'mkdir -p /tmp/kfp-migrate/inputs; "
                "printf ''%s'' \"$0\" > /tmp/kfp-migrate/inputs/a; "
                'exec "$@"\', {inputValue: a}, cat, /tmp/kfp-migrate/inputs/a]',
                "- {name: a, type: String}\n",
            ),
            unsafe=True,
        ),
        Example(example("[cat, {inputPath: a}]", "- {name: a, type: String, optional: true}\n")),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        bad: list[tuple[Placeholder, Port]] = []
        for use in _uses(found, "inputPath"):
            port = found.input(use.name or "")
            if port is not None and port.kind is Kind.PARAMETER:
                bad.append((use, port))
        if not bad:
            return
        reasons = self._reasons(src, found, bad)
        fixable = list(dict.fromkeys(port.name for _, port in bad if port.name not in reasons))
        fix = self._fix(src, found, bad, [n for n in fixable if n is not None]) if fixable else None
        for use, port in bad:
            reason = reasons.get(port.name)
            extra = f"; no fix: {reason}" if reason else ""
            yield self.at(use.node, None if reason else fix, input=port.name, type=port.raw_type, extra=extra)

    @staticmethod
    def _reasons(src: YamlSource, found: Component, bad: list[tuple[Placeholder, Port]]) -> dict[str | None, str]:
        command = mapping_get(found.container, "command")
        overall = None
        if command is None:
            overall = "the component has no `command`, so what the image runs is unknown"
        elif not isinstance(command, SequenceNode) or not command.value or decorated(src, command):
            overall = "`command` is not a plain, non-empty list"
        reasons: dict[str | None, str] = {}
        for use, port in bad:
            if overall:
                reasons[port.name] = overall
            elif _optional_without_default(port):
                reasons[port.name] = "the input is optional without a default, so there may be no value to write"
            elif use.section not in ("command", "args"):
                reasons[port.name] = f"the placeholder sits in `{use.section}`, which allows no placeholders (KFP134)"
            elif "if.cond" in use.within:
                reasons[port.name] = "the placeholder is an `if` condition, which v1 did not allow either (KFP134)"
            elif decorated(src, use.node):
                reasons[port.name] = "the placeholder has a YAML anchor or tag"
        return reasons

    def _fix(self, src: YamlSource, found: Component, bad: list[tuple[Placeholder, Port]], names: list[str]) -> Fix:
        paths = {name: f"{INPUTS_DIR}/{file}" for name, file in zip(names, input_file_names(names), strict=True)}
        assert found.container is not None
        shim = shim_items(input_script([paths[n] for n in names]), [placeholder_item("inputValue", n) for n in names])
        edits = [prepend_to_command(src, found.container, shim)]
        edits += [replace(src, use.node, scalar(paths[port.name])) for use, port in bad if port.name in paths]
        return self.fix(*edits, inputs=", ".join(f"`{name}`" for name in names))


def _optional_without_default(port: Port) -> bool:
    optional, default = port.get("optional"), port.get("default")
    has_default = default is not None and not (isinstance(default, ScalarNode) and default.tag == NULL_TAG)
    return (
        isinstance(optional, ScalarNode)
        and optional.tag == BOOL_TAG
        and construct(optional) is True
        and not has_default
    )


class ParameterInputByUri(YamlRule):
    code = "KFP105"
    name = "parameter-input-by-uri"
    summary = "Checks for parameter-typed inputs that the command reads with `inputUri`."
    message = (
        "Input `{input}` has parameter type `{type}` but is read with `inputUri`; kfp 2 fails when the task "
        "is created: a parameter has no URI"
    )
    rationale = (
        "Only artifacts have a URI in kfp 2. `{inputUri: x}` on a parameter-typed input raises `TypeError: "
        'Input "x" with type "Integer" cannot be paired with InputUriPlaceholder.` when the task is '
        f"created. ({_SEMANTICS} §3.1; probe Y12.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = (
        "Either the input really is an artifact (change its type; callers must then pass artifacts) or the "
        "command wants the value (`inputValue`); only the author knows."
    )
    valid = (example("[echo, {inputUri: a}]", "- {name: a, type: Model}\n"),)
    invalid = (Example(example("[echo, {inputUri: a}]", "- {name: a, type: Integer}\n")),)

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for use in _uses(found, "inputUri"):
            port = found.input(use.name or "")
            if port is not None and port.kind is Kind.PARAMETER:
                yield self.at(use.node, input=port.name, type=port.raw_type)


class ParameterOutputByUri(YamlRule):
    code = "KFP106"
    name = "parameter-output-by-uri"
    summary = "Checks for parameter-typed outputs that the command writes with `outputUri`."
    message = (
        "Output `{output}` has parameter type `{type}` but is written with `outputUri`; kfp 2 fails when the "
        "task is created: a parameter has no URI"
    )
    rationale = (
        "Only artifacts have a URI in kfp 2. `{outputUri: o}` on a parameter-typed output raises `TypeError: "
        'Output "o" with type "String" cannot be paired with OutputUriPlaceholder.` when the task is '
        f"created. ({_SEMANTICS} §3.1; probe Y21.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = (
        "Making the output an artifact changes what every consumer receives; writing the value with "
        "`outputPath` changes the program. Only the author can choose."
    )
    valid = (example("[echo, {outputUri: o}]", outputs="- {name: o, type: Model}\n"),)
    invalid = (Example(example("[echo, {outputUri: o}]", outputs="- {name: o, type: String}\n")),)

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for use in _uses(found, "outputUri"):
            port = found.output(use.name or "")
            if port is not None and port.kind is Kind.PARAMETER:
                yield self.at(use.node, output=port.name, type=port.raw_type)


class V2CompatPlaceholder(YamlRule):
    code = "KFP133"
    name = "unsupported-v2-compat-placeholder"
    summary = "Checks for the v2-compatibility placeholders (`inputMetadata`, `outputMetadata`, port names)."
    message = "`{key}` is a v2-compatibility placeholder that kfp 2 cannot load from a v1 component"
    rationale = (
        "kfp 1.8 accepted `inputMetadata`, `outputMetadata` and `inputOutputPortName` for its v2-compatible "
        "mode. kfp 2 does not convert them and loading fails with `TypeError: Unexpected argument "
        f"{{'inputMetadata': 'd'}} of type <class 'dict'>.` ({_SEMANTICS} §1.2; probes Y58, Y59, Y5A.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = (
        "Rewrite the component with `@dsl.container_component`, reading metadata from `Input[T].metadata` or "
        "`dsl.PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER`; port names have no kfp 2 equivalent."
    )
    valid = (example("[echo, {executorInput: null}]"),)
    invalid = (Example(example("[echo, {inputMetadata: d}]", "- {name: d, type: Dataset}\n")),)

    def check(self, src: YamlSource) -> Iterator[Located]:
        for slot in container_slots(src):
            if slot.key() in V2_COMPAT_ONLY:
                yield self.at(slot.node, key=slot.key())


class MalformedPlaceholder(YamlRule):
    code = "KFP134"
    name = "malformed-placeholder"
    summary = (
        "Checks for `command`/`args` items that are neither strings nor valid placeholders, "
        "and for non-strings in `image` or `env`."
    )
    message = "{problem}; kfp 1 and kfp 2 both fail to load the component"
    fix_title = "Quote `{text}` as a string"
    rationale = (
        "v1's component structure (which kfp 2 uses to load v1 YAML) allows only strings and the v1 "
        "placeholders in `command` and `args`, and only strings in `image` and `env`. Anything else fails "
        "to load with `TypeError: Error: ContainerImplementation.from_dict(struct=...) failed`: an unquoted "
        "`1`, `true` or `1.5` (YAML reads them as numbers or booleans), a misspelled or unknown key "
        "(`inputValues`, kfp 2's IR spelling `ifPresent`), a mapping with two keys, a bare `isPresent`, or a "
        "placeholder inside `env` or `image` (the old JSON schema allowed those; the Python structure "
        f"never did). ({_SEMANTICS} §1.1, §1.2; probes Y5B, Y5C, Y5F, Y5G, Y5I, Y5J.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Only unquoted scalars are fixed, by quoting the text exactly as written (`1` becomes `'1'`, "
        "`yes` becomes `'yes'`); the component never loaded before, so this is the argument its author "
        "wrote. Other shapes have no fix: only the author knows which placeholder was meant. A value in "
        "`env` that depends on an input can be set with `task.set_env_variable` in the pipeline."
    )
    valid = (example("[echo, '1', {concat: [a, {inputValue: a}]}]", "- {name: a, type: String}\n"),)
    invalid = (
        Example(example("[echo, 1, true]"), example("[echo, '1', 'true']")),
        Example(example("[echo, {inputValues: a}]", "- {name: a, type: String}\n")),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        container = found.container if found else None
        for slot in container_slots(src):
            problem = slot_problem(slot)
            if problem is not None:
                yield self._located(src, slot.node, problem)
        env = mapping_get(container, "env")
        if env is not None and not isinstance(env, MappingNode):
            yield self.at(env, problem="`env` is not a mapping of names to strings")
        for key, value in pairs_of(env):
            if isinstance(value, ScalarNode) and value.tag != STR_TAG:
                yield self._located(src, value, f"`env` value `{key.value}` is {not_string(value)}, not a string")
            elif not isinstance(value, ScalarNode):
                problem = f"`env` value `{key.value}` is a {'placeholder' if single_pair(value) else 'collection'}"
                yield self.at(value, problem=problem + "; `env` holds only plain strings")
        image = mapping_get(container, "image")
        if isinstance(image, ScalarNode) and image.tag != STR_TAG:
            yield self._located(src, image, f"`image` is {not_string(image)}, not a string")
        elif image is not None and not isinstance(image, ScalarNode):
            problem = f"`image` is a {'placeholder' if single_pair(image) else 'collection'}"
            yield self.at(image, problem=problem + "; `image` must be a plain string")

    def _located(self, src: YamlSource, node: Node, problem: str) -> Located:
        if not quotable(src, node):
            return self.at(node, problem=problem)
        assert isinstance(node, ScalarNode)
        text = node.value
        return self.at(
            node,
            self.fix(replace(src, node, "'" + text.replace("'", "''") + "'"), text=text),
            problem=problem,
        )


class UndeclaredPlaceholderName(YamlRule):
    code = "KFP135"
    name = "undeclared-placeholder-name"
    summary = "Checks for placeholders that name an input or output the component does not declare."
    message = (
        "`{key}` names {side} `{name}`, which the component does not declare; kfp 1 and kfp 2 both fail to "
        "load it{extra}"
    )
    rationale = (
        "Placeholders refer to inputs and outputs by their exact declared name. A name that is not declared "
        "fails to load with `TypeError: Argument \"InputValuePlaceholder(input_name='zz')\" references "
        f"non-existing input.` (or `... output.`). ({_SEMANTICS} §1.2; probes Y5D, Y5E.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Either the placeholder has a typo or the declaration is missing (and its type unknown)."
    valid = (example("[echo, {inputValue: a}]", "- {name: a, type: String}\n"),)
    invalid = (Example(example("[echo, {inputValue: zz}]", "- {name: a, type: String}\n")),)

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for slot in container_slots(src):
            key, argument = slot.key(), slot.argument()
            if key not in INPUT_NAMED | OUTPUT_NAMED or not isinstance(argument, ScalarNode):
                continue
            if argument.tag != STR_TAG:
                continue
            is_input = key in INPUT_NAMED
            if (found.input if is_input else found.output)(argument.value) is not None:
                continue
            declared = [p.name for p in (found.inputs if is_input else found.outputs) if p.name]
            close = difflib.get_close_matches(argument.value, declared, 1, 0.6)
            extra = f" (did you mean `{close[0]}`?)" if close else ""
            side = "input" if is_input else "output"
            yield self.at(argument, key=key, side=side, name=argument.value, extra=extra)
