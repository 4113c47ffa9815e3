"""The same hand-made days through parquet + DuckDB give the same fills as in memory; query
counts follow the cache's rules; serial and process-pool sweeps agree exactly."""

from __future__ import annotations

import multiprocessing

from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from optbt import run_backtest
from optbt.data.duckdb_source import DuckDBSource
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, straddle_day, write_parquet

DAY2 = date(2024, 1, 3)
ROOT = Path(__file__).resolve().parents[1]
SPEC = f"{ROOT}/examples/straddle_920.py:Straddle920"


def days():
    # 12 ticks 09:16..09:27; CE rises 10/min from 100 -> hits a 30 % stop at 130 (09:19);
    # PE drifts down. Day 2: flat, EOD close.
    ce1 = [100 + 10 * k for k in range(12)]
    pe1 = [90 - k for k in range(12)]
    return {DAY: straddle_day(ce1, pe1), DAY2: straddle_day([50] * 12, [40, None] * 6)}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_parquet(tmp_path_factory.mktemp("hand"), days(), n_ticks=12, lot_size=25)


PARAMS = {"entry_time": "09:16", "exit_time": "09:26", "sl_pct": "30"}


def test_duckdb_source_gives_the_fills_worked_out_by_hand(dataset):
    res = run_backtest(load_strategy(SPEC), data=dataset, params=PARAMS)
    got = [(t.day, t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"),
            t.exit_price, t.exit_lag, t.exit_reason, t.pnl) for t in res.trades]
    assert got == [
        # sold CE 100 at 09:16; 130 >= 100 * 1.3 at 09:19 -> stop; (100 - 130) * 25 = -750
        (DAY, "ce", "09:16", 100.0, "09:19", 130.0, 0, "stop_loss", -750.0),
        # sold PE 90 at 09:16; exit_time 09:26 -> 80; (90 - 80) * 25 = 250
        (DAY, "pe", "09:16", 90.0, "09:26", 80.0, 0, "exit", 250.0),
        # day 2: PE quotes only on even minutes; at 09:26 (tick 10) PE is live (40, lag 0)
        (DAY2, "ce", "09:16", 50.0, "09:26", 50.0, 0, "exit", 0.0),
        (DAY2, "pe", "09:16", 40.0, "09:26", 40.0, 0, "exit", 0.0),
    ]
    assert res.metrics["total_pnl"] == -500.0


def test_duckdb_and_memory_sources_agree(dataset):
    cls = load_strategy(SPEC)
    mem = EventEngine(MemorySource(days(), config(12, lot_size=25), 12)).run(cls(**PARAMS))
    duck = run_backtest(cls, data=dataset, params=PARAMS)
    assert [t.row() for t in mem.trades] == [t.row() for t in duck.trades]


def test_one_query_per_block_for_spot_and_chain_and_per_day_for_the_legs_of_one_fill(dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(tmp_path / "chains"))  # a cold chain index
    res = run_backtest(load_strategy(SPEC), data=dataset, params=PARAMS)
    # one flat file, no day folders: the days with spot (1) and with options (1), the chain of
    # both days (1), the spot of both days (1: one time-range read), per day CE + PE fetched
    # together by try_fill (2), the first day's times of the spot and the options (2:
    # optbt/data/first_day.py) and the order of its option rows (1: optbt/data/row_order.py)
    assert res.engine["queries"] == 2 + 1 + 1 + 2 + 2 + 1
    assert res.engine["instruments_fetched"] == 4
    # the next run finds the chain, the first day's times and row order and the option days'
    # footer read in the index (optbt/data/chain_index.py): five queries fewer (the spot's days are a scan,
    # the spot a time-range read, the legs per day)
    assert run_backtest(load_strategy(SPEC), data=dataset, params=PARAMS).engine["queries"] == 1 + 1 + 2


def _run_one(args):
    spec, data, params = args
    return [t.row() for t in run_backtest(load_strategy(spec), data=data, params=params).trades]


def test_serial_and_process_pool_sweeps_give_identical_trades(dataset):
    grid = [dict(PARAMS, sl_pct=str(sl)) for sl in (10, 20, 30, 50)]
    jobs = [(SPEC, str(dataset), p) for p in grid]
    serial = [_run_one(j) for j in jobs]
    # spawn, as optbt's own sweeps do: a fork of a process whose DuckDB threads hold locks can hang
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parallel = list(pool.map(_run_one, jobs))
    assert serial == parallel
    assert len({repr(s) for s in serial}) > 1  # the parameter really changes the trades


def test_the_source_reuses_one_connection(dataset):
    src = DuckDBSource(dataset)
    cls = load_strategy(SPEC)
    a = run_backtest(cls, source=src, params=PARAMS)
    b = run_backtest(cls, source=src, params=PARAMS)
    assert [t.row() for t in a.trades] == [t.row() for t in b.trades]


def test_read_ahead_blocks_change_no_result_and_save_queries(sample_dataset, tmp_path, monkeypatch):
    """Spot bars and chains come 16 partition days to a query; each day still sees only its own."""
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(tmp_path / "chains"))  # cold: the chain is listed here
    from optbt.data.duckdb_source import READ_AHEAD_DAYS, DuckDBSource
    cls = load_strategy(str(Path(__file__).resolve().parent.parent / "examples" / "straddle_920.py") + ":Straddle920")
    source = DuckDBSource(sample_dataset)
    days = source.trading_days()[:20]
    whole = run_backtest(cls, source=source, start=days[0], end=days[-1])
    blocks = -(-len(days) // READ_AHEAD_DAYS)
    assert whole.engine["queries"] == len(days) + 2 * blocks  # legs daily; spot and chain per block
    one_by_one = []
    for day in days:  # a fresh source each day: every day starts its own block
        one_by_one += run_backtest(cls, source=DuckDBSource(sample_dataset), start=day, end=day).trades
    assert [t.row() for t in whole.trades] == [t.row() for t in one_by_one]
    mid = run_backtest(cls, source=DuckDBSource(sample_dataset), start=days[7], end=days[-1])
    assert [t.row() for t in mid.trades] == [t.row() for t in whole.trades if t.day >= days[7]]
