"""A column the dataset config names is a column of the files, whether or not anything reads it.

Open, high, low and volume (and an option's oi) are read only when a strategy asks for whole
bars, or never: a name given for them was checked by the first strategy that read one, so a
``volume = "vol"`` for files without ``vol`` went unnoticed. Now the source refuses it when it
opens, and ``data check`` reports it; a default name the user never wrote may still be absent.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource
from optbt.model.errors import DataError
from tests.test_data_trust import CLEAN, Sell, option_rows, spot_rows, write


def opened(path) -> None:
    DuckDBSource(load_dataset(path)).close()


def with_columns(tmp_path, table: str, columns: str, spot=None, extra=""):
    """The clean day, with ``columns`` mapped under [table.columns] (a series reads s.parquet)."""
    path = write(tmp_path, option_rows(), spot or spot_rows(), extra=extra)
    text = (path / "dataset.toml").read_text()
    if table == "options":
        text = text.replace('path = "o.parquet"\n', f'path = "o.parquet"\ncolumns = {{ {columns} }}\n')
    elif table == "spot":
        text = text.replace('path = "s.parquet"\n', f'path = "s.parquet"\ncolumns = {{ {columns} }}\n')
    else:
        text += f'[series.vix]\npath = "s.parquet"\ncolumns = {{ {columns} }}\n'
    (path / "dataset.toml").write_text(text)
    return path


@pytest.mark.parametrize("table, canonical", [
    ("options", "volume"), ("options", "oi"), ("options", "open"), ("spot", "volume"), ("spot", "high"),
    ("series.vix", "low"),
])
def test_a_named_column_the_files_lack_is_refused_when_the_source_opens(tmp_path, table, canonical):
    """The files hold ts, expiry, strike, opt_type, close (and the spot ts, close): a name given
    for any other column is not theirs. The refusal says which name, what the files hold, and
    how to fix it, before any day is read (the straddle reads none of these columns)."""
    path = with_columns(tmp_path, table, f'{canonical} = "vol"')
    if table == "series.vix":  # a series opens when first read: data check opens every one
        (f,) = check_dataset(load_dataset(path)).findings
        assert (f.level, f.check, f.where) == ("error", "missing_column", str(path / "s.parquet"))
        assert f.detail.startswith(f"series.vix: column 'vol' (for {canonical}) is not in the files")
        return
    with pytest.raises(DataError) as err:
        opened(path)
    text = str(err.value)
    assert text.startswith(f"{table}: column 'vol' (for {canonical}) is not in the files")
    assert "columns are: ts, " in text and f'set {canonical} = "" if the files have no such column' in text
    with pytest.raises(DataError):
        run_backtest(Sell, data=load_dataset(path))
    (f,) = check_dataset(load_dataset(path)).findings
    assert (f.level, f.check, f.where, f.detail) == ("error", "missing_column",
                                                     str(path / ("o.parquet" if table == "options" else "s.parquet")),
                                                     text)


def test_a_typo_is_answered_with_the_nearest_column(tmp_path):
    spot = [{**r, "volume": 10.0} for r in spot_rows()]
    path = with_columns(tmp_path, "spot", 'volume = "volumes"', spot=spot)
    with pytest.raises(DataError, match="did you mean 'volume'"):
        opened(path)


@pytest.mark.parametrize("columns", ['volume = ""', 'oi = ""', ""])
def test_defaults_and_empty_names_the_files_lack_stay_silent(tmp_path, columns):
    """No open, high, low, volume or oi in the files: the defaults (and a name set to "") are fine."""
    path = with_columns(tmp_path, "options", columns) if columns else write(tmp_path, option_rows(), spot_rows())
    assert {(f.level, f.check) for f in check_dataset(load_dataset(path)).findings} == set()
    res = run_backtest(Sell, data=load_dataset(path))
    assert sorted((t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.exit_ts.strftime("%H:%M"), t.exit_price)
                  for t in res.trades) == CLEAN


def test_date_and_time_columns_with_named_bar_columns_that_exist_open(tmp_path):
    """Date + time instead of ts (the config's ts is then None, and in the fields it set) with
    a volume the files hold: nothing refused."""
    rows = [{"d": r["ts"].date(), "t": r["ts"].time(), "close": r["close"], "vol": 5.0} for r in spot_rows()]
    path = with_columns(tmp_path, "spot", 'date = "d", time = "t", volume = "vol"', spot=rows)
    opened(path)
    src = DuckDBSource(load_dataset(path))
    try:
        assert [b[5] for b in src.ohlc_bars(src.trading_days()[0])] == [5.0] * 7
    finally:
        src.close()


def test_a_column_that_only_later_files_hold_is_refused_as_one_only_the_first_holds(tmp_path):
    """The spot's volume is in s/b.parquet but not in s/a.parquet (the first, whose schema is
    the table's): volume was read as absent from every file, the 2nd's volumes as unknown. It
    is now refused as the reverse order always was, naming both files, whether or not the
    config names the column."""
    from datetime import timedelta
    day2 = [{**r, "ts": r["ts"] + timedelta(days=1), "volume": 7.0} for r in spot_rows()]
    for columns in ("", 'volume = "volume"'):
        path = write(tmp_path, option_rows(), [], sfiles={"s/a.parquet": spot_rows(), "s/b.parquet": day2})
        if columns:
            text = (path / "dataset.toml").read_text()
            (path / "dataset.toml").write_text(text.replace('path = "s/*.parquet"\n',
                                                            f'path = "s/*.parquet"\ncolumns = {{ {columns} }}\n'))
        with pytest.raises(DataError, match=r"s/a.parquet has no column 'volume', which .*s/b.parquet has"):
            opened(path)


def test_the_check_reports_a_named_option_column_as_a_missing_column_of_the_options(tmp_path):
    path = with_columns(tmp_path, "options", 'volume = "qty"')
    rows = pa.Table.from_pylist([{**r, "qty_total": 1} for r in option_rows()])
    pq.write_table(rows, path / "o.parquet")
    (f,) = check_dataset(load_dataset(path)).findings
    assert f.check == "missing_column" and "'qty'" in f.detail and "qty_total" in f.detail
