"""The core of one ``optbt data check`` run: the checker (the source's SQL, a DuckDB connection,
the findings) with the SQL every check shares, and how a check judges the rows a run reads.

Apart from the checks themselves (:mod:`.check_files`, :mod:`.check_options`,
:mod:`.check_duplicates`, :mod:`.check_days`) because they all stand on it: a query that
names the file it fails on, the session and clock-tick tests a run applies, a row's run day,
the layers that decide which finding a row is counted by, and the blocks of files a query
reads at a time (CHUNK_DAYS days, CHUNK_ROWS rows: memory bounded by a block, not a dataset).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from optbt.data.check_report import CheckReport, Finding, sample_of
from optbt.data.check_where import QueryFailed, first_failing
from optbt.data.dataset import DatasetConfig, parse_hhmm
from optbt.data.sql_text import FILE_COL, own_refusal

_NUMERIC = ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL", "UBIGINT",
            "UINTEGER")
# SQL on a projected option row: its (run's day, instrument), as one number (the tally names the
# instruments whose times repeat on a day by it; a collision only reads one more instrument)
INSTRUMENT_DAY = "hash(optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o)"
MINUTE_US = 60_000_000
CHUNK_DAYS = 25  # days of option files per aggregate query: a progress step, and a bounded fixed cost
# and at most this many rows (whole days; a day of more is a chunk of its own), as the spot's and
# a series' blocks too: the exact test of duplicates on tick data holds every row's (instrument,
# time) of a block at once (a check of ticks then peaks near 0.25 GB, whatever the days; a block
# of minute bars costs no more time at this size)
CHUNK_ROWS = 1_000_000

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class Check:
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


def layered(layers: list[tuple[str, str]], checks: list[tuple[str, str, str, str]]) -> list[Check]:
    """The checks (level, name, SQL condition, detail), each judging the rows a run reads as far
    as it looks. ``layers``: in order, (the finding that reports the rows a run stops at there,
    SQL the rows that pass it). A row is counted by the first layer it fails, and by a check
    only when it passes every layer before the check's own (the layer it is, else all): a
    NaN close of a row of unknown option type is unknown_opt_type's, not non_finite_price's.
    The scopes test ``optbt_lv``, the row's :func:`level_sql` (worked out once a row, not once a
    check: the tally of 250 days took 2.5 times as long with each scope written out)."""
    out = []
    for level, name, cond, detail in checks:
        own = next((i for i, (n, _) in enumerate(layers) if n == name), len(layers))
        out.append(Check(level, name, cond, detail, f"optbt_lv >= {own}", tuple(n for n, _ in layers[:own])))
    return out


def level_sql(layers: list[tuple[str, str]]) -> str:
    """SQL: the number of ``layers`` a row passes before the first it fails (all: ``len(layers)``).

    >>> level_sql([("bad_timestamp", "t IS NOT NULL")])
    'CASE WHEN NOT coalesce(t IS NOT NULL, false) THEN 0 ELSE 1 END AS optbt_lv'
    """
    whens = " ".join(f"WHEN NOT coalesce({sql}, false) THEN {i}" for i, (_, sql) in enumerate(layers))
    return f"CASE {whens} ELSE {len(layers)} END AS optbt_lv"


def is_numeric(kind: str) -> bool:
    return kind.startswith(_NUMERIC)


class Checker:
    """One check run: the source's SQL expressions, a DuckDB connection, the findings; the
    checks are functions of it (``ck``), in the modules named in :mod:`optbt.data.check`."""

    def __init__(self, config: DatasetConfig, src, report: CheckReport, progress: Progress | None):
        self.config, self.src, self.report = config, src, report
        self.con = src.con
        self.progress = progress
        self.add = report.findings.append
        self.o, self.s = src.options, src.spot
        self.tables = [self.o, self.s]  # and each series' once opened: for listed()

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
            text = own_refusal(exc) or f"a file could not be read: {str(exc).splitlines()[0]}"
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
        Gaps are then counted at the ticks of :func:`.check_options.run_ticks`; otherwise by the session's
        formula (:meth:`tick_of`), which needs no table."""
        return self.config.clock == "spot" or self.config.session.end_from_data

    def run_und(self, alias: str) -> str:
        """SQL: the underlying of a run that reads an option row (``alias``: its relation): the
        row's own (as a run matches it), or the dataset's when the options have no underlying
        column. Ticks are a run's, and a run's session and spot are its underlying's."""
        return f"coalesce({alias}.optbt_u, upper($optbt_und))"

    def step(self, done: int, total: int, label: str) -> None:
        if self.progress is not None:
            self.progress(done, total, label)

    def find(self, level: str, check: str, where: str, count: int, detail: str, sample: dict | None = None) -> None:
        if sample and "file" in sample:
            sample = {**sample, "file": self.listed(sample["file"])}
        self.add(Finding(level, check, self.listed(where), int(count), detail, sample_of(sample)))

    def file_rows(self, table) -> dict[str, int]:
        """Rows of each file of ``table`` (as it lists them, in path order), from the footers
        (for empty_files and the blocks' sizes: about 0.05 ms a file)."""
        return table.file_rows(table.all_files, self.q)

    def run_day(self, table) -> str:
        """SQL columns of a projected row: ``optbt_fd``, the day its folder names (NULL without day
        folders), and ``optbt_rd``, the day a run takes it for: its folder's day (a run reads a
        folder's files for that day: a chain lists their contracts then), else its own date;
        NULL without a time. Binds ``$optbt_pat``, the folder pattern (:meth:`params`)."""
        folder = ("CAST(NULL AS DATE)" if table.by_day is None
                  else f"TRY_CAST(regexp_extract({FILE_COL}, $optbt_pat, 1) AS DATE)")
        return (f"{folder} AS optbt_fd, CASE WHEN optbt_t IS NOT NULL THEN coalesce({folder}, "
                f"CAST(optbt_t AS DATE)) END AS optbt_rd")


def file_chunks(table, rows: dict[str, int] | None = None, days_per_chunk: int | None = None,
            rows_per_chunk: int | None = None) -> list[list[str]]:
    """A table's files in blocks of whole days (one block when the files are not day-partitioned):
    at most ``days_per_chunk`` (CHUNK_DAYS) days and ``rows_per_chunk`` (CHUNK_ROWS) rows
    (``rows``: a file's rows, from its footer), unless one day holds more.

    >>> class T: by_day = {1: ["a"], 2: ["b", "c"], 3: ["d"]}; days = [1, 2, 3]; all_files = list("abcd")
    >>> file_chunks(T(), days_per_chunk=2)
    [['a', 'b', 'c'], ['d']]
    >>> file_chunks(T(), {"a": 5, "b": 3, "c": 3, "d": 1}, rows_per_chunk=7)
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
