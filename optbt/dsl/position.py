"""Runtime of the position-level constructs (issue 13), as mixins a compiled class takes only
when its file uses them, so a file without them pays nothing on a tick.

``PositionRules`` (``overall_stop``, ``overall_target``, ``lock``, ``stop_loss 2x credit``,
``target 50% credit``) wraps the base class's ``entry`` and ``adjust``:

- at each entry it records the entry's net credit (premiums sold minus bought, in currency)
  and the day's realised PnL at that moment;
- after the per-leg rules, shifts and MTM rules of a tick (``DslStrategy.adjust``), it checks
  (1) the credit stop, then the credit target, on the position's PnL since its entry (realised
  from its legs closed since + its open legs), and (2) the overall stop, the overall target and
  the lock on the day's total PnL (realised + open, ``ctx.day_pnl``);
- once an overall rule or the lock fires, every open leg is closed and the day is over: no
  entry happens again that day, whatever ``max_cycles`` allows. A credit exit ends the cycle
  only (a new entry may follow, as after an MTM stop).

``LegStrikes`` gives the strike forms of issue 13 (``ATM + off``, ``ITM n`` / ``OTM n``, ``OTM
pct``, ``premium ~ expression``, ``leg.strike + 200``, ``ATM + 0.5x straddle``, the ``straddle``
value) and, with ``atm_source = "synthetic"``, ATM from the synthetic future.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from optbt.engine.position import (ProfitLock, live_price, moneyness_offset, net_credit, snap_strike,
                                   straddle_premium, synthetic_atm)
from optbt.model.levels import at_or_above, at_or_below

NAN = float("nan")


class _Day:
    """What the position rules remember within one day."""

    __slots__ = ("day", "over", "credit", "lock")

    def __init__(self, day, lock: ProfitLock | None):
        self.day = day
        self.over = False       # an overall rule or the lock fired: no entry again today
        self.credit = 0.0       # the net credit of the day's entries so far
        self.lock = lock


class PositionRules:
    """Mixin (before DslStrategy): the day's overall stop / target / lock and the credit exits."""

    _in_entry = False  # within entry(): legs opening now are counted together (_entered)
    _cycle_credit = 0.0  # the net credit of the cycle's legs opened so far
    position_exit = False  # a credit exit fired on this tick (legplan resets it each tick)

    def position_rules(self) -> dict[str, Any]:
        """Filled in by the compiled class: {"overall_stop": (unit, value), "overall_target": ...,
        "lock": (at, keep, every, by), "credit_stop": (unit, value), "credit_target": ...};
        unit is "money", "pct" (of the net credit) or "times" (the net credit)."""
        return {}

    def _pos_day(self, ctx) -> _Day:
        day = getattr(self, "_position_day", None)
        if day is None or day.day != ctx.day:
            rules = self.position_rules()
            lock = rules.get("lock")
            day = self._position_day = _Day(ctx.day, ProfitLock(*lock) if lock else None)
            self._position_rules = rules
        return day

    def entry(self, ctx) -> None:
        day = self._pos_day(ctx)
        if day.over:
            self.note_blocked("the day is over: an overall stop, target or lock fired")
            return
        self._in_entry = True
        try:
            super().entry(ctx)
        finally:
            self._in_entry = False
        if self.positions:  # this tick's entry filled (entry runs only while nothing is open)
            try:
                self._entered(ctx, day)
            except Exception as exc:
                self._failed(exc, ctx)
        elif getattr(self, "legs_waiting", None):  # a cycle whose every leg waits (wait, entry LEG at)
            self._cycle_credit = 0.0  # its legs add their credit as they open (_opened)
            self._cycle_start = ctx.realised

    def _opened(self, trade) -> None:
        """A leg of this cycle that opens after its entry tick (a waiting leg, a staggered
        entry) adds its premium to the cycle's and the day's net credit, as the legs of the
        entry tick did: a credit rule measures the credit of the legs the cycle opened."""
        super()._opened(trade)
        if self._in_entry or trade.entry_reason != "entry":
            return  # the entry tick's legs are counted together (_entered); a re-entry adds nothing
        credit = net_credit([trade])
        self._cycle_credit += credit
        day = getattr(self, "_position_day", None)
        if day is not None:
            day.credit += credit

    def _entered(self, ctx, day: _Day) -> None:
        credit = net_credit(self.positions.values())
        if at_or_below(abs(credit), 0.0):
            credit = 0.0  # premiums that cancel (sold 100, bought 100; or 2.4 + 2.8 - 5.2 in binary)
        self._cycle_credit = credit
        self._cycle_start = ctx.realised
        day.credit += credit
        rules = self._position_rules
        uses_credit = [name for name in ("credit_stop", "credit_target", "overall_stop", "overall_target")
                       if name in rules and rules[name][0] != "money"]
        # a net of exactly 0 is no debit: the credit rules wait for a credit, as before any leg opened
        if uses_credit and credit < 0:
            what = {"credit_stop": "stop_loss ... credit", "credit_target": "target ... credit",
                    "overall_stop": "overall_stop ... credit", "overall_target": "overall_target ... credit"}
            raise ValueError(f"{what[uses_credit[0]]} needs a net credit at entry, but this entry paid a net "
                             f"debit of {-credit:g} (E0407: write the amount in money for a debit position)")

    def _position_check(self, ctx) -> None:
        """Run by DslStrategy.adjust after the MTM rules (inside its error handling), so a position
        exit comes before any re-entry or waiting leg of the same tick (optbt.dsl.legplan)."""
        self._check_position(ctx)

    @staticmethod
    def _limit(rule: tuple[str, float], credit: float) -> float:
        unit, value = rule
        if unit == "money":
            return value
        return credit * value / 100 if unit == "pct" else credit * value

    def _check_position(self, ctx) -> None:
        rules = self._position_rules
        day = self._pos_day(ctx)
        pnl = ctx.day_pnl
        # checked with no leg open too: the cycle may wait on re-entries, and its closed legs'
        # PnL counts (a credit to measure against: its legs may still wait)
        if ("credit_stop" in rules or "credit_target" in rules) and self._cycle_credit > 0:
            own = pnl - self._cycle_start  # this position's PnL: its closed legs and its open ones
            stop, target = rules.get("credit_stop"), rules.get("credit_target")
            if stop is not None and at_or_below(own, -self._limit(stop, self._cycle_credit)):
                self._cycle_over("credit_stop")
            elif target is not None and at_or_above(own, self._limit(target, self._cycle_credit)):
                self._cycle_over("credit_target")
        stop, target = rules.get("overall_stop"), rules.get("overall_target")
        # a rule on the net credit waits for a credit: before any leg opened it would fire at PnL 0
        stop = stop if stop is None or stop[0] == "money" or day.credit > 0 else None
        target = target if target is None or target[0] == "money" or day.credit > 0 else None
        if stop is not None and at_or_below(pnl, -self._limit(stop, day.credit)):
            self._day_over(day, "overall_stop")
        elif target is not None and at_or_above(pnl, self._limit(target, day.credit)):
            self._day_over(day, "overall_target")
        elif day.lock is not None and day.lock.hit(pnl):
            self._day_over(day, "lock")

    def _cycle_over(self, reason: str) -> None:
        """A credit exit: close what is open; the cycle is over, so nothing waiting opens in it and
        no leg closed on this tick re-enters (``position_exit``, read by optbt.dsl.legplan)."""
        self.position_exit = True
        self._cancel_waiting(f"{reason} closed the position (the cycle is over)")
        if self.positions:
            self.close_all(reason)

    def _day_over(self, day: _Day, reason: str) -> None:
        day.over = True
        self._cancel_waiting(f"{reason}: the day is over")  # no waiting leg or re-entry opens after it
        if self.positions:
            self.close_all(reason)


class LegStrikes:
    """Mixin (before DslStrategy): the strike forms of issue 13 and the synthetic-futures ATM."""

    atm_source: ClassVar[str] = "spot"
    # the legs chosen so far at a leg-by-leg entry (optbt.dsl.legplan), which leg_one's strikes
    # cannot be handed: a leg placed by another reads that leg's contract from here
    _chosen: ClassVar[dict] = {}

    def strike_atm(self, ctx, offset: int = 0) -> float | None:
        if self.atm_source == "synthetic":
            atm = synthetic_atm(ctx)
            return None if atm is None else atm + offset * ctx.strike_step
        return super().strike_atm(ctx, offset)

    def straddle_premium(self, ctx) -> float:
        """The ``straddle`` value: the ATM straddle's premium now (NaN while not known)."""
        atm = self.strike_atm(ctx, 0)
        value = None if atm is None else straddle_premium(ctx, atm)
        return NAN if value is None else value

    def strike_steps(self, ctx, steps: Any) -> float | None:
        """``ATM + off``: a whole number of strike steps from ATM."""
        return self.strike_atm(ctx, self.lots_steps(steps))

    def strike_moneyness(self, ctx, opt_type: str, steps: Any, itm: bool) -> float | None:
        """``ITM n`` / ``OTM n``: n strike steps into / out of the money for the leg's option type."""
        return self.strike_atm(ctx, moneyness_offset(opt_type, self.lots_steps(steps), itm))

    @staticmethod
    def lots_steps(steps: Any) -> int:
        if isinstance(steps, float) and steps.is_integer():
            steps = int(steps)
        if isinstance(steps, bool) or not isinstance(steps, int):
            raise ValueError(f"strike steps must be a whole number, got {steps!r}")
        return steps

    def strike_premium_of(self, ctx, opt_type: str, mode: str, target: float,
                          expiry: str | None = None) -> float | None:
        """``premium ~ expression``: no strike while the target is not known or not above 0."""
        if not target > 0 or math.isinf(target):
            return None
        return self.strike_premium(ctx, opt_type, mode, target, expiry)

    def strike_straddle(self, ctx, multiple: float) -> float | None:
        """``ATM + k x straddle``: the listed strike nearest ATM + k × the ATM straddle's premium."""
        atm = self.strike_atm(ctx, 0)
        width = None if atm is None else straddle_premium(ctx, atm)
        return None if width is None else snap_strike(ctx, atm + multiple * width)

    def strike_from(self, ctx, pending: dict, key: str, points: float = 0.0) -> float | None:
        """``leg.strike + points``: the listed strike nearest that leg's strike + points (the leg
        chosen earlier on this tick, or the open position of that name, else the contract it held
        last in this cycle: a hedge opened by that leg's stop is placed by the strike it held)."""
        leg = pending.get(key) or self._chosen.get(key)
        if leg is None:
            trade = self.positions.get(key)
            leg = self.held_last(key) if trade is None else trade.leg
        return None if leg is None else snap_strike(ctx, leg.strike + points)

    def pending_price(self, ctx, pending: dict, key: str) -> float:
        """Another leg's price for a strike rule: the contract chosen for it on this tick (it opens
        at this tick's price), else the open position's; NaN when it has no live price."""
        leg = pending.get(key) or self._chosen.get(key)
        if leg is None:
            trade = self.positions.get(key)
            if trade is None:
                return NAN
            leg = trade.leg
        price = live_price(ctx, leg.strike, leg.opt_type, leg.instrument.expiry)
        return NAN if price is None else price
