"""The report as a trader reads it: key trade columns first, stats worked out by hand, % shown as %.

A hand-made run folder: three trades over two days (Tue 2 Jan and Wed 3 Jan 2024).
- ce: 09:20 -> 09:50 (30 min), pnl -100, costs 10
- pe: 09:20 -> 11:20 (120 min), pnl +250, costs 10
- ce: 09:30 -> 10:00 (30 min), pnl +50, costs 5
Expectancy (-100 + 250 + 50) / 3 = 66.67; average duration (30 + 120 + 30) / 3 = 60 min;
longest 120; costs 25. Tuesday PnL +150, Wednesday +50.
"""

from __future__ import annotations

import csv
import json
import re

import pytest

from optbt.results.report import write_report

TRADES = [
    dict(day="2024-01-02", cycle=1, key="ce", underlying="NIFTY", expiry="2024-01-04", strike=21000.0, opt_type="CE",
         side="SELL", qty=1, entry_ts="2024-01-02T09:20:00", entry_price=100.0, entry_lag=0,
         exit_ts="2024-01-02T09:50:00", exit_price=200.0, exit_lag=0, exit_reason="stop_loss", costs=10.0, pnl=-100.0),
    dict(day="2024-01-02", cycle=1, key="pe", underlying="NIFTY", expiry="2024-01-04", strike=21000.0, opt_type="PE",
         side="SELL", qty=1, entry_ts="2024-01-02T09:20:00", entry_price=300.0, entry_lag=0,
         exit_ts="2024-01-02T11:20:00", exit_price=50.0, exit_lag=0, exit_reason="exit", costs=10.0, pnl=250.0),
    dict(day="2024-01-03", cycle=1, key="ce", underlying="NIFTY", expiry="2024-01-04", strike=21050.0, opt_type="CE",
         side="SELL", qty=1, entry_ts="2024-01-03T09:30:00", entry_price=80.0, entry_lag=0,
         exit_ts="2024-01-03T10:00:00", exit_price=30.0, exit_lag=0, exit_reason="exit", costs=5.0, pnl=50.0),
]


def write_trades(tmp_path, trades: list[dict]):
    """A run folder under ``tmp_path`` holding ``trades`` as trades.csv (Python's text of each value)."""
    d = tmp_path / "run"
    d.mkdir()
    with (d / "trades.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(trades[0]))
        w.writeheader()
        w.writerows(trades)
    return d


@pytest.fixture()
def run_dir(tmp_path):
    d = write_trades(tmp_path, TRADES)
    (d / "daily.csv").write_text("day,pnl,trades,cycles,skipped\n2024-01-02,150.0,2,1,0\n2024-01-03,50.0,1,1,0\n")
    (d / "summary.json").write_text(json.dumps({
        "strategy": "Hand", "params": {"sl_pct": 30.0, "entry_time": "09:20", "lots": 1},
        "dataset": {"name": "hand-made", "synthetic": False}, "start": "2024-01-02", "end": "2024-01-03",
        "metrics": {"total_pnl": 200.0, "trades": 3, "win_rate": 0.6667}, "engine": {"days": 2}}))
    write_report(d)
    return d


def _row(page: str, label: str) -> str:
    m = re.search(rf'<th class="l">{re.escape(label)}</th><td class="l">([^<]*)</td>', page)
    assert m, f"{label!r} not in the report"
    return m.group(1)


def test_trade_stats_are_the_hand_computed_ones(run_dir):
    page = (run_dir / "report.html").read_text()
    assert _row(page, "expectancy per trade") == "66.67"
    assert _row(page, "average trade (minutes)") == "60.00"
    assert _row(page, "longest trade (minutes)") == "120.00"
    assert _row(page, "costs and slippage charged") == "25.00"


def test_percentages_read_as_percentages(run_dir):
    page = (run_dir / "report.html").read_text()
    assert _row(page, "win rate") == "66.7 %"  # one decimal, as the console
    assert _row(page, "sl_pct") == "30 %"
    assert _row(page, "entry_time") == "09:20"
    assert '<div class="k">win rate</div><div class="v">66.7 %</div>' in page


def test_key_columns_first_and_every_column_one_click_away(run_dir):
    page = (run_dir / "report.html").read_text()
    key_table = page[page.index("<h3>Every trade</h3>"):page.index("<details>")]
    assert "<th class=\"l\">leg</th>" in key_table and "entry_lag" not in key_table
    assert "ce 21000 CE" in key_table and "09:20 @ 100.0" in key_table and "11:20 @ 50.0" in key_table
    details = page[page.index("<details>"):]
    assert "entry_lag" in details and "costs" in details


def test_weekday_table_adds_up(run_dir):
    page = (run_dir / "report.html").read_text()
    weekday = page[page.index("<h2>By weekday</h2>"):page.index("<h2>Trades</h2>")]
    assert re.search(r'<th class="l">Tue</th><td>1</td><td class="pos">150.00</td>', weekday)
    assert re.search(r'<th class="l">Wed</th><td>1</td><td class="pos">50.00</td>', weekday)


def test_a_declared_percent_kind_wins_over_the_name(tmp_path, run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["params"] = {"sl_pct": 30.0, "stop": 25.0}
    summary["param_kinds"] = {"sl_pct": "points", "stop": "percent"}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    page = write_report(run_dir).read_text()
    assert _row(page, "sl_pct") == "30.0" and _row(page, "stop") == "25 %"


def test_tiny_and_huge_numbers_show_in_positional_notation_never_as_1e_05(tmp_path):
    """trades.csv holds a float as Python writes it: 0.00001 is "1e-05", 2.5e16 "2.5e+16". The
    report showed that text (and a strike of 1,000,000 through :g as 1e+06, a percentage
    parameter of 0.00001 as 1e-05 %); every number now shows its digits in positional notation."""
    trades = [dict(TRADES[0], entry_price=0.00001, exit_price=1e-7, sebi=2e-05),
              dict(TRADES[1], strike=1e6, entry_price=0.05, exit_price=2.5e16, sebi=0.5)]
    d = write_trades(tmp_path, trades)
    assert "1e-05" in (d / "trades.csv").read_text()  # the text the report reads
    (d / "daily.csv").write_text("day,pnl,trades,cycles,skipped\n2024-01-02,150.0,2,1,0\n")
    (d / "summary.json").write_text(json.dumps({
        "strategy": "Hand", "params": {"sl_pct": 0.00001, "target": 1e-7, "cap": 1e17},
        "param_kinds": {"sl_pct": "percent"}, "dataset": {"name": "hand-made", "synthetic": False},
        "start": "2024-01-02", "end": "2024-01-02", "costs": {"slippage": 0.00001, "slippage_unit": "points",
                                                              "commission_per_lot": 1e-7, "commission_per_order": 0},
        "metrics": {"total_pnl": 150.0, "trades": 2, "win_rate": 0.5}, "engine": {"days": 1}}))
    page = re.sub(r"<svg.*?</svg>", "", write_report(d).read_text(), flags=re.S)
    key_table = page[page.index("<h3>Every trade</h3>"):page.index("<details>")]
    assert "09:20 @ 0.00001" in key_table and "09:50 @ 0.0000001" in key_table
    assert "09:20 @ 0.05" in key_table and "11:20 @ 25000000000000000" in key_table
    assert "pe 1000000 PE" in key_table
    details = page[page.index("<details>"):]
    cells = re.findall(r'<td class="l">([^<]*)</td>', details)
    for text in ("0.00001", "0.0000001", "0.00002", "1000000.0", "0.05", "25000000000000000", "0.5"):
        assert text in cells, text
    assert _row(page, "sl_pct") == "0.00001 %" and _row(page, "target") == "0.0000001"
    assert _row(page, "cap") == "100000000000000000"
    assert _row(page, "slippage setting") == "0.00001 points against each fill"
    assert _row(page, "commission setting") == "0.0000001 per lot, 0 per order"
    assert not re.search(r"\b\d+(\.\d+)?[eE][+-]?\d", page[page.index("</style>"):])


def test_console_tables_show_tiny_numbers_in_positional_notation():
    """The sweep's top table printed a parameter of 0.00001 as 1e-05, the trace timeline a price of
    0.0000123 as 1.23e-05."""
    from optbt.cli.sweep import format_param
    from optbt.results.trace import timeline
    assert (format_param(0.00001), format_param(1e-7), format_param(1e17)) == ("0.00001", "0.0000001",
                                                                                "100000000000000000")
    lines = timeline([{"day": "2024-01-02", "time": "09:20", "tick": 1, "kind": "fill", "key": "ce",
                       "side": "SELL", "instrument": "NIFTY 21000 CE", "price": 0.0000123, "lag": 0,
                       "reason": "entry"}])
    assert lines == ["09:20       FILL ce: SELL NIFTY 21000 CE at 0.0000123 (lag 0, entry)"]


def test_the_report_rounds_a_half_away_from_zero_as_a_trader_does(tmp_path):
    """round() rounds half to even: a month of 2.5 showed 2, one of -2.5 showed -2, a total of
    2.125 showed 2.12. Months of 2.5, -2.5, 0.5, 1.5 and 0.125 now show 3, -3, 1, 2 and 0; the
    year's total (2.125) 2.13; summary.json's 0.125 is 0.13 on its card; 2.125 on a capital of
    100 is a return of 2.13 %."""
    d = tmp_path / "run"
    d.mkdir()
    (d / "trades.csv").write_text("day,pnl\n")
    (d / "daily.csv").write_text("day,pnl,trades,cycles,skipped\n2024-01-02,2.5,0,1,0\n2024-02-01,-2.5,0,1,0\n"
                                 "2024-03-01,0.5,0,1,0\n2024-04-01,1.5,0,1,0\n2024-05-01,0.125,0,1,0\n")
    (d / "summary.json").write_text(json.dumps({
        "strategy": "Hand", "params": {}, "dataset": {"name": "hand-made", "synthetic": False},
        "start": "2024-01-02", "end": "2024-05-01",
        "metrics": {"total_pnl": 2.125, "trades": 0, "avg_win": 0.125, "avg_loss": -2.5}, "engine": {"days": 5}}))
    page = re.sub(r"<svg.*?</svg>", "", write_report(d, capital=100.0).read_text(), flags=re.S)
    grid = page[page.index("<h2>Monthly PnL</h2>"):]
    row = re.search(r'<tr><th class="l">2024</th>.*?</tr>', grid).group(0)
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
    assert cells == ["2024", "3", "-3", "1", "2", "0", "", "", "", "", "", "", "", "2.13"]
    assert '<div class="k">total pnl</div><div class="v">2.13</div>' in page
    assert '<div class="k">avg win</div><div class="v">0.13</div>' in page
    assert '<div class="k">avg loss</div><div class="v">-2.50</div>' in page
    assert '<div class="k">return on capital</div><div class="v">2.13 %</div>' in page


def test_the_console_rounds_a_half_away_from_zero():
    from optbt.results.metrics import metric_text, money, percent
    assert (money(0.125), money(-0.125), money(2.675), money(1.005)) == ("0.13", "-0.13", "2.68", "1.01")
    assert (metric_text("total_pnl", 1234.565), percent(0.125)) == ("1,234.57", "0.13 %")
