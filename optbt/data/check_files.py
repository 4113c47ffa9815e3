"""The checks of a dataset's files as a whole, before their rows are tallied: column types,
files that hold no row, rows in another day's folder, ticks in a start-labelled table, and
(a note) option files that keep rows in time order.

Apart from the row-by-row checks because these read footers or one aggregate a table, and
each is its own finding: the row checks (:mod:`.check_options`, :mod:`.check_days`) then
judge only what a run would read.
"""

from __future__ import annotations

from optbt.data.check_core import MINUTE_US, is_numeric
from optbt.data.row_order import ADVICE, MIN_ROWS, judged, sample_sql
from optbt.data.source import start_labelled_ticks, wide_bars
from optbt.data.sql_text import FILE_COL
from optbt.model.errors import DataError
from optbt.model.timestamps import bar_spacing

# an option file is judged for row order (a note) when it holds at least row_order.MIN_ROWS rows
ORDER_SAMPLED = 16  # files of one row group judged by their first rows (a query each)


def types(ck) -> bool:
    cfg, o, s = ck.config, ck.o, ck.s
    cols = cfg.options.columns
    read = ("strike", "bid", "ask") if cfg.price == "mid" else ("strike", "close", "bid", "ask")
    for canon in read:  # a run never reads the close with price = mid
        name = getattr(cols, canon)
        if name and name in o.types and not is_numeric(o.types[name]):
            ck.find("error", "wrong_type", typed_file(ck, o, name, ("number",)), 1,
                      f"options column '{name}' ({canon}) is {o.types[name]}, not a number")
    if cols.ts and cols.ts in o.types and not o.types[cols.ts].startswith(("TIMESTAMP", "VARCHAR")):
        ck.find("error", "wrong_type", typed_file(ck, o, cols.ts, ("time", "text")), 1,
                  f"options column '{cols.ts}' (ts) is {o.types[cols.ts]}, not a timestamp")
    sc = cfg.spot.columns
    if sc.close in s.types and not is_numeric(s.types[sc.close]):
        ck.find("error", "wrong_type", typed_file(ck, s, sc.close, ("number",)), 1,
                  f"spot column '{sc.close}' (close) is {s.types[sc.close]}, not a number")
    return not any(f.check == "wrong_type" for f in ck.report.findings)


def typed_file(ck, table, column: str, kinds: tuple[str, ...]) -> str:
    """The first file whose ``column`` is of none of ``kinds`` (number, time, text). Files
    whose types differ are read with one type for all (``table_schemas.unify``: a number and a
    text column read as text), which only the files' own footers tell apart; a column of
    one type in every file is that type in the first."""
    from optbt.data.footers import kind_of
    if column not in table.cast:
        return table.all_files[0]
    try:
        rows = ck.q("SELECT file_name, type, coalesce(logical_type, converted_type) FROM parquet_schema($f) "
                      "WHERE name = $c", {"f": table.all_files, "c": column})
    except DataError:
        return table.all_files[0]
    odd = {table.listed(f) for f, physical, logical in rows if kind_of(physical, logical) not in (*kinds, "null")}
    return next((f for f in table.all_files if f in odd), table.all_files[0])


def misplaced_rows(ck, table, files: list[str], series: str | None = None, known: str | None = None) -> None:
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
        what, key = f"series.{series}", ck.config.series[series].day_partition
    else:
        what, known = ("options", ck.src._opt_known) if table is ck.o else ("spot", ck.src._spot_known)
        key = (ck.config.options if table is ck.o else ck.config.spot).day_partition
    pattern = table._key.pattern  # the folder's day, as the table reads it (Table.__init__)
    sql = (f"SELECT {FILE_COL}, count(*) FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') "
           f"WHERE {known} IS NOT NULL AND CAST({known} AS DATE) <> "
           f"TRY_CAST(regexp_extract({FILE_COL}, $pat, 1) AS DATE) GROUP BY ALL ORDER BY 1")
    rows = ck.q(sql, {**ck.params(), "f": files, "pat": pattern})
    if rows:
        ck.find("error", "rows_in_another_days_folder", rows[0][0], sum(n for _, n in rows),
                  f"{what} rows dated another day than their {key}= folder ({len(rows)} file"
                  f"{'s' if len(rows) != 1 else ''}): a run reads a folder's files for that day only, so these"
                  " rows are never read; move them to their own day's folder")


def empty_files(ck) -> None:
    """Files that hold no row (a writer's empty frame: its schema alone). Nothing is read
    from them, and a day folder whose files are all empty is no day to a run (as without
    day folders, a day is a day when rows fall on it); said so a missing day is found."""
    for what, table in (("options", ck.o), ("spot", ck.s)):
        empty = [f for f, n in ck.file_rows(table).items() if n == 0]
        if not empty:
            continue
        days = sorted(d for d, fs in (table.by_day or {}).items() if set(fs) <= set(empty))
        folders = (f"; {len(days)} day folder{'s hold' if len(days) > 1 else ' holds'} no other file, so "
                   f"{'they add' if len(days) > 1 else 'it adds'} no day to a run: "
                   + ", ".join(d.isoformat() for d in days[:5]) + (" ..." if len(days) > 5 else "")) if days else ""
        ck.find("warning", "empty_files", empty[0], len(empty),
                  f"{what} files that hold no rows (a schema only): nothing is read from them{folders}. "
                  "Write the day's rows into them, or remove them")


def start_labelled_rows(ck, files, table, known: str) -> None:
    """Rows of a start-labelled table (``files``: its config) known within the session and not
    on a whole minute: ticks or quotes, which a run refuses (StartLabelledTicksError) rather
    than use each a bar late. One aggregate over the table, for start-labelled tables only."""
    shift = ck.config.shift_of(files)
    if not shift:
        return
    own = f"{known} - INTERVAL {int(shift.total_seconds())} SECOND"  # the row's own time
    (row,) = ck.q_dicts(f"SELECT count(*) AS n, min(struct_pack(file := {FILE_COL}, ts := {own}, known_at := "
                          f"{known})) AS s FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') WHERE "
                          f"{known} IS NOT NULL AND {ck.inside(known)} AND epoch_us({known}) % {MINUTE_US} <> 0",
                          {**ck.params(), "f": table.all_files})
    if row["n"]:
        s = row["s"]
        ck.find("error", "start_labelled_ticks", s["file"], row["n"],
                  start_labelled_ticks(table.what, s["ts"], ck.config.bar_minutes, files.bar_label is not None)
                  + ". A run stops at the first such row it reads", s)
        return
    # bars wider than bar_minutes: each read before it closed (a run stops: StartLabelledBarsError)
    times = [r[0] for r in ck.q(f"SELECT DISTINCT {own} FROM read_parquet($f, {table.scan}) WHERE {known} IS NOT "
                                f"NULL AND {ck.inside(known)}", {**ck.params(), "f": table.all_files})]
    spacing = bar_spacing(times)
    if spacing is not None and spacing > ck.config.bar_minutes:
        a = min(times)
        b = min(t for t in times if t > a)
        ck.find("error", "bars_wider_than_bar_minutes", table.all_files[0], len(times),
                wide_bars(table.what, spacing, a, b, ck.config.bar_minutes)
                + " (counted: the bar times; a run stops at the first day it reads)")


def row_order(ck) -> None:
    """A note when option files keep rows in time order.

    Files sorted by expiry and strike within a day have row groups that each cover the
    whole session in time and a slice of the strikes; files in time order (a file a month,
    most vendors' exports) have row groups that each cover a slice of time and every
    strike, which no query for a few contracts can skip (see :func:`_in_time_order`): told
    from the footers. A file of one row group cannot be told so; up to :data:`ORDER_SAMPLED`
    of them are judged by their first rows, as a run judges its first day's files
    (:mod:`optbt.data.row_order`). Files of fewer than MIN_ROWS rows are not judged,
    nor by their footers files whose timestamps are not naive.
    """
    files = _row_groups(ck)
    ordered = [name for name, groups in files.items() if _in_time_order(groups)]
    single = sorted(name for name, groups in files.items() if len(groups) == 1 and (groups[0][0] or 0) >= MIN_ROWS)
    for name in single[:ORDER_SAMPLED]:
        try:
            (counts,) = ck.q(sample_sql(ck.src), {**ck.params(), "f": [name], "und": ck.src._und()})
        except DataError:
            continue  # a value the other checks name
        if judged(counts):
            ordered.append(name)
    if ordered:
        ck.find("note", "rows_in_time_order", sorted(ordered)[0], len(ordered),
                  f"{len(ordered)} of {len(files)} option files keep rows in time order: "
                  "every contract at each minute, so a run's query for a day's few contracts decodes "
                  f"every row of that day. {ADVICE}")


def _row_groups(ck) -> dict[str, list[tuple]]:
    """Each option file's row groups, (rows, strike min, strike max, time min, time max) each,
    from the footers (the statistics only where the strike is a number and the time naive)."""
    from optbt.data.sql_text import NAIVE_TS
    strike, ts = ck.o.columns.strike, ck.o.columns.ts
    stats = bool(strike and ts and is_numeric(ck.o.types.get(strike, "")) and ck.o.types.get(ts) in NAIVE_TS)
    k, t = (strike, ts) if stats else ("", "")
    try:
        rows = ck.q("SELECT file_name, row_group_id, any_value(row_group_num_rows), "
                      "max(TRY_CAST(stats_min_value AS DOUBLE)) FILTER (WHERE path_in_schema = $k), "
                      "max(TRY_CAST(stats_max_value AS DOUBLE)) FILTER (WHERE path_in_schema = $k), "
                      "max(TRY_CAST(stats_min_value AS TIMESTAMP)) FILTER (WHERE path_in_schema = $t), "
                      "max(TRY_CAST(stats_max_value AS TIMESTAMP)) FILTER (WHERE path_in_schema = $t) "
                      "FROM parquet_metadata($f) GROUP BY ALL",
                      {"f": ck.o.all_files, "k": k, "t": t})
    except DataError:
        return {}  # footers that cannot be read are the other checks' findings
    files: dict[str, list[tuple]] = {}
    for name, _, n, k0, k1, t0, t1 in rows:
        files.setdefault(name, []).append((n, k0, k1, t0, t1))  # without stats: NULLs (no column is named '')
    return files


_QUOTE_NAMES = {"bid": ("bid", "bid_price", "bidprice", "best_bid", "bid_px"),
                "ask": ("ask", "ask_price", "askprice", "best_ask", "ask_px", "offer")}


def unread_quotes(ck) -> None:
    """A note when the option files hold bid and ask columns the config maps to nothing: a run
    then fills at the close (a quote column is read only when named), which a trader holding
    quote data may not expect (an independent recomputation from the quotes differs on every
    fill). Names are matched without case; a note never changes the exit code."""
    cols = ck.config.options.columns
    if cols.bid or cols.ask:
        return
    found = {side: [c for c in ck.o.types if c.lower() in names] for side, names in _QUOTE_NAMES.items()}
    if found["bid"] and found["ask"]:
        bid, ask = found["bid"][0], found["ask"][0]
        ck.find("note", "quotes_not_read", ck.o.all_files[0], 1,
                f"the option files have columns '{bid}' and '{ask}', which the config does not map: fills "
                f"use '{cols.close}' (the close). To fill buys at the ask and sells at the bid, set "
                f"bid = \"{bid}\" and ask = \"{ask}\" under [options.columns] (price = \"mid\" fills at "
                "their mean); or leave them unread on purpose")


def _in_time_order(groups: list[tuple]) -> bool:
    """Whether a file's row groups, (rows, strike min, strike max, time min, time max) each, keep
    rows in time order (see row_order): most rows sit in groups whose time range no
    other group's enters (touching at one minute does not count).

    Sorted by expiry and strike, every group covers the whole session (each contract trades all
    day), so the groups of a day overlap in time; in time order each covers its own stretch of
    time, holding every strike of it. A file of one row group cannot be told apart (and no query
    skips anything in it): not judged.
    """
    if len(groups) < 2 or sum(g[0] or 0 for g in groups) < MIN_ROWS or any(None in g for g in groups):
        return False
    alone = sum(n for i, (n, _, _, t0, t1) in enumerate(groups)
                if not any(j != i and g[3] < t1 and t0 < g[4] for j, g in enumerate(groups)))
    return alone * 2 > sum(g[0] for g in groups)
