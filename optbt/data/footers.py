"""What parquet footers say, read as Python values: a statistic's day or time, a column's kind,
an underlying's text, and the option days a dataset's footers settle without reading rows.

Apart from the DuckDB source because these are the rules for trusting a footer (when is a
statistic a real row's value, when is a file's day settled): the table reads file spans with
them, the source its option days, the data check a column's kind, each the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from optbt.data.sql_text import NAIVE_TS, is_aware, quote_ident
from optbt.model.errors import DataError


def stat_day(value: str | None) -> date | None:
    """The day of a footer statistic: an ISO date or timestamp, or a yyyymmdd number; else None.

    >>> stat_day("2024-01-02 09:16:00"), stat_day("20240102"), stat_day("x")
    (datetime.date(2024, 1, 2), datetime.date(2024, 1, 2), None)
    """
    if not value:
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    if len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None


def stat_time(value: str | None) -> datetime | None:
    """A footer statistic as a naive time, or None (the file then counts as holding any time).

    >>> stat_time("2024-01-02 09:16:00"), stat_time("2024-01-02"), stat_time("x")
    (datetime.datetime(2024, 1, 2, 9, 16), None, None)
    """
    text = str(value or "").strip()
    if len(text) < 16:
        return None
    try:
        out = datetime.fromisoformat(text[:26])
    except ValueError:
        return None
    return out if out.tzinfo is None else None


def same_underlying(value, und: str) -> bool:
    """Is a footer statistic's text the underlying ``und`` as a query's test compares them (upper
    case, padding trimmed)? ASCII only, where Python's and DuckDB's upper case agree.

    >>> same_underlying("nifty ", "NIFTY"), same_underlying("BANKNIFTY", "NIFTY")
    (True, False)
    """
    text = str(value)
    return text.isascii() and und.isascii() and text.strip().upper() == und.upper()


def kind_of(physical: str | None, logical: str | None) -> str:
    """A parquet column's type as number, time (dates, times, timestamps), text, null or other.

    "null": parquet's Null type, which holds no value (pandas writes an empty DataFrame's object
    columns so): it reads as any other type, so it differs from none.

    >>> kind_of("INT32", "DateType()"), kind_of("INT64", None), kind_of("BYTE_ARRAY", "StringType()")
    ('time', 'number', 'text')
    >>> kind_of("INT32", "NullType()")
    'null'
    """
    logical = (logical or "").upper()  # a logical type (DateType()) or a legacy converted one (DATE)
    if "NULL" in logical:
        return "null"
    if any(k in logical for k in ("DATE", "TIME")):
        return "time"
    if "STRING" in logical or "UTF8" in logical or physical == "BYTE_ARRAY":
        return "text"
    if physical in ("INT32", "INT64", "FLOAT", "DOUBLE", "INT96", "FIXED_LEN_BYTE_ARRAY") or "DECIMAL" in logical:
        return "time" if physical == "INT96" else "number"
    return "other"


# how far a row's exchange time may fall before its row group's smallest one (or after its
# largest) when the zone's offset changes inside the group: a DST change is at most two hours
_ZONE_SLACK = timedelta(hours=3)


def option_days_from_footers(table, files: list[str], und: str, shift: timedelta,
                             run: Callable[[str, dict], list[tuple]],
                             tz: str | None = None) -> tuple[set[date], list[str]]:
    """(days that certainly hold option rows of ``und``, the files whose days the footers
    cannot settle), from each row group's statistics, without reading rows.

    A row group's smallest and largest timestamp are values of real rows. When both are
    exact, naive timestamps (a bar's known time is then the timestamp plus the start-label
    shift) and the group's underlying is one value without NULLs that matches ``und``, those
    two rows count, so their days hold option rows; and when those days are the same or
    consecutive, the group holds no other day. A file a day (or a file whose row groups each
    end within a day of where they start) is then settled by its footer, which is read in
    one query instead of scanning every row's time; any other file is scanned as before.
    ``run``: (sql, params) -> rows, raising DataError (the source's, counting its queries).

    Tz-aware timestamps (UTC instants) are read the same way, their statistics converted to
    exchange time in ``tz`` by the table's own expression (:meth:`Table.ts_expr`, in DuckDB);
    as a zone's offset may change between a group's first and last row, the group holds no
    other day only when its first and last times are three hours clear of midnight.
    """
    ts, und_col = table.columns.ts, table.columns.underlying if table.col("underlying", required=False) else None
    kind = table.types.get(ts) if ts else None
    aware = bool(kind and is_aware(kind) and tz and ts not in table.cast)
    if not ts or (kind not in NAIVE_TS and not aware):
        return set(), files
    cols = [ts] + ([und_col] if und_col else [])
    sql = ("SELECT file_name, row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count, "
           "min_is_exact IS NOT false AND max_is_exact IS NOT false FROM parquet_metadata($f) "
           "WHERE path_in_schema IN (SELECT unnest($c))")
    try:
        rows = run(sql, {"f": files, "c": cols})
    except DataError:
        return set(), files
    groups: dict[tuple[str, int], dict[str, tuple]] = {}
    for name, group, col, lo, hi, nulls, exact in rows:
        groups.setdefault((table.listed(name), group), {})[col] = (lo, hi, nulls, exact)
    read_time = stat_time
    slack = timedelta(0)
    if aware:
        values = sorted({v for g in groups.values() if (t := g.get(ts)) is not None and t[3] for v in t[:2]
                         if v is not None})
        try:
            local = dict(run(f"SELECT optbt_v, {table.ts_expr(tz)} FROM (SELECT optbt_v, TRY_CAST(optbt_v AS "
                             f"{kind}) AS {quote_ident(ts)} FROM (SELECT unnest($v) AS optbt_v))",
                             {"v": values, "tz": tz})) if values else {}
        except DataError:
            return set(), files
        read_time, slack = local.get, _ZONE_SLACK
    days: set[date] = set()
    settled: dict[str, bool] = {}
    for (f, _), stats in groups.items():
        first = last = None
        t = stats.get(ts)
        if t is not None and t[3]:
            first, last = read_time(t[0]), read_time(t[1])
        ok = first is not None and last is not None and first <= last
        if ok and und_col:
            u = stats.get(und_col)
            ok = (u is not None and u[3] and u[2] == 0 and u[0] is not None and u[0] == u[1]
                  and same_underlying(u[0], und))
        if ok:
            first, last = first + shift, last + shift
            ok = (first - slack).date() == first.date() and (last + slack).date() == last.date()
            first, last = first.date(), last.date()
            ok = ok and (last - first).days <= 1
        if ok:
            days.update((first, last))
        settled[f] = settled.get(f, True) and ok
    return days, [f for f in files if not settled.get(f, False)]
