"""Bounds on a table's *stored* time column(s) that parquet statistics can prune, beside the exact
filter on exchange time.

Every query picks rows by their exchange time (:meth:`Table.ts_expr`). For a naive timestamp
that is the stored column itself, and DuckDB skips the row groups its min/max statistics rule
out. For anything else it is a computed expression (a UTC instant converted to the zone, a date
plus a time of day, text parsed row by row), which DuckDB must compute for every row: a file of
a month was decoded whole by each of its days' queries. :func:`stored_window` adds a predicate
on the raw column(s) (the instant, the date, the text) that every row of the window passes: a
superset, ANDed next to the exact filter, never in its place, so no result changes
(tests/test_stored_window.py checks the superset on DuckDB itself, over zones and DST changes).

Apart from :mod:`optbt.data.table` because these are proofs about how values convert, each
form of stored time with its own argument; the table only asks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

from optbt.data.chain_index import recall
from optbt.data.sql_text import NAIVE_TS, is_aware, quote_ident

# how much wider than Python's conversion of an exchange time to an instant the window's instants
# are taken: a DST gap or fold, DuckDB's and Python's zone databases a version apart
ZONE_MARGIN = timedelta(hours=3)
_INT_KINDS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UINTEGER", "UBIGINT", "HUGEINT")
_ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
# text of one fixed width that orders as its time: 2024-01-02 09:16:00 (or with a T), hours to 23
_FIXED_TEXT = "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"


def stored_window(table, lo: datetime, hi: datetime, tz: str | None) -> tuple[str, dict]:
    """(`` AND <predicate>`` on ``table``'s stored time, its parameters ``$sw0``/``$sw1``) that
    every row whose exchange time lies in [``lo``, ``hi``] passes, or ("", {}) when there is none.

    - a tz-aware timestamp: between the UTC instants of ``lo`` and ``hi`` (both readings of a
      time in a DST fold or gap), widened by :data:`ZONE_MARGIN`;
    - a naive timestamp (any unit): between ``lo`` less a microsecond (nanoseconds round up) and
      ``hi``;
    - a date column (with a time column): the days ``lo`` .. ``hi`` can fall on, in the column's
      own type (DATE, a naive or aware timestamp, a yyyymmdd integer or float);
    - ISO text, once :func:`prove_text` has shown every value is: its text between two dates;
    - anything else (other text, unknown types, files of differing types): none.

    Day-folder tables get none: each query opens one day's files.

    >>> day_span(datetime(2024, 1, 2, 9, 14), datetime(2024, 1, 2, 15, 30))
    (datetime.date(2024, 1, 2), datetime.date(2024, 1, 2))
    """
    if table.by_day is not None:
        return "", {}
    cols, types = table.columns, table.types
    if cols.ts:
        if cols.ts in table.cast or cols.ts not in types:
            return "", {}
        return _on_timestamps(table, quote_ident(cols.ts), types[cols.ts], lo, hi, tz)
    if not cols.date or cols.date in table.cast or cols.date not in types:
        return "", {}
    try:
        first, last = day_span(lo, hi)
    except OverflowError:
        return "", {}
    return _on_days(quote_ident(cols.date), types[cols.date], first, last, tz)


def exact_window(table, lo: datetime, hi: datetime, steady=None) -> tuple[str, dict] | None:
    """(`` AND <predicate>``, its parameters ``$xt0``/``$xt1``, ``$xd``) on the stored time
    column(s) that *exactly* replaces the filter "exchange time in (``lo``, ``hi``]", where the
    stored form allows it; else None (the exact filter on :meth:`Table.ts_expr`).

    Exchange time computed from a date and a time, converted from an instant or parsed from
    text costs a computation in every row the scan keeps, and its filter cannot be pushed into
    the scan: on a month file that was 0.4-0.6 ms of a day's 3.3-3.5 ms query. Three stored
    forms are picked by their raw values instead, each with its proof:

    - **a DATE date and a TIME time, the window within one date D**: ``date = D AND time >
      lo's time AND time <= hi's time``. A row dated D is known at D + its time, in (lo, hi]
      exactly when its time is in (lo's time, hi's time] (a time of day lies in 00:00 .. 24:00,
      DuckDB reading '24:00:00' too, and 24:00 is after hi's time); a row dated D - 1 is known
      at D 00:00 <= lo at the latest, one dated D + 1 or later after hi.
    - **text proven to be ``YYYY-MM-DD HH:MM:SS`` in every value** (one separator, hours to 23,
      no zone: :func:`prove_text`): ``ts > lo AND ts <= hi`` written the same way, to the
      second. Text of one fixed width compares character by character as its time does, and a
      time of whole seconds is after lo exactly when it is after lo's whole second (and not
      after hi exactly when not after hi's).
    - **tz-aware instants (microseconds) of a zone whose UTC offset is one and the same** from
      two days before ``lo``'s date to three days after ``hi``'s, as DuckDB's own zone database
      converts them (``steady``: a :class:`SteadyZone` of the query's connection):
      ``ts > lo - offset AND ts <= hi - offset``. An instant in that span reads as itself plus
      the offset; one before it reads, whatever its own offset, before ``lo`` (the span's margin
      of two days exceeds the 26 hours between any two offsets), one after it after ``hi``. A
      window of more than a day apart, or near a change of the zone's offset (summer time),
      keeps the exact filter; so does a caller without ``steady``.

    A NULL makes both filters unknown: the row is left out by both. Any other stored form, a
    column cast by the config, a date and time window across midnight, or a year outside
    1900-9999 keeps the exact filter. ``tests/test_stored_window.py`` checks each on DuckDB.
    """
    cols, types = table.columns, table.types
    if not table.bound_stored or not 1900 <= lo.year <= hi.year <= 9999 or not lo < hi:
        return None
    if cols.ts and types.get(cols.ts) == "TIMESTAMP WITH TIME ZONE":
        offset = steady(lo.date(), hi.date()) if steady is not None and cols.ts not in table.cast else None
        if offset is None:
            return None
        ts, kind = table.col("ts"), types[cols.ts]
        return (f" AND {ts} > CAST($xt0 AS {kind}) AND {ts} <= CAST($xt1 AS {kind})",
                {"xt0": (lo - offset).replace(tzinfo=UTC), "xt1": (hi - offset).replace(tzinfo=UTC)})
    if cols.ts:
        sep = table.text_fixed
        if not sep or not table.text_plain or types.get(cols.ts) != "VARCHAR" or cols.ts in table.cast:
            return None
        ts = table.col("ts")
        return (f" AND {ts} > $xt0 AND {ts} <= $xt1",
                {"xt0": lo.strftime(f"%Y-%m-%d{sep}%H:%M:%S"), "xt1": hi.strftime(f"%Y-%m-%d{sep}%H:%M:%S")})
    if (not cols.date or not cols.time or types.get(cols.date) != "DATE" or types.get(cols.time) != "TIME"
            or cols.date in table.cast or cols.time in table.cast or lo.date() != hi.date()):
        return None
    day, of_day = table.col("date"), table.col("time")
    return (f" AND {day} = $xd AND {of_day} > $xt0 AND {of_day} <= $xt1",
            {"xd": lo.date(), "xt0": lo.time(), "xt1": hi.time()})


class SteadyZone:
    """Whether ``tz``'s UTC offset is one and the same around a window's days, as DuckDB converts
    instants on ``con`` (the conversion the exact filter makes: Python's zone database may be of
    another version). ``steady(first, last)``: the offset if it is the same at every hour (and
    both ends) from two days before ``first`` (the zone's midnight) to three days after
    ``last``, else None; None too for days more than a day apart.

    Each day's offsets are read once, :data:`BLOCK_DAYS` days to a query (under a millisecond),
    and remembered. Reading hourly assumes no zone changes its offset and back within an hour,
    which no zone's history has done. A query that fails (a zone DuckDB does not know) makes
    every answer None: the exact filter then says what is wrong.
    """

    BLOCK_DAYS = 64

    def __init__(self, con, tz: str):
        self.con, self.tz = con, tz
        self._days: dict[date, timedelta | None] = {}

    def __call__(self, first: date, last: date) -> timedelta | None:
        if (last - first).days > 1:
            return None
        days = [first + timedelta(days=n) for n in range(-2, (last - first).days + 3)]
        try:
            if any(d not in self._days for d in days):
                self._read(days[0])
        except (duckdb.Error, OverflowError):
            return None
        offsets = {self._days.get(d) for d in days}
        return offsets.pop() if len(offsets) == 1 else None

    def _read(self, start: date) -> None:
        block = [start + timedelta(days=n) for n in range(self.BLOCK_DAYS)]
        rows = self.con.execute(
            "SELECT optbt_d, count(DISTINCT optbt_o), min(optbt_o) FROM (SELECT optbt_d, "
            "CAST(timezone($tz, optbt_t) AS TIMESTAMP) - CAST(timezone('UTC', optbt_t) AS TIMESTAMP) AS optbt_o "
            "FROM (SELECT optbt_d, unnest(generate_series(timezone($tz, CAST(optbt_d AS TIMESTAMP)), "
            "timezone($tz, CAST(optbt_d + 1 AS TIMESTAMP)), INTERVAL 1 HOUR)) AS optbt_t "
            "FROM (SELECT unnest($days) AS optbt_d))) GROUP BY optbt_d", {"tz": self.tz, "days": block}).fetchall()
        got = {d: (off if n == 1 else None) for d, n, off in rows}
        self._days.update({d: got.get(d) for d in block})


def day_span(lo: datetime, hi: datetime) -> tuple[date, date]:
    """The days D with D + t in [lo, hi] for some time of day t in [00:00, 24:00] (DuckDB reads
    a '24:00:00' time of day, and a nanosecond one rounds up to it)."""
    first = lo - timedelta(days=1)
    return first.date() + timedelta(days=1 if first.time() > datetime.min.time() else 0), hi.date()


def _on_timestamps(table, col: str, kind: str, lo: datetime, hi: datetime, tz: str | None) -> tuple[str, dict]:
    if is_aware(kind):
        return _between(col, kind, *instants(lo, hi, tz))
    if kind in NAIVE_TS:  # nanoseconds round up: a stored time up to 1 us before lo reads as lo
        return _between(col, kind, _minus(lo, timedelta(microseconds=1)), hi)
    if kind == "VARCHAR" and table.text_days is not None:
        least, most = table.text_days  # a row's exchange date less its text's date, in days
        try:
            first = (lo.date() - timedelta(days=most)).isoformat()
            after = (hi.date() - timedelta(days=least - 1)).isoformat()
        except OverflowError:
            return "", {}
        if len(first) != 10 or len(after) != 10:  # a year beyond 4 digits compares otherwise
            return "", {}
        # text starting with an ISO date compares as its date: in [first, after) iff its date is
        return f" AND {col} >= $sw0 AND {col} < $sw1", {"sw0": first, "sw1": after}
    return "", {}


def _on_days(col: str, kind: str, first: date, last: date, tz: str | None) -> tuple[str, dict]:
    """The bound on a date column that :meth:`Table.date_expr` reads as a day in ``first`` .. ``last``."""
    try:
        start = datetime.combine(first, datetime.min.time())
        end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    except OverflowError:
        return "", {}
    if is_aware(kind):  # its exchange date: an instant from the first midnight to the next day's
        return _between(col, kind, *instants(start, end, tz))
    if kind == "DATE":
        return _between(col, kind, first, last)
    if kind in NAIVE_TS:  # its date: from the first day's midnight to before the next day's
        return f" AND {col} >= CAST($sw0 AS {kind}) AND {col} < CAST($sw1 AS {kind})", {"sw0": start, "sw1": end}
    if kind in _INT_KINDS or kind in ("FLOAT", "DOUBLE"):
        # yyyymmdd: eight digits order as their dates; DuckDB also reads fewer (2024012 as
        # 2024-01-02), so any number not of eight digits is left to the exact filter
        return (f" AND ({col} BETWEEN $sw0 AND $sw1 OR {col} < 10000000 OR {col} > 99999999)",
                {"sw0": _yyyymmdd(first), "sw1": _yyyymmdd(last)})
    return "", {}


def costly(table) -> bool:
    """Does exchange time cost a computation per row (a zone's conversion, text parsed) rather
    than a cast? Then a query that needs it for many rows computes it once per distinct stored
    time instead (:func:`distinct_times`). A date and a time are cheap, even a yyyymmdd number
    (DuckDB reads it once per distinct value of a dictionary-encoded column): there the join
    measured slower (a block's listing 0.036 s against 0.025 s)."""
    cols, types = table.columns, table.types
    if cols.ts:
        return is_aware(types.get(cols.ts, "")) or types.get(cols.ts) == "VARCHAR"
    return is_aware(types.get(cols.date or "", ""))


def time_columns(table) -> list[str]:
    """The stored column(s) exchange time is computed from, quoted."""
    cols = table.columns
    return [quote_ident(c) for c in ([cols.ts] if cols.ts else [cols.date, cols.time])]


def distinct_times(table, known: str, where: str) -> str:
    """A subquery: each distinct stored time (``optbt_r0``, ``optbt_r1`` for a date and a time)
    of the rows of ``$f`` that pass ``where``, with ``known`` (its known-at time) as ``optbt_l``.

    A month file holds about 8,000 distinct minutes in 2.7 million option rows: converting
    each once and joining it back (or reading days off them) is several times faster than a
    zone's conversion or text parsing in every row. ``OFFSET 0`` keeps DuckDB from pushing a
    filter on ``optbt_l`` down into the scan, which would convert every row again."""
    raw = time_columns(table)
    named = ", ".join(f"{c} AS optbt_r{n}" for n, c in enumerate(raw))
    return (f"(SELECT {named}, {known} AS optbt_l FROM (SELECT DISTINCT {', '.join(raw)} "
            f"FROM read_parquet($f, {table.scan}) WHERE {where}) OFFSET 0)")


def join_times(table, known: str, where: str) -> str:
    """`` JOIN`` of :func:`distinct_times` onto a query's rows by their stored time: the query
    then reads ``optbt_l`` for ``known``."""
    keys = " AND ".join(f"{c} = optbt_r{n}" for n, c in enumerate(time_columns(table)))
    return f" JOIN {distinct_times(table, known, where)} AS optbt_m ON {keys}"


def prove_text(table, con, tz: str | None, index_of=None) -> tuple[int, int, bool, str] | None:
    """May a text ``ts`` column be bounded by its text? (least, most) days between a row's
    exchange date and the date its text starts with, whether no value carries a zone or
    offset (then each row's exchange time is its text cast as written: :meth:`Table.ts_expr`
    skips the per-row zone parsing), and the one separator (" " or "T") when every value is
    ``YYYY-MM-DD HH:MM:SS`` with hours to 23, else "" (then a window is picked by comparing the
    text itself: :func:`exact_window`); or None (no bound, the full conversion).

    Text compares in date order only when every value starts with an ISO date, and a row's
    exchange date may differ from its text's (a zone converted, '24:00:00', nanoseconds rounded
    up). Both are read off the column's distinct values, once, through the exact conversion
    (:meth:`Table.ts_expr`): every value must start with ``YYYY-MM-DD`` and convert without an
    error. Any doubt (a value not ISO, one the conversion refuses) gives None: the queries then
    read every row, and fail on a bad one, as before. The answer is remembered in the chain
    index (:meth:`ChainIndex.get_meta`) under the files' stamps, the SQL and the zone, so a
    later run of the dataset does not scan again. ``index_of``: a function giving that index (or
    None), called only when there is text to prove, so that other datasets do not open it here.
    """
    ts = table.columns.ts
    if table.by_day is not None or not ts or table.types.get(ts) != "VARCHAR" or ts in table.cast:
        return None
    local = table._text_ts("optbt_t", tz)
    sql = (f"SELECT bool_and(regexp_matches(optbt_t, '{_ISO_DATE}') AND optbt_d IS NOT NULL), "
           f"min(optbt_d), max(optbt_d), bool_and({table.text_zone('optbt_t')} = ''), "
           f"bool_and(regexp_full_match(optbt_t, '{_FIXED_TEXT}')), min(substr(optbt_t, 11, 1)), "
           "max(substr(optbt_t, 11, 1)) FROM (SELECT optbt_t, "
           f"CAST({local} AS DATE) - TRY_CAST(left(optbt_t, 10) AS DATE) AS optbt_d "
           f"FROM (SELECT DISTINCT {quote_ident(ts)} AS optbt_t FROM read_parquet($f, {table.scan})) "
           "WHERE optbt_t IS NOT NULL)")
    params = {"f": table.all_files, **({"tz": tz} if "$tz" in sql else {})}
    known, keep = recall(index_of() if index_of is not None else None, sql, params, table.all_files)
    if known is None:
        try:
            ok, least, most, plain, fixed, sep, other = con.execute(sql, params).fetchone()
        except duckdb.InterruptException:  # Ctrl-C: not a data error
            raise KeyboardInterrupt from None
        except duckdb.Error:  # a value the conversion refuses: each query says so, as before
            ok = least = None
        if ok and least is not None:
            known = [int(least), int(most), int(bool(plain)), ord(sep) if fixed and sep == other else 0]
        else:
            known = []
        keep(known)
    return (known[0], known[1], known[2] == 1, chr(known[3]) if known[3] else "") if len(known) == 4 else None


def instants(lo: datetime, hi: datetime, tz: str | None) -> tuple[datetime | None, datetime | None]:
    """UTC instants bounding every instant whose exchange time in ``tz`` lies in [lo, hi]: both
    readings of a time in a fold or gap, widened by :data:`ZONE_MARGIN` (None: unbounded).

    >>> instants(datetime(2024, 1, 2, 9, 15), datetime(2024, 1, 2, 15, 30), "Asia/Kolkata")[0]
    datetime.datetime(2024, 1, 2, 0, 45, tzinfo=datetime.timezone.utc)
    """
    if not tz:
        return None, None
    zone = ZoneInfo(tz)

    def utc(t: datetime, pick, step: timedelta) -> datetime | None:
        try:
            return pick(t.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1)) + step
        except (OverflowError, ValueError):
            return None
    return utc(lo, min, -ZONE_MARGIN), utc(hi, max, ZONE_MARGIN)


def _minus(t: datetime, d: timedelta) -> datetime | None:
    try:
        return t - d
    except OverflowError:
        return None


def _yyyymmdd(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _between(col: str, kind: str, lo, hi) -> tuple[str, dict]:
    """``col`` from ``lo`` to ``hi`` (None: open), the constants cast to the column's type."""
    sql, params = "", {}
    if lo is not None:
        sql, params["sw0"] = f" AND {col} >= CAST($sw0 AS {kind})", lo
    if hi is not None:
        sql, params["sw1"] = sql + f" AND {col} <= CAST($sw1 AS {kind})", hi
    return sql, params
