"""``--trace DAY``: a record of every decision on a day, to answer "why didn't my trade happen?".

Zero cost on days that are not traced: nothing here runs. On a traced day the engine builds a
:class:`Tracer`, which wraps the strategy's decision points *on that instance only* (instance
attributes shadowing the class's methods) and removes the wrappers at day end:

- ``try_fill``: each leg's instrument, side, price, lag and why it is unusable; filled or not;
- ``close``: the exit's price, lag, reason and — for a stop or target — its level;
- ``exit_check``: its answer on every tick a position is open;
- ``note_blocked``: an entry the strategy did not try, and why (no strike, exit rule holds);
- ``note_cancelled``: a leg not open yet that will not open in this cycle (a staggered leg
  cancelled by a stop under ``square_off complete``), what it waited for and why;
- ``no_entry``: at the end of a day without an entry, why the strategy's times kept it from being
  tried (a range, an entry window or time outside the session: ``DayRun.window_notes``);
- ``time_warning``: at the end of any day, a staggered leg or an exit time the session never
  reaches (``DayRun.time_notes``);
- for compiled .strat strategies (found by their method names): the entry condition
  (``entry_ready``), every stop / target / trailing check with
  its price and level (``_hit``) and every MTM check with the MTM and its limits (``_check_mtm``).

A record is a plain dict: ``day``, ``time``, ``tick``, ``kind`` and the kind's fields. The
results layer writes them to ``trace.jsonl`` and draws the timeline (``optbt.results.trace``).
``time`` is the tick's exact time: ``09:20`` on a whole minute (a minute clock reads as it
always has), ``09:20:00.3`` for a tick between the minutes, so that the many ticks of one
minute on a tick clock are told apart (``ctx.time`` stays ``HH:MM`` for strategies).
"""

from __future__ import annotations

import math
from typing import Any

from optbt.engine.days import listed
from optbt.model.instrument import Leg
from optbt.model.timestamps import clock_time


def _num(x: Any) -> Any:
    """A float for JSON: NaN (a value not known yet) becomes None."""
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def absent(day) -> dict:
    """The record for a traced day that is not in the run's days at all."""
    return {"day": day.isoformat(), "time": "", "tick": None, "kind": "absent",
            "note": "no spot and no option rows on this day in the run's range"}


def skip_record(row) -> dict:
    return {"day": row.day.isoformat(), "time": "", "tick": None, "kind": "skip",
            "reason": row.skip_reason, "note": row.note}


def exact_times(run) -> list[str]:
    """Each tick's time as a trace shows it (see the module's docstring); the day's own
    ``times`` when the clock's ticks are not datetimes."""
    ticks = run.ticks
    if not ticks or not hasattr(ticks[0], "hour"):
        return run.times
    return [clock_time(t) for t in ticks]


class Tracer:
    """Wraps one strategy instance's decision points for one day and records what they decide."""

    def __init__(self, run, strategy, sink: list[dict]):
        self.run = run
        self.strategy = strategy
        self.sink = sink
        self.times = exact_times(run)
        self.entry_end = run.last
        self._installed: list[str] = []
        for name in ("try_fill", "close", "exit_check", "note_blocked", "entry_ready", "_hit", "_check_mtm",
                     "note_cancelled"):
            if name in vars(strategy) or not callable(getattr(type(strategy), name, None)):
                continue  # only methods of the class: an attribute the user set is left alone
            original = getattr(strategy, name)
            if original is not None:
                setattr(strategy, name, getattr(self, "_" + name.lstrip("_"))(original))
                self._installed.append(name)
        if "_hit" in self._installed and hasattr(type(strategy), "_inline_hit"):
            # a compiled strategy tests stops and targets inline for speed; traced, every level
            # check goes through _hit so that each one is recorded
            strategy._inline_hit = False
            self._installed.append("_inline_hit")

    def note(self, kind: str, **fields: Any) -> None:
        run = self.run
        self.sink.append({"day": run.day.isoformat(), "time": self.times[run.tick], "tick": run.tick,
                          "kind": kind, **fields})

    def start(self, entry_end: int, deadline: str | None) -> None:
        run = self.run
        times = self.times
        self.entry_end = entry_end
        self.note("day", spot=run.spot[0], atm=run.atm_at(0, checked=False), expiry=run.expiry.isoformat(),
                  ticks=len(run.ticks), first=times[0], last=times[-1],
                  entry_until=times[entry_end] if entry_end < run.last else None,
                  exit_time=deadline)

    def uninstall(self) -> None:
        run = self.run
        if not run.cycles and self.entry_end < run.last and not self.strategy.positions:
            tick, run.tick = run.tick, self.entry_end
            self.note("entry_closed", note=f"no entry at or after {self.times[self.entry_end]} "
                                           "(the strategy's exit time)")
            run.tick = tick
        if not run.cycles:  # a range or an entry time outside the session, as the day's note says
            for why in run.window_notes:
                self.note("no_entry", note=why)
        for why in run.time_notes:  # a staggered leg or an exit time the session never reaches
            self.note("time_warning", note=why)
        for name in self._installed:
            self.strategy.__dict__.pop(name, None)
        self._installed = []

    # -- the wrappers ------------------------------------------------------------------------------
    def _leg_view(self, key: str, leg: Any) -> dict:
        if not isinstance(leg, Leg):
            return {"key": key, "why": "not a Leg"}
        run = self.run
        q = run.fill_quote(leg.instrument, leg.side)
        view = {"key": key, "instrument": str(leg.instrument), "side": leg.side,
                "price": None if q is None else q[0], "lag": None if q is None else q[1], "usable": True}
        if q is None:
            view.update(usable=False, why="no price yet today" if listed(run, leg.instrument)
                        else "not listed today (no such strike for its expiry)")
        elif q[1] > run.max_lag:
            view.update(usable=False, why=f"price is {q[1]} ticks old (entry_max_lag={run.max_lag})")
        return view

    def _try_fill(self, original):
        def try_fill(legs, reason: str = "entry"):
            pairs = (list(legs.items()) if isinstance(legs, dict)
                     else [(f"leg{n + 1}", leg) for n, leg in enumerate(legs)] if isinstance(legs, (list, tuple))
                     else [])
            views = [self._leg_view(k, leg) for k, leg in pairs]
            filled = original(legs, reason)
            if filled:
                book = self.run.greek_book  # a strategy that reads greeks: its fills show IV and delta
                for key, trade in filled.items():
                    greeks = {}
                    if book is not None:
                        g = book.at(trade.leg.instrument, self.run.tick)
                        greeks = {"iv": None if g is None else round(g.iv, 6),
                                  "delta": None if g is None else round(g.delta, 6)}
                    self.note("fill", key=key, instrument=str(trade.leg.instrument), side=trade.leg.side,
                              price=trade.entry_price, lag=trade.entry_lag, reason=reason, **greeks)
            else:
                self.note("entry_blocked" if reason == "entry" else reason + "_blocked", legs=views)
            return filled
        return try_fill

    def _close(self, original):
        def close(key: str, reason: str = "exit"):
            trade = self.strategy.positions.get(key)
            extra = dict(trade.extra) if trade is not None else {}
            done = original(key, reason)
            level = extra.get({"stop_loss": "stop", "target": "target"}.get(reason, ""))
            self.note("exit", key=key, instrument=str(done.leg.instrument), price=done.exit_price,
                      lag=done.exit_lag, reason=reason, level=_num(level), pnl=done.pnl)
            return done
        return close

    def _exit_check(self, original):
        def exit_check(ctx):
            result = original(ctx)
            self.note("exit_check", result=bool(result), spot=ctx.spot)
            return result
        return exit_check

    def _entry_ready(self, original):
        def entry_ready(ctx):
            result = original(ctx)
            self.note("entry_condition", result=bool(result), spot=ctx.spot, atm=ctx.atm, dte=ctx.dte)
            return result
        return entry_ready

    def _note_blocked(self, original):
        def note_blocked(why: str) -> None:
            original(why)
            self.note("entry_not_tried", note=why, spot=self.run.spot[self.run.tick])
        return note_blocked

    def _note_cancelled(self, original):
        def note_cancelled(leg: str, waiting: str, why: str) -> None:
            original(leg, waiting, why)
            self.note("cancelled", key=leg, waiting=waiting, note=why)
        return note_cancelled

    def _hit(self, original):
        strategy = self.strategy

        def hit(rule: str, trade, price: float) -> bool:
            result = original(rule, trade, price)
            extra = trade.extra
            if rule == "stop_loss" and "stop" in extra:
                level = extra["stop"]
            elif rule == "target" and "target" in extra:
                level = extra["target"]
            elif rule == "trailing" and "trail" in extra:
                unit, value = extra["trail"]
                short = trade.leg.side == "SELL"
                level = strategy._level(extra["best"], unit, value, trade, 1 if short else -1)
            else:
                return result
            self.note("rule", rule=rule, key=trade.key, side=trade.leg.side, price=price,
                      level=_num(level), result=bool(result))
            return result
        return hit

    def _check_mtm(self, original):
        strategy = self.strategy

        def check_mtm(ctx):
            mtm = ctx.mtm
            limits = {}
            for rule, unit, value in strategy.mtm_rules():
                limit = value if unit == "money" else strategy._premium * value / 100
                limits[rule] = -limit if rule == "mtm_stop" else limit
            before = len(strategy.positions)
            result = original(ctx)
            if limits or strategy.trail_mtm() is not None:
                self.note("mtm", mtm=round(mtm, 6), limits=limits, peak=strategy._peak_mtm,
                          result=len(strategy.positions) < before)
            return result
        return check_mtm
