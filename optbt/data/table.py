"""One side of a dataset (the options, the spot, a series) as DuckDB reads it: its files, the
days they hold, and the SQL of its columns and times.

Apart from the DuckDB source because a table is what every reader of the files shares: the
source's queries, the whole-bar reader (:mod:`optbt.data.bars`), the data check and ``optbt
data sort`` open tables alike. A table is refused when it opens, not when (if ever) a day reads
the file that breaks it: what its files' footers must agree on is :mod:`optbt.data.table_schemas`.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

import duckdb

from optbt.data.dataset import DatasetConfig, OptionFiles, SpotFiles
from optbt.data.files import find_files, folder_keys
from optbt.data.footers import kind_of, stat_day, stat_time
from optbt.data.source import FolderDisagreesError, MixedTimezonesError, UnreadableFileError
from optbt.data.sql_text import NAIVE_TS, is_aware, quote_ident, up_to_microseconds
from optbt.model.errors import DataError, did_you_mean

# the exchange-date spellings a text expiry may have beyond ISO: 20240104, 04-Jan-24, 04-Jan-2024,
# 04JAN24, 04JAN2024 (month names in any case); two-digit years are tried first
_EXPIRY_TEXT_FORMATS = ("%Y%m%d", "%d-%b-%y", "%d-%b-%Y", "%d%b%y", "%d%b%Y")
# a text timestamp as (1) its date and time of day, then (4) whatever follows: a zone or nothing
_TEXT_TS = r"^\s*(\S+?[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)\s*(.*?)\s*$"
# optional columns read only when a strategy asks for them (an option's never): a name the config
# gives is checked against the files when the table opens, not when (if ever) one is read
_READ_ON_DEMAND = ("open", "high", "low", "volume", "oi")


class Table:
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

    def ahead(self, day: date, calendar: list[date], size: int) -> tuple[list[date] | None, list[str]]:
        """(``day`` and the days after it, up to ``size`` (the source's READ_AHEAD_DAYS); the
        files that hold them).

        With day folders the days are the partition days and each file names its day. Without
        them the days come from ``calendar`` (the dataset's trading days) and the files are
        those whose footers' spans overlap the block; the query then tells days apart by time.
        A day outside both: (None, its files), a query for that day alone.
        """
        days = self.days if self.by_day is not None else calendar
        i = bisect.bisect_left(days, day)
        if i == len(days) or days[i] != day:
            return None, self.files_for(day)
        block = days[i:i + size]
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
