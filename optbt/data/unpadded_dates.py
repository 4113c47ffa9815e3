"""Dates written as yyyymmdd with digits missing: refused, never read as another day or as none.

A date column or expiry of integers or text ``yyyymmdd`` is read with DuckDB's ``%Y%m%d``, which
also takes seven digits: ``2024104`` (2024-01-04 with the month's zero dropped) comes back as
2024-10-04, and a run trades an expiry nine months away (or a day that is no day of the spot)
without a word. Seven digits always have two readings (``yyyy-m-dd`` or ``yyyy-mm-d``), so such
a value is refused, row by row, with both readings and the fix. ISO text with its parts apart
(``2024-1-4``) has one reading and is read as written (DuckDB's cast to DATE does).

Six digits (``240104``: a two-digit year, ``yymmdd``; or ``202414``: 2024-1-4 without both zeros)
read as no date: an expiry's row was a ``bad_expiry`` (a warning that never showed the value)
and a date column's a refusal saying only that it is no date. They are refused alike, saying why.

Apart from :mod:`optbt.data.table` because it is one rule with its own message. The test of the
text (one pattern for six and seven digits) or of an integer's range costs a row what the
seven-digit test alone did.
"""

from __future__ import annotations

from optbt.data.sql_text import in_literal


def short_digits_refused(what: str, label: str, digits: str, read: str, quoted: bool,
                         short: str | None = None, more: str = "") -> str:
    """SQL: ``read`` (the value as a DATE), or an error where the value's text ``digits`` is six
    or seven digits. ``label`` names the column (``expiries (column 'expiry')``); ``quoted``: show
    the value as text; ``short``: a cheaper test than the text's for six or seven digits (an
    integer's range); ``more``: further ``WHEN ... THEN error(...)`` clauses, tested after.

    >>> import duckdb
    >>> sql = "SELECT " + short_digits_refused("options", "expiries", "'2024104'", "DATE '2024-10-04'", True)
    >>> try:
    ...     duckdb.connect().execute(sql)
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:95])
    options: expiries hold '2024104', 7 digits: a month or day without its leading zero, 2024-01-04
    >>> try:
    ...     duckdb.connect().execute(sql.replace("2024104", "240104"))
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:79])
    options: expiries hold '240104', 6 digits: a two-digit year (yymmdd) or a month
    """
    shown = f"'''' || {digits} || ''''" if quoted else digits
    y, m_dd, mm_d = f"substr({digits}, 1, 4)", f"substr({digits}, 5, 1)", f"substr({digits}, 5, 2)"
    first = f"{y} || '-0' || {m_dd} || '-' || substr({digits}, 6, 2)"   # yyyy-m-dd
    second = f"{y} || '-' || {mm_d} || '-0' || substr({digits}, 7, 1)"  # yyyy-mm-d
    seven = (f"'{in_literal(what)}: {in_literal(label)} hold ' || {shown} || ', 7 digits: a month or day without its leading "
             f"zero, ' || {first} || ' or ' || {second} || ' (optbt does not guess which); write yyyymmdd with 8 "
             f"digits (' || replace({first}, '-', '') || ' or ' || replace({second}, '-', '') || '), or store the "
             f"column as a DATE (docs/data.md, ''Dates'')'")
    six = (f"'{in_literal(what)}: {in_literal(label)} hold ' || {shown} || ', 6 digits: a two-digit year (yymmdd) or a month "
           f"and day without their zeros (yyyymd), which optbt does not guess; write yyyymmdd with 8 digits "
           f"(20240104 for 2024-01-04), or store the column as a DATE (docs/data.md, ''Dates'')'")
    short = short or f"regexp_full_match({digits}, '[0-9]{{6,7}}')"
    return (f"(CASE WHEN {short} THEN error(CASE WHEN length({digits}) = 7 THEN {seven} ELSE {six} END)"
            f"{more} ELSE {read} END)")
