"""The same prices in other file layouts give the same trades, with reads in blocks of days.

Layouts users keep: day folders (what ``optbt data synth`` writes), one file a month with no
folders, and options a file a day with the whole spot in one unpartitioned file. Without day
folders the source learns each file's days from its footer and reads a block of days at once,
so the number of queries does not grow with the number of files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from optbt.data.synth import generate
from optbt.dsl.loader import load_strategy
from optbt.engine.loop import run_backtest
from tests.kit import config_head

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = str(ROOT / "examples" / "straddle_920.py") + ":Straddle920"




@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    base = tmp_path_factory.mktemp("layouts")
    hive = generate(base / "hive", days=6, seed=3, strikes_each_side=6)
    con = duckdb.connect()
    opts = f"{hive}/options/*/*.parquet"
    spot = f"{hive}/spot/*/*.parquet"
    monthly, single = base / "monthly", base / "single"
    for root in (monthly, single):
        (root / "options").mkdir(parents=True)
        (root / "spot").mkdir(parents=True)
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{opts}', hive_partitioning=true) ORDER BY ts) "
                f"TO '{monthly}/options/2024-01.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{spot}', hive_partitioning=true) ORDER BY ts) "
                f"TO '{monthly}/spot/2024-01.parquet' (FORMAT parquet)")
    days = [r[0] for r in con.execute(f"SELECT DISTINCT day FROM read_parquet('{opts}', hive_partitioning=true) "
                                      "ORDER BY 1").fetchall()]
    for d in days:
        con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{opts}', hive_partitioning=true) "
                    f"WHERE day = '{d}' ORDER BY ts) TO '{single}/options/{d}.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * EXCLUDE (day) FROM read_parquet('{spot}', hive_partitioning=true) ORDER BY ts) "
                f"TO '{single}/spot/spot.parquet' (FORMAT parquet)")
    flat = '[options]\npath = "options/*.parquet"\n[spot]\npath = "spot/*.parquet"\n'
    for root in (monthly, single):
        (root / "dataset.toml").write_text(config_head(hive) + flat)
    return {"hive": hive, "monthly": monthly, "single": single, "days": len(days)}


def test_every_layout_gives_the_same_trades(layouts):
    cls = load_strategy(STRATEGY)
    rows = {}
    for name in ("hive", "monthly", "single"):
        res = run_backtest(cls, data=layouts[name])
        rows[name] = [t.row() for t in res.trades]
        assert res.engine["days"] == layouts["days"]
    assert rows["hive"] and rows["hive"] == rows["monthly"] == rows["single"]


def test_without_day_folders_chain_and_spot_come_in_blocks(layouts, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTBT_CHAIN_INDEX", str(tmp_path / "chains"))  # cold: the chain is listed here
    res = run_backtest(load_strategy(STRATEGY), data=layouts["single"])
    # the days with spot (1) and with options (1) + the chain of all 6 days (1) + their spot
    # (1) + per day one fetch of the straddle's two legs (6) + the first day's times of the spot
    # and of the options (2: optbt/data/first_day.py), and its forward-filled option bars (1:
    # optbt/data/fill_hint.py, the files have a volume column); a query per day for chain and
    # spot would make 23
    assert res.engine["queries"] == 1 + 1 + 1 + 1 + layouts["days"] + 2 + 1


def test_with_a_file_a_day_without_folders_a_day_s_options_come_from_that_file_only(layouts):
    """The footers give each file's exact time range, so a day's option query opens the day's
    file, not also its neighbours (the day spans are a day wider on each side)."""
    from optbt.data.duckdb_source import DuckDBSource
    src = DuckDBSource(Path(layouts["single"]) / "dataset.toml")
    opened = []
    run = src._run

    def spy(sql, params):
        if "$k0" in sql:  # the option-bar query (asks for strikes $k0, $k1, ...)
            opened.append(sorted(Path(f).name for f in params["f"]))
        return run(sql, params)
    src._run = spy
    days = src.trading_days()
    res = run_backtest(load_strategy(STRATEGY), source=src)
    assert [t.row() for t in res.trades] == [t.row() for t in run_backtest(load_strategy(STRATEGY),
                                                                           data=layouts["hive"]).trades]
    assert opened == [[f"{d}.parquet"] for d in days if d.isoformat() + ".parquet" in
                      {p.name for p in (Path(layouts["single"]) / "options").iterdir()}]
