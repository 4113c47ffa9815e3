"""Performance statistics: one pure function over trades and daily PnL.

>>> m = compute_metrics([100.0, -50.0, 25.0], [100.0, -50.0, 25.0])
>>> m["total_pnl"], m["win_rate"], m["profit_factor"], m["max_drawdown"], m["max_consecutive_losses"]
(75.0, 0.6667, 2.5, 50.0, 1)
>>> compute_metrics([-51.84767] * 5, [-51.84767] * 5)["sharpe"] is None   # days that never vary
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

NOISE = 1e-9  # relative: a spread of daily PnL below this is rounding in the sums, not variation


def compute_metrics(trade_pnls: Sequence[float], daily_pnls: Sequence[float],
                    daily_trades: Sequence[int] | None = None) -> dict:
    """Metrics a trader reads first.

    ``max_drawdown`` is the largest peak-to-trough fall of cumulative daily PnL (a positive
    amount); ``sharpe`` is mean / sample std of daily PnL × √252 over every day of the run
    (days without trades count as 0), None with fewer than two days or no variation (a std
    under 1e-9 of the mean's size, or of one currency unit, is float noise: five equal days
    of -51.84767 have a mean one unit in the last place off, which made a Sharpe of -1e17);
    ``profit_factor`` is None when there are no losing trades.
    """
    wins = [p for p in trade_pnls if p > 0]
    losses = [p for p in trade_pnls if p < 0]
    n = len(trade_pnls)
    peak = equity = dd = 0.0
    for p in daily_pnls:
        equity += p
        peak = max(peak, equity)
        dd = max(dd, peak - equity)
    sharpe = None
    if len(daily_pnls) >= 2:
        mean = sum(daily_pnls) / len(daily_pnls)
        std = math.sqrt(sum((p - mean) ** 2 for p in daily_pnls) / (len(daily_pnls) - 1))
        if std > NOISE * max(1.0, abs(mean)):
            sharpe = round(mean / std * math.sqrt(252), 4)
    streak = worst = 0
    for p in trade_pnls:
        streak = streak + 1 if p < 0 else 0
        worst = max(worst, streak)
    return {
        "total_pnl": round(float(sum(trade_pnls)), 4) + 0.0,  # a float always, never -0.0
        "trades": n,
        "win_rate": round(len(wins) / n, 4) if n else None,
        "avg_win": round(sum(wins) / len(wins), 4) if wins else None,
        "avg_loss": round(sum(losses) / len(losses), 4) if losses else None,
        "profit_factor": round(sum(wins) / -sum(losses), 4) if losses else None,
        "max_drawdown": round(dd, 4),
        "sharpe": sharpe,
        "max_consecutive_losses": worst,
        "days": len(daily_pnls),
        "days_traded": (sum(1 for n in daily_trades if n) if daily_trades is not None
                        else sum(1 for p in daily_pnls if p != 0)),
    }


def money(v: float) -> str:
    """An amount as the console and the report show it: 2 decimals of its 4-decimal figure (the
    one summary.json holds), thousands separators, never "-0.00". A PnL of 749.9949998
    (summary.json: 749.995) is 750.00 on the card and in every table, not 749.99 beside it.

    >>> money(749.9949998), money(-0.00001), money(1234.5)
    ('750.00', '0.00', '1,234.50')
    """
    return f"{round(v, 4) + 0.0:,.2f}"
