"""A run's note on option files in time order (optbt/data/row_order.py): said where rows are
in time order and large, never where they are in read order, small, or after ``data sort``;
remembered with the chain index; never changes a trade.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from optbt.data import row_order
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.sort import sort_dataset
from optbt.data.synth import generate
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import run_backtest
from tests.kit import FLAT_TABLES as FLAT
from tests.kit import config_head

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = str(ROOT / "examples" / "straddle_920.py") + ":Straddle920"


@pytest.fixture(scope="module")
def hive(tmp_path_factory):
    """Two days of 10 strikes a side: 126 contracts a day, 94,500 rows in all."""
    return generate(tmp_path_factory.mktemp("order") / "hive", days=2, seed=3, strikes_each_side=10)


def _flat(hive: Path, out: Path, order: str) -> Path:
    """The hive dataset's options as one file with rows in ``order``, the spot as one file."""
    con = duckdb.connect()
    (out / "options").mkdir(parents=True)
    (out / "spot").mkdir()
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{hive}/options/*/*.parquet', hive_partitioning=true) "
                f"ORDER BY {order}) TO '{out}/options/2024-01.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{hive}/spot/*/*.parquet', hive_partitioning=true) "
                f"ORDER BY ts) TO '{out}/spot/2024-01.parquet' (FORMAT parquet)")
    shutil.copytree(hive / "vix", out / "vix")
    (out / "dataset.toml").write_text(config_head(hive) + FLAT)
    return out


def _run(data: Path):
    return run_backtest(load_strategy(STRATEGY), data=str(data))


def test_rows_in_time_order_get_the_note_and_the_same_trades(hive, tmp_path):
    timed = _flat(hive, tmp_path / "timed", "ts, expiry, strike, opt_type")
    result = _run(timed)
    (note,) = result.engine["data_notes"]
    # 126 contracts a minute: the first 4,096 rows reach the 33rd minute (4096 / 126 = 32.5)
    assert note.startswith("the option files keep rows in time order (the first 4,096 rows of 2024-01-01's files, "
                           "from 2024-01.parquet, hold 126 contracts at 33 times), so each day's query decodes every "
                           "row of the day")
    assert "`optbt data sort DATA --out NEW`" in note
    assert [t.row() for t in result.trades] == [t.row() for t in _run(hive).trades]


def test_rows_by_contract_or_sorted_or_small_get_no_note(hive, tmp_path, monkeypatch):
    by_contract = _flat(hive, tmp_path / "by_contract", "ts::DATE, expiry, strike, opt_type, ts")
    timed = _flat(hive, tmp_path / "timed", "ts, expiry, strike, opt_type")  # 94,500 rows in all
    monkeypatch.setattr(row_order, "MIN_ROWS", 94_501)
    assert "data_notes" not in _run(timed).engine  # fewer rows than MIN_ROWS: not judged
    monkeypatch.setattr(row_order, "MIN_ROWS", 94_500)
    assert "data_notes" in _run(timed).engine
    monkeypatch.setattr(row_order, "MIN_ROWS", 0)  # synth's day folders hold 47,250 rows each
    for data in (hive, by_contract):
        assert "data_notes" not in _run(data).engine, data
    sort_dataset(load_dataset(timed), timed / "dataset.toml", tmp_path / "sorted")
    assert "data_notes" not in _run(tmp_path / "sorted").engine


@pytest.mark.parametrize("rows, contracts, times, expected", [
    (4096, 126, 33, True),     # 126 contracts a minute: the sample spans 33 minutes (124 rows a time)
    (4096, 486, 11, True),     # a month file's first minutes
    (4096, 64, 128, True),     # exactly 32 rows a time, 64 contracts
    (4096, 64, 129, False),
    (4096, 63, 66, False),     # too few contracts to matter in any order
    (4096, 11, 375, False),    # by contract: 11 contracts over the whole session
    (4096, 410, 375, False),   # by contract, sparse: 10 bars each, at scattered minutes
    (4096, 300, 4096, False),  # ticks by contract: every row its own time
    (31, 64, 1, False),        # fewer rows than 32 at its one time
])
def test_the_rule_weighs_rows_against_times(rows, contracts, times, expected):
    assert row_order.in_time_order(rows, contracts, times) is expected


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A real-sized day (~100,000 rows, 270 contracts a minute): synth's day folders (by contract)
    and the same rows minute by minute, as a vendor's export."""
    folder = tmp_path_factory.mktemp("big")
    hive = generate(folder / "hive", days=1, seed=4)
    return hive, _flat(hive, folder / "timed", "ts, strike, opt_type, expiry")


def test_a_large_file_in_time_order_is_judged_at_the_default_size(big):
    hive, timed = big
    (note,) = _run(timed).engine["data_notes"]
    assert "keep rows in time order" in note
    assert "data_notes" not in _run(hive).engine


def test_the_verdict_is_remembered_with_the_chain(hive, tmp_path):
    """The second run of a dataset asks no query for it (the chain index keeps the answer)."""
    timed = _flat(hive, tmp_path / "timed", "ts, expiry, strike, opt_type")

    def sample_queries() -> tuple[int, list[str]]:
        src = DuckDBSource(load_dataset(timed))
        asked = []
        run = src._run
        src._run = lambda sql, params: (asked.append(sql) if f"LIMIT {row_order.SAMPLE}" in sql else None,
                                        run(sql, params))[1]
        result = run_backtest(load_strategy(STRATEGY), source=src)
        return len(asked), result.engine["data_notes"]

    first, note = sample_queries()
    again, same = sample_queries()
    assert (first, again) == (1, 0) and note == same


def test_the_cli_prints_the_note_after_the_results(big, tmp_path):
    _, timed = big
    out = subprocess.run([sys.executable, "-m", "optbt.cli.app", "run", STRATEGY, "--data", str(timed), "--quiet",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "COLUMNS": "1000"}, timeout=120)
    lines = out.stdout.splitlines()
    (note,) = [x for x in lines if x.startswith("note: the option files keep rows in time order")]
    assert lines.index(note) > next(i for i, x in enumerate(lines) if x.startswith("wrote "))


def test_a_sweep_says_the_note_once(big, tmp_path):
    _, timed = big
    out = subprocess.run([sys.executable, "-m", "optbt.cli.app", "sweep", STRATEGY, "--data", str(timed),
                          "--grid", "sl_pct=20,30", "--out", str(tmp_path / "sweep")], capture_output=True, text=True,
                         cwd=ROOT, check=True, env={**os.environ, "COLUMNS": "1000"}, timeout=300)
    notes = [x for x in out.stdout.splitlines() if x.startswith("note: the option files keep rows in time order")]
    assert len(notes) == 1, out.stdout
