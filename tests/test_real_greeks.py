"""Greeks on the real GOOG day (2015-12-24: quotes only, start-labelled bars, 13:00 half-day close).

The IVs, deltas and the 16-delta strikes optbt picks are re-derived here from the raw parquet
files by an independent computation: DuckDB reads the quotes (a bar labelled t is known at
t + 1 minute, the price is the mid of bid and ask), the spot is the last underlying trade known
at the tick, and IV is a bisection on the textbook Black-Scholes formula (statistics.NormalDist)
with the config's rate, time counted in minutes to the 13:00 close. No optbt pricing code.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from pathlib import Path
from statistics import NormalDist

import duckdb
import pytest

from optbt import Strategy, run_backtest
from optbt.data.dataset import load_dataset
from optbt.dsl.loader import load_strategy

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("OPTBT_REAL_DATA", ROOT.parent / "shared/data/real/goog-2015-12-24"))
CONFIG = ROOT / "examples/datasets/goog-2015-12-24.toml"
pytestmark = pytest.mark.skipif(not (REAL / "option_quotes.parquet").exists(),
                                reason=f"real GOOG data not found at {REAL} (set OPTBT_REAL_DATA)")
N = NormalDist().cdf
RATE = 0.002  # the config's [greeks] rate
AT = datetime(2015, 12, 24, 10, 0)
CLOSE = datetime(2015, 12, 24, 13, 0)


def textbook(opt: str, s: float, k: float, t: float, sig: float) -> tuple[float, float]:
    d1 = (math.log(s / k) + (RATE + sig * sig / 2) * t) / (sig * math.sqrt(t))
    d2 = d1 - sig * math.sqrt(t)
    if opt == "call":
        return s * N(d1) - k * math.exp(-RATE * t) * N(d2), N(d1)
    return k * math.exp(-RATE * t) * N(-d2) - s * N(-d1), N(d1) - 1


def bisect_iv(price: float, opt: str, s: float, k: float, t: float) -> float | None:
    intrinsic = max(s - k * math.exp(-RATE * t), 0) if opt == "call" else max(k * math.exp(-RATE * t) - s, 0)
    if price <= intrinsic:
        return None
    lo, hi = 1e-6, 20.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if textbook(opt, s, k, t, mid)[0] < price else (lo, mid)
    return (lo + hi) / 2


def independent_chain(at: datetime = AT) -> tuple[float, dict]:
    """(spot, {(right, strike): (iv, delta)}) for the 0DTE options with a live quote at ``at``."""
    con = duckdb.connect()
    spot = con.execute(f"SELECT close FROM '{REAL}/underlying_trades.parquet' WHERE time + INTERVAL 1 MINUTE > "
                       "TIMESTAMP '2015-12-24 09:30:00' AND time + INTERVAL 1 MINUTE <= ? ORDER BY time DESC LIMIT 1",
                       [at]).fetchone()[0]
    rows = con.execute(f"SELECT \"right\", strike, bid_close, ask_close FROM '{REAL}/option_quotes.parquet' "
                       "WHERE expiry = DATE '2015-12-24' AND time + INTERVAL 1 MINUTE = ?", [at]).fetchall()
    t = (CLOSE - at).total_seconds() / 60 / (365 * 24 * 60)
    out = {}
    for right, strike, bid, ask in rows:
        if bid is None or ask is None or not 0 < bid <= ask:
            continue  # no usable quote: not live
        iv = bisect_iv((bid + ask) / 2, right, spot, strike, t)
        if iv is not None:
            out[(right, float(strike))] = (iv, textbook(right, spot, strike, t, iv)[1])
    return spot, out


@pytest.fixture(scope="module")
def config():
    return load_dataset(CONFIG, REAL)


@pytest.fixture(scope="module")
def chain():
    return independent_chain()


class ProbeAt10(Strategy):
    """At 10:00, the IV and delta optbt gives each 0DTE strike (no trade)."""

    def __init__(self):
        super().__init__()
        self.seen = {}

    def entry(self, ctx):
        if ctx.time != "10:00":
            return
        for right, ot in (("call", "CE"), ("put", "PE")):
            for k in ctx.chain():
                g = ctx.greeks(self.add(k, ot, "SELL"))
                q = ctx.price(self.add(k, ot, "SELL"))
                if g is not None and q is not None and q[1] == 0:
                    self.seen[(right, k)] = (g.iv, g.delta)


def test_ivs_and_deltas_match_an_independent_computation_from_the_raw_quotes(config, chain):
    spot, want = chain
    probe = ProbeAt10()
    run_backtest(probe, data=config)
    assert len(want) > 30  # a real chain, not a handful
    assert set(probe.seen) == set(want)
    for key, (iv, delta) in want.items():
        assert probe.seen[key][0] == pytest.approx(iv, rel=1e-6, abs=1e-9), key
        assert probe.seen[key][1] == pytest.approx(delta, rel=1e-6, abs=1e-9), key
    # a sanity check on the data itself: near-the-money 0DTE IVs of a quiet half day, 5 % to 80 %
    near = [iv for (right, k), (iv, _) in want.items() if abs(k - spot) <= 10]
    assert near and all(0.05 < iv < 0.8 for iv in near)


def test_the_16_delta_strangle_sells_the_strikes_an_independent_computation_picks(config, chain):
    _, want = chain
    res = run_backtest(load_strategy(f"{ROOT}/examples/goog_0dte_strangle_16_delta.strat"), data=config)
    got = {t.leg.opt_type: t.leg.strike for t in res.trades}

    def pick(right):
        deltas = {k: abs(d) for (r, k), (_, d) in want.items() if r == right}
        return min(deltas, key=lambda k: (abs(deltas[k] - 0.16), k))

    assert got == {"CE": pick("call"), "PE": pick("put")}
    assert all(t.entry_ts == AT for t in res.trades)
