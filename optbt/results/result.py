"""A backtest's result: trades, daily PnL, metrics, engine stats — and how it is written.

``write(out)`` produces ``trades.csv``/``trades.parquet`` (the pinned columns), ``daily.csv``
and ``summary.json``. The summary names the dataset and says plainly when it is synthetic.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from optbt.data.dataset import DatasetConfig
from optbt.model.instrument import TRADE_COLUMNS, Trade
from optbt.results.metrics import compute_metrics

DAILY_COLUMNS = ("day", "pnl", "trades", "cycles", "skipped")
# trades.parquet's pinned schema, as DuckDB types (the same parquet types as _trade_schema)
TRADE_SQL_TYPES = (
    ("day", "DATE"), ("cycle", "INTEGER"), ("key", "VARCHAR"), ("underlying", "VARCHAR"), ("expiry", "DATE"),
    ("strike", "DOUBLE"), ("opt_type", "VARCHAR"), ("side", "VARCHAR"), ("qty", "INTEGER"),
    ("entry_ts", "TIMESTAMP"), ("entry_price", "DOUBLE"), ("entry_lag", "INTEGER"), ("exit_ts", "TIMESTAMP"),
    ("exit_price", "DOUBLE"), ("exit_lag", "INTEGER"), ("exit_reason", "VARCHAR"), ("costs", "DOUBLE"),
    ("pnl", "DOUBLE"),
)


def _trade_schema():
    import pyarrow as pa  # imported here: a backtest that writes nothing never pays for it
    return pa.schema([
        ("day", pa.date32()), ("cycle", pa.int32()), ("key", pa.string()), ("underlying", pa.string()),
        ("expiry", pa.date32()), ("strike", pa.float64()), ("opt_type", pa.string()),
        ("side", pa.string()), ("qty", pa.int32()), ("entry_ts", pa.timestamp("us")),
        ("entry_price", pa.float64()), ("entry_lag", pa.int32()), ("exit_ts", pa.timestamp("us")),
        ("exit_price", pa.float64()), ("exit_lag", pa.int32()), ("exit_reason", pa.string()),
        ("costs", pa.float64()), ("pnl", pa.float64()),
    ])


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    pnl: float
    trades: int
    cycles: int
    skipped: bool


def _plain(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


@dataclass
class BacktestResult:
    strategy: str
    params: dict
    dataset: dict
    start: date | None
    end: date | None
    trades: list[Trade]
    daily: list[DayRow]
    engine: dict
    metrics: dict = field(default_factory=dict)

    @classmethod
    def build(cls, strategy, config: DatasetConfig, start, end, daily: list[DayRow], engine: dict):
        trades = list(strategy.closed_trades)
        metrics = compute_metrics([t.pnl for t in trades], [d.pnl for d in daily], [d.trades for d in daily])
        dataset = {"name": config.name, "path": config.root, "synthetic": config.synthetic}
        return cls(type(strategy).__name__, strategy.params(), dataset, start, end, trades,
                   daily, engine, metrics)

    @property
    def summary(self) -> dict:
        return {
            "strategy": self.strategy,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "dataset": self.dataset,
            "start": _plain(self.start or (self.daily[0].day if self.daily else None)),
            "end": _plain(self.end or (self.daily[-1].day if self.daily else None)),
            "metrics": self.metrics,
            "engine": self.engine,
        }

    def trade_rows(self) -> list[dict]:
        return [t.row() for t in self.trades]

    def daily_rows(self) -> list[dict]:
        return [{"day": d.day, "pnl": d.pnl, "trades": d.trades, "cycles": d.cycles,
                 "skipped": int(d.skipped)} for d in self.daily]

    def trades_table(self):
        """The trades as a pyarrow Table with the pinned schema."""
        import pyarrow as pa
        return pa.Table.from_pylist(self.trade_rows(), schema=_trade_schema())

    def write(self, out: str | Path) -> Path:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _write_csv(out / "trades.csv", TRADE_COLUMNS, self.trade_rows())
        from optbt.data.duckdb_source import csv_to_parquet
        csv_to_parquet(out / "trades.csv", out / "trades.parquet", TRADE_SQL_TYPES)
        _write_csv(out / "daily.csv", DAILY_COLUMNS, self.daily_rows())
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2, default=_plain) + "\n")
        return out


def _write_csv(path: Path, columns, rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns))
        w.writeheader()
        for row in rows:
            w.writerow({k: _plain(row[k]) for k in columns})
