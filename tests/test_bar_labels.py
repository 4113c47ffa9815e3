"""bar_label per table, and the one labelling a run refuses. Fills and strikes by hand.

The day (2024-01-02, session 09:15-09:22, bars of one minute, strikes 21000 and 21050):

- spot rows stamped 09:15 and 09:16 close at 21020 (ATM 21000), from 09:17 on at 21060 (ATM 21050);
- option rows stamped 09:15 + k minutes (k = 0..7): the 21000 CE at 100 + k, the 21000 PE at 90 - k,
  the 21050 CE at 70 + k, the 21050 PE at 120 - k.

The strategy sells the ATM straddle at the 09:17 tick and buys it back at the 09:20 tick. At
09:17 a start-labelled spot knows the row stamped 09:16 (21020: ATM 21000), an end-labelled one
the row stamped 09:17 (21060: ATM 21050); start-labelled options are priced by the row stamped a
minute before the tick (k = 1 at entry, 4 at exit), end-labelled ones by the row stamped at it
(k = 2, 5).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import run_backtest
from optbt.data.dataset import load_dataset
from tests.kit import SellAtmStraddle

DAY, EXP = date(2024, 1, 2), date(2024, 1, 4)
PRICES = {(21000.0, "CE"): lambda k: 100.0 + k, (21000.0, "PE"): lambda k: 90.0 - k,
          (21050.0, "CE"): lambda k: 70.0 + k, (21050.0, "PE"): lambda k: 120.0 - k}


def stamp(k: int) -> datetime:
    return datetime(2024, 1, 2, 9, 15) + timedelta(minutes=k)


def write_minute_bars(tmp, head: str = "", spot: str = "", options: str = ""):
    """The day above; ``head``: top-level keys; ``spot``/``options``: keys of those tables."""
    opts = [{"ts": stamp(k), "expiry": EXP, "strike": strike, "opt_type": ot, "close": price(k)}
            for k in range(8) for (strike, ot), price in PRICES.items()]
    spots = [{"ts": stamp(k), "close": 21020.0 if k <= 1 else 21060.0} for k in range(8)]
    return _write(tmp, opts, spots, head, spot, options)


def _write(tmp, opts: list[dict], spots: list[dict], head: str, spot: str, options: str):
    """Both tables' files and a dataset.toml of a 09:15-09:22 session with the given keys."""
    pq.write_table(pa.Table.from_pylist(opts), tmp / "o.parquet")
    pq.write_table(pa.Table.from_pylist(spots), tmp / "s.parquet")
    (tmp / "dataset.toml").write_text(
        f'{head}\n[options]\npath = "o.parquet"\n{options}\n[spot]\npath = "s.parquet"\n{spot}\n'
        '[session]\nstart = "09:15"\nend = "09:22"\n')
    return tmp


def fills(path) -> list[tuple]:
    res = run_backtest(SellAtmStraddle, data=load_dataset(path))
    return sorted((t.key, t.instrument.strike, t.entry_ts.strftime("%H:%M"), t.entry_price,
                   t.exit_ts.strftime("%H:%M"), t.exit_price) for t in res.trades)


# spot by start (ATM 21000 at 09:17), options by end (k = 2 at entry, 5 at exit)
SPOT_START_OPTIONS_END = [("ce", 21000.0, "09:17", 102.0, "09:20", 105.0),
                          ("pe", 21000.0, "09:17", 88.0, "09:20", 85.0)]


@pytest.mark.parametrize("head, spot, options", [
    ("", 'bar_label = "start"', ""),                       # the spot's own key over the default end
    ('bar_label = "start"', "", 'bar_label = "end"'),      # the options' own key over a dataset of start
])
def test_a_start_labelled_spot_beside_end_labelled_options(tmp_path, head, spot, options):
    """Each table's rows are known by its own label: the strike comes from the spot known at 09:17
    (the row stamped 09:16), the fills from the option rows stamped at the ticks. Before, the keys
    were refused as unknown and one bar_label shifted both tables alike."""
    assert fills(write_minute_bars(tmp_path, head, spot, options)) == SPOT_START_OPTIONS_END


@pytest.mark.parametrize("head, expected", [
    # both by start: ATM 21000 (spot stamped 09:16), options stamped 09:16 (k = 1) and 09:19 (k = 4)
    ('bar_label = "start"', [("ce", 21000.0, "09:17", 101.0, "09:20", 104.0),
                             ("pe", 21000.0, "09:17", 89.0, "09:20", 86.0)]),
    # both by end (the default): ATM 21050 (spot stamped 09:17), options k = 2 and 5
    ("", [("ce", 21050.0, "09:17", 72.0, "09:20", 75.0), ("pe", 21050.0, "09:17", 118.0, "09:20", 115.0)]),
    ('bar_label = "end"', [("ce", 21050.0, "09:17", 72.0, "09:20", 75.0),
                           ("pe", 21050.0, "09:17", 118.0, "09:20", 115.0)]),
])
def test_the_dataset_key_alone_labels_every_table(tmp_path, head, expected):
    assert fills(write_minute_bars(tmp_path, head)) == expected


def test_an_end_labelled_spot_beside_start_labelled_options(tmp_path):
    """The other way round: ATM 21050 from the spot stamped 09:17, options a minute behind."""
    path = write_minute_bars(tmp_path, 'bar_label = "start"', 'bar_label = "end"')
    assert fills(path) == [("ce", 21050.0, "09:17", 71.0, "09:20", 74.0), ("pe", 21050.0, "09:17", 119.0, "09:20", 116.0)]


def test_data_check_reads_each_table_by_its_own_label(tmp_path):
    """Options by end: the four rows stamped 09:15 are known at the open, outside (09:15, 09:22];
    spot by start: its row stamped 09:22 is known at 09:23, outside, and the one stamped 09:15
    at 09:16, inside. One shared label would have put 4 option rows and 1 spot row either side."""
    from optbt.data.check import check_dataset
    path = write_minute_bars(tmp_path, spot='bar_label = "start"')
    got = [(f.where.rsplit("/", 1)[-1], f.count, f.sample["ts"]) for f in check_dataset(load_dataset(path)).findings
           if f.check == "outside_session"]
    # the sample's time is when a run knows the row (the spot's stamped 09:22: 09:23)
    assert sorted(got) == [("o.parquet", 4, "2024-01-02 09:15:00"), ("s.parquet", 1, "2024-01-02 09:23:00")]


# -- tick data: bar_label = "start" would make every tick known a bar late ------------------------
#
# The same day in option ticks: each contract (21000 only) prints every 30 seconds from 09:15:20.5
# (i = 0, 1, ...: 09:15:20.5, 09:15:50.5, 09:16:20.5, ...), the CE at 100 + i, the PE at 90 - i;
# the spot in minute bars at 21010 (ATM 21000), stamped at whole minutes.

def tick(i: int) -> datetime:
    return datetime(2024, 1, 2, 9, 15, 20, 500000) + timedelta(seconds=30 * i)


def write_ticks(tmp, head: str = "", spot: str = "", options: str = "", spot_ticks: bool = False):
    opts = [{"ts": tick(i), "expiry": EXP, "strike": 21000.0, "opt_type": ot, "close": px}
            for i in range(14) for ot, px in (("CE", 100.0 + i), ("PE", 90.0 - i))]
    times = [tick(i) for i in range(14)] if spot_ticks else [stamp(k) for k in range(8)]
    # and a pre-market print between the minutes: outside the session, a run never reads it
    spots = [{"ts": datetime(2024, 1, 2, 9, 7, 31, 500000), "close": 20990.0}] + [
        {"ts": t, "close": 21010.0} for t in times]
    return _write(tmp, opts, spots, head, spot, options)


def test_end_labelled_ticks_are_used_at_their_own_time(tmp_path):
    """At the 09:17 tick the newest print is 09:16:50.5 (i = 3), at 09:20 it is 09:19:50.5 (i = 9)."""
    assert fills(write_ticks(tmp_path)) == [("ce", 21000.0, "09:17", 103.0, "09:20", 109.0),
                                            ("pe", 21000.0, "09:17", 87.0, "09:20", 81.0)]


def test_start_labelled_option_ticks_stop_the_run_naming_the_file_the_row_and_the_fix(tmp_path):
    """Labelled by start, the print at 09:15:20.5 would be known at 09:16:20.5 and the 09:17 fill
    would be 101, not 103: a run used to do that silently. Now it stops (not a skipped day: every
    day would be wrong), naming the file, the first such row it read and the key to change."""
    from optbt.data.source import StartLabelledTicksError
    path = write_ticks(tmp_path, 'bar_label = "start"')
    with pytest.raises(StartLabelledTicksError) as err:
        fills(path)
    text = str(err.value)
    assert text.startswith(f"{path / 'o.parquet'}: options rows are ticks or quotes, not bars: the row at "
                           "2024-01-02 09:15:20.5 is not on a whole minute")
    assert "(this one at 09:16:20.5)" in text
    assert text.endswith('tick or quote rows are known at their own time: set bar_label = "end" in dataset.toml '
                         '(or under [options], for this table alone)')


def test_start_labelled_spot_ticks_name_the_spot_tables_own_key(tmp_path):
    from optbt.data.source import StartLabelledTicksError
    path = write_ticks(tmp_path, spot='bar_label = "start"', spot_ticks=True)
    with pytest.raises(StartLabelledTicksError) as err:
        fills(path)
    assert str(err.value).startswith(f"{path / 's.parquet'}: spot rows are ticks or quotes, not bars: the row at "
                                     "2024-01-02 09:15:20.5")
    assert '[spot] bar_label = "start" makes a run use every row 1 minute after' in str(err.value)
    assert str(err.value).endswith('set bar_label = "end" under [spot] in dataset.toml')


def test_a_start_labelled_minute_spot_beside_end_labelled_option_ticks_runs(tmp_path):
    """Minute bars on whole minutes are bars whatever their label (a print between the minutes
    outside the session is never read): only the spot is shifted. At 09:17 the spot is the bar
    stamped 09:16 (21010), and the options are priced at their own times as above."""
    path = write_ticks(tmp_path, spot='bar_label = "start"')
    assert fills(path) == [("ce", 21000.0, "09:17", 103.0, "09:20", 109.0),
                           ("pe", 21000.0, "09:17", 87.0, "09:20", 81.0)]


def test_data_check_reports_start_labelled_ticks_as_an_error(tmp_path):
    """Shifted, print i is known at 09:16:20.5 + 30 s * i, within (09:15, 09:22] for i = 0..11 (i = 12
    and 13 come after the close, outside the session, never read): 12 prints of each type, 24 rows,
    none on a whole minute."""
    from optbt.data.check import check_dataset
    path = write_ticks(tmp_path, 'bar_label = "start"')
    got = [f for f in check_dataset(load_dataset(path)).findings if f.check == "start_labelled_ticks"]
    assert [(f.level, f.where, f.count, f.sample["ts"], f.sample["known_at"]) for f in got] == [
        ("error", str(path / "o.parquet"), 24, "2024-01-02 09:15:20.5", "2024-01-02 09:16:20.5")]
    # labelled by end, or with the spot alone by start (its bars on whole minutes): no such finding
    for head, spot in (("", ""), ("", 'bar_label = "start"')):
        path = write_ticks(tmp_path, head, spot)
        assert not [f for f in check_dataset(load_dataset(path)).findings if f.check == "start_labelled_ticks"]


def test_a_start_labelled_series_of_ticks_is_refused_where_it_is_read_and_by_data_check(tmp_path):
    """[series.vix] bar_label = "start" over VIX prints between the minutes: reading it (what a
    strategy's vix does) stops, naming the series' key; data check counts its 3 rows in the session
    (09:16:05 .. 09:18:05 shifted; 09:21:05 is known at 09:22:05, after the close)."""
    from optbt.data.check import check_dataset
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.data.source import StartLabelledTicksError
    path = write_ticks(tmp_path)
    vix = [datetime(2024, 1, 2, 9, m, 5) for m in (15, 16, 17, 21)]
    pq.write_table(pa.table({"ts": vix, "close": [14.0, 14.1, 14.2, 14.3]}), tmp_path / "vix.parquet")
    with open(path / "dataset.toml", "a") as f:
        f.write('[series.vix]\npath = "vix.parquet"\nbar_label = "start"\n')
    src = DuckDBSource(load_dataset(path))
    try:
        with pytest.raises(StartLabelledTicksError) as err:
            src.ohlc_bars(DAY, "vix")
        assert str(err.value).startswith(f"{path / 'vix.parquet'}: series.vix rows are ticks or quotes, not bars: "
                                         "the row at 2024-01-02 09:15:05 is not on a whole minute")
        assert str(err.value).endswith('set bar_label = "end" under [series.vix] in dataset.toml')
    finally:
        src.close()
    got = [(f.level, f.where, f.count) for f in check_dataset(load_dataset(path)).findings
           if f.check == "start_labelled_ticks"]
    assert got == [("error", str(path / "vix.parquet"), 3)]


def test_data_check_prints_a_table_key_in_brackets_as_written(tmp_path):
    """The text report printed details through rich markup, which took "[options]" for a style
    and dropped it: the fix read 'or under , for this table alone'."""
    import os
    import subprocess
    import sys
    path = write_ticks(tmp_path, 'bar_label = "start"')
    out = subprocess.run([sys.executable, "-m", "optbt", "data", "check", str(path)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "COLUMNS": "2000"}).stdout
    assert "(or under [options], for this table alone)" in out
