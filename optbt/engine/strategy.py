"""The Strategy base class: parameters, the leg factory, all-or-nothing fills, positions.

A strategy instance owns all its state (positions, closed trades, anything the user adds);
the engine binds it to one day at a time through an explicit run object, never a global.
Parameters are annotated class attributes with defaults; ``Strategy(**params)`` and
``--param k=v`` set them, coercing text through the annotation.

>>> class S(Strategy):
...     sl_pct: float = 30.0
...     entry_time: str = "09:20"
>>> S(sl_pct="25").sl_pct
25.0
>>> S.parameters()["sl_pct"]
(<class 'float'>, 30.0)
"""

from __future__ import annotations

import re
import types
import typing
from bisect import bisect_left
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar, get_origin

from optbt.engine.excursions import settle
from optbt.model.errors import StrategyError, did_you_mean
from optbt.model.instrument import Instrument, Leg, Trade, normalise_opt_type, normalise_side

if TYPE_CHECKING:
    from optbt.engine.context import BarContext, DayStartContext
    from optbt.engine.dayrun import DayRun

_TYPE_NAMES = {"int": int, "float": float, "str": str, "bool": bool, "time": time}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def coerce(value: Any, typ: Any, name: str = "value") -> Any:
    """Turn ``value`` (often text from the command line) into ``typ``.

    >>> coerce("3", int), coerce("yes", bool), coerce(2, float)
    (3, True, 2.0)
    """
    if typ is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{name}: expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"{name}: expected a whole number, got {value!r}")
        try:
            return int(value) if not isinstance(value, str) else int(value.strip())
        except ValueError:
            raise ValueError(f"{name}: expected a whole number, got {value!r}") from None
    if typ is float:
        try:
            number = float(str(value).strip().rstrip("%")) if isinstance(value, str) else float(value)
        except ValueError:
            raise ValueError(f"{name}: expected a number, got {value!r}") from None
        if number != number:  # NaN compares false with everything: a rule on it would never fire
            raise ValueError(f"{name}: expected a number, got {value!r}")
        return number
    if typ is time and isinstance(value, str):
        from optbt.data.dataset import parse_hhmm
        return parse_hhmm(value)
    if typ is str:
        return str(value)
    if typ in (date, datetime) and isinstance(value, str):
        try:
            return typ.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{name}: expected a {typ.__name__} like "
                             f"{'2024-01-04' if typ is date else '2024-01-04T09:20'}, got {value!r}") from None
    args = typing.get_args(typ)
    if typing.get_origin(typ) is typing.Literal:
        for option in args:
            if value == option or str(value).strip() == str(option):
                return option
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, args))}, got {value!r}")
    if typing.get_origin(typ) in (typing.Union, types.UnionType):  # int | None, Optional[date], ...
        if value is None or (type(None) in args and str(value).strip().lower() in ("none", "null", "")):
            if type(None) in args:
                return None
        errors = []
        for member in (a for a in args if a is not type(None)):
            try:
                return coerce(value, member, name)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0] if len(errors) == 1 else f"{name}: expected {typ}, got {value!r}")
    return value


# parameter kinds with a meaning beyond their type (Strategy.PARAM_KINDS, param_kind)
NON_NEGATIVE = {"percent": "a percentage", "money": "an amount of money", "points": "a number of points"}
KINDS = (*NON_NEGATIVE, "time", "lots")
MAX_LOTS = 100_000  # a lots parameter's largest value (as a .strat leg's quantity, dsl.limits.MAX_QTY)
NON_NEGATIVE["days"] = "a number of days"  # days to expiry in an expiry rule (``expiry dte <= d``)
KINDS = (*KINDS, "days", "delta")  # delta: a strike's target delta (``delta d``), between 0 and 1
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_WITH_SECONDS = re.compile(r"^\d{1,2}:\d{2}:\d{2}(\.\d+)?$")


def has_seconds(value: Any) -> bool:
    """A clock time with seconds (``"09:20:30"``, ``time(9, 20, 30)``): what a time parameter
    cannot be, since the clock is compared as ``HH:MM`` (``ctx.time``).

    >>> has_seconds("09:20:30"), has_seconds("09:20"), has_seconds(time(9, 20)), has_seconds("abc")
    (True, False, False, False)
    """
    if isinstance(value, time):
        return bool(value.second or value.microsecond)
    return isinstance(value, str) and bool(_WITH_SECONDS.match(value.strip()))


def normalise_time(value: Any, name: str = "value") -> str:
    """A time parameter as ``HH:MM``: ``H:MM`` or ``HH:MM`` from 00:00 to 23:59, nothing else.

    Times are compared as text (``ctx.time >= self.entry_time``), so ``9:30`` or ``0930``
    would compare wrongly rather than fail: they are refused here instead.

    >>> normalise_time("9:30"), normalise_time("09:30"), normalise_time(time(15, 15))
    ('09:30', '09:30', '15:15')
    >>> normalise_time("0930", "entry_time")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: entry_time: expected a time of day H:MM or HH:MM (00:00 to 23:59), got '0930' (for example ...)
    """
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise ValueError(f"{name}: a time parameter is whole minutes, got {value.isoformat()}")
        return f"{value.hour:02d}:{value.minute:02d}"
    m = _CLOCK.match(str(value).strip())
    if m is None or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError(f"{name}: expected a time of day H:MM or HH:MM (00:00 to 23:59), got {value!r}"
                         f" (for example {name}=09:20)")
    return f"{int(m[1]):02d}:{m[2]}"


def looks_like_time(typ: Any, default: Any) -> bool:
    """A ``time`` parameter, or text whose default is a clock time (``entry_time: str = "09:20"``)."""
    return typ is time or (typ is str and isinstance(default, str) and bool(_CLOCK.match(default)))


def coerce_param(cls: type["Strategy"], name: str, value: Any) -> Any:
    """A parameter's value from text (or a number): its type, then its kind's rule.

    >>> class S(Strategy):
    ...     PARAM_KINDS = {"sl_pct": "percent"}
    ...     sl_pct: float = 30.0
    ...     entry_time: str = "09:20"
    >>> coerce_param(S, "entry_time", "9:30"), coerce_param(S, "sl_pct", "25%")
    ('09:30', 25.0)
    >>> coerce_param(S, "sl_pct", "-10")
    Traceback (most recent call last):
    ValueError: sl_pct: a percentage cannot be negative, got '-10' (for example sl_pct=30)
    """
    if name == "max_cycles":
        cycles = coerce(value, int, name)
        if cycles < 1:
            raise ValueError(f"max_cycles must be at least 1, got {cycles}")
        return cycles
    typ, default = cls.parameters()[name]
    kind = cls.param_kind(name)
    if kind not in (None, *KINDS):
        raise StrategyError(f"{cls.__name__}.PARAM_KINDS[{name!r}] is {kind!r}; kinds are {', '.join(KINDS)}")
    if kind == "time":
        text = _own_ranges(cls, name, normalise_time(value, name))  # a .strat entry window's, say
        return parse_time(text) if typ is time else text
    raw, value = value, coerce(value, typ, name)
    if kind in NON_NEGATIVE and isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0 or value != value:
            example = default if isinstance(default, (int, float)) and default >= 0 else 30
            raise ValueError(f"{name}: {NON_NEGATIVE[kind]} cannot be negative, got {raw!r}"
                             f" (for example {name}={example:g})")
    if kind == "delta" and not (isinstance(value, (int, float)) and 0 < value < 1):
        raise ValueError(f"{name}: a delta is between 0 and 1, got {raw!r} (for example {name}=0.16)")
    if kind == "lots" and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_LOTS):
        raise ValueError(f"{name}: a number of lots is a whole number from 1 to {MAX_LOTS:,}, got {raw!r}")
    return _own_ranges(cls, name, value)


def _own_ranges(cls: type["Strategy"], name: str, value: Any) -> Any:
    """``value``, once the strategy's own ranges for ``name`` allow it (:meth:`Strategy.param_refusal`)."""
    why = cls.param_refusal(name, value)
    if why is not None:
        raise ValueError(why)
    return value


def parse_time(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


class Strategy:
    """Base class of every strategy (hand-written or compiled from ``.strat``).

    ``PARAM_KINDS`` gives parameters a meaning their type alone does not carry, checked
    whenever a value is set (``--param``, ``--grid``, ``Strategy(**params)``): ``"percent"``,
    ``"money"`` and ``"points"`` refuse negative values, ``"lots"`` needs a whole number of at
    least 1, ``"time"`` takes ``H:MM``/``HH:MM`` and stores ``HH:MM``. A ``str`` parameter
    whose default is a clock time (``"09:20"``) is a time without saying so. A compiled
    ``.strat`` class gets its kinds from its declarations (percent, time, and int parameters
    used as leg quantities).
    """

    PARAM_KINDS: ClassVar[dict[str, str]] = {}
    max_cycles: ClassVar[int] = 1
    underlying: ClassVar[str | None] = None
    expiry: ClassVar[str] = "nearest"
    clock: ClassVar[Any] = None
    # No entry is tried at or after this time of day ("HH:MM"). The default, "exit_time",
    # means: the strategy's exit_time parameter when it declares one. None: no such limit.
    entry_until: ClassVar[str | None] = "exit_time"
    # The strategy's own cost assumptions (keys of the dataset's [costs]: slippage,
    # slippage_unit, commission_per_lot, commission_per_order, preset): over the dataset's,
    # under the run's (optbt.engine.costing). A .strat file's `costs` section compiles to it.
    COSTS: ClassVar[dict] = {}

    def __init__(self, **params: Any):
        declared = type(self).parameters()
        for name, value in params.items():
            if name == "max_cycles":
                self.max_cycles = coerce_param(type(self), name, value)
                continue
            if name not in declared:
                raise ValueError(f"{type(self).__name__} has no parameter '{name}'"
                                 f"{did_you_mean(name, declared)}; parameters: "
                                 f"{', '.join(declared) or '(none)'}")
            setattr(self, name, coerce_param(type(self), name, value))
        for name, (typ, default) in declared.items():
            # a text default like "09:20:30" would be compared with ctx.time ("09:20") as text:
            # it acts as 09:21, on ticks 30 s late, with no word; time parameters are whole minutes
            if name not in params and typ in (str, time) and has_seconds(default):
                raise StrategyError(f"{type(self).__name__}.{name} = {default!r}: time parameters are whole "
                                    f"minutes (the clock compares HH:MM); write {str(default)[:5]} or the minute after")
        self.positions: dict[str, Trade] = {}
        self.closed_trades: list[Trade] = []
        # legs the strategy still means to open in this cycle (a later entry time, a premium
        # move, a re-entry): while any waits, the cycle stays open with no position. The engine
        # empties it when the cycle ends. See start_waiting() and optbt.engine.legwait.
        self.legs_waiting: dict[str, Any] = {}
        self._run: DayRun | None = None

    @classmethod
    def param_kind(cls, name: str) -> str | None:
        """The declared kind of a parameter (see the class docstring), or None."""
        kind = cls.PARAM_KINDS.get(name)
        if kind is not None:
            return kind
        declared = cls.parameters().get(name)
        return "time" if declared is not None and looks_like_time(*declared) else None

    @classmethod
    def param_refusal(cls, name: str, value: Any) -> str | None:
        """Why ``value`` cannot be parameter ``name`` beyond its type and kind (said for the user),
        or None. Asked for every value set from outside (``--param``, ``--grid``, ``params=``), so
        a sweep refuses a bad value before it starts. A compiled ``.strat`` class answers from its
        file's ranges (optbt.dsl.param_rules); a hand-written class may override it."""
        return None

    @classmethod
    def parameters(cls) -> dict[str, tuple[Any, Any]]:
        """Declared parameters: name -> (type, default), base classes first."""
        out: dict[str, tuple[Any, Any]] = {}
        for klass in reversed(cls.__mro__):
            if klass is Strategy or not (isinstance(klass, type) and issubclass(klass, Strategy)):
                continue
            for name, ann in klass.__dict__.get("__annotations__", {}).items():
                if name.startswith("_"):
                    continue
                if isinstance(ann, str):
                    if ann.startswith("ClassVar"):
                        continue
                    ann = _TYPE_NAMES.get(ann, str)
                elif get_origin(ann) is ClassVar or ann is ClassVar:
                    continue
                if not hasattr(klass, name):
                    raise StrategyError(f"parameter '{name}' of {klass.__name__} needs a default value")
                out[name] = (ann, getattr(klass, name))
        return out

    def params(self) -> dict[str, Any]:
        """Current parameter values (for results and reports)."""
        values = {name: getattr(self, name) for name in type(self).parameters()}
        values["max_cycles"] = self.max_cycles
        return values

    # -- hooks: empty by default ------------------------------------------------------------
    def on_day_start(self, day: "DayStartContext") -> bool | None:
        return None

    def entry(self, ctx: "BarContext") -> None:
        return None

    def adjust(self, ctx: "BarContext") -> None:
        return None

    def exit_check(self, ctx: "BarContext") -> bool:
        return False

    def on_exit(self, ctx: "BarContext") -> None:
        return None

    def on_day_end(self, ctx: "BarContext") -> None:
        return None

    def note_blocked(self, why: str) -> None:
        """Say why this tick's entry was not tried (e.g. "no strike fits"): counted for the
        zero-trade message and shown by ``--trace``. Cheap; call it only when blocking."""
        blocked = self._require_run("note_blocked").blocked
        key = ("", None, why)
        blocked[key] = blocked.get(key, 0) + 1

    # -- the leg factory and orders -----------------------------------------------------------
    def _require_run(self, what: str) -> "DayRun":
        if self._run is None:
            raise StrategyError(f"{what}() works only while the engine runs a day (inside a hook)")
        return self._run

    def add(self, strike: float, opt_type: str, side: str, qty: int = 1,
            expiry: str | date | None = None) -> Leg:
        """A leg on today's chain. ``expiry`` defaults to the strategy's rule ("nearest")."""
        run = self._require_run("add")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise ValueError(f"qty must be a whole number of lots >= 1, got {qty!r}")
        try:
            strike = float(strike)
        except (TypeError, ValueError):
            raise ValueError(f"strike must be a number, got {strike!r}") from None
        inst = Instrument(run.underlying, run.expiry_for(expiry), strike, normalise_opt_type(opt_type))
        return Leg(inst, normalise_side(side), qty)

    def try_fill(self, legs: list[Leg] | dict[str, Leg], reason: str = "entry") -> dict[str, Trade] | None:
        """Fill every leg at this tick, or none: None when any leg has no live price.

        A list gets keys "leg1", "leg2", ... (the first free ones); a dict keeps its keys,
        and a key already open raises ValueError before anything fills.
        """
        run = self._require_run("try_fill")
        if run.phase != "entry" and run.phase != "adjust":
            raise StrategyError("try_fill() may be called only from entry() or adjust()")
        if isinstance(legs, dict):
            items = list(legs.items())
            for key, _ in items:
                if not isinstance(key, str) or not key:
                    raise ValueError(f"position keys must be non-empty strings, got {key!r}")
                if key in self.positions:
                    raise ValueError(f"position key '{key}' is already open; close it first or use another key")
        elif isinstance(legs, (list, tuple)):
            items, n = [], 0
            for leg in legs:
                n += 1
                while f"leg{n}" in self.positions:
                    n += 1
                items.append((f"leg{n}", leg))
        else:
            raise TypeError("try_fill takes a list of legs or a dict of key -> leg")
        if not items:
            raise ValueError("try_fill needs at least one leg")
        for key, leg in items:
            if not isinstance(leg, Leg):
                raise TypeError(f"'{key}' is not a Leg (make legs with self.add(...))")
        if len(items) > 1:  # one query for all legs not yet cached, rather than one each
            run.cache.prefetch(leg.instrument for _, leg in items)
        quotes = []
        for key, leg in items:
            q = run.fill_quote(leg.instrument, leg.side)
            if q is None or q[1] > run.max_lag:
                run.failed_fills += 1
                why = (key, leg.instrument, "no_price" if q is None else "stale")
                run.blocked[why] = run.blocked.get(why, 0) + 1
                return None
            quotes.append(q)
        filled = {}
        for (key, leg), (price, lag, mark) in zip(items, quotes):
            trade = Trade(key=key, leg=leg, day=run.day, cycle=run.cycles + 1, entry_ts=run.now(),
                          entry_price=price, entry_lag=lag, entry_reason=reason,
                          costs=run.costs.commission(leg.qty), lot_size=run.lot_size, entry_mark=mark)
            if run.costs.charges is not None:  # a broker's charges on this order (costs preset)
                run.costs.charge(trade, leg.side, price)
            self.positions[key] = trade
            run.key_series[key] = run.cache.series(leg.instrument)
            filled[key] = trade
        run.activate()
        return filled

    def start_waiting(self) -> None:
        """Begin a cycle with no leg filled yet, from ``entry()``: every leg waits (for a time or a
        premium move, kept in ``legs_waiting``). ``adjust()`` runs from the next tick; the cycle
        ends once nothing is open and nothing waits."""
        run = self._require_run("start_waiting")
        if run.phase != "entry":
            raise StrategyError("start_waiting() may be called only from entry()")
        run.activate()

    def close(self, key: str, reason: str = "exit") -> Trade:
        """Close one open position now, at this tick's price (the last known if stale)."""
        run = self._require_run("close")
        trade = run.position(key)
        close_side = "BUY" if trade.leg.side == "SELL" else "SELL"
        q = run.fill_quote(trade.leg.instrument, close_side)
        price, lag = (q[0], q[1]) if q is not None else (trade.entry_price, None)
        del self.positions[key]
        run.key_series.pop(key, None)
        trade.exit_ts = run.now()
        trade.exit_price = price
        trade.exit_lag = lag
        trade.exit_reason = reason
        trade.costs += run.costs.commission(trade.leg.qty)
        if run.costs.charges is not None:
            run.costs.charge(trade, close_side, price)
        settle(trade, run.cache.series(trade.leg.instrument).quote, bisect_left(run.ticks, trade.entry_ts),
               run.tick, q[2] if q is not None else None)
        # rounded to 1e-8: (1.0 - 1.9) * 100 is -89.99999999999999 in binary floating point
        trade.pnl = round(trade.leg.sign * (price - trade.entry_price) * trade.leg.qty * trade.lot_size
                          - trade.costs, 8)
        run.realised += trade.pnl
        self.closed_trades.append(trade)
        return trade

    def close_all(self, reason: str = "exit") -> None:
        for key in list(self.positions):
            self.close(key, reason)
