"""A date column of naive timestamps at the exchange's midnight written in UTC: refused.

With the time of day in a column of its own, the date column's date is each row's day. A vendor
(or pandas' ``tz_convert("UTC").tz_localize(None)`` of a date) may store that date as the naive
timestamp of the exchange's midnight in UTC: ``2024-01-01 18:30:00`` for 2024-01-02 in
Asia/Kolkata. Its date, the 1st, was read: every row fell a day early (a day of no spot, the
real day ``no_options``), exit 0. Where the config names the exchange's zone, such a value is
refused naming the column, the value and the fix: by a run on its first day (one query a table
over that day's files, remembered in the chain index; a ``[series.NAME]`` on the first day a
strategy reads it, :mod:`optbt.data.bars`) and by ``data check`` over every row.
Not in the per-day bar queries: they are a run's hot path, and one look settles the layout.

The rule is that of a naive expiry (:func:`optbt.data.zoned_dates.naive_midnight_refused`):
read as UTC, the value is the exchange's 00:00 of another day. A date at its own midnight, or
holding the row's exchange time, is read as before; so is any value without ``timezone``.
Text without a zone is judged as its timestamp; a DATE or a tz-aware column never is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from optbt.data.chain_index import recall
from optbt.data.source import UnreadableFileError
from optbt.data.sql_text import FILE_COL, is_aware
from optbt.data.zoned_dates import NAIVE_UTC

_CLEAN = [0]  # what the chain index keeps for a table's first day without such a date


def _raw(table) -> tuple[str, str] | None:
    """(SQL of the date column's value as a naive TIMESTAMP, the condition a row is judged on),
    or None where the layout has no date column of naive timestamps or text."""
    cols = table.columns
    if cols.ts or not cols.date or cols.date not in table.types:
        return None
    kind = table.cast.get(cols.date, table.types[cols.date])
    col = table.col("date")
    if kind.startswith("TIMESTAMP") and not is_aware(kind):
        return f"CAST({col} AS TIMESTAMP)", "TRUE"
    if kind == "VARCHAR":  # text with a time and no zone (a zone is converted as the row is read)
        return (f"TRY_CAST(trim({col}) AS TIMESTAMP)",
                f"regexp_matches({col}, '[0-9]:[0-9]{{2}}') AND {table.text_zone(col)} = ''")
    return None


def _rows(table, bound: str = "") -> str | None:
    """SQL: the rows (``optbt_file``, ``optbt_v``) of ``$f`` whose date is such a midnight."""
    raw = _raw(table)
    if raw is None:
        return None
    value, judged = raw
    local = "timezone($tz, timezone('UTC', optbt_v))"  # the value read as UTC, in exchange time
    return (f"(SELECT {FILE_COL}, optbt_v FROM (SELECT {FILE_COL}, {value} AS optbt_v "
            f"FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') WHERE {judged}{bound}) "
            f"WHERE CAST({local} AS TIME) = TIME '00:00:00' AND CAST({local} AS DATE) <> CAST(optbt_v AS DATE))")


def message(what: str, column: str, value: datetime, tz: str) -> str:
    """The refusal, naming the column, the value, the exchange's day and the fix.

    >>> message("options", "d", datetime(2024, 1, 1, 18, 30), "Asia/Kolkata")[:100]
    "options: dates (column 'd') hold 2024-01-01 18:30:00, midnight of 2024-01-02 in Asia/Kolkata written"
    """
    day = value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()
    return (f"{what}: dates (column {column!r}) hold {value:%Y-%m-%d %H:%M:%S}, midnight of {day} in {tz} "
            f"{NAIVE_UTC}: its date, {value:%Y-%m-%d}, would be each row's day. Store the column as a DATE "
            f"(pandas: df[col].dt.date) or as naive timestamps of the exchange's day (docs/data.md, 'Time zones')")


def check_first_day(src, what: str, table, files: list[str], day: date) -> None:
    """Refuse ``table``'s date column on a run's first ``day`` (its ``files``) where it holds such
    a midnight; one query, bounded to the days around ``day``, remembered when clean."""
    tz = src.config.timezone
    raw = _raw(table) if tz and files else None
    if raw is None:
        return
    # a timestamp column is bounded by its stored value (its footers' statistics prune the rest)
    bound = f" AND {raw[0]} >= $optbt_lo AND {raw[0]} < $optbt_hi" if raw[1] == "TRUE" else ""
    rows = _rows(table, bound)
    sql = f"SELECT {FILE_COL}, optbt_v FROM {rows} LIMIT 1"
    start = datetime.combine(day, time())
    params = {"f": files, "tz": tz, "optbt_lo": start - timedelta(days=2), "optbt_hi": start + timedelta(days=2)}
    kept, keep = recall(src._chain_index(), sql, params, files)
    if kept == _CLEAN:
        return
    found = src._run(sql, params)
    if not found:
        keep(_CLEAN)
        return
    file, value = found[0]
    file = table.listed(file)
    raise UnreadableFileError(file, message(what, table.columns.date, value, tz) + f" (in {file})")


def check_table(ck, what: str, table) -> None:
    """``data check``: every row of ``table`` (a ``timezone`` finding on the first such file)."""
    tz = ck.config.timezone
    rows = _rows(table) if tz else None
    if rows is None:
        return
    (row,) = ck.q_dicts(f"SELECT count(*) AS n, min(struct_pack(file := {FILE_COL}, v := optbt_v)) AS sample "
                        f"FROM {rows}", {"f": table.all_files, "tz": tz})
    if row["n"]:
        sample = row["sample"]
        ck.find("error", "timezone", sample["file"], row["n"], message(what, table.columns.date, sample["v"], tz),
                {"file": sample["file"], "date": sample["v"]})
