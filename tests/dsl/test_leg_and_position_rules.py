"""Leg management (re-entry, waiting legs) together with the position rules (overall stop,
credit exits): a position exit on a tick comes before any re-entry of that tick, and cancels
every leg still waiting. Days are hand-made (tests.kit: ticks 09:16 + k minutes, lot size 1,
ATM 21000); the answers are worked out in the comments.
"""

from __future__ import annotations

from optbt.dsl import load_strat_text
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, straddle_day

H = 'strategy t "test"\nmax_cycles 3\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\nentry at 09:16\n'


def run(body: str, ce: list[float], pe: list[float]):
    cls = load_strat_text(H + body)
    result = EventEngine(MemorySource({DAY: straddle_day(ce, pe)}, config(8), 8)).run(cls())
    return sorted(((t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_price,
                    t.exit_reason) for t in result.trades), key=lambda r: (r[1], r[0])), result


def test_an_overall_stop_on_the_tick_of_a_leg_stop_comes_before_the_re_entry():
    # CE sold at 100 (stop 120), PE at 90. 09:18: CE 121 stops it (-21); PE at 100 is -10 open:
    # the day is at -31, beyond -30, so the overall stop closes PE at 100 and the day is over.
    # The asap re-entry of CE, due on the same tick, never happens (no CE sold at 121 and
    # bought back at 121 on one tick), and max_cycles 3 enters no more that day.
    trades, result = run("stop_loss each leg 20%\nreentry each leg on stop_loss asap max 2\noverall_stop rs 30\n",
                         [100, 110, 121, 90, 90, 90, 90, 90], [90, 95, 100, 100, 100, 100, 100, 100])
    assert trades == [("ce", "09:16", 100.0, "09:18", 121.0, "stop_loss"),
                      ("pe", "09:16", 90.0, "09:18", 100.0, "overall_stop")]
    assert result.daily[0].pnl == -31.0


def test_an_overall_stop_cancels_a_pending_re_cost():
    # CE stopped at 121 at 09:18 (-21; the day at -31 with PE at 100) waits to be sold again at
    # <= 100. 09:19: PE at 105 (its own stop is 108) is -15 open, the day at -36 <= -35: the
    # overall stop closes PE. CE is back at 100 at 09:20, but the
    # day is over: nothing is sold again.
    trades, result = run("stop_loss each leg 20%\nreentry each leg on stop_loss cost max 2\noverall_stop rs 35\n",
                         [100, 110, 121, 110, 100, 100, 100, 100], [90, 95, 100, 105, 100, 100, 100, 100])
    assert trades == [("ce", "09:16", 100.0, "09:18", 121.0, "stop_loss"),
                      ("pe", "09:16", 90.0, "09:19", 105.0, "overall_stop")]
    assert result.daily[0].pnl == -36.0


def test_without_a_position_exit_the_re_cost_still_happens():
    # the same day with a wider overall stop (rs 100): CE is sold again at 100 at 09:20
    trades, _ = run("stop_loss each leg 20%\nreentry each leg on stop_loss cost max 2\noverall_stop rs 100\n",
                    [100, 110, 121, 110, 100, 100, 100, 100], [90, 95, 100, 105, 100, 100, 100, 100])
    assert ("ce", "09:20", 100.0, "09:23", 100.0, "eod") in trades
