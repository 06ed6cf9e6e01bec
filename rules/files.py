"""KFP0xx: files that cannot be read or parsed. The engine reports these; nothing is written for them."""

from __future__ import annotations

from migrate.model import Example, FileRule, FixSafety, Severity

_NOTHING_WRITTEN = "The file is reported and left untouched; the other files are still processed."


class UnreadableFile(FileRule):
    code = "KFP001"
    name = "unreadable-file"
    summary = "Checks for component files that are not UTF-8 text (binary data or another encoding)."
    message = "{detail}"
    rationale = (
        "kfp reads component files as UTF-8 text. A file with NUL bytes or bytes that are not UTF-8 "
        "cannot be loaded by kfp 1 or kfp 2, and kfp-migrate will not guess its encoding. " + _NOTHING_WRITTEN
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Re-encode the file as UTF-8 by hand."
    valid = ("name: t\nimplementation: {container: {image: alpine}}\n",)
    invalid = (Example("name: caf\udce9\nimplementation: {container: {image: alpine}}\n"),)


class YamlSyntaxError(FileRule):
    code = "KFP002"
    name = "yaml-syntax-error"
    summary = "Checks for component files that are not valid YAML."
    message = "{detail}"
    rationale = (
        "kfp loads components with PyYAML's `safe_load`; a syntax error fails `load_component_from_file` "
        "in kfp 1 and kfp 2. Files that do not look like components (no top-level `implementation:`) are "
        "skipped quietly when a directory is walked, so Helm templates and the like are not reported. "
        + _NOTHING_WRITTEN
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Only a human knows what the broken text meant."
    valid = ("name: t\nimplementation: {container: {image: alpine}}\n",)
    invalid = (Example("name: t\nimplementation: {container: {image: alpine}\n"),)


class UnsafeYamlTag(FileRule):
    code = "KFP003"
    name = "unsafe-yaml-tag"
    summary = "Checks for YAML tags that `yaml.safe_load` refuses, such as `!!python/object`."
    message = "{detail}"
    rationale = (
        "kfp loads component files with `yaml.safe_load`, which raises on any tag outside the YAML core "
        "schema. kfp-migrate never builds a Python object from a tag and never runs user code. " + _NOTHING_WRITTEN
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "The tagged value must be rewritten as plain YAML by hand."
    valid = ("name: t\nimplementation: {container: {image: alpine}}\n",)
    invalid = (Example("name: !!python/object:os.system t\nimplementation: {container: {image: alpine}}\n"),)


class YamlAliasBomb(FileRule):
    code = "KFP004"
    name = "yaml-alias-bomb"
    summary = "Checks for YAML documents whose aliases expand to an enormous tree (a billion-laughs bomb)."
    message = "{detail}"
    rationale = (
        "A few lines of anchors and aliases can expand to billions of nodes. kfp-migrate measures the "
        "expanded size without expanding it and refuses such documents. " + _NOTHING_WRITTEN
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Write the repeated values out, or use fewer nested aliases."
    valid = ("name: t\nimplementation: {container: {image: alpine}}\n",)
    invalid = (
        Example(
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            "implementation: {container: {image: alpine}}\n"
        ),
    )


class FileTooLarge(FileRule):
    code = "KFP005"
    name = "file-too-large"
    summary = "Checks for component files too large to be a component (over 10 MiB)."
    message = "{detail}"
    rationale = (
        "Real component specs are kilobytes. A huge file is almost always data with a component-like "
        "name; kfp-migrate does not parse it, to keep runs fast and memory bounded. " + _NOTHING_WRITTEN
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Exclude the file, or split it."
    valid = ("name: t\nimplementation: {container: {image: alpine}}\n",)
    invalid = ()


class SymlinkNotWritten(FileRule):
    code = "KFP006"
    name = "symlink-not-written"
    summary = "Checks for fixes that would have to write through a symbolic link."
    message = "{detail}"
    rationale = (
        "Writing through a symlink changes a file somewhere else, possibly outside the repository, and "
        "replacing the link with a file breaks it. kfp-migrate checks symlinked files but never rewrites "
        "them: fix the target where it lives."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Run `fix` on the link's target."
    valid = ("name: t\nimplementation: {container: {image: alpine}}\n",)
    invalid = ()


class FixFailed(FileRule):
    code = "KFP007"
    name = "fix-not-applied"
    summary = "Checks for fixes that kfp-migrate refused to write because the result did not re-parse or converge."
    message = "{detail}"
    rationale = (
        "Every fixed file is re-parsed and re-checked before it is written. If the result is not valid "
        "YAML, or the fixes do not settle within 10 passes, nothing is written for that file. This is a "
        "bug in kfp-migrate: please report it with the file."
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Nothing was written; fix the other findings by hand."
    valid = ("name: t\nimplementation: {container: {image: alpine}}\n",)
    invalid = ()


class PythonSyntaxError(FileRule):
    code = "KFP008"
    name = "python-syntax-error"
    summary = "Checks for Python files that use kfp but do not parse."
    message = "{detail}"
    rationale = (
        "kfp-migrate parses Python with LibCST (the grammar of Python 3.0 to 3.13) and never imports it. "
        "A module that does not parse cannot be checked or rewritten. Files that do not import kfp are "
        "skipped quietly when a directory is walked. " + _NOTHING_WRITTEN
    )
    severity = Severity.ERROR
    fix_safety = FixSafety.NONE
    fix_safety_note = "Only a human knows what the broken text meant."
    language = "python"
    valid = ("from kfp import dsl\n",)
    invalid = ()


class UnusedSuppression(FileRule):
    code = "KFP009"
    name = "unused-suppression"
    summary = "Checks for `# noqa`/`# kfp-migrate: ignore[...]` codes that suppress nothing, or name no rule."
    message = "{detail}"
    rationale = (
        "A suppression comment outlives the finding it silenced: once the code is migrated it hides nothing "
        "and later hides a new finding of the same rule on that line. Off by default, as ruff's RUF100: "
        "enable it with `--extend-select KFP009`. Only codes of rules that ran are judged, so a narrow "
        "`--select` reports nothing for the rules left out; bare `# noqa` and other tools' codes (`E501`) "
        "are never reported."
    )
    fix_title = "Remove the unused suppression"
    severity = Severity.INFO
    fix_safety = FixSafety.SAFE
    fix_safety_note = (
        "Removes the code from the list, or the whole comment when it was the only code and nothing follows "
        "it; a comment that goes on after the directive is left for a human."
    )
    default_enabled = False
    valid = ("name: t  # noqa: KFP101\nimplementation: {container: {image: alpine}}\n",)
    invalid = (
        Example(
            "name: t  # noqa: KFP999\nimplementation: {container: {image: alpine}}\n",
            "name: t\nimplementation: {container: {image: alpine}}\n",
        ),
    )
