"""Dates before 1900 (the year 24 for 2024): refused naming the value, never read as that year.

A two-digit year stored as the year itself (pyarrow's or pandas' ``date(24, 1, 4)``, text
``04-Jan-0024``, ``04JAN0024`` or ``00240104``) is read as the year 24. An expiry so written put
every contract before the day: data check counted ``expiry_before_day`` (a warning that never
named the value) and a run traded nothing, exit 0. A date column so written put its rows on a day
of the year 24 that no run visits (data check failed with DuckDB's bare "Out of Range Error").
No option expires, and no dataset's day falls, before 1900: such a value is refused with the
value, the year read and the fix. Text with a short year first (``24-01-04``) keeps the words of
:mod:`optbt.data.two_digit_years` (which reading is meant is a guess there).

The cost: one comparison a row, of the stored DATE or TIMESTAMP, or of the DATE that text or a
number reads as (written twice in the SQL, computed once); a file whose footer's smallest day
is such a year is refused when its table opens (a run would never read it: its span lies
outside every day).

Apart from :mod:`optbt.data.table` because it is one rule with its own message.
"""

from __future__ import annotations

from datetime import date

from optbt.data.sql_text import in_literal

FIRST = date(1900, 1, 1)
"""The first day read as written; anything earlier is refused."""


def _fix(label: str) -> str:
    return (f"no option expires, and no trading day falls, before 1900: a two-digit year stored as the "
            f"year itself (date(24, 1, 4) for 2024-01-04), or a placeholder for none? Write the "
            f"{'expiries' if 'expir' in label else 'dates'} with their full year (a missing one as NULL), or store "
            f"the column as a DATE of the real year (docs/data.md, 'Dates')")


def early_value_refused(what: str, label: str, col: str, read: str) -> str:
    """SQL: ``read`` (the DATE column's, or TIMESTAMP column's, date), or an error where the
    stored ``col`` is before 1900.

    >>> import duckdb
    >>> sql = "SELECT " + early_value_refused("options", "expiries", "DATE '0024-01-04'", "NULL")
    >>> try:
    ...     duckdb.connect().execute(sql)
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:75])
    options: expiries hold 0024-01-04, a date of the year 24: no option expires
    """
    message = (f"'{in_literal(what)}: {in_literal(label)} hold ' || strftime({col}, '%Y-%m-%d') || ', a date of "
               f"the year ' || year({col}) || ': {in_literal(_fix(label))}'")
    return f"(CASE WHEN {col} < '{FIRST}' THEN error({message}) ELSE {read} END)"


def early_text_refused(what: str, label: str, text: str, read: str, more: str = "") -> str:
    """SQL: ``read`` (the DATE the text ``text`` reads as), or an error where that is before 1900;
    ``more``: further ``WHEN ... THEN error(...)`` clauses, tested after. ``read`` is written
    twice and computed once (DuckDB shares the common expression).

    >>> import duckdb
    >>> read = "CAST(try_strptime('04-Jan-0024', '%d-%b-%Y') AS DATE)"
    >>> try:
    ...     duckdb.connect().execute("SELECT " + early_text_refused("options", "expiries", "'04-Jan-0024'", read))
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:81])
    options: expiries hold '04-Jan-0024', read as the year 24 (0024-01-04): no option
    """
    message = (f"'{in_literal(what)}: {in_literal(label)} hold ''' || {text} || ''', read as the year ' || "
               f"year({read}) || ' (' || strftime({read}, '%Y-%m-%d') || '): {in_literal(_fix(label))}'")
    return f"(CASE WHEN {read} < DATE '{FIRST}' THEN error({message}){more} ELSE {read} END)"


def early_span_message(what: str, column: str, file: str, first: date) -> str | None:
    """The refusal of a file whose footer says its ``column`` starts on ``first``, a day before
    1900 (None for a later day).

    >>> early_span_message("options", "d", "o.parquet", date(24, 1, 2))[:84]
    "options: column 'd' of o.parquet holds 0024-01-02 (its footer's smallest value), a d"
    """
    if first >= FIRST:
        return None
    return (f"{what}: column {column!r} of {file} holds {first.isoformat()} (its footer's smallest value), a day of "
            f"the year {first.year}: {_fix('dates')}")
