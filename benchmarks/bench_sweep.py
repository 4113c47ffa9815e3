"""Sweep benchmark: one 16-run (or, with --runs 64, 64-run) sweep of the 09:20 straddle, serial vs 2 processes vs Dask.

    python benchmarks/bench_sweep.py [--days 250] [--repeats 5] [--workers 2] [--memo-only]
                                     [--json benchmarks/results/sweep.json] [--quick]

Each measurement is the ``optbt sweep`` command a user types, in a fresh process and a fresh
output folder, timed wall-clock end to end (start-up, pool or cluster start, every run).
It is taken twice: with ``--memo-mb 0`` (every run reads all its data: how the executors
scale) and with the default memo (workers keep the data between runs: what a user waits).
A serial sweep runs DuckDB on two threads, a pool worker on one (cores / workers); a serial
sweep with ``--duckdb-threads 1`` is also timed, to separate the pool's own efficiency
(same work per run) from the cores the serial baseline already uses inside its queries.
With the memo on, pool workers first split the reading of the days through the shared day
cache (the default); the pool is also timed with ``--no-shared-cache``, each worker reading
every day itself, and pool and Dask with ``OPTBT_SWEEP_START=spawn`` (workers are fresh
interpreters, as before they were forked). Dask is also timed on a cluster the script starts
once (``dask scheduler`` and ``dask worker``, one thread each) and keeps between sweeps, as a
user with a running cluster would (``--executor dask://HOST:PORT``): its first sweep, on
workers that have imported nothing yet, is reported apart. Within each repeat the measurements are
interleaved so they share the machine's noise; speed-ups are taken within a repeat and their
medians printed. Each repeat also times the machine itself: copies of the same pure-Python work
run at once against one alone (``machine/python_scaling``), the most any sweep of Python runs
can gain from that many workers here, before its own fixed costs. The script also checks that every variant produced the same table.
min/median/max over repeats and the load average at start are printed and written;
``--quick`` (5 days, one repeat) keeps the script working.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_engine import ensure_dataset  # noqa: E402  (same synthetic year as the engine benchmark)
from user_env import note, with_bytecode_cache  # noqa: E402

STRATEGY = str(ROOT / "strategies_dsl" / "straddle_920.strat")
GRID = ["--grid", "sl_pct=20,30,40,50", "--grid", "exit_time=15:00,15:10,15:15,15:20"]  # 16 runs
# --runs 64: the same sweep with 8 x 8 values (how the fixed costs of a pool and of Dask shrink)
GRID_64 = ["--grid", "sl_pct=20,25,30,35,40,45,50,55",
           "--grid", "exit_time=14:45,14:50,14:55,15:00,15:05,15:10,15:15,15:20"]
EXECUTORS = ("serial", "process", "dask")
RUNS = 16  # set from --runs
MEMO = {"no_memo": "0", "memo": None}  # None: the default


def sweep_once(executor: str, memo: str | None, data: Path, workers: int, out: Path) -> tuple[float, list[dict]]:
    one_thread = executor == "serial1"
    alone = executor.endswith("_alone")  # workers each read every day themselves (no shared cache)
    spawned = executor.endswith("_spawn")  # fresh interpreters as workers, as before forking (OPTBT_SWEEP_START)
    executor = "serial" if one_thread else executor.removesuffix("_alone").removesuffix("_spawn")
    cmd = [sys.executable, "-m", "optbt", "sweep", STRATEGY, *(GRID_64 if RUNS == 64 else GRID), "--data", str(data), "--quiet",
           "--executor", executor, "--workers", str(1 if executor == "serial" else workers), "--out", str(out)]
    if memo is not None:
        cmd += ["--memo-mb", memo]
    if one_thread:  # the work of one pool worker's run, one after another
        cmd += ["--duckdb-threads", "1"]
    if alone:
        cmd += ["--no-shared-cache"]
    env = {**os.environ, "OPTBT_SWEEP_START": "spawn"} if spawned else None
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{executor} sweep failed:\n{proc.stdout}\n{proc.stderr}")
    with (out / "sweep.csv").open() as fh:
        rows = [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in csv.DictReader(fh)]
    return seconds, rows


# CPU-bound pure Python of the engine's kind (dict look-ups, float compares, calls), ~1 s alone
_PYTHON_WORK = """
def tick(prices, levels, i):
    hit = 0
    for key, level in levels.items():
        p = prices.get(key)
        if p is not None and p * (1 + (i % 7) * 1e-4) >= level:
            hit += 1
    return hit
prices = {k: 100.0 + k for k in range(8)}
levels = {k: 104.0 + k for k in range(8)}
print(sum(tick(prices, levels, i) for i in range(1_500_000)))
"""


def python_scaling(workers: int) -> float:
    """How much faster ``workers`` copies of the same pure-Python work run at once than one
    after another on this machine: the ceiling of any sweep whose runs are Python, with no
    fixed cost at all. Two processes on two cores give 2.0 only when the cores share nothing
    (no turbo lost, no cache or memory bandwidth shared)."""
    cmd = [sys.executable, "-c", _PYTHON_WORK]

    def alone() -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - t0
    before = alone()
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL) for _ in range(workers)]
    for proc in procs:
        proc.wait()
    together = time.perf_counter() - t0
    return workers * (before + alone()) / 2 / together  # one alone before and after: the load's drift cancels


@contextmanager
def running_cluster(workers: int) -> Iterator[str]:
    """A Dask scheduler and ``workers`` one-thread workers started by hand (``dask scheduler``,
    ``dask worker``), as a cluster a user keeps running between sweeps: its ``dask://`` address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], **quiet)]
    try:
        from distributed import Client
        procs.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", f"tcp://{address}", "--nworkers",
                                       str(workers), "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                      **quiet))
        with Client(f"tcp://{address}", timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)
        yield f"dask://{address}"
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "sweep.json"))
    ap.add_argument("--quick", action="store_true", help="5 days, one repeat: a smoke test")
    ap.add_argument("--runs", type=int, choices=(16, 64), default=16,
                    help="runs in the sweep (64: its figures go to results/sweep-64.json)")
    ap.add_argument("--memo-only", action="store_true",
                    help="only the memo-on variants (what users run): 6 sweeps a repeat instead of 10")
    args = ap.parse_args()
    if args.quick:
        args.days, args.repeats = 5, 1
        if args.json == ap.get_default("json"):
            args.json = str(ROOT / "benchmarks" / ".data" / "sweep-quick.json")
    global RUNS
    RUNS = args.runs
    if args.runs != 16 and args.json == ap.get_default("json"):
        args.json = str(ROOT / "benchmarks" / "results" / f"sweep-{args.runs}.json")
    bytecode_unset = with_bytecode_cache()
    load = os.getloadavg()
    data = ensure_dataset(args.days)
    variants = [(m, e) for m in MEMO for e in EXECUTORS] + [("no_memo", "serial1"), ("memo", "process_alone"),
                                                            ("memo", "process_spawn"), ("memo", "dask_spawn")]
    if args.memo_only:
        variants = [v for v in variants if v[0] == "memo"]
    # a cluster kept running between sweeps: its first sweep (fresh workers) apart, then one a repeat
    variants.append(("memo", "dask_running"))
    times: dict[str, list[float]] = {f"{m}/{e}": [] for m, e in variants}
    ratios: dict[str, list[float]] = {}
    tables: list[list[dict]] = []
    with running_cluster(args.workers) as running, tempfile.TemporaryDirectory() as first:
        first_seconds, rows = sweep_once(running, MEMO["memo"], data, args.workers, Path(first) / "out")
        tables.append(rows)
        print(f"first sweep on a cluster just started ({running}): {first_seconds:7.2f} s", flush=True)
        for n in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                for memo, executor in variants:
                    name = f"{memo}/{executor}"
                    seconds, rows = sweep_once(running if executor == "dask_running" else executor, MEMO[memo], data,
                                               args.workers, Path(tmp) / name.replace("/", "-"))
                    times[name].append(seconds)
                    tables.append(rows)
                    print(f"repeat {n + 1}: {name:18s} {seconds:7.2f} s", flush=True)
                ratios.setdefault("memo/dask_running_over_process", []).append(
                    times["memo/dask_running"][-1] / times["memo/process"][-1])
                ratios.setdefault("machine/python_scaling", []).append(python_scaling(args.workers))
            for memo in MEMO:
                if not times.get(f"{memo}/serial"):
                    continue
                s, p, d = (times[f"{memo}/{e}"][-1] for e in EXECUTORS)
                ratios.setdefault(f"{memo}/process_speedup", []).append(s / p)
                ratios.setdefault(f"{memo}/dask_speedup", []).append(s / d)
                ratios.setdefault(f"{memo}/dask_over_process", []).append(d / p)
            ratios.setdefault("memo/process_alone_speedup", []).append(
                times["memo/serial"][-1] / times["memo/process_alone"][-1])
            ratios.setdefault("memo/process_spawn_speedup", []).append(
                times["memo/serial"][-1] / times["memo/process_spawn"][-1])
            ratios.setdefault("memo/dask_spawn_over_process_spawn", []).append(
                times["memo/dask_spawn"][-1] / times["memo/process_spawn"][-1])
            if args.memo_only:
                continue
            ratios.setdefault("memo_gain_serial", []).append(times["no_memo/serial"][-1] / times["memo/serial"][-1])
            ratios.setdefault("no_memo/process_speedup_same_work", []).append(
                times["no_memo/serial1"][-1] / times["no_memo/process"][-1])
    identical = all(t == tables[0] for t in tables)
    med = {k: round(statistics.median(v), 2) for k, v in times.items()}
    rmed = {k: round(statistics.median(v), 3) for k, v in ratios.items()}
    spread = {k: {"min": round(min(v), 3), "median": round(statistics.median(v), 3), "max": round(max(v), 3)}
              for k, v in {**times, **ratios}.items()}
    result = {
        "what": f"{args.runs}-run sweep (sl_pct x exit_time) of straddle_920.strat over {args.days} synthetic days",
        "workers": args.workers, "repeats": args.repeats,
        "seconds": {k: [round(x, 2) for x in v] for k, v in times.items()},
        "median_seconds": med, "median_ratios": rmed, "min_median_max": spread,
        "date": time.strftime("%Y-%m-%d"), "load_average_at_start": [round(x, 2) for x in load],
        "cpus": os.cpu_count(), "pythondontwritebytecode_unset": bytecode_unset,
        "identical_results": identical, "runs": len(tables[0]),
        "dask_running_first_sweep_seconds": round(first_seconds, 2),
        "machine_python_scaling": spread["machine/python_scaling"],
        "targets": {"speedup_2w": 1.8, "dask_over_process_at_most": 1.15},
    }
    print(f"\nmedians over {args.repeats} paired repeats ({args.workers} workers; load average at start "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; {note(bytecode_unset)}):")
    for memo in MEMO:
        if memo + "/serial" not in med:
            continue
        print(f"  {memo:8s} serial {med[memo + '/serial']:6.2f} s   process {med[memo + '/process']:6.2f} s "
              f"({rmed[memo + '/process_speedup']:.2f}x)   dask {med[memo + '/dask']:6.2f} s "
              f"({rmed[memo + '/dask_speedup']:.2f}x; {rmed[memo + '/dask_over_process']:.2f} of the pool)")
    if not args.memo_only:
        print(f"  no_memo  serial with one DuckDB thread (a pool worker's setting) {med['no_memo/serial1']:6.2f} s:"
              f" process speed-up on the same work {rmed['no_memo/process_speedup_same_work']:.2f}x")
        print(f"  memo makes a serial sweep {rmed['memo_gain_serial']:.2f}x faster")
    print(f"  memo, 2 workers without the shared cache (--no-shared-cache) {med['memo/process_alone']:6.2f} s"
          f" ({rmed['memo/process_alone_speedup']:.2f}x serial)")
    print(f"  memo, workers spawned as before (OPTBT_SWEEP_START=spawn): process {med['memo/process_spawn']:6.2f} s"
          f" ({rmed['memo/process_spawn_speedup']:.2f}x serial), dask {med['memo/dask_spawn']:6.2f} s"
          f" ({rmed['memo/dask_spawn_over_process_spawn']:.2f} of that pool)")
    print(f"  memo, Dask cluster kept running between sweeps (dask://): {med['memo/dask_running']:6.2f} s"
          f" ({rmed['memo/dask_running_over_process']:.2f} of the pool); its first sweep on fresh workers"
          f" {first_seconds:.2f} s")
    m = spread["machine/python_scaling"]
    print(f"  this machine: {args.workers} copies of pure-Python work at once run {m['median']:.2f}x (min "
          f"{m['min']:.2f}, max {m['max']:.2f}) one after another: the ceiling of any {args.workers}-worker sweep"
          " of Python runs, before its fixed costs")
    for k, v in spread.items():
        if "/" in k and ("speedup" in k or "over" in k):
            print(f"  {k:36s} min {v['min']:.2f}  median {v['median']:.2f}  max {v['max']:.2f}")
    print(f"every variant gave the same table: {identical}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
