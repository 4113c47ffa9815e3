"""The notebook API: ``optbt.backtest(...)`` on a hand-made day, answers worked out by hand.

The day (ticks 09:16, 09:17, ...; spot 21010, so ATM is 21000; lot size 1):
CE closes 100 102 104 106 108 110 112 114 116 118, PE closes 90 89 88 ... 81.
Sell both at 09:18 (CE 104, PE 88), buy back at 09:22 (CE 112, PE 84):
CE 104 - 112 = -8, PE 88 - 84 = +4, total -4.
"""

from __future__ import annotations

import pytest

import optbt
from optbt import ConfigError, Strategy
from tests.kit import DAY, straddle_day, write_parquet

STRAT = '''strategy nb_straddle "sell the ATM straddle at 09:18, out at 09:22"
legs
    ce = add(ATM, CE, SELL)
    pe = add(ATM, PE, SELL)
entry at 09:18
exit at 09:22
'''


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    ce = [100 + 2 * k for k in range(10)]
    pe = [90 - k for k in range(10)]
    return write_parquet(tmp_path_factory.mktemp("nb"), {DAY: straddle_day(ce, pe)}, n_ticks=10)


class Straddle(Strategy):
    at: str = "09:18"
    out: str = "09:22"

    def entry(self, ctx):
        if ctx.time >= self.at:
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

    def exit_check(self, ctx):
        return ctx.time >= self.out


def test_backtest_from_strat_source_text(data):
    r = optbt.backtest(STRAT, data=data)
    trades = {t["opt_type"]: t for t in r.trades.to_pylist()}
    assert (trades["CE"]["entry_price"], trades["CE"]["exit_price"]) == (104.0, 112.0)
    assert (trades["PE"]["entry_price"], trades["PE"]["exit_price"]) == (88.0, 84.0)
    assert r.summary["metrics"]["total_pnl"] == pytest.approx(-4.0)
    assert r.daily.to_pylist()[0]["pnl"] == pytest.approx(-4.0)


def test_backtest_from_a_class_with_params_and_from_a_file(data, tmp_path):
    # exit at 09:20 instead: CE 104 -> 108 (-4), PE 88 -> 86 (+2): -2
    assert optbt.backtest(Straddle, data=data, params={"out": "09:20"}).metrics["total_pnl"] == pytest.approx(-2.0)
    path = tmp_path / "nb.strat"
    path.write_text(STRAT, encoding="utf-8")
    assert optbt.backtest(str(path), data=data).metrics["total_pnl"] == pytest.approx(-4.0)


def test_costs_override_the_datasets(data):
    # 1 point against each fill: CE sold 103, bought 113 (-10); PE sold 87, bought 85 (+2): -8
    r = optbt.backtest(STRAT, data=data, costs={"slippage": 1.0})
    assert r.metrics["total_pnl"] == pytest.approx(-8.0)
    with pytest.raises(ConfigError, match="slipage.*did you mean 'slippage'"):
        optbt.backtest(STRAT, data=data, costs={"slipage": 1.0})


def test_an_instance_runs_once_and_an_engine_run_again_keeps_no_costs_of_the_last_strategy(data):
    """Found by review: a second run of one instance added the first run's trades to its result;
    an engine run again kept the previous strategy's COSTS."""
    from optbt import StrategyError
    from optbt.engine.loop import EventEngine
    s = Straddle()
    assert optbt.backtest(s, data=data).metrics["total_pnl"] == pytest.approx(-4.0)
    with pytest.raises(StrategyError, match="Straddle instance has run already.*pass the class"):
        optbt.backtest(s, data=data)
    assert optbt.backtest(Straddle(), data=data).metrics["total_pnl"] == pytest.approx(-4.0)

    class Costed(Straddle):
        COSTS = {"slippage": 1.0}
    from optbt.data.duckdb_source import DuckDBSource
    engine = EventEngine(DuckDBSource(data))
    assert engine.run(Costed()).metrics["total_pnl"] == pytest.approx(-8.0)  # 1 point against each fill
    assert engine.run(Straddle()).metrics["total_pnl"] == pytest.approx(-4.0)  # none for this one


def test_bad_strategy_arguments_are_one_line_errors(data):
    with pytest.raises(ConfigError, match="not a subclass of optbt.Strategy"):
        optbt.backtest(int, data=data)
    with pytest.raises(ConfigError, match="strategy must be"):
        optbt.backtest(42, data=data)


def test_repr_html_shows_summary_and_equity_and_escapes_text(data):
    class Tagged(Straddle):
        note: str = "<script>alert(1)</script>"

    r = optbt.backtest(Tagged, data=data)
    page = r._repr_html_()
    assert "<svg" in page and "total_pnl" in page and "Tagged" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "-4.00" in page


def test_repr_html_shows_an_empty_metric_as_the_console_does(data):
    """One day has no Sharpe ratio: the console and the report print '-', the notebook printed 'None'."""
    page = optbt.backtest(STRAT, data=data)._repr_html_()
    assert "None" not in page
    assert "<th style='text-align:left'>sharpe</th><td style='text-align:right'>-</td>" in page


def test_repr_html_dates_the_drawdown_in_one_row_as_the_report_card(data):
    """The one day loses 4 (the call 100 -> 108 sold, the put 90 -> 86 sold): a drawdown from the
    start, not recovered. The notebook listed max_drawdown_peak as '-' (no peak?) beside a trough
    date; it now has the report card's line."""
    r = optbt.backtest(STRAT, data=data)
    page = r._repr_html_()
    assert r.metrics["max_drawdown"] == 4.0
    assert ("<th style='text-align:left'>drawdown dates</th><td style='text-align:right'>"
            f"start to {DAY.isoformat()}, not recovered (1 day)</td>") in page
    assert "max_drawdown_peak" not in page and "None" not in page
    assert repr(r).endswith("total pnl -4.00>")


def test_report_is_not_written_into_another_runs_folder(data, tmp_path):
    """r.report('other_run/report.html') replaced that run's report and equity.png with this one's,
    beside its trades. Refused; the folder this result was written to is fine."""
    other = optbt.backtest(STRAT, data=data, params={"max_cycles": 1})
    mine = optbt.backtest(Straddle, data=data)
    other.write(tmp_path / "other")
    other.report(tmp_path / "other" / "report.html")
    before = (tmp_path / "other" / "report.html").read_bytes()
    with pytest.raises(ConfigError, match="holds other results"):
        mine.report(tmp_path / "other" / "report.html")
    assert (tmp_path / "other" / "report.html").read_bytes() == before


def test_report_writes_a_self_contained_page(data, tmp_path):
    r = optbt.backtest(STRAT, data=data)
    page = r.report(tmp_path / "out" / "nb.html")
    text = page.read_text(encoding="utf-8")
    assert page.name == "nb.html" and "<html" in text.lower() and "<script" not in text.lower()


def test_dataframes_when_the_library_is_there_and_a_clear_error_when_not(data):
    r = optbt.backtest(STRAT, data=data)
    for which, lib in (("trades", "pandas"), ("daily", "polars")):
        convert = r.to_pandas if lib == "pandas" else r.to_polars
        try:
            __import__(lib)
        except ImportError:
            with pytest.raises(ConfigError, match=f"pip install {lib}"):
                convert(which)
        else:
            assert len(convert(which)) == (2 if which == "trades" else 1)
    with pytest.raises(ConfigError, match="'trades' or 'daily'"):
        r.to_pandas("orders")


def test_sweep_returns_the_table_and_resumes(data, tmp_path):
    from optbt import sweep
    import optbt.sweeps.run  # noqa: F401  (the wing is imported: optbt.sweep is still the function)
    # exit at 09:20: CE 104 -> 108 (-4), PE 88 -> 86 (+2) = -2; at 09:22: -4 (module docstring)
    table = sweep(Straddle, grid={"out": ["09:20", "09:22"]}, data=data, out=tmp_path / "sw")
    rows = {r["out"]: r["total_pnl"] for r in table.to_pylist()}
    assert rows == {"09:20": pytest.approx(-2.0), "09:22": pytest.approx(-4.0)}
    again = sweep(Straddle, grid={"out": ["09:20", "09:22"]}, data=data, out=tmp_path / "sw")
    assert again.num_rows == 2
    text = sweep(STRAT.replace("exit at 09:22", "exit at exit_t").replace(
        "legs", "params\n    exit_t: time = 09:22\n\nlegs"), grid={"exit_t": "09:20..09:22/2"}, data=data,
        out=tmp_path / "txt")
    assert sorted(r["total_pnl"] for r in text.to_pylist()) == [pytest.approx(-4.0), pytest.approx(-2.0)]


def test_sweep_refuses_a_class_workers_cannot_import(data, tmp_path):
    from optbt import sweep

    class Local(Straddle):
        pass

    with pytest.raises(ConfigError, match="save it in a .py file"):
        sweep(Local, grid={"out": ["09:20"]}, data=data, out=tmp_path / "x")


def test_optbt_sweep_is_the_function_even_after_the_sweep_wing_is_imported():
    import optbt.sweeps.run  # noqa: F401
    from optbt.api.sweep import sweep as the_function
    assert optbt.sweep is the_function and optbt.backtest.__module__ == "optbt.api.backtest"
