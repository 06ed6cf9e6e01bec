"""Task modifiers: find `task.method(...)` calls on kfp tasks, and rewrite one link of a modifier chain.

kfp 1 modifiers are chained (`op(...).apply(gcp.use_gcp_secret('user-gcp-sa')).set_gpu_limit(1)`) or bare
statements (`op(...).add_pvolumes({...})`). Their kfp 2 replacements are task methods (`set_env_variable`)
or kfp-kubernetes functions that take the task first and return it (`kubernetes.mount_pvc(task, ...)`,
SOURCE K2 `kfp/kubernetes/*.py`), so a link is rewritten in place: `R.m(a)` becomes `R.new(b)` or
`kubernetes.f(R, b)`, and whatever was chained after it still receives the task. Only the text of the link
changes (one insertion before `R`, one replacement after it), so links of one chain fixed in different
passes, and other rules' edits on the same chain, never touch each other's text.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from migrate.model import Edit
from migrate.python_source import PythonSource
from migrate.python_tree import walk
from rules._python import NOT_LITERAL, KfpModule, all_params, literal_value
from rules.pipeline_dsl.removed import pipeline_functions, task_factories
from rules.py_components._edits import Imports

KUBERNETES = "kfp.kubernetes"
# kfp 1 task classes; a local subclass of one makes tasks too.
_V1_OPS = frozenset(
    f"kfp.dsl.{name}" for name in ("ContainerOp", "ResourceOp", "VolumeOp", "VolumeSnapshotOp", "BaseOp")
)


@dataclass(frozen=True)
class Modifier:
    """One modifier call on a task: `task.method(...)`, or `task.container.method(...)` (kfp 1's `Container`)."""

    call: cst.Call
    method: str
    task: cst.BaseExpression  # the expression that is the task (for `.container.` calls, what precedes it)
    via_container: bool
    func: cst.FunctionDef | None  # the function the call sits in

    @property
    def args(self) -> Sequence[cst.Arg]:
        return self.call.args

    @property
    def name(self) -> cst.Name:
        """The method's name: where findings about the link point."""
        assert isinstance(self.call.func, cst.Attribute)
        return self.call.func.attr

    def value_unused(self, src: PythonSource) -> bool:
        """The call is a statement of its own: what it returns is thrown away."""
        return isinstance(src.parents.get(self.call), cst.Expr)


def modifier_calls(
    module: KfpModule, methods: Collection[str], on_container: Collection[str] = ()
) -> Iterator[Modifier]:
    """Calls of `methods` on plausible tasks, and of `on_container` on `task.container` (also at the end of
    a chain of `Container` methods, which return the container). kfp 1's `ContainerOp` proxied the
    `Container` methods, so list a method in both to find `task.m(...)` too."""
    by_name = _method_calls(module)
    wanted = [found for name in {*methods, *on_container} for found in by_name.get(name, ())]
    wanted.sort(key=lambda found: found[0])  # the module's order, as `module.calls` has them
    for _, call, target, func in wanted:
        name = target.attr.value
        if any(a.star for a in call.args):
            continue
        container = _container_of(target.value)
        if container is not None:
            if name in on_container and is_task(module, container, func):
                # On `task.container` the link starts at `.container`; further down a chain of `Container`
                # calls it is only this call, on what the earlier links (fixed by their own rules) return.
                direct = isinstance(target.value, cst.Attribute)
                yield Modifier(call, name, container if direct else target.value, direct, func)
        elif name in methods and is_task(module, target.value, func):
            yield Modifier(call, name, target.value, False, func)


_MethodCall = tuple[int, cst.Call, cst.Attribute, cst.FunctionDef | None]


def _method_calls(module: KfpModule) -> dict[str, list[_MethodCall]]:
    """The module's calls of a method (`x.name(...)`) by the method's name, each with its index in
    `module.calls`: half a dozen rules look for a few names each, and need not go through every call."""
    found = module.src.cache.get("pipeline_dsl.method_calls")
    if isinstance(found, dict):
        return found
    by_name: dict[str, list[_MethodCall]] = {}
    for index, (call, func) in enumerate(module.calls):
        target = call.func
        if isinstance(target, cst.Attribute):
            by_name.setdefault(target.attr.value, []).append((index, call, target, func))
    module.src.cache["pipeline_dsl.method_calls"] = by_name
    return by_name


# kfp 1 `Container` methods that return the container (SOURCE K1 `dsl/_container_op.py`).
CONTAINER_METHODS = frozenset(
    {
        "add_resource_limit",
        "add_resource_request",
        "set_memory_request",
        "set_memory_limit",
        "set_ephemeral_storage_request",
        "set_ephemeral_storage_limit",
        "set_cpu_request",
        "set_cpu_limit",
        "set_gpu_limit",
        "add_volume_mount",
        "add_volume_devices",
        "set_env_variable",
        "add_env_variable",
        "add_env_from",
        "set_image_pull_policy",
        "add_port",
        "set_security_context",
        "set_stdin",
        "set_stdin_once",
        "set_termination_message_path",
        "set_termination_message_policy",
        "set_tty",
        "set_readiness_probe",
        "set_liveness_probe",
        "set_lifecycle",
        "set_mirror_volume_mounts",
    }
)


def _container_of(receiver: cst.BaseExpression) -> cst.BaseExpression | None:
    """`task` for `task.container` and for `task.container.add_env_variable(...)` (kfp 1 `Container`
    methods return the container)."""
    node = receiver
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in CONTAINER_METHODS
    ):
        node = node.func.value
    if isinstance(node, cst.Attribute) and node.attr.value == "container":
        return node.value
    return None


def is_task(module: KfpModule, expr: cst.BaseExpression, func: cst.FunctionDef | None) -> bool:
    """Whether `expr` plausibly is a kfp task: chained on a call of a component or v1 op, or code in a
    function that builds a pipeline (a `@dsl.pipeline`, or one that creates tasks), or the task parameter of
    a modifier function passed to `.apply(...)`. Never in a component's body: that runs in the container."""
    if not module.is_kfp() or (func is not None and func in _component_functions(module)):
        return False
    if module.qualified(expr) is not None:
        return False  # an imported name or module (`kubernetes.add_pod_label(...)`), not a task
    root = _chain_root(module, expr)
    if isinstance(root, cst.Call):
        if _makes_task(module, root):
            return True
        if (module.qualified(root.func) or "").startswith("kfp."):
            return False  # `dsl.get_pipeline_conf().set_image_pull_policy(...)`: kfp, but no task
    if func is None:
        return False
    if isinstance(root, cst.Name):
        made = assigned_call(module, root.value, func)
        if (
            made is not None
            and not _makes_task(module, made)
            and (module.qualified(made.func) or "").startswith("kfp.")
        ):
            return False  # `conf = dsl.get_pipeline_conf()`
    if _builds_pipeline(module, func):
        return True
    param = modifier_functions(module).get(func)
    return isinstance(root, cst.Name) and root.value == param


def _chain_root(module: KfpModule, expr: cst.BaseExpression) -> cst.BaseExpression:
    """`op(...)` in `op(...).after(a).set_display_name('x')`; `dsl.get_pipeline_conf()` in
    `dsl.get_pipeline_conf().set_timeout(1)` (a call of an imported name ends the chain)."""
    node = expr
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and module.qualified(node.func) is None:
        node = node.func.value
    return node


def assigned_call(module: KfpModule, name: str, func: cst.FunctionDef | None) -> cst.Call | None:
    """The call whose result `func` (or the module, for None) last assigns to `name`; for a method chain
    (`op(...).after(a)`), the call at its head."""
    found: cst.Call | None = None
    for call, enclosing in module.calls:
        if enclosing is func and name in module.assignments.get(call, ()):
            head = call
            while isinstance(head.func, cst.Attribute) and isinstance(head.func.value, cst.Call):
                head = head.func.value
            found = head
    return found


def _makes_task(module: KfpModule, call: cst.Call) -> bool:
    if isinstance(call.func, cst.Name) and call.func.value in factories(module):
        return True
    qualified = module.qualified(call.func) or ""
    return qualified in _V1_OPS or qualified.startswith(KUBERNETES + ".")


def factories(module: KfpModule) -> set[str]:
    """Local names whose calls create tasks: components, loaded components, `ContainerOp` subclasses."""
    key = "pipeline_dsl.modifiers.factories"
    found = module.src.cache.get(key)
    if isinstance(found, set):
        return found
    names = set(task_factories(module))
    for statement in module.src.module.body:
        if isinstance(statement, cst.ClassDef) and any(
            (module.qualified(base.value) or "") in _V1_OPS or _dotted_tail(base.value) in names
            for base in statement.bases
        ):
            names.add(statement.name.value)
    module.src.cache[key] = names
    return names


def _dotted_tail(expr: cst.BaseExpression) -> str:
    return expr.value if isinstance(expr, cst.Name) else ""


def _component_functions(module: KfpModule) -> set[cst.FunctionDef]:
    return {component.func for component in module.components}


def _builds_pipeline(module: KfpModule, func: cst.FunctionDef) -> bool:
    key = "pipeline_dsl.modifiers.builders"
    found = module.src.cache.get(key)
    if not isinstance(found, set):
        found = module.src.cache[key] = _builders(module)
    return func in found


def _builders(module: KfpModule) -> set[cst.FunctionDef]:
    named = pipeline_functions(module)
    builders = {f for f in module.pipelines}
    builders |= {f for f in module.functions.values() if f.name.value in named}
    for call, enclosing in module.calls:
        if enclosing is not None and _makes_task(module, call):
            builders.add(enclosing)
    return builders


def modifier_functions(module: KfpModule) -> dict[cst.FunctionDef, str]:
    """Functions passed to `task.apply(...)`, directly or as what a factory returns (`apply(use_x(...))`),
    with the name of their task parameter."""
    key = "pipeline_dsl.modifiers.functions"
    found = module.src.cache.get(key)
    if isinstance(found, dict):
        return found
    result: dict[cst.FunctionDef, str] = {}
    for call, func in module.calls:
        target = call.func
        if not (isinstance(target, cst.Attribute) and target.attr.value == "apply" and len(call.args) == 1):
            continue
        if func is None or not (
            _builds_pipeline(module, func) or isinstance(_chain_root(module, target.value), cst.Call)
        ):
            continue
        for modifier in _applied_functions(module, call.args[0].value):
            params = all_params(modifier)
            if params:
                result[modifier] = params[0].name.value
    module.src.cache[key] = result
    return result


def _applied_functions(module: KfpModule, arg: cst.BaseExpression) -> list[cst.FunctionDef]:
    if isinstance(arg, cst.Name) and arg.value in module.functions:
        return [module.functions[arg.value]]
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Name) and arg.func.value in module.functions:
        return returned_functions(module.functions[arg.func.value])
    return []


def returned_functions(factory: cst.FunctionDef) -> list[cst.FunctionDef]:
    """Functions defined in `factory`'s body and returned by it (`def f(): def _g(task): ...; return _g`)."""
    if not isinstance(factory.body, cst.IndentedBlock):
        return []
    inner = {s.name.value: s for s in factory.body.body if isinstance(s, cst.FunctionDef)}
    found = []
    for statement in factory.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Return) and isinstance(small.value, cst.Name) and small.value.value in inner:
                    found.append(inner[small.value.value])
    return found


def returns_its_task(func: cst.FunctionDef) -> bool:
    """Every way out of `func` returns its first parameter unchanged: calling it equals kfp 1's
    `task.apply(func)`, which returned `func(task) or task`."""
    params = all_params(func)
    if not params or not isinstance(func.body, cst.IndentedBlock) or not func.body.body:
        return False
    name = params[0].name.value
    finder = _Returns()
    walk(func.body, finder)
    last = func.body.body[-1]
    ends_with_return = (
        isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and isinstance(last.body[0], cst.Return)
    )
    reassigned = name in finder.assigned
    return (
        ends_with_return
        and not reassigned
        and all(isinstance(r.value, cst.Name) and r.value.value == name for r in finder.returns)
    )


class _Returns(cst.CSTVisitor):
    def __init__(self) -> None:
        self.returns: list[cst.Return] = []
        self.assigned: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # nested functions return for themselves

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.append(node)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if isinstance(node.target, cst.Name):
            self.assigned.add(node.target.value)


# --- the replacement of one link -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One call of a replacement: a task method (`.set_env_variable(...)`) or a function that takes the
    task first and returns it (`kubernetes.mount_pvc(task, ...)`)."""

    args: str
    method: str | None = None
    function: str | None = None


def method(name: str, args: str) -> Step:
    return Step(args, method=name)


def function(spelled: str, args: str) -> Step:
    return Step(args, function=spelled)


def rewrite(src: PythonSource, link: Modifier, steps: Sequence[Step]) -> list[Edit]:
    """Edits replacing the link `task.m(...)` (or `task.container.m(...)`) by `steps` applied to `task`, in
    order; an empty `steps` drops the link. Functions wrap what comes before them:
    `[function f, method m, function g]` gives `g(f(task, a).m(b), c)`."""
    task_start, task_end = src.span(link.task)
    call_end = src.span(link.call)[1]
    prefix = "".join(f"{s.function}(" for s in reversed(steps) if s.function is not None)
    suffix = "".join(
        (f", {s.args})" if s.args else ")") if s.function is not None else f".{s.method}({s.args})" for s in steps
    )
    dot = _dot_after(src, link)
    between = src.text[task_end:dot]
    # Keep what sits between the task and the first `.` of the link (a comment, a line break of a chain)
    # when the next text still continues the chain there.
    start = dot if "#" in between or (not prefix and suffix) else task_end
    edits = [Edit(task_start, task_start, prefix)] if prefix else []
    edits.append(Edit(start, call_end, suffix))
    return edits


def drop(src: PythonSource, link: Modifier) -> list[Edit]:
    """Edits removing the link: the whole statement when it is nothing but `name.link(...)`, else the link."""
    statement = src.parents.get(src.parents.get(link.call) or link.call)
    block = src.parents.get(statement) if statement is not None else None
    if (
        link.value_unused(src)
        and isinstance(link.task, cst.Name)
        and isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(block, cst.IndentedBlock | cst.Module)
        and len(block.body) > 1
    ):
        start, end = src.span(statement)
        return [Edit(src.line_start(start), src.next_line_start(end), "")]
    return rewrite(src, link, [])


def _dot_after(src: PythonSource, link: Modifier) -> int:
    """Offset of the `.` that starts the link after the task (`.container` or `.method`)."""
    attribute = link.call.func
    assert isinstance(attribute, cst.Attribute)
    node = attribute.value if link.via_container and isinstance(attribute.value, cst.Attribute) else attribute
    task_end = src.span(link.task)[1]
    name_start = src.span(node.attr)[0]
    found = src.text.rfind(".", task_end, name_start)
    return found if found >= 0 else task_end


def kubernetes(imports: Imports) -> str | None:
    """How to spell the `kfp.kubernetes` module, adding `from kfp import kubernetes` when needed; None when
    the name `kubernetes` is taken by something else. `import kfp` does not give `kfp.kubernetes` (kfp's
    `__init__` does not import it: `AttributeError: module 'kfp' has no attribute 'kubernetes'`)."""
    module = imports.module
    for binding in module.imports:
        if binding.top_level and binding.qualified == KUBERNETES and module.bindings.get(binding.local) is binding:
            return binding.local
    if "kubernetes" in module.bindings or "kubernetes" in module.defined_names:
        return None
    return imports.ref(KUBERNETES)


# --- reading arguments -----------------------------------------------------------------------------------


def bind(args: Sequence[cst.Arg], params: Sequence[str]) -> dict[str, cst.Arg] | None:
    """The arguments of a call by the parameter they feed (`params` in declaration order); None when an
    argument is starred or names no parameter."""
    bound: dict[str, cst.Arg] = {}
    position = 0
    for arg in args:
        if arg.star:
            return None
        if arg.keyword is None:
            if position >= len(params):
                return None
            name = params[position]
            position += 1
        else:
            name = arg.keyword.value
            if name not in params:
                return None
        if name in bound:
            return None
        bound[name] = arg
    return bound


def is_class_call(module: KfpModule, expr: cst.BaseExpression, name: str) -> bool:
    """`expr` is `V1EnvVar(...)` (or `k8s_client.V1EnvVar(...)`, `client.models.V1EnvVar(...)`): a call of the
    kubernetes client class `name`, or of an unresolved name spelled so."""
    if not isinstance(expr, cst.Call):
        return False
    callee = expr.func
    last = (
        callee.value if isinstance(callee, cst.Name) else callee.attr.value if isinstance(callee, cst.Attribute) else ""
    )
    if last != name:
        return False
    qualified = module.qualified(callee)
    return qualified is None or qualified.split(".")[0] == "kubernetes"


def text(src: PythonSource, node: cst.CSTNode) -> str:
    """The node's source text as written (comments and line breaks inside it kept)."""
    start, end = src.span(node)
    return src.text[start:end]


def literal(node: cst.BaseExpression | None) -> object:
    return literal_value(node) if node is not None else NOT_LITERAL


def keyword_args(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{k}={v}" for k, v in pairs)


def string(src: PythonSource, value: str) -> str:
    """A string literal for `value` in the module's usual quotes."""
    written = repr(value)
    double = src.cache.get("pipeline_dsl.modifiers.double_quotes")
    if not isinstance(double, bool):
        double = src.cache["pipeline_dsl.modifiers.double_quotes"] = src.text.count('"') > src.text.count("'")
    if double and '"' not in value and "'" not in value and "\\" not in written:
        return f'"{value}"'
    return written
