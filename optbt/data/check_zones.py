"""``timestamps_look_like_utc``: naive timestamps that are UTC, not exchange time (the rule,
and why, in :mod:`optbt.data.utc_naive`; a run refuses them on its first day). ``outside_session``
counted such rows as pre- and post-market prints; this finding says why, and how to fix it.
One aggregate a table (the spot, then the options), over every row. Without ``timezone``,
``times_look_shifted`` warns of the same rows, with the offset that would put them in the session.
"""

from __future__ import annotations

from datetime import timedelta

from optbt.data.sql_text import FILE_COL
from optbt.data.utc_naive import as_utc, looks_like_utc as _looks_like_utc, message, naive, offset_text


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


# a shift that puts nearly every row inside the session, where most are outside now: a warning
_SHIFTED_INSIDE = 0.95


def looks_shifted(ck) -> None:
    """``times_look_shifted`` (a warning), without ``timezone``: most of a table's rows are known
    outside the session, and shifted by one whole-quarter-hour offset (up to 14 hours) nearly
    all of them (95%) would be inside it. Timestamps written in UTC (or another zone) as naive
    times, which a run reads as exchange time: the rows that overlap the session are read at the
    wrong minute, the rest are ignored as ``outside_session``. With ``timezone`` set such rows
    are refused (:func:`looks_like_utc`); without it, optbt cannot know the zone, so it names the
    offset that fits and what to set."""
    cfg, src = ck.config, ck.src
    if cfg.timezone:
        return
    start, end = ck.params()["start"], ck.params()["end"]
    lo, hi = _minute(start), _minute(end)
    for what, table, known in (("spot", ck.s, src._spot_known), ("options", ck.o, src._opt_known)):
        rows = ck.q(f"SELECT CAST({known} AS TIME) AS tod, count(*), min({FILE_COL}) FROM read_parquet($f, "
                    f"{table.scan}, filename='{FILE_COL}') WHERE {known} IS NOT NULL GROUP BY tod",
                    {**ck.params(), "f": table.all_files})
        n = sum(c for _, c, _ in rows)
        if not n:
            continue
        # a time of day as seconds since midnight: inside the session is (start, end]
        secs = [(t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6, c) for t, c, _ in rows]

        def inside(shift: int) -> int:
            return sum(c for s, c in secs if lo < (s + shift) % 86400 <= hi)
        now = inside(0)
        if now >= n / 2:
            continue
        best = max((q * 900 for q in range(-56, 57) if q), key=inside)
        fits = inside(best)
        if fits < _SHIFTED_INSIDE * n:
            continue
        offset = offset_text(timedelta(seconds=best))
        ck.find("warning", "times_look_shifted", min(f for *_, f in rows), n - now,
                f"{what}: {n - now:,} of {n:,} rows are known outside the session ({cfg.session.start}-"
                f"{cfg.session.end}), and {fits:,} would be inside it shifted by {offset}: timestamps "
                f"written as naive times in UTC, for an exchange at UTC{offset} (or in another zone)? A run "
                f"reads them as exchange time: the rows that overlap the session at the wrong minute, the rest "
                f"ignored. If the files hold UTC, set timezone = \"Area/City\" (the exchange's zone) in "
                f"dataset.toml: such times are then refused with the fix; or write them in exchange time")


def _minute(t) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second
