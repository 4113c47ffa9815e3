"""An indicator's interval is bars of that length, whatever the data holds (docs/language.md).

On tick data (rows off the bar grid, several a minute) ``sma(3, 5m)`` is the mean of three
five-minute bars built from the ticks, and ``sma(3)`` (``1m``, the default) of three one-minute
bars: never of the last three ticks. On bar data the data's own bars are used as they are, as
before. Every expected value below is worked out by hand from the rows written here.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from optbt import Strategy
from optbt.dsl import load_strat_text
from optbt.engine.loop import EventEngine, run_backtest
from tests.kit import MemorySource, config, inst

DAY = date(2024, 1, 2)
EXP = date(2024, 1, 4)


def at(hms: str) -> datetime:
    return datetime.fromisoformat(f"{DAY.isoformat()} {hms}")


# Spot ticks of one morning. Five-minute bars (t - 5m, t], closed at their end:
#   (09:15, 09:20]: 100, 110           -> high 110, low 100, close 110
#   (09:20, 09:25]: 200, 120, 125, 130 -> high 200, low 120, close 130 (09:25:00 exactly: in this bar)
#   (09:25, 09:30]: 140, 150           -> high 150, low 140, close 150
# One-minute bars: 09:17 100, 09:20 110, 09:21 200, 09:24 120, 09:25 130 (125 then 130), 09:28 140, 09:30 150.
TICKS = [("09:16:10", 100.0), ("09:19:59.5", 110.0), ("09:20:00.25", 200.0), ("09:24:00", 120.0),
         ("09:24:30", 125.0), ("09:25:00", 130.0), ("09:27:30", 140.0), ("09:29:59.999999", 150.0)]


class TickSource(MemorySource):
    """A MemorySource whose spot is the ticks above (the options stay one bar a minute)."""

    def __init__(self, cfg):
        super().__init__({DAY: {"spot": [], "options": {inst(100, "CE", EXP): [5.0] * 20}}}, cfg)
        self.ticks = [(at(t), p) for t, p in TICKS]

    def spot_bars(self, day, underlying=None):
        return [(t, p, None, None) for t, p in self.ticks]

    def ohlc_bars(self, day, name="spot", underlying=None):
        return [(t, None, None, None, p, None) for t, p in self.ticks]


class Reads(Strategy):
    """Never trades; writes down each look at every tick it runs on (all but the day's last)."""

    def __init__(self, **looks):
        super().__init__()
        self.looks, self.seen = looks, {}

    def entry(self, ctx):
        for name, look in self.looks.items():
            self.seen[(name, ctx.time)] = look(ctx)


def read(source, **looks) -> dict:
    s = Reads(**looks)
    EventEngine(source).run(s)
    return s.seen


def five_minute_clock():
    return TickSource(config(20, bar_minutes=5, strike_step=50))  # ticks 09:20, 09:25, 09:30, 09:35


def test_a_five_minute_indicator_on_ticks_is_fed_five_minute_bars():
    seen = read(five_minute_clock(), sma=lambda c: c.indicator("sma", 2, interval="5m"),
                atr=lambda c: c.indicator("atr", 1, interval="5m"))
    assert seen[("sma", "09:20")] is None                       # one bar closed
    assert seen[("sma", "09:25")] == pytest.approx((110 + 130) / 2)
    assert seen[("sma", "09:30")] == pytest.approx((130 + 150) / 2)
    # the bars' highs and lows are the ticks': true range of (09:20, 09:25] = max(200 - 120, 200 - 110, |120 - 110|)
    assert seen[("atr", "09:25")] == pytest.approx(90.0)
    assert seen[("atr", "09:30")] == pytest.approx(20.0)        # max(150 - 140, |150 - 130|, |140 - 130|)


def test_one_minute_and_the_default_on_ticks_are_one_minute_bars():
    seen = read(five_minute_clock(), default=lambda c: c.indicator("sma", 2),
                one=lambda c: c.indicator("sma", 2, interval="1m"))
    for name in ("default", "one"):
        assert seen[(name, "09:20")] == pytest.approx((100 + 110) / 2)
        assert seen[(name, "09:25")] == pytest.approx((120 + 130) / 2)   # the last two ticks: 125, 130
        assert seen[(name, "09:30")] == pytest.approx((140 + 150) / 2)


def test_on_a_one_minute_clock_a_bar_counts_once_its_minute_has_passed():
    seen = read(TickSource(config(20, strike_step=50)), sma=lambda c: c.indicator("sma", 2, interval="1m"))
    assert seen[("sma", "09:20")] == pytest.approx((100 + 110) / 2)
    assert seen[("sma", "09:21")] == pytest.approx((110 + 200) / 2)     # 200 (09:20:00.25) closes at 09:21
    assert seen[("sma", "09:24")] == pytest.approx((200 + 120) / 2)
    assert seen[("sma", "09:25")] == pytest.approx((120 + 130) / 2)


def test_a_strat_file_reads_the_same_five_minute_bars():
    text = ('strategy t "5m on ticks"\nlegs\n    ce = add(ATM, CE, SELL)\n'
            "entry when sma(spot, 2, 5m) < 121\nexit at 09:35\n")
    res = run_backtest(load_strat_text(text, "t.strat"), source=five_minute_clock())
    # 09:20: one bar (unknown); 09:25: (110 + 130) / 2 = 120. Fed ticks, it was 105 at 09:20
    assert [t.entry_ts.strftime("%H:%M") for t in res.trades] == ["09:25"]


# -- bar data: the data's own bars, as they are ------------------------------------------------------------
MINUTE = [10.0, 12.0, 11.0, 15.0, 14.0, 18.0, 17.0, 20.0, 19.0, 23.0]   # bars 09:16 .. 09:25


def test_on_minute_bars_one_minute_is_the_bars_themselves():
    src = MemorySource({DAY: {"spot": MINUTE, "options": {inst(21000, "CE", EXP): [5.0] * 10}}}, config(10))
    seen = read(src, default=lambda c: c.indicator("sma", 3), one=lambda c: c.indicator("sma", 3, interval="1m"))
    # bar k is known at tick k (09:16 + k); entry runs on ticks 09:16 .. 09:24
    for k in range(9):
        t = f"09:{16 + k}"
        want = None if k < 2 else sum(MINUTE[k - 2:k + 1]) / 3
        assert seen[("default", t)] == seen[("one", t)] == (None if want is None else pytest.approx(want))


def test_on_five_minute_bars_a_shorter_interval_is_the_five_minute_bars():
    # bars at 09:20, 09:25, 09:30, 09:35 (minutes between them: no bar); a bar cannot be cut finer
    closes = [None] * 4 + [10.0] + [None] * 4 + [13.0] + [None] * 4 + [16.0] + [None] * 4 + [25.0]
    src = MemorySource({DAY: {"spot": closes, "options": {inst(0, "CE", EXP): [5.0] * 20}}},
                       config(20, bar_minutes=5))
    looks = {name: (lambda iv: lambda c: c.indicator("sma", 2, interval=iv))(iv)
             for name, iv in (("default", None), ("1m", "1m"), ("2m", "2m"), ("5m", "5m"))}
    seen = read(src, **looks)
    for name in looks:
        assert seen[(name, "09:20")] is None
        assert seen[(name, "09:25")] == pytest.approx((10 + 13) / 2)
        assert seen[(name, "09:30")] == pytest.approx((13 + 16) / 2)
