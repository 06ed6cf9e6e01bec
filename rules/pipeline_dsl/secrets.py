"""KFP304, KFP305: environment variables and credentials of v1 tasks, as kfp 2 and kfp-kubernetes set them."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from rules._python import NOT_LITERAL, ImportBinding, KfpModule, kfp_module
from rules.pipeline_dsl._modifiers import (
    Modifier,
    Step,
    bind,
    function,
    is_class_call,
    kubernetes,
    literal,
    method,
    modifier_calls,
    rewrite,
    string,
    text,
)
from rules.pipeline_dsl.removed import references, remove_alias
from rules.py_components._edits import Imports, code, used_names

_KUBERNETES_NOTE = "`from kfp import kubernetes` cannot be added: the name `kubernetes` is taken in this module"


class _Mapped:
    """What a v1 modifier becomes: the steps, whether that is exact, and why not."""

    def __init__(self, steps: list[Step], safety: FixSafety = FixSafety.SAFE, note: str = "") -> None:
        self.steps, self.safety, self.note = steps, safety, note


def _kwarg_text(src: PythonSource, arg: cst.Arg | None) -> str | None:
    return None if arg is None else text(src, arg.value)


# --- KFP304 -------------------------------------------------------------------------------------------------


def _env_var(src: PythonSource, module: KfpModule, kube: str, env: cst.BaseExpression) -> _Mapped | str:
    """The kfp 2 form of `add_env_variable(<env>)`, or why there is none."""
    if not is_class_call(module, env, "V1EnvVar"):
        return "its argument is not a `V1EnvVar(...)` written here"
    assert isinstance(env, cst.Call)
    fields = bind(env.args, ("name", "value", "value_from"))
    if fields is None or "name" not in fields:
        return "the `V1EnvVar` has no plain `name=`"
    name = text(src, fields["name"].value)
    source = fields.get("value_from")
    if source is None:
        value = fields.get("value")
        if value is None:
            return _Mapped([method("set_env_variable", f"name={name}, value={string(src, '')}")])
        literal_value = literal(value.value)
        if isinstance(literal_value, str):
            return _Mapped([method("set_env_variable", f"name={name}, value={text(src, value.value)}")])
        if literal_value is not NOT_LITERAL and literal_value is not None:
            return _Mapped(
                [method("set_env_variable", f"name={name}, value={string(src, str(literal_value))}")],
                FixSafety.UNSAFE,
                "kfp 2 needs a string value",
            )
        return _Mapped(
            [method("set_env_variable", f"name={name}, value={text(src, value.value)}")],
            FixSafety.UNSAFE,
            "kfp 2 takes only a Python string here, not a pipeline parameter or task output",
        )
    return _env_source(src, module, kube, name, source.value)


def _env_source(
    src: PythonSource, module: KfpModule, kube: str, name: str, source: cst.BaseExpression
) -> _Mapped | str:
    if not is_class_call(module, source, "V1EnvVarSource"):
        return "its `value_from` is not a `V1EnvVarSource(...)` written here"
    assert isinstance(source, cst.Call)
    refs = bind(source.args, ("config_map_key_ref", "field_ref", "resource_field_ref", "secret_key_ref"))
    if refs is None or len(refs) != 1:
        return "its `value_from` is not one reference"
    ((kind, ref),) = refs.items()
    if kind in ("secret_key_ref", "config_map_key_ref"):
        selector = "V1SecretKeySelector" if kind == "secret_key_ref" else "V1ConfigMapKeySelector"
        if not is_class_call(module, ref.value, selector):
            return f"its `{kind}` is not a `{selector}(...)` written here"
        assert isinstance(ref.value, cst.Call)
        parts = bind(ref.value.args, ("key", "name", "optional"))
        if parts is None or "key" not in parts or "name" not in parts:
            return f"the `{selector}` has no `key=` and `name=`"
        key, store = text(src, parts["key"].value), text(src, parts["name"].value)
        optional = f", optional={text(src, parts['optional'].value)}" if "optional" in parts else ""
        if kind == "secret_key_ref":
            args = f"secret_name={store}, secret_key_to_env={{{key}: {name}}}{optional}"
            return _Mapped([function(f"{kube}.use_secret_as_env", args)])
        args = f"config_map_name={store}, config_map_key_to_env={{{key}: {name}}}{optional}"
        return _Mapped([function(f"{kube}.use_config_map_as_env", args)])
    if kind == "field_ref" and is_class_call(module, ref.value, "V1ObjectFieldSelector"):
        assert isinstance(ref.value, cst.Call)
        parts = bind(ref.value.args, ("api_version", "field_path"))
        if parts is not None and "field_path" in parts:
            field = text(src, parts["field_path"].value)
            return _Mapped([function(f"{kube}.use_field_path_as_env", f"env_name={name}, field_path={field}")])
    return f"kfp-kubernetes has no equivalent of its `{kind}`"


class AddEnvVariable(PythonRule):
    code = "KFP304"
    name = "add-env-variable"
    summary = "Checks for `task.add_env_variable(V1EnvVar(...))`, which kfp 2 tasks do not have."
    message = "kfp 2 tasks have no `add_env_variable`{note}"
    fix_title = "Use `{replacement}`"
    rationale = (
        "kfp 1 tasks (and their `container`) took a kubernetes `V1EnvVar`. kfp 2 tasks have no such method: "
        "`AttributeError: 'PipelineTask' object has no attribute 'add_env_variable'` (and `task.container`: "
        "`AttributeError: 'PipelineTask' object has no attribute 'container'`) when the pipeline is built. "
        "A plain value becomes `task.set_env_variable(name=..., value=...)`; a value from a Secret, a "
        "ConfigMap or a pod field becomes kfp-kubernetes' `use_secret_as_env`, `use_config_map_as_env` or "
        "`use_field_path_as_env`, which take the task first and return it, so chains keep working "
        "(../shared/docs/kfp-semantics.md §5). Resource-field references have no kfp 2 equivalent."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when the value is not a string literal: kfp 2's `set_env_variable` takes only a Python "
        "string (a pipeline parameter raises `TypeError: bad argument type for built-in operation`), and a "
        "number becomes its string. No fix when the argument is not a `V1EnvVar(...)` written at the call."
    )
    valid = (
        "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train().set_env_variable(name='MODE', value='fast')\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\nfrom kubernetes.client.models import V1EnvVar\n\n@dsl.pipeline(name='p')\n"
            "def p():\n    train().add_env_variable(V1EnvVar(name='MODE', value='fast'))\n",
            fixed="from kfp import dsl\nfrom kubernetes.client.models import V1EnvVar\n\n@dsl.pipeline(name='p')\n"
            "def p():\n    train().set_env_variable(name='MODE', value='fast')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        for link in modifier_calls(module, {"add_env_variable"}, {"add_env_variable"}):
            bound = bind(link.args, ("env_variable",))
            if bound is None or "env_variable" not in bound:
                continue
            imports = Imports(module)
            kube = kubernetes(imports)
            mapped = _env_var(src, module, kube or "kubernetes", bound["env_variable"].value)
            yield from _report(self, src, link, imports, kube, mapped)


def _report(
    rule: PythonRule, src: PythonSource, link: Modifier, imports: Imports, kube: str | None, mapped: _Mapped | str
) -> Iterator[Located]:
    if isinstance(mapped, str):
        yield rule.at(src, link.name, None, note=f": {mapped}; set it by hand", replacement="")
        return
    uses_kube = any(s.function is not None for s in mapped.steps)
    if uses_kube and kube is None:
        yield rule.at(src, link.name, None, note=f"; {_KUBERNETES_NOTE}", replacement="")
        return
    replacement = " + ".join(s.method or (s.function or "") for s in mapped.steps) or "nothing"
    edits = rewrite(src, link, mapped.steps) + (imports.edits() if uses_kube else [])
    fix = rule.fix(*edits, safety=mapped.safety, replacement=replacement)
    note = f"; {mapped.note}" if mapped.note else ""
    yield rule.at(src, link.name, fix, note=note, replacement=replacement)


# --- KFP305 -------------------------------------------------------------------------------------------------

_V1_PLATFORM_MODULES = ("kfp.gcp", "kfp.aws", "kfp.azure", "kfp.onprem")
# kfp 1 signatures (SOURCE K1 `kfp/gcp.py`, `aws.py`, `azure.py`, `onprem.py`).
_SIGNATURES = {
    "kfp.gcp.use_gcp_secret": (
        "secret_name",
        "secret_file_path_in_volume",
        "volume_name",
        "secret_volume_mount_path",
    ),
    "kfp.aws.use_aws_secret": ("secret_name", "aws_access_key_id_name", "aws_secret_access_key_name", "aws_region"),
    "kfp.onprem.use_k8s_secret": ("secret_name", "k8s_secret_key_to_env"),
    "kfp.azure.use_azure_secret": ("secret_name",),
    "kfp.gcp.use_tpu": ("tpu_cores", "tpu_resource", "tf_version"),
    "kfp.gcp.use_preemptible_nodepool": ("toleration", "hard_constraint"),
    "kfp.gcp.add_gpu_toleration": ("toleration",),
}
_AZURE_KEYS = ("AZ_SUBSCRIPTION_ID", "AZ_TENANT_ID", "AZ_CLIENT_ID", "AZ_CLIENT_SECRET")
# Handled by KFP302 (volumes).
_ELSEWHERE = frozenset({"kfp.onprem.mount_pvc"})


def platform_function(module: KfpModule, call: cst.BaseExpression) -> str | None:
    """`kfp.gcp.use_gcp_secret` for `gcp.use_gcp_secret(...)`, when the call is one of kfp 1's platform
    modifiers."""
    if not isinstance(call, cst.Call):
        return None
    qualified = module.qualified(call.func) or ""
    return qualified if qualified.rpartition(".")[0] in _V1_PLATFORM_MODULES else None


def _string(src: PythonSource, arg: cst.Arg | None, default: str) -> tuple[str, object]:
    """(expression text, literal value) of an argument or its default."""
    if arg is None:
        return string(src, default), default
    return text(src, arg.value), literal(arg.value)


def _toleration(src: PythonSource, module: KfpModule, arg: cst.Arg | None, default: dict[str, str]) -> str | None:
    """`key=..., operator=..., value=..., effect=...` for `kubernetes.add_toleration` from a `V1Toleration`."""
    if arg is None:
        return ", ".join(f"{k}={string(src, v)}" for k, v in default.items())
    if not is_class_call(module, arg.value, "V1Toleration"):
        return None
    assert isinstance(arg.value, cst.Call)
    parts = bind(arg.value.args, ("effect", "key", "operator", "toleration_seconds", "value"))
    if parts is None:
        return None
    order = ("key", "operator", "value", "effect", "toleration_seconds")
    return ", ".join(f"{k}={text(src, parts[k].value)}" for k in order if k in parts)


def _platform(src: PythonSource, module: KfpModule, kube: str, qualified: str, call: cst.Call) -> _Mapped | str:
    params = _SIGNATURES.get(qualified)
    if params is None:
        return "kfp 2 has no equivalent"
    args = bind(call.args, params)
    if args is None:
        return "its arguments cannot be read"
    if qualified == "kfp.gcp.use_gcp_secret":
        return _gcp_secret(src, kube, args)
    if qualified == "kfp.aws.use_aws_secret":
        secret, _ = _string(src, args.get("secret_name"), "aws-secret")
        key_id, key_id_value = _string(src, args.get("aws_access_key_id_name"), "AWS_ACCESS_KEY_ID")
        key, key_value = _string(src, args.get("aws_secret_access_key_name"), "AWS_SECRET_ACCESS_KEY")
        if key_id_value == key_value and key_id_value is not NOT_LITERAL:
            return "both variables come from the same key, which `secret_key_to_env` cannot say"
        mapping = f"{{{key_id}: {string(src, 'AWS_ACCESS_KEY_ID')}, {key}: {string(src, 'AWS_SECRET_ACCESS_KEY')}}}"
        steps = [function(f"{kube}.use_secret_as_env", f"secret_name={secret}, secret_key_to_env={mapping}")]
        region = args.get("aws_region")
        region_value = literal(region.value) if region else None
        safety, note = FixSafety.SAFE, ""
        if region is not None and region_value is not None:
            if region_value is NOT_LITERAL:
                safety, note = FixSafety.UNSAFE, "kfp 1 set `AWS_REGION` only when the region was not empty"
            if region_value or region_value is NOT_LITERAL:
                steps.append(
                    method("set_env_variable", f"name={string(src, 'AWS_REGION')}, value={text(src, region.value)}")
                )
        if key_id_value is NOT_LITERAL or key_value is NOT_LITERAL:
            safety, note = FixSafety.UNSAFE, "a key name that is not a literal must differ from the other"
        return _Mapped(steps, safety, note)
    if qualified == "kfp.onprem.use_k8s_secret":
        secret, _ = _string(src, args.get("secret_name"), "k8s-secret")
        mapping_arg = args.get("k8s_secret_key_to_env")
        if mapping_arg is None or literal(mapping_arg.value) in (None, {}):
            return "it sets no variable (no `k8s_secret_key_to_env`): delete it"
        mapping = text(src, mapping_arg.value)
        return _Mapped([function(f"{kube}.use_secret_as_env", f"secret_name={secret}, secret_key_to_env={mapping}")])
    if qualified == "kfp.azure.use_azure_secret":
        secret, _ = _string(src, args.get("secret_name"), "azcreds")
        mapping = "{" + ", ".join(f"{string(src, k)}: {string(src, k)}" for k in _AZURE_KEYS) + "}"
        return _Mapped([function(f"{kube}.use_secret_as_env", f"secret_name={secret}, secret_key_to_env={mapping}")])
    if qualified == "kfp.gcp.use_tpu":
        if not all(p in args for p in ("tpu_cores", "tpu_resource", "tf_version")):
            return "it lacks an argument kfp 1 required"
        resource = text(src, args["tpu_resource"].value)
        resource_value = literal(args["tpu_resource"].value)
        accelerator = (
            string(src, f"cloud-tpus.google.com/{resource_value}")
            if isinstance(resource_value, str)
            else f"{string(src, 'cloud-tpus.google.com/')} + {resource}"
        )
        version = text(src, args["tf_version"].value)
        steps = [
            function(
                f"{kube}.add_pod_annotation",
                f"annotation_key={string(src, 'tf-version.cloud-tpus.google.com')}, annotation_value={version}",
            ),
            method("set_accelerator_type", accelerator),
            method("set_accelerator_limit", text(src, args["tpu_cores"].value)),
        ]
        return _Mapped(
            steps,
            FixSafety.UNSAFE,
            "kfp 2 turns accelerator type and limit into the resource limit kfp 1 set only on the KFP backend",
        )
    if qualified == "kfp.gcp.use_preemptible_nodepool":
        toleration = _toleration(
            src,
            module,
            args.get("toleration"),
            {"key": "preemptible", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        )
        if toleration is None:
            return "its `toleration` is not a `V1Toleration(...)` written here"
        hard = args.get("hard_constraint")
        hard_value = literal(hard.value) if hard else False
        if hard_value is NOT_LITERAL:
            return "`hard_constraint` is not a literal"
        q = functools.partial(string, src)
        expression = (
            f"[{{{q('key')}: {q('cloud.google.com/gke-preemptible')}, {q('operator')}: {q('In')}, "
            f"{q('values')}: [{q('true')}]}}]"
        )
        affinity = f"match_expressions={expression}" + ("" if hard_value else ", weight=50")
        return _Mapped(
            [
                function(f"{kube}.add_toleration", toleration),
                function(f"{kube}.add_node_affinity", affinity),
            ]
        )
    # kfp.gcp.add_gpu_toleration
    toleration = _toleration(
        src,
        module,
        args.get("toleration"),
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
    )
    if toleration is None:
        return "its `toleration` is not a `V1Toleration(...)` written here"
    return _Mapped([function(f"{kube}.add_toleration", toleration)])


def _gcp_secret(src: PythonSource, kube: str, args: dict[str, cst.Arg]) -> _Mapped:
    secret, secret_value = _string(src, args.get("secret_name"), "user-gcp-sa")
    mount, mount_value = _string(src, args.get("secret_volume_mount_path"), "/secret/gcp-credentials")
    file_arg = args.get("secret_file_path_in_volume")
    file_value = literal(file_arg.value) if file_arg is not None else None
    safety = FixSafety.SAFE
    if file_value is None:  # kfp 1: '/' + secret_name + '.json'
        if isinstance(secret_value, str) and isinstance(mount_value, str):
            path = string(src, f"{mount_value}/{secret_value}.json")
        else:
            path = f"{mount} + {string(src, '/')} + {secret} + {string(src, '.json')}"
            safety = FixSafety.UNSAFE
    elif isinstance(file_value, str) and isinstance(mount_value, str):
        path = string(src, mount_value + file_value)
    else:
        path = f"{mount} + {text(src, file_arg.value) if file_arg else ''}"
        safety = FixSafety.UNSAFE
    steps = [
        function(f"{kube}.use_secret_as_volume", f"secret_name={secret}, mount_path={mount}"),
        method("set_env_variable", f"name={string(src, 'GOOGLE_APPLICATION_CREDENTIALS')}, value={path}"),
        method("set_env_variable", f"name={string(src, 'CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE')}, value={path}"),
    ]
    note = "" if safety is FixSafety.SAFE else "the credentials path is built from expressions kfp 2 needs as strings"
    return _Mapped(steps, safety, note)


class PlatformModifier(PythonRule):
    code = "KFP305"
    name = "kfp-platform-modifier"
    summary = (
        "Checks for kfp 1's `kfp.gcp`, `kfp.aws`, `kfp.azure` and `kfp.onprem` modifiers "
        "(`task.apply(gcp.use_gcp_secret(...))`, `use_aws_secret`, `use_k8s_secret`, ...) and their imports."
    )
    message = "{problem}"
    fix_title = "{title}"
    rationale = (
        "kfp 2 has no `kfp.gcp`, `kfp.aws`, `kfp.azure` or `kfp.onprem`: `import kfp.gcp` raises "
        "`ModuleNotFoundError: No module named 'kfp.gcp'` and `from kfp import gcp` `ImportError: cannot import "
        "name 'gcp' from 'kfp'`; and tasks have no `apply`: `AttributeError: 'PipelineTask' object has no "
        "attribute 'apply'`. Each modifier becomes the kfp-kubernetes calls that do what kfp 1's did (SOURCE "
        "K1 `kfp/gcp.py`, `aws.py`, `azure.py`, `onprem.py`; ../shared/docs/kfp-semantics.md §5): "
        "`use_gcp_secret(s)` mounted the secret at `/secret/gcp-credentials` and pointed "
        "`GOOGLE_APPLICATION_CREDENTIALS` and `CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE` at `<mount>/<s>.json` "
        "(`kubernetes.use_secret_as_volume` + `set_env_variable`); `use_aws_secret`, `use_azure_secret` and "
        "`use_k8s_secret` set variables from secret keys (`kubernetes.use_secret_as_env`, plus `AWS_REGION` "
        "when given); `use_preemptible_nodepool` added a toleration and a node affinity "
        "(`kubernetes.add_toleration`, `kubernetes.add_node_affinity`, weight 50 unless `hard_constraint`); "
        "`add_gpu_toleration` a toleration. The import goes once nothing uses it. Modifiers given to "
        "`PipelineConf.add_op_transformer` applied to every task: kfp 2 has no pipeline-wide equivalent."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe for `use_tpu` (kfp 2 expresses the TPU as accelerator type and limit), and when a secret name, "
        "path or key is not a literal (kfp 2 needs plain strings there). No fix for `add_default_resource_spec`, "
        "for modifiers given to `add_op_transformer`, or for an import still in use."
    )
    valid = (
        "from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    kubernetes.use_secret_as_env(train(), secret_name='aws-secret', secret_key_to_env={'k': 'K'})\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\nfrom kfp import gcp\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    train().apply(gcp.use_gcp_secret('user-gcp-sa'))\n",
            fixed="from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
            "    kubernetes.use_secret_as_volume(train(), secret_name='user-gcp-sa', "
            "mount_path='/secret/gcp-credentials').set_env_variable(name='GOOGLE_APPLICATION_CREDENTIALS', "
            "value='/secret/gcp-credentials/user-gcp-sa.json').set_env_variable("
            "name='CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', value='/secret/gcp-credentials/user-gcp-sa.json')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        handled: set[cst.CSTNode] = set()
        for link in modifier_calls(module, {"apply"}):
            bound = bind(link.args, ("mod_func",))
            if bound is None or "mod_func" not in bound:
                continue
            modifier = bound["mod_func"].value
            qualified = platform_function(module, modifier)
            if qualified is None:
                continue
            assert isinstance(modifier, cst.Call)
            handled.add(modifier.func)
            if qualified in _ELSEWHERE:
                continue
            imports = Imports(module)
            kube = kubernetes(imports)
            mapped = _platform(src, module, kube or "kubernetes", qualified, modifier)
            shown = qualified.removeprefix("kfp.")
            if isinstance(mapped, str):
                problem = f"`{shown}` is gone in kfp 2 and tasks have no `apply`: {mapped}"
                yield self.at(src, link.name, None, problem=problem, title="")
                continue
            if kube is None:
                problem = f"`{shown}` is gone in kfp 2 and tasks have no `apply`; {_KUBERNETES_NOTE}"
                yield self.at(src, link.name, None, problem=problem, title="")
                continue
            calls = " + ".join(s.method or (s.function or "") for s in mapped.steps)
            note = f" ({mapped.note})" if mapped.note else ""
            problem = f"`{shown}` is gone in kfp 2 and tasks have no `apply`{note}"
            edits = rewrite(src, link, mapped.steps) + imports.edits()
            fix = self.fix(*edits, safety=mapped.safety, title=f"Use `{calls}`")
            yield self.at(src, link.name, fix, problem=problem, title="")
        yield from self._imports(src, module, handled)

    def _imports(self, src: PythonSource, module: KfpModule, handled: set[cst.CSTNode]) -> Iterator[Located]:
        bindings = [(b, full) for b in module.imports if (full := _platform_name(b)) is not None]
        if not bindings:
            return
        uses = references(module, frozenset(full for _, full in bindings))
        for node, qualified in uses:
            outer = src.parents.get(node)
            if node in handled or (isinstance(outer, cst.Attribute) and outer in handled):
                continue
            shown = qualified.removeprefix("kfp.")
            problem = (
                f"`{shown}` is gone in kfp 2; where it is not given to `task.apply`, no fix: apply the "
                "kfp-kubernetes equivalent to each task by hand"
            )
            yield self.at(src, node, None, problem=problem, title="")
        for binding, full in bindings:
            used = sum(1 for node, qualified in uses if _names_binding(node, binding, qualified, full))
            if used:
                problem = f"`{full}` does not exist in kfp 2; the import goes once its {used} use(s) here are migrated"
                yield self.at(src, binding.alias, None, problem=problem, title="")
                continue
            edit = _drop_import(src, module, binding)
            fix = self.fix(edit, title="Remove the import") if edit is not None else None
            yield self.at(src, binding.alias, fix, problem=f"`{full}` does not exist in kfp 2", title="")


def _platform_name(binding: ImportBinding) -> str | None:
    """`kfp.gcp` (or `kfp.gcp.use_gcp_secret`) when the import binds one of kfp 1's platform modules."""
    full = binding.qualified
    if isinstance(binding.statement, cst.Import) and binding.alias.asname is None:
        full = code(binding.alias.name)  # `import kfp.gcp` binds `kfp`
    return full if any(full == m or full.startswith(m + ".") for m in _V1_PLATFORM_MODULES) else None


def _names_binding(node: cst.Name | cst.Attribute, binding: ImportBinding, qualified: str, full: str) -> bool:
    root: cst.BaseExpression = node
    while isinstance(root, cst.Attribute):
        root = root.value
    return isinstance(root, cst.Name) and root.value == binding.local and (qualified + ".").startswith(full + ".")


def _drop_import(src: PythonSource, module: KfpModule, binding: ImportBinding) -> Edit | None:
    """Remove the import; `import kfp.gcp` also binds `kfp`, so it becomes `import kfp` when nothing else
    imports `kfp` and the module uses it."""
    if isinstance(binding.statement, cst.Import) and binding.alias.asname is None:
        others = [b for b in module.imports if b.local == "kfp" and b is not binding and b.top_level]
        if not others and _uses_name(src, "kfp"):
            start, end = src.span(binding.alias.name)
            return Edit(start, end, "kfp")
    return remove_alias(src, binding.statement, binding.alias)


def _uses_name(src: PythonSource, name: str) -> bool:
    return name in used_names(src)
