"""Strike rules that need nothing but numbers: at the money, and p % out of the money."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

from optbt.model.levels import at_or_above, at_or_below, tolerance


def nearest_strike(spot: float, step: float, listed: tuple[float, ...] = ()) -> float:
    """ATM: the listed strike nearest ``spot`` (ties go up), else spot rounded to ``step``.

    >>> nearest_strike(21024.9, 50), nearest_strike(21025, 50)
    (21000.0, 21050.0)
    >>> nearest_strike(752.0, 5, (745.0, 750.0, 760.0))
    750.0

    "Halfway" is judged with the level tolerance of :mod:`optbt.model.levels`: a level worked out
    from prices, 100 + 8.04 - 5.54 = 102.49999999999999 in binary, is 102.50 and goes up.

    >>> nearest_strike(100 + 8.04 - 5.54, 5, (100.0, 105.0)), nearest_strike(100 + 8.04 - 5.54, 5)
    (105.0, 105.0)
    """
    tol = tolerance(spot)
    if listed:
        i = bisect.bisect_left(listed, spot)
        cands = listed[max(i - 1, 0): i + 1]
        least = min(abs(k - spot) for k in cands)
        return float(max(k for k in cands if abs(k - spot) <= least + tol))
    return float(math.floor((spot + tol) / step + 0.5) * step)


# How far outside a day's listed strikes the spot may lie. Chains list strikes around the spot
# (wings a few times out at most); strikes stored in thousandths of a dollar are ~1000x off, an
# index given as the spot of its ETF's options ~10x.
STRIKE_SCALE = 3.0


def off_scale(spot: float, lowest: float, highest: float) -> str | None:
    """How far ``spot`` lies outside the listed strikes ("918x below them"), when it is more than
    ``STRIKE_SCALE`` times below the lowest or above the highest; None when it is on their scale.

    >>> off_scale(501.0, 460000.0, 550000.0), off_scale(501.0, 460.0, 550.0), off_scale(4940.0, 460.0, 550.0)
    ('918x below them', None, '9x above them')
    """
    if lowest / STRIKE_SCALE <= spot <= highest * STRIKE_SCALE:
        return None
    return f"{lowest / spot:.0f}x below them" if spot < lowest else f"{spot / highest:.0f}x above them"


def off_scale_message(day, spot: float, lowest: float, highest: float, where: str) -> str:
    """The one message of a run's data error and of ``data check``'s finding."""
    return (f"{day}: the listed strikes run from {lowest:g} to {highest:g} while the spot is {spot:g}, {where}: "
            "strikes and spot are not in one unit, or not of one underlying (strikes stored in "
            "thousandths of a dollar, as some vendors do; an index given as the spot of its ETF's "
            "options). Rescale the strike column, or point [spot] at the options' own underlying")


def otm_strike(spot: float, pct: float, opt_type: str, step: float,
               listed: tuple[float, ...] = ()) -> float | None:
    """``OTM p%``: the first listed strike at or beyond spot × (1 ± p/100) on the out-of-the-money side.

    Calls: the lowest strike at or above spot × (1 + p/100); puts: the highest strike at or
    below spot × (1 − p/100) — never a strike on the money side of that level (the nearest
    strike could be in the money). None when no listed strike lies that far out. With no
    listed strikes, the level is rounded away from the money to the ``step`` grid. "At" uses
    the level tolerance of :mod:`optbt.model.levels`.

    >>> otm_strike(21010, 1, "CE", 50, (21150.0, 21200.0, 21250.0))  # level 21220.1
    21250.0
    >>> otm_strike(21010, 1, "PE", 50, (20750.0, 20800.0, 20850.0))  # level 20799.9
    20750.0
    >>> otm_strike(20000, 1, "CE", 50, (20150.0, 20200.0)), otm_strike(20000, 1, "CE", 50)
    (20200.0, 20200.0)
    """
    if opt_type == "CE":
        level = spot * (1 + pct / 100)
        if not listed:
            k = math.ceil(level / step) * step
            return float(k - step if at_or_above(k - step, level) else k)
        return next((float(k) for k in listed if at_or_above(k, level)), None)
    level = spot * (1 - pct / 100)
    if not listed:
        k = math.floor(level / step) * step
        return float(k + step if at_or_below(k + step, level) else k)
    return next((float(k) for k in reversed(listed) if at_or_below(k, level)), None)


def pick_strike(candidates: Iterable[tuple[float, float]], target: float, mode: str, spot: float) -> float | None:
    """The strike whose value (a premium, an |delta|) is closest to ``target`` (``mode``
    "closest"), the smallest at or above it ("ge") or the largest at or below it ("le");
    ``candidates`` are (strike, value) pairs. Ties go to the strike nearer ``spot``, then the
    lower strike. None when no candidate qualifies.

    >>> pick_strike([(100.0, 9.0), (110.0, 5.0), (120.0, 2.0)], 4.0, "closest", 105.0)
    110.0
    >>> pick_strike([(100.0, 9.0), (110.0, 5.0), (120.0, 2.0)], 4.0, "le", 105.0)
    120.0
    >>> pick_strike([(100.0, 5.0), (110.0, 5.0)], 5.0, "closest", 100 + 8.21 - 3.21)
    100.0
    """
    if mode not in ("closest", "ge", "le"):
        raise ValueError(f"mode must be 'closest', 'ge' or 'le', not {mode!r}")
    tol = tolerance(target)  # prices on a tick grid, stored in binary (optbt.model.levels)
    scored = []
    for strike, value in candidates:
        if mode == "ge" and not at_or_above(value, target):
            continue
        if mode == "le" and not at_or_below(value, target):
            continue
        scored.append((max(0.0, abs(value - target) - tol) if mode == "closest" else abs(value - target),
                       strike))
    if not scored:
        return None
    # equal within the tolerance is a tie (32.20 and 17.80 are both 7.20 from 25, though binary
    # makes one 7.199999999999999): ties go to the strike nearer the spot, then the lower one
    least = min(score for score, _ in scored)
    tied = [strike for score, strike in scored if score <= least + 2 * tol]
    # and "nearer the spot" likewise: a spot worked out from prices (a synthetic future,
    # 100 + 8.21 - 3.21 = 105.00000000000001) is halfway between 100 and 110, so the lower goes
    nearest = min(abs(k - spot) for k in tied)
    return min(k for k in tied if abs(k - spot) <= nearest + 2 * tolerance(spot))
