"""Each construct of the language, run on tiny hand-made days: fills worked out by hand.

Ticks are 09:16, 09:17, ... (tick k = 09:16 + k minutes); lot size 1; ATM is 21000.
"""

from __future__ import annotations

from datetime import date

import pytest

from optbt.dsl import load_strat_text
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, inst, straddle_day

H = 'strategy t "test"\n'


def run(body: str, day: dict, n_ticks: int = 8, lot_size: float = 1.0, params: dict | None = None):
    cls = load_strat_text(H + body)
    source = MemorySource({DAY: day}, config(n_ticks, lot_size=lot_size), n_ticks)
    result = EventEngine(source).run(cls(**(params or {})))
    return [(t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_price,
             t.exit_reason) for t in result.trades], result


STRADDLE = "ce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\n"


def test_entry_at_a_time_and_exit_at_a_time():
    trades, _ = run(STRADDLE + "entry at 09:18\nexit at 09:20\n",
                    straddle_day([100, 101, 102, 103, 104, 105, 106, 107], [90] * 8))
    assert trades == [("ce", "09:18", 102.0, "09:20", 104.0, "exit"), ("pe", "09:18", 90.0, "09:20", 90.0, "exit")]


def test_percent_stop_loss_closes_only_that_leg():
    # CE sold at 100; 30 % stop at 130 -> hit at 09:19 (131); PE held to EOD (09:23)
    trades, _ = run(STRADDLE + "entry at 09:16\nstop_loss each leg 30%\n",
                    straddle_day([100, 110, 120, 131, 100, 100, 100, 100], [90] * 8))
    assert trades == [("ce", "09:16", 100.0, "09:19", 131.0, "stop_loss"), ("pe", "09:16", 90.0, "09:23", 90.0, "eod")]


def test_points_target_on_one_leg():
    # PE sold at 90, target 20 pts -> 70 or lower: 09:18
    trades, _ = run(STRADDLE + "entry at 09:16\ntarget pe 20 pts\nexit at 09:21\n",
                    straddle_day([100] * 8, [90, 80, 70, 60, 60, 60, 60, 60]))
    assert ("pe", "09:16", 90.0, "09:18", 70.0, "target") in trades


def test_complete_square_off_closes_every_leg_on_a_stop():
    trades, _ = run(STRADDLE + "entry at 09:16\nsquare_off complete\nstop_loss ce 10 pts\n",
                    straddle_day([100, 105, 111, 100, 100, 100, 100, 100], [90, 91, 92, 93, 94, 95, 96, 97]))
    assert trades == [("ce", "09:16", 100.0, "09:18", 111.0, "stop_loss"), ("pe", "09:16", 90.0, "09:18", 92.0, "stop_loss")]


def test_stop_moves_to_cost_after_the_other_leg_stops():
    # CE stops at 09:17 (130 >= 130); PE's stop moves from 117 to 90: hit at 09:19 (95)
    trades, _ = run(STRADDLE + "entry at 09:16\nstop_loss each leg 30%\non stop_loss(ce): move pe.stop to cost\n",
                    straddle_day([100, 130, 130, 130, 130, 130, 130, 130], [90, 85, 88, 95, 80, 80, 80, 80]))
    assert ("pe", "09:16", 90.0, "09:19", 95.0, "stop_loss") in trades


def test_trailing_stop_on_a_long_leg_follows_the_best_price():
    # long CE bought at 100; 10 % trail: best 120 at 09:18 -> stop 108; 107 at 09:20 hits
    trades, _ = run("ce = add(ATM, CE, BUY)\nentry at 09:16\ntrailing ce 10%\n",
                    straddle_day([100, 110, 120, 115, 107, 130, 130, 130], [1] * 8))
    assert trades == [("ce", "09:16", 100.0, "09:20", 107.0, "trailing")]


def test_mtm_stop_in_money_closes_everything():
    # lot 10: CE 100 -> 120 and PE 90 -> 95 at 09:18 is -(20 + 5) * 10 = -250 <= -rs 200
    trades, _ = run(STRADDLE + "entry at 09:16\nmtm_stop rs 200\n",
                    straddle_day([100, 110, 120, 100, 100, 100, 100, 100], [90, 92, 95, 90, 90, 90, 90, 90]),
                    lot_size=10)
    assert {(k, x, r) for k, _, _, x, _, r in trades} == {("ce", "09:18", "mtm_stop"), ("pe", "09:18", "mtm_stop")}


def test_mtm_target_as_percent_of_premium():
    # premium 100 + 90 = 190; 10 % target = 19: CE 100 -> 90 and PE 90 -> 81 at 09:18 is +19
    trades, _ = run(STRADDLE + "entry at 09:16\nmtm_target 10%\n",
                    straddle_day([100, 95, 90, 80, 80, 80, 80, 80], [90, 88, 81, 80, 80, 80, 80, 80]))
    assert {x for _, _, _, x, _, _ in trades} == {"09:18"}


def test_trailing_mtm_locks_profit():
    # mtm: +10 (09:17), +30 (09:18, peak), +15 (09:19): after rs 20, by rs 10 -> exit at 09:19
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\ntrail_mtm after rs 20 by rs 10\n",
                    straddle_day([100, 90, 70, 85, 60, 60, 60, 60], [1] * 8))
    assert trades == [("ce", "09:16", 100.0, "09:19", 85.0, "trail_mtm")]


def test_exit_when_a_condition_on_a_leg_holds():
    trades, _ = run(STRADDLE + "entry at 09:16\nexit when ce.ltp >= ce.entry_price * 110%\n",
                    straddle_day([100, 105, 111, 100, 100, 100, 100, 100], [90] * 8))
    assert {x for _, _, _, x, _, _ in trades} == {"09:18"}


def test_entry_window_and_conditions_on_weekday_and_spot():
    day = straddle_day([100] * 8, [90] * 8)
    day["spot"] = [20990.0, 20995.0, 21005.0, 21010.0, 21010.0, 21010.0, 21010.0, 21010.0]
    # DAY is a Tuesday; spot > 21000 first at 09:18
    trades, _ = run(STRADDLE + "entry between 09:16 and 09:20 when weekday in (Tue) and spot > 21000\n", day)
    assert {e for _, e, _, _, _, _ in trades} == {"09:18"}
    trades, _ = run(STRADDLE + "entry between 09:16 and 09:20 when weekday in (Mon) and spot > 21000\n", day)
    assert trades == []


def test_max_cycles_re_enters_after_a_stop():
    # stop at 09:17 (cycle 1); re-entry 09:18 at 100; stopped 09:19; third cycle at 09:20, held
    trades, res = run("ce = add(ATM, CE, SELL)\nmax_cycles 3\nentry at 09:16\nstop_loss ce 10 pts\n",
                      straddle_day([100, 111, 100, 111, 100, 100, 100, 100], [1] * 8))
    assert [(e, x, r) for _, e, _, x, _, r in trades] == [("09:16", "09:17", "stop_loss"), ("09:18", "09:19", "stop_loss"),
                                                          ("09:20", "09:23", "eod")]
    assert res.daily[0].cycles == 3


def test_strike_offsets_and_absolute_strikes():
    extra = {inst(21100, "CE"): [50] * 8, inst(20950, "PE"): [40] * 8}
    trades, _ = run("a = add(ATM + 2, CE, SELL)\nb = add(20950, PE, BUY, 2)\nentry at 09:16\nexit at 09:17\n",
                    straddle_day([100] * 8, [90] * 8, extra=extra))
    assert [(k, p) for k, _, p, _, _, _ in trades] == [("a", 50.0), ("b", 40.0)]


def test_strike_by_premium_closest_to_a_target():
    extra = {inst(21050, "CE"): [62] * 8, inst(21100, "CE"): [48] * 8}
    trades, _ = run("ce = add(premium ~ 50, CE, SELL)\nentry at 09:16\nexit at 09:17\n",
                    straddle_day([100] * 8, [90] * 8, extra=extra))
    assert trades[0][2] == 48.0


def test_shift_rolls_a_leg_to_the_new_atm():
    # spot moves to 21050 at 09:18 while the sold 21000 CE decays to 40 (<= 50 % of 100)
    day = straddle_day([100, 80, 40, 40, 40, 40, 40, 40], [90] * 8, extra={inst(21050, "CE"): [70] * 8})
    day["spot"] = [21010.0, 21010.0, 21060.0, 21060.0, 21060.0, 21060.0, 21060.0, 21060.0]
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nshift ce to ATM when ce.ltp <= ce.entry_price * 50%\n", day)
    assert trades[:2] == [("ce", "09:16", 100.0, "09:18", 40.0, "shift"), ("ce", "09:18", 70.0, "09:23", 70.0, "eod")]


def test_parameters_default_and_override_from_the_command_line():
    body = "params\n    sl: percent = 30%\n    at: time = 09:16\n    lots: int = 1\n" \
           "ce = add(ATM, CE, SELL, lots)\nentry at at\nstop_loss ce sl\n"
    day = straddle_day([100, 115, 125, 131, 100, 100, 100, 100], [90] * 8)
    trades, _ = run(body, day)
    assert trades[0][3:] == ("09:19", 131.0, "stop_loss")
    trades, res = run(body, day, params={"sl": "10", "at": "09:17", "lots": "2"})
    assert trades[0][1:] == ("09:17", 115.0, "09:19", 131.0, "stop_loss")  # stop 115 * 1.1 = 126.5
    assert res.trades[0].qty == 2


def test_choice_parameters_are_validated():
    cls = load_strat_text(H + "params\n    mode: choice(fast, slow) = fast\nce = add(ATM, CE, SELL)\n"
                          "entry when mode in (fast)\nexit at 15:00\n")
    assert cls(mode="slow").mode == "slow"
    with pytest.raises(ValueError, match="mode must be one of fast, slow"):
        cls(mode="medium")


@pytest.mark.parametrize("cond", ["mode == fast", "fast == mode", "mode != slow", "slow != mode"])
def test_a_choice_parameter_compares_with_its_options_by_equality(cond):
    body = f"params\n    mode: choice(fast, slow) = fast\nce = add(ATM, CE, SELL)\nentry at 09:17 when {cond}\n"
    day = straddle_day([100, 101, 102, 103, 104, 105, 106, 107], [90] * 8)
    trades, _ = run(body, day)
    assert trades == [("ce", "09:17", 101.0, "09:23", 107.0, "eod")]
    trades, _ = run(body, day, params={"mode": "slow"})
    assert trades == []


def test_sweep_ranges_are_declared_with_the_parameter():
    cls = load_strat_text(H + "params\n    sl: percent = 30% sweep 20% .. 40% step 10%\n"
                          "    lots: int = 1 sweep [1, 2]\nce = add(ATM, CE, SELL, lots)\nstop_loss ce sl\n")
    assert cls.sweep_grid() == {"sl": [20.0, 30.0, 40.0], "lots": [1, 2]}


def test_expiry_selection():
    far = date(2024, 1, 11)
    extra = {inst(21000, "CE", far): [70] * 8}
    trades, res = run("expiry next\nce = add(ATM, CE, SELL)\nentry at 09:16\nexit at 09:17\n",
                      straddle_day([100] * 8, [90] * 8, extra=extra))
    assert res.trades[0].leg.expiry == far and trades[0][2] == 70.0
