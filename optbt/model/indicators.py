"""Incremental indicators on the underlying's bars: one ``update`` per closed bar, O(1) each.

Each indicator is a small object fed bars in time order (``update(high, low, close, volume)``
or ``update(close)`` for close-only ones); ``value`` is None until the indicator is *warm*
(enough bars seen: the warm-up is stated per class) and a number after. Nothing here knows
about ticks or days: the engine feeds closed bars only, so no value can depend on a bar that
had not closed. Formulas follow the common charting conventions (TradingView / Wilder):

- ``SMA(n)``: mean of the last n closes. Warm after n bars.
- ``EMA(n)``: alpha = 2 / (n + 1), seeded with the SMA of the first n closes. Warm after n.
- ``RSI(n)``: Wilder's smoothing of gains and losses (first average: the simple mean of the
  first n changes; then avg = (avg * (n - 1) + x) / n); RSI = 100 - 100 / (1 + gain / loss),
  100 when there were no losses, 50 when no change at all. Warm after n + 1 closes.
- ``ATR(n)``: true range max(h - l, |h - c_prev|, |l - c_prev|) (h - l on the first bar),
  Wilder-smoothed like RSI. Warm after n bars.
- ``VWAP``: sum(typical * volume) / sum(volume), typical = (h + l + c) / 3, from the first bar
  fed after ``reset()`` (the engine resets it at each session's open). Unknown while the
  volume so far is zero (index spot series often carry no volume).
- ``Bollinger(n, k)``: middle SMA(n), upper/lower middle +/- k x the population standard
  deviation of the same n closes. Warm after n.
- ``Supertrend(n, m)``: bands (h + l) / 2 +/- m x ATR(n), each final band ratcheting only in the
  trend's favour; the line is the lower band in an up-trend and flips when a close crosses the
  band in force. ``direction`` is +1 (up) or -1 (down). Warm with its ATR.

>>> sma = SMA(3)
>>> [sma.update(c) for c in (1, 2, 3, 4)]
[None, None, 2.0, 3.0]
"""

from __future__ import annotations

import math
from collections import deque
from math import sqrt

_RESUM_EVERY = 4096  # running mean and deviations are recomputed exactly this often (no drift)


def _period(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1 or n > 10_000:
        raise ValueError(f"an indicator period is a whole number from 1 to 10000, not {n!r}")
    return n


class _Window:
    """The last n values with their mean and sum of squared deviations (Welford's update for
    a sliding window: stable where raw sums of squared prices would lose the variance)."""

    __slots__ = ("n", "values", "mean", "m2", "_since")

    def __init__(self, n: int):
        self.n = n
        self.values: deque[float] = deque()
        self.mean = 0.0
        self.m2 = 0.0
        self._since = 0

    def push(self, x: float) -> bool:
        """Add a value (dropping the oldest past n); True once the window is full."""
        values = self.values
        values.append(x)
        n = self.n
        size = len(values)
        if size > n:  # the same arithmetic as written out in full, with locals (a bar's hot path)
            y = values.popleft()
            size = n
            old = self.mean
            self.mean = mean = old + (x - y) / n
            self.m2 += (x - y) * (x - mean + y - old)
        else:
            old = self.mean
            delta = x - old
            self.mean = mean = old + delta / size
            self.m2 += delta * (x - mean)
        since = self._since + 1
        if since >= _RESUM_EVERY:
            since = 0
            self.mean = math.fsum(values) / len(values)
            self.m2 = math.fsum((v - self.mean) ** 2 for v in values)
        self._since = since
        return size == n

    def pstdev(self) -> float:
        return math.sqrt(max(self.m2, 0.0) / len(self.values))


class SMA:
    __slots__ = ("period", "value", "_w")

    def __init__(self, period: int):
        self.period = _period(period)
        self._w = _Window(period)
        self.value: float | None = None

    def update(self, close: float) -> float | None:
        if self._w.push(close):
            self.value = self._w.mean
        return self.value


class _Smoothed:
    """A mean seeded with the simple mean of the first n values, then moved by ``alpha`` of each
    new value's distance: alpha 2 / (n + 1) is the EMA, 1 / n is Wilder's smoothing
    ((avg * (n - 1) + x) / n)."""

    __slots__ = ("n", "alpha", "avg", "_first")

    def __init__(self, n: int, alpha: float):
        self.n = n
        self.alpha = alpha
        self.avg: float | None = None
        self._first: list[float] | None = []

    def push(self, x: float) -> float | None:
        first = self._first
        if first is not None:
            first.append(x)
            if len(first) == self.n:
                self.avg = math.fsum(first) / self.n
                self._first = None
            return self.avg
        avg = self.avg
        self.avg = avg = avg + self.alpha * (x - avg)  # avg += alpha * (x - avg), with a local
        return avg


def _Wilder(n: int) -> _Smoothed:
    return _Smoothed(n, 1.0 / n)


class EMA:
    __slots__ = ("period", "value", "_avg")

    def __init__(self, period: int):
        self.period = _period(period)
        self._avg = _Smoothed(period, 2.0 / (period + 1))
        self.value: float | None = None

    def update(self, close: float) -> float | None:
        self.value = self._avg.push(close)
        return self.value


class RSI:
    __slots__ = ("period", "value", "_gain", "_loss", "_prev")

    def __init__(self, period: int = 14):
        self.period = _period(period)
        self._gain = _Wilder(period)
        self._loss = _Wilder(period)
        self._prev: float | None = None
        self.value: float | None = None

    def update(self, close: float) -> float | None:
        prev, self._prev = self._prev, close
        if prev is None:
            return self.value
        change = close - prev
        gain = self._gain.push(change if change > 0 else 0.0)
        loss = self._loss.push(-change if change < 0 else 0.0)
        if gain is not None:
            if loss == 0.0:
                self.value = 50.0 if gain == 0.0 else 100.0
            else:
                self.value = 100.0 - 100.0 / (1.0 + gain / loss)
        return self.value


class ATR:
    __slots__ = ("period", "value", "_tr", "_prev")

    def __init__(self, period: int = 14):
        self.period = _period(period)
        self._tr = _Wilder(period)
        self._prev: float | None = None
        self.value: float | None = None

    def update(self, high: float, low: float, close: float, volume: float | None = None) -> float | None:
        prev, self._prev = self._prev, close
        tr = high - low if prev is None else max(high - low, abs(high - prev), abs(low - prev))
        self.value = self._tr.push(tr)
        return self.value


class VWAP:
    __slots__ = ("value", "_pv", "_v")

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Start a new session: the engine calls this at each day's open."""
        self._pv = 0.0
        self._v = 0.0
        self.value: float | None = None

    def update(self, high: float, low: float, close: float, volume: float | None = None) -> float | None:
        if volume is not None and volume > 0:
            self._pv += (high + low + close) / 3.0 * volume
            self._v += volume
            self.value = self._pv / self._v
        return self.value


class Bollinger:
    __slots__ = ("period", "k", "value", "middle", "upper", "lower", "_w")

    def __init__(self, period: int = 20, k: float = 2.0):
        self.period = _period(period)
        if not (isinstance(k, (int, float)) and math.isfinite(k) and k >= 0):
            raise ValueError(f"a Bollinger width is a number of standard deviations >= 0, not {k!r}")
        self.k = float(k)
        self._w = _Window(period)
        self.value: float | None = None  # the middle band (a plain attribute: read on every tick)
        self.middle: float | None = None
        self.upper: float | None = None
        self.lower: float | None = None

    def update(self, close: float) -> float | None:
        w = self._w
        if w.push(close):
            self.value = self.middle = m = w.mean
            width = self.k * sqrt(max(w.m2, 0.0) / len(w.values))  # w.pstdev(), without the call
            self.upper, self.lower = m + width, m - width
        return self.middle


class Supertrend:
    __slots__ = ("period", "multiplier", "value", "direction", "_atr", "_upper", "_lower", "_close")

    def __init__(self, period: int = 10, multiplier: float = 3.0):
        self.period = _period(period)
        if not (isinstance(multiplier, (int, float)) and math.isfinite(multiplier) and multiplier > 0):
            raise ValueError(f"a Supertrend multiplier is a number > 0, not {multiplier!r}")
        self.multiplier = float(multiplier)
        self._atr = ATR(period)
        self._upper: float | None = None
        self._lower: float | None = None
        self._close: float | None = None
        self.value: float | None = None
        self.direction: int | None = None

    def update(self, high: float, low: float, close: float, volume: float | None = None) -> float | None:
        atr = self._atr.update(high, low, close)
        prev_close, self._close = self._close, close
        if atr is None:
            return None
        mid = (high + low) / 2.0
        basic_up, basic_lo = mid + self.multiplier * atr, mid - self.multiplier * atr
        up, lo = self._upper, self._lower
        if up is None:  # the first warm bar: bands as computed, trend from where the close sits
            up, lo = basic_up, basic_lo
            direction = 1 if close > up else -1
        else:
            up = basic_up if (basic_up < up or prev_close > up) else up
            lo = basic_lo if (basic_lo > lo or prev_close < lo) else lo
            if self.direction == -1:
                direction = 1 if close > up else -1
            else:
                direction = -1 if close < lo else 1
        self._upper, self._lower, self.direction = up, lo, direction
        self.value = lo if direction == 1 else up
        return self.value
