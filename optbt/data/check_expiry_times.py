"""Expiries (or dates) all at one time of day after the session, in a dataset without ``timezone``:
a note that they may be the exchange's midnight written in UTC.

A naive expiry is read as its date. ``2024-01-03 18:30:00`` is the date 2024-01-03; but it is
also midnight of the 4th at UTC+05:30 written in UTC without its zone (pandas'
``tz_convert("UTC").tz_localize(None)`` of an expiry date). With ``timezone`` set, such a value
is refused (:mod:`optbt.data.zoned_dates`, :mod:`optbt.data.date_midnights`); without it a run
cannot tell, and every expiry is read a day early. ``data check`` notes the pattern: every value
of the column at one time of day (two, an hour apart, for a zone's summer time), none of them
00:00, after the session's end and at least 10:00 (only east of UTC is the date another day),
each the midnight of a whole-quarter-hour UTC offset. It says which offset and what
``timezone`` would do. A note, not a warning: an exchange's own time of expiry may be such a
time, and then nothing is wrong.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from optbt.data.dataset import parse_hhmm
from optbt.data.sql_text import FILE_COL, is_aware
from optbt.data.utc_naive import offset_text

_DAY = timedelta(days=1)


def _offset(t: time) -> timedelta | None:
    """The UTC offset whose midnight ``t`` (a UTC time of day) is, when it is a whole quarter
    hour east of UTC up to +14:00; else None.

    >>> _offset(time(18, 30)), _offset(time(23, 59, 59)), _offset(time(5))
    (datetime.timedelta(seconds=19800), None, None)
    """
    after = _DAY - (datetime.combine(datetime.min, t) - datetime.min)
    if t < time(10) or after.total_seconds() % 900:
        return None
    return after


def utc_written_times(ck, what: str, table, field: str, label: str) -> None:
    """The note for ``table``'s ``field`` column (``expiry``, ``date``) of ``label`` (``expiries``)."""
    cfg = ck.config
    name = getattr(table.columns, field)
    if cfg.timezone or not name or name not in table.types or (field == "date" and table.columns.ts):
        return
    kind = table.cast.get(name, table.types[name])
    col = table.col(field)
    if kind.startswith("TIMESTAMP") and not is_aware(kind):
        value, judged = f"CAST({col} AS TIMESTAMP)", f"{col} IS NOT NULL"
    elif kind == "VARCHAR":  # text with a time of day and nothing after it
        value = f"TRY_CAST(trim({col}) AS TIMESTAMP)"
        judged = f"regexp_matches({col}, '[0-9]:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?\\s*$')"
    else:
        return
    rows = ck.q(f"SELECT CAST(optbt_v AS TIME) AS t, count(DISTINCT optbt_v), min(struct_pack(file := {FILE_COL}, v := optbt_v)) "
                f"FROM (SELECT DISTINCT {FILE_COL}, {value} AS optbt_v FROM read_parquet($f, {table.scan}, "
                f"filename='{FILE_COL}') WHERE {judged}) WHERE optbt_v IS NOT NULL GROUP BY t ORDER BY t",
                {"f": table.all_files})
    times = [t for t, _, _ in rows]
    end = parse_hhmm(cfg.session.end)
    offsets = [_offset(t) for t in times]
    if not 1 <= len(times) <= 2 or any(o is None for o in offsets) or min(times) <= end:
        return
    if len(times) == 2 and offsets[0] - offsets[1] != timedelta(hours=1):
        return
    values = sum(n for _, n, _ in rows)
    sample = rows[0][2]
    shown = " or ".join(f"{t:%H:%M:%S}" for t in times)
    zones = " or ".join(f"UTC{offset_text(o)}" for o in offsets)
    ck.find("note", "naive_utc_midnights", sample["file"], values,
            f"{what}: the {label} (column {name!r}) are all at {shown} ({values:,} distinct, e.g. {sample['v']}), "
            f"after the session ({cfg.session.start}-{cfg.session.end}), each read as its date: the exchange's "
            f"midnight written in UTC? {shown} UTC is 00:00 of the next day at {zones}, so each would be read a day "
            f"early. If the files were converted to UTC, set timezone = \"Area/City\" (the exchange's zone) in "
            f"dataset.toml: such values are then refused with the fix (store them as a DATE, or as tz-aware "
            f"timestamps); if {shown} is the exchange's own time, nothing is wrong", sample)
