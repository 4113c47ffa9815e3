"""W010: re-entries and ``on`` reactions on an exit that never happens, and no warning for those
that do happen. Under ``square_off complete`` a leg's stop closes every leg with reason
``stop_loss``, so each of them re-enters on it (docs/language.md, Re-entry), while ``on
stop_loss(pe)`` runs after pe's own stop only. The runs below pin what lint says against what the
run does, on the in-memory day of tests/kit.py (09:16 = index 0, lot 1). A lazy leg that can never
open (opened only on the exit of a leg that never opens) is refused (E0410)."""

from __future__ import annotations

from optbt import run_backtest
from optbt.dsl import load_strat_text
from optbt.dsl.lint import lint_text
from tests.kit import DAY, MemorySource, config, straddle_day

HEAD = ('strategy t "t"\nlegs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n'
        "entry at 09:17\nexit at 09:24\n")


def w010(body: str) -> list[tuple[int, str]]:
    return [(d.line, d.message) for d in lint_text(HEAD + body) if d.code == "W010"]


def test_under_complete_square_off_a_re_entry_of_a_leg_without_a_stop_is_not_reported():
    """pe has no stop of its own, but ce's stop closes it with reason stop_loss: it re-enters.
    Lint said 'this re-entry can never fire: pe has no stop_loss' (and to add a stop on pe)."""
    body = "square_off complete\nstop_loss ce 20%\nreentry pe on stop_loss asap max 1\n"
    assert w010(body) == []
    # and the run does re-enter it: CE sold at 100 stops at 120 on 09:18 and closes PE at 100;
    # PE (only) is sold again at once, at 100, and held to the 09:24 exit
    src = MemorySource({DAY: straddle_day([100, 100, 120] + [100] * 7, [100.0] * 10)}, cfg=config(10))
    res = run_backtest(load_strat_text(HEAD + body, "t.strat"), source=src)
    got = sorted((t.entry_ts.strftime("%H:%M"), t.key, t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_reason)
                 for t in res.trades)
    assert got == [("09:17", "ce", 100.0, "09:18", "stop_loss"), ("09:17", "pe", 100.0, "09:18", "stop_loss"),
                   ("09:18", "pe", 100.0, "09:24", "exit")]


def test_under_complete_square_off_a_re_entry_on_an_exit_no_leg_has_is_still_reported():
    assert w010("square_off complete\nstop_loss ce 20%\nreentry pe on target asap max 1\n") == [
        (9, "this re-entry can never fire: pe has no target")]


def test_under_partial_square_off_a_re_entry_of_a_leg_without_a_stop_is_reported():
    assert w010("stop_loss ce 20%\nreentry pe on stop_loss asap max 1\n") == [
        (8, "this re-entry can never fire: pe has no stop_loss")]


def run(body: str, ce: list, pe: list) -> list[tuple]:
    src = MemorySource({DAY: straddle_day(ce, pe)}, cfg=config(len(ce)))
    res = run_backtest(load_strat_text(HEAD + body, "t.strat"), source=src)
    return sorted((t.entry_ts.strftime("%H:%M"), t.key, t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_price,
                   t.exit_reason) for t in res.trades)


def test_a_re_entry_of_a_leg_whose_stop_an_action_sets_is_not_reported():
    """pe has no stop rule, but 'move pe.stop to cost' gives it one (docs: a leg named in the
    action gets a stop at its cost whether it had one or not). Lint said 'pe has no stop_loss'.
    The run: CE sold at 100 stops at 120 on 09:18 and moves PE's stop to 100 (PE at 95 there);
    09:19 PE at 100 stops at cost and is sold again at once at 100 (no stop of its own now), held
    to the 09:24 exit at 105."""
    body = "stop_loss ce 20%\non stop_loss(ce): move pe.stop to cost\nreentry pe on stop_loss asap max 1\n"
    assert w010(body) == []
    assert run(body, [100, 100, 120] + [100] * 7, [100, 100, 95, 100] + [105] * 6) == [
        ("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss"), ("09:17", "pe", 100.0, "09:19", 100.0, "stop_loss"),
        ("09:19", "pe", 100.0, "09:24", 105.0, "exit")]


def test_moving_the_others_stops_gives_no_stop_to_a_leg_without_one():
    """'move others.stop to cost' moves only the stops there are: pe has none, so its re-entry on
    stop_loss never fires, and is reported."""
    assert w010("stop_loss ce 20%\non stop_loss: move others.stop to cost\nreentry pe on stop_loss asap max 1\n") == [
        (9, "this re-entry can never fire: pe has no stop_loss")]


def test_a_reaction_to_an_exit_its_leg_never_has_is_reported():
    """'on target(ce)' runs after ce's own target: ce has only a stop, so it never runs. Lint said nothing."""
    assert w010("stop_loss ce 20%\non target(ce): close pe\n") == [
        (8, "this reaction can never fire: ce has no target")]


def test_a_reaction_to_any_legs_exit_no_leg_has_is_reported():
    """A stepped trailing moves the stop: its exit is a stop_loss, never a trailing."""
    assert w010("stop_loss each leg 20%\ntrailing each leg every 10 pts by 5 pts\non trailing: exit\n") == [
        (9, "this reaction can never fire: no leg has a trailing")]


def test_reactions_to_exits_that_happen_are_not_reported():
    body = ("stop_loss ce 20%\ntarget each leg 50%\ntrailing pe 5 pts after 10 pts\n"
            "on stop_loss(ce): move pe.stop to cost\n"
            "on stop_loss(pe): exit\non target: exit\non trailing(pe): exit\n")
    assert w010(body) == []


def test_under_complete_square_off_a_reaction_runs_for_the_leg_that_hit_only():
    """square_off complete: CE's stop (120 at 09:18) closes PE with reason stop_loss, but PE hit
    nothing itself, so 'on stop_loss(pe): exit' never runs (it is reported): had it run, it would
    have ended the cycle; instead both legs re-enter at once (CE at 120, PE at 100) and are held to
    the 09:24 exit (CE at 100: its new 20 % stop, 144, is never reached)."""
    body = "square_off complete\nstop_loss ce 20%\non stop_loss(pe): exit\nreentry each leg on stop_loss asap max 1\n"
    assert w010(body) == [(9, "this reaction can never fire: pe has no stop_loss")]
    assert run(body, [100, 100, 120] + [100] * 7, [100.0] * 10) == [
        ("09:17", "ce", 100.0, "09:18", 120.0, "stop_loss"), ("09:17", "pe", 100.0, "09:18", 100.0, "stop_loss"),
        ("09:18", "ce", 120.0, "09:24", 100.0, "exit"), ("09:18", "pe", 100.0, "09:24", 100.0, "exit")]


def test_a_leg_opened_only_on_its_own_exit_is_refused():
    """'on stop_loss(ce): open ce' makes ce a lazy leg, opened only by that action, which runs
    after ce's own stop: ce never opens, so the action never runs. The run traded PE alone and
    said nothing; now it is E0410, like a file whose every leg only an action opens."""
    import pytest
    from optbt.dsl import StratError, compile_text
    with pytest.raises(StratError) as err:
        compile_text(HEAD + "stop_loss ce 20%\non stop_loss(ce): open ce\n")
    text = str(err.value)
    assert "E0410" in text and "leg 'ce' never opens" in text, text
    assert "to open ce again after its own stop_loss, write 'reentry ce on stop_loss asap max 1' instead" in text


def test_a_chain_of_lazy_legs_from_a_leg_that_never_opens_is_refused():
    """h opens on g's stop, g on h's: neither is opened at the entry, so neither ever opens."""
    import pytest
    from optbt.dsl import StratError, compile_text
    head = HEAD.replace("    pe = add(ATM, PE, SELL)\n", "    pe = add(ATM, PE, SELL)\n    g = add(ATM + 1, CE, SELL)\n"
                        "    h = add(ATM + 2, CE, BUY)\n")
    with pytest.raises(StratError) as err:
        compile_text(head + "stop_loss each leg 20%\non stop_loss(g): open h\non stop_loss(h): open g\n")
    assert "leg 'g' never opens" in str(err.value) and "leg 'h' never opens" in str(err.value)


def test_a_lazy_leg_opened_by_a_leg_that_opens_is_accepted():
    """h opens on g's stop, g on ce's: ce opens at the entry, so both can open (no error)."""
    from optbt.dsl import compile_text
    head = HEAD.replace("    pe = add(ATM, PE, SELL)\n", "    pe = add(ATM, PE, SELL)\n    g = add(ATM + 1, CE, SELL)\n"
                        "    h = add(ATM + 2, CE, BUY)\n")
    compile_text(head + "stop_loss each leg 20%\non stop_loss(g): open h\non stop_loss(ce): open g\n"
                 "on stop_loss: open h\n")


NO_EXIT = 'strategy t "t"\nlegs\n    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\nentry at 09:20\n'


def w002(body: str) -> list[str]:
    return [d.message for d in lint_text(NO_EXIT + body) if d.code == "W002"]


def test_a_leg_only_the_end_of_day_closes_is_reported():
    assert w002("stop_loss ce 20%\n") == ["leg 'pe' is only ever closed by the end-of-day close"]


def test_a_leg_another_legs_hit_closes_is_not_reported_as_closed_only_at_the_end_of_day():
    """pe has no rule of its own, but ce's stop closes it: by 'square_off complete', by 'close pe'
    or 'exit' reacting to it, or by the stop at cost 'move pe.stop to cost' gives pe. Lint said
    'leg pe is only ever closed by the end-of-day close' for each."""
    for body in ("square_off complete\nstop_loss ce 20%\n", "stop_loss ce 20%\non stop_loss(ce): close pe\n",
                 "stop_loss ce 20%\non stop_loss(ce): exit\n",
                 "stop_loss ce 20%\non stop_loss(ce): move pe.stop to cost\n"):
        assert w002(body) == [], body


LONG = 'strategy t "t"\nlegs\n    ce = add(ATM, CE, BUY)\n    pe = add(ATM, PE, SELL)\nentry at 09:20\nexit at 15:00\n'


def w004(body: str, params: str = "") -> list[tuple[int, str]]:
    text = LONG.replace("legs\n", params + "legs\n")
    return [(d.line, d.message) for d in lint_text(text + body) if d.code == "W004"]


def test_a_long_legs_trailing_stop_of_100_percent_is_reported():
    """A bought CE trailing 100 % of its best price stops at best × 0 = 0: never (no usable
    price is 0). Lint said nothing; a 100 % stop loss was already W004."""
    assert w004("trailing ce 100%\n") == [(7, "a 100% trailing stop is at 100 %")]
    assert w004("trailing each leg 150% after 20%\n") == [(7, "a 150% trailing stop is wider than 100 %")]


def test_a_short_legs_wide_trailing_stop_is_not_reported():
    """pe sold: its 100 % trailing stop is at twice its best price, reachable."""
    assert w004("trailing pe 100%\n") == []


def test_a_stop_parameters_sweep_value_is_looked_at():
    assert w004("stop_loss ce sl\n", params="params\n    sl: percent = 50% sweep [50%, 100%]\n") == [
        (9, "a 100% (a sweep value of sl) stop loss is at 100 %")]


def w014(body: str) -> list[tuple[int, str]]:
    return [(d.line, d.message) for d in lint_text(HEAD + body) if d.code == "W014"]


def test_an_action_on_the_leg_its_own_hit_closed_is_reported():
    """'on stop_loss(ce): move ce.stop to cost' and '... close ce' run after ce's stop closed ce:
    they act on nothing. Lint said nothing."""
    assert w014("stop_loss ce 20%\non stop_loss(ce): move ce.stop to cost\non stop_loss(ce): close ce\n") == [
        (8, "this action does nothing: ce is closed by the stop_loss that runs it"),
        (9, "this action does nothing: ce is closed by the stop_loss that runs it")]


def test_under_complete_square_off_an_action_on_the_other_legs_is_reported():
    """square_off complete: ce's stop has closed every leg before its reactions run, so closing pe
    or moving the others' stops acts on nothing (an 'exit' still ends the cycle: not reported)."""
    body = ("square_off complete\nstop_loss each leg 20%\non stop_loss(ce): close pe\n"
            "on stop_loss: move others.stop to cost\non stop_loss(pe): exit\n")
    assert w014(body) == [
        (9, "this action does nothing: square_off complete has closed every leg when the stop_loss runs it"),
        (10, "this action does nothing: square_off complete has closed every leg when the stop_loss runs it")]


def test_actions_on_other_open_legs_are_not_reported():
    body = "stop_loss each leg 20%\non stop_loss(ce): close pe\non stop_loss: move others.stop to cost\n" \
           "on stop_loss: close pe\n"
    assert w014(body) == []


def test_a_move_to_cost_that_does_nothing_gives_no_stop():
    """'on target(ce): move ce.stop to cost' runs once ce's target closed ce (W014): ce gets no
    stop from it, so 'reentry ce on stop_loss' never fires (W010)."""
    assert w010("target ce 20%\non target(ce): move ce.stop to cost\nreentry ce on stop_loss asap max 1\n") == [
        (9, "this re-entry can never fire: ce has no stop_loss")]


def test_max_cycles_with_a_trailing_stop_after_a_move_is_not_reported_as_never_ending():
    """'trailing each leg 10 pts after 20 pts' closes the legs, ending a cycle: lint said W005
    'max_cycles 2 but nothing ends a cycle before the day's end'. Without any rule it still does."""
    head = NO_EXIT.replace("legs\n", "max_cycles 2\nlegs\n")
    assert [d.code for d in lint_text(head + "trailing each leg 10 pts after 20 pts\n") if d.code == "W005"] == []
    assert [d.message for d in lint_text(head) if d.code == "W005"] == [
        "max_cycles 2 but nothing ends a cycle before the day's end"]
