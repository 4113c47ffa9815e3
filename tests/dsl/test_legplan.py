"""Leg management, each construct on a tiny hand-made day: re-entry (asap, cost, momentum,
reverse), wait-and-trade, staggered and lazy legs, trailing after a move and in steps, leg
state. Answers are worked out by hand in the comments.

Ticks are 09:16, 09:17, ... (tick k = 09:16 + k minutes), 8 ticks (the last, 09:23, closes
everything), lot size 1; spot 21010 makes ATM 21000, spot 21040 makes it 21050.
"""

from __future__ import annotations

import pytest

from optbt.dsl import StratError, compile_text, load_strat_text
from optbt.dsl.format import format_source
from optbt.dsl.lint import lint_text
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, day_data, inst, straddle_day

H = 'strategy t "test"\n'
STRADDLE = "ce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\n"


def run(body: str, day: dict, n_ticks: int = 8):
    cls = load_strat_text(H + body)
    result = EventEngine(MemorySource({DAY: day}, config(n_ticks), n_ticks)).run(cls())
    rows = [(t.key, t.leg.side, t.leg.strike, t.entry_ts.strftime("%H:%M"), t.entry_price,
             t.exit_ts.strftime("%H:%M"), t.exit_price, t.exit_reason, t.entry_reason) for t in result.trades]
    return sorted(rows, key=lambda r: (r[3], r[0])), result


def test_re_cost_re_enters_the_same_contract_back_at_its_entry_price_up_to_max():
    # CE sold at 100, 20 % stop = 120: 121 at 09:18 stops it; back at <= 100 at 09:20 -> sold again
    # at 100; 125 at 09:22 stops it again; the second re-entry would be due at 09:23 (90 <= 100),
    # but nothing opens on the day's last tick
    trades, result = run(STRADDLE + "entry at 09:16\nstop_loss each leg 20%\nreentry each leg on stop_loss cost max 2\n",
                         straddle_day([100, 110, 121, 110, 100, 99, 125, 90], [90] * 8))
    assert trades == [
        ("ce", "SELL", 21000.0, "09:16", 100.0, "09:18", 121.0, "stop_loss", "entry"),
        ("pe", "SELL", 21000.0, "09:16", 90.0, "09:23", 90.0, "eod", "entry"),
        ("ce", "SELL", 21000.0, "09:20", 100.0, "09:22", 125.0, "stop_loss", "reentry"),
    ]
    assert result.daily[0].cycles == 1


def test_re_cost_max_1_stops_after_one_re_entry():
    trades, _ = run(STRADDLE + "entry at 09:16\nstop_loss ce 20 pts\nreentry ce on stop_loss cost max 1\n",
                    straddle_day([100, 121, 100, 121, 100, 100, 100, 100], [90] * 8))
    ce = [(t[3], t[5], t[7]) for t in trades if t[0] == "ce"]
    assert ce == [("09:16", "09:17", "stop_loss"), ("09:18", "09:19", "stop_loss")]


def _two_strike_day(ce21000, ce21050, spot):
    return day_data(spot, {inst(21000, "CE"): ce21000, inst(21050, "CE"): ce21050})


def test_re_asap_re_enters_at_once_at_the_strike_chosen_at_that_tick():
    # sold 21000 CE at 100, stop 20 pts = 120; 125 at 09:18, when spot 21040 makes ATM 21050:
    # the re-entry sells 21050 CE at once, at 90 (its stop 110 is never reached: eod at 100)
    day = _two_strike_day([100, 110, 125, 125, 125, 125, 125, 125], [80, 85, 90, 95, 100, 100, 100, 100],
                          [21010, 21010, 21040, 21040, 21040, 21040, 21040, 21040])
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nstop_loss ce 20 pts\nreentry ce on stop_loss asap max 1\n",
                    day)
    assert trades == [("ce", "SELL", 21000.0, "09:16", 100.0, "09:18", 125.0, "stop_loss", "entry"),
                      ("ce", "SELL", 21050.0, "09:18", 90.0, "09:23", 100.0, "eod", "reentry")]


def test_reverse_re_entry_takes_the_opposite_side():
    # the same day, reverse: 21050 CE is bought at 90; as a long leg its 20 pts stop is 70: never hit
    day = _two_strike_day([100, 110, 125, 125, 125, 125, 125, 125], [80, 85, 90, 95, 100, 100, 100, 100],
                          [21010, 21010, 21040, 21040, 21040, 21040, 21040, 21040])
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nstop_loss ce 20 pts\n"
                    "reentry ce on stop_loss asap reverse max 1\n", day)
    assert trades[1] == ("ce", "BUY", 21050.0, "09:18", 90.0, "09:23", 100.0, "eod", "reentry")


def test_wait_and_trade_opens_each_leg_when_its_premium_moved():
    # references at 09:16: CE 100, PE 90. CE waits for >= 110 (up 10 %): 09:18 at 110.
    # PE waits for <= 81 (down 9 pts): 85, 82, then 81 at 09:19. Both exit at 09:22.
    trades, _ = run(STRADDLE + "entry at 09:16\nwait ce up 10%\nwait pe down 9 pts\nexit at 09:22\n",
                    straddle_day([100, 105, 110, 108, 120, 118, 116, 115], [90, 85, 82, 81, 80, 79, 78, 77]))
    assert trades == [("ce", "SELL", 21000.0, "09:18", 110.0, "09:22", 116.0, "exit", "entry"),
                      ("pe", "SELL", 21000.0, "09:19", 81.0, "09:22", 78.0, "exit", "entry")]


def test_wait_each_leg_with_a_leg_of_its_own():
    # each leg down 10 %: CE 100 -> 90 at 09:18; PE's own rule (up 5 pts): 90 -> 95 at 09:17
    trades, _ = run(STRADDLE + "entry at 09:16\nwait each leg down 10%\nwait pe up 5 pts\nexit at 09:22\n",
                    straddle_day([100, 95, 90, 90, 90, 90, 90, 90], [90, 95, 95, 95, 95, 95, 95, 95]))
    assert [(t[0], t[3], t[4]) for t in trades] == [("pe", "09:17", 95.0), ("ce", "09:18", 90.0)]


def test_a_staggered_leg_opens_at_its_own_time_even_after_the_other_stopped():
    # CE sold 09:16 at 100, stop 20 % (120) hit at 09:17; the cycle stays open for PE, which opens
    # at 09:19 (93) and exits at 09:22 (96)
    trades, result = run(STRADDLE + "entry at 09:16\nentry pe at 09:19\nstop_loss ce 20%\nexit at 09:22\n",
                         straddle_day([100, 130, 100, 100, 100, 100, 100, 100], [90, 91, 92, 93, 94, 95, 96, 97]))
    assert trades == [("ce", "SELL", 21000.0, "09:16", 100.0, "09:17", 130.0, "stop_loss", "entry"),
                      ("pe", "SELL", 21000.0, "09:19", 93.0, "09:22", 96.0, "exit", "entry")]
    assert result.daily[0].cycles == 1


def test_a_staggered_leg_after_the_exit_time_never_opens():
    trades, _ = run(STRADDLE + "entry at 09:16\nentry pe at 09:21\nexit at 09:20\n",
                    straddle_day([100] * 8, [90] * 8))
    assert [(t[0], t[5]) for t in trades] == [("ce", "09:20")]


def test_a_lazy_leg_opens_only_on_its_action():
    # sell 21000 CE at 100 (hedge is lazy); stop 20 pts hit at 09:18 (121) -> buy ATM + 1 = 21050 CE at 60
    day = _two_strike_day([100, 110, 121, 121, 121, 121, 121, 121], [50, 55, 60, 62, 64, 66, 68, 70], [21010] * 8)
    trades, _ = run("sell_ce = add(ATM, CE, SELL)\nhedge = add(ATM + 1, CE, BUY)\nentry at 09:16\n"
                    "stop_loss sell_ce 20 pts\non stop_loss(sell_ce): open hedge\n", day)
    assert trades == [("sell_ce", "SELL", 21000.0, "09:16", 100.0, "09:18", 121.0, "stop_loss", "entry"),
                      ("hedge", "BUY", 21050.0, "09:18", 60.0, "09:23", 70.0, "eod", "entry")]


def test_re_momentum_waits_for_the_move_again_from_the_exit():
    # wait ce down 10 %: reference 100 at 09:16, sold at 90 (09:17); stop 20 pts = 110 hit at 09:19
    # (112). Momentum re-entry: reference 112 at 09:19, waits for <= 100.8: 100 at 09:21
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nwait ce down 10%\nstop_loss ce 20 pts\n"
                    "reentry ce on stop_loss momentum max 1\n",
                    straddle_day([100, 90, 100, 112, 105, 100, 95, 95], [1] * 8))
    assert trades == [("ce", "SELL", 21000.0, "09:17", 90.0, "09:19", 112.0, "stop_loss", "entry"),
                      ("ce", "SELL", 21000.0, "09:21", 100.0, "09:23", 95.0, "eod", "reentry")]


def test_trailing_after_a_move_starts_only_once_the_move_is_reached():
    # long CE at 100, trail 10 pts after 20 pts: 89 at 09:18 would hit a plain 10 pts trail (90);
    # here trailing starts at 09:19 (120), best 125 at 09:20 -> level 115; 114 at 09:22 hits
    trades, _ = run("ce = add(ATM, CE, BUY)\nentry at 09:16\ntrailing ce 10 pts after 20 pts\n",
                    straddle_day([100, 95, 89, 120, 125, 116, 114, 130], [1] * 8))
    assert trades == [("ce", "BUY", 21000.0, "09:16", 100.0, "09:22", 114.0, "trailing", "entry")]


def test_stepped_trailing_moves_the_stop_by_steps():
    # short CE at 100, stop 20 pts = 120; every 10 pts by 5 pts: 90 -> stop 115, 80 -> 110; 111 at 09:22 hits
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nstop_loss ce 20 pts\ntrailing ce every 10 pts by 5 pts\n",
                    straddle_day([100, 95, 90, 85, 80, 105, 111, 100], [1] * 8))
    assert trades == [("ce", "SELL", 21000.0, "09:16", 100.0, "09:22", 111.0, "stop_loss", "entry")]


def test_stepped_trailing_after_a_first_move():
    # after 15 pts: first step at 85 (stop 115), the next would need 75: 111 never reaches 115 -> eod
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nstop_loss ce 20 pts\n"
                    "trailing ce every 10 pts by 5 pts after 15 pts\n",
                    straddle_day([100, 95, 90, 85, 80, 105, 111, 100], [1] * 8))
    assert trades == [("ce", "SELL", 21000.0, "09:16", 100.0, "09:23", 100.0, "eod", "entry")]


def test_a_waiting_legs_ltp_is_the_price_of_the_contract_it_would_open():
    # before the entry every leg waits: ce.ltp is the ATM CE's price: 106 >= 105 first at 09:18
    trades, _ = run(STRADDLE + "entry when ce.ltp >= 105\nexit at 09:21\n",
                    straddle_day([100, 103, 106, 106, 106, 106, 106, 106], [90] * 8))
    assert [(t[0], t[3], t[4]) for t in trades] == [("ce", "09:18", 106.0), ("pe", "09:18", 90.0)]


def test_leg_status_and_reentries_in_conditions():
    # PE stops at 09:19 (100 >= 90 + 10): pe.status == closed then, so the exit closes CE at 09:19
    trades, _ = run(STRADDLE + "entry at 09:16\nstop_loss pe 10 pts\nexit when pe.status == closed\n",
                    straddle_day([100] * 8, [90, 92, 95, 100, 90, 90, 90, 90]))
    assert [(t[0], t[5], t[7]) for t in trades] == [("ce", "09:19", "exit"), ("pe", "09:19", "stop_loss")]
    # a re-entry at cost (09:20), then an exit once ce.reentries >= 1 and ce is in (open): 09:20 too
    trades, _ = run(STRADDLE + "entry at 09:16\nstop_loss ce 10 pts\nreentry ce on stop_loss cost max 3\n"
                    "exit when ce.reentries >= 1 and ce.status in (open) and time > 09:20\n",
                    straddle_day([100, 105, 111, 105, 100, 100, 100, 100], [90] * 8))
    assert [(t[0], t[3], t[5], t[7]) for t in trades] == [
        ("ce", "09:16", "09:18", "stop_loss"), ("pe", "09:16", "09:21", "exit"), ("ce", "09:20", "09:21", "exit")]


def test_an_mtm_exit_cancels_waiting_legs():
    # mtm_stop rs 25: CE 100 -> 130 at 09:17 is -30: everything closes; the staggered PE never opens
    trades, result = run(STRADDLE + "entry at 09:16\nentry pe at 09:19\nmtm_stop rs 25\n",
                         straddle_day([100, 130, 100, 100, 100, 100, 100, 100], [90] * 8))
    assert [(t[0], t[5], t[7]) for t in trades] == [("ce", "09:17", "mtm_stop")]
    assert result.daily[0].cycles == 1


def test_files_without_leg_management_compile_as_before():
    python, _, _ = compile_text(H + STRADDLE + "entry at 09:16\nstop_loss each leg 30%\nexit when ce.ltp > 200\n")
    assert "LegPlanStrategy" not in python
    python, _, _ = compile_text(H + STRADDLE + "entry at 09:16\nreentry each leg on stop_loss asap max 1\n"
                                "stop_loss each leg 30%\n")
    assert "class T(LegPlanStrategy)" in python


@pytest.mark.parametrize("body, code, words", [
    ("entry at 09:16\nstop_loss ce 10 pts\nreentry ce on stop_loss momentum max 1\n", "E0410", "needs a wait rule"),
    ("entry at 09:16\ntrailing ce every 10 pts by 5 pts\n", "E0410", "has no stop_loss"),
    ("entry at 09:16\nstop_loss ce 10 pts after 5 pts\n", "E0410", "belongs to trailing"),
    ("entry at 09:16\nstop_loss ce 10 pts\non stop_loss(ce): open pe\nentry pe at 09:30\n", "E0410", "cannot also"),
    ("entry at 09:16\nreentry cee on stop_loss asap max 1\n", "E0201", "did you mean 'ce'"),
    ("entry at 09:16\nstop_loss ce 10 pts\nreentry ce on stop_loss asap max 0\n", "E0405", "from 1 to"),
    ("entry at 09:16\nwait ce up rs 100\n", "E0302", "premium move"),
    ("entry at 09:16\nexit when ce.status == opened\n", "E0301", "did you mean 'open'"),
    ("entry at 09:16 when ce.pnl > rs 0\n", "E0411", "never known when an entry is tried"),
    ("entry when not (pe.entry_price < 100)\n", "E0411", "pe.entry_price"),
])
def test_leg_management_errors(body, code, words):
    with pytest.raises(StratError) as err:
        compile_text(H + STRADDLE + body)
    text = str(err.value)
    assert code in text and words in text, text


def test_lint_a_re_entry_that_can_never_fire():
    found = lint_text(H + STRADDLE + "entry at 09:16\nstop_loss each leg 30%\nreentry ce on target asap max 1\n"
                      "exit at 15:00\n")
    assert [d.code for d in found] == ["W010"]
    clean = lint_text(H + STRADDLE + "entry at 09:16\nstop_loss each leg 30%\nreentry ce on stop_loss asap max 1\n"
                      "exit at 15:00\n")
    assert clean == []


def test_fmt_round_trips_the_new_lines():
    text = H + ("legs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n    hedge = add(ATM + 2, CE, BUY)\n\n"
                "entry at 09:20\nentry pe at 09:45\nwait each leg   down 10%\nstop_loss each leg 25%\n"
                "reentry each leg on stop_loss cost max 2\nreentry ce on target asap  reverse max 1\n"
                "trailing ce every 10 pts by 5 pts after 20 pts\ntrailing pe 10 pts after 20 pts\n"
                "on stop_loss(ce): open hedge\ntarget ce 50%\n")
    once = format_source(text)
    assert format_source(once) == once
    assert "reentry ce on target asap reverse max 1" in once and "wait each leg down 10%" in once
    assert compile_text(once)[0] == compile_text(text)[0]


def test_explain_words_for_leg_management():
    from optbt.dsl.explain import explain_text
    text = explain_text(H + STRADDLE + "hedge = add(ATM + 2, CE, BUY)\nentry when ce.ltp >= 100\nentry pe at 09:45\n"
                        "wait ce down 10%\nstop_loss each leg 25%\nreentry each leg on stop_loss cost max 2\n"
                        "on stop_loss(ce): open hedge\ntrailing pe every 10 pts by 5 pts\n"
                        "exit when pe.status == closed or ce.reentries >= 1\n")
    text = " ".join(text.split())  # lines are wrapped at 100 characters
    for words in ("pe is a staggered leg", "hedge is a lazy leg", "wait-and-trade on ce",
                  "re-entry on each leg after its stop loss", "at most 2 times a day", "stepped trailing on pe",
                  "pe's status is closed", "ce's number of re-entries is at least 1",
                  "hedge opens (a lazy leg", "no leg waits", "A leg waiting to open has a price"):
        assert words in text, words


def test_the_re_entry_count_can_be_a_parameter():
    body = ("params\n    n_re: int = 1 sweep [1, 2]\n" + STRADDLE + "entry at 09:16\nstop_loss ce 20 pts\n"
            "reentry ce on stop_loss cost max n_re\n")
    day = straddle_day([100, 121, 100, 121, 100, 121, 100, 100], [90] * 8)
    cls = load_strat_text(H + body)
    for n, expected in ((1, 2), (2, 3), (3, 4)):  # 09:16, then re-entries at 09:18, 09:20, 09:22
        result = EventEngine(MemorySource({DAY: day}, config(8), 8)).run(cls(n_re=n))
        assert len([t for t in result.trades if t.key == "ce"]) == expected
    assert "max n_re" in format_source(H + body)
    with pytest.raises(StratError, match="'n_re' can be 0"):
        compile_text(H + body.replace("sweep [1, 2]", "sweep [0, 2]"))
    with pytest.raises(StratError, match="needs an int parameter"):
        compile_text(H + body.replace("n_re: int = 1 sweep [1, 2]", "n_re: percent = 10%"))


def test_re_cost_after_a_target_waits_for_the_price_to_come_back_up():
    # CE sold at 100, target 20 pts = 80: hit at 09:18 (80, below its entry), so the re-entry waits
    # for 100 or higher: 95 at 09:19, 101 at 09:20 -> sold again at 101; eod 09:23 at 90
    trades, _ = run(STRADDLE + "entry at 09:16\ntarget ce 20 pts\nreentry ce on target cost max 1\n",
                    straddle_day([100, 90, 80, 95, 101, 99, 95, 90], [90] * 8))
    ce = [(t[3], t[4], t[5], t[6], t[7], t[8]) for t in trades if t[0] == "ce"]
    assert ce == [("09:16", 100.0, "09:18", 80.0, "target", "entry"), ("09:20", 101.0, "09:23", 90.0, "eod", "reentry")]


def test_complete_square_off_re_enters_every_leg_it_closed():
    # CE's 10 pts stop (110) hits at 09:17 and closes PE too (reason stop_loss): both re-enter at once
    trades, _ = run(STRADDLE + "entry at 09:16\nsquare_off complete\nstop_loss ce 10 pts\n"
                    "reentry each leg on stop_loss asap max 1\nexit at 09:20\n",
                    straddle_day([100, 111, 105, 105, 105, 105, 105, 105], [90, 88, 87, 86, 85, 84, 83, 82]))
    assert [(t[0], t[3], t[4], t[5], t[7], t[8]) for t in trades] == [
        ("ce", "09:16", 100.0, "09:17", "stop_loss", "entry"), ("pe", "09:16", 90.0, "09:17", "stop_loss", "entry"),
        ("ce", "09:17", 111.0, "09:20", "exit", "reentry"), ("pe", "09:17", 88.0, "09:20", "exit", "reentry")]
