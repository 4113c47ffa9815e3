"""Market signals: whole spot bars, extra series, opening ranges, previous days and indicators.

Everything here is read lazily and only when a strategy asks (``ctx.spot_bar``,
``ctx.series``, ``ctx.range``, ``ctx.prev_day``, ``ctx.gap``, ``ctx.indicator``): a strategy
that asks for none of it makes no query and pays nothing per tick.

No look-ahead, by construction:

- a bar belongs to the first tick at or after the moment it became known (the same as-of rule
  as option prices); ``(bar, lag)`` at a tick is the newest bar known by then;
- an opening range ``(start, end]`` is known from the first tick at or after ``end``;
- a previous day is a day before today in the data (weekends and holidays are simply absent);
- today's open (for ``gap``) is known once the day's first bar is;
- an indicator's interval (1m, 5m, 15m, 1h) is bars of that length from the session's open,
  built from whatever rows the data holds (ticks too: ``1m`` on ticks is one-minute bars, never
  ticks); a bar is fed once the clock has passed its end. Bar data on that grid (or on its own
  ``bar_minutes`` grid with an interval no longer than it) is fed as it is, the same values
  without building a bar per bar. Its state carries across days in date order from the first
  day a strategy asked for it; days the strategy skipped are fed too, so the value never
  depends on which days traded.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import gcd
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

from optbt.data.bars import SPOT, unknown_series
from optbt.model import indicators as I
from optbt.model.errors import did_you_mean

MAX_PREV_DAYS = 5          # prev_day(n): n from 1 to this
_SCAN_BACK = 15            # days without bars of a series skipped at most, looking back
_KEEP_DAYS = 12            # whole days of bars kept in memory (the few the feeds and prev days need)


class OhlcQuote(NamedTuple):
    """The newest bar known at a tick; ``lag`` ticks old (0: it became known at this tick)."""

    open: float | None
    high: float | None
    low: float | None
    close: float
    volume: float | None
    lag: int


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One whole day of a series: first open, highest high, lowest low, last close.

    A bar without an open/high/low counts with its close there (close-only data still has a
    day's high and low: the highest and lowest close)."""

    day: date
    open: float
    high: float
    low: float
    close: float


# kind -> (indicator factory, inputs "c" (close) or "hlcv", fields beside "value", arguments)
INDICATORS: dict[str, tuple[Any, str, tuple[str, ...], tuple[str, ...]]] = {
    "sma": (I.SMA, "c", (), ("period",)),
    "ema": (I.EMA, "c", (), ("period",)),
    "rsi": (I.RSI, "c", (), ("period",)),
    "atr": (I.ATR, "hlcv", (), ("period",)),
    "vwap": (I.VWAP, "hlcv", (), ()),
    "bollinger": (I.Bollinger, "c", ("upper", "middle", "lower"), ("period", "width")),
    "supertrend": (I.Supertrend, "hlcv", ("direction",), ("period", "multiplier")),
}


def interval_minutes(interval: Any) -> int:
    """``"5m"`` -> 5, ``"1h"`` -> 60, an int stays; 1 minute to 1 day.

    >>> interval_minutes("15m"), interval_minutes("1h"), interval_minutes(None)
    (15, 60, 1)
    """
    if interval is None:
        return 1
    if isinstance(interval, int) and not isinstance(interval, bool):
        n = interval
    else:
        text = str(interval).strip().lower()
        try:
            n = int(text[:-1]) * (60 if text.endswith("h") else 1) if text[-1:] in ("m", "h") else int(text)
        except ValueError:
            raise ValueError(f"an interval is like 1m, 5m, 15m or 1h, not {interval!r}") from None
    if not 1 <= n <= 1440:
        raise ValueError(f"an interval is from 1m to 24h, not {interval!r}")
    return n


def summarise(day: date, bars: list) -> DaySummary | None:
    if not bars:
        return None
    first = bars[0]
    return DaySummary(day, first[1] if first[1] is not None else first[4],
                      max(b[2] if b[2] is not None else b[4] for b in bars),
                      min(b[3] if b[3] is not None else b[4] for b in bars), bars[-1][4])


class _Feed:
    """One indicator on one series at one interval, fed bar by bar as the clock reaches them.

    A day's bars are fed as they are when they are already bars of the interval (``direct``,
    decided each day by :meth:`Market.fed_as_is`), else resampled into bars of ``step``."""

    __slots__ = ("ind", "hlc", "step", "direct", "name", "day", "pos", "acc", "acc_end", "open_", "close_", "reset",
                 "fields", "values", "pushed")

    def __init__(self, kind: str, name: str, args: tuple, minutes: int):
        factory, inputs, extra, _ = INDICATORS[kind]
        self.ind = factory(*args)
        self.fields = ("value",) + extra
        self.values: tuple[date, dict[str, list]] | None = None  # (day, field -> value at each tick)
        self.hlc = inputs == "hlcv"
        self.reset = kind == "vwap"  # VWAP is a session's: it starts again at each open
        self.step = timedelta(minutes=minutes)
        self.direct = True  # today's bars are fed as they are (see Market.fed_as_is), else resampled
        self.name = name
        self.day: date | None = None
        self.pos = 0
        self.pushed = 0  # bars given to the indicator so far (what changes its value)
        self.acc: list | None = None      # the resampled bar being built: [o, h, l, c, v]
        self.acc_end: datetime | None = None

    def start(self, day: date, session: tuple[datetime, datetime], direct: bool) -> None:
        self.day, self.pos, self.acc, self.acc_end = day, 0, None, None
        self.direct = direct
        self.open_, self.close_ = session
        if self.reset:
            self.ind.reset()

    def feed_until(self, bars: list, now: Any) -> None:
        """Feed every bar known at ``now`` (and close a resampled bar whose end has passed)."""
        pos, n = self.pos, len(bars)
        if pos < n and bars[pos][0] > now:  # the common case on a minute clock: nothing new yet
            if self.acc is not None and self.acc_end <= now:
                self._flush()
            return
        if self.direct:
            update = self.ind.update
            if self.hlc:
                while pos < n and bars[pos][0] <= now:
                    _, _, h, l, c, v = bars[pos]
                    update(c if h is None else h, c if l is None else l, c, v)
                    pos += 1
            else:
                while pos < n and bars[pos][0] <= now:
                    update(bars[pos][4])
                    pos += 1
            self.pos = pos
            return
        while pos < n and bars[pos][0] <= now:
            self._bucket(bars[pos])
            pos += 1
        self.pos = pos
        if self.acc is not None and self.acc_end <= now:
            self._flush()

    def day_values(self, bars: list, ticks: list, start: int) -> dict[str, list]:
        """Each field's value at every tick of the day from ``start`` on (None before it).

        Computed once, the first time the day asks, so that a later ask is a list index instead
        of a feed and a field read. The bars are fed exactly as :meth:`feed_until` called at
        each tick in turn feeds them (a bar once the clock reaches the moment it became known,
        a resampled bar once the clock has passed its end), and the fields are read after each
        tick's feed: no value at a tick depends on a bar known after it, and feeding in one
        call or in many gives the same state. The day's bars are all fed then; :meth:`finish`
        still flushes the last resampled bar at the next day.
        """
        if self.values is not None and self.values[0] == self.day:
            return self.values[1]
        n = len(ticks)
        ind = self.ind
        names = self.fields
        read = attrgetter(*names)  # one field: its value; several: a tuple
        snaps: list = [None if len(names) == 1 else (None,) * len(names)] * n
        cur = read(ind)
        if self.direct:  # bars fed as they are: the loop of feed_until, once for the day
            update = ind.update
            hlc = self.hlc
            pos, nb = self.pos, len(bars)
            for i in range(start, n):
                now = ticks[i]
                if pos < nb and bars[pos][0] <= now:
                    while pos < nb and bars[pos][0] <= now:
                        if hlc:
                            _, _, h, l, c, v = bars[pos]
                            update(c if h is None else h, c if l is None else l, c, v)
                        else:
                            update(bars[pos][4])
                        pos += 1
                    cur = read(ind)
                snaps[i] = cur
            self.pos = pos
        else:  # resampled: the loop of feed_until, once for the day
            bucket = self._bucket
            pos, nb = self.pos, len(bars)
            seen = self.pushed  # resampled bars given to the indicator: a new one changes its value
            for i in range(start, n):
                now = ticks[i]
                while pos < nb and bars[pos][0] <= now:
                    bucket(bars[pos])
                    pos += 1
                if self.acc is not None and self.acc_end <= now:
                    self._flush()
                if self.pushed != seen:  # however many bars one tick closed (a coarse clock: several)
                    seen = self.pushed
                    cur = read(ind)
                snaps[i] = cur
            self.pos = pos
        out = {names[0]: snaps} if len(names) == 1 else \
            {name: list(map(itemgetter(k), snaps)) for k, name in enumerate(names)}
        self.values = (self.day, out)
        return out

    def finish(self, bars: list) -> None:
        """The rest of the day: every bar, and the last (perhaps short) resampled bar."""
        pos = self.pos
        self.pos = len(bars)
        for b in bars[pos:]:
            if self.direct:
                self._push(b[1], b[2], b[3], b[4], b[5])
            else:
                self._bucket(b)
        if self.acc is not None:
            self._flush()

    def _bucket(self, b) -> None:
        t = b[0]
        acc = self.acc
        if acc is not None and t > self.acc_end:  # past the bar being built: it is complete
            self._flush()
            acc = None
        _, o, h, l, c, v = b
        h = c if h is None else h
        l = c if l is None else l
        if acc is None:
            steps = -(-(t - self.open_) // self.step)  # ceil: a bar known at 09:20 ends the 09:15-09:20 bar
            self.acc = [o if o is not None else c, h, l, c, v]
            self.acc_end = min(self.open_ + steps * self.step, self.close_)
        else:
            acc[1] = max(acc[1], h)
            acc[2] = min(acc[2], l)
            acc[3] = c
            acc[4] = None if v is None or acc[4] is None else acc[4] + v

    def _flush(self) -> None:
        o, h, l, c, v = self.acc
        self.acc = None
        self._push(o, h, l, c, v)

    def _push(self, o, h, l, c, v) -> None:
        self.pushed += 1
        if self.hlc:
            self.ind.update(c if h is None else h, c if l is None else l, c, v)
        else:
            self.ind.update(c)


class Market:
    """Run-wide market state: recent days' bars, previous-day summaries, indicator feeds."""

    def __init__(self, source, underlying: str):
        self.source = source
        self.underlying = underlying
        self.config = source.config
        self._ohlc = getattr(source, "ohlc_bars", None)
        self._bars: dict[tuple[str, date], list] = {}
        self._summaries: dict[tuple[str, date], DaySummary | None] = {}
        self._grids: dict[tuple[str, date], int] = {}  # (series, day) -> see _grid
        self._calendar: list[date] | None = None
        self.feeds: dict[tuple, _Feed] = {}
        self.first_day: date | None = None  # the run's first day: every indicator is fed from it

    def check_series(self, names) -> None:
        """Refuse, before the first day, a series the dataset does not declare."""
        declared = self.config.series
        for name in names:
            if name != SPOT and name not in declared:
                raise unknown_series(name, declared)

    def calendar(self) -> list[date]:
        if self._calendar is None:
            self._calendar = list(self.source.trading_days())
        return self._calendar

    def bars(self, name: str, day: date) -> list:
        """The day's whole bars of ``name`` (kept for the last few days asked)."""
        key = (name, day)
        hit = self._bars.get(key)
        if hit is None:
            if self._ohlc is not None:
                hit = self._ohlc(day, name, self.underlying)
            elif name == SPOT:  # a source with closes only: the rest of each bar is unknown
                hit = [(b[0], None, None, None, b[1], None) for b in self.source.spot_bars(day, self.underlying)
                       if b[1] is not None]
            else:
                raise unknown_series(name, self.config.series)
            if len(self._bars) >= _KEEP_DAYS:
                del self._bars[next(iter(self._bars))]
            self._bars[key] = hit
        return hit

    def session(self, day: date) -> tuple[datetime, datetime]:
        return self.source.session(day, self.underlying)

    def summary(self, name: str, day: date) -> DaySummary | None:
        key = (name, day)
        if key not in self._summaries:
            self._summaries[key] = summarise(day, self.bars(name, day))
        return self._summaries[key]

    def prev_day(self, name: str, day: date, n: int = 1) -> DaySummary | None:
        """The n-th trading day before ``day`` that has bars of ``name`` (weekends, holidays and
        days the series lacks are skipped), or None when the data holds none that far back."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PREV_DAYS:
            raise ValueError(f"prev_day(n): n is a whole number from 1 to {MAX_PREV_DAYS}, not {n!r}")
        self.check_series([name])  # on the data's first day too (no earlier day would be read)
        cal = self.calendar()
        i = bisect_left(cal, day) - 1
        found = 0
        stop = max(-1, i - n - _SCAN_BACK)
        while i > stop:
            s = self.summary(name, cal[i])
            if s is not None:
                found += 1
                if found == n:
                    return s
            i -= 1
        return None

    def feed(self, kind: str, name: str, args: tuple, minutes: int, day: date) -> _Feed:
        key = (kind, name, args, minutes)
        f = self.feeds.get(key)
        if f is None:
            f = self.feeds[key] = _Feed(kind, name, args, minutes)
            first = self.first_day if self.first_day is not None and self.first_day < day else day
            # first asked today, but fed from the run's first day: the days the strategy skipped
            # (an expiry rule with no match, on_day_start) count, as for a strategy asking daily
            self._start(f, first)
            if first != day:
                self._catch_up(f, day)
        elif f.day != day:
            self._catch_up(f, day)
        return f

    def _catch_up(self, f: _Feed, day: date) -> None:
        """Finish the feed's last day, feed the whole days in between, then start ``day``."""
        f.finish(self.bars(f.name, f.day))
        cal = self.calendar()
        for d in cal[bisect_left(cal, f.day) + 1:bisect_left(cal, day)]:
            self._start(f, d)
            f.finish(self.bars(f.name, d))
        self._start(f, day)

    def _start(self, f: _Feed, day: date) -> None:
        f.start(day, self.session(day), self.fed_as_is(f.name, day, f.step))

    def fed_as_is(self, name: str, day: date, step: timedelta) -> bool:
        """Whether bars of ``step`` are the day's own bars of ``name``, so that an indicator is fed
        them as they are instead of resampled (the same values, without building a bar per bar).

        True when every bar of the day is known at the session's open plus a whole number of
        ``step`` (a bar of ``step`` then holds at most one of them, ending at its time), or when
        they all lie on the ``bar_minutes`` grid and ``step`` is not longer than that: a bar of
        the data cannot be cut finer (``1m`` on five-minute bars is the five-minute bars). Tick
        data (rows off the grid) is always resampled: ``1m`` is one-minute bars, never ticks.
        """
        grid = self._grid(name, day)
        us = timedelta(microseconds=1)
        return (grid % (step // us) == 0
                or (step <= self.config.bar_length and grid % (self.config.bar_length // us) == 0))

    def _grid(self, name: str, day: date) -> int:
        """The greatest common divisor, in microseconds, of the day's bar times from the session's
        open (0 without bars): every bar lies on a grid of ``step`` when this is a multiple of it."""
        key = (name, day)
        g = self._grids.get(key)
        if g is None:
            open_ = self.session(day)[0]
            us = timedelta(microseconds=1)
            g = gcd(*[(b[0] - open_) // us for b in self.bars(name, day)])
            if len(self._grids) >= _KEEP_DAYS:
                del self._grids[next(iter(self._grids))]
            self._grids[key] = g
        return g


def make_indicator_key(kind: str, args: tuple, interval: Any) -> tuple[str, tuple, int]:
    """(kind, args, minutes), checked: the error names the indicators and their arguments."""
    spec = INDICATORS.get(kind)
    if spec is None:
        raise ValueError(f"unknown indicator '{kind}'{did_you_mean(kind, INDICATORS)}; "
                         f"indicators: {', '.join(INDICATORS)}")
    names = spec[3]
    if len(args) > len(names):
        raise ValueError(f"{kind} takes {len(names)} argument(s) ({', '.join(names) or 'none'}), got {len(args)}")
    return kind, tuple(args), interval_minutes(interval)


class DayMarket:
    """One day of market signals for the contexts of one strategy."""

    def __init__(self, market: Market, run):
        self.market = market
        self.run = run
        self.day = run.day
        self._index: dict[str, list] = {}
        self._ranges: dict[tuple, tuple[float, float] | None] = {}
        self._windows: dict[tuple, tuple[datetime, datetime]] = {}
        self._ind_keys: dict[tuple, tuple] = {}
        self._today: dict[tuple, list] = {}    # (kind, args, interval, series, field) -> value at each tick

    def bars(self, name: str) -> list:
        return self.market.bars(name, self.day)

    def _aligned(self, name: str) -> list:
        idx = self._index.get(name)
        if idx is None:
            ticks = self.run.ticks
            n = len(ticks)
            at: dict[int, int] = {}
            for j, b in enumerate(self.bars(name)):
                at[bisect_left(ticks, b[0])] = j
            at.pop(n, None)
            idx = [None] * n
            cur, lag = None, 0
            for i in range(n):
                j = at.get(i)
                if j is not None:
                    cur, lag = j, 0
                elif cur is not None:
                    lag += 1
                if cur is not None:
                    idx[i] = (cur, lag)
            self._index[name] = idx
        return idx

    def quote(self, name: str, tick: int) -> OhlcQuote | None:
        hit = self._aligned(name)[tick]
        if hit is None:
            return None
        b = self.bars(name)[hit[0]]
        return OhlcQuote(b[1], b[2], b[3], b[4], b[5], hit[1])

    def range(self, start: str, end: str, tick: int, name: str = SPOT) -> tuple[float, float] | None:
        """(high, low) of the bars known in (start, end] today, from the first tick at or after end."""
        key = (name, start, end)
        window = self._windows.get(key)
        if window is None:  # "9:30" and "09:30" are one time: compared as datetimes, not as text
            from optbt.data.dataset import parse_hhmm
            window = self._windows[key] = (datetime.combine(self.day, parse_hhmm(start)),
                                           datetime.combine(self.day, parse_hhmm(end)))
            self._note_window(*window)
        t0, t1 = window
        if self.run.ticks[tick] < t1:
            return None
        if key not in self._ranges:
            inside = [b for b in self.bars(name) if t0 < b[0] <= t1]
            self._ranges[key] = None if not inside else (
                max(b[2] if b[2] is not None else b[4] for b in inside),
                min(b[3] if b[3] is not None else b[4] for b in inside))
        return self._ranges[key]

    def _note_window(self, t0: datetime, t1: datetime) -> None:
        """Say (for a day without an entry) why a range outside the session is never known, or
        covers less than it says: orb_breakout's 09:15-09:30 range on a session opening at 09:30
        holds no bar, and the day's note said only that the entry condition never held."""
        session = getattr(self.run, "session", None)
        if session is None or not isinstance(session[0], datetime):
            return
        open_, close = session
        span = f"the range {t0:%H:%M}–{t1:%H:%M}"
        if t1 <= open_:
            why = (f"{span} ends at or before the session's open {open_:%H:%M}: no bar lies in it, so its high "
                   "and low are never known (move the range inside the session)")
        elif t1 > close:
            why = (f"{span} ends after the session's close {close:%H:%M}: it is never complete, so its high "
                   "and low are never known (move the range inside the session)")
        elif t0 < open_:
            why = f"{span} starts before the session's open {open_:%H:%M}: its high and low are of {open_:%H:%M}–{t1:%H:%M} only"
        else:
            return
        self.run.window_notes[why] = None

    def today_open(self, name: str, tick: int) -> float | None:
        """The day's first open, once its first bar is known."""
        if self._aligned(name)[tick] is None:
            return None
        b = self.bars(name)[0]
        return b[1] if b[1] is not None else b[4]

    def gap(self, name: str, tick: int) -> float | None:
        prev = self.market.prev_day(name, self.day, 1)
        o = self.today_open(name, tick) if prev is not None else None
        return None if o is None else o - prev.close

    def gap_pct(self, name: str, tick: int) -> float | None:
        prev = self.market.prev_day(name, self.day, 1)
        o = self.today_open(name, tick) if prev is not None else None
        return None if o is None else (o - prev.close) / prev.close * 100.0

    def indicator(self, kind: str, args: tuple, interval: Any, name: str, field: str, tick: int) -> float | None:
        key = (kind, args, interval, name, field)
        hit = self._today.get(key)
        if hit is not None:  # the common case: asked before today, a list index
            return hit[tick]
        norm = self._ind_keys.get(key)
        if norm is None:
            norm = self._ind_keys[key] = make_indicator_key(kind, args, interval)
            if field != "value" and field not in INDICATORS[kind][2]:
                fields = ", ".join(("value",) + INDICATORS[kind][2])
                raise ValueError(f"{kind} has no '{field}'{did_you_mean(field, fields.split(', '))}; it has {fields}")
            if name != SPOT and name not in self.market.config.series:
                raise unknown_series(name, self.market.config.series)
        f = self.market.feed(norm[0], name, norm[1], norm[2], self.day)
        values = self._today[key] = f.day_values(self.bars(name), self.run.ticks, tick)[field]
        return values[tick]


