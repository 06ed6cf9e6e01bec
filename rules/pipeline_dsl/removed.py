"""KFP303: v1 DSL APIs kfp 2 has no equivalent for; plus the name and task helpers of the KFP3xx modules here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import ImportBinding, KfpModule, kfp_module

# Factories whose result creates tasks when called (kfp 1 and kfp 2).
_TASK_FACTORIES = frozenset(
    {
        *(
            f"kfp.components.{name}"
            for name in (
                "load_component",
                "load_component_from_file",
                "load_component_from_url",
                "load_component_from_text",
                "create_component_from_func",
                "create_component_from_func_v2",
                "func_to_container_op",
            )
        ),
        "kfp.dsl.component",
        "kfp.dsl.container_component",
        "kfp.v2.dsl.component",
    }
)
_V1_OPS = frozenset(f"kfp.dsl.{name}" for name in ("ContainerOp", "ResourceOp", "VolumeOp", "VolumeSnapshotOp"))
_GRAPH_COMPONENTS = frozenset({"kfp.dsl.graph_component", "kfp.dsl._component.graph_component"})
# Callables that take a pipeline function as their first argument.
_PIPELINE_TAKERS = frozenset({"compile", "create_run_from_pipeline_func", "_create_workflow", "create_workflow"})


def _dotted(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{_dotted(expr.value)}.{expr.attr.value}"
    return ""


def references(module: KfpModule, targets: frozenset[str]) -> list[tuple[cst.Name | cst.Attribute, str]]:
    """Every expression that names one of `targets` (`dsl.Condition`, `Condition` after `from kfp.dsl
    import Condition`, ...), outside import statements, with the qualified name it resolves to."""
    key = f"pipeline_dsl.references:{','.join(sorted(targets))}"
    cached = module.src.cache.get(key)
    if isinstance(cached, list):
        return cached
    found: list[tuple[cst.Name | cst.Attribute, str]] = []
    entries = _resolved_names(module)
    i = 0
    while i < len(entries):
        node, qualified, end = entries[i]
        if qualified in targets:
            found.append((node, qualified))
            i = end  # `dsl.Condition` found: not `dsl` again
        else:
            i += 1
    module.src.cache[key] = found
    return found


_Entry = tuple[cst.Name | cst.Attribute, str, int]


def _resolved_names(module: KfpModule) -> list[_Entry]:
    """The names and attributes `references` looks at that resolve through the imports, in visiting order,
    each with the index after the entries inside it (one walk for every set of targets)."""
    found = module.src.cache.get("pipeline_dsl.resolved_names")
    if not isinstance(found, list):
        finder = _References(module)
        module.src.walk(module.src.module, finder)
        found = module.src.cache["pipeline_dsl.resolved_names"] = finder.found
    return found


class _References(cst.CSTVisitor):
    """Names and attributes in expressions: not attribute names, keywords, parameters or definitions."""

    def __init__(self, module: KfpModule) -> None:
        self.module = module
        self.found: list[_Entry] = []

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        qualified = self.module.qualified(node)
        at = len(self.found)
        if qualified is not None:
            self.found.append((node, qualified, at + 1))
        self.module.src.walk(node.value, self)
        if qualified is not None:
            self.found[at] = (node, qualified, len(self.found))
        return False

    def visit_Name(self, node: cst.Name) -> None:
        qualified = self.module.qualified(node)
        if qualified is not None:
            self.found.append((node, qualified, len(self.found) + 1))

    def visit_Arg(self, node: cst.Arg) -> bool:
        self.module.src.walk(node.value, self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        for part in (node.annotation, node.default):
            if part is not None:
                self.module.src.walk(part, self)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for part in (*node.decorators, node.params, node.returns, node.body):
            if part is not None:
                self.module.src.walk(part, self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for part in (*node.decorators, *node.bases, *node.keywords, node.body):
            self.module.src.walk(part, self)
        return False


def rename(src: PythonSource, module: KfpModule, node: cst.Name | cst.Attribute, new: str) -> list[Edit]:
    """Edits that make `node` name `new` (a name in the same module as the old one): the attribute name of
    `dsl.Old`; for a name from `from kfp.dsl import Old`, the import and its uses (see `rename_binding`)."""
    if isinstance(node, cst.Attribute):
        start, end = src.span(node.attr)
        return [Edit(start, end, new)]
    binding = module.bindings.get(node.value)
    return rename_binding(src, module, binding, new) if binding is not None else []


def rename_binding(src: PythonSource, module: KfpModule, binding: ImportBinding, new: str) -> list[Edit]:
    """`from kfp.dsl import Old` becomes `from kfp.dsl import New`, and every use of `Old` in the module `New`;
    `from kfp.dsl import Old as Alias` becomes `from kfp.dsl import New as Alias`, uses unchanged."""
    if not isinstance(binding.statement, cst.ImportFrom) or not isinstance(binding.alias.name, cst.Name):
        return []
    start, end = src.span(binding.alias.name)
    edits = [Edit(start, end, new)]
    if binding.alias.asname is None and module.bindings.get(binding.local) is binding:
        for use, _ in references(module, frozenset({binding.qualified})):
            if isinstance(use, cst.Name) and use.value == binding.local:
                use_start, use_end = src.span(use)
                edits.append(Edit(use_start, use_end, new))
    elif binding.alias.asname is None:
        return []  # imported inside a function: its uses are not resolved here
    return edits


def remove_alias(src: PythonSource, statement: cst.Import | cst.ImportFrom, alias: cst.ImportAlias) -> Edit | None:
    """Delete one name from an import; the whole line when it is the only name of a one-statement line."""
    names = statement.names
    if not isinstance(names, Sequence):
        return None
    line = src.parents.get(statement)
    if len(names) == 1:
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        parent = src.parents.get(line)
        siblings = getattr(parent, "body", ())
        if not isinstance(siblings, Sequence) or len(siblings) < 2:
            return None  # the only statement of a block: deleting it would leave the block empty
        start, end = src.span(line)
        return Edit(src.line_start(start), src.next_line_start(end), "")
    index = list(names).index(alias)
    if index > 0:
        return Edit(src.span(names[index - 1])[1], src.span(alias)[1], "")
    return Edit(src.span(alias)[0], src.span(names[1])[0], "")


def delete_arg(src: PythonSource, call: cst.Call, arg: cst.Arg) -> Edit:
    """Delete one argument and one comma next to it, keeping comments that follow."""
    args = list(call.args)
    index = args.index(arg)
    own_line = _own_lines(src, arg)
    if own_line is not None and len(args) > 1:
        return own_line
    if index > 0:
        return Edit(src.span(args[index - 1])[1], src.span(arg)[1], "")
    if len(args) > 1:
        return Edit(src.span(arg)[0], src.span(args[1])[0], "")
    start, end = src.span(arg)
    if isinstance(arg.comma, cst.Comma):
        end = src.span(arg.comma)[1] if src.has_span(arg.comma) else end + 1
    return Edit(start, end, "")


def _own_lines(src: PythonSource, arg: cst.Arg) -> Edit | None:
    """Deleting the lines of an argument written on lines of its own, with its comma and trailing comment."""
    start, end = src.span(arg)
    if isinstance(arg.comma, cst.Comma):
        end = src.span(arg.comma)[1]
    line_start, line_end = src.line_start(start), src.next_line_start(end)
    before = src.text[line_start:start]
    after = src.text[end:line_end].strip()
    if before.strip() or (after and not after.startswith("#")) or not isinstance(arg.comma, cst.Comma):
        return None
    return Edit(line_start, line_end, "")


def task_factories(module: KfpModule) -> set[str]:
    """Local names that create tasks when called: components, loaded or made components, v1 ops."""
    key = "pipeline_dsl.task_factories"
    found = module.src.cache.get(key)
    if isinstance(found, set):
        return found
    names: set[str] = set()
    for component in module.components + module.container_components:
        names |= component.symbols
    for call, enclosing in module.calls:
        if module.qualified(call.func) in _TASK_FACTORIES:
            names.update(module.assignments.get(call, ()))
        elif enclosing is not None and module.qualified(call.func) in _V1_OPS:
            names.add(enclosing.name.value)  # `def train_op(): return dsl.ContainerOp(...)`
    module.src.cache[key] = names
    return names


def pipeline_functions(module: KfpModule) -> set[str]:
    """Functions that build pipelines: `@dsl.pipeline`, or passed to `compile`/`create_run_from_pipeline_func`."""
    key = "pipeline_dsl.pipeline_functions"
    found = module.src.cache.get(key)
    if isinstance(found, set):
        return found
    names = {func.name.value for func in module.pipelines}
    for func in module.functions.values():
        if any(module.qualified(d.decorator) in _GRAPH_COMPONENTS for d in func.decorators):
            names.add(func.name.value)
    for call, _ in module.calls:
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else _dotted(call.func)
        if method.rpartition(".")[2] in _PIPELINE_TAKERS and call.args and isinstance(call.args[0].value, cst.Name):
            names.add(call.args[0].value.value)
    module.src.cache[key] = names
    return names


def enclosing_function(src: PythonSource, node: cst.CSTNode) -> cst.FunctionDef | None:
    parent = src.parents.get(node)
    while parent is not None and not isinstance(parent, cst.FunctionDef):
        parent = src.parents.get(parent)
    return parent


def plausible_task(module: KfpModule, receiver: cst.BaseExpression, func: cst.FunctionDef | None) -> bool:
    """Whether `receiver.method(...)` is plausibly a method of a kfp task; one answer for every KFP3xx rule."""
    from rules.pipeline_dsl._modifiers import is_task  # it builds on this module's task factories

    return is_task(module, receiver, func)


_REMOVED = {
    "ResourceOp": (
        "a container component whose image runs `kubectl apply`/`kubectl delete` with the manifest (the pipeline's "
        "service account needs RBAC for the resource); for PVCs, `kfp.kubernetes.CreatePVC`/`DeletePVC`"
    ),
    "VolumeSnapshotOp": (
        "a container component that runs `kubectl` to create the `VolumeSnapshot` (kfp-kubernetes has no snapshot API)"
    ),
    "Sidecar": (
        "start the helper process inside the main container (e.g. in the background from an `sh -c` command), "
        "or run it as a separate task or service"
    ),
    "add_sidecar": (
        "start the helper process inside the main container (e.g. in the background from an `sh -c` command), "
        "or run it as a separate task or service"
    ),
    "add_init_container": "do the setup in an earlier task (`.after(...)`) or at the start of the container's command",
    "UserContainer": "do the setup in an earlier task (`.after(...)`) or at the start of the container's command",
    "InputArgumentPath": (
        "declare a file input (`Input[Artifact]`, `{inputPath: ...}`) on the component and pass the task output to it"
    ),
}
_REMOVED_CLASSES = frozenset(
    {
        *(f"kfp.dsl.{n}" for n in ("ResourceOp", "VolumeSnapshotOp", "Sidecar", "UserContainer", "InputArgumentPath")),
        "kfp.dsl._resource_op.ResourceOp",
        "kfp.dsl._volume_snapshot_op.VolumeSnapshotOp",
        *(f"kfp.dsl._container_op.{n}" for n in ("Sidecar", "UserContainer", "InputArgumentPath")),
    }
)
_REMOVED_METHODS = frozenset({"add_sidecar", "add_init_container"})


class RemovedDslApi(PythonRule):
    code = "KFP303"
    name = "removed-dsl-api"
    summary = (
        "Checks for v1 DSL APIs kfp 2 has no equivalent for: `ResourceOp`, `VolumeSnapshotOp`, sidecars, "
        "init containers, `InputArgumentPath`."
    )
    message = "`{api}` is gone in kfp 2, with no equivalent; instead: {instead}"
    fix_title = None
    rationale = (
        "kfp 2 removed the v1 ops that were not containers running a component, and the pod-level extras of "
        "`ContainerOp`: `from kfp.dsl import ResourceOp` is an `ImportError` and `dsl.ResourceOp` an "
        "`AttributeError: module 'kfp.dsl' has no attribute 'ResourceOp'` (the same for `VolumeSnapshotOp`, "
        "`Sidecar`, `UserContainer`, `InputArgumentPath`; ../shared/docs/kfp-semantics.md §5, probe P30). "
        "kfp 2 tasks have no `add_sidecar` or `add_init_container`, and kfp-kubernetes has no replacement "
        "for any of them. What replaces them depends on what the pipeline used them for, so this is left to "
        "a human; the message names the usual way out."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "No kfp 2 API does the same; the replacement changes how the step runs."
    valid = (
        "from kfp import dsl\n\n@dsl.container_component\ndef apply():\n"
        "    return dsl.ContainerSpec(image='bitnami/kubectl', command=['kubectl', 'apply', '-f', '/m.yaml'])\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    dsl.ResourceOp(name='job', k8s_resource={}, action='create')\n"
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        for binding in module.imports:
            if binding.qualified in _REMOVED_CLASSES:
                api = binding.qualified.rpartition(".")[2]
                yield self.at(src, binding.alias, None, api=api, instead=_REMOVED[api])
        for node, qualified in references(module, _REMOVED_CLASSES):
            api = qualified.rpartition(".")[2]
            yield self.at(src, node, None, api=f"dsl.{api}", instead=_REMOVED[api])
        for call, func in module.calls:
            target = call.func
            if not isinstance(target, cst.Attribute) or target.attr.value not in _REMOVED_METHODS:
                continue
            if plausible_task(module, target.value, func):
                api = target.attr.value
                yield self.at(src, target.attr, None, api=f"task.{api}()", instead=_REMOVED[api])
