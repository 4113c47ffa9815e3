"""Leg management (re-entry, waiting legs) together with the other constructs: a position exit
(overall stop, credit exits) on a tick comes before any re-entry of that tick and cancels every
leg still waiting; market signals read on the entry (``crosses``) see every tick. Days are hand-made (tests.kit: ticks 09:16 + k minutes, lot size 1,
ATM 21000); the answers are worked out in the comments.
"""

from __future__ import annotations

from optbt.dsl import load_strat_text
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, day_data, inst, straddle_day

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


def test_a_staggered_file_records_every_tick_for_crosses_in_its_entry_condition():
    # spot 21010, 21010, 21015: it crosses above 21012 at 09:18 (tick 2), so the entry happens
    # there: CE (21000, ATM) at 100, and PE, staggered to 09:18, at 90 on the same tick. A leg
    # plan whose entry skipped recording the spot would never see the cross: no trade at all.
    spot = [21010, 21010, 21015, 21015, 21015, 21015, 21015, 21015]
    day = day_data(spot, {inst(21000, "CE"): [100] * 8, inst(21000, "PE"): [90] * 8})
    cls = load_strat_text('strategy t "test"\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\n'
                          "entry when spot crosses above 21012\nentry pe at 09:18\nexit at 09:21\n")
    result = EventEngine(MemorySource({DAY: day}, config(8), 8)).run(cls())
    assert sorted((t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"))
                  for t in result.trades) == [("ce", "09:18", 100.0, "09:21"), ("pe", "09:18", 90.0, "09:21")]
