"""Runs of repeated spot and series bars: a feed that stopped, filled by repeating its last bar.

A vendor (or a resampler's forward fill) writes the last bar again for the minutes a feed
sent nothing. A run reads each copy as a fresh price (lag 0): the spot's ATM, a stop on the
spot, a condition on a series are judged on a price minutes (or hours) old. The options' rule
(:mod:`.check_stale`: volume 0 and a repeat of the previous bar) cannot be used as is: an
index's bars have volume 0 every minute. The rule here: ``data check`` warns,
``repeated_bars``, of runs of at least :data:`MIN_RUN` bars in a row inside the session, each
with the open, high, low and close of the bar before it that day, and no volume (0, NULL, or
no volume column). One such bar, or two, happens (a quiet minute at one price); five in a row,
identical in all four prices, does not on a live feed; a repeat that traded (volume above 0,
a stock's prints at one price after hours) is real and never counted. Judged only when the
table has the open, high, low and close columns: with the close alone, an unchanged price and
a copied bar look the same.

Apart from the per-row checks (:mod:`.check_days`) because it needs each day's bars in time
order (a window over them), which the per-row tallies do not.
"""

from __future__ import annotations

from optbt.data.fill_hint import BAR_PARTS, repeats_previous
from optbt.data.sql_text import FILE_COL
from optbt.model.prices import sql_usable

MIN_RUN = 5
"""Repeats in a row (so MIN_RUN + 1 identical bars) before they are called a fill."""


def repeated_bars(ck, what: str, proj: str, read: str, fields: dict[str, str], params: dict) -> None:
    """The ``repeated_bars`` warning for ``what`` (the spot, ``series.NAME``): ``proj`` projects
    its rows (``optbt_t``, ``optbt_u``, ``optbt_c``, ``optbt_bar`` with ``fields``' parts), ``read``
    keeps those a run reads."""
    if any(fields.get(p, "NULL") == "NULL" for p in BAR_PARTS):
        return
    parts = ", ".join(f"optbt_bar.{p} AS optbt_p_{p}" for p in BAR_PARTS)
    vol = "optbt_bar.volume" if fields.get("volume", "NULL") != "NULL" else "NULL"
    same = repeats_previous(list(BAR_PARTS))  # the options' forward-filled bars compare alike (check_stale)
    day = "optbt_u, CAST(optbt_t AS DATE)"
    order = "optbt_t, " + ", ".join(f"optbt_p_{p}" for p in BAR_PARTS)
    sample = ("struct_pack(file := optbt_file, ts := optbt_t, "
              + ", ".join(f"{p} := optbt_p_{p}" for p in BAR_PARTS) + ")")
    sql = (f"WITH b AS (SELECT optbt_u, optbt_t, {parts}, coalesce({vol}, 0) = 0 AS optbt_nv, "
           f"min({FILE_COL}) AS optbt_file FROM ({proj}) WHERE {read} AND {sql_usable('optbt_c')} GROUP BY ALL), "
           f"r AS (SELECT *, lag(optbt_t) OVER w IS NOT NULL AND optbt_nv AND {same} AS optbt_rep, "
           f"row_number() OVER w AS optbt_k FROM b WINDOW w AS (PARTITION BY {day} ORDER BY {order})), "
           # a run: the repeats after one bar that is no repeat (its count of such bars so far)
           f"g AS (SELECT *, count(*) FILTER (WHERE NOT optbt_rep) OVER (PARTITION BY {day} ORDER BY optbt_k) "
           f"AS optbt_g FROM r), "
           f"runs AS (SELECT count(*) FILTER (WHERE optbt_rep) AS n, min({sample}) FILTER (WHERE optbt_rep) AS s "
           f"FROM g GROUP BY {day}, optbt_g HAVING n >= {MIN_RUN}) "
           f"SELECT count(*), sum(n), min(s) FROM runs")
    (runs, bars, first), = ck.q(sql, params)
    if runs:
        ck.find("warning", "repeated_bars", first["file"], bars,
                f"{bars:,} {what} bars, in {runs:,} run(s) of {MIN_RUN} or more in a row inside the session, repeat "
                f"the previous bar's open, high, low and close exactly, with no volume (first at {first['ts']}): "
                f"a vendor's fill of minutes its feed sent nothing? A run reads each as a fresh price (lag 0), so "
                f"the spot's ATM, stops and conditions on it are judged on a price minutes old; drop such rows to "
                f"let the price go stale (its lag then grows)", first)
