"""Comparing a price with a level: the one tolerance every stop, target, trail and threshold uses.

Prices live on a decimal tick grid (0.05, 0.01, ...) but are stored as binary floats, and a
level is computed from them: entry 2.00 with a 30 % stop is ``2.0 * 1.3 = 2.6``, while a bar
whose mid is ``(2.40 + 2.80) / 2`` is ``2.5999999999999996``. Compared exactly, that price —
equal to the level in decimal — would not trigger the stop, and the position would run on to
a worse price. So a price *at* a level counts as reaching it when it is within

    TOLERANCE = ABS_TOL + REL_TOL * |level|      (1e-9 + 1e-9 × |level|)

of it. The tolerance is far below any real tick (a price one tick short never triggers) and
far above binary rounding (a few 1e-16 relative), so "equal in decimal" always triggers.

>>> at_or_above((2.40 + 2.80) / 2, 2.0 * 1.3), at_or_above(2.55, 2.6)
(True, False)
>>> at_or_below(0.1 + 0.2, 0.3), crossed_up(2.5999999999999996, 2.6)
(True, True)

The strict comparisons and equality of a ``.strat`` condition use the same tolerance:

>>> below((2.40 + 2.80) / 2, 2.6), above(0.1 + 0.2, 0.3), at_level((2.40 + 2.80) / 2, 2.6)
(False, False, True)
"""

from __future__ import annotations

REL_TOL = 1e-9
ABS_TOL = 1e-9


def tolerance(level: float) -> float:
    """How far from ``level`` a price still counts as on it (what the comparisons below allow;
    they write it out themselves: they run on every tick)."""
    return ABS_TOL + REL_TOL * abs(level)


def at_or_above(price: float, level: float) -> bool:
    """True when ``price`` has reached ``level`` from below (price >= level, within the tolerance)."""
    return price >= level - (ABS_TOL + REL_TOL * abs(level))


def at_or_below(price: float, level: float) -> bool:
    """True when ``price`` has reached ``level`` from above (price <= level, within the tolerance)."""
    return price <= level + (ABS_TOL + REL_TOL * abs(level))


def below(price: float, level: float) -> bool:
    """True when ``price`` is below ``level`` by more than the tolerance (not at or above it)."""
    return price < level and not at_or_above(price, level)


def above(price: float, level: float) -> bool:
    """True when ``price`` is above ``level`` by more than the tolerance (not at or below it)."""
    return price > level and not at_or_below(price, level)


def at_level(price: float, level: float) -> bool:
    """True when ``price`` equals ``level`` within the tolerance; never when either is NaN."""
    return price == level or (at_or_above(price, level) and at_or_below(price, level))


# the names a strategy author reaches for: "has the price crossed up to / down to the level?"
crossed_up = at_or_above
crossed_down = at_or_below
