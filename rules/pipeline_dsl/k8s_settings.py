"""KFP307, KFP310: Kubernetes settings of v1 tasks (node selectors, tolerations, affinity, pod metadata, timeout,
pull policy, volumes, `apply`) as kfp-kubernetes calls."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import NOT_LITERAL, KfpModule, kfp_module
from rules.pipeline_dsl._modifiers import (
    Modifier,
    Step,
    bind,
    drop,
    function,
    is_class_call,
    kubernetes,
    literal,
    method,
    modifier_calls,
    returned_functions,
    returns_its_task,
    rewrite,
    string,
    text,
)
from rules.pipeline_dsl.secrets import platform_function
from rules.py_components._edits import Imports

_TAKEN = "the name `kubernetes` is taken in this module, so `from kfp import kubernetes` cannot be added"


class _Plan:
    """A link's replacement: steps (None: drop the link), safety, a note; or `extra` edits (a paired link)."""

    def __init__(
        self,
        steps: list[Step] | None,
        safety: FixSafety = FixSafety.SAFE,
        note: str = "",
        extra: tuple[Edit, ...] = (),
        kube: bool | None = None,
    ) -> None:
        self.steps, self.safety, self.note, self.extra = steps, safety, note, extra
        self.kube = kube  # whether it calls kfp-kubernetes (None: when a step's function does)


def _strings(src: PythonSource, *nodes: cst.BaseExpression) -> bool:
    return all(isinstance(literal(n), str) for n in nodes)


# --- KFP307 -------------------------------------------------------------------------------------------------


class NodeSelectorConstraint(PythonRule):
    code = "KFP307"
    name = "add-node-selector-constraint"
    summary = "Checks for kfp 1's `task.add_node_selector_constraint(label, value)`."
    message = "{problem}"
    fix_title = "{title}"
    rationale = (
        "kfp 1's `add_node_selector_constraint(label_name, value)` added `label_name: value` to the pod's "
        "`nodeSelector` (SOURCE K1 `dsl/_container_op.py:BaseOp`). kfp 2's method of that name takes one "
        "argument, the accelerator type, and is deprecated: the two-argument call raises `TypeError: "
        "PipelineTask.add_node_selector_constraint() takes 2 positional arguments but 3 were given`. "
        "`kubernetes.add_node_selector(task, label_key=, label_value=)` is the same node selector, also for "
        "`cloud.google.com/gke-accelerator`: `set_accelerator_type(value)` would instead replace the "
        "accelerator type that `set_gpu_limit`'s migration sets (`nvidia.com/gpu`, KFP306), and the KFP "
        "backend would then request the resource `nvidia-tesla-k80` (verified: the compiled `resourceType`). "
        "The one-argument form is kfp 2 code already and becomes `set_accelerator_type`, which kfp 2 calls it."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when the label or value is not a string literal: kfp-kubernetes takes Python strings only (a "
        "pipeline parameter or task output there fails when the pipeline is built). No fix for task outputs."
    )
    valid = (
        "from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    kubernetes.add_node_selector(train(), label_key='pool', label_value='highmem')\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    train().add_node_selector_constraint('cloud.google.com/gke-accelerator', 'nvidia-tesla-t4')\n",
            fixed="from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    kubernetes.add_node_selector(train(), label_key='cloud.google.com/gke-accelerator', "
            "label_value='nvidia-tesla-t4')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for link in modifier_calls(module, {"add_node_selector_constraint"}):
            args = bind(link.args, ("label_name", "value"))
            if args is None or "label_name" not in args:
                continue
            if "value" not in args:  # kfp 2's own one-argument form
                steps = [method("set_accelerator_type", text(src, args["label_name"].value))]
                fix = self.fix(*rewrite(src, link, steps), title="Use `set_accelerator_type(...)`")
                problem = "`add_node_selector_constraint` is deprecated in kfp 2"
                yield self.at(src, link.name, fix, severity=Severity.INFO, problem=problem, title="")
                continue
            label, value = args["label_name"].value, args["value"].value
            problem = "kfp 2's `add_node_selector_constraint` takes only an accelerator type"
            if _runtime_value(label) or _runtime_value(value):
                problem += "; kfp-kubernetes takes no task output as a node selector: set it by hand"
                yield self.at(src, link.name, None, problem=problem, title="")
                continue
            imports = Imports(module)
            kube = kubernetes(imports)
            if kube is None:
                yield self.at(src, link.name, None, problem=f"{problem}; {_TAKEN}", title="")
                continue
            args_text = f"label_key={text(src, label)}, label_value={text(src, value)}"
            steps = [function(f"{kube}.add_node_selector", args_text)]
            safety = FixSafety.SAFE if _strings(src, label, value) else FixSafety.UNSAFE
            edits = rewrite(src, link, steps) + imports.edits()
            fix = self.fix(*edits, safety=safety, title="Use `kubernetes.add_node_selector(task, ...)`")
            yield self.at(src, link.name, fix, problem=problem, title="")


def _runtime_value(node: cst.BaseExpression) -> bool:
    """A task output (`t.output`, `t.outputs['x']`): known only when the pipeline runs."""
    if isinstance(node, cst.Attribute) and node.attr.value == "output":
        return True
    return (
        isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) and node.value.attr.value == "outputs"
    )


# --- KFP310 -------------------------------------------------------------------------------------------------

_METHODS = frozenset(
    {
        "set_timeout",
        "add_toleration",
        "add_affinity",
        "add_pod_label",
        "add_pod_annotation",
        "set_image_pull_policy",
        "add_volume",
        "add_volume_mount",
        "apply",
    }
)
_ON_CONTAINER = frozenset({"set_image_pull_policy", "add_volume_mount"})
_PULL_POLICIES = frozenset({"Always", "Never", "IfNotPresent"})


class KubernetesSetting(PythonRule):
    code = "KFP310"
    name = "v1-task-kubernetes-setting"
    summary = (
        "Checks for kfp 1 task methods that kfp-kubernetes replaces: `set_timeout`, `add_toleration`, "
        "`add_affinity`, `add_pod_label`, `add_pod_annotation`, `container.set_image_pull_policy`, "
        "`add_volume`/`add_volume_mount`, and `apply(f)`."
    )
    message = "kfp 2 tasks have no `{method}`{note}"
    fix_title = "{title}"
    rationale = (
        "kfp 2 tasks lack kfp 1's Kubernetes methods: `AttributeError: 'PipelineTask' object has no attribute "
        "'set_timeout'` (likewise `add_toleration`, `add_affinity`, `add_pod_label`, `add_pod_annotation`, "
        "`add_volume`, `add_volume_mount`, `apply`, and `container`). kfp-kubernetes functions take the task "
        "first and return it (../shared/docs/kfp-semantics.md §5): `kubernetes.set_timeout(task, seconds=)`, "
        "`add_toleration(task, key=, operator=, value=, effect=, toleration_seconds=)` from the `V1Toleration`, "
        "`add_node_affinity(task, match_expressions=[...], weight=)` from a node affinity (required terms "
        "without weight, preferred ones with theirs), `add_pod_label(task, label_key=, label_value=)`, "
        "`add_pod_annotation(task, annotation_key=, annotation_value=)`, `set_image_pull_policy(task, policy)`. "
        "A `V1Volume` and its `V1VolumeMount` on the same task become one `use_secret_as_volume`, "
        "`use_config_map_as_volume`, `mount_pvc` or `empty_dir_mount`. kfp 1's `task.apply(f)` returned "
        "`f(task) or task` (SOURCE K1 `dsl/_container_op.py:BaseOp.apply`); `f(task)` is the same where the "
        "result is not used, or where `f` returns its task on every path."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when a value is not a literal (kfp-kubernetes takes Python values, not pipeline parameters), "
        "and for `apply(f)` whose result is used when `f` is not seen to return its task. No fix for pod "
        "affinity, volumes other than secret, config map, PVC and empty dir, or a volume without exactly one "
        "mount on the same task."
    )
    valid = (
        "from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    kubernetes.set_timeout(train(), seconds=600)\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    train().set_timeout(600).add_pod_label('team', 'ml')\n",
            fixed="from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    kubernetes.add_pod_label(kubernetes.set_timeout(train(), seconds=600), label_key='team', "
            "label_value='ml')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        links = list(modifier_calls(module, _METHODS, _ON_CONTAINER))
        for link in links:
            imports = Imports(module)
            kube = kubernetes(imports)
            plan = self._plan(src, module, link, links, kube or "kubernetes")
            shown = f"container.{link.method}" if link.via_container else link.method
            if plan is None:
                continue
            if isinstance(plan, str):
                yield self.at(src, link.name, None, method=shown, note=f": {plan}", title="")
                continue
            spelled = f"{kube or 'kubernetes'}."
            uses_kube = (
                plan.kube
                if plan.kube is not None
                else any((s.function or "").startswith(spelled) for s in plan.steps or [])
            )
            if uses_kube and kube is None:
                yield self.at(src, link.name, None, method=shown, note=f"; {_TAKEN}", title="")
                continue
            edits = (rewrite(src, link, plan.steps) if plan.steps is not None else drop(src, link)) + list(plan.extra)
            if uses_kube:
                edits += imports.edits()
            calls = " + ".join(s.method or s.function or "" for s in plan.steps or []) or "nothing"
            fix = self.fix(*edits, safety=plan.safety, title=f"Use `{calls}`")
            note = f" ({plan.note})" if plan.note else ""
            yield self.at(src, link.name, fix, method=shown, note=note, title="")

    def _plan(
        self, src: PythonSource, module: KfpModule, link: Modifier, links: list[Modifier], kube: str
    ) -> _Plan | str | None:
        args = link.args
        if link.method == "set_timeout":
            bound = bind(args, ("seconds",))
            if not bound or "seconds" not in bound:
                return "its argument cannot be read"
            seconds = bound["seconds"].value
            safe = isinstance(literal(seconds), int)
            return _Plan(
                [function(f"{kube}.set_timeout", f"seconds={text(src, seconds)}")],
                FixSafety.SAFE if safe else FixSafety.UNSAFE,
                "" if safe else "kfp-kubernetes needs an `int` here, not a pipeline parameter",
            )
        if link.method in ("add_pod_label", "add_pod_annotation"):
            bound = bind(args, ("name", "value"))
            if not bound or len(bound) != 2:
                return "its arguments cannot be read"
            key, value = bound["name"].value, bound["value"].value
            kind = "label" if link.method == "add_pod_label" else "annotation"
            safe = _strings(src, key, value)
            return _Plan(
                [function(f"{kube}.{link.method}", f"{kind}_key={text(src, key)}, {kind}_value={text(src, value)}")],
                FixSafety.SAFE if safe else FixSafety.UNSAFE,
                "" if safe else "kfp-kubernetes needs Python strings here",
            )
        if link.method == "set_image_pull_policy":
            bound = bind(args, ("image_pull_policy",))
            if not bound or "image_pull_policy" not in bound:
                return "its argument cannot be read"
            policy = bound["image_pull_policy"].value
            safe = literal(policy) in _PULL_POLICIES
            return _Plan(
                [function(f"{kube}.set_image_pull_policy", text(src, policy))],
                FixSafety.SAFE if safe else FixSafety.UNSAFE,
                "" if safe else "kfp-kubernetes accepts only `Always`, `Never` or `IfNotPresent`",
            )
        if link.method == "add_toleration":
            bound = bind(args, ("tolerations",))
            fields = _toleration(src, module, bound["tolerations"].value) if bound and "tolerations" in bound else None
            if fields is None:
                return "its argument is not a `V1Toleration(...)` written here"
            return _Plan([function(f"{kube}.add_toleration", fields)])
        if link.method == "add_affinity":
            bound = bind(args, ("affinity",))
            if not bound or "affinity" not in bound:
                return "its argument cannot be read"
            return _affinity(src, module, kube, bound["affinity"].value)
        if link.method in ("add_volume", "add_volume_mount"):
            return _volume(src, module, kube, link, links)
        if link.method == "apply":
            return _apply(src, module, link)
        return None


def _toleration(src: PythonSource, module: KfpModule, node: cst.BaseExpression) -> str | None:
    if not is_class_call(module, node, "V1Toleration"):
        return None
    assert isinstance(node, cst.Call)
    parts = bind(node.args, ("effect", "key", "operator", "toleration_seconds", "value"))
    if parts is None:
        return None
    order = ("key", "operator", "value", "effect", "toleration_seconds")
    return ", ".join(f"{k}={text(src, parts[k].value)}" for k in order if k in parts)


def _fields(
    module: KfpModule, node: cst.BaseExpression, cls: str, params: tuple[str, ...]
) -> dict[str, cst.Arg] | None:
    """The keyword arguments of a `cls(...)` call of the kubernetes client, by name."""
    if not is_class_call(module, node, cls):
        return None
    assert isinstance(node, cst.Call)
    return bind(node.args, params)


def _elements(node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    if not isinstance(node, cst.List | cst.Tuple):
        return None
    if any(not isinstance(e, cst.Element) for e in node.elements):
        return None
    return [e.value for e in node.elements]


def _selector_term(src: PythonSource, module: KfpModule, node: cst.BaseExpression) -> str | None:
    """`match_expressions=[{...}]` (and `match_fields=`) for a `V1NodeSelectorTerm`."""
    term = _fields(module, node, "V1NodeSelectorTerm", ("match_expressions", "match_fields"))
    if not term:
        return None
    parts = []
    for kind in ("match_expressions", "match_fields"):
        if kind not in term:
            continue
        items = _elements(term[kind].value)
        if items is None:
            return None
        dicts = []
        for item in items:
            requirement = _fields(module, item, "V1NodeSelectorRequirement", ("key", "operator", "values"))
            if requirement is None or "key" not in requirement or "operator" not in requirement:
                return None
            entries = [
                f"{string(src, k)}: {text(src, requirement[k].value)}"
                for k in ("key", "operator", "values")
                if k in requirement
            ]
            dicts.append("{" + ", ".join(entries) + "}")
        parts.append(f"{kind}=[{', '.join(dicts)}]")
    return ", ".join(parts)


def _affinity(src: PythonSource, module: KfpModule, kube: str, node: cst.BaseExpression) -> _Plan | str:
    none = "kfp-kubernetes has only node affinity, from `V1NodeSelectorRequirement`s written here: set it by hand"
    affinity = _fields(module, node, "V1Affinity", ("node_affinity", "pod_affinity", "pod_anti_affinity"))
    if affinity is None or set(affinity) != {"node_affinity"}:
        return none
    node_affinity = _fields(
        module,
        affinity["node_affinity"].value,
        "V1NodeAffinity",
        (
            "preferred_during_scheduling_ignored_during_execution",
            "required_during_scheduling_ignored_during_execution",
        ),
    )
    if not node_affinity:
        return none
    steps: list[Step] = []
    required = node_affinity.get("required_during_scheduling_ignored_during_execution")
    if required is not None:
        selector = _fields(module, required.value, "V1NodeSelector", ("node_selector_terms",))
        terms = (
            _elements(selector["node_selector_terms"].value) if selector and "node_selector_terms" in selector else None
        )
        if terms is None or len(terms) != 1:
            return none  # several required terms are ORed in Kubernetes; kfp-kubernetes' calls do not say so
        term = _selector_term(src, module, terms[0])
        if term is None:
            return none
        steps.append(function(f"{kube}.add_node_affinity", term))
    preferred = node_affinity.get("preferred_during_scheduling_ignored_during_execution")
    if preferred is not None:
        items = _elements(preferred.value)
        if items is None:
            return none
        for item in items:
            scheduling = _fields(module, item, "V1PreferredSchedulingTerm", ("preference", "weight"))
            if not scheduling or set(scheduling) != {"preference", "weight"}:
                return none
            term = _selector_term(src, module, scheduling["preference"].value)
            if term is None:
                return none
            steps.append(
                function(f"{kube}.add_node_affinity", f"{term}, weight={text(src, scheduling['weight'].value)}")
            )
    return _Plan(steps)


# kfp 1 `V1Volume` sources kfp-kubernetes can mount: (field, class, its parameters).
_VOLUME_SOURCES = {
    "secret": ("V1SecretVolumeSource", ("default_mode", "items", "optional", "secret_name")),
    "config_map": ("V1ConfigMapVolumeSource", ("default_mode", "items", "name", "optional")),
    "persistent_volume_claim": ("V1PersistentVolumeClaimVolumeSource", ("claim_name", "read_only")),
    "empty_dir": ("V1EmptyDirVolumeSource", ("medium", "size_limit")),
}


def _volume(src: PythonSource, module: KfpModule, kube: str, link: Modifier, links: list[Modifier]) -> _Plan | str:
    """`add_volume(V1Volume(...))` with the one `add_volume_mount` of it on the same task, as one call."""
    if link.method == "add_volume_mount":
        mount = _mount(module, link)
        if mount is None:
            return "its argument is not a `V1VolumeMount(name=..., mount_path=...)` written here"
        name = _key(src, mount["name"].value)
        volumes = [
            v
            for v in links
            if v.method == "add_volume" and _same_task(src, v, link) and _volume_name(src, module, v) == name
        ]
        if len(volumes) != 1:
            return "no `add_volume` of that volume on the same task"
        plan = _volume(src, module, kube, volumes[0], links)
        if isinstance(plan, str):
            return plan
        return _paired(src, volumes[0], plan)
    bound = bind(link.args, ("volume",))
    volume = _fields(module, bound["volume"].value, "V1Volume", tuple(("name", *_VOLUME_SOURCES))) if bound else None
    if volume is None or "name" not in volume or len(volume) != 2:
        return "kfp-kubernetes mounts only a secret, config map, PVC or empty dir `V1Volume(...)` written here"
    (kind,) = set(volume) - {"name"}
    cls, params = _VOLUME_SOURCES[kind]
    source = _fields(module, volume[kind].value, cls, params)
    name = _key(src, volume["name"].value)
    if source is None:
        return f"its `{kind}` is not a `{cls}(...)` written here"
    mounts = [m for m in links if m.method == "add_volume_mount" and _same_task(src, m, link)]
    mounts = [m for m in mounts if (f := _mount(module, m)) is not None and _key(src, f["name"].value) == name]
    if len(mounts) != 1:
        return "kfp-kubernetes mounts a volume where it adds it: it needs exactly one `add_volume_mount` of it on this task"
    mount = _mount(module, mounts[0])
    assert mount is not None
    path = text(src, mount["mount_path"].value)
    if set(mount) - {"name", "mount_path", "sub_path"} or ("sub_path" in mount and kind != "persistent_volume_claim"):
        return "kfp-kubernetes has no equivalent of its mount options"
    if kind == "secret":
        if set(source) - {"secret_name", "optional"} or "secret_name" not in source:
            return "kfp-kubernetes mounts a whole secret, without `items` or `default_mode`"
        optional = f", optional={text(src, source['optional'].value)}" if "optional" in source else ""
        step = function(
            f"{kube}.use_secret_as_volume",
            f"secret_name={text(src, source['secret_name'].value)}, mount_path={path}{optional}",
        )
    elif kind == "config_map":
        if set(source) - {"name", "optional"} or "name" not in source:
            return "kfp-kubernetes mounts a whole config map, without `items` or `default_mode`"
        optional = f", optional={text(src, source['optional'].value)}" if "optional" in source else ""
        step = function(
            f"{kube}.use_config_map_as_volume",
            f"config_map_name={text(src, source['name'].value)}, mount_path={path}{optional}",
        )
    elif kind == "persistent_volume_claim":
        if set(source) != {"claim_name"}:
            return "kfp-kubernetes has no read-only PVC mount"
        sub_path = f", sub_path={text(src, mount['sub_path'].value)}" if "sub_path" in mount else ""
        step = function(
            f"{kube}.mount_pvc", f"pvc_name={text(src, source['claim_name'].value)}, mount_path={path}{sub_path}"
        )
    else:
        options = "".join(f", {k}={text(src, source[k].value)}" for k in ("medium", "size_limit") if k in source)
        step = function(
            f"{kube}.empty_dir_mount", f"volume_name={text(src, volume['name'].value)}, mount_path={path}{options}"
        )
    return _Plan([step], extra=tuple(drop(src, mounts[0])))


def _paired(src: PythonSource, volume: Modifier, plan: _Plan) -> _Plan:
    """The mount's finding carries the volume's fix (the mount's own link is dropped by the caller)."""
    return _Plan(None, plan.safety, plan.note, tuple(rewrite(src, volume, plan.steps or [])), kube=True)


def _mount(module: KfpModule, link: Modifier) -> dict[str, cst.Arg] | None:
    bound = bind(link.args, ("volume_mount",))
    if not bound or "volume_mount" not in bound:
        return None
    fields = _fields(
        module,
        bound["volume_mount"].value,
        "V1VolumeMount",
        ("mount_path", "mount_propagation", "name", "read_only", "sub_path", "sub_path_expr"),
    )
    if fields is None or "name" not in fields or "mount_path" not in fields:
        return None
    return fields


def _volume_name(src: PythonSource, module: KfpModule, link: Modifier) -> object:
    bound = bind(link.args, ("volume",))
    volume = _fields(module, bound["volume"].value, "V1Volume", ("name", *_VOLUME_SOURCES)) if bound else None
    return _key(src, volume["name"].value) if volume and "name" in volume else NOT_LITERAL


def _key(src: PythonSource, node: cst.BaseExpression) -> object:
    """What identifies a volume name: its value when literal, else its text (the same variable)."""
    value = literal(node)
    return value if value is not NOT_LITERAL else ("expression", text(src, node))


def _same_task(src: PythonSource, a: Modifier, b: Modifier) -> bool:
    """Both links act on the same task: the same variable in one function, or one chain."""
    if a.func is not b.func:
        return False
    root_a, root_b = _base(a.task), _base(b.task)
    if isinstance(root_a, cst.Name) and isinstance(root_b, cst.Name):
        return root_a.value == root_b.value
    return root_a is root_b


def _base(node: cst.BaseExpression) -> cst.BaseExpression:
    while True:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            node = node.func.value
        elif isinstance(node, cst.Attribute) and node.attr.value == "container":
            node = node.value
        else:
            return node


def _apply(src: PythonSource, module: KfpModule, link: Modifier) -> _Plan | str | None:
    bound = bind(link.args, ("mod_func",))
    if not bound or "mod_func" not in bound:
        return None
    modifier = bound["mod_func"].value
    if platform_function(module, modifier) is not None:
        return None  # KFP305 / KFP302
    spelled = text(src, modifier)
    if not isinstance(modifier, cst.Name | cst.Attribute | cst.Call | cst.Subscript):
        spelled = f"({spelled})"
    step = Step("", function=spelled)
    if link.value_unused(src):
        return _Plan([step], kube=False)
    functions: list[cst.FunctionDef] = []
    if isinstance(modifier, cst.Name) and modifier.value in module.functions:
        functions = [module.functions[modifier.value]]
    elif (
        isinstance(modifier, cst.Call)
        and isinstance(modifier.func, cst.Name)
        and modifier.func.value in module.functions
    ):
        functions = returned_functions(module.functions[modifier.func.value])
    if functions and all(returns_its_task(f) for f in functions):
        return _Plan([step], kube=False)
    return _Plan(
        [step],
        FixSafety.UNSAFE,
        "kfp 1 used the task itself when the function returned nothing; check that it returns its task",
        kube=False,
    )
