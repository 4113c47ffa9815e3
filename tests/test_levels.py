"""Exact levels: a price equal to its level (in decimal) always triggers; a tick short never does.

The worked case of issue 11: a short leg entered at a mid of 2.00 with a 30 % stop has its level
at 2.00 × 1.30 = 2.60; a bar quoting 2.40 / 2.80 has the mid (2.40 + 2.80) / 2, which in binary
floating point is 2.5999999999999996. In decimal that is 2.60, so the stop fires on that bar.
"""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from optbt import Strategy, at_or_above
from optbt.dsl import load_strat_text
from optbt.engine.loop import EventEngine
from optbt.model.levels import at_or_below
from tests.kit import DAY, MemorySource, config, straddle_day

MID = (2.40 + 2.80) / 2  # 2.5999999999999996


def test_the_float_trap_is_real():
    assert MID < 2.0 * 1.3 and not MID >= 2.0 * (1 + 30 / 100)  # why a helper is needed at all
    assert at_or_above(MID, 2.0 * (1 + 30 / 100))


def _day():
    # CE closes (the mark) 2.00 at 09:16, 2.50 at 09:17, the 2.40/2.80 mid at 09:18, then 3.00
    return straddle_day([2.0, 2.5, MID, 3.0, 3.0, 3.0], [1.0] * 6)


def test_strat_stop_at_exactly_its_level_fires_on_that_bar():
    cls = load_strat_text('strategy t "t"\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\n'
                          'entry at 09:16\nstop_loss each leg 30%\n')
    result = EventEngine(MemorySource({DAY: _day()}, config(6), 6)).run(cls())
    ce = next(t for t in result.trades if t.key == "ce")
    assert (ce.exit_ts.strftime("%H:%M"), ce.exit_price, ce.exit_reason) == ("09:18", MID, "stop_loss")


def test_python_stop_with_at_or_above_fires_on_that_bar():
    class Sell(Strategy):
        def entry(self, ctx):
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

        def adjust(self, ctx):
            for key, trade in list(self.positions.items()):
                if at_or_above(ctx.ltp(key), trade.entry_price * (1 + 30 / 100)):
                    self.close(key, "stop_loss")

    result = EventEngine(MemorySource({DAY: _day()}, config(6), 6)).run(Sell())
    ce = next(t for t in result.trades if t.key == "ce")
    assert (ce.exit_ts.strftime("%H:%M"), ce.exit_reason) == ("09:18", "stop_loss")


def test_the_example_strategy_uses_the_helper():
    from optbt.dsl.loader import load_strategy  # the README's Python example, as shipped
    Straddle920 = load_strategy(str(Path(__file__).resolve().parents[1] / "examples/straddle_920.py") + ":Straddle920")
    result = EventEngine(MemorySource({DAY: _day()}, config(6), 6)).run(Straddle920(entry_time="09:16"))
    ce = next(t for t in result.trades if t.key == "ce")
    assert (ce.exit_ts.strftime("%H:%M"), ce.exit_reason) == ("09:18", "stop_loss")


@st.composite
def level_on_the_grid(draw):
    """(entry, pct, n): entry = e × 0.05 and a level entry × (1 + pct/100) that is n × 0.025 exactly."""
    pct = draw(st.integers(1, 300))
    e = draw(st.integers(1, 400)) * (50 // math.gcd(100 + pct, 50))  # makes e × (100 + pct) / 50 whole
    n = e * (100 + pct) // 50
    return e, pct, n


@given(level_on_the_grid(), st.data())
def test_a_price_equal_to_its_level_in_decimal_always_triggers(case, data):
    e, pct, n = case
    entry = e / 20                         # the double nearest e × 0.05, as a parquet file holds it
    up = entry * (1 + pct / 100)           # a short leg's stop (a long leg's target), as the runtime computes it
    down = entry * (1 - pct / 100)         # a long leg's stop at the same distance, when it stays positive
    i = data.draw(st.integers(0, n))       # the level as the mid of two grid prices i × 0.05 and (n - i) × 0.05
    mid = (i / 20 + (n - i) / 20) / 2
    assert at_or_above(mid, up) and at_or_below(mid, up)
    assert not at_or_above(mid - 0.025, up)   # half a tick short: never
    assert not at_or_below(mid + 0.025, up)
    if pct < 100 and (e * (100 - pct)) % 50 == 0:
        m = e * (100 - pct) // 50
        low_mid = (i / 20 + (m - i) / 20) / 2 if i <= m else m / 40
        assert at_or_below(low_mid, down) and at_or_above(low_mid, down)
