"""Dates written as yyyymmdd without a leading zero: refused, never read as another day.

A date column or expiry of integers or text ``yyyymmdd`` is read with DuckDB's ``%Y%m%d``, which
also takes seven digits: ``2024104`` (2024-01-04 with the month's zero dropped) comes back as
2024-10-04, and a run trades an expiry nine months away (or a day that is no day of the spot)
without a word. Seven digits always have two readings (``yyyy-m-dd`` or ``yyyy-mm-d``), so such
a value is refused, row by row, with both readings and the fix. ISO text with its parts apart
(``2024-1-4``) has one reading and is read as written (DuckDB's cast to DATE does).

Apart from :mod:`optbt.data.table` because it is one rule with its own message.
"""

from __future__ import annotations


def seven_digits_refused(what: str, label: str, digits: str, read: str, quoted: bool,
                         seven: str | None = None, more: str = "") -> str:
    """SQL: ``read`` (the value as a DATE), or an error where the value's text ``digits`` is seven
    digits. ``label`` names the column (``expiries (column 'expiry')``); ``quoted``: show the value
    as text; ``seven``: a cheaper test than the text's for seven digits (an integer's range);
    ``more``: further ``WHEN ... THEN error(...)`` clauses, tested after.

    >>> import duckdb
    >>> sql = "SELECT " + seven_digits_refused("options", "expiries", "'2024104'", "DATE '2024-10-04'", True)
    >>> try:
    ...     duckdb.connect().execute(sql)
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:95])
    options: expiries hold '2024104', 7 digits: a month or day without its leading zero, 2024-01-04
    """
    def text(s: str) -> str:
        return s.replace("'", "''")
    shown = f"'''' || {digits} || ''''" if quoted else digits
    y, m_dd, mm_d = f"substr({digits}, 1, 4)", f"substr({digits}, 5, 1)", f"substr({digits}, 5, 2)"
    first = f"{y} || '-0' || {m_dd} || '-' || substr({digits}, 6, 2)"   # yyyy-m-dd
    second = f"{y} || '-' || {mm_d} || '-0' || substr({digits}, 7, 1)"  # yyyy-mm-d
    message = (f"'{text(what)}: {text(label)} hold ' || {shown} || ', 7 digits: a month or day without its leading "
               f"zero, ' || {first} || ' or ' || {second} || ' (optbt does not guess which); write yyyymmdd with 8 "
               f"digits (' || replace({first}, '-', '') || ' or ' || replace({second}, '-', '') || '), or store the "
               f"column as a DATE (docs/data.md, ''Dates'')'")
    seven = seven or f"regexp_full_match({digits}, '[0-9]{{7}}')"
    return f"(CASE WHEN {seven} THEN error({message}){more} ELSE {read} END)"
