"""trades.parquet has the pinned schema and exactly the values of the run (written via DuckDB)."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow.parquet as pq

from optbt.model.instrument import TRADE_COLUMNS
from optbt.results.result import TRADE_SQL_TYPES, BacktestResult, DayRow, _trade_schema


class _Row:
    def __init__(self, **row):
        self._row = row

    def row(self):
        return self._row


def _result(rows):
    return BacktestResult("S", {}, {"name": "x", "synthetic": False}, None, None, [_Row(**r) for r in rows],
                          [DayRow(date(2024, 1, 2), 0.0, len(rows), 1, False)], {}, {})


def test_trades_parquet_has_the_pinned_schema_and_exact_values(tmp_path):
    rows = [
        dict(day=date(2024, 1, 2), cycle=1, key='we,ird "key"', underlying="NIFTY", expiry=date(2024, 1, 4),
             strike=21050.0, opt_type="CE", side="SELL", qty=2, entry_ts=datetime(2024, 1, 2, 9, 20),
             entry_price=0.1 + 0.2, entry_lag=0, exit_ts=datetime(2024, 1, 2, 15, 15, 0, 500),
             exit_price=2.5999999999999996, exit_lag=3, exit_reason="stop_loss", costs=1e-7, pnl=-1234.5678901234567,
             brokerage=40.0, stt=0.1 + 0.2, exchange=3.503, sebi=0.01, stamp=0.0, gst=7.8, fees=0.0,
             slippage=12.5, mae=-1500.0, mfe=250.25),
        dict(day=date(2024, 1, 2), cycle=2, key="pe", underlying="NIFTY", expiry=date(2024, 1, 4), strike=20950.0,
             opt_type="PE", side="BUY", qty=1, entry_ts=datetime(2024, 1, 2, 9, 21), entry_price=88.0, entry_lag=1,
             exit_ts=None, exit_price=None, exit_lag=None, exit_reason="", costs=0.0, pnl=0.0,
             **dict.fromkeys(("brokerage", "stt", "exchange", "sebi", "stamp", "gst", "fees", "slippage", "mae",
                              "mfe"), 0.0)),
    ]
    out = _result(rows).write(tmp_path / "run")
    table = pq.read_table(out / "trades.parquet")
    assert [n for n, _ in TRADE_SQL_TYPES] == list(TRADE_COLUMNS)
    assert table.schema.equals(_trade_schema(), check_metadata=False)
    got = table.to_pylist()
    assert got[0] == rows[0]
    assert got[1] == {**rows[1], "exit_reason": None}  # an empty text field reads back as NULL


def test_the_daily_table_has_every_daily_csv_column():
    from optbt.results.result import DAILY_COLUMNS
    table = _result([]).daily_table()
    assert table.column_names == list(DAILY_COLUMNS)
    assert table.to_pylist() == [{"day": date(2024, 1, 2), "pnl": 0.0, "trades": 0, "cycles": 1, "skipped": 0,
                                  "skip_reason": ""}]
