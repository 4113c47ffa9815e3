"""Fills of shifts, stops moved to cost, credit exits and the MTM rules' premium, each worked
out by hand (each test failed before its fix).

One day, ATM 21000 (spot 21010), minute bars from 09:16 (index 0); the 21050 call is the
strike a shift rolls to (``ATM + 1``). Lot size 1: PnL is in points.
"""

from __future__ import annotations

from optbt import run_backtest
from optbt.data.dataset import load_dataset
from optbt.dsl import load_strat_text
from tests.kit import DAY, inst, straddle_day, write_parquet

HEAD = """strategy audit "fills"
legs
    ce = add(ATM, CE, SELL)
    pe = add(ATM, PE, SELL)
entry at 09:17
"""


def trades(ce: list, pe: list, body: str, tmp_path, ce_up: list | None = None, head: str = HEAD) -> list[tuple]:
    extra = None if ce_up is None else {inst(21050, "CE"): list(ce_up)}
    data = write_parquet(tmp_path / "d", {DAY: straddle_day(ce, pe, extra=extra)}, n_ticks=len(ce))
    res = run_backtest(load_strat_text(head + body, "audit.strat"), data=load_dataset(data))
    return sorted((t.entry_ts.strftime("%H:%M"), t.key, t.leg.strike, t.entry_price, t.exit_ts.strftime("%H:%M"),
                   t.exit_price, t.exit_reason) for t in res.trades)


FLAT = [100.0] * 10


def test_moving_a_stepped_stop_to_cost_keeps_the_tighter_stop(tmp_path):
    """PE sold at 100, stop 120, stepped every 10 pts by 10 pts. 09:18 at 80 (20 in favour: two
    steps) the stop is 100, 09:19 at 70 (three steps) 90. 09:20: CE stops at 120 and its action
    moves PE's stop to cost (100), which would loosen it: it stays 90 (PE at 85 is below it).
    09:21: PE at 95 is at or above 90: out at 95. Before, the stop went back to 100 and PE ran on
    to the 09:24 exit."""
    ce = [100, 100, 100, 100, 120, 120, 120, 120, 120, 120]
    pe = [100, 100, 80, 70, 85, 95, 95, 95, 95, 95]
    body = ("stop_loss each leg 20 pts\ntrailing pe every 10 pts by 10 pts\n"
            "on stop_loss(ce): move pe.stop to cost\nexit at 09:24\n")
    assert trades(ce, pe, body, tmp_path) == [("09:17", "ce", 21000.0, 100.0, "09:20", 120.0, "stop_loss"),
                                             ("09:17", "pe", 21000.0, 100.0, "09:21", 95.0, "stop_loss")]


def test_moving_a_long_legs_stepped_stop_to_cost_keeps_the_higher_stop(tmp_path):
    """The same for a bought PE at 100 (stop 80, every 10 by 10): 120 at 09:18 lifts the stop to
    100, 130 at 09:19 to 110; CE (sold) stops at 120 at 09:20 and moves PE's stop to cost (100):
    it stays 110, so PE at 108 at 09:21 is out at 108 (before: on to the exit at 108)."""
    head = HEAD.replace("pe = add(ATM, PE, SELL)", "pe = add(ATM, PE, BUY)")
    ce = [100, 100, 100, 100, 120, 120, 120, 120, 120, 120]
    pe = [100, 100, 120, 130, 115, 108, 108, 108, 108, 108]
    body = ("stop_loss each leg 20 pts\ntrailing pe every 10 pts by 10 pts\n"
            "on stop_loss(ce): move pe.stop to cost\nexit at 09:24\n")
    assert trades(ce, pe, body, tmp_path, head=head) == [
        ("09:17", "ce", 21000.0, 100.0, "09:20", 120.0, "stop_loss"),
        ("09:17", "pe", 21000.0, 100.0, "09:21", 108.0, "stop_loss")]


def test_a_re_entry_at_cost_after_a_shift_waits_for_the_shifts_own_fill(tmp_path):
    """CE sold at 100 (21000) falls to 50 at 09:18 and shifts to 21050, sold there at 80 (its
    20-point stop: 100). 09:19: 21050 at 105 stops it. Its cost is its own fill, 80, not the
    first leg's 100: it left above, so it waits for 80 or less: 09:20 at 90 is not, 09:21 at 80
    is: sold again at 80, out at the 09:24 exit at 85. Before, it waited for 100 and re-entered
    at 90 on 09:20."""
    head = 'strategy audit "fills"\nlegs\n    ce = add(ATM, CE, SELL)\nentry at 09:17\n'
    ce = [100, 100, 50, 50, 50, 50, 50, 50, 50, 50]
    up = [80, 80, 80, 105, 90, 80, 85, 85, 85, 85]
    body = ("stop_loss ce 20 pts\nshift ce to ATM + 1 when ce.ltp <= 60\nreentry ce on stop_loss cost max 1\n"
            "exit at 09:24\n")
    assert trades(ce, FLAT, body, tmp_path, ce_up=up, head=head) == [
        ("09:17", "ce", 21000.0, 100.0, "09:18", 50.0, "shift"),
        ("09:18", "ce", 21050.0, 80.0, "09:19", 105.0, "stop_loss"),
        ("09:21", "ce", 21050.0, 80.0, "09:24", 85.0, "exit")]


def test_a_shifted_leg_keeps_its_declared_place_in_the_rules(tmp_path):
    """CE (declared first) sold at 100 shifts at 09:18 (at 60) to 21050, sold at 80: its 30 %
    stop is 104. 09:19: CE at 104 stops and its action moves PE's stop to cost (100); PE, checked
    after CE as declared, is at 110: out at 09:19. Before, the shifted CE was checked after PE
    (fill order), so PE went out a tick later, at 120."""
    ce = [100, 100, 60, 60, 60, 60, 60, 60, 60, 60]
    up = [80, 80, 80, 104, 104, 104, 104, 104, 104, 104]
    pe = [100, 100, 100, 110, 120, 120, 120, 120, 120, 120]
    body = ("stop_loss each leg 30%\nshift ce to ATM + 1 when ce.ltp <= 60\n"
            "on stop_loss(ce): move pe.stop to cost\nexit at 09:24\n")
    assert trades(ce, pe, body, tmp_path, ce_up=up) == [
        ("09:17", "ce", 21000.0, 100.0, "09:18", 60.0, "shift"),
        ("09:17", "pe", 21000.0, 100.0, "09:19", 110.0, "stop_loss"),
        ("09:18", "ce", 21050.0, 80.0, "09:19", 104.0, "stop_loss")]


def test_no_shift_on_the_exit_tick(tmp_path):
    """CE first falls to 60 at 09:22, the exit time: the position exits there (CE at 60, PE at
    100); the shift would have opened a 21050 leg closed on the tick it opened."""
    ce = [100, 100, 100, 100, 100, 100, 60, 60, 60, 60]
    body = "shift ce to ATM + 1 when ce.ltp <= 60\nexit at 09:22\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[80.0] * 10) == [
        ("09:17", "ce", 21000.0, 100.0, "09:22", 60.0, "exit"),
        ("09:17", "pe", 21000.0, 100.0, "09:22", 100.0, "exit")]


def test_no_shift_on_the_days_last_tick(tmp_path):
    """No exit rule: CE first falls to 60 on the last tick (09:25), where everything closes
    (eod); no 21050 leg opens to be closed on the same tick."""
    ce = [100, 100, 100, 100, 100, 100, 100, 100, 100, 60]
    body = "shift ce to ATM + 1 when ce.ltp <= 60\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[80.0] * 10) == [
        ("09:17", "ce", 21000.0, 100.0, "09:25", 60.0, "eod"),
        ("09:17", "pe", 21000.0, 100.0, "09:25", 100.0, "eod")]


def test_a_credit_stop_with_no_leg_open_ends_the_cycle(tmp_path):
    """Both legs sold at 100 (net credit 200) stop at 150 on 09:19: the position has lost 100,
    50 % of its credit, with nothing open and both legs waiting to re-enter at cost. The credit
    stop fires there and ends the cycle: no re-entry. Before, the credit exits were not looked
    at while no leg was open, and both legs sold again at 100 on 09:20 and ran to the exit."""
    prices = [100, 100, 100, 150, 100, 100, 100, 100, 100, 100]
    body = ("stop_loss each leg 50%\nstop_loss 50% credit\nreentry each leg on stop_loss cost max 1\n"
            "exit at 09:24\n")
    assert trades(prices, prices, body, tmp_path) == [("09:17", "ce", 21000.0, 100.0, "09:19", 150.0, "stop_loss"),
                                                     ("09:17", "pe", 21000.0, 100.0, "09:19", 150.0, "stop_loss")]


def test_a_credit_target_with_no_leg_open_ends_the_cycle(tmp_path):
    """Both legs sold at 100 (credit 200) reach their 50 % targets (50) on 09:19: +100, 50 % of
    the credit, so the credit target ends the cycle and the re-entries at cost (back at 100 on
    09:21) never happen. Before: both sold again at 100 on 09:21 and ran to the exit."""
    prices = [100, 100, 100, 50, 80, 100, 100, 100, 100, 100]
    body = ("target each leg 50%\ntarget 50% credit\nreentry each leg on target cost max 1\nexit at 09:24\n")
    assert trades(prices, prices, body, tmp_path) == [("09:17", "ce", 21000.0, 100.0, "09:19", 50.0, "target"),
                                                     ("09:17", "pe", 21000.0, 100.0, "09:19", 50.0, "target")]


def test_a_net_credit_of_zero_is_not_a_debit(tmp_path):
    """CE sold at 100 and PE bought at 100: the entry's net is exactly 0, no debit. The run goes
    on (it stopped with E0407, 'paid a net debit of 0'), and the credit stop, with no credit to
    measure, does nothing (as before any leg opened): both legs leave at the 09:22 exit, CE at 90
    (+10), PE at 95 (-5)."""
    head = HEAD.replace("pe = add(ATM, PE, SELL)", "pe = add(ATM, PE, BUY)")
    ce = [100, 100, 100, 110, 90, 90, 90, 90, 90, 90]
    pe = [100, 100, 100, 90, 95, 95, 95, 95, 95, 95]
    assert trades(ce, pe, "stop_loss 2x credit\nexit at 09:22\n", tmp_path, head=head) == [
        ("09:17", "ce", 21000.0, 100.0, "09:22", 90.0, "exit"),
        ("09:17", "pe", 21000.0, 100.0, "09:22", 95.0, "exit")]


def test_a_shift_fills_within_the_datasets_entry_max_lag(tmp_path):
    """With entry_max_lag = 1, a leg may fill at a price one tick old, at the entry and so at a
    shift. CE falls to 60 at 09:18, where 21050 has no bar; its 09:17 price (80) is one tick old:
    the shift happens at 09:18 at 80 and the leg leaves at the 09:22 exit at 70. Before, a shift
    wanted a price of this very tick and rolled a tick later, at 70."""
    ce = [100, 100, 60, 60, 60, 60, 60, 60, 60, 60]
    up = [80, 80, None, 70, 70, 70, 70, 70, 70, 70]
    data = write_parquet(tmp_path / "d", {DAY: straddle_day(ce, FLAT, extra={inst(21050, "CE"): up})}, n_ticks=10)
    toml = data / "dataset.toml"
    toml.write_text("entry_max_lag = 1\n" + toml.read_text())
    res = run_backtest(load_strat_text(HEAD + "shift ce to ATM + 1 when ce.ltp <= 60\nexit at 09:22\n", "a.strat"),
                       data=load_dataset(data))
    got = sorted((t.entry_ts.strftime("%H:%M"), t.key, t.leg.strike, t.entry_price, t.exit_ts.strftime("%H:%M"),
                  t.exit_price, t.exit_reason) for t in res.trades)
    assert got == [("09:17", "ce", 21000.0, 100.0, "09:18", 60.0, "shift"),
                   ("09:17", "pe", 21000.0, 100.0, "09:22", 100.0, "exit"),
                   ("09:18", "ce", 21050.0, 80.0, "09:22", 70.0, "exit")]


def test_an_mtm_percent_target_is_of_the_cycles_premium_not_of_re_entries_too(tmp_path):
    """Premium 200 (CE and PE sold at 100): mtm_target 40% is 80. CE stops at 120 on 09:18 and
    re-enters at once at 120. 09:20: CE at 90 (+30 on its re-entry) and PE at 50 (+50): MTM 80,
    the target. Before, the re-entry's 120 was added to the premium (320: a target of 128) and
    the position ran to the 09:24 exit."""
    ce = [100, 100, 120, 100, 90, 90, 90, 90, 90, 90]
    pe = [100, 100, 100, 60, 50, 50, 50, 50, 50, 50]
    body = "stop_loss ce 20%\nreentry ce on stop_loss asap max 1\nmtm_target 40%\nexit at 09:24\n"
    assert trades(ce, pe, body, tmp_path) == [("09:17", "ce", 21000.0, 100.0, "09:18", 120.0, "stop_loss"),
                                             ("09:17", "pe", 21000.0, 100.0, "09:20", 50.0, "mtm_target"),
                                             ("09:18", "ce", 21000.0, 120.0, "09:20", 90.0, "mtm_target")]


def test_no_shift_while_exit_when_holds(tmp_path):
    """As for ``exit at``: CE first falls to 60 at 09:22, where ``exit when ce.ltp <= 60`` holds too;
    the position exits at 60 and 100 and no 21050 leg opens to be closed on its own tick."""
    ce = [100, 100, 100, 100, 100, 100, 60, 60, 60, 60]
    body = "shift ce to ATM + 1 when ce.ltp <= 60\nexit when ce.ltp <= 60\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[80.0] * 10) == [
        ("09:17", "ce", 21000.0, 100.0, "09:22", 60.0, "exit"),
        ("09:17", "pe", 21000.0, 100.0, "09:22", 100.0, "exit")]


def test_an_overall_stop_on_the_shift_s_tick_opens_no_new_leg(tmp_path):
    """CE sold at 100 is at 160 at 09:19: the shift closes it there (-60, lot 1) and the day's PnL,
    -60, is past ``overall_stop rs 50``: the day is over, PE closes at 100. Before, the shift's
    21050 call was sold at 30 and bought back at 30 on the same tick (reason overall_stop): a
    trade that never was, charged twice."""
    ce = [100, 100, 100, 160, 160, 160, 160, 160, 160, 160]
    body = "shift ce to ATM + 1 when ce.ltp >= 150\noverall_stop rs 50\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[30.0] * 10) == [
        ("09:17", "ce", 21000.0, 100.0, "09:19", 160.0, "shift"),
        ("09:17", "pe", 21000.0, 100.0, "09:19", 100.0, "overall_stop")]


def test_an_mtm_stop_on_the_shift_s_tick_opens_no_new_leg(tmp_path):
    """At 09:19 CE (sold at 100) is at 160 and PE (sold at 100) at 130: the shift closes CE, and the
    MTM of what is open, PE's -30, is past ``mtm_stop rs 25``: PE closes at 130 and the 21050 call
    is not sold (before: sold at 30, bought back at 30 on the tick, reason mtm_stop)."""
    ce = [100, 100, 100, 160, 160, 160, 160, 160, 160, 160]
    pe = [100, 100, 100, 130, 130, 130, 130, 130, 130, 130]
    body = "shift ce to ATM + 1 when ce.ltp >= 150\nmtm_stop rs 25\n"
    assert trades(ce, pe, body, tmp_path, ce_up=[30.0] * 10) == [
        ("09:17", "ce", 21000.0, 100.0, "09:19", 160.0, "shift"),
        ("09:17", "pe", 21000.0, 100.0, "09:19", 130.0, "mtm_stop")]


def test_a_shift_with_no_exit_on_its_tick_opens_the_new_leg_there(tmp_path):
    """The same day under an overall stop the shift does not reach (rs 100): the 21050 call is sold
    at 30 at 09:19 and runs to the day's end (09:25, eod) with PE."""
    ce = [100, 100, 100, 160, 160, 160, 160, 160, 160, 160]
    body = "shift ce to ATM + 1 when ce.ltp >= 150\noverall_stop rs 100\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[30.0] * 10) == [
        ("09:17", "ce", 21000.0, 100.0, "09:19", 160.0, "shift"),
        ("09:17", "pe", 21000.0, 100.0, "09:25", 100.0, "eod"),
        ("09:19", "ce", 21050.0, 30.0, "09:25", 30.0, "eod")]


def test_an_overall_stop_on_the_shift_s_tick_opens_no_new_leg_with_leg_management_too(tmp_path):
    """The same day in a file with a re-entry rule (optbt.dsl.legplan's class): the same two trades."""
    ce = [100, 100, 100, 160, 160, 160, 160, 160, 160, 160]
    body = "shift ce to ATM + 1 when ce.ltp >= 150\noverall_stop rs 50\nstop_loss pe 50%\nreentry pe on stop_loss asap max 1\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[30.0] * 10) == [
        ("09:17", "ce", 21000.0, 100.0, "09:19", 160.0, "shift"),
        ("09:17", "pe", 21000.0, 100.0, "09:19", 100.0, "overall_stop")]


LAZY = HEAD.replace("entry at 09:17", "    h = add(ATM + 1, CE, BUY)\nentry at 09:17")


def test_an_overall_stop_on_the_tick_of_a_lazy_legs_stop_opens_no_hedge(tmp_path):
    """CE sold at 100 stops at 160 (50 %) at 09:19 and its action opens the hedge h (the 21050 call,
    at 30); the day is at -60, past ``overall_stop rs 40``: PE closes at 100 and the day is over.
    Before, h was bought at 30 and sold back at 30 on that tick (reason overall_stop)."""
    ce = [100, 100, 100, 160, 160, 160, 160, 160, 160, 160]
    body = "stop_loss ce 50%\non stop_loss(ce): open h\noverall_stop rs 40\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[30.0] * 10, head=LAZY) == [
        ("09:17", "ce", 21000.0, 100.0, "09:19", 160.0, "stop_loss"),
        ("09:17", "pe", 21000.0, 100.0, "09:19", 100.0, "overall_stop")]


def test_a_lazy_leg_with_no_exit_on_its_tick_opens_there(tmp_path):
    """The same day under ``overall_stop rs 100``, not reached: h is bought at 30 at 09:19 and runs
    with PE to the day's end (09:25, eod)."""
    ce = [100, 100, 100, 160, 160, 160, 160, 160, 160, 160]
    body = "stop_loss ce 50%\non stop_loss(ce): open h\noverall_stop rs 100\n"
    assert trades(ce, FLAT, body, tmp_path, ce_up=[30.0] * 10, head=LAZY) == [
        ("09:17", "ce", 21000.0, 100.0, "09:19", 160.0, "stop_loss"),
        ("09:17", "pe", 21000.0, 100.0, "09:25", 100.0, "eod"),
        ("09:19", "h", 21050.0, 30.0, "09:25", 30.0, "eod")]
