"""Dates stored as instants: the exchange's date of each, or a refusal where that is a guess.

A tz-aware date column or expiry is read as the exchange date of each instant. A date written
as an instant at 00:00 UTC (pandas' ``datetime64[ns, UTC]`` of a date, a common export) is the
day before anywhere west of UTC: in New York 2024-01-02 00:00 UTC is 2024-01-01 19:00, so every
day and every expiry would move back one day without a word. Such a value is refused, row by
row, with what to store instead; east of UTC (Asia/Kolkata: 05:30 the same day) it is the same
day and is read as before.

A naive expiry timestamp is exchange time, and its date is read. One at the exchange's midnight
written in UTC and stripped of its zone (``2024-01-03 18:30:00`` for midnight of the 4th in
Asia/Kolkata: pandas' ``tz_convert("UTC").tz_localize(None)`` of an expiry date) would be read as
the day before, east of UTC; such a value is refused with the fix, where the config names the
exchange's zone (without it, optbt cannot tell). Other times of day (``2024-01-04 10:00:00``, the
15:30 IST close in UTC) fall on the expiry's own date and are read as before.

Apart from :mod:`optbt.data.table` because it is one rule with its own message.
"""

from __future__ import annotations

from optbt.data.sql_text import in_literal

MIDNIGHT_IN_UTC = "midnight in UTC"
"""The words of the refusal below, by which ``data check`` files it as a time-zone finding."""
NAIVE_UTC = "written in UTC without its zone"
"""The words of :func:`naive_midnight_refused`'s refusal, filed alike."""


def utc_midnight_refused(what: str, label: str, col: str) -> str:
    """SQL: the exchange date (zone ``$tz``) of the tz-aware ``col`` as DATE, or an error for a
    value at 00:00 UTC whose exchange date is another day (a date written as a UTC midnight).

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> sql = "SELECT " + utc_midnight_refused("options", "expiries", "TIMESTAMPTZ '2024-01-04 00:00:00+00'")
    >>> con.execute(sql, {"tz": "Asia/Kolkata"}).fetchone()
    (datetime.date(2024, 1, 4),)
    >>> try:
    ...     con.execute(sql, {"tz": "America/New_York"})
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:73])
    options: expiries hold 2024-01-04 00:00:00 UTC, midnight in UTC, which is
    """
    utc = f"timezone('UTC', {col})"
    local = f"timezone($tz, {col})"
    message = (f"'{in_literal(what)}: {in_literal(label)} hold ' || strftime({utc}, '%Y-%m-%d %H:%M:%S') || ' UTC, "
               f"{MIDNIGHT_IN_UTC}, which is ' || strftime({local}, '%Y-%m-%d %H:%M') || ' in ' || $tz || ': a date "
               f"written as a UTC instant (pandas'' datetime64[ns, UTC] of a date) would be read as the day before. "
               f"Store the column as a DATE (pandas: df[col].dt.date) or as naive timestamps of the exchange''s day "
               f"(docs/data.md, ''Time zones'')'")
    return (f"(CASE WHEN {utc} = CAST(CAST({utc} AS DATE) AS TIMESTAMP) AND CAST({local} AS DATE) <> "
            f"CAST({utc} AS DATE) THEN error({message}) ELSE CAST({local} AS DATE) END)")


def naive_midnight_refused(what: str, label: str, col: str) -> str:
    """SQL: the date of the naive timestamp ``col`` as DATE, or an error for a value that is the
    exchange's midnight (zone ``$tz``) of another day written in UTC without its zone.

    >>> import duckdb
    >>> sql = "SELECT " + naive_midnight_refused("options", "expiries", "TIMESTAMP '2024-01-03 18:30:00'")
    >>> con = duckdb.connect()
    >>> con.execute(sql, {"tz": "America/New_York"}).fetchone()
    (datetime.date(2024, 1, 3),)
    >>> try:
    ...     con.execute(sql, {"tz": "Asia/Kolkata"})
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:97])
    options: expiries hold 2024-01-03 18:30:00, midnight of 2024-01-04 in Asia/Kolkata written in UTC
    """
    naive = f"CAST({col} AS TIMESTAMP)"
    local = f"timezone($tz, timezone('UTC', {naive}))"  # the value read as UTC, in exchange time
    message = (f"'{in_literal(what)}: {in_literal(label)} hold ' || strftime({naive}, '%Y-%m-%d %H:%M:%S') || ', "
               f"midnight of ' || strftime({local}, '%Y-%m-%d') || ' in ' || $tz || ' {NAIVE_UTC}: its date, "
               f"the day before, would be read. Store the column as a DATE (pandas: df[col].dt.date), as "
               f"tz-aware timestamps, or as naive timestamps of the exchange''s day (docs/data.md, ''Time zones'')'")
    return (f"(CASE WHEN CAST({local} AS TIME) = TIME '00:00:00' AND CAST({local} AS DATE) <> CAST({naive} AS DATE) "
            f"THEN error({message}) ELSE CAST({col} AS DATE) END)")
