"""``timestamps_look_like_utc``: naive timestamps that are UTC, not exchange time.

A vendor's export often writes UTC wall-clock times without a zone. Read as exchange time
(naive timestamps are), NSE bars of 09:15-15:30 IST sit at 03:45-10:00, New York's 09:30-16:00
at 14:30-21:00: most rows fall outside the session, days are skipped as ``no_spot`` and the rows
left inside it are priced at the wrong minute. ``outside_session`` counted them as pre- and
post-market prints; this finding says why, and how to fix it.

A table is judged when the config names the exchange's zone and its timestamps are naive (a
tz-aware column, and text with a zone, are converted already): its rows look like UTC when,
read as UTC and converted to the zone, every row is known inside the session, while read as
they are some are not. One aggregate a table (the spot, then the options).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from optbt.data.sql_text import FILE_COL, is_aware


def _naive(table) -> bool:
    cols = table.columns
    kinds = [table.types.get(c) for c in ((cols.ts,) if cols.ts else (cols.date, cols.time)) if c]
    return bool(kinds) and all(k is not None and not is_aware(k) for k in kinds)


def looks_like_utc(ck) -> None:
    cfg, src = ck.config, ck.src
    if not cfg.timezone:
        return
    for what, table, known in (("spot", ck.s, src._spot_known), ("options", ck.o, src._opt_known)):
        if not _naive(table):
            continue
        as_utc = f"timezone($tz, timezone('UTC', {known}))"
        (row,) = ck.q_dicts(
            f"SELECT count(*) AS n, count(*) FILTER (WHERE NOT {ck.inside(known)}) AS outside, "
            f"count(*) FILTER (WHERE NOT {ck.inside(as_utc)}) AS outside_utc, "
            f"min(struct_pack(file := {FILE_COL}, ts := {known})) FILTER (WHERE NOT {ck.inside(known)}) AS sample, "
            f"min(CAST({known} AS TIME)) AS first, max(CAST({known} AS TIME)) AS last "
            f"FROM read_parquet($f, {table.scan}, filename='{FILE_COL}') WHERE {known} IS NOT NULL",
            {**ck.params(), "f": table.all_files})
        if not row["n"] or not row["outside"] or row["outside_utc"]:
            continue
        sample = row["sample"]
        sess = cfg.session
        off = ZoneInfo(cfg.timezone).utcoffset(sample["ts"])
        sign, mins = ("-", -off) if off < timedelta(0) else ("+", off)
        hhmm = f"{sign}{int(mins.total_seconds()) // 3600:02d}:{int(mins.total_seconds()) % 3600 // 60:02d}"
        ck.find("error", "timestamps_look_like_utc", sample["file"], row["outside"],
                f"{what} timestamps look like UTC, not exchange time ({cfg.timezone}): they run "
                f"{row['first']:%H:%M}-{row['last']:%H:%M}, the session {sess.start}-{sess.end} less the zone's "
                f"offset from UTC ({hhmm}); read as exchange time (naive timestamps are), {row['outside']} of {row['n']} rows "
                "fall outside the session (days skipped as no_spot, the rest priced at the wrong minute). Write them "
                "tz-aware (UTC instants), or as text ending in Z or +00:00: a run converts those to the exchange's "
                "zone (docs/data.md, 'Time zones')",
                {"file": sample["file"], "ts": sample["ts"]})
