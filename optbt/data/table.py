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

from optbt.data.contract_spans import expiry_span, may_hold, span_sql, strike_span
from optbt.data.dataset import DatasetConfig, OptionFiles, SpotFiles
from optbt.data.day_first_dates import day_or_month_first_refused
from optbt.data.early_years import early_span_message, early_text_refused, early_value_refused
from optbt.data.files import find_files
from optbt.data.footers import stat_day, stat_time
from optbt.data.source import UnreadableFileError
from optbt.data.sql_text import NAIVE_TS, in_literal, is_aware, quote_ident, up_to_microseconds
from optbt.data.stored_window import prove_text, stored_window
from optbt.data.table_schemas import check_zones, folders_agree, read_schemas, types_readable, unify
from optbt.data.two_digit_years import two_digit_year_refused
from optbt.data.unpadded_dates import short_digits_refused
from optbt.data.vendor_underlying import other_values
from optbt.data.zoned_dates import naive_midnight_refused, utc_midnight_refused
from optbt.model.errors import DataError, did_you_mean

# the exchange-date spellings a text expiry may have beyond ISO: 20240104, 04-Jan-24, 04-Jan-2024,
# 04JAN24, 04JAN2024 (month names in any case); two-digit years are tried first
_EXPIRY_TEXT_FORMATS = ("%Y%m%d", "%d-%b-%y", "%d-%b-%Y", "%d%b%y", "%d%b%Y")
# a text timestamp as (1) its date and time of day, then (4) whatever follows: a zone or nothing
_TEXT_TS = r"^\s*(\S+?[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)\s*(.*?)\s*$"
# optional columns read only when a strategy asks for them (an option's never): a name the config
# gives is checked against the files when the table opens, not when (if ever) one is read
# column names vendors give the underlying (compared in lower case): one of them, unmapped while
# the default 'underlying' is absent, is refused rather than ignored when its values show more
# than one underlying (Table._left_out, optbt/data/vendor_underlying.py)
_UNDERLYING_NAMES = ("symbol", "root", "ticker", "name", "underlying_symbol", "underlyingsymbol", "underlying_name",
                     "index_name", "sym")
_READ_ON_DEMAND = ("open", "high", "low", "volume", "oi")
# files_between looks days up in an index from this many files on, for ranges up to this many days
_BUCKETED_FROM = 256
_BUCKET_DAYS = 31
# a day folder of this many option files or more has its files' strike and expiry ranges read
_DAY_SPANS_FROM = 16


class Table:
    """One side of a dataset (options or spot): its files and its SQL column expressions."""

    # add stored_window's bounds, and its exact windows on raw values, to the queries (tests turn
    # it off to compare with the exact filter alone)
    bound_stored = True

    def __init__(self, con, cfg: DatasetConfig, files: OptionFiles | SpotFiles, what: str,
                 footers: Callable[[str, dict], list[tuple]] | None = None):
        self.what = what
        # (sql, params) -> rows, for the queries over every file's footer when the table opens:
        # the source remembers their answers in the chain index (chain_index.footer_rows)
        self.footers = footers or (lambda sql, params: con.execute(sql, params).fetchall())
        self.text_days: tuple[int, int] | None = None  # see prove_text
        self.text_plain = False  # every text timestamp proven ISO without a zone: cast as written
        self.text_fixed = ""  # every text timestamp proven YYYY-MM-DD?HH:MM:SS: the separator ("" unproven)
        self.hive = "true" if files.hive_partitioning else "false"
        self.all_files = paths = find_files(cfg, files, what)
        self._listed = {os.path.normpath(f): f for f in paths}  # DuckDB may spell a path its own way
        self._as_listed = set(paths)
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
        self._buckets: tuple | None = None  # files_between's day index, built on first use
        self._spanned: set[str] = set()  # day-folder files whose contract spans were asked (files_holding)
        self.times: dict[str, tuple[datetime, datetime]] = {}  # exact raw time ranges (naive timestamps)
        # stored strike and expiry ranges of option files, where their footers settle them (contract_spans)
        self.strikes: dict[str, tuple[float, float]] = {}
        self.expiries: dict[str, tuple[date, date]] = {}
        try:
            desc = con.execute(f"SELECT * FROM read_parquet($f, hive_partitioning={self.hive}) LIMIT 0",
                               {"f": paths[:1]}).description
        except duckdb.Error as exc:
            raise UnreadableFileError(paths[0], f"{what}: cannot read {paths[0]}: {str(exc).splitlines()[0]}") from None
        self.types = {d[0]: str(d[1]).upper() for d in desc}
        self.columns = files.columns
        self.scan = f"hive_partitioning={self.hive}"  # read_parquet's options for every query of the table
        self.cast: dict[str, str] = {}  # column -> the type it is read as, where files differ (unify)
        schemas = read_schemas(self, con)  # every file's footer, read once for both checks
        check_zones(self, schemas)
        unify(self, con, schemas)
        self._named_columns_present()
        self._vendor_underlying = self._vendor_named_underlying(con, cfg.underlying)
        types_readable(self, con, cfg.price)
        if files.hive_partitioning:
            folders_agree(self, con, schemas)
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
        # the same pass reads the option files' strike and expiry statistics (contract_spans)
        asked = {"c": col, **self._contract_columns()}
        try:
            found = self.footers(span_sql(asked), {"f": self.all_files, **asked})
        except duckdb.Error:
            return {}
        self._learn_contract_spans(found, asked)
        # a row group without statistics could hold any time: no span for its file
        rows = [(r[0], r[2], r[3]) for r in found if r[1] == col and r[6]]
        one = timedelta(days=1)
        spans = {}
        if self.columns.ts and self.types.get(col) in NAIVE_TS:
            self.times = {self.listed(n): (lo_t, hi_t) for n, lo, hi in rows
                          if (lo_t := stat_time(lo)) is not None and (hi_t := stat_time(hi)) is not None}
        for name, lo, hi in rows:
            first, last = stat_day(lo), stat_day(hi)
            if first is not None and (early := early_span_message(self.what, col, self.listed(name), first)):
                raise UnreadableFileError(self.listed(name), early)  # a run would never read the file
            if first is not None and last is not None and first <= last:
                spans[name] = (first - one, last + one)
        return {self.listed(k): v for k, v in spans.items()}

    def _contract_columns(self) -> dict[str, str]:
        """The strike (``k``) and expiry (``e``) columns whose footer statistics may rule files
        out: an option table's own columns, not hive folder keys."""
        named = {"k": getattr(self.columns, "strike", None), "e": getattr(self.columns, "expiry", None)}
        return {p: c for p, c in named.items()
                if c and c in self.types and c != self.columns.ts and not self._hive_key(c)}

    def _learn_contract_spans(self, found: list[tuple], asked: dict[str, str]) -> None:
        """Keep the strike and expiry ranges that rows of :func:`span_sql` settle."""
        k, e = asked.get("k"), asked.get("e")
        decimal = bool(k) and self.types.get(k, "").startswith("DECIMAL") and k not in self.cast
        for r in found:
            if r[1] == k and (span := strike_span(r, decimal)) is not None:
                self.strikes[self.listed(r[0])] = span
            elif r[1] == e and self.types.get(e) == "DATE" and (espan := expiry_span(r)) is not None:
                self.expiries[self.listed(r[0])] = espan

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
            rows = self.footers("SELECT file_name, min(stats_min_value) FROM parquet_metadata($f) "
                                "WHERE path_in_schema = $c GROUP BY file_name HAVING bool_and("
                                "stats_min_value IS NOT NULL AND stats_min_value = stats_max_value "
                                "AND stats_null_count = 0 AND min_is_exact IS NOT false AND max_is_exact IS NOT false) "
                                "AND min(stats_min_value) = max(stats_max_value)",  # one value in every row group
                                {"f": self.all_files, "c": name})
        except duckdb.Error:
            return {}
        return {self.listed(n): v for n, v in rows}

    def _named_columns_present(self) -> None:
        """Refuse an optional column the config names that no file holds (``volume = "vol"``
        for files without ``vol``), when the table opens.

        Open, high, low and volume are read only when a strategy asks for whole bars (an
        option's, and oi, never): a wrong name was found by the first such strategy, or never,
        and a result that should have read the column went on without it. A default name the
        user did not write may be absent (:meth:`_left_out`); a column only some files hold is
        refused by :func:`~optbt.data.table_schemas.unify`."""
        for canonical in _READ_ON_DEMAND:
            name = getattr(self.columns, canonical, None)
            if name and name not in self.types:
                self._left_out(canonical, name)

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
        if name in self._as_listed:  # most names come back as listed: no normpath
            return name
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

    def files_holding(self, files: list[str], strikes, expiries=None) -> list[str]:
        """Those of ``files`` that may hold a row of one of ``strikes`` and of ``expiries`` (either
        None: any), as the stored values compare: a file whose footer rules them out is left out.

        Day folders of many files each (a file a contract in every day's folder): their footers
        are not read when the table opens, so a day's are read here the first time, in one
        query remembered in the chain index, and its later queries open only the files they need."""
        if self.by_day is not None and len(files) >= _DAY_SPANS_FROM:
            new = [f for f in files if f not in self._spanned]
            asked = self._contract_columns()
            if new and asked:
                self._spanned.update(new)
                try:
                    self._learn_contract_spans(self.footers(span_sql(asked), {"f": new, **asked}), asked)
                except duckdb.Error:
                    pass  # unreadable footers: the day's query says which file
        return may_hold(files, self.strikes, self.expiries, strikes, expiries)

    def _hive_key(self, column: str) -> bool:
        """Whether ``column`` is (also) a hive folder key: its value then comes from the folder,
        which the file's statistics do not describe."""
        return self.hive == "true" and any(f"{column}=" in p.replace(os.sep, "/") for p in self.all_files[:1])

    def files_between(self, first: date, last: date) -> list[str]:
        """Files that may hold bars of days ``first`` .. ``last`` (by their footers' spans), in
        the table's order.

        With thousands of files (a file a contract) a scan of every span for every day's
        query cost more than the query; each file is then filed under the days of its span
        once, and a range of up to a month looks up its days (the same files, same order)."""
        spans = self.spans
        if len(self.all_files) < _BUCKETED_FROM or (last - first).days > _BUCKET_DAYS:
            return [f for f in self.all_files if (s := spans.get(f)) is None or (s[0] <= last and first <= s[1])]
        by_day, wide, order = self._day_buckets()
        found = {f for n in range((last - first).days + 1) for f in by_day.get(first + timedelta(days=n), ())}
        found.update(f for f in wide if (s := spans.get(f)) is None or (s[0] <= last and first <= s[1]))
        return sorted(found, key=order.__getitem__)

    def _day_buckets(self) -> tuple[dict[date, list[str]], list[str], dict[str, int]]:
        """(day -> files whose span holds it, files of no span or a span over _BUCKET_DAYS days,
        file -> its place in the table's order), built on first use."""
        if self._buckets is None:
            by_day: dict[date, list[str]] = {}
            wide = []
            for f in self.all_files:
                span = self.spans.get(f)
                if span is None or (span[1] - span[0]).days > _BUCKET_DAYS:
                    wide.append(f)
                    continue
                for n in range((span[1] - span[0]).days + 1):
                    by_day.setdefault(span[0] + timedelta(days=n), []).append(f)
            self._buckets = (by_day, wide, {f: i for i, f in enumerate(self.all_files)})
        return self._buckets

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
        # a vendor's name for it (NSE's SYMBOL, AlgoSeek's root) holding more than one underlying:
        # left unmapped, a NIFTY run traded BANKNIFTY's rows without a word
        if canonical == "underlying" and name and self._vendor_underlying:
            column, values = self._vendor_underlying
            shown = " and ".join(repr(v) for v in values)
            raise DataError(
                f"{self.what}: the files have no column '{name}' but one named '{column}', whose values show "
                f"another underlying than the dataset's {self._dataset_underlying!r} ({shown}): map it under "
                f"[{self.what}.columns] as {canonical} = \"{column}\" (a run then reads only the rows of its "
                f"underlying), or set {canonical} = \"\" if the files hold one underlying after all")
        return None

    def _vendor_named_underlying(self, con, underlying: str) -> tuple[str, list[str]] | None:
        """An unmapped text column named as vendors name the underlying, with values showing
        another underlying than the dataset's (see :mod:`optbt.data.vendor_underlying`): the
        column and those values; ``None`` when there is none or it holds one underlying (a
        trading symbol ``NIFTY24JAN21500CE``, or one name in every row) and can be left unread."""
        self._dataset_underlying = underlying
        name = self.columns.underlying
        if not name or name in self.types or "underlying" in self.columns.model_fields_set:
            return None
        for column in (c for c in self.types if c.lower() in _UNDERLYING_NAMES):
            if self.types[column] == "VARCHAR":
                others = other_values(con, self.all_files, self.scan, column, underlying)
                if others:
                    return column, others
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
                if self.text_plain:  # proven: every value ISO, none with a zone (prove_text)
                    return up_to_microseconds(f"CAST({ts} AS TIMESTAMP_NS)")
                return self._text_ts(ts, tz)
            raise DataError(f"{self.what}: column '{cols.ts}' is {kind}, not a timestamp")
        day, time_ = self.col("date"), self.col("time")
        if is_aware(self.types[cols.time]):
            raise DataError(f"{self.what}: column '{cols.time}' (time) is {self.types[cols.time]}: a time of day "
                            "with a UTC offset is not read (its date's offset may differ); write the times as "
                            "exchange time, or give one tz-aware timestamp column as ts")
        kind = self.types[cols.time]
        if kind == "VARCHAR":  # DuckDB's cast error named no file, column or fix
            time_ = self._or_refused(f"TRY_CAST({time_} AS TIME_NS)", time_, "time", cols.time,
                                     "a time of day (HH:MM[:SS])")
        of_day = f"CAST({time_} AS TIME)" if kind == "TIME" else up_to_microseconds(
            time_ if kind in ("TIME_NS", "VARCHAR") else f"CAST({time_} AS TIME_NS)", "TIME")
        dkind = self.types[cols.date]
        dates = self.date_expr(day, dkind, tz, label=f"dates (column {cols.date!r})")
        if not (dkind == "DATE" or dkind.startswith("TIMESTAMP")):
            # a date no spelling reads was NULL: every row without a time, the day skipped as
            # no_options, exit 0; a text timestamp spelled so is refused with its text, and so is this
            dates = self._or_refused(dates, day, "date", cols.date,
                                     "a date optbt reads (YYYY-MM-DD, yyyymmdd, 02-Jan-2024)", quoted=dkind == "VARCHAR")
        return f"({dates} + {of_day})"

    def _or_refused(self, read: str, raw: str, what: str, column: str, expected: str, quoted: bool = True) -> str:
        """SQL: ``read``, or, where it is NULL and the stored value ``raw`` is not, an error naming
        the value and its column (a value that reads as nothing is refused, never a NULL time)."""
        shown = f"CAST({raw} AS VARCHAR)"
        if quoted:  # text as text ('02-01-2024'), a number as a number (20240230)
            shown = f"'''' || {shown} || ''''"
        name = in_literal(column)
        return (f"COALESCE({read}, CASE WHEN {raw} IS NOT NULL THEN error('{self.what}: {what} ' || {shown} || "
                f"' (column ''{name}'') is not {expected}; write the column that way, or store it as a "
                f"{'DATE' if what == 'date' else 'TIME'} column') END)")

    def _need_zone(self, tz: str | None, what: str) -> None:
        """Refuse zone-carrying values in a dataset that does not name the exchange's zone."""
        if not tz:
            raise DataError(f"{self.what}: {what} carry a time zone; set timezone = "
                            "\"Area/City\" in the dataset config (the exchange's zone)")

    def date_expr(self, col: str, kind: str, tz: str | None, fmt: str = "auto", label: str = "dates",
                  naive_midnights: bool = False) -> str:
        """A column of exchange dates as DATE: a date, a timestamp (its date in exchange time:
        an aware one is converted first, as DuckDB would cast it in the machine's zone), an
        integer or text ``yyyymmdd``, or text in ISO or an NSE spelling (``04-Jan-2024``,
        ``04JAN24``); text with a time and a zone is converted like a text timestamp. A value
        that reads as none of them is NULL (for an expiry: that row's ``bad_expiry``); one of
        six or seven digits, or text DuckDB reads as a year before 1900 (``24-01-04``), is
        refused (:mod:`optbt.data.unpadded_dates`, :mod:`optbt.data.two_digit_years`). With
        ``naive_midnights`` (an expiry) and a zone, a naive timestamp at the exchange's midnight
        written in UTC is refused (:func:`~optbt.data.zoned_dates.naive_midnight_refused`)."""
        # a value before 1900 (date(24, 1, 4), '04-Jan-0024', 00240104) refused: early_years
        if is_aware(kind):
            self._need_zone(tz, label)
            return early_value_refused(self.what, label, col, utc_midnight_refused(self.what, label, col))
        if kind.startswith("TIMESTAMP") and naive_midnights and tz:
            return early_value_refused(self.what, label, col, naive_midnight_refused(self.what, label, col))
        if kind == "DATE" or kind.startswith("TIMESTAMP"):
            return early_value_refused(self.what, label, col, f"CAST({col} AS DATE)")
        def yyyymmdd(digits: str, quoted: bool = False, short: str | None = None) -> str:
            # 7 digits (2024104) refused, not read as 2024-10-04; 6 (240104) refused, not NULL
            read = f"CAST(try_strptime({digits}, '%Y%m%d') AS DATE)"
            return short_digits_refused(self.what, label, digits, early_text_refused(self.what, label, digits, read),
                                        quoted, short)
        if kind in ("FLOAT", "DOUBLE") or kind.startswith("DECIMAL"):  # 20240104.0 (a pandas column with NaN)
            whole = f"CASE WHEN {col} = floor({col}) THEN TRY_CAST({col} AS BIGINT) END"
            return yyyymmdd(f"CAST({whole} AS VARCHAR)")
        if fmt == "yyyymmdd" or "INT" in kind:
            # try_: one impossible date (20240230) is that row's bad_expiry, not the block's failure
            return yyyymmdd(f"CAST({col} AS VARCHAR)", kind == "VARCHAR",
                            f"{col} BETWEEN 100000 AND 9999999" if "INT" in kind else None)
        if kind == "VARCHAR" and fmt in ("auto", "date"):
            # "date": ISO only; either way a time of day after the date is read as a text timestamp
            # (its zone converted, or refused): DuckDB's cast to DATE drops a zone, and the day with it
            spelled = "" if fmt == "date" else ", " + ", ".join(
                f"TRY_CAST(try_strptime(trim({col}), '{f}') AS DATE)" for f in _EXPIRY_TEXT_FORMATS)
            timed = f"CAST({self._text_ts(col, tz)} AS DATE)"
            if naive_midnights and tz:  # text without a zone is a naive timestamp: the same rule
                timed = (f"(CASE WHEN {self.text_zone(col)} = '' THEN "
                         f"{naive_midnight_refused(self.what, label, self._text_ts(col, tz))} ELSE {timed} END)")
            plain = f"CAST(COALESCE(TRY_CAST(trim({col}) AS DATE){spelled}) AS DATE)"
            # an expiry with the day or month first (04-01-2024), read as none, refused: day_first_dates
            # (a date column's value read as none is refused by ts_expr)
            first = day_or_month_first_refused(self.what, label, f"trim({col})", plain) if naive_midnights else ""
            plain = early_text_refused(self.what, label, f"trim({col})", plain, more=first)
            # 24-01-04 (read as the year 24) refused too: two_digit_years
            return short_digits_refused(self.what, label, f"trim({col})", (
                f"(CASE WHEN regexp_matches({col}, '[0-9]:[0-9]{{2}}') THEN {timed} ELSE {plain} END)"), True,
                more=two_digit_year_refused(self.what, label, f"trim({col})"))
        return f"CAST({col} AS DATE)"

    @staticmethod
    def text_zone(ts: str) -> str:
        """SQL: what follows the time of day in a text timestamp ('' for none)."""
        return f"regexp_extract({ts}, '{_TEXT_TS}', 4)"

    def _text_ts(self, ts: str, tz: str | None) -> str:
        """Text timestamps, row by row: what follows the time of day decides how a row is read.

        DuckDB's ``CAST(... AS TIMESTAMP)`` silently drops a zone it is given ('09:16:00 GMT',
        '... utc', '... -0500' all come back as 09:16), which would shift such rows by their
        offset without a word. So only a row with nothing after its time is exchange time as
        written. A UTC offset (``+05:30``, ``+0530``, ``+05``, with or without a space before
        it), ``Z``/``UTC``/``GMT`` in any case, or an ``Area/City`` name is converted to the
        exchange zone (and needs ``timezone``). Anything else (an abbreviation such as IST,
        which names three zones, or ``UTC+5``, whose sign POSIX and ISO read opposite ways) is
        refused with the row's text. So is a row whose date and time are not ISO
        (``02-01-2024 09:16``: day first or month first cannot be told apart), by its text
        rather than DuckDB's conversion error.
        """
        local = (f"COALESCE(TRY_CAST({ts} AS TIMESTAMP_NS), error('{self.what}: timestamp ''' || {ts} || '''"
                 " is not ISO 8601 text (YYYY-MM-DD HH:MM[:SS], optionally a UTC offset); write the timestamps"
                 " that way, or store them as a timestamp column'))")
        head = f"regexp_extract({ts}, '{_TEXT_TS}', 1)"
        zone = self.text_zone(ts)
        if not tz:
            aware = (f"error('{self.what}: text timestamps carry a UTC offset or zone (' || {ts} || '); "
                     f"set timezone = \"Area/City\" in the dataset config (the exchange''s zone)')")
            return up_to_microseconds(f"(CASE WHEN {zone} = '' THEN {local} ELSE {aware} END)")
        return up_to_microseconds(
                f"(CASE WHEN {zone} = '' THEN {local} "
                f"WHEN regexp_full_match({zone}, '[+-][0-9]{{2}}(:?[0-9]{{2}})?') "
                f"THEN timezone($tz, CAST({head} || {zone} AS TIMESTAMPTZ_NS)) "
                f"WHEN upper({zone}) IN ('Z', 'UTC', 'GMT') "
                f"THEN timezone($tz, CAST({head} || '+00:00' AS TIMESTAMPTZ_NS)) "
                f"WHEN regexp_full_match({zone}, '[A-Za-z_]+(/[A-Za-z0-9_+-]+)+') "
                f"THEN timezone($tz, CAST({head} || ' ' || {zone} AS TIMESTAMPTZ_NS)) "
                f"ELSE error('{self.what}: timestamp ''' || {ts} || ''' ends in ''' || {zone} || ''', which "
                f"optbt does not read as a zone (an abbreviation can name several zones); write a UTC "
                f"offset (+05:30), Z, or an Area/City name') END)")

    # -- bounds on the stored time (optbt.data.stored_window) -------------------------------------
    def stored_window(self, lo: datetime, hi: datetime, tz: str | None) -> tuple[str, dict]:
        """(`` AND <predicate>`` on the stored time column(s), its parameters), a superset of the
        rows whose exchange time lies in [``lo``, ``hi``] that parquet statistics can prune, or
        ("", {}): see :func:`optbt.data.stored_window.stored_window`."""
        if not self.bound_stored:
            return "", {}
        return stored_window(self, lo, hi, tz)

    def prove_text(self, con, tz: str | None, index_of=None) -> None:
        """Settle once whether text timestamps may be bounded by their text (:attr:`text_days`),
        cast as written (:attr:`text_plain`) and compared as text (:attr:`text_fixed`); nothing
        to do for other timestamps or with day folders: see
        :func:`optbt.data.stored_window.prove_text`."""
        proof = prove_text(self, con, tz, index_of)
        self.text_days = None if proof is None else proof[:2]
        self.text_plain = proof is not None and proof[2]
        self.text_fixed = "" if proof is None else proof[3]
