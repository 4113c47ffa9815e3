"""`optbt data check` benchmark: how long a check of a synthetic dataset takes.

    python benchmarks/bench_datacheck.py [--days 250] [--repeats 3] [--quick] [--data DIR]
                                         [--json benchmarks/results/datacheck.json]

Generates a synthetic dataset into a temporary folder (or uses ``--data``), then times
``check_dataset`` several times in this process and prints min / median / max and the load
average before and after (the machine is shared: a high load explains a slow figure).
``--quick`` checks 20 days once, to see that it works. The target is 250 days in <= 10 s on
2 cores. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="20 days, one repeat")
    ap.add_argument("--data", help="an existing dataset folder instead of generating one")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "datacheck.json"))
    args = ap.parse_args()
    if args.quick:
        args.days, args.repeats = 20, 1

    from optbt.data.check import check_dataset
    from optbt.data.dataset import load_dataset
    from optbt.data.synth import generate

    with tempfile.TemporaryDirectory(prefix="optbt-bench-check-") as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "synth"
        if not args.data:
            t0 = time.perf_counter()
            generate(data, days=args.days, seed=7)
            print(f"generated {args.days} days in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        config = load_dataset(data)
        load_before = os.getloadavg()
        runs, steps = [], []
        report = None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            report = check_dataset(config, progress=lambda done, total, label: steps.append(label))
            runs.append(time.perf_counter() - t0)
        load_after = os.getloadavg()
    out = {"days": args.days if not args.data else None, "data": str(data) if args.data else "synthetic",
           "repeats": args.repeats, "seconds_min": round(min(runs), 3),
           "seconds_median": round(statistics.median(runs), 3), "seconds_max": round(max(runs), 3),
           "runs": [round(r, 3) for r in runs], "cpus": os.cpu_count(),
           "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
           "progress_steps": len(steps) // max(args.repeats, 1),
           "findings": [(f.level, f.check, f.count) for f in report.findings] if report else []}
    print(f"data check of {out['days'] or args.data} days: min {out['seconds_min']:.2f} s, "
          f"median {out['seconds_median']:.2f} s, max {out['seconds_max']:.2f} s ({args.repeats} runs); "
          f"load average {load_before[0]:.2f} -> {load_after[0]:.2f} on {out['cpus']} cpus")
    print(f"findings: {out['findings']}")
    if not args.quick:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
