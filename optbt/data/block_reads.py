"""The two block queries of the DuckDB source: a block of days' chain listings and a block of
days' spot bars, each in one query (READ_AHEAD_DAYS days; a day alone after a block failed).

Apart from :class:`~optbt.data.duckdb_source.DuckDBSource` because these run on two threads:
the engine's, and the read-ahead's (:mod:`optbt.data.read_ahead`) with a connection of its own
(``run``). They read only the source's SQL text, built once when it opens, and its chain index
(which locks), never its caches, so that reading the next block never races the current one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from optbt.data.chain_index import Listing
from optbt.data.chain_listing import listing_of
from optbt.data.day_folders import refuse_in_listing, refuse_row
from optbt.data.sql_text import FILE_COL
from optbt.data.stored_window import costly, join_times


def read_listing(src, day: date, underlying: str, calendar: list[date], run, size: int,
                 alone: bool = False) -> Listing:
    """The listing of the block starting at ``day`` (from the chain index when it knows it),
    or of ``day`` ``alone`` (after the block's query failed: the error is then this day's own,
    or none); ``size``: days a block (READ_AHEAD_DAYS). Touches nothing of ``src`` but the index
    (which locks): the read-ahead runs it too."""
    o = src.options
    block, files = (None, o.files_for(day)) if alone else o.ahead(day, calendar, size)
    by_file = block is not None and o.by_day is not None  # a file's folder names its day
    known, join = src._opt_known, ""
    if by_file:  # a row without a time is on no day, whatever folder holds it (as below)
        day_sql, group, where = FILE_COL, f", filename='{FILE_COL}'", f"{src._opt_known} IS NOT NULL"
    days = block or [day]
    bounds: dict = {}
    if not by_file:  # days told apart by time: a block of them, or this day alone
        day_sql, group = f"CAST({src._opt_known} AS DATE)", ""
        window, bounds = src._window(o, src._shift, datetime.combine(days[0], datetime.min.time()),
                                     datetime.combine(days[-1], datetime.min.time()) + timedelta(days=1))
        if costly(o):  # each distinct stored time's known time, computed once (not in every row)
            join, known = join_times(o, known, f"{src._opt_und}{window}"), "optbt_l"
            day_sql = f"CAST({known} AS DATE)"
        where = f"{day_sql} BETWEEN $d0 AND $d1{window}"
    # the day's last bar time is read only when the session end comes from the data
    last_sql = f"max({known})" if src.config.session.end_from_data else "NULL"
    listing: Listing = {d: ({}, None, {}) for d in days}
    if files:
        # a row of no known option type is no bar (data check calls it an error): its strike is
        # listed only if a call or put has it, and its contract is counted as left out (optbt_x:
        # before, such rows vanished and a run blamed the leg's missing price on the clock)
        # with day folders, each file's first and last time: a row of another day is refused
        span = f", min({src._opt_known}), max({src._opt_known})" if by_file else ""
        sql = (f"SELECT {day_sql} AS optbt_f, {src._expiry} AS optbt_e, {src._strike} AS optbt_k, "
               f"({src._opt_type}) IS NULL AS optbt_x, "
               f"{last_sql} AS optbt_t{span} FROM read_parquet($f, {o.scan}{group}){join} "
               f"WHERE {src._opt_und} AND {where} "
               f"GROUP BY ALL ORDER BY optbt_e, optbt_k, optbt_x")
        params = src._opt_params(f=files, und=underlying, **bounds)
        if not by_file:
            params["d0"], params["d1"] = (block[0], block[-1]) if block else (day, day)
        index = src._chain_index()
        key = index.block_key(sql, params, files) if index is not None else None
        known = index.get(key) if index is not None else None
        if known is not None and set(known) == set(days):
            listing = known
        else:
            rows = run(sql, params)
            if by_file:
                rows = refuse_in_listing(o, src.config.options.day_partition, src.config.timezone, rows)
            listing = listing_of(days, rows, o.day_of_file if by_file else None)
            if index is not None:
                index.put(key, listing)
    return listing


def read_spots(src, day: date, und: str, open_: datetime, close: datetime, calendar: list[date],
               session, run, size: int, alone: bool = False) -> dict[date, list[tuple]] | list[tuple]:
    """The spot rows of the block starting at ``day`` by day, or (a day outside the blocks, or
    ``alone``) that day's rows; ``size``: days a block (READ_AHEAD_DAYS). Touches nothing of
    ``src``: the read-ahead runs it too."""
    s = src.spot
    block, files = (None, s.files_for(day)) if alone else s.ahead(day, calendar, size)
    if not files:
        return []
    # unusable closes never come back: such a bar is no bar (the spot stays at the last usable one)
    cols = f"{src._spot_known} AS optbt_t, {src._spot_price} AS optbt_p"
    usable = f"{src._spot_price} IS NOT NULL"
    if block is None:  # this day's bars, picked out by time
        window, bounds = src._window(s, src._spot_shift, open_, close)
        sql = (f"SELECT {cols} FROM read_parquet($f, {s.scan}) "
               f"WHERE {src._spot_und} AND {usable} AND {src._spot_known} > $open AND {src._spot_known} <= $close"
               f"{window} ORDER BY optbt_t, optbt_p")
        return run(sql, src._params(f=files, und=und, open=open_, close=close, **bounds))
    by_day: dict[date, list[tuple]] = {d: [] for d in block}
    if s.by_day is not None:  # each file's folder names its day
        sql = (f"SELECT {FILE_COL}, {cols} FROM read_parquet($f, {s.scan}, "
               f"filename='{FILE_COL}') WHERE {src._spot_und} AND {usable} AND {src._spot_known} IS NOT NULL "
               f"ORDER BY optbt_t, optbt_p")
        day_of = s.day_of_file
        for f, t, p in run(sql, src._params(f=files, und=und)):
            d = day_of(f)
            if t.date() != d:  # a row of another day in this folder: refused
                refuse_row(s, src.config.spot.day_partition, src.config.timezone, f, t, d)
            by_day[d].append((t, p))
    else:  # one time-range read for the block, whatever the files' layout; days told apart by time
        first_open = session(block[0])[0]
        last_close = session(block[-1])[1]
        window, bounds = src._window(s, src._spot_shift, first_open, last_close)
        sql = (f"SELECT {cols} FROM read_parquet($f, {s.scan}) "
               f"WHERE {src._spot_und} AND {usable} AND {src._spot_known} > $open "
               f"AND {src._spot_known} <= $close{window} ORDER BY optbt_t, optbt_p")
        for t, p in run(sql, src._params(f=files, und=und, open=first_open, close=last_close, **bounds)):
            rows = by_day.get(t.date())
            if rows is not None:
                rows.append((t, p))
    return by_day
