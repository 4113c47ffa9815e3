"""The report's costs, excursions and return on capital, on a hand-made run folder.

Two trades (figures chosen for easy sums):
- ce: brokerage 40, stt 10, exchange 6, stamp 0.5, gst 7.5 (charges 64) + commission 10 = costs 74;
  slippage 20; MAE -400, MFE 2,000; pnl 1,906
- pe: brokerage 40, stt 5, exchange 4, stamp 0.5, gst 7.5 (charges 57) = costs 57; slippage 10;
  MAE -900, MFE 100; pnl -500
Totals: brokerage 80, stt 15, exchange 10, stamp 1, gst 15; commission 10; costs 131; slippage
30; costs and slippage 161. MAE average -650, worst -900; MFE average 1,050, best 2,000.
Total PnL 1,406 on capital 100,000 = 1.41 %; max drawdown 500 = 0.50 %.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pytest

from optbt.model.errors import ConfigError
from optbt.results.report import write_report

BASE = dict(underlying="NIFTY", expiry="2024-01-04", strike=21000.0, side="SELL", qty=1, cycle=1, entry_lag=0,
            exit_lag=0, sebi=0.0, fees=0.0)
TRADES = [
    dict(BASE, day="2024-01-02", key="ce", opt_type="CE", entry_ts="2024-01-02T09:20:00", entry_price=100.0,
         exit_ts="2024-01-02T10:20:00", exit_price=80.0, exit_reason="exit", costs=74.0, pnl=1906.0, brokerage=40.0,
         stt=10.0, exchange=6.0, stamp=0.5, gst=7.5, slippage=20.0, mae=-400.0, mfe=2000.0),
    dict(BASE, day="2024-01-03", key="pe", opt_type="PE", entry_ts="2024-01-03T09:20:00", entry_price=90.0,
         exit_ts="2024-01-03T09:50:00", exit_price=95.0, exit_reason="stop_loss", costs=57.0, pnl=-500.0,
         brokerage=40.0, stt=5.0, exchange=4.0, stamp=0.5, gst=7.5, slippage=10.0, mae=-900.0, mfe=100.0),
]
USED = {"slippage": 0.5, "slippage_unit": "points", "commission_per_lot": 0.0, "commission_per_order": 5.0,
        "preset": "NSE index options", "currency": "INR", "effective": "2024-10-01"}


@pytest.fixture()
def run_dir(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    with (d / "trades.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(TRADES[0]))
        w.writeheader()
        w.writerows(TRADES)
    (d / "daily.csv").write_text("day,pnl,trades,cycles,skipped\n2024-01-02,1906.0,1,1,0\n2024-01-03,-500.0,1,1,0\n")
    (d / "summary.json").write_text(json.dumps({
        "strategy": "Hand", "params": {}, "dataset": {"name": "hand-made", "synthetic": False},
        "start": "2024-01-02", "end": "2024-01-03", "costs": USED,
        "metrics": {"total_pnl": 1406.0, "trades": 2, "win_rate": 0.5, "max_drawdown": 500.0}, "engine": {}}))
    return d


def _row(page: str, label: str) -> str:
    m = re.search(rf'<th class="l">{re.escape(label)}</th><td class="l">([^<]*)</td>', page)
    assert m, f"{label!r} not in the report"
    return m.group(1)


def test_costs_used_and_their_totals(run_dir):
    page = write_report(run_dir).read_text()
    costs = page[page.index("<h2>Costs</h2>"):]
    assert _row(costs, "slippage setting") == "0.5 points against each fill"
    assert _row(costs, "commission setting") == "0 per lot, 5 per order"
    assert _row(costs, "broker charges") == "NSE index options (INR, rates effective 2024-10-01)"
    for label, value in [("brokerage (total)", "80.00"), ("stt (total)", "15.00"), ("exchange (total)", "10.00"),
                         ("stamp (total)", "1.00"), ("gst (total)", "15.00"), ("commission (total)", "10.00"),
                         ("costs charged (total)", "131.00"),
                         ("slippage and spread (total, inside the fill prices)", "30.00"),
                         ("costs and slippage (total)", "161.00")]:
        assert _row(costs, label) == value, label
    assert "sebi (total)" not in costs  # a line that charged nothing is left out
    assert _row(page, "costs and slippage charged") == "161.00"


def test_mae_and_mfe_per_trade_and_summed_up(run_dir):
    page = write_report(run_dir).read_text()
    assert _row(page, "average MAE per trade (worst open PnL)") == "-650.00"
    assert _row(page, "worst MAE") == "-900.00"
    assert _row(page, "average MFE per trade (best open PnL)") == "1,050.00"
    assert _row(page, "best MFE") == "2,000.00"
    key = page[page.index("<h3>Every trade</h3>"):page.index("<details>")]
    assert ">MAE</th><th" in key and ">MFE</th></tr>" in key
    assert '<td class="pos">1,906.00</td><td class="neg">-400.00</td><td class="pos">2,000.00</td>' in key


def test_return_on_capital_from_the_option_or_from_the_run(run_dir):
    page = write_report(run_dir).read_text()
    assert "return on capital" not in page  # only when a capital is given
    page = write_report(run_dir, capital=100000).read_text()
    assert '<div class="k">return on capital</div><div class="v">1.41 %</div>' in page
    assert '<div class="k">max drawdown on capital</div><div class="v">0.50 %</div>' in page
    summary = json.loads((run_dir / "summary.json").read_text())
    (run_dir / "summary.json").write_text(json.dumps({**summary, "capital": 200000}))  # optbt run --capital
    page = write_report(run_dir).read_text()
    assert '<div class="k">return on capital</div><div class="v">0.70 %</div>' in page
    with pytest.raises(ConfigError, match="capital must be an amount above 0"):
        write_report(run_dir, capital=-5)


def test_cli_run_capital_goes_into_summary_and_report(tmp_path, sample_dataset):
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", "optbt.cli.app", "run", "strategies_dsl/straddle_920.strat",
                        "--data", str(sample_dataset), "--end", "2024-01-03", "--out", str(out), "--quiet",
                        "--capital", "500000", "--report"], capture_output=True, text=True, timeout=180,
                       cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert r.returncode == 0, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["capital"] == 500000
    total = summary["metrics"]["total_pnl"]
    assert f"{total / 500000 * 100:.2f} %" in (out / "report.html").read_text()
    assert "return on capital" in r.stdout
