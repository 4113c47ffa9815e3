"""Rows that cannot be read as one bar a time: two bars at one time that differ (refused with
ConflictingBarsError, naming the file), identical repeats (dropped), and ticks in a
start-labelled table (refused with StartLabelledTicksError).

Apart from the DuckDB source because this is the rare path: a day's bars are checked in one
pass with no query (:meth:`DuckDBSource._in_time_order`, :func:`clean_spot`), and only when
something is wrong do these functions query again, for the file to name in the error. Each
takes the source (``src``): its connection, its SQL of the tables' columns and its config.
"""

from __future__ import annotations

from datetime import date, datetime

from optbt.data.dataset import OptionFiles, SeriesFiles, SpotFiles
from optbt.data.source import Bar, ConflictingBarsError, StartLabelledBarsError, StartLabelledTicksError
from optbt.data.sql_text import FILE_COL
from optbt.data.table import Table
from optbt.model.instrument import Instrument
from optbt.model.timestamps import bar_spacing, off_the_minute, on_whole_minutes


def _side(v: float | None) -> str:
    """A quote side in a message: its value, or "none" when missing or unusable."""
    return "none" if v is None else repr(v)


def known_at(bar: Bar):
    """A bar's known-at time (the sort key of a day's bars)."""
    return bar[0]


def clean_spot(src, day: date, und: str, rows: list[tuple], files: list[str]) -> list[tuple]:
    """One row per time (rows are sorted): identical repeats dropped, conflicts refused."""
    if len(rows) < 2 or len({r[0] for r in rows}) == len(rows):
        return rows
    out: list[tuple] = []
    for r in rows:
        if out and out[-1][0] == r[0]:
            if out[-1][1] != r[1]:
                conflict(src, day, f"spot {und}", r[0], [out[-1][1], r[1]], src.spot, files,
                         src._spot_und, {"und": und}, on_whole_minutes(t for t, *_ in rows))
            continue
        out.append(r)
    return out


def conflict(src, day: date, what: str, at: datetime, prices: list, table: Table, files: list[str],
             where: str, params: dict, minute_bars: bool) -> None:
    """Raise ConflictingBarsError naming the (first) file that holds the timestamp."""
    known = src._spot_known if table is src.spot else src._opt_known
    sql = (f"SELECT {FILE_COL} FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') "
           f"WHERE {where} AND {known} = $at ORDER BY {FILE_COL} LIMIT 1")
    hit = src._run(sql, src._params(f=files, at=at, **params))
    raise ConflictingBarsError(hit[0][0] if hit else ", ".join(files[:1]), what, at, prices, day, minute_bars)


def refuse_ticks(src, files_cfg: OptionFiles | SpotFiles | SeriesFiles, table: Table, known: str, times,
                 files: list[str]) -> None:
    """Rows of a start-labelled table (``times``: known-at, those a run reads of a day) must be
    bars, on whole minutes: a row between the minutes is a tick or quote, which the shift would
    make known a bar late. Raises StartLabelledTicksError naming the file of the first such row.
    Called only for start-labelled tables, on rows already read: one pass, no query unless refused.

    So are bars wider than ``bar_minutes`` (StartLabelledBarsError): 5-minute bars under the
    default of 1 were each used a minute after their opening, four before they closed."""
    times = list(times)
    at = off_the_minute(times)
    if at is None:
        minutes = src.config.bar_minutes
        spacing = bar_spacing(times)
        if spacing is None or spacing <= minutes:
            return
        shift = src.config.shift_of(files_cfg)
        first = min(times)
        sql = (f"SELECT {FILE_COL} FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') "
               f"WHERE {known} = $at ORDER BY {FILE_COL} LIMIT 1")
        hit = src._run(sql, src._params(f=files, at=first))
        later = min(t for t in times if t > first)
        raise StartLabelledBarsError(table.listed(hit[0][0]) if hit else ", ".join(files[:1]), table.what,
                                     spacing, first - shift, later - shift, minutes)
    sql = (f"SELECT {FILE_COL} FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') "
           f"WHERE {known} = $at ORDER BY {FILE_COL} LIMIT 1")
    hit = src._run(sql, src._params(f=files, at=at))
    raise StartLabelledTicksError(table.listed(hit[0][0]) if hit else ", ".join(files[:1]), table.what,
                                  at - src.config.shift_of(files_cfg), src.config.bar_minutes,
                                  files_cfg.bar_label is not None)


def dedupe(src, day: date, inst: Instrument, bars: list[Bar], files: list[str]) -> list[Bar]:
    """Identical rows at one time collapse to one; different ones raise ConflictingBarsError.

    Unusable bars (price None) are no bars, so they neither conflict nor count.
    """
    out: list[Bar] = []
    for b in bars:
        if b[1] is None:
            continue
        if out and out[-1][0] == b[0]:
            if out[-1] != b:
                params = src._opt_params(k=inst.strike, und=inst.underlying)
                where = (f"{src._strike} = $k AND {src._opt_und} AND ({src._opt_type}) = $ot "
                         f"AND ({src._expiry}) = $e")
                conflict(src, day, str(inst), b[0], _shown_rows(src.config.price, out[-1], b), src.options, files,
                         where, {**params, "ot": inst.opt_type, "e": inst.expiry},
                         on_whole_minutes(map(known_at, bars)))
            continue
        out.append(b)
    return out


def _shown_rows(price: str, a: Bar, b: Bar) -> list:
    """Two conflicting option rows as a run reads them, for the error: their prices when
    there is nothing else, else each row's price named (close or mid) with its quote, so
    that quote data shows the bids and asks that differ (never "NULL" closes)."""
    if a[2] is None and a[3] is None and b[2] is None and b[3] is None and a[1] != b[1]:
        return [a[1], b[1]]
    name = "mid" if price == "mid" else "close"
    return [f"{name} {r[1]!r} (bid {_side(r[2])}, ask {_side(r[3])})" for r in (a, b)]
