"""A value given to a run (--param, --grid, params=) is held to the same range as the file's own
default and sweep values: refused with what it is used for, never a different strike or rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optbt.dsl import load_strat_text
from optbt.dsl.diagnostics import StratError
from optbt.dsl.param_rules import RULES

HEAD = "strategy p\n\nparams\n    {decl}\n\nexpiry nearest\n\nlegs\n    {leg}\n\nentry at 09:20\n{rule}exit at 15:15\n"

# (declaration with a default, leg line, extra rule line, a value the run must refuse, what the error names)
CASES = [
    ("n: int = 2", "ce = add(OTM n, CE, SELL)", "", -2, "strike steps"),
    ("n: int = 2", "ce = add(ITM n, CE, SELL)", "", -1, "strike steps"),
    ("n: int = 2", "ce = add(ATM + n, CE, SELL)", "", 2.5, "strike steps"),
    ("d: float = 0.16", "ce = add(delta d, CE, SELL)", "", 1.5, "delta"),
    ("sl: percent = 30%", "ce = add(ATM, CE, SELL)", "stop_loss each leg sl\n", 0, "stop loss"),
    ("pts: float = 40", "ce = add(ATM, CE, SELL)", "stop_loss each leg pts pts\n", -40, "stop loss"),
    ("risk: float = 3000", "ce = add(ATM, CE, SELL)", "overall_stop rs risk\n", 0, "overall stop"),
    ("k: int = 2", "ce = add(ATM, CE, SELL)", "stop_loss each leg 30%\nreentry ce on stop_loss asap max k\n", 0,
     "re-entry count"),
]


@pytest.mark.parametrize("decl, leg, rule, bad, what", CASES)
def test_a_run_given_a_value_the_file_could_not_hold_is_refused(decl, leg, rule, bad, what):
    cls = load_strat_text(HEAD.format(decl=decl, leg=leg, rule=rule))
    name = decl.split(":")[0]
    cls(**{name: cls.parameters()[name][1]})  # the default is fine
    with pytest.raises(ValueError, match=f"^{name}: ") as refused:
        cls(**{name: bad})
    assert what in str(refused.value) or "must" not in str(refused.value)  # the range rule says its use
    # the same value written as the file's default is refused by the file's checks
    typ = decl.split(":")[1].split("=")[0].strip()
    text = f"{bad:g}%" if typ == "percent" else repr(bad)
    with pytest.raises(StratError):
        load_strat_text(HEAD.format(decl=f"{name}: {typ} = {text}", leg=leg, rule=rule))


@settings(max_examples=200, deadline=None)
@given(st.integers(-1200, 1200))
def test_otm_steps_refused_at_run_time_exactly_where_the_check_refuses_them(n):
    cls = load_strat_text(HEAD.format(decl="n: int = 1", leg="ce = add(OTM n, CE, SELL)", rule=""))
    ok, _ = RULES["steps"]
    try:
        load_strat_text(HEAD.format(decl=f"n: int = {n}", leg="ce = add(OTM n, CE, SELL)", rule=""))
        file_ok = True
    except StratError:
        file_ok = False
    try:
        cls(n=n)
        run_ok = True
    except ValueError:
        run_ok = False
    assert file_ok == run_ok == ok(n) == (0 <= n <= 1000)


@pytest.mark.parametrize("decl, leg, rule, bad, what", CASES)
def test_a_bad_value_is_refused_before_a_sweep_or_run_starts(decl, leg, rule, bad, what):
    """--param and --grid values go through coerce_param, which asks the class's own ranges: a
    sweep refuses the value up front instead of recording a failed run for it."""
    from optbt.engine.strategy import coerce_param
    from optbt.model.errors import ConfigError
    from optbt.sweeps.grid import parse_grid
    cls = load_strat_text(HEAD.format(decl=decl, leg=leg, rule=rule))
    name = decl.split(":")[0]
    with pytest.raises(ValueError, match=f"^{name}: ") as refused:  # by its type or kind, else by its range
        coerce_param(cls, name, f"{bad:g}")
    assert what in str(refused.value) or "must" not in str(refused.value)
    with pytest.raises(ConfigError, match=f"^--grid {name}: "):
        parse_grid([f"{name}={cls.parameters()[name][1]:g},{bad:g}"], cls)


def test_a_lots_parameter_is_at_most_the_largest_quantity_a_file_allows():
    from optbt.engine.strategy import coerce_param
    cls = load_strat_text(HEAD.format(decl="q: int = 1", leg="ce = add(ATM, CE, SELL, q)", rule=""))
    assert coerce_param(cls, "q", "100000") == 100_000
    with pytest.raises(ValueError, match="from 1 to 100,000"):
        coerce_param(cls, "q", "100001")


WINDOW = ("strategy w\n\nparams\n    s: time = 09:20\n    e: time = 10:00\n\nexpiry nearest\n\nlegs\n"
          "    ce = add(ATM, CE, SELL)\n\nentry between s and {end}\nexit at 15:15\n")


def test_an_entry_window_given_backwards_through_params_is_refused_as_the_file_refuses_it():
    from optbt.engine.strategy import coerce_param
    cls = load_strat_text(WINDOW.format(end="e"))
    cls(s="11:00", e="12:00")  # moved together: fine
    with pytest.raises(ValueError, match=r"^s: the entry window's start must be before e \(10:00\); got 11:00"):
        cls(s="11:00")
    assert coerce_param(cls, "s", "11:00") == "11:00"  # alone it cannot be judged: e may move too
    with pytest.raises(StratError):  # the file's own values, for comparison
        load_strat_text(WINDOW.format(end="e").replace("s: time = 09:20", "s: time = 11:00"))
    written = load_strat_text(WINDOW.format(end="15:00"))  # against a written time: refused at once
    with pytest.raises(ValueError, match=r"^s: the entry window's start must be before 15:00; got 16:00"):
        coerce_param(written, "s", "16:00")


def test_a_lock_that_keeps_more_than_it_locks_at_is_refused_for_a_runs_values():
    text = ("strategy l\n\nparams\n    a: float = 3000\n    b: float = 1000\n\nexpiry nearest\n\nlegs\n"
            "    ce = add(ATM, CE, SELL)\n\nentry at 09:20\nlock at rs a keep rs b\nexit at 15:15\n")
    cls = load_strat_text(text)
    cls(a=6000.0, b=5000.0)
    with pytest.raises(ValueError, match=r"^b: a lock's 'keep' must be below a \(3000"):
        cls(b=5000.0)
    with pytest.raises(StratError):
        load_strat_text(text.replace("b: float = 1000", "b: float = 5000"))
