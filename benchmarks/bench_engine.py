"""Engine benchmark: the event engine against a single vectorised DuckDB query (the floor).

    python benchmarks/bench_engine.py [--days 250] [--repeats 3] [--json benchmarks/results/engine.json]

On a synthetic dataset (made once into benchmarks/.data/, reused) it times, each in a fresh
process and repeated: a 2-leg 09:20 short straddle (30 % stop per leg, exit 15:15), a 4-leg
iron condor with 30 % stops, and the straddle computed by one SQL query over the same files.
It prints medians, the ratio to the floor (taken in the same run), queries per day, engine
overhead per tick (wall time outside data queries / ticks) and peak RSS at two dataset
lengths (flat memory means RSS does not grow with days). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
DATA = ROOT / "benchmarks" / ".data"
STRATEGIES = {
    "straddle": ("examples/straddle_920.py:Straddle920", {}),
    "iron_condor": ("examples/iron_condor.py:IronCondor", {}),
}

FLOOR_SQL = """
WITH spot AS (
    SELECT day, close AS s FROM read_parquet($spot, hive_partitioning=true) WHERE strftime(ts, '%H:%M') = '09:20'),
nearest AS (
    SELECT day, min(expiry) AS e FROM read_parquet($opts, hive_partitioning=true) WHERE expiry >= day GROUP BY day),
atm AS (SELECT day, e, floor(s / 50 + 0.5) * 50 AS k FROM spot JOIN nearest USING (day)),
legs AS (
    SELECT o.day, o.opt_type, o.ts, o.close FROM read_parquet($opts, hive_partitioning=true) o
    JOIN atm a ON o.day = a.day AND o.expiry = a.e AND o.strike = a.k
    WHERE strftime(o.ts, '%H:%M') BETWEEN '09:20' AND '15:15'),
entry AS (SELECT day, opt_type, close AS ep FROM legs WHERE strftime(ts, '%H:%M') = '09:20'),
stop AS (
    SELECT l.day, l.opt_type, min(l.ts) AS sts FROM legs l JOIN entry en USING (day, opt_type)
    WHERE strftime(l.ts, '%H:%M') > '09:20' AND l.close >= en.ep * 1.3 GROUP BY ALL),
exits AS (
    SELECT en.day, en.opt_type, en.ep,
           (SELECT close FROM legs l WHERE l.day = en.day AND l.opt_type = en.opt_type
              AND l.ts <= coalesce(st.sts, (SELECT max(ts) FROM legs l2 WHERE l2.day = en.day
                                            AND l2.opt_type = en.opt_type)) ORDER BY l.ts DESC LIMIT 1) AS xp
    FROM entry en LEFT JOIN stop st USING (day, opt_type))
SELECT count(*), sum((ep - xp) * $lot) FROM exits
"""


def ensure_dataset(days: int) -> Path:
    out = DATA / f"synth-{days}"
    if not (out / "dataset.toml").exists():
        from optbt.data.synth import generate
        t0 = time.perf_counter()
        generate(out, days=days, seed=7)
        print(f"generated {out} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return out


def one(kind: str, data: str) -> dict:
    """One measured run in this (fresh) process; prints JSON."""
    from optbt.data.dataset import load_dataset
    from optbt.data.duckdb_source import DuckDBSource
    t0 = time.perf_counter()
    config = load_dataset(data)
    if kind == "floor":
        import duckdb
        src = DuckDBSource(config)
        con = duckdb.connect()
        n, pnl = con.execute(FLOOR_SQL, {"spot": src.spot.all_files, "opts": src.options.all_files,
                                         "lot": config.lot_size}).fetchone()
        out = {"seconds": time.perf_counter() - t0, "trades": n, "pnl": round(pnl or 0.0, 2)}
    else:
        from optbt.dsl.loader import load_strategy
        from optbt.engine.loop import run_backtest
        spec, params = STRATEGIES[kind]
        src = DuckDBSource(config)
        timed = {"q": 0.0}
        for name in ("chain", "spot_bars", "option_bars", "trading_days"):
            fn = getattr(src, name)

            def wrap(*a, _fn=fn, **k):
                s = time.perf_counter()
                try:
                    return _fn(*a, **k)
                finally:
                    timed["q"] += time.perf_counter() - s
            setattr(src, name, wrap)
        res = run_backtest(load_strategy(str(ROOT / spec)), source=src, params=params)
        total = time.perf_counter() - t0
        e = res.engine
        out = {"seconds": total, "trades": len(res.trades), "pnl": round(res.metrics["total_pnl"], 2),
               "queries_per_day": e["queries"] / max(e["days"], 1), "ticks": e["ticks"],
               "query_seconds": timed["q"],
               "us_per_tick": (e["seconds"] - timed["q"]) / max(e["ticks"], 1) * 1e6}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux's VmHWM belongs to this program's memory alone;
    ru_maxrss survives exec, so it would report the parent's peak when that was larger
    (e.g. when the parent just generated the dataset)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, data: Path, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        r = subprocess.run([sys.executable, __file__, "--one", kind, "--data", str(data)],
                           capture_output=True, text=True, check=True)
        runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if isinstance(runs[0][k], (int, float))}
    med["runs"] = [round(r["seconds"], 3) for r in runs]
    return med


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--small-days", type=int, default=50, help="second length, for the RSS-vs-days check")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "engine.json"))
    ap.add_argument("--one")
    ap.add_argument("--data")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.data)))
        return
    data = ensure_dataset(args.days)
    small = ensure_dataset(args.small_days)
    results = {"days": args.days, "repeats": args.repeats}
    for kind in ("floor", "straddle", "iron_condor"):
        results[kind] = measure(kind, data, args.repeats)
    results["straddle_small"] = measure("straddle", small, args.repeats)
    floor = results["floor"]["seconds"]
    results["straddle_vs_floor"] = round(results["straddle"]["seconds"] / floor, 2)
    results["iron_condor_vs_floor"] = round(results["iron_condor"]["seconds"] / floor, 2)
    results["floor_agrees_with_engine_pnl"] = results["floor"]["pnl"] == results["straddle"]["pnl"]
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    s, ic, fl = results["straddle"], results["iron_condor"], results["floor"]
    print(f"dataset: {args.days} synthetic days ({data}); medians of {args.repeats} fresh-process runs")
    print(f"SQL floor (straddle, one query)   {fl['seconds']:.3f} s   pnl {fl['pnl']}")
    print(f"straddle, event engine            {s['seconds']:.3f} s   {results['straddle_vs_floor']}x floor"
          f"   pnl {s['pnl']}   {s['queries_per_day']:.1f} queries/day   {s['us_per_tick']:.2f} us/tick"
          f"   peak RSS {s['peak_rss_mb']:.0f} MB")
    print(f"iron condor (4 legs), event engine {ic['seconds']:.3f} s  {results['iron_condor_vs_floor']}x floor"
          f"   {ic['queries_per_day']:.1f} queries/day   {ic['us_per_tick']:.2f} us/tick   peak RSS {ic['peak_rss_mb']:.0f} MB")
    print(f"peak RSS straddle: {args.small_days} days {results['straddle_small']['peak_rss_mb']:.0f} MB vs "
          f"{args.days} days {s['peak_rss_mb']:.0f} MB")
    print(f"floor pnl == engine pnl: {results['floor_agrees_with_engine_pnl']}")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
