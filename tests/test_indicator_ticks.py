"""An indicator's value at a tick does not depend on which ticks asked for it.

The engine works out a day's values once, at the day's first ask (optbt.engine.market's
``_Feed.day_values``), and later asks read them. These tests ask on some ticks only, start
mid-day, ask a second field of the same indicator later in the day, and skip asks for whole
stretches; every value read must be the one a batch computation (written here, independently
of optbt's incremental code) gives for the bars known at that tick.
"""

from __future__ import annotations

import statistics
from datetime import date

import pytest

from optbt import Strategy
from optbt.engine.loop import EventEngine
from tests.kit import MemorySource, config, inst

THU, FRI = date(2024, 1, 4), date(2024, 1, 5)
EXP = date(2024, 1, 11)
N = 12  # one-minute ticks 09:16 .. 09:27
DAY1 = [10.0, 11.5, 11.0, 12.5, 13.0, 12.0, 14.0, 15.5, 15.0, 16.0, 17.5, 17.0]
DAY2 = [18.0, 16.5, 17.0, 19.0, 18.5, 20.0, 21.5, 21.0, 22.0, 23.5, 23.0, 24.0]


def days(day2_bars=None):
    """Two days of spot closes (the clock); ``day2_bars``: Friday's whole spot bars, when they
    differ from its closes (a None is a minute without a bar, the clock still ticking)."""
    def a_day(closes, bars=None):
        return {"spot": list(closes), "options": {inst(21000, "CE", EXP): [100.0] * N},
                "bars": {} if bars is None else {"spot": bars}}
    return {THU: a_day(DAY1), FRI: a_day(DAY2, day2_bars)}


class Asker(Strategy):
    """Never trades; at each tick (day, index) listed in ``when`` reads every ``(name, look)``."""

    def __init__(self, looks, when):
        super().__init__()
        self.looks, self.when, self.seen = looks, when, {}
        self.k = {}

    def entry(self, ctx):
        i = self.k.get(ctx.day, 0)
        self.k[ctx.day] = i + 1
        for name, look in self.looks:
            if (ctx.day, i) in self.when.get(name, ()):
                self.seen[(name, ctx.day, i)] = look(ctx)


def run(looks, when, data=None):
    s = Asker(looks, when)
    EventEngine(MemorySource(data or days(), config(N))).run(s)
    return s.seen


def sma(xs, n):
    return [None if i + 1 < n else sum(xs[i + 1 - n:i + 1]) / n for i in range(len(xs))]


def bands(xs, n, k):
    """(lower, middle, upper) of the population Bollinger band at each bar."""
    out = []
    for i in range(len(xs)):
        if i + 1 < n:
            out.append((None, None, None))
        else:
            w = xs[i + 1 - n:i + 1]
            m, d = statistics.fmean(w), k * statistics.pstdev(w)
            out.append((m - d, m, m + d))
    return out


def test_asking_on_some_ticks_only_reads_the_same_values_as_asking_on_every_tick():
    # entry runs on ticks 0..10 of each day (the last tick closes the day): bar i is known at tick i
    closes = DAY1 + DAY2
    want = sma(closes, 3)
    sparse = {(THU, 4), (THU, 9), (FRI, 0), (FRI, 7)}
    every = {(d, i) for d in (THU, FRI) for i in range(N - 1)}
    seen = run([("some", lambda c: c.indicator("sma", 3)), ("all", lambda c: c.indicator("sma", 3, interval=1))],
               {"some": sparse, "all": every})
    for (name, d, i), got in seen.items():
        j = i + (N if d == FRI else 0)
        assert got == (None if want[j] is None else pytest.approx(want[j], rel=1e-12)), (name, d, i)
    assert seen[("some", THU, 4)] == pytest.approx((12.5 + 13.0 + 11.0) / 3)  # by hand: bars 2, 3, 4
    assert seen[("some", FRI, 0)] == pytest.approx((17.5 + 17.0 + 18.0) / 3)  # across the night


def test_a_second_field_of_the_same_indicator_asked_later_in_the_day_is_right():
    want = bands(DAY1 + DAY2, 4, 2)
    when = {"upper": {(THU, i) for i in range(3, 11)},   # from tick 3 on
            "lower": {(THU, 7), (THU, 10), (FRI, 2)},     # first asked at tick 7, after upper
            "middle": {(FRI, i) for i in range(5, 11)}}   # only on the second day, from tick 5
    seen = run([(f, lambda c, f=f: c.indicator("bollinger", 4, 2, field=f if f != "middle" else "value"))
                for f in ("upper", "lower", "middle")], when)
    col = {"lower": 0, "middle": 1, "upper": 2}
    assert len(seen) == 8 + 3 + 6
    for (name, d, i), got in seen.items():
        w = want[i + (N if d == FRI else 0)][col[name]]
        assert got == (None if w is None else pytest.approx(w, rel=1e-12)), (name, d, i, got, w)


def test_a_resampled_indicator_first_asked_mid_day_counts_each_bar_once_its_interval_has_passed():
    # 5m bars from the 09:15 open: 09:15-09:20 (bars 09:16..09:20 = ticks 0..4), 09:20-09:25
    # (ticks 5..9), then 09:25-09:27 closed by the session's end. Asked first at tick 6 (09:22):
    # one closed 5m bar so far (close 13.0); at tick 9 (09:25) the second closes (close 16.0).
    seen = run([("sma", lambda c: c.indicator("sma", 2, interval="5m"))],
               {"sma": {(THU, 6), (THU, 8), (THU, 9), (THU, 10), (FRI, 0), (FRI, 4)}})
    assert seen[("sma", THU, 6)] is None
    assert seen[("sma", THU, 8)] is None
    assert seen[("sma", THU, 9)] == pytest.approx((13.0 + 16.0) / 2)
    assert seen[("sma", THU, 10)] == pytest.approx((13.0 + 16.0) / 2)
    # Thursday's last 5m bar (09:25-09:27, close 17.0) counts before Friday; Friday's first at 09:20
    assert seen[("sma", FRI, 0)] == pytest.approx((16.0 + 17.0) / 2)
    assert seen[("sma", FRI, 4)] == pytest.approx((17.0 + 18.5) / 2)


def test_a_missing_bar_leaves_the_value_where_it_was_until_the_next_bar():
    gappy = list(DAY2)
    gappy[3] = gappy[4] = None  # no bar at 09:19 and 09:20: the clock ticks, the indicator waits
    seen = run([("ema", lambda c: c.indicator("ema", 2))], {"ema": {(FRI, i) for i in range(2, 7)}},
               data=days(gappy))
    # first asked on Friday, but fed from the run's first day (Thursday's twelve bars first)
    closes = DAY1 + [x for x in gappy if x is not None]
    avg, by_bar = None, []
    for j, x in enumerate(closes):  # EMA(2): seeded with the mean of the first two, alpha 2/3
        avg = (closes[0] + closes[1]) / 2 if j == 1 else (None if j == 0 else avg + 2 / 3 * (x - avg))
        by_bar.append(avg)
    at_bar = {2: 2, 3: 2, 4: 2, 5: 3, 6: 4}  # tick -> Friday's bars seen: ticks 3, 4 bring no new bar
    for i, j in at_bar.items():
        assert seen[("ema", FRI, i)] == pytest.approx(by_bar[len(DAY1) + j], rel=1e-12), i
    assert seen[("ema", FRI, 3)] == seen[("ema", FRI, 4)] == seen[("ema", FRI, 2)]  # no bar, no move


@pytest.mark.parametrize("clock", ["every", "at"])
def test_a_resampled_indicator_on_a_clock_coarser_than_its_bars_is_read_at_every_tick(clock):
    """1-minute bars, a 5-minute (or a few times of day) clock, sma(2) of 5m bars: each tick's
    feed closes a 5m bar that also started within it, and the value must still move (it once
    stayed unknown all day). Worked out here from the closes: the 5m bar ending at 09:15 + 5k
    closes at the minute bar known then."""
    from optbt.engine.clock import at, every
    n = 30
    closes = [100.0 + i for i in range(n)]  # the bar known at 09:16 + i closes 100 + i
    five = closes[4::5]  # 5m closes known at 09:20, 09:25, ...
    times = ["09:20", "09:25", "09:30", "09:35", "09:40"] if clock == "every" else ["09:20", "09:30", "09:40"]

    class Sma5(Strategy):
        def __init__(self):
            super().__init__()
            self.seen = []

        def entry(self, ctx):
            self.seen.append((ctx.time, ctx.indicator("sma", 2, interval="5m")))

    Sma5.clock = staticmethod(every(5) if clock == "every" else at(times))
    s = Sma5()
    data = {THU: {"spot": closes, "options": {inst(21000, "CE", EXP): [100.0] * n}, "bars": {}}}
    EventEngine(MemorySource(data, config(n))).run(s)
    want = {}
    for t in times:
        k = (int(t[3:]) + 60 * (int(t[:2]) - 9) - 15) // 5  # 5m bars closed by t
        want[t] = None if k < 2 else (five[k - 2] + five[k - 1]) / 2
    got = dict(s.seen)
    assert got, "the strategy saw no tick"
    for t, value in got.items():
        assert value == (None if want[t] is None else pytest.approx(want[t])), (t, value, want[t])
    assert got["09:30"] == pytest.approx((109.0 + 114.0) / 2)  # by hand
