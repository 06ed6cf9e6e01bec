"""KFP308, KFP309: v1 task execution options: cache staleness and retry policy."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import kfp_module, literal_value
from rules.pipeline_dsl.removed import delete_arg, enclosing_function, plausible_task

# An ISO 8601 duration, as kfp 1's cache server read `max_cache_staleness`.
_DURATION = re.compile(r"P(?:\d+(?:\.\d+)?[YMWD])*(?:T(?:\d+(?:\.\d+)?[HMS])+)?")
_STALENESS_PATH = ("execution_options", "caching_strategy", "max_cache_staleness")


def _is_zero_duration(value: object) -> bool:
    return (
        isinstance(value, str)
        and value not in ("P", "PT")
        and bool(_DURATION.fullmatch(value))
        and not any(c in "123456789" for c in value)
    )


def _staleness_receiver(target: cst.BaseExpression) -> cst.BaseExpression | None:
    """`task` in `task.execution_options.caching_strategy.max_cache_staleness`."""
    node = target
    for attr in reversed(_STALENESS_PATH):
        if not isinstance(node, cst.Attribute) or node.attr.value != attr:
            return None
        node = node.value
    return node


class _Assignments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[cst.Assign, cst.BaseExpression]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            receiver = _staleness_receiver(target.target)
            if receiver is not None:
                self.found.append((node, receiver))


class CacheStaleness(PythonRule):
    code = "KFP308"
    name = "max-cache-staleness"
    summary = "Checks for `task.execution_options.caching_strategy.max_cache_staleness = ...`."
    message = "kfp 2 tasks have no `execution_options`{note}"
    fix_title = "Use `set_caching_options(False)`"
    rationale = (
        "kfp 1 tasks carried `execution_options.caching_strategy.max_cache_staleness`, an ISO 8601 duration; "
        '`"P0D"` (zero) meant "never reuse a cached result". kfp 2 tasks have no such attribute: '
        "`AttributeError: 'PipelineTask' object has no attribute 'execution_options'` when the pipeline is "
        "built. kfp 2 only switches caching on or off per task, `task.set_caching_options(False)`, so a "
        "zero staleness becomes exactly that. Other durations have no kfp 2 equivalent: either turn caching "
        "off, or delete the line and accept any cached result (../shared/docs/kfp-semantics.md §5)."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = "Only zero durations are rewritten; any other value needs a human decision (no fix)."
    valid = ("from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train().set_caching_options(False)\n",)
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    task = train()\n"
            "    task.execution_options.caching_strategy.max_cache_staleness = 'P0D'  # always rerun\n",
            fixed="from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    task = train()\n"
            "    task.set_caching_options(False)  # always rerun\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        finder = _Assignments()
        src.walk(src.module, finder)
        for assign, receiver in finder.found:
            if not plausible_task(module, receiver, enclosing_function(src, assign)):
                continue
            value = literal_value(assign.value)
            if _is_zero_duration(value) and len(assign.targets) == 1:
                start, end = src.span(receiver)
                fix = self.fix(Edit(*src.span(assign), f"{src.text[start:end]}.set_caching_options(False)"))
                yield self.at(src, assign, fix, note="")
            else:
                shown = repr(value) if isinstance(value, str) else "this staleness"
                note = (
                    f" and no cache staleness: {shown} has no equivalent; `set_caching_options(False)` turns "
                    "caching off, deleting the line keeps any cached result"
                )
                yield self.at(src, assign, None, note=note)


# kfp 1 `ContainerOp.set_retry` parameters in order (SOURCE K1 `dsl/_container_op.py`).
_V1_RETRY = ("num_retries", "policy", "backoff_duration", "backoff_factor", "backoff_max_duration")
_V2_RETRY = ("num_retries", "backoff_duration", "backoff_factor", "backoff_max_duration")
_V1_POLICIES = ("Always", "OnError", "OnFailure", "OnTransientError")  # SOURCE K1 `ALLOWED_RETRY_POLICIES`
_DURATIONS = frozenset({"backoff_duration", "backoff_max_duration"})
# kfp 2 `convert_duration_to_seconds` needs a unit (SOURCE K2 `dsl/structures.py`); Argo read a bare number as seconds.
_BARE_SECONDS = re.compile(r"\d+")


class RetryPolicy(PythonRule):
    code = "KFP309"
    name = "set-retry-policy"
    summary = "Checks for kfp 1 `set_retry` calls kfp 2 rejects or reads differently: `policy`, bare-number durations."
    message = "`set_retry` {problem}"
    fix_title = "Use kfp 2's `set_retry` arguments"
    rationale = (
        "kfp 1's `set_retry(num_retries, policy=None, backoff_duration=None, backoff_factor=None, "
        "backoff_max_duration=None)` (SOURCE K1 `dsl/_container_op.py`) became kfp 2's `set_retry(num_retries, "
        "backoff_duration=None, backoff_factor=None, backoff_max_duration=None)`: `policy=` raises "
        "`TypeError: PipelineTask.set_retry() got an unexpected keyword argument 'policy'`, and a second "
        "positional argument, the policy in kfp 1, becomes `backoff_duration`. kfp 1 passed durations to "
        "Argo, where a bare number means seconds; kfp 2 needs a unit: `'60'` raises `ValueError: Invalid "
        "duration string: '60'. Expected one value (as integer in string) and one unit, such as '1 hour'.` "
        "The fix names the backoff arguments, adds `s` to bare numbers and drops the policy: kfp 2 has no "
        "retry policy (`Always`, `OnFailure`, `OnError`, `OnTransientError` in kfp 1)."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "Unsafe when it drops a policy: kfp 2 retries the way its backend does, which may not match the v1 "
        "policy (e.g. `OnTransientError`). Safe when it only names arguments or adds units."
    )
    valid = (
        "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    train().set_retry(3, backoff_duration='60s', backoff_factor=2)\n",
        "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train().set_retry(3, '60s', 2.0)\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train().set_retry(3, 'Always', '60')\n",
            fixed="from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    train().set_retry(3, backoff_duration='60s')\n",
            unsafe=True,
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for call, func in module.calls:
            target = call.func
            if not isinstance(target, cst.Attribute) or target.attr.value != "set_retry":
                continue
            if any(a.star for a in call.args) or not plausible_task(module, target.value, func):
                continue
            named = _named(call)
            if named is None:
                continue
            problems: list[str] = []
            edits: list[Edit] = []
            safety = FixSafety.SAFE
            policy = named.get("policy")
            if policy is not None:
                where = " (kfp 1's second positional argument; kfp 2 reads it as `backoff_duration`)"
                problems.append("has no `policy` in kfp 2" + ("" if policy.keyword else where))
                edits.append(delete_arg(src, call, policy))
                if literal_value(policy.value) is not None:
                    safety = FixSafety.UNSAFE
            for name in _V1_RETRY[2:]:
                arg = named.get(name)
                if arg is None:
                    continue
                value = literal_value(arg.value)
                text = src.text[slice(*src.span(arg.value))]
                if name in _DURATIONS and _needs_unit(value):
                    problems.append(f"`{name}={text}` needs a unit in kfp 2 (`ValueError`)")
                    text = repr(f"{str(value).strip()}s")
                elif arg.keyword is not None:
                    continue
                if arg.keyword is None:
                    edits.append(Edit(*src.span(arg.value), f"{name}={text}"))
                else:
                    edits.append(Edit(*src.span(arg.value), text))
            if not problems:
                continue
            fix = self.fix(*edits, safety=safety)
            yield self.at(src, target.attr, fix, problem="; ".join(dict.fromkeys(problems)))


def _named(call: cst.Call) -> dict[str, cst.Arg] | None:
    """The parameter name for each argument, or None for a call neither kfp accepts. A second positional
    argument is kfp 1's policy only when it is one of kfp 1's policy names; otherwise the call is read in
    kfp 2's order (kfp 1 raised `ValueError` for any other policy)."""
    positional = [a for a in call.args if a.keyword is None]
    v1 = len(positional) > 1 and literal_value(positional[1].value) in _V1_POLICIES
    order = iter(_V1_RETRY if v1 else _V2_RETRY)
    named: dict[str, cst.Arg] = {}
    for arg in call.args:
        name = arg.keyword.value if arg.keyword is not None else next(order, None)
        if name is None or name not in _V1_RETRY or name in named:
            return None
        named[name] = arg
    return named


def _needs_unit(value: object) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(_BARE_SECONDS.fullmatch(value.strip()))
