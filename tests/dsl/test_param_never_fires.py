"""A run's parameter value that keeps a stop or target from ever firing is said as a run warning
(``optbt run`` and each ``optbt sweep`` run, ``summary.json``'s ``engine.param_warnings``).

``optbt run f.strat --param tp=100`` on a sold leg's ``target ce tp`` waits for a price of 0,
which no data has: every day ended at the exit time and nothing said why (lint's W012 and W004
look at the file's own values only). The test is lint's (optbt.dsl.never_fires); the run says it
only where it is certain. The day is the kit's: ticks 09:16 .. 09:25, the ATM call and put sold
at 09:17 at 100 and 90; the call falls to 5 from 09:21; everything left closes at 09:24.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from optbt.cli.app import _register_all, app
from optbt.dsl import load_strat
from optbt.engine.loop import EventEngine
from optbt.results.explain import param_warnings
from tests.kit import DAY, MemorySource, inst, straddle_day, write_parquet

CE = [100.0, 100.0, 60.0, 40.0, 20.0, 5.0, 5.0, 5.0, 5.0, 5.0]
PE = [90.0] * 10
WING = [20.0] * 10  # the 21100 call, bought: flat all day


def strat(tmp_path, params: str, legs: str, rules: str):
    """The file (its line 2 + the params' lines + the legs' lines + 2 is the first rule's line)."""
    path = tmp_path / "t.strat"
    path.write_text(f'strategy t "t"\nparams\n{params}legs\n{legs}entry at 09:17\n{rules}exit at 09:24\n')
    return path


SOLD = "    ce = add(ATM, CE, SELL)\n    pe = add(ATM, PE, SELL)\n"
HEDGED = SOLD + "    wce = add(ATM + 2, CE, BUY)\n"


def run(path, **params):
    day = straddle_day(CE, PE, extra={inst(21100, "CE"): WING})
    return EventEngine(MemorySource({DAY: day})).run(load_strat(path)(**params))


def exits(result) -> list[tuple]:
    return [(t.key, t.exit_ts.strftime("%H:%M"), t.exit_price, t.exit_reason) for t in result.trades]


def target_file(tmp_path):
    return strat(tmp_path, "    tp: percent = 50%\n", SOLD, "target each leg tp\n")  # the target is line 8


def test_a_sold_legs_target_parameter_of_100_percent_is_a_run_warning(tmp_path):
    path = target_file(tmp_path)
    result = run(path, tp=100)
    # 100 % of 100 is a level of 0: the call at 5 never reaches it; both legs close at the exit time
    assert exits(result) == [("ce", "09:24", 5.0, "exit"), ("pe", "09:24", 90.0, "exit")]
    assert param_warnings(result) == [
        (f"{path}:8: target tp = 100% can never fire on ce, pe: a sold leg's price would have to fall 100 %, to 0 "
         "or below (lint's W012; a value below 100 % can fire)")]
    assert result.engine["param_warnings"] == param_warnings(result)


def test_a_target_parameter_that_can_fire_gives_no_warning(tmp_path):
    result = run(target_file(tmp_path), tp=95)
    # 95 % of 100 is a level of 5: the call reaches it at 09:21 (the put's level 4.5 never)
    assert exits(result) == [("ce", "09:21", 5.0, "target"), ("pe", "09:24", 90.0, "exit")]
    assert param_warnings(result) == []
    assert "param_warnings" not in result.engine


def test_an_mtm_target_parameter_of_100_percent_on_sold_legs_is_a_run_warning(tmp_path):
    path = strat(tmp_path, "    tp: percent = 50%\n", SOLD, "mtm_target tp\n")
    assert param_warnings(run(path, tp=120)) == [
        (f"{path}:8: mtm_target tp = 120% can never fire: every leg is sold, and their MTM reaches 120 % of the "
         "premium received only if every price falls to 0 (lint's W012; a value below 100 % can fire)")]


def test_a_bought_legs_stop_and_trailing_parameters_of_100_percent_are_run_warnings(tmp_path):
    path = strat(tmp_path, "    sl: percent = 30%\n    tr: percent = 30%\n", HEDGED,
                 "stop_loss wce sl\ntrailing wce tr\n")  # lines 10 and 11
    why = "a long leg's price cannot fall more than 100 %, and a price of 0 is no usable price"
    assert param_warnings(run(path, sl=100, tr=150)) == [
        f"{path}:10: stop_loss sl = 100% can never fire on wce: {why} (lint's W004; a value below 100 % can fire)",
        f"{path}:11: trailing tr = 150% can never fire on wce: {why} (lint's W004; a value below 100 % can fire)"]
    assert param_warnings(run(path, sl=99, tr=30)) == []


def test_rules_that_can_still_fire_give_no_warning(tmp_path):
    """Never said of a rule that can fire: a bought leg's 100 % stop that an action moves to cost,
    a sold leg a reverse re-entry opens as a BUY (its target can be reached), a bought leg's
    target, an MTM target with a bought leg (it can make more than the premium)."""
    cases = [
        ("    sl: percent = 30%\n", HEDGED, "stop_loss wce sl\ntarget ce 50%\non target(ce): move wce.stop to cost\n"),
        ("    tp: percent = 30%\n", SOLD,
         "target ce tp\nstop_loss ce 20%\nreentry ce on stop_loss asap reverse max 1\n"),
        ("    tp: percent = 30%\n", HEDGED, "target wce tp\n"),
        ("    tp: percent = 30%\n", HEDGED, "mtm_target tp\n"),
    ]
    for params, legs, rules in cases:
        name = params.split(":")[0].strip()
        assert param_warnings(run(strat(tmp_path, params, legs, rules), **{name: 100})) == [], rules
    # the first one fires: ce's target (50 % of 100 = 50) holds at 09:19 (40), the action moves wce's
    # stop to its cost, 20, and wce's price is 20: stopped on that tick
    moved = run(strat(tmp_path, *cases[0]), sl=100)
    assert ("wce", "09:19", 20.0, "stop_loss") in exits(moved)


runner = CliRunner()
_register_all()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_optbt_run_and_each_sweep_run_say_it(tmp_path):
    data = write_parquet(tmp_path / "data", {DAY: straddle_day(CE, PE)})
    path = target_file(tmp_path)
    said = (f"{path}:8: target tp = 100% can never fire on ce, pe: a sold leg's price would have to fall 100 %, "
            "to 0 or below (lint's W012; a value below 100 % can fire)")
    res = runner.invoke(app, ["run", str(path), "--data", str(data), "--param", "tp=100", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert flat(f"warning: {said}") in flat(res.output)
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["engine"]["param_warnings"] == [said]
    res = runner.invoke(app, ["sweep", str(path), "--data", str(data), "--grid", "tp=80,100", "--executor", "serial",
                              "--out", str(tmp_path / "s"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert flat(res.output).count(flat(f"warning: {said}")) == 1
    assert "tp = 80%" not in flat(res.output)
    # resumed (every run reused from the folder), the sweep still says it once: it said nothing
    res = runner.invoke(app, ["sweep", str(path), "--data", str(data), "--grid", "tp=80,100", "--executor", "serial",
                              "--out", str(tmp_path / "s"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "reused 2" in flat(res.output)
    assert flat(res.output).count(flat(f"warning: {said}")) == 1
