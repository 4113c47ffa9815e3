"""A win rate below 1 is never written or shown as 1 (nor one above 0 as 0), however many trades."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from types import SimpleNamespace

from rich.console import Console

from optbt.api.result import Result
from optbt.cli.run import summary_table
from optbt.results.metrics import metric_text
from optbt.results.ranking import rank
from optbt.results.report import write_report
from optbt.results.result import BacktestResult, DayRow

FIRST = date(2024, 1, 1)


class _Trade:
    """A closed trade as BacktestResult writes it: a PnL and a row of trades.csv."""

    def __init__(self, n: int, pnl: float):
        self.pnl = pnl
        day = FIRST + timedelta(days=n // 100)
        self._row = dict(day=day, cycle=n % 100 + 1, key="ce", underlying="NIFTY", expiry=day, strike=21000.0,
                         opt_type="CE", side="SELL", qty=1, entry_ts=f"{day}T09:20:00", entry_price=100.0,
                         entry_lag=0, exit_ts=f"{day}T09:25:00", exit_price=100.0 - pnl, exit_lag=0,
                         exit_reason="exit", costs=0.0, pnl=pnl, brokerage=0.0, stt=0.0, exchange=0.0, sebi=0.0,
                         stamp=0.0, gst=0.0, fees=0.0, slippage=0.0, mae=0.0, mfe=0.0)

    def row(self) -> dict:
        return self._row


def _result(pnls: list[float]) -> BacktestResult:
    trades = [_Trade(n, p) for n, p in enumerate(pnls)]
    by_day: dict[date, list[float]] = {}
    for t in trades:
        by_day.setdefault(t.row()["day"], []).append(t.pnl)
    daily = [DayRow(d, sum(v), len(v), len(v), False) for d, v in sorted(by_day.items())]
    strategy = SimpleNamespace(closed_trades=trades, params=dict)
    config = SimpleNamespace(name="hand-made", root=None, synthetic=False)
    return BacktestResult.build(strategy, config, None, None, daily, {"days": len(daily), "ticks": 0,
                                "queries": 0, "instruments_fetched": 0, "seconds": 0.0})


def test_one_loss_in_20001_trades_is_not_a_win_rate_of_1(tmp_path):
    """20,000 wins in 20,001 trades: 0.99995000..., which to 4 decimals is 1.0. summary.json held
    1.0 and the console, the report's card, the sweep table and the notebook printed 100.0 %
    beside the losing trade; the share is kept to 5 decimals (0.99995) and shows as >99.9 %."""
    result = _result([50.0] * 19_999 + [-50.0] + [50.0])
    out = result.write(tmp_path / "run")
    rate = json.loads((out / "summary.json").read_text())["metrics"]["win_rate"]
    assert rate == 0.99995 and rate < 1
    buf = io.StringIO()
    Console(file=buf, width=120, no_color=True).print(summary_table(result))
    assert re.search(r"│ win_rate\s+│\s+>99\.9 % │", buf.getvalue())
    page = write_report(out).read_text()
    assert '<div class="k">win rate</div><div class="v">&gt;99.9 %</div>' in page
    assert '<tr><th class="l">win rate</th><td class="l">&gt;99.9 %</td></tr>' in page
    assert metric_text("win_rate", rate) == ">99.9 %"  # the sweep tables (console and report)
    assert "<td style='text-align:right'>&gt;99.9 %</td>" in Result(result)._repr_html_()
    # ranked by win rate, a run without a loss comes before it, not tied with it
    rows = [{"run": 0, "status": "ok", "trades": 20_001, "win_rate": rate},
            {"run": 1, "status": "ok", "trades": 20_001, "win_rate": 1.0}]
    assert [r["run"] for r in rank(rows, "win_rate")] == [1, 0]


def test_one_win_in_20001_trades_is_not_a_win_rate_of_0(tmp_path):
    """1 / 20,001 = 0.0000499975... is 0.0 to 4 decimals; kept as 0.00005, it shows as <0.1 %."""
    result = _result([-50.0] * 20_000 + [50.0])
    rate = result.metrics["win_rate"]
    assert rate == 0.00005 and rate > 0
    assert metric_text("win_rate", rate) == "<0.1 %"


def test_an_ordinary_win_rate_keeps_its_4_decimals():
    assert _result([50.0, 50.0, -50.0]).metrics["win_rate"] == 0.6667
    assert _result([50.0] * 299 + [-50.0]).metrics["win_rate"] == 0.9967


def test_a_half_rounds_away_from_zero_in_a_win_rate_as_in_every_figure_shown():
    """1 win in 16 is 6.25 %: shown 6.2 % (round half to even), where every other figure rounds a
    half away from zero (0.125 shows 0.13). 11 in 16 is 68.75 %: 68.8 % both ways."""
    from optbt.results.metrics import win_rate_text
    assert win_rate_text(1 / 16) == "6.3 %"
    assert win_rate_text(3 / 16) == "18.8 %"  # 18.75
    assert win_rate_text(11 / 16) == "68.8 %"
    assert win_rate_text(1 / 3) == "33.3 %"
