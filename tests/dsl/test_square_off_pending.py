"""``square_off complete`` and legs not yet open: a hit ends the position, so a staggered,
wait-and-trade or lazy leg still waiting, or a pending re-entry, no longer opens in that cycle
(docs/language.md, Leg management: Order on one tick). The legs the hit closes follow their
re-entry rules, and the hit's ``on`` actions run, as before. A leg a ``close`` action closes hit
nothing itself and does not re-enter.

One day, ATM 21000 (spot 21010), minute bars from 09:16 (index 0: 09:16, 1: 09:17, ...), through
the in-memory source of tests/kit.py; lot size 1, so PnL is in points. Each trade worked out by
hand.
"""

from __future__ import annotations

from optbt import run_backtest
from optbt.dsl import load_strat_text
from optbt.results.trace import timeline
from tests.kit import DAY, MemorySource, config, inst, straddle_day

HEAD = ('strategy pending "square_off and legs not yet open"\nlegs\n'
        "    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n")
FLAT = [100.0] * 10
CE_STOPS_AT_0918 = [100, 100, 120, 100, 100, 100, 100, 100, 100, 100]  # sold 100 at 09:17, 20 % stop = 120


def trades(body: str, ce: list, pe: list = FLAT, head: str = HEAD, extra: dict | None = None) -> list[tuple]:
    """The day's trades as (entry time, key, entry price, exit time, exit price, exit reason)."""
    src = MemorySource({DAY: straddle_day(ce, pe, extra=extra)}, cfg=config(len(ce)))
    res = run_backtest(load_strat_text(head + body, "pending.strat"), source=src)
    return sorted((t.entry_ts.strftime("%H:%M"), t.key, t.entry_price, t.exit_ts.strftime("%H:%M"),
                   t.exit_price, t.exit_reason) for t in res.trades)


def test_a_complete_square_off_cancels_a_staggered_leg_not_yet_open():
    """CE sold at 100 at 09:17 stops at 120 at 09:18; PE is due at 09:21. The hit closes the
    position: PE never opens. Before, PE was sold at 09:21 at 100 and held to the 09:24 exit,
    a position of one leg after the stop that was to end it."""
    body = "square_off complete\nentry at 09:17\nentry pe at 09:21\nstop_loss ce 20%\nexit at 09:24\n"
    assert trades(body, CE_STOPS_AT_0918) == [("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss")]


def test_after_a_complete_square_off_max_cycles_starts_a_new_cycle():
    """As above with max_cycles 2: the hit at 09:18 ends the first cycle (nothing open, nothing
    waits); the second enters on the next tick, 09:19 (CE at 100, stop 120, never reached), and
    its own PE opens at 09:21 at 100; both leave at the 09:24 exit at 100. Before, the first
    cycle's PE kept the cycle open, opened at 09:21, and no second cycle ever started."""
    body = ("max_cycles 2\nsquare_off complete\nentry at 09:17\nentry pe at 09:21\nstop_loss ce 20%\n"
            "exit at 09:24\n")
    assert trades(body, CE_STOPS_AT_0918) == [("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss"),
                                              ("09:19", "ce", 100.0, "09:24", 100.0, "exit"),
                                              ("09:21", "pe", 100.0, "09:24", 100.0, "exit")]


def test_a_complete_square_off_cancels_a_wait_and_trade_leg():
    """PE waits for its premium to fall 10 % from 100 (its reference at 09:17): 90 first at
    09:21. CE stops at 09:18: PE no longer opens. Before, it was sold at 90 at 09:21."""
    pe = [100, 100, 100, 100, 100, 90, 90, 90, 90, 90]
    body = "square_off complete\nentry at 09:17\nwait pe down 10%\nstop_loss ce 20%\nexit at 09:24\n"
    assert trades(body, CE_STOPS_AT_0918, pe) == [("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss")]


def test_a_complete_square_off_cancels_a_pending_re_entry():
    """RE COST once per leg. 09:18: CE at 120 stops and closes PE at 105 (both reason stop_loss);
    both wait to come back to 100 (CE from 120, PE from 105). 09:19: CE at 100 is sold again
    (stop 120); PE at 110 still waits. 09:20: CE at 120 stops again, ending that position: PE's
    re-entry is cancelled (CE's count is used up). Before, PE was sold at 100 at 09:21 and held
    to the exit."""
    ce = [100, 100, 120, 100, 120, 120, 120, 120, 120, 120]
    pe = [100, 100, 105, 110, 110, 100, 100, 100, 100, 100]
    body = ("square_off complete\nentry at 09:17\nstop_loss ce 20%\nreentry each leg on stop_loss cost max 1\n"
            "exit at 09:24\n")
    assert trades(body, ce, pe) == [("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss"),
                                    ("09:17", "pe", 100.0, "09:18", 105.0, "stop_loss"),
                                    ("09:19", "ce", 100.0, "09:20", 120.0, "stop_loss")]


def test_a_complete_square_offs_own_reaction_still_opens_its_lazy_leg():
    """The hit's 'on' actions run after it closes the position: 'on stop_loss(ce): open h' buys
    the 21050 call h at 30 at 09:18 (with the tick's due legs), held to the 09:24 exit at 30."""
    head = HEAD + "    h = add(ATM + 1, CE, BUY)\n"
    body = ("square_off complete\nentry at 09:17\nstop_loss ce 20%\non stop_loss(ce): open h\n"
            "exit at 09:24\n")
    got = trades(body, CE_STOPS_AT_0918, head=head, extra={inst(21050, "CE"): [30.0] * 10})
    assert got == [("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss"),
                   ("09:17", "pe", 100.0, "09:18", 100.0, "stop_loss"),
                   ("09:18", "h", 30.0, "09:24", 30.0, "exit")]


def test_a_leg_closed_by_a_close_action_does_not_re_enter():
    """'on stop_loss(ce): close pe' with 'reentry each leg on stop_loss asap': CE sold at 100 stops
    at 120 on 09:18 and re-enters at once at 120 (its own stop), held to the 09:24 exit at 100.
    PE, closed at 100 by the action (exit reason stop_loss, the event), hit no stop of its own and
    stays closed. Before, it was sold again at 100 on the same tick: the close did nothing but pay
    the spread twice (as the 'exit' action did before it ended the cycle)."""
    body = ("entry at 09:17\nstop_loss ce 20%\non stop_loss(ce): close pe\n"
            "reentry each leg on stop_loss asap max 1\nexit at 09:24\n")
    assert trades(body, CE_STOPS_AT_0918) == [("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss"),
                                              ("09:17", "pe", 100.0, "09:18", 100.0, "stop_loss"),
                                              ("09:18", "ce", 120.0, "09:24", 100.0, "exit")]


def test_a_leg_closed_by_a_close_action_on_a_target_does_not_re_enter_on_target():
    """CE sold at 100 reaches its 20 % target (80) on 09:18 and 'on target(ce): close pe' closes
    PE at 100 (reason target). PE's own 50 % target (50) was never reached: 'reentry pe on target'
    does not fire. Before, PE was sold again at 100 at once and held to the exit."""
    ce = [100, 100, 80, 100, 100, 100, 100, 100, 100, 100]
    body = ("entry at 09:17\ntarget ce 20%\ntarget pe 50%\non target(ce): close pe\n"
            "reentry pe on target asap max 1\nexit at 09:24\n")
    assert trades(body, ce) == [("09:17", "ce", 100.0, "09:18", 80.0, "target"),
                                ("09:17", "pe", 100.0, "09:18", 100.0, "target")]


def test_explain_says_a_complete_square_off_cancels_legs_not_yet_open():
    from optbt.dsl.explain import explain_text
    text = explain_text(HEAD + "square_off complete\nentry at 09:17\nentry pe at 09:21\nstop_loss ce 20%\n"
                        "exit at 09:24\n")
    assert "a leg not open yet in the cycle (staggered, waiting for a move, lazy, a pending re-entry) no longer " \
           "opens" in " ".join(text.split())


# -- --trace names each leg the hit cancels ----------------------------------------------------------
# The trace showed the stop and the exits, never that pe (waiting) would not open: the user looked
# for the leg that never opened. Each line below written out from the day's prices.

def traced(body: str, ce: list, pe: list = FLAT) -> list[dict]:
    src = MemorySource({DAY: straddle_day(ce, pe)}, cfg=config(len(ce)))
    return run_backtest(load_strat_text(HEAD + body, "pending.strat"), source=src, trace=[DAY]).trace


STOP = "09:18       stop_loss ce: price 120 vs level 120 (hit when price >= level): HIT"
EXIT_CE = "09:18       EXIT ce: NIFTY 2024-01-04 21000 CE at 120 (lag 0) reason stop_loss, level 120, pnl -20"


def test_the_trace_names_a_staggered_leg_a_complete_square_off_cancels():
    records = traced("square_off complete\nentry at 09:17\nentry pe at 09:21\nstop_loss ce 20%\nexit at 09:24\n",
                     CE_STOPS_AT_0918)
    assert timeline(records)[-3:] == [
        STOP, "09:18       CANCELLED pe (due at 09:21): square_off complete after ce's stop_loss at 09:18", EXIT_CE]
    assert [r for r in records if r["kind"] == "cancelled"] == [
        {"day": "2024-01-02", "time": "09:18", "tick": 2, "kind": "cancelled", "key": "pe", "waiting": "due at 09:21",
         "note": "square_off complete after ce's stop_loss at 09:18"}]


def test_the_trace_names_a_cancelled_wait_and_trade_leg_and_a_cancelled_re_entry():
    pe = [100, 100, 100, 100, 100, 90, 90, 90, 90, 90]
    lines = timeline(traced("square_off complete\nentry at 09:17\nwait pe down 10%\nstop_loss ce 20%\nexit at 09:24\n",
                            CE_STOPS_AT_0918, pe))
    assert lines[-2] == ("09:18       CANCELLED pe (waiting for its price to move down 10 %): square_off complete "
                         "after ce's stop_loss at 09:18")
    ce = [100, 100, 120, 100, 120, 120, 120, 120, 120, 120]  # as test_a_complete_square_off_cancels_a_pending_re_entry
    pe = [100, 100, 105, 110, 110, 100, 100, 100, 100, 100]
    lines = timeline(traced("square_off complete\nentry at 09:17\nstop_loss ce 20%\n"
                            "reentry each leg on stop_loss cost max 1\nexit at 09:24\n", ce, pe))
    assert lines[-2] == ("09:20       CANCELLED pe (re-entry waiting for its price back at cost 100): square_off "
                         "complete after ce's stop_loss at 09:20")


def test_the_trace_of_a_day_without_cancelled_legs_is_as_before():
    """Partial square-off: the stop closes ce alone; pe opens at 09:21 and leaves at the exit."""
    lines = timeline(traced("entry at 09:17\nentry pe at 09:21\nstop_loss ce 20%\nexit at 09:24\n", CE_STOPS_AT_0918))
    assert lines[4:] == [
        STOP, EXIT_CE,
        "09:18-09:23 exit rule false (6 ticks)",  # folded across pe's fill (optbt.results.trace)
        "09:21       FILL pe: SELL NIFTY 2024-01-04 21000 PE at 100 (lag 0, entry)",
        "09:24       exit rule TRUE: exit everything",
        "09:24       EXIT pe: NIFTY 2024-01-04 21000 PE at 100 (lag 0) reason exit, pnl 0"]


def test_the_trace_names_a_leg_a_whole_position_exit_cancels():
    """An MTM stop (rs 30) fires at 09:18: CE sold at 100 is at 150 (MTM -50), and PE, due at
    09:21, will not open; the trace says so, as it does for a complete square-off. Likewise the
    day's overall stop (rs 30, the same tick)."""
    ce = [100, 100, 150, 100, 100, 100, 100, 100, 100, 100]
    lines = timeline(traced("entry at 09:17\nentry pe at 09:21\nmtm_stop rs 30\nexit at 09:24\n", ce))
    assert "09:18       CANCELLED pe (due at 09:21): mtm_stop closed the position (the cycle is over)" in lines
    assert not any("FILL pe" in line for line in lines)
    lines = timeline(traced("entry at 09:17\nentry pe at 09:21\noverall_stop rs 30\nexit at 09:24\n", ce))
    assert "09:18       CANCELLED pe (due at 09:21): overall_stop: the day is over" in lines
    assert not any("FILL pe" in line for line in lines)
