"""W012: targets that can never fire. A sold leg's percent target of 100 % or more needs its price
at 0 or below (a zero price is unusable data, docs/data.md), and an MTM percent target of 100 % or
more on a position that only sells needs every premium at 0 (no re-entry or shift adds premium
beyond the one counted). Each case worked out by hand; the reachable neighbours stay clean."""

from __future__ import annotations

import pytest

from optbt.dsl.checks import check
from optbt.dsl.lint import lint_unit
from optbt.dsl.parser import parse_text

STRADDLE = "legs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n"
CONDOR = STRADDLE + "    wce = add(ATM + 4, CE, BUY)\n    wpe = add(ATM - 4, PE, BUY)\n"


def w012(body: str, legs: str = STRADDLE, params: str = "") -> list[tuple[int, int, str]]:
    text = f'strategy t "t"\n{params}{legs}entry at 09:20\n{body}exit at 15:00\n'
    program, diags = parse_text(text)
    assert not diags
    unit = check(program)
    assert not unit.diagnostics
    return [(d.line, d.column, d.message) for d in lint_unit(unit, text) if d.code == "W012"]


def test_a_sold_legs_target_of_100_percent_can_never_fire():
    assert w012("target ce 100%\n") == [
        (6, 1, "target 100% can never fire on ce: a sold leg's price would have to fall 100 %, to 0 or below")]


def test_a_sold_legs_target_over_100_percent_on_each_leg_names_the_sold_legs():
    assert w012("target each leg 150%\n", legs=CONDOR) == [
        (8, 1, "target 150% can never fire on ce, pe: a sold leg's price would have to fall 150 %, to 0 or below")]


def test_a_target_parameters_default_is_looked_at():
    assert w012("target ce tp\n", params="params\n    tp: percent = 120%\n") == [
        (8, 1, "target 120% can never fire on ce: a sold leg's price would have to fall 120 %, to 0 or below")]


@pytest.mark.parametrize("body, legs", [
    ("target ce 99.95%\n", STRADDLE),                            # 100 -> 0.05: reachable
    ("target wce 150%\n", CONDOR),                               # a bought leg can rise any amount
    ("target ce 150 pts\n", STRADDLE),                           # points: depends on the price
    ("target ce 150%\nreentry ce on stop_loss asap reverse max 1\n", STRADDLE),  # re-entered as a BUY
])
def test_reachable_targets_are_not_reported(body, legs):
    assert w012(body, legs=legs) == []


def test_an_mtm_target_of_100_percent_on_a_position_that_only_sells_can_never_fire():
    assert w012("mtm_target 100%\n") == [
        (6, 1, "mtm_target 100% can never fire: every leg is sold, and their MTM reaches 100 % of the premium "
               "received only if every price falls to 0")]


@pytest.mark.parametrize("body, legs", [
    ("mtm_target 99%\n", STRADDLE),
    ("mtm_target 150%\n", CONDOR),                                # bought legs can make more
    ("mtm_target 100%\nstop_loss each leg 30%\nreentry ce on stop_loss asap max 1\n", STRADDLE),  # re-sold higher
    ("mtm_target 100%\nshift ce to ATM when ce.ltp <= 50\n", STRADDLE),  # a shift sells a dearer contract
])
def test_reachable_mtm_targets_are_not_reported(body, legs):
    assert w012(body, legs=legs) == []


@pytest.mark.parametrize("body, col, message", [
    ("target ce 0 pts\n", 11, "a target must be above 0"),
    ("target ce rs 0\n", 11, "a target must be above 0"),
    ("mtm_target rs 0\n", 12, "an MTM target must be above 0"),
    ("mtm_target 0%\n", 12, "an MTM target must be above 0"),
    ("overall_target rs 0\n", 16, "an overall target must be above 0"),
])
def test_a_target_of_zero_is_refused_not_linted(body, col, message):
    """A zero target (an MTM target of 0 among them) is an error (E0405) at its amount, found
    right and kept: it never reaches lint or a run. A negative one does not parse (E0101)."""
    text = f'strategy t "t"\n{STRADDLE}entry at 09:20\n{body}exit at 15:00\n'
    program, diags = parse_text(text)
    assert not diags
    assert [(d.code, d.line, d.column, d.message) for d in check(program).diagnostics] == [("E0405", 6, col, message)]


def test_a_negative_mtm_target_does_not_parse():
    _, diags = parse_text(f'strategy t "t"\n{STRADDLE}entry at 09:20\nmtm_target rs -100\nexit at 15:00\n')
    assert [(d.code, d.line, d.column) for d in diags] == [("E0101", 6, 15)]


def test_a_target_parameters_sweep_value_is_looked_at():
    """The default 50 % fires; the sweep's 120 % never does (the sweep's runs with it are the runs
    without a target). Lint said nothing."""
    assert w012("target ce tp\n", params="params\n    tp: percent = 50% sweep [50%, 120%]\n") == [
        (8, 1, "target 120% (a sweep value of tp) can never fire on ce: a sold leg's price would have to fall "
               "120 %, to 0 or below")]


def test_a_sweep_range_is_looked_at_up_to_its_last_value():
    """50 % .. 110 % step 20 %: 50, 70, 90, 110 — the last never fires; 50 .. 99 step 10 ends at 90: clean."""
    assert w012("target ce tp\n", params="params\n    tp: percent = 50% sweep 50% .. 110% step 20%\n") == [
        (8, 1, "target 110% (a sweep value of tp) can never fire on ce: a sold leg's price would have to fall "
               "110 %, to 0 or below")]
    assert w012("target ce tp\n", params="params\n    tp: percent = 50% sweep 50% .. 99% step 10%\n") == []


def test_an_mtm_target_parameters_sweep_value_is_looked_at():
    assert [m for _, _, m in w012("mtm_target tp\n", params="params\n    tp: percent = 40% sweep [40%, 100%]\n")] == [
        "mtm_target 100% (a sweep value of tp) can never fire: every leg is sold, and their MTM reaches 100 % of "
        "the premium received only if every price falls to 0"]
