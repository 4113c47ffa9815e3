"""Small pieces of SQL text that the DuckDB modules share: a quoted identifier, the timestamp
types read as naive, text inside a string literal, a nanosecond time rounded up to optbt's microseconds, and the parameters a
query binds.

Apart from :mod:`optbt.data.duckdb_source` because the table (:mod:`optbt.data.table`), the
data check and ``optbt data sort`` build SQL with the same rules: one spelling of each, so that
what a check judges is what a run reads.
"""

from __future__ import annotations

import re

NAIVE_TS = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")
FILE_COL = "optbt_file"  # the column read_parquet(..., filename=...) names each row's file in


def quote_ident(name: str) -> str:
    """A column name as a quoted SQL identifier.

    >>> quote_ident('bid"close')
    '"bid""close"'
    """
    return '"' + name.replace('"', '""') + '"'


def in_literal(text: str) -> str:
    """Text to put inside a SQL string literal (``'...'``): each quote doubled, as SQL reads it.
    Where a message naming a column or a table is written into an ``error('...')`` of the SQL.

    >>> in_literal("column 'expiry'")
    "column ''expiry''"
    """
    return text.replace("'", "''")


def up_to_microseconds(expr: str, kind: str = "TIMESTAMP") -> str:
    """A nanosecond timestamp (or time of day) as microseconds, rounded UP.

    optbt's clock and bars are microseconds (Python's datetime). DuckDB's cast rounds a
    nanosecond value to the nearest microsecond, and its text cast truncates: either can put a
    tick that existed at 09:20:00.0000004 at 09:20:00, where a decision at 09:20 would see it
    before it happened. Rounded up, a value is never used before its moment (the rule for every
    bar: used from the first tick at or after it), and a value already on a microsecond is
    unchanged. Two ticks less than a microsecond apart can meet on one microsecond: a conflict
    that the run refuses, as for any two rows at one time. (Before 1970 the integer division
    rounds toward zero: a tick then may be a microsecond late, never early.)

    >>> import duckdb
    >>> duckdb.connect().execute("SELECT " + up_to_microseconds("TIMESTAMP_NS '2024-01-02 09:20:00.000000400'")).fetchone()
    (datetime.datetime(2024, 1, 2, 9, 20, 0, 1),)
    """
    if kind == "TIMESTAMP":  # one reference to expr (a text timestamp's is long): nanoseconds up
        return f"make_timestamp((epoch_ns({expr}) + 999) // 1000)"
    micro = f"CAST({expr} AS {kind})"
    exact = f"CAST({micro} AS {kind}_NS)"
    return f"(CASE WHEN {exact} < {expr} THEN {micro} + INTERVAL 1 MICROSECOND ELSE {micro} END)"


def is_aware(kind: str) -> bool:
    """Is a DuckDB type name a time-zone-aware one? (Microseconds are "TIMESTAMP WITH TIME
    ZONE", nanoseconds "TIMESTAMPTZ_NS": pandas writes the latter for datetime64[ns, tz].)

    >>> [is_aware(k) for k in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ_NS", "TIMESTAMP_NS", "TIME WITH TIME ZONE")]
    [True, True, False, True]
    """
    return "WITH TIME ZONE" in kind or kind.startswith(("TIMESTAMPTZ", "TIMETZ"))


def bound(sql: str, params: dict) -> dict:
    """Only the parameters ``sql`` uses: optional columns (underlying, tz) drop their filters."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


_OWN_REFUSAL = re.compile(r"^Invalid Input Error: ((?:options|spot|series\.[^:]+): .*)$")


def own_refusal(exc: Exception) -> str | None:
    """The message of a row refused by optbt's own SQL (``error('options: ...')``), without
    DuckDB's "Invalid Input Error" wrapping; None for any other failure of a query.

    >>> import duckdb
    >>> try:
    ...     duckdb.connect().execute("SELECT error('spot: timestamp ''x'' is not ISO 8601 text')")
    ... except duckdb.Error as exc:
    ...     print(own_refusal(exc))
    spot: timestamp 'x' is not ISO 8601 text
    """
    found = _OWN_REFUSAL.match(str(exc).splitlines()[0] if str(exc) else "")
    return found.group(1) if found else None
