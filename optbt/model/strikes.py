"""Strike rules that need nothing but numbers: the at-the-money strike."""

from __future__ import annotations

import bisect
import math


def nearest_strike(spot: float, step: float, listed: tuple[float, ...] = ()) -> float:
    """ATM: the listed strike nearest ``spot`` (ties go up), else spot rounded to ``step``.

    >>> nearest_strike(21024.9, 50), nearest_strike(21025, 50)
    (21000.0, 21050.0)
    >>> nearest_strike(752.0, 5, (745.0, 750.0, 760.0))
    750.0
    """
    if listed:
        i = bisect.bisect_left(listed, spot)
        cands = listed[max(i - 1, 0): i + 1]
        return float(min(cands, key=lambda k: (abs(k - spot), -k)))
    return float(math.floor(spot / step + 0.5) * step)
