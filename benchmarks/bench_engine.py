"""Engine benchmark: the event engine against a single vectorised DuckDB query (the floor).

    python benchmarks/bench_engine.py [--days 250] [--repeats 5]
        [--layouts hive_day,monthly,spot_single,monthly_sorted,spot_single_sorted,monthly_split,
                   monthly_utc,monthly_datetime,monthly_text]
        [--json benchmarks/results/engine.json] [--quick]

On a synthetic dataset (made once into benchmarks/.data/, reused) and the same prices copied
into other common layouts (``benchmarks/layouts.py``: hive folders per day, one file a month,
options per day with one unpartitioned spot file, the last two in time order as vendors
write them, both again after ``optbt data sort``, the month files after ``--split-days``, and the month
files with the time stored as UTC instants, as a date and a time, and as ISO text) it times, each in a fresh
process: the
09:20 short straddle computed by one SQL query (the floor), the same straddle in Python
(``examples/straddle_920.py``) and in ``.strat`` (``strategies_dsl/straddle_920.strat``) on the
event engine, a 4-leg iron condor with 30 % stops, and eight legs held open all day
(``benchmarks/eight_legs.strat``: the per-tick cost of many open legs), and the straddle again
with the background read-ahead off (``straddle_no_ra``: on / off is printed). Then the start-up of ``optbt --help``
and of ``optbt run`` on a one-day dataset: the Python straddle, the .strat straddle run again,
and the .strat straddle just edited (compiled again).

Measurements are **paired**: each repeat runs every variant once, back to back (in an order
that turns by one each repeat), and ratios are taken inside a repeat, so they share the
machine's noise; min/median/max over repeats
are printed and written, with the load average at start. Ratios, not seconds, carry over
between machines. ``--quick`` (a few days, one repeat) only keeps the script working in CI.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
DATA = ROOT / "benchmarks" / ".data"
sys.path.insert(0, str(ROOT / "benchmarks"))

from layouts import LAYOUTS, make_layout  # noqa: E402
from user_env import note, with_bytecode_cache  # noqa: E402
STRATEGIES = {
    "straddle": ("examples/straddle_920.py:Straddle920", {}),
    "straddle_strat": ("strategies_dsl/straddle_920.strat", {}),
    "iron_condor": ("examples/iron_condor.py:IronCondor", {}),
    "eight_legs": ("benchmarks/eight_legs.strat", {}),  # eight legs held open 09:20-15:15, a stop read each tick
    "straddle_no_ra": ("examples/straddle_920.py:Straddle920", {}),  # the straddle with OPTBT_READ_AHEAD=0
}
KINDS = ("floor", "straddle", "straddle_cold", "straddle_strat", "iron_condor", "eight_legs", "straddle_no_ra")
# The chain index (optbt/data/chain_index.py) remembers each dataset's chain listing on disk: the
# variants run with a benchmark-owned index, warm after a layout's first run (a user's second run
# of a dataset, and every run of a sweep); "straddle_cold" clears it before every run (a user's
# very first run of a dataset), so both figures are in the table.
CHAINS = DATA / "chains"
NO_READ_AHEAD = {"straddle_no_ra"}  # run with the background read-ahead turned off (paired on/off)

FLOOR_SQL = """
WITH spot AS (
    SELECT CAST(ts AS DATE) AS day, close AS s FROM read_parquet($spot) WHERE strftime(ts, '%H:%M') = '09:20'),
nearest AS (
    SELECT CAST(ts AS DATE) AS day, min(expiry) AS e FROM read_parquet($opts) WHERE expiry >= CAST(ts AS DATE)
    GROUP BY ALL),
atm AS (SELECT day, e, floor(s / 50 + 0.5) * 50 AS k FROM spot JOIN nearest USING (day)),
legs AS (
    SELECT a.day, o.opt_type, o.ts, o.close FROM read_parquet($opts) o
    JOIN atm a ON CAST(o.ts AS DATE) = a.day AND o.expiry = a.e AND o.strike = a.k
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


def floor_sql(src) -> tuple[str, dict]:
    """FLOOR_SQL over a layout's files, with their time read as exchange time: a layout whose
    time is not a naive timestamp (``monthly_utc``, ``monthly_datetime``, ``monthly_text``) is
    converted in the query, by the engine's own expression (:meth:`Table.ts_expr`)."""
    sql, params = FLOOR_SQL, {}
    for name, table in (("spot", src.spot), ("opts", src.options)):
        cols = table.columns
        if cols.ts and table.types.get(cols.ts) == "TIMESTAMP":
            continue
        raw = ", ".join(f'"{c}"' for c in ([cols.ts] if cols.ts else [cols.date, cols.time]))
        exact = table.ts_expr(src.config.timezone)
        if table.types.get(cols.ts or "") == "VARCHAR":
            # text: the per-row parsing, not the plain cast runs use once the text is proven
            # zone-free; in this query DuckDB runs it faster (1.13 s against 1.66-1.94 s, measured),
            # and the floor is the fastest single query
            exact = table._text_ts(f'"{cols.ts}"', src.config.timezone)
        view = f"(SELECT * EXCLUDE ({raw}), {exact} AS ts FROM read_parquet(${name}))"
        sql = sql.replace(f"read_parquet(${name})", view)
        if "$tz" in view:
            params["tz"] = src.config.timezone
    return sql, params


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
        sql, params = floor_sql(src)
        n, pnl = con.execute(sql, {"spot": src.spot.all_files, "opts": src.options.all_files,
                                   "lot": config.lot_size, **params}).fetchone()
        out = {"seconds": time.perf_counter() - t0, "trades": n, "pnl": round(pnl or 0.0, 2)}
    else:
        from optbt.dsl.loader import load_strategy
        from optbt.engine.loop import run_backtest
        spec, params = STRATEGIES[kind.removesuffix("_cold")]
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
               "query_seconds": timed["q"], "engine_seconds": e["seconds"],
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


def run_one(kind: str, data: Path) -> dict:
    import shutil
    cold = kind.endswith("_cold")
    index = CHAINS.with_name("chains-cold") if cold else CHAINS
    if cold:
        shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    env = {**os.environ, "OPTBT_CHAIN_INDEX": str(index)}
    if kind in NO_READ_AHEAD:
        env["OPTBT_READ_AHEAD"] = "0"
    r = subprocess.run([sys.executable, __file__, "--one", kind, "--data", str(data)],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{kind} on {data} failed:\n{r.stdout}\n{r.stderr}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["process_seconds"] = time.perf_counter() - t0
    return out


def spread(values: list[float], digits: int = 3) -> dict:
    """min / median / max of paired repeats (what the README quotes)."""
    return {"min": round(min(values), digits), "median": round(statistics.median(values), digits),
            "max": round(max(values), digits), "n": len(values)}


def startup(data: Path, repeats: int) -> dict:
    """Wall time of whole commands as a user types them: ``optbt --help`` and a one-day run."""
    one_day = ensure_dataset(1)
    out = {}
    run = [sys.executable, "-m", "optbt", "run"]
    tail = ["--data", str(one_day), "--quiet", "--out", str(DATA / "startup-run")]
    strat = DATA / "startup-strat" / "straddle_920.strat"
    strat.parent.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "strategies_dsl" / "straddle_920.strat").read_text()
    strat.write_text(text)
    subprocess.run(run + [str(strat)] + tail, capture_output=True, check=True, cwd=ROOT)  # compiled once
    cmds = {"help": [sys.executable, "-m", "optbt", "--help"],
            "run_1_day": run + [str(ROOT / "examples/straddle_920.py:Straddle920")] + tail,
            # the same .strat file again (its compiled class is found by its text), and one just
            # edited (compiled: parser, AST, checks, compiler; the parser's tables are cached)
            "run_1_day_strat": run + [str(strat)] + tail,
            "run_1_day_strat_edited": run + [str(strat)] + tail}
    for name, cmd in cmds.items():
        times = []
        for n in range(repeats):
            if name == "run_1_day_strat_edited":
                strat.write_text(text + f"\n# edit {time.time_ns()} {n}\n")
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)
            times.append(time.perf_counter() - t0)
        out[name] = spread(times)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=250)
    ap.add_argument("--small-days", type=int, default=50, help="second length, for the RSS-vs-days check")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--layouts", default=",".join(LAYOUTS))
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "engine.json"))
    ap.add_argument("--quick", action="store_true", help="5 days, 1 repeat, one layout: a smoke test")
    ap.add_argument("--one")
    ap.add_argument("--data")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.data)))
        return
    if args.quick:
        args.days, args.small_days, args.repeats, args.layouts = 5, 3, 1, "hive_day"
        if args.json == ap.get_default("json"):
            args.json = str(DATA / "engine-quick.json")
    bytecode_unset = with_bytecode_cache()
    load = os.getloadavg()
    base = ensure_dataset(args.days)
    small = ensure_dataset(args.small_days)
    layouts = [x for x in args.layouts.split(",") if x]
    paths = {lay: make_layout(base, lay) for lay in layouts}
    runs: dict[str, dict[str, list[dict]]] = {lay: {k: [] for k in KINDS} for lay in layouts}
    for rep in range(args.repeats):  # paired: every variant once per repeat, back to back
        for lay in layouts:
            # the order turns each repeat, so that no variant always runs right after the
            # floor's two-thread scan (an order effect of up to 20 % was seen on one layout)
            turn = rep % len(KINDS)
            for kind in KINDS[turn:] + KINDS[:turn]:
                runs[lay][kind].append(run_one(kind, paths[lay]))
        print(f"repeat {rep + 1}/{args.repeats} done", file=sys.stderr)
    results: dict = {"date": time.strftime("%Y-%m-%d"), "days": args.days, "repeats": args.repeats,
                     "load_average_at_start": [round(x, 2) for x in load], "cpus": os.cpu_count(), "layouts": {},
                     "pythondontwritebytecode_unset": bytecode_unset}
    lines = [f"dataset: {args.days} synthetic days; {args.repeats} paired repeats, fresh process each; "
             f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores",
             note(bytecode_unset),
             "x floor: in-process time (config + run) / the floor's (config + query); process: whole commands;"
             " engine: the engine's run / the floor's",
             f"{'layout':<12} {'variant':<15} {'seconds min/med/max':<22} {'x floor min/med/max':<20} "
             f"{'process':>8} {'engine':>7} {'us/tick':>8} {'q/day':>6} {'pnl':>12}"]
    for lay in layouts:
        r = runs[lay]
        entry: dict = {}
        for kind in KINDS:
            rs = r[kind]
            e = {"seconds": spread([x["seconds"] for x in rs]), "pnl": rs[0]["pnl"], "trades": rs[0]["trades"],
                 "peak_rss_mb": round(statistics.median(x["peak_rss_mb"] for x in rs), 1)}
            if kind != "floor":
                e["x_floor"] = spread([x["seconds"] / f["seconds"] for x, f in zip(rs, r["floor"])], 2)
                e["process_x_floor"] = spread([x["process_seconds"] / f["process_seconds"]
                                               for x, f in zip(rs, r["floor"])], 2)
                e["engine_x_floor"] = spread([x["engine_seconds"] / f["seconds"] for x, f in zip(rs, r["floor"])], 2)
                e["us_per_tick"] = spread([x["us_per_tick"] for x in rs], 2)
                e["queries_per_day"] = round(rs[0]["queries_per_day"], 3)
                e["query_seconds"] = spread([x["query_seconds"] for x in rs])
            entry[kind] = e
            xf = e.get("x_floor")
            nan = float("nan")
            lines.append(f"{lay:<12} {kind:<15} {_fmt(e['seconds']):<22} {(_fmt(xf) if xf else '1 (floor)'):<20} "
                         f"{e.get('process_x_floor', {}).get('median', nan):>8.2f} "
                         f"{e.get('engine_x_floor', {}).get('median', nan):>7.2f} "
                         f"{e.get('us_per_tick', {}).get('median', nan):>8.2f} "
                         f"{e.get('queries_per_day', float('nan')):>6.2f} {e['pnl']:>12}")
        entry["strat_x_python_per_tick"] = spread(
            [s["us_per_tick"] / p["us_per_tick"] for s, p in zip(r["straddle_strat"], r["straddle"])], 2)
        entry["read_ahead_on_x_off"] = spread(
            [a["seconds"] / b["seconds"] for a, b in zip(r["straddle"], r["straddle_no_ra"])], 2)
        lines.append(f"{lay:<12} straddle read-ahead on / off {_fmt(entry['read_ahead_on_x_off'])}")
        entry["floor_pnl_equals_engine"] = entry["floor"]["pnl"] == entry["straddle"]["pnl"] == entry["straddle_strat"]["pnl"]
        lines.append(f"{lay:<12} .strat / Python per tick {_fmt(entry['strat_x_python_per_tick'])}; "
                     f"floor pnl == engine pnl: {entry['floor_pnl_equals_engine']}")
        results["layouts"][lay] = entry
    small_rss = [run_one("straddle", small)["peak_rss_mb"] for _ in range(max(1, min(3, args.repeats)))]
    results["peak_rss_mb"] = {f"{args.small_days}_days": round(statistics.median(small_rss), 1),
                              f"{args.days}_days": results["layouts"][layouts[0]]["straddle"]["peak_rss_mb"]}
    results["startup"] = startup(base, args.repeats)
    lines.append(f"peak RSS straddle: {results['peak_rss_mb']}")
    su = results["startup"]
    lines.append(f"start-up: optbt --help {_fmt(su['help'])} s; optbt run (1 day) {_fmt(su['run_1_day'])} s; "
                 f".strat {_fmt(su['run_1_day_strat'])} s, just edited {_fmt(su['run_1_day_strat_edited'])} s")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.json}")


def _fmt(s: dict) -> str:
    return f"{s['min']:g} / {s['median']:g} / {s['max']:g}"


if __name__ == "__main__":
    main()
