"""Every strategy in strategies_dsl/ runs on the embedded sample dataset, as a user would run it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optbt import run_backtest
from optbt.dsl.loader import load_strategy
from optbt.model.instrument import TRADE_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "strategies_dsl").glob("*.strat"))
REASONS = {"stop_loss", "target", "trailing", "shift", "mtm_stop", "mtm_target", "trail_mtm", "exit", "eod",
           "credit_stop", "credit_target", "overall_stop", "overall_target", "lock"}


def test_the_library_has_the_strategies_the_docs_promise():
    assert len(LIBRARY) >= 8


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_strategy_runs_on_the_sample_dataset(path, sample_source):
    result = run_backtest(load_strategy(str(path)), source=sample_source)
    assert result.engine["days"] == 60
    assert result.trades, f"{path.name} never traded in 60 sample days"
    for t in result.trades:
        row = t.row()
        assert list(row) == list(TRADE_COLUMNS)
        assert row["exit_reason"] in REASONS
        assert row["entry_ts"] < row["exit_ts"]  # nothing closes on the tick it opened
        assert row["entry_ts"].date() == row["day"] == row["exit_ts"].date()  # intraday: flat every night
        assert math.isfinite(row["pnl"]) and row["entry_price"] > 0 and row["exit_price"] > 0
    assert result.metrics["total_pnl"] == pytest.approx(sum(t.pnl for t in result.trades))
