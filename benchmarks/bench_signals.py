"""Market-signal benchmark: what indicators cost per tick, and that strategies without them pay nothing.

    python benchmarks/bench_signals.py [--bars 50000] [--json benchmarks/results/signals.json]

1. ``update``: each incremental indicator of ``optbt.model.indicators`` fed ``--bars`` bars
   (µs per bar, the loop's own cost included); with talipp installed (not a dependency:
   ``pip install talipp``) the same for talipp, and the last values of both side by side.
2. ``engine``: the embedded sample (60 days, 22,500 ticks) run by a Python strategy that reads
   nothing, and by strategies that read one indicator (``ctx.indicator("ema", 20)`` written
   out, as a user writes it) on every tick, alternately, ``--repeats`` pairs: each pair's
   difference per tick is what an indicator costs inside a run (the fetch of whole bars
   included); min / median / max over the pairs, in wall-clock µs and in the process's CPU µs
   (``time.process_time``: on a shared machine the wall clock also counts other processes').
3. ``dsl_indicator``: the same for a compiled ``.strat`` whose entry condition reads
   ``ema(spot, 20)`` on every tick, against one that reads only the spot.
4. ``dsl``: ``strategies_dsl/straddle_920.strat`` (no signals) on the sample: bar queries made
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


def _readers():
    """Strategies that read one indicator on every tick, each written as a user writes it (a
    literal call: no ``*args``/``**kw`` unpacking of the benchmark's own in the measured path)."""
    from optbt import Strategy

    class Nothing(Strategy):
        def entry(self, ctx):
            ctx.spot

    class Ema(Strategy):
        def entry(self, ctx):
            ctx.indicator("ema", 20)

    class Rsi5m(Strategy):
        def entry(self, ctx):
            ctx.indicator("rsi", 14, interval="5m")

    class Supertrend(Strategy):
        def entry(self, ctx):
            ctx.indicator("supertrend", 10, 3)

    class BollingerUpper(Strategy):
        def entry(self, ctx):
            ctx.indicator("bollinger", 20, 2, field="upper")

    return Nothing, {"ema_20": Ema, "rsi_14_5m": Rsi5m, "supertrend_10_3": Supertrend,
                     "bollinger_20_2_upper": BollingerUpper}


def _spread(xs: list[float]) -> dict:
    return {"min": round(min(xs), 3), "median": round(statistics.median(xs), 3), "max": round(max(xs), 3)}


def bench_engine(repeats: int) -> dict:
    """µs per tick an indicator adds: runs of the reader and of ``Nothing`` alternate (each pair
    sees the same load), and each pair's difference / ticks is one sample."""
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.data.memo import MemoSource
    from optbt.data.sample import default_dataset
    from optbt.engine.loop import EventEngine

    source = MemoSource(DuckDBSource(default_dataset(quiet=True)))
    nothing, readers = _readers()

    def once(cls) -> tuple[float, float, int]:
        t0, c0 = time.perf_counter(), time.process_time()
        r = EventEngine(source).run(cls())
        return time.perf_counter() - t0, time.process_time() - c0, r.engine["ticks"]

    once(nothing)  # warm the memo: every run below reads the same days from memory
    _, _, ticks = once(nothing)
    out: dict = {"ticks": ticks, "repeats": repeats}
    bases = []
    for label, cls in readers.items():
        once(cls)  # warm-up: whole bars fetched into the memo
        wall, cpu = [], []
        for _ in range(repeats):
            b, bc, _ = once(nothing)
            s, sc, _ = once(cls)
            bases.append(b)
            wall.append((s - b) / ticks * 1e6)
            cpu.append((sc - bc) / ticks * 1e6)
        out[label + "_us_per_tick"] = _spread(wall)
        out[label + "_cpu_us_per_tick"] = _spread(cpu)
    out["nothing_s"] = _spread(bases)
    return out


_NEVER = """strategy never_{name} "Reads {what} on every tick, never enters"

legs
    ce = add(ATM, CE, SELL)

entry between 09:16 and 15:29 when {what} > spot * 100
exit at 15:29
"""


def bench_dsl_indicator(repeats: int) -> dict:
    """The same as ``engine`` for compiled ``.strat`` code: an entry condition ``ema(spot, 20) >
    spot * 100`` (never true, so read on every tick) against ``spot > spot * 100``; the
    difference includes the once-a-tick bookkeeping of a strategy with signals."""
    import tempfile

    from optbt.data.duckdb_source import DuckDBSource
    from optbt.data.memo import MemoSource
    from optbt.data.sample import default_dataset
    from optbt.dsl.loader import load_strategy
    from optbt.engine.loop import EventEngine

    source = MemoSource(DuckDBSource(default_dataset(quiet=True)))
    with tempfile.TemporaryDirectory() as tmp:
        classes = {}
        for name, what in (("spot", "spot"), ("ema", "ema(spot, 20)")):
            path = Path(tmp) / f"never_{name}.strat"
            path.write_text(_NEVER.format(name=name, what=what))
            classes[name] = load_strategy(str(path))

        def once(cls) -> tuple[float, float, int]:
            t0, c0 = time.perf_counter(), time.process_time()
            r = EventEngine(source).run(cls())
            return time.perf_counter() - t0, time.process_time() - c0, r.engine["ticks"]

        once(classes["spot"])
        once(classes["ema"])
        wall, cpu = [], []
        for _ in range(repeats):
            b, bc, _ = once(classes["spot"])
            s, sc, ticks = once(classes["ema"])
            wall.append((s - b) / ticks * 1e6)
            cpu.append((sc - bc) / ticks * 1e6)
    return {"ema_20_us_per_tick": _spread(wall), "ema_20_cpu_us_per_tick": _spread(cpu)}


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
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "signals.json"))
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    result = {"update": bench_updates(args.bars), "engine": bench_engine(args.repeats),
              "dsl_indicator": bench_dsl_indicator(args.repeats), "dsl": bench_dsl(),
              "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}
    print(json.dumps(result, indent=1))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
