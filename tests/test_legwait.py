"""The Python API's building blocks for legs that wait: ``Strategy.legs_waiting`` keeps a cycle
open with nothing filled, ``start_waiting()`` opens one from ``entry``, and the two waits of
``optbt.engine.legwait``. Hand-made days; answers worked out by hand."""

from __future__ import annotations

import pytest

from optbt import Strategy
from optbt.engine.legwait import back_to_cost, move_level, premium_moved
from optbt.engine.loop import EventEngine
from optbt.model.errors import StrategyError
from tests.kit import DAY, MemorySource, config, straddle_day


class WaitForDrop(Strategy):
    """At 09:16 note the ATM call's price; sell it once it is 10 % lower."""

    def entry(self, ctx):
        leg = self.add(ctx.atm, "CE", "SELL")
        ref = ctx.ltp(leg)
        if ref is not None:
            self.legs_waiting["ce"] = (leg, ref)
            self.start_waiting()

    def adjust(self, ctx):
        waiting = self.legs_waiting.get("ce")
        if waiting is not None and premium_moved(ctx.ltp(waiting[0]), waiting[1], "down", "pct", 10.0):
            if self.try_fill({"ce": waiting[0]}):
                del self.legs_waiting["ce"]


def run(strategy, ce):
    source = MemorySource({DAY: straddle_day(ce, [1] * len(ce))}, config(len(ce)), len(ce))
    return EventEngine(source).run(strategy)


def test_a_waiting_leg_keeps_the_cycle_open_until_it_opens():
    # reference 100; 95, 92, then 90 at 09:19 (<= 100 x 0.9): sold at 90, held to eod (09:23, 85)
    result = run(WaitForDrop(), [100, 95, 92, 90, 88, 86, 85, 85])
    assert [(t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_reason, t.exit_price) for t in result.trades] == \
        [("09:19", 90.0, "eod", 85.0)]
    assert result.daily[0].cycles == 1


def test_a_leg_still_waiting_at_the_end_of_the_day_ends_its_cycle_there():
    result = run(WaitForDrop(), [100, 99, 98, 97, 96, 95, 94, 93])  # never 10 % lower
    assert result.trades == [] and result.daily[0].cycles == 1


def test_start_waiting_belongs_to_entry():
    class Wrong(Strategy):
        def entry(self, ctx):
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL")})

        def adjust(self, ctx):
            self.start_waiting()

    with pytest.raises(StrategyError, match="only from entry"):
        run(Wrong(), [100] * 4)


def test_the_two_waits():
    assert move_level(200.0, "down", "pts", 15.0) == 185.0
    assert premium_moved(185.0, 200.0, "down", "pts", 15.0) and not premium_moved(185.5, 200.0, "down", "pts", 15.0)
    assert not premium_moved(None, 200.0, "up", "pct", 5.0) and not premium_moved(210.0, None, "up", "pct", 5.0)
    # a short leg stopped above its entry of 100 re-enters at 100 or lower; a long one stopped below, at 100 or higher
    assert back_to_cost(100.0, 100.0, from_above=True) and not back_to_cost(100.5, 100.0, from_above=True)
    assert back_to_cost(100.0, 100.0, from_above=False) and not back_to_cost(99.5, 100.0, from_above=False)
