"""Paired before/after engine benchmark: two checkouts, alternating fresh-process runs.

    git archive BASE | tar -x -C /tmp/optbt-before
    python benchmarks/bench_engine_paired.py --before /tmp/optbt-before --data DATASET [--pairs 7]

Each pair runs ``bench_engine.py --one KIND`` from the old and the new checkout back to back
(order alternating), on the same dataset, and records wall time and the child's CPU time
(user + sys, less sensitive than wall time to other load on a shared machine). It prints
medians and the median of the per-pair ratios new / old, and checks that trades and PnL agree.
On a noisy machine read the CPU ratio, and repeat: figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from user_env import note, with_bytecode_cache  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="a checkout of the base (e.g. from git archive)")
    ap.add_argument("--after", default=str(ROOT))
    ap.add_argument("--data", required=True, help="dataset folder (e.g. made by optbt data synth --days 250)")
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--kinds", default="straddle,iron_condor")
    args = ap.parse_args()
    trees = {"before": args.before, "after": args.after}
    print(note(with_bytecode_cache()))
    kinds = args.kinds.split(",")
    res: dict = {t: {k: [] for k in kinds} for t in trees}
    load0 = os.getloadavg()
    for i in range(args.pairs):
        for kind in kinds:
            for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
                c0 = _cpu()
                r = subprocess.run([sys.executable, f"{trees[name]}/benchmarks/bench_engine.py", "--one", kind,
                                    "--data", args.data], capture_output=True, text=True, check=True,
                                   cwd=trees[name])
                out = json.loads(r.stdout.strip().splitlines()[-1])
                res[name][kind].append({"cpu": _cpu() - c0, "wall": out["seconds"], "trades": out["trades"],
                                        "pnl": out["pnl"]})
    load1 = os.getloadavg()
    print(f"{args.pairs} pairs; load average {load0[0]:.2f} -> {load1[0]:.2f} on {os.cpu_count()} cpus")
    for kind in kinds:
        b, a = res["before"][kind], res["after"][kind]
        for m in ("cpu", "wall"):
            ratios = [y[m] / x[m] for x, y in zip(b, a) if x[m] > 0]
            print(f"{kind:12s} {m:4s} before {statistics.median(x[m] for x in b):.3f} s  after "
                  f"{statistics.median(x[m] for x in a):.3f} s  paired ratio median {statistics.median(ratios):.3f} "
                  f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
        same = {(x["trades"], x["pnl"]) for x in b} == {(x["trades"], x["pnl"]) for x in a}
        print(f"{kind:12s} trades and pnl agree: {same} ({b[0]['trades']} trades, pnl {b[0]['pnl']})")


if __name__ == "__main__":
    main()
