"""A backtest's result: trades, daily PnL, metrics, engine stats — and how it is written.

``write(out)`` produces ``trades.csv``/``trades.parquet`` (the pinned columns), ``daily.csv``
and ``summary.json``, replacing ``out`` whole (:mod:`optbt.results.folder`). The summary names
the dataset and says plainly when it is synthetic.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from optbt.data.dataset import DatasetConfig
from optbt.model.instrument import CHARGE_COLUMNS, TRADE_COLUMNS, Trade
from optbt.results.folder import absolute, replacing
from optbt.results.metrics import compute_metrics

DAILY_COLUMNS = ("day", "pnl", "trades", "cycles", "skipped", "skip_reason")

# Why a day did not run (docs/data.md, "Skipped days"). The first four are holes in the data:
# such a day is left out of the daily metrics (it is not a day the strategy chose not to trade).
SKIP_REASONS = {
    "no_spot": "no spot bar in the session",
    "no_options": "no option rows for the day",
    "no_ticks": "the clock has no tick in the session",
    "data_error": "the day's data could not be read",
    "no_expiry": "no listed expiry matches the strategy's expiry rule",
    "on_day_start": "the strategy's on_day_start skipped it",
}
DATA_SKIPS = frozenset({"no_spot", "no_options", "no_ticks", "data_error"})
# trades.parquet's pinned schema, as DuckDB types (the same parquet types as _trade_schema)
TRADE_SQL_TYPES = (
    ("day", "DATE"), ("cycle", "INTEGER"), ("key", "VARCHAR"), ("underlying", "VARCHAR"), ("expiry", "DATE"),
    ("strike", "DOUBLE"), ("opt_type", "VARCHAR"), ("side", "VARCHAR"), ("qty", "INTEGER"),
    ("entry_ts", "TIMESTAMP"), ("entry_price", "DOUBLE"), ("entry_lag", "INTEGER"), ("exit_ts", "TIMESTAMP"),
    ("exit_price", "DOUBLE"), ("exit_lag", "INTEGER"), ("exit_reason", "VARCHAR"), ("costs", "DOUBLE"),
    ("pnl", "DOUBLE"), *((c, "DOUBLE") for c in CHARGE_COLUMNS), ("slippage", "DOUBLE"), ("mae", "DOUBLE"),
    ("mfe", "DOUBLE"),
)


def _trade_schema():
    import pyarrow as pa  # imported here: a backtest that writes nothing never pays for it
    return pa.schema([
        ("day", pa.date32()), ("cycle", pa.int32()), ("key", pa.string()), ("underlying", pa.string()),
        ("expiry", pa.date32()), ("strike", pa.float64()), ("opt_type", pa.string()),
        ("side", pa.string()), ("qty", pa.int32()), ("entry_ts", pa.timestamp("us")),
        ("entry_price", pa.float64()), ("entry_lag", pa.int32()), ("exit_ts", pa.timestamp("us")),
        ("exit_price", pa.float64()), ("exit_lag", pa.int32()), ("exit_reason", pa.string()),
        ("costs", pa.float64()), ("pnl", pa.float64()), *((c, pa.float64()) for c in CHARGE_COLUMNS),
        ("slippage", pa.float64()), ("mae", pa.float64()), ("mfe", pa.float64()),
    ])


def _daily_schema():
    import pyarrow as pa
    return pa.schema([("day", pa.date32()), ("pnl", pa.float64()), ("trades", pa.int32()),
                      ("cycles", pa.int32()), ("skipped", pa.int8()), ("skip_reason", pa.string())])


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    pnl: float
    trades: int
    cycles: int
    skipped: bool
    skip_reason: str = ""  # one of SKIP_REASONS when skipped
    note: str = ""         # e.g. the data error's message, or the listed expiries


def _plain(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, float) and v == 0:
        return 0.0  # a flat short leg's -0.0 (-(x - x)) is written as 0.0
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
    # what the engine noticed that explains an empty result: the data's range and underlyings
    # when no day ran, which leg or condition blocked entries when nothing traded
    notes: dict = field(default_factory=dict)
    trace: list[dict] = field(default_factory=list)  # --trace records (optbt.results.trace)
    param_kinds: dict = field(default_factory=dict)  # e.g. {"sl_pct": "percent"} (Strategy.PARAM_KINDS)
    costs: dict = field(default_factory=dict)  # the slippage, commission and charge schedule the fills used
    capital: float | None = None  # optbt run --capital: the report shows returns as a percentage of it

    @classmethod
    def build(cls, strategy, config: DatasetConfig, start, end, daily: list[DayRow], engine: dict,
              notes: dict | None = None, trace: list[dict] | None = None):
        trades = list(strategy.closed_trades)
        ran = [d for d in daily if d.skip_reason not in DATA_SKIPS]  # a hole in the data is not a flat day
        metrics = compute_metrics([t.pnl for t in trades], [d.pnl for d in ran], [d.trades for d in ran],
                                  [d.day for d in ran])
        dataset = {"name": config.name, "path": config.root, "synthetic": config.synthetic}
        return cls(type(strategy).__name__, strategy.params(), dataset, start, end, trades,
                   daily, engine, metrics, dict(notes or {}), list(trace or []),
                   dict(getattr(strategy, "PARAM_KINDS", None) or {}))

    def skips(self) -> dict[str, list[DayRow]]:
        """Skipped days by reason, in the order reasons first occur."""
        out: dict[str, list[DayRow]] = {}
        for d in self.daily:
            if d.skipped:
                out.setdefault(d.skip_reason or "on_day_start", []).append(d)
        return out

    @property
    def summary(self) -> dict:
        return {
            "strategy": self.strategy,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "param_kinds": self.param_kinds,
            "dataset": self.dataset,
            "start": _plain(self.start or (self.daily[0].day if self.daily else None)),
            "end": _plain(self.end or (self.daily[-1].day if self.daily else None)),
            "metrics": self.metrics,
            "engine": self.engine,
            "skips": {reason: len(rows) for reason, rows in self.skips().items()},
            "skipped_days": {reason: {"first_days": [r.day.isoformat() for r in rows[:5]],
                                      "note": next((r.note for r in rows if r.note), "")}
                             for reason, rows in self.skips().items()},
            "notes": self.notes,
            "costs": self.costs,
            **({"capital": self.capital, "on_capital": self.on_capital()} if self.capital else {}),
        }

    def on_capital(self) -> dict:
        """Return and max drawdown as percentages of ``capital`` (``optbt run --capital``)."""
        m = self.metrics
        pct = {k: round(m[k] / self.capital * 100, 4) if isinstance(m.get(k), (int, float)) else None
               for k in ("total_pnl", "max_drawdown")}
        return {"return_pct": pct["total_pnl"], "max_drawdown_pct": pct["max_drawdown"]}

    def trade_rows(self) -> list[dict]:
        return [t.row() for t in self.trades]

    def daily_rows(self) -> list[dict]:
        return [{"day": d.day, "pnl": d.pnl, "trades": d.trades, "cycles": d.cycles,
                 "skipped": int(d.skipped), "skip_reason": d.skip_reason} for d in self.daily]

    def trades_table(self):
        """The trades as a pyarrow Table with the pinned schema."""
        import pyarrow as pa
        return pa.Table.from_pylist(self.trade_rows(), schema=_trade_schema())

    def daily_table(self):
        """The days as a pyarrow Table (the columns of daily.csv)."""
        import pyarrow as pa
        return pa.Table.from_pylist(self.daily_rows(), schema=_daily_schema())

    def write(self, out: str | Path, also: Iterable[Callable[[Path], object]] = ()) -> Path:
        """Write the results as the whole of ``out`` (see :mod:`optbt.results.folder`).

        Everything is written into a temporary folder beside ``out`` that replaces it at the
        end, so ``out`` holds the old complete results or the new ones, and nothing of an
        earlier run that this one did not write. ``also`` are more writers (the report, a
        trace), each called with the temporary folder before the swap.
        """
        with replacing(out) as tmp:
            self.write_files(tmp)
            for write in also:
                write(tmp)
        return absolute(out)

    def write_files(self, out: Path) -> None:
        """The four result files into an existing folder (no replacing: see ``write``)."""
        _write_csv(out / "trades.csv", TRADE_COLUMNS, self.trade_rows())
        from optbt.data.csv_parquet import csv_to_parquet
        csv_to_parquet(out / "trades.csv", out / "trades.parquet", TRADE_SQL_TYPES)
        _write_csv(out / "daily.csv", DAILY_COLUMNS, self.daily_rows())
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2, default=_plain) + "\n")


def _write_csv(path: Path, columns, rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns))
        w.writeheader()
        for row in rows:
            w.writerow({k: _plain(row[k]) for k in columns})
