"""KFP140: `fileOutputs`, which kfp 2 ignores without a word (kfp-semantics.md §1.1, §3.1)."""

from __future__ import annotations

from collections.abc import Iterator

from migrate.model import Edit, Example, Fix, FixSafety, Located, Severity, YamlRule
from migrate.yaml_edit import content_end, decorated, line_end, line_start, remove_pair
from migrate.yaml_source import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlSource,
    mapping_get,
    mapping_key,
    str_value,
)
from migrate.yaml_source import mapping_items as pairs_of
from rules._yaml import Component
from rules.yaml_components._common import component
from rules.yaml_components._shim import output_script, placeholder_item, prepend_to_command, shim_items

_SEMANTICS = "../shared/docs/kfp-semantics.md"


def _remove_lines(src: YamlSource, container: MappingNode, key: ScalarNode, value: Node) -> Edit:
    """Remove the pair's own lines in a block mapping; neighbours' comments stay (remove_pair's may not)."""
    start = line_start(src, key.start_mark.index)
    if container.flow_style or src.text[start : key.start_mark.index].strip():
        return remove_pair(src, container, key)
    end = line_end(src, content_end(src, value))
    end += 2 if src.text.startswith("\r\n", end) else 1 if end < len(src.text) else 0
    return Edit(start, end, "")


class FileOutputs(YamlRule):
    code = "KFP140"
    name = "file-outputs"
    summary = "Checks for `fileOutputs`, the legacy map from outputs to fixed file paths that kfp 2 ignores."
    message = (
        "Output `{output}` is collected from `{path}` by `fileOutputs`, which kfp 2 ignores: the file is "
        "never copied to the output{extra}"
    )
    fix_title = "Replace `fileOutputs` by `outputPath` placeholders and a `sh` shim that copies the files"
    rationale = (
        "v1 (Argo) collected each `fileOutputs` path as the output's value after the container ran, so the "
        "program could write to a fixed path such as `/output.txt`. kfp 2 loads the component without a "
        "warning and drops `fileOutputs`: the output is declared but nothing fills it, so the task or its "
        "consumers fail at run time. kfp 2 only knows outputs whose path it passes on the command line "
        "(`{outputPath: o}`). The fix keeps the program as it is: a `sh` shim runs the original command "
        f"and then copies each fixed path to the output's path. ({_SEMANTICS} §1.1, §3.1; probe Y25.)"
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "The image must have a POSIX shell as `sh` with `dirname`, `mkdir` and `cp` on its PATH (distroless "
        "images do not). The shell stays the container's main process while the command runs, so a "
        "signal sent to the container reaches `sh` first. As in v1, a missing file fails the task."
    )
    valid = (
        "name: t\noutputs:\n- {name: o, type: String}\nimplementation:\n  container:\n    image: alpine\n"
        "    command: [sh, -c, 'echo hi > $0', {outputPath: o}]\n",
    )
    invalid = (
        Example(
            "name: t\noutputs:\n- {name: o, type: String}\nimplementation:\n  container:\n    image: alpine\n"
            "    command: [sh, -c, 'echo hi > /tmp/o.txt']\n    fileOutputs: {o: /tmp/o.txt}\n",
            "name: t\noutputs:\n- {name: o, type: String}\nimplementation:\n  container:\n    image: alpine\n"
            '    command: [sh, -ec, \'kfp_out0=$0; "$@"; '
            'mkdir -p "$(dirname "$kfp_out0")"; cp -R /tmp/o.txt '
            "\"$kfp_out0\"', {outputPath: o}, sh, -c, 'echo hi > /tmp/o.txt']\n",
            unsafe=True,
        ),
    )

    def check(self, src: YamlSource) -> Iterator[Located]:
        found = component(src)
        container = found.container if found else None
        key, value = mapping_key(container, "fileOutputs"), mapping_get(container, "fileOutputs")
        if found is None or container is None or key is None or not isinstance(value, MappingNode):
            return
        entries = [(name, path) for name, path in pairs_of(value)]
        reason = self._reason(src, found, entries) if len(entries) == len(value.value) else "a key is not a name"
        fix = None if reason else self._fix(src, container, key, value, entries)
        for name, path in entries:
            extra = f"; no fix: {reason}" if reason else ""
            yield self.at(path, fix, output=name.value, path=str_value(path) or src.slice(path), extra=extra)

    @staticmethod
    def _reason(src: YamlSource, found: Component, entries: list[tuple[ScalarNode, Node]]) -> str | None:
        command = mapping_get(found.container, "command")
        if command is None:
            return "the component has no `command`, so what the image runs is unknown"
        if not isinstance(command, SequenceNode) or not command.value or decorated(src, command):
            return "`command` is not a plain, non-empty list"
        for name, path in entries:
            if found.output(name.value) is None:
                return f"no output `{name.value}` is declared"
            if not str_value(path):
                return f"the path of `{name.value}` is not a string"
            if found.uses_of(name.value, frozenset({"outputPath", "outputUri"})):
                return f"the command also writes `{name.value}` through a placeholder"
        return None

    def _fix(
        self,
        src: YamlSource,
        container: MappingNode,
        key: ScalarNode,
        value: MappingNode,
        entries: list[tuple[ScalarNode, Node]],
    ) -> Fix:
        script = output_script([str_value(path) or "" for _, path in entries])
        shim = shim_items(script, [placeholder_item("outputPath", name.value) for name, _ in entries])
        return self.fix(prepend_to_command(src, container, shim), _remove_lines(src, container, key, value))
