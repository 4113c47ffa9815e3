"""Which option files can hold a given contract, from their footers' strike and expiry statistics.

Vendors that deliver a file per contract (``NIFTY24JAN21500CE.parquet``, as per-symbol downloads
come) or a file per expiry leave hundreds of files alive on any day. A day's query for the two
contracts a straddle holds would open every one of them, so the cost of a day grew with the
number of files a vendor chose, not with the rows a run needs (a month of a file per contract:
6x the same month in day folders). A file whose every row group gives exact numeric strike
statistics that leave out every strike asked for, or exact DATE expiry statistics that leave out
every expiry asked for, holds no row the query keeps (its filter is ``strike IN (...)`` and
``expiry IN (...)`` on the stored values), so it is not opened.

Only trusted statistics prune: present in every row group, exact, numeric (a text column's
minimum is the first in text order, ``'100' < '99'``), finite (a writer that counted a NaN gives
no span), and read from the same pass over the footers that gives the files' time spans
(:meth:`optbt.data.table.Table._file_spans`). Any doubt keeps the file: it is read as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from math import isfinite

# the physical types whose statistics DuckDB renders as the exact numbers a query compares: not
# FLOAT (a 32-bit strike of 17.3 is rendered '17.3' but read as 17.299999237060547, which that
# span would rule out)
_NUMERIC = ("INT32", "INT64", "DOUBLE")


def _slack(k: float) -> float:
    """How far outside a file's strike statistics a strike asked for may still be its row's
    (one part in 10^6): a DECIMAL's value read as a number and its statistic's text parsed may
    round differently in the last bit, and no two strikes of a chain are that close."""
    return 1e-6 * max(1.0, abs(k))


def span_sql(names) -> str:
    """The footer query giving, per file and column named by the parameters ``names`` (``c``
    the time, ``k`` the strike, ``e`` the expiry: those asked), the text and numeric extremes
    and whether every row group's are trusted."""
    cols = ", ".join(f"${n}" for n in names)
    return ("SELECT file_name, path_in_schema, min(stats_min_value), max(stats_max_value), "
            "min(TRY_CAST(stats_min_value AS DOUBLE)), max(TRY_CAST(stats_max_value AS DOUBLE)), "
            "bool_and(stats_min_value IS NOT NULL AND stats_max_value IS NOT NULL), "
            "bool_and(min_is_exact IS NOT false AND max_is_exact IS NOT false), "
            f"bool_and(type IN {_NUMERIC}) "
            f"FROM parquet_metadata($f) WHERE path_in_schema IN ({cols}) GROUP BY ALL")


def strike_span(row: tuple, decimal: bool = False) -> tuple[float, float] | None:
    """(lowest, highest) stored strike of a file from its row of :func:`span_sql`, or None.
    ``decimal``: the column is a DECIMAL in every file (a fixed-length one's statistics are
    rendered as its values too)."""
    _, _, _, _, lo, hi, present, exact, numeric = row
    if not (present and exact and (numeric or decimal)) or lo is None or hi is None:
        return None
    if not (isfinite(lo) and isfinite(hi)) or lo > hi:
        return None
    return lo, hi


def expiry_span(row: tuple) -> tuple[date, date] | None:
    """(first, last) stored expiry of a file whose expiry column is a DATE, or None.

    >>> expiry_span(("f", "expiry", "2024-01-04", "2024-01-11", None, None, True, True, True))
    (datetime.date(2024, 1, 4), datetime.date(2024, 1, 11))
    """
    _, _, lo, hi, _, _, present, exact, _ = row
    if not (present and exact) or not lo or not hi or len(lo) != 10 or len(hi) != 10:
        return None
    try:
        first, last = date.fromisoformat(lo), date.fromisoformat(hi)
    except ValueError:
        return None
    return (first, last) if first <= last else None


def may_hold(files: list[str], strikes: dict[str, tuple[float, float]], expiries: dict[str, tuple[date, date]],
             wanted_strikes: Iterable[float] | None, wanted_expiries: Iterable[date] | None) -> list[str]:
    """Those of ``files`` that may hold a row of one of ``wanted_strikes`` (stored values), when
    given, and of one of ``wanted_expiries``, when given; files without a trusted span are kept.

    >>> may_hold(["a", "b", "c"], {"a": (100.0, 100.0), "b": (150.0, 200.0)}, {}, [100.0], None)
    ['a', 'c']
    >>> may_hold(["a", "b"], {"a": (100.0, 100.0)}, {"a": (date(2024, 1, 4),) * 2}, None, [date(2024, 1, 11)])
    ['b']
    """
    if not strikes and not expiries:
        return files
    ks = sorted(wanted_strikes) if wanted_strikes is not None else None
    es = sorted(wanted_expiries) if wanted_expiries is not None else None
    out = []
    for f in files:
        if ks is not None:
            span = strikes.get(f)
            if span is not None and not any(span[0] - _slack(k) <= k <= span[1] + _slack(k) for k in ks):
                continue
        if es is not None:
            espan = expiries.get(f)
            if espan is not None and not any(espan[0] <= e <= espan[1] for e in es):
                continue
        out.append(f)
    return out
