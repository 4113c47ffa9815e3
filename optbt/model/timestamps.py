"""Times as a trader reads them: to the minute when that is all there is, exact otherwise.

Minute-bar data prints as it always has (``09:20``, ``2024-01-02 09:20:00``); a tick between
the minutes keeps its seconds and its fraction (``09:20:00.3``), so that two ticks of one
minute never read as one and a message names the very row it means.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta


def fraction(t: datetime | time) -> str:
    """The part below a second, trailing zeros dropped: ``""``, ``".3"``, ``".000001"``.

    >>> fraction(time(9, 20)), fraction(time(9, 20, 0, 300000)), fraction(time(9, 20, 0, 1))
    ('', '.3', '.000001')
    """
    return f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""


def clock_time(t: datetime | time) -> str:
    """``HH:MM`` on a whole minute, else ``HH:MM:SS`` with the fraction when there is one.

    >>> clock_time(time(9, 20)), clock_time(time(9, 20, 5)), clock_time(time(9, 20, 0, 300000))
    ('09:20', '09:20:05', '09:20:00.3')
    """
    if not t.second and not t.microsecond:
        return f"{t.hour:02d}:{t.minute:02d}"
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}{fraction(t)}"


def stamp(t: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` with the fraction when there is one (no zone: exchange time).

    >>> stamp(datetime(2024, 1, 2, 9, 40)), stamp(datetime(2024, 1, 2, 9, 40, 0, 123456))
    ('2024-01-02 09:40:00', '2024-01-02 09:40:00.123456')
    """
    return f"{t:%Y-%m-%d %H:%M:%S}{fraction(t)}"


def on_whole_minutes(times: Iterable[datetime]) -> bool:
    """Whether every time is on a whole minute (minute bars), not between minutes (ticks).

    >>> on_whole_minutes([datetime(2024, 1, 2, 9, 16)]), on_whole_minutes([datetime(2024, 1, 2, 9, 16, 5)])
    (True, False)
    """
    return all(not t.second and not t.microsecond for t in times)


def off_the_minute(times: Iterable[datetime]) -> datetime | None:
    """The first time that is not on a whole minute (a tick or quote, no bar), else None.

    >>> off_the_minute([datetime(2024, 1, 2, 9, 16), datetime(2024, 1, 2, 9, 16, 0, 250000)])
    datetime.datetime(2024, 1, 2, 9, 16, 0, 250000)
    >>> off_the_minute([datetime(2024, 1, 2, 9, 16)]) is None
    True
    """
    return next((t for t in times if t.second or t.microsecond), None)


# bars needed before their spacing is judged: 20 times that all share a spacing above a minute
# by chance (an illiquid contract's scattered minutes) is a chance below one in a million
WIDE_MIN_BARS = 20


def bar_spacing(times: Iterable[datetime]) -> int | None:
    """The minutes every two of ``times`` (whole minutes) are a multiple of, when there are at
    least WIDE_MIN_BARS distinct ones (else None): 5 for 5-minute bars, 1 for minute bars.

    >>> t0 = datetime(2024, 1, 2, 9, 15)
    >>> bar_spacing([t0 + timedelta(minutes=5 * k) for k in range(20)])
    5
    >>> bar_spacing([t0 + timedelta(minutes=k) for k in (0, 5, 10, 11)]) is None
    True
    """
    import math
    minutes = sorted({int(t.timestamp() // 60) if t.tzinfo else
                      (t - datetime(1970, 1, 1)) // timedelta(minutes=1) for t in times})
    if len(minutes) < WIDE_MIN_BARS:
        return None
    g = 0
    for a, b in zip(minutes, minutes[1:]):
        g = math.gcd(g, b - a)
        if g == 1:
            break
    return g
