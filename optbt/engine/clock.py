"""Clocks: the ticks of a day, as a plain list.

The clock is not the data: an instrument may have no bar at a tick (its price is then
stale, with a lag), and the spot may skip minutes without the clock skipping them.

- ``session`` (default): every bar boundary in the session, ``open + k * bar`` for
  k = 1..n — the moments at which a bar has closed and its price is known.
- ``spot``: the moments at which the spot's bars became known.
- ``every(minutes)``: a coarser user clock, aligned to the session open.
- ``at(times)``: explicit times of day.

>>> from datetime import datetime
>>> ticks = session_ticks(datetime(2024, 1, 2, 9, 15), datetime(2024, 1, 2, 9, 20), 1)
>>> [t.strftime("%H:%M") for t in ticks]
['09:16', '09:17', '09:18', '09:19', '09:20']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache

ClockFn = Callable[[date, datetime, datetime, Sequence[datetime]], list]
"""(day, session_open, session_close, spot_known_times) -> ticks."""


def session_ticks(open_: datetime, close: datetime, minutes: int) -> list[datetime]:
    """``open_ + k * minutes`` for k = 1, 2, ... up to ``close`` (the same offsets every day:
    kept, so a day's ticks are one C-level map instead of a Python loop)."""
    step = timedelta(minutes=minutes)
    return list(map(open_.__add__, _offsets(step, (close - open_) // step)))


@lru_cache(maxsize=32)
def _offsets(step: timedelta, n: int) -> tuple[timedelta, ...]:
    return tuple(step * k for k in range(1, n + 1))


def session_clock(bar_minutes: int) -> ClockFn:
    def ticks(day, open_, close, spot_times):
        return session_ticks(open_, close, bar_minutes)
    return ticks


def spot_clock(day, open_, close, spot_times) -> list[datetime]:
    return sorted({t for t in spot_times if open_ < t <= close})


def every(minutes: int) -> ClockFn:
    """A clock ticking every ``minutes`` from the session open."""
    if minutes < 1:
        raise ValueError("a clock must tick at least every minute")

    def ticks(day, open_, close, spot_times):
        return session_ticks(open_, close, minutes)
    return ticks


def at(times: Sequence[str | time]) -> ClockFn:
    """A clock with explicit times of day ("09:20", "15:15", ...), kept inside the session."""
    from optbt.data.dataset import parse_hhmm
    parsed = sorted(t if isinstance(t, time) else parse_hhmm(t) for t in times)

    def ticks(day, open_, close, spot_times):
        return [dt for dt in (datetime.combine(day, t) for t in parsed) if open_ < dt <= close]
    return ticks
