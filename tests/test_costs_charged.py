"""Costs as a broker charges them, on hand-made days, against contract notes worked out by hand.

Every expected figure below is computed in the comments from the preset's published rates
(optbt/engine/presets/*.toml), not from the program.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

import optbt
from optbt import ConfigError, Strategy, run_backtest
from optbt.model.instrument import CHARGE_COLUMNS
from tests.kit import DAY, MemorySource, config, day_data, inst, straddle_day, write_parquet

# ticks 09:16, 09:17, ...: the CE is sold at 09:17 (100) and bought back at 09:20 (80);
# in between it went up to 104 (against a short) and its best was the exit's 80
CE = [101.0, 100.0, 104.0, 95.0, 80.0, 80.0]


class SellCall(Strategy):
    lots: int = 2

    def entry(self, ctx):
        if ctx.time >= "09:17":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", self.lots)})

    def exit_check(self, ctx):
        return ctx.time >= "09:20"


def _run(strategy, lot_size=50.0, costs=None, ce=CE, costs_in_dataset=None):
    days = {DAY: day_data([21010.0] * len(ce), {inst(21000, "CE"): list(ce)})}
    source = MemorySource(days, config(len(ce), lot_size=lot_size, costs=costs_in_dataset or {}))
    return run_backtest(strategy, source=source, costs=costs)


def test_nse_index_option_sell_then_buy_back_contract_note():
    # sell 2 lots x 50 at 100: premium 10,000 -> brokerage 20, STT 0.1 % = 10, exchange
    #   0.03503 % = 3.503, SEBI 10/crore = 0.01, stamp 0 (sell), GST 18 % of 23.513 = 4.23234
    # buy 2 lots x 50 at 80: premium 8,000 -> brokerage 20, STT 0 (buy), exchange 2.8024,
    #   SEBI 0.008, stamp 0.003 % = 0.24, GST 18 % of 22.8104 = 4.105872
    t, = _run(SellCall, costs={"preset": "nse"}).trades
    row = t.row()
    assert {c: row[c] for c in CHARGE_COLUMNS} == pytest.approx({
        "brokerage": 40.0, "stt": 10.0, "exchange": 6.3054, "sebi": 0.018, "stamp": 0.24,
        "gst": 8.338212, "fees": 0.0})
    assert t.costs == pytest.approx(64.901612)
    # gross (100 - 80) x 2 x 50 = 2,000, less the charges
    assert t.pnl == pytest.approx(2000 - 64.901612)
    # short at 100: worst price 104 -> -4 x 100; best 80 -> +20 x 100 (before costs)
    assert (t.mae, t.mfe, t.slippage) == (-400.0, 2000.0, 0.0)


def test_us_listed_option_buy_then_sell_contract_note():
    class BuyCall(SellCall):
        def entry(self, ctx):
            if ctx.time >= "09:17":
                self.try_fill({"ce": self.add(ctx.atm, "CE", "BUY", 3)})
    # buy 3 at 2.50 (x100): commission 3 x 0.65 = 1.95; ORF + OCC 3 x 0.04795 = 0.14385
    # sell 3 at 1.00: commission 1.95; ORF + OCC 0.14385, FINRA TAF 3 x 0.00279 = 0.00837,
    #   SEC 27.80 per million of 300 = 0.00834
    t, = _run(BuyCall, lot_size=100.0, costs={"preset": "us"}, ce=[2.6, 2.5, 3.1, 2.0, 1.0, 1.0]).trades
    assert t.charges["brokerage"] == pytest.approx(3.90)
    assert t.charges["fees"] == pytest.approx(0.28770 + 0.00837 + 0.00834)
    assert t.costs == pytest.approx(4.20441)
    assert t.pnl == pytest.approx((1.00 - 2.50) * 300 - 4.20441)
    # long at 2.50: worst 1.00 -> -450, best 3.10 -> +180
    assert (t.mae, t.mfe) == pytest.approx((-450.0, 180.0))


def test_without_a_schedule_the_charge_columns_are_zero_and_pnl_is_gross():
    t, = _run(SellCall).trades
    assert [t.row()[c] for c in CHARGE_COLUMNS] == [0.0] * 7
    assert (t.costs, t.pnl) == (0.0, 2000.0)


def test_the_run_beats_the_strategy_which_beats_the_dataset():
    class WithCosts(SellCall):
        COSTS = {"slippage": 1.0, "commission_per_order": 5.0}
    # dataset: commission 20 per lot; strategy: slippage 1 pt and commission 5 per order
    # (replacing the dataset's commission whole); run: slippage 0.5 pt
    result = _run(WithCosts, costs={"slippage": 0.5}, costs_in_dataset={"commission_per_lot": 20.0})
    t, = result.trades
    # sold at 100 - 0.5, bought back at 80 + 0.5: (99.5 - 80.5) x 100 = 1,900, commission 2 x 5
    assert (t.entry_price, t.exit_price) == (99.5, 80.5)
    assert (t.costs, t.pnl) == (10.0, 1890.0)
    assert t.slippage == pytest.approx(100.0)  # 0.5 + 0.5 points x 100 against the tick's price
    assert result.summary["costs"] == {"slippage": 0.5, "slippage_unit": "points", "commission_per_lot": 0.0,
                                       "commission_per_order": 5.0, "preset": None}


def test_a_dataset_preset_applies_unless_the_run_turns_it_off():
    t, = _run(SellCall, costs_in_dataset={"preset": "nse"}).trades
    assert t.charges["brokerage"] == 40.0 and t.costs == pytest.approx(64.901612)
    t, = _run(SellCall, costs={"preset": None}, costs_in_dataset={"preset": "nse"}).trades
    assert t.charges is None and t.costs == 0.0


def test_api_takes_a_preset_name_a_file_or_a_dict(tmp_path):
    data = write_parquet(tmp_path / "d", {DAY: straddle_day(CE, [50.0] * 6)}, n_ticks=6, lot_size=50)
    strat = "strategy s\nlegs\n    ce = add(ATM, CE, SELL, 2)\nentry at 09:17\nexit at 09:20\n"
    by_name = optbt.backtest(strat, data=data, costs="nse").trades.to_pylist()[0]
    assert by_name["costs"] == pytest.approx(64.901612) and by_name["stt"] == pytest.approx(10.0)
    own = tmp_path / "zero_brokerage.toml"  # the preset with brokerage 0: GST on exchange + SEBI only
    own.write_text('base = "nse"\n[charges.brokerage]\nrate = 0\n', encoding="utf-8")
    mine = optbt.backtest(strat, data=data, costs=own).trades.to_pylist()[0]
    assert mine["brokerage"] == 0.0 and mine["gst"] == pytest.approx(0.18 * (6.3054 + 0.018))
    with pytest.raises(ConfigError, match="did you mean 'nse'"):
        optbt.backtest(strat, data=data, costs="nsee")
    with pytest.raises(ConfigError, match="commission_per_lot"):
        optbt.backtest(strat, data=data, costs={"commission_per_lot": "lots"})


def test_cli_run_costs_preset_fills_the_breakdown_columns(tmp_path):
    data = write_parquet(tmp_path / "d", {DAY: straddle_day(CE, [50.0] * 6)}, n_ticks=6, lot_size=50)
    strat = tmp_path / "s.strat"
    strat.write_text("strategy s\nlegs\n    ce = add(ATM, CE, SELL, 2)\nentry at 09:17\nexit at 09:20\n")
    r = subprocess.run([sys.executable, "-m", "optbt.cli.app", "run", str(strat), "--data", str(data), "--quiet",
                        "--out", str(tmp_path / "o"), "--costs", "nse"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "o/trades.csv") as fh:
        row, = csv.DictReader(fh)
    assert float(row["brokerage"]) == 40.0 and float(row["stamp"]) == pytest.approx(0.24)
    assert float(row["pnl"]) == pytest.approx(2000 - 64.901612)
    bad = subprocess.run([sys.executable, "-m", "optbt.cli.app", "run", str(strat), "--data", str(data),
                          "--costs", "nsee"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "did you mean 'nse'" in bad.stderr + bad.stdout


def test_a_sweep_charges_every_run(tmp_path):
    data = write_parquet(tmp_path / "d", {DAY: straddle_day(CE, [50.0] * 6)}, n_ticks=6, lot_size=50)
    strat = ("strategy s\nparams\n    lots: int = 1\nlegs\n    ce = add(ATM, CE, SELL, lots)\n"
             "entry at 09:17\nexit at 09:20\n")
    table = optbt.sweep(strat, grid={"lots": [1, 2]}, data=data, costs="nse", out=tmp_path / "sw")
    pnl = {r["lots"]: r["total_pnl"] for r in table.to_pylist()}
    # 1 lot: sell 50 at 100 (premium 5,000): 20 + STT 5 + exchange 1.7515 + SEBI 0.005 + GST 3.91617;
    # buy 50 at 80 (4,000): 20 + exchange 1.4012 + SEBI 0.004 + stamp 0.12 + GST 3.852936 -> 56.050806
    assert pnl[1] == pytest.approx(1000 - 56.050806, abs=1e-4)
    assert pnl[2] == pytest.approx(2000 - 64.901612, abs=1e-4)


def test_command_line_settings_override_only_what_they_name():
    from optbt.cli.run import cost_overrides
    from optbt.data.dataset import Costs
    from optbt.engine.costing import effective_costs
    assert cost_overrides(None, None, False, None) is None
    only_commission = cost_overrides(None, None, False, 5.0)  # --commission 5
    assert only_commission.model_fields_set == {"commission_per_lot"}
    # the file's slippage stays; --commission 5 (per lot) replaces the file's 20 per order
    used = effective_costs(Costs(slippage=2.0), {"slippage": 1.0, "commission_per_order": 20.0}, only_commission)
    assert (used.slippage, used.commission_per_lot, used.commission_per_order) == (1.0, 5.0, 0.0)
    pct = cost_overrides(None, 0.1, True, None, "nse")  # --slippage 0.1 --slippage-pct --costs nse
    used = effective_costs(Costs(), {"slippage": 1.0}, pct)
    assert (used.slippage, used.slippage_unit, used.preset) == (0.1, "percent", "nse")
