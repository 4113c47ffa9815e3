"""Naive timestamps that are UTC, not exchange time: the rule ``data check`` reports over a whole
table (``timestamps_look_like_utc``) and a run refuses on its first day
(:mod:`optbt.data.first_day`).

A vendor's export often writes UTC wall-clock times without a zone. Read as exchange time
(naive timestamps are), NSE bars of 09:15-15:30 IST sit at 03:45-10:00, New York's 09:30-16:00
at 14:30-21:00: most rows fall outside the session, days are skipped as ``no_spot`` and the rows
left inside it are priced at the wrong minute. A run on such data traded at "09:20" on the
14:50 price and exited at "15:15" on the 10:00 one, with exit 0; it now stops with this message.

A table is judged when the config names the exchange's zone and its timestamps are naive (a
tz-aware column, and text with a zone, are converted already): its rows look like UTC when,
read as UTC and converted to the zone, every row is known inside the session, while read as
they are some are not. Exchange-time data never passes that test (its rows read as UTC land
hours outside the session), nor does data of a zone at UTC+0 (both readings agree).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from optbt.data.sql_text import is_aware
from optbt.model.errors import DataError


class TimestampsLookLikeUtcError(DataError):
    """A table's naive timestamps are UTC wall-clock times, not the exchange's (see the module)."""


def naive(table) -> bool:
    """The table's time is stored without a zone (a naive timestamp, a date and a time, or text)."""
    cols = table.columns
    kinds = [table.types.get(c) for c in ((cols.ts,) if cols.ts else (cols.date, cols.time)) if c]
    return bool(kinds) and all(k is not None and not is_aware(k) for k in kinds)


def as_utc(known: str) -> str:
    """SQL: the known-at time ``known`` read as UTC and converted to the exchange's zone ``$tz``."""
    return f"timezone($tz, timezone('UTC', {known}))"


def looks_like_utc(n: int, outside: int, outside_utc: int) -> bool:
    """``n`` rows, ``outside`` of them outside the session as stored, ``outside_utc`` read as UTC."""
    return bool(n) and bool(outside) and not outside_utc


def message(what: str, config, first: time, last: time, outside: int, n: int, at: datetime, scope: str = "",
            counted: str = "rows") -> str:
    """What is wrong and how to fix it; ``at``: a row's time outside the session (for the offset);
    ``scope``: which rows were counted, when not the whole table; ``counted``: what (rows, or
    distinct times)."""
    sess = config.session
    off = ZoneInfo(config.timezone).utcoffset(at)
    sign, mins = ("-", -off) if off < timedelta(0) else ("+", off)
    hhmm = f"{sign}{int(mins.total_seconds()) // 3600:02d}:{int(mins.total_seconds()) % 3600 // 60:02d}"
    return (f"{what} timestamps look like UTC, not exchange time ({config.timezone}): they run "
            f"{first:%H:%M}-{last:%H:%M}, the session {sess.start}-{sess.end} less the zone's "
            f"offset from UTC ({hhmm}); read as exchange time (naive timestamps are), {outside} of {n} {counted}{scope} "
            "fall outside the session (days skipped as no_spot, the rest priced at the wrong minute). Write them "
            "tz-aware (UTC instants), or as text ending in Z or +00:00: a run converts those to the exchange's "
            "zone (docs/data.md, 'Time zones')")


def offset_text(offset: timedelta) -> str:
    """A UTC offset as messages write it after "UTC".

    >>> offset_text(timedelta(hours=5, minutes=30)), offset_text(timedelta(hours=-4))
    ('+05:30', '-04:00')
    """
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{'-' if offset < timedelta(0) else '+'}{minutes // 60:02d}:{minutes % 60:02d}"


def fitting_offset(first: datetime, last: datetime, open_: datetime, close: datetime) -> timedelta | None:
    """Without ``timezone``: the one whole-quarter-hour shift (up to 14 hours either way) that
    puts a day's times ``first`` .. ``last`` inside its session (``open_``, ``close``], or None
    (none does, or several do: a run's first day cannot say which).

    >>> day = datetime(2024, 1, 2)
    >>> fitting_offset(day.replace(hour=3, minute=46), day.replace(hour=10), day.replace(hour=9, minute=15),
    ...                day.replace(hour=15, minute=30))
    datetime.timedelta(seconds=19800)
    """
    step = timedelta(minutes=15)
    fits = [q * step for q in range(-56, 57) if q and open_ < first + q * step and last + q * step <= close]
    return fits[0] if len(fits) == 1 else None


def shifted_message(what: str, config, day, outside: int, n: int, first: datetime, last: datetime,
                    offset: timedelta) -> str:
    """The run's warning, without ``timezone``, for a first day whose times fit the session only
    shifted by ``offset`` (``data check``: ``times_look_shifted``)."""
    hhmm = offset_text(offset)
    sess = config.session
    return (f"{what} times on {day}, the run's first day, run {first:%H:%M}-{last:%H:%M}: {outside} of {n} are outside "
            f"the session ({sess.start}-{sess.end}), all inside it shifted by {hhmm}. Naive times written in UTC "
            f"(for an exchange at UTC{hhmm}) or another zone? The run reads them as exchange time: the rows that "
            f"overlap the session at the wrong minute. If the files hold UTC, set timezone = \"Area/City\" (the "
            f"exchange's zone) in dataset.toml (`optbt data check`: times_look_shifted)")
