"""The synthetic generator: deterministic, realistic where it matters to a backtest."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import duckdb
import pytest

from optbt.data.dataset import load_dataset
from optbt.data.synth import expiries_for, generate, trading_calendar


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("s") / "d", days=2, seed=3)


def _digest(root):
    return {p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


def test_same_seed_gives_byte_identical_files(synth, tmp_path):
    again = generate(tmp_path / "again", days=2, seed=3)
    assert _digest(synth) == _digest(again)
    other = generate(tmp_path / "other", days=2, seed=4)
    assert _digest(synth) != _digest(other)


def test_layout_and_config(synth):
    cfg = load_dataset(synth)
    assert cfg.synthetic and cfg.strike_step == 50 and cfg.bar_label == "end"
    days = sorted(p.name for p in (synth / "options").iterdir())
    assert days == sorted(p.name for p in (synth / "spot").iterdir()) and len(days) == 2


def test_bars_prices_and_gaps(synth):
    con = duckdb.connect()
    spot = con.execute("SELECT count(*), min(strftime(ts, '%H:%M')), max(strftime(ts, '%H:%M')) "
                       "FROM read_parquet(?) GROUP BY CAST(ts AS DATE)", [str(synth / "spot/*/*.parquet")]).fetchall()
    assert spot == [(375, "09:16", "15:30")] * 2
    opts = str(synth / "options/*/*.parquet")
    low, off_tick = con.execute("SELECT min(close), count(*) FILTER (WHERE abs(close * 20 - round(close * 20)) > 1e-6) "
                                "FROM read_parquet(?)", [opts]).fetchone()
    assert low >= 0.05 and off_tick == 0
    # strikes within 10 steps of the open never miss a minute; the farthest miss a good share
    counts = con.execute(
        "WITH centre AS (SELECT CAST(ts AS DATE) AS d, round(first(open ORDER BY ts) / 50) * 50 AS k "
        "  FROM read_parquet(?) GROUP BY 1), "
        "n AS (SELECT abs(o.strike - c.k) AS dist, count(*) AS bars FROM read_parquet(?) o "
        "  JOIN centre c ON CAST(o.ts AS DATE) = c.d GROUP BY o.expiry, o.strike, o.opt_type, c.d, dist) "
        "SELECT dist >= 1900, avg(bars) FROM n WHERE dist <= 500 OR dist >= 1900 GROUP BY 1",
        [str(synth / "spot/*/*.parquet"), opts]).fetchall()
    per = dict(counts)
    assert per[False] == 375 and per[True] < 260


def test_put_call_parity_holds(synth):
    con = duckdb.connect()
    rows = con.execute(
        "SELECT c.close - p.close, s.close - c.strike * exp(-0.065 * greatest(epoch(c.expiry + INTERVAL 930 MINUTE"
        " - ts), 300) / 31536000.0) FROM read_parquet(?) c JOIN read_parquet(?) p USING (ts, expiry, strike)"
        " JOIN read_parquet(?) s USING (ts) WHERE c.opt_type = 'CE' AND p.opt_type = 'PE'"
        " AND strftime(ts, '%H:%M') = '12:00' AND abs(c.strike - s.close) < 200",
        [str(synth / "options/*/*.parquet")] * 2 + [str(synth / "spot/*/*.parquet")]).fetchall()
    assert rows and all(abs(cp - fwd) < 1.0 for cp, fwd in rows)  # C - P = S - K e^(-rT), to rounding


def test_weekly_expiry_moves_to_the_previous_day_on_a_thursday_holiday():
    start = date(2024, 1, 1)
    cal = [d for d in trading_calendar(start, start + timedelta(days=60), 7) if d != date(2024, 1, 11)]
    assert expiries_for(date(2024, 1, 8), cal)[0] == date(2024, 1, 10)
    listed = expiries_for(date(2024, 1, 2), cal)
    assert listed[:2] == [date(2024, 1, 4), date(2024, 1, 10)] and listed[-1] == date(2024, 1, 25)
