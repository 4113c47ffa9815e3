"""The days with options, settled from the files' footers where they can be, scanned where not.

Hand-made flat files (no day folders), one row group each; the config's underlying is NIFTY.
Which days hold NIFTY option rows is read off the rows written below, by hand.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt.data.dataset import load_dataset
from optbt.data.duckdb_source import DuckDBSource


def row(ts: datetime, und: str = "NIFTY") -> dict:
    return {"ts": ts, "underlying": und, "expiry": date(2024, 1, 25), "strike": 21000.0, "opt_type": "CE",
            "close": 100.0}


FILES = {
    # a file a day: settled by the footer
    "a.parquet": [row(datetime(2024, 1, 2, 9, 16)), row(datetime(2024, 1, 2, 15, 30))],
    # lower case is the same underlying (the source compares upper case)
    "b.parquet": [row(datetime(2024, 1, 3, 9, 16), "nifty")],
    # two underlyings in one file: NIFTY only on the 4th, BANKNIFTY only on the 5th
    "c.parquet": [row(datetime(2024, 1, 4, 9, 16)), row(datetime(2024, 1, 5, 9, 16), "BANKNIFTY")],
    # another underlying only: no NIFTY day
    "d.parquet": [row(datetime(2024, 1, 8, 9, 16), "BANKNIFTY")],
    # the 9th to the 12th in one row group: the footer shows the 9th and the 12th, not the 10th
    "e.parquet": [row(datetime(2024, 1, 9, 9, 16)), row(datetime(2024, 1, 10, 9, 16)),
                  row(datetime(2024, 1, 12, 9, 16))],
    # a row late on the 15th: known the same day (end-labelled bars)
    "f.parquet": [row(datetime(2024, 1, 15, 23, 59))],
}
NIFTY_DAYS = [date(2024, 1, d) for d in (2, 3, 4, 9, 10, 12, 15)]


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    root = tmp_path_factory.mktemp("footers")
    (root / "o").mkdir()
    for name, rows in FILES.items():
        pq.write_table(pa.Table.from_pylist(rows), root / "o" / name)
    pq.write_table(pa.Table.from_pylist([{"ts": datetime(2024, 1, 2, 9, 16), "underlying": "NIFTY",
                                          "close": 21010.0}]), root / "s.parquet")
    (root / "dataset.toml").write_text('name = "footers"\nunderlying = "NIFTY"\n[options]\npath = "o/*.parquet"\n'
                                       '[spot]\npath = "s.parquet"\n')
    return root


def scanned(source: DuckDBSource, start=None, end=None) -> list[date]:
    source._option_days_from_footers = lambda files, und: (set(), files)  # every file scanned
    return source.option_days(start, end)


def test_days_from_footers_and_scans_are_the_days_written(flat):
    source = DuckDBSource(load_dataset(flat), read_ahead=False)
    known, unsettled = source._option_days_from_footers(source.options.all_files, "NIFTY")
    names = sorted(f.rsplit("/", 1)[-1] for f in unsettled)
    assert names == ["c.parquet", "d.parquet", "e.parquet"]  # two underlyings, another one, a gap
    assert known == {date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 15)}
    assert source.option_days() == NIFTY_DAYS == scanned(DuckDBSource(load_dataset(flat), read_ahead=False))
    assert source.option_days(date(2024, 1, 3), date(2024, 1, 9)) == [date(2024, 1, 3), date(2024, 1, 4),
                                                                       date(2024, 1, 9)]


def test_start_labelled_bars_move_a_late_row_to_the_next_day(flat, tmp_path):
    text = (flat / "dataset.toml").read_text().replace('underlying = "NIFTY"\n',
                                                       'underlying = "NIFTY"\nbar_label = "start"\n')
    (flat / "start.toml").write_text(text)
    source = DuckDBSource(load_dataset(flat / "start.toml"), read_ahead=False)
    # the 23:59 bar of the 15th is known at 00:00 on the 16th; the rest stay on their days
    expected = [date(2024, 1, d) for d in (2, 3, 4, 9, 10, 12, 16)]
    assert source.option_days() == expected
    assert scanned(DuckDBSource(load_dataset(flat / "start.toml"), read_ahead=False)) == expected
