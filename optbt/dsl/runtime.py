"""The runtime every compiled .strat strategy stands on: the language's semantics, in one place.

A compiled class declares its parameters and a few small methods (which legs, when to enter,
which per-leg rules, what happens on an event, when to exit); this base class turns them into
``entry`` / ``adjust`` / ``exit_check`` on the engine. Per tick, while a position is open:

1. per-leg stop losses, then targets, then trailing stops (in leg order); a hit closes that
   leg (``square_off partial``, the default) or everything (``complete``) at this tick's
   price, then runs the ``on`` actions for it;
2. shifts (close the leg, open the same leg at the new strike);
3. overall MTM stop, MTM target, trailing MTM (close everything);
4. the time exit and ``exit when`` (the engine closes everything, reason ``exit``).

Stops and targets are measured on the leg's price at the tick (the close, or the mid for quote
data) against the leg's price at entry (its *mark*; for close data the fill price itself).
A value not known yet (no spot, no price) makes a condition false, never an error.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from optbt.engine.context import BarContext
from optbt.engine.strategy import Strategy
from optbt.model.strikes import nearest_strike

NAN = float("nan")


def num(x: Any) -> float:
    """None (not known yet) becomes NaN, so every comparison with it is false."""
    return NAN if x is None else x


class DslStrategy(Strategy):
    """Base class of compiled .strat strategies (see the module docstring for the semantics)."""

    square_off: ClassVar[str] = "partial"
    SWEEP: ClassVar[dict[str, list]] = {}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, **params: Any):
        super().__init__(**params)
        for name, options in self.CHOICES.items():
            if getattr(self, name) not in options:
                raise ValueError(f"{name} must be one of {', '.join(options)}, got {getattr(self, name)!r}")
        self._premium = 0.0
        self._peak_mtm: float | None = None

    @classmethod
    def sweep_grid(cls) -> dict[str, list]:
        """The sweep ranges declared next to the parameters (``optbt sweep`` uses them by default)."""
        return {k: list(v) for k, v in cls.SWEEP.items()}

    # -- what a compiled class fills in ------------------------------------------------------
    def legs(self, ctx: BarContext) -> dict | None:
        return None

    def entry_ready(self, ctx: BarContext) -> bool:
        return True

    def leg_rules(self) -> list[tuple[str, str | None, str, float]]:
        """(rule, leg or None for each leg, unit "pct" | "pts" | "money", value)."""
        return []

    def on_event(self, ctx: BarContext, event: str, key: str) -> None:
        return None

    def shift_rules(self, ctx: BarContext) -> list[tuple[str, float | None]]:
        """(leg, new strike) for each shift whose condition holds now."""
        return []

    def mtm_rules(self) -> list[tuple[str, str, float]]:
        """(mtm_stop | mtm_target, unit "money" | "pct", value)."""
        return []

    def trail_mtm(self) -> tuple[float, float] | None:
        return None

    def exit_ready(self, ctx: BarContext) -> bool:
        return False

    # -- strike helpers used by compiled legs ---------------------------------------------------
    def strike_atm(self, ctx: BarContext, offset: int = 0) -> float | None:
        return None if ctx.atm is None else ctx.atm + offset * ctx.strike_step

    def strike_otm(self, ctx: BarContext, opt_type: str, pct: float) -> float | None:
        if ctx.spot is None:
            return None
        target = ctx.spot * (1 + pct / 100) if opt_type == "CE" else ctx.spot * (1 - pct / 100)
        return nearest_strike(target, ctx.strike_step, tuple(ctx.chain()))

    def strike_premium(self, ctx: BarContext, opt_type: str, mode: str, target: float) -> float | None:
        return ctx.strike_by_premium(opt_type, target, {"~": "closest", ">=": "ge", "<=": "le"}[mode])

    # -- leg values used by compiled expressions -------------------------------------------------
    def leg_ltp(self, ctx: BarContext, key: str) -> float:
        return num(ctx.ltp(key)) if key in self.positions else NAN

    def leg_entry_price(self, ctx: BarContext, key: str) -> float:
        trade = self.positions.get(key)
        return NAN if trade is None else trade.entry_price

    def leg_pnl(self, ctx: BarContext, key: str) -> float:
        return ctx.pnl(key) if key in self.positions else NAN

    # -- the engine's hooks ------------------------------------------------------------------------
    def entry(self, ctx: BarContext) -> None:
        if not self.entry_ready(ctx):
            return
        legs = self.legs(ctx)
        if not legs:
            return
        filled = self.try_fill(legs)
        if filled:
            self._premium = sum(t.entry_price * t.qty * t.lot_size for t in filled.values())
            self._peak_mtm = None
            for trade in filled.values():
                self._arm(trade)

    def _arm(self, trade) -> None:
        """Set the trade's stop, target and trailing distance from the rules that cover it."""
        mark = trade.entry_mark if trade.entry_mark is not None else trade.entry_price
        sign = trade.leg.sign  # +1 long, -1 short
        for rule, leg, unit, value in self.leg_rules():
            if leg is not None and leg != trade.key:
                continue
            if rule == "trailing":
                trade.extra["trail"] = (unit, value)
                trade.extra["best"] = mark
                continue
            # a stop sits against the position, a target in its favour; percentages are
            # applied as mark * (1 +/- pct / 100), exactly as a hand-written strategy would
            against = -sign if rule == "stop_loss" else sign
            trade.extra["stop" if rule == "stop_loss" else "target"] = self._level(mark, unit, value, trade, against)

    @classmethod
    def _level(cls, mark: float, unit: str, value: float, trade, direction: int) -> float:
        if unit == "pct":
            return mark * (1 + direction * value / 100)
        return mark + direction * cls._distance(mark, unit, value, trade)

    @staticmethod
    def _distance(mark: float, unit: str, value: float, trade) -> float:
        if unit == "pct":
            return mark * value / 100
        if unit == "pts":
            return value
        return value / (trade.qty * trade.lot_size)  # money per position -> points

    def adjust(self, ctx: BarContext) -> None:
        for rule in ("stop_loss", "target", "trailing"):
            for key in list(self.positions):
                trade = self.positions.get(key)
                if trade is None:
                    continue
                price = ctx.ltp(key)
                if price is not None and self._hit(rule, trade, price):
                    if self.square_off == "complete":
                        self.close_all(rule)
                    else:
                        self.close(key, rule)
                    self.on_event(ctx, rule, key)
        for key, strike in self.shift_rules(ctx):
            trade = self.positions.get(key)
            if trade is None or strike is None or strike == trade.leg.strike:
                continue
            leg = self.add(strike, trade.leg.opt_type, trade.leg.side, trade.leg.qty, expiry=trade.leg.expiry)
            q = ctx.price(leg)
            if q is None or q[1] != 0:
                continue  # the new strike is not live: keep the old leg
            self.close(key, "shift")
            filled = self.try_fill({key: leg}, reason="shift")
            if filled:
                self._arm(filled[key])
        if self.positions:
            self._check_mtm(ctx)

    def _hit(self, rule: str, trade, price: float) -> bool:
        short = trade.leg.side == "SELL"
        extra = trade.extra
        if rule == "stop_loss" and "stop" in extra:
            return price >= extra["stop"] if short else price <= extra["stop"]
        if rule == "target" and "target" in extra:
            return price <= extra["target"] if short else price >= extra["target"]
        if rule == "trailing" and "trail" in extra:
            best = extra["best"] = min(extra["best"], price) if short else max(extra["best"], price)
            unit, value = extra["trail"]
            level = self._level(best, unit, value, trade, 1 if short else -1)
            return price >= level if short else price <= level
        return False

    def move_stop_to_cost(self, keys) -> None:
        """The ``move ... stop to cost`` action: those legs' stops go to their entry price."""
        for key in keys:
            trade = self.positions.get(key)
            if trade is not None:
                trade.extra["stop"] = trade.entry_mark if trade.entry_mark is not None else trade.entry_price

    def others(self, key: str) -> list[str]:
        return [k for k in self.positions if k != key]

    def _check_mtm(self, ctx: BarContext) -> None:
        mtm = ctx.mtm
        for rule, unit, value in self.mtm_rules():
            limit = value if unit == "money" else self._premium * value / 100
            if (rule == "mtm_stop" and mtm <= -limit) or (rule == "mtm_target" and mtm >= limit):
                self.close_all(rule)
                return
        trail = self.trail_mtm()
        if trail is not None:
            after, by = trail
            if mtm >= after or self._peak_mtm is not None:
                self._peak_mtm = mtm if self._peak_mtm is None else max(self._peak_mtm, mtm)
                if mtm <= self._peak_mtm - by:
                    self.close_all("trail_mtm")

    def exit_check(self, ctx: BarContext) -> bool:
        return bool(self.exit_ready(ctx))


def finite(x: float) -> bool:
    return not math.isnan(x)
