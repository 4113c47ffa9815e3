"""The `costs` section of a .strat file: parse, check, compile, run, fmt, explain, editor words.

Runs are on hand-made days (tick k = 09:16 + k minutes; ATM 21000); every figure in the
comments is worked out by hand.
"""

from __future__ import annotations

import pytest

from optbt import run_backtest
from optbt.dsl import StratError, compile_text, load_strat_text
from optbt.dsl.explain import explain_text
from optbt.dsl.format import format_source
from optbt.dsl.ide import completions, hover
from tests.kit import DAY, MemorySource, config, straddle_day

BODY = '''strategy costed "sell the ATM call at 09:17, out at 09:20"
legs
    ce = add(ATM, CE, SELL, 2)
entry at 09:17
exit at 09:20
'''
DAY_DATA = straddle_day([101.0, 100.0, 104.0, 95.0, 80.0, 80.0], [50.0] * 6)


def _run(text: str, costs=None, dataset_costs=None):
    source = MemorySource({DAY: DAY_DATA}, config(6, lot_size=50, costs=dataset_costs or {}), 6)
    return run_backtest(load_strat_text(text), source=source, costs=costs).trades


def test_the_section_compiles_to_the_strategys_costs():
    text = BODY + ("costs preset nse\ncosts slippage 0.5 pts\ncosts commission rs 20 per order\n"
                   "costs commission ₹10 per lot\n")
    assert load_strat_text(text).COSTS == {"preset": "nse", "slippage": 0.5, "slippage_unit": "points",
                                           "commission_per_lot": 10.0, "commission_per_order": 20.0}
    assert load_strat_text(BODY + "costs slippage 0.1%\n").COSTS == {"slippage": 0.1, "slippage_unit": "percent"}
    assert "COSTS" not in compile_text(BODY, "x.strat")[0]  # a file without the section compiles as before


def test_slippage_and_commission_from_the_file_on_a_hand_made_day():
    # sold 2 lots x 50 at 100 - 1 = 99, bought back at 80 + 1 = 81: 18 x 100 = 1,800;
    # commission rs 20 per order: 2 orders = 40 -> pnl 1,760
    t, = _run(BODY + "costs slippage 1 pts\ncosts commission rs 20 per order\n")
    assert (t.entry_price, t.exit_price, t.costs, t.pnl) == (99.0, 81.0, 40.0, 1760.0)
    # 1 % of the price: sold at 99 (100 x 0.99), bought at 80.8 (80 x 1.01): 18.2 x 100 = 1,820
    t, = _run(BODY + "costs slippage 1%\n")
    assert t.pnl == pytest.approx(1820.0)


def test_the_command_line_beats_the_file_which_beats_the_dataset():
    text = BODY + "costs slippage 1 pts\n"
    # the run sets slippage 0: the file's 1 pt is ignored; the dataset's commission still applies
    # (the file sets none): 5 per lot x 2 lots x 2 orders = 20 -> 2,000 - 20
    t, = _run(text, costs={"slippage": 0.0}, dataset_costs={"commission_per_lot": 5.0, "slippage": 3.0})
    assert (t.entry_price, t.exit_price, t.pnl) == (100.0, 80.0, 1980.0)
    # the file's slippage beats the dataset's 3 pts: 99 / 81
    t, = _run(text, dataset_costs={"slippage": 3.0})
    assert (t.entry_price, t.exit_price) == (99.0, 81.0)


def test_a_preset_in_the_file_charges_like_a_contract_note():
    # as tests/test_costs_charged.py: sell 2 x 50 at 100, buy back at 80 -> charges 64.901612
    t, = _run(BODY + "costs preset nse\n")
    assert t.costs == pytest.approx(64.901612) and t.charges["stt"] == pytest.approx(10.0)


def test_a_schedule_file_is_found_beside_the_strat_file_wherever_optbt_runs(tmp_path, monkeypatch):
    # the file beside the strategy: NSE with brokerage 0 -> the contract note above minus its
    # brokerage (20 + 20) and the GST on it (18 % of 40 = 7.2): 64.901612 - 47.2 = 17.701612
    from optbt.dsl import load_strat
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "broker.toml").write_text('base = "nse"\n[charges.brokerage]\nrate = 0\n', encoding="utf-8")
    (folder / "s.strat").write_text(BODY + 'costs preset "broker.toml"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the strategy's folder
    cls = load_strat(folder / "s.strat")
    assert cls.COSTS["preset"] == str((folder / "broker.toml").resolve())
    source = MemorySource({DAY: DAY_DATA}, config(6, lot_size=50), 6)
    t, = run_backtest(cls, source=source).trades
    assert t.charges["brokerage"] == 0.0 and t.costs == pytest.approx(64.901612 - 47.2)


def test_two_files_of_the_same_text_and_name_each_use_the_schedule_beside_them(tmp_path, monkeypatch):
    """One process (a notebook, a Dask worker) loading a/s.strat then b/s.strat, the same text:
    each runs with its own broker.toml. Found by review: both ran with the first one's."""
    from optbt.dsl import load_strat
    monkeypatch.setenv("OPTBT_CACHE_DIR", str(tmp_path / "cache"))
    for name, rate in (("a", 0), ("b", 1000)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "broker.toml").write_text(f'base = "nse"\n[charges.brokerage]\nrate = {rate}\n')
        (tmp_path / name / "s.strat").write_text(BODY + 'costs preset "broker.toml"\n', encoding="utf-8")
    source = MemorySource({DAY: DAY_DATA}, config(6, lot_size=50), 6)
    for _ in range(2):  # a first load compiles, the second comes from the compiled cache
        a, b = load_strat(tmp_path / "a" / "s.strat"), load_strat(tmp_path / "b" / "s.strat")
        assert (a.COSTS["preset"], b.COSTS["preset"]) == (str((tmp_path / "a" / "broker.toml").resolve()),
                                                          str((tmp_path / "b" / "broker.toml").resolve()))
        assert a.__strat_source__.startswith(str(tmp_path / "a")) and load_strat(tmp_path / "a" / "s.strat") is a
        # brokerage 0 a side, and 1,000 a side plus 18 % GST on it (2,360 for the two orders)
        ta, = run_backtest(a, source=source).trades
        tb, = run_backtest(b, source=source).trades
        assert (ta.charges["brokerage"], tb.charges["brokerage"]) == (0.0, 2000.0)
        assert tb.costs - ta.costs == pytest.approx(2360.0)
        import pickle
        assert pickle.loads(pickle.dumps(b)) is b  # the class of a file pickles by reference


@pytest.mark.parametrize("line, code, says", [
    ("costs preset nsee", "E0420", "did you mean 'nse'"),
    ("costs slippage 0.5", "E0302", "0.5 pts for points"),
    ("costs commission 20 per order", "E0302", "rs 20 per order"),
    ("costs slipage 1 pts", "E0101", "did you mean 'slippage'"),
    ("costs slippage 100%", "E0405", "below 100%"),
    ("costs commission rs 20 per day", "E0101", "'lot' or 'order'"),
])
def test_mistakes_are_clear_errors(line, code, says):
    with pytest.raises(StratError) as info:
        compile_text(BODY + line + "\n", "x.strat")
    assert f"[{code}]" in str(info.value) and says in str(info.value)
    assert "x.strat:6:" in str(info.value)


def test_a_setting_given_twice_is_an_error_but_per_order_and_per_lot_are_two():
    compile_text(BODY + "costs commission rs 20 per order\ncosts commission rs 1 per lot\n", "x.strat")
    with pytest.raises(StratError, match=r"E0202.*'costs slippage' appears twice"):
        compile_text(BODY + "costs slippage 1 pts\ncosts slippage 2%\n", "x.strat")


def test_fmt_writes_the_canonical_form_and_is_stable():
    messy = BODY + 'costs   preset "nse"  # broker\ncosts slippage 0.50 pts\ncosts commission ₹20 per order\n'
    pretty = format_source(messy, "x.strat")
    assert pretty.endswith("costs preset nse  # broker\ncosts slippage 0.5 pts\ncosts commission rs 20 per order\n")
    assert format_source(pretty, "x.strat") == pretty
    assert format_source(BODY + 'costs preset "my broker.toml"\n').endswith('costs preset "my broker.toml"\n')


def test_explain_and_the_editor_know_the_words():
    text = BODY + "costs preset nse\ncosts slippage 0.5 pts\ncosts commission rs 20 per order\n"
    words = explain_text(text, "x.strat")
    assert "slippage: every fill 0.5 points worse" in words and "rs 20 per executed order" in words
    assert "NSE index options" in words and "override them" in words
    assert [c.label for c in completions("costs ", 0, 6)] == ["preset", "slippage", "commission"]
    assert [c.label for c in completions("costs commission rs 20 per ", 0, 27)] == ["order", "lot"]
    assert "broker's charges" in hover(text, 5, 8).markdown


def test_the_file_equals_a_python_strategy_with_the_same_costs():
    from optbt import Strategy

    class Hand(Strategy):
        COSTS = {"preset": "nse", "slippage": 0.5, "slippage_unit": "points", "commission_per_lot": 0.0,
                 "commission_per_order": 20.0}

        def entry(self, ctx):
            if ctx.time >= "09:17":
                self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", 2)})

        def exit_check(self, ctx):
            return ctx.time >= "09:20"

    text = BODY + "costs preset nse\ncosts slippage 0.5 pts\ncosts commission rs 20 per order\n"
    compiled = [t.row() for t in _run(text)]
    source = MemorySource({DAY: DAY_DATA}, config(6, lot_size=50), 6)
    hand = [t.row() for t in run_backtest(Hand, source=source).trades]
    assert compiled == hand and compiled[0]["brokerage"] == 40.0 and compiled[0]["slippage"] == 100.0
