"""``optbt data check``: find what is wrong with a dataset before a backtest trusts it.

"Corrupt data is worse than no data": every finding names the actual file it was found in
(the first one, in path order), a sample row and how many rows (or days) are affected.
Errors (exit 1) make a backtest wrong or make the run refuse; warnings are the normal
awkwardness of real data that the engine handles (crossed or empty quotes, identical
duplicates, gaps, prints outside the session) and are reported so that a user knows.
Notes change nothing a run gives: they say how to make runs faster (rows kept in time order).

What a price may be is decided by :mod:`optbt.model.prices`, the same rule a run uses.
Unsorted rows are not a finding: the engine sorts what it reads.

Speed: the option files are read in a few aggregate queries (one per block of days, for the
progress bar and for memory: CHUNK_DAYS days, CHUNK_ROWS rows), never one query per day or per
check. Distinct minutes and clock ticks per instrument and day are counted with bitmaps
(``bitstring_agg`` over the minute of the day, and over the run's clock tick a bar belongs
to), which is what keeps duplicate and gap detection a single pass on minute bars; times off
the minute (ticks) are told apart exactly, a block at a time. The exact duplicate query runs
again only on the instruments and days whose (instrument, time) keys repeat, a block at a
time; the spot's and a series' by blocks of CHUNK_ROWS rows (:meth:`_Checker.repeats`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from optbt.data.check_report import CheckReport, Finding, as_text, sample_of
from optbt.data.check_where import QueryFailed, first_failing, listed_files, named_path
from optbt.data.dataset import DatasetConfig, parse_hhmm
from optbt.data.source import FolderDisagreesError, MixedTimezonesError, UnreadableFileError, start_labelled_ticks
from optbt.model.errors import ConfigError, DataError
from optbt.model.prices import sql_mid, sql_price, sql_quote_side, sql_usable

_NUMERIC = ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL", "UBIGINT",
            "UINTEGER")
_FILE = "optbt_file"
# SQL on a projected option row: its (run's day, instrument), as one number (the tally names the
# instruments whose times repeat on a day by it; a collision only reads one more instrument)
_INSTRUMENT_DAY = "hash(optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o)"
_MINUTE_US = 60_000_000
CHUNK_DAYS = 25  # days of option files per aggregate query: a progress step, and a bounded fixed cost
# and at most this many rows (whole days; a day of more is a chunk of its own), as the spot's and
# a series' blocks too: the exact test of duplicates on tick data holds every row's (instrument,
# time) of a block at once (a check of ticks then peaks near 0.25 GB, whatever the days; a block
# of minute bars costs no more time at this size)
CHUNK_ROWS = 1_000_000
# an option file is judged for row order (a note) when it holds at least this many rows
ORDER_MIN_ROWS = 60_000

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class _Check:
    """One per-row check: ``cond`` (SQL on a projected row) finds the defect among the rows of
    ``scope``, those a run reads as far as this check looks; rows it leaves out are counted
    apart, being another finding's (``left_to`` names them), and said in the detail."""

    level: str
    name: str
    cond: str
    detail: str
    scope: str = "TRUE"
    left_to: tuple[str, ...] = ()

    def detail_for(self, left_out: int) -> str:
        if not left_out:
            return self.detail
        rows = f"{left_out:,} more such row{'s' if left_out != 1 else ''}"
        return (f"{self.detail}; {rows} not counted here: a run never reads them, and they are reported as "
                f"{', '.join(self.left_to)}")


def _layered(layers: list[tuple[str, str]], checks: list[tuple[str, str, str, str]]) -> list[_Check]:
    """The checks (level, name, SQL condition, detail), each judging the rows a run reads as far
    as it looks. ``layers``: in order, (the finding that reports the rows a run stops at there,
    SQL the rows that pass it). A row is counted by the first layer it fails, and by a check
    only when it passes every layer before the check's own (the layer it is, else all): a
    NaN close of a row of unknown option type is unknown_opt_type's, not non_finite_price's.
    The scopes test ``optbt_lv``, the row's :func:`_level` (worked out once a row, not once a
    check: the tally of 250 days took 2.5 times as long with each scope written out)."""
    out = []
    for level, name, cond, detail in checks:
        own = next((i for i, (n, _) in enumerate(layers) if n == name), len(layers))
        out.append(_Check(level, name, cond, detail, f"optbt_lv >= {own}", tuple(n for n, _ in layers[:own])))
    return out


def _level(layers: list[tuple[str, str]]) -> str:
    """SQL: the number of ``layers`` a row passes before the first it fails (all: ``len(layers)``).

    >>> _level([("bad_timestamp", "t IS NOT NULL")])
    'CASE WHEN NOT coalesce(t IS NOT NULL, false) THEN 0 ELSE 1 END AS optbt_lv'
    """
    whens = " ".join(f"WHEN NOT coalesce({sql}, false) THEN {i}" for i, (_, sql) in enumerate(layers))
    return f"CASE {whens} ELSE {len(layers)} END AS optbt_lv"


def _numeric(kind: str) -> bool:
    return kind.startswith(_NUMERIC)


class _Checker:
    """One check run: the source's SQL expressions, a DuckDB connection, the findings."""

    def __init__(self, config: DatasetConfig, src, report: CheckReport, progress: Progress | None):
        self.config, self.src, self.report = config, src, report
        self.con = src.con
        self.progress = progress
        self.add = report.findings.append
        self.o, self.s = src.options, src.spot
        self.tables = [self.o, self.s]  # and each series' once opened: for listed()

    # -- helpers ----------------------------------------------------------------------------
    def q(self, sql: str, params: dict) -> list[tuple]:
        return self.run(sql, params)[1]

    def q_dicts(self, sql: str, params: dict) -> list[dict]:
        names, rows = self.run(sql, params)
        return [dict(zip(names, r)) for r in rows]

    def run(self, sql: str, params: dict) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of a query; a failure is QueryFailed naming the first file (of
        ``$f``) it fails on by itself: DuckDB's message quotes a row's text, not its file."""
        import duckdb
        params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
        try:
            cur = self.con.execute(sql, params)
            return [d[0] for d in cur.description], cur.fetchall()
        except duckdb.Error as exc:
            text = f"a file could not be read: {str(exc).splitlines()[0]}"
        files = params.get("f")
        if not isinstance(files, list) or not files:
            raise QueryFailed(text, None)

        def fails(some: list[str]) -> bool:
            try:
                self.con.execute(sql, {**params, "f": some}).fetchall()
            except duckdb.Error:
                return True
            return False
        raise QueryFailed(text, self.listed(first_failing(files, fails)))

    def listed(self, name: str) -> str:
        """A file as its table lists it, for a name a query gave (DuckDB may spell it its own way)."""
        for table in self.tables:
            if table.listed(name) != name:
                return table.listed(name)
        return name

    def params(self) -> dict:
        cfg = self.config
        p = {"calls": [v.upper() for v in cfg.options.call_values],
             "puts": [v.upper() for v in cfg.options.put_values], "start": parse_hhmm(cfg.session.start),
             "end": parse_hhmm(cfg.session.end), "optbt_und": cfg.underlying}
        if self.o.by_day is not None:  # the day folder's pattern, as the table reads it (Table.__init__)
            p["optbt_pat"] = self.o._key.pattern
        if cfg.timezone:  # bound only where a query converts (q() binds what the SQL uses)
            p["tz"] = cfg.timezone
        p["optbt_lt"] = self.last_tick(cfg.session.end)
        for n, (d, hhmm) in enumerate(sorted(cfg.session.early_close.items())):
            p[f"ecd{n}"], p[f"ect{n}"] = date.fromisoformat(d), parse_hhmm(hhmm)
            p[f"optbt_lt{n}"] = self.last_tick(hhmm)
        return p

    def last_tick(self, end: str) -> time:
        """The time of a day's last clock tick, for a session closing at ``end``: the session
        clock ticks at open + k * bar_minutes up to the close (optbt.engine.clock)."""
        open_ = datetime.combine(date.min, parse_hhmm(self.config.session.start))
        close = datetime.combine(date.min, parse_hhmm(end))
        step = self.config.bar_length
        return (open_ + (close - open_) // step * step).time()

    def runs(self, table) -> str:
        """SQL on a projected row (``optbt_u``): it is the dataset's underlying, the one a run
        trades unless its strategy names another (``underlying`` in dataset.toml; the CLI takes
        no other), tested as a run tests it; TRUE when the table has no underlying column."""
        if table.col("underlying", required=False) is None:
            return "TRUE"
        return "(optbt_u = upper($optbt_und))"

    def inside(self, t: str) -> str:
        """SQL: the known-at time ``t`` is inside its day's session (open, close]."""
        ec = self.config.session.early_close
        end = "$end"
        if ec:
            whens = " ".join(f"WHEN $ecd{n} THEN $ect{n}" for n in range(len(ec)))
            end = f"(CASE CAST({t} AS DATE) {whens} ELSE $end END)"
        return f"(CAST({t} AS TIME) > $start AND CAST({t} AS TIME) <= {end})"

    def minutes(self, day: date) -> int:
        """The session clock's ticks on ``day`` (one every bar_minutes after the open)."""
        open_, close = self.config.session.bounds(day)
        return int((close - open_).total_seconds() // 60 // self.config.bar_minutes)

    def tick_of(self, t: str) -> str:
        """SQL: the session clock's tick k (1, 2, ... at open + k * bar_minutes) a bar known at
        ``t`` (inside the session) belongs to: the first tick at or after it, as a run aligns
        bars (optbt.data.cache.align), so the tick whose interval (tick k-1, tick k] holds it.
        ``t`` is the known-at time, a start-labelled bar's already shifted to its end."""
        bar = self.config.bar_minutes * 60_000_000
        return f"CAST((epoch_us(CAST({t} AS TIME)) - epoch_us($start) + {bar - 1}) // {bar} AS INTEGER)"

    def by_last_tick(self, t: str) -> str:
        """SQL: the known-at time ``t`` (inside the session) is known by the day's last clock
        tick; a bar known after it (a session that is no whole number of bars) belongs to no tick
        of the day. TRUE when every session is a whole number of bars."""
        sess = self.config.session
        closes = [sess.end, *sess.early_close.values()]
        if all(self.last_tick(c) == parse_hhmm(c) for c in closes):
            return "TRUE"
        last = "$optbt_lt"
        if sess.early_close:
            whens = " ".join(f"WHEN $ecd{n} THEN $optbt_lt{n}" for n in range(len(sess.early_close)))
            last = f"(CASE CAST({t} AS DATE) {whens} ELSE $optbt_lt END)"
        return f"(CAST({t} AS TIME) <= {last})"

    def run_clock(self) -> bool:
        """Are a run's clock ticks other than every bar of the configured session? With
        ``clock = "spot"`` they are the spot's bar times; with ``session.end_from_data`` a day
        ends at its last option bar when that is earlier (optbt.engine.clock, DuckDBSource.session).
        Gaps are then counted at the ticks of :meth:`run_ticks`; otherwise by the session's
        formula (:meth:`tick_of`), which needs no table."""
        return self.config.clock == "spot" or self.config.session.end_from_data

    def run_und(self, alias: str) -> str:
        """SQL: the underlying of a run that reads an option row (``alias``: its relation): the
        row's own (as a run matches it), or the dataset's when the options have no underlying
        column. Ticks are a run's, and a run's session and spot are its underlying's."""
        return f"coalesce({alias}.optbt_u, upper($optbt_und))"

    def run_ticks(self) -> None:
        """The clock ticks a run has, per day and underlying of the options, as two tables in
        the check's connection: ``optbt_ticks`` (day, underlying, time, k: the k-th tick) and
        ``optbt_nticks`` (day, underlying, ticks).

        A run's session opens at the configured start and closes at the configured end (early
        closes included) or, with ``end_from_data``, at the day's last option bar of its
        underlying (of a known option type, as the chain reads it) when that lies inside. Its
        ticks are every ``bar_minutes`` from the open up to the close, or with ``clock =
        "spot"`` the times of the spot bars it reads (a usable close of its underlying, in the
        session, in the day's own folder). One read of the option files (their times only), and
        of the spot's for the spot clock; only with these settings."""
        src, o, sp, cfg = self.src, self.o, self.s, self.config
        ec = cfg.session.early_close
        end = "$end"
        if ec:
            end = f"(CASE optbt_cd {' '.join(f'WHEN $ecd{n} THEN $ect{n}' for n in range(len(ec)))} ELSE $end END)"
        last = ("max(optbt_t) FILTER (WHERE optbt_ot IS NOT NULL)" if cfg.session.end_from_data
                else "CAST(NULL AS TIMESTAMP)")
        sessions = (f"SELECT optbt_cd, optbt_ckey, optbt_open, CASE WHEN optbt_last > optbt_open AND optbt_last < "
                    f"optbt_close THEN optbt_last ELSE optbt_close END AS optbt_close FROM (SELECT optbt_cd, "
                    f"optbt_ckey, optbt_cd + $start AS optbt_open, optbt_cd + {end} AS optbt_close, optbt_last FROM "
                    f"(SELECT optbt_rd AS optbt_cd, {self.run_und('r')} AS optbt_ckey, {last} AS optbt_last FROM "
                    f"({self.option_projection(level=False)}) r WHERE optbt_rd IS NOT NULL GROUP BY ALL))")
        params = {**self.params(), "f": o.all_files}
        if cfg.clock == "spot":
            sund = sp.col("underlying", required=False)
            rows = (f"SELECT {_FILE}, {src._spot_known} AS optbt_t, "
                    f"{f'upper(trim(CAST({sund} AS VARCHAR)))' if sund else 'NULL'} AS optbt_u, "
                    f"{sql_price(src._spot_close)} AS optbt_p FROM read_parquet($sf, {sp.scan}, filename='{_FILE}')")
            spot = (f"SELECT DISTINCT optbt_fd, optbt_t, optbt_u FROM (SELECT *, "
                    f"{self.run_day(sp).replace('$optbt_pat', '$optbt_spat')} FROM ({rows})) "
                    f"WHERE optbt_p IS NOT NULL AND optbt_t IS NOT NULL")
            match = "(s.optbt_u = c.optbt_ckey)" if sund else "TRUE"
            ticks = (f"SELECT optbt_cd, optbt_ckey, optbt_ctt, CAST(row_number() OVER (PARTITION BY optbt_cd, "
                     f"optbt_ckey ORDER BY optbt_ctt) AS INTEGER) AS optbt_ctk FROM (SELECT DISTINCT c.optbt_cd, "
                     f"c.optbt_ckey, s.optbt_t AS optbt_ctt FROM ({sessions}) c JOIN ({spot}) s ON {match} AND "
                     f"coalesce(s.optbt_fd, c.optbt_cd) = c.optbt_cd AND s.optbt_t > c.optbt_open "
                     f"AND s.optbt_t <= c.optbt_close)")
            params["sf"] = sp.all_files
            if sp.by_day is not None:
                params["optbt_spat"] = sp._key.pattern
        else:
            step = cfg.bar_minutes * 60_000_000
            ticks = (f"SELECT optbt_cd, optbt_ckey, optbt_open + to_microseconds(optbt_ctk * {step}) AS optbt_ctt, "
                     f"CAST(optbt_ctk AS INTEGER) AS optbt_ctk FROM (SELECT *, unnest(range(1, (epoch_us(optbt_close) "
                     f"- epoch_us(optbt_open)) // {step} + 1)) AS optbt_ctk FROM ({sessions}))")
        self.run(f"CREATE OR REPLACE TEMP TABLE optbt_ticks AS {ticks}", params)
        self.run("CREATE OR REPLACE TEMP TABLE optbt_nticks AS SELECT optbt_cd, optbt_ckey, count(*) AS optbt_cn "
                 "FROM optbt_ticks GROUP BY ALL", {})

    def on_run_ticks(self, rows: str) -> str:
        """SQL: option ``rows`` (a projection) with ``optbt_tk``, the run tick (:meth:`run_ticks`)
        each belongs to: the first at or after its known-at time on its day, as a run aligns bars;
        NULL after the day's last tick (or without a time)."""
        return (f"SELECT r0.*, k.optbt_ctk AS optbt_tk FROM ({rows}) r0 ASOF LEFT JOIN optbt_ticks k ON "
                f"r0.optbt_rd = k.optbt_cd AND {self.run_und('r0')} = k.optbt_ckey AND r0.optbt_t <= k.optbt_ctt")

    def step(self, done: int, total: int, label: str) -> None:
        if self.progress is not None:
            self.progress(done, total, label)

    def find(self, level: str, check: str, where: str, count: int, detail: str, sample: dict | None = None) -> None:
        if sample and "file" in sample:
            sample = {**sample, "file": self.listed(sample["file"])}
        self.add(Finding(level, check, self.listed(where), int(count), detail, sample_of(sample)))

    # -- types ------------------------------------------------------------------------------

    def repeats(self, rows: str, key: str, fields: dict[str, str], kept: str, sample: str, blocks: list[dict],
                close: str | None = None) -> dict:
        """Repeated keys among the rows a run reads, by exact (instrument or spot, time) key, in
        memory bounded by a block of files, not by the dataset (every row of tick data is a key
        of its own: one group with lists a row once took 2.8 GB for 3 M option ticks).

        ``rows``: SQL ``WITH r AS NOT MATERIALIZED (...)``, those rows; ``key``: their key
        columns; ``fields``: each part of a bar as a run reads it (bars differ when a part
        does); ``kept``: a row a run keeps as a bar (a usable price; a key of no such row is no
        duplicate); ``sample``: a row struct (file, time first: the findings name the first
        file); ``blocks``: one query's parameters each (``f``, its files), whose keys never
        straddle two; ``close``: with it, how many differing keys differ in it.

        One query a block: its repeated keys, each with its rows and whether the kept bars
        differ (scalar aggregates: a part NULL in some and not others, or two values), joined
        back to their rows for the first row of each kind; then the files and bars of the first
        conflict from a query on its key alone. Returns ``diff`` (keys whose bars differ),
        ``closes`` (of them, whose ``close`` does), ``reps`` (rows beyond a key's first, of keys
        whose bars agree), ``sd``, ``ss`` (the first row of each) and ``fs``, ``bars`` (of sd's
        key)."""
        keep = f"FILTER (WHERE {kept})"
        differ = " OR ".join(f"count({v}) {keep} NOT IN (0, count(*) {keep}) OR coalesce(min({v}) {keep} <> "
                             f"max({v}) {keep}, false)" for v in fields.values())
        closes = f"coalesce(min({close}) {keep} <> max({close}) {keep}, false)" if close else "false"
        row = f"struct_pack({sample[len('struct_pack('):-1]}, optbt_h := hash({key}))"
        sql = (rows + f", d AS MATERIALIZED (SELECT hash({key}) AS optbt_h FROM r GROUP BY {key} HAVING count(*) > 1), "
               f"k AS MATERIALIZED (SELECT hash({key}) AS optbt_h, count(*) AS optbt_n, CASE WHEN "
               f"count(*) {keep} = 0 THEN 0 WHEN {differ} THEN 2 ELSE 1 END AS optbt_kind, {closes} AS optbt_kc "
               f"FROM r WHERE hash({key}) IN (SELECT optbt_h FROM d) GROUP BY {key} HAVING count(*) > 1) "
               f"SELECT (SELECT count(*) FILTER (WHERE optbt_kind = 2) FROM k) AS diff, "
               f"(SELECT count(*) FILTER (WHERE optbt_kind = 2 AND optbt_kc) FROM k) AS closes, "
               f"(SELECT sum(optbt_n - 1) FILTER (WHERE optbt_kind = 1) FROM k) AS reps, "
               f"min({row}) FILTER (WHERE optbt_kind = 2) AS sd, min({row}) FILTER (WHERE optbt_kind = 1) AS ss "
               f"FROM r JOIN k ON hash({key}) = k.optbt_h")
        out: dict[str, Any] = {"diff": 0, "closes": 0, "reps": 0, "sd": None, "ss": None, "fs": [], "bars": []}
        where: dict[int, dict] = {}  # a differing key -> its block
        for params in blocks:
            (got,) = self.q_dicts(sql, params)
            for n in ("diff", "closes", "reps"):
                out[n] += got[n] or 0
            if got["sd"] is not None:
                where[got["sd"]["optbt_h"]] = params
            out["sd"], out["ss"] = _first(out["sd"], got["sd"]), _first(out["ss"], got["ss"])
        if out["ss"]:
            out["ss"].pop("optbt_h")
        if out["sd"]:
            h = out["sd"].pop("optbt_h")
            bar = "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in fields.items()) + ")"
            (seen,) = self.q_dicts(rows + f"SELECT list(DISTINCT {_FILE}) AS fs, list(DISTINCT {bar}) {keep} AS bars "
                                   f"FROM r WHERE hash({key}) = $optbt_h", {**where[h], "optbt_h": h})
            out["fs"], out["bars"] = seen["fs"] or [], seen["bars"] or []
        return out

    def types(self) -> bool:
        cfg, o, s = self.config, self.o, self.s
        cols = cfg.options.columns
        read = ("strike", "bid", "ask") if cfg.price == "mid" else ("strike", "close", "bid", "ask")
        for canon in read:  # a run never reads the close with price = mid
            name = getattr(cols, canon)
            if name and name in o.types and not _numeric(o.types[name]):
                self.find("error", "wrong_type", self.typed_file(o, name, ("number",)), 1,
                          f"options column '{name}' ({canon}) is {o.types[name]}, not a number")
        if cols.ts and cols.ts in o.types and not o.types[cols.ts].startswith(("TIMESTAMP", "VARCHAR")):
            self.find("error", "wrong_type", self.typed_file(o, cols.ts, ("time", "text")), 1,
                      f"options column '{cols.ts}' (ts) is {o.types[cols.ts]}, not a timestamp")
        sc = cfg.spot.columns
        if sc.close in s.types and not _numeric(s.types[sc.close]):
            self.find("error", "wrong_type", self.typed_file(s, sc.close, ("number",)), 1,
                      f"spot column '{sc.close}' (close) is {s.types[sc.close]}, not a number")
        return not any(f.check == "wrong_type" for f in self.report.findings)

    def typed_file(self, table, column: str, kinds: tuple[str, ...]) -> str:
        """The first file whose ``column`` is of none of ``kinds`` (number, time, text). Files
        whose types differ are read with one type for all (``table_schemas.unify``: a number and a
        text column read as text), which only the files' own footers tell apart; a column of
        one type in every file is that type in the first."""
        from optbt.data.footers import kind_of
        if column not in table.cast:
            return table.all_files[0]
        try:
            rows = self.q("SELECT file_name, type, coalesce(logical_type, converted_type) FROM parquet_schema($f) "
                          "WHERE name = $c", {"f": table.all_files, "c": column})
        except DataError:
            return table.all_files[0]
        odd = {table.listed(f) for f, physical, logical in rows if kind_of(physical, logical) not in kinds}
        return next((f for f in table.all_files if f in odd), table.all_files[0])

    def misplaced_rows(self, table, files: list[str], series: str | None = None, known: str | None = None) -> None:
        """Rows dated another day than their day folder: a run reads a folder's files for its own
        day only (the folder names the day), so they are never read and their own day looks
        empty (no_spot / no_options skips), or its chain lacks their strikes.

        ``files``: those that may hold them. The options' tally counts such rows by day, so only
        the files of the days that have any are read again (for the count of files); the spot's
        files are few and small, and all of them are read, as are a ``series`` (its name; ``known``
        its rows' known-at time)."""
        if table.by_day is None or not files:
            return
        if series is not None:
            what, key = f"series.{series}", self.config.series[series].day_partition
        else:
            what, known = ("options", self.src._opt_known) if table is self.o else ("spot", self.src._spot_known)
            key = (self.config.options if table is self.o else self.config.spot).day_partition
        pattern = table._key.pattern  # the folder's day, as the table reads it (Table.__init__)
        sql = (f"SELECT {_FILE}, count(*) FROM read_parquet($f, {table.scan}, filename='{_FILE}') "
               f"WHERE {known} IS NOT NULL AND CAST({known} AS DATE) <> "
               f"TRY_CAST(regexp_extract({_FILE}, $pat, 1) AS DATE) GROUP BY ALL ORDER BY 1")
        rows = self.q(sql, {**self.params(), "f": files, "pat": pattern})
        if rows:
            self.find("error", "rows_in_another_days_folder", rows[0][0], sum(n for _, n in rows),
                      f"{what} rows dated another day than their {key}= folder ({len(rows)} file"
                      f"{'s' if len(rows) != 1 else ''}): a run reads a folder's files for that day only, so these"
                      " rows are never read; move them to their own day's folder")

    def empty_files(self) -> None:
        """Files that hold no row (a writer's empty frame: its schema alone). Nothing is read
        from them, and a day folder whose files are all empty is no day to a run (as without
        day folders, a day is a day when rows fall on it); said so a missing day is found."""
        for what, table in (("options", self.o), ("spot", self.s)):
            empty = [f for f, n in self.file_rows(table).items() if n == 0]
            if not empty:
                continue
            days = sorted(d for d, fs in (table.by_day or {}).items() if set(fs) <= set(empty))
            folders = (f"; {len(days)} day folder{'s hold' if len(days) > 1 else ' holds'} no other file, so "
                       f"{'they add' if len(days) > 1 else 'it adds'} no day to a run: "
                       + ", ".join(d.isoformat() for d in days[:5]) + (" ..." if len(days) > 5 else "")) if days else ""
            self.find("warning", "empty_files", empty[0], len(empty),
                      f"{what} files that hold no rows (a schema only): nothing is read from them{folders}. "
                      "Write the day's rows into them, or remove them")

    def start_labelled_ticks(self, files, table, known: str) -> None:
        """Rows of a start-labelled table (``files``: its config) known within the session and not
        on a whole minute: ticks or quotes, which a run refuses (StartLabelledTicksError) rather
        than use each a bar late. One aggregate over the table, for start-labelled tables only."""
        shift = self.config.shift_of(files)
        if not shift:
            return
        own = f"{known} - INTERVAL {int(shift.total_seconds())} SECOND"  # the row's own time
        (row,) = self.q_dicts(f"SELECT count(*) AS n, min(struct_pack(file := {_FILE}, ts := {own}, known_at := "
                              f"{known})) AS s FROM read_parquet($f, {table.scan}, filename='{_FILE}') WHERE "
                              f"{known} IS NOT NULL AND {self.inside(known)} AND epoch_us({known}) % {_MINUTE_US} <> 0",
                              {**self.params(), "f": table.all_files})
        if row["n"]:
            s = row["s"]
            self.find("error", "start_labelled_ticks", s["file"], row["n"],
                      start_labelled_ticks(table.what, s["ts"], self.config.bar_minutes, files.bar_label is not None)
                      + ". A run stops at the first such row it reads", s)

    def file_rows(self, table) -> dict[str, int]:
        """Rows of each file of ``table`` (as it lists them, in path order), from the footers
        (for empty_files and the blocks' sizes: about 0.05 ms a file)."""
        return table.file_rows(table.all_files, self.q)

    # -- options ----------------------------------------------------------------------------
    def option_layers(self) -> list[tuple[str, str]]:
        """Where a run stops reading an option row, in order (see _layered): no time; an option
        type it does not know; a contract its chain leaves out (expiry, then strike, then an
        expiry before the day, counted in that order as a run counts contracts_left_out); a file
        in another day's folder; a time outside the session. What passes all is read as a bar."""
        return self.contract_layers() + self.row_layers()

    @staticmethod
    def contract_layers() -> list[tuple[str, str]]:
        """The layers of a contract: one value for every row of an (instrument, day), the tally's
        group, so the tally judges them once a group (a run's day is NULL without a time)."""
        return [("bad_timestamp", "optbt_rd IS NOT NULL"), ("unknown_opt_type", "optbt_ot IS NOT NULL"),
                ("bad_expiry", "optbt_e IS NOT NULL"), ("bad_strike", sql_usable("optbt_k")),
                ("expiry_before_day", "optbt_e >= optbt_rd")]

    def row_layers(self) -> list[tuple[str, str]]:
        """The layers of one row of a listed contract: its folder, its time."""
        layers = [("rows_in_another_days_folder", "CAST(optbt_t AS DATE) = optbt_fd")] if self.o.by_day else []
        return layers + [("outside_session", self.inside("optbt_t"))]

    def in_chain(self) -> str:
        """SQL: the row is a contract a run's chain lists (it passes the layers up to expiry_before_day)."""
        layers = self.option_layers()
        return f"optbt_lv > {next(i for i, (n, _) in enumerate(layers) if n == 'expiry_before_day')}"

    def read_as_bar(self) -> str:
        """SQL: a run reads the row as a bar of its instrument (it passes every layer)."""
        return f"optbt_lv = {len(self.option_layers())}"

    def option_checks(self) -> list[_Check]:
        """Each per-row check of the option rows, judging the rows a run reads that far."""
        cfg = self.config
        out = [
            ("error", "unknown_opt_type", "optbt_ot IS NULL",
             f"option types not in call_values {cfg.options.call_values} or put_values "
             f"{cfg.options.put_values}: add the spelling to the config (the rows are never used)"),
            ("error", "bad_expiry", "optbt_e IS NULL", "expiry is NULL or not a date: the row is ignored"),
            ("error", "bad_strike", f"NOT coalesce({sql_usable('optbt_k')}, false)",
             "strike is NULL, NaN, infinite or not above zero: the row is no contract and is ignored"),
            ("error", "expiry_before_day", "optbt_e < optbt_rd",
             "expiry before the trade date: such contracts are never listed in the chain"),
            ("warning", "outside_session", f"NOT {self.inside('optbt_t')}",
             "option bars known outside the session (ignored; bar_label is taken into account)"),
        ]
        for canon, col, unusable in self.read_prices():
            name = getattr(cfg.options.columns, canon)
            quote = canon in ("bid", "ask")
            if not quote:
                out.append(("warning", "missing_price", f"{col} IS NULL",
                            f"'{name}' is NULL: the bar is no bar (the price goes stale, with its lag)"))
            out += [
                ("error", "non_finite_price", f"NOT isfinite({col})", f"'{name}' is NaN or infinite ({unusable})"),
                ("error", "negative_price", f"isfinite({col}) AND {col} < 0", f"'{name}' below zero ({unusable})"),
                ("warning" if quote else "error", "zero_price", f"{col} = 0",
                 f"'{name}' is zero" + (" (empty quote side: " if quote else " (") + f"{unusable})"),
            ]
        if cfg.has_quotes:
            b_ok, a_ok = sql_usable("optbt_b"), sql_usable("optbt_a")
            out += [
                ("warning", "crossed_quotes", f"{b_ok} AND {a_ok} AND optbt_b > optbt_a",
                 "bid above ask: the quote is unusable (both sides)"),
                ("warning", "empty_quotes", f"NOT coalesce({b_ok} AND {a_ok}, false)",
                 "missing, zero or unusable bid or ask: that side is unusable for fills"
                 + (" and the mid is no price" if cfg.price == "mid" else "")),
            ]
        return _layered(self.option_layers(), out)

    def read_prices(self) -> list[tuple[str, str, str]]:
        """(canonical name, projected column, what a run makes of an unusable value) of each option
        price column a run reads: the close, unless ``price = "mid"`` (a run then prices a bar by
        the mid of bid and ask and never reads the close: a NaN there changes nothing), and the bid
        and ask when the config maps both (the sides fills use; with the mid, its price too)."""
        cfg, types = self.config, self.o.types
        out = []
        if cfg.price != "mid" and cfg.options.columns.close in types:
            out.append(("close", "optbt_c", "unusable: the bar is no bar"))
        if cfg.has_quotes:
            side = "unusable for fills on that side"
            if cfg.price == "mid":  # the run's price is sql_mid: one unusable side and the bar has none
                side += ", and the bar has no mid, so it is no bar"
            out += [(canon, col, side) for canon, col in (("bid", "optbt_b"), ("ask", "optbt_a"))
                    if getattr(cfg.options.columns, canon) in types]
        return out

    def option_projection(self, level: bool = True) -> str:
        """The option rows as a run tells them apart, with the run's day (:meth:`run_day`) and,
        with ``level``, how many of option_layers each row passes (``optbt_lv``)."""
        src, o, cols = self.src, self.o, self.config.options.columns
        und = o.col("underlying", required=False) or "NULL"
        prices = []
        for canon, alias in (("close", "optbt_c"), ("bid", "optbt_b"), ("ask", "optbt_a")):
            name = getattr(cols, canon)
            # a close no run reads (price = mid) is shown in samples as far as it reads as a number
            cast = "TRY_CAST" if canon == "close" and self.config.price == "mid" else "CAST"
            prices.append(f"{cast}({o.col(canon)} AS DOUBLE) AS {alias}" if name and name in o.types
                          else f"CAST(NULL AS DOUBLE) AS {alias}")
        # an instrument as a run tells them apart: option type by the call/put spellings (C, ce and
        # CE are one), underlying without case or padding; unknown types keep their cleaned text
        rows = (f"SELECT {_FILE}, {src._opt_known} AS optbt_t, {src._expiry} AS optbt_e, "
                f"CAST({src._raw_strike} AS DOUBLE) AS optbt_k, coalesce({src._opt_type}, {src._raw_opt_type}) "
                f"AS optbt_o, {src._opt_type} AS optbt_ot, upper(trim(CAST({und} AS VARCHAR))) AS optbt_u, "
                f"{', '.join(prices)} FROM read_parquet($f, {o.scan}, filename='{_FILE}')")
        dated = f"SELECT *, {self.run_day(o)} FROM ({rows})"
        return f"SELECT *, {_level(self.option_layers())} FROM ({dated})" if level else dated

    def run_day(self, table) -> str:
        """SQL columns of a projected row: ``optbt_fd``, the day its folder names (NULL without day
        folders), and ``optbt_rd``, the day a run takes it for: its folder's day (a run reads a
        folder's files for that day: a chain lists their contracts then), else its own date;
        NULL without a time. Binds ``$optbt_pat``, the folder pattern (:meth:`params`)."""
        folder = ("CAST(NULL AS DATE)" if table.by_day is None
                  else f"TRY_CAST(regexp_extract({_FILE}, $optbt_pat, 1) AS DATE)")
        return (f"{folder} AS optbt_fd, CASE WHEN optbt_t IS NOT NULL THEN coalesce({folder}, "
                f"CAST(optbt_t AS DATE)) END AS optbt_rd")

    def options(self, chunks: list[list[str]], step0: int, total: int) -> dict:
        """Per-row checks, duplicates (by bitmap) and gaps over the option files; returns the tallies.

        Rows are grouped by (run's day, instrument): the contract layers (option_layers) are one
        value a group, judged once a group from its keys (``optbt_cl``, how many it passes);
        only the folder and the time are judged row by row (``optbt_rl``). A check of the
        contract is then a sum over groups; a check of the row counts its rows in the groups
        of listed contracts. Rows such a check leaves to other findings are counted afterwards
        (:meth:`left_out`), only for the checks that hit.
        """
        checks = self.option_checks()
        cl_layers, rl_layers = self.contract_layers(), self.row_layers()
        c_all, r_all = len(cl_layers), len(rl_layers)
        own = [int(c.scope.rsplit(" ", 1)[1]) for c in checks]  # "optbt_lv >= k": the check's layer
        per_group, per_day = [], []
        for i, c in enumerate(checks):
            if own[i] < c_all:  # a contract check: its condition is on the group's keys
                per_day.append(f"sum(optbt_n) FILTER (WHERE optbt_cl = {own[i]}) AS n{i}, "
                               f"sum(optbt_n) FILTER (WHERE optbt_cl < {own[i]} AND {c.cond}) AS x{i}")
            else:
                per_group.append(f"count(*) FILTER (WHERE {c.cond} AND optbt_rl >= {own[i] - c_all}) AS a{i}")
                per_day.append(f"sum(a{i}) FILTER (WHERE optbt_cl = {c_all}) AS n{i}, NULL AS x{i}")
        per_group += [f"count(*) FILTER (WHERE optbt_rl = {r}) AS h{r}" for r in range(r_all)]
        per_day += [f"sum(h{r}) FILTER (WHERE optbt_cl = {c_all}) AS h{r}" for r in range(r_all)]
        # rows dated another day than their folder's, of any contract (rows_in_another_days_folder)
        per_day.append("sum(h0) AS optbt_mis" if self.o.by_day is not None else "0 AS optbt_mis")
        row_level = " ".join(f"WHEN NOT coalesce({sql}, false) THEN {i}" for i, (_, sql) in enumerate(rl_layers))
        contract_level = " ".join(f"WHEN NOT coalesce({sql}, false) THEN {i}" for i, (_, sql) in enumerate(cl_layers))
        # duplicates among the rows a run reads as bars, per instrument and day: on whole minutes
        # (minute bars), those rows less their distinct minutes (a bitmap of the minute of the day;
        # > 0: a repeated (instrument, time) key); off the minute (ticks), counted here and told
        # apart by :meth:`tick_repeats` (a count of distinct times here would cost every minute-bar
        # dataset twice the time: DuckDB aggregates a whole group otherwise with a DISTINCT in it)
        on_grid = f"optbt_rl = {r_all} AND epoch_us(optbt_t) % {_MINUTE_US} = 0"
        minute = f"CAST((epoch_us(optbt_t) // {_MINUTE_US}) % 1440 AS INTEGER)"
        # gaps: the clock ticks (at most 1440 a day) at which an instrument has a bar read as one
        # (any row a run reads that far: an unusable price is its own finding, not a gap), counted
        # per instrument and day (a busy contract's ticks never make up for a quiet one's holes).
        # An instrument's day is the run's (a folder's rows are that day's), of a listed contract.
        tick = f"bitstring_agg({self.tick_of('optbt_t')}, 1, 1440)"
        ticked = f"optbt_rl = {r_all} AND {self.by_last_tick('optbt_t')}"
        rows = f"SELECT *, CASE {row_level} ELSE {r_all} END AS optbt_rl FROM ({self.option_projection(level=False)})"
        ticks_in, grouped, want = f"bit_count({tick} FILTER (WHERE {ticked}))", "SELECT * FROM g", ""
        if self.run_clock():  # the ticks a run has (run_ticks): each bar on the first at or after it
            rows, ticks_in = self.on_run_ticks(rows), f"count(DISTINCT optbt_tk) FILTER (WHERE optbt_rl = {r_all})"
            grouped = ("SELECT g.*, coalesce(optbt_cn, 0) AS optbt_want FROM g LEFT JOIN optbt_nticks "
                       f"ON g.optbt_rd = optbt_cd AND {self.run_und('g')} = optbt_ckey")
            want = f"sum(optbt_want) FILTER (WHERE optbt_cl = {c_all}) AS optbt_want, "
        sql = (f"WITH r AS ({rows}), "
               f"g AS (SELECT optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o, optbt_ot, count(*) AS optbt_n, "
               f"count(*) FILTER (WHERE {on_grid}) - coalesce(bit_count(bitstring_agg({minute}, 0, 1439) "
               f"FILTER (WHERE {on_grid})), 0) AS optbt_rep, "
               f"count(*) FILTER (WHERE optbt_rl = {r_all} AND NOT ({on_grid})) AS optbt_off, "
               f"{ticks_in} AS optbt_in, "
               f"min({_FILE}) AS optbt_f, {', '.join(per_group)} "
               f"FROM r GROUP BY optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o, optbt_ot), "
               f"c AS (SELECT *, CASE {contract_level} ELSE {c_all} END AS optbt_cl FROM ({grouped})) "
               f"SELECT optbt_rd AS optbt_d, {want}count(*) FILTER (WHERE optbt_cl = {c_all}) AS optbt_g, "
               f"sum(optbt_n) AS optbt_n, sum(optbt_n) FILTER (WHERE optbt_cl < {c_all}) AS optbt_bad, "
               f"list({_INSTRUMENT_DAY}) FILTER (WHERE optbt_cl = {c_all} AND optbt_rep > 0) AS optbt_dup, "
               f"sum(optbt_off) FILTER (WHERE optbt_cl = {c_all}) AS optbt_off, "
               f"sum(coalesce(optbt_in, 0)) FILTER (WHERE optbt_cl = {c_all}) "
               f"AS optbt_in, min(optbt_f) AS optbt_f, "
               f"min(optbt_f) FILTER (WHERE {self.runs(self.o)}) AS optbt_uf, {', '.join(per_day)} "
               f"FROM c GROUP BY optbt_d ORDER BY optbt_d")
        # days: the days with option rows of the run's underlying (its first file); any_days: of any;
        # unread: day -> rows that failed a layer before each row layer (for left_out)
        tallies = {"checks": checks, "own": own, "n": [0] * len(checks), "x": [0] * len(checks),
                   "first": [None] * len(checks), "days": {}, "any_days": 0, "dup_keys": [],
                   "gaps": 0, "null_ts": 0, "unread": {}, "misplaced_days": []}
        base = self.params()
        if self.run_clock():
            self.run_ticks()
        for c, files in enumerate(chunks):
            tallies["dup_keys"].append({})  # this chunk's: day -> its instruments with repeated times
            off = 0
            for row in self.q_dicts(sql, {**base, "f": files}):
                self.tally_day(tallies, row, r_all)
                off += row["optbt_off"] or 0
            if off:
                self.tick_repeats(files, tallies["dup_keys"][-1])
            self.step(step0 + c + 1, total, f"options {c + 1}/{len(chunks)}")
        return tallies

    def tick_repeats(self, files: list[str], found: dict) -> None:
        """Add to ``found`` (day -> instruments) the (day, instrument)s of ``files`` (one chunk)
        whose rows a run reads as bars repeat a time off the whole minute (ticks): an exact
        count, which holds the (instrument, time) keys of one chunk at a time (CHUNK_ROWS)."""
        key = "optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o"
        rows = self.q(f"WITH r AS ({self.option_projection()}) SELECT optbt_rd, list(DISTINCT {_INSTRUMENT_DAY}) "
                      f"FROM (SELECT {key} FROM r WHERE {self.read_as_bar()} AND epoch_us(optbt_t) % {_MINUTE_US} "
                      f"<> 0 GROUP BY {key}, optbt_t HAVING count(*) > 1) GROUP BY ALL",
                      {**self.params(), "f": files})
        for d, keys in rows:
            found[d] = sorted(set(found.get(d, [])) | set(keys))

    def tally_day(self, tallies: dict, row: dict, r_all: int) -> None:
        """Add one day's row of the tally query (day None: the rows without a time)."""
        d, checks = row["optbt_d"], tallies["checks"]
        for i in range(len(checks)):  # rows left to other findings, where a contract's keys tell
            tallies["x"][i] += row[f"x{i}"] or 0
        # rows a run stops at before each row layer: of contracts it does not list, or of an earlier row layer
        before, stopped = row["optbt_bad"] or 0, []
        for r in range(r_all + 1):
            stopped.append(before)
            before += row.get(f"h{r}") or 0
        if any(stopped):
            tallies["unread"][d] = stopped
        if d is None:  # rows without a timestamp
            tallies["null_ts"] += row["optbt_n"]
            tallies["null_ts_file"] = min(tallies.get("null_ts_file") or row["optbt_f"], row["optbt_f"])
            return
        tallies["any_days"] += 1
        if row["optbt_uf"] is not None:
            tallies["days"][d] = row["optbt_uf"]
        if row["optbt_dup"]:
            tallies["dup_keys"][-1][d] = row["optbt_dup"]
        if row["optbt_mis"]:  # d is the folder's day: its files hold them
            tallies["misplaced_days"].append(d)
        want = row["optbt_want"] or 0 if "optbt_want" in row else row["optbt_g"] * self.minutes(d)
        missing = max(0, want - (row["optbt_in"] or 0))
        tallies["gaps"] += missing
        if missing and "gap_day" not in tallies:
            tallies["gap_day"] = d
        for i in range(len(checks)):
            n = row[f"n{i}"]
            if n:
                tallies["n"][i] += n
                if tallies["first"][i] is None:  # rows come in day order
                    tallies["first"][i] = d

    def left_out(self, t: dict) -> None:
        """For each check of a row that hit, the rows with its defect a run stops at before it
        (left to another finding, said in its detail), read again only on the days that hold
        any such row (every file when rows without a time are among them)."""
        c_all = len(self.contract_layers())
        wanted = [i for i, c in enumerate(t["checks"]) if t["n"][i] and t["own"][i] >= c_all]
        days = {d for d, stopped in t["unread"].items() for i in wanted if stopped[t["own"][i] - c_all]}
        if not days:
            return
        o = self.o
        if None in days or o.by_day is None:
            files = o.all_files
        else:
            files = [f for d in sorted(days) for f in o.files_for(d)]
        cols = ", ".join(f"count(*) FILTER (WHERE {t['checks'][i].cond} AND NOT {t['checks'][i].scope}) AS x{i}"
                         for i in wanted)
        (row,) = self.q_dicts(f"WITH r AS ({self.option_projection()}) SELECT {cols} FROM r "
                              f"WHERE optbt_lv < {max(t['own'][i] for i in wanted)}", {**self.params(), "f": files})
        for i in wanted:
            t["x"][i] += row[f"x{i}"]

    def option_findings(self, t: dict) -> None:
        """One finding per check that hit; its sample row comes from a query on the first day it hit."""
        sample = ("struct_pack(file := optbt_file, ts := optbt_t, underlying := optbt_u, expiry := optbt_e, "
                  "strike := optbt_k, opt_type := optbt_o, close := optbt_c, bid := optbt_b, ask := optbt_a)")
        for i, c in enumerate(t["checks"]):
            if not t["n"][i]:
                continue
            d = t["first"][i]
            files = self.o.files_for(d) if self.o.by_day is not None and d in self.o.by_day else self.o.all_files
            hit = self.q(f"WITH r AS ({self.option_projection()}) SELECT {sample} AS s FROM r "
                         f"WHERE {c.cond} AND {c.scope} ORDER BY optbt_file, optbt_t LIMIT 1",
                         {**self.params(), "f": files})
            s = hit[0][0] if hit else None
            self.find(c.level, c.name, s["file"] if s else files[0], t["n"][i], c.detail_for(t["x"][i]), s)
        if t["null_ts"]:
            self.find("error", "bad_timestamp", t["null_ts_file"], t["null_ts"],
                      "option rows with no timestamp (NULL): they are never used")
        if t["gaps"]:
            d = t["gap_day"]
            files = self.o.files_for(d) if self.o.by_day is not None and d in self.o.by_day else self.o.all_files
            # the sample: that day's instrument with bars at the fewest clock ticks
            if self.run_clock():
                hit = self.q_dicts(f"WITH r AS ({self.on_run_ticks(self.option_projection())}) SELECT "
                                   f"min({_FILE}) AS file, optbt_rd AS day, optbt_u AS underlying, optbt_e AS expiry, "
                                   f"optbt_k AS strike, optbt_o AS opt_type, count(DISTINCT optbt_tk) AS bars, "
                                   f"any_value(coalesce(optbt_cn, 0)) AS optbt_of FROM r LEFT JOIN optbt_nticks ON "
                                   f"optbt_rd = optbt_cd AND {self.run_und('r')} = optbt_ckey "
                                   f"WHERE {self.read_as_bar()} AND optbt_rd = $gd GROUP BY day, underlying, expiry, "
                                   f"strike, opt_type ORDER BY bars, underlying, expiry, strike, opt_type LIMIT 1",
                                   {**self.params(), "f": files, "gd": d})
            else:
                hit = self.q_dicts(f"WITH r AS ({self.option_projection()}) SELECT min({_FILE}) AS file, "
                                   f"optbt_rd AS day, optbt_u AS underlying, optbt_e AS expiry, optbt_k AS strike, "
                                   f"optbt_o AS opt_type, count(DISTINCT {self.tick_of('optbt_t')}) AS bars FROM r "
                                   f"WHERE {self.read_as_bar()} AND {self.by_last_tick('optbt_t')} AND optbt_rd = $gd "
                                   f"GROUP BY ALL ORDER BY bars, underlying, expiry, strike, opt_type LIMIT 1",
                                   {**self.params(), "f": files, "gd": d})
            s = hit[0] if hit else None
            if s:
                s["bars"] = f"{s['bars']} of {s.pop('optbt_of') if 'optbt_of' in s else self.minutes(d)}"
            bar = self.config.bar_minutes
            every = "minute" if bar == 1 else f"{bar} minutes"
            ticks = (f"every {every} of the session" if self.config.clock == "session" else
                     "the spot's bar times, clock = \"spot\"")
            if self.config.session.end_from_data:
                ticks += ", up to the day's last option bar (end_from_data)"
            self.find("warning", "gaps", s["file"] if s else files[0], t["gaps"],
                      f"clock ticks ({ticks}) at which an instrument a run's chain lists has "
                      "no bar known since the tick before (its price is stale there, with its lag), counted per "
                      "instrument; a row with an unusable price is that price's finding, not a gap", s)

    def option_duplicates(self, t: dict) -> None:
        """Exact duplicate rows (:meth:`repeats`), read again only for the instruments and days
        the tally found repeated times in, a chunk of days at a time."""
        if not any(t["dup_keys"]):
            return
        # only rows with a usable price can conflict: an unusable one is no bar (and reported on its own)
        if self.config.price == "mid":
            usable = f"{sql_usable('optbt_b')} AND {sql_usable('optbt_a')} AND optbt_b <= optbt_a"
            price = sql_mid("optbt_b", "optbt_a")  # the close is never read
        else:
            usable = sql_usable("optbt_c")
            price = sql_price("optbt_c")
        # rows differ when what a run reads of them differs: the price, and each quote side as a
        # run cleans it (bid 0 and a NULL bid are the same missing side; a crossed quote has none)
        fields = {"price": price, "bid": sql_quote_side("optbt_b", "optbt_a", is_bid=True),
                  "ask": sql_quote_side("optbt_a", "optbt_b", is_bid=False)}
        sample = ("struct_pack(file := optbt_file, ts := optbt_t, underlying := optbt_u, expiry := optbt_e, "
                  "strike := optbt_k, opt_type := optbt_o, close := optbt_c, bid := optbt_b, ask := optbt_a)")
        # the rows a run reads as bars (listed contracts, within the session, in their folder) of
        # the instruments and days the tally named
        rows = (f"WITH r AS NOT MATERIALIZED (SELECT * FROM ({self.option_projection()}) WHERE {self.read_as_bar()} "
                f"AND {_INSTRUMENT_DAY} IN (SELECT unnest(CAST($optbt_keys AS UBIGINT[])))) ")
        base = self.params()
        blocks = [{**base, "f": list(dict.fromkeys(f for d in sorted(chunk) for f in self.o.files_for(d))),
                   "optbt_keys": [h for hs in chunk.values() for h in hs]} for chunk in t["dup_keys"] if chunk]
        got = self.repeats(rows, "optbt_u, optbt_e, optbt_k, optbt_o, optbt_t", fields, usable, sample, blocks)
        if got["diff"]:
            self.find("error", "conflicting_duplicates", got["sd"]["file"], got["diff"],
                      "(instrument, time) appears more than once with different bars (the price and each quote side, "
                      f"as a run reads them): a run refuses the day (e.g. {len(got['fs'])} file(s): "
                      f"{_differing(got['bars'])})", got["sd"])
        if got["reps"]:
            self.find("warning", "duplicate_rows", got["ss"]["file"], got["reps"], "repeated rows of an (instrument, "
                      "time), identical or with one usable price: a run uses one", got["ss"])

    # -- spot and extra series -------------------------------------------------------------------
    def row_order(self) -> None:
        """A note when option files keep rows in time order, from the files' footers only.

        Files sorted by expiry and strike within a day have row groups that each cover the
        whole session in time and a slice of the strikes; files in time order (a file a month,
        most vendors' exports) have row groups that each cover a slice of time and every
        strike, which no query for a few contracts can skip (see :func:`_in_time_order`).
        Files of fewer than ORDER_MIN_ROWS rows or of one row group, and timestamps that are
        not naive, are not judged.
        """
        from optbt.data.sql_text import NAIVE_TS
        strike, ts = self.o.columns.strike, self.o.columns.ts
        if (not strike or not ts or not _numeric(self.o.types.get(strike, ""))
                or self.o.types.get(ts) not in NAIVE_TS):
            return
        try:
            rows = self.q("SELECT file_name, row_group_id, any_value(row_group_num_rows), "
                          "max(TRY_CAST(stats_min_value AS DOUBLE)) FILTER (WHERE path_in_schema = $k), "
                          "max(TRY_CAST(stats_max_value AS DOUBLE)) FILTER (WHERE path_in_schema = $k), "
                          "max(TRY_CAST(stats_min_value AS TIMESTAMP)) FILTER (WHERE path_in_schema = $t), "
                          "max(TRY_CAST(stats_max_value AS TIMESTAMP)) FILTER (WHERE path_in_schema = $t) "
                          "FROM parquet_metadata($f) WHERE path_in_schema IN ($k, $t) GROUP BY ALL",
                          {"f": self.o.all_files, "k": strike, "t": ts})
        except DataError:
            return  # footers that cannot be read are the other checks' findings
        files: dict[str, list[tuple]] = {}
        for name, _, n, k0, k1, t0, t1 in rows:
            files.setdefault(name, []).append((n, k0, k1, t0, t1))
        ordered = [name for name, groups in files.items() if _in_time_order(groups)]
        if ordered:
            self.find("note", "rows_in_time_order", sorted(ordered)[0], len(ordered),
                      f"{len(ordered)} of {len(files)} option files keep rows in time order: each row group "
                      "spans every strike of its time, so a run's query for a day's few contracts decodes "
                      "every row of that day. Results are right either way; for speed, `optbt data sort DATA "
                      "--out NEW` writes a copy with each day's rows by expiry, strike, type and time, and "
                      "`--split-days` a file a day for files of many days (README, Performance)")

    def spot(self) -> dict:
        from optbt.data.bars import BarReader
        src, s = self.src, self.s
        und = s.col("underlying", required=False) or "NULL"
        try:  # the whole bar a run reads (ctx.spot_bar, indicators, ranges: optbt/data/bars.py)
            fields = BarReader(src, type(s)).reader("spot").fields
        except DataError as exc:  # a mapped open/high/low/volume the files lack: a run stops on it
            self.find("error", "missing_column", s.all_files[0], 1, str(exc))
            fields = {"close": sql_price(src._spot_close)}
        return self.closes("spot", s, src._spot_known, und, "TRUE", src._spot_close,
                           self.config.spot.columns.close, fields, {}, self.runs(s))

    def series(self, name: str) -> dict:
        """The checks of the spot, on ``[series.NAME]`` (rows of its underlying, where it names one)."""
        from optbt.data.bars import BarReader
        r = BarReader(self.src, type(self.s)).reader(name)
        self.tables.append(r.table)
        self.start_labelled_ticks(r.files, r.table, r.known)
        close = r.table.col("close")
        cname = self.config.series[name].columns.close
        if cname in r.table.types and not _numeric(r.table.types[cname]):
            self.find("error", "wrong_type", self.typed_file(r.table, cname, ("number",)), 1,
                      f"series.{name} column '{cname}' (close) is {r.table.types[cname]}, not a number")
            return {}
        # rows told apart by underlying only where the run tells them apart: with no underlying
        # value to select, the run reads every row, so two symbols at one minute conflict here too
        und = (r.table.col("underlying", required=False) if r.sund else None) or "NULL"
        self.misplaced_rows(r.table, r.table.all_files, name, r.known)
        return self.closes(f"series.{name}", r.table, r.known, und, r.und.replace("$sund", "$optbt_sund"), close,
                           cname, r.fields, {"optbt_sund": r.sund}, "TRUE")

    def closes(self, what: str, table, known: str, und: str, where: str, close: str, name: str,
               fields: dict[str, str], extra: dict, days_of: str) -> dict:
        """Per-row checks, duplicates and usable bars per day of a close-priced table (the spot,
        a series): ``{day: (first file, usable bars in the session)}`` of the rows ``days_of``
        keeps (the spot: the run's underlying; a series: ``where`` chose its rows already).
        ``fields``: the SQL of each part of a bar as a run reads it (duplicates differ when any
        part does)."""
        bar = "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in fields.items()) + ")"
        rows = (f"SELECT {_FILE}, {known} AS optbt_t, upper(trim(CAST({und} AS VARCHAR))) AS optbt_u, "
                f"CAST({close} AS DOUBLE) AS optbt_c, {bar} AS optbt_bar FROM read_parquet($f, {table.scan}, "
                f"filename='{_FILE}') WHERE {where}")
        # a day's bars: a run reads that day's folder (if any) within its session, rows of that day
        home = "(optbt_fd IS NULL OR CAST(optbt_t AS DATE) = optbt_fd)"
        read = f"optbt_t IS NOT NULL AND {home} AND {self.inside('optbt_t')}"
        layers = [("bad_timestamp", "optbt_t IS NOT NULL")]
        if table.by_day is not None:  # reported by misplaced_rows (the spot's, a series')
            layers.append(("rows_in_another_days_folder", home))
        layers.append(("outside_session", self.inside("optbt_t")))
        proj = f"SELECT *, {_level(layers)} FROM (SELECT *, {self.run_day(table)} FROM ({rows}))"
        checks = _layered(layers, [
            ("warning", "missing_price", "optbt_c IS NULL", f"{what} '{name}' is NULL: the bar is no bar"),
            ("error", "non_finite_price", "NOT isfinite(optbt_c)", f"{what} '{name}' is NaN or infinite (unusable)"),
            ("error", "negative_price", "isfinite(optbt_c) AND optbt_c < 0", f"{what} '{name}' below zero (unusable)"),
            ("error", "zero_price", "optbt_c = 0", f"{what} '{name}' is zero (unusable)"),
            ("warning", "outside_session", f"NOT {self.inside('optbt_t')}",
             f"{what} prints known outside the session, e.g. pre/post-market (ignored)"),
            ("error", "bad_timestamp", "optbt_t IS NULL", f"{what} rows with no timestamp (NULL): never used"),
        ])
        sample = "struct_pack(file := optbt_file, ts := optbt_t, underlying := optbt_u, close := optbt_c)"
        cols = ", ".join(f"count(*) FILTER (WHERE {c.cond} AND {c.scope}) AS n{i}, "
                         f"count(*) FILTER (WHERE {c.cond} AND NOT {c.scope}) AS x{i}, "
                         f"min({sample}) FILTER (WHERE {c.cond} AND {c.scope}) AS s{i}" for i, c in enumerate(checks))
        if table.by_day is not None:
            extra = {**extra, "optbt_pat": table._key.pattern}
        base = {**self.params(), **extra, "f": table.all_files}
        row = self.q_dicts(f"WITH r AS ({proj}) SELECT {cols} FROM r", base)[0]
        for i, c in enumerate(checks):
            if row[f"n{i}"]:
                self.find(c.level, c.name, row[f"s{i}"]["file"], row[f"n{i}"], c.detail_for(row[f"x{i}"]),
                          row[f"s{i}"])
        kept = sql_usable("optbt_c")  # a row without a usable close is no bar: it neither conflicts nor counts
        # a block of files at a time (whole days, CHUNK_ROWS rows): spot ticks are a key a row too
        blocks = [{**base, "f": files} for files in _chunks(table, self.file_rows(table), days_per_chunk=1 << 30)]
        got = self.repeats(f"WITH r AS NOT MATERIALIZED (SELECT * FROM ({proj}) WHERE {read}) ", "optbt_u, optbt_t",
                           {k: f"optbt_bar.{k}" for k in fields}, kept, sample, blocks, close="optbt_c")
        if got["diff"]:
            self.find("error", "conflicting_duplicates", got["sd"]["file"], got["diff"],
                      _bar_conflict(what, got["diff"], got["closes"]).format(shown=_differing(got["bars"])),
                      got["sd"])
        if got["reps"]:
            self.find("warning", "duplicate_rows", got["ss"]["file"], got["reps"], f"repeated {what} rows at one "
                      "time, identical as a run reads them (open, high, low, close, volume) or with one usable close: "
                      "a run uses one", got["ss"])
        days = self.q(f"WITH r AS ({proj}) SELECT optbt_rd AS d, min({_FILE}), "
                      f"count(*) FILTER (WHERE {sql_usable('optbt_c')} AND {read}) "
                      f"FROM r WHERE optbt_t IS NOT NULL AND {days_of} GROUP BY d ORDER BY d", base)
        return {d: (f, n) for d, f, n in days}

    def series_days(self, name: str, days: dict, spot_days: dict) -> None:
        """Days the strategy runs (spot bars) without a usable bar of the series: what reads it is unknown."""
        missing = sorted(d for d, (_, n) in spot_days.items() if n and not days.get(d, (None, 0))[1])
        if missing:
            shown = ", ".join(d.isoformat() for d in missing[:5]) + (" ..." if len(missing) > 5 else "")
            self.find("warning", "days_without_series", spot_days[missing[0]][0], len(missing),
                      f"days with spot bars but no usable series.{name} bar: a condition on {name} is unknown "
                      f"(false) on them: " + shown, {"day": missing[0], "series": name})

    # -- days -----------------------------------------------------------------------------------
    def days(self, opt_days: dict[date, str], spot_days: dict[date, tuple[str, int]], other_days: int) -> None:
        """Days a run of the dataset's underlying visits and skips: option rows but no usable spot
        bar, usable spot bars but no option rows. Judged on that underlying's rows only (a file
        of two underlyings is two runs' data); ``other_days``: days with option rows of any."""
        def listed(ds: list[date]) -> str:
            return ", ".join(d.isoformat() for d in ds[:5]) + (" ..." if len(ds) > 5 else "")

        und = self.config.underlying
        told = any(t.col("underlying", required=False) is not None for t in (self.o, self.s))
        of = f" of {und}" if told else ""
        named = {"underlying": und} if told else {}
        if told and not opt_days and not spot_days and other_days:
            self.find("warning", "underlying_not_in_data", self.o.all_files[0], other_days,
                      f"no option or spot rows of {und}, the dataset's underlying (which a run trades unless its "
                      f"strategy names another), on any of the {other_days} days with option rows: a run of it "
                      f"finds no days. The files hold: {', '.join(self.src.underlyings()) or 'none'}; set underlying "
                      "in dataset.toml", named)
        elif told:
            self.other_underlyings_days(opt_days, spot_days, und, named)
        no_spot = sorted(d for d in opt_days if spot_days.get(d, (None, 0))[1] == 0)
        if no_spot:
            unusable = [d for d in no_spot if d in spot_days]
            self.find("error", "days_without_spot", opt_days[no_spot[0]], len(no_spot),
                      f"days with option bars{of} but no usable spot bar{of} in the session: " + listed(no_spot)
                      + (f" ({len(unusable)} of them have spot rows, none usable)" if unusable else ""),
                      {"day": no_spot[0], **named})
        # a day without a usable spot bar is skipped for that (no_spot), whatever its options
        no_opts = sorted(d for d, (_, n) in spot_days.items() if n and d not in opt_days)
        if no_opts:
            self.find("warning", "days_without_options", spot_days[no_opts[0]][0], len(no_opts),
                      f"days with spot bars{of} but no option bars{of} (a run skips them): " + listed(no_opts),
                      {"day": no_opts[0], **named})

    def other_underlyings_days(self, opt_days: dict, spot_days: dict, und: str, named: dict) -> None:
        """Day folders whose files hold rows, none of them the run's underlying's with a time
        (``options/day=2024-01-03/`` holding BANKNIFTY's rows only, in a NIFTY dataset): a run
        visits every day folder holding a row (the folder names the day, whatever the rows
        say) and skips these (no_spot); neither day check above sees them, having no rows of
        the underlying. Without day folders a run's days are those of its underlying's rows."""
        visited: dict[date, str] = {}  # day -> its first file holding rows
        for table in (self.o, self.s):
            if table.by_day is None:
                continue
            rows = self.file_rows(table)
            for d, files in table.by_day.items():
                held = next((f for f in files if rows.get(f, 1)), None)
                if held is not None and d not in visited:  # an option file first
                    visited[d] = held
        other = sorted(d for d in visited if d not in opt_days and d not in spot_days)
        if other:
            shown = ", ".join(d.isoformat() for d in other[:5]) + (" ..." if len(other) > 5 else "")
            self.find("warning", "days_of_other_underlyings", visited[other[0]], len(other),
                      f"day folders whose option or spot files hold rows, none of them {und}'s (the dataset's "
                      f"underlying, which a run trades unless its strategy names another): a run of {und} visits "
                      f"these days and skips them (no_spot): " + shown, {"day": other[0], **named})


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN (as DuckDB's DISTINCT counts them)."""
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def _differing(bars: list[dict]) -> str:
    """How two of a minute's bars differ, as a run reads them: 'close 21003.0 vs 21004.0'.

    >>> _differing([{"close": 1.0, "volume": 5.0}, {"close": 1.0, "volume": 7.0}])
    'volume 5.0 vs 7.0'
    """
    a, b = sorted(bars or [{}, {}], key=lambda bar: [as_text(v) for v in bar.values()])[:2]
    return "; ".join(f"{k} {as_text(a[k])} vs {as_text(b[k])}" for k in a if not _same(a[k], b[k]))


def _first(a: dict | None, b: dict | None) -> dict | None:
    """The first of two sample rows, by file and then time (either may be None)."""
    if a is None or b is None:
        return a or b
    return min(a, b, key=lambda r: (r["file"], r["ts"]))


def _bar_conflict(what: str, diff: int, closes: int) -> str:
    """The conflicting_duplicates detail of the spot or a series (``{shown}`` left for one
    example), for ``diff`` times with different bars, ``closes`` of them with different closes.
    The engine's clock reads the spot's closes only, so times whose closes agree stop only a run
    that reads whole bars; a series is only ever read whole."""
    head = (f"{what} time appears more than once with different bars (open, high, low, close, volume, as a run "
            "reads them): ")
    if what != "spot":
        return head + "a run that reads the series refuses the day (e.g. {shown})"
    parts = []
    if closes:
        parts.append(f"{closes} with different closes: every run refuses the day")
    if diff > closes:
        parts.append(f"{diff - closes} with one close but a different open, high, low or volume: a run refuses "
                     "the day when it reads whole bars (spot_bar, indicators, ranges, previous days)")
    return head + "; ".join(parts) + " (e.g. {shown})"


def _in_time_order(groups: list[tuple]) -> bool:
    """Whether a file's row groups, (rows, strike min, strike max, time min, time max) each, keep
    rows in time order (see _Checker.row_order): most rows sit in groups whose time range no
    other group's enters (touching at one minute does not count).

    Sorted by expiry and strike, every group covers the whole session (each contract trades all
    day), so the groups of a day overlap in time; in time order each covers its own stretch of
    time, holding every strike of it. A file of one row group cannot be told apart (and no query
    skips anything in it): not judged.
    """
    if len(groups) < 2 or sum(g[0] or 0 for g in groups) < ORDER_MIN_ROWS or any(None in g for g in groups):
        return False
    alone = sum(n for i, (n, _, _, t0, t1) in enumerate(groups)
                if not any(j != i and g[3] < t1 and t0 < g[4] for j, g in enumerate(groups)))
    return alone * 2 > sum(g[0] for g in groups)


def _chunks(table, rows: dict[str, int] | None = None, days_per_chunk: int | None = None,
            rows_per_chunk: int | None = None) -> list[list[str]]:
    """A table's files in blocks of whole days (one block when the files are not day-partitioned):
    at most ``days_per_chunk`` (CHUNK_DAYS) days and ``rows_per_chunk`` (CHUNK_ROWS) rows
    (``rows``: a file's rows, from its footer), unless one day holds more.

    >>> class T: by_day = {1: ["a"], 2: ["b", "c"], 3: ["d"]}; days = [1, 2, 3]; all_files = list("abcd")
    >>> _chunks(T(), days_per_chunk=2)
    [['a', 'b', 'c'], ['d']]
    >>> _chunks(T(), {"a": 5, "b": 3, "c": 3, "d": 1}, rows_per_chunk=7)
    [['a'], ['b', 'c', 'd']]
    """
    if table.by_day is None:
        return [table.all_files]
    days_per_chunk, rows_per_chunk = days_per_chunk or CHUNK_DAYS, rows_per_chunk or CHUNK_ROWS
    out: list[list[str]] = []
    days = n = 0
    for d in table.days:
        files = table.by_day[d]
        size = sum((rows or {}).get(f, 0) for f in files)
        if out and days < days_per_chunk and n + size <= rows_per_chunk:
            out[-1] += files
            days, n = days + 1, n + size
        else:
            out.append(list(files))
            days, n = 1, size
    return out


def _opening_failed(config: DatasetConfig, text: str, config_path: str | None) -> str:
    """The file a table's refusal to open is about: the file (or folder) its message names,
    else the first file of the table it names (options, spot, series.NAME), else (no file
    found at all) the dataset config that holds the paths."""
    tables = {"spot": config.spot, **{f"series.{n}": f for n, f in config.series.items()}}
    files = next((t for name, t in tables.items() if text.startswith(f"{name}:")), config.options)
    listed = listed_files(config.paths(files))
    if config_path is None:
        config_path = os.path.join(config.root or ".", "dataset.toml")
        config_path = config_path if os.path.exists(config_path) else (config.root or ".")
    return named_path(text, listed) or (listed[0] if listed else config_path)


def _folder_disagrees(exc: FolderDisagreesError) -> Finding:
    """A table refused because files store a hive key with another value than their folder's:
    an error naming the first such file, counting the files."""
    return Finding("error", "column_disagrees_with_folder", exc.file, exc.count, str(exc))


def check_dataset(config: DatasetConfig, progress: Progress | None = None,
                  config_path: str | None = None) -> CheckReport:
    """Run every check. ``progress(done, total, label)`` is called after each step.

    Files that cannot be opened or read become an error finding (never an exception), so a
    caller can always print a report. ``config_path``: the dataset.toml, named by a finding
    when no file of the dataset can be (by default the one in ``config.root``).
    """
    from optbt.data.duckdb_source import DuckDBSource

    report = CheckReport(config.name)
    add = report.findings.append
    try:
        src = DuckDBSource(config)
    except MixedTimezonesError as exc:
        add(Finding("error", "mixed_timezones", exc.aware, 1, str(exc),
                    {"tz_aware_file": exc.aware, "naive_file": exc.naive}))
        return report
    except UnreadableFileError as exc:
        add(Finding("error", "unreadable_file", exc.file, 1, str(exc)))
        return report
    except FolderDisagreesError as exc:
        add(_folder_disagrees(exc))
        return report
    except DataError as exc:
        text = str(exc)
        check = ("missing_column" if "column" in text else "timezone" if "time zone" in text
                 else "unreadable_file" if "cannot read" in text else "files")
        add(Finding("error", check, _opening_failed(config, text, config_path), 1, text))
        return report
    try:
        checker = _Checker(config, src, report, progress)
        if not checker.types():
            return report
        checker.empty_files()
        checker.start_labelled_ticks(config.options, src.options, src._opt_known)
        checker.start_labelled_ticks(config.spot, src.spot, src._spot_known)
        chunks = _chunks(src.options, checker.file_rows(src.options))
        total = len(chunks) + 2
        tallies = checker.options(chunks, 0, total)
        # the tally counted the options' misplaced rows by day: only those days' files are read again
        checker.misplaced_rows(src.options, [f for d in tallies["misplaced_days"] for f in src.options.files_for(d)])
        checker.misplaced_rows(src.spot, src.spot.all_files)
        checker.left_out(tallies)
        checker.option_findings(tallies)
        checker.option_duplicates(tallies)
        checker.step(len(chunks) + 1, total, "duplicates")
        checker.row_order()
        spot_days = checker.spot()
        checker.days(tallies["days"], spot_days, tallies["any_days"])
        checker.step(total, total, "spot")
        for name in config.series:  # each series on its own: one broken file does not hide the others' findings
            try:
                checker.series_days(name, checker.series(name), spot_days)
            except FolderDisagreesError as exc:
                add(_folder_disagrees(exc))
            except (DataError, ConfigError) as exc:
                text = str(exc) if str(exc).startswith(f"series.{name}") else f"series.{name}: {exc}"
                where = getattr(exc, "file", None) or _opening_failed(config, text, config_path)
                add(Finding("error", "missing_column" if "column" in text else "unreadable_file", where, 1, text))
    except DataError as exc:
        where = getattr(exc, "file", None) or named_path(str(exc), src.options.all_files + src.spot.all_files)
        add(Finding("error", "unreadable_file", where or src.options.all_files[0], 1, str(exc)))
    finally:
        src.close()
    order = {"error": 0, "warning": 1, "note": 2}
    report.findings.sort(key=lambda f: order.get(f.level, 2))
    return report
