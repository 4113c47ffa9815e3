"""Performance statistics: one pure function over trades and daily PnL.

>>> m = compute_metrics([100.0, -50.0, 25.0], [100.0, -50.0, 25.0])
>>> m["total_pnl"], m["win_rate"], m["profit_factor"], m["max_drawdown"], m["max_consecutive_losses"]
(75.0, 0.6667, 2.5, 50.0, 1)
>>> compute_metrics([-51.84767] * 5, [-51.84767] * 5)["sharpe"] is None   # days that never vary
True
>>> from datetime import date
>>> days = [date(2024, 1, d) for d in (2, 3, 4, 5)]
>>> span = drawdown_span([100.0, -50.0, 25.0, 30.0], days)
>>> span["max_drawdown_peak"], span["max_drawdown_trough"], span["max_drawdown_recovery"], span["max_drawdown_days"]
('2024-01-02', '2024-01-03', '2024-01-05', 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NOISE = 1e-9  # relative: a spread of daily PnL below this is rounding in the sums, not variation


def compute_metrics(trade_pnls: Sequence[float], daily_pnls: Sequence[float],
                    daily_trades: Sequence[int] | None = None, days: Sequence[date] | None = None) -> dict:
    """Metrics a trader reads first.

    ``max_drawdown`` is the largest peak-to-trough fall of cumulative daily PnL (a positive
    amount); ``sharpe`` is mean / sample std of daily PnL × √252 over every day of the run
    (days without trades count as 0), None with fewer than two days or no variation (a std
    under 1e-9 of the mean's size, or of one currency unit, is float noise: five equal days
    of -51.84767 have a mean one unit in the last place off, which made a Sharpe of -1e17);
    ``profit_factor`` is None when there are no losing trades. ``days`` (the dates of
    ``daily_pnls``) date the max drawdown: :func:`drawdown_span`.
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
        "win_rate": share(len(wins), n) if n else None,
        "avg_win": round(sum(wins) / len(wins), 4) if wins else None,
        "avg_loss": round(sum(losses) / len(losses), 4) if losses else None,
        "profit_factor": round(sum(wins) / -sum(losses), 4) if losses else None,
        "max_drawdown": round(dd, 4),
        **drawdown_span(daily_pnls, days),
        "sharpe": sharpe,
        "max_consecutive_losses": worst,
        "days": len(daily_pnls),
        "days_traded": (sum(1 for n in daily_trades if n) if daily_trades is not None
                        else sum(1 for p in daily_pnls if p != 0)),
    }


def share(part: int, whole: int) -> float:
    """``part / whole`` (a win rate) to 4 decimals, or to as many more as keep a share strictly
    between 0 and 1 strictly between them. Rounded to 4, 20,000 wins in 20,001 trades was 1.0 in
    summary.json, and every table printed 100.0 % beside the losing trade. Such a share is at
    least ``1 / whole`` from 0 and from 1, and rounding moves it by at most half a unit of the
    last decimal kept, so the loop stops by ``10 ** -places < 1 / whole``; an ordinary rate keeps
    its 4 decimals.

    >>> share(2, 3), share(20000, 20001), share(1, 20001), share(0, 5), share(5, 5)
    (0.6667, 0.99995, 5e-05, 0.0, 1.0)
    """
    rate = part / whole
    places = 4
    while 0 < rate < 1 and not 0 < round(rate, places) < 1 and places < 17:
        places += 1
    return round(rate, places)


def _noise(x: float) -> float:
    return NOISE * max(1.0, abs(x))


def drawdown_span(daily_pnls: Sequence[float], days: Sequence[date] | None) -> dict:
    """When the max drawdown happened, on the same daily closes from 0 as ``max_drawdown``.

    ``max_drawdown_peak``: the last day whose close was the high the fall started from (None
    when that high is the start, 0 before the first day: a run that loses from its first day);
    ``max_drawdown_trough``: the day of the lowest close below it (of two equal falls, the
    first); ``max_drawdown_recovery``: the first day after the trough whose close is back at or
    above the peak (None: not recovered by the end); ``max_drawdown_days``: the days (rows of
    ``daily_pnls``) from the peak to the recovery, or to the last day when not recovered. All
    None, and 0 days, when equity never fell below its peak. Closes within float noise of each
    other (a sum taken in another order) count as equal. Dates are ISO text; None without ``days``.
    """
    equity = peak = deepest = 0.0
    peak_at: int | None = None  # index of the last close at the peak; None: the start
    span: tuple[int | None, int, float] | None = None  # (peak index, trough index, peak value)
    closes = []
    for i, p in enumerate(daily_pnls):
        equity += p
        closes.append(equity)
        if equity >= peak - _noise(peak):
            peak, peak_at = max(peak, equity), i
        elif peak - equity > deepest + _noise(deepest):
            deepest, span = peak - equity, (peak_at, i, peak)
    if span is None:
        return {"max_drawdown_peak": None, "max_drawdown_trough": None, "max_drawdown_recovery": None,
                "max_drawdown_days": 0}
    start, trough, high = span
    recovery = next((j for j in range(trough + 1, len(closes)) if closes[j] >= high - _noise(high)), None)

    def iso(i: int | None) -> str | None:
        return None if i is None or days is None else days[i].isoformat()
    return {"max_drawdown_peak": iso(start), "max_drawdown_trough": iso(trough),
            "max_drawdown_recovery": iso(recovery),
            "max_drawdown_days": (len(closes) - 1 if recovery is None else recovery) - (-1 if start is None else start)}


def drawdown_text(m: dict, with_days: bool = True) -> str | None:
    """The max drawdown's dates in one line, as the report's card shows them: peak to trough,
    the recovery, and the days from peak to recovery (or to the end); the console gives the
    days a row of their own (``with_days=False``), so the line fits 80 columns. "-" when there
    was no drawdown; None for a summary written before the dates were (nothing to show).

    >>> drawdown_text({"max_drawdown_peak": None, "max_drawdown_trough": "2024-01-02",
    ...                "max_drawdown_recovery": None, "max_drawdown_days": 3})
    'start to 2024-01-02, not recovered (3 days)'
    """
    if "max_drawdown_trough" not in m:
        return None
    if m["max_drawdown_trough"] is None:
        return "-"
    back = m.get("max_drawdown_recovery")
    n = m.get("max_drawdown_days")
    return (f"{m.get('max_drawdown_peak') or 'start'} to {m['max_drawdown_trough']}, "
            f"{f'recovered {back}' if back else 'not recovered'}"
            + (f" ({n} day{'' if n == 1 else 's'})" if with_days else ""))


def money(v: float) -> str:
    """An amount as the console and the report show it: 2 decimals of its 4-decimal figure (the
    one summary.json holds), thousands separators, never "-0.00". A PnL of 749.9949998
    (summary.json: 749.995) is 750.00 on the card and in every table, not 749.99 beside it.

    >>> money(749.9949998), money(-0.00001), money(1234.5), money(-0.004), money(0.125), money(-0.125)
    ('750.00', '0.00', '1,234.50', '0.00', '0.13', '-0.13')
    """
    return f"{cents(v) + 0.0:,.2f}"


def cents(v: float) -> float:
    """The figure ``money`` shows, as a number (to say whether it shows as a gain or a loss):
    a PnL of -0.004 shows as 0.00, neither.

    >>> cents(749.9949998), cents(-0.004)
    (750.0, -0.0)
    """
    return shown(v, 2)


def whole(v: float) -> str:
    """An amount in whole units with thousands separators, as the report's monthly grid shows a
    month: 2.5 is 3 and -2.5 is -3 (``round`` made them 2 and -2), never "-0".

    >>> whole(2.5), whole(-2.5), whole(1234.4999), whole(-0.3), whole(0.4999)
    ('3', '-3', '1,234', '0', '0')
    """
    return f"{shown(v, 0) + 0.0:,.0f}"


def shown(v: float, places: int) -> float:
    """``v`` as a table shows it to ``places`` decimals: its 4-decimal figure (the one
    summary.json holds) rounded half away from zero, as a trader rounds the decimal he reads.
    ``round`` rounds half to even, on the binary value: 0.125 was 0.12, 2.5 was 2, 1.005 was
    1.0 (1.00499999...). Stored figures are not rounded this way; only what is shown.

    >>> shown(0.125, 2), shown(2.5, 0), shown(1.005, 2), shown(-0.125, 2), shown(0.0049, 2)
    (0.13, 3.0, 1.01, -0.13, 0.0)
    """
    v = round(v, 4)
    if not math.isfinite(v):
        return v
    return float(Decimal(repr(v)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def plain_number(v: float | str) -> str:
    """A price or a parameter with every digit it has (Python's shortest text for the float, or
    the text trades.csv holds), in positional notation: a price of 0.00001 showed as 1e-05 in
    the report's trades, 1e-07 as 1e-07, a strike of 1e16 as 1e+16. Text that is no number in
    exponent form is returned as it is.

    >>> plain_number(1e-05), plain_number(0.05), plain_number("1e-07"), plain_number(2.5e16), plain_number(88.05)
    ('0.00001', '0.05', '0.0000001', '25000000000000000', '88.05')
    """
    text = v if isinstance(v, str) else repr(v + 0.0)
    if "e" not in text.lower():
        return text
    try:
        return format(Decimal(text), "f")
    except InvalidOperation:
        return text


def percent(v: float, places: int = 2) -> str:
    """A percentage (``v`` already in percent) with thousands separators, never "-0.00 %".

    >>> percent(1234.5), percent(-0.001), percent(0.125)
    ('1,234.50 %', '0.00 %', '0.13 %')
    """
    return f"{shown(v, places) + 0.0:,.{places}f} %"


def win_rate_text(rate: float | None) -> str:
    """A win rate (a share from 0 to 1) as the console, the sweep table and the report show it: a
    percentage to one decimal. A rate strictly between 0 and 1 never shows as 0.0 % or 100.0 %:
    399 wins in 400 trades (0.9975) showed as 1.00 on the console and 100 % in the report.

    >>> win_rate_text(0.3333), win_rate_text(0.9975), win_rate_text(1.0), win_rate_text(0.9996), win_rate_text(None)
    ('33.3 %', '99.8 %', '100.0 %', '>99.9 %', '-')
    >>> win_rate_text(0.0625), win_rate_text(0.6875)
    ('6.3 %', '68.8 %')
    """
    if rate is None:
        return "-"
    pct = shown(rate * 100, 1)  # half away from zero, as every figure shown: 1 win in 16 is 6.3 %
    if 0 < rate < 1 and pct >= 100:
        return ">99.9 %"
    if 0 < rate < 1 and pct <= 0:
        return "<0.1 %"
    return f"{pct + 0.0:.1f} %"


def metric_text(name: str, v) -> str:
    """A metric for a table: a win rate as :func:`win_rate_text`, an amount as :func:`money`, a
    count with thousands separators, "-" for none.

    >>> metric_text("win_rate", 0.5), metric_text("total_pnl", -1234.5), metric_text("trades", 1200)
    ('50.0 %', '-1,234.50', '1,200')
    """
    if name == "win_rate":
        return win_rate_text(v)
    if v is None:
        return "-"
    if isinstance(v, float):
        return money(v)
    return f"{v:,}" if isinstance(v, int) else str(v)
