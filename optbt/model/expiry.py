"""Expiry rules, resolved against the chain that the data lists on a day.

Never from weekday arithmetic: exchanges move expiry days for holidays and change the
weekday now and then, so "nearest weekly" means "the first listed expiry on or after today".

>>> from datetime import date
>>> listed = [date(2024, 1, 4), date(2024, 1, 11), date(2024, 1, 25), date(2024, 2, 29)]
>>> resolve_expiry("nearest", date(2024, 1, 2), listed)
datetime.date(2024, 1, 4)
>>> resolve_expiry("monthly", date(2024, 1, 2), listed)
datetime.date(2024, 1, 25)
>>> resolve_expiry("dte>=5", date(2024, 1, 2), listed)
datetime.date(2024, 1, 11)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

RULES = ("nearest", "next", "monthly", "next_monthly", "YYYY-MM-DD", "dte>=N", "dte<=N", "dte=N")
_ALIASES = {"nearest_weekly": "nearest", "weekly": "nearest", "current": "nearest",
            "next_weekly": "next", "month": "monthly", "current_monthly": "monthly"}
_DTE = re.compile(r"^dte\s*(>=|<=|=|==)\s*(\d+)$")


def check_rule(rule: str) -> str:
    """Normalise a rule, raising ValueError with the accepted forms when it is not one."""
    text = str(rule).strip().lower()
    text = _ALIASES.get(text, text)
    if text in ("nearest", "next", "monthly", "next_monthly") or _DTE.match(text):
        return text
    try:
        date.fromisoformat(text)
        return text
    except ValueError:
        raise ValueError(f"unknown expiry rule {rule!r}: use one of {', '.join(RULES)}") from None


def resolve_expiry(rule: str, day: date, expiries: Sequence[date]) -> date | None:
    """The listed expiry that ``rule`` picks on ``day``; None when nothing listed fits."""
    rule = check_rule(rule)
    live = sorted(e for e in expiries if e >= day)
    if not live:
        return None
    if rule == "nearest":
        return live[0]
    if rule == "next":
        return live[1] if len(live) > 1 else None
    if rule in ("monthly", "next_monthly"):
        months = sorted({(e.year, e.month) for e in live})
        monthly = [max(e for e in live if (e.year, e.month) == ym) for ym in months]
        index = 0 if rule == "monthly" else 1
        return monthly[index] if len(monthly) > index else None
    m = _DTE.match(rule)
    if m:
        op, n = m.group(1), int(m.group(2))
        if op == ">=":
            return next((e for e in live if (e - day).days >= n), None)
        if op == "<=":
            fits = [e for e in live if (e - day).days <= n]
            return fits[-1] if fits else None
        return next((e for e in live if (e - day).days == n), None)
    wanted = date.fromisoformat(rule)
    return wanted if wanted in live else None
