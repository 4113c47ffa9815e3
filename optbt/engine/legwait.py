"""Waiting on a leg's premium: the building blocks of wait-and-trade and re-entry.

A leg that waits is not open yet: the strategy keeps it in ``Strategy.legs_waiting`` (which
keeps the cycle open) and checks it each tick in ``adjust``. Two tests cover what traders
wait for, both on the price of the contract the leg would open:

* a premium move (wait-and-trade, momentum): the price moved ``up`` or ``down`` by points or
  a percentage from a reference price taken when the leg became due;
* a return to cost (re-entry at cost): the price came back to the leg's entry price from the
  side it left it.

Every comparison goes through :mod:`optbt.model.levels` (a price equal to its level counts).

>>> move_level(100.0, "up", "pct", 10.0), move_level(100.0, "down", "pts", 5.0)
(110.00000000000001, 95.0)
>>> premium_moved(110.0, 100.0, "up", "pct", 10.0), premium_moved(109.0, 100.0, "up", "pct", 10.0)
(True, False)
>>> back_to_cost(99.0, 100.0, from_above=True), back_to_cost(101.0, 100.0, from_above=True)
(True, False)
"""

from __future__ import annotations

from optbt.model.levels import at_or_above, at_or_below


def move_level(ref: float, direction: str, unit: str, value: float) -> float:
    """The price a move of ``value`` (``"pct"`` of ``ref`` or ``"pts"``) ``up``/``down`` from ``ref`` reaches."""
    sign = 1 if direction == "up" else -1
    if unit == "pct":
        return ref * (1 + sign * value / 100)
    if unit == "pts":
        return ref + sign * value
    raise ValueError(f"a premium move is in pct or pts, not {unit!r}")


def premium_moved(price: float | None, ref: float | None, direction: str, unit: str, value: float) -> bool:
    """True when ``price`` reached the move from ``ref`` (False while either is not known)."""
    if price is None or ref is None:
        return False
    level = move_level(ref, direction, unit, value)
    return at_or_above(price, level) if direction == "up" else at_or_below(price, level)


def back_to_cost(price: float | None, cost: float, from_above: bool) -> bool:
    """True when ``price`` came back to ``cost``: down to it when it left above, up to it when below."""
    if price is None:
        return False
    return at_or_below(price, cost) if from_above else at_or_above(price, cost)
