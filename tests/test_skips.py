"""Days are skipped, never silently and never fatally; an empty result says why.

Each case is a planted defect on tiny hand-made days (tests/kit.py); the expected days, reasons
and messages are worked out from the data by hand. Ticks are 09:16, 09:17, ...; ATM is 21000.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from optbt import Strategy
from optbt.dsl import load_strat_text
from optbt.engine.loop import EventEngine, run_backtest
from optbt.model.errors import ConfigError, DataError
from optbt.results.explain import empty_causes, skip_warnings
from tests.kit import MemorySource, config, day_data, inst, straddle_day, write_parquet

D1, D2, D3, D4 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)
ROOT = Path(__file__).resolve().parents[1]
SPEC = str(ROOT / "examples/straddle_920.py") + ":Straddle920"
H = 'strategy t "t"\nce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\nentry at 09:16\n'


def optbt(*args):
    return subprocess.run([sys.executable, "-m", "optbt.cli.app", *args], capture_output=True, text=True,
                          timeout=120)


class SellAtm(Strategy):
    def entry(self, ctx):
        self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})


def flat(n=6):
    return straddle_day([100.0] * n, [90.0] * n)


def reasons(result):
    return [(d.day, d.skip_reason) for d in result.daily]


# -- a missing spot day inside the range: visited and skipped, not dropped ------------------------

@pytest.fixture(scope="module")
def hole(tmp_path_factory):
    """Three days; the middle one has options but no spot at all."""
    no_spot = day_data([None] * 6, {inst(21000, "CE"): [100.0] * 6, inst(21000, "PE"): [90.0] * 6})
    return write_parquet(tmp_path_factory.mktemp("hole"), {D2: flat(), D3: no_spot, D4: flat()}, n_ticks=6)


def test_a_day_with_options_but_no_spot_is_a_skipped_day(hole):
    result = run_backtest(SellAtm, data=hole)
    assert reasons(result) == [(D2, ""), (D3, "no_spot"), (D4, "")]
    assert result.summary["skips"] == {"no_spot": 1}
    assert result.metrics["days"] == 2  # a hole in the data is not a flat trading day
    assert skip_warnings(result) == ["skipped 1 day (no_spot: no spot bar in the session): 2024-01-03"]


def test_cli_warns_per_reason_writes_skip_reason_and_strict_exits_1(hole, tmp_path):
    r = optbt("run", SPEC, "--data", str(hole), "--out", str(tmp_path / "o"), "-q")
    assert r.returncode == 0, r.stderr
    assert "warning: skipped 1 day (no_spot: no spot bar in the session): 2024-01-03" in r.stdout
    daily = (tmp_path / "o/daily.csv").read_text().splitlines()
    assert daily[0] == "day,pnl,trades,cycles,skipped,skip_reason"
    assert daily[2] == "2024-01-03,0.0,0,0,1,no_spot"
    strict = optbt("run", SPEC, "--data", str(hole), "--out", str(tmp_path / "s"), "-q", "--strict")
    assert strict.returncode == 1
    assert json.loads((tmp_path / "s/summary.json").read_text())["skips"] == {"no_spot": 1}  # written first


# -- skips that used to abort the whole run ------------------------------------------------------

def test_an_empty_options_day_is_skipped_and_the_run_goes_on():
    days = {D2: flat(), D3: day_data([21010.0] * 6, {}), D4: flat()}
    result = EventEngine(MemorySource(days, config(6), 6)).run(SellAtm())
    assert reasons(result) == [(D2, ""), (D3, "no_options"), (D4, "")]
    assert len(result.trades) == 4


def test_expiry_next_with_one_listed_expiry_skips_that_day_only():
    # D2 lists 01-04 and 01-11: next = 01-11 trades; D3 lists only 01-04: no "next" -> skipped
    nxt = date(2024, 1, 11)
    two = day_data([21010.0] * 6, {inst(21000, "CE", nxt): [100.0] * 6, inst(21000, "PE", nxt): [90.0] * 6,
                                   inst(21000, "CE"): [1.0] * 6})
    cls = load_strat_text(H + "expiry next\n")
    result = EventEngine(MemorySource({D2: two, D3: flat()}, config(6), 6)).run(cls())
    assert reasons(result) == [(D2, ""), (D3, "no_expiry")]
    assert {t.leg.instrument.expiry for t in result.trades} == {nxt}
    assert result.daily[1].note == "expiry rule 'next' matches none of 2024-01-04"


def test_dte_0_on_a_day_that_is_not_an_expiry_day_is_skipped():
    # the one listed expiry is 2024-01-04: dte 0 only on D4
    cls = load_strat_text(H + "expiry dte == 0\n")
    result = EventEngine(MemorySource({D3: flat(), D4: flat()}, config(6), 6)).run(cls())
    assert reasons(result) == [(D3, "no_expiry"), (D4, "")]
    assert {t.day for t in result.trades} == {D4}


def test_a_leg_expiry_that_matches_nothing_mid_day_skips_the_day_whole():
    class Late(Strategy):  # its second order names an expiry rule that nothing matches today
        def entry(self, ctx):
            self.try_fill({"ce": self.add(21000, "CE", "SELL")})

        def adjust(self, ctx):
            if ctx.tick == 2:
                self.add(21000, "PE", "SELL", expiry="next")

    result = EventEngine(MemorySource({D3: flat(), D4: flat()}, config(6), 6)).run(Late())
    assert reasons(result) == [(D3, "no_expiry"), (D4, "no_expiry")]
    assert result.trades == [] and all(d.pnl == 0 for d in result.daily)  # its trades do not count


def test_a_strat_legs_own_expiry_rule_that_matches_nothing_skips_the_day_as_in_python():
    """A .strat leg with its own rule (``expiry = dte >= 5``) on a day listing only a 2-day
    expiry stopped the whole run with exit 2 ("no listed expiry matches rule"), where the same
    leg in Python skips that day (no_expiry) and trades the next. D2 lists 01-04 (2 days) and
    01-11 (9 days); D3 lists only 01-04 (1 day)."""
    far = date(2024, 1, 11)
    two = day_data([21010.0] * 6, {inst(21000, "CE"): [100.0] * 6, inst(21000, "PE", far): [90.0] * 6})
    cls = load_strat_text('strategy t "t"\nce = add(ATM, CE, SELL)\n'
                          'far = add(ATM, PE, SELL, 1, expiry = dte >= 5)\nentry at 09:16\n')
    result = EventEngine(MemorySource({D2: two, D3: flat()}, config(6), 6)).run(cls())
    assert reasons(result) == [(D2, ""), (D3, "no_expiry")]
    assert {(t.key, t.leg.instrument.expiry) for t in result.trades} == {("ce", date(2024, 1, 4)), ("far", far)}


class FailsOn(MemorySource):
    """A source whose option rows for some days cannot be read (a DataError for that day)."""

    def __init__(self, days, bad, **kw):
        super().__init__(days, **kw)
        self.bad = bad

    def option_bars(self, day, instruments):
        if day in self.bad:
            raise DataError(f"options of {day}: conflicting rows for NIFTY 21000 CE at 09:16")
        return super().option_bars(day, instruments)


def test_a_data_error_confined_to_a_day_skips_it_with_its_message():
    src = FailsOn({D2: flat(), D3: flat(), D4: flat()}, {D3}, cfg=config(6), n_ticks=6)
    result = EventEngine(src).run(SellAtm())
    assert reasons(result) == [(D2, ""), (D3, "data_error"), (D4, "")]
    assert result.daily[1].note == "options of 2024-01-03: conflicting rows for NIFTY 21000 CE at 09:16"
    assert len(result.trades) == 4 and {t.day for t in result.trades} == {D2, D4}


def test_a_data_error_on_every_day_is_an_error_not_an_empty_result():
    src = FailsOn({D2: flat(), D3: flat()}, {D2, D3}, cfg=config(6), n_ticks=6)
    with pytest.raises(DataError, match="options of 2024-01-02"):
        EventEngine(src).run(SellAtm())


def test_a_strategy_skip_has_its_own_reason():
    class Odd(SellAtm):
        def on_day_start(self, day):
            return day.day != D3

    result = EventEngine(MemorySource({D2: flat(), D3: flat()}, config(6), 6)).run(Odd())
    assert reasons(result) == [(D2, ""), (D3, "on_day_start")]


# -- zero days, zero trades: the most likely cause -------------------------------------------------

def test_start_beyond_the_data_is_refused_with_the_data_range(hole):
    """Bad dates are bad input (exit 2): an empty run would replace a folder's earlier results."""
    with pytest.raises(ConfigError) as err:
        run_backtest(SellAtm, data=hole, start="2024-02-01")
    assert str(err.value) == ("no days to run: the dataset has 3 days from 2024-01-02 to 2024-01-04, "
                              "none in 2024-02-01 .. the end. Choose --start/--end inside that range")


def test_an_underlying_the_data_does_not_hold_is_an_error_listing_what_it_holds(hole):
    class Bank(SellAtm):
        underlying = "BANKNIFTY"

    with pytest.raises(ConfigError, match="trades underlying 'BANKNIFTY'.*it holds: NIFTY"):
        run_backtest(Bank, data=hole)
    strat = load_strat_text(H + "underlying BANKNIFTY\n")
    with pytest.raises(ConfigError, match="it holds: NIFTY"):
        run_backtest(strat, data=hole)


def test_cli_underlying_error_is_one_line_exit_2(hole, tmp_path):
    f = tmp_path / "bank.strat"
    f.write_text(H + "underlying BANKNIFTY\n")
    r = optbt("run", str(f), "--data", str(hole), "--out", str(tmp_path / "o"), "-q")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "it holds: NIFTY" in r.stdout + r.stderr


def test_zero_trades_names_the_leg_that_blocked_entry_most():
    # the put never has a price on either day: every entry try fails on leg 'pe'
    dead = straddle_day([100.0] * 6, [None] * 6)
    result = EventEngine(MemorySource({D2: dead, D3: dead}, config(6), 6)).run(SellAtm())
    assert result.trades == []
    assert result.notes["entry_blocked"] == {"leg 'pe' had no price yet": {
        "days": 2, "example": "NIFTY 2024-01-04 21000 PE", "first_days": ["2024-01-02", "2024-01-03"]}}
    lines = empty_causes(result)
    assert lines[0] == "no trades: entry never filled on any of the 2 days that ran"
    assert lines[1].startswith("  most often: leg 'pe' had no price yet — 2 days")


def test_zero_trades_from_a_condition_that_never_holds():
    cls = load_strat_text(H.replace("entry at 09:16\n", "entry at 09:16 when spot > 30000\n"))
    result = EventEngine(MemorySource({D2: flat()}, config(6), 6)).run(cls())
    assert list(result.notes["entry_blocked"]) == [
        "entry never tried to fill (the entry condition never held, or entry() never called try_fill)"]


def test_a_dataset_config_naming_an_underlying_its_files_do_not_hold_lists_what_they_hold(tmp_path):
    data = write_parquet(tmp_path / "d", {D2: flat()}, n_ticks=6)
    toml = data / "dataset.toml"
    toml.write_text(toml.read_text().replace('underlying = "NIFTY"', 'underlying = "BANKNIFTY"'))
    result = run_backtest(SellAtm, data=data)
    assert result.daily == []
    assert empty_causes(result) == ["no days to run: the dataset has no spot or option rows for underlying "
                                    "'BANKNIFTY'; it holds: NIFTY"]


def test_cli_start_beyond_the_data_exits_2_and_says_the_range(hole, tmp_path):
    r = optbt("run", SPEC, "--data", str(hole), "--out", str(tmp_path / "o"), "-q", "--start", "2024-02-01")
    assert r.returncode == 2, r.stderr
    assert "the dataset has 3 days from 2024-01-02 to 2024-01-04, none in 2024-02-01 .. the end" in \
        " ".join(r.stderr.split())
    assert not (tmp_path / "o").exists()
