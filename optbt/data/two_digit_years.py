"""Text dates with a two-digit year first (``24-01-04``, ``24-1-4``, ``24/01/04``): refused.

DuckDB's cast to DATE reads ``24-01-04`` as the year 24 (0024-01-04): an expiry so written put
every contract before the day (``expiry_before_day``, no trade, exit 0) and a date column's
rows fell on a day of the year 24 (the day skipped as ``no_options``), the value never named.
Whether ``24-01-04`` is yy-mm-dd or dd-mm-yy is a guess optbt does not make. A text value that
DuckDB reads as a year before 1900 from a short (or 0/18xx) first field is refused with the fix.
A two-digit year after a month's name (NSE's ``04-Jan-24``, ``04JAN24``) has one reading and is
read as before: DuckDB's cast does not take it, so the rule never sees it.

Apart from :mod:`optbt.data.table` because it is one rule with its own message.
"""

from __future__ import annotations

from optbt.data.sql_text import in_literal

# a first field of 1-3 digits, or of 4 digits before 1900, then a separator: the cheap test
# (one anchored pattern) before the cast that says what DuckDB reads
_EARLY = "^([0-9]{1,3}|0[0-9]{3}|1[0-8][0-9]{2})[^0-9]"


def two_digit_year_refused(what: str, label: str, text: str) -> str:
    """SQL: `` WHEN <the trimmed text ``text`` reads as a year before 1900> THEN error(...)``, a
    clause for :func:`~optbt.data.unpadded_dates.short_digits_refused`'s ``more``.

    >>> import duckdb
    >>> from optbt.data.unpadded_dates import short_digits_refused
    >>> sql = "SELECT " + short_digits_refused("options", "expiries", "'24-01-04'", "DATE '0024-01-04'", True,
    ...                                        more=two_digit_year_refused("options", "expiries", "'24-01-04'"))
    >>> try:
    ...     duckdb.connect().execute(sql)
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:86])
    options: expiries hold '24-01-04', read as the year 24 (0024-01-04): a two-digit year?
    """
    read = f"TRY_CAST({text} AS DATE)"
    message = (f"'{in_literal(what)}: {in_literal(label)} hold ''' || {text} || "
               f"''', read as the year ' || year({read}) || ' (' || strftime({read}, '%Y-%m-%d') || '): a two-digit "
               f"year? optbt does not guess the century (nor whether it is yy-mm-dd or dd-mm-yy); write 4-digit "
               f"years (2024-01-04), or store the column as a DATE (docs/data.md, ''Dates'')'")
    return f" WHEN regexp_matches({text}, '{_EARLY}') AND {read} IS NOT NULL THEN error({message})"
