"""Real data end to end: the GOOG 2015-12-24 day (quotes only, start-labelled, half day).

The data is not in the repository: tests use ../shared/data/real/goog-2015-12-24 (or
$OPTBT_REAL_DATA) and skip, saying why, when it is absent. Each fill of the 0DTE straddle is
re-derived from the raw quotes by an independent computation that uses no optbt code.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from optbt import run_backtest
from optbt.data.check import check_dataset
from optbt.data.dataset import load_dataset
from optbt.dsl.loader import load_strategy

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("OPTBT_REAL_DATA", ROOT.parent / "shared/data/real/goog-2015-12-24"))
CONFIG = ROOT / "examples/datasets/goog-2015-12-24.toml"
pytestmark = pytest.mark.skipif(not (REAL / "option_quotes.parquet").exists(),
                                reason=f"real GOOG data not found at {REAL} (set OPTBT_REAL_DATA)")


def independent_straddle(entry="10:00", exit_="12:45", sl=0.30):
    """Sell the 0DTE ATM straddle by hand from the raw files: bar labelled t is known at t+1min."""
    con = duckdb.connect()
    q = con.execute(f"SELECT time + INTERVAL 1 MINUTE, \"right\", strike, bid_close, ask_close "
                    f"FROM '{REAL}/option_quotes.parquet' WHERE expiry = DATE '2015-12-24' ORDER BY time").fetchall()
    spot = con.execute(f"SELECT time + INTERVAL 1 MINUTE, close FROM '{REAL}/underlying_trades.parquet' "
                       "ORDER BY time").fetchall()
    day = datetime(2015, 12, 24)
    at = lambda hhmm: day.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:]))  # noqa: E731
    t0, t1, open_ = at(entry), at(exit_), at("09:30")
    s = [p for k, p in spot if open_ < k <= t0][-1]
    strikes = sorted({k for _, _, k, _, _ in q})
    atm = min(strikes, key=lambda k: (abs(k - s), -k))
    usable = lambda b, a: b is not None and a is not None and 0 < b <= a  # noqa: E731
    trades = {}
    for right in ("call", "put"):
        bars = [(k, b, a) for k, r, st, b, a in q if r == right and st == atm and usable(b, a)]
        last = lambda t: [x for x in bars if x[0] <= t][-1]  # noqa: E731
        known, bid, ask = last(t0)
        assert known == t0  # live at entry
        mark = (bid + ask) / 2
        t, out = t0, None
        while out is None:
            t += timedelta(minutes=1)
            k, b, a = last(t)
            if (b + a) / 2 >= mark * (1 + sl):
                out = (t, a, "stop_loss")
            elif t >= t1:
                out = (t, a, "exit")
        trades[right] = (atm, t0, bid, out[0], out[1], out[2], round((bid - out[1]) * 100, 8))
    return trades


@pytest.fixture(scope="module")
def config():
    return load_dataset(CONFIG, REAL)


def test_zero_dte_straddle_fills_match_the_raw_quotes(config):
    res = run_backtest(load_strategy(f"{ROOT}/examples/zero_dte_straddle.py:ZeroDteStraddle"), data=config)
    got = {("call" if t.leg.opt_type == "CE" else "put"):
           (t.leg.strike, t.entry_ts, t.entry_price, t.exit_ts, t.exit_price, t.exit_reason, t.pnl)
           for t in res.trades}
    assert got == independent_straddle()
    assert all(t.leg.expiry.isoformat() == "2015-12-24" for t in res.trades)


def test_clock_is_the_half_day_session_not_the_spot_prints(config):
    from optbt.data.duckdb_source import DuckDBSource
    src = DuckDBSource(config)
    day = src.trading_days()[0]
    open_, close = src.session(day)
    assert (open_.strftime("%H:%M"), close.strftime("%H:%M")) == ("09:30", "13:00")
    bars = src.spot_bars(day)
    assert bars[0][0].strftime("%H:%M") == "09:31"          # the 09:28/09:29 pre-market prints are ignored
    assert max(b[0] for b in bars).strftime("%H:%M") <= "13:00"   # as are the 15:44 and 16:11 prints


def test_data_check_reports_real_oddities_as_warnings_and_passes(config):
    report = check_dataset(config)
    assert report.errors == []
    checks = {f.check: f.count for f in report.warnings}
    assert checks["empty_quotes"] > 0 and checks["gaps"] > 0 and checks["outside_session"] > 0


def test_the_same_straddle_written_in_the_language_gives_the_same_trades(config):
    python = run_backtest(load_strategy(f"{ROOT}/examples/zero_dte_straddle.py:ZeroDteStraddle"), data=config)
    strat = run_backtest(load_strategy(f"{ROOT}/examples/goog_0dte_straddle.strat"), data=config)
    assert [t.row() for t in strat.trades] == [t.row() for t in python.trades] and len(strat.trades) == 2
