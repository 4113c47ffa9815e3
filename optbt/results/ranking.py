"""Which run is better: the metrics a sweep ranks by, and which way each one points."""

from __future__ import annotations

from typing import Any

from optbt.model.errors import ConfigError, did_you_mean

# metrics where a smaller number is the better result
LOWER_IS_BETTER = frozenset({"max_drawdown", "max_consecutive_losses"})
METRICS = ("total_pnl", "sharpe", "profit_factor", "win_rate", "avg_win", "avg_loss",
           "max_drawdown", "max_consecutive_losses", "trades", "days_traded")
META_COLUMNS = ("run", "run_id", "status", "error", "seconds", "worker")
# the metrics a top-runs table shows after the one ranked by
SHOWN_METRICS = ("total_pnl", "sharpe", "max_drawdown", "win_rate", "trades")


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ConfigError(f"--metric {metric!r} is not a metric{did_you_mean(metric, METRICS)};"
                          f" choose one of {', '.join(METRICS)}")
    return metric


def shown_metrics(metric: str) -> list[str]:
    """The ranking metric first, then the usual ones."""
    return [metric] + [m for m in SHOWN_METRICS if m != metric]


def param_column(name: str) -> str:
    """A parameter's column in the table: its name, unless a metric or bookkeeping column has it.

    >>> param_column("sl_pct"), param_column("trades")
    ('sl_pct', 'param_trades')
    """
    return f"param_{name}" if name in META_COLUMNS or name in METRICS else name



def better(metric: str, a: Any, b: Any) -> bool:
    """Is ``a`` a better value of ``metric`` than ``b``? (None is never better.)"""
    if a is None:
        return False
    if b is None:
        return True
    return a < b if metric in LOWER_IS_BETTER else a > b


def _ranked_value(row: dict, metric: str) -> float | None:
    """The value ``metric`` is ranked by. A run whose trades never lost has no profit factor
    or average loss (nothing to divide by): the best there is (infinite, zero), not the worst."""
    value = row.get(metric)
    if value is None and (row.get("trades") or 0) > 0 and not row.get("avg_loss"):
        if metric == "profit_factor" and (row.get("avg_win") or 0) > 0:
            return float("inf")
        if metric == "avg_loss":
            return 0.0
    return value


def rank(rows: list[dict], metric: str) -> list[dict]:
    """Finished runs, best first by ``metric``, then grid order. Runs without a value, and
    runs that made no trade (whose drawdown of 0 is no achievement), come last."""
    ok = [r for r in rows if r["status"] == "ok"]
    sign = 1 if metric in LOWER_IS_BETTER else -1
    have, rest = [], []
    for r in ok:
        value = _ranked_value(r, metric) if (r.get("trades") or 0) > 0 or "trades" not in r else None
        if value is None:
            rest.append(r)
        else:
            have.append((sign * value, r["run"], r))
    have.sort(key=lambda x: x[:2])
    return [r for *_, r in have] + rest
