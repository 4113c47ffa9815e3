"""No look-ahead, as a property: rewriting any data after tick t changes nothing decided at
or before t — not what the strategy saw, not what it filled, not what it closed."""

from __future__ import annotations

import os
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optbt import Strategy
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, day_data, inst

STRIKES = (20950.0, 21000.0, 21050.0)
price = st.one_of(st.none(), st.integers(1, 400).map(float))


@st.composite
def days_and_cut(draw):
    n = draw(st.integers(4, 16))
    spot = draw(st.lists(st.one_of(st.none(), st.integers(20900, 21100).map(float)), min_size=n, max_size=n))
    options = {inst(k, ot): draw(st.lists(price, min_size=n, max_size=n)) for k in STRIKES for ot in ("CE", "PE")}
    t = draw(st.integers(0, n - 1))
    later_spot = draw(st.lists(st.one_of(st.none(), st.integers(20900, 21100).map(float)), min_size=n, max_size=n))
    later = {i: draw(st.lists(price, min_size=n, max_size=n)) for i in options}
    # Whether a day runs at all is decided from what the data holds for it, like its chain: a
    # day without a single spot bar is skipped (no_spot). So a rewrite keeps that fact: a day
    # with no spot stays without, a day with spot keeps at least one bar.
    if not any(x is not None for x in spot):
        later_spot = [None] * n
    elif not any(x is not None for x in spot[: t + 1] + later_spot[t + 1:]):
        later_spot = spot
    mutated_spot = spot[: t + 1] + later_spot[t + 1:]
    mutated = {i: s[: t + 1] + later[i][t + 1:] for i, s in options.items()}
    return n, t, day_data(spot, options), day_data(mutated_spot, mutated)


class Curious(Strategy):
    """Decides from everything it can see, and writes it all down."""

    max_cycles = 3

    def __init__(self):
        super().__init__()
        self.log = []

    def on_day_start(self, day):
        self.log.append((-1, day.spot, day.atm, tuple(day.expiries)))

    def _look(self, ctx, what):
        seen = [ctx.price(inst(k, ot)) for k in STRIKES for ot in ("CE", "PE")]
        self.log.append((ctx.tick, what, ctx.time, ctx.spot, ctx.atm, tuple(seen), round(ctx.mtm, 6),
                         round(ctx.day_pnl, 6), tuple(sorted(self.positions))))

    def entry(self, ctx):
        self._look(ctx, "entry")
        if ctx.atm is None:
            return
        k = ctx.strike_by_premium("CE", 100.0) or ctx.atm
        self.try_fill({"ce": self.add(k, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

    def adjust(self, ctx):
        self._look(ctx, "adjust")
        for key, trade in list(self.positions.items()):
            q = ctx.price(key)
            if q and q[0] >= trade.entry_price * 1.3:
                self.close(key, "stop_loss")

    def exit_check(self, ctx):
        self._look(ctx, "exit_check")
        return ctx.mtm <= -50 or ctx.mtm >= 40


def _decided_by(strategy, t, ticks):
    fills = []
    for tr in strategy.closed_trades:
        if ticks.index(tr.entry_ts) <= t:
            fills.append(("in", tr.key, tr.cycle, tr.leg, tr.entry_ts, tr.entry_price, tr.entry_lag))
        if ticks.index(tr.exit_ts) <= t:
            fills.append(("out", tr.key, tr.cycle, tr.exit_ts, tr.exit_price, tr.exit_lag, tr.exit_reason, tr.pnl))
    seen = [entry for entry in strategy.log if entry[0] <= t]
    return sorted(fills, key=repr), seen


@settings(max_examples=int(os.environ.get("OPTBT_PROPERTY_EXAMPLES", 150)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days_and_cut())
def test_rewriting_data_after_t_changes_nothing_decided_at_or_before_t(case):
    n, t, original, mutated = case
    runs = []
    for data in (original, mutated):
        s = Curious()
        src = MemorySource({DAY: data}, config(n), n)
        EventEngine(src).run(s)
        from optbt.engine.clock import session_ticks
        runs.append(_decided_by(s, t, session_ticks(*src.config.session.bounds(DAY), 1)))
    assert runs[0] == runs[1]


# -- market signals: whole bars, ranges, previous days, gap, extra series, indicators -----------------------------
SIGNAL_DAYS = (date(2024, 1, 4), date(2024, 1, 5), date(2024, 1, 9))   # a weekend and a holiday between
SIG_N = 12
bar = st.one_of(st.none(), st.tuples(*[st.integers(90, 110).map(float)] * 4, st.integers(0, 50).map(float)))


@st.composite
def signal_days_and_cut(draw):
    """Three days of spot and VIX bars; the cut is a (day, tick); every bar after it is redrawn."""
    def one_day():
        spot = draw(st.lists(bar, min_size=SIG_N, max_size=SIG_N))
        vix = draw(st.lists(st.one_of(st.none(), st.integers(10, 30).map(float)), min_size=SIG_N, max_size=SIG_N))
        return spot, vix

    original = [one_day() for _ in SIGNAL_DAYS]
    later = [one_day() for _ in SIGNAL_DAYS]
    d = draw(st.integers(0, len(SIGNAL_DAYS) - 1))
    t = draw(st.integers(0, SIG_N - 1))
    mutated = []
    for k, ((s0, v0), (s1, v1)) in enumerate(zip(original, later)):
        cut = SIG_N if k < d else (t + 1 if k == d else 0)
        mutated.append((s0[:cut] + s1[cut:], v0[:cut] + v1[cut:]))
    return d, t, original, mutated


def _signal_source(days_bars):
    from tests.kit import MemorySource, config
    days = {}
    for day, (spot_bars, vix) in zip(SIGNAL_DAYS, days_bars):
        # the spot's closes come from its bars; a missing bar is a minute without a print. Every day
        # keeps its first print so that whether a day runs never depends on later data.
        first = spot_bars[0] or (100.0, 100.0, 100.0, 100.0, 1.0)
        spot_bars = [first] + spot_bars[1:]
        closes = [None if b is None else b[3] for b in spot_bars]
        days[day] = {"spot": closes, "bars": {"spot": spot_bars, "vix": vix},
                     "options": {inst(21000, "CE", date(2024, 1, 11)): [100.0] * SIG_N}}
    return MemorySource(days, config(SIG_N, series={"vix": {"path": "-"}}))


class Watcher(Strategy):
    """Writes down every market signal at every tick it is called."""

    def __init__(self):
        super().__init__()
        self.log = []

    def entry(self, ctx):
        ind = [ctx.indicator(k, *a, interval=i, field=f) for k, a, i, f in (
            ("sma", (3,), None, "value"), ("ema", (2,), "5m", "value"), ("rsi", (3,), None, "value"),
            ("atr", (2,), None, "value"), ("vwap", (), None, "value"), ("bollinger", (3, 2), "5m", "lower"),
            ("supertrend", (2, 1.5), None, "direction"))]
        self.log.append(((ctx.day, ctx.tick), ctx.spot_bar, ctx.series("vix"), ctx.range("09:15", "09:19"),
                         ctx.prev_day(), ctx.prev_day(2, "vix"), ctx.gap, ctx.gap_of("vix", True), tuple(ind)))


@settings(max_examples=int(os.environ.get("OPTBT_PROPERTY_EXAMPLES", 150)) // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(signal_days_and_cut())
def test_rewriting_bars_after_t_changes_no_market_signal_seen_at_or_before_t(case):
    d, t, original, mutated = case
    logs = []
    for data in (original, mutated):
        w = Watcher()
        EventEngine(_signal_source(data)).run(w)
        logs.append([entry for entry in w.log if (SIGNAL_DAYS.index(entry[0][0]), entry[0][1]) <= (d, t)])
    assert logs[0] == logs[1]
