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
