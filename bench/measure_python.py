#!/usr/bin/env python3
"""Measure how much real KFP Python code imports and compiles under a given kfp SDK.

For every ``*.py`` file under DIR whose text mentions ``kfp``, a child process of
the given interpreter loads the file with ``runpy.run_path(..., run_name=
"kfp_migrate_probe")`` (so ``if __name__ == "__main__":`` blocks do not run), finds
the pipelines in its globals, compiles each one with ``kfp.compiler.Compiler`` and
counts the components.  The parent aggregates the per-file results into a summary.

WARNING: this IMPORTS, i.e. RUNS, the measured code.  Only run it on code you trust.
Files are run inside a scratch copy of DIR (DIR itself is never written to), with
network access blocked; ``raw.githubusercontent.com/kubeflow/pipelines/<ref>/<path>``
URLs fetched through ``requests.get`` (what ``load_component_from_url`` uses) are
served locally: ``git show <ref>:<path>`` from ``--git-dir`` (a kubeflow/pipelines
mirror) when given and found, else ``<DIR>/<path>`` (DIR's revision, not ``<ref>``).

Usage: measure_python.py DIR --python PY [--json OUT] [--jobs N] [--git-dir MIRROR]
  --migrate [--unsafe-fixes]: copy DIR, run ``MIGRATE_CMD <copy>``, measure the copy;
  --compare: before / after fix / after fix --unsafe-fixes side by side, and the files
  that got worse (ok before, not ok after).
"""

import argparse
import concurrent.futures
import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter

MARK = "KFP_MIGRATE_PROBE_RESULT "

# Runs in the child: python -c PROBE <file> <root>
PROBE = r"""
import json, os, re, runpy, socket, subprocess, sys, tempfile, traceback, urllib.parse, warnings
MARK = "KFP_MIGRATE_PROBE_RESULT "
path, root, git_dir = sys.argv[1:4]
res = {"status": "ok", "error": None, "missing_module": None, "kfp_related": False,
       "network_blocked": [], "urls_local": 0, "pipelines": 0, "pipelines_compiled": 0,
       "components": 0, "v2_compiler_used": 0}
out, sys.stdout = sys.stdout, sys.stderr          # the module's prints go to stderr
warnings.simplefilter("ignore")

def emit():
    out.write(MARK + json.dumps(res) + "\n"); out.flush(); os._exit(0)

def blocked(what):
    res["network_blocked"].append(str(what)[:120])
    raise OSError("network disabled by kfp_migrate_probe")
socket.getaddrinfo = lambda host, *a, **k: blocked(host)
socket.create_connection = lambda addr, *a, **k: blocked(addr)
_connect = socket.socket.connect
socket.socket.connect = lambda s, addr: (_connect(s, addr) if s.family == socket.AF_UNIX
                                         else blocked(addr))
try:
    import requests
    _get, RAW = requests.get, re.compile(r"https?://raw\.githubusercontent\.com/kubeflow/pipelines/([^/]+)/([^?#]+)")
    def local_content(ref, rel):                   # exact file at ref from a git mirror, else DIR's
        if git_dir:
            got = subprocess.run(["git", "--git-dir", git_dir, "show", ref + ":" + rel],
                                 capture_output=True)
            if got.returncode == 0:
                return got.stdout
        if os.path.isfile(os.path.join(root, rel)):
            with open(os.path.join(root, rel), "rb") as f:
                return f.read()
    def local_get(url, *a, **k):
        m = RAW.match(str(url))
        content = m and local_content(m.group(1), urllib.parse.unquote(m.group(2)))
        if content is None or m is None:
            return _get(url, *a, **k)
        r = requests.models.Response()
        r.status_code, r.url, r.encoding, r._content = 200, url, "utf-8", content
        res["urls_local"] += 1
        return r
    requests.get = local_get
except ImportError:
    pass

def describe(e):
    lines = str(e).strip().splitlines()
    first = re.sub(r" \(/[^()]*\)$", "", lines[0]) if lines else ""  # drop "(/site-packages/...)"
    res["error"] = (type(e).__name__ + ": " + first)[:300]
    name = getattr(e, "name", None) if isinstance(e, ImportError) else None
    if name and name.split(".")[0] != "kfp":
        res["missing_module"] = name
    kfp_dir = os.path.dirname(kfp.__file__) + os.sep
    res["kfp_related"] = "kfp" in res["error"] or not isinstance(e, OSError) and any(
        f.filename.startswith(kfp_dir) for f in traceback.extract_tb(e.__traceback__))

import kfp, kfp.compiler
V1 = kfp.__version__.startswith("1.")
recorded = set()                                   # kfp 1: ids of @dsl.pipeline functions
if V1:
    import kfp.dsl._pipeline
    def record(func):
        recorded.add(id(func))                     # returning None keeps func unchanged
    kfp.dsl._pipeline._pipeline_decorator_handler = record
    is_pipeline = lambda v: id(v) in recorded and callable(v)
    is_component = lambda v: callable(v) and hasattr(v, "component_spec")
else:
    from kfp.dsl.base_component import BaseComponent
    from kfp.dsl.graph_component import GraphComponent
    is_pipeline = lambda v: isinstance(v, GraphComponent)
    is_component = lambda v: isinstance(v, BaseComponent) and not is_pipeline(v)

here = os.path.dirname(path)
os.chdir(here)
sys.path[:0] = [here, root]
sys.argv = [path]
source = open(path, encoding="utf-8", errors="replace").read()
run_name = "kfp_migrate_probe"
if re.search(r"^\s*from\s+\.", source, re.M):  # relative imports need a package
    top, parts = here, []                          # regular package: climb the __init__.py's
    while os.path.isfile(os.path.join(top, "__init__.py")):
        top, parts = os.path.dirname(top), [os.path.basename(top)] + parts
    if not parts:                                  # else a namespace package below root
        parts = os.path.relpath(here, root).split(os.sep)
    if all(x.isidentifier() for x in parts):
        sys.path.insert(1, top)
        run_name = ".".join(parts + [run_name])    # run_path derives __package__ from it
try:
    g = runpy.run_path(path, run_name=run_name)
except BaseException as e:
    res["status"] = "import_error"; describe(e); emit()

pipelines, components = {}, set()
for v in list(g.values()):
    try:
        if is_pipeline(v):
            pipelines[id(v)] = v
        elif is_component(v):
            components.add(id(v))
    except Exception:
        pass
res["pipelines"], res["components"] = len(pipelines), len(components)
mentions_v2 = "kfp.v2" in source
tmp = tempfile.mkdtemp(prefix="kfp_probe_")              # under the parent's TMPDIR
for i, p in enumerate(pipelines.values()):
    target = os.path.join(tmp, "p%d.yaml" % i)
    try:
        try:
            kfp.compiler.Compiler().compile(p, target)
        except Exception:
            if not (V1 and mentions_v2):
                raise                              # kfp 1 reference: v2-compatible samples
            import kfp.v2.compiler                 # compile with kfp.v2's compiler instead
            kfp.v2.compiler.Compiler().compile(p, target[:-5] + ".json")
            res["v2_compiler_used"] += 1
        res["pipelines_compiled"] += 1
    except BaseException as e:
        if res["status"] == "ok":
            res["status"] = "compile_error"; describe(e)
emit()
"""


def find_files(root):
    """Relative paths of the *.py files under root that mention kfp."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for full in (os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith(".py")):
            with open(full, encoding="utf-8", errors="replace") as f:
                if "kfp" in f.read():
                    found.append(os.path.relpath(full, root))
    return found


def probe(root, rel, args, tmpdir):
    """Run PROBE on one file in its own process group; a hang or a crash is just a result."""
    path, start = os.path.join(root, rel), time.monotonic()
    # -I: no PYTHONPATH, and the cwd is not put on sys.path (a sample's html.py would shadow
    # the stdlib before the probe starts); the probe adds the file's directory itself.
    cmd = [args.python, "-I", "-B", "-c", PROBE, path, root, args.git_dir or ""]
    pipe, cwd = subprocess.PIPE, os.path.dirname(path)
    env = dict(os.environ, TMPDIR=tmpdir)  # temp files of the probe and the module: removed with the scratch copy
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=pipe, stderr=pipe, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=args.timeout)
        lines = [ln for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith(MARK)]
        if lines:
            result = json.loads(lines[-1][len(MARK) :])
        else:  # segfault, os._exit, killed, ...
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            result = {"status": "crash", "error": f"exit code {proc.returncode}: {tail[0][:200]}"}
    except subprocess.TimeoutExpired:
        result = {"status": "timeout", "error": f"timeout after {args.timeout}s"}
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started
        proc.wait()
    result["seconds"] = round(time.monotonic() - start, 2)
    return result


def measure(root, files, args, label):
    """Probe files (relative to root) inside a scratch copy of root, so root is never written to."""
    with tempfile.TemporaryDirectory(prefix="kfp_measure_") as tmp:
        scratch = os.path.join(tmp, "src")
        shutil.copytree(root, scratch, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", ".git"))
        results, start, tmpdir = {}, time.monotonic(), os.path.join(tmp, "tmp")
        os.mkdir(tmpdir)
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(probe, scratch, rel, args, tmpdir): rel for rel in files}
            for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                results[futures[fut]] = fut.result()
                if n % 50 == 0 or n == len(files):
                    print(f"[{label}] {n}/{len(files)} files, {time.monotonic() - start:.0f}s", file=sys.stderr)
    return dict(sorted(results.items()))


def migrate_and_measure(root, files, args, unsafe):
    """Copy root, run the migrator on the copy (exit code ignored, time recorded), measure the copy."""
    with tempfile.TemporaryDirectory(prefix="kfp_migrated_") as tmp:
        copy = os.path.join(tmp, "src")
        shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        cmd = [*shlex.split(args.migrate_cmd), *(["--unsafe-fixes"] if unsafe else []), copy]
        start = time.monotonic()
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
        took = time.monotonic() - start
        print(f"migrate: {' '.join(cmd[:-1])} <copy> -> exit {done.returncode} in {took:.1f}s", file=sys.stderr)
        return measure(copy, files, args, "after" + (" unsafe" if unsafe else "")), took


def category(r):
    if r["status"] in ("ok", "timeout", "crash"):
        return r["status"]
    if r.get("missing_module"):
        return "missing_module"
    if r.get("network_blocked"):
        return "network"
    if r["status"] == "import_error":
        return "import_kfp" if r.get("kfp_related") else "import_other"
    return "compile_error"


ROWS = [  # (label, category or a function of all results)
    ("files considered", len),
    ("ok (imported, every pipeline compiled)", "ok"),
    ("import error, kfp-related", "import_kfp"),
    ("import error, other", "import_other"),
    ("missing third-party module", "missing_module"),
    ("needs network", "network"),
    ("compile error", "compile_error"),
    ("timeout", "timeout"),
    ("crash", "crash"),
    ("ok files with >=1 pipeline", lambda rs: sum(1 for r in rs if r["status"] == "ok" and r["pipelines"])),
    ("pipelines compiled/found", lambda rs: f"{total(rs, 'pipelines_compiled')}/{total(rs, 'pipelines')}"),
    ("components found", lambda rs: total(rs, "components")),
]


def total(rs, key):
    return sum(r.get(key, 0) for r in rs)


def table(runs):
    """The ROWS counts, one column per named result set."""
    width, cats = (
        max(len(label) for label, _ in ROWS) + 2,
        {n: Counter(map(category, rs.values())) for n, rs in runs.items()},
    )
    lines = ["".ljust(width) + "".join(name.rjust(16) for name in runs)]
    for label, key in ROWS:
        cells = [key(list(rs.values())) if callable(key) else cats[n][key] for n, rs in runs.items()]
        lines.append(label.ljust(width) + "".join(str(c).rjust(16) for c in cells))
    return "\n".join(lines)


def breakdown(results, top=15):
    """Most common error lines per category."""
    out = []
    sections = [
        (f"import errors due to kfp (top {top})", "import_kfp", lambda r: r["error"]),
        ("missing third-party modules", "missing_module", lambda r: r["missing_module"].split(".")[0]),
        (f"compile errors (top {top})", "compile_error", lambda r: r["error"]),
        (f"other import errors (top {top})", "import_other", lambda r: r["error"]),
        ("needs network (blocked host)", "network", lambda r: r["network_blocked"][0]),
    ]
    for title, cat, key in sections:
        counter = Counter(key(r) for r in results.values() if category(r) == cat)
        if counter:
            out.append(f"\n{title}:")
            out.extend(f"  {n:5d}  {k}" for k, n in counter.most_common(top))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--python", required=True, help="interpreter with kfp installed")
    ap.add_argument("--json", help="write per-file results here")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=60, help="seconds per file")
    ap.add_argument("--git-dir", help="kubeflow/pipelines mirror to serve pinned raw.githubusercontent URLs from")
    ap.add_argument("--migrate", action="store_true", help="measure a migrated copy of DIR")
    ap.add_argument("--unsafe-fixes", action="store_true", help="with --migrate")
    ap.add_argument("--compare", action="store_true", help="before vs. after vs. after --unsafe-fixes")
    ap.add_argument("--migrate-cmd", default="/tmp/dev/bin/kfp-migrate fix")
    args = ap.parse_args()
    root, start = os.path.abspath(args.dir), time.monotonic()
    files = find_files(root)
    if args.compare:
        before = measure(root, files, args, "before")
        after, took = migrate_and_measure(root, files, args, unsafe=False)
        after_unsafe, took_unsafe = migrate_and_measure(root, files, args, unsafe=True)
        runs = {"before": before, "after": after, "after_unsafe": after_unsafe}
        print(table(runs))
        print(f"migrate time: fix {took:.1f}s, fix --unsafe-fixes {took_unsafe:.1f}s")
        for name in ("before", "after_unsafe"):
            print(f"\n== error breakdown: {name} =={breakdown(runs[name])}")
        for name in ("after", "after_unsafe"):
            bad = [(rel, r) for rel, r in runs[name].items() if before[rel]["status"] == "ok" and r["status"] != "ok"]
            better = sum(1 for rel, r in runs[name].items() if r["status"] == "ok" and before[rel]["status"] != "ok")
            print("\n" + "!" * 78)
            print(f"!!! {name.upper()}: {len(bad)} FILES GOT WORSE (ok before, not ok after); {better} got better")
            for rel, r in bad:
                print(f"!!!   {rel}: {r['status']}: {r['error']}")
            print("!" * 78)
        dump = runs
    else:
        if args.migrate:
            dump, took = migrate_and_measure(root, files, args, args.unsafe_fixes)
            print(f"migrate time: {took:.1f}s")
        else:
            dump = measure(root, files, args, "measure")
        print(table({"count": dump}) + "\n" + breakdown(dump))
    print(f"\ntotal wall time: {time.monotonic() - start:.0f}s ({len(files)} files, --jobs {args.jobs})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dump, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
