"""Whole bars (open, high, low, close, volume) of the spot and of the dataset's extra series.

The engine's clock and ``ctx.spot`` need the spot's closes only (:meth:`DuckDBSource.spot_bars`);
this reader adds the rest of each bar, and the ``[series.NAME]`` tables (VIX, ...), for the
strategies that ask (``ctx.spot_bar``, ``ctx.series``, indicators, ranges, previous days). A
strategy that asks for none of it costs nothing: the reader opens a table on first use.

A bar comes back as ``(known_at, open, high, low, close, volume)``: ``known_at`` as for every
other bar (start-labelled bars shifted), a bar without a usable close is no bar, and a column the
files lack (or an unusable value in it) is None: unknown, never an error.
"""

from __future__ import annotations

from datetime import date, datetime

from optbt.data import date_midnights
from optbt.data.dataset import SeriesFiles
from optbt.data.day_folders import in_own_day
from optbt.data.source import ConflictingBarsError
from optbt.model.errors import ConfigError, did_you_mean
from optbt.model.prices import sql_price
from optbt.model.timestamps import on_whole_minutes

OhlcBar = tuple[datetime, float | None, float | None, float | None, float, float | None]
"""(known_at, open, high, low, close, volume); only the close is always known."""

SPOT = "spot"


def unknown_series(name: str, names) -> ConfigError:
    """The error for a series the dataset does not declare (with the nearest name)."""
    listed = ", ".join(sorted(names)) or "none"
    return ConfigError(f"the dataset has no series '{name}'{did_you_mean(name, list(names))}; "
                       f"series in this dataset: {listed}. Declare it in dataset.toml as [series.{name}] "
                       "(see docs/data.md, 'Extra series')")


class _Reader:
    """The SQL of one table (the spot or a series), built once."""

    def __init__(self, source, name: str, table_class):
        cfg = source.config
        self.name = name
        self.files = cfg.spot if name == SPOT else cfg.series[name]
        self.shift = cfg.shift_of(self.files)  # its own bar_label, else the dataset's
        if name == SPOT:
            table = source.spot
            self.und = source._spot_und
            known = source._spot_known
        else:
            files: SeriesFiles = self.files
            table = table_class(source.con, cfg, files, f"series.{name}")
            table.prove_text(source.con, cfg.timezone, source._chain_index)
            col = table.col("underlying", required=False)
            self.und = f"upper(trim(CAST({col} AS VARCHAR))) = upper($sund)" if col and files.underlying else "TRUE"
            self.sund = files.underlying
            ts = table.ts_expr(cfg.timezone)
            known = f"({ts} + INTERVAL {int(self.shift.total_seconds())} SECOND)" if self.shift else ts
        self.table = table
        self.known = known
        # a series' date column of the exchange's midnights written in UTC: refused on the first
        # day read (the spot's is checked with the options' on the run's first day, first_day.py)
        self.dates_checked = name == SPOT
        cols = []
        for c in ("open", "high", "low", "close", "volume"):
            q = table.col(c, required=(c == "close"))
            # a volume that is no number (NaN, inf) is an unknown one: NULL, so that two copies of a
            # bar compare equal (NaN never equals itself: identical rows were refused as a conflict)
            vol = f"CAST({q} AS DOUBLE)"
            cols.append("NULL" if q is None else sql_price(q) if c != "volume" else
                        f"CASE WHEN isfinite({vol}) THEN {vol} END")
        self.fields = dict(zip(("open", "high", "low", "close", "volume"), cols))  # what a run compares
        self.close = cols[3]
        self.cols = ", ".join(cols)


class BarReader:
    """OHLCV bars of the spot and the extra series, a day at a time (tables opened on first use)."""

    def __init__(self, source, table_class):
        """``source``: a DuckDBSource; ``table_class``: its table reader (handed in, so that this
        module never imports the DuckDB source, which imports it)."""
        self.source = source
        self.table_class = table_class
        self._readers: dict[str, _Reader] = {}

    def names(self) -> list[str]:
        return [SPOT, *self.source.config.series]

    def reader(self, name: str) -> _Reader:
        r = self._readers.get(name)
        if r is None:
            if name != SPOT and name not in self.source.config.series:
                raise unknown_series(name, self.source.config.series)
            r = self._readers[name] = _Reader(self.source, name, self.table_class)
        return r

    def bars(self, day: date, name: str = SPOT, underlying: str | None = None) -> list[OhlcBar]:
        """The day's bars of ``name`` known within the session, in time order."""
        src = self.source
        r = self.reader(name)
        und = underlying or src.config.underlying
        open_, close = src.session(day, und)
        files = r.table.files_for(day)
        if not files:
            return []
        if not r.dates_checked:
            date_midnights.check_first_day(src, f"series.{name}", r.table, files, day)
            r.dates_checked = True
        # with day folders, rows of another day come back too, to be refused (day_folders)
        other = f" OR CAST({r.known} AS DATE) <> $day" if r.table.by_day is not None else ""
        window, bounds = src._window(r.table, r.shift, open_, close)
        sql = (f"SELECT {r.known} AS optbt_t, {r.cols} FROM read_parquet($f, {r.table.scan}) "
               f"WHERE {r.und} AND {r.close} IS NOT NULL AND ({r.known} > $open AND {r.known} <= $close{other})"
               f"{window} ORDER BY optbt_t")
        params = src._params(f=files, und=und, open=open_, close=close, day=day, **bounds)
        if name != SPOT:
            params["sund"] = r.sund
        rows = src._run(sql, params)
        if other:
            rows = in_own_day(r.table, r.files.day_partition, src.config.timezone, day, rows, r.known, src, params)
        out: list[OhlcBar] = []
        for row in rows:
            if out and out[-1][0] == row[0]:
                if out[-1] != row:  # which of two different bars at one time is true cannot be known
                    # the closes when they differ, else the whole bars (open, high, low or volume differ)
                    shown = [out[-1][4], row[4]] if out[-1][4] != row[4] else [out[-1][1:], row[1:]]
                    raise ConflictingBarsError(files[0], name, row[0], shown, day,
                                               on_whole_minutes(r[0] for r in rows))
                continue
            out.append(row)
        if r.shift:  # a start-labelled table must hold bars, not ticks (DuckDBSource.refuse_ticks)
            src.refuse_ticks(r.files, r.table, r.known, (b[0] for b in out), files)
        return out
