"""Incremental indicators against batch computations written out from their definitions.

The batch versions below recompute each value from the whole history with the textbook
formula (no running sums, no shared code with optbt.model.indicators), so an incremental
shortcut that drifts or is off by one bar shows up as a difference.
"""

from __future__ import annotations

import math
import random
import statistics

import pytest

from optbt.model.indicators import ATR, EMA, RSI, SMA, VWAP, Bollinger, Supertrend


def _bars(n: int, seed: int, start: float = 21000.0):
    rnd = random.Random(seed)
    c, out = start, []
    for _ in range(n):
        o = c
        c = max(1.0, c * math.exp(rnd.gauss(0, 0.002)))
        h = max(o, c) * (1 + abs(rnd.gauss(0, 0.0007)))
        lo = min(o, c) * (1 - abs(rnd.gauss(0, 0.0007)))
        out.append((round(h, 2), round(lo, 2), round(c, 2), float(rnd.randint(0, 5000))))
    return out


def batch_sma(closes, n):
    return [None if i + 1 < n else statistics.fmean(closes[i + 1 - n: i + 1]) for i in range(len(closes))]


def batch_ema(closes, n):
    out, a = [], 2 / (n + 1)
    for i in range(len(closes)):
        if i + 1 < n:
            out.append(None)
        elif i + 1 == n:
            out.append(statistics.fmean(closes[:n]))
        else:
            out.append(a * closes[i] + (1 - a) * out[-1])
    return out


def batch_wilder(xs, n):
    out = []
    for i in range(len(xs)):
        if i + 1 < n:
            out.append(None)
        elif i + 1 == n:
            out.append(statistics.fmean(xs[:n]))
        else:
            out.append((out[-1] * (n - 1) + xs[i]) / n)
    return out


def batch_rsi(closes, n):
    ch = [closes[i] - closes[i - 1] for i in range(1, len(closes))]
    g = batch_wilder([max(c, 0.0) for c in ch], n)
    lo = batch_wilder([max(-c, 0.0) for c in ch], n)
    out = [None]
    for a, b in zip(g, lo):
        out.append(None if a is None else (50.0 if a == b == 0 else 100.0 if b == 0 else 100 - 100 / (1 + a / b)))
    return out


def batch_tr(bars):
    return [h - lo if i == 0 else max(h - lo, abs(h - bars[i - 1][2]), abs(lo - bars[i - 1][2]))
            for i, (h, lo, c, v) in enumerate(bars)]


def batch_supertrend(bars, n, m):
    atr = batch_wilder(batch_tr(bars), n)
    st, up_f, lo_f, dirs = [], None, None, []
    for i, (h, lo, c, v) in enumerate(bars):
        if atr[i] is None:
            st.append(None)
            dirs.append(None)
            continue
        bu, bl = (h + lo) / 2 + m * atr[i], (h + lo) / 2 - m * atr[i]
        if up_f is None:
            up_f, lo_f = bu, bl
            d = 1 if c > up_f else -1
        else:
            pc = bars[i - 1][2]
            up_f = bu if bu < up_f or pc > up_f else up_f
            lo_f = bl if bl > lo_f or pc < lo_f else lo_f
            d = (1 if c > up_f else -1) if dirs[-1] == -1 else (-1 if c < lo_f else 1)
        dirs.append(d)
        st.append(lo_f if d == 1 else up_f)
    return st, dirs


def _same(a, b, rel=1e-9):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        if y is None:
            assert x is None, f"bar {i}: {x} before the indicator is warm"
        else:
            assert x == pytest.approx(y, rel=rel, abs=1e-9), f"bar {i}"


@pytest.mark.parametrize("n", [1, 2, 5, 20, 200])
def test_sma_ema_bollinger_match_batch(n):
    bars = _bars(1500, seed=n)
    closes = [b[2] for b in bars]
    sma, ema, bb = SMA(n), EMA(n), Bollinger(n, 2.0)
    got_s, got_e, got_u, got_l = [], [], [], []
    for c in closes:
        got_s.append(sma.update(c))
        got_e.append(ema.update(c))
        bb.update(c)
        got_u.append(bb.upper)
        got_l.append(bb.lower)
    _same(got_s, batch_sma(closes, n))
    _same(got_e, batch_ema(closes, n))
    sd = [None if i + 1 < n else statistics.pstdev(closes[i + 1 - n: i + 1]) for i in range(len(closes))]
    _same(got_u, [None if m is None else m + 2 * s for m, s in zip(batch_sma(closes, n), sd)], rel=1e-8)
    _same(got_l, [None if m is None else m - 2 * s for m, s in zip(batch_sma(closes, n), sd)], rel=1e-8)


@pytest.mark.parametrize("n", [2, 14, 50])
def test_rsi_atr_supertrend_match_batch(n):
    bars = _bars(1200, seed=100 + n)
    closes = [b[2] for b in bars]
    rsi, atr, st = RSI(n), ATR(n), Supertrend(n, 3.0)
    got_r, got_a, got_st, got_d = [], [], [], []
    for h, lo, c, v in bars:
        got_r.append(rsi.update(c))
        got_a.append(atr.update(h, lo, c, v))
        got_st.append(st.update(h, lo, c, v))
        got_d.append(st.direction if st.value is not None else None)
    _same(got_r, batch_rsi(closes, n))
    _same(got_a, batch_wilder(batch_tr(bars), n))
    want_st, want_d = batch_supertrend(bars, n, 3.0)
    _same(got_st, want_st)
    assert got_d == want_d


def test_vwap_is_volume_weighted_typical_price_and_resets_each_session():
    vwap = VWAP()
    assert vwap.update(11, 9, 10, 0) is None          # no volume yet: unknown
    assert vwap.update(12, 10, 11, 100) == pytest.approx(11.0)
    # (11 * 100 + 14 * 300) / 400 = 13.25
    assert vwap.update(15, 13, 14, 300) == pytest.approx(13.25)
    vwap.reset()
    assert vwap.value is None
    assert vwap.update(21, 19, 20, 10) == pytest.approx(20.0)


def test_hand_computed_first_values():
    # RSI(2) on 1, 2, 1.5: changes +1, -0.5 -> avg gain 0.5, avg loss 0.25 -> RS 2 -> 66.67
    rsi = RSI(2)
    assert [rsi.update(c) for c in (1, 2, 1.5)] == [None, None, pytest.approx(200 / 3)]
    # ATR(2): TRs 2 (h-l), max(1, |3-9|... ) -> bar 2: h 12 l 11 prev c 9 -> TR 3; mean 2.5
    atr = ATR(2)
    assert atr.update(10, 8, 9) is None
    assert atr.update(12, 11, 11.5) == pytest.approx(2.5)
    # EMA(2) seeded with the mean of 1 and 3 (= 2), then 2 + 2/3 * (5 - 2) = 4
    ema = EMA(2)
    assert [ema.update(c) for c in (1, 3, 5)] == [None, 2.0, pytest.approx(4.0)]


def test_running_sums_do_not_drift_over_years_of_minutes():
    closes = [b[2] for b in _bars(60_000, seed=9)]
    sma, bb = SMA(20), Bollinger(20)
    for c in closes:
        sma.update(c)
        bb.update(c)
    assert sma.value == pytest.approx(statistics.fmean(closes[-20:]), rel=1e-12)
    assert bb.upper - bb.middle == pytest.approx(2 * statistics.pstdev(closes[-20:]), rel=1e-7)


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, 10**6])
def test_periods_are_checked(bad):
    with pytest.raises(ValueError, match="period"):
        SMA(bad)
