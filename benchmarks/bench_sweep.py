"""Sweep benchmark: one 16-run sweep of the 09:20 straddle, serial vs 2 processes vs Dask.

    python benchmarks/bench_sweep.py [--days 250] [--repeats 3] [--workers 2]
                                     [--json benchmarks/results/sweep.json]

Each measurement is the ``optbt sweep`` command a user types, in a fresh process and a fresh
output folder, timed wall-clock end to end (start-up, pool or cluster start, every run).
The three executors are interleaved within each repeat so they share the machine's noise;
speed-ups are taken within a repeat and the medians printed. The script also checks the
three executors produced the same table. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_engine import ensure_dataset  # noqa: E402  (same synthetic year as the engine benchmark)

STRATEGY = str(ROOT / "strategies_dsl" / "straddle_920.strat")
GRID = ["--grid", "sl_pct=20,30,40,50", "--grid", "exit_time=15:00,15:10,15:15,15:20"]  # 16 runs
EXECUTORS = ("serial", "process", "dask")


def sweep_once(executor: str, data: Path, workers: int, out: Path) -> tuple[float, list[dict]]:
    cmd = [sys.executable, "-m", "optbt", "sweep", STRATEGY, *GRID, "--data", str(data), "--quiet",
           "--executor", executor, "--workers", str(1 if executor == "serial" else workers), "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{executor} sweep failed:\n{proc.stdout}\n{proc.stderr}")
    with (out / "sweep.csv").open() as fh:
        rows = [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in csv.DictReader(fh)]
    return seconds, rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "sweep.json"))
    args = ap.parse_args()
    data = ensure_dataset(args.days)
    times: dict[str, list[float]] = {e: [] for e in EXECUTORS}
    ratios: dict[str, list[float]] = {"process": [], "dask": [], "dask_vs_process": []}
    tables: dict[str, list[dict]] = {}
    for n in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            for executor in EXECUTORS:
                seconds, rows = sweep_once(executor, data, args.workers, Path(tmp) / executor)
                times[executor].append(seconds)
                tables.setdefault(executor, rows)
                print(f"repeat {n + 1}: {executor:8s} {seconds:7.2f} s", flush=True)
        s, p, d = (times[e][-1] for e in EXECUTORS)
        ratios["process"].append(s / p)
        ratios["dask"].append(s / d)
        ratios["dask_vs_process"].append(d / p)
    identical = tables["serial"] == tables["process"] == tables["dask"]
    med = {e: statistics.median(v) for e, v in times.items()}
    result = {
        "what": f"16-run sweep (sl_pct x exit_time) of straddle_920.strat over {args.days} synthetic days",
        "workers": args.workers, "repeats": args.repeats,
        "seconds": {e: [round(x, 2) for x in v] for e, v in times.items()},
        "median_seconds": {e: round(v, 2) for e, v in med.items()},
        "speedup_process_2w": round(statistics.median(ratios["process"]), 3),
        "speedup_dask_2w": round(statistics.median(ratios["dask"]), 3),
        "dask_over_process": round(statistics.median(ratios["dask_vs_process"]), 3),
        "identical_results": identical,
        "runs": len(tables["serial"]),
        "targets": {"speedup_2w": 1.8, "dask_within": 1.15},
    }
    print(f"\nmedians over {args.repeats} repeats: serial {med['serial']:.2f} s, "
          f"process x{args.workers} {med['process']:.2f} s, dask x{args.workers} {med['dask']:.2f} s")
    print(f"speed-up with {args.workers} workers (same repeat): process {result['speedup_process_2w']:.2f}x, "
          f"dask {result['speedup_dask_2w']:.2f}x (target >= 1.8x); dask / process = "
          f"{result['dask_over_process']:.2f} (target <= 1.15)")
    print(f"serial, process and dask tables identical: {identical}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
