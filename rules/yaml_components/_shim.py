"""The `sh` shim that KFP104 and KFP140 put in front of a component's command.

kfp 2 has no way to write a parameter's value into a file (v1 did that for `inputPath`) nor to
collect a file from a fixed path (v1's `fileOutputs`). A POSIX shell prepended to the command can
do both without touching the original command: `sh -ec SCRIPT ARG0 ARG1 ... CMD...` makes ARG0
`$0`, the next ones `$1`..., and after a `shift` the original command line is exactly `"$@"`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from migrate.model import Edit
from migrate.yaml_edit import line_end, prepend_items, scalar
from migrate.yaml_source import MappingNode, SequenceNode, YamlSource, mapping_get, mapping_key

# Where the shim writes input files; one directory so a single `mkdir -p` serves them all.
INPUTS_DIR = "/tmp/kfp-migrate/inputs"

_SH_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+\Z")
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def sh_quote(text: str) -> str:
    """`text` as one shell word (POSIX single quotes; no quotes when none are needed)."""
    if _SH_SAFE.match(text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _positional(index: int) -> str:
    # `$10` is `${1}0` in sh, so every positional past $0 gets braces.
    return "$0" if index == 0 else "${" + str(index) + "}"


def input_file_names(names: Sequence[str]) -> list[str]:
    """A distinct, shell- and path-safe file name for each input name, in order."""
    taken: set[str] = set()
    result: list[str] = []
    for name in names:
        base = _FILE_UNSAFE.sub("_", name).strip(".") or "input"
        candidate, suffix = base, 2
        while candidate.lower() in taken:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def input_script(paths: Sequence[str], inputs_dir: str = INPUTS_DIR) -> str:
    """Write `$0`, `$1`, ... to `paths` (files in `inputs_dir`), drop them, then exec the command."""
    steps = [f"mkdir -p {sh_quote(inputs_dir)}"]
    steps += [f"printf '%s' \"{_positional(i)}\" > {sh_quote(path)}" for i, path in enumerate(paths)]
    if len(paths) > 1:
        steps.append(f"shift {len(paths) - 1}")
    steps.append('exec "$@"')
    return "; ".join(steps)


def output_script(sources: Sequence[str]) -> str:
    """Run the command, then copy each fixed path in `sources` to the output path passed as `$i`.

    No `exec` here: the shell has work to do after the command. `-e` makes a failing command (or
    a missing file, as v1's collection would) fail the task with its exit status.
    """
    saved = [f"kfp_out{i}={_positional(i)}" for i in range(len(sources))]
    steps = saved + ([f"shift {len(sources) - 1}"] if len(sources) > 1 else [])
    steps.append('"$@"')
    for i, source in enumerate(sources):
        steps.append(f'mkdir -p "$(dirname "$kfp_out{i}")"')
        steps.append(f'cp -R {sh_quote(source)} "$kfp_out{i}"')
    return "; ".join(steps)


def shim_items(script: str, argument_items: Sequence[str]) -> list[str]:
    """YAML item texts for `sh -ec SCRIPT ARGS...`, each readable in flow and block context."""
    return [scalar("sh"), scalar("-ec"), scalar(script), *argument_items]


def placeholder_item(kind: str, name: str) -> str:
    """A flow-style placeholder such as `{inputValue: x}` with the name quoted as needed."""
    return "{" + f"{kind}: {scalar(name)}" + "}"


def prepend_to_command(src: YamlSource, container: MappingNode, items: list[str]) -> Edit:
    """Put `items` first in `command`; in a block list, above any comment that precedes the old first item.

    `prepend_items` inserts at the first dash, which would leave a comment describing the original
    command sitting on top of the shim instead.
    """
    key, command = mapping_key(container, "command"), mapping_get(container, "command")
    assert isinstance(command, SequenceNode)
    if key is None or command.flow_style or "#" not in src.text[key.end_mark.index : command.start_mark.index]:
        return prepend_items(src, command, items)
    at = line_end(src, key.end_mark.index)
    indent = " " * command.start_mark.column
    return Edit(at, at, "".join(f"{src.newline()}{indent}- {item}" for item in items))
