"""Market signals seen from a Python strategy, on small hand-made days whose answers are worked
out by hand (or by a batch computation written here, independently of optbt's incremental code):
whole spot bars, opening ranges, previous days and gaps, extra series, indicators."""

from __future__ import annotations

import math
import statistics
from datetime import date

import pytest

from optbt import Strategy
from optbt.engine.loop import EventEngine, run_backtest
from optbt.model.errors import ConfigError
from tests.kit import MemorySource, config, inst

FRI, TUE, WED = date(2024, 1, 5), date(2024, 1, 9), date(2024, 1, 10)   # Mon 8th: a holiday (absent)
THU = date(2024, 1, 4)
EXP = date(2024, 1, 11)


def a_day(closes, bars=None, n=None):
    """A day with the spot's closes, optional whole bars by series name, and one option (so it runs)."""
    n = n or len(closes)
    return {"spot": list(closes), "options": {inst(21000, "CE", EXP): [100.0] * n}, "bars": bars or {}}


class Probe(Strategy):
    """Never trades; writes down ``look(ctx)`` at every tick."""

    def __init__(self, look, skip=()):
        super().__init__()
        self.look, self.skip, self.seen = look, set(skip), []

    def on_day_start(self, day):
        return day.day not in self.skip

    def entry(self, ctx):
        self.seen.append((ctx.day, ctx.time, self.look(ctx)))


def run(days, look, n_ticks, skip=(), **cfg):
    probe = Probe(look, skip)
    EventEngine(MemorySource(days, config(n_ticks, **cfg))).run(probe)
    return probe.seen


# -- whole bars -----------------------------------------------------------------------------------------
def test_spot_bar_is_the_newest_bar_known_with_its_lag():
    bars = {"spot": [(10.0, 12.0, 9.0, 11.0, 100.0), None, (11.0, 13.0, 10.0, 12.0, 50.0), None]}
    seen = run({TUE: a_day([11.0, None, 12.0, None], bars)}, lambda c: c.spot_bar and tuple(c.spot_bar), 4)
    # entry runs on every tick but the last
    assert [s[2] for s in seen] == [(10.0, 12.0, 9.0, 11.0, 100.0, 0), (10.0, 12.0, 9.0, 11.0, 100.0, 1),
                                    (11.0, 13.0, 10.0, 12.0, 50.0, 0)]


def test_close_only_data_leaves_open_high_low_volume_unknown():
    seen = run({TUE: a_day([11.0, 12.0, 13.0])}, lambda c: tuple(c.spot_bar), 3)
    assert seen[1][2] == (None, None, None, 12.0, None, 0)


# -- opening range ----------------------------------------------------------------------------------------
def test_a_range_is_unknown_until_its_end_then_the_high_and_low_of_its_bars():
    bars = {"spot": [(100.0, 104.0, 99.0, 101.0, None), (101.0, 103.0, 97.0, 102.0, None),
                     (102.0, 108.0, 101.0, 105.0, None), (105.0, 120.0, 90.0, 110.0, None), 111.0, 112.0]}
    seen = run({TUE: a_day([101.0, 102.0, 105.0, 110.0, 111.0, 112.0], bars)},
               lambda c: c.range("09:15", "09:18"), 6)
    # bars known at 09:16, 09:17, 09:18 are in (09:15, 09:18]; the 09:19 bar (high 120) is not
    assert [(t, r) for _, t, r in seen] == [("09:16", None), ("09:17", None), ("09:18", (108.0, 97.0)),
                                            ("09:19", (108.0, 97.0)), ("09:20", (108.0, 97.0))]


def test_a_range_on_close_only_data_uses_the_closes():
    seen = run({TUE: a_day([101.0, 99.0, 105.0, 200.0])}, lambda c: c.range("09:15", "09:18"), 4)
    assert seen[-1][2] == (105.0, 99.0)
    seen = run({TUE: a_day([101.0, 99.0, 105.0, 200.0])}, lambda c: c.range("9:15", "9:18"), 4)
    assert [r for _, _, r in seen] == [None, None, (105.0, 99.0)]  # times written without a leading zero


# -- previous days and the gap ---------------------------------------------------------------------------------
def test_previous_day_skips_the_weekend_and_a_holiday_and_gap_is_against_its_close():
    days = {
        THU: a_day([50.0, 60.0, 55.0]),
        FRI: a_day([98.0, 105.0, 200.0], {"spot": [(100.0, 101.0, 95.0, 98.0, None), (98.0, 110.0, 97.0, 105.0, None),
                                        (105.0, 106.0, 99.0, 200.0, None)]}),
        TUE: a_day([None, 202.5, 203.0], {"spot": [None, (202.0, 203.0, 201.0, 202.5, None), 203.0]}),
    }
    seen = run(days, lambda c: (c.prev_day(), c.prev_day(2), c.gap, c.gap_pct), 3)
    by = {(d, t): v for d, t, v in seen}
    prev, prev2, gap, pct = by[(TUE, "09:17")]
    assert (prev.day, prev.open, prev.high, prev.low, prev.close) == (FRI, 100.0, 110.0, 95.0, 200.0)
    assert (prev2.day, prev2.open, prev2.high, prev2.low, prev2.close) == (THU, 50.0, 60.0, 50.0, 55.0)
    assert gap == pytest.approx(2.0) and pct == pytest.approx(1.0)  # (202 - 200) / 200
    assert by[(TUE, "09:16")][2:] == (None, None)  # today's first bar is not known yet at 09:16
    assert by[(THU, "09:16")] == (None, None, None, None)  # the data's first day has no previous day


def test_prev_day_is_bounded():
    with pytest.raises(Exception, match="from 1 to 5"):
        run({TUE: a_day([1.0, 2.0])}, lambda c: c.prev_day(6), 2)


# -- extra series -----------------------------------------------------------------------------------------------
def test_a_series_has_the_same_known_at_and_lag_rule_as_the_spot():
    days = {TUE: a_day([1.0, 2.0, 3.0, 4.0], {"vix": [None, 14.5, None, 15.0]})}
    seen = run(days, lambda c: c.series("vix") and (c.series("vix").close, c.series("vix").lag), 4,
               series={"vix": {"path": "-"}})
    assert [v for _, _, v in seen] == [None, (14.5, 0), (14.5, 1)]


def test_an_unknown_series_is_an_error_naming_the_nearest():
    days = {TUE: a_day([1.0, 2.0], {"vix": [14.0, 15.0]})}
    with pytest.raises(ConfigError, match="no series 'vx'.*did you mean 'vix'"):
        run(days, lambda c: c.series("vx"), 2, series={"vix": {"path": "-"}})


# -- indicators against a batch computation written here -----------------------------------------------------------
def batch_sma(xs, n):
    return [None if i + 1 < n else sum(xs[i + 1 - n:i + 1]) / n for i in range(len(xs))]


def batch_ema(xs, n):
    out, avg = [], None
    for i, x in enumerate(xs):
        if i + 1 == n:
            avg = sum(xs[:n]) / n
        elif i + 1 > n:
            avg = avg + 2 / (n + 1) * (x - avg)
        out.append(avg)
    return out


def batch_rsi(xs, n):
    out = [None]
    gains, losses = [], []
    ag = al = None
    for i in range(1, len(xs)):
        ch = xs[i] - xs[i - 1]
        gains.append(max(ch, 0.0))
        losses.append(max(-ch, 0.0))
        if len(gains) == n:
            ag, al = sum(gains) / n, sum(losses) / n
        elif len(gains) > n:
            ag, al = (ag * (n - 1) + gains[-1]) / n, (al * (n - 1) + losses[-1]) / n
        out.append(None if ag is None else (100.0 if al == 0 else 100 - 100 / (1 + ag / al)))
    return out


def batch_bollinger_upper(xs, n, k):
    return [None if i + 1 < n else statistics.fmean(xs[i + 1 - n:i + 1]) + k * statistics.pstdev(xs[i + 1 - n:i + 1])
            for i in range(len(xs))]


CLOSES = [100 + 7 * math.sin(i * 0.7) + (i % 5) * 0.9 for i in range(30)]   # 3 days of 10 bars


def three_days():
    return {THU: a_day(CLOSES[0:10]), FRI: a_day(CLOSES[10:20]), TUE: a_day(CLOSES[20:30])}


@pytest.mark.parametrize("kind,args,batch", [
    ("sma", (4,), lambda xs: batch_sma(xs, 4)),
    ("ema", (5,), lambda xs: batch_ema(xs, 5)),
    ("rsi", (6,), lambda xs: batch_rsi(xs, 6)),
    ("bollinger", (8, 2), lambda xs: batch_bollinger_upper(xs, 8, 2)),
])
def test_an_indicator_matches_a_batch_computation_tick_by_tick_across_days(kind, args, batch):
    field = "upper" if kind == "bollinger" else "value"
    seen = run(three_days(), lambda c: c.indicator(kind, *args, field=field), 10)
    want = batch(CLOSES)
    # entry runs on ticks 0..8 of each day (not the last): bar i of day d is CLOSES[10 d + i]
    for n, (_, _, got) in enumerate(seen):
        i = (n // 9) * 10 + n % 9
        if want[i] is None:
            assert got is None, (n, got)
        else:
            assert got == pytest.approx(want[i], rel=1e-12), (n, got, want[i])


def test_an_indicator_is_fed_the_days_a_strategy_skipped():
    seen = run(three_days(), lambda c: c.indicator("ema", 12), 10, skip=(FRI,))
    assert seen[0][0] == THU and seen[9][0] == TUE
    assert seen[9][2] == pytest.approx(batch_ema(CLOSES, 12)[20], rel=1e-12)  # the skipped day's bars counted


def test_a_resampled_bar_counts_only_once_its_interval_has_passed():
    # 12 one-minute bars 09:16..09:27; 5m bars close at 09:20, 09:25 and the session's close 09:27.
    # The 09:20 bar is missing: the first 5m bar closes at 09:20 by the clock, with the 09:19 close.
    closes = [10.0, 11.0, 12.0, 13.0, None, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0]
    seen = run({TUE: a_day(closes)}, lambda c: c.indicator("sma", 2, interval="5m"), 12)
    got = {t: v for _, t, v in seen}
    assert got["09:24"] is None                     # one closed 5m bar (close 13) so far
    assert got["09:25"] == pytest.approx((13.0 + 19.0) / 2)
    assert got["09:26"] == pytest.approx((13.0 + 19.0) / 2)  # the 09:25-09:30 bar has not closed


def test_vwap_starts_again_each_session():
    bars_thu = {"spot": [(None, 12.0, 8.0, 10.0, 100.0), (None, 12.0, 12.0, 12.0, 300.0), 9.0]}
    bars_fri = {"spot": [(None, 30.0, 30.0, 30.0, 10.0), 31.0, 32.0]}
    seen = run({THU: a_day([10.0, 12.0, 9.0], bars_thu), FRI: a_day([30.0, 31.0, 32.0], bars_fri)},
               lambda c: c.indicator("vwap"), 3)
    assert [v for _, _, v in seen] == [pytest.approx(10.0), pytest.approx((10 * 100 + 12 * 300) / 400),
                                       pytest.approx(30.0), pytest.approx(30.0)]  # a bar without volume adds nothing


def test_a_strategy_that_reads_no_signal_makes_no_bar_query():
    src = MemorySource(three_days(), config(10))
    calls = []
    src.ohlc_bars = lambda *a, **k: calls.append(a) or []
    EventEngine(src).run(Probe(lambda c: c.spot))
    assert calls == []


# -- through DuckDB: optional columns, a start-labelled series, a bad series name ---------------------------------
def test_parquet_spot_without_ohlc_columns_and_a_start_labelled_series(tmp_path):
    from datetime import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    from optbt.data.dataset import load_dataset
    from optbt.data.duckdb_source import DuckDBSource

    t = [datetime(2024, 1, 2, 9, 16), datetime(2024, 1, 2, 9, 17)]
    pq.write_table(pa.table({"ts": t, "close": [21000.0, 21010.0]}), tmp_path / "spot.parquet")
    pq.write_table(pa.table({"ts": t, "underlying": ["NIFTY"] * 2, "expiry": [date(2024, 1, 4)] * 2,
                             "strike": [21000.0] * 2, "opt_type": ["CE"] * 2, "close": [100.0, 101.0]}),
                   tmp_path / "options.parquet")
    # VIX bars labelled by their opening minute: 09:15 is known at 09:16, 09:16 at 09:17
    pq.write_table(pa.table({"time": [datetime(2024, 1, 2, 9, 15), datetime(2024, 1, 2, 9, 16)],
                             "o": [14.0, 14.2], "c": [14.1, float("nan")]}), tmp_path / "vix.parquet")
    (tmp_path / "dataset.toml").write_text(
        '[options]\npath = "options.parquet"\n[spot]\npath = "spot.parquet"\n[spot.columns]\nunderlying = ""\n'
        '[series.vix]\npath = "vix.parquet"\nbar_label = "start"\n[series.vix.columns]\nts = "time"\nopen = "o"\n'
        'close = "c"\n[session]\nstart = "09:15"\nend = "09:20"\n')
    src = DuckDBSource(load_dataset(tmp_path))
    day = date(2024, 1, 2)
    assert src.ohlc_bars(day) == [(t[0], None, None, None, 21000.0, None), (t[1], None, None, None, 21010.0, None)]
    # shifted by one bar; the NaN close is no bar
    assert src.ohlc_bars(day, "vix") == [(datetime(2024, 1, 2, 9, 16), 14.0, None, None, 14.1, None)]


def test_a_conflicting_ohlc_bar_with_the_same_close_names_what_differs(tmp_path):
    """Two VIX rows at one minute, same close, other opens: which is true cannot be known (an
    indicator reads the open); the error shows the whole bars, not two equal closes."""
    from datetime import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    from optbt.data.dataset import load_dataset
    from optbt.data.duckdb_source import DuckDBSource
    from optbt.data.source import ConflictingBarsError

    t = datetime(2024, 1, 2, 9, 16)
    pq.write_table(pa.table({"ts": [t], "close": [21000.0]}), tmp_path / "spot.parquet")
    pq.write_table(pa.table({"ts": [t], "expiry": [date(2024, 1, 4)], "strike": [21000.0], "opt_type": ["CE"],
                             "close": [100.0]}), tmp_path / "options.parquet")
    pq.write_table(pa.table({"ts": [t, t], "open": [14.0, 14.5], "close": [14.1, 14.1]}), tmp_path / "vix.parquet")
    (tmp_path / "dataset.toml").write_text(
        '[options]\npath = "options.parquet"\n[spot]\npath = "spot.parquet"\n[series.vix]\npath = "vix.parquet"\n'
        '[session]\nstart = "09:15"\nend = "09:20"\n')
    with pytest.raises(ConflictingBarsError, match=r"vix at 2024-01-02 09:16:00: prices \(14\.0, .*14\.1.*\), \(14\.5,"):
        DuckDBSource(load_dataset(tmp_path)).ohlc_bars(date(2024, 1, 2), "vix")


def test_a_series_name_must_be_a_name_strategies_can_write():
    from optbt.data.dataset import DatasetConfig
    with pytest.raises(Exception, match="series name 'spot'"):
        DatasetConfig.model_validate({"options": {"path": "o"}, "spot": {"path": "s"}, "series": {"spot": {"path": "v"}}})


def test_the_python_orb_example_and_the_strat_file_trade_the_same(sample_source):
    from pathlib import Path

    from optbt import run_backtest
    from optbt.dsl.loader import load_strategy

    root = Path(__file__).resolve().parents[1]
    py = run_backtest(load_strategy(f"{root}/examples/orb_breakout.py:OrbBreakout"), source=sample_source)
    dsl = run_backtest(load_strategy(f"{root}/strategies_dsl/orb_breakout.strat"), source=sample_source)
    rows = lambda r: [(t.day, t.leg.strike, t.entry_ts, t.entry_price, t.exit_ts, t.exit_price, t.exit_reason)
                      for t in r.trades]
    assert len(py.trades) > 20 and rows(py) == rows(dsl)


def test_on_day_start_sees_the_previous_day_and_can_skip_on_it():
    class SkipAfterWideDay(Probe):
        def on_day_start(self, day):
            prev = day.prev_day()
            self.seen.append((day.day, "start", prev and (prev.high - prev.low)))
            return prev is None or prev.high - prev.low < 10

    days = {THU: a_day([100.0, 120.0, 101.0]), FRI: a_day([100.0, 101.0, 102.0]), TUE: a_day([1.0, 2.0, 3.0])}
    probe = SkipAfterWideDay(lambda c: None)
    EventEngine(MemorySource(days, config(3))).run(probe)
    starts = [(d, r) for d, t, r in probe.seen if t == "start"]
    assert starts == [(THU, None), (FRI, 20.0), (TUE, 2.0)]
    assert {d for d, t, _ in probe.seen if t != "start"} == {THU, TUE}  # Friday skipped after Thursday's 20-point range


def test_indicators_are_fed_from_the_runs_first_day_even_when_the_strategy_starts_later(sample_dataset):
    """A 0DTE file skips the days before the expiry (no_expiry); its EMA must still be fed from
    the run's first day (docs/language.md), so it is known at the expiry day's first tick and
    the entry fills at 09:16. It started cold on the expiry day: unknown until 09:20."""
    from optbt.dsl import load_strat_text
    text = ('strategy t "0DTE"\nexpiry dte == 0\nlegs\n    ce = add(ATM, CE, SELL)\n'
            "entry at 09:16 when ema(spot, 5) > 0\nexit at 09:40\n")
    res = run_backtest(load_strat_text(text, "t.strat"), data=sample_dataset, start="2024-01-01", end="2024-01-04")
    assert [d.skip_reason for d in res.daily if d.skipped] == ["no_expiry"] * 3
    assert [t.entry_ts.strftime("%Y-%m-%d %H:%M") for t in res.trades] == ["2024-01-04 09:16"]


def test_an_undeclared_series_is_an_error_on_the_datas_first_day_too(sample_dataset):
    class Asks(Strategy):
        def entry(self, ctx):
            ctx.prev_day(1, "vx")
    with pytest.raises(ConfigError, match="no series 'vx'"):
        run_backtest(Asks, data=sample_dataset, start="2024-01-01", end="2024-01-01")
