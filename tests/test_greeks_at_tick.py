"""IV and greeks at the tick, strike by delta and net delta, through the engine on hand-made days.

Expected values come from this file's own textbook Black-Scholes (statistics.NormalDist, the
formula as printed in Hull) and a plain bisection for IV: no optbt pricing code. Ticks are
09:16 .. 09:25 on 2024-01-02, the session (and so the expiry's close) ends 09:25, the expiry is
2024-01-04: time to expiry is counted in minutes to 2024-01-04 09:25.
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime
from statistics import NormalDist

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optbt import Strategy
from optbt.engine.loop import EventEngine
from optbt.model.errors import StrategyError
from tests.kit import DAY, EXPIRY, MemorySource, config, inst, minute

N = NormalDist().cdf
SPOT = 21010.0
RATE = 0.07
CLOSE = datetime(2024, 1, 4, 9, 25)


def years(day: date, k: int, close: datetime = CLOSE) -> float:
    return (close - minute(day, k)).total_seconds() / 60 / (365 * 24 * 60)


def textbook(opt: str, s: float, k: float, t: float, r: float, q: float, sig: float) -> tuple[float, float]:
    """(price, delta) of a European option, Black-Scholes-Merton as printed in Hull."""
    d1 = (math.log(s / k) + (r - q + sig * sig / 2) * t) / (sig * math.sqrt(t))
    d2 = d1 - sig * math.sqrt(t)
    if opt == "CE":
        return s * math.exp(-q * t) * N(d1) - k * math.exp(-r * t) * N(d2), math.exp(-q * t) * N(d1)
    return k * math.exp(-r * t) * N(-d2) - s * math.exp(-q * t) * N(-d1), -math.exp(-q * t) * N(-d1)


def bisect_iv(price: float, opt: str, s: float, k: float, t: float, r: float, q: float = 0.0,
              hi: float = 5.0) -> float:
    lo = 1e-4
    for _ in range(200):
        mid = (lo + hi) / 2
        if textbook(opt, s, k, t, r, q, mid)[0] < price:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def dataset(n: int = 10, **greeks):
    return config(n, greeks={"rate": RATE, **greeks})


class Probe(Strategy):
    """Writes down, at each tick, what the strategy asks for."""

    def __init__(self, ask):
        super().__init__()
        self.ask = ask
        self.seen = []

    def entry(self, ctx):
        self.seen.append((ctx.time, self.ask(ctx)))

    def on_day_end(self, ctx):  # the last tick (no entry is tried there)
        self.seen.append((ctx.time, self.ask(ctx)))


def run(strategy, options: dict, n: int = 10, cfg=None, day: date = DAY, spot=SPOT):
    spot_list = spot if isinstance(spot, list) else [spot] * n
    source = MemorySource({day: {"spot": spot_list, "options": options}}, cfg or dataset(n), n)
    return EventEngine(source).run(strategy)


def test_iv_and_greeks_of_a_quoted_price_match_a_textbook_bisection():
    # a market price of 120.0 for the 21100 call at 09:16 (tick 0)
    t = years(DAY, 0)
    probe = Probe(lambda ctx: ctx.greeks(inst(21100, "CE")))
    run(probe, {inst(21100, "CE"): [120.0] * 10})
    g = probe.seen[0][1]
    iv = bisect_iv(120.0, "CE", SPOT, 21100, t, RATE)
    assert g.iv == pytest.approx(iv, rel=1e-7)
    assert g.delta == pytest.approx(textbook("CE", SPOT, 21100, t, RATE, 0.0, iv)[1], rel=1e-6)
    # gamma, vega, theta by finite differences of the textbook price at that IV
    h = 0.01
    price = lambda s=SPOT, tt=t, sig=iv: textbook("CE", s, 21100, tt, RATE, 0.0, sig)[0]  # noqa: E731
    assert g.gamma == pytest.approx((price(SPOT + h) - 2 * price() + price(SPOT - h)) / h**2, rel=1e-3)
    assert g.vega == pytest.approx((price(sig=iv + 1e-5) - price(sig=iv - 1e-5)) / 2e-5 / 100, rel=1e-6)
    day = 1 / 365
    assert g.theta == pytest.approx((price(tt=t - day / 100) - price(tt=t + day / 100)) / (2 / 100), rel=1e-4)


def test_dividend_yield_and_black76_come_from_the_dataset_config():
    t = years(DAY, 0)
    probe = Probe(lambda ctx: ctx.greeks(inst(21000, "PE")))
    run(probe, {inst(21000, "PE"): [90.0] * 10}, cfg=dataset(dividend_yield=0.02))
    assert probe.seen[0][1].iv == pytest.approx(bisect_iv(90.0, "PE", SPOT, 21000, t, RATE, 0.02), rel=1e-7)
    # Black-76: the spot series is the future; a future's option is priced as a stock paying q = r
    probe = Probe(lambda ctx: ctx.greeks(inst(21000, "PE")))
    run(probe, {inst(21000, "PE"): [90.0] * 10}, cfg=dataset(model="black76"))
    g = probe.seen[0][1]
    assert g.iv == pytest.approx(bisect_iv(90.0, "PE", SPOT, 21000, t, RATE, RATE), rel=1e-7)
    assert g.delta == pytest.approx(textbook("PE", SPOT, 21000, t, RATE, RATE, g.iv)[1], rel=1e-6)


def test_zero_dte_has_greeks_to_the_last_minute_and_none_at_the_close():
    # expiry day itself: at 09:24 one minute is left to the 09:25 close; at 09:25 none
    probe = Probe(lambda ctx: ctx.greeks(inst(21000, "CE", EXPIRY)))
    run(probe, {inst(21000, "CE"): [15.0] * 10}, day=EXPIRY)
    by_time = dict(probe.seen)
    t = years(EXPIRY, 8)
    assert t * 365 * 24 * 60 == pytest.approx(1.0)
    assert by_time["09:24"].iv == pytest.approx(bisect_iv(15.0, "CE", SPOT, 21000, t, RATE), rel=1e-6)
    assert by_time["09:25"] is None


def test_expiry_close_key_sets_the_time_to_expiry():
    probe = Probe(lambda ctx: ctx.greeks(inst(21000, "CE")))
    run(probe, {inst(21000, "CE"): [60.0] * 10}, cfg=dataset(expiry_close="15:30"))
    t = years(DAY, 0, datetime(2024, 1, 4, 15, 30))
    assert probe.seen[0][1].iv == pytest.approx(bisect_iv(60.0, "CE", SPOT, 21000, t, RATE), rel=1e-7)


@pytest.mark.parametrize("prices", [[100.0] * 10, [None] * 10, [105.0] * 10])
def test_below_intrinsic_or_no_price_is_unknown_not_an_error(prices):
    # the 20900 call is worth at least 110 - a little carry (intrinsic on the forward): 100 and 105 are below
    probe = Probe(lambda ctx: (ctx.greeks(inst(20900, "CE")), ctx.strike_by_delta("CE", 0.9)))
    run(probe, {inst(20900, "CE"): prices})
    assert probe.seen[0][1] == (None, None)


def test_no_spot_yet_means_no_greeks():
    probe = Probe(lambda ctx: ctx.greeks(inst(21000, "CE")))
    run(probe, {inst(21000, "CE"): [60.0] * 10}, spot=[None, None] + [SPOT] * 8)
    assert [g is None for _, g in probe.seen[:3]] == [True, True, False]


SIGMA = 0.15
CHAIN = [20700.0 + 50 * i for i in range(13)]  # 20700 .. 21300


def chain(opt: str, stale: float | None = None) -> dict:
    """The chain priced at 15 % vol for tick 0 (prices rounded to 0.05, as quoted); ``stale``: no bar."""
    t = years(DAY, 0)
    out = {}
    for k in CHAIN:
        p = round(textbook(opt, SPOT, k, t, RATE, 0.0, SIGMA)[0] * 20) / 20
        out[inst(k, opt)] = [None] * 10 if k == stale else [p] * 10
    return out


def expected_deltas(opt: str, options: dict) -> dict[float, float]:
    t = years(DAY, 0)
    out = {}
    for i, series in options.items():
        p = series[0]
        if p is None or p < 0.05:
            continue
        iv = bisect_iv(p, opt, SPOT, i.strike, t, RATE)
        out[i.strike] = abs(textbook(opt, SPOT, i.strike, t, RATE, 0.0, iv)[1])
    return out


@pytest.mark.parametrize("opt", ["CE", "PE"])
@pytest.mark.parametrize("target", [0.16, 0.3, 0.5])
def test_strike_by_delta_picks_the_closest_and_the_bounded_strikes(opt, target):
    options = chain(opt)
    d = expected_deltas(opt, options)
    closest = min(d, key=lambda k: abs(d[k] - target))
    ge = min((k for k in d if d[k] >= target), key=lambda k: d[k])
    le = max((k for k in d if d[k] <= target), key=lambda k: d[k])
    probe = Probe(lambda ctx: tuple(ctx.strike_by_delta(opt, target, m) for m in ("closest", "ge", "le")))
    run(probe, options)
    assert probe.seen[0][1] == (closest, ge, le)


def test_strike_by_delta_skips_strikes_without_a_live_price():
    d = expected_deltas("PE", chain("PE"))
    best = min(d, key=lambda k: abs(d[k] - 0.16))
    rest = {k: v for k, v in d.items() if k != best}
    probe = Probe(lambda ctx: ctx.strike_by_delta("PE", 0.16))
    run(probe, chain("PE", stale=best))
    assert probe.seen[0][1] == min(rest, key=lambda k: abs(rest[k] - 0.16))


def test_strike_by_delta_rejects_a_target_outside_zero_to_one():
    probe = Probe(lambda ctx: ctx.strike_by_delta("PE", 16))
    with pytest.raises(StrategyError, match="between 0 and 1"):
        run(probe, chain("PE"))


class ShortStrangle(Strategy):
    def __init__(self):
        super().__init__()
        self.deltas = []

    def entry(self, ctx):
        self.try_fill({"ce": self.add(21200, "CE", "SELL", 2), "pe": self.add(20800, "PE", "SELL")})

    def adjust(self, ctx):
        self.deltas.append((ctx.greeks("ce"), ctx.greeks("pe"), ctx.net_delta))


def test_net_delta_is_side_times_lots_times_delta():
    options = {**chain("CE"), **chain("PE")}
    s = ShortStrangle()
    run(s, options)
    ce, pe, net = s.deltas[0]  # at 09:17 (tick 1): same prices, one minute less to expiry
    t = years(DAY, 1)
    dce = textbook("CE", SPOT, 21200, t, RATE, 0.0, bisect_iv(options[inst(21200, "CE")][1], "CE", SPOT, 21200, t, RATE))[1]
    dpe = textbook("PE", SPOT, 20800, t, RATE, 0.0, bisect_iv(options[inst(20800, "PE")][1], "PE", SPOT, 20800, t, RATE))[1]
    assert ce.delta == pytest.approx(dce, rel=1e-6) and pe.delta == pytest.approx(dpe, rel=1e-6)
    assert net == pytest.approx(-2 * dce - dpe, rel=1e-6)


def test_net_delta_is_unknown_when_a_legs_delta_is():
    # from 09:18 the spot is 21400: the sold 21200 call, still quoted 150, is below intrinsic (200)
    options = {**chain("CE"), **chain("PE")}
    options[inst(21200, "CE")] = [options[inst(21200, "CE")][0]] * 2 + [150.0] * 8
    s = ShortStrangle()
    run(s, options, spot=[SPOT, SPOT] + [21400.0] * 8)
    assert s.deltas[0][2] is not None
    assert [(ce, net) for ce, _, net in s.deltas[1:]] == [(None, None)] * 8


@settings(max_examples=int(os.environ.get("OPTBT_PROPERTY_EXAMPLES", 60)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(prices=st.lists(st.one_of(st.none(), st.floats(0.05, 600).map(lambda p: round(p, 2))), min_size=13, max_size=13),
       spot=st.floats(20800, 21200), target=st.floats(0.02, 0.98), mode=st.sampled_from(["closest", "ge", "le"]),
       opt=st.sampled_from(["CE", "PE"]))
def test_strike_by_delta_is_the_best_of_a_brute_force_over_any_chain(prices, spot, target, mode, opt):
    # any quoted prices, some missing, some below intrinsic: the pick scores as well as the best
    # strike of a brute force (textbook bisection), up to the two IV solvers' rounding
    options = {inst(k, opt): [p] * 10 for k, p in zip(CHAIN, prices)}
    t = years(DAY, 0)
    scores = {}
    for k, p in zip(CHAIN, prices):
        if p is None:
            continue
        intrinsic = max(spot - k * math.exp(-RATE * t), 0) if opt == "CE" else max(k * math.exp(-RATE * t) - spot, 0)
        if p <= intrinsic + 1e-6 or textbook(opt, spot, k, t, RATE, 0.0, 400.0)[0] <= p:
            continue  # no IV (none up to 40,000 %): not a candidate either way
        d = abs(textbook(opt, spot, k, t, RATE, 0.0, bisect_iv(p, opt, spot, k, t, RATE, hi=400.0))[1])
        if mode == "closest" or (mode == "ge" and d >= target - 1e-9) or (mode == "le" and d <= target + 1e-9):
            scores[k] = abs(d - target)
    probe = Probe(lambda ctx: ctx.strike_by_delta(opt, target, mode))
    run(probe, options, spot=spot)
    got = probe.seen[0][1]
    if not scores:
        assert got is None
        return
    assert got in scores and scores[got] <= min(scores.values()) + 1e-6
