"""The one rule for a usable price, in Python and in SQL (its twin for the DuckDB source).

Why one place: a price enters the engine through the option bars, the quotes a fill uses,
the spot that picks ATM, the premium selectors and ``data check``; if any of them let a NaN
or a zero through, a run computes a wrong number and says nothing. The rule:

* NULL, NaN, +/-inf and anything <= 0 are unusable;
* a crossed quote (bid > ask, both otherwise usable) is unusable on both sides;
* a one-sided quote is unusable for the missing side (the other side stays usable);
* a mid needs both sides usable.

An unusable bar behaves exactly like no bar: the ``(price, lag)`` of an instrument keeps the
last usable bar's price and its lag grows from there. NaN compares false with everything in
Python, so ``0 < x < inf`` rejects it; in DuckDB ``NaN > 0`` is TRUE (NaN sorts above every
number), so the SQL twin tests ``isfinite`` first.

>>> usable(1.5), usable(0.0), usable(float("nan")), usable(float("inf")), usable(None)
(True, False, False, False, False)
>>> usable_quote(99.0, 101.0), usable_quote(102.0, 101.0), usable_quote(99.0, None)
((99.0, 101.0), (None, None), (99.0, None))
"""

from __future__ import annotations

INF = float("inf")


def usable(x: float | None) -> bool:
    """True for a finite price above zero."""
    return x is not None and 0.0 < x < INF


def usable_price(x: float | None) -> float | None:
    """``x`` as a float when usable, else None."""
    return float(x) if usable(x) else None


def usable_quote(bid: float | None, ask: float | None) -> tuple[float | None, float | None]:
    """(bid, ask), each None when unusable; both None when the quote is crossed."""
    b, a = usable_price(bid), usable_price(ask)
    if b is not None and a is not None and b > a:
        return None, None
    return b, a


def usable_mid(bid: float | None, ask: float | None) -> float | None:
    """(bid + ask) / 2 of a two-sided, uncrossed quote, else None."""
    b, a = usable_quote(bid, ask)
    return None if b is None or a is None else (b + a) / 2


# -- the SQL twin (DuckDB). Arguments are SQL expressions (quoted column names). -----------

def sql_usable(expr: str) -> str:
    """A boolean SQL expression: ``expr`` is a usable price (NULL counts as false in WHERE/CASE)."""
    x = f"CAST({expr} AS DOUBLE)"
    return f"(isfinite({x}) AND {x} > 0)"


def sql_price(expr: str) -> str:
    """``expr`` as DOUBLE when usable, else NULL."""
    return f"CASE WHEN {sql_usable(expr)} THEN CAST({expr} AS DOUBLE) END"


def sql_quote_side(side: str, other: str, is_bid: bool) -> str:
    """One side of a quote as DOUBLE, NULL when unusable or when the quote is crossed."""
    crossed = (f"({sql_usable(other)} AND CAST({side} AS DOUBLE) > CAST({other} AS DOUBLE))" if is_bid else
               f"({sql_usable(other)} AND CAST({other} AS DOUBLE) > CAST({side} AS DOUBLE))")
    # a NULL other side makes ``crossed`` NULL, not false: coalesce, or the usable side is lost
    return f"CASE WHEN {sql_usable(side)} AND NOT coalesce({crossed}, FALSE) THEN CAST({side} AS DOUBLE) END"


def sql_mid(bid: str, ask: str) -> str:
    """(bid + ask) / 2 as DOUBLE when both sides are usable and not crossed, else NULL."""
    b, a = f"CAST({bid} AS DOUBLE)", f"CAST({ask} AS DOUBLE)"
    return f"CASE WHEN {sql_usable(bid)} AND {sql_usable(ask)} AND {b} <= {a} THEN ({b} + {a}) / 2 END"
