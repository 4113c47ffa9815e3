"""Market-signal benchmark: what indicators cost per tick, and that strategies without them pay nothing.

    python benchmarks/bench_signals.py [--bars 50000] [--json benchmarks/results/signals.json]

1. ``update``: each incremental indicator of ``optbt.model.indicators`` fed ``--bars`` bars
   (µs per bar, the loop's own cost included); with talipp installed (not a dependency:
   ``pip install talipp``) the same for talipp, and the last values of both side by side.
2. ``engine``: the embedded sample (60 days, 22,500 ticks) run by a Python strategy that reads
   nothing, and by strategies that read one indicator (``ctx.indicator``) on every tick: the
   difference per tick is what an indicator costs inside a run (the fetch of whole bars
   included).
3. ``dsl``: ``strategies_dsl/straddle_920.strat`` (no signals) on the sample: bar queries made
   (must be 0) and seconds.

Figures, not assertions (the machine is shared: the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing


def _bars(n: int) -> list[tuple[float, float, float, float, float]]:
    rng = random.Random(1)
    p, out = 100.0, []
    for _ in range(n):
        o = p
        p *= math.exp(rng.gauss(0, 0.001))
        out.append((o, max(o, p) * 1.0005, min(o, p) * 0.9995, p, 1000.0))
    return out


def bench_updates(n: int) -> dict:
    from optbt.model import indicators as I
    bars = _bars(n)
    closes = [b[3] for b in bars]
    own = {"sma": (lambda: I.SMA(20), False), "ema": (lambda: I.EMA(20), False), "rsi": (lambda: I.RSI(14), False),
           "atr": (lambda: I.ATR(14), True), "vwap": (lambda: I.VWAP(), True),
           "bollinger": (lambda: I.Bollinger(20, 2), False), "supertrend": (lambda: I.Supertrend(10, 3), True)}
    out: dict = {}
    for name, (make, hlcv) in own.items():
        ind = make()
        up = ind.update
        t0 = time.perf_counter()
        if hlcv:
            for o, h, l, c, v in bars:
                up(h, l, c, v)
        else:
            for c in closes:
                up(c)
        us = (time.perf_counter() - t0) / n * 1e6
        out[name] = {"optbt_us_per_bar": round(us, 3), "optbt_last": getattr(ind, "upper", None) or ind.value}
    try:
        from talipp import indicators as T
        from talipp.ohlcv import OHLCV
    except ImportError:
        return out
    theirs = {"sma": (lambda: T.SMA(20), False, lambda x: x[-1]), "ema": (lambda: T.EMA(20), False, lambda x: x[-1]),
              "rsi": (lambda: T.RSI(14), False, lambda x: x[-1]), "atr": (lambda: T.ATR(14), True, lambda x: x[-1]),
              "vwap": (lambda: T.VWAP(), True, lambda x: x[-1]),
              "bollinger": (lambda: T.BB(20, 2), False, lambda x: x[-1].ub),
              "supertrend": (lambda: T.SuperTrend(10, 3), True, lambda x: x[-1].value)}
    ohlcv = [OHLCV(*b) for b in bars]
    for name, (make, hlcv, last) in theirs.items():
        ind = make()
        t0 = time.perf_counter()
        for x in (ohlcv if hlcv else closes):
            ind.add(x)
        out[name]["talipp_us_per_bar"] = round((time.perf_counter() - t0) / n * 1e6, 3)
        out[name]["talipp_last"] = last(ind)
    return out


def bench_engine(repeats: int) -> dict:
    from optbt import Strategy
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.data.memo import MemoSource
    from optbt.data.sample import default_dataset
    from optbt.engine.loop import EventEngine

    source = MemoSource(DuckDBSource(default_dataset(quiet=True)))

    class Nothing(Strategy):
        def entry(self, ctx):
            ctx.spot

    def reading(kind, *args, **kw):
        class Reads(Strategy):
            def entry(self, ctx):
                ctx.indicator(kind, *args, **kw)
        return Reads

    def best(cls) -> tuple[float, int]:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = EventEngine(source).run(cls())
            times.append(time.perf_counter() - t0)
        return min(times), r.engine["ticks"]

    EventEngine(source).run(Nothing())  # warm the memo: every run below reads the same days from memory
    base, ticks = best(Nothing)
    out = {"ticks": ticks, "nothing_s": round(base, 4)}
    for label, cls in (("ema_20", reading("ema", 20)), ("rsi_14_5m", reading("rsi", 14, interval="5m")),
                       ("supertrend_10_3", reading("supertrend", 10, 3)),
                       ("bollinger_20_2_upper", reading("bollinger", 20, 2, field="upper"))):
        EventEngine(source).run(cls())  # whole bars fetched once into the memo-less reader: warm-up
        s, _ = best(cls)
        out[label + "_us_per_tick"] = round((s - base) / ticks * 1e6, 3)
    return out


def bench_dsl() -> dict:
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.data.sample import default_dataset
    from optbt.dsl.loader import load_strategy
    from optbt.engine.loop import EventEngine

    src = DuckDBSource(default_dataset(quiet=True))
    calls = []
    inner = src.ohlc_bars
    src.ohlc_bars = lambda *a, **k: calls.append(a) or inner(*a, **k)
    cls = load_strategy(str(ROOT / "strategies_dsl" / "straddle_920.strat"))
    t0 = time.perf_counter()
    r = EventEngine(src).run(cls())
    return {"straddle_920_s": round(time.perf_counter() - t0, 3), "bar_queries": len(calls), "queries": r.engine["queries"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bars", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "signals.json"))
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    result = {"update": bench_updates(args.bars), "engine": bench_engine(args.repeats), "dsl": bench_dsl(),
              "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}
    print(json.dumps(result, indent=1))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
