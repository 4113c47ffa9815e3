"""The DuckDB implementation of :class:`optbt.source.DataSource` (the only module that imports duckdb).

One connection per instance (and so per process: sweeps build one per worker). Values always
travel as named parameters; only identifiers from the dataset config (column names, which
are quoted) are written into SQL text. File lists are resolved once: with a hive day
partition (``day=2024-01-02/``) a day's query opens that day's files only.

What reaches the engine is already clean, decided in SQL once per fetch (never per tick):
an unusable price (:mod:`optbt.model.prices`) comes back as None (an option bar, which the
alignment skips) or not at all (a spot bar, so it makes no clock tick); identical duplicate
rows are dropped and conflicting ones raise :class:`ConflictingBarsError` naming the file;
a chain lists no expiry before its day and no strike that is NULL or not a finite number
(what was left out is counted in :attr:`DuckDBSource.ignored`). Timestamps are one thing:
a table whose files mix tz-aware and naive timestamps is refused when the source opens.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from optbt.data.chain_index import ChainIndex, Listing
from optbt.data.dataset import DatasetConfig, OptionFiles, SeriesFiles, SpotFiles, load_dataset
from optbt.data.files import find_files, folder_keys
from optbt.data.footers import kind_of, option_days_from_footers, same_underlying, stat_day, stat_time
from optbt.data.read_ahead import ReadAhead, enabled_by_env
from optbt.data.source import (Bar, Chain, ConflictingBarsError, FolderDisagreesError, MixedTimezonesError,
                                StartLabelledTicksError, UnreadableFileError)
from optbt.data.sql_text import NAIVE_TS, bound, is_aware, quote_ident, up_to_microseconds
from optbt.model.errors import DataError, did_you_mean
from optbt.model.instrument import Instrument
from optbt.model.prices import INF, sql_mid, sql_price, sql_quote_side
from optbt.model.timestamps import off_the_minute, on_whole_minutes


def _side(v: float | None) -> str:
    """A quote side in a message: its value, or "none" when missing or unusable."""
    return "none" if v is None else repr(v)


def _known_at(bar: Bar):
    return bar[0]


# the exchange-date spellings a text expiry may have beyond ISO: 20240104, 04-Jan-24, 04-Jan-2024,
# 04JAN24, 04JAN2024 (month names in any case); two-digit years are tried first
_EXPIRY_TEXT_FORMATS = ("%Y%m%d", "%d-%b-%y", "%d-%b-%Y", "%d%b%y", "%d%b%Y")


class _Counted:
    """The read-ahead connection as the readers' ``run(sql, params) -> rows``, counting its queries."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.queries = 0

    def __call__(self, sql: str, params: dict) -> list[tuple]:
        self.queries += 1
        return self.cursor.execute(sql, bound(sql, params)).fetchall()


# Spot bars and chains of this many partition days come back in one query: a query's fixed
# cost (plan, open, convert) is paid once per block instead of once per day. What a block
# holds is handed out one day at a time and only for the day asked, so nothing of a later
# day reaches a strategy early; memory stays bounded by the block, not the run.
READ_AHEAD_DAYS = 16
INDEX_VERSION = 2  # of what a chain listing means (the rules in _listing): a change makes a new index
# a text timestamp as (1) its date and time of day, then (4) whatever follows: a zone or nothing
_TEXT_TS = r"^\s*(\S+?[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)\s*(.*?)\s*$"
_FILE_COL = "optbt_file"

_FOOTERS_KEPT = 200  # at most this many files' parsed footers are kept (see DuckDBSource.__init__)
_OPTIONAL_OPTION_COLS = ("underlying", "open", "high", "low", "volume", "oi")
# optional columns read only when a strategy asks for them (an option's never): a name the config
# gives is checked against the files when the table opens, not when (if ever) one is read
_READ_ON_DEMAND = ("open", "high", "low", "volume", "oi")


class _Table:
    """One side of a dataset (options or spot): its files and its SQL column expressions."""

    def __init__(self, con, cfg: DatasetConfig, files: OptionFiles | SpotFiles, what: str):
        self.what = what
        self.hive = "true" if files.hive_partitioning else "false"
        self.all_files = paths = find_files(cfg, files, what)
        self._listed = {os.path.normpath(f): f for f in paths}  # DuckDB may spell a path its own way
        self.by_day: dict[date, list[str]] | None = None
        if files.day_partition:
            self._key = key = re.compile(re.escape(files.day_partition) + r"=(\d{4}-\d{2}-\d{2})")
            by_day: dict[date, list[str]] = {}
            for p in paths:
                m = key.search(p.replace(os.sep, "/"))
                if not m:
                    raise DataError(f"{what}: file {p} has no '{files.day_partition}=YYYY-MM-DD' folder"
                                    " although day_partition is set")
                try:
                    day = date.fromisoformat(m.group(1))
                except ValueError:
                    raise DataError(f"{what}: the folder of {p} names no real day ({m.group(0)}); rename it"
                                    " after the day its rows trade on") from None
                by_day.setdefault(day, []).append(p)
            self.by_day = by_day
            self.days = sorted(by_day)
            self.day_of = {f: d for d, fs in by_day.items() for f in fs}
        self.rows: dict[str, int] = {}  # file -> its rows, from its footer, once asked (file_rows)
        self.spans: dict[str, tuple[date, date]] = {}
        self.times: dict[str, tuple[datetime, datetime]] = {}  # exact raw time ranges (naive timestamps)
        try:
            desc = con.execute(f"SELECT * FROM read_parquet($f, hive_partitioning={self.hive}) LIMIT 0",
                               {"f": paths[:1]}).description
        except duckdb.Error as exc:
            raise UnreadableFileError(paths[0], f"{what}: cannot read {paths[0]}: {str(exc).splitlines()[0]}") from None
        self.types = {d[0]: str(d[1]).upper() for d in desc}
        self.columns = files.columns
        self.scan = f"hive_partitioning={self.hive}"  # read_parquet's options for every query of the table
        self.cast: dict[str, str] = {}  # column -> the type it is read as, where files differ (_unify)
        schemas = self._schemas(con)  # every file's footer, read once for both checks
        self._check_zones(schemas)
        self._unify(con, schemas)
        self._named_columns_present()
        if files.hive_partitioning:
            self._folders_agree(con, schemas)
        if self.by_day is None:
            self.spans = self._file_spans(con)

    def _file_spans(self, con) -> dict[str, tuple[date, date]]:
        """The days each file covers, from its footer's min/max statistics (no rows are read).

        This is what lets a dataset without day folders (a file a month, one spot file for the
        year, files per day without hive names) be read a block of days at a time, opening only
        the files whose days overlap. The span is widened by a day on each side, so a time-zone
        conversion or a start-labelled bar's shift can never push a bar outside its file's span;
        a file without usable statistics has no span and is always read.
        """
        col = self.columns.ts or self.columns.date
        if not col or col not in self.types:
            return {}
        try:
            rows = con.execute("SELECT file_name, min(stats_min_value), max(stats_max_value) FROM parquet_metadata($f) "
                               "WHERE path_in_schema = $c GROUP BY file_name "
                               # a row group without statistics could hold any time: no span for its file
                               "HAVING bool_and(stats_min_value IS NOT NULL AND stats_max_value IS NOT NULL)",
                               {"f": self.all_files, "c": col}).fetchall()
        except duckdb.Error:
            return {}
        one = timedelta(days=1)
        spans = {}
        if self.columns.ts and self.types.get(col) in NAIVE_TS:
            self.times = {self.listed(n): (lo_t, hi_t) for n, lo, hi in rows
                          if (lo_t := stat_time(lo)) is not None and (hi_t := stat_time(hi)) is not None}
        for name, lo, hi in rows:
            first, last = stat_day(lo), stat_day(hi)
            if first is not None and last is not None and first <= last:
                spans[name] = (first - one, last + one)
        return {self.listed(k): v for k, v in spans.items()}

    def one_underlying(self, con) -> dict[str, str]:
        """Files whose every row has one and the same underlying, by their footers: that value.

        A row group's statistics settle it when they are exact, without NULLs, and its smallest
        and largest value are the same text; a file whose every row group says so holds that
        underlying only. A day's query on such files need not test each row's underlying (about
        a tenth of its time): the test would keep every row. Only a text column, and only
        without day folders (whose footers are not read when the dataset opens); any doubt
        leaves the file out, and its queries test every row as before.
        """
        name = self.columns.underlying
        if self.by_day is not None or not name or self.types.get(name) != "VARCHAR":
            return {}
        try:
            rows = con.execute("SELECT file_name, min(stats_min_value) FROM parquet_metadata($f) "
                               "WHERE path_in_schema = $c GROUP BY file_name HAVING bool_and("
                               "stats_min_value IS NOT NULL AND stats_min_value = stats_max_value "
                               "AND stats_null_count = 0 AND min_is_exact IS NOT false AND max_is_exact IS NOT false) "
                               "AND min(stats_min_value) = max(stats_max_value)",  # one value in every row group
                               {"f": self.all_files, "c": name}).fetchall()
        except duckdb.Error:
            return {}
        return {self.listed(n): v for n, v in rows}

    def _schemas(self, con) -> list[tuple]:
        """(file, column, physical type, logical type) of the columns the config uses, from every
        file's footer (about 0.05 ms a file); one file's table needs none of it.

        Every column name the config gives counts, also one the first file lacks (whose types
        are the table's): a column that only later files hold is then refused by :meth:`_unify`
        like one that only the first file holds, instead of being read as absent from all."""
        used = {n for f in type(self.columns).model_fields if (n := getattr(self.columns, f))}
        if (len(self.all_files) < 2 and self.hive == "false") or not used:  # hive: see _folders_agree
            return []
        try:
            rows = con.execute("SELECT file_name, name, type, coalesce(logical_type, converted_type) "
                               "FROM parquet_schema($f) WHERE name IN (SELECT unnest($n))",
                               {"f": self.all_files, "n": sorted(used)}).fetchall()
        except duckdb.Error as exc:
            text = str(exc).splitlines()[0]
            hit = re.search(r"'([^']+)'", text)
            raise UnreadableFileError(hit.group(1) if hit else self.all_files[0],
                                      f"{self.what}: cannot read the files' schemas: {text}") from None
        return [(self.listed(f), name, physical, logical) for f, name, physical, logical in rows]

    def _unify(self, con, schemas: list[tuple]) -> None:
        """Read files whose column types differ as one table, and refuse files missing a column.

        DuckDB reads a list of files with the first file's schema: a strike column that is
        int64 in one file (pandas, for a day of whole strikes) and float64 in the next had
        17.5 read as 18 in the chain and no trade that day, silently. From the footers (about
        0.05 ms a file): when a column the config uses has different types across files, every
        query of the table reads by name with the types unified (``union_by_name``: int and
        float as DOUBLE, a date and text as text, which the readers then parse as text); when a
        file lacks a used column that others have, the table is refused naming both files.
        """
        kinds: dict[str, dict[str, tuple]] = {}  # column -> file -> (physical, logical type)
        for f, name, physical, logical in schemas:
            kinds.setdefault(name, {})[f] = (physical, logical)
        for name, by_file in kinds.items():  # columns the files hold themselves (hive keys too, see below)
            # a file need not store a key its folder gives (underlying=NIFTY/): the folder's value
            # is read for every row (_folders_agree refuses a file that stores another)
            lacking = [f for f in self.all_files if f not in by_file
                       and not (self.hive == "true" and name.lower() in folder_keys(f))]
            if lacking:
                raise DataError(f"{self.what}: {lacking[0]} has no column '{name}', which {next(iter(by_file))} "
                                f"has: every {self.what} file needs the columns the config maps "
                                f"({len(lacking)} file{'s lack' if len(lacking) > 1 else ' lacks'} it); rewrite "
                                "such files with the column, or split them into a dataset of their own")
        drifting = [name for name, by_file in kinds.items() if len(set(by_file.values())) > 1]
        for name in drifting:  # numbers and dates do not unify (DuckDB cannot cast BIGINT to DATE)
            by_kind: dict[str, str] = {}
            for f, (physical, logical) in kinds[name].items():
                by_kind.setdefault(kind_of(physical, logical), f)
            if "number" in by_kind and "time" in by_kind:
                raise DataError(f"{self.what}: column '{name}' holds numbers in {by_kind['number']} but dates or "
                                f"times in {by_kind['time']}; rewrite the odd files with one type (a yyyymmdd "
                                "number, a date or text) so every file reads alike")
        if drifting:
            self.scan = f"hive_partitioning={self.hive}, union_by_name=true"
            desc = con.execute(f"SELECT * FROM read_parquet($f, {self.scan}) LIMIT 0",
                               {"f": self.all_files}).description
            self.types = {d[0]: str(d[1]).upper() for d in desc}
            # a query of one day's files sees those files' own type: cast to the unified one, so
            # every expression built on it reads each file alike
            self.cast = {name: self.types[name] for name in drifting}

    def _named_columns_present(self) -> None:
        """Refuse an optional column the config names that no file holds (``volume = "vol"``
        for files without ``vol``), when the table opens.

        Open, high, low and volume are read only when a strategy asks for whole bars (an
        option's, and oi, never): a wrong name was found by the first such strategy, or never,
        and a result that should have read the column went on without it. A default name the
        user did not write may be absent (:meth:`_left_out`); a column only some files hold is
        refused by :meth:`_unify`."""
        for canonical in _READ_ON_DEMAND:
            name = getattr(self.columns, canonical, None)
            if name and name not in self.types:
                self._left_out(canonical, name)

    def _folders_agree(self, con, schemas: list[tuple]) -> None:
        """Refuse a file that stores a hive key the config reads (``underlying``, a date column)
        with another value than its folder's (a NIFTY file under ``underlying=BANKNIFTY/``).

        With ``hive_partitioning = true`` DuckDB reads the folder's value and ignores the file's
        (2.0.1; which one wins is DuckDB's choice, not the data's), so the underlying filter
        would take those rows for BANKNIFTY's, or a date column put them on the folder's day.
        A key nothing reads (a day folder's ``day`` when no column maps it: the day comes from
        the path) changes nothing and is not judged. Only files whose own footer holds such a
        key are looked at, and by their footers' min/max statistics (no rows read); a file
        whose statistics are missing or inexact has that one column read. NULLs in the file
        are no disagreement: the folder supplies the value they lack.
        """
        candidates: dict[tuple[str, str], str] = {}  # (file, key) -> the folder's value
        for f, name, _, _ in schemas:
            folder = folder_keys(f).get(name.lower())
            if folder is not None:  # schemas hold the columns the config maps only
                candidates[(f, name)] = folder
        if not candidates:
            return
        files = sorted({f for f, _ in candidates})
        keys = sorted({k for _, k in candidates})
        try:
            stats = con.execute("SELECT file_name, path_in_schema, stats_min_value, stats_max_value, "
                                "min_is_exact IS NOT false AND max_is_exact IS NOT false FROM parquet_metadata($f) "
                                "WHERE path_in_schema IN (SELECT unnest($k))", {"f": files, "k": keys}).fetchall()
        except duckdb.Error as exc:
            raise UnreadableFileError(files[0], f"{self.what}: cannot read the footers of {files[0]}: "
                                                f"{str(exc).splitlines()[0]}") from None
        values: dict[tuple[str, str], set] = {}  # the file's own values (None: statistics cannot tell)
        for name, key, lo, hi, exact in stats:
            got = values.setdefault((self.listed(name), key), set())
            if lo is None and hi is None:  # a row group of NULLs only (or without statistics: read below)
                got.add(None)
            elif not exact or lo is None or hi is None:
                got.add(None)
            else:
                got.update((lo, hi))
        wrong: list[tuple[str, str, str, str]] = []  # (file, key, folder's value, file's value)
        for (f, key), folder in sorted(candidates.items()):
            own = values.get((f, key), {None})
            if None in own:  # no statistics to settle it: this file's column alone
                try:
                    own = {r[0] for r in con.execute(
                        f"SELECT DISTINCT CAST({quote_ident(key)} AS VARCHAR) FROM read_parquet($f, "
                        f"hive_partitioning=false) WHERE {quote_ident(key)} IS NOT NULL", {"f": [f]}).fetchall()}
                except duckdb.Error as exc:
                    raise UnreadableFileError(f, f"{self.what}: cannot read {f}: {str(exc).splitlines()[0]}") from None
            odd = sorted(v for v in own if not self._same_value(con, key, v, folder))
            if odd:
                wrong.append((f, key, folder, odd[0]))
        if wrong:
            f, key, folder, value = wrong[0]
            raise FolderDisagreesError(self.what, f, key, folder, repr(value), len(wrong))

    def _same_value(self, con, key: str, value: str, folder: str) -> bool:
        """Does a file's value of hive key ``key`` (as its footer writes it) say what its folder
        says, as a run compares it? Both read as the key's type (the folder's: ``21000`` and
        ``21000.0`` are one strike); the underlying as a run matches it, case and padding aside."""
        if value == folder:
            return True
        if key == self.columns.underlying:
            return value.strip().upper() == folder.strip().upper()
        kind = self.types.get(key, "VARCHAR")
        if any(n in kind for n in ("INT", "DECIMAL", "FLOAT", "DOUBLE")):  # 21000.5 is not the folder's 21001
            kind = "DOUBLE"
        try:
            a, b = con.execute(f"SELECT TRY_CAST($a AS {kind}), TRY_CAST($b AS {kind})",
                               {"a": value, "b": folder}).fetchone()
        except duckdb.Error:
            return False
        return a is not None and a == b

    def _check_zones(self, schemas: list[tuple]) -> None:
        """Refuse a table whose files mix tz-aware and naive timestamps (see MixedTimezonesError).

        DuckDB would read them as one column typed like the first file, silently shifting the
        other kind by the zone's offset.
        """
        ts = self.columns.ts
        if not ts or ts not in self.types or not self.types[ts].startswith("TIMESTAMP"):
            return
        aware: set[str] = set()
        naive: set[str] = set()
        for f, name, _physical, logical in schemas:
            if name == ts:
                (aware if "isAdjustedToUTC=1" in (logical or "") else naive).add(f)
        if aware and naive:
            raise MixedTimezonesError(self.what, sorted(aware)[0], sorted(naive)[0])

    def file_rows(self, files: list[str], read: Callable[[str, dict], list[tuple]]) -> dict[str, int]:
        """Rows of each of ``files`` (as this table lists them, in that order), from their
        footers, each footer read once for the table's life (about 0.05 ms a file) by ``read``
        (sql, params) -> rows: a run's days and data check's empty files and blocks share them."""
        ask = [f for f in files if f not in self.rows]
        if ask:
            got = read("SELECT file_name, num_rows FROM parquet_file_metadata($f)", {"f": ask})
            self.rows.update((self.listed(name), n) for name, n in got)
        return {f: self.rows[f] for f in files if f in self.rows}

    def listed(self, name: str) -> str:
        """A file as this table lists it, for the name DuckDB gives it (spelled its own way)."""
        return self._listed.get(os.path.normpath(name), name)

    def day_of_file(self, name: str) -> date:
        """The partition day of a file DuckDB names (as listed, or spelled its own way)."""
        d = self.day_of.get(name)
        if d is None:
            d = self.day_of[name] = date.fromisoformat(self._key.search(name.replace(os.sep, "/")).group(1))
        return d

    def ahead(self, day: date, calendar: list[date]) -> tuple[list[date] | None, list[str]]:
        """(``day`` and the days after it, up to READ_AHEAD_DAYS; the files that hold them).

        With day folders the days are the partition days and each file names its day. Without
        them the days come from ``calendar`` (the dataset's trading days) and the files are
        those whose footers' spans overlap the block; the query then tells days apart by time.
        A day outside both: (None, its files), a query for that day alone.
        """
        days = self.days if self.by_day is not None else calendar
        i = bisect.bisect_left(days, day)
        if i == len(days) or days[i] != day:
            return None, self.files_for(day)
        block = days[i:i + READ_AHEAD_DAYS]
        if self.by_day is not None:
            return block, [f for d in block for f in self.by_day[d]]
        return block, self.files_between(block[0], block[-1])

    def files_for(self, day: date | None) -> list[str]:
        if day is None:
            return self.all_files
        if self.by_day is None:
            return self.files_between(day, day)
        return self.by_day.get(day, [])

    def files_during(self, after: datetime, until: datetime, files: list[str]) -> list[str]:
        """Those of ``files`` that may hold raw times in (``after``, ``until``]: a file whose
        footer gives its exact time range (naive timestamps) and lies outside is left out; the
        day spans are a day wider on each side, so a file a day would otherwise open three."""
        times = self.times
        if not times:
            return files
        out = []
        for f in files:
            span = times.get(f)
            if span is None or (span[0] <= until and after < span[1]):
                out.append(f)
        return out

    def files_between(self, first: date, last: date) -> list[str]:
        """Files that may hold bars of days ``first`` .. ``last`` (by their footers' spans)."""
        spans = self.spans
        out = []
        for f in self.all_files:
            span = spans.get(f)
            if span is None or (span[0] <= last and first <= span[1]):
                out.append(f)
        return out

    def col(self, canonical: str, required: bool = True) -> str | None:
        """The quoted source column for a canonical name, checked against the files."""
        name = getattr(self.columns, canonical)
        if name is None:
            return None
        if name not in self.types:
            if not required:
                return self._left_out(canonical, name)
            raise DataError(
                f"{self.what}: column '{name}' (for {canonical}) is not in the files"
                f"{did_you_mean(name, self.types)}; columns are: {', '.join(self.types)}."
                f" Map it in the dataset config under [{self.what}.columns]")
        kind = self.cast.get(name)
        return f"CAST({quote_ident(name)} AS {kind})" if kind else quote_ident(name)

    def _left_out(self, canonical: str, name: str) -> None:
        """An optional column the files lack: fine when it was the default name (or ""), refused
        when the config named it (a typo would drop its filter: a NIFTY run trading BANKNIFTY
        rows) or when the files have it in another case (``Underlying``)."""
        if name and canonical in self.columns.model_fields_set:
            raise DataError(
                f"{self.what}: column '{name}' (for {canonical}) is not in the files{did_you_mean(name, self.types)};"
                f" columns are: {', '.join(self.types)}. Fix the name under [{self.what}.columns], or set"
                f" {canonical} = \"\" if the files have no such column")
        alike = [c for c in self.types if c.lower() == name.lower()] if canonical == "underlying" else []
        if alike:
            raise DataError(
                f"{self.what}: the files have a column '{alike[0]}', not '{name}' (the default for {canonical});"
                f" map it under [{self.what}.columns]: {canonical} = \"{alike[0]}\" (or {canonical} = \"\" if it"
                " is not the underlying's name)")
        return None

    def ts_expr(self, tz: str | None) -> str:
        cols = self.columns
        if cols.ts:
            ts = self.col("ts")
            kind = self.types[cols.ts]
            if is_aware(kind):
                self._need_zone(tz, "timestamps")
                if kind.endswith("_NS"):  # the zone's conversion keeps nanoseconds: round them up
                    return up_to_microseconds(f"timezone($tz, {ts})")
                return f"CAST(timezone($tz, {ts}) AS TIMESTAMP)"  # microseconds, whatever the file's unit
            if kind == "TIMESTAMP_NS":
                return up_to_microseconds(ts)
            if kind.startswith("TIMESTAMP"):
                return f"CAST({ts} AS TIMESTAMP)"
            if kind in ("VARCHAR",):
                return self._text_ts(ts, tz)
            raise DataError(f"{self.what}: column '{cols.ts}' is {kind}, not a timestamp")
        day, time_ = self.col("date"), self.col("time")
        if is_aware(self.types[cols.time]):
            raise DataError(f"{self.what}: column '{cols.time}' (time) is {self.types[cols.time]}: a time of day "
                            "with a UTC offset is not read (its date's offset may differ); write the times as "
                            "exchange time, or give one tz-aware timestamp column as ts")
        kind = self.types[cols.time]
        of_day = f"CAST({time_} AS TIME)" if kind == "TIME" else up_to_microseconds(
            time_ if kind == "TIME_NS" else f"CAST({time_} AS TIME_NS)", "TIME")
        return f"({self.date_expr(day, self.types[cols.date], tz, label=f'dates (column {cols.date!r})')} + {of_day})"

    def _need_zone(self, tz: str | None, what: str) -> None:
        """Refuse zone-carrying values in a dataset that does not name the exchange's zone."""
        if not tz:
            raise DataError(f"{self.what}: {what} carry a time zone; set timezone = "
                            "\"Area/City\" in the dataset config (the exchange's zone)")

    def date_expr(self, col: str, kind: str, tz: str | None, fmt: str = "auto", label: str = "dates") -> str:
        """A column of exchange dates as DATE: a date, a timestamp (its date in exchange time:
        an aware one is converted first, as DuckDB would cast it in the machine's zone), an
        integer or text ``yyyymmdd``, or text in ISO or an NSE spelling (``04-Jan-2024``,
        ``04JAN24``); text with a time and a zone is converted like a text timestamp. A value
        that reads as none of them is NULL (for an expiry: that row's ``bad_expiry``)."""
        if is_aware(kind):
            self._need_zone(tz, label)
            return f"CAST(timezone($tz, {col}) AS DATE)"
        if kind == "DATE" or kind.startswith("TIMESTAMP"):
            return f"CAST({col} AS DATE)"
        if kind in ("FLOAT", "DOUBLE") or kind.startswith("DECIMAL"):  # 20240104.0 (a pandas column with NaN)
            whole = f"CASE WHEN {col} = floor({col}) THEN TRY_CAST({col} AS BIGINT) END"
            return f"CAST(try_strptime(CAST({whole} AS VARCHAR), '%Y%m%d') AS DATE)"
        if fmt == "yyyymmdd" or "INT" in kind:
            # try_: one impossible date (20240230) is that row's bad_expiry, not the block's failure
            return f"CAST(try_strptime(CAST({col} AS VARCHAR), '%Y%m%d') AS DATE)"
        if kind == "VARCHAR" and fmt == "auto":
            spelled = ", ".join(f"TRY_CAST(try_strptime(trim({col}), '{f}') AS DATE)" for f in _EXPIRY_TEXT_FORMATS)
            # a time of day after the date: read as a text timestamp (its zone converted, or refused)
            timed = f"CAST({self._text_ts(col, tz)} AS DATE)"
            return (f"(CASE WHEN regexp_matches({col}, '[0-9]:[0-9]{{2}}') THEN {timed} "
                    f"ELSE CAST(COALESCE(TRY_CAST(trim({col}) AS DATE), {spelled}) AS DATE) END)")
        return f"CAST({col} AS DATE)"

    def _text_ts(self, ts: str, tz: str | None) -> str:
        """Text timestamps, row by row: what follows the time of day decides how a row is read.

        DuckDB's ``CAST(... AS TIMESTAMP)`` silently drops a zone it is given ('09:16:00 GMT',
        '... utc', '... -0500' all come back as 09:16), which would shift such rows by their
        offset without a word. So only a row with nothing after its time is exchange time as
        written. A UTC offset (``+05:30``, ``+0530``, ``+05``, with or without a space before
        it), ``Z``/``UTC``/``GMT`` in any case, or an ``Area/City`` name is converted to the
        exchange zone (and needs ``timezone``). Anything else (an abbreviation such as IST,
        which names three zones, or ``UTC+5``, whose sign POSIX and ISO read opposite ways) is
        refused with the row's text.
        """
        head = f"regexp_extract({ts}, '{_TEXT_TS}', 1)"
        zone = f"regexp_extract({ts}, '{_TEXT_TS}', 4)"
        if not tz:
            aware = (f"error('{self.what}: text timestamps carry a UTC offset or zone (' || {ts} || '); "
                     f"set timezone = \"Area/City\" in the dataset config (the exchange''s zone)')")
            return up_to_microseconds(f"(CASE WHEN {zone} = '' THEN CAST({ts} AS TIMESTAMP_NS) ELSE {aware} END)")
        return up_to_microseconds(
                f"(CASE WHEN {zone} = '' THEN CAST({ts} AS TIMESTAMP_NS) "
                f"WHEN regexp_full_match({zone}, '[+-][0-9]{{2}}(:?[0-9]{{2}})?') "
                f"THEN timezone($tz, CAST({head} || {zone} AS TIMESTAMPTZ_NS)) "
                f"WHEN upper({zone}) IN ('Z', 'UTC', 'GMT') "
                f"THEN timezone($tz, CAST({head} || '+00:00' AS TIMESTAMPTZ_NS)) "
                f"WHEN regexp_full_match({zone}, '[A-Za-z_]+(/[A-Za-z0-9_+-]+)+') "
                f"THEN timezone($tz, CAST({head} || ' ' || {zone} AS TIMESTAMPTZ_NS)) "
                f"ELSE error('{self.what}: timestamp ''' || {ts} || ''' ends in ''' || {zone} || ''', which "
                f"optbt does not read as a zone (an abbreviation can name several zones); write a UTC "
                f"offset (+05:30), Z, or an Area/City name') END)")


class DuckDBSource:
    """Option and spot bars from parquet through DuckDB, lazily, one day at a time."""

    def __init__(self, config: DatasetConfig | str | Path, read_ahead: bool = True):
        self.config = config if isinstance(config, DatasetConfig) else load_dataset(config)
        cfg = self.config
        self.con = duckdb.connect(database=":memory:")
        # day-sized queries: two threads at most (sweeps run one process per core)
        self.con.execute("SET threads = 2")
        self.con.execute("SET enable_progress_bar = false")  # only optbt/cli prints
        self.queries = 0
        self.options = _Table(self.con, cfg, cfg.options, "options")
        self.spot = _Table(self.con, cfg, cfg.spot, "spot")
        files = len(self.options.all_files) + len(self.spot.all_files)
        if (self.options.by_day is None or self.spot.by_day is None) and files <= _FOOTERS_KEPT:
            # files holding many days (a file a month is opened by ~20 days' queries): each footer
            # is parsed once (DuckDB reads it again when the file's modification time changes).
            # Not with day folders, where a file serves one day: memory stays flat in the days.
            self.con.execute("SET parquet_metadata_cache = true")
        self._footers_cached = files <= _FOOTERS_KEPT and (self.options.by_day is None or self.spot.by_day is None)
        # how long after its timestamp a row is known, per table (each may have its own bar_label)
        self._shift = cfg.shift_of(cfg.options)
        self._spot_shift = cfg.shift_of(cfg.spot)
        # what the chain left out, by reason: contracts (expiry, strike) per reason
        self.ignored: dict[str, int] = {"expiry_before_day": 0, "bad_strike": 0, "bad_expiry": 0}
        # read-ahead blocks: (day, underlying) -> chain and last bar time / spot rows
        self._chains: dict[tuple[date, str], tuple[Chain, datetime | None]] = {}
        self._spots: dict[tuple[date, str], list[tuple]] = {}
        self._days: list[date] | None = None
        self._index: ChainIndex | None | bool = False  # opened on the first chain asked for
        self._build_sql()
        # the next block of chains and spot bars, read in the background (optbt/data/read_ahead.py)
        self._ahead = ReadAhead(self._reader) if read_ahead and enabled_by_env() else None
        self._until: date | None = None  # the last day of the range last asked for: nothing is read past it
        self._asked = False  # trading_days asked once (a later call without a range is a lookup)
        self._kicked: set[date] = set()  # first days whose first blocks were read ahead

    def _reader(self):
        """The read-ahead's connection: a database of its own, so that its queries never queue
        behind (or hold up) the engine's in one task scheduler; one thread, the other core."""
        con = duckdb.connect(database=":memory:")
        con.execute("SET threads = 1")
        con.execute("SET enable_progress_bar = false")
        if self._footers_cached:
            con.execute("SET parquet_metadata_cache = true")
        return con

    # -- SQL text (identifiers only) --------------------------------------------------------
    def _known_at(self, table: _Table, shift: timedelta) -> str:
        ts = table.ts_expr(self.config.timezone)
        return f"({ts} + INTERVAL {int(shift.total_seconds())} SECOND)" if shift else ts

    def _expiry_expr(self) -> str:
        """The expiry as a DATE (see :meth:`_Table.date_expr`); ``expiry_format`` says how an
        integer or text column is spelled (a date or timestamp column is read as such)."""
        t = self.options
        return t.date_expr(t.col("expiry"), t.types[t.columns.expiry], self.config.timezone,
                           self.config.options.expiry_format, f"expiries (column {t.columns.expiry!r})")

    def _build_sql(self) -> None:
        cfg, o, s = self.config, self.options, self.spot
        und = o.col("underlying", required=False)
        self._opt_und = f"upper(trim(CAST({und} AS VARCHAR))) = upper($und)" if und else "TRUE"
        self._one_und = o.one_underlying(self.con) if und else {}  # file -> its only underlying
        opt = o.col("opt_type")
        self._raw_opt_type = f"upper(trim(CAST({opt} AS VARCHAR)))"  # the type's text, cleaned
        self._opt_type = (f"CASE WHEN list_contains($calls, {self._raw_opt_type}) THEN 'CE' "
                          f"WHEN list_contains($puts, {self._raw_opt_type}) THEN 'PE' END")
        # the per-day query reads the cleaned text and names it with this map, the CASE's twin:
        # binding the CASE costs DuckDB ~0.2 ms in every query (a fifth of a day file's query)
        o_cfg = cfg.options
        self._opt_type_of = {**{v.upper(): "PE" for v in o_cfg.put_values},
                             **{v.upper(): "CE" for v in o_cfg.call_values}}  # calls first, as the CASE
        strike = o.col("strike")
        self._strike = f"CAST({strike} AS DOUBLE)"
        self._raw_strike = strike
        self._expiry = self._expiry_expr()
        self._raw_expiry = o.col("expiry")
        self._raw_expiry_is_date = o.types[o.columns.expiry] == "DATE"
        self._opt_known = self._known_at(o, self._shift)
        # the usable-price rule (optbt/model/prices.py): one expression each, used by every query
        if cfg.price == "mid":
            self._price = sql_mid(o.col("bid"), o.col("ask"))
        else:
            self._price = sql_price(o.col("close"))
        if cfg.has_quotes:  # each side usable or NULL; a crossed quote is NULL on both sides
            bid, ask = o.col("bid"), o.col("ask")
            self._bid = sql_quote_side(bid, ask, is_bid=True)
            self._ask = sql_quote_side(ask, bid, is_bid=False)
        else:
            self._bid = self._ask = "NULL"
        sund = s.col("underlying", required=False)
        self._spot_und = f"upper(trim(CAST({sund} AS VARCHAR))) = upper($und)" if sund else "TRUE"
        self._spot_close = s.col("close")
        self._spot_price = sql_price(self._spot_close)
        self._spot_known = self._known_at(s, self._spot_shift)

    def _params(self, **extra) -> dict:
        cfg = self.config
        p = dict(extra)
        if cfg.timezone:  # bound only where a query's SQL converts (tz-aware files; a series' too)
            p["tz"] = cfg.timezone
        return p

    def _opt_params(self, **extra) -> dict:
        o = self.config.options
        return self._params(calls=[v.upper() for v in o.call_values],
                            puts=[v.upper() for v in o.put_values], **extra)

    def _run(self, sql: str, params: dict) -> list[tuple]:
        self.queries += 1
        params = bound(sql, params)
        try:
            return self.con.execute(sql, params).fetchall()
        except duckdb.InterruptException:  # Ctrl-C: not a data error (a day must not be skipped for it)
            raise KeyboardInterrupt from None
        except duckdb.Error as exc:
            raise DataError(f"query on the dataset failed: {exc}".splitlines()[0]) from None

    # -- DataSource ---------------------------------------------------------------------------
    def trading_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        days = self._spot_days(start, end)
        if start is None and end is None and self._asked:
            return days  # the whole calendar looked up mid-run (previous days): starts nothing
        self._asked = True
        self._until = end
        if self._ahead is not None and len(days) > READ_AHEAD_DAYS and days[0] not in self._kicked:
            # a run asks for its days, then for the option days (a scan without day folders),
            # then for the first day's chain and spot: the first blocks are read meanwhile (not
            # for a run of one block, which would only pay for starting the reader; not twice)
            self._kicked.add(days[0])
            und = self._und()
            self._read_next("chain", days[0], und, [date.min, days[0] - timedelta(days=1)])
            self._read_next("spot", days[0], und, [date.min, days[0] - timedelta(days=1)])
        return days

    def _spot_days(self, start: date | None, end: date | None) -> list[date]:
        """The calendar's days in [start, end]; with day folders, those whose files hold a row."""
        days = [d for d in self._calendar() if (start is None or d >= start) and (end is None or d <= end)]
        return self._holding_rows(self.spot, days) if self.spot.by_day is not None else days

    def _calendar(self) -> list[date]:
        """The dataset's trading days (the spot's days), read once: read-ahead blocks follow them."""
        if self._days is None:
            if self.spot.by_day is not None:
                self._days = sorted(self.spot.by_day)
            else:
                sql = (f"SELECT DISTINCT CAST({self._spot_known} AS DATE) AS d FROM "
                       f"read_parquet($f, {self.spot.scan}) WHERE {self._spot_und} "
                       f"AND {self._spot_known} IS NOT NULL ORDER BY d")
                self._days = [r[0] for r in self._run(sql, self._params(f=self.spot.all_files, und=self._und()))]
        return self._days

    def option_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        """Days with option rows within [start, end]: a run visits these as well as the spot's
        days, so a day with options but no spot is skipped with a reason, never dropped.

        With day folders: the folders whose files hold a row (:meth:`_holding_rows`); a day of
        the spot's is taken without opening its option files (the run visits it either way)."""
        o = self.options
        if o.by_day is not None:
            days = [d for d in sorted(o.by_day) if (start is None or d >= start) and (end is None or d <= end)]
            spot = set(self._spot_days(start, end))
            days = sorted([d for d in days if d in spot] + self._holding_rows(o, [d for d in days if d not in spot]))
        else:  # only the files whose footers overlap the range, only the rows in it
            files = o.files_between(start or date.min, end or date.max)
            if not files:
                return []
            known, files = self._option_days_from_footers(files, self._und())
            days = sorted(known)
            if files:  # what the footers cannot settle is scanned
                day = f"CAST({self._opt_known} AS DATE)"
                sql = (f"SELECT DISTINCT {day} AS d FROM read_parquet($f, {o.scan}) "
                       f"WHERE {self._opt_und} AND {self._opt_known} IS NOT NULL "
                       f"AND {day} BETWEEN $s AND $e ORDER BY d")
                params = self._params(f=files, und=self._und(), s=start or date.min, e=end or date.max)
                # a scan of every row's time (a file a month: about 0.2 s a year), remembered
                # with the chain listings under the same kind of key (the files' stamps)
                index = self._chain_index()
                key = index.block_key(sql, params, files) if index is not None else None
                scanned = index.get_days(key) if index is not None else None
                if scanned is None:
                    scanned = [r[0] for r in self._run(sql, params)]
                    if index is not None:
                        index.put_days(key, scanned)
                days = sorted(known.union(scanned))
        return [d for d in days if (start is None or d >= start) and (end is None or d <= end)]

    def _holding_rows(self, table: _Table, days: list[date]) -> list[date]:
        """Of ``days`` of a table with day folders, those whose files hold a row.

        A folder names its files' day, but a file may hold no row (a writer's empty frame: its
        schema alone). Its folder is then no day in the data, as without day folders, where a
        day is a day only when rows fall on it: a run visited it and skipped it as ``no_spot``
        (``--strict`` failing for it). Row counts come from the files' footers, for the days
        asked, once a file (about 0.05 ms a file; not counted in ``queries``, which counts reads
        of rows, as the footers read when the dataset opens are not); ``data check`` names such
        files.
        """
        def read(sql: str, params: dict) -> list[tuple]:
            try:
                return self.con.execute(sql, params).fetchall()
            except duckdb.InterruptException:  # Ctrl-C, as in _run
                raise KeyboardInterrupt from None
            except duckdb.Error as exc:
                raise DataError(f"{table.what}: cannot read the files' footers: {str(exc).splitlines()[0]}") from None
        known = table.file_rows([f for d in days for f in table.by_day[d]], read)
        return [d for d in days if any(known.get(f, 1) for f in table.by_day[d])]

    def _option_days_from_footers(self, files: list[str], und: str) -> tuple[set[date], list[str]]:
        """(days that certainly hold option rows of ``und``, the files left to scan): see
        :func:`optbt.data.footers.option_days_from_footers`."""
        return option_days_from_footers(self.options, files, und, self._shift, self._run)

    def underlyings(self) -> list[str]:
        """The underlyings the files hold (empty when neither side has an underlying column)."""
        found: set[str] = set()
        for table in (self.spot, self.options):
            col = table.col("underlying", required=False)
            if col is not None:
                sql = (f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM "
                       f"read_parquet($f, {table.scan})")
                found.update(r[0] for r in self._run(sql, {"f": table.all_files}) if r[0] is not None)
        return sorted(found)

    def _und(self, underlying: str | None = None) -> str:
        return underlying or self.config.underlying

    def _und_test(self, und: str, files: list[str]) -> str:
        """The per-row underlying test of a day's option query, or TRUE when the files' footers
        show that every row they hold is ``und``'s (:meth:`_Table.one_underlying`; compared as
        the test compares, upper case, ASCII only so that Python's and DuckDB's agree)."""
        one = self._one_und
        if one and all((v := one.get(f)) is not None and same_underlying(v, und) for f in files):
            return "TRUE"
        return self._opt_und

    def _chain_and_last(self, day: date, underlying: str) -> tuple[Chain, datetime | None]:
        hit = self._chains.get((day, underlying))
        if hit is not None:
            return hit
        got = self._ahead.take(("chain", day, underlying)) if self._ahead is not None else None
        if got is None:
            try:
                listing = self._read_listing(day, underlying, self._calendar(), self._run)
            except DataError:  # a bad row of another day of the block must not fail this one:
                listing = self._read_listing(day, underlying, self._calendar(), self._run, alone=True)
        else:
            listing, queries = got
            self.queries += queries
        self._chains = {}
        for d, (strikes, last, left) in listing.items():
            for why, n in left.items():
                self.ignored[why] += n
            self._chains[(d, underlying)] = (
                Chain(d, tuple(sorted(strikes)), {e: tuple(ks) for e, ks in strikes.items()},
                      tuple(sorted(left.items()))), last)
        if self._ahead is not None:
            self._read_next("chain", day, underlying, list(listing))
        return self._chains[(day, underlying)]

    def _read_listing(self, day: date, underlying: str, calendar: list[date], run, alone: bool = False) -> Listing:
        """The listing of the block starting at ``day`` (from the chain index when it knows it),
        or of ``day`` ``alone`` (after the block's query failed: the error is then this day's own,
        or none). Touches nothing of this object but the index (which locks): the read-ahead runs it too."""
        o = self.options
        # the day's last bar time is read only when the session end comes from the data
        last_sql = f"max({self._opt_known})" if self.config.session.end_from_data else "NULL"
        block, files = (None, o.files_for(day)) if alone else o.ahead(day, calendar)
        by_file = block is not None and o.by_day is not None  # a file's folder names its day
        if by_file:  # a row without a time is on no day, whatever folder holds it (as below)
            day_sql, group, where = _FILE_COL, f", filename='{_FILE_COL}'", f"{self._opt_known} IS NOT NULL"
        else:  # days told apart by time: a block of them, or this day alone
            day_sql, group = f"CAST({self._opt_known} AS DATE)", ""
            where = f"{day_sql} BETWEEN $d0 AND $d1"
        days = block or [day]
        listing: Listing = {d: ({}, None, {}) for d in days}
        if files:
            # a row of no known option type is ignored everywhere (data check calls it an error):
            # its strike is listed only if a call or put has it
            sql = (f"SELECT {day_sql} AS optbt_f, {self._expiry} AS optbt_e, {self._strike} AS optbt_k, "
                   f"{last_sql} AS optbt_t FROM read_parquet($f, {o.scan}{group}) "
                   f"WHERE {self._opt_und} AND {where} AND ({self._opt_type}) IS NOT NULL "
                   f"GROUP BY ALL ORDER BY optbt_e, optbt_k")
            params = self._opt_params(f=files, und=underlying)
            if not by_file:
                params["d0"], params["d1"] = (block[0], block[-1]) if block else (day, day)
            index = self._chain_index()
            key = index.block_key(sql, params, files) if index is not None else None
            known = index.get(key) if index is not None else None
            if known is not None and set(known) == set(days):
                listing = known
            else:
                listing = self._listing(days, run(sql, params), by_file)
                if index is not None:
                    index.put(key, listing)
        return listing

    def _listing(self, days: list[date], rows: list[tuple], by_file: bool) -> Listing:
        """The block query's rows (file or day, expiry, strike, last time; sorted by expiry,
        strike) as each day's expiries and strikes, with what no rule may pick counted apart."""
        out: Listing = {d: ({}, None, {}) for d in days}
        last: dict[date, datetime | None] = dict.fromkeys(days)
        counted: set[tuple] = set()  # (day, reason, expiry, strike) left out
        for f, e, k, t in rows:
            d = self.options.day_of_file(f) if by_file else f
            entry = out.get(d)
            if entry is None:  # a day with options but outside the calendar's block
                continue
            if t is not None and (last[d] is None or t > last[d]):
                last[d] = t
            strikes, _, left = entry
            why = None
            if e is None:  # a missing or unreadable expiry: no rule can pick it
                why = "bad_expiry"
            elif k is None or not 0 < k < INF:  # a NULL, NaN or non-positive strike is no contract
                why = "bad_strike"
            elif e < d:  # an expiry before its trade date cannot trade; never let a rule pick it
                why = "expiry_before_day"
            if why is not None:
                # once a day whatever files hold it (day folders list each file's rows apart)
                key = (d, why, e, "nan" if k != k else k)
                if key not in counted:
                    counted.add(key)
                    left[why] = left.get(why, 0) + 1
            else:
                by_e = strikes.setdefault(e, [])
                if not by_e or by_e[-1] != k:  # one strike from several files of a day
                    by_e.append(k)
        return {d: (strikes, last[d], left) for d, (strikes, _, left) in out.items()}

    def _chain_index(self) -> ChainIndex | None:
        """The on-disk chain index of this dataset (optbt.data.chain_index), opened on first use."""
        if self._index is False:
            self._index = ChainIndex.open(repr((INDEX_VERSION, self.config.paths(self.config.options))))
        return self._index

    def _read_next(self, kind: str, day: date, und: str, block: list[date]) -> None:
        """Start reading, in the background, the block that follows ``block`` (just installed
        for ``day``): it is used only if the run asks for exactly the day it starts at."""
        table = self.options if kind == "chain" else self.spot
        days = table.days if table.by_day is not None else self._days
        if len(block) < 2 or days is None or (kind == "spot" and self.config.session.end_from_data):
            return  # a day read alone, or bounds that need the chain: nothing to read ahead
        i = bisect.bisect_right(days, max(block))
        if i == len(days) or (self._until is not None and days[i] > self._until):
            return
        nxt, calendar = days[i], self._days
        if kind == "chain":
            self._chain_index()  # opened here, in the main thread, before the reader may use it

        def read(cursor):
            counted = _Counted(cursor)
            if kind == "chain":
                return self._read_listing(nxt, und, calendar, counted), counted.queries
            bounds = self.config.session.bounds(nxt)
            return self._read_spots(nxt, und, *bounds, calendar, self.config.session.bounds, counted), counted.queries
        self._ahead.submit((kind, nxt, und), read)

    def chain(self, day: date, underlying: str | None = None) -> Chain:
        return self._chain_and_last(day, self._und(underlying))[0]

    def session(self, day: date, underlying: str | None = None) -> tuple[datetime, datetime]:
        open_, close = self.config.session.bounds(day)
        if self.config.session.end_from_data:
            last = self._chain_and_last(day, self._und(underlying))[1]
            if last is not None and open_ < last < close:
                close = last
        return open_, close

    def spot_bars(self, day: date, underlying: str | None = None) -> list[Bar]:
        und = self._und(underlying)
        open_, close = self.session(day, und)
        rows = self._spots.get((day, und))
        if rows is None:
            rows = self._spot_block(day, und, open_, close)
        # a conflict is raised for the day it belongs to, when that day is asked for, and only
        # within its session: rows outside it are ignored, duplicates or not (as for options)
        rows = self._clean_spot(day, und, [r for r in rows if open_ < r[0] <= close], self.spot.files_for(day))
        if self._spot_shift:
            self.refuse_ticks(self.config.spot, self.spot, self._spot_known, (t for t, _ in rows),
                              self.spot.files_for(day))
        return [(t, p, None, None) for t, p in rows]

    def _clean_spot(self, day: date, und: str, rows: list[tuple], files: list[str]) -> list[tuple]:
        """One row per time (rows are sorted): identical repeats dropped, conflicts refused."""
        if len(rows) < 2 or len({r[0] for r in rows}) == len(rows):
            return rows
        out: list[tuple] = []
        for r in rows:
            if out and out[-1][0] == r[0]:
                if out[-1][1] != r[1]:
                    self._conflict(day, f"spot {und}", r[0], [out[-1][1], r[1]], self.spot, files,
                                   self._spot_und, {"und": und}, on_whole_minutes(t for t, *_ in rows))
                continue
            out.append(r)
        return out

    def _conflict(self, day: date, what: str, at: datetime, prices: list, table: _Table, files: list[str],
                  where: str, params: dict, minute_bars: bool) -> None:
        """Raise ConflictingBarsError naming the (first) file that holds the timestamp."""
        known = self._spot_known if table is self.spot else self._opt_known
        sql = (f"SELECT {_FILE_COL} FROM read_parquet($f, {table.scan}, filename='{_FILE_COL}') "
               f"WHERE {where} AND {known} = $at ORDER BY {_FILE_COL} LIMIT 1")
        hit = self._run(sql, self._params(f=files, at=at, **params))
        raise ConflictingBarsError(hit[0][0] if hit else ", ".join(files[:1]), what, at, prices, day, minute_bars)

    def refuse_ticks(self, files_cfg: OptionFiles | SpotFiles | SeriesFiles, table: _Table, known: str, times,
                     files: list[str]) -> None:
        """Rows of a start-labelled table (``times``: known-at, those a run reads of a day) must be
        bars, on whole minutes: a row between the minutes is a tick or quote, which the shift would
        make known a bar late. Raises StartLabelledTicksError naming the file of the first such row.
        Called only for start-labelled tables, on rows already read: one pass, no query unless refused."""
        at = off_the_minute(times)
        if at is None:
            return
        sql = (f"SELECT {_FILE_COL} FROM read_parquet($f, {table.scan}, filename='{_FILE_COL}') "
               f"WHERE {known} = $at ORDER BY {_FILE_COL} LIMIT 1")
        hit = self._run(sql, self._params(f=files, at=at))
        raise StartLabelledTicksError(table.listed(hit[0][0]) if hit else ", ".join(files[:1]), table.what,
                                      at - self.config.shift_of(files_cfg), self.config.bar_minutes,
                                      files_cfg.bar_label is not None)

    def _spot_block(self, day: date, und: str, open_: datetime, close: datetime) -> list[tuple]:
        got = self._ahead.take(("spot", day, und)) if self._ahead is not None else None
        if got is None:
            def read(alone: bool = False):
                return self._read_spots(day, und, open_, close, self._calendar(), lambda d: self.session(d, und),
                                        self._run, alone=alone)
            try:
                block = read()
            except DataError:  # another day of the block holds the bad row: read this day alone
                block = read(alone=True)
        else:
            block, queries = got
            self.queries += queries
        if not isinstance(block, dict):  # this day alone
            return block
        self._spots = {(d, und): v for d, v in block.items()}
        if self._ahead is not None:
            self._read_next("spot", day, und, list(block))
        return block[day]

    def _read_spots(self, day: date, und: str, open_: datetime, close: datetime, calendar: list[date],
                    session, run, alone: bool = False) -> dict[date, list[tuple]] | list[tuple]:
        """The spot rows of the block starting at ``day`` by day, or (a day outside the blocks, or
        ``alone``) that day's rows. Touches nothing of this object: the read-ahead runs it too."""
        s = self.spot
        block, files = (None, s.files_for(day)) if alone else s.ahead(day, calendar)
        if not files:
            return []
        # unusable closes never come back: such a bar is no bar (the spot stays at the last usable one)
        cols = f"{self._spot_known} AS optbt_t, {self._spot_price} AS optbt_p"
        usable = f"{self._spot_price} IS NOT NULL"
        if block is None:  # this day's bars, picked out by time
            sql = (f"SELECT {cols} FROM read_parquet($f, {s.scan}) "
                   f"WHERE {self._spot_und} AND {usable} AND {self._spot_known} > $open AND {self._spot_known} <= $close "
                   f"ORDER BY optbt_t, optbt_p")
            return run(sql, self._params(f=files, und=und, open=open_, close=close))
        by_day: dict[date, list[tuple]] = {d: [] for d in block}
        if s.by_day is not None:  # each file's folder names its day
            sql = (f"SELECT {_FILE_COL}, {cols} FROM read_parquet($f, {s.scan}, "
                   f"filename='{_FILE_COL}') WHERE {self._spot_und} AND {usable} AND {self._spot_known} IS NOT NULL "
                   f"ORDER BY optbt_t, optbt_p")
            for f, t, p in run(sql, self._params(f=files, und=und)):
                by_day[s.day_of_file(f)].append((t, p))
        else:  # one time-range read for the block, whatever the files' layout; days told apart by time
            first_open = session(block[0])[0]
            last_close = session(block[-1])[1]
            sql = (f"SELECT {cols} FROM read_parquet($f, {s.scan}) "
                   f"WHERE {self._spot_und} AND {usable} AND {self._spot_known} > $open "
                   f"AND {self._spot_known} <= $close ORDER BY optbt_t, optbt_p")
            for t, p in run(sql, self._params(f=files, und=und, open=first_open, close=last_close)):
                rows = by_day.get(t.date())
                if rows is not None:
                    rows.append((t, p))
        return by_day

    def option_bars(self, day: date, instruments: Sequence[Instrument]) -> dict[Instrument, list[Bar]]:
        out: dict[Instrument, list[Bar]] = {inst: [] for inst in instruments}
        files = self.options.files_for(day)
        if not instruments or not files:
            return out
        by_und: dict[str, list[Instrument]] = {}
        for inst in instruments:
            if inst.expiry >= day:  # an expired contract has no bars today, whatever the files say
                by_und.setdefault(inst.underlying, []).append(inst)
        for und, insts in by_und.items():
            open_, close = self.session(day, und)
            strikes = sorted({i.strike for i in insts})
            during = self.options.files_during(open_ - self._shift, close - self._shift, files)
            if not during:  # no file holds a bar of this session
                continue
            params = self._opt_params(f=during, und=und, open=open_, close=close,
                                      **{f"k{n}": k for n, k in enumerate(strikes)})
            where = f"{self._raw_strike} IN ({', '.join(f'$k{n}' for n in range(len(strikes)))})"
            if self._raw_expiry_is_date:  # push the expiry filter into the scan too
                expiries = sorted({i.expiry for i in insts})
                params.update({f"e{n}": e for n, e in enumerate(expiries)})
                where += f" AND {self._raw_expiry} IN ({', '.join(f'$e{n}' for n in range(len(expiries)))})"
            sql = (f"SELECT {self._expiry}, {self._strike}, {self._raw_opt_type}, {self._opt_known}, {self._price}, "
                   f"{self._bid}, {self._ask} FROM read_parquet($f, {self.options.scan}) "
                   f"WHERE {where} AND {self._und_test(und, during)} AND {self._opt_known} > $open "
                   f"AND {self._opt_known} <= $close")
            wanted = {(i.expiry, i.strike, i.opt_type): out[i] for i in insts}
            kind = self._opt_type_of
            for e, k, o, t, p, b, a in self._run(sql, params):
                bars = wanted.get((e, k, kind.get(o)))
                if bars is not None:
                    bars.append((t, p, b, a))
        for inst, bars in out.items():  # file order is usually time order already; sorting that is O(n)
            out[inst] = self._in_time_order(day, inst, bars, files)
        if self._shift:
            self.refuse_ticks(self.config.options, self.options, self._opt_known,
                              (b[0] for bars in out.values() for b in bars), files)
        return out

    def chain_bars(self, day: date, underlying: str | None, expiry: date, opt_type: str,
                   after: datetime | None, until: datetime) -> dict[float, list[Bar]]:
        """Bars of every strike of one expiry and option type ("CE"/"PE") known in (``after``,
        ``until``] of ``day``'s session (``after`` None: from the open), in one query.

        What :meth:`option_bars` gives for those strikes, cut to the window (the same columns,
        usable-price rule, mid for quote data, time order, duplicates dropped or refused), for
        reading a chain at a few ticks without fetching every strike's whole day (see
        optbt.engine.livechain). Only the columns needed and only that expiry and type are read.
        """
        und = self._und(underlying)
        out: dict[float, list[Bar]] = {}
        files = self.options.files_for(day)
        if expiry < day or not files:  # an expired contract has no bars today
            return out
        open_, close = self.session(day, und)
        lo = open_ if after is None or after < open_ else after
        hi = close if until > close else until
        if not lo < hi:
            return out
        during = self.options.files_during(lo - self._shift, hi - self._shift, files)
        if not during:
            return out
        params = self._opt_params(f=during, und=und, lo=lo, hi=hi, e=expiry, ot=opt_type)
        where = f"{self._raw_expiry if self._raw_expiry_is_date else self._expiry} = $e"
        sql = (f"SELECT {self._strike}, {self._opt_known}, {self._price}, {self._bid}, {self._ask} "
               f"FROM read_parquet($f, {self.options.scan}) "
               f"WHERE {where} AND ({self._opt_type}) = $ot AND {self._und_test(und, during)} "
               f"AND {self._opt_known} > $lo AND {self._opt_known} <= $hi")
        unsorted = set()  # strikes whose rows came out of time order, or twice at one time
        for k, t, p, b, a in self._run(sql, params):
            if k is None or not 0 < k < INF:  # no contract: the chain never lists it (bad_strike), never read
                continue
            bars = out.get(k)
            if bars is None:
                bars = out[k] = []
            elif t <= bars[-1][0]:
                unsorted.add(k)
            bars.append((t, p, b, a))
        for k in unsorted:  # as option_bars: time order, one bar a time (the rest already are)
            out[k] = self._in_time_order(day, Instrument(und, expiry, k, opt_type), out[k], files)
        if self._shift:
            self.refuse_ticks(self.config.options, self.options, self._opt_known,
                              (b[0] for bars in out.values() for b in bars), during)
        return out

    def _in_time_order(self, day: date, inst: Instrument, bars: list[Bar], files: list[str]) -> list[Bar]:
        """``bars`` sorted by the time they became known, one a time (:meth:`_dedupe`)."""
        bars.sort(key=_known_at)
        if len(bars) > 1 and len(set(map(_known_at, bars))) != len(bars):
            return self._dedupe(day, inst, bars, files)
        return bars

    def _dedupe(self, day: date, inst: Instrument, bars: list[Bar], files: list[str]) -> list[Bar]:
        """Identical rows at one time collapse to one; different ones raise ConflictingBarsError.

        Unusable bars (price None) are no bars, so they neither conflict nor count.
        """
        out: list[Bar] = []
        for b in bars:
            if b[1] is None:
                continue
            if out and out[-1][0] == b[0]:
                if out[-1] != b:
                    params = self._opt_params(k=inst.strike, und=inst.underlying)
                    where = (f"{self._strike} = $k AND {self._opt_und} AND ({self._opt_type}) = $ot "
                             f"AND ({self._expiry}) = $e")
                    self._conflict(day, str(inst), b[0], self._shown_rows(out[-1], b), self.options, files, where,
                                   {**params, "ot": inst.opt_type, "e": inst.expiry},
                                   on_whole_minutes(map(_known_at, bars)))
                continue
            out.append(b)
        return out

    def _shown_rows(self, a: Bar, b: Bar) -> list:
        """Two conflicting option rows as a run reads them, for the error: their prices when
        there is nothing else, else each row's price named (close or mid) with its quote, so
        that quote data shows the bids and asks that differ (never "NULL" closes)."""
        if a[2] is None and a[3] is None and b[2] is None and b[3] is None and a[1] != b[1]:
            return [a[1], b[1]]
        name = "mid" if self.config.price == "mid" else "close"
        return [f"{name} {r[1]!r} (bid {_side(r[2])}, ask {_side(r[3])})" for r in (a, b)]

    def ohlc_bars(self, day: date, name: str = "spot", underlying: str | None = None) -> list:
        """Whole bars (known_at, open, high, low, close, volume) of the spot or a ``[series.NAME]``
        for one day (see :mod:`optbt.data.bars`; the tables open on first use)."""
        reader = getattr(self, "_bar_reader", None)
        if reader is None:
            from optbt.data.bars import BarReader
            reader = self._bar_reader = BarReader(self, _Table)
        return reader.bars(day, name, underlying)

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()
        self.con.close()


def csv_to_parquet(csv_path: str | Path, parquet_path: str | Path, columns: Sequence[tuple[str, str]]) -> None:
    """Write a CSV this package wrote as parquet with the given (name, DuckDB type) columns.

    Results are written with DuckDB, not pyarrow: a run then never imports pyarrow and NumPy
    (about a quarter of a second of start-up) just to save a few hundred rows. The CSV comes
    from Python's csv module (floats as their shortest repr, which DuckDB reads back exactly;
    empty fields are NULL).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("day,pnl\\n2024-01-02,0.1\\n2024-01-03,\\n")
    >>> csv_to_parquet(d / "t.csv", d / "t.parquet", [("day", "DATE"), ("pnl", "DOUBLE")])
    >>> duckdb.sql(f"SELECT * FROM '{d / 't.parquet'}'").fetchall()
    [(datetime.date(2024, 1, 2), 0.1), (datetime.date(2024, 1, 3), None)]
    """
    types = ", ".join(f"{quote_ident(n)}: '{t}'" for n, t in columns)
    src = str(csv_path).replace("'", "''")
    dst = str(parquet_path).replace("'", "''")
    con = duckdb.connect(database=":memory:")
    try:
        con.execute(f"COPY (SELECT * FROM read_csv('{src}', header=true, columns={{{types}}}, "
                    f"nullstr='', quote='\"', escape='\"', auto_detect=false)) TO '{dst}' (FORMAT parquet)")
    except duckdb.Error as exc:
        raise DataError(f"could not write {parquet_path}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
