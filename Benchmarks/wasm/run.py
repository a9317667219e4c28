#!/usr/bin/env python3
"""Times nxrun against WasmKit, wasm3 and wasmtime on the wasm workloads.

    python3 Benchmarks/wasm/run.py [--nxrun PATH] [--runs N] [--only NAME,...]
                                   [--install-peers] [--smoke]

Run it under the machine-wide CPU lock where there is one:
    python3 Benchmarks/wasm/run.py

Every measurement is a whole process (start, decode, validate, instantiate,
call `run`, print, exit), repeated N times; the table shows medians. wasm3
(pywasm3) and wasmtime (the `wasmtime` PyPI package) run as processes of a
local virtual environment's Python executing peer.py, so their process start
is included too; their in-process call time is shown separately.

All runtimes must return the same result for a workload, and the result must
match expected.json: any disagreement is reported loudly and the exit status
is 1. A runtime that is not installed shows `n/a`; a runtime that rejects a
workload's feature (SIMD, bulk memory) shows `unsupported`; neither is an
error. Python standard library only.
"""
import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WASM_DIR = HERE / "wasm"
VENV = HERE / ".venv"
EXPECTED_FILE = HERE / "expected.json"
PEER_SCRIPT = HERE / "peer.py"
PEER_PACKAGES = {"wasm3": "pywasm3", "wasmtime": "wasmtime"}

# name, what it stresses, wasm features beyond the baseline
WORKLOADS = [
    ("fib", "recursive calls", ()),
    ("loops", "nested integer loops, i32/i64 arithmetic, div/rem", ()),
    ("memory", "transpose, pointer chase, scatter over 12 MB", ()),
    ("sieve", "byte and bit sieves over 16 MB", ()),
    ("nbody", "f64 n-body simulation", ()),
    ("mandelbrot", "f64 mandelbrot + f32 julia", ()),
    ("matmul", "f32/f64 matrix multiply, spectral norm", ()),
    ("vm", "br_table bytecode interpreter", ()),
    ("indirect", "call_indirect: sort comparators, tree visitor", ()),
    ("bulk", "memory.copy / memory.fill", ("bulk-memory",)),
    ("simd", "v128 kernels (f32x4, i8x16, i16x8, i32x4)", ("simd",)),
    ("simd_scalar", "simd's kernels in scalar C, same checksum", ()),
    ("sha256", "SHA-256 over 4 MB", ()),
    ("quicksort", "quicksort i32/u64 + binary search", ()),
    ("hashtab", "open addressing + chained string map", ()),
    ("strsearch", "naive/Horspool/KMP search, edit distance", ()),
    ("crc32", "CRC-32 bitwise/table/slice-8, Adler-32", ()),
    ("deflate", "DEFLATE/zlib/gzip + LZ4-style round trips", ()),
    ("json", "JSON generate/parse/serialize/compare", ()),
]
STARTUP = [
    ("trivial", "fixed process cost: run returns a constant", ()),
    ("large", "startup: decode+validate+translate a large module", ()),
]
RUNTIMES = ["nxrun", "wasmkit", "wasm3", "wasmtime"]

RESULT_LINE = re.compile(r"^(i32|i64|f32|f64):(\S+)\s*$", re.M)
WASMKIT_VALUE = re.compile(r"Value\.(i32|i64|f32|f64)\((-?\d+)\)")
# Error text by which a runtime says it does not implement a feature. Only
# consulted for workloads that use a feature beyond the baseline.
# Matched against the error text with the module's path removed, and never for
# a process killed by a signal (a crash is an error, whatever it printed).
UNSUPPORTED_HINTS = re.compile(
    r"illegal opcode|unknown opcode|invalid opcode|unknown value.?type|unsupported|not supported|"
    r"not implemented|0xfd|\[253\]",
    re.I,
)


class Outcome:
    """One process run: status is ok, n/a, unsupported, error or timeout."""

    def __init__(self, status, seconds=None, result=None, call_s=None, detail=""):
        self.status = status
        self.seconds = seconds
        self.result = result
        self.call_s = call_s
        self.detail = detail


def tail(text, n=300):
    text = (text or "").strip()
    return text if len(text) <= n else "..." + text[-n:]


class Runtime:
    def __init__(self, name, argv_prefix, parse, missing_reason=None, version=""):
        self.name = name
        self.argv_prefix = argv_prefix
        self.parse = parse
        self.missing_reason = missing_reason
        self.version = version

    @property
    def available(self):
        return self.missing_reason is None

    def run(self, wasm, features, timeout):
        if not self.available:
            return Outcome("n/a", detail=self.missing_reason)
        argv = self.argv_prefix(wasm)
        start = time.perf_counter()
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            return Outcome("timeout", seconds=timeout, detail=f"killed after {timeout:g} s")
        except OSError as e:
            return Outcome("error", detail=f"cannot start {argv[0]}: {e}")
        elapsed = time.perf_counter() - start
        outcome = self.parse(proc)
        outcome.seconds = elapsed
        crashed = proc.returncode < 0 or proc.returncode >= 128
        if (outcome.status == "error" and features and not crashed
                and UNSUPPORTED_HINTS.search(outcome.detail.replace(str(wasm), ""))):
            outcome.status = "unsupported"
        return outcome


def parse_result_lines(proc):
    """nxrun and peer.py format: `i32:N` / `i64:N` lines (first one is `run`'s)."""
    text = proc.stdout
    m = RESULT_LINE.search(text)
    if proc.returncode != 0 or not m:
        return Outcome("error", detail=f"exit {proc.returncode}: {tail(proc.stderr + proc.stdout)}")
    call = re.search(r"^call_s:([0-9.]+)", text, re.M)
    return Outcome("ok", result=f"{m.group(1)}:{m.group(2)}", call_s=float(call.group(1)) if call else None)


def parse_wasmkit(proc):
    """WasmKit prints e.g. `[WasmTypes.Value.i32(4294967291)]` (unsigned bits)."""
    m = WASMKIT_VALUE.search(proc.stdout)
    if proc.returncode != 0 or not m:
        return Outcome("error", detail=f"exit {proc.returncode}: {tail(proc.stderr + proc.stdout)}")
    kind, value = m.group(1), int(m.group(2))
    if kind in ("i32", "i64"):
        value &= (1 << (32 if kind == "i32" else 64)) - 1
    return Outcome("ok", result=f"{kind}:{value}")


# ---------------------------------------------------------------- peers

def venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def peer_import_ok(module):
    py = venv_python()
    if not py.exists():
        return False
    try:
        return subprocess.run([str(py), "-c", f"import {module}"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def package_version(package):
    try:
        out = subprocess.run([str(venv_python()), "-m", "pip", "show", package], capture_output=True, text=True,
                             timeout=60).stdout
        m = re.search(r"^Version:\s*(\S+)", out, re.M)
        return m.group(1) if m else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def install_peers(force):
    """Creates ./.venv and installs missing peers; never fatal."""
    wanted = [m for m in PEER_PACKAGES if force or not peer_import_ok(m)]
    if not wanted:
        return
    if not venv_python().exists():
        print(f"creating virtual environment {VENV} ...", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=300)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
            print(f"NOTE: cannot create {VENV} ({e}); continuing without wasm3 and wasmtime", flush=True)
            return
    for module in wanted:
        package = PEER_PACKAGES[module]
        print(f"pip install {package} into {VENV} ...", flush=True)
        try:
            proc = subprocess.run([str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                                   package], capture_output=True, text=True, timeout=600)
            ok = proc.returncode == 0 and peer_import_ok(module)
            why = tail(proc.stderr, 200)
        except (OSError, subprocess.TimeoutExpired) as e:
            ok, why = False, str(e)
        if not ok:
            print(f"NOTE: could not install {package} ({why}); continuing without {module}", flush=True)


def make_runtimes(args):
    runtimes = {}
    nx = Path(args.nxrun) if args.nxrun else REPO / ".build" / "release" / "nxrun"
    nx_missing = None if nx.is_file() and os.access(nx, os.X_OK) else f"{nx} not found (build it: swift build -c release)"
    runtimes["nxrun"] = Runtime("nxrun", lambda w: [str(nx), "--invoke", "run", str(w)], parse_result_lines,
                                nx_missing)

    wk = args.wasmkit or shutil.which("wasmkit") or "/opt/swift/usr/bin/wasmkit"
    wk_missing = None if Path(wk).is_file() else f"{wk} not found"
    version = ""
    if not wk_missing:
        try:
            version = subprocess.run([wk, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
    runtimes["wasmkit"] = Runtime("wasmkit", lambda w: [wk, "run", str(w), "run"], parse_wasmkit, wk_missing,
                                  version)

    for module in ("wasm3", "wasmtime"):
        ok = peer_import_ok(module)
        missing = None if ok else f"python package {PEER_PACKAGES[module]} not installed in {VENV}"
        runtimes[module] = Runtime(
            module, (lambda m: lambda w: [str(venv_python()), str(PEER_SCRIPT), m, str(w)])(module),
            parse_result_lines, missing, package_version(PEER_PACKAGES[module]) if ok else "")
    return runtimes


# ---------------------------------------------------------------- measuring

class Row:
    def __init__(self, name, desc, features):
        self.name = name
        self.desc = desc
        self.features = features
        self.outcomes = {r: [] for r in RUNTIMES}
        self.problems = []

    def cell(self, runtime):
        """(status, median seconds, median call seconds, result)."""
        outs = self.outcomes[runtime]
        if not outs:
            return ("n/a", None, None, None)
        bad = [o for o in outs if o.status != "ok"]
        if bad:
            return (bad[0].status, None, None, None)
        secs = statistics.median(o.seconds for o in outs)
        calls = [o.call_s for o in outs if o.call_s is not None]
        return ("ok", secs, statistics.median(calls) if calls else None, outs[0].result)


def measure(rows, runtimes, runs, timeout, expected):
    for row in rows:
        wasm = WASM_DIR / f"{row.name}.wasm"
        if not wasm.exists():
            row.problems.append(f"{wasm} missing (run build.sh)")
            continue
        print(f"  {row.name:<11}", end="", flush=True)
        for _ in range(runs):  # interleave runtimes so drift affects all alike
            for rt in RUNTIMES:
                if rt in runtimes:
                    prev = row.outcomes[rt]
                    if prev and prev[-1].status in ("n/a", "unsupported", "timeout"):
                        continue  # no point repeating
                    row.outcomes[rt].append(runtimes[rt].run(wasm, row.features, timeout))
            print(".", end="", flush=True)
        print(flush=True)
        check_row(row, expected)


def check_row(row, expected):
    results = {}
    for rt in RUNTIMES:
        outs = row.outcomes[rt]
        for o in outs:
            if o.status in ("error", "timeout"):
                row.problems.append(f"{rt} {o.status}: {o.detail}")
                break
        distinct = sorted({o.result for o in outs if o.status == "ok"})
        if len(distinct) > 1:
            row.problems.append(f"{rt} returned different results across runs: {distinct}")
        if distinct:
            results[rt] = distinct[0]
    if len(set(results.values())) > 1:
        row.problems.append("RESULT MISMATCH: " + ", ".join(f"{rt}={v}" for rt, v in results.items()))
    want = expected.get(row.name)
    if want is not None:
        for rt, v in results.items():
            if v != want:
                row.problems.append(f"RESULT MISMATCH: {rt}={v} but expected.json says {want}")
    row.agreed = next(iter(results.values())) if len(set(results.values())) == 1 else None


# ---------------------------------------------------------------- report

def fmt_cell(cell):
    status, secs, _, _ = cell
    if status == "ok":
        return f"{secs:.3f}"
    return {"n/a": "n/a", "unsupported": "unsupported", "timeout": "TIMEOUT", "error": "ERROR"}[status]


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def print_table(rows, runtimes):
    head = ["workload", "nxrun", "wasmkit", "wasm3", "wasmtime", "nx/wasmkit", "nx/wasm3", "wasm3 call",
            "wasmtime call"]
    widths = [11, 8, 11, 11, 11, 10, 8, 10, 13]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in
                                   enumerate(zip(cells, widths)))
    print(line(head))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    per_rt = {rt: [] for rt in RUNTIMES}
    ratios = {"wasmkit": [], "wasm3": []}
    calls = {"wasm3": [], "wasmtime": []}
    for row in rows:
        cells = {rt: row.cell(rt) for rt in RUNTIMES}
        for rt in RUNTIMES:
            per_rt[rt].append(cells[rt][1])
        r_wk = ratio(cells["nxrun"][1], cells["wasmkit"][1])
        r_w3 = ratio(cells["nxrun"][1], cells["wasm3"][1])
        ratios["wasmkit"].append((r_wk, row.name))
        ratios["wasm3"].append((r_w3, row.name))
        for rt in calls:
            calls[rt].append(cells[rt][2])
        print(line([row.name] + [fmt_cell(cells[rt]) for rt in RUNTIMES] +
                   [f"{r_wk:.2f}x" if r_wk else "-", f"{r_w3:.2f}x" if r_w3 else "-"] +
                   [f"{cells[rt][2]:.3f}" if cells[rt][2] is not None else "-" for rt in calls]))
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))

    def gm_cell(values):
        got = [v for v in values if v is not None]
        g = geomean(got)
        if g is None:
            return "-"
        return f"{g:.3f}" + ("" if len(got) == len(values) else f"({len(got)})")

    g_wk = geomean([r for r, _ in ratios["wasmkit"]])
    g_w3 = geomean([r for r, _ in ratios["wasm3"]])
    print(line(["geomean"] + [gm_cell(per_rt[rt]) for rt in RUNTIMES] +
               [f"{g_wk:.2f}x" if g_wk else "-", f"{g_w3:.2f}x" if g_w3 else "-"] +
               [gm_cell(calls[rt]) for rt in calls]))
    print("(seconds: median whole-process wall time; `call` = in-process time of the `run` call alone;"
          " geomean(k) = over the k workloads that runtime completed; ratio geomeans = geomean of the"
          " per-workload ratios)")
    worst = max(((r, n) for r, n in ratios["wasmkit"] if r), default=None)
    if worst:
        print(f"slowest relative to WasmKit: {worst[1]} at {worst[0]:.2f}x")
    print_simd_versus_scalar(rows)
    return {"geomean_nx_over_wasmkit": g_wk, "geomean_nx_over_wasm3": g_w3}


def print_simd_versus_scalar(rows):
    """The same computation with and without SIMD: nxrun on the v128 build against each
    runtime on the scalar twin (peers without SIMD can run only that)."""
    by = {r.name: r for r in rows}
    if "simd" not in by or "simd_scalar" not in by:
        return
    nx_simd = by["simd"].cell("nxrun")[1]
    if nx_simd is None:
        return
    parts = []
    for rt in RUNTIMES:
        scalar = by["simd_scalar"].cell(rt)[1]
        if scalar:
            parts.append(f"{rt} scalar {scalar:.3f} s ({nx_simd / scalar:.2f}x)")
    print(f"simd vs scalar twin: nxrun simd {nx_simd:.3f} s; " + ", ".join(parts))


def print_startup(rows):
    by = {r.name: r for r in rows}
    if not by:
        return {}
    print()
    print("startup (median whole-process seconds)")
    head = ["module", "MB", "nxrun", "wasmkit", "wasm3", "wasmtime"]
    widths = [16, 6, 8, 11, 11, 11]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in
                                   enumerate(zip(cells, widths)))
    print(line(head))
    for name in ("trivial", "large"):
        if name in by:
            mb = (WASM_DIR / f"{name}.wasm").stat().st_size / 1e6
            print(line([f"{name}.wasm", f"{mb:.2f}"] + [fmt_cell(by[name].cell(rt)) for rt in RUNTIMES]))
    rates = {}
    if "trivial" in by and "large" in by:
        mb = (WASM_DIR / "large.wasm").stat().st_size / 1e6
        cells = []
        for rt in RUNTIMES:
            t_large, t_triv = by["large"].cell(rt)[1], by["trivial"].cell(rt)[1]
            if t_large is not None and t_triv is not None and t_large > t_triv:
                rates[rt] = mb / (t_large - t_triv)
                cells.append(f"{rates[rt]:.1f}")
            else:
                cells.append("-")
        print(line(["large MB/s", ""] + cells))
        print("(MB/s = large.wasm size / (large - trivial) process time: decode + validate + translate +"
              " instantiate. wasm3 compiles functions lazily, on first call, so its rate covers decoding"
              " and only the few functions `run` reaches; wasmtime compiles everything to machine code.)")
    return rates


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="Times nxrun against WasmKit, wasm3 and wasmtime.")
    ap.add_argument("--nxrun", help="nxrun executable (default: <repo>/.build/release/nxrun)")
    ap.add_argument("--wasmkit", help="wasmkit executable (default: on PATH, else /opt/swift/usr/bin/wasmkit)")
    ap.add_argument("--runs", type=int, default=5, help="process runs per workload and runtime (default 5)")
    ap.add_argument("--only", help="comma-separated workload names (startup rows: trivial, large)")
    ap.add_argument("--install-peers", action="store_true",
                    help="(re)install pywasm3 and wasmtime into ./.venv before measuring")
    ap.add_argument("--no-install", action="store_true", help="never try to install missing peers")
    ap.add_argument("--smoke", action="store_true", help="CI mode: 1 run of each workload, short time limit")
    ap.add_argument("--timeout", type=float, help="seconds allowed per process (default 300, smoke 60)")
    ap.add_argument("--require-nxrun", action="store_true", help="fail if nxrun is missing")
    ap.add_argument("--json", metavar="PATH", help="also write all measurements as JSON")
    ap.add_argument("--write-expected", action="store_true",
                    help="record the agreed results in expected.json (after checking they agree)")
    args = ap.parse_args()
    if args.smoke:
        args.runs = 1
    timeout = args.timeout or (60.0 if args.smoke else 300.0)
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    all_rows = [Row(*w) for w in WORKLOADS] + [Row(*w) for w in STARTUP]
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        known = {r.name for r in all_rows}
        unknown = [n for n in names if n not in known]
        if unknown:
            ap.error(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        all_rows = [r for r in all_rows if r.name in names]

    if not args.no_install:
        install_peers(force=args.install_peers)
    runtimes = make_runtimes(args)
    expected = json.loads(EXPECTED_FILE.read_text()) if EXPECTED_FILE.exists() else {}

    print(f"nx wasm benchmarks: {args.runs} run(s) per cell, time limit {timeout:.0f} s per process")
    for rt in RUNTIMES:
        r = runtimes[rt]
        print(f"  {rt:<9} " + (f"ok {r.version}".rstrip() if r.available else f"n/a: {r.missing_reason}"))
    if args.require_nxrun and not runtimes["nxrun"].available:
        print("ERROR: --require-nxrun given but nxrun is missing", file=sys.stderr)
        return 1
    measure(all_rows, runtimes, args.runs, timeout, expected)

    main_rows = [r for r in all_rows if r.name not in ("trivial", "large")]
    start_rows = [r for r in all_rows if r.name in ("trivial", "large")]
    print()
    summary = print_table(main_rows, runtimes) if main_rows else {}
    rates = print_startup(start_rows)

    unsupported = [(r.name, rt) for r in all_rows for rt in RUNTIMES if r.cell(rt)[0] == "unsupported"]
    if unsupported:
        print()
        for name, rt in unsupported:
            detail = next((o.detail for o in all_rows_by(all_rows, name).outcomes[rt]), "")
            last = [ln for ln in detail.splitlines() if ln.strip()]
            print(f"unsupported: {rt} on {name} ({tail(last[-1] if last else detail, 160)})")

    problems = [(r.name, p) for r in all_rows for p in r.problems]
    if args.write_expected:
        new = dict(expected)
        for r in all_rows:
            if getattr(r, "agreed", None) and not r.problems:
                new[r.name] = r.agreed
        EXPECTED_FILE.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
        print(f"wrote {EXPECTED_FILE}")
    if args.json:
        dump = {
            "runs": args.runs,
            "versions": {rt: runtimes[rt].version for rt in RUNTIMES if runtimes[rt].available},
            "workloads": {
                r.name: {rt: {"status": r.cell(rt)[0], "median_s": r.cell(rt)[1], "call_s": r.cell(rt)[2],
                              "result": r.cell(rt)[3], "all_s": [o.seconds for o in r.outcomes[rt]]}
                         for rt in RUNTIMES}
                for r in all_rows
            },
            "summary": summary,
            "large_mb_per_s": rates,
            "problems": [f"{n}: {p}" for n, p in problems],
        }
        Path(args.json).write_text(json.dumps(dump, indent=2) + "\n")
    if problems:
        print()
        print("!" * 78)
        for name, p in problems:
            print(f"!! {name}: {p}")
        print("!" * 78)
        return 1
    print()
    print("all results agree" + (" with expected.json" if expected else ""))
    return 0


def all_rows_by(rows, name):
    return next(r for r in rows if r.name == name)


if __name__ == "__main__":
    sys.exit(main())
