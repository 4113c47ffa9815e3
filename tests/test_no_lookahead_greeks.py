"""No look-ahead for greeks: rewriting any data after tick t changes no IV, greek, net delta or
strike-by-delta seen at or before t, nor any fill decided from them (the property of
tests/test_no_lookahead.py, with a strategy that decides by delta)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from optbt import Strategy
from optbt.engine.clock import session_ticks
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, inst
from tests.test_no_lookahead import STRIKES, _decided_by, days_and_cut


def _g(g):
    return None if g is None else (round(g.iv, 9), round(g.delta, 9), round(g.gamma, 12), round(g.theta, 9),
                                   round(g.vega, 9))


class DeltaCurious(Strategy):
    """Sells by delta, rolls on net delta, and writes down every greek it can see."""

    max_cycles = 3

    def __init__(self):
        super().__init__()
        self.log = []

    def _look(self, ctx, what):
        seen = tuple(_g(ctx.greeks(inst(k, ot))) for k in STRIKES for ot in ("CE", "PE"))
        by_delta = tuple(ctx.strike_by_delta(ot, 0.3, mode) for ot in ("CE", "PE") for mode in ("closest", "ge", "le"))
        net = ctx.net_delta
        self.log.append((ctx.tick, what, seen, by_delta, None if net is None else round(net, 9),
                         tuple(sorted(self.positions))))

    def entry(self, ctx):
        self._look(ctx, "entry")
        ce, pe = ctx.strike_by_delta("CE", 0.3), ctx.strike_by_delta("PE", 0.3)
        if ce is not None and pe is not None:
            self.try_fill({"ce": self.add(ce, "CE", "SELL"), "pe": self.add(pe, "PE", "SELL")})

    def adjust(self, ctx):
        self._look(ctx, "adjust")
        net = ctx.net_delta
        if net is not None and abs(net) > 0.2:
            side = "ce" if net > 0 else "pe"
            if side in self.positions:
                self.close(side, "delta")

    def exit_check(self, ctx):
        self._look(ctx, "exit_check")
        g = ctx.greeks("ce") if "ce" in self.positions else None
        return g is not None and g.iv > 0.5


@settings(max_examples=int(os.environ.get("OPTBT_PROPERTY_EXAMPLES", 150)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(days_and_cut())
def test_rewriting_data_after_t_changes_no_greek_seen_or_fill_decided_at_or_before_t(case):
    n, t, original, mutated = case
    runs = []
    for data in (original, mutated):
        s = DeltaCurious()
        src = MemorySource({DAY: data}, config(n, greeks={"rate": 0.07, "dividend_yield": 0.01}), n)
        EventEngine(src).run(s)
        runs.append(_decided_by(s, t, session_ticks(*src.config.session.bounds(DAY), 1)))
    assert runs[0] == runs[1]
