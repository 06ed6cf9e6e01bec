#!/usr/bin/env python3
"""Time kfp-migrate against the speed targets of issue 5, on a synthetic repository and on a real tree.

    python bench/bench.py [--files N] [--tree PATH] [--repeat K] [--json] [--seed S] [--kfp-files M]

Every figure is the median wall time of K runs of the installed `kfp-migrate` console script (the one
beside this interpreter) as a subprocess, start to end, so interpreter start and imports count as a user
sees them. All runs happen on copies in a scratch directory: `--tree` is never written to, and each `fix`
gets a fresh copy. Copies are made git repositories (`git init`, no commit) so `.gitignore` applies as in
a checkout. The issue's targets are for kubeflow/pipelines 1.8.5 (1962 Python and YAML files); for a
bigger tree the time limits grow in proportion. Other work on the machine makes figures noisy: the load
average before and after is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from machine import ceiling, parallel_efficiency
from synthetic import KFP_SHARE, Kind, Manifest, generate

# kubeflow/pipelines at tag 1.8.5: 1120 Python and 842 YAML files, the tree the targets are for.
REFERENCE_FILES = 1962
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules", "__pycache__"})
FLAGS = ("--no-cache", "--jobs", "--cache-dir")
OK_EXIT_CODES = (0, 1)  # 1: findings remain, which is what these trees are for


@dataclass(frozen=True)
class Target:
    limit: float
    at_most: bool = True  # the value must be <= limit; else >= limit

    def passed(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit

    def text(self, unit: str) -> str:
        return f"{'<=' if self.at_most else '>='} {_number(self.limit)}{unit}"


@dataclass
class Figure:
    tree: str
    name: str
    value: float | None = None
    unit: str = ""
    target: Target | None = None
    note: str = ""
    runs: list[float] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.value is None:
            return "n/a"
        return "PASS" if self.target.passed(self.value) else "FAIL"


class CommandFailed(Exception):
    """A run that exited abnormally or timed out: its figure says so instead of a time."""


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def find_tool() -> Path:
    """The `kfp-migrate` console script installed beside this interpreter (else the one on PATH)."""
    beside = Path(sys.executable).parent / "kfp-migrate"
    if beside.is_file():
        return beside
    found = shutil.which("kfp-migrate")
    if found is None:
        raise SystemExit(f"bench: no kfp-migrate beside {sys.executable} or on PATH; pip install -e . first")
    return Path(found)


def available_flags(tool: Path, env: dict[str, str]) -> set[str]:
    """Which of FLAGS `kfp-migrate check --help` lists (they arrived with issue 5)."""
    done = subprocess.run([str(tool), "check", "--help"], capture_output=True, text=True, env=env, check=False)
    text = done.stdout + done.stderr
    return {flag for flag in FLAGS if re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text)}


def count_files(tree: Path) -> int:
    """Python and YAML files outside VCS and virtualenv folders: what a run over the tree could read."""
    total = 0
    for _root, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        total += sum(name.endswith((".py", ".yaml", ".yml")) for name in files)
    return total


def git_init(tree: Path) -> None:
    if shutil.which("git") and not (tree / ".git").exists():
        subprocess.run(["git", "init", "-q", str(tree)], check=True)


class Bench:
    """Runs the tool and turns runs into figures; one scratch workspace per benchmark."""

    def __init__(self, tool: Path, repeat: int, timeout: float, workspace: Path) -> None:
        self.tool = tool
        self.repeat = repeat
        self.timeout = timeout
        self.workspace = workspace
        self.env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "300", "TERM": "dumb"}
        # An installed tool starts from compiled bytecode (pip writes it); a development environment that
        # forbids writing it would time Python compiling the tool's own sources on every run instead.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        # Runs that do not name a cache directory keep their cache out of the trees.
        self.env["KFP_MIGRATE_CACHE_DIR"] = str(workspace / "default-cache")
        self.flags = available_flags(tool, self.env)
        self._copies = 0

    def missing(self, *flags: str) -> str:
        absent = [flag for flag in flags if flag not in self.flags]
        return f"n/a (flag missing: {', '.join(absent)})" if absent else ""

    def no_cache(self) -> list[str]:
        return ["--no-cache"] if "--no-cache" in self.flags else []

    def run(self, args: Sequence[str], cwd: Path) -> float:
        """Wall seconds of one run of the tool, start to end."""
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [str(self.tool), *args],
                cwd=cwd,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CommandFailed(f"timed out after {self.timeout:.0f} s") from None
        elapsed = time.perf_counter() - start
        if done.returncode not in OK_EXIT_CODES:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise CommandFailed(f"exit {done.returncode}: {lines[-1] if lines else 'no message'}")
        return elapsed

    def copy(self, tree: Path) -> Path:
        """A fresh copy of `tree` (with its .git, so .gitignore applies as in the original)."""
        self._copies += 1
        target = self.workspace / f"copy-{self._copies}"
        shutil.copytree(tree, target, symlinks=True)
        return target

    def timed(
        self,
        tree: str,
        name: str,
        args: Sequence[str],
        cwd: Path | Callable[[], Path],
        target: Target | None = None,
        needs: Sequence[str] = (),
        repeat: int | None = None,
    ) -> Figure:
        """The median of `repeat` runs; `cwd` may be a factory making a fresh copy before each (untimed)."""
        figure = Figure(tree, name, unit=" s", target=target)
        figure.note = self.missing(*needs)
        if figure.note:
            return figure
        sys.stderr.write(f"bench: {tree}: {name}: kfp-migrate {' '.join(args)}\n")
        try:
            for _ in range(repeat or self.repeat):
                where = cwd() if callable(cwd) else cwd
                figure.runs.append(self.run(args, where))
                if callable(cwd):
                    shutil.rmtree(where, ignore_errors=True)
        except CommandFailed as failure:
            figure.note = str(failure)
            return figure
        figure.value = statistics.median(figure.runs)
        return figure

    def timed_pair(
        self,
        tree: str,
        names: tuple[str, str],
        args: tuple[Sequence[str], Sequence[str]],
        cwd: Path,
        needs: Sequence[str] = (),
        between: Callable[[], object] | None = None,
    ) -> tuple[Figure, Figure]:
        """Two commands' medians, their runs taken in turn (one, the other, one, ...): a machine that slows
        down during a benchmark (other work, a burstable VM's CPU credits) then slows both alike, where runs
        taken one command after the other would charge the slowdown to the second. `between` runs after each
        round: a probe of the machine taken at the same times."""
        pair = (Figure(tree, names[0], unit=" s"), Figure(tree, names[1], unit=" s"))
        note = self.missing(*needs)
        if note:
            for figure in pair:
                figure.note = note
            return pair
        for figure, command in zip(pair, args, strict=True):
            sys.stderr.write(f"bench: {tree}: {figure.name}: kfp-migrate {' '.join(command)}\n")
        try:
            for _ in range(self.repeat):
                for figure, command in zip(pair, args, strict=True):
                    figure.runs.append(self.run(command, cwd))
                if between is not None:
                    between()
        except CommandFailed as failure:
            for figure in pair:
                figure.note = str(failure)
            return pair
        for figure in pair:
            figure.value = statistics.median(figure.runs)
        return pair


def _ratio(tree: str, name: str, top: Figure, bottom: Figure, target: Target | None, note: str = "") -> Figure:
    figure = Figure(tree, name, unit="x", target=target, note=note)
    if top.value is None or bottom.value is None or bottom.value == 0:
        figure.note = top.note or bottom.note or "n/a"
    else:
        figure.value = top.value / bottom.value
    return figure


def _throughput(tree: str, name: str, files: int, timing: Figure) -> Figure:
    figure = Figure(tree, name, unit=" files/s")
    if timing.value:
        figure.value = files / timing.value
    else:
        figure.note = timing.note or "n/a"
    return figure


def measure_floor(bench: Bench, cwd: Path) -> tuple[list[Figure], float]:
    """Reference rows: starting a process, and what every run spends before it can share out work (start the
    CLI, import LibCST): the serial floor of a two-worker run."""
    repeat = max(bench.repeat, 5)
    python = _reference("python start (reference)", [sys.executable, "-I", "-c", "pass"], cwd, repeat)
    cli = _reference("kfp-migrate --version (reference)", [str(bench.tool), "--version"], cwd, repeat)
    imports = [sys.executable, "-I", "-c", "import migrate.cli, libcst"]
    floor = _reference("start, import CLI and LibCST (reference)", imports, cwd, repeat)
    floor.note = "the serial floor"
    return [python, cli, floor], floor.value or 0.0


def _ceiling(label: str, one: Figure, floor: float | None, efficiencies: list[float]) -> list[Figure]:
    """How fast two processes ran at once around each pair of runs, and the best speed-up that allowed (an
    estimate: the machine can change between a probe and the runs it follows)."""
    measured = Figure(label, "two processes at once / one (machine)", unit="x", runs=efficiencies)
    measured.note = "an arithmetic loop alone over two copies at once, after each pair of runs: 1 is two full CPUs"
    best = Figure(label, "speed-up ceiling on this machine (estimate)", unit="x")
    rounds = list(zip(one.runs, efficiencies, strict=False))
    if not rounds or floor is None or any(floor > seconds for seconds, _ in rounds):
        best.note = measured.note = one.note or "n/a"
        return [measured, best]
    measured.value = statistics.median(efficiencies)
    best.runs = [ceiling(seconds, floor, efficiency) for seconds, efficiency in rounds]
    best.value = statistics.median(best.runs)
    best.note = f"each pair's 1-worker time, {floor:.3f} s of it serial, the rest halved at the efficiency above"
    return [measured, best]


def measure_tree(
    bench: Bench, label: str, tree: Path, files: int, source: str, floor: float | None = None
) -> list[Figure]:
    """Cold check and fix, a re-run with nothing changed, one worker against two, and the best two workers
    could do on this machine."""
    scale = max(1.0, files / REFERENCE_FILES)
    scaled = f"limits x{scale:.2f} for {files} files" if scale > 1 else ""
    figures = [Figure(label, "files (Python and YAML)", float(files), note=source)]
    cold = bench.timed(label, "check, cold", ["check", "--no-cache", "."], tree, Target(2.0 * scale), ("--no-cache",))
    cold.note = cold.note or scaled
    fix = bench.timed(
        label, "fix, cold (fresh copy each run)", ["fix", "--no-cache", "."], lambda: bench.copy(tree),
        Target(5.0 * scale), ("--no-cache",),
    )  # fmt: skip
    fix.note = fix.note or scaled
    figures += [cold, fix, _throughput(label, "check throughput", files, cold)]
    figures.append(_throughput(label, "fix throughput", files, fix))
    warm = Figure(label, "check, re-run, nothing changed", unit=" s", target=Target(0.3 * scale))
    warm.note = bench.missing("--cache-dir")
    if not warm.note:
        cache = bench.workspace / f"cache-{label}"
        args = ["check", "--cache-dir", str(cache), "."]
        try:
            bench.run(args, tree)  # fills the cache
        except CommandFailed as failure:
            warm.note = f"filling the cache: {failure}"
        else:
            warm = bench.timed(label, warm.name, args, tree, warm.target)
    figures.append(warm)
    needs = ("--no-cache", "--jobs")
    efficiencies: list[float] = []
    one, two = bench.timed_pair(
        label,
        ("check, 1 worker", "check, 2 workers"),
        (["check", "--no-cache", "--jobs", "1", "."], ["check", "--no-cache", "--jobs", "2", "."]),
        tree,
        needs,
        between=lambda: efficiencies.extend(parallel_efficiency(1)),
    )
    speed_up = _ratio(label, "speed-up, 2 workers over 1", one, two, Target(1.8, at_most=False))
    speed_up.note = speed_up.note or "runs taken in turn"
    figures += [one, two, speed_up, *_ceiling(label, one, floor, efficiencies)]
    return figures


def measure_single_files(bench: Bench, manifest: Manifest) -> list[Figure]:
    """The pre-commit case: one small file that needs no libcst, Python without kfp and a v1 component."""
    repeat = max(bench.repeat, 5)
    figures: list[Figure] = []
    picks = (
        ("single-file check, Python without kfp", Kind.LIBRARY, 1500),
        ("single-file check, v1 component YAML", Kind.V1_COMPONENT, 1500),
    )
    for name, kind, size in picks:
        candidates = [f for f in manifest.of(kind) if f.size > 200]
        if not candidates:
            figures.append(Figure("synthetic", name, note="no such file in the tree"))
            continue
        chosen = min(candidates, key=lambda f: (abs(f.size - size), f.path))
        figure = bench.timed(
            "synthetic", name, ["check", *bench.no_cache(), chosen.path], manifest.root, Target(0.15), repeat=repeat
        )
        figure.note = figure.note or f"{chosen.path} ({chosen.size} bytes)"
        figures.append(figure)
    return figures


def _reference(name: str, command: Sequence[str], cwd: Path, repeat: int) -> Figure:
    """A command that is not the benchmark: what starting a process costs at all on this machine."""
    figure = Figure("-", name, unit=" s")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
        figure.runs.append(time.perf_counter() - start)
    figure.value = statistics.median(figure.runs)
    return figure


def bare_libcst(paths: Sequence[Path], repeat: int) -> list[float]:
    """Seconds to parse and regenerate every file with libcst, in this process, on one thread."""
    import libcst

    texts = [p.read_text(encoding="utf-8") for p in paths]
    runs: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            if libcst.parse_module(text).code != text:
                raise AssertionError("libcst did not round-trip a generated file")
        runs.append(time.perf_counter() - start)
    return runs


def measure_libcst_ratio(bench: Bench, tree: Path, files: Sequence[Path]) -> list[Figure]:
    """Our single-worker throughput on all-KFP Python over bare libcst parse + codegen on the same files."""
    label = "all-KFP Python"
    count = len(files)
    bare = Figure(label, "bare libcst parse+codegen", unit=" s", runs=bare_libcst(files, bench.repeat))
    bare.value = statistics.median(bare.runs)
    bare.note = "in-process, 1 thread, imports excluded"
    bare_rate = _throughput(label, "bare libcst throughput", count, bare)
    needs = ("--no-cache", "--jobs")
    check = bench.timed(label, "check, 1 worker", ["check", "--no-cache", "--jobs", "1", "."], tree, None, needs)
    fix = bench.timed(
        label, "fix, 1 worker (fresh copy each run)", ["fix", "--no-cache", "--jobs", "1", "."],
        lambda: bench.copy(tree), None, needs,
    )  # fmt: skip
    figures = [Figure(label, "files (Python, all KFP v1)", float(count)), bare, bare_rate, check, fix]
    note = "process start included"
    for name, timing in (("check", check), ("fix", fix)):
        ours = _throughput(label, f"{name} throughput, 1 worker", count, timing)
        figures += [ours, _ratio(label, f"{name} throughput / bare libcst", ours, bare_rate, Target(0.5, False), note)]
    return figures


def render_table(figures: Sequence[Figure]) -> str:
    rows = [("tree", "measure", "value", "target", "verdict", "note")]
    for f in figures:
        value = f"{_number(f.value)}{f.unit}" if f.value is not None else (f.note if f.note.startswith("n/a") else "-")
        note = "" if f.note.startswith("n/a") else f.note
        if len(f.runs) > 1:
            note = f"runs {', '.join(_number(r) for r in f.runs)}" + (f"; {note}" if note else "")
        rows.append((f.tree, f.name, value, f.target.text(f.unit) if f.target else "", f.verdict, note))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
        for row in rows
    ]
    lines.insert(1, "-" * (sum(widths) + 10))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="files in the synthetic repository")
    parser.add_argument("--tree", type=Path, help="a real tree to time too (copied first), e.g. /tmp/kfp-1.8.5")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--json-out", type=Path, help="also write the JSON to this file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kfp-files", type=int, default=300, help="files in the all-KFP Python set (libcst ratio)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before one run counts as failed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    if args.tree is not None and not args.tree.is_dir():
        parser.error(f"--tree {args.tree}: not a directory")
    tool = find_tool()
    workspace = Path(tempfile.mkdtemp(prefix="kfp-migrate-bench-"))
    load_before = os.getloadavg()
    try:
        bench = Bench(tool, args.repeat, args.timeout, workspace)
        manifest = generate(workspace / "synthetic", args.files, args.seed, KFP_SHARE)
        git_init(manifest.root)
        source = f"seed {args.seed}; plus {len(manifest.ignored)} .gitignore'd under build/"
        figures, floor = measure_floor(bench, manifest.root)
        figures += measure_tree(bench, "synthetic", manifest.root, len(manifest.files), source, floor)
        figures += measure_single_files(bench, manifest)
        kfp = generate(workspace / "all-kfp", args.kfp_files, args.seed, kfp_share=1.0, python_only=True)
        git_init(kfp.root)
        figures += measure_libcst_ratio(bench, kfp.root, [kfp.root / f.path for f in kfp.files])
        if args.tree is not None:
            copy = workspace / "tree"
            shutil.copytree(args.tree, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            git_init(copy)
            figures += measure_tree(bench, args.tree.name, copy, count_files(copy), f"a copy of {args.tree}", floor)
    finally:
        if not args.keep:
            shutil.rmtree(workspace, ignore_errors=True)
    load_after = os.getloadavg()
    version = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    context = {
        "tool": str(tool),
        "version": version,
        "cpus": os.cpu_count(),
        "load_average_before": load_before[0],
        "load_average_after": load_after[0],
        "repeat": args.repeat,
        "seed": args.seed,
        "flags": sorted(bench.flags),
        "workspace": str(workspace) if args.keep else None,
    }
    records = [{**asdict(f), "target": asdict(f.target) if f.target else None, "verdict": f.verdict} for f in figures]
    document = json.dumps({**context, "figures": records}, indent=2) + "\n"
    if args.json_out is not None:
        args.json_out.write_text(document, encoding="utf-8")
    if args.json:
        sys.stdout.write(document)
    else:
        print(
            f"{version or 'kfp-migrate'} ({tool}); {context['cpus']} CPUs; load average {load_before[0]:.1f} before, "
            f"{load_after[0]:.1f} after (other work on the machine makes figures noisy); median of {args.repeat} runs"
        )
        print(f"flags found: {', '.join(sorted(bench.flags)) or 'none'}; missing: "
              f"{', '.join(f for f in FLAGS if f not in bench.flags) or 'none'}\n")  # fmt: skip
        print(render_table(figures), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
