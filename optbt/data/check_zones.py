"""``timestamps_look_like_utc``: naive timestamps that are UTC, not exchange time (the rule,
and why, in :mod:`optbt.data.utc_naive`; a run refuses them on its first day). ``outside_session``
counted such rows as pre- and post-market prints; this finding says why, and how to fix it.
One aggregate a table (the spot, then the options), over every row.
"""

from __future__ import annotations

from optbt.data.sql_text import FILE_COL
from optbt.data.utc_naive import as_utc, looks_like_utc as _looks_like_utc, message, naive


def looks_like_utc(ck) -> None:
    cfg, src = ck.config, ck.src
    if not cfg.timezone:
        return
    for what, table, known in (("spot", ck.s, src._spot_known), ("options", ck.o, src._opt_known)):
        if not naive(table):
            continue
        (row,) = ck.q_dicts(
            f"SELECT count(*) AS n, count(*) FILTER (WHERE NOT {ck.inside(known)}) AS outside, "
            f"count(*) FILTER (WHERE NOT {ck.inside(as_utc(known))}) AS outside_utc, "
            f"min(struct_pack(file := {FILE_COL}, ts := {known})) FILTER (WHERE NOT {ck.inside(known)}) AS sample, "
            f"min(CAST({known} AS TIME)) AS first, max(CAST({known} AS TIME)) AS last "
            f"FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') WHERE {known} IS NOT NULL",
            {**ck.params(), "f": table.all_files})
        if not _looks_like_utc(row["n"], row["outside"], row["outside_utc"]):
            continue
        sample = row["sample"]
        ck.find("error", "timestamps_look_like_utc", sample["file"], row["outside"],
                message(what, cfg, row["first"], row["last"], row["outside"], row["n"], sample["ts"]),
                {"file": sample["file"], "ts": sample["ts"]})
