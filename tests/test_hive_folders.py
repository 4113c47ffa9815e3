"""A file that stores a hive key itself must agree with its folder.

With ``hive_partitioning = true`` a file under ``underlying=BANKNIFTY/`` may also hold an
``underlying`` column. DuckDB (2.0.1) then reads the folder's value and ignores the file's, so
a file of NIFTY rows put in BANKNIFTY's folder was traded as BANKNIFTY's (a NIFTY run never
saw it) without a word. Such a file is refused when the dataset opens, and ``data check``
reports it; a key nothing reads (a day folder's ``day`` when no column maps it) is not judged.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.source import FolderDisagreesError
from optbt.model.errors import DataError
from tests.test_data_trust import DAY, Sell, option_rows, spot_rows

DAY2 = DAY + timedelta(days=1)


def put(path, rows, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, **kw)


def by_underlying(tmp_path, stored: str, stats: bool = True, a_stores: bool = True):
    """NIFTY's options of DAY under underlying=NIFTY/ (storing underlying NIFTY too, unless not
    ``a_stores``), and of DAY2 under underlying=BANKNIFTY/ with the file's own underlying column
    ``stored``; the spot (no underlying column) both days."""
    put(tmp_path / "o" / "underlying=NIFTY" / "a.parquet",
        [{**r, "underlying": "NIFTY"} if a_stores else r for r in option_rows(DAY)])
    put(tmp_path / "o" / "underlying=BANKNIFTY" / "b.parquet",
        [{**r, "underlying": stored} for r in option_rows(DAY2)], write_statistics=stats)
    put(tmp_path / "s.parquet", spot_rows(DAY) + spot_rows(DAY2))
    (tmp_path / "dataset.toml").write_text(
        'name = "hive"\nunderlying = "NIFTY"\n[options]\npath = "o/*/*.parquet"\nhive_partitioning = true\n'
        '[spot]\npath = "s.parquet"\n[session]\nstart = "09:15"\nend = "09:22"\n')
    return tmp_path


def test_duckdb_reads_the_folders_value_over_the_files_own(tmp_path):
    """What this guards against, as DuckDB does it: the file says NIFTY, the folder BANKNIFTY,
    and a query with hive partitioning sees BANKNIFTY only."""
    path = by_underlying(tmp_path, "NIFTY")
    got = duckdb.sql(f"SELECT DISTINCT underlying FROM read_parquet('{path}/o/*/b.parquet', "
                     "hive_partitioning=true)").fetchall()
    assert got == [("BANKNIFTY",)]


@pytest.mark.parametrize("stats", [True, False])
def test_a_file_whose_underlying_disagrees_with_its_folder_is_refused(tmp_path, stats):
    """A NIFTY run traded DAY only: DAY2's NIFTY rows were read as BANKNIFTY's. Now the dataset
    is refused naming the file, both values and the fixes (from the footer's statistics, or, a
    file written without them, from its column)."""
    path = by_underlying(tmp_path, "NIFTY", stats)
    b = str(path / "o" / "underlying=BANKNIFTY" / "b.parquet")
    with pytest.raises(FolderDisagreesError) as err:
        DuckDBSource(load_dataset(path))
    assert str(err.value).startswith(f"options: {b} sits in folder underlying=BANKNIFTY but its own column "
                                     "'underlying' holds 'NIFTY'; ")
    assert "set hive_partitioning = false" in str(err.value)
    with pytest.raises(FolderDisagreesError):
        run_backtest(Sell, data=load_dataset(path))
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.count, f.where) == ("error", "column_disagrees_with_folder", 1, b)


@pytest.mark.parametrize("stored", ["BANKNIFTY", " banknifty"])
def test_a_file_that_agrees_with_its_folder_opens(tmp_path, stored):
    """The same value (case and padding aside, as a run matches an underlying): nothing refused,
    and a NIFTY run trades DAY, DAY2 being BANKNIFTY's."""
    path = by_underlying(tmp_path, stored)
    res = run_backtest(Sell, data=load_dataset(path))
    assert [(d.day, d.skip_reason) for d in res.daily] == [(DAY, ""), (DAY2, "no_options")]


def test_a_file_need_not_store_the_key_its_folder_gives(tmp_path):
    """a.parquet has no underlying column, b.parquet stores its folder's: the folder gives every
    row of a.parquet its underlying, so no file lacks the column (refused as one that did)."""
    path = by_underlying(tmp_path, "BANKNIFTY", a_stores=False)
    res = run_backtest(Sell, data=load_dataset(path))
    assert [(d.day, d.skip_reason) for d in res.daily] == [(DAY, ""), (DAY2, "no_options")]
    assert check_dataset(load_dataset(path)).findings[0].check == "days_without_options"


def test_several_files_are_counted(tmp_path):
    path = by_underlying(tmp_path, "NIFTY")
    put(path / "o" / "underlying=BANKNIFTY" / "c.parquet",
        [{**r, "underlying": "FINNIFTY"} for r in option_rows(DAY2)])
    with pytest.raises(FolderDisagreesError, match=r"b.parquet .* holds 'NIFTY' \(1 more file disagrees"):
        DuckDBSource(load_dataset(path))
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.check, f.count) == ("column_disagrees_with_folder", 2)


def day_folders(tmp_path, stored: date, mapped: bool):
    """Options and spot in day=DAY/ folders whose files store a day column ``stored``; with
    ``mapped`` the config reads the time as date = "day" + time = "t"."""
    opts = [{**{k: v for k, v in r.items() if k != "ts"}, "day": stored, "t": r["ts"].time()}
            for r in option_rows(DAY)] if mapped else [{**r, "day": stored} for r in option_rows(DAY)]
    spot = [{"ts": r["ts"], "close": r["close"]} for r in spot_rows(DAY)]
    put(tmp_path / "o" / f"day={DAY}" / "p.parquet", opts)
    put(tmp_path / "s" / f"day={DAY}" / "p.parquet", spot)
    cols = 'columns = { date = "day", time = "t" }\n' if mapped else ""
    (tmp_path / "dataset.toml").write_text(
        f'name = "days"\n[options]\npath = "o/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n{cols}'
        '[spot]\npath = "s/*/*.parquet"\nhive_partitioning = true\nday_partition = "day"\n'
        '[session]\nstart = "09:15"\nend = "09:22"\n')
    return tmp_path


def test_a_date_column_that_is_the_day_key_must_say_the_folders_day(tmp_path):
    """date = "day": with hive partitioning the rows' date is the folder's (DAY), though the file
    says DAY2: refused, as the day a row trades on would rest on DuckDB's choice."""
    path = day_folders(tmp_path, DAY2, mapped=True)
    with pytest.raises(FolderDisagreesError, match=f"folder day={DAY} but its own column 'day' holds '{DAY2}'"):
        DuckDBSource(load_dataset(path))


def test_a_day_key_nothing_reads_is_not_judged(tmp_path):
    """The day comes from the folder's name (day_partition), not from the column: a stored day
    column that no config column maps changes nothing a run reads (the rows' ts say DAY)."""
    path = day_folders(tmp_path, DAY2, mapped=False)
    res = run_backtest(Sell, data=load_dataset(path))
    assert [(d.day, d.skip_reason) for d in res.daily] == [(DAY, "")]
    assert check_dataset(load_dataset(path)).findings == []


def test_a_day_folder_without_leading_zeros_is_refused_naming_it(tmp_path):
    """day=2024-1-2: the day folders' names must be YYYY-MM-DD (an unpadded name is refused
    rather than guessed), by a run and by data check."""
    path = day_folders(tmp_path, DAY, mapped=False)
    short = f"day={DAY.year}-{DAY.month}-{DAY.day}"
    assert short != f"day={DAY}"  # DAY's month and day have a leading zero
    for side in ("o", "s"):
        (path / side / f"day={DAY}").rename(path / side / short)
    with pytest.raises(DataError, match=rf"{short}/p.parquet has no 'day=YYYY-MM-DD' folder"):
        run_backtest(Sell, data=load_dataset(path))
    (f,) = check_dataset(load_dataset(path)).findings
    assert f.level == "error" and "day=YYYY-MM-DD" in f.detail
