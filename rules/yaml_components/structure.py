"""KFP141, KFP142, KFP146: implementation kind, top-level keys, special inputs (kfp-semantics.md §1.1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from migrate.model import Edit, Example, Fix, FixSafety, Located, NewFile, Severity, YamlRule
from migrate.yaml_edit import add_pair, content_end, decorated, line_end, remove_pair, scalar, source_of
from migrate.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    YamlSource,
    construct,
    mapping_get,
    mapping_items,
    mapping_key,
    str_value,
)
from rules._yaml import Kind
from rules.yaml_components._common import component
from rules.yaml_components.graph_pipeline import COMMENT, COMMENT_PATTERN, Unsupported, companion_name, generate

_SEMANTICS = "../shared/docs/kfp-semantics.md"
# v1 `ComponentSpec.__init__` parameters (kfp 2 `dsl/v1_structures.py`, same as kfp 1.8.22).
TOP_LEVEL_KEYS = frozenset({"name", "description", "metadata", "inputs", "outputs", "implementation", "version"})


class GraphImplementation(YamlRule):
    code = "KFP141"
    name = "graph-implementation"
    summary = "Checks for graph components (`implementation.graph`), which kfp 2 cannot load."
    message = (
        "Graph component: kfp 2 loads only container components "
        "(`NotImplementedError: Container implementation not found.`){detail}"
    )
    fix_title = "Write the graph as a `@dsl.pipeline` in `{companion}`"
    rationale = (
        "A v1 graph component wires other components together under `implementation.graph`. kfp 2 loads "
        "only `implementation.container` from a v1 file and raises `NotImplementedError: Container "
        "implementation not found.`; the kfp 2 form of a graph is a `@dsl.pipeline` function, which can be "
        f"used as a component inside other pipelines. ({_SEMANTICS} §1.1, §5; probe Y61.)\n\n"
        "The fix writes that pipeline into a new module beside the YAML (`component.yaml` -> "
        "`component_pipeline.py`: an importable name that leaves alone the `component.py` many v1 components "
        "keep beside their YAML), and adds a comment naming it to the YAML, which kfp 2 still cannot load. "
        "Each task loads its component as kfp 1 did (SOURCE K1 `components/_components.py:_resolve_graph_task`): "
        "`componentRef.url` with `components.load_component_from_url`, a relative or `file://` one with "
        "`load_component_from_file` (relative to the module), an inline `spec` with `load_component_from_text`. "
        "Graph inputs become pipeline parameters typed as kfp 2 types the v1 type (artifact types as "
        "`dsl.Input[...]`, defaults converted as kfp 2 converts them), `taskOutput` arguments read "
        "`task.outputs[...]` under the names kfp 2 gives a loaded v1 component (KFP145), tasks follow their "
        "dependencies, each keeps its task id as display name, and `outputValues` are returned as the "
        "pipeline's `NamedTuple` outputs."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "Review the generated module. Constants are passed as YAML typed them (kfp 1 did the same), and kfp 2 "
        "checks them against the children's types when the pipeline is built. `maxRetries` becomes "
        "`set_retry` and a `P0D` cache staleness `set_caching_options(False)`, although kfp 1.8.22 ignored a "
        "graph task's execution options when it expanded the graph. No fix when a task names its component "
        "only by `name` (kfp 1's `ComponentStore.default_store` lookup), has `isEnabled`, `annotations` or "
        "other execution options, or when an input, output or default has no kfp 2 pipeline form; the "
        "message says which. Never written over an existing module with other content."
    )
    valid = ("name: t\nimplementation:\n  container:\n    image: alpine\n    command: [echo]\n",)
    invalid = (
        Example(
            "name: g\ninputs:\n- {name: a, type: String}\nimplementation:\n  graph:\n    tasks:\n"
            "      step:\n        componentRef: {url: 'https://example.com/component.yaml'}\n"
            "        arguments:\n          x: {graphInput: {inputName: a}}\n",
            "name: g\ninputs:\n- {name: a, type: String}\n"
            "# kfp 2: see example_pipeline.py (kfp-migrate KFP141)\nimplementation:\n  graph:\n    tasks:\n"
            "      step:\n        componentRef: {url: 'https://example.com/component.yaml'}\n"
            "        arguments:\n          x: {graphInput: {inputName: a}}\n",
            unsafe=True,
        ),
        Example(
            "name: g\nimplementation:\n  graph:\n    tasks:\n      step:\n        componentRef: {name: xgboost/train}\n"
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        implementation = mapping_get(found.root, "implementation")
        key = mapping_key(implementation, "graph")
        if key is None:
            return
        existing = COMMENT_PATTERN.search(src.text)
        if existing is not None:
            detail = f"; its kfp 2 form is the `@dsl.pipeline` in `{existing.group(1)}`"
            yield self.at(key, detail=detail)
            return
        companion = companion_name(src.path)
        try:
            text = generate(construct(found.root), src.path.replace("\\", "/").rsplit("/", 1)[-1])
        except Unsupported as reason:
            yield self.at(key, detail=f"; no `@dsl.pipeline` can be generated: {reason}")
            return
        implementation_key = mapping_key(found.root, "implementation")
        offset = 0
        if implementation_key is not None and implementation_key.start_mark.column == 0:
            offset = implementation_key.start_mark.index
        comment = COMMENT.format(name=companion) + src.newline()
        fix = replace(self.fix(Edit(offset, offset, comment), companion=companion), creates=(NewFile(companion, text),))
        yield self.at(key, fix, detail="")


def _annotation_text(src: YamlSource, value: ScalarNode) -> str:
    """The value as a YAML string: quoted strings keep their quoting, anything else is quoted as needed."""
    if value.tag.endswith(":str") and value.style in ("'", '"') and "\n" not in source_of(src, value):
        return source_of(src, value)
    return scalar(value.value)


def _trailing_comment(src: YamlSource, value: Node) -> str:
    end = content_end(src, value)
    rest = src.text[end : line_end(src, end)].strip()
    return f"  {rest}" if rest.startswith("#") else ""


def _block(mapping: MappingNode) -> bool:
    return not mapping.flow_style and bool(mapping.value)


def _move_edits(src: YamlSource, root: MappingNode, key: ScalarNode, value: ScalarNode) -> tuple[Edit, ...]:
    """Edits moving a top-level pair to `metadata.annotations`, creating either mapping; () when unsure."""
    name, text = scalar(key.value), _annotation_text(src, value)
    metadata = mapping_get(root, "metadata")
    if metadata is None:
        if mapping_key(root, "metadata") is not None:
            return ()  # `metadata:` with no value: leave it to the author
        # In place, so that a comment beside the pair stays beside it.
        moved = f"metadata: {{annotations: {{{name}: {text}}}}}"
        return (Edit(key.start_mark.index, content_end(src, value), moved),)
    if not isinstance(metadata, MappingNode) or decorated(src, metadata):
        return ()
    comment = _trailing_comment(src, value)
    annotations = mapping_get(metadata, "annotations")
    if annotations is None:
        if mapping_key(metadata, "annotations") is not None:
            return ()
        flow = f"{{{name}: {text}}}" + (comment if _block(metadata) else "")
        added = add_pair(src, metadata, "annotations", flow, after=None)
    elif isinstance(annotations, MappingNode) and not decorated(src, annotations):
        if any(k.value == key.value for k, _ in mapping_items(annotations)):
            return ()  # already annotated: only the author knows which value wins
        # After the last annotation, so that several moved keys keep their order.
        last = str_value(annotations.value[-1][0]) if annotations.value else None
        added = add_pair(src, annotations, name, text + (comment if _block(annotations) else ""), after=last)
    else:
        return ()
    return (remove_pair(src, root, key), added)


class UnknownTopLevelKey(YamlRule):
    code = "KFP142"
    name = "unknown-top-level-key"
    summary = "Checks for top-level keys that a v1 component spec does not have (`author`, `labels`, ...)."
    message = "Top-level key `{key}` is not part of a component spec: kfp 1 and kfp 2 fail to load the component"
    fix_title = "Move `{key}` under `metadata.annotations`"
    rationale = (
        "A v1 component has only `name`, `description`, `metadata`, `inputs`, `outputs`, `implementation` "
        "and "
        "`version` at the top level. Both kfp 1 and kfp 2 pass the keys to `ComponentSpec(...)`, so any "
        "other "
        "key fails with `TypeError: ComponentSpec.__init__() got an unexpected keyword argument 'author'`. "
        "Free-form information belongs in `metadata.annotations`, whose values are strings. "
        f"({_SEMANTICS} §1.1; probe Y60.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "The component did not load before; the value is kept, as a string annotation. Keys whose value is "
        "a list, a mapping or empty, or that are already annotated, get no fix."
    )
    valid = (
        "name: t\nmetadata:\n  annotations: {author: someone}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo]\n",
    )
    invalid = (
        Example(
            "name: t\nauthor: someone\nimplementation:\n  container:\n    image: alpine\n    command: [echo]\n",
            "name: t\nmetadata: {annotations: {author: someone}}\nimplementation:\n  container:\n"
            "    image: alpine\n    command: [echo]\n",
        ),
        Example(
            "name: t\nmetadata:\n  annotations:\n    owner: ml-team\nversion_tag: 1.2\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [echo]\n",
            "name: t\nmetadata:\n  annotations:\n    owner: ml-team\n    version_tag: '1.2'\n"
            "implementation:\n  container:\n    image: alpine\n    command: [echo]\n",
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for key, value in found.root.value:
            if isinstance(key, ScalarNode) and key.tag.endswith(":str") and key.value in TOP_LEVEL_KEYS:
                continue
            text = key.value if isinstance(key, ScalarNode) else src.text[key.start_mark.index : key.end_mark.index]
            yield self.at(key, self._fix(src, found.root, key, value), key=text)

    def _fix(self, src: YamlSource, root: MappingNode, key: Node, value: Node) -> Fix | None:
        # A non-string key (`on:`) cannot become a keyword either way; a collection has no string form.
        if not (isinstance(key, ScalarNode) and key.tag.endswith(":str")) or not isinstance(value, ScalarNode):
            return None
        if value.tag.endswith(":null") or value.start_mark.index < key.end_mark.index or decorated(src, value):
            return None
        edits = _move_edits(src, root, key, value)
        return self.fix(*edits, key=key.value) if edits else None


class FinalStatusInput(YamlRule):
    code = "KFP146"
    name = "final-status-input"
    summary = "Checks for `PipelineTaskFinalStatus` inputs, which make the component usable only as an exit task."
    message = (
        "Input `{input}` has type `PipelineTaskFinalStatus`: kfp 2 fills it in itself, and only for the exit "
        "task of a `dsl.ExitHandler`; any other task of this component fails when the pipeline is built"
    )
    rationale = (
        "kfp 2 gives an input of type `PipelineTaskFinalStatus` the final status of the tasks inside a "
        "`dsl.ExitHandler`, and accepts such a component only as that handler's exit task. Used as an "
        "ordinary "
        "task it fails with `ValueError: PipelineTaskFinalStatus can only be used in an exit task.`, and "
        f"callers must not pass the input at all. ({_SEMANTICS} §2; probe Y66.)"
    )
    severity = Severity.INFO
    fix_safety = FixSafety.NONE
    fix_safety_note = "Check that every pipeline uses this component as `dsl.ExitHandler(exit_task=...)` only."
    valid = (
        "name: t\ninputs:\n- {name: s, type: String}\nimplementation:\n  container:\n    image: alpine\n"
        "    command: [echo, {inputValue: s}]\n",
    )
    invalid = (
        Example(
            "name: t\ninputs:\n- {name: status, type: PipelineTaskFinalStatus}\nimplementation:\n"
            "  container:\n    image: alpine\n    command: [echo, {inputValue: status}]\n"
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        if found is None:
            return
        for port in found.inputs:
            if port.kind is Kind.FINAL_STATUS and port.type_node is not None:
                yield self.at(port.type_node, input=port.name or "?")


class NoImplementation(YamlRule):
    code = "KFP143"
    name = "missing-implementation"
    summary = "Checks for component-like files (with `inputs` or `outputs`) that have no `implementation`."
    message = "No top-level `implementation`: kfp 2 does not read this as a v1 component and fails to load it"
    rationale = (
        "kfp 2 takes a document for a v1 component only when its top level has `implementation`; anything "
        "else is parsed as compiled pipeline IR and loading fails with `KeyError: 'pipelineInfo'`. v1 "
        "loaded it but could not compile it either. Only files named on the command line are checked for "
        "this: while walking a directory, YAML without `implementation` is not a component and is skipped. "
        "(../shared/docs/kfp-semantics.md §1.1; probe Y62.)"
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Only the author knows which container (or graph) implements the component."
    applies_to_non_components = True
    valid = (
        "name: t\ninputs:\n- {name: a, type: String}\nimplementation:\n  container:\n"
        "    image: alpine\n    command: [echo, {inputValue: a}]\n",
    )
    invalid = (Example("name: t\ninputs:\n- {name: a, type: String}\n"),)

    def check(self, src: YamlSource) -> Iterator[Located]:
        root = src.root
        if not isinstance(root, MappingNode) or mapping_get(root, "implementation") is not None:
            return
        keys = {key.value for key, _ in mapping_items(root)}
        if keys & {"inputs", "outputs"} and not keys & {"pipelineInfo", "components", "deploymentSpec", "root"}:
            yield self.at(root)
