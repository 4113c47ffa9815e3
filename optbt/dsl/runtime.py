"""The runtime every compiled .strat strategy stands on: the language's semantics, in one place.

A compiled class declares its parameters and a few small methods (which legs, when to enter,
which per-leg rules, what happens on an event, when to exit); this base class turns them into
``entry`` / ``adjust`` / ``exit_check`` on the engine. Per tick, while a position is open:

1. per-leg stop losses, then targets, then trailing stops (in leg order); a hit closes that
   leg (``square_off partial``, the default) or everything (``complete``) at this tick's
   price, then runs the ``on`` actions for it;
2. shifts (close the leg, open the same leg at the new strike; not on the day's last tick
   nor once the exit rule holds, where the new leg would close on the tick it opened; the new
   leg opens after step 3 and the position rules, and not when they exit the position);
3. overall MTM stop, MTM target, trailing MTM (close everything);
4. the time exit and ``exit when`` (the engine closes everything, reason ``exit``).

A file with credit exits, an overall stop / target or a lock also takes the mixin
``optbt.dsl.position.PositionRules``, which checks them after step 3 (see that module).

Stops and targets are measured on the leg's price at the tick (the close, or the mid for quote
data) against the leg's price at entry (its *mark*; for close data the fill price itself). A
price equal to its level triggers: every comparison uses ``optbt.model.levels`` (a tolerance
of 1e-9 + 1e-9 × |level|, so ``(2.40 + 2.80) / 2`` reaches a 2.60 stop).
A value not known yet (no spot, no price) makes a condition false, never an error; so does a
division by zero (``nz``) and any other arithmetic fault (the hooks catch ``ArithmeticError``
around the conditions: the condition is false for that tick).

Any other failure inside a hook is reported against the .strat file: ``FILE.strat:LINE:COL:
<the statement as written>: <what went wrong>`` (the class's ``__strat_map__``, set when it is
loaded, maps the generated lines to the statements; the generated line is kept in the error's
``detail`` for ``optbt run --verbose``).
"""

from __future__ import annotations

import math
import traceback
from bisect import bisect_left
from typing import Any, ClassVar

from optbt.dsl.market import MarketMixin
from optbt.dsl.never_fires import run_warnings
from optbt.dsl.param_rules import broken
from optbt.engine.context import BarContext
from optbt.engine.dayrun import NoExpiry
from optbt.engine.strategy import Strategy, coerce
from optbt.model.errors import DataError, StrategyError, did_you_mean
from optbt.model.levels import above, at_level, at_or_above, at_or_below, below
from optbt.model.strikes import otm_strike

# the mixins of the position-level constructs (issue 13), imported by compiled classes from here
from optbt.dsl.position import LegStrikes, PositionRules  # noqa: E402,F401

NAN = float("nan")
# per-leg rules in the order a tick checks them, and the field _arm sets on a leg that has one
_LEG_RULES = (("stop_loss", "stop"), ("target", "target"), ("trailing", "trail"))
_STOPS_ONLY = _LEG_RULES[:1]  # the rule kinds in use when legs have stops and nothing else
MAX_VALUE = 1e15  # the language's number limit (optbt.dsl.limits.MAX_NUMBER), for --param values too
MAX_LOTS = 100_000  # optbt.dsl.limits.MAX_QTY


def num(x: Any) -> float:
    """None (not known yet) becomes NaN, so every comparison with it is false."""
    return NAN if x is None else x


def nz(x: Any) -> Any:
    """A divisor: zero becomes NaN, so ``a / nz(0)`` is NaN (unknown) instead of an error."""
    return NAN if x == 0 else x


def ne(a: Any, b: Any) -> bool:
    """``a != b``, but false when either side is NaN (not known): unknown never makes a condition true."""
    return a != b and a == a and b == b


# Comparisons of numbers in conditions (the compiler writes ``a < b`` as ``lt(a, b)``, and so
# on): with the tolerance of optbt.model.levels, so a price equal to a level in decimal is
# equal to it whatever binary rounding made of it (``(2.40 + 2.80) / 2 < 2.6`` is false).
# Each is false when a side is not known (NaN). Words, statuses and times compare exactly.
# The levels' own functions under the operators' names (no extra call in a tick's conditions).
lt, le, gt, ge, eq = below, at_or_below, above, at_or_above, at_level


def neq(a: float, b: float) -> bool:
    """``a != b`` of numbers: apart by more than the tolerance, both known (``ne`` is the exact
    one, for words and statuses)."""
    return above(a, b) or below(a, b)


class StratRunError(StrategyError):
    """A compiled strategy failed at run time; the message points at the .strat statement."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


# exits of the whole position (MTM rules, credit exits, the day's overall stop/target/lock): they end
# the cycle, so nothing opens after them on their tick (a shift's new leg; legplan: re-entries, waits)
POSITION_EXITS = frozenset(("mtm_stop", "mtm_target", "trail_mtm", "credit_stop", "credit_target",
                            "overall_stop", "overall_target", "lock"))


class DslStrategy(MarketMixin, Strategy):
    """Base class of compiled .strat strategies (see the module docstring for the semantics)."""

    _late_legs = False  # a leg opened after the others this cycle (a shift, legplan): positions is not in declared order
    _rank: ClassVar[dict[str, int]] = {}  # leg -> its declared place (rule_order); set at the entry

    square_off: ClassVar[str] = "partial"
    # set by the PositionRules mixin: checked after the MTM rules, before legs open again (legplan)
    _position_check: ClassVar[Any] = None
    # the per-leg rule kinds armed so far (an instance replaces these on its first fill)
    _fields_seen: ClassVar[frozenset] = frozenset()
    _rule_order: ClassVar[tuple] = ()
    _inline_hit: ClassVar[bool] = True  # False in a subclass with its own _hit (legplan's stepped stops)
    _stops_only = False  # adjust()'s short path applies (see _note_fields)
    _plain_legs = False  # set in __init__: nothing on a tick but the legs' own rules

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._inline_hit = cls._hit is DslStrategy._hit
    entry_until: ClassVar[str | None] = None  # entries are guarded by the exit rules instead (entry)
    SWEEP: ClassVar[dict[str, list]] = {}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}
    PARAM_ATTRS: ClassVar[dict[str, str]] = {}   # parameter -> attribute, where Python needed a new name
    PARAM_RULES: ClassVar[dict[str, tuple]] = {}  # parameter -> ((rule, what), ...): see optbt.dsl.param_rules

    @classmethod
    def param_refusal(cls, name: str, value: Any) -> str | None:
        rules = cls.PARAM_RULES.get(name)
        return broken({name: rules}, {name: value}) if rules else None

    def __init__(self, /, **params: Any):
        attrs = self.PARAM_ATTRS
        if attrs:  # parameters are set by their .strat names; a few live under another attribute
            super().__init__(**({"max_cycles": params["max_cycles"]} if "max_cycles" in params else {}))
            declared = type(self).parameters()
            for name, value in params.items():
                if name == "max_cycles":
                    continue
                if name not in declared:
                    raise ValueError(f"{type(self).__name__} has no parameter '{name}'"
                                     f"{did_you_mean(name, declared)}; parameters: {', '.join(declared)}")
                setattr(self, attrs.get(name, name), coerce(value, declared[name][0], name))
        else:
            super().__init__(**params)
        for name, options in self.CHOICES.items():
            value = getattr(self, attrs.get(name, name))
            if value not in options:
                raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")
        for name in type(self).parameters():
            value = getattr(self, attrs.get(name, name))
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(value) <= MAX_VALUE:
                raise ValueError(f"{name}: {value!r} is out of range (numbers are finite, at most {MAX_VALUE:,.0f})")
        if self.PARAM_RULES:  # --param/--grid values the file's own checks never saw
            why = broken(self.PARAM_RULES, {n: getattr(self, attrs.get(n, n)) for n in type(self).parameters()})
            if why is not None:
                raise ValueError(why)
        self._premium = 0.0
        self._peak_mtm: float | None = None
        self._moved_now: set[str] = set()  # legs whose stop an action moved on this tick (_moved_stops)
        # what adjust() needs to look at, fixed once the parameters are set: a file without
        # shifts or MTM rules pays nothing for them on a tick
        cls = type(self)
        self._shifts = cls.shift_rules is not DslStrategy.shift_rules
        self._mtm = bool(self.mtm_rules()) or self.trail_mtm() is not None
        # anything after the legs' own rules (shifts, MTM rules, the position's exits): a file
        # with none (a straddle with stops) ends its tick after the legs
        self._after_legs = self._shifts or self._mtm or cls._position_check is not None
        self._signals = bool(cls.TRACKED or cls.WATCHED)  # x[n], crosses, indicators: once per tick
        # nothing on a tick but the legs' own rules: with stops alone armed (_stops_only, set when
        # the rule kinds in use change) and compared inline (_inline_hit), adjust() takes its short path
        self._plain_legs = not (self._signals or self._after_legs)

    @classmethod
    def parameters(cls) -> dict[str, tuple[Any, Any]]:
        """Declared parameters by their .strat names (an attribute renamed for Python is mapped back)."""
        found = super().parameters()
        if not cls.PARAM_ATTRS:
            return found
        back = {attr: name for name, attr in cls.PARAM_ATTRS.items()}
        return {back.get(attr, attr): value for attr, value in found.items()}

    def params(self) -> dict[str, Any]:
        attrs = self.PARAM_ATTRS
        values = {name: getattr(self, attrs.get(name, name)) for name in type(self).parameters()}
        values["max_cycles"] = self.max_cycles
        return values

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
        if ctx.atm is None:  # no spot yet; ctx.atm refuses a spot off the strikes' scale, as for ATM
            return None
        return otm_strike(ctx.spot, pct, opt_type, ctx.strike_step, tuple(ctx.chain()))

    def strike_premium(self, ctx: BarContext, opt_type: str, mode: str, target: float,
                       expiry: str | None = None) -> float | None:
        """``premium ~ 50`` / ``>=`` / ``<=``: by live price at the tick, among the strikes of the
        leg's own expiry (None: the strategy's)."""
        return ctx.strike_by_premium(opt_type, target, {"~": "closest", ">=": "ge", "<=": "le"}[mode], expiry)

    def strike_delta(self, ctx: BarContext, opt_type: str, mode: str, target: float,
                     expiry: str | None = None) -> float | None:
        """``delta 0.16`` / ``delta >= 0.16`` / ``delta <= 0.16``: by |delta| at the tick, live strikes only."""
        return ctx.strike_by_delta(opt_type, target, {"~": "closest", ">=": "ge", "<=": "le"}[mode], expiry)

    @staticmethod
    def lots_of(qty: Any) -> int:
        """A quantity worked out from an expression: a whole number of lots, from 1 to 100,000."""
        if isinstance(qty, float) and qty.is_integer():
            qty = int(qty)
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_LOTS:
            raise ValueError(f"the quantity is {qty!r}, not a whole number of lots from 1 to {MAX_LOTS:,}")
        return qty

    # -- leg values used by compiled expressions -------------------------------------------------
    def leg_ltp(self, ctx: BarContext, key: str) -> float:
        return num(ctx.ltp(key)) if key in self.positions else NAN

    def leg_entry_price(self, ctx: BarContext, key: str) -> float:
        trade = self.positions.get(key)
        return NAN if trade is None else trade.entry_price

    def leg_pnl(self, ctx: BarContext, key: str) -> float:
        return ctx.pnl(key) if key in self.positions else NAN

    def _greek(self, ctx: BarContext, key: str, name: str) -> float:
        """An open leg's greek at the tick (optbt.engine.greeks); NaN when not open or not known."""
        if key not in self.positions:
            return NAN
        g = ctx.greeks(key)
        return NAN if g is None else getattr(g, name)

    def leg_iv(self, ctx: BarContext, key: str) -> float:
        return self._greek(ctx, key, "iv") * 100  # a percentage in the language: ce.iv > 30%

    def leg_delta(self, ctx: BarContext, key: str) -> float:
        return self._greek(ctx, key, "delta")

    def leg_gamma(self, ctx: BarContext, key: str) -> float:
        return self._greek(ctx, key, "gamma")

    def leg_theta(self, ctx: BarContext, key: str) -> float:
        return self._greek(ctx, key, "theta")

    def leg_vega(self, ctx: BarContext, key: str) -> float:
        return self._greek(ctx, key, "vega")

    # -- why a day had no entry --------------------------------------------------------------------
    def _session_notes(self, open_: str, close: str, times: list[str], entry_end: int) -> list[str]:
        """Why the file's own times keep today's entry from ever being tried, for the day's note
        (the engine asks on a day without an entry: ``optbt.engine.days.note_session_times``).
        ``entry between 09:16 and 09:25`` on a session opening at 09:30 never holds, and the note
        said only that the entry condition never held. The times are the file's
        (``__strat_times__``, set when it is loaded), a parameter's read on this instance; the
        ticks tried are ``times[:entry_end]`` (none on the day's last)."""
        spec = getattr(type(self), "__strat_times__", None)
        tried = times[:entry_end]
        if not spec or not tried:
            return []
        first, last = tried[0], tried[-1]
        value, named = self._time_value, self._time_params
        end_tick = f" (none is tried on the day's last tick, {times[-1]})" if entry_end == len(times) - 1 else ""
        out = []
        if "between" in spec:
            start, end = (value(r) for r in spec["between"])
            window = f"the entry window {start}–{end}{named(*spec['between'])}"
            if not any(start <= t <= end for t in tried):
                if end < open_:
                    out.append(f"{window} ends before the session's open {open_}: no entry is tried in it "
                               "(move it inside the session)")
                elif start > close:
                    out.append(f"{window} starts after the session's close {close}: no entry is tried in it "
                               "(move it inside the session)")
                else:
                    out.append(f"{window} holds none of the ticks on which an entry is tried, {first} to {last}"
                               f"{end_tick if end >= times[-1] else ''}")
        if "at" in spec:
            at = value(spec["at"])
            what = f"the entry time {at}{named(spec['at'])}"
            if at > last:
                out.append(f"{what} is after the session's close {close}: no entry is tried (move it inside the "
                           "session)" if at > close else
                           f"{what} is after the last tick on which an entry is tried, {last}{end_tick}")
        for ref in spec.get("exit", ()):
            at = value(ref)
            if at <= first:
                where, fix = ((f"the session's open {open_}", " (move it inside the session)") if at <= open_
                              else (f"the session's first tick {first}", ""))
                out.append(f"the exit time {at}{named(ref)} is at or before {where}: the exit rule holds from the "
                           f"first tick, so no entry is tried{fix}")
        return out

    def _time_value(self, ref: str) -> str:
        """A time of ``__strat_times__`` as this run reads it: a literal, or a parameter's value."""
        return ref if ref[:1].isdigit() else str(getattr(self, self.PARAM_ATTRS.get(ref, ref), ""))

    @staticmethod
    def _time_params(*refs: str) -> str:
        params = [r for r in refs if not r[:1].isdigit()]
        return f" (parameter{'s' * (len(params) > 1)} {', '.join(params)})" if params else ""

    def _time_warnings(self, open_: str, close: str, times: list[str], entry_end: int) -> list[str]:
        """The file's times that silently do nothing on a day that may well trade, for the run's
        warnings (``optbt.engine.days.note_time_warnings``, every day that ran): a staggered leg
        due after the last tick on which a leg opens (``entry pe at 16:10`` on a 15:30 session:
        the other legs trade, this one never opens), and an exit time after the day's last tick
        (``exit at 16:00``: what is open closes on the last tick, reason ``eod``). ``times`` are
        the day's ticks; a leg opens on ``times[:entry_end]`` only (never the last, nor at or
        after the exit time: the engine's deadline, or the file's own ``exit at``)."""
        spec = getattr(type(self), "__strat_times__", None)
        if not spec or not times:
            return []
        value, named = self._time_value, self._time_params
        out = []
        stop = min((value(r) for r in spec.get("exit", ())), default=None)  # the exit rule holds from it on
        if stop is not None:  # no leg opens once the exit rule holds
            entry_end = min(entry_end, bisect_left(times, stop))
        opens = times[:entry_end]
        for leg, ref in spec.get("legs", {}).items():
            at = value(ref)
            what = f"leg {leg}'s entry at {at}{named(ref)}"
            if opens and at <= opens[-1]:
                continue
            if at > close:
                out.append(f"{what} is after the session's close {close}: the leg never opens while the other "
                           "legs trade (move it inside the session)")
            elif not opens:
                continue  # no tick opens anything: the day's note says why
            elif entry_end == len(times) - 1:
                out.append(f"{what} is after the last tick on which a leg opens, {opens[-1]} (none opens on the "
                           f"day's last tick, {times[-1]}): the leg never opens while the other legs trade")
            else:
                out.append(f"{what} is after the last tick on which a leg opens, {opens[-1]} (none opens at or "
                           f"after the exit time, {times[entry_end]}): the leg never opens while the other "
                           "legs trade")
        for ref in spec.get("exit", ()):
            at = value(ref)
            if at > times[-1]:
                where = f"the session's close {close}" if at > close else f"the day's last tick {times[-1]}"
                out.append(f"the exit time {at}{named(ref)} is after {where}: what is still open closes on the "
                           f"day's last tick, {times[-1]} (reason eod)" + (" (move it inside the session)"
                                                                             if at > close else ""))
        return out

    def _cancel_waiting(self, why: str) -> None:
        """No leg still waiting to open opens in this cycle (``why``: what ended it). Here they
        are just dropped; optbt.dsl.legplan, which keeps such legs by name, names each to
        ``--trace``. The position rules' mixin (optbt.dsl.position) calls this."""
        self.legs_waiting.clear()

    def _param_warnings(self) -> list[str]:
        """The rules this run's parameter values keep from ever firing, for the run's warnings
        (the engine asks once a run): ``--param tp_pct=100`` on a sold leg's ``target ce tp_pct``
        waits for a price of 0, and every day ended at the exit time without a word. The rules
        are the file's (``__strat_never__``, set when it is loaded: ``optbt.dsl.never_fires``)."""
        spec = getattr(type(self), "__strat_never__", None)
        if not spec:
            return []
        attrs = self.PARAM_ATTRS
        values = {name: getattr(self, attrs.get(name, name), None) for name in spec}
        return run_warnings(spec, values, getattr(type(self), "__strat_source__", "<strat>"))

    # -- the engine's hooks ------------------------------------------------------------------------
    def entry_gate(self, ctx: BarContext) -> bool:
        """Whether the entry may happen at this tick: this tick's market values are recorded first
        (``x[1]``, ``crosses`` read them on later ticks), then the entry condition must hold and
        the exit rule must not. Every entry (this one, optbt.dsl.legplan's) goes through here."""
        if self._signals:
            self.tick_signals(ctx)
        try:
            ready = self.entry_ready(ctx)
        except ArithmeticError:  # an arithmetic fault makes the condition false
            ready = False
        if not ready:
            return False
        try:
            exiting = self.exit_ready(ctx)
        except ArithmeticError:
            exiting = False
        if exiting:  # no entry once the exit rule holds (at or after `exit at`)
            self.note_blocked("the exit rule already holds (at or after the exit time)")
            return False
        return True

    def entry(self, ctx: BarContext) -> None:
        try:
            if not self.entry_gate(ctx):
                return
            legs = self.legs(ctx)
            if not legs:
                self.note_blocked("a leg's strike could not be chosen (no spot yet, or no listed strike fits)")
                return
            filled = self.try_fill(legs)
            if filled:
                self._rank = {key: i for i, key in enumerate(legs)}  # legs() lists them as declared
                self._late_legs = False
                self._premium = sum(t.entry_price * t.qty * t.lot_size for t in filled.values())
                self._peak_mtm = None
                for trade in filled.values():
                    self._arm_trade(trade)
        except Exception as exc:
            self._failed(exc, ctx)

    def _failed(self, exc: Exception, ctx: BarContext) -> None:
        """Raise ``exc`` again, as a StratRunError naming the .strat statement when the class has
        a source map (a class compiled and loaded by optbt); unchanged otherwise."""
        info = getattr(type(self), "__strat_map__", None)
        if not info or isinstance(exc, (StratRunError, DataError, NoExpiry)):
            # a data error (conflicting rows of a contract the rule read) or a day listing no
            # expiry a leg's own rule matches is the day's, not the strategy's: the engine skips
            # that day with its reason (data_error, no_expiry), as for a Python strategy
            raise exc
        frames = traceback.extract_tb(exc.__traceback__)
        hit = next((f for f in reversed(frames) if f.filename == info["module_file"] and f.lineno in info["lines"]),
                   None)
        what = str(exc) if isinstance(exc, (ValueError, StrategyError)) and str(exc) else \
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        when = f" (on {ctx.day} at {ctx.time})" if getattr(ctx, "time", None) else f" (on {ctx.day})"
        if hit is None:
            raise StratRunError(f"{info['file']}: {what}{when}") from exc
        line, column, rule = info["lines"][hit.lineno]
        raise StratRunError(f"{info['file']}:{line}:{column}: {rule}: {what}{when}",
                            f"generated code {hit.filename}:{hit.lineno}: {hit.line}") from exc

    def _arm_trade(self, trade) -> None:
        """Arm a new fill (:meth:`_arm`) and note which rule kinds are now in use, so a tick
        looks only at those (a straddle with stops only checks stops, not targets and trails)."""
        self._arm(trade)
        self._note_fields(trade.extra)

    def _note_fields(self, extra: dict) -> None:
        seen = self._fields_seen
        if any(field in extra and field not in seen for _, field in _LEG_RULES):
            seen = self._fields_seen = seen | {field for _, field in _LEG_RULES if field in extra}
            self._rule_order = tuple(r for r in _LEG_RULES if r[1] in seen)
            self._stops_only = self._plain_legs and self._rule_order == _STOPS_ONLY

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
        try:
            if self._stops_only and not self._late_legs and self._inline_hit:
                # the short path (a straddle with stops): the loop below with one rule kind, no
                # signals and nothing after the legs, written out; the same checks in the same order
                # (--trace turns _inline_hit off on the instance: each check then goes through _hit)
                positions = self.positions
                for key in list(positions):
                    trade = positions.get(key)  # None once a stop above closed it (square_off complete)
                    if trade is None:
                        continue
                    level = trade.extra.get("stop")
                    if level is None:
                        continue
                    q = ctx.price(key)
                    if q is None or q[0] is None:
                        continue
                    if at_or_above(q[0], level) if trade.leg.side == "SELL" else at_or_below(q[0], level):
                        self._rule_hit(ctx, key, "stop_loss")
                if self._moved_now:
                    self._moved_stops(ctx)
                return
            if self._signals:
                self.tick_signals(ctx)
            positions = self.positions
            order = self._rule_order  # only the kinds some leg has been armed with
            inline = self._inline_hit
            keys = list(positions)  # the actions below close legs, never open one
            if self._late_legs and len(keys) > 1:  # a leg opened late: rules still run in declared order
                keys = self.rule_order(keys)
            # each open leg's price is read once a tick: kept across rule kinds when there are several
            prices: dict[str, float | None] | None = {} if len(order) > 1 else None
            for rule, field in order:
                for key in keys:
                    trade = positions.get(key)  # None once a rule above closed it
                    if trade is None:
                        continue
                    level = trade.extra.get(field)
                    if level is None:  # no such rule on this leg
                        continue
                    if prices is None:
                        q = ctx.price(key)
                        price = None if q is None else q[0]
                    else:
                        price = prices[key] if key in prices else prices.setdefault(key, ctx.ltp(key))
                    if price is None:
                        continue
                    # stops and targets inline (the common case), trailing through _hit; every
                    # comparison goes through optbt.model.levels: a price at its level triggers
                    if field == "stop" and inline:
                        hit = at_or_above(price, level) if trade.leg.side == "SELL" else at_or_below(price, level)
                    elif field == "target" and inline:
                        hit = at_or_below(price, level) if trade.leg.side == "SELL" else at_or_above(price, level)
                    else:
                        hit = self._hit(rule, trade, price)
                    if hit:
                        self._rule_hit(ctx, key, rule)
            if self._moved_now:
                self._moved_stops(ctx)
            if not self._after_legs:
                return
            if self._shifts and self.may_open(ctx):  # a shift opens a leg: not when it would close at once
                try:
                    shifts = self.shift_rules(ctx)
                except ArithmeticError:  # an arithmetic fault makes the condition false
                    shifts = ()
            else:
                shifts = ()
            rolled = None  # [(key, new leg)]: the old legs close now, the new ones open after steps 3-5
            for key, strike in shifts:
                trade = self.positions.get(key)
                if trade is None or strike is None or strike == trade.leg.strike:
                    continue
                leg = self.add(strike, trade.leg.opt_type, trade.leg.side, trade.leg.qty, expiry=trade.leg.expiry)
                q = ctx.price(leg)
                if q is None or q[1] > self._run.max_lag:
                    continue  # the new strike cannot fill (no price, or older than entry_max_lag): keep the old leg
                self.close(key, "shift")
                rolled = [*(rolled or ()), (key, leg)]
            if rolled:
                self._position_exits(ctx, rolled)
                return
            if self._mtm and positions:  # the MTM is summed only when a rule reads it
                self._check_mtm(ctx)
            if self._position_check is not None:  # overall stop/target, lock, credit exits (dsl.position)
                self._position_check(ctx)
        except Exception as exc:
            self._failed(exc, ctx)

    def _position_exits(self, ctx: BarContext, rolled: list) -> None:
        """Steps 3-5 on a tick a shift closed legs, then the shifts' new legs: an exit of the whole
        position on this tick (an MTM rule, a credit exit, the day's overall stop, target or lock)
        opens none of them. Opened first, as before, a new leg was sold and bought back on its own
        tick at one price (a trade that never was, charged twice). Like a re-entry, a shift's new
        leg waits for the position's exits of its tick (docs/language.md, Order on one tick)."""
        done = len(self.closed_trades)
        day = getattr(self, "_position_day", None)
        over = day is not None and day.over
        self.position_exit = False  # a credit exit with nothing left open says so here (dsl.position)
        if self._mtm and self.positions:
            self._check_mtm(ctx)
        if self._position_check is not None:
            self._position_check(ctx)
        if self.position_exit or (day is not None and day.over and not over) or any(
                t.exit_reason in POSITION_EXITS for t in self.closed_trades[done:]):
            return
        for key, leg in rolled:
            filled = self.try_fill({key: leg}, reason="shift")
            if filled:
                self._shifted(filled[key])

    def _moved_stops(self, ctx: BarContext) -> None:
        """Look again at the stops an action moved on this tick (``move pe.stop to cost``): a
        price already beyond the moved stop closes the leg on this tick, at its price, as a stop
        order placed there would, whichever leg was declared first and whether a stop or a
        target moved it. Before, a leg whose stop had been looked at before the move (declared
        first, or moved by a target) closed a tick later, at the next tick's price."""
        positions = self.positions
        while self._moved_now:
            moved = [k for k in self.rule_order(list(self._moved_now)) if k in positions]
            self._moved_now.clear()
            for key in moved:
                trade = positions.get(key)  # None once an action above closed it
                price = None if trade is None else ctx.ltp(key)
                if price is not None and self._hit("stop_loss", trade, price):
                    self._rule_hit(ctx, key, "stop_loss")

    def _rule_hit(self, ctx: BarContext, key: str, rule: str) -> None:
        """Leg ``key``'s stop, target or trailing stop was hit: it closes (every leg under
        ``square_off complete``), then the reactions to that exit run (``on stop_loss(ce): ...``)."""
        if self.square_off == "complete":
            self.close_all(rule)
        else:
            self.close(key, rule)
        self.on_event(ctx, rule, key)

    def held_last(self, key: str):
        """The contract (a Leg) leg ``key`` held last in this cycle, once closed; None here (a
        file without leg management opens all its legs together), kept by optbt.dsl.legplan."""
        return None

    def may_open(self, ctx: BarContext) -> bool:
        """Whether a leg may open at this tick (a shift's new leg, a re-entry, a waiting leg): not
        on the day's last tick, nor once the exit rule holds (``exit at``, ``exit when``), where
        it would be closed on the tick it opened."""
        if ctx.is_last_tick or ctx.tick >= self._run.entry_end:
            return False
        try:
            return not self.exit_ready(ctx)
        except ArithmeticError:
            return True

    def _shifted(self, trade) -> None:
        """A shift's new fill: armed from its own price, like any fill (LegPlanStrategy also
        makes it the cost a re-entry at cost waits for). It is last in ``positions`` now, but its
        rules keep running in its declared place (rule_order)."""
        self._arm_trade(trade)
        self._late_legs = True

    def rule_order(self, keys: list[str]) -> list[str]:
        """Open legs in declaration order, as their rules run (leg by leg, each with its ``on``
        actions): a leg opened late (shifted, re-entered, waited) is last in ``positions``, which
        keeps fill order (the order an end-of-day close records them in)."""
        rank = self._rank
        return sorted(keys, key=lambda k: rank.get(k, len(rank)))

    def _hit(self, rule: str, trade, price: float) -> bool:
        short = trade.leg.side == "SELL"
        extra = trade.extra
        # every comparison goes through optbt.model.levels: a price equal to its level triggers
        if rule == "stop_loss" and "stop" in extra:
            return at_or_above(price, extra["stop"]) if short else at_or_below(price, extra["stop"])
        if rule == "target" and "target" in extra:
            return at_or_below(price, extra["target"]) if short else at_or_above(price, extra["target"])
        if rule == "trailing" and "trail" in extra:
            best = extra["best"] = min(extra["best"], price) if short else max(extra["best"], price)
            unit, value = extra["trail"]
            level = self._level(best, unit, value, trade, 1 if short else -1)
            return at_or_above(price, level) if short else at_or_below(price, level)
        return False

    position_exit = False  # an exit of the whole position fired on this tick (legplan reads it)

    def exit_position(self, reason: str) -> None:
        """The ``exit`` action of a reaction (``on stop_loss(ce): exit``): every open leg closes
        with the event as its reason, and the cycle ends as an MTM exit ends it: no leg closed
        on this tick re-enters and no waiting leg opens in this cycle. Before, the legs it
        closed were taken for legs stopped on their own, re-entered on the same tick, and the
        exit did nothing but pay the spread twice."""
        self.position_exit = True
        self.close_all(reason)

    def move_stop_to_cost(self, keys) -> None:
        """The ``move ... stop to cost`` action: those legs' stops go to their entry price, never
        looser than they are: a stop a stepped trailing (``trailing ... every``) already moved
        past the cost stays where it is (a short leg keeps the lower stop, a long one the higher)."""
        for key in keys:
            trade = self.positions.get(key)
            if trade is not None:
                cost = trade.entry_mark if trade.entry_mark is not None else trade.entry_price
                stop = trade.extra.get("stop")
                if stop is not None:
                    cost = min(stop, cost) if trade.leg.side == "SELL" else max(stop, cost)
                trade.extra["stop"] = cost
                if cost != stop:  # looked at again on this tick (adjust)
                    self._moved_now.add(key)
                self._note_fields(trade.extra)

    def others(self, key: str) -> list[str]:
        """``move others.stop to cost``: the other open legs that have a stop to move. A leg with no
        stop (an iron condor's bought wings) is left alone: given a stop at its cost, a decaying
        hedge was closed at once, leaving the short leg it covered naked."""
        return [k for k, t in self.positions.items() if k != key and "stop" in t.extra]

    def _check_mtm(self, ctx: BarContext) -> None:
        mtm = ctx.mtm
        for rule, unit, value in self.mtm_rules():
            limit = value if unit == "money" else self._premium * value / 100
            if (rule == "mtm_stop" and at_or_below(mtm, -limit)) or (rule == "mtm_target" and at_or_above(mtm, limit)):
                self.close_all(rule)
                return
        trail = self.trail_mtm()
        if trail is not None:
            after, by = trail
            if self._peak_mtm is not None or at_or_above(mtm, after):
                self._peak_mtm = mtm if self._peak_mtm is None else max(self._peak_mtm, mtm)
                if at_or_below(mtm, self._peak_mtm - by):
                    self.close_all("trail_mtm")

    def exit_check(self, ctx: BarContext) -> bool:
        try:
            return bool(self.exit_ready(ctx))
        except ArithmeticError:  # an arithmetic fault makes the condition false
            return False
        except Exception as exc:
            self._failed(exc, ctx)
            return False


def finite(x: float) -> bool:
    return not math.isnan(x)
