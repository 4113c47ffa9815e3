"""A hand-written Python strategy and the compiled .strat give identical trades on the sample data."""

from __future__ import annotations

from pathlib import Path

import pytest

from optbt import run_backtest
from optbt.dsl.loader import load_strategy

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [
    ("examples/straddle_920.py:Straddle920", "strategies_dsl/straddle_920.strat"),
    ("examples/hand_written/straddle_sl_to_cost.py:StraddleSlToCost", "strategies_dsl/straddle_sl_to_cost.strat"),
    ("examples/hand_written/iron_condor_mtm.py:IronCondorMtm", "strategies_dsl/iron_condor_mtm.strat"),
    ("examples/hand_written/straddle_920_recost.py:Straddle920Recost", "strategies_dsl/straddle_920_recost.strat"),
    ("examples/hand_written/straddle_wait_trade.py:StraddleWaitTrade", "strategies_dsl/straddle_wait_trade.strat"),
    ("examples/hand_written/staggered_strangle.py:StaggeredStrangle", "strategies_dsl/staggered_strangle.strat"),
    ("examples/hand_written/ratio_lazy_hedge.py:RatioLazyHedge", "strategies_dsl/ratio_lazy_hedge.strat"),
    ("examples/hand_written/strangle_re_asap.py:StrangleReAsap", "strategies_dsl/strangle_re_asap.strat"),
    ("examples/hand_written/straddle_step_trail_reverse.py:StraddleStepTrailReverse",
     "strategies_dsl/straddle_step_trail_reverse.strat"),
]


@pytest.mark.parametrize("python_spec, strat", PAIRS, ids=[p[1].split("/")[1] for p in PAIRS])
def test_hand_written_and_compiled_trade_identically(python_spec, strat, sample_source):
    hand = run_backtest(load_strategy(str(ROOT / python_spec)), source=sample_source, end="2024-02-29")
    compiled = run_backtest(load_strategy(str(ROOT / strat)), source=sample_source, end="2024-02-29")
    assert len(hand.trades) > 20
    assert [t.row() for t in hand.trades] == [t.row() for t in compiled.trades]


@pytest.mark.parametrize("python_spec, strat", PAIRS[:5], ids=[p[1].split("/")[1] for p in PAIRS[:5]])
def test_twins_stay_identical_with_slippage(python_spec, strat, sample_source):
    """Stops, targets and "cost" are measured from the tick's price at entry (``trade.mark``),
    not from the fill: with slippage the fill is worse, and a Python twin measuring from it
    stopped a tick earlier than its .strat file (found by an independent simulator)."""
    costs = {"slippage": 0.5}
    hand = run_backtest(load_strategy(str(ROOT / python_spec)), source=sample_source, end="2024-01-31", costs=costs)
    compiled = run_backtest(load_strategy(str(ROOT / strat)), source=sample_source, end="2024-01-31", costs=costs)
    assert len(hand.trades) > 10 and any(t.entry_price != t.mark for t in hand.trades)
    assert [t.row() for t in hand.trades] == [t.row() for t in compiled.trades]
