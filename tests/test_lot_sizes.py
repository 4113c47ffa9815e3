"""Lot sizes that change over the years (``[lot_size_from]`` in dataset.toml).

NSE moved NIFTY's lot from 50 to 25 (2024-04-26) and to 75 (2024-12-26): a run over those
years at one size scaled every trade of the other periods wrong, exit 0. Each trade now takes
the lot of the day it was entered. Every figure below is worked out by hand in its comment.
"""

from __future__ import annotations

from datetime import date

import pytest

from optbt import ConfigError, run_backtest
from optbt.data.dataset import load_dataset
from tests.kit import MemorySource, config, inst, write_parquet
from tests.test_costs_charged import CE, SellCall

BEFORE, ON, AFTER = date(2024, 4, 25), date(2024, 4, 26), date(2024, 12, 26)
# the day of tests/test_costs_charged.py: the ATM call sold at 09:17 (100), bought back at 09:20 (80),
# 2 lots (spot 22010 -> ATM 22000 here)


def days() -> dict:
    return {d: {"spot": [22010.0] * len(CE), "options": {inst(22000, "CE", expiry=d): list(CE)}}
            for d in (BEFORE, ON, AFTER)}


def test_each_trade_takes_the_lot_of_its_day():
    # 20 points x 2 lots: x 50 before 2024-04-26 (2,000), x 25 from it (1,000), x 75 from 2024-12-26 (3,000)
    cfg = config(len(CE), lot_size=50, lot_size_from={ON: 25, AFTER: 75})
    res = run_backtest(SellCall, source=MemorySource(days(), cfg))
    assert [(t.day, t.lot_size, t.pnl) for t in res.trades] == [(BEFORE, 50, 2000.0), (ON, 25, 1000.0),
                                                               (AFTER, 75, 3000.0)]


def test_charges_follow_the_lot_of_the_day():
    # NSE preset, sell 2 lots at 100 and buy back at 80. At 25 a lot: premiums 5,000 and 4,000;
    #   brokerage 20 + 20; STT 0.1 % of the sell = 5; exchange 0.03503 % of 9,000 = 3.1527;
    #   SEBI 10/crore of 9,000 = 0.009; stamp 0.003 % of the buy = 0.12; GST 18 % of
    #   (40 + 3.1527 + 0.009) = 7.769106. Total 76.050806, half of the 50-lot day's but brokerage.
    cfg = config(len(CE), lot_size=50, lot_size_from={ON: 25}, costs={"preset": "nse"})
    on = [t for t in run_backtest(SellCall, source=MemorySource(days(), cfg)).trades if t.day == ON]
    assert on[0].costs == pytest.approx(40 + 5 + 3.1527 + 0.009 + 0.12 + 7.769106)
    assert on[0].pnl == pytest.approx(1000 - on[0].costs)


def test_the_table_reads_from_dataset_toml_with_dates_as_keys(tmp_path):
    root = write_parquet(tmp_path / "d", days(), n_ticks=len(CE), lot_size=50)
    toml = root / "dataset.toml"
    toml.write_text(toml.read_text() + "[lot_size_from]\n2024-04-26 = 25\n\"2024-12-26\" = 75\n")
    res = run_backtest(SellCall, data=load_dataset(root))
    assert [(t.day, t.pnl) for t in res.trades] == [(BEFORE, 2000.0), (ON, 1000.0), (AFTER, 3000.0)]


@pytest.mark.parametrize("table, message", [
    ("2024-04-26 = 0", "the lot size from 2024-04-26 is 0.0"),
    ("2024-04-26 = nan", "the lot size from 2024-04-26 is nan"),
    ("2024-13-01 = 25", "lot_size_from"),
    ("2024-04-26 = \"a lot\"", "lot_size_from"),
])
def test_a_lot_size_change_that_is_no_size_or_no_day_is_refused(tmp_path, table, message):
    root = write_parquet(tmp_path / "d", days(), n_ticks=len(CE), lot_size=50)
    toml = root / "dataset.toml"
    toml.write_text(toml.read_text() + f"[lot_size_from]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load_dataset(root)
