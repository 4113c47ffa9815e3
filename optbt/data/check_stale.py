"""Forward-filled option bars: a vendor's copy of the last bar for a minute without trades.

Vendors often fill the minutes in which a contract did not trade by repeating its last bar: the
same open, high, low and close, volume 0. A run reads such a bar as a fresh price (lag 0): an
entry or a stop fills at a price that is minutes (or hours) old. ``data check`` counts them as a
warning, ``forward_filled_bars``: bars a run reads with volume 0 whose open, high, low and close
(those the files hold) are those of the same contract's previous bar that day. Judged only when
the files have the volume column: without it nothing says that no trade happened.

Apart from the tallies (:mod:`.check_options`) because it needs each contract's bars in time
order (a window over them), which the tallies' aggregates do not.
"""

from __future__ import annotations

from optbt.data.check_options import option_projection, read_as_bar
from optbt.data.fill_hint import bar_parts, repeats_previous


def forward_filled(ck, chunks: list[list[str]]) -> None:
    """The warning for the option bars that repeat their contract's previous bar with volume 0."""
    cols, types = ck.config.options.columns, ck.o.types
    if not cols.volume or cols.volume not in types:
        return
    parts = bar_parts(cols, types)
    o = ck.o  # its col(): the column as every query reads it (cast where the files' types differ)
    extra = f", TRY_CAST({o.col('volume')} AS DOUBLE) AS optbt_vol" + "".join(
        f", {o.col(p)} AS optbt_p_{p}" for p in parts)
    filled = f"optbt_vol = 0 AND optbt_prev AND {repeats_previous(parts)}"
    sample = ("struct_pack(file := optbt_file, ts := optbt_t, underlying := optbt_u, expiry := optbt_e, "
              "strike := optbt_k, opt_type := optbt_o, close := optbt_c)")
    # the window (a sort) only over the contract-days that have a bar of volume 0: most have none
    key = "optbt_rd, optbt_u, optbt_e, optbt_k, optbt_o"
    on = " AND ".join(f"b.{k} IS NOT DISTINCT FROM y.{k}" for k in key.split(", "))  # no underlying column: NULL
    sql = (f"WITH b AS (SELECT * FROM ({option_projection(ck, extra=extra)}) WHERE {read_as_bar(ck)}), "
           f"z AS (SELECT {key}, count(*) AS optbt_n, bool_or(optbt_vol = 0) AS optbt_z FROM b GROUP BY ALL), "
           f"f AS (SELECT *, lag(optbt_t) OVER w IS NOT NULL AS optbt_prev, {filled} AS optbt_ff FROM b "
           f"SEMI JOIN (SELECT * FROM z WHERE optbt_z) AS y ON {on} "
           f"WINDOW w AS (PARTITION BY {key} ORDER BY optbt_t)) "
           f"SELECT (SELECT coalesce(sum(optbt_n), 0) FROM z), count(*) FILTER (WHERE optbt_ff), "
           f"arg_min({sample}, (optbt_file, optbt_t)) FILTER (WHERE optbt_ff) FROM f")
    bars = hits = 0
    first = None
    for files in chunks:
        n, k, s = ck.q(sql, {**ck.params(), "f": files})[0]
        bars, hits = bars + n, hits + (k or 0)
        first = first or s
    if hits:
        ck.find("warning", "forward_filled_bars", first["file"], hits,
                f"{hits:,} of {bars:,} option bars ({100 * hits / bars:.1f}%) have volume 0 and repeat their "
                f"contract's previous bar ({', '.join(parts)}): a vendor's fill of minutes without trades? A run "
                "reads them as fresh prices (lag 0) and fills entries and stops at them; drop such rows to let "
                "the price go stale (its lag then grows, and entry_max_lag applies)", first)
