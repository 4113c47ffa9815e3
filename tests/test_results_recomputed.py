"""Every figure optbt writes or prints, worked out again without optbt.

Nothing here imports optbt: the commands run as a user runs them (``python -m optbt``), and the
reference code below reads what they wrote (trades.csv / trades.parquet, daily.csv,
summary.json, report.html, sweep.csv, runs.jsonl) and the dataset's own parquet with pyarrow and
duckdb only, then recomputes each figure from the definitions in the README ("What the metrics
count", "Costs as charged", "Reports"): per-trade PnL (points x lots x lot size, signed by side),
each charge, costs, the daily rows, the summary metrics, the console's table, the report's cards
and tables, and a sweep's rows (each must equal a plain ``optbt run`` with its parameters, serial
or on two workers alike). The hand-made days hold the edge cases: a day without a trade, losses
from the first day (drawdown from 0), a flat trade on an expiry day that its charges turn into a
loss, a single trade, and days whose PnL never varies; days made to a given PnL (``pnl_days``)
hold the max drawdown's dates (equal falls, none, open at the end, every day losing), a run
without trades, a loss below half a cent, one loss in 300 trades across a year boundary; and the
folders: a sweep's earlier report, a report written into another run's folder.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import tomllib
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_HOLES = {"no_spot", "no_options", "no_ticks", "data_error"}  # left out of the daily metrics
CHARGES = ("brokerage", "stt", "exchange", "sebi", "stamp", "gst", "fees")
# README, "Costs as charged": the nse preset's rates
NSE = {"brokerage": 20.0, "stt": 0.001, "exchange": 0.0003503, "sebi": 10 / 1e7, "stamp": 0.00003, "gst": 0.18}


# -- running optbt as a user does ----------------------------------------------------------------

def optbt(*args: str, cwd: Path, exit_code: int = 0, terminal: bool = False) -> str:
    """stdout of the command (stdout and stderr when ``exit_code`` is not 0), checking its exit code;
    ``terminal``: as on a terminal (progress bars drawn), without colour."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8",
           **({"FORCE_COLOR": "1"} if terminal else {})}
    done = subprocess.run([sys.executable, "-m", "optbt", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, env=env, timeout=300)
    assert done.returncode == exit_code, done.stdout + done.stderr
    return done.stdout if exit_code == 0 else done.stdout + done.stderr


def console_table(stdout: str) -> dict[str, str]:
    """The run's summary table as printed: metric -> text."""
    return {m.group(1).strip(): m.group(2).strip()
            for m in re.finditer(r"^│ ([a-z_ ]+?)\s+│\s+(.*?)\s*│$", stdout, re.M)}


# -- hand-made data --------------------------------------------------------------------------------

N_TICKS = 15  # 09:16 .. 09:30


def write_dataset(root: Path, days: dict, lot_size: int = 50, spot_price: float = 21010.0,
                  no_spot: frozenset = frozenset()) -> Path:
    """days: day -> (expiry, CE closes, PE closes), one a minute from 09:16 (None: no bar); strike 21000;
    the days in ``no_spot`` have options but no spot (a hole in the data)."""
    root.mkdir(parents=True, exist_ok=True)
    spot, options = [], []
    for day, (expiry, ce, pe) in days.items():
        for k in range(N_TICKS):
            ts = datetime(day.year, day.month, day.day, 9, 16) + timedelta(minutes=k)
            if day not in no_spot:
                spot.append({"ts": ts, "underlying": "NIFTY", "close": spot_price})
            for opt_type, closes in (("CE", ce), ("PE", pe)):
                if closes[k] is not None:
                    options.append({"ts": ts, "underlying": "NIFTY", "expiry": expiry, "strike": 21000.0,
                                    "opt_type": opt_type, "close": float(closes[k])})
    pq.write_table(pa.Table.from_pylist(spot), root / "spot.parquet")
    pq.write_table(pa.Table.from_pylist(options), root / "options.parquet")
    (root / "dataset.toml").write_text(
        f'name = "hand-made"\nunderlying = "NIFTY"\nstrike_step = 50\nlot_size = {lot_size}\n'
        '[options]\npath = "options.parquet"\n[spot]\npath = "spot.parquet"\n'
        '[session]\nstart = "09:15"\nend = "09:30"\n')
    return root


STRADDLE = """strategy probe "sell the straddle 09:20-09:25"

params
    lots: int = 1

legs
    ce = add(ATM, CE, SELL, lots)
    pe = add(ATM, PE, SELL, lots)

entry at 09:20
exit at 09:25
"""
ONE_LEG = """strategy one "sell the call 09:20-09:25"

legs
    ce = add(ATM, CE, SELL)

entry at 09:20
exit at 09:25
"""

THU, NEXT_THU = date(2024, 1, 4), date(2024, 1, 11)
HAND_DAYS = {
    date(2024, 1, 2): (THU, [100 + 2 * k for k in range(N_TICKS)], [90 + k for k in range(N_TICKS)]),  # both lose
    date(2024, 1, 3): (THU, [None] * 10 + [100] * 5, [90] * N_TICKS),   # the call has no price before 09:26: no trade
    date(2024, 1, 4): (THU, [50] * N_TICKS, [40] * N_TICKS),             # the expiry day, flat
    date(2024, 1, 5): (NEXT_THU, [120 - 3 * k for k in range(N_TICKS)], [110 - 2 * k for k in range(N_TICKS)]),  # both win
}


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> Path:
    root = write_dataset(tmp_path_factory.mktemp("hand"), HAND_DAYS)
    (root / "straddle.strat").write_text(STRADDLE)
    (root / "one.strat").write_text(ONE_LEG)
    return root


# -- reference computations --------------------------------------------------------------------------

def read_trades(out: Path) -> list[dict]:
    """trades.csv as typed rows; trades.parquet must hold the same rows."""
    with (out / "trades.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for k in ("strike", "entry_price", "exit_price", "costs", "pnl", *CHARGES, "slippage", "mae", "mfe"):
            r[k] = float(r[k])
        r["qty"] = int(r["qty"])
    table = pq.read_table(out / "trades.parquet").to_pylist()
    assert len(table) == len(rows)
    for r, p in zip(rows, table):
        assert p["day"].isoformat() == r["day"] and p["key"] == r["key"] and p["exit_ts"].isoformat() == r["exit_ts"]
        for k in ("entry_price", "exit_price", "costs", "pnl", *CHARGES, "slippage", "mae", "mfe"):
            assert p[k] == r[k], (k, p[k], r[k])
    return rows


def read_daily(out: Path) -> list[dict]:
    with (out / "daily.csv").open(newline="") as fh:
        return [{**r, "pnl": float(r["pnl"]), "trades": int(r["trades"]), "cycles": int(r["cycles"])}
                for r in csv.DictReader(fh)]


def order_charges(side: str, price: float, qty: int, lot_size: float) -> dict[str, float]:
    """One executed order under the nse preset (README, "Costs as charged")."""
    premium = price * qty * lot_size
    out = dict.fromkeys(CHARGES, 0.0)
    out["brokerage"] = NSE["brokerage"]
    out["stt"] = NSE["stt"] * premium if side == "SELL" else 0.0
    out["exchange"] = NSE["exchange"] * premium
    out["sebi"] = NSE["sebi"] * premium
    out["stamp"] = NSE["stamp"] * premium if side == "BUY" else 0.0
    out["gst"] = NSE["gst"] * (out["brokerage"] + out["exchange"] + out["sebi"])
    return out


def us_order_charges(side: str, price: float, qty: int, multiplier: float) -> dict[str, float]:
    """One executed order under the us preset (README): $0.65 a contract; ORF + OCC $0.04795 a
    contract, FINRA TAF $0.00279 a contract sold and the SEC's $27.80 a million of sale proceeds,
    all in ``fees``."""
    out = dict.fromkeys(CHARGES, 0.0)
    out["brokerage"] = 0.65 * qty
    out["fees"] = 0.04795 * qty + ((0.00279 * qty + 27.80 / 1e6 * price * qty * multiplier) if side == "SELL" else 0)
    return out


def check_trades(trades: list[dict], lot_size: float, nse: bool | str, slippage_pts: float = 0.0,
                 commission_per_lot: float = 0.0) -> None:
    """PnL = sign x (exit - entry) x lots x lot size - costs; costs = the entry's and the exit's
    charges (nse=True: the nse preset, "us": the us one), and the commission of both orders."""
    for t in trades:
        sign = 1 if t["side"] == "BUY" else -1
        charges = dict.fromkeys(CHARGES, 0.0)
        if nse:
            out_side = "SELL" if t["side"] == "BUY" else "BUY"
            schedule = us_order_charges if nse == "us" else order_charges
            for side, price in ((t["side"], t["entry_price"]), (out_side, t["exit_price"])):
                for k, v in schedule(side, price, t["qty"], lot_size).items():
                    charges[k] += v
        # README: each order's charges, a trade's costs and its pnl are rounded to 1e-8
        for k in CHARGES:
            assert t[k] == pytest.approx(charges[k], abs=2e-8), (t["day"], t["key"], k)
        commission = 2 * commission_per_lot * t["qty"]
        assert t["costs"] == pytest.approx(sum(charges.values()) + commission, abs=2e-8)
        gross = sign * (t["exit_price"] - t["entry_price"]) * t["qty"] * lot_size
        assert t["pnl"] == pytest.approx(gross - t["costs"], abs=1e-8), (t["day"], t["key"])
        assert t["slippage"] == pytest.approx(2 * slippage_pts * t["qty"] * lot_size, abs=1e-9)
        assert t["mae"] <= 0 <= t["mfe"]


def check_daily(trades: list[dict], daily: list[dict]) -> None:
    pnl, count, cycles = defaultdict(float), defaultdict(int), defaultdict(set)
    for t in trades:
        pnl[t["day"]] += t["pnl"]
        count[t["day"]] += 1
        cycles[t["day"]].add(t["cycle"])
    assert {t["day"] for t in trades} <= {d["day"] for d in daily}
    for d in daily:
        assert d["pnl"] == pytest.approx(pnl[d["day"]], abs=1e-6), d
        assert (d["trades"], d["cycles"]) == (count[d["day"]], len(cycles[d["day"]])), d


def ref_metrics(trades: list[dict], daily: list[dict]) -> dict:
    """README, "What the metrics count": trades in exit order, daily closes from 0, Sharpe on the
    days with data, None where there is nothing to divide by."""
    pnls = [t["pnl"] for t in sorted(trades, key=lambda t: t["exit_ts"])]
    days = [d["pnl"] for d in daily if d["skip_reason"] not in DATA_HOLES]
    wins, losses = [p for p in pnls if p > 0], [p for p in pnls if p < 0]
    equity = peak = drawdown = 0.0
    for p in days:
        equity += p
        peak = max(peak, equity)
        drawdown = max(drawdown, peak - equity)
    sharpe = None
    if len(days) >= 2:
        mean, sd = statistics.fmean(days), statistics.stdev(days)
        if sd > 1e-9 * max(1.0, abs(mean)):  # a spread below that is float noise, not variation
            sharpe = round(mean / sd * math.sqrt(252), 4)
    streak = worst = 0
    for p in pnls:
        streak = streak + 1 if p < 0 else 0
        worst = max(worst, streak)
    return {
        **ref_drawdown_dates([(d["day"], d["pnl"]) for d in daily if d["skip_reason"] not in DATA_HOLES]),
        "total_pnl": round(math.fsum(pnls), 4), "trades": len(pnls),
        "win_rate": round(len(wins) / len(pnls), 4) if pnls else None,
        "avg_win": round(statistics.fmean(wins), 4) if wins else None,
        "avg_loss": round(statistics.fmean(losses), 4) if losses else None,
        "profit_factor": round(sum(wins) / -sum(losses), 4) if losses else None,
        "max_drawdown": round(drawdown, 4), "sharpe": sharpe, "max_consecutive_losses": worst,
        "days": len(days),
        "days_traded": sum(1 for d in daily if d["skip_reason"] not in DATA_HOLES and d["trades"]),
    }


def ref_drawdown_dates(days: list[tuple[str, float]]) -> dict:
    """README, "What the metrics count": the max drawdown's peak (the last close at the high it fell
    from; None for the starting 0), trough (the first of equal lows), recovery (the first close back
    at the high after it) and the days from peak to recovery or to the last day; closes that differ
    by float noise only are equal."""
    closes = [math.fsum(p for _, p in days[:i + 1]) for i in range(len(days))]

    def same(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    highs = [max([0.0, *closes[:i + 1]]) for i in range(len(closes))]
    falls = [h - c for h, c in zip(highs, closes)]
    deepest = max(falls, default=0.0)
    if same(deepest, 0.0):
        return {"max_drawdown_peak": None, "max_drawdown_trough": None, "max_drawdown_recovery": None,
                "max_drawdown_days": 0}
    trough = min(i for i, f in enumerate(falls) if same(f, deepest))
    high = highs[trough]
    peak = max((i for i in range(trough) if same(closes[i], high)), default=None)
    back = min((j for j in range(trough + 1, len(closes)) if closes[j] > high or same(closes[j], high)), default=None)
    return {"max_drawdown_peak": None if peak is None else days[peak][0], "max_drawdown_trough": days[trough][0],
            "max_drawdown_recovery": None if back is None else days[back][0],
            "max_drawdown_days": (len(closes) - 1 if back is None else back) - (-1 if peak is None else peak)}


def drawdown_shown(m: dict, with_days: bool = True) -> str:
    """The report card's line under max drawdown and, without the days, the console's "drawdown
    dates" row (README)."""
    if m["max_drawdown_trough"] is None:
        return "-"
    n = m["max_drawdown_days"]
    back = f"recovered {m['max_drawdown_recovery']}" if m["max_drawdown_recovery"] else "not recovered"
    return f"{m['max_drawdown_peak'] or 'start'} to {m['max_drawdown_trough']}, {back}" + \
        (f" ({n} day{'s' * (n != 1)})" if with_days else "")


def assert_metrics(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for k, v in want.items():
        if v is None or isinstance(v, (int, str)):
            assert got[k] == v, (k, got[k], v)
        else:
            assert got[k] == pytest.approx(v, abs=1.5e-4), (k, got[k], v)


def shown(v) -> str:
    """How the console prints a figure: thousands separators and 2 decimals, '-' for none, and
    one that rounds to 0 is 0.00, never -0.00."""
    return "-" if v is None else f"{round(v, 2) + 0.0:,.2f}" if isinstance(v, float) else f"{v:,}"


def rate_shown(rate) -> str:
    """README: a win rate (or a weekday's up days) shows as a percentage to one decimal; one between
    0 and 1 never as 0.0 % or 100.0 %."""
    if rate is None:
        return "-"
    # a half rounds away from zero on the decimal a trader reads (1 win in 16: 6.25 -> 6.3)
    text = str(Decimal(repr(round(rate * 100, 4))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    if 0 < rate < 1 and text in ("0.0", "100.0"):
        return "<0.1 %" if text == "0.0" else ">99.9 %"
    return f"{text} %"


def check_run(out: Path, stdout: str, lot_size: float, nse: bool, slippage_pts: float = 0.0,
              commission_per_lot: float = 0.0) -> tuple:
    trades, daily = read_trades(out), read_daily(out)
    check_trades(trades, lot_size, nse, slippage_pts, commission_per_lot)
    check_daily(trades, daily)
    want = ref_metrics(trades, daily)
    summary = json.loads((out / "summary.json").read_text())
    assert_metrics(summary["metrics"], want)
    printed = console_table(stdout)
    for k, v in want.items():
        if k == "win_rate":
            assert printed[k] == rate_shown(v)
        elif not k.startswith("max_drawdown_"):
            assert printed[k] == shown(float(v) if k in ("total_pnl", "max_drawdown") else v), k
    assert printed["drawdown dates"] == drawdown_shown(want, with_days=False)
    assert printed["drawdown days"] == str(want["max_drawdown_days"])
    if nse or slippage_pts or commission_per_lot:
        assert printed["costs charged"].split(" (")[0] == shown(math.fsum(t["costs"] for t in trades))
    return trades, daily, summary


def check_fills_against_data(out: Path, trades: list[dict], slippage_pts: float = 0.0) -> None:
    """Fills are the tick's close (± slippage), MAE/MFE the worst/best open PnL on the closes held."""
    summary = json.loads((out / "summary.json").read_text())
    root = Path(summary["dataset"]["path"])
    cfg = tomllib.loads((root / "dataset.toml").read_text())
    glob = str(root / cfg["options"]["path"])
    hive = "true" if cfg["options"].get("hive_partitioning") else "false"
    con = duckdb.connect()
    for t in trades:
        closes = con.execute(
            f"select ts, close from read_parquet(?, hive_partitioning={hive}) where expiry = ? and strike = ?"
            " and opt_type = ? and ts between ? and ? order by ts",
            [glob, date.fromisoformat(t["expiry"]), t["strike"], t["opt_type"],
             datetime.fromisoformat(t["entry_ts"]), datetime.fromisoformat(t["exit_ts"])]).fetchall()
        sign = 1 if t["side"] == "BUY" else -1
        assert closes[0][0].isoformat() == t["entry_ts"] and closes[-1][0].isoformat() == t["exit_ts"]
        assert t["entry_price"] == pytest.approx(closes[0][1] + sign * slippage_pts, abs=1e-9)
        assert t["exit_price"] == pytest.approx(closes[-1][1] - sign * slippage_pts, abs=1e-9)
        lot = cfg["lot_size"] * t["qty"]
        open_pnl = [sign * (c - t["entry_price"]) * lot for _, c in closes]
        assert (t["mae"], t["mfe"]) == (pytest.approx(min(0.0, *open_pnl)), pytest.approx(max(0.0, *open_pnl)))


# -- the library on the sample -----------------------------------------------------------------------

@pytest.mark.parametrize(("strategy", "args", "nse", "slippage", "commission"), [
    ("straddle_920_costed", (), True, 0.5, 0.0),       # its own costs: nse preset, 0.5 pt slippage
    ("straddle_920", (), False, 0.0, 0.0),
    ("iron_condor_mtm", (), False, 0.0, 0.0),           # bought wings
    ("strangle_reentry", (), False, 0.0, 0.0),          # three cycles a day
    ("ratio_spread", ("--costs", "nse", "--commission", "7"), True, 0.0, 7.0),  # 2 lots sold, 1 bought
])
def test_library_strategy_on_the_sample_every_figure_recomputed(tmp_path, strategy, args, nse, slippage, commission):
    out = tmp_path / "out"
    stdout = optbt("run", REPO / "strategies_dsl" / f"{strategy}.strat", *args, "--end", "2024-01-19", "--out", out,
                   "-q", cwd=tmp_path)
    trades, daily, _ = check_run(out, stdout, lot_size=50, nse=nse, slippage_pts=slippage,
                                 commission_per_lot=commission)
    assert len(daily) == 15 and trades
    check_fills_against_data(out, trades, slippage)


# -- hand-made days -----------------------------------------------------------------------------------

def test_hand_made_days_no_trade_day_losses_from_the_start_and_an_expiry_day(hand, tmp_path):
    out = tmp_path / "out"
    stdout = optbt("run", hand / "straddle.strat", "--data", hand, "--out", out, cwd=tmp_path)
    trades, daily, summary = check_run(out, stdout, lot_size=50, nse=False)
    check_fills_against_data(out, trades)
    # by hand: 01-02 call 108 -> 118 and put 94 -> 99 sold (-500, -250); 01-03 no fill (the call has
    # no price until 09:26, after the 09:25 exit); 01-04 (its own expiry) flat; 01-05 +750, +500
    assert [(t["day"], t["key"], t["pnl"]) for t in trades] == [
        ("2024-01-02", "ce", -500.0), ("2024-01-02", "pe", -250.0), ("2024-01-04", "ce", 0.0),
        ("2024-01-04", "pe", 0.0), ("2024-01-05", "ce", 750.0), ("2024-01-05", "pe", 500.0)]
    assert [t["expiry"] for t in trades if t["day"] == "2024-01-04"] == ["2024-01-04"] * 2
    assert [(d["day"], d["pnl"], d["trades"]) for d in daily] == [
        ("2024-01-02", -750.0, 2), ("2024-01-03", 0.0, 0), ("2024-01-04", 0.0, 2), ("2024-01-05", 1250.0, 2)]
    sd = math.sqrt(((-750 - 125) ** 2 + 2 * (0 - 125) ** 2 + (1250 - 125) ** 2) / 3)
    assert summary["metrics"] == {
        "total_pnl": 500.0, "trades": 6, "win_rate": 0.3333, "avg_win": 625.0, "avg_loss": -375.0,
        "profit_factor": 1.6667, "max_drawdown": 750.0,  # from 0 on the first day, not from its first close
        # closes -750, -750, -750, +500: the high is the start, the trough the first of three equal
        # lows, back above 0 on 01-05, four days after the start
        "max_drawdown_peak": None, "max_drawdown_trough": "2024-01-02", "max_drawdown_recovery": "2024-01-05",
        "max_drawdown_days": 4,
        "sharpe": round(125 / sd * math.sqrt(252), 4), "max_consecutive_losses": 2,  # the flat legs end the streak
        "days": 4, "days_traded": 3}


def test_charges_turn_a_flat_trade_into_a_loss(hand, tmp_path):
    out = tmp_path / "out"
    stdout = optbt("run", hand / "straddle.strat", "--data", hand, "--costs", "nse", "--start", "2024-01-04",
                   "--end", "2024-01-04", "--out", out, cwd=tmp_path)
    trades, _, summary = check_run(out, stdout, lot_size=50, nse=True)
    # the call sold and bought at 50 (premium 2,500 each way): 2 x 20 brokerage, STT 2.5 on the sale,
    # exchange 2 x 0.87575, SEBI 2 x 0.0025, stamp 0.075 on the buy, GST 18 % of 2 x 20.87825
    call = 40 + 2.5 + 1.7515 + 0.005 + 0.075 + 0.18 * 41.7565
    put = 40 + 2.0 + 2 * 0.7006 + 0.004 + 0.06 + 0.18 * (40 + 2 * 0.7006 + 0.004)
    assert [t["pnl"] for t in trades] == [pytest.approx(-call), pytest.approx(-put)]
    m = summary["metrics"]
    assert (m["win_rate"], m["avg_win"], m["max_consecutive_losses"], m["profit_factor"]) == (0.0, None, 2, 0.0)
    assert m["max_drawdown"] == pytest.approx(round(call + put, 4))


def test_us_preset_charges_per_contract_and_on_sales(hand, tmp_path):
    out = tmp_path / "out"
    stdout = optbt("run", hand / "straddle.strat", "--data", hand, "--costs", "us", "--param", "lots=3",
                   "--out", out, cwd=tmp_path)
    trades, _, _ = check_run(out, stdout, lot_size=50, nse="us")
    # 01-02's call: 3 contracts sold at 108 (proceeds 16,200), bought back at 118
    call = trades[0]
    assert (call["brokerage"], call["fees"]) == (pytest.approx(6 * 0.65),
                                                  pytest.approx(6 * 0.04795 + 3 * 0.00279 + 16200 * 27.8e-6))


def test_a_single_trade(hand, tmp_path):
    out = tmp_path / "out"
    stdout = optbt("run", hand / "one.strat", "--data", hand, "--start", "2024-01-05", "--capital", "100000",
                   "--out", out, cwd=tmp_path)
    trades, _, summary = check_run(out, stdout, lot_size=50, nse=False)
    assert [t["pnl"] for t in trades] == [750.0]
    assert summary["metrics"] == {
        "total_pnl": 750.0, "trades": 1, "win_rate": 1.0, "avg_win": 750.0, "avg_loss": None,
        "profit_factor": None, "max_drawdown": 0.0, "sharpe": None, "max_consecutive_losses": 0,
        "max_drawdown_peak": None, "max_drawdown_trough": None, "max_drawdown_recovery": None,
        "max_drawdown_days": 0, "days": 1, "days_traded": 1}
    assert summary["on_capital"] == {"return_pct": 0.75, "max_drawdown_pct": 0.0}
    assert console_table(stdout)["return on capital"] == "0.75 % of 100,000.00"


def test_a_run_without_trades_shows_its_amounts_as_amounts(hand, tmp_path):
    """01-03: the call has no price before the exit, so nothing trades. The report's sums of no
    trades were the integer 0 and printed "0" (costs and slippage charged, the costs table) where
    every other amount, and the console, shows 0.00."""
    out = tmp_path / "out"
    stdout = optbt("run", hand / "one.strat", "--data", hand, "--start", "2024-01-03", "--end", "2024-01-03",
                   "--report", "--out", out, cwd=tmp_path)
    trades, daily, summary = check_run(out, stdout, lot_size=50, nse=False)
    assert trades == [] and [(d["day"], d["pnl"], d["trades"]) for d in daily] == [("2024-01-03", 0.0, 0)]
    printed = console_table(stdout)
    assert (printed["total_pnl"], printed["win_rate"], printed["max_drawdown"], printed["drawdown dates"]) == \
        ("0.00", "-", "0.00", "-")
    page = re.sub(r"<svg.*?</svg>", "", (out / "report.html").read_text(), flags=re.S)
    assert "2024-01-03 to 2024-01-03, 1 day, 0 trades" in page and "<p>No trades.</p>" in page
    stats = _pairs(_section(page, "Trades"))
    assert (stats["expectancy per trade"], stats["win rate"], stats["costs and slippage charged"]) == ("-", "-", "0.00")
    charged = _pairs(_section(page, "Costs"))
    assert [charged[k] for k in ("costs charged (total)", "slippage and spread (total, inside the fill prices)",
                                 "costs and slippage (total)")] == ["0.00"] * 3


def test_sharpe_is_empty_when_the_daily_pnl_never_varies(tmp_path):
    """Five flat days, each costing the same charges: the daily PnL does not vary, so there is no
    Sharpe ratio. Summing five equal floats and dividing by five is one unit in the last place
    off the value, and that noise was divided by: sharpe -1.04e17."""
    days = {date(2024, 1, 1) + timedelta(days=k): (NEXT_THU, [50] * N_TICKS, [40] * N_TICKS) for k in range(1, 6)}
    root = write_dataset(tmp_path / "flat", days)
    (root / "one.strat").write_text(ONE_LEG)
    out = tmp_path / "out"
    stdout = optbt("run", root / "one.strat", "--data", root, "--costs", "nse", "--out", out, cwd=tmp_path)
    _, daily, summary = check_run(out, stdout, lot_size=50, nse=True)
    assert len({d["pnl"] for d in daily}) == 1 and len(daily) == 5
    assert summary["metrics"]["sharpe"] is None
    assert console_table(stdout)["sharpe"] == "-"


# -- the max drawdown's dates --------------------------------------------------------------------------

def pnl_days(pnls: list[float], first: date = date(2024, 1, 1), expiry: date = date(2024, 3, 28)) -> dict:
    """Weekdays from ``first``, one a PnL: one.strat sells the call at 09:20 at 100 and buys it back
    at 09:25 at 100 - pnl / 50 (lot size 50), so the day's PnL is exactly ``pnl``."""
    days, day = {}, first
    for pnl in pnls:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        exit_price = 100 - pnl / 50
        days[day] = (expiry, [100.0] * 9 + [exit_price] * (N_TICKS - 9), [90.0] * N_TICKS)
        day += timedelta(days=1)
    return days


def run_pnl_days(tmp_path: Path, pnls: list[float], *args: str) -> tuple[dict, str, Path]:
    root = write_dataset(tmp_path / "d", pnl_days(pnls))
    (root / "one.strat").write_text(ONE_LEG)
    out = tmp_path / "out"
    stdout = optbt("run", root / "one.strat", "--data", root, "--out", out, *args, cwd=tmp_path)
    _, daily, summary = check_run(out, stdout, lot_size=50, nse=False)
    assert [d["pnl"] for d in daily] == pnls
    return summary["metrics"], stdout, out


def test_drawdown_dates_of_two_equal_falls_are_the_first_ones(tmp_path):
    """Closes 100, 50, 50, 100, 50, 100: two falls of 50, the first with two equal lows (01-02,
    01-03). The first fall and its first low: peak 01-01, trough 01-02, back at 100 on 01-04,
    3 days; the card under max drawdown says the same."""
    m, stdout, out = run_pnl_days(tmp_path, [100.0, -50.0, 0.0, 50.0, -50.0, 50.0], "--report")
    assert (m["max_drawdown"], m["max_drawdown_peak"], m["max_drawdown_trough"], m["max_drawdown_recovery"],
            m["max_drawdown_days"]) == (50.0, "2024-01-01", "2024-01-02", "2024-01-04", 3)
    printed = console_table(stdout)
    assert (printed["drawdown dates"], printed["drawdown days"]) == ("2024-01-01 to 2024-01-02, recovered 2024-01-04", "3")
    assert ('<div class="k">max drawdown</div><div class="v">50.00</div>'
            '<div class="d">2024-01-01 to 2024-01-02, recovered 2024-01-04 (3 days)</div>') in \
        (out / "report.html").read_text()


def test_a_run_that_never_falls_has_no_drawdown_dates(tmp_path):
    """Closes 100, 100, 150: equity never below its high."""
    m, stdout, _ = run_pnl_days(tmp_path, [100.0, 0.0, 50.0])
    assert (m["max_drawdown"], m["max_drawdown_peak"], m["max_drawdown_trough"], m["max_drawdown_recovery"],
            m["max_drawdown_days"]) == (0.0, None, None, None, 0)
    assert (console_table(stdout)["drawdown dates"], console_table(stdout)["drawdown days"]) == ("-", "0")


def test_every_day_losing_is_one_drawdown_from_the_starting_capital(tmp_path):
    """Closes -100, -150, -350: the fall starts at the start (0, the capital), not at the first
    close; its trough is the last day, never recovered, 3 days; 350 of a 1,000 capital is 35 %."""
    m, stdout, _ = run_pnl_days(tmp_path, [-100.0, -50.0, -200.0], "--capital", "1000")
    assert (m["max_drawdown"], m["max_drawdown_peak"], m["max_drawdown_trough"], m["max_drawdown_recovery"],
            m["max_drawdown_days"], m["win_rate"], m["profit_factor"]) == (350.0, None, "2024-01-03", None, 3, 0.0, 0.0)
    printed = console_table(stdout)
    assert (printed["drawdown dates"], printed["max drawdown on capital"], printed["win_rate"]) == \
        ("start to 2024-01-03, not recovered", "35.00 % of 1,000.00", "0.0 %")


def test_a_drawdown_open_at_the_end_is_not_recovered(tmp_path):
    """Closes 200, 150, 250, 150, 100, 150 (01-01 .. 01-08, a weekend between): the fall of 50 is
    recovered on 01-03; the deeper one from 250 (01-03) to 100 (01-05) never is: 3 days to the
    end (01-04, 01-05, 01-08). With --capital the drawdown is 150 of 10,000: 1.5 %."""
    m, stdout, _ = run_pnl_days(tmp_path, [200.0, -50.0, 100.0, -100.0, -50.0, 50.0], "--capital", "10000")
    assert (m["max_drawdown"], m["max_drawdown_peak"], m["max_drawdown_trough"], m["max_drawdown_recovery"],
            m["max_drawdown_days"]) == (150.0, "2024-01-03", "2024-01-05", None, 3)
    printed = console_table(stdout)
    assert (printed["drawdown dates"], printed["drawdown days"]) == ("2024-01-03 to 2024-01-05, not recovered", "3")
    assert printed["max drawdown on capital"] == "1.50 % of 10,000.00"


# -- the report ------------------------------------------------------------------------------------------

def _cells(row_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row_html)]


def _section(page: str, heading: str) -> str:
    start = page.index(f"<h2>{heading}</h2>")
    end = page.find("<h2>", start + 5)
    return page[start:end if end > 0 else len(page)]


def _pairs(html_table: str) -> dict[str, str]:
    return dict(re.findall(r'<tr><th class="l">(.*?)</th><td class="l">(.*?)</td></tr>', html_table))


def _drawn(svg: str, colour: str) -> list[tuple[float, float]]:
    """The vertices of the figure's line of that colour (matplotlib's SVG path)."""
    (path,) = [d for d, style in re.findall(r'<path d="([^"]*)"[^>]*style="([^"]*)"', svg, flags=re.S)
               if f"stroke: {colour}" in style and style.startswith("fill: none")]
    return [(float(x), float(y)) for x, y in re.findall(r"[ML] ([-\d.]+) ([-\d.]+)", path)]


def _drawn_from(coords: list[float], values: list[float]) -> bool:
    """Are the drawn coordinates the values on a linear axis (the same up to scale and offset)?"""
    n = len(values)
    mv, mc = sum(values) / n, sum(coords) / n
    slope = sum((v - mv) * (c - mc) for v, c in zip(values, coords)) / sum((v - mv) ** 2 for v in values)
    return n == len(coords) and max(abs(mc + slope * (v - mv) - c) for v, c in zip(values, coords)) < 1e-3


def test_report_figures_recomputed(tmp_path):
    out = tmp_path / "out"
    optbt("run", REPO / "strategies_dsl" / "straddle_920_costed.strat", "--end", "2024-02-09", "--out", out, "-q",
          "--report", cwd=tmp_path)
    trades, daily = read_trades(out), read_daily(out)
    m = ref_metrics(trades, daily)
    full = (out / "report.html").read_text()
    page = re.sub(r"<svg.*?</svg>", "", full, flags=re.S)
    money = "{:,.2f}".format

    # the equity curve and the drawdown (steps: every second vertex) are the daily closes from 0
    equity_svg, drawdown_svg = re.findall(r"<svg.*?</svg>", full, flags=re.S)[:2]
    ordinals = [date.fromisoformat(d["day"]).toordinal() for d in daily]
    equity, peak, drawdown = [], 0.0, []
    for d in daily:
        equity.append((equity[-1] if equity else 0.0) + d["pnl"])
        peak = max(peak, equity[-1])
        drawdown.append(equity[-1] - peak)
    for points, values in ((_drawn(equity_svg, "#1f5fbf"), equity), (_drawn(drawdown_svg, "#b3261e")[::2], drawdown)):
        assert _drawn_from([x for x, _ in points], ordinals) and _drawn_from([y for _, y in points], values)
    assert -min(drawdown) == pytest.approx(m["max_drawdown"], abs=1e-4)  # the card's figure is the curve's deepest

    cards = dict(re.findall(r'<div class="k">(.*?)</div><div class="v">(.*?)</div>', page))
    assert cards == {
        "total pnl": money(m["total_pnl"]), "trades": str(m["trades"]), "win rate": rate_shown(m["win_rate"]),
        "profit factor": money(m["profit_factor"]), "max drawdown": money(m["max_drawdown"]),
        "sharpe": money(m["sharpe"]), "avg win": money(m["avg_win"]), "avg loss": money(m["avg_loss"]),
        "max consecutive losses": str(m["max_consecutive_losses"]), "days traded": str(m["days_traded"])}
    assert f"2024-01-01 to 2024-02-09, {len(daily)} days, {len(trades)} trades" in page

    months = defaultdict(float)
    for d in daily:
        months[d["day"][:7]] += d["pnl"]
    grid = _cells(re.search(r"<tr><th class=\"l\">2024</th>.*?</tr>", _section(page, "Monthly PnL")).group(0))
    assert grid[1:3] == [f"{months['2024-01']:,.0f}", f"{months['2024-02']:,.0f}"]
    assert grid[3:13] == [""] * 10 and grid[13] == money(sum(months.values()))

    by_weekday = defaultdict(list)
    for d in daily:
        if d["trades"]:
            by_weekday[date.fromisoformat(d["day"]).strftime("%a")].append(d["pnl"])
    rows = [_cells(r) for r in re.findall(r"<tr><th class=\"l\">[A-Z][a-z]{2}</th>.*?</tr>", _section(page, "By weekday"))]
    assert rows == [[wd, str(len(v)), money(sum(v)), money(sum(v) / len(v)),
                     rate_shown(sum(1 for x in v if x > 0) / len(v))]
                    for wd, v in sorted(by_weekday.items(), key=lambda kv: "MonTueWedThuFri".index(kv[0]))]

    minutes = [(datetime.fromisoformat(t["exit_ts"]) - datetime.fromisoformat(t["entry_ts"])).total_seconds() / 60
               for t in trades]
    costs, slippage = math.fsum(t["costs"] for t in trades), math.fsum(t["slippage"] for t in trades)
    stats = _pairs(_section(page, "Trades"))
    assert stats == {
        "expectancy per trade": money(statistics.fmean(t["pnl"] for t in trades)),
        "win rate": rate_shown(m["win_rate"]),
        "average trade (minutes)": money(statistics.fmean(minutes)), "longest trade (minutes)": money(max(minutes)),
        "costs and slippage charged": money(costs + slippage),
        "average MAE per trade (worst open PnL)": money(statistics.fmean(t["mae"] for t in trades)),
        "worst MAE": money(min(t["mae"] for t in trades)),
        "average MFE per trade (best open PnL)": money(statistics.fmean(t["mfe"] for t in trades)),
        "best MFE": money(max(t["mfe"] for t in trades))}
    reasons = defaultdict(list)
    for t in trades:
        reasons[t["exit_reason"]].append(t["pnl"])
    assert set(reasons) == {"exit", "stop_loss"} and len(rows) == 5
    shown_reasons = [_cells(r) for r in re.findall(r'<tr><td class="l">[a-z_]+</td><td>\d+</td>.*?</tr>', page)]
    assert shown_reasons == [[r, str(len(v)), money(sum(v))] for r, v in sorted(reasons.items())]

    charged = _pairs(_section(page, "Costs"))
    for c in CHARGES:
        total = math.fsum(t[c] for t in trades)
        assert charged.get(f"{c} (total)") == (money(total) if total else None), c
    assert charged["commission (total)"] == money(0.0)
    assert charged["costs charged (total)"] == money(costs)
    assert charged["slippage and spread (total, inside the fill prices)"] == money(slippage) == money(0.5 * 50 * 2 * len(trades))
    assert charged["costs and slippage (total)"] == money(costs + slippage)
    assert (out / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- sweeps -----------------------------------------------------------------------------------------------

def _sweep_rows(folder: Path) -> list[dict]:
    with (folder / "sweep.csv").open(newline="") as fh:
        return [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in csv.DictReader(fh)]


def timed_straddle(tmp_path: Path) -> Path:
    """``t.strat``: STRADDLE with its entry time a parameter ``at`` (09:20) and its exit at 09:29."""
    path = tmp_path / "t.strat"
    path.write_text(STRADDLE.replace("    lots: int = 1\n", "    lots: int = 1\n    at: time = 09:20\n")
                    .replace("entry at 09:20\nexit at 09:25", "entry at at\nexit at 09:29"))
    return path


def test_sweep_rows_equal_plain_runs_serial_and_on_two_workers(hand, tmp_path):
    common = ("--data", hand, "--costs", "nse", "--grid", "lots=1,2", "-q")
    stdout = optbt("sweep", hand / "straddle.strat", *common, "--executor", "serial", "--out", tmp_path / "serial",
                   cwd=tmp_path)
    optbt("sweep", hand / "straddle.strat", *common, "--workers", "2", "--out", tmp_path / "pool", cwd=tmp_path)
    rows = _sweep_rows(tmp_path / "serial")
    assert rows == _sweep_rows(tmp_path / "pool")
    for row, stored in zip(rows, pq.read_table(tmp_path / "serial" / "sweep.parquet").to_pylist()):
        for k, v in row.items():  # sweep.parquet holds the same figures as sweep.csv
            assert ("" if stored[k] is None else str(stored[k])) == v, k
    logs = {}
    for name in ("serial", "pool"):
        with (tmp_path / name / "runs.jsonl").open() as fh:
            logs[name] = sorted((json.loads(line)["params"]["lots"], json.loads(line)["daily"]) for line in fh)
    assert logs["serial"] == logs["pool"]

    best = max(rows, key=lambda r: float(r["total_pnl"]))
    again = shlex.split(re.search(r"best run again, with its trades: optbt run (.*)", stdout).group(1))
    assert again[-2:] == ["--costs", "nse"] and f"lots={best['lots']}" in again
    for row in rows:  # the best one by the command the sweep printed for it, the other by hand
        lots = int(row["lots"])
        out = tmp_path / f"run-{lots}"
        plain = again if row is best else [hand / "straddle.strat", "--data", hand, "--costs", "nse",
                                           "--param", f"lots={lots}"]
        optbt("run", *plain, "--out", out, "-q", cwd=tmp_path)
        trades, daily = read_trades(out), read_daily(out)
        check_trades(trades, 50, nse=True)
        want = ref_metrics(trades, daily)
        for k, v in want.items():
            if k == "days" or k.startswith("max_drawdown_"):
                continue  # not columns of the table
            assert row[k] == ("" if v is None else str(v if isinstance(v, int) else float(v))), (lots, k)
        daily_log = dict(logs["serial"])[lots]  # the report's equity curves: days with a PnL, to 1e-6
        assert [d for d, _ in daily_log] == [d["day"] for d in daily if d["pnl"]] == ["2024-01-02", "2024-01-04",
                                                                                     "2024-01-05"]
        assert [p for _, p in daily_log] == pytest.approx([d["pnl"] for d in daily if d["pnl"]], abs=1e-6)
        # the same days, lots x the points; the charges are not linear (brokerage is per order)
        assert [t["qty"] for t in trades] == [lots] * 6

    # the top table prints the rows, best first
    table = [re.split(r"\s*│\s*", line.strip("│ ")) for line in stdout.splitlines() if re.match(r"│ \d+ │", line)]
    assert [t[1:] for t in table] == [[r["lots"], shown(float(r["total_pnl"])), shown(float(r["sharpe"])),
                                       shown(float(r["max_drawdown"])), rate_shown(float(r["win_rate"])), r["trades"]]
                                      for r in sorted(rows, key=lambda r: -float(r["total_pnl"]))]


def test_a_sweep_into_its_earlier_folder_leaves_no_report_of_the_earlier_runs(hand, tmp_path):
    """A sweep of lots=1 with --report, then lots=1,2 without: report.html still said "1 of 1 runs
    finished" beside a sweep.csv of two runs, as if it were this sweep's. It is now removed when
    the sweep starts (and said so); --report writes this sweep's."""
    common = ("--data", hand, "--executor", "serial", "--out", tmp_path / "s", "-q")
    optbt("sweep", hand / "straddle.strat", "--grid", "lots=1", "--report", *common, cwd=tmp_path)
    assert "1 of 1 runs finished" in (tmp_path / "s" / "report.html").read_text()
    stdout = optbt("sweep", hand / "straddle.strat", "--grid", "lots=1,2", *common, cwd=tmp_path)
    assert len(_sweep_rows(tmp_path / "s")) == 2 and not (tmp_path / "s" / "report.html").exists()
    assert f"removed {tmp_path / 's' / 'report.html'}: it showed the folder's earlier runs" in stdout
    optbt("sweep", hand / "straddle.strat", "--grid", "lots=1,2", "--report", *common, cwd=tmp_path)
    assert "2 of 2 runs finished" in (tmp_path / "s" / "report.html").read_text()


def test_a_report_is_not_written_into_another_runs_results(hand, tmp_path):
    """optbt report A --out B/report.html put run A's page (and equity.png) beside run B's trades,
    replacing B's own, where it passes for B's. Refused in one line; B's report stays B's."""
    for name, start in (("a", "2024-01-02"), ("b", "2024-01-05")):
        optbt("run", hand / "straddle.strat", "--data", hand, "--start", start, "--end", start, "--report",
              "--out", tmp_path / name, "-q", cwd=tmp_path)
    before = {n: (tmp_path / "b" / n).read_bytes() for n in ("report.html", "equity.png")}
    said = optbt("report", tmp_path / "a", "--out", tmp_path / "b" / "report.html", cwd=tmp_path, exit_code=2)
    assert f"{tmp_path / 'b'} holds other results (summary.json)" in " ".join(said.split())
    assert {n: (tmp_path / "b" / n).read_bytes() for n in before} == before
    optbt("report", tmp_path / "a", "--out", tmp_path / "a" / "again.html", cwd=tmp_path)  # its own folder: fine
    (tmp_path / "elsewhere").mkdir()
    optbt("report", tmp_path / "a", "--out", tmp_path / "elsewhere" / "a.html", cwd=tmp_path)
    assert "2024-01-02 to 2024-01-02" in (tmp_path / "elsewhere" / "a.html").read_text()


def test_a_sweep_ranked_by_drawdown_reports_by_it_and_charts_no_value_for_runs_without_trades(hand, tmp_path):
    """Entries at 09:30 never fill (the exit is at 09:29): two of four runs make no trade. The
    console ranked by --metric max_drawdown but --report ranked and charted total_pnl; and the
    heatmap coloured the runs without trades by their drawdown of 0, the best, where the ranking
    puts them last (README). Now the report follows --metric, and such a cell says "no trades"."""
    timed_straddle(tmp_path)
    out = tmp_path / "s"
    optbt("sweep", tmp_path / "t.strat", "--data", hand, "--grid", "at=09:20,09:30", "--grid", "lots=1,2",
          "--metric", "max_drawdown", "--report", "--executor", "serial", "--out", out, "-q", cwd=tmp_path)
    rows = _sweep_rows(out)
    assert [(r["at"], r["lots"], r["trades"]) for r in rows if r["trades"] == "0"] == [("09:30", "1", "0"),
                                                                                       ("09:30", "2", "0")]
    full = (out / "report.html").read_text()
    assert "ranked by max_drawdown (lower is better)" in full
    heatmap = re.findall(r"<svg.*?</svg>", full, flags=re.S)[0]
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", heatmap)
    assert texts[0] == "09:20" and "max_drawdown by at and lots" in texts
    assert texts.count("no trades") == 2 and "0.00" not in texts
    traded = [float(r["max_drawdown"]) for r in rows if r["trades"] != "0"]
    assert [t for t in texts if t[0].isdigit() and ":" not in t][2:4] == [f"{v:,.0f}" for v in traded]
    assert "2 runs made no trade: no value in the chart" in full
    # the progress line's best run, as on a terminal: it was the last run without trades (drawdown 0)
    stdout = optbt("sweep", tmp_path / "t.strat", "--data", hand, "--grid", "at=09:20,09:30", "--grid", "lots=1",
                   "--metric", "max_drawdown", "--executor", "serial", "--out", tmp_path / "s2", cwd=tmp_path,
                   terminal=True)
    best = re.findall(r"best max_drawdown ([\d,.]+) \((.*?)\)", stdout)[-1]
    assert best == (f"{traded[0]:,.2f}", "at=09:20 lots=1")
    assert "best run again, with its trades: optbt run" in stdout and "at=09:20" in stdout.split("best run again")[1]


def test_a_sweep_report_charts_the_win_rate_in_percent_as_its_tables_show_it(hand, tmp_path):
    """The tables show a win rate as 25.0 %; the heatmap's cells said 0.25 on a 0..1 colour bar."""
    timed_straddle(tmp_path)
    out = tmp_path / "s"
    optbt("sweep", tmp_path / "t.strat", "--data", hand, "--grid", "at=09:20,09:21", "--grid", "lots=1,2",
          "--metric", "win_rate", "--report", "--executor", "serial", "--out", out, "-q", cwd=tmp_path)
    rows = _sweep_rows(out)
    heatmap = re.findall(r"<svg.*?</svg>", (out / "report.html").read_text(), flags=re.S)[0]
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", heatmap)
    cells = [t for t in texts if t.endswith(" %")]
    by_cell = {(r["at"], r["lots"]): rate_shown(float(r["win_rate"])) for r in rows}
    assert cells == [by_cell[(at, lots)] for lots in ("1", "2") for at in ("09:20", "09:21")]
    assert "win_rate (%)" in texts


def test_a_sweep_heatmap_shows_a_loss_below_half_a_cent_as_0_00(hand, tmp_path):
    """01-04 is flat: each run's PnL is its commission, 0.001 a lot an order on two legs: -0.004 with
    1 lot, -0.008 with 2. The heatmap's cells said -0.00 and -0.01; an amount shows as money does
    (0.00, never -0.00), as in the tables."""
    timed_straddle(tmp_path)
    out = tmp_path / "s"
    optbt("sweep", tmp_path / "t.strat", "--data", hand, "--grid", "at=09:20,09:21", "--grid", "lots=1,2",
          "--start", "2024-01-04", "--end", "2024-01-04", "--commission", "0.001", "--report", "--executor", "serial",
          "--out", out, "-q", cwd=tmp_path)
    assert sorted(float(r["total_pnl"]) for r in _sweep_rows(out)) == [-0.008, -0.008, -0.004, -0.004]
    heatmap = re.findall(r"<svg.*?</svg>", (out / "report.html").read_text(), flags=re.S)[0]
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", heatmap)
    assert [t for t in texts if t in ("0.00", "-0.00", "-0.01")] == ["0.00", "0.00", "-0.01", "-0.01"]


# -- the --trace timeline ----------------------------------------------------------------------------------

def test_trace_timeline_prints_the_figures_trace_jsonl_holds(tmp_path):
    """The timeline printed 6 significant digits: a spot of 21010.45 showed as 21010.5 (and the
    sample's 20707.95 as 20708), so a rule on the spot could read 'spot 21010.5 ... false'
    against a level of 21010.5. From 10,000 on a figure now shows up to 4 decimals."""
    root = write_dataset(tmp_path / "d", {date(2024, 1, 2): HAND_DAYS[date(2024, 1, 2)]}, spot_price=21010.45)
    (root / "straddle.strat").write_text(STRADDLE)
    out = tmp_path / "out"
    stdout = optbt("run", root / "straddle.strat", "--data", root, "--trace", "2024-01-02", "--param", "lots=40",
                   "--out", out, "-q", cwd=tmp_path)
    records = [json.loads(line) for line in (out / "trace.jsonl").read_text().splitlines()]
    assert records[0]["spot"] == 21010.45
    assert "spot at first tick 21010.45, ATM 21000," in stdout
    assert "09:20       entry condition TRUE (spot 21010.45, dte 2)" in stdout
    # the call: sold at 108, bought at 118, 40 lots of 50: -20,000
    exits = {r["key"]: r["pnl"] for r in records if r["kind"] == "exit"}
    assert exits == {"ce": -20000.0, "pe": -10000.0}
    assert "reason exit, pnl -20000\n" in stdout


def test_an_amount_is_the_same_to_the_cent_on_the_console_the_cards_and_every_table(hand, tmp_path):
    """One trade: +750 less a commission of 0.0025001 a lot per order is 749.9949998.
    summary.json holds 749.995 and the console and the report's card showed 750.00; the report's
    trade row, expectancy, exit-reason, weekday and monthly totals rounded the raw PnL: 749.99.
    Every amount is now its 4-decimal figure shown to 2 decimals. So is the return on capital:
    on 60,241 it is 1.24499 %, summary.json holds 1.245 and the console printed 1.25 %, but the
    report worked it out again from the PnL and showed 1.24 %."""
    out = tmp_path / "out"
    stdout = optbt("run", hand / "one.strat", "--data", hand, "--start", "2024-01-05", "--commission", "0.0025001",
                   "--capital", "60241", "--report", "--out", out, cwd=tmp_path)
    (trade,) = read_trades(out)
    assert trade["pnl"] == pytest.approx(750 - 2 * 0.0025001, abs=1e-9)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["total_pnl"] == 749.995
    assert summary["on_capital"] == {"return_pct": round(749.995 / 60241 * 100, 4), "max_drawdown_pct": 0.0} \
        == {"return_pct": 1.245, "max_drawdown_pct": 0.0}
    printed = console_table(stdout)
    assert (printed["total_pnl"], printed["costs charged"]) == ("750.00", "0.01")
    assert console_table(stdout)["return on capital"] == "1.25 % of 60,241.00"
    page = re.sub(r"<svg.*?</svg>", "", (out / "report.html").read_text(), flags=re.S)
    cards = dict(re.findall(r'<div class="k">(.*?)</div><div class="v">(.*?)</div>', page))
    assert (cards["total pnl"], cards["return on capital"], cards["max drawdown on capital"], cards["capital"]) == \
        ("750.00", "1.25 %", "0.00 %", "60,241.00")
    assert _pairs(_section(page, "Trades"))["expectancy per trade"] == "750.00"
    amounts = re.findall(r'<td class="pos">(.*?)</td>', page)  # by exit reason, weekday, year total, trade rows
    assert len(amounts) >= 6 and set(amounts) == {"750.00"}


def test_a_loss_below_half_a_cent_shows_as_0_00_not_minus_0_00(hand, tmp_path):
    """01-04: the call sold and bought back at 50, a commission of 0.002 a lot on each order: a
    PnL of -0.004. summary.json holds -0.004; the console printed -0.00 for total_pnl and avg_loss,
    and the report a red -0.00 in its tables. An amount shows its 2-decimal figure: 0.00, no colour."""
    out = tmp_path / "out"
    stdout = optbt("run", hand / "one.strat", "--data", hand, "--start", "2024-01-04", "--end", "2024-01-04",
                   "--commission", "0.002", "--report", "--out", out, cwd=tmp_path)
    trades, _, summary = check_run(out, stdout, lot_size=50, nse=False, commission_per_lot=0.002)
    assert [t["pnl"] for t in trades] == [pytest.approx(-0.004, abs=1e-12)]
    assert (summary["metrics"]["total_pnl"], summary["metrics"]["max_drawdown"]) == (-0.004, 0.004)
    printed = console_table(stdout)
    assert (printed["total_pnl"], printed["avg_loss"], printed["max_drawdown"]) == ("0.00", "0.00", "0.00")
    page = re.sub(r"<svg.*?</svg>", "", (out / "report.html").read_text(), flags=re.S)
    assert "-0.00" not in page and '<td class="neg">' not in page
    assert '<div class="k">total pnl</div><div class="v">0.00</div>' in page


def test_one_loss_in_300_trades_across_a_year_boundary(tmp_path):
    """299 days win 50 and one (2025-01-07) loses 50, from 2024-11-01 over 300 weekdays. The win
    rate 0.9967 printed as 1.00 on the console and 100 % on the report's card, beside a trade that
    lost; a win rate now shows in percent to one decimal everywhere: 99.7 %. A return of 14,900 %
    printed as 14900.00 %, without the separators every amount has. The monthly grid has a
    row a year, each month's sum in its column; the weekday of the loss has 59 of 60 up days."""
    pnls = [50.0] * 300
    first = date(2024, 11, 1)
    days = list(pnl_days(pnls, first=first, expiry=date(2026, 6, 25)))
    pnls[days.index(date(2025, 1, 7))] = -50.0
    root = write_dataset(tmp_path / "d", pnl_days(pnls, first=first, expiry=date(2026, 6, 25)))
    (root / "one.strat").write_text(ONE_LEG)
    out = tmp_path / "out"
    stdout = optbt("run", root / "one.strat", "--data", root, "--report", "--capital", "100", "--out", out,
                   cwd=tmp_path)
    trades, daily, summary = check_run(out, stdout, lot_size=50, nse=False)
    assert len(trades) == 300 and summary["metrics"]["win_rate"] == 0.9967
    printed = console_table(stdout)
    assert printed["win_rate"] == "99.7 %"
    # 14,900 on a capital of 100: a percentage has thousands separators as an amount does
    assert printed["return on capital"] == "14,900.00 % of 100.00"
    page = re.sub(r"<svg.*?</svg>", "", (out / "report.html").read_text(), flags=re.S)
    assert '<div class="k">win rate</div><div class="v">99.7 %</div>' in page
    assert '<div class="k">return on capital</div><div class="v">14,900.00 %</div>' in page
    assert _pairs(_section(page, "Trades"))["win rate"] == "99.7 %"
    months = defaultdict(float)
    for d in daily:
        months[d["day"][:7]] += d["pnl"]
    grid = _section(page, "Monthly PnL")
    assert sorted({k[:4] for k in months}) == ["2024", "2025"] and grid.count('<tr><th class="l">20') == 2
    for year in (2024, 2025):
        row = _cells(re.search(rf'<tr><th class="l">{year}</th>.*?</tr>', grid).group(0))
        assert row[1:13] == [f"{months[f'{year}-{m:02d}']:,.0f}" if f"{year}-{m:02d}" in months else ""
                             for m in range(1, 13)], year
        assert row[13] == f"{sum(v for k, v in months.items() if k.startswith(str(year))):,.2f}"
    tuesdays = _cells(re.search(r'<tr><th class="l">Tue</th>.*?</tr>', _section(page, "By weekday")).group(0))
    assert tuesdays == ["Tue", "60", "2,900.00", "48.33", "98.3 %"]


def test_the_sweep_table_shows_each_parameter_as_it_was_run(hand, tmp_path):
    """The top table printed parameters like amounts, to 2 decimals: a 12.625 % stop showed as
    12.62 (and 12.5 as 12.50), a value the sweep never ran; sweep.csv and the report say 12.625."""
    (tmp_path / "stop.strat").write_text(STRADDLE.replace("    lots: int = 1\n", "    lots: int = 1\n    sl_pct: percent = 30%\n")
                                         .replace("exit at 09:25", "stop_loss each leg sl_pct\nexit at 09:25"))
    stdout = optbt("sweep", tmp_path / "stop.strat", "--data", hand, "--grid", "sl_pct=12.5,12.625", "--end",
                   "2024-01-02", "--executor", "serial", "--out", tmp_path / "s", "-q", cwd=tmp_path)
    assert sorted(r["sl_pct"] for r in _sweep_rows(tmp_path / "s")) == ["12.5", "12.625"]
    table = [re.split(r"\s*│\s*", line.strip("│ ")) for line in stdout.splitlines() if re.match(r"│ \d+ │", line)]
    assert sorted(t[1] for t in table) == ["12.5", "12.625"]


def test_a_day_the_data_lacks_is_counted_apart_not_as_a_flat_day(tmp_path):
    """01-03 has options but no spot: skipped (no_spot), left out of days, days_traded and Sharpe
    (README), and the report says so; the other days are the hand-made ones."""
    root = write_dataset(tmp_path / "d", HAND_DAYS, no_spot=frozenset({date(2024, 1, 3)}))
    (root / "straddle.strat").write_text(STRADDLE)
    out = tmp_path / "out"
    stdout = optbt("run", root / "straddle.strat", "--data", root, "--report", "--out", out, cwd=tmp_path)
    trades, daily, summary = check_run(out, stdout, lot_size=50, nse=False)
    assert [(d["day"], d["skipped"], d["skip_reason"]) for d in daily if d["skipped"] != "0"] == \
        [("2024-01-03", "1", "no_spot")]
    assert summary["skips"] == {"no_spot": 1} and summary["engine"]["days"] == 4  # days read: README
    assert summary["skipped_days"]["no_spot"]["first_days"] == ["2024-01-03"]
    # three days with data: -750, 0, +1250
    sd = math.sqrt(((-750 - 500 / 3) ** 2 + (0 - 500 / 3) ** 2 + (1250 - 500 / 3) ** 2) / 2)
    m = summary["metrics"]
    assert (m["days"], m["days_traded"], m["sharpe"]) == (3, 3, round(500 / 3 / sd * math.sqrt(252), 4))
    assert "3 days (1 more without data), 6 trades" in (out / "report.html").read_text()
