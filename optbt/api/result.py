"""A backtest's result as a notebook shows it: Arrow tables, a summary, a report, inline HTML."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

from optbt.model.errors import ConfigError
from optbt.results.metrics import drawdown_text, metric_text, money, plain_number
from optbt.results.result import BacktestResult


class Result:
    """What ``optbt.backtest`` returns.

    ``trades`` and ``daily`` are pyarrow Tables (``.to_pandas()`` works when pandas is
    installed; :meth:`to_polars` when polars is); ``summary`` is the dict written to
    ``summary.json``; :meth:`report` writes the same HTML report as ``optbt run --report``;
    in Jupyter the result shows itself as a summary table with a small equity curve.
    """

    def __init__(self, result: BacktestResult):
        self.result = result

    @property
    def trades(self):
        return self.result.trades_table()

    @property
    def daily(self):
        return self.result.daily_table()

    @property
    def summary(self) -> dict:
        return self.result.summary

    @property
    def metrics(self) -> dict:
        return self.result.metrics

    def to_polars(self, which: str = "trades"):
        """``trades`` or ``daily`` as a polars DataFrame (needs ``pip install polars``)."""
        table = self._table(which)
        try:
            import polars as pl
        except ImportError:
            raise ConfigError("to_polars needs polars: pip install polars") from None
        return pl.from_arrow(table)

    def to_pandas(self, which: str = "trades"):
        """``trades`` or ``daily`` as a pandas DataFrame (needs ``pip install pandas``)."""
        table = self._table(which)
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ConfigError("to_pandas needs pandas: pip install pandas") from None
        return table.to_pandas()

    def _table(self, which: str):
        if which not in ("trades", "daily"):
            raise ConfigError(f"which must be 'trades' or 'daily', not {which!r}")
        return self.trades if which == "trades" else self.daily

    def write(self, out: str | Path) -> Path:
        """trades.csv/.parquet, daily.csv and summary.json into ``out`` (as ``optbt run`` writes)."""
        return self.result.write(out)

    def report(self, path: str | Path = "report.html", capital: float | None = None) -> Path:
        """Write the self-contained HTML report (and ``equity.png`` beside it); return its path.

        ``capital`` adds return and max drawdown as percentages of it."""
        from optbt.results.report import write_report
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="optbt-report-") as tmp:
            run_dir = self.result.write(Path(tmp) / "run")
            page = write_report(run_dir, capital=capital)
            _not_into_other_results(target, run_dir / "summary.json")
            target.write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
            png = run_dir / "equity.png"
            if png.exists():
                (target.parent / "equity.png").write_bytes(png.read_bytes())
        return target

    def __repr__(self) -> str:
        m = self.metrics
        return (f"<optbt Result {self.result.strategy}: {m.get('trades', 0)} trades, "
                f"total pnl {money(m.get('total_pnl', 0))}>")

    def _repr_html_(self) -> str:
        r = self.result
        m = r.metrics
        shown = {}
        for k, v in m.items():  # the drawdown's dates in one row, as the report's card has them
            if not k.startswith("max_drawdown_"):
                shown[k] = _fmt(k, v)
            if k == "max_drawdown" and drawdown_text(m):
                shown["drawdown dates"] = drawdown_text(m)
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                       f"<td style='text-align:right'>{html.escape(v)}</td></tr>" for k, v in shown.items())
        params = ", ".join(f"{k}={plain_number(v) if isinstance(v, float) else v}" for k, v in r.params.items())
        synthetic = (" <b style='color:#b36b00'>SYNTHETIC data</b>" if r.dataset.get("synthetic") else "")
        return (f"<div class='optbt-result'><div><b>{html.escape(r.strategy)}</b> "
                f"({html.escape(params)}) on {html.escape(str(r.dataset.get('name')))}{synthetic}</div>"
                f"{equity_svg([d.pnl for d in r.daily])}"
                f"<table>{rows}</table></div>")


def _not_into_other_results(target: Path, ours: Path) -> None:
    """Refuse a report path in another results folder (as ``optbt report --out`` does): beside
    that run's trades the page and equity.png would pass for its own. The folder this result
    was written to (``write``, the same summary.json) is its own."""
    folder = target.parent
    theirs = folder / "summary.json"
    other = (folder / "sweep.json").is_file() or (theirs.is_file() and theirs.read_bytes() != ours.read_bytes())
    if other:
        held = "sweep.json" if (folder / "sweep.json").is_file() else "summary.json"
        raise ConfigError(f"cannot write the report to {target}: {folder} holds other results ({held}), beside"
                          " which it would pass for theirs; choose a path outside any results folder")


def _fmt(name: str, v: Any) -> str:
    """A metric as the console and the report show it ('-' for none, a win rate in percent)."""
    return metric_text(name, v)


def equity_svg(daily_pnl: list[float], width: int = 320, height: int = 90) -> str:
    """A small inline SVG of the cumulative PnL (no plotting library, nothing fetched).

    >>> equity_svg([]).startswith("<svg") and "no days" in equity_svg([])
    True
    """
    if not daily_pnl:
        return f"<svg width='{width}' height='20'><text x='0' y='14'>no days</text></svg>"
    eq, total = [0.0], 0.0
    for p in daily_pnl:
        total += p
        eq.append(total)
    lo, hi = min(eq), max(eq)
    span = (hi - lo) or 1.0
    pts = " ".join(f"{i * (width - 4) / (len(eq) - 1) + 2:.1f},{height - 2 - (v - lo) * (height - 4) / span:.1f}"
                   for i, v in enumerate(eq))
    zero = height - 2 - (0 - lo) * (height - 4) / span
    colour = "#2a7d2a" if total >= 0 else "#b22222"
    return (f"<svg width='{width}' height='{height}' role='img' aria-label='equity curve'>"
            f"<line x1='0' x2='{width}' y1='{zero:.1f}' y2='{zero:.1f}' stroke='#bbb' stroke-dasharray='3,3'/>"
            f"<polyline fill='none' stroke='{colour}' stroke-width='1.5' points='{pts}'/></svg>")
