"""The sweep workers' memory of the data: the same answers as the source, fewer queries, a hard budget."""

from __future__ import annotations

from pathlib import Path

from optbt import run_backtest
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.memo import MemoSource
from optbt.dsl.loader import load_strategy

ROOT = Path(__file__).resolve().parent.parent
CONDOR = load_strategy(str(ROOT / "examples" / "iron_condor.py") + ":IronCondor")
STRADDLE = load_strategy(str(ROOT / "strategies_dsl" / "straddle_920.strat"))


def _rows(result):
    return [t.row() for t in result.trades]


def test_remembered_days_give_the_same_trades_and_no_second_read(sample_dataset):
    plain = run_backtest(CONDOR, source=DuckDBSource(sample_dataset), end="2024-01-31")
    memo = MemoSource(DuckDBSource(sample_dataset))
    first = run_backtest(CONDOR, source=memo, end="2024-01-31")
    again = run_backtest(CONDOR, source=memo, end="2024-01-31")
    assert _rows(plain) == _rows(first) == _rows(again)
    assert first.engine["queries"] > 0
    assert again.engine["queries"] == 0  # everything came from memory
    # another strategy on the same days reads only the instruments it adds
    other = run_backtest(STRADDLE, source=memo, end="2024-01-31")
    assert _rows(other) == _rows(run_backtest(STRADDLE, source=DuckDBSource(sample_dataset), end="2024-01-31"))
    assert other.engine["queries"] <= len(other.daily)


def test_the_budget_is_never_exceeded_and_what_does_not_fit_is_read_again(sample_dataset, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", "off")  # the memo's own savings, not the chain index's
    budget_mb = 0.5
    memo = MemoSource(DuckDBSource(sample_dataset), budget_mb=budget_mb)
    first = run_backtest(CONDOR, source=memo)
    assert memo.used <= budget_mb * 1024 * 1024
    again = run_backtest(CONDOR, source=memo)
    assert _rows(first) == _rows(again) == _rows(run_backtest(CONDOR, source=DuckDBSource(sample_dataset)))
    assert 0 < again.engine["queries"] < first.engine["queries"]  # the first days stay, the rest are read


def test_a_zero_budget_remembers_nothing(sample_dataset):
    memo = MemoSource(DuckDBSource(sample_dataset), budget_mb=0)
    first = run_backtest(STRADDLE, source=memo, end="2024-01-10")
    again = run_backtest(STRADDLE, source=memo, end="2024-01-10")
    assert memo.used == 0
    assert again.engine["queries"] >= len(again.daily) == len(first.daily)  # every day's legs read again


def test_threads_of_one_worker_share_one_memory(sample_dataset):
    """A Dask worker's threads each have a connection, but the data is kept once, in one budget."""
    from optbt.data.memo import MemoStore
    store = MemoStore(budget_mb=64)
    first = run_backtest(STRADDLE, source=MemoSource(DuckDBSource(sample_dataset), store=store), end="2024-01-31")
    used = store.used
    other = run_backtest(STRADDLE, source=MemoSource(DuckDBSource(sample_dataset), store=store), end="2024-01-31")
    assert _rows(first) == _rows(other)
    assert other.engine["queries"] == 0 and store.used == used


def test_a_days_alignment_is_remembered_for_the_same_clock_only():
    """A sweep's runs share their clock: each instrument's day is aligned once (a fifth of a warm
    run's time went to aligning it again), kept in place of its bars (about half their memory),
    and handed out again only for an equal clock; another clock reads the bars again."""
    from datetime import date, datetime

    from optbt.data.cache import DayCache, align
    from optbt.model.instrument import Instrument

    day = date(2024, 1, 2)
    ce = Instrument("NIFTY", date(2024, 1, 4), 21000.0, "CE")
    at = [datetime(2024, 1, 2, 9, 16 + k) for k in range(4)]
    bars = [(at[0], 10.0, None, None), (at[2], 12.0, None, None)]

    class Source:
        config = None
        asked = 0

        def option_bars(self, d, instruments):
            Source.asked += 1
            return {i: list(bars) for i in instruments}

    memo = MemoSource(Source())
    first = DayCache(memo, day, list(at)).series(ce)
    assert first.quote == align(at, bars).quote == [(10.0, 0), (10.0, 1), (12.0, 0), (12.0, 1)]
    assert (day, ce) not in memo.store.options  # the series stands in for the bars
    again = DayCache(memo, day, list(at)).series(ce)  # the next run: an equal clock, a new list
    assert again is first and Source.asked == 1
    every_other = at[::2]  # a clock of two ticks: the bars are read again and aligned anew
    other = DayCache(memo, day, every_other).series(ce)
    assert other.quote == align(every_other, bars).quote == [(10.0, 0), (12.0, 0)]
    assert Source.asked == 2
    assert DayCache(memo, day, list(at)).series(ce) is first  # the first clock's series still served
    assert memo.used <= memo.store.budget
