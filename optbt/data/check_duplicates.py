"""Exact duplicates among the rows a run reads: repeated (instrument or spot, time) keys, told
apart into conflicts (bars that differ as a run reads them: a run refuses the day) and
repeats (a run uses one), in memory bounded by a block of files.

Apart from the tallies because this is a second read, only of the blocks the tallies (or, for
the spot and a series, their row counts) say may hold repeated keys.
"""

from __future__ import annotations

from typing import Any

from optbt.data.check_core import INSTRUMENT_DAY
from optbt.data.check_options import option_projection, read_as_bar
from optbt.data.check_report import as_text
from optbt.data.sql_text import FILE_COL
from optbt.model.prices import sql_mid, sql_price, sql_quote_side, sql_usable


def repeats(ck, rows: str, key: str, fields: dict[str, str], kept: str, sample: str, blocks: list[dict],
            close: str | None = None) -> dict:
    """Repeated keys among the rows a run reads, by exact (instrument or spot, time) key, in
    memory bounded by a block of files, not by the dataset (every row of tick data is a key
    of its own: one group with lists a row once took 2.8 GB for 3 M option ticks).

    ``rows``: SQL ``WITH r AS NOT MATERIALIZED (...)``, those rows; ``key``: their key
    columns; ``fields``: each part of a bar as a run reads it (bars differ when a part
    does); ``kept``: a row a run keeps as a bar (a usable price; a key of no such row is no
    duplicate); ``sample``: a row struct (file, time first: the findings name the first
    file); ``blocks``: one query's parameters each (``f``, its files), whose keys never
    straddle two; ``close``: with it, how many differing keys differ in it.

    One query a block: its repeated keys, each with its rows and whether the kept bars
    differ (scalar aggregates: a part NULL in some and not others, or two values), joined
    back to their rows for the first row of each kind; then the files and bars of the first
    conflict from a query on its key alone. Returns ``diff`` (keys whose bars differ),
    ``closes`` (of them, whose ``close`` does), ``reps`` (rows beyond a key's first, of keys
    whose bars agree), ``sd``, ``ss`` (the first row of each) and ``fs``, ``bars`` (of sd's
    key)."""
    keep = f"FILTER (WHERE {kept})"
    differ = " OR ".join(f"count({v}) {keep} NOT IN (0, count(*) {keep}) OR coalesce(min({v}) {keep} <> "
                         f"max({v}) {keep}, false)" for v in fields.values())
    closes = f"coalesce(min({close}) {keep} <> max({close}) {keep}, false)" if close else "false"
    row = f"struct_pack({sample[len('struct_pack('):-1]}, optbt_h := hash({key}))"
    sql = (rows + f", d AS MATERIALIZED (SELECT hash({key}) AS optbt_h FROM r GROUP BY {key} HAVING count(*) > 1), "
           f"k AS MATERIALIZED (SELECT hash({key}) AS optbt_h, count(*) AS optbt_n, CASE WHEN "
           f"count(*) {keep} = 0 THEN 0 WHEN {differ} THEN 2 ELSE 1 END AS optbt_kind, {closes} AS optbt_kc "
           f"FROM r WHERE hash({key}) IN (SELECT optbt_h FROM d) GROUP BY {key} HAVING count(*) > 1) "
           f"SELECT (SELECT count(*) FILTER (WHERE optbt_kind = 2) FROM k) AS diff, "
           f"(SELECT count(*) FILTER (WHERE optbt_kind = 2 AND optbt_kc) FROM k) AS closes, "
           f"(SELECT sum(optbt_n - 1) FILTER (WHERE optbt_kind = 1) FROM k) AS reps, "
           f"min({row}) FILTER (WHERE optbt_kind = 2) AS sd, min({row}) FILTER (WHERE optbt_kind = 1) AS ss "
           f"FROM r JOIN k ON hash({key}) = k.optbt_h")
    out: dict[str, Any] = {"diff": 0, "closes": 0, "reps": 0, "sd": None, "ss": None, "fs": [], "bars": []}
    where: dict[int, dict] = {}  # a differing key -> its block
    for params in blocks:
        (got,) = ck.q_dicts(sql, params)
        for n in ("diff", "closes", "reps"):
            out[n] += got[n] or 0
        if got["sd"] is not None:
            where[got["sd"]["optbt_h"]] = params
        out["sd"], out["ss"] = _first(out["sd"], got["sd"]), _first(out["ss"], got["ss"])
    if out["ss"]:
        out["ss"].pop("optbt_h")
    if out["sd"]:
        h = out["sd"].pop("optbt_h")
        bar = "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in fields.items()) + ")"
        (seen,) = ck.q_dicts(rows + f"SELECT list(DISTINCT {FILE_COL}) AS fs, list(DISTINCT {bar}) {keep} AS bars "
                               f"FROM r WHERE hash({key}) = $optbt_h", {**where[h], "optbt_h": h})
        out["fs"], out["bars"] = seen["fs"] or [], seen["bars"] or []
    return out


def option_duplicates(ck, t: dict) -> None:
    """Exact duplicate rows (:func:`repeats`), read again only for the instruments and days
    the tally found repeated times in, a chunk of days at a time."""
    if not any(t["dup_keys"]):
        return
    # only rows with a usable price can conflict: an unusable one is no bar (and reported on its own)
    if ck.config.price == "mid":
        usable = f"{sql_usable('optbt_b')} AND {sql_usable('optbt_a')} AND optbt_b <= optbt_a"
        price = sql_mid("optbt_b", "optbt_a")  # the close is never read
    else:
        usable = sql_usable("optbt_c")
        price = sql_price("optbt_c")
    # rows differ when what a run reads of them differs: the price, and each quote side as a
    # run cleans it (bid 0 and a NULL bid are the same missing side; a crossed quote has none)
    fields = {"price": price, "bid": sql_quote_side("optbt_b", "optbt_a", is_bid=True),
              "ask": sql_quote_side("optbt_a", "optbt_b", is_bid=False)}
    sample = ("struct_pack(file := optbt_file, ts := optbt_t, underlying := optbt_u, expiry := optbt_e, "
              "strike := optbt_k, opt_type := optbt_o, close := optbt_c, bid := optbt_b, ask := optbt_a)")
    # the rows a run reads as bars (listed contracts, within the session, in their folder) of
    # the instruments and days the tally named
    rows = (f"WITH r AS NOT MATERIALIZED (SELECT * FROM ({option_projection(ck)}) WHERE {read_as_bar(ck)} "
            f"AND {INSTRUMENT_DAY} IN (SELECT unnest(CAST($optbt_keys AS UBIGINT[])))) ")
    base = ck.params()
    blocks = [{**base, "f": list(dict.fromkeys(f for d in sorted(chunk) for f in ck.o.files_for(d))),
               "optbt_keys": [h for hs in chunk.values() for h in hs]} for chunk in t["dup_keys"] if chunk]
    got = repeats(ck, rows, "optbt_u, optbt_e, optbt_k, optbt_o, optbt_t", fields, usable, sample, blocks)
    if got["diff"]:
        ck.find("error", "conflicting_duplicates", got["sd"]["file"], got["diff"],
                  "(instrument, time) appears more than once with different bars (the price and each quote side, "
                  f"as a run reads them): a run refuses the day (e.g. {len(got['fs'])} file(s): "
                  f"{differing(got['bars'])})", got["sd"])
    if got["reps"]:
        ck.find("warning", "duplicate_rows", got["ss"]["file"], got["reps"], "repeated rows of an (instrument, "
                  "time), identical or with one usable price: a run uses one", got["ss"])


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN (as DuckDB's DISTINCT counts them)."""
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def differing(bars: list[dict]) -> str:
    """How two of a minute's bars differ, as a run reads them: 'close 21003.0 vs 21004.0'.

    >>> differing([{"close": 1.0, "volume": 5.0}, {"close": 1.0, "volume": 7.0}])
    'volume 5.0 vs 7.0'
    """
    a, b = sorted(bars or [{}, {}], key=lambda bar: [as_text(v) for v in bar.values()])[:2]
    return "; ".join(f"{k} {as_text(a[k])} vs {as_text(b[k])}" for k in a if not _same(a[k], b[k]))


def _first(a: dict | None, b: dict | None) -> dict | None:
    """The first of two sample rows, by file and then time (either may be None)."""
    if a is None or b is None:
        return a or b
    return min(a, b, key=lambda r: (r["file"], r["ts"]))
