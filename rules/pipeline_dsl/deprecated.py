"""KFP306, KFP314: v1 DSL APIs kfp 2 still has, deprecated or changed: `set_gpu_limit`, `dsl.Condition`."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import NOT_LITERAL, kfp_module, literal_value
from rules.pipeline_dsl.removed import plausible_task, references, rename

# kfp 1 `Container.set_gpu_limit`: `'%s.com/gpu' % vendor` for these vendors (SOURCE K1 `dsl/_container_op.py`).
_VENDORS = ("nvidia", "amd")


class SetGpuLimit(PythonRule):
    code = "KFP306"
    name = "set-gpu-limit"
    summary = "Checks for `task.set_gpu_limit(n[, vendor])`, which kfp 2 deprecated and changed."
    message = "`set_gpu_limit` {problem}"
    fix_title = "Use `set_accelerator_type({accelerator}).set_accelerator_limit(...)`"
    rationale = (
        "kfp 1's `set_gpu_limit(gpu, vendor='nvidia')` added the resource limit `<vendor>.com/gpu` (`nvidia` or "
        "`amd`; with a pipeline parameter as the limit, the vendor string itself was the resource name; SOURCE K1 "
        "`dsl/_container_op.py`). kfp 2's `set_gpu_limit(gpu)` takes no vendor: `set_gpu_limit(1, 'nvidia')` "
        "raises `TypeError: PipelineTask.set_gpu_limit() takes 2 positional arguments but 3 were given` and "
        "`vendor=` `TypeError: PipelineTask.set_gpu_limit() got an unexpected keyword argument 'vendor'`. "
        "The one-argument form warns `DeprecationWarning: 'set_gpu_limit' is deprecated. Please use "
        "'set_accelerator_limit' instead.` and sets only an accelerator count, which applies only together "
        "with an accelerator type (kfp 2 docstring), so the task gets no GPU (verified: the compiled "
        "`resources.accelerator` has a count and no type). The fix sets the type kfp 1 used and keeps the "
        "limit expression as it is."
    )
    severity = Severity.CHANGE
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when the vendor is not the literal `'nvidia'` or `'amd'`: its expression becomes the accelerator "
        "type, which matches kfp 1 only when the limit was a pipeline parameter."
    )
    valid = (
        "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    train().set_accelerator_type('nvidia.com/gpu').set_accelerator_limit(1)\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train().set_gpu_limit(2, 'amd')\n",
            fixed="from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    train().set_accelerator_type('amd.com/gpu').set_accelerator_limit(2)\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for call, func in module.calls:
            target = call.func
            if not isinstance(target, cst.Attribute) or target.attr.value != "set_gpu_limit":
                continue
            if not plausible_task(module, target.value, func):
                continue
            gpu, vendor = _bind(call)
            if gpu is None or any(a.star for a in call.args):
                continue
            in_order = vendor is None or call.args.index(vendor) > call.args.index(gpu)
            problem = (
                "takes no vendor in kfp 2 (`TypeError`)"
                if vendor is not None
                else "is deprecated in kfp 2 and sets no accelerator type, so the task gets no GPU"
            )
            severity = Severity.ERROR if vendor is not None else None
            accelerator, safety = _accelerator(src, vendor, gpu)
            edits = [Edit(*src.span(target.attr), f"set_accelerator_type({accelerator}).set_accelerator_limit")]
            if gpu.keyword is not None:  # kfp 2's parameter is `limit`
                edits.append(Edit(src.span(gpu)[0], src.span(gpu.value)[0], ""))
            if vendor is not None:
                edits.append(Edit(src.span(gpu)[1], src.span(vendor)[1], ""))
            fix = self.fix(*edits, safety=safety, accelerator=accelerator) if in_order else None
            yield self.at(src, target.attr, fix, severity=severity, problem=problem)


def _bind(call: cst.Call) -> tuple[cst.Arg | None, cst.Arg | None]:
    """(gpu, vendor) arguments of a kfp 1 `set_gpu_limit(gpu, vendor='nvidia')` call."""
    gpu = vendor = None
    positional = [a for a in call.args if a.keyword is None]
    for index, arg in enumerate(positional):
        if index == 0:
            gpu = arg
        elif index == 1:
            vendor = arg
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "gpu":
            gpu = arg
        elif arg.keyword is not None and arg.keyword.value == "vendor":
            vendor = arg
    return gpu, vendor


def _accelerator(src: PythonSource, vendor: cst.Arg | None, gpu: cst.Arg) -> tuple[str, FixSafety]:
    """The accelerator type kfp 1 asked for, as source text, and how sure that is."""
    if vendor is None:
        return "'nvidia.com/gpu'", FixSafety.SAFE
    value = literal_value(vendor.value)
    if value in _VENDORS:
        # kfp 1 used the vendor as the resource name when the limit was a pipeline parameter or task output.
        sure = literal_value(gpu.value) is not NOT_LITERAL
        return f"'{value}.com/gpu'", FixSafety.SAFE if sure else FixSafety.UNSAFE
    start, end = src.span(vendor.value)
    return src.text[start:end], FixSafety.UNSAFE


_CONDITIONS = frozenset({"kfp.dsl.Condition", "kfp.v2.dsl.Condition"})


class ConditionGroup(PythonRule):
    code = "KFP314"
    name = "dsl-condition"
    summary = "Checks for `dsl.Condition`, deprecated in kfp 2 in favour of `dsl.If`."
    message = "`{api}` is deprecated in kfp 2; use `dsl.If`"
    fix_title = "Use `If`"
    rationale = (
        "kfp 2 keeps `dsl.Condition` as a subclass of `dsl.If` that only adds `DeprecationWarning: dsl.Condition "
        "is deprecated. Please use dsl.If instead.` when the block is entered (SOURCE K2 `dsl/tasks_group.py`). "
        "Both take `(condition, name=None)`, as kfp 1's `Condition` did, and compile to the same pipeline spec "
        "(verified, including `name=`). `dsl.If` also allows `dsl.Elif`/`dsl.Else` after it."
    )
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    valid = (
        "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    flip = flip_coin()\n    with dsl.If(flip.output == 'heads', name='heads'):\n        print_op(msg='h')\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    flip = flip_coin()\n    with dsl.Condition(flip.output == 'heads', name='heads'):\n"
            "        print_op(msg='h')\n",
            fixed="from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    flip = flip_coin()\n    with dsl.If(flip.output == 'heads', name='heads'):\n"
            "        print_op(msg='h')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        for node, _ in references(module, _CONDITIONS):
            edits = rename(src, module, node, "If")
            fix = self.fix(*edits) if edits else None
            yield self.at(src, node, fix, api=_spelled(src, node))


def _spelled(src: PythonSource, node: cst.CSTNode) -> str:
    start, end = src.span(node)
    return src.text[start:end]
