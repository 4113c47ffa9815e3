"""The DuckDB implementation of :class:`optbt.source.DataSource`: the queries a run makes.

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

This module holds :class:`DuckDBSource` (its SQL text, built once; the DataSource methods; the
caches the read-ahead fills). What it stands on has a module each: a dataset's side and its
files (:mod:`.table`, :mod:`.table_schemas`, :mod:`.files`, :mod:`.footers`), the block queries
the read-ahead runs too (:mod:`.block_reads`), what a chain listing means (:mod:`.chain_listing`),
bars that conflict (:mod:`.bar_conflicts`), shared SQL text (:mod:`.sql_text`). ``find_files``,
``quote_ident`` and ``csv_to_parquet`` are importable from here as before.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from optbt.data.bar_conflicts import clean_spot, dedupe, known_at, refuse_ticks
from optbt.data.block_reads import read_listing, read_spots
from optbt.data.chain_index import ChainIndex, footer_rows
from optbt.data.chain_listing import INDEX_VERSION, refuse_strikes_written_two_ways
from optbt.data.check_where import first_failing
from optbt.data.csv_parquet import csv_to_parquet  # noqa: F401  (importable from here, as before)
from optbt.data.dataset import DatasetConfig, OptionFiles, SeriesFiles, SpotFiles, load_dataset
from optbt.data.files import find_files  # noqa: F401  (importable from here, as before)
from optbt.data.first_day import check_first_day
from optbt.data.footer_stats import MIN_FILES, SharedFooterStats
from optbt.data.footers import option_days_from_footers, same_underlying
from optbt.data.read_ahead import ReadAhead, enabled_by_env
from optbt.data.row_order import row_order_note
from optbt.data.source import Bar, Chain
from optbt.data.sql_text import FILE_COL, bound, own_refusal, quote_ident  # noqa: F401  (quote_ident: importable from here)
from optbt.data.stored_window import SteadyZone, costly, distinct_times, exact_window
from optbt.data.table import Table
from optbt.data.underlying_rows import refuse_options_as_spot
from optbt.model.errors import DataError
from optbt.model.instrument import Instrument
from optbt.model.prices import INF, sql_mid, sql_price, sql_quote_side


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
_FOOTERS_KEPT = 200  # at most this many files' parsed footers are kept (see DuckDBSource.__init__)


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
        self._index: ChainIndex | None | bool = False  # opened on first use
        # the option files' footer statistics, read once for the queries that open the dataset
        # (optbt/data/footer_stats.py): made at the option table's first footer query, over its files
        self._shared_footers: SharedFooterStats | None = None
        self.options = Table(self.con, cfg, cfg.options, "options", self._option_footers)
        self.spot = Table(self.con, cfg, cfg.spot, "spot", self._footers)
        refuse_options_as_spot(cfg.options.columns, self.spot)
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
        # the zone's offset around each day, as this connection converts instants (stored_window)
        self._steady = SteadyZone(self.con, cfg.timezone) if cfg.timezone else None
        # what the chain left out, by reason: contracts (expiry, strike) per reason
        self.ignored: dict[str, int] = {"expiry_before_day": 0, "bad_strike": 0, "bad_expiry": 0,
                                        "unknown_opt_type": 0, "underlying_rows": 0}
        # read-ahead blocks: (day, underlying) -> chain and last bar time / spot rows
        self._chains: dict[tuple[date, str], tuple[Chain, datetime | None]] = {}
        self._spots: dict[tuple[date, str], list[tuple]] = {}
        self._days: list[date] | None = None
        for table in (self.options, self.spot):  # text timestamps: bounded by their text once proven ISO
            table.prove_text(self.con, cfg.timezone, self._chain_index)
        self._build_sql()
        # the next block of chains and spot bars, read in the background (optbt/data/read_ahead.py)
        self._ahead = ReadAhead(self._reader) if read_ahead and enabled_by_env() else None
        self._until: date | None = None  # the last day of the range last asked for: nothing is read past it
        self._asked = False  # trading_days asked once (a later call without a range is a lookup)
        self._zone_checked = False  # naive timestamps that look like UTC: checked on a run's first day
        self.hints: list[str] = []  # warnings about the data met on that day (optbt/data/label_hint.py)
        self.notes: list[str] = []  # what is right but slow in the data's layout (optbt/data/row_order.py)
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
    def _known_at(self, table: Table, shift: timedelta) -> str:
        ts = table.ts_expr(self.config.timezone)
        return f"({ts} + INTERVAL {int(shift.total_seconds())} SECOND)" if shift else ts

    def _window(self, table: Table, shift: timedelta, after: datetime, until: datetime) -> tuple[str, dict]:
        """The bound on ``table``'s stored time (:meth:`Table.stored_window`) that every row known
        in (``after``, ``until``] passes: `` AND ...`` and its parameters, or ("", {})."""
        try:
            return table.stored_window(after - shift, until - shift, self.config.timezone)
        except OverflowError:
            return "", {}

    def _known_between(self, table: Table, known: str, shift: timedelta, after: datetime, until: datetime,
                       names: tuple[str, str]) -> tuple[str, dict]:
        """`` AND <rows known in (after, until]>`` and its parameters: where the stored form
        allows (a DATE and a TIME, the window in one day; text of one fixed width; instants of a
        zone whose offset does not change near the window), the same rows
        picked by the raw columns (:func:`~optbt.data.stored_window.exact_window`); else
        ``known`` compared with ``$<names>`` plus the bound on the stored time (:meth:`_window`)."""
        try:
            exact = exact_window(table, after - shift, until - shift, self._steady)
        except OverflowError:
            exact = None
        if exact is not None:
            return exact
        window, bounds = self._window(table, shift, after, until)
        lo, hi = names
        return f" AND {known} > ${lo} AND {known} <= ${hi}{window}", {lo: after, hi: until, **bounds}

    def _expiry_expr(self) -> str:
        """The expiry as a DATE (see :meth:`Table.date_expr`); ``expiry_format`` says how an
        integer or text column is spelled (a date or timestamp column is read as such)."""
        t = self.options
        return t.date_expr(t.col("expiry"), t.types[t.columns.expiry], self.config.timezone,
                           self.config.options.expiry_format, f"expiries (column {t.columns.expiry!r})",
                           naive_midnights=True)

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
        # a day's bars are of the expiries its chain listed (each the day or later), matched on the
        # stored DATE: the expression's refusals (a year before 1900) cannot fire there, and its
        # CASE cost ~0.45 ms of every day's query (+7 % a year on month files)
        self._bar_expiry = f"CAST({self._raw_expiry} AS DATE)" if self._raw_expiry_is_date else self._expiry
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
            refused = own_refusal(exc)
            if refused is not None:  # a row's value: DuckDB's message names no file, so find it
                raise DataError(refused + self._file_of(sql, params)) from None
            raise DataError(f"query on the dataset failed: {exc}".splitlines()[0]) from None

    def _file_of(self, sql: str, params: dict) -> str:
        """`` (in FILE)``: the first of the query's files (``$f``) it fails on by itself (about
        log2(n) queries, paid only by a run that stops), or "" when none does alone."""
        files = params.get("f")
        if not isinstance(files, list) or not files:
            return ""

        def fails(some: list[str]) -> bool:
            try:
                self.con.execute(sql, {**params, "f": some}).fetchall()
            except duckdb.InterruptException:
                raise KeyboardInterrupt from None
            except duckdb.Error:
                return True
            return False
        file = first_failing(files, fails)
        return f" (in {file})" if len(files) == 1 or fails([file]) else ""

    # -- DataSource ---------------------------------------------------------------------------
    def trading_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        days = self._spot_days(start, end)
        if start is None and end is None and self._asked:
            return days  # the whole calendar looked up mid-run (previous days): starts nothing
        self._asked = True
        self._until = end
        if days and not self._zone_checked:  # once a source: UTC read as exchange time is refused,
            self._zone_checked = True       # start-labelled bars read as end-labelled are warned of
            self.hints = check_first_day(self, days[0])
            note = row_order_note(self, days[0])
            self.notes = [note] if note else []
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
                if costly(self.spot):  # each distinct stored time converted once, not every row
                    sql = (f"SELECT DISTINCT CAST(optbt_l AS DATE) AS d FROM "
                           f"{distinct_times(self.spot, self._spot_known, self._spot_und)} "
                           "WHERE optbt_l IS NOT NULL ORDER BY d")
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
                s, e = start or date.min, end or date.max
                window, bounds = ("", {}) if start is None or end is None else self._window(
                    o, self._shift, datetime.combine(s, datetime.min.time()),
                    datetime.combine(e, datetime.min.time()) + timedelta(days=1))
                sql = (f"SELECT DISTINCT {day} AS d FROM read_parquet($f, {o.scan}) "
                       f"WHERE {self._opt_und} AND {self._opt_known} IS NOT NULL "
                       f"AND {day} BETWEEN $s AND $e{window} ORDER BY d")
                if costly(o):  # each distinct stored time converted once, not every row
                    sql = (f"SELECT DISTINCT CAST(optbt_l AS DATE) AS d FROM "
                           f"{distinct_times(o, self._opt_known, self._opt_und + window)} "
                           "WHERE optbt_l IS NOT NULL AND CAST(optbt_l AS DATE) BETWEEN $s AND $e ORDER BY d")
                params = self._params(f=files, und=self._und(), s=s, e=e, **bounds)
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
            if self._shared_footers is not None:  # the dataset is open and its days known
                self._shared_footers.close()
        return [d for d in days if (start is None or d >= start) and (end is None or d <= end)]

    def _holding_rows(self, table: Table, days: list[date]) -> list[date]:
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
        def footers(sql: str, params: dict) -> list[tuple]:
            rows = self._shared_answer(sql, params)
            if rows is None:
                return self._run(sql, params)
            self.queries += 1  # counted as the footer query it stands for
            return rows

        def run(sql: str, params: dict) -> list[tuple]:
            return footer_rows(self._chain_index(), sql, params, footers) if "$f" in sql else self._run(sql, params)
        return option_days_from_footers(self.options, files, und, self._shift, run, self.config.timezone)

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

    def without_underlying(self) -> list[str]:
        """The tables ("spot", "options") whose files have no underlying column: each holds the
        dataset's ``underlying`` only, so no other underlying can be run on them."""
        return [t.what for t in (self.spot, self.options) if t.col("underlying", required=False) is None]

    def _und(self, underlying: str | None = None) -> str:
        return underlying or self.config.underlying

    def _und_test(self, und: str, files: list[str]) -> str:
        """The per-row underlying test of a day's option query, or TRUE when the files' footers
        show that every row they hold is ``und``'s (:meth:`Table.one_underlying`; compared as
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
                listing = read_listing(self, day, underlying, self._calendar(), self._run, READ_AHEAD_DAYS)
            except DataError as exc:  # a bad row of another day of the block must not fail this one:
                if exc.dataset_wide:  # (but the dataset's own error is its, whatever the block)
                    raise
                listing = read_listing(self, day, underlying, self._calendar(), self._run, READ_AHEAD_DAYS,
                                       alone=True)
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

    def _footers(self, sql: str, params: dict) -> list[tuple]:
        """A query over the files' footers as the tables open, its answer remembered in the
        chain index (a dataset of thousands of files read them all in every run)."""
        return footer_rows(self._chain_index(), sql, params, lambda q, p: self.con.execute(q, p).fetchall())

    def _option_footers(self, sql: str, params: dict) -> list[tuple]:
        """:meth:`_footers` for the option table, whose files' statistics are read once for the
        queries that need them (optbt/data/footer_stats.py)."""
        def run(q: str, p: dict) -> list[tuple]:
            rows = self._shared_answer(q, p)
            return self.con.execute(q, p).fetchall() if rows is None else rows
        return footer_rows(self._chain_index(), sql, params, run)

    def _shared_answer(self, sql: str, params: dict) -> list[tuple] | None:
        """A footer query over the option files answered from their shared statistics, or None."""
        if self._shared_footers is None:
            files = params.get("f")
            if not (isinstance(files, list) and len(files) >= MIN_FILES):
                return None
            cols = self.config.options.columns  # the time, strike, expiry and underlying columns named
            names = {n for f in ("ts", "date", "strike", "expiry", "underlying")
                     if isinstance(n := getattr(cols, f, None), str) and n}
            self._shared_footers = SharedFooterStats(self.con, files, names)
        return self._shared_footers.answer(sql, params)

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
                return read_listing(self, nxt, und, calendar, counted, READ_AHEAD_DAYS), counted.queries
            bounds = self.config.session.bounds(nxt)
            return (read_spots(self, nxt, und, *bounds, calendar, self.config.session.bounds, counted, READ_AHEAD_DAYS),
                    counted.queries)
        self._ahead.submit((kind, nxt, und), read)

    def chain(self, day: date, underlying: str | None = None) -> Chain:
        chain = self._chain_and_last(day, self._und(underlying))[0]
        refuse_strikes_written_two_ways(chain)
        return chain

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
        rows = clean_spot(self, day, und, [r for r in rows if open_ < r[0] <= close], self.spot.files_for(day))
        if self._spot_shift:
            refuse_ticks(self, self.config.spot, self.spot, self._spot_known, (t for t, _ in rows),
                              self.spot.files_for(day))
        return [(t, p, None, None) for t, p in rows]

    def refuse_ticks(self, files_cfg: OptionFiles | SpotFiles | SeriesFiles, table: Table, known: str, times,
                     files: list[str]) -> None:
        """Refuse ticks in a start-labelled table (:func:`optbt.data.bar_conflicts.refuse_ticks`;
        the whole-bar reader, :mod:`optbt.data.bars`, calls it on its rows)."""
        refuse_ticks(self, files_cfg, table, known, times, files)

    def _spot_block(self, day: date, und: str, open_: datetime, close: datetime) -> list[tuple]:
        got = self._ahead.take(("spot", day, und)) if self._ahead is not None else None
        if got is None:
            def read(alone: bool = False):
                return read_spots(self, day, und, open_, close, self._calendar(), lambda d: self.session(d, und),
                                  self._run, READ_AHEAD_DAYS, alone=alone)
            try:
                block = read()
            except DataError as exc:  # another day of the block holds the bad row: read this day alone
                if exc.dataset_wide:
                    raise
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
            expiries = sorted({i.expiry for i in insts})
            during = self.options.files_during(open_ - self._shift, close - self._shift, files)
            # a file a contract or an expiry: only the files whose footers allow these contracts
            during = self.options.files_holding(during, strikes, expiries if self._raw_expiry_is_date else None)
            if not during:  # no file holds a bar of this session
                continue
            when, bounds = self._known_between(self.options, self._opt_known, self._shift, open_, close,
                                               ("open", "close"))
            params = self._opt_params(f=during, und=und, **bounds, **{f"k{n}": k for n, k in enumerate(strikes)})
            where = f"{self._raw_strike} IN ({', '.join(f'$k{n}' for n in range(len(strikes)))})"
            if self._raw_expiry_is_date:  # push the expiry filter into the scan too
                params.update({f"e{n}": e for n, e in enumerate(expiries)})
                where += f" AND {self._raw_expiry} IN ({', '.join(f'$e{n}' for n in range(len(expiries)))})"
            sql = (f"SELECT {self._bar_expiry}, {self._strike}, {self._raw_opt_type}, {self._opt_known}, {self._price}, "
                   f"{self._bid}, {self._ask} FROM read_parquet($f, {self.options.scan}) "
                   f"WHERE {where} AND {self._und_test(und, during)}{when}")
            wanted = {(i.expiry, i.strike, i.opt_type): out[i] for i in insts}
            kind = self._opt_type_of
            for e, k, o, t, p, b, a in self._run(sql, params):
                bars = wanted.get((e, k, kind.get(o)))
                if bars is not None:
                    bars.append((t, p, b, a))
        for inst, bars in out.items():  # file order is usually time order already; sorting that is O(n)
            out[inst] = self._in_time_order(day, inst, bars, files)
        if self._shift:
            refuse_ticks(self, self.config.options, self.options, self._opt_known,
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
        if self._raw_expiry_is_date:  # a file an expiry or a contract: only that expiry's files
            during = self.options.files_holding(during, None, [expiry])
        if not during:
            return out
        when, bounds = self._known_between(self.options, self._opt_known, self._shift, lo, hi, ("lo", "hi"))
        params = self._opt_params(f=during, und=und, e=expiry, ot=opt_type, **bounds)
        where = f"{self._raw_expiry if self._raw_expiry_is_date else self._expiry} = $e"
        sql = (f"SELECT {self._strike}, {self._opt_known}, {self._price}, {self._bid}, {self._ask} "
               f"FROM read_parquet($f, {self.options.scan}) "
               f"WHERE {where} AND ({self._opt_type}) = $ot AND {self._und_test(und, during)}{when}")
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
            refuse_ticks(self, self.config.options, self.options, self._opt_known,
                              (b[0] for bars in out.values() for b in bars), during)
        return out

    def _in_time_order(self, day: date, inst: Instrument, bars: list[Bar], files: list[str]) -> list[Bar]:
        """``bars`` sorted by the time they became known, one a time (:func:`.bar_conflicts.dedupe`)."""
        bars.sort(key=known_at)
        if len(bars) > 1 and len(set(map(known_at, bars))) != len(bars):
            return dedupe(self, day, inst, bars, files)
        return bars

    def ohlc_bars(self, day: date, name: str = "spot", underlying: str | None = None) -> list:
        """Whole bars (known_at, open, high, low, close, volume) of the spot or a ``[series.NAME]``
        for one day (see :mod:`optbt.data.bars`; the tables open on first use)."""
        reader = getattr(self, "_bar_reader", None)
        if reader is None:
            from optbt.data.bars import BarReader
            reader = self._bar_reader = BarReader(self, Table)
        return reader.bars(day, name, underlying)

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.close()
        if self._shared_footers is not None:
            self._shared_footers.close()
        self.con.close()
