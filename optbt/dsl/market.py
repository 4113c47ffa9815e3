"""What compiled strategies call to read the market: the runtime side of :mod:`optbt.dsl.signals`.

A mixin of :class:`optbt.dsl.runtime.DslStrategy`. Every value comes from the tick's context
(``ctx.spot_bar``, ``ctx.series``, ``ctx.prev_day``, ``ctx.range``, ``ctx.indicator``), so
nothing here can read past the tick; a value not known yet is NaN, which makes every
comparison with it false.

Tracked values (``x[n]``, both sides of ``crosses``) are evaluated once per tick, before the
tick's conditions, by :meth:`MarketMixin.tick_signals`, and kept for today only: ``x[1]`` on a
day's first tick is unknown. ``a crosses above b`` holds on a tick when, on the previous tick,
``a`` was at or below ``b`` and now ``a`` is above it (compared with the tolerance of
:mod:`optbt.model.levels`); ``crosses below`` mirrors it; unknown on either tick is false, and
so is ``not (a crosses above b)``.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

from optbt.dsl.functions import MAX_LOOKBACK, fmax, fmin
from optbt.model.levels import at_or_above, at_or_below

NAN = float("nan")


def _num(x: Any) -> float:
    return NAN if x is None else x


class MarketMixin:
    """Market reads for compiled strategies (see the module docstring)."""

    SERIES: ClassVar[tuple[str, ...]] = ()
    RANGES: ClassVar[dict[str, tuple[str, str]]] = {}
    TRACKED: ClassVar[tuple] = ()   # lambda self, ctx: value — one per tracked expression
    WATCHED: ClassVar[tuple] = ()   # lambda self, ctx: an indicator — fed from the run's first day

    _signal_day: Any = None  # the tick tick_signals last ran on (an instance sets its own)
    _signal_tick: int = -1

    fmin = staticmethod(fmin)
    fmax = staticmethod(fmax)

    def tick_signals(self, ctx) -> None:
        """Once per tick: on a new day start today's histories and register the indicators; then
        append each tracked value."""
        tick, day = ctx.tick, ctx.day
        if tick == self._signal_tick and day == self._signal_day:  # called again on the same tick
            return
        if day != self._signal_day:
            self._hist = [deque(maxlen=MAX_LOOKBACK + 1) for _ in self.TRACKED]
            for watch in self.WATCHED:
                watch(self, ctx)
        self._signal_tick, self._signal_day = tick, day
        for f, h in zip(self.TRACKED, self._hist):
            try:
                v = f(self, ctx)
            except ArithmeticError:
                v = NAN
            h.append(NAN if v is None else v)

    def past(self, slot: int, n: int) -> float:
        h = self._hist[slot]
        return h[-1 - n] if len(h) > n else NAN

    def crossed(self, a: int, b: int, direction: str, negated: bool = False) -> bool:
        ha, hb = self._hist[a], self._hist[b]
        if len(ha) < 2:
            return False
        a0, a1, b0, b1 = ha[-2], ha[-1], hb[-2], hb[-1]
        if a0 != a0 or a1 != a1 or b0 != b0 or b1 != b1:  # unknown on either tick: false, negated or not
            return False
        if direction == "above":
            hit = at_or_below(a0, b0) and not at_or_below(a1, b1)
        else:
            hit = at_or_above(a0, b0) and not at_or_above(a1, b1)
        return hit != negated

    @staticmethod
    def bar_field(ctx, name: str, field: str) -> float:
        q = ctx.spot_bar if name == "spot" else ctx.series(name)
        return NAN if q is None else _num(getattr(q, field))

    @staticmethod
    def prev_field(ctx, name: str, n: int, field: str) -> float:
        s = ctx.prev_day(n, name)
        return NAN if s is None else getattr(s, field)

    @staticmethod
    def gap_of(ctx, name: str, pct: bool) -> float:
        return _num(ctx.gap_of(name, pct))

    def range_field(self, ctx, name: str, field: str) -> float:
        r = ctx.range(*self.RANGES[name])
        return NAN if r is None else (r[0] if field == "high" else r[1])

    @staticmethod
    def indicator(ctx, kind: str, name: str, params: tuple, minutes: int, field: str) -> float:
        return _num(ctx._indicator_of((kind, params, minutes, name, field)))
