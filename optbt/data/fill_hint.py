"""Forward-filled option bars on a run's first day: a warning, never a refusal.

Vendors often fill a minute in which a contract did not trade by repeating its last bar (the
same open, high, low and close, volume 0). A run reads such a bar as a fresh price (lag 0) and
fills entries and stops at it. Whether that is acceptable is the user's call, so a run says how
many of its first day's option bars look so (``data check`` counts every day:
``forward_filled_bars``, :mod:`optbt.data.check_stale`), and fills exactly as before.

One query (a window over the contract-days that hold a bar of volume 0), remembered in the chain
index like the other first-day checks (:mod:`optbt.data.first_day`). Judged only when the option
files have the volume column.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from optbt.data.chain_index import recall
from optbt.model.prices import sql_usable

BAR_PARTS = ("open", "high", "low", "close")
"""The parts of a bar compared with the previous bar's (here, data check's forward-filled and repeated bars)."""


def bar_parts(columns, types: dict) -> list[str]:
    """The parts of a bar the option files hold (the close at least), compared with the last bar's.
    ``data check`` (:mod:`optbt.data.check_stale`) and the run's first day judge by the same."""
    return [p for p in BAR_PARTS if getattr(columns, p) and getattr(columns, p) in types]


def repeats_previous(parts: list[str]) -> str:
    """SQL: each of ``parts`` (as ``optbt_p_<part>``) equals its contract's previous bar's (window ``w``)."""
    return " AND ".join(f"optbt_p_{p} IS NOT DISTINCT FROM lag(optbt_p_{p}) OVER w" for p in parts)


def forward_filled(src, day: date) -> tuple[int, int] | None:
    """(option bars of ``day`` in the session, of them forward-filled), or None when the files
    have no volume column (or the day no option file)."""
    cfg, o = src.config, src.options
    cols = cfg.options.columns
    files = o.files_for(day)
    if not files or not cols.volume or cols.volume not in o.types:
        return None
    parts = _parts(src)
    open_, close = cfg.session.bounds(day)
    start = datetime.combine(day, time())
    window, bounds = src._window(o, src._shift, start, start + timedelta(days=1))
    values = "".join(f", {o.col(p)} AS optbt_p_{p}" for p in parts)
    same = repeats_previous(parts)
    key = "optbt_e, optbt_k, optbt_o"
    sql = (f"WITH r AS (SELECT {src._opt_known} AS optbt_t, {src._expiry} AS optbt_e, {src._strike} AS optbt_k, "
           f"({src._opt_type}) AS optbt_o, TRY_CAST({o.col('volume')} AS DOUBLE) AS optbt_vol, "
           f"{src._price} AS optbt_c{values} FROM read_parquet($f, {o.scan}) WHERE {src._opt_und}{window}), "
           f"b AS (SELECT * FROM r WHERE optbt_t > $open AND optbt_t <= $close AND optbt_o IS NOT NULL "
           f"AND optbt_e >= $day AND {sql_usable('optbt_k')} AND optbt_c IS NOT NULL), "
           f"z AS (SELECT {key} FROM b GROUP BY ALL HAVING bool_or(optbt_vol = 0)), "
           f"f AS (SELECT optbt_vol = 0 AND lag(optbt_t) OVER w IS NOT NULL AND {same} AS optbt_ff FROM b "
           f"SEMI JOIN z USING ({key}) WINDOW w AS (PARTITION BY {key} ORDER BY optbt_t)) "
           f"SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM f WHERE optbt_ff)")
    params = src._opt_params(f=files, und=src._und(), open=open_, close=close, day=day, **bounds)
    kept, keep = recall(src._chain_index(), sql, params, files)
    if kept is not None and len(kept) == 2:
        return kept[0], kept[1]
    (row,) = src._run(sql, params)
    bars, filled = int(row[0] or 0), int(row[1] or 0)
    keep([bars, filled])
    return bars, filled


def _parts(src) -> list[str]:
    return bar_parts(src.config.options.columns, src.options.types)


def message(src, day: date, bars: int, filled: int) -> str:
    """The warning for ``filled`` of ``bars`` option bars forward-filled on ``day``."""
    parts = ", ".join(_parts(src))
    return (f"options: {filled:,} of {bars:,} option bars on {day}, the run's first day, ({100 * filled / bars:.1f}%) "
            f"have volume 0 and repeat their contract's previous bar ({parts}): a vendor's fill of minutes without "
            "trades? The run reads them as fresh prices (lag 0) and fills entries and stops at them; drop such rows "
            "to let the price go stale (`optbt data check` counts every day: forward_filled_bars)")
