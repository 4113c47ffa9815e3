"""Text expiries with the day or the month first (``04-01-2024``, ``01/04/2024``): refused, naming
the value, never left out row by row.

An expiry no spelling reads is NULL: that row's ``bad_expiry``, left out of the chain (one
garbled row does not stop a run). A vendor's export in ``dd-mm-yyyy`` (or ``mm/dd/yyyy``) is no
garbled row: every row reads as no date, the day ran without options (``no_options``, exit 0)
and ``data check``'s ``bad_expiry`` never showed the value. Which of the two orders is meant
cannot be told (04-01-2024: 4 January or 1 April), so optbt does not guess: such a value is
refused with the fix, as a date column's is (:meth:`optbt.data.table.Table.ts_expr`).

Apart from :mod:`optbt.data.table` because it is one rule with its own message. Only the rows
read as no date are tested (one anchored pattern).
"""

from __future__ import annotations

from optbt.data.sql_text import in_literal

_DAY_OR_MONTH_FIRST = "^[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}$"


def day_or_month_first_refused(what: str, label: str, text: str, read: str) -> str:
    """SQL: `` WHEN <``read`` (the text's DATE) is NULL and the text ``text`` has the day or month
    first> THEN error(...)``, a clause for :func:`~optbt.data.early_years.early_text_refused`'s
    ``more`` (the pattern is tested on the rows read as no date only).

    >>> import duckdb
    >>> sql = "SELECT CASE" + day_or_month_first_refused("options", "expiries", "'04-01-2024'", "NULL") + " END"
    >>> try:
    ...     duckdb.connect().execute(sql)
    ... except duckdb.Error as exc:
    ...     print(str(exc).split("Error: ", 1)[1][:68])
    options: expiries hold '04-01-2024', with the day or the month first
    """
    message = (f"'{in_literal(what)}: {in_literal(label)} hold ''' || {text} || ''', with the day or the month "
               f"first, which cannot be told apart (04-01-2024: 4 January or 1 April); optbt does not guess, and no "
               f"row of it would be read. Write ISO dates (2024-01-04), yyyymmdd or 04-Jan-2024, or store the "
               f"column as a DATE (docs/data.md, ''Dates'')'")
    return f" WHEN {read} IS NULL AND regexp_matches({text}, '{_DAY_OR_MONTH_FIRST}') THEN error({message})"
