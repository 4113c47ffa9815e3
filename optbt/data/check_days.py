"""The checks of the close-priced tables (the spot, each ``[series.NAME]``) and of the days a
run visits: per-row checks, duplicates and usable bars a day, days with options but no spot (or
spot but no options), days without a series' bar, and day folders of other underlyings only.

Apart from the option checks because these tables are small and read whole, and because the
days are judged from both sides' tallies at once.
"""

from __future__ import annotations

from datetime import date

from optbt.data import date_midnights
from optbt.data.check_core import file_chunks, is_numeric, layered, level_sql
from optbt.data.check_duplicates import differing, repeats
from optbt.data.check_files import misplaced_rows, start_labelled_rows, typed_file
from optbt.data.check_repeated_bars import repeated_bars
from optbt.data.sql_text import FILE_COL
from optbt.model.errors import DataError
from optbt.model.prices import sql_price, sql_usable
from optbt.model.strikes import off_scale, off_scale_message


def spot(ck) -> dict:
    from optbt.data.bars import BarReader
    src, s = ck.src, ck.s
    und = s.col("underlying", required=False) or "NULL"
    try:  # the whole bar a run reads (ctx.spot_bar, indicators, ranges: optbt/data/bars.py)
        fields = BarReader(src, type(s)).reader("spot").fields
    except DataError as exc:  # a mapped open/high/low/volume the files lack: a run stops on it
        ck.find("error", "missing_column", s.all_files[0], 1, str(exc))
        fields = {"close": sql_price(src._spot_close)}
    return closes(ck, "spot", s, src._spot_known, und, "TRUE", src._spot_close,
                       ck.config.spot.columns.close, fields, {}, ck.runs(s))


def series(ck, name: str) -> dict:
    """The checks of the spot, on ``[series.NAME]`` (rows of its underlying, where it names one)."""
    from optbt.data.bars import BarReader
    r = BarReader(ck.src, type(ck.s)).reader(name)
    ck.tables.append(r.table)
    start_labelled_rows(ck, r.files, r.table, r.known)
    close = r.table.col("close")
    cname = ck.config.series[name].columns.close
    if cname in r.table.types and not is_numeric(r.table.types[cname]):
        ck.find("error", "wrong_type", typed_file(ck, r.table, cname, ("number",)), 1,
                  f"series.{name} column '{cname}' (close) is {r.table.types[cname]}, not a number")
        return {}
    # rows told apart by underlying only where the run tells them apart: with no underlying
    # value to select, the run reads every row, so two symbols at one minute conflict here too
    und = (r.table.col("underlying", required=False) if r.sund else None) or "NULL"
    misplaced_rows(ck, r.table, r.table.all_files, name, r.known)
    date_midnights.check_table(ck, f"series.{name}", r.table)
    return closes(ck, f"series.{name}", r.table, r.known, und, r.und.replace("$sund", "$optbt_sund"), close,
                       cname, r.fields, {"optbt_sund": r.sund}, "TRUE")


def closes(ck, what: str, table, known: str, und: str, where: str, close: str, name: str,
           fields: dict[str, str], extra: dict, days_of: str) -> dict:
    """Per-row checks, duplicates and usable bars per day of a close-priced table (the spot,
    a series): ``{day: (first file, usable bars in the session)}`` of the rows ``days_of``
    keeps (the spot: the run's underlying; a series: ``where`` chose its rows already).
    ``fields``: the SQL of each part of a bar as a run reads it (duplicates differ when any
    part does)."""
    bar = "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in fields.items()) + ")"
    rows = (f"SELECT {FILE_COL}, {known} AS optbt_t, upper(trim(CAST({und} AS VARCHAR))) AS optbt_u, "
            f"CAST({close} AS DOUBLE) AS optbt_c, {bar} AS optbt_bar FROM read_parquet($f, {table.scan}, "
            f"filename='{FILE_COL}') WHERE {where}")
    # a day's bars: a run reads that day's folder (if any) within its session, rows of that day
    home = "(optbt_fd IS NULL OR CAST(optbt_t AS DATE) = optbt_fd)"
    read = f"optbt_t IS NOT NULL AND {home} AND {ck.inside('optbt_t')}"
    layers = [("bad_timestamp", "optbt_t IS NOT NULL")]
    if table.by_day is not None:  # reported by misplaced_rows (the spot's, a series')
        layers.append(("rows_in_another_days_folder", home))
    layers.append(("outside_session", ck.inside("optbt_t")))
    proj = f"SELECT *, {level_sql(layers)} FROM (SELECT *, {ck.run_day(table)} FROM ({rows}))"
    checks = layered(layers, [
        ("warning", "missing_price", "optbt_c IS NULL", f"{what} '{name}' is NULL: the bar is no bar"),
        ("error", "non_finite_price", "NOT isfinite(optbt_c)", f"{what} '{name}' is NaN or infinite (unusable)"),
        ("error", "negative_price", "isfinite(optbt_c) AND optbt_c < 0", f"{what} '{name}' below zero (unusable)"),
        ("error", "zero_price", "optbt_c = 0", f"{what} '{name}' is zero (unusable)"),
        ("warning", "outside_session", f"NOT {ck.inside('optbt_t')}",
         f"{what} prints known outside the session, e.g. pre/post-market (ignored)"),
        ("error", "bad_timestamp", "optbt_t IS NULL", f"{what} rows with no timestamp (NULL): never used"),
    ])
    sample = "struct_pack(file := optbt_file, ts := optbt_t, underlying := optbt_u, close := optbt_c)"
    cols = ", ".join(f"count(*) FILTER (WHERE {c.cond} AND {c.scope}) AS n{i}, "
                     f"count(*) FILTER (WHERE {c.cond} AND NOT {c.scope}) AS x{i}, "
                     f"min({sample}) FILTER (WHERE {c.cond} AND {c.scope}) AS s{i}" for i, c in enumerate(checks))
    if table.by_day is not None:
        extra = {**extra, "optbt_pat": table._key.pattern}
    base = {**ck.params(), **extra, "f": table.all_files}
    row = ck.q_dicts(f"WITH r AS ({proj}) SELECT {cols} FROM r", base)[0]
    for i, c in enumerate(checks):
        if row[f"n{i}"]:
            ck.find(c.level, c.name, row[f"s{i}"]["file"], row[f"n{i}"], c.detail_for(row[f"x{i}"]),
                      row[f"s{i}"])
    kept = sql_usable("optbt_c")  # a row without a usable close is no bar: it neither conflicts nor counts
    # a block of files at a time (whole days, CHUNK_ROWS rows): spot ticks are a key a row too
    blocks = [{**base, "f": files} for files in file_chunks(table, ck.file_rows(table), days_per_chunk=1 << 30)]
    got = repeats(ck, f"WITH r AS NOT MATERIALIZED (SELECT * FROM ({proj}) WHERE {read}) ", "optbt_u, optbt_t",
                       {k: f"optbt_bar.{k}" for k in fields}, kept, sample, blocks, close="optbt_c")
    if got["diff"]:
        ck.find("error", "conflicting_duplicates", got["sd"]["file"], got["diff"],
                  _bar_conflict(what, got["diff"], got["closes"]).format(shown=differing(got["bars"])),
                  got["sd"])
    if got["reps"]:
        ck.find("warning", "duplicate_rows", got["ss"]["file"], got["reps"], f"repeated {what} rows at one "
                  "time, identical as a run reads them (open, high, low, close, volume) or with one usable close: "
                  "a run uses one", got["ss"])
    repeated_bars(ck, what, proj, read, fields, base)
    days = ck.q(f"WITH r AS ({proj}) SELECT optbt_rd AS d, min({FILE_COL}), "
                  f"count(*) FILTER (WHERE {sql_usable('optbt_c')} AND {read}) "
                  f"FROM r WHERE optbt_t IS NOT NULL AND {days_of} GROUP BY d ORDER BY d", base)
    return {d: (f, n) for d, f, n in days}


def series_days(ck, name: str, days: dict, spot_days: dict) -> None:
    """Days the strategy runs (spot bars) without a usable bar of the series: what reads it is unknown."""
    missing = sorted(d for d, (_, n) in spot_days.items() if n and not days.get(d, (None, 0))[1])
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:5]) + (" ..." if len(missing) > 5 else "")
        ck.find("warning", "days_without_series", spot_days[missing[0]][0], len(missing),
                  f"days with spot bars but no usable series.{name} bar: a condition on {name} is unknown "
                  f"(false) on them: " + shown, {"day": missing[0], "series": name})


def days(ck, opt_days: dict[date, str], spot_days: dict[date, tuple[str, int]], other_days: int) -> None:
    """Days a run of the dataset's underlying visits and skips: option rows but no usable spot
    bar, usable spot bars but no option rows. Judged on that underlying's rows only (a file
    of two underlyings is two runs' data); ``other_days``: days with option rows of any."""
    def listed(ds: list[date]) -> str:
        return ", ".join(d.isoformat() for d in ds[:5]) + (" ..." if len(ds) > 5 else "")

    und = ck.config.underlying
    told = any(t.col("underlying", required=False) is not None for t in (ck.o, ck.s))
    of = f" of {und}" if told else ""
    named = {"underlying": und} if told else {}
    if told and not opt_days and not spot_days and other_days:
        ck.find("warning", "underlying_not_in_data", ck.o.all_files[0], other_days,
                  f"no option or spot rows of {und}, the dataset's underlying (which a run trades unless its "
                  f"strategy names another), on any of the {other_days} days with option rows: a run of it "
                  f"trades on none of them (with day folders it visits each and skips it). The files hold: {', '.join(ck.src.underlyings()) or 'none'}; set underlying "
                  "in dataset.toml", named)
    elif told:
        other_underlyings_days(ck, opt_days, spot_days, und, named)
    no_spot = sorted(d for d in opt_days if spot_days.get(d, (None, 0))[1] == 0)
    if no_spot:
        unusable = [d for d in no_spot if d in spot_days]
        ck.find("error", "days_without_spot", opt_days[no_spot[0]], len(no_spot),
                  f"days with option bars{of} but no usable spot bar{of} in the session: " + listed(no_spot)
                  + (f" ({len(unusable)} of them have spot rows, none usable)" if unusable else ""),
                  {"day": no_spot[0], **named})
    # a day without a usable spot bar is skipped for that (no_spot), whatever its options
    no_opts = sorted(d for d, (_, n) in spot_days.items() if n and d not in opt_days)
    if no_opts:
        ck.find("warning", "days_without_options", spot_days[no_opts[0]][0], len(no_opts),
                  f"days with spot bars{of} but no option bars{of} (a run skips them): " + listed(no_opts)
                  + (_held_instead(ck, no_opts[0]) if told else ""), {"day": no_opts[0], **named})
    # spot rows, none usable, and no options: the rows are reported one by one above (zero,
    # NaN, outside the session...), but not that the day is lost to a run as a whole
    empty = sorted(d for d, (_, n) in spot_days.items() if not n and d not in opt_days)
    if empty:
        ck.find("warning", "days_without_usable_rows", spot_days[empty[0]][0], len(empty),
                  f"days with spot rows{of} but no usable spot bar in the session and no option bars{of}"
                  " (a run skips them): " + listed(empty), {"day": empty[0], **named})


def _held_instead(ck, day: date) -> str:
    """`` (the option rows of DAY are of 'NIFTY 50')``: the underlyings the options of ``day``
    (the first day without options of the run's) are written under, when they have rows that day
    (a vendor's other spelling of the name in some files); "" when none. One read of the files
    that may hold the day, only when there are such days."""
    col = ck.o.col("underlying", required=False)
    files = ck.o.files_for(day)
    if col is None or not files:
        return ""
    rows = ck.q(f"SELECT DISTINCT CAST({col} AS VARCHAR) AS u FROM read_parquet($f, {ck.o.scan}) "
                f"WHERE CAST({ck.src._opt_known} AS DATE) = $optbt_day AND u IS NOT NULL ORDER BY u",
                {**ck.src._params(), "f": files, "optbt_day": day})
    names = [r[0] for r in rows]
    if not names:
        return ""
    return (f" (the option rows of {day} are of {', '.join(repr(n) for n in names[:5])}"
            f"{', ...' if len(names) > 5 else ''} only: another underlying's, or {ck.config.underlying!r} "
            f"written another way in some files?)")


STRAY_SCALE = 50.0
"""A strike this many times above the spot, or below it, is of another unit (x100, x1000): no
chain lists wings that far out, while a file of strikes in paise or thousandths is 100x off."""


def strike_scale(ck, opt_days: dict[date, str], spot_days: dict[date, tuple[str, int]]) -> None:
    """Days whose first usable spot lies far outside the day's listed strikes, or one expiry's
    (:func:`optbt.model.strikes.off_scale`: strikes in thousandths of a dollar, the spot of
    another instrument; a file of one expiry scaled x100), read as a run reads them (its chain
    and spot bars): a run that asks for ATM or ``OTM p%`` there (of that expiry: a run's ATM is
    its expiry's) skips the day (``data_error``), so they are errors here. A day whose every
    expiry holds the spot but lists some strikes :data:`STRAY_SCALE` times off (one file of the
    expiry x100) is a warning: a run lists them as contracts of their own, silently."""
    und = ck.config.underlying
    off, stray = [], []
    for d in sorted(opt_days):
        if spot_days.get(d, (None, 0))[1] == 0:
            continue  # days_without_spot says it
        try:
            chain, bars = ck.src.chain(d, und), ck.src.spot_bars(d, und)
        except DataError:  # the day's own finding (a conflict, an unreadable file) is reported elsewhere
            continue
        if not bars:
            continue
        spot_ = bars[0][1]
        listed = [(None, [k for e in chain.expiries for k in chain.strikes_for(e)])]  # the whole chain, then each expiry
        listed += [(e, list(chain.strikes_for(e))) for e in chain.expiries] if len(chain.expiries) > 1 else []
        for e, strikes in listed:
            where = off_scale(spot_, min(strikes), max(strikes)) if strikes else None
            if where is not None:
                off.append((d, spot_, min(strikes), max(strikes), where, e))
                break
        else:  # every expiry's strikes hold the spot: some of them of another scale still?
            for e in chain.expiries:
                far = [k for k in chain.strikes_for(e) if not spot_ / STRAY_SCALE <= k <= spot_ * STRAY_SCALE]
                near = [k for k in chain.strikes_for(e) if k not in far]
                if far:
                    stray.append((d, e, spot_, far, near))
                    break
    if stray:
        d, e, spot_, far, near = stray[0]
        more = f" ({len(stray)} days like it)" if len(stray) > 1 else ""
        shown = ", ".join(f"{k:g}" for k in far[:3]) + (", ..." if len(far) > 3 else "")
        ck.find("warning", "strikes_of_another_scale", opt_days[d], len(stray),
                f"{d}: expiry {e} lists {len(far)} strike(s) more than {STRAY_SCALE:g}x away from the spot "
                f"({spot_:g}): {shown}, beside "
                + (f"{len(near)} on its scale ({min(near):g} to {max(near):g})" if near else "none on its scale")
                + ": strikes "
                f"of another unit in some files (x100, x1000)? A run lists them as contracts of their own, and a "
                f"strike chosen by premium or delta may be one of them; rescale the strike column of those files"
                f"{more}", {"day": d, "expiry": e, "spot": spot_, "strikes": shown})
    if off:
        d, spot_, lo, hi, where, e = off[0]
        more = f" ({len(off)} days like it)" if len(off) > 1 else ""
        head, of = (d, "") if e is None else (f"{d} (expiry {e})", f"; a run whose expiry rule picks {e} skips the day")
        ck.find("error", "strikes_off_spot_scale", opt_days[d], len(off),
                off_scale_message(head, spot_, lo, hi, where) + of + more,
                {"day": d, "spot": spot_, "strikes": f"{lo:g} to {hi:g}", **({"expiry": e} if e else {})})


def other_underlyings_days(ck, opt_days: dict, spot_days: dict, und: str, named: dict) -> None:
    """Day folders whose files hold rows, none of them the run's underlying's with a time
    (``options/day=2024-01-03/`` holding BANKNIFTY's rows only, in a NIFTY dataset): a run
    visits every day folder holding a row (the folder names the day, whatever the rows
    say) and skips these (no_spot); neither day check above sees them, having no rows of
    the underlying. Without day folders a run's days are those of its underlying's rows."""
    visited: dict[date, str] = {}  # day -> its first file holding rows
    for table in (ck.o, ck.s):
        if table.by_day is None:
            continue
        rows = ck.file_rows(table)
        for d, files in table.by_day.items():
            held = next((f for f in files if rows.get(f, 1)), None)
            if held is not None and d not in visited:  # an option file first
                visited[d] = held
    other = sorted(d for d in visited if d not in opt_days and d not in spot_days)
    if other:
        shown = ", ".join(d.isoformat() for d in other[:5]) + (" ..." if len(other) > 5 else "")
        ck.find("warning", "days_of_other_underlyings", visited[other[0]], len(other),
                  f"day folders whose option or spot files hold rows, none of them {und}'s (the dataset's "
                  f"underlying, which a run trades unless its strategy names another): a run of {und} visits "
                  f"these days and skips them (no_spot): " + shown, {"day": other[0], **named})


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
