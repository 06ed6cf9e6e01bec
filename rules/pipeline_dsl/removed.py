"""KFP303: v1 DSL APIs kfp 2 has no equivalent for; plus the name and task helpers of the KFP3xx modules here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from migrate.python_tree import Tree
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
    each with the index after the entries inside it (one pass for every set of targets).

    Only a name bound by an import resolves, and an attribute only through the chain of `.value`s down to
    such a name: so the pass starts from the bound names the tree index lists, climbs each one's attribute
    chain, and keeps the chains `_reached` says an expression visit gets to. A visitor walking every node
    (with a nested walk per attribute, argument and parameter) cost most of the KFP3xx rules' time."""
    found = module.src.cache.get("pipeline_dsl.resolved_names")
    if isinstance(found, list):
        return found
    tree = module.src.tree
    nodes, parent = tree.nodes, tree.parent
    reached: dict[int, bool] = {}
    entries: list[_Entry] = []
    for i in tree.of_name.get("Name", ()):
        name: Any = nodes[i]  # a `cst.Name`; no `cast` call for each of them
        binding = module.bindings.get(name.value)
        if binding is None or not _reached(tree, i, reached):
            continue
        # Outermost first, as a visit meets them; each ends after the chain's name.
        qualified = binding.qualified
        chain: list[tuple[cst.Name | cst.Attribute, str]] = [(name, qualified)]
        inner, up = i, parent[i]
        while up >= 0:
            outer = nodes[up]
            if type(outer) is not cst.Attribute or outer.value is not nodes[inner]:
                break
            qualified = f"{qualified}.{outer.attr.value}"
            chain.append((outer, qualified))
            inner, up = up, parent[up]
        after = len(entries) + len(chain)
        entries.extend((node, name_of, after) for node, name_of in reversed(chain))
    module.src.cache["pipeline_dsl.resolved_names"] = entries
    return entries


def _reached(tree: Tree, i: int, known: dict[int, bool]) -> bool:
    """Whether node `i` is in an expression `references` looks at: not inside an import, nor an attribute's
    name, a keyword, a parameter's name, a definition's name (or its type parameters). `known` keeps the
    answer for every node climbed through: siblings share most of their ancestors."""
    nodes, parent = tree.nodes, tree.parent
    climbed: list[int] = []
    answer = True
    inner, up = i, parent[i]
    while up >= 0:
        if inner in known:
            answer = known[inner]
            break
        climbed.append(inner)
        if not _enters(nodes[up], nodes[inner]):
            answer = False
            break
        inner, up = up, parent[up]
    for number in climbed:
        known[number] = answer
    return answer


def _enters(outer: Any, inner: cst.CSTNode) -> bool:
    """Whether a visit of the node `outer` goes on into its child `inner`: only the parts of these nodes that
    are expressions (or hold statements) are looked into; every part of any other node is. (`outer` untyped:
    asked for every node climbed through, and a `cast` is a call.)"""
    kind = type(outer)
    if kind not in _SELECTIVE:
        return True
    if kind is cst.Import or kind is cst.ImportFrom:
        return False
    if kind is cst.Attribute or kind is cst.Arg:
        return inner is outer.value
    if kind is cst.Param:
        return inner is outer.annotation or inner is outer.default
    if kind is cst.FunctionDef:
        return any(part is inner for part in (*outer.decorators, outer.params, outer.returns, outer.body))
    # A class definition: the last of `_SELECTIVE`.
    return any(part is inner for part in (*outer.decorators, *outer.bases, *outer.keywords, outer.body))


# The nodes whose visit enters only some of their parts (see `_References` in tests/test_rules_speed_index.py).
_SELECTIVE = frozenset({cst.Import, cst.ImportFrom, cst.Attribute, cst.Arg, cst.Param, cst.FunctionDef, cst.ClassDef})


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
