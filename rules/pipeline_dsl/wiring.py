"""KFP315-KFP319: what kfp 2 rejects when a pipeline creates a task (kfp-semantics.md §3.2).

kfp 2 checks every task argument against the component's declared input type when the task is
created, i.e. when `@dsl.pipeline` runs, and that check cannot be turned off (probe P22). These
rules find the same failures statically, naming both ends of each edge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules.pipeline_dsl._wiring import Feed, Nature, Slot, TaskArg, TaskCall, compatible, wiring
from rules.py_components._edits import Imports

_SEMANTICS = "../shared/docs/kfp-semantics.md"
_YAML_ADD = (
    "from kfp import components, dsl\n\n"
    "add_op = components.load_component_from_text('''\n"
    "name: Add\n"
    "inputs:\n- {name: a, type: Float}\n- {name: b, type: Float, default: '1', optional: true}\n"
    "outputs:\n- {name: Sum, type: Float}\n"
    "implementation:\n  container:\n    image: alpine\n"
    "    command: [sh, -c, 'echo $0 > $1', {inputValue: a}, {outputPath: Sum}]\n"
    "''')\n\n"
)


def _ends(task: TaskCall, slot: Slot) -> str:
    return f"{task.interface.label if task.interface else task.symbol} input `{slot.name}` ({slot.describe()})"


def _given(feed: Feed) -> str:
    if feed.kind == "output" and feed.producer and feed.producer_slot:
        return (
            f"`{feed.text}`, {feed.producer.label} output `{feed.producer_slot.name}` ({feed.producer_slot.describe()})"
        )
    kind = {"constant": "constant", "uri": "URI constant", "parameter": "pipeline parameter"}.get(feed.kind, "value")
    typed = f" ({feed.nature.value} `{feed.type}`)" if feed.nature and feed.type else ""
    return f"{kind} `{feed.text}`{typed}"


class PositionalTaskArgument(PythonRule):
    code = "KFP315"
    name = "positional-task-argument"
    summary = "Checks for tasks created with positional arguments, which kfp 2 rejects."
    message = "Positional argument `{value}` to {component}: kfp 2 takes keywords only{binding}"
    fix_title = "Pass it as `{input}=`"
    rationale = (
        "kfp 1 task factories accepted positional arguments and bound them to the required inputs in "
        "declaration order, then the optional ones (probe P41d; kfp 1 "
        "`_components._create_task_factory_from_component_spec`). kfp 2 raises `TypeError: Components must be "
        "instantiated using keyword arguments. Positional parameters are not allowed (found 1 such parameters "
        f'for component "add").` when the pipeline is built (probe P10v; {_SEMANTICS} §3.2). The fix names '
        "each argument with the input kfp 1 bound it to."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Offered only when the component's interface is known (in this module, a scanned module or a loaded file)."
    )
    valid = (_YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    add_op(a=x)\n",)
    invalid = (
        Example(
            _YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    add_op(x, 2.0)\n",
            fixed=_YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    add_op(a=x, b=2.0)\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        for task in wiring(src).calls:
            component = task.interface.label if task.interface else f"`{task.symbol}`"
            # A keyword before an argument left positional would not parse: all of them, or none.
            fixable = all(item.slot is not None for item in task.args if item.keyword is None)
            for item in task.args:
                if item.keyword is not None:
                    continue
                value = src.code(item.arg.value)
                if item.slot is None:
                    binding = "" if task.interface is None else " (more arguments than inputs)"
                    yield self.at(src, item.arg, None, value=value, component=component, binding=binding)
                    continue
                start = src.span(item.arg.value)[0]
                fix = self.fix(Edit(start, start, f"{item.slot.name}="), input=item.slot.name) if fixable else None
                bound = "it is input" if task.interface is not None and task.interface.typed else "kfp 1 bound it to"
                binding = f"; {bound} `{item.slot.name}`"
                yield self.at(src, item.arg, fix, value=value, component=component, binding=binding)


class V1PortName(PythonRule):
    code = "KFP316"
    name = "v1-port-name"
    summary = "Checks for loaded v1 components' inputs and outputs named as kfp 1 named them, not as kfp 2 does."
    message = "{what} `{old}` of {component}: kfp 2 names it `{new}`"
    fix_title = "Use `{new}`"
    rationale = (
        "kfp 1 made a loaded component's input names Python keywords with its own rules and kept both "
        "the original and that name as keys of `task.outputs`. kfp 2 sanitizes v1 names differently "
        "(`sanitize_input_name`: lower case, runs of other characters to `_`) and keeps only that name, so "
        "`task.outputs['Output']` raises `KeyError: 'Output'` and an old keyword raises `TypeError: "
        f"add() got an unexpected keyword argument ...` (probe P21; {_SEMANTICS} §3.1, surprise 5)."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    valid = (_YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    t = add_op(a=x)\n    add_op(a=t.outputs['sum'])\n",)
    invalid = (
        Example(
            _YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    t = add_op(a=x)\n    add_op(a=t.outputs['Sum'])\n",
            fixed=_YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    t = add_op(a=x)\n    add_op(a=t.outputs['sum'])\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        found = wiring(src)
        for task in found.calls:
            if task.interface is None or not task.interface.from_yaml:
                continue
            for item in task.args:
                slot, keyword = item.slot, item.arg.keyword
                if slot is None or keyword is None or item.keyword == slot.name:
                    continue
                fix = self.fix(Edit(*src.span(keyword), slot.name), new=slot.name)
                component = task.interface.label if task.interface else task.symbol
                yield self.at(src, keyword, fix, what="Input", old=item.keyword, new=slot.name, component=component)
        for node, key, interface in found.output_keys():
            slot = interface.output_for(key)
            if slot is None or slot.name == key or not interface.from_yaml:
                continue
            quoting = _QUOTE.match(node.value)
            if quoting is None:
                continue
            new_text = f"{quoting.group(1)}{quoting.group(2)}{slot.name}{quoting.group(2)}"
            fix = self.fix(Edit(*src.span(node), new_text), new=slot.name)
            yield self.at(src, node, fix, what="Output", old=key, new=slot.name, component=interface.label)


_QUOTE = re.compile(r"^([a-zA-Z]*)('''|\"\"\"|'|\")")


def _importer_class(slot: Slot) -> str:
    name = slot.type.removeprefix("system.")
    return name if slot.type.startswith("system.") else "Artifact"


class ValueIntoArtifactInput(PythonRule):
    code = "KFP317"
    name = "value-into-artifact-input"
    summary = "Checks for constants and pipeline parameters passed to artifact inputs."
    message = "{target} gets {given}: kfp 2 passes artifacts only from other tasks or an importer"
    fix_title = "Import the URI with `dsl.importer(...)`"
    rationale = (
        "An artifact input (v1 `inputPath`/`inputUri`, untyped or of an artifact type) takes only another "
        "task's artifact output in kfp 2; a constant or pipeline parameter raises `InconsistentTypeException: "
        "Incompatible argument passed to the input ...` (probes Y1A, P21). kfp 1 accepted constants and wrote "
        "the value into the file the component read. A URI constant can become an artifact with "
        f"`dsl.importer(artifact_uri=..., artifact_class=...)` ({_SEMANTICS} §3.2, §6 KFP317)."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "kfp 1 gave the component a file holding the URI's text; the importer gives it the object at the URI. "
        "Other constants and pipeline parameters are left to a human (retype the input, or produce the value "
        "in a task)."
    )
    valid = (_YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    add_op(a=x)\n",)
    invalid = (
        Example(
            "from kfp import components, dsl\n\nshow_op = components.load_component_from_text('''\nname: Show\n"
            "inputs:\n- {name: data, type: Dataset}\nimplementation:\n  container:\n    image: alpine\n"
            "    command: [cat, {inputPath: data}]\n''')\n\n@dsl.pipeline\ndef p():\n"
            "    show_op(data='gs://bucket/data.csv')\n",
            fixed="from kfp import components, dsl\n\nshow_op = components.load_component_from_text('''\nname: Show\n"
            "inputs:\n- {name: data, type: Dataset}\nimplementation:\n  container:\n    image: alpine\n"
            "    command: [cat, {inputPath: data}]\n''')\n\n@dsl.pipeline\ndef p():\n"
            "    show_op(data=dsl.importer(artifact_uri='gs://bucket/data.csv', artifact_class=dsl.Dataset).output)\n",
            unsafe=True,
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        found = wiring(src)
        for task in found.calls:
            if task.interface is None or not task.interface.typed:
                continue
            for item in task.args:
                slot, feed = item.slot, item.feed
                if slot is None or slot.nature is not Nature.ARTIFACT:
                    continue
                if feed.kind not in ("constant", "uri", "parameter") or feed.nature is not Nature.PARAMETER:
                    continue  # a pipeline's own artifact input, or a parameter of unknown type
                fix = None
                if feed.kind == "uri":
                    imports = Imports(found.module)
                    cls = imports.ref(f"kfp.dsl.{_importer_class(slot)}", through_module=True)
                    importer = imports.ref("kfp.dsl.importer", through_module=True)
                    text = f"{importer}(artifact_uri={feed.text}, artifact_class={cls}).output"
                    fix = self.fix(Edit(*src.span(item.arg.value), text), *imports.edits())
                yield self.at(src, item.arg, fix, target=_ends(task, slot), given=_given(feed))


class ParameterTypeMismatch(PythonRule):
    code = "KFP318"
    name = "parameter-type-mismatch"
    summary = "Checks for constants and pipeline parameters of another parameter type than the input's."
    message = "{target} gets {given}: kfp 2 does not convert between parameter types{hint}"
    fix_title = "Write the constant as {new}"
    rationale = (
        "kfp 1 passed every constant as a string and accepted `1` for a Float input or `'1'` for an Integer "
        "one. kfp 2 compares parameter types exactly when the task is created: `InconsistentTypeException: "
        "Incompatible argument passed to the input 'a' of component 'add': Argument type 'NUMBER_INTEGER' "
        "is incompatible with the input type 'NUMBER_DOUBLE'` (probe P21). There is no widening, not even "
        f"int to float, and the check cannot be disabled (P22; {_SEMANTICS} §3.2). Constants that convert "
        "without loss are rewritten; a pipeline parameter's type is a decision about the pipeline's "
        "interface, left to a human."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Safe when the constant's text is what kfp 1 passed (`'1'` -> `1`, `'true'` -> `True`) or the same "
        "number (`1` -> `1.0`: the program gets `1.0` where kfp 1 passed `1`). Unsafe when the text kfp 2 "
        "renders differs (`'True'` -> `True` renders `true`; JSON strings re-serialized; numbers spelled "
        "differently such as `'01'`)."
    )
    valid = (_YAML_ADD + "@dsl.pipeline\ndef p():\n    add_op(a=1.0)\n",)
    invalid = (
        Example(
            _YAML_ADD + "@dsl.pipeline\ndef p():\n    add_op(a=1, b='2')\n",
            fixed=_YAML_ADD + "@dsl.pipeline\ndef p():\n    add_op(a=1.0, b=2.0)\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        for task in wiring(src).calls:
            if task.interface is None or not task.interface.typed:
                continue
            for item in task.args:
                slot, feed = item.slot, item.feed
                if slot is None or slot.nature is not Nature.PARAMETER or feed.nature is not Nature.PARAMETER:
                    continue
                if feed.kind not in ("constant", "uri", "parameter") or feed.type is None or compatible(feed, slot):
                    continue
                yield self._finding(src, task, item)

    def _finding(self, src: PythonSource, task: TaskCall, item: TaskArg) -> Located:
        slot, feed = item.slot, item.feed
        assert slot is not None
        target, given = _ends(task, slot), _given(feed)
        converted = converted_constant(feed.value, slot.type) if feed.kind != "parameter" else None
        if converted is None:
            hint = "; annotate the pipeline parameter with the input's type" if feed.kind == "parameter" else ""
            return self.at(src, item.arg, None, hint=hint, target=target, given=given)
        text, safe = converted
        fix = self.fix(
            Edit(*src.span(item.arg.value), text),
            safety=FixSafety.SAFE if safe else FixSafety.UNSAFE,
            new=f"`{text}`",
        )
        return self.at(src, item.arg, fix, hint="", target=target, given=given)


_INTEGER = re.compile(r"^[+-]?\d+$")


def converted_constant(value: object, wanted: str) -> tuple[str, bool] | None:
    """(Python literal of `value` as the `wanted` parameter type, whether kfp 2 renders what kfp 1 passed)."""
    if wanted == "Float":
        if isinstance(value, int) and not isinstance(value, bool) and float(value) == value:
            return repr(float(value)), True
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return None
            if number != number or number in (float("inf"), float("-inf")):
                return None
            return repr(number), True
    if wanted == "Integer" and isinstance(value, str) and _INTEGER.match(value.strip()):
        return str(int(value)), str(int(value)) == value
    if wanted == "Integer" and isinstance(value, float) and value.is_integer():
        return str(int(value)), False
    if wanted == "Boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return ("True" if value.lower() == "true" else "False"), value in ("true", "false")
    if wanted == "String" and isinstance(value, int | float | bool):
        return repr(str(value)), False
    if wanted in ("Dict", "List") and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        if isinstance(parsed, dict if wanted == "Dict" else list):
            return repr(parsed), False
    return None


class IncompatibleConnection(PythonRule):
    code = "KFP319"
    name = "incompatible-task-connection"
    summary = "Checks for task outputs connected to inputs of an incompatible type."
    message = "{target} gets {given}: kfp 2 rejects this connection"
    rationale = (
        "kfp 2 checks each connection when the task is created: a parameter never feeds an artifact input "
        "or the reverse, parameter types must be equal, and artifacts must have the same schema unless one "
        "side is the generic `system.Artifact` (Dataset -> Model fails; probe P21). kfp 1 compared type names "
        "and let untyped ports match anything. The usual way out is to retype one side, e.g. to `Artifact`: "
        f"a decision about the components, left to a human ({_SEMANTICS} §3.2)."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Retype one side (often to `Artifact`), or convert the value in a task between them."
    valid = (_YAML_ADD + "@dsl.pipeline\ndef p(x: float):\n    t = add_op(a=x)\n    add_op(a=t.outputs['sum'])\n",)
    invalid = (
        Example(
            _YAML_ADD.replace("- {name: Sum, type: Float}", "- {name: Sum, type: Integer}")
            + "@dsl.pipeline\ndef p(x: float):\n    t = add_op(a=x)\n    add_op(a=t.outputs['sum'])\n"
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        for task in wiring(src).calls:
            if task.interface is None or not task.interface.typed:
                continue
            for item in task.args:
                slot, feed = item.slot, item.feed
                if slot is None or feed.kind != "output" or compatible(feed, slot):
                    continue
                yield self.at(src, item.arg, None, target=_ends(task, slot), given=_given(feed))
