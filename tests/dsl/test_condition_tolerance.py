"""Comparisons in conditions use the price levels' tolerance (optbt.model.levels): prices sit on
a decimal grid, so a value equal to a level in decimal is equal to it, whatever binary rounding
made of it. Each test failed before (the comparison was Python's exact one).

One day, ATM 21000 (spot 21010), minute bars from 09:16; both legs sold at 09:17; the condition
is an ``exit when``, so the tick it first holds is the tick both legs leave. Lot size 1.
"""

from __future__ import annotations

import pytest

from optbt import run_backtest
from optbt.data.dataset import load_dataset
from optbt.dsl import load_strat_text
from tests.kit import DAY, straddle_day, write_parquet

HEAD = """strategy tol "tolerance"
legs
    ce = add(ATM, CE, SELL)
    pe = add(ATM, PE, SELL)
entry at 09:17
exit at 09:24
"""

RISING = ([2.0, 2.0, 2.0, 2.40, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0], [2.0, 2.0, 2.0, 2.80, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0])
FALLING = ([3.0, 3.0, 3.0, 2.40, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 2.80, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
TENTHS = ([0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2], [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2])


def exits(prices: tuple, condition: str, tmp_path) -> list[tuple]:
    ce, pe = prices
    data = write_parquet(tmp_path / "d", {DAY: straddle_day(ce, pe)}, n_ticks=len(ce))
    res = run_backtest(load_strat_text(HEAD + f"exit when {condition}\n", "tol.strat"), data=load_dataset(data))
    return sorted((t.key, t.exit_ts.strftime("%H:%M"), t.exit_price, t.exit_reason) for t in res.trades)


@pytest.mark.parametrize("prices, condition, expected", [
    # 09:19: (2.40 + 2.80) / 2 is 2.5999999999999996 in binary, 2.60 in decimal: at 2.6
    (RISING, "(ce.ltp + pe.ltp) / 2 >= 2.6", [("ce", "09:19", 2.4, "exit"), ("pe", "09:19", 2.8, "exit")]),
    (RISING, "(ce.ltp + pe.ltp) / 2 == 2.6", [("ce", "09:19", 2.4, "exit"), ("pe", "09:19", 2.8, "exit")]),
    (RISING, "2.6 <= (ce.ltp + pe.ltp) / 2", [("ce", "09:19", 2.4, "exit"), ("pe", "09:19", 2.8, "exit")]),
    # not below 2.6 at 09:19 (it was): first below at 09:20 (2.0)
    (FALLING, "(ce.ltp + pe.ltp) / 2 < 2.6", [("ce", "09:20", 2.0, "exit"), ("pe", "09:20", 2.0, "exit")]),
    (FALLING, "not ((ce.ltp + pe.ltp) / 2 >= 2.6)", [("ce", "09:20", 2.0, "exit"), ("pe", "09:20", 2.0, "exit")]),
    # 09:19: 0.1 + 0.2 is 0.30000000000000004 in binary, 0.3 in decimal: not above 0.3 (it was)
    (TENTHS, "ce.ltp + pe.ltp > 0.3", [("ce", "09:20", 0.2, "exit"), ("pe", "09:20", 0.2, "exit")]),
])
def test_a_comparison_of_prices_holds_at_its_level(tmp_path, prices, condition, expected):
    assert exits(prices, condition, tmp_path) == expected


def test_a_price_one_tick_short_of_the_level_is_still_short(tmp_path):
    """The tolerance is far below a tick: 2.55 is not at or above 2.60 (both legs leave at
    09:20, where the average is 3.0)."""
    ce = [2.0, 2.0, 2.0, 2.30, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    pe = [2.0, 2.0, 2.0, 2.80, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    assert exits((ce, pe), "(ce.ltp + pe.ltp) / 2 >= 2.6", tmp_path) == [("ce", "09:20", 3.0, "exit"),
                                                                         ("pe", "09:20", 3.0, "exit")]
