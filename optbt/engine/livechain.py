"""The live prices of one expiry and type's strikes at a tick, read a few ticks at a time.

Choosing a strike by delta needs, at one tick, the price of every strike of the chain that
traded on that tick. The day cache would fetch each strike's whole day for that (about 70 ms
on a 100-strike chain, once a day): here one query reads only the bars that become known
during the next :data:`WINDOW_TICKS` ticks (about 2 ms), and the next query is made when the
clock leaves that window. A strategy that picks once a day pays one small query. Each later
window of the day is twice the one before (up to :data:`MAX_DOUBLINGS` times): on files
kept in strike order a window's query decodes the chain's whole day whatever its length, so a
rule that picks on every tick pays about five queries a day instead of one every 16 ticks,
and no rule reads more than twice the bars it asks for.

The meaning is the day cache's, exactly (:func:`optbt.data.cache.align`): a strike is live at
tick ``t`` when a usable bar of it became known in (``ticks[t-1]``, ``ticks[t]``] (from the
session's open for the first tick) — lag 0 — and its price is the newest such bar's (the
close, or the mid for quote data, as the source gives it). A strike whose newest bar is
older is not live, whatever its price. Only what the tick's entry holds is ever read, so
nothing known after the tick reaches a decision made at it.

A source without the optional ``chain_bars`` (or a clock that is not naive timestamps)
answers None, and the caller reads the day cache as before.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime
from typing import TYPE_CHECKING

from optbt.model.prices import INF

if TYPE_CHECKING:
    from optbt.engine.dayrun import DayRun

WINDOW_TICKS = 16  # ~2 ms a query on a 100-strike chain; more ticks add rows, not much time
MAX_DOUBLINGS = 5  # windows of 16, 32, 64, 128, 256, 512 ticks: a 375-minute day in five reads


class LiveChain:
    """Strike -> live price at each tick of the current window, for one expiry and option type."""

    def __init__(self, run: "DayRun", expiry: date, opt_type: str):
        self._run = run
        self.expiry = expiry
        self.opt_type = opt_type
        self.listed = frozenset(run.chain.strikes_for(expiry))
        self._first = self._end = 0
        self._reads = 0
        self._live: list[dict[float, float]] = []

    def at(self, tick: int) -> dict[float, float] | None:
        """The strikes live at ``tick`` with their prices; None when the source cannot tell."""
        if not self._first <= tick < self._end and not self._read(tick):
            return None
        return self._live[tick - self._first]

    def _read(self, tick: int) -> bool:
        run = self._run
        ticks = run.ticks
        now = ticks[tick]
        if not isinstance(now, datetime) or now.tzinfo is not None:
            return False
        end = min(tick + (WINDOW_TICKS << min(self._reads, MAX_DOUBLINGS)), len(ticks))
        after = ticks[tick - 1] if tick else None
        found = run.cache.window(run.underlying, self.expiry, self.opt_type, after, ticks[end - 1])
        if found is None:
            return False
        live: list[dict[float, float]] = [{} for _ in range(end - tick)]
        on_tick = {ticks[i]: live[i - tick] for i in range(tick, end)}  # a bar known at a tick's time
        listed = self.listed
        inf = INF
        for strike, bars in found.items():
            if strike not in listed:
                continue
            for t, price, _, _ in bars:  # in time order: a newer bar of the same tick replaces an older one
                if 0.0 < (price or 0.0) < inf and (after is None or t > after):
                    at = on_tick.get(t)
                    if at is None:  # known between two ticks: it belongs to the next one
                        i = bisect_left(ticks, t, tick, end)
                        if i == end:
                            continue
                        at = live[i - tick]
                    at[strike] = price
        self._first, self._end, self._live = tick, end, live
        self._reads += 1
        return True


def live_prices(run: "DayRun", instruments: list, tick: int) -> dict[float, float]:
    """Strike -> live price (lag 0) at ``tick`` of ``instruments`` (one expiry and type's chain).

    From the live chain (a small query for the next few ticks), or from the day cache when it
    already holds them all (no query) or the source cannot read a window (the day cache then
    fetches the whole chain in one query the first time): the same prices either way.
    """
    cache = run.cache
    if instruments and not all(inst in cache for inst in instruments):
        first = instruments[0]
        found = live_chain(run, first.expiry, first.opt_type).at(tick)
        if found is not None:
            return found
    cache.prefetch(instruments)
    out: dict[float, float] = {}
    for inst in instruments:
        q = cache.series(inst).quote[tick]
        if q is not None and q[1] == 0:
            out[inst.strike] = q[0]
    return out


def live_chain(run: "DayRun", expiry: date, opt_type: str) -> LiveChain:
    """The day's live chain of ``expiry`` and ``opt_type``, made on first use (kept on the run)."""
    chains = run.live_chains
    key = (expiry, opt_type)
    hit = chains.get(key)
    if hit is None:
        hit = chains[key] = LiveChain(run, expiry, opt_type)
    return hit
