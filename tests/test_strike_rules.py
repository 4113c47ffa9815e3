"""Strike rules as a trader means them, and no entry at or after the exit time.

Hand-made days (tests/kit.py): tick k is 09:16 + k minutes, lot size 1, strike step 50.
"""

from __future__ import annotations

from pathlib import Path

from optbt.dsl import load_strat_text
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import EventEngine
from optbt.model.strikes import otm_strike
from tests.kit import DAY, MemorySource, config, day_data, inst

ROOT = Path(__file__).resolve().parents[1]


def sparse_day(spot: float) -> dict:
    """Strikes 500 apart (20500, 21000, 21500), every one quoted at 10 all day."""
    opts = {inst(k, t): [10.0] * 4 for k in (20500.0, 21000.0, 21500.0) for t in ("CE", "PE")}
    return day_data([spot] * 4, opts)


def strike_of(leg: str, spot: float) -> float:
    cls = load_strat_text(f'strategy t "t"\notm = add(OTM 1%, {leg}, SELL)\nentry at 09:16\n')
    result = EventEngine(MemorySource({DAY: sparse_day(spot)}, config(4), 4)).run(cls())
    return result.trades[0].leg.strike


def test_otm_call_is_at_or_above_the_level_never_the_nearest_in_the_money_strike():
    # spot 21010: level 21010 × 1.01 = 21220.1; nearest listed is 21000 (in the money for a call)
    assert strike_of("CE", 21010.0) == 21500.0


def test_otm_put_is_at_or_below_the_level():
    # spot 20990: level 20990 × 0.99 = 20780.1; nearest listed is 21000 (in the money for a put)
    assert strike_of("PE", 20990.0) == 20500.0


def test_a_strike_exactly_at_the_level_is_taken():
    # 20000 × 1.01 is 20200.000000000004 in binary floating point: 20200 is "at" the level
    assert otm_strike(20000.0, 1, "CE", 50, (20150.0, 20200.0, 20250.0)) == 20200.0
    assert otm_strike(20000.0, 1, "PE", 50, (19750.0, 19800.0, 19850.0)) == 19800.0


def test_no_listed_strike_far_enough_out_gives_no_strike():
    assert otm_strike(21010.0, 5, "CE", 50, (21000.0, 21050.0)) is None


# -- a condor whose wings first quote at 15:52, exit at 15:00 --------------------------------------

N = 400  # 09:16 .. 15:55
WING_FROM = 396  # 15:52


def condor_day() -> dict:
    # 21000 is listed, so ATM (the listed strike nearest 21010) is 21000: shorts 21100 CE and
    # 20900 PE, wings 21300 CE and 20700 PE
    opts = {inst(21000, "CE"): [80.0] * N, inst(21000, "PE"): [70.0] * N,
            inst(21100, "CE"): [50.0] * N, inst(20900, "PE"): [50.0] * N,
            inst(21300, "CE"): [None] * WING_FROM + [5.0] * (N - WING_FROM),
            inst(20700, "PE"): [None] * WING_FROM + [5.0] * (N - WING_FROM)}
    return day_data([21010.0] * N, opts)


CONDOR = ('strategy c "c"\nlegs\n    sce = add(ATM + 2, CE, SELL)\n    spe = add(ATM - 2, PE, SELL)\n'
          '    bce = add(ATM + 6, CE, BUY)\n    bpe = add(ATM - 6, PE, BUY)\nentry at 09:20\nexit at {exit}\n')


def run(strategy):
    return EventEngine(MemorySource({DAY: condor_day()}, config(N), N)).run(strategy)


def test_strat_condor_does_not_enter_after_its_exit_time():
    result = run(load_strat_text(CONDOR.format(exit="15:00"))())
    assert result.trades == []
    # 09:20-14:59 (340 ticks) blocked by the wing; 15:00-15:54 (55 ticks) by the exit rule
    assert list(result.notes["entry_blocked"]) == ["leg 'bce' had no price yet"]


def test_strat_condor_enters_at_1552_when_its_exit_is_later():
    result = run(load_strat_text(CONDOR.format(exit="15:54"))())
    assert {t.entry_ts.strftime("%H:%M") for t in result.trades} == {"15:52"}
    assert {t.exit_reason for t in result.trades} == {"exit"}


def test_python_condor_with_an_exit_time_parameter_does_not_enter_after_it():
    cls = load_strategy(str(ROOT / "examples/iron_condor.py") + ":IronCondor")
    assert run(cls(exit_time="15:00")).trades == []
    late = run(cls(exit_time="15:54"))
    assert {t.entry_ts.strftime("%H:%M") for t in late.trades} == {"15:52"}


def test_entry_until_overrides_and_an_exit_time_that_is_not_a_time_is_no_deadline():
    from optbt import Strategy

    class Condor(Strategy):
        exit_time: int = 30  # minutes, say: not a time of day, so no entry deadline
        entry_until = None

        def entry(self, ctx):
            self.try_fill({k: self.add(s, t, side) for k, s, t, side in (
                ("sce", 21100, "CE", "SELL"), ("spe", 20900, "PE", "SELL"),
                ("bce", 21300, "CE", "BUY"), ("bpe", 20700, "PE", "BUY"))})

    class Inferred(Condor):
        entry_until = "exit_time"

    class Early(Condor):
        entry_until = "15:52"

    assert {t.entry_ts.strftime("%H:%M") for t in run(Condor()).trades} == {"15:52"}
    assert {t.entry_ts.strftime("%H:%M") for t in run(Inferred()).trades} == {"15:52"}
    assert run(Early()).trades == []  # 15:52 is at the deadline: no entry


def test_an_entry_deadline_with_seconds_is_refused_not_cut_to_its_minute():
    """``entry_until = "15:51:30"`` used to become 15:51 silently (a fill at 15:51 was then
    refused although 15:51:00 is before 15:51:30); the clock compares whole minutes, so it is
    refused with the fix, as every other time parameter with seconds is."""
    import pytest

    from optbt import Strategy
    from optbt.model.errors import ConfigError

    class Late(Strategy):
        entry_until = "15:51:30"

        def entry(self, ctx):
            self.try_fill({"ce": self.add(21000, "CE", "SELL")})

    class Inferred(Late):
        entry_until = "exit_time"
        exit_time: str = "15:52"

    with pytest.raises(ConfigError, match="entry_until must be .* whole minutes.*'15:51:30'"):
        run(Late())
    # an exit_time given with seconds (it stands for the deadline) is refused as it is given
    with pytest.raises(ValueError, match="exit_time: expected a time of day H:MM or HH:MM"):
        Inferred(exit_time="15:51:30")


def test_a_time_parameter_written_with_seconds_is_refused():
    """``entry_time: str = "09:20:30"`` was text compared with ctx.time ("09:20") as text: it
    acted as 09:21 (on tick data 30 s late) with no word. The clock is whole minutes."""
    import pytest

    from optbt import Strategy
    from optbt.model.errors import StrategyError

    class AtSeconds(Strategy):
        entry_time: str = "09:20:30"

        def entry(self, ctx):
            if ctx.time >= self.entry_time:
                self.try_fill({"ce": self.add(21000, "CE", "SELL")})

    with pytest.raises(StrategyError, match=r"AtSeconds.entry_time = '09:20:30': time parameters are whole minutes"):
        AtSeconds()
    assert AtSeconds(entry_time="09:21").entry_time == "09:21"  # a whole minute given instead is fine


def test_premium_ties_and_levels_are_judged_in_decimal_not_binary():
    """32.20 and 17.80 are both 7.20 from 25 (a tie: the strike nearer the money wins), though
    binary makes them 7.200000000000003 and 7.199999999999999; a mid of (2.40 + 2.80) / 2 is at
    or above 2.60. Found by an independent re-computation of strike selection."""
    from optbt.model.strikes import pick_strike
    assert pick_strike([(21100.0, 32.20), (21300.0, 17.80)], 25.0, "closest", 21000.0) == 21100.0
    assert pick_strike([(21300.0, 17.80), (21100.0, 32.20)], 25.0, "closest", 21400.0) == 21300.0
    assert pick_strike([(21100.0, (2.40 + 2.80) / 2)], 2.6, "ge", 21000.0) == 21100.0
    assert pick_strike([(21100.0, 2.65)], 2.6, "le", 21000.0) is None


def test_equally_near_the_spot_is_judged_in_decimal_not_binary():
    """Two strikes whose premiums tie, with a spot halfway between them: the lower strike goes
    (docs/language.md), also when the spot was worked out from prices and binary puts it a hair
    above halfway (100 + 8.21 - 3.21 = 105.00000000000001 picked 110 before)."""
    from optbt.model.strikes import pick_strike
    spot = 100 + 8.21 - 3.21
    assert spot > 105.0  # the binary noise this test is about
    assert pick_strike([(100.0, 5.0), (110.0, 5.0)], 5.0, "closest", spot) == 100.0
    assert pick_strike([(110.0, 5.0), (100.0, 5.0)], 5.0, "closest", 105.0) == 100.0
    assert pick_strike([(100.0, 5.0), (110.0, 5.0)], 5.0, "closest", 105.1) == 110.0  # really nearer
