"""KFP311, KFP313, KFP321: v1 compiler options: `PipelineConf`, execution modes and packages, type checking."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from migrate.model import Edit, Example, FixSafety, Located, PythonRule, Severity
from migrate.python_source import PythonSource
from migrate.python_tree import descendants
from rules._python import KfpModule, kfp_module, literal_value
from rules.pipeline_dsl.removed import delete_arg, references, remove_alias

_COMPILERS = frozenset({"kfp.compiler.Compiler", "kfp.compiler.compiler.Compiler"})
# kfp 1 `Compiler.compile(pipeline_func, package_path, type_check=True, pipeline_conf=None)` (SOURCE K1).
_V1_COMPILE = ("pipeline_func", "package_path", "type_check", "pipeline_conf")
_V2_COMPILE = ("pipeline_func", "package_path", "pipeline_name", "pipeline_display_name", "pipeline_parameters")


def _compile_calls(module: KfpModule) -> Iterator[tuple[cst.Call, dict[str, cst.Arg]]]:
    """`Compiler(...).compile(...)` calls, directly or through a name the compiler was assigned to, with
    each argument under its kfp 1 name."""
    # Three rules ask, of every module: most have no `.compile(...)` call, and need no compiler names.
    compiles = [
        (call, call.func)
        for call, _ in module.calls
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "compile"
    ]
    if not compiles:
        return
    compiler_names: set[str] = set()
    for call, _ in module.calls:
        if module.qualified(call.func) in _COMPILERS:
            compiler_names.update(module.assignments.get(call, ()))
    for call, target in compiles:
        receiver = target.value
        is_compiler = (isinstance(receiver, cst.Call) and module.qualified(receiver.func) in _COMPILERS) or (
            isinstance(receiver, cst.Name) and receiver.value in compiler_names
        )
        if not is_compiler or any(a.star for a in call.args):
            continue
        named: dict[str, cst.Arg] = {}
        given = [a for a in call.args if a.keyword is None]
        # kfp 1's third positional was `type_check`, a bool; kfp 2's is `pipeline_name`, a str.
        v1 = len(given) < 3 or isinstance(literal_value(given[2].value), bool)
        positional = iter(_V1_COMPILE if v1 else _V2_COMPILE)
        for arg in call.args:
            name = arg.keyword.value if arg.keyword is not None else next(positional, "")
            named[name] = arg
        yield call, named


_CONF_SETTINGS = {
    "set_image_pull_secrets": "`kubernetes.set_image_pull_secrets(task, ['<secret name>'])` on each task",
    "set_ttl_seconds_after_finished": (
        "`@dsl.pipeline(pipeline_config=dsl.PipelineConfig(ttl_seconds_after_finished=...))`"
    ),
    "set_timeout": "`@dsl.pipeline(pipeline_config=dsl.PipelineConfig(active_deadline_seconds=...))`",
    "set_image_pull_policy": "`kubernetes.set_image_pull_policy(task, ...)` on each task",
    "set_default_pod_node_selector": "`kubernetes.add_node_selector(task, label_key=..., label_value=...)` on each task",
    "set_parallelism": "no pipeline-wide limit (`dsl.ParallelFor(..., parallelism=n)` limits one loop)",
    "add_op_transformer": "apply what the transformer did to each task",
    "set_dns_config": "no kfp 2 equivalent",
    "set_pod_disruption_budget": "no kfp 2 equivalent",
    "data_passing_method": "no kfp 2 equivalent",
}
_CONF_APIS = frozenset({"kfp.dsl.get_pipeline_conf", "kfp.dsl.PipelineConf", "kfp.dsl._pipeline.PipelineConf"})


class PipelineConf(PythonRule):
    code = "KFP311"
    name = "pipeline-conf"
    summary = (
        "Checks for kfp 1 pipeline-level settings: `dsl.get_pipeline_conf()`, `dsl.PipelineConf`, `pipeline_conf=`."
    )
    message = "`{api}` is gone in kfp 2; {instead}"
    fix_title = None
    rationale = (
        "kfp 1 set workflow-wide options through `dsl.get_pipeline_conf()` inside the pipeline or a "
        "`PipelineConf` passed to `compile(..., pipeline_conf=)`. kfp 2 has neither: `AttributeError: module "
        "'kfp.dsl' has no attribute 'get_pipeline_conf'` (or `'PipelineConf'`) and `TypeError: "
        "Compiler.compile() got an unexpected keyword argument 'pipeline_conf'`; a fourth positional "
        "argument to `compile` becomes `pipeline_display_name`. Some settings have kfp 2 forms, verified to "
        "compile: `set_ttl_seconds_after_finished` and `set_timeout` (Argo `ttlStrategy.secondsAfterCompletion` "
        "and `activeDeadlineSeconds` in kfp 1, SOURCE K1 `compiler.py`) map to `dsl.PipelineConfig("
        "ttl_seconds_after_finished=, active_deadline_seconds=)` given to `@dsl.pipeline(pipeline_config=)`; "
        "image pull secrets, pull policy and the default node selector become per-task kfp-kubernetes calls. "
        "kfp 1 applied them to every pod of the run, including tasks made in helper functions and nested "
        "pipelines, which a static rewrite cannot be sure to find, so no fix is offered. Parallelism, DNS "
        "config, pod disruption budgets and op transformers have no kfp 2 equivalent."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = (
        "The settings apply to every task of the run; moving them onto tasks or the pipeline decorator needs "
        "someone who knows which tasks the pipeline makes."
    )
    valid = (
        "from kfp import dsl, kubernetes\n\n@dsl.pipeline(name='p')\ndef p():\n"
        "    kubernetes.set_image_pull_secrets(train(), ['regcred'])\n",
    )
    invalid = (
        Example(
            "from kfp import dsl\n\n@dsl.pipeline(name='p')\ndef p():\n    train()\n"
            "    dsl.get_pipeline_conf().set_ttl_seconds_after_finished(3600)\n"
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        for binding in module.imports:
            if binding.qualified in _CONF_APIS:
                yield self.at(
                    src, binding.alias, None, api=binding.qualified, instead="importing it is an `ImportError`"
                )
        for node, _ in references(module, _CONF_APIS):
            settings = _chained_settings(src, node) or _settings_on_name(module, src, node)
            if settings:
                instead = "; ".join(f"`{s}`: {_CONF_SETTINGS[s]}" for s in settings)
            else:
                instead = "per setting: " + "; ".join(
                    f"`{s}`: {_CONF_SETTINGS[s]}"
                    for s in ("set_image_pull_secrets", "set_ttl_seconds_after_finished", "set_timeout")
                )
                instead += "; others have no kfp 2 equivalent"
            yield self.at(src, node, None, api=_text(src, node), instead=instead)
        for _call, named in _compile_calls(module):
            conf = named.get("pipeline_conf")
            if conf is not None:
                yield self.at(
                    src,
                    conf,
                    None,
                    api="compile(..., pipeline_conf=...)",
                    instead="move each setting as listed where the `PipelineConf` is built",
                )
        for call, _ in module.calls:
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "create_run_from_pipeline_func":
                for arg in call.args:
                    if arg.keyword is not None and arg.keyword.value == "pipeline_conf":
                        yield self.at(
                            src,
                            arg,
                            None,
                            api="create_run_from_pipeline_func(..., pipeline_conf=...)",
                            instead="move each setting as listed where the `PipelineConf` is built",
                        )


def _chained_settings(src: PythonSource, node: cst.CSTNode) -> list[str]:
    """`set_ttl_seconds_after_finished`, ... called on `get_pipeline_conf()` or `PipelineConf()` in one chain."""
    found: list[str] = []
    current: cst.CSTNode = node
    parent = src.parents.get(current)
    if not (isinstance(parent, cst.Call) and parent.func is current):
        return found
    current = parent
    while True:
        attribute = src.parents.get(current)
        if not isinstance(attribute, cst.Attribute) or attribute.value is not current:
            break
        call = src.parents.get(attribute)
        if attribute.attr.value in _CONF_SETTINGS:
            found.append(attribute.attr.value)
        if not isinstance(call, cst.Call) or call.func is not attribute:
            break
        current = call
    return found


def _settings_on_name(module: KfpModule, src: PythonSource, node: cst.CSTNode) -> list[str]:
    """Settings called on the name `conf = dsl.PipelineConf()` or `conf = dsl.get_pipeline_conf()` binds."""
    call = src.parents.get(node)
    if not isinstance(call, cst.Call) or call.func is not node:
        return []
    names = set(module.assignments.get(call, ()))
    found: list[str] = []
    for other, _ in module.calls:
        target = other.func
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value in names
            and target.attr.value in _CONF_SETTINGS
        ):
            found.append(target.attr.value)
    return list(dict.fromkeys(found))


def _text(src: PythonSource, node: cst.CSTNode) -> str:
    return src.text[slice(*src.span(node))]


_MODES = frozenset({"kfp.dsl.PipelineExecutionMode", "kfp.dsl._pipeline.PipelineExecutionMode"})
_ARCHIVE = re.compile(r"(\.tar\.gz|\.tgz|\.zip|\.tar)$")


class ExecutionMode(PythonRule):
    code = "KFP313"
    name = "compiler-mode-and-package"
    summary = (
        "Checks for kfp 1 compiler modes (`Compiler(mode=...)`, `PipelineExecutionMode`) and `.tar.gz`/`.zip` packages."
    )
    message = "{problem}"
    fix_title = "Use `Compiler()` and a `.yaml` package"
    rationale = (
        "kfp 1 compiled to an Argo workflow in one of three `PipelineExecutionMode`s and wrote it as YAML, or "
        "as a `.tar.gz`/`.zip` archive. kfp 2 compiles only to its pipeline spec: `Compiler(mode=...)` raises "
        "`TypeError: Compiler() takes no arguments`, `dsl.PipelineExecutionMode` is an `AttributeError`, "
        "and `compile(p, 'p.tar.gz')` raises `ValueError: The output path p.tar.gz should end with \".yaml\".` "
        "(`.json` still works, with a `DeprecationWarning`). The fix drops the compiler arguments "
        "(`mode`, `launcher_image`), the import of `PipelineExecutionMode` once nothing uses it, and turns "
        "the archive extension into `.yaml`."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Unsafe when the package path is a variable or its file name appears elsewhere in the module: code "
        "that uploads or reads the package must use the new name (and a kfp 2 backend). Other uses of "
        "`PipelineExecutionMode` are left to a human."
    )
    valid = ("from kfp import compiler\n\ncompiler.Compiler().compile(pipeline, 'pipeline.yaml')\n",)
    invalid = (
        Example(
            "import kfp\nfrom kfp import compiler\n\n"
            "compiler.Compiler(mode=kfp.dsl.PipelineExecutionMode.V2_COMPATIBLE).compile(pipeline, 'p.tar.gz')\n",
            fixed="import kfp\nfrom kfp import compiler\n\ncompiler.Compiler().compile(pipeline, 'p.yaml')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        inside_compiler: set[cst.CSTNode] = set()
        for call, _ in module.calls:
            if module.qualified(call.func) in _COMPILERS and call.args:
                inside_compiler |= set(descendants(call))
                start, end = src.span(call.args[0])[0], src.span(call.args[-1])[1]
                fix = self.fix(Edit(start, end, ""), title="Remove the arguments: `Compiler()`")
                yield self.at(src, call, fix, problem="kfp 2's `Compiler()` takes no arguments (`TypeError`)")
        used = [(node, q) for node, q in references(module, _MODES)]
        outside = [node for node, _ in used if node not in inside_compiler]
        for node in outside:
            yield self.at(
                src,
                node,
                None,
                problem=f"`{_text(src, node)}` is gone in kfp 2: it compiles only to its pipeline spec",
            )
        for binding in module.imports:
            if binding.qualified not in _MODES:
                continue
            edit = remove_alias(src, binding.statement, binding.alias) if not used else None
            removal = self.fix(edit, title="Remove the import") if edit else None
            yield self.at(
                src, binding.alias, removal, problem="`PipelineExecutionMode` is gone in kfp 2 (`ImportError`)"
            )
        for _call, named in _compile_calls(module):
            path = named.get("package_path")
            if path is None:
                continue
            yield from self._package(src, module, path.value)

    def _package(self, src: PythonSource, module: KfpModule, path: cst.BaseExpression) -> Iterator[Located]:
        literal, guessed = _path_literal(module, path)
        if literal is None:
            return
        text = _text(src, literal)
        value = literal_value(literal)
        found = _ARCHIVE.search(str(value)) if isinstance(value, str) else None
        if found is None:
            return
        quote_end = len(text) - len(text.rstrip("'\""))
        end = src.span(literal)[1] - quote_end
        start = end - len(found.group(1))
        if text[: len(text) - quote_end].endswith(found.group(1)):
            elsewhere = src.text.count(str(value)) > 1
            safety = FixSafety.UNSAFE if guessed or elsewhere else FixSafety.SAFE
            fix = self.fix(
                Edit(start, end, ".yaml"), safety=safety, title=f"Write `.yaml` instead of `{found.group(1)}`"
            )
        else:
            fix = None
        yield self.at(
            src,
            path,
            fix,
            problem=f"kfp 2 writes only `.yaml` (or `.json`) packages, not `{found.group(1)}` (`ValueError`)",
        )


def _path_literal(module: KfpModule, path: cst.BaseExpression) -> tuple[cst.BaseExpression | None, bool]:
    """The string literal that ends the package path (`'p.tar.gz'`, `__file__ + '.tar.gz'`), and whether it was
    found through a variable assigned once."""
    tail = _tail(path)
    if tail is not None:
        return tail, False
    if isinstance(path, cst.Name):
        values = _assigned(module).get(path.value, [])
        if len(values) == 1:
            return _tail(values[0]), True
    return None, False


def _tail(expr: cst.BaseExpression) -> cst.SimpleString | None:
    if isinstance(expr, cst.SimpleString):
        return expr
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _tail(expr.right)
    if isinstance(expr, cst.ConcatenatedString):
        return _tail(expr.right) if isinstance(expr.right, cst.SimpleString) else None
    return None


def _assigned(module: KfpModule) -> dict[str, list[cst.BaseExpression]]:
    key = "pipeline_dsl.assigned"
    found = module.src.cache.get(key)
    if isinstance(found, dict):
        return found
    collector = _Assigned()
    module.src.walk(module.src.module, collector)
    module.src.cache[key] = collector.values
    return collector.values


class _Assigned(cst.CSTVisitor):
    def __init__(self) -> None:
        self.values: dict[str, list[cst.BaseExpression]] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.values.setdefault(target.target.value, []).append(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.values.setdefault(node.target.value, []).append(node.value)


class TypeCheckOff(PythonRule):
    code = "KFP321"
    name = "type-check-disabled"
    summary = "Checks for `type_check=False` and `kfp.TYPE_CHECK = False`, which kfp 2 ignores for task arguments."
    message = "{problem}"
    fix_title = "Remove the `type_check` argument"
    rationale = (
        "kfp 1 skipped the type check of task arguments with `compile(..., type_check=False)`, "
        "`kfp.TYPE_CHECK = False` or `dsl-compile --disable-type-check`. kfp 2 checks every argument when the "
        "task is created, while `@dsl.pipeline` runs, and nothing reads these switches any more "
        "(../shared/docs/kfp-semantics.md §3.2, probe P22): they silence nothing, and the type errors have to "
        "be fixed (KFP315-KFP319 find them). kfp 1's third positional `compile` argument was `type_check`; "
        "kfp 2's is `pipeline_name`, so `compile(p, 'p.yaml', False)` raises `TypeError: bad argument type "
        "for built-in operation`. The fix removes the argument, which has no effect in kfp 2."
    )
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "`kfp.TYPE_CHECK = False` is only reported; a third positional argument followed by a fourth "
        "(`pipeline_conf`, KFP311) is left as it is."
    )
    valid = ("from kfp import compiler\n\ncompiler.Compiler().compile(pipeline, 'pipeline.yaml')\n",)
    invalid = (
        Example(
            "from kfp import compiler\n\ncompiler.Compiler().compile(pipeline, 'pipeline.yaml', type_check=False)\n",
            fixed="from kfp import compiler\n\ncompiler.Compiler().compile(pipeline, 'pipeline.yaml')\n",
        ),
    )

    def check(self, src: PythonSource) -> Iterator[Located]:
        module = kfp_module(src)
        if not module.is_kfp():
            return
        for call, named in _compile_calls(module):
            arg = named.get("type_check")
            positional = arg is not None and arg.keyword is None
            if arg is None or (literal_value(arg.value) is True and not positional):
                continue
            if positional:
                problem = (  # a bool here is kfp 1's `type_check` (see `_compile_calls`)
                    "kfp 2 reads the third `compile` argument as `pipeline_name`, not `type_check` (`TypeError`); "
                    "type checking cannot be turned off in kfp 2 anyway"
                )
            else:
                problem = "`type_check=False` has no effect in kfp 2: task arguments are always type-checked"
            fix = None if positional and "pipeline_conf" in named else self.fix(delete_arg(src, call, arg))
            yield self.at(src, arg, fix, severity=Severity.ERROR if positional else None, problem=problem)
        finder = _TypeCheckAssignments(module)
        src.walk(src.module, finder)
        for assign in finder.found:
            problem = "`kfp.TYPE_CHECK = False` has no effect in kfp 2: task arguments are always type-checked"
            yield self.at(src, assign, None, problem=problem)


class _TypeCheckAssignments(cst.CSTVisitor):
    def __init__(self, module: KfpModule) -> None:
        self.module = module
        self.found: list[cst.Assign] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        is_switch = any(self.module.qualified(t.target) == "kfp.TYPE_CHECK" for t in node.targets)
        if is_switch and literal_value(node.value) is not True:
            self.found.append(node)
