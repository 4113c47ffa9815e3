"""The DuckDB implementation of :class:`optbt.source.DataSource` (the only module that imports duckdb).

One connection per instance (and so per process: sweeps build one per worker). Values always
travel as named parameters; only identifiers from the dataset config (column names, which
are quoted) are written into SQL text. File lists are resolved once: with a hive day
partition (``day=2024-01-02/``) a day's query opens that day's files only.
"""

from __future__ import annotations

import bisect
import glob
import os
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from optbt.data.dataset import DatasetConfig, OptionFiles, SpotFiles, load_dataset
from optbt.data.source import Bar, Chain
from optbt.model.errors import DataError, did_you_mean
from optbt.model.instrument import Instrument


def _known_at(bar: Bar):
    return bar[0]


def quote_ident(name: str) -> str:
    """A column name as a quoted SQL identifier.

    >>> quote_ident('bid"close')
    '"bid""close"'
    """
    return '"' + name.replace('"', '""') + '"'


# Spot bars and chains of this many partition days come back in one query: a query's fixed
# cost (plan, open, convert) is paid once per block instead of once per day. What a block
# holds is handed out one day at a time and only for the day asked, so nothing of a later
# day reaches a strategy early; memory stays bounded by the block, not the run.
READ_AHEAD_DAYS = 16
_FILE_COL = "optbt_file"

_OPTIONAL_OPTION_COLS = ("underlying", "open", "high", "low", "volume", "oi")


class _Table:
    """One side of a dataset (options or spot): its files and its SQL column expressions."""

    def __init__(self, con, cfg: DatasetConfig, files: OptionFiles | SpotFiles, what: str):
        self.what = what
        self.hive = "true" if files.hive_partitioning else "false"
        patterns = cfg.paths(files)
        paths: list[str] = []
        for pattern in patterns:
            hits = sorted(glob.glob(pattern, recursive=True))
            if not hits and os.path.exists(pattern):
                hits = [pattern]
            paths.extend(h for h in hits if os.path.isfile(h))
        if not paths:
            raise DataError(f"{what}: no parquet files match {patterns} (check path in the dataset config"
                            " and --data-root)")
        self.all_files = paths
        self.by_day: dict[date, list[str]] | None = None
        if files.day_partition:
            self._key = key = re.compile(re.escape(files.day_partition) + r"=(\d{4}-\d{2}-\d{2})")
            by_day: dict[date, list[str]] = {}
            for p in paths:
                m = key.search(p.replace(os.sep, "/"))
                if not m:
                    raise DataError(f"{what}: file {p} has no '{files.day_partition}=YYYY-MM-DD' folder"
                                    " although day_partition is set")
                by_day.setdefault(date.fromisoformat(m.group(1)), []).append(p)
            self.by_day = by_day
            self.days = sorted(by_day)
            self.day_of = {f: d for d, fs in by_day.items() for f in fs}
        desc = con.execute(f"SELECT * FROM read_parquet($f, hive_partitioning={self.hive}) LIMIT 0",
                           {"f": paths[:1]}).description
        self.types = {d[0]: str(d[1]).upper() for d in desc}
        self.columns = files.columns

    def day_of_file(self, name: str) -> date:
        """The partition day of a file DuckDB names (as listed, or spelled its own way)."""
        d = self.day_of.get(name)
        if d is None:
            d = self.day_of[name] = date.fromisoformat(self._key.search(name.replace(os.sep, "/")).group(1))
        return d

    def ahead(self, day: date) -> tuple[list[date] | None, list[str]]:
        """(``day`` and the partition days after it, up to READ_AHEAD_DAYS; their files).

        Not partitioned by day: (None, every file), and the query picks the day out by time.
        """
        if self.by_day is None or day not in self.by_day:
            return None, self.files_for(day)
        i = bisect.bisect_left(self.days, day)
        block = self.days[i:i + READ_AHEAD_DAYS]
        return block, [f for d in block for f in self.by_day[d]]

    def files_for(self, day: date | None) -> list[str]:
        if self.by_day is None or day is None:
            return self.all_files
        return self.by_day.get(day, [])

    def col(self, canonical: str, required: bool = True) -> str | None:
        """The quoted source column for a canonical name, checked against the files."""
        name = getattr(self.columns, canonical)
        if name is None:
            return None
        if name not in self.types:
            if not required:
                return None
            raise DataError(
                f"{self.what}: column '{name}' (for {canonical}) is not in the files"
                f"{did_you_mean(name, self.types)}; columns are: {', '.join(self.types)}."
                f" Map it in the dataset config under [{self.what}.columns]")
        return quote_ident(name)

    def ts_expr(self, tz: str | None) -> str:
        cols = self.columns
        if cols.ts:
            ts = self.col("ts")
            kind = self.types[cols.ts]
            if "WITH TIME ZONE" in kind:
                if not tz:
                    raise DataError(f"{self.what}: timestamps carry a time zone; set timezone = "
                                    "\"Area/City\" in the dataset config (the exchange's zone)")
                return f"timezone($tz, {ts})"
            if kind.startswith("TIMESTAMP"):
                return f"CAST({ts} AS TIMESTAMP)"
            if kind in ("VARCHAR",):
                return f"CAST({ts} AS TIMESTAMP)"
            raise DataError(f"{self.what}: column '{cols.ts}' is {kind}, not a timestamp")
        return f"(CAST({self.col('date')} AS DATE) + CAST({self.col('time')} AS TIME))"


class DuckDBSource:
    """Option and spot bars from parquet through DuckDB, lazily, one day at a time."""

    def __init__(self, config: DatasetConfig | str | Path):
        self.config = config if isinstance(config, DatasetConfig) else load_dataset(config)
        cfg = self.config
        self.con = duckdb.connect(database=":memory:")
        # day-sized queries: two threads at most (sweeps run one process per core)
        self.con.execute("SET threads = 2")
        self.queries = 0
        self.options = _Table(self.con, cfg, cfg.options, "options")
        self.spot = _Table(self.con, cfg, cfg.spot, "spot")
        self._shift = cfg.bar_length if cfg.bar_label == "start" else timedelta(0)
        # read-ahead blocks: (day, underlying) -> chain and last bar time / spot rows
        self._chains: dict[tuple[date, str], tuple[Chain, datetime | None]] = {}
        self._spots: dict[tuple[date, str], list[tuple]] = {}
        self._build_sql()

    # -- SQL text (identifiers only) --------------------------------------------------------
    def _known_at(self, table: _Table) -> str:
        ts = table.ts_expr(self.config.timezone)
        return f"({ts} + INTERVAL {int(self._shift.total_seconds())} SECOND)" if self._shift else ts

    def _expiry_expr(self) -> str:
        t = self.options
        col = t.col("expiry")
        kind = t.types[t.columns.expiry]
        fmt = self.config.options.expiry_format
        if fmt == "yyyymmdd" or (fmt == "auto" and ("INT" in kind)):
            return f"CAST(strptime(CAST({col} AS VARCHAR), '%Y%m%d') AS DATE)"
        if fmt == "auto" and kind == "VARCHAR":
            return (f"CAST(COALESCE(TRY_CAST({col} AS DATE), "
                    f"TRY_CAST(try_strptime({col}, '%Y%m%d') AS DATE)) AS DATE)")
        return f"CAST({col} AS DATE)"

    def _build_sql(self) -> None:
        cfg, o, s = self.config, self.options, self.spot
        und = o.col("underlying", required=False)
        self._opt_und = f"upper(CAST({und} AS VARCHAR)) = upper($und)" if und else "TRUE"
        opt = o.col("opt_type")
        self._opt_type = (f"CASE WHEN list_contains($calls, upper(trim(CAST({opt} AS VARCHAR)))) THEN 'CE' "
                          f"WHEN list_contains($puts, upper(trim(CAST({opt} AS VARCHAR)))) THEN 'PE' END")
        strike = o.col("strike")
        self._strike = f"CAST({strike} AS DOUBLE)"
        self._raw_strike = strike
        self._expiry = self._expiry_expr()
        self._raw_expiry = o.col("expiry")
        self._raw_expiry_is_date = o.types[o.columns.expiry] == "DATE"
        self._opt_known = self._known_at(o)
        if cfg.price == "mid":
            bid, ask = o.col("bid"), o.col("ask")
            ok = f"({bid} > 0 AND {ask} > 0 AND {bid} <= {ask})"
            self._price = f"CASE WHEN {ok} THEN ({bid} + {ask}) / 2 END"
        else:
            close = o.col("close")
            self._price = f"CASE WHEN {close} > 0 THEN CAST({close} AS DOUBLE) END"
        if cfg.has_quotes:  # a fill needs a two-sided, uncrossed quote; otherwise no bid/ask
            bid, ask = o.col("bid"), o.col("ask")
            ok = f"({bid} > 0 AND {ask} > 0 AND {bid} <= {ask})"
            self._bid = f"CASE WHEN {ok} THEN CAST({bid} AS DOUBLE) END"
            self._ask = f"CASE WHEN {ok} THEN CAST({ask} AS DOUBLE) END"
        else:
            self._bid = self._ask = "NULL"
        sund = s.col("underlying", required=False)
        self._spot_und = f"upper(CAST({sund} AS VARCHAR)) = upper($und)" if sund else "TRUE"
        self._spot_close = s.col("close")
        self._spot_known = self._known_at(s)
        self._uses_tz = "$tz" in self._opt_known or "$tz" in self._spot_known

    def _params(self, **extra) -> dict:
        cfg = self.config
        p = dict(extra)
        if self._uses_tz:  # only tz-aware timestamps are converted; naive ones are exchange time
            p["tz"] = cfg.timezone
        return p

    def _opt_params(self, **extra) -> dict:
        o = self.config.options
        return self._params(calls=[v.upper() for v in o.call_values],
                            puts=[v.upper() for v in o.put_values], **extra)

    def _run(self, sql: str, params: dict) -> list[tuple]:
        self.queries += 1
        # bind only what this query uses: optional columns (underlying, tz) drop their filters
        params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
        try:
            return self.con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise DataError(f"query on the dataset failed: {exc}".splitlines()[0]) from None

    # -- DataSource ---------------------------------------------------------------------------
    def trading_days(self, start: date | None = None, end: date | None = None) -> list[date]:
        if self.spot.by_day is not None:
            days = sorted(self.spot.by_day)
        else:
            sql = (f"SELECT DISTINCT CAST({self._spot_known} AS DATE) AS d FROM "
                   f"read_parquet($f, hive_partitioning={self.spot.hive}) WHERE {self._spot_und} ORDER BY d")
            days = [r[0] for r in self._run(sql, self._params(f=self.spot.all_files, und=self._und()))]
        return [d for d in days if (start is None or d >= start) and (end is None or d <= end)]

    def _und(self, underlying: str | None = None) -> str:
        return underlying or self.config.underlying

    def _day_filter(self, table: _Table, known: str) -> str:
        return "TRUE" if table.by_day is not None else f"CAST({known} AS DATE) = $day"

    def _chain_and_last(self, day: date, underlying: str) -> tuple[Chain, datetime | None]:
        hit = self._chains.get((day, underlying))
        if hit is not None:
            return hit
        o = self.options
        # the day's last bar time is read only when the session end comes from the data
        last_sql = f"max({self._opt_known})" if self.config.session.end_from_data else "NULL"
        block, files = o.ahead(day)
        if block is None:  # not day-partitioned: this day only, picked out by time
            file_sql, group = "NULL", ""
        else:
            file_sql, group = _FILE_COL, f", filename='{_FILE_COL}'"
        rows: list[tuple] = []
        if files:
            sql = (f"SELECT {file_sql} AS optbt_f, {self._expiry} AS optbt_e, {self._strike} AS optbt_k, "
                   f"{last_sql} AS optbt_t FROM read_parquet($f, hive_partitioning={o.hive}{group}) "
                   f"WHERE {self._opt_und} AND {self._day_filter(o, self._opt_known)} "
                   f"GROUP BY ALL ORDER BY optbt_e, optbt_k")
            params = self._params(f=files, und=underlying)
            if o.by_day is None:
                params["day"] = day
            rows = self._run(sql, params)
        strikes: dict[date, dict[date, list[float]]] = {d: {} for d in (block or [day])}
        last: dict[date, datetime | None] = dict.fromkeys(strikes)
        for f, e, k, t in rows:
            d = day if f is None else o.day_of_file(f)
            if t is not None and (last[d] is None or t > last[d]):
                last[d] = t
            if e is not None and k is not None:
                by_e = strikes[d].setdefault(e, [])
                if not by_e or by_e[-1] != k:  # one strike from several files of a day
                    by_e.append(k)
        self._chains = {(d, underlying): (Chain(d, tuple(sorted(v)), {e: tuple(ks) for e, ks in v.items()}),
                                          last[d]) for d, v in strikes.items()}
        return self._chains[(day, underlying)]

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
        return [(t, p, None, None) for t, p in rows if open_ < t <= close]

    def _spot_block(self, day: date, und: str, open_: datetime, close: datetime) -> list[tuple]:
        s = self.spot
        block, files = s.ahead(day)
        if not files:
            return []
        cols = (f"{self._spot_known} AS optbt_t, CASE WHEN {self._spot_close} > 0 THEN "
                f"CAST({self._spot_close} AS DOUBLE) END AS optbt_p")
        if block is None:  # this day's bars, picked out by time
            sql = (f"SELECT {cols} FROM read_parquet($f, hive_partitioning={s.hive}) "
                   f"WHERE {self._spot_und} AND optbt_t > $open AND optbt_t <= $close ORDER BY optbt_t")
            return self._run(sql, self._params(f=files, und=und, open=open_, close=close))
        sql = (f"SELECT {_FILE_COL}, {cols} FROM read_parquet($f, hive_partitioning={s.hive}, "
               f"filename='{_FILE_COL}') WHERE {self._spot_und} ORDER BY optbt_t")
        by_day: dict[date, list[tuple]] = {d: [] for d in block}
        for f, t, p in self._run(sql, self._params(f=files, und=und)):
            by_day[s.day_of_file(f)].append((t, p))
        self._spots = {(d, und): v for d, v in by_day.items()}
        return by_day[day]

    def option_bars(self, day: date, instruments: Sequence[Instrument]) -> dict[Instrument, list[Bar]]:
        out: dict[Instrument, list[Bar]] = {inst: [] for inst in instruments}
        files = self.options.files_for(day)
        if not instruments or not files:
            return out
        by_und: dict[str, list[Instrument]] = {}
        for inst in instruments:
            by_und.setdefault(inst.underlying, []).append(inst)
        for und, insts in by_und.items():
            open_, close = self.session(day, und)
            strikes = sorted({i.strike for i in insts})
            params = self._opt_params(f=files, und=und, open=open_, close=close,
                                      **{f"k{n}": k for n, k in enumerate(strikes)})
            where = f"{self._raw_strike} IN ({', '.join(f'$k{n}' for n in range(len(strikes)))})"
            if self._raw_expiry_is_date:  # push the expiry filter into the scan too
                expiries = sorted({i.expiry for i in insts})
                params.update({f"e{n}": e for n, e in enumerate(expiries)})
                where += f" AND {self._raw_expiry} IN ({', '.join(f'$e{n}' for n in range(len(expiries)))})"
            sql = (f"SELECT {self._expiry}, {self._strike}, {self._opt_type}, {self._opt_known}, {self._price}, "
                   f"{self._bid}, {self._ask} FROM read_parquet($f, hive_partitioning={self.options.hive}) "
                   f"WHERE {where} AND {self._opt_und} AND {self._opt_known} > $open AND {self._opt_known} <= $close")
            wanted = {(i.expiry, i.strike, i.opt_type): out[i] for i in insts}
            for e, k, o, t, p, b, a in self._run(sql, params):
                bars = wanted.get((e, k, o))
                if bars is not None:
                    bars.append((t, p, b, a))
        for bars in out.values():  # file order is usually time order already; sorting that is O(n)
            bars.sort(key=_known_at)
        return out

    def close(self) -> None:
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
