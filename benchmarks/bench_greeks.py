"""Greeks benchmark: strike by delta over a 100-strike chain, and what strategies without greeks pay.

    python benchmarks/bench_greeks.py [--days 3] [--repeats 5] [--json benchmarks/results/greeks.json]

On a parquet dataset made here (DuckDB source, as a user runs it): one expiry with 100 call
and 100 put strikes, 375 one-minute ticks a day, Black-Scholes prices with a smile. A strategy
asks ``ctx.strike_by_delta("PE", 0.16)`` on every tick and times each call, over ``--repeats``
runs (a fresh source each):

* ``first_of_day``: the day's first selection: one query reads the 100 puts' bars known in
  the next 16 ticks (optbt.engine.livechain), then about 100 IVs and deltas are computed;
* ``window_read``: a later selection on a tick that starts a new window (a query; windows
  of 16, 32, 64, ... ticks, each twice the one before);
* ``per_tick``: every later selection (window reads included);
* ``same_tick_again``: a second selection on the same tick (memoised greeks);
* ``first_of_day_day_cache``: the day's first selection the way it was made before the live
  chain (a source without ``chain_bars``: every strike's whole day fetched), for comparison;
* ``*_cpu``: the same selections in the process's CPU time (``time.process_time``, DuckDB's
  threads included): on a shared machine the wall clock also counts other processes'.

Then the same ATM straddle with and without a greek read (``net_delta`` on every tick), and
whether a strategy that asks for no greek ever builds the day's greek book (it must not).
Figures, not assertions (the machine is shared: the load average at the start is written);
the target is 5 ms a selection on a 100-strike chain.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from optbt import Strategy, run_backtest  # noqa: E402
from optbt.data.dataset import load_dataset  # noqa: E402
from optbt.engine.livechain import MAX_DOUBLINGS, WINDOW_TICKS  # noqa: E402
from optbt.model.greeks import bs_price  # noqa: E402
from tests.kit import DayCacheOnly  # noqa: E402  (the source without the live chain: the old path)

N_TICKS = 375
STRIKES = [18500.0 + 50 * i for i in range(100)]


def make_dataset(folder: Path, days: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.kit import minute

    rng = random.Random(1)
    spot_rows, opt_rows = [], []
    day = date(2024, 1, 1)
    for _ in range(days):
        expiry = day + timedelta(days=3)
        s = 21000.0
        for k in range(N_TICKS):
            s *= math.exp(rng.gauss(0, 0.0006))
            ts = minute(day, k)
            spot_rows.append({"ts": ts, "underlying": "NIFTY", "close": s})
            t = ((expiry - day).days * 1440 + 375 - k) / (365 * 1440)
            for strike in STRIKES:
                m = math.log(strike / s) / math.sqrt(t)
                vol = 0.15 * (1 + 0.5 * m * m - 0.15 * m)
                for ot in ("CE", "PE"):
                    p = round((bs_price(ot, s, strike, t, 0.065, 0.0, vol) or 0.0) * 20) / 20
                    if p >= 0.05:
                        opt_rows.append({"ts": ts, "underlying": "NIFTY", "expiry": expiry, "strike": strike,
                                         "opt_type": ot, "close": p})
        day += timedelta(days=1)
    pq.write_table(pa.Table.from_pylist(spot_rows), folder / "spot.parquet")
    pq.write_table(pa.Table.from_pylist(opt_rows), folder / "options.parquet")
    (folder / "dataset.toml").write_text(
        'name = "greeks bench"\nunderlying = "NIFTY"\nstrike_step = 50\nlot_size = 50\n'
        '[options]\npath = "options.parquet"\n[spot]\npath = "spot.parquet"\n'
        '[session]\nstart = "09:15"\nend = "15:30"\n[greeks]\nrate = 0.065\n')
    return folder


def window_starts(ticks: int) -> set[int]:
    """The ticks where a rule asking on every tick reads a new window (optbt.engine.livechain)."""
    starts, at, n = set(), 0, 0
    while at < ticks:
        starts.add(at)
        at += WINDOW_TICKS << min(n, MAX_DOUBLINGS)
        n += 1
    return starts


WINDOW_STARTS = window_starts(N_TICKS)


class DeltaEveryTick(Strategy):
    """Never trades: picks the 16-delta put on every tick and times it."""

    def __init__(self):
        super().__init__()
        self.first, self.window, self.later, self.again, self.picked = [], [], [], [], []
        self.first_cpu, self.window_cpu = [], []

    def entry(self, ctx):
        c0, t0 = time.process_time(), time.perf_counter()
        k = ctx.strike_by_delta("PE", 0.16)
        t1, c1 = time.perf_counter(), time.process_time()
        ctx.strike_by_delta("PE", 0.16)
        t2 = time.perf_counter()
        if ctx.tick == 0:
            self.first.append(t1 - t0)
            self.first_cpu.append(c1 - c0)
        else:
            self.later.append(t1 - t0)
            if ctx.tick in WINDOW_STARTS:
                self.window.append(t1 - t0)
                self.window_cpu.append(c1 - c0)
        self.again.append(t2 - t1)
        self.picked.append(k)


class Straddle(Strategy):
    """The ATM straddle from 09:20 to 15:15; ``read_greeks`` also reads net_delta on every tick."""

    read_greeks: bool = False

    def entry(self, ctx):
        if ctx.time >= "09:20":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

    def adjust(self, ctx):
        if self.read_greeks:
            ctx.net_delta
        self.books = getattr(self, "books", 0) + (ctx._run.greek_book is not None)

    def exit_check(self, ctx):
        return ctx.time >= "15:15"


def ms(xs):
    """min/median/p95/max in ms, and how many were over the 5 ms target (the tail, said plainly)."""
    ordered = sorted(xs)
    return {"min_ms": round(ordered[0] * 1e3, 3), "median_ms": round(statistics.median(xs) * 1e3, 3),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1e3, 3),
            "max_ms": round(ordered[-1] * 1e3, 3), "n": len(xs), "over_5ms": sum(x > 0.005 for x in xs)}


def main() -> dict:
    from optbt.data.duckdb_source import DuckDBSource

    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "greeks.json"))
    args = ap.parse_args()
    out: dict = {"strikes_per_type": len(STRIKES), "ticks_a_day": N_TICKS, "days": args.days,
                 "repeats": args.repeats, "window_ticks": WINDOW_TICKS, "load_average": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_dataset(make_dataset(Path(tmp), args.days))
        runs = []
        for _ in range(args.repeats):
            s = DeltaEveryTick()
            run_backtest(s, data=cfg)
            runs.append(s)
        out["first_of_day"] = ms([x for s in runs for x in s.first])
        out["first_of_day_cpu"] = ms([x for s in runs for x in s.first_cpu])
        out["window_read"] = ms([x for s in runs for x in s.window])
        out["window_read_cpu"] = ms([x for s in runs for x in s.window_cpu])
        out["per_tick"] = ms([x for s in runs for x in s.later])
        out["same_tick_again"] = ms([x for s in runs for x in s.again])
        out["picked_a_strike"] = sum(k is not None for k in runs[0].picked) / len(runs[0].picked)
        old = []
        for _ in range(2):
            s = DeltaEveryTick()
            run_backtest(s, source=DayCacheOnly(DuckDBSource(cfg)))
            old.append(s)
            assert s.picked == runs[0].picked  # the same strikes, tick by tick
        out["first_of_day_day_cache"] = ms([x for s in old for x in s.first])
        for name, flag in (("straddle_no_greeks", False), ("straddle_net_delta_every_tick", True)):
            times = []
            for _ in range(args.repeats):
                st = Straddle(read_greeks=flag)
                t0 = time.perf_counter()
                run_backtest(st, data=cfg)
                times.append(time.perf_counter() - t0)
            out[name] = {"seconds": {"min": round(min(times), 4), "median": round(statistics.median(times), 4),
                                     "max": round(max(times), 4)}, "ticks_with_a_greek_book": st.books}
    out["load_average_after"] = os.getloadavg()[0]
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:32s} {value}")
