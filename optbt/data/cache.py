"""The day cache: each instrument's full day, fetched once, aligned to the clock once.

A miss fetches (lazy and self-healing); :meth:`DayCache.prefetch` batches several misses in
one query. On fetch a series is aligned to the day's ticks by an as-of merge, so a lookup at
tick ``i`` is a list index. An instrument with no data is cached as empty, so it is never
fetched twice in a day either. The cache is never handed to strategies: contexts read one
tick of it at a time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import repeat
from math import fsum
from operator import itemgetter
from typing import Any

from optbt.data.source import Bar, DataSource, unique
from optbt.model.instrument import Instrument
from optbt.model.prices import INF


class Series:
    """One instrument aligned to the clock.

    ``quote[i]`` is ``(price, lag)`` — lag 0 when a usable bar became known at tick ``i``
    (since the previous tick), lag k when the newest usable bar is k ticks old — or None
    before the first usable bar of the day. ``bid[i]``/``ask[i]`` are the quote of that same
    bar (None when the data has no usable quote).
    """

    __slots__ = ("quote", "bid", "ask")

    def __init__(self, quote: list, bid: list, ask: list):
        self.quote = quote
        self.bid = bid
        self.ask = ask


def align(ticks: Sequence[Any], bars: Sequence[Bar], nones: list | None = None) -> Series:
    """As-of merge of bars (sorted by known time) onto ticks; unusable bars are skipped.

    Unusable follows :mod:`optbt.model.prices` (None, NaN, +/-inf, <= 0): the DuckDB source
    already leaves such bars out in SQL; this guard (per bar, not per tick) keeps any other
    source to the same rule, so an unusable bar behaves exactly like no bar.

    A bar belongs to the first tick at or after the moment it became known; several bars
    between two ticks leave the newest. ``nones`` is an optional shared ``[None] * len(ticks)``
    used for bid/ask when the bars carry no quotes (most close-price data).

    >>> s = align([1, 2, 3, 4], [(1, 10.0, None, None), (2, None, None, None), (4, 12.0, None, None)])
    >>> s.quote
    [(10.0, 0), (10.0, 1), (10.0, 2), (12.0, 0)]
    >>> align([1, 2], [(2, 5.0, None, None)]).quote
    [None, (5.0, 0)]
    >>> align([1, 2, 3], [(1, 7.0, None, None), (2, float("nan"), None, None), (3, 0.0, None, None)]).quote
    [(7.0, 0), (7.0, 1), (7.0, 2)]
    """
    n = len(ticks)
    if len(bars) == n and n:
        dense = _dense(ticks, bars, nones)
        if dense is not None:
            return dense
    at: dict[int, Bar] = {}
    inf = INF  # a local: this loop runs once per bar of every fetched instrument
    for b in bars:
        if 0.0 < (b[1] or 0.0) < inf:  # None counts as 0.0; NaN fails both comparisons
            at[bisect_left(ticks, b[0])] = b
    at.pop(n, None)  # known after the last tick: not today
    usable = list(at.values())
    bids = [b[2] for b in usable]
    # any side of any bar: each bar's own sides are kept (a bar with no bid keeps its ask; a
    # contract never bid all day still buys at its asks), so this only picks the cheap shared
    # list of Nones when no bar has a quote at all
    quoted = bids.count(None) < len(bids) or any(b[3] is not None for b in usable)
    if nones is None or len(nones) != n:
        nones = [None] * n
    if len(usable) == n:  # a usable bar at every tick: the common dense case, built at C speed
        quote = list(zip([b[1] for b in usable], repeat(0)))
        if not quoted:
            return Series(quote, nones, nones)
        return Series(quote, bids, [b[3] for b in usable])
    quote: list = []
    bid: list = []
    ask: list = []
    starts = list(at)
    first = starts[0] if starts else n
    quote.extend(repeat(None, first))
    bid.extend(repeat(None, first))
    ask.extend(repeat(None, first))
    for k, i0 in enumerate(starts):
        run = (starts[k + 1] if k + 1 < len(starts) else n) - i0
        b = at[i0]
        quote.extend(zip(repeat(b[1], run), range(run)))
        if quoted:
            bid.extend(repeat(b[2], run))
            ask.extend(repeat(b[3], run))
    if not quoted:
        return Series(quote, nones, nones)
    return Series(quote, bid, ask)


_TIME, _PRICE, _BID, _ASK = (itemgetter(k) for k in range(4))


def _dense(ticks: Sequence[Any], bars: Sequence[Bar], nones: list | None) -> Series | None:
    """The series of bars that fall one on each tick, all usable; None when they do not.

    The common case (a bar every minute on a minute clock) built with list operations only:
    the same answer as the general merge, which would put bar ``i`` on tick ``i``.

    >>> _dense([1, 2], [(1, 5.0, None, None), (2, 6.0, None, None)], None).quote
    [(5.0, 0), (6.0, 0)]
    >>> _dense([1, 2], [(1, 5.0, None, None), (2, float("inf"), None, None)], None) is None
    True
    """
    if list(map(_TIME, bars)) != ticks:
        return None
    prices = list(map(_PRICE, bars))
    if None in prices:
        return None
    try:  # a NaN or an infinity makes the sum NaN or infinite
        total = fsum(prices)
    except OverflowError:
        return None
    if not (total - total == 0.0 and min(prices) > 0.0):
        return None
    quote = list(zip(prices, repeat(0)))
    bids = list(map(_BID, bars))
    asks = list(map(_ASK, bars))
    if bids.count(None) == len(bids) and asks.count(None) == len(asks):  # no quote on any bar
        if nones is None or len(nones) != len(ticks):
            nones = [None] * len(ticks)
        return Series(quote, nones, nones)
    return Series(quote, bids, asks)


class DayCache:
    """Full-day series of the instruments touched today; cleared at day end."""

    def __init__(self, source: DataSource, day, ticks: Sequence[Any]):
        self._source = source
        self._day = day
        self._ticks = ticks
        self._series: dict[Instrument, Series] = {}
        self._nones = [None] * len(ticks)
        self.queries = 0
        self.hits = 0
        self.fetched = 0

    def series(self, instrument: Instrument) -> Series:
        s = self._series.get(instrument)
        if s is None:
            self._fetch([instrument])
            return self._series[instrument]
        self.hits += 1
        return s

    def prefetch(self, instruments: Iterable[Instrument]) -> None:
        """Fetch several instruments in one query. Optional: the cache fetches lazily anyway."""
        missing = [i for i in unique(instruments) if i not in self._series]
        if missing:
            self._fetch(missing)

    def _fetch(self, instruments: list[Instrument]) -> None:
        self.queries += 1
        self.fetched += len(instruments)
        ticks = self._ticks
        aligned = getattr(self._source, "aligned", None)  # a sweep's memo: aligned once for all its runs
        if aligned is not None:
            self._series.update(aligned(self._day, instruments, ticks, self._nones))
            return
        bars = self._source.option_bars(self._day, instruments)
        for inst in instruments:
            self._series[inst] = align(ticks, bars.get(inst, ()), self._nones)

    def window(self, underlying: str, expiry, opt_type: str, after, until) -> dict[float, list[Bar]] | None:
        """The bars of one expiry and type's strikes known in (``after``, ``until``] today, in one
        query (the source's optional ``chain_bars``); None when the source cannot answer that.
        Nothing is kept here: a window is not a whole day (optbt.engine.livechain holds it)."""
        fetch = getattr(self._source, "chain_bars", None)
        if fetch is None:
            return None
        self.queries += 1
        return fetch(self._day, underlying, expiry, opt_type, after, until)

    def __contains__(self, instrument: Instrument) -> bool:
        return instrument in self._series

    def clear(self) -> None:
        self._series.clear()
