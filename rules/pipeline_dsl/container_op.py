"""KFP301: `dsl.ContainerOp`, gone in kfp 2, rewritten as a `@dsl.container_component` and a task of it."""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Iterator, Sequence

import libcst as cst

from migrate.model import Edit, Example, Fix, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import NOT_LITERAL, KfpModule, kfp_module, literal_value
from rules.pipeline_dsl._container_spec import (
    LEGACY_OUTPUTS,
    SIGNATURE,
    UNSUPPORTED,
    Blocked,
    Param,
    Plan,
    Ref,
    Scope,
    accepted_place,
    has_multiline_string,
    insertion_point,
    is_stringy,
    local_names,
    merge,
    name_type,
    output_script,
    output_type,
    refs_in,
    reindent,
    render,
    sanitize,
    scopes_of,
    top_statement,
)
from rules.pipeline_dsl._modifiers import bind
from rules.pipeline_dsl.removed import references, remove_alias
from rules.py_components._edits import Imports

_CONTAINER_OPS = frozenset({"kfp.dsl.ContainerOp", "kfp.dsl._container_op.ContainerOp"})
_ERROR = "AttributeError: module 'kfp.dsl' has no attribute 'ContainerOp'"
_LINE = 100  # longer generated lines are split, one argument a line


class ContainerOp(PythonRule):
    code = "KFP301"
    name = "container-op"
    summary = "Checks for `dsl.ContainerOp`, which kfp 2 removed, and its subclasses."
    message = "`{api}` is gone in kfp 2 (`{error}`){detail}"
    fix_title = "Rewrite as a `@dsl.container_component` and call it"
    rationale = (
        "kfp 2 has no `ContainerOp`: `dsl.ContainerOp(...)` raises `AttributeError: module 'kfp.dsl' has no "
        "attribute 'ContainerOp'` and `from kfp.dsl import ContainerOp` `ImportError: cannot import name "
        "'ContainerOp' from 'kfp.dsl'` (../shared/docs/kfp-semantics.md §5). Its replacement is a function "
        "decorated with `@dsl.container_component` that returns `dsl.ContainerSpec(image=..., command=[...], "
        "args=[...])`; calling it in the pipeline creates the task (probe P31a). kfp 1 turned every `command` "
        "and `arguments` item into a string and passed pipeline parameters and other tasks' outputs by value "
        "(`{{inputs.parameters.x}}`, verified by compiling with kfp 1.8.22); in kfp 2 each such value becomes "
        "an input of the component, typed like the value (`str` for a task output) because kfp 2 refuses "
        "an int into a `str` input (`InconsistentTypeException: Incompatible argument passed to the input "
        "'x' of component 'c': Argument type 'NUMBER_INTEGER' is incompatible with the input type 'STRING'`). "
        "Its placeholder formats the same in `str(x)`, f-strings, `'%s' %` and `.format`, so the lists are "
        "kept as written; other numbers become strings, as v1's `str(item)` made them (kfp 2 refuses "
        "`TypeError: Unexpected argument \"10\" of type <class 'int'>.`). "
        "`file_outputs` (Argo output parameters read "
        "from fixed paths, one trailing newline trimmed) become `dsl.OutputPath(str)` outputs filled by a "
        "`sh` shim that runs the command and then copies each file there without one trailing newline (the kfp "
        "2 launcher keeps a STRING output file as it is), like KFP140 does for YAML, so "
        "`task.outputs['x']` and, with one output, `task.output` keep working. The task keeps the variable "
        "it was assigned to, so `.after()`, `.outputs[...]` and modifiers chained on it keep applying. "
        "`pvolumes`, sidecars, init containers, `container_kwargs`, artifact paths, subclasses and lists "
        "built at run time are left to a human."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_safety_note = (
        "The input types are read from annotations, defaults and callers in the module; where none says, "
        "`str` is a guess and the message names the input. A `bool` renders `true`/`false` in kfp 2 where v1 "
        "wrote `True`/`False`. With `file_outputs` the image needs a POSIX `sh` with `cat`, `dirname` and "
        "`mkdir`, and `sh` stays the container's main process. Task names come from the component name "
        "(`GCS - Download` becomes `gcs-download`, shown under its old name through `set_display_name`)."
    )
    valid = (
        "from kfp import dsl\n\n@dsl.container_component\ndef echo(text: str):\n"
        "    return dsl.ContainerSpec(image='alpine', command=['echo'], args=[text])\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n\n@dsl.pipeline(name='p')\ndef p(text: str = 'hi'):\n"
            "    dsl.ContainerOp(name='echo', image='alpine', command=['echo'], arguments=[text])\n",
            fixed="from kfp import dsl\n\n\n@dsl.container_component\ndef echo(text: str):\n"
            "    return dsl.ContainerSpec(\n        image='alpine',\n        command=['echo'],\n"
            "        args=[text],\n    )\n\n\n@dsl.pipeline(name='p')\ndef p(text: str = 'hi'):\n"
            "    echo(text=text)\n",
            unsafe=True,
        ),
        Example(
            "from kfp import dsl\n\n\nclass FlipOp(dsl.ContainerOp):\n    def __init__(self):\n"
            "        super().__init__(name='flip', image='alpine', command=['echo', 'heads'])\n"
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        uses = references(module, _CONTAINER_OPS)
        if not uses and not any(b.qualified in _CONTAINER_OPS for b in module.imports):
            return
        plans: list[Plan] = []
        blocked: list[tuple[cst.Call, str]] = []
        nested: set[cst.CSTNode] = set()
        calls = [call for call, _ in module.calls if module.qualified(call.func) in _CONTAINER_OPS]
        for call in calls:
            if any(_inside(src, call, other) for other in calls if other is not call):
                blocked.append((call, "it sits inside another `ContainerOp(...)`"))
                continue
            try:
                plans.append(_plan(src, module, call))
            except Blocked as problem:
                blocked.append((call, str(problem)))
        unused = [
            b
            for b in module.imports
            if b.qualified in _CONTAINER_OPS
            and b.top_level
            and not any(isinstance(n, cst.Name) and n.value == b.local for n, _ in uses)
        ]
        fix = self._fix(src, module, plans) if plans or unused else None
        for binding in unused:
            detail = "; the import is unused"
            yield self.at(src, binding.alias, fix, api=binding.local, error="ImportError", detail=detail)
        for plan in plans:
            guessed = plan.guessed
            note = f"; check the guessed `str` type of {_names(guessed)}" if guessed else ""
            detail = f"; the fix makes it the container component `{plan.component}`{note}"
            yield self.at(
                src, plan.call.func, fix, api=_api(src, plan.call.func), detail=detail, error="AttributeError"
            )
        for call, reason in blocked:
            yield self.at(
                src, call.func, None, api=_api(src, call.func), detail=f"; no fix: {reason}", error="AttributeError"
            )
            nested.add(call.func)
        call_funcs = {call.func for call in calls}
        subclasses: list[cst.ClassDef] = []
        for node, _ in uses:
            if node in call_funcs:
                continue
            parent = src.parents.get(node)
            owner = src.parents.get(parent) if isinstance(parent, cst.Arg) else None
            if isinstance(owner, cst.ClassDef) and parent in owner.bases:
                subclasses.append(owner)
                detail = (
                    f"; no fix: `{owner.name.value}` subclasses it; write a `@dsl.container_component` "
                    "function returning `dsl.ContainerSpec(...)` from what its `__init__` passes, and call it"
                )
                yield self.at(src, node, None, api=_api(src, node), detail=detail, error="AttributeError")
            elif not any(_inside(src, node, cls) for cls in subclasses):
                detail = "; no fix: a kfp 2 task is a `dsl.PipelineTask`"
                yield self.at(src, node, None, api=_api(src, node), detail=detail, error="AttributeError")

    def _fix(self, src: PythonSource, module: KfpModule, plans: list[Plan]) -> Fix:
        imports = Imports(module)
        decorator = imports.ref("kfp.dsl.container_component", through_module=True) if plans else ""
        spec = imports.ref("kfp.dsl.ContainerSpec", through_module=True) if plans else ""
        output_path = imports.ref("kfp.dsl.OutputPath", through_module=True) if any(p.outputs for p in plans) else ""
        taken = set(module.defined_names) | set(module.bindings) | set(dir(builtins))
        indent = src.module.default_indent
        edits: list[Edit] = []
        for plan in plans:
            plan.component = _unique(plan.base_name, taken | plan_locals(src, plan))
            taken.add(plan.component)
        for plan in plans:
            text = _definition(plan, decorator, spec, output_path, indent, src.newline)
            edits.append(Edit(plan.anchor, plan.anchor, text))
            edits.append(Edit(*src.span(plan.call), _call_text(src, plan)))
        fixed_calls = {plan.call.func for plan in plans}
        for binding in module.imports:
            if binding.qualified not in _CONTAINER_OPS or not isinstance(binding.statement, cst.ImportFrom):
                continue
            uses = [n for n, _ in references(module, frozenset({binding.qualified})) if isinstance(n, cst.Name)]
            if binding.top_level and all(use in fixed_calls for use in uses):
                removal = remove_alias(src, binding.statement, binding.alias)
                if removal is not None:
                    edits.append(removal)
        edits += imports.edits()
        return self.fix(*merge(edits))


def plan_locals(src: PythonSource, plan: Plan) -> set[str]:
    return local_names(scopes_of(src, plan.call))


def _inside(src: PythonSource, node: cst.CSTNode, outer: cst.CSTNode) -> bool:
    parent = src.parents.get(node)
    while parent is not None:
        if parent is outer:
            return True
        parent = src.parents.get(parent)
    return False


def _api(src: PythonSource, node: cst.CSTNode) -> str:
    start, end = src.span(node)
    return src.text[start:end]


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    candidate = f"{base}_component"
    index = 2
    while candidate in taken:
        candidate, index = f"{base}_component_{index}", index + 1
    return candidate


# --- one op ---------------------------------------------------------------------------------------------


def _plan(src: PythonSource, module: KfpModule, call: cst.Call) -> Plan:
    bound = bind(call.args, SIGNATURE)
    if bound is None:
        raise Blocked("an argument is starred (`*args`/`**kwargs`) or is not a `ContainerOp` parameter")
    for key, reason in UNSUPPORTED.items():
        if key in bound and literal_value(bound[key].value) not in (None, [], {}):
            raise Blocked(reason)
    if "name" not in bound or "image" not in bound:
        raise Blocked("`name` or `image` is missing")
    scopes = scopes_of(src, call)
    local = local_names(scopes)
    image = bound["image"].value
    for ref in refs_in(image, local):
        raise Blocked(
            f"the image is computed from `{ref.root}` when the pipeline is built; a container "
            "component's image is fixed when it is defined"
        )
    name_node = bound["name"].value
    name_value = literal_value(name_node)
    name_literal = name_value if isinstance(name_value, str) else None
    base = sanitize(name_literal if name_literal is not None else _fallback_name(src, module, call))
    plan = Plan(call, insertion_point(src, top_statement(src, call)), base, _text(src, name_node), name_literal)
    plan.outputs = _file_outputs(bound.get("file_outputs"))
    command = _list_value(bound.get("command"))
    arguments = _list_value(bound.get("arguments"))
    if plan.outputs and command is None:
        raise Blocked(
            "the op has no `command` (the image's entrypoint runs), so no shell can run it and then collect "
            "its `file_outputs`; add the entrypoint as `command` first"
        )
    params: dict[tuple[str, str | None], Param] = {}
    reserved = {name for name, _ in plan.outputs} | {"Output", plan.base_name}
    replacements: dict[cst.CSTNode, str] = {}
    for value in (command, arguments):
        if value is None:
            continue
        for item in _items(value):
            for ref in refs_in(item, local):
                if not accepted_place(src, ref, item):
                    raise Blocked(
                        f"`{_text(src, item)}` uses `{_text(src, ref.node)}` in an expression kfp 2 cannot "
                        "turn into a placeholder (only the value itself, `str(x)`, f-strings, `'%s' %` and "
                        "`.format` work); compute it in a component instead"
                    )
                param = params.get((ref.root, ref.key))
                if param is None:
                    param = params[(ref.root, ref.key)] = _param(src, module, ref, scopes, reserved)
                    reserved.add(param.name)
                replacements[ref.node] = param.name
    plan.inputs = list(params.values())
    step = src.module.default_indent
    plan.image = _moved(src, image, bound["image"], step * 2)
    if command is not None:
        plan.command = _list_text(src, command, bound["command"], replacements, step * 2, plan.outputs)
    if arguments is not None:
        plan.args = _list_text(src, arguments, bound["arguments"], replacements, step * 2, [])
    return plan


def _fallback_name(src: PythonSource, module: KfpModule, call: cst.Call) -> str:
    """A name for an op whose `name=` is not a literal: its variable, or the helper that returns it."""
    targets = module.assignments.get(call, ())
    if targets:
        return targets[0]
    parent = src.parents.get(call)
    if isinstance(parent, cst.Return):
        scopes = scopes_of(src, call)
        if scopes:
            return scopes[0].func.name.value
    return "container_op"


def _file_outputs(arg: cst.Arg | None) -> list[tuple[str, str]]:
    if arg is None or literal_value(arg.value) in (None, {}):
        return []
    node = arg.value
    if not isinstance(node, cst.Dict):
        raise Blocked("`file_outputs` is not a dict written out in the call")
    outputs: list[tuple[str, str]] = []
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            raise Blocked("`file_outputs` unpacks another dict (`**`)")
        key, path = literal_value(element.key), literal_value(element.value)
        if not isinstance(key, str) or not isinstance(path, str):
            raise Blocked("a `file_outputs` name or path is not a string literal")
        if key.lower().replace("_", "-") in LEGACY_OUTPUTS:
            raise Blocked(
                f"`{key}` was a v1 UI artifact (visualization or metrics); kfp 2 uses `dsl.Output[dsl.Metrics]`"
                " / `dsl.Output[dsl.HTML]`... instead"
            )
        if not key.isidentifier() or keyword.iskeyword(key) or key == "Output":
            raise Blocked(
                f"output `{key}` is not a Python identifier (or is `Output`), which a container component's "
                "output must be; `task.outputs['...']` would change too"
            )
        outputs.append((key, path))
    return outputs


def _list_value(arg: cst.Arg | None) -> cst.BaseExpression | None:
    """The `command`/`arguments` expression: a list written out, or one string item; None when absent."""
    if arg is None:
        return None
    value = arg.value
    literal = literal_value(value)
    if literal is None or literal == []:
        return None
    if isinstance(value, cst.List):
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                raise Blocked(f"`{arg.keyword.value if arg.keyword else 'command'}` unpacks another list (`*`)")
        return value
    if is_stringy(value, set()) or (literal is not NOT_LITERAL and not isinstance(literal, list | tuple)):
        return value
    raise Blocked(
        f"`{arg.keyword.value if arg.keyword else 'arguments'}` is not a list written out in the call, so its "
        "items (and the pipeline values in them) cannot be seen"
    )


def _items(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(value, cst.List):
        return [element.value for element in value.elements]
    return [value]


def _param(src: PythonSource, module: KfpModule, ref: Ref, scopes: Sequence[Scope], reserved: set[str]) -> Param:
    value = _text(src, ref.node)
    if ref.key is None:
        found = name_type(module, ref.root, scopes)
        name = ref.root
        annotation, guessed = (found, False) if found else ("str", True)
    else:
        annotation, guessed = output_type(src, ref, scopes), False
        name = f"{ref.root}_{sanitize(ref.key)}" if ref.key else f"{ref.root}_output"
    while name in reserved:
        name += "_value"
    return Param(name, annotation, value, guessed)


def _text(src: PythonSource, node: cst.CSTNode) -> str:
    start, end = src.span(node)
    return src.text[start:end]


def _arg_indent(src: PythonSource, arg: cst.Arg) -> str | None:
    """The indentation of the argument's line when it starts its line, else None."""
    start = src.span(arg)[0]
    before = src.text[src.line_start(start) : start]
    return before if not before.strip() else None


def _moved(src: PythonSource, node: cst.BaseExpression, arg: cst.Arg, indent: str) -> str:
    text = _text(src, node)
    old = _arg_indent(src, arg)
    if old is None or has_multiline_string(node):
        return text
    return reindent(text, old, indent)


def _item_edits(src: PythonSource, item: cst.BaseExpression, replacements: dict[cst.CSTNode, str]) -> list[Edit]:
    start, end = src.span(item)
    inner = [Edit(*src.span(node), name) for node, name in replacements.items() if _within(src, node, start, end)]
    inner = [e for e in inner if src.text[e.start : e.end] != e.text]
    if is_stringy(item, set(replacements)):
        return inner
    value = literal_value(item)
    if value is not NOT_LITERAL and not isinstance(value, list | tuple | dict | set):
        return [Edit(start, end, repr(str(value)))]  # v1: str(item)
    return [Edit(start, start, "str("), *inner, Edit(end, end, ")")]


def _within(src: PythonSource, node: cst.CSTNode, start: int, end: int) -> bool:
    node_start, node_end = src.span(node)
    return start <= node_start and node_end <= end


def _list_text(
    src: PythonSource,
    value: cst.BaseExpression,
    arg: cst.Arg,
    replacements: dict[cst.CSTNode, str],
    indent: str,
    outputs: list[tuple[str, str]],
) -> str:
    shim = ""
    if outputs:
        script = output_script([path for _, path in outputs])
        shim = ", ".join(["'sh'", "'-ec'", repr(script), *(name for name, _ in outputs)])
    if not isinstance(value, cst.List):
        text = render(src, value, _item_edits(src, value, replacements))
        return f"[{shim}, {text}]" if shim else f"[{text}]"
    edits = [edit for element in value.elements for edit in _item_edits(src, element.value, replacements)]
    text = render(src, value, edits)
    if shim:
        start = src.span(value)[0]
        first = src.span(value.elements[0].value)[0]
        own_line = not src.text[src.line_start(first) : first].strip()
        separator = "," + src.newline + src.indent_at(first) if own_line else ", "
        at = first - start
        text = text[:at] + shim + separator + text[at:]
    old = _arg_indent(src, arg)
    if old is None or has_multiline_string(value):
        return text
    return reindent(text, old, indent)


def _definition(plan: Plan, decorator: str, spec: str, output_path: str, step: str, nl: str) -> str:
    params = [f"{p.name}: {p.annotation}" for p in plan.inputs]
    params += [f"{name}: {output_path}(str)" for name, _ in plan.outputs]
    head = f"def {plan.component}({', '.join(params)}):"
    if len(head) > _LINE:
        head = f"def {plan.component}(" + nl + "".join(f"{step}{p},{nl}" for p in params) + "):"
    lines = [f"@{decorator}", head, f"{step}return {spec}(", f"{step * 2}image={plan.image},"]
    if plan.command is not None:
        lines.append(f"{step * 2}command={plan.command},")
    if plan.args is not None:
        lines.append(f"{step * 2}args={plan.args},")
    lines.append(f"{step})")
    return nl.join(lines) + nl * 3


def _call_text(src: PythonSource, plan: Plan) -> str:
    args = [f"{p.name}={p.value}" for p in plan.inputs]
    # kfp 2 names the task after the component (`say_hello` -> `say-hello`); v1 showed `name=` as written.
    same = plan.name_literal in (plan.component, plan.component.replace("_", "-"))
    display = "" if same else f".set_display_name({plan.display})"
    text = f"{plan.component}({', '.join(args)}){display}"
    start = src.span(plan.call)[0]
    prefix = src.text[src.line_start(start) : start]
    if len(prefix) + len(text) <= _LINE or not args:
        return text
    indent = src.indent_at(start)
    step = src.module.default_indent
    inner = "".join(f"{indent}{step}{a},{src.newline}" for a in args)
    return f"{plan.component}({src.newline}{inner}{indent}){display}"
