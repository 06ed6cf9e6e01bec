"""KFP302: v1 volumes (`VolumeOp`, `PipelineVolume`, `add_pvolumes`, `onprem.mount_pvc`) as kfp-kubernetes PVCs."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from migrate.python_tree import walk
from rules._python import NOT_LITERAL, KfpModule, kfp_module
from rules.pipeline_dsl._modifiers import (
    Step,
    assigned_call,
    bind,
    function,
    kubernetes,
    literal,
    method,
    modifier_calls,
    rewrite,
    string,
    text,
)
from rules.pipeline_dsl.removed import references, remove_alias
from rules.py_components._edits import Imports

_VOLUME_OP = frozenset({"kfp.dsl.VolumeOp", "kfp.dsl._volume_op.VolumeOp"})
_PIPELINE_VOLUME = frozenset({"kfp.dsl.PipelineVolume", "kfp.dsl._pipeline_volume.PipelineVolume"})
_MODES = {
    f"{head}.VOLUME_MODE_{short}": mode
    for head in ("kfp.dsl", "kfp.dsl._volume_op")
    for short, mode in (("RWO", "ReadWriteOnce"), ("RWM", "ReadWriteMany"), ("ROM", "ReadOnlyMany"))
}
_CREATE_PVC = "kfp.kubernetes.CreatePVC"
_MOUNT_PVC = "kfp.onprem.mount_pvc"
# kfp 1 `VolumeOp.__init__` positional parameters, then the keywords it passes on to `ResourceOp`/`BaseOp`
# (SOURCE K1 `dsl/_volume_op.py`, `_resource_op.py`, `_container_op.py:BaseOp`).
_VOLUME_OP_PARAMS = (
    "resource_name",
    "size",
    "storage_class",
    "modes",
    "annotations",
    "data_source",
    "volume_name",
    "generate_unique_name",
    "name",
    "k8s_resource",
    "action",
    "merge_strategy",
    "success_condition",
    "failure_condition",
    "set_owner_reference",
    "attribute_outputs",
    "flags",
    "init_containers",
    "sidecars",
    "is_exit_handler",
)
_NO_EQUIVALENT = frozenset(_VOLUME_OP_PARAMS[9:])


def _k8s_name(name: str) -> str:
    """kfp 1 `sanitize_k8s_name` (SOURCE K1 `dsl/_pipeline_param.py`)."""
    return re.sub("-+", "-", re.sub("[^-0-9a-z]+", "-", name.lower())).lstrip("-").rstrip("-")


class VolumeApi(PythonRule):
    code = "KFP302"
    name = "v1-volume-api"
    summary = (
        "Checks for kfp 1 volumes: `dsl.VolumeOp`, `task.add_pvolumes({...})`, `PipelineVolume`, "
        "`onprem.mount_pvc` and the `VOLUME_MODE_*` constants."
    )
    message = "{problem}"
    fix_title = "{title}"
    rationale = (
        "kfp 2 has no `VolumeOp`, `PipelineVolume` or `VOLUME_MODE_*` (`AttributeError: module 'kfp.dsl' has "
        "no attribute 'VolumeOp'`), its tasks no `add_pvolumes` (`AttributeError: 'PipelineTask' object has "
        "no attribute 'add_pvolumes'`) and `kfp.onprem` is gone. kfp-kubernetes does the same with "
        "`kubernetes.CreatePVC(...)`, a task whose output `name` is the claim's name, and "
        "`kubernetes.mount_pvc(task, pvc_name=..., mount_path=...)`, which also makes the task wait for the "
        "PVC's task (../shared/docs/kfp-semantics.md §5). kfp 1's `VolumeOp(resource_name=r)` named the claim "
        "`{{workflow.name}}-r` (`pvc_name_suffix='-r'`: kfp 2 prefixes a unique id) or, with "
        "`generate_unique_name=False`, `r` (`pvc_name=`); `modes` defaulted to `VOLUME_MODE_RWM` "
        "(`['ReadWriteMany']`); `storage_class` became `storage_class_name`. Without a storage class kfp 1 left "
        "the claim to the cluster's default StorageClass, while kfp 2's `CreatePVC` sends "
        "`storage_class_name=''`, which turns dynamic provisioning off (SOURCE K2 `kubernetes/volume.py`; "
        "the backend driver copies the value into the claim): name the class there. `vop.volume` mounted "
        "anywhere becomes `mount_pvc(..., pvc_name=vop.outputs['name'])`, and `vop.volume.after(a)` adds "
        "`.after(a)`. `ResourceOp` options (`action`, `k8s_resource`, ...) have no equivalent."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when `VolumeOp` has no `storage_class` (name the cluster's default StorageClass: kfp 2 would "
        "send an empty one) or a `resource_name` that is not a literal. No fix for `k8s_resource`/`ResourceOp` "
        "options, for volumes that are not a `VolumeOp`'s `.volume` or a `PipelineVolume(pvc=...)`, or for "
        "`task.pvolume(s)`."
    )
    valid = (
        "from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    pvc = kubernetes.CreatePVC(pvc_name_suffix='-data', access_modes=['ReadWriteOnce'], size='1Gi',\n"
        "                               storage_class_name='standard')\n"
        "    kubernetes.mount_pvc(train(), pvc_name=pvc.outputs['name'], mount_path='/data')\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    vop = dsl.VolumeOp(name='data', resource_name='data', size='1Gi', storage_class='standard',\n"
            "                       modes=dsl.VOLUME_MODE_RWO)\n"
            "    train().add_pvolumes({'/data': vop.volume})\n",
            fixed="from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    vop = kubernetes.CreatePVC(pvc_name_suffix='-data', access_modes=['ReadWriteOnce'], size='1Gi', "
            "storage_class_name='standard').set_display_name('data')\n"
            "    kubernetes.mount_pvc(train(), pvc_name=vop.outputs['name'], mount_path='/data')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        handled: set[cst.CSTNode] = set()
        for call, _ in module.calls:
            if module.qualified(call.func) in _VOLUME_OP:
                handled.add(call.func)
                yield self._volume_op(src, module, call)
        yield from self._pvolumes(src, module, handled)
        yield from self._mount_pvc(src, module, handled)
        yield from self._leftovers(src, module, handled)

    # `dsl.VolumeOp(...)` -> `kubernetes.CreatePVC(...)`
    def _volume_op(self, src: PythonSource, module: KfpModule, call: cst.Call) -> Located:
        args = bind(call.args, _VOLUME_OP_PARAMS)
        if args is None:
            return self._none(src, call.func, "`dsl.VolumeOp` is gone in kfp 2: its arguments cannot be read")
        extra = sorted(set(args) & _NO_EQUIVALENT)
        if extra:
            shown = ", ".join(f"`{e}`" for e in extra)
            return self._none(
                src, call.func, f"`dsl.VolumeOp` is gone in kfp 2, and `kubernetes.CreatePVC` has no {shown}"
            )
        if "size" not in args or "resource_name" not in args:
            return self._none(src, call.func, "`dsl.VolumeOp` is gone in kfp 2; it needs `resource_name` and `size`")
        imports = Imports(module)
        kube = kubernetes(imports)
        if kube is None:
            return self._none(src, call.func, "`dsl.VolumeOp` is gone in kfp 2; the name `kubernetes` is taken here")
        notes: list[str] = []
        unique = literal(args["generate_unique_name"].value) if "generate_unique_name" in args else True
        if unique is NOT_LITERAL:
            return self._none(
                src, call.func, "`dsl.VolumeOp` is gone in kfp 2; `generate_unique_name` is not a literal"
            )
        resource = args["resource_name"].value
        resource_value = literal(resource)
        if isinstance(resource_value, str):
            sanitized = _k8s_name(resource_value)
            name = f"pvc_name_suffix={string(src, '-' + sanitized)}" if unique else f"pvc_name={string(src, sanitized)}"
        else:
            notes.append("the claim's name is an expression: kfp 1 made it a valid Kubernetes name")
            name = f"pvc_name_suffix=f'-{{{text(src, resource)}}}'" if unique else f"pvc_name={text(src, resource)}"
        parts = [
            name,
            f"access_modes={self._modes(src, module, args.get('modes'))}",
            f"size={text(src, args['size'].value)}",
        ]
        storage = args.get("storage_class")
        if storage is None or literal(storage.value) is None:
            notes.append(
                "kfp 1 left the claim to the cluster's default StorageClass; kfp 2 sends `storage_class_name=''` "
                "(no dynamic provisioning): add `storage_class_name=` with your cluster's default class"
            )
        else:
            parts.append(f"storage_class_name={text(src, storage.value)}")
        for v1, v2 in (("annotations", "annotations"), ("volume_name", "volume_name")):
            if v1 in args and literal(args[v1].value) is not None:
                parts.append(f"{v2}={text(src, args[v1].value)}")
        if "data_source" in args and literal(args["data_source"].value) is not None:
            source = literal(args["data_source"].value)
            if not isinstance(source, str):
                return self._none(
                    src, call.func, "`dsl.VolumeOp` is gone in kfp 2; write its `data_source` as a dict by hand"
                )
            q = functools.partial(string, src)
            parts.append(
                f"data_source={{{q('apiGroup')}: {q('snapshot.storage.k8s.io')}, {q('kind')}: "
                f"{q('VolumeSnapshot')}, {q('name')}: {q(source)}}}"
            )
        replacement = f"{kube}.CreatePVC({', '.join(parts)})"
        if "name" in args:
            replacement += f".set_display_name({text(src, args['name'].value)})"
        edits = [Edit(*src.span(call), replacement), *imports.edits()]
        safety = FixSafety.UNSAFE if notes else FixSafety.SAFE
        note = f" ({'; '.join(notes)})" if notes else ""
        fix = self.fix(*edits, safety=safety, title="Use `kubernetes.CreatePVC(...)`")
        return self.at(src, call.func, fix, problem=f"`dsl.VolumeOp` is gone in kfp 2{note}", title="")

    def _modes(self, src: PythonSource, module: KfpModule, arg: cst.Arg | None) -> str:
        if arg is None or literal(arg.value) is None:
            return f"[{string(src, 'ReadWriteMany')}]"  # kfp 1 default: VOLUME_MODE_RWM
        mode = _MODES.get(module.qualified(arg.value) or "")
        return f"[{string(src, mode)}]" if mode else text(src, arg.value)

    # `task.add_pvolumes({path: volume})` -> `kubernetes.mount_pvc(task, pvc_name=..., mount_path=path)`
    def _pvolumes(self, src: PythonSource, module: KfpModule, handled: set[cst.CSTNode]) -> Iterator[Located]:
        for link in modifier_calls(module, {"add_pvolumes"}):
            bound = bind(link.args, ("pvolumes",))
            if bound is None:
                continue
            imports = Imports(module)
            kube = kubernetes(imports)
            volumes = bound.get("pvolumes")
            steps: list[Step] = []
            problem = ""
            if volumes is None or literal(volumes.value) in (None, {}):
                pass  # mounts nothing
            elif not isinstance(volumes.value, cst.Dict):
                problem = "its argument is not a `{path: volume}` dict written here"
            else:
                for element in volumes.value.elements:
                    if not isinstance(element, cst.DictElement):
                        problem = "the dict unpacks another one"
                        break
                    found = self._pvc(src, module, element.value, link.func)
                    if isinstance(found, str):
                        problem = found
                        break
                    pvc, after, seen = found
                    handled.update(seen)
                    mount = f"pvc_name={pvc}, mount_path={text(src, element.key)}"
                    steps.append(function(f"{kube}.mount_pvc", mount))
                    steps.extend(after)
            if problem or kube is None:
                problem = problem or "the name `kubernetes` is taken here"
                yield self._none(src, link.name, f"kfp 2 tasks have no `add_pvolumes`: {problem}")
                continue
            edits = rewrite(src, link, steps) + imports.edits()
            fix = self.fix(*edits, title="Use `kubernetes.mount_pvc(task, ...)`")
            yield self.at(src, link.name, fix, problem="kfp 2 tasks have no `add_pvolumes`", title="")

    def _pvc(
        self, src: PythonSource, module: KfpModule, volume: cst.BaseExpression, func: cst.FunctionDef | None
    ) -> tuple[str, list[Step], list[cst.CSTNode]] | str:
        """(PVC name expression, `.after(...)` steps, nodes accounted for) for a volume in `add_pvolumes`."""
        after: list[Step] = []
        node = volume
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "after"
            and not any(a.star or a.keyword for a in node.args)
        ):
            after.append(method("after", ", ".join(text(src, a.value) for a in node.args)))
            node = node.func.value
        if isinstance(node, cst.Attribute) and node.attr.value == "volume" and isinstance(node.value, cst.Name):
            made = assigned_call(module, node.value.value, func)
            if made is not None and module.qualified(made.func) in _VOLUME_OP | {_CREATE_PVC}:
                return f"{node.value.value}.outputs[{string(src, 'name')}]", after, [node]
            return f"`{text(src, node)}` is not the volume of a `VolumeOp` assigned in this function"
        call = node
        if isinstance(node, cst.Name):
            assigned = assigned_call(module, node.value, func)
            call = assigned if assigned is not None else node
        if isinstance(call, cst.Call) and module.qualified(call.func) in _PIPELINE_VOLUME:
            args = bind(call.args, ("pvc", "volume", "name"))
            if args is not None and "pvc" in args and "volume" not in args:
                return text(src, args["pvc"].value), after, [call.func]
        return f"`{text(src, volume)}` is not a `VolumeOp`'s `.volume` or a `PipelineVolume(pvc=...)`"

    # `task.apply(onprem.mount_pvc(...))` -> `kubernetes.mount_pvc(task, ...)`
    def _mount_pvc(self, src: PythonSource, module: KfpModule, handled: set[cst.CSTNode]) -> Iterator[Located]:
        for link in modifier_calls(module, {"apply"}):
            bound = bind(link.args, ("mod_func",))
            modifier = bound.get("mod_func") if bound else None
            if modifier is None or not isinstance(modifier.value, cst.Call):
                continue
            if module.qualified(modifier.value.func) != _MOUNT_PVC:
                continue
            handled.add(modifier.value.func)
            args = bind(modifier.value.args, ("pvc_name", "volume_name", "volume_mount_path"))
            imports = Imports(module)
            kube = kubernetes(imports)
            if args is None or kube is None:
                yield self._none(src, link.name, "`onprem.mount_pvc` is gone in kfp 2: its arguments cannot be read")
                continue
            pvc = text(src, args["pvc_name"].value) if "pvc_name" in args else string(src, "pipeline-claim")
            path = (
                text(src, args["volume_mount_path"].value)
                if "volume_mount_path" in args
                else string(src, "/mnt/pipeline")
            )
            steps = [function(f"{kube}.mount_pvc", f"pvc_name={pvc}, mount_path={path}")]
            fix = self.fix(*rewrite(src, link, steps), *imports.edits(), title="Use `kubernetes.mount_pvc(task, ...)`")
            problem = "`onprem.mount_pvc` is gone in kfp 2 and tasks have no `apply`"
            yield self.at(src, link.name, fix, problem=problem, title="")

    # What is left: `VOLUME_MODE_*` constants, other uses of `.volume`/`PipelineVolume`, imports.
    def _leftovers(self, src: PythonSource, module: KfpModule, handled: set[cst.CSTNode]) -> Iterator[Located]:
        targets = frozenset({*_VOLUME_OP, *_PIPELINE_VOLUME, *_MODES})
        uses = references(module, targets)
        volume_ops = {n for n, q in uses if q in _VOLUME_OP}
        for node, qualified in uses:
            if node in handled or _inside(src, node, handled):
                continue
            if qualified in _MODES:
                fix = self.fix(Edit(*src.span(node), f"[{string(src, _MODES[qualified])}]"), title="Use the list")
                short = qualified.rpartition(".")[2]
                yield self.at(src, node, fix, problem=f"`{short}` is gone in kfp 2", title="")
            elif node not in volume_ops:
                short = qualified.rpartition(".")[2]
                unused = self._unused_volume(src, node)
                if unused is not None:
                    fix = self.fix(unused, title="Remove the unused volume")
                    yield self.at(src, node, fix, problem=f"`{short}` is gone in kfp 2; this one is not used", title="")
                    continue
                problem = (
                    f"`{short}` is gone in kfp 2: mount the claim with "
                    "`kubernetes.mount_pvc(task, pvc_name=..., mount_path=...)`"
                )
                yield self._none(src, node, problem)
        yield from self._volume_attributes(src, module, handled)
        for binding in module.imports:
            if binding.qualified not in targets:
                continue
            if any(q == binding.qualified for _, q in uses):
                continue  # reported where it is used; the import goes with the last use
            edit = remove_alias(src, binding.statement, binding.alias)
            removal = self.fix(edit, title="Remove the import") if edit is not None else None
            short = binding.qualified.rpartition(".")[2]
            yield self.at(src, binding.alias, removal, problem=f"`{short}` does not exist in kfp 2", title="")

    def _volume_attributes(self, src: PythonSource, module: KfpModule, handled: set[cst.CSTNode]) -> Iterator[Located]:
        """`vop.volume` outside `add_pvolumes`, and `task.pvolume(s)`: no kfp 2 object stands for a volume."""
        finder = _VolumeAttributes()
        src.walk(src.module, finder)
        for node in finder.found:
            if node in handled or not isinstance(node.value, cst.Name):
                continue
            func = _enclosing(src, node)
            made = assigned_call(module, node.value.value, func)
            if node.attr.value == "volume":
                if made is None or module.qualified(made.func) not in _VOLUME_OP | {_CREATE_PVC}:
                    continue
                hint = f"pvc_name={node.value.value}.outputs['name']"
            elif made is None or not _is_pipeline_code(module, func):
                continue
            else:
                hint = "pvc_name=<the claim it mounted>, and `.after(...)` that task"
            problem = (
                f"`{text(src, node)}` has no kfp 2 equivalent: mount the claim with "
                f"`kubernetes.mount_pvc(task, {hint}, mount_path=...)`"
            )
            yield self._none(src, node, problem)

    def _unused_volume(self, src: PythonSource, node: cst.CSTNode) -> Edit | None:
        """Deleting `name = dsl.PipelineVolume(...)` when nothing in its function reads `name` (any more:
        `add_pvolumes` became `mount_pvc` with the claim's name)."""
        call = src.parents.get(node)
        assign = src.parents.get(call) if isinstance(call, cst.Call) else None
        line = src.parents.get(assign) if isinstance(assign, cst.Assign) else None
        if not (isinstance(assign, cst.Assign) and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            return None
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return None
        name = assign.targets[0].target.value
        scope = _enclosing(src, node) or src.module
        reads = _Reads(name)
        src.walk(scope, reads)
        block = src.parents.get(line)
        if reads.count > 1 or not isinstance(block, cst.IndentedBlock | cst.Module) or len(block.body) < 2:
            return None
        start, end = src.span(line)
        return Edit(src.line_start(start), src.next_line_start(end), "")

    def _none(self, src: PythonSource, node: cst.CSTNode, problem: str) -> Located:
        return self.at(src, node, None, problem=problem, title="")


class _Reads(cst.CSTVisitor):
    """How often `name` appears as a name (the assignment's target counts once)."""

    def __init__(self, name: str) -> None:
        self.name, self.count = name, 0

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.count += 1


class _VolumeAttributes(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.Attribute] = []

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in ("volume", "pvolume", "pvolumes"):
            self.found.append(node)


def _is_pipeline_code(module: KfpModule, func: cst.FunctionDef | None) -> bool:
    from rules.pipeline_dsl._modifiers import is_task

    return func is not None and is_task(module, cst.Name("_"), func)


def _enclosing(src: PythonSource, node: cst.CSTNode) -> cst.FunctionDef | None:
    parent = src.parents.get(node)
    while parent is not None and not isinstance(parent, cst.FunctionDef):
        parent = src.parents.get(parent)
    return parent


def _inside(src: PythonSource, node: cst.CSTNode, handled: set[cst.CSTNode]) -> bool:
    """`node` sits in a call whose callee was handled (a `VOLUME_MODE_*` inside a rewritten `VolumeOp`)."""
    parent = src.parents.get(node)
    while parent is not None:
        if isinstance(parent, cst.Call) and parent.func in handled:
            return True
        parent = src.parents.get(parent)
    return False
