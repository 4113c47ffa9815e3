"""No look-ahead, as a property: rewriting any data after tick t changes nothing decided at
or before t — not what the strategy saw, not what it filled, not what it closed."""

from __future__ import annotations

import os

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
