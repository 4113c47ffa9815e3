"""Leg management for compiled .strat strategies: legs that open later, or again.

A file that uses any of ``reentry``, ``wait``, ``entry LEG at``, an ``open`` action,
``trailing ... after`` / ``every``, or reads ``leg.status`` / ``leg.reentries`` / ``leg.ltp``
compiles to a subclass of :class:`LegPlanStrategy`; every other file keeps
:class:`~optbt.dsl.runtime.DslStrategy` and pays nothing for what is here.

A leg is **due** at the entry (a plain leg), at its own time (``entry pe at 09:45``, a
*staggered* leg), when an ``open`` action runs (a *lazy* leg), or when a re-entry rule
fires. A due leg with a ``wait`` rule takes its *reference* (the price of the contract it
would open, strike chosen then) and opens once that price moved the given way by the given
amount; a due leg without one opens at once. Until it opens it is *waiting*
(``Strategy.legs_waiting``), which keeps the cycle open even with nothing open.

Per tick, while the cycle is open (after the entry tick):

1. per-leg stops, targets and trailing stops (``trailing ... every`` first moves the stop;
   ``trailing ... after`` starts to trail only once the move is reached), as in DslStrategy,
   with the ``on`` actions of each hit (an ``open`` action makes its leg due: it opens at 4);
   under ``square_off complete`` a hit first cancels every leg still waiting to open;
2. shifts, then the MTM rules (an MTM exit cancels every waiting leg);
3. re-entries: each leg a stop, target or trailing stop closed at this tick, if a
   ``reentry`` rule covers it (a leg's own rule before an each-leg rule) and its count is not
   used up, becomes due again: ``asap`` opens at once with the strike chosen now; ``cost``
   waits for the same contract's price to come back to the leg's first entry price (from
   the side it left it); ``momentum`` chooses the strike now, takes its price as the
   reference and waits for the leg's ``wait`` move; ``reverse`` opens the opposite side of
   the declared one;
4. waiting legs, in declaration order: a staggered leg whose time came, a premium move
   reached, a price back at cost: the leg opens at this tick's price.

No leg opens on the day's last tick, nor once the exit rule holds (``exit at``, ``exit
when``): it would be closed on the tick it opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from optbt.dsl.runtime import NAN, POSITION_EXITS, DslStrategy, num
from optbt.engine.context import BarContext
from optbt.engine.legwait import back_to_cost, premium_moved
from optbt.model.instrument import Leg
from optbt.model.levels import above, at_or_above, at_or_below, below


@dataclass
class Pending:
    """A leg waiting to open: for its time, a premium move, or its price back at cost."""

    why: str                      # "time" | "move" | "cost" | "now"
    reentry: bool = False
    reverse: bool = False
    leg: Leg | None = None        # the contract (move, cost); None: chosen when it opens
    ref: float | None = None      # move: the reference price
    cost: float = NAN             # cost: the price it waits for
    from_above: bool = True       # cost: left above the cost (a short leg's stop)
    since: int = -1               # cost: the tick it became due (it must come back: tried after it)


@dataclass
class LegState:
    """What a cycle remembers about one leg: its re-entries and its first entry price."""

    opened: bool = False
    reentries: int = 0
    counts: dict[str, int] = field(default_factory=dict)   # event -> re-entries it made
    first_mark: float | None = None                         # the cost a re-entry at cost waits for (of contract)
    contract: Leg | None = None                             # the contract it last held


# exits of the whole position end the cycle: no leg closed by them re-enters, no waiting leg opens
_POSITION_EXITS = POSITION_EXITS


class LegPlanStrategy(DslStrategy):
    """DslStrategy plus legs that open later (staggered, lazy, wait-and-trade) or again (re-entry)."""

    LEG_NAMES: ClassVar[tuple[str, ...]] = ()
    LAZY: ClassVar[tuple[str, ...]] = ()
    STRIKE_ORDER: ClassVar[tuple[str, ...]] = ()  # a leg after those its strike refers to; set when not LEG_NAMES
    position_exit = False  # set by PositionRules when a credit exit fires on this tick

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        cls._rank = {name: i for i, name in enumerate(cls.LEG_NAMES)}  # declaration order (rule_order)

    # -- what a compiled class fills in ------------------------------------------------------------
    def leg_one(self, ctx: BarContext, name: str) -> Leg | None:
        """The leg ``name`` as it would open now (its strike chosen now), or None."""
        return None

    def leg_times(self) -> dict[str, str]:
        return {}

    def leg_waits(self) -> dict[str, tuple[str, str, float]]:
        """leg -> (up | down, pct | pts, value)."""
        return {}

    def reentry_rules(self) -> list[tuple[str | None, str, str, bool, int]]:
        """(leg or None for each leg, event, asap | cost | momentum, reverse, max)."""
        return []

    def trail_rules(self) -> list[tuple]:
        """(leg or None, distance, every, by, after): each an (unit, value) pair or None, in the order
        written (a plain ``trailing ce 10%`` is (leg, distance, None, None, None) here when the file
        also trails after a move: the last trailing rule written for a leg runs)."""
        return []

    def __init__(self, /, **params: Any):
        super().__init__(**params)
        self._legs: dict[str, LegState] = {}
        self._closed_now: list[tuple[str, str, Any]] = []
        self._trails = self.trail_rules()

    # -- leg values ----------------------------------------------------------------------------------
    def leg_ltp(self, ctx: BarContext, key: str) -> float:
        """An open leg's price; a waiting leg's: the contract it waits on, else the one it would open now."""
        if key in self.positions:
            return num(ctx.ltp(key))
        if self.leg_status(ctx, key) != "waiting":
            return NAN
        pending = self.legs_waiting.get(key)
        leg = pending.leg if pending is not None and pending.leg is not None else self._leg_now(ctx, key)
        return NAN if leg is None else num(ctx.ltp(leg))

    def _leg_now(self, ctx: BarContext, key: str) -> Leg | None:
        """The contract a waiting leg would open at this tick. A leg placed by another
        (`short.strike - 100`) follows that leg's open or last contract, or the one it waits on;
        with none (before the entry), the legs it refers to are chosen at this tick first, as the
        entry chooses them: without them its price was never known and `entry when wing.ltp ...`
        never held."""
        leg = self.leg_one(ctx, key)
        if leg is not None:
            return leg
        saved = self._chosen
        chosen = dict(saved)
        for name, pending in self.legs_waiting.items():
            if pending.leg is not None and name not in chosen:
                chosen[name] = pending.leg
        self._chosen = chosen
        try:
            todo = [name for name in self.LEG_NAMES if name not in chosen and name not in self.positions
                    and self.held_last(name) is None and (name == key or name not in self.LAZY)]
            while todo:
                missing = [name for name in todo if not self._choose(ctx, name, chosen)]
                if key in chosen or len(missing) == len(todo):
                    return chosen.get(key)
                todo = missing
            return chosen.get(key)
        finally:
            self._chosen = saved

    def _choose(self, ctx: BarContext, name: str, chosen: dict) -> bool:
        leg = self.leg_one(ctx, name)
        if leg is not None:
            chosen[name] = leg
        return leg is not None

    def held_last(self, key: str) -> Leg | None:
        state = self._legs.get(key)
        return None if state is None else state.contract

    def leg_status(self, ctx: BarContext, key: str) -> str:
        if key in self.positions:
            return "open"
        state = self._legs.get(key)
        if key in self.legs_waiting or state is None or not state.opened:
            return "waiting"
        return "closed"

    def leg_reentries(self, ctx: BarContext, key: str) -> float:
        state = self._legs.get(key)
        return 0 if state is None else state.reentries

    # -- entry -----------------------------------------------------------------------------------------
    def entry(self, ctx: BarContext) -> None:
        try:
            if not self.entry_gate(ctx):
                return
            times, waits = self.leg_times(), self.leg_waits()
            now: dict[str, Leg] = {}
            later: dict[str, Pending] = {}
            # a leg whose strike or premium refers to another leg (`short.strike - 100`) reads the
            # contract chosen for that leg on this tick (_chosen, read by LegStrikes), so the legs
            # are chosen again while one more finds its strike: the one it refers to comes first
            chosen: dict[str, Leg] = {}
            self._chosen = chosen
            todo = [name for name in self.LEG_NAMES if name not in self.LAZY]
            while todo:
                missing = []
                for name in todo:
                    if name in times and ctx.time < times[name]:
                        later[name] = Pending("time")
                        continue
                    leg = self.leg_one(ctx, name)
                    if leg is None:
                        missing.append(name)
                        continue
                    chosen[name] = leg
                    if name in waits:
                        ref = ctx.ltp(leg)
                        if ref is None:
                            self.note_blocked(f"leg '{name}' waits on a premium move, but its price is not known yet")
                            return
                        later[name] = Pending("move", leg=leg, ref=ref)
                    else:
                        now[name] = leg
                if len(missing) == len(todo):
                    self.note_blocked("a leg's strike could not be chosen (no spot yet, or no listed strike fits)")
                    return
                todo = missing
            order = self.LEG_NAMES  # fills and waits in declaration order, however they were chosen
            now = {name: now[name] for name in order if name in now}
            later = {name: later[name] for name in order if name in later}
            if now:
                filled = self.try_fill(now)
                if not filled:
                    return
            elif later:
                filled = {}
                self.start_waiting()
            else:
                return
            self._legs = {name: LegState() for name in self.LEG_NAMES}
            self._late_legs = False  # this cycle's legs open in declared order until one opens late
            self._premium = 0.0
            self._peak_mtm = None
            self.legs_waiting.update(later)
            for trade in filled.values():
                self._opened(trade)
        except Exception as exc:
            self._failed(exc, ctx)
        finally:
            self._chosen = {}

    def _opened(self, trade) -> None:
        if trade.entry_reason != "reentry":  # the MTM % rules' premium: the cycle's legs, each once
            self._premium += trade.entry_price * trade.qty * trade.lot_size
        state = self._legs.setdefault(trade.key, LegState())
        mark = trade.entry_mark if trade.entry_mark is not None else trade.entry_price
        # the cost a re-entry at cost waits for is the first price of the contract the leg holds:
        # an asap re-entry at a new ATM holds another contract, whose price the first never was
        if not state.opened or state.contract is None or state.contract.instrument != trade.leg.instrument:
            state.first_mark = mark
        state.opened = True
        state.contract = trade.leg
        self._arm_trade(trade)

    def _shifted(self, trade) -> None:
        """A shifted leg holds another contract now: a re-entry at cost waits for that contract's
        price to come back to the shift's own fill (the first leg's price is another contract's)."""
        super()._shifted(trade)
        state = self._legs.get(trade.key)
        if state is not None:
            state.first_mark = trade.entry_mark if trade.entry_mark is not None else trade.entry_price
            state.contract = trade.leg

    # -- stops: trailing after a move, trailing in steps ----------------------------------------
    def _arm(self, trade) -> None:
        super()._arm(trade)
        mark = trade.entry_mark if trade.entry_mark is not None else trade.entry_price
        for leg, distance, every, by, after in self._trails:
            if leg is not None and leg != trade.key:
                continue
            extra = trade.extra
            if every is None:  # trailing DISTANCE after MOVE: trails once the move is reached
                extra["trail"] = distance
                extra["best"] = mark
                if after is None:  # a plain trailing stop written after one: it replaces it
                    extra.pop("trail_after", None)
                else:
                    extra["trail_after"] = self._distance(mark, after[0], after[1], trade)
            else:  # trailing every STEP by MOVE [after FIRST]: moves the stop in whole steps
                step = self._distance(mark, every[0], every[1], trade)
                first = step if after is None else self._distance(mark, after[0], after[1], trade)
                extra["step"] = (step, self._distance(mark, by[0], by[1], trade), first, extra.get("stop"), mark)

    def _hit(self, rule: str, trade, price: float) -> bool:
        extra = trade.extra
        short = trade.leg.side == "SELL"
        if rule == "stop_loss" and "step" in extra:
            self._step_stop(extra, price, short)
        elif rule == "trailing" and "trail_after" in extra:
            mark = extra["best"]
            moved = mark - price if short else price - mark
            if not at_or_above(moved, extra["trail_after"]):
                return False
            del extra["trail_after"]  # reached: from here on a plain trailing stop from this price
            extra["best"] = price
        return super()._hit(rule, trade, price)

    @staticmethod
    def _step_stop(extra: dict, price: float, short: bool) -> None:
        """Move the stop ``by`` for each step reached since the last one, from where the stop is
        now: after a ``move ... stop to cost`` the next step moves it on from the cost (counted
        from the first stop, it stayed at the cost until the steps passed it)."""
        step, by, first, base, mark = extra["step"]
        if base is None:
            return
        moved = mark - price if short else price - mark
        if not at_or_above(moved, first):
            return
        steps = 1 + int((moved - first) / step + 1e-9)
        done = extra.get("steps_done", 0)
        if steps > done:
            extra["steps_done"] = steps
            extra["stop"] -= (steps - done) * by if short else -(steps - done) * by

    # -- a tick ------------------------------------------------------------------------------------------
    def close(self, key: str, reason: str = "exit"):
        trade = super().close(key, reason)
        self._closed_now.append((key, reason, trade))
        return trade

    def adjust(self, ctx: BarContext) -> None:
        self._closed_now = []
        self.position_exit = False
        super().adjust(ctx)
        try:
            closed, self._closed_now = self._closed_now, []
            day = getattr(self, "_position_day", None)  # PositionRules' day: over once an overall rule fired
            if any(reason in _POSITION_EXITS for _, reason, _ in closed) or self.position_exit or \
                    (day is not None and day.day == ctx.day and day.over):
                # a position exit ends the cycle (an overall one the day): nothing opens again, not
                # even a re-entry of a leg whose own stop closed it on the tick the exit fired
                # (a credit exit may fire with nothing left open: position_exit)
                if self.legs_waiting:
                    why = next((r for _, r, _ in closed if r in _POSITION_EXITS), None)
                    self._cancel_waiting(f"{why} closed the position (the cycle is over)" if why else
                                         "the position's exit ended the cycle")
                return
            for key, reason, trade in closed:
                self._schedule_reentry(ctx, key, reason, trade)
            if self.legs_waiting:
                self._open_due(ctx)
        except Exception as exc:
            self._failed(exc, ctx)

    def _rule_hit(self, ctx: BarContext, key: str, rule: str) -> None:
        """Under ``square_off complete`` a hit ends the position: the legs still waiting to open
        in this cycle (staggered, wait-and-trade, lazy, a pending re-entry) are cancelled before
        the open legs close. Before, a staggered leg opened after the stop that was to end
        everything and ran to the exit alone. The legs the hit closes follow their re-entry
        rules (scheduled after the tick's rules) and its ``on`` actions run, as before.

        A leg a ``close`` action closes (``on stop_loss(ce): close pe``) hit nothing itself: it
        does not re-enter (its exit reason stays the event's). Before, it was taken for a leg
        stopped on its own and sold again at once: the close did nothing but pay the spread twice."""
        if self.square_off == "complete":
            if self.legs_waiting:
                self._cancel_waiting(f"square_off complete after {key}'s {rule} at {ctx.time}")
            self.close_all(rule)
        else:
            self.close(key, rule)
        done = len(self._closed_now)
        self.on_event(ctx, rule, key)
        closed = self._closed_now
        for i in range(done, len(closed)):  # closed by an action of this hit: no re-entry
            closed[i] = (closed[i][0], "action", closed[i][2])

    def _cancel_waiting(self, why: str) -> None:
        """Cancel every leg still waiting to open in this cycle, each said to ``note_cancelled``
        (``--trace`` shows it: the user looking for the leg that never opened finds why)."""
        for name, pending in self.legs_waiting.items():
            self.note_cancelled(name, self._waiting_for(name, pending), why)
        self.legs_waiting.clear()

    def note_cancelled(self, leg: str, waiting: str, why: str) -> None:
        """Leg ``leg``, not open yet (``waiting``: what it waited for), will not open in this
        cycle, because ``why``. Nothing to do here: ``--trace`` records it (optbt.engine.trace)."""

    def _waiting_for(self, name: str, pending: Pending) -> str:
        """What a waiting leg waits for, in words (the trace's note of a cancelled leg)."""
        again = "re-entry " if pending.reentry else ""
        if pending.why == "time":
            return f"due at {self.leg_times().get(name, '?')}"
        if pending.why == "move":
            wait = self.leg_waits().get(name)
            move = "" if wait is None else f" {wait[0]} {wait[2]:g}{' %' if wait[1] == 'pct' else ' pts'}"
            return f"{again}waiting for its price to move{move}"
        if pending.why == "cost":
            return f"{again}waiting for its price back at cost {pending.cost:g}"
        return f"{again}due, not filled yet"

    def _reentry_for(self, key: str, event: str):
        found = None
        for rule in self.reentry_rules():
            if rule[1] != event:
                continue
            if rule[0] == key:
                return rule
            if rule[0] is None:
                found = rule
        return found

    def _schedule_reentry(self, ctx: BarContext, key: str, event: str, trade) -> None:
        rule = self._reentry_for(key, event)
        state = self._legs.get(key)
        if rule is None or state is None or key in self.legs_waiting:
            return
        _, _, how, reverse, limit = rule
        if state.counts.get(event, 0) >= limit:
            return
        state.counts[event] = state.counts.get(event, 0) + 1
        if how == "asap":
            self.legs_waiting[key] = Pending("now", reentry=True, reverse=reverse)
        elif how == "cost":
            leg = trade.leg
            side = _opposite(self._declared_side(ctx, key, leg)) if reverse else self._declared_side(ctx, key, leg)
            cost = state.first_mark if state.first_mark is not None else trade.entry_price
            mark = ctx.ltp(leg)
            left = trade.exit_price if mark is None else mark
            self.legs_waiting[key] = Pending("cost", reentry=True, reverse=reverse,
                                             leg=Leg(leg.instrument, side, leg.qty), cost=cost,
                                             from_above=_left_above(left, cost, event, leg.side), since=ctx.tick)
        else:  # momentum: the strike chosen now, its price now is the reference
            self.legs_waiting[key] = Pending("move", reentry=True, reverse=reverse, leg=self.leg_one(ctx, key))
            pending = self.legs_waiting[key]
            pending.ref = None if pending.leg is None else ctx.ltp(pending.leg)

    def _declared_side(self, ctx: BarContext, key: str, leg: Leg) -> str:
        declared = self.leg_one(ctx, key)
        return leg.side if declared is None else declared.side

    def open_leg(self, ctx: BarContext, name: str) -> None:
        """The ``open LEG`` action: the leg becomes due now (it waits first if it has a wait rule).
        It opens with the tick's other due legs, after the position's exits (adjust): an MTM
        rule, credit exit or overall stop firing on the tick of the stop that runs the action
        cancels it. Opened at once, a hedge was bought and sold back on that tick at one price."""
        if name in self.positions or name in self.legs_waiting:
            return
        self._legs.setdefault(name, LegState())
        self.legs_waiting[name] = Pending("now")

    def _open_due(self, ctx: BarContext) -> None:
        if not self.may_open(ctx):
            return  # it would be closed on the tick it opened
        times, waits = self.leg_times(), self.leg_waits()
        # a leg placed by another (`short.strike - 100`) opens after it, whatever the declared
        # order: due on one tick, the wing follows the short's new strike, not the one it held
        for name in self.STRIKE_ORDER or self.LEG_NAMES:
            pending = self.legs_waiting.get(name)
            if pending is None:
                continue
            if pending.why == "time":
                if ctx.time < times[name]:
                    continue
                pending.why = "now"
            if pending.why == "now" and name in waits and not pending.reentry:
                leg = self.leg_one(ctx, name)  # due now: it waits on a move from this price
                pending.why, pending.leg = "move", leg
                pending.ref = None if leg is None else ctx.ltp(leg)
                continue
            if pending.why == "now":
                leg = self.leg_one(ctx, name)
                if leg is not None and pending.reverse:
                    leg = Leg(leg.instrument, _opposite(leg.side), leg.qty)
            elif pending.why == "move":
                if pending.leg is None:
                    pending.leg = self.leg_one(ctx, name)
                    continue
                price = ctx.ltp(pending.leg)
                if pending.ref is None:
                    pending.ref = price
                    continue
                direction, unit, value = waits[name]
                if not premium_moved(price, pending.ref, direction, unit, value):
                    continue
                leg = pending.leg
                if pending.reverse:
                    leg = Leg(leg.instrument, _opposite(leg.side), leg.qty)
            else:  # cost: from the tick after the exit (a stop at cost is at cost on its own tick)
                if ctx.tick <= pending.since or not back_to_cost(ctx.ltp(pending.leg), pending.cost,
                                                                 pending.from_above):
                    continue
                leg = pending.leg
            if leg is None:
                continue
            filled = self.try_fill({name: leg}, reason="reentry" if pending.reentry else "entry")
            if not filled:
                continue
            del self.legs_waiting[name]
            if pending.reentry:
                self._legs[name].reentries += 1
            self._late_legs = True
            self._opened(filled[name])

    def on_exit(self, ctx: BarContext) -> None:
        self._legs = {}


def _left_above(price: float, cost: float, event: str, side: str) -> bool:
    """Whether a leg closed at ``price`` left its cost from above (it waits to come back down).
    A price at the cost (a stop moved to cost, a stepped stop at it) left the way the exit moved
    it: a short leg's stop or trailing stop up, its target down; a long leg's the other way."""
    if above(price, cost):
        return True
    if below(price, cost):
        return False
    return (event == "target") == (side == "BUY")


def _opposite(side: str) -> str:
    return "BUY" if side == "SELL" else "SELL"


__all__ = ["LegPlanStrategy", "Pending", "LegState", "at_or_below"]
