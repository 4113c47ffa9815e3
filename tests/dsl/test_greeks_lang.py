"""Greeks in .strat: strikes by delta, ce.iv / ce.delta, net_delta and delta shifts, on hand-made days.

Every expected strike and tick is worked out here from a textbook Black-Scholes and a bisection
for IV (tests/test_greeks_at_tick.py), never from optbt's pricing code. Ticks 09:16 .. 09:25,
expiry 2024-01-04 09:25, rate 7 %, spot 21010 unless a test moves it; every strike of the chain
20700 .. 21300 is priced at 15 % vol and quoted to 0.05.
"""

from __future__ import annotations

import pytest

from optbt.dsl import load_strat_text
from optbt.dsl.checks import check
from optbt.dsl.format import format_program
from optbt.dsl.parser import parse_text
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, inst
from tests.test_greeks_at_tick import CHAIN, RATE, SIGMA, SPOT, bisect_iv, dataset, textbook, years

H = 'strategy t "test"\n'


def priced(spots: list[float], sigma: float = SIGMA) -> dict:
    """Both chains priced tick by tick at ``sigma`` from that tick's spot and time to expiry."""
    out = {}
    for opt in ("CE", "PE"):
        for k in CHAIN:
            out[inst(k, opt)] = [round(textbook(opt, s, k, years(DAY, i), RATE, 0.0, sigma)[0] * 20) / 20
                                 for i, s in enumerate(spots)]
    return out


def abs_deltas(options: dict, spots: list[float], opt: str, tick: int) -> dict[float, float]:
    t, s = years(DAY, tick), spots[tick]
    out = {}
    for i, series in options.items():
        if i.opt_type != opt or series[tick] is None or series[tick] < 0.05:
            continue
        iv = bisect_iv(series[tick], opt, s, i.strike, t, RATE)
        out[i.strike] = abs(textbook(opt, s, i.strike, t, RATE, 0.0, iv)[1])
    return out


def run(body: str, options: dict, spots: list[float]):
    cls = load_strat_text(H + body)
    n = len(spots)
    source = MemorySource({DAY: {"spot": spots, "options": options}}, dataset(n), n)
    result = EventEngine(source).run(cls())
    return [(t.key, t.leg.strike, t.entry_ts.strftime("%H:%M"),
             t.exit_ts.strftime("%H:%M"), t.exit_reason) for t in result.trades]


def test_a_16_delta_strangle_sells_the_strikes_nearest_16_delta():
    spots = [SPOT] * 10
    options = priced(spots)
    ce, pe = abs_deltas(options, spots, "CE", 0), abs_deltas(options, spots, "PE", 0)
    want_ce = min(ce, key=lambda k: abs(ce[k] - 0.16))
    want_pe = min(pe, key=lambda k: abs(pe[k] - 0.16))
    trades = run("ce = add(delta 0.16, CE, SELL)\npe = add(delta ~ 0.16, PE, SELL)\nentry at 09:16\nexit at 09:20\n",
                 options, spots)
    assert trades == [("ce", want_ce, "09:16", "09:20", "exit"), ("pe", want_pe, "09:16", "09:20", "exit")]
    assert want_ce > SPOT > want_pe  # out of the money on both sides


def test_bounded_delta_strikes():
    spots = [SPOT] * 10
    options = priced(spots)
    ce = abs_deltas(options, spots, "CE", 0)
    ge = min((k for k in ce if ce[k] >= 0.3), key=lambda k: ce[k])
    le = max((k for k in ce if ce[k] <= 0.3), key=lambda k: ce[k])
    trades = run("a = add(delta >= 0.3, CE, BUY)\nb = add(delta <= 0.3, CE, SELL)\nentry at 09:16\n", options, spots)
    assert [t[1] for t in trades] == [ge, le]


def test_delta_neutral_shift_rolls_the_call_down_when_net_delta_turns_long():
    # short ATM straddle at 09:16; the spot falls to 20850 at 09:18: the short put's delta
    # grows, net delta turns long beyond 0.15 and the call is rolled to the 0.5-delta strike
    spots = [SPOT, SPOT] + [20850.0] * 8
    options = priced(spots)
    dce = textbook("CE", 20850.0, 21000, years(DAY, 2), RATE, 0.0,
                   bisect_iv(options[inst(21000, "CE")][2], "CE", 20850.0, 21000, years(DAY, 2), RATE))[1]
    dpe = textbook("PE", 20850.0, 21000, years(DAY, 2), RATE, 0.0,
                   bisect_iv(options[inst(21000, "PE")][2], "PE", 20850.0, 21000, years(DAY, 2), RATE))[1]
    assert -dce - dpe > 0.15  # the premise, worked out by hand
    ce = abs_deltas(options, spots, "CE", 2)
    new = min(ce, key=lambda k: abs(ce[k] - 0.5))
    body = ("ce = add(ATM, CE, SELL)\npe = add(ATM, PE, SELL)\nentry at 09:16\n"
            "shift ce to delta 0.5 when net_delta > 0.15 or net_delta < -0.15\n")
    trades = run(body, options, spots)
    assert trades[:2] == [("ce", 21000.0, "09:16", "09:18", "shift"), ("pe", 21000.0, "09:16", "09:25", "eod")]
    assert trades[2][:3] == ("ce", new, "09:18")


def test_exit_on_a_legs_iv_as_a_percentage():
    # the 21000 call is priced at 15 % vol, then at 25 % from 09:20 (tick 4)
    spots = [SPOT] * 10
    options = priced(spots)
    hot = priced(spots, 0.25)
    options[inst(21000, "CE")] = options[inst(21000, "CE")][:4] + hot[inst(21000, "CE")][4:]
    trades = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nexit when ce.iv > 20% and ce.delta > 0.3\n", options, spots)
    assert trades == [("ce", 21000.0, "09:16", "09:20", "exit")]


def test_a_delta_with_no_live_strike_blocks_the_entry_quietly():
    spots = [SPOT] * 10
    options = {i: [None] * 10 for i in priced(spots)}
    options[inst(21000, "CE")] = [100.0] * 10
    assert run("pe = add(delta 0.16, PE, SELL)\nentry at 09:16\n", options, spots) == []


@pytest.mark.parametrize("text, help_", [("delta 16", "write delta 0.16"), ("delta 0", "delta 0.16"),
                                          ("delta >= 1", "write delta 0.01")])
def test_a_delta_out_of_range_is_an_error_with_a_fix(text, help_):
    program, diags = parse_text(H + f"pe = add({text}, PE, SELL)\n")
    assert diags == []
    unit = check(program)
    assert [d.code for d in unit.diagnostics] == ["E0405"]
    assert help_ in unit.diagnostics[0].help


def test_fmt_writes_closest_delta_without_the_tilde_and_round_trips():
    text = H + "pe = add(delta ~ 0.16, PE, SELL)\nce = add(delta >= 0.2, CE, SELL)\n" \
               "exit when net_delta > 0.15 or ce.iv >= 35% or ce.vega > 2\n"
    once = format_program(parse_text(text)[0])
    assert "add(delta 0.16, PE, SELL)" in once and "add(delta >= 0.2, CE, SELL)" in once
    assert format_program(parse_text(once)[0]) == once


def test_iv_compares_with_percentages_and_delta_with_numbers():
    unit = check(parse_text(H + "ce = add(ATM, CE, SELL)\nexit when ce.iv > 0.3\n")[0])
    assert [d.code for d in unit.diagnostics] == ["E0301"]
    unit = check(parse_text(H + "ce = add(ATM, CE, SELL)\nexit when ce.delta > 30%\n")[0])
    assert [d.code for d in unit.diagnostics] == ["E0301"]


def test_a_stop_wider_than_100_percent_is_flagged_only_on_long_legs():
    from optbt.dsl.lint import lint_unit
    short = H + "short_put = add(delta 0.10, PE, SELL)\nstop_loss short_put 200%\n"
    assert [d.code for d in lint_unit(check(parse_text(short)[0]), short)] == []
    long_ = H + "long_put = add(delta 0.05, PE, BUY)\nstop_loss each leg 200%\n"
    assert [d.code for d in lint_unit(check(parse_text(long_)[0]), long_)] == ["W004"]
    # 100 %: the level is a price of 0, no usable price: it never fires either (was not reported)
    at_100 = H + "long_put = add(delta 0.05, PE, BUY)\nstop_loss each leg 100%\n"
    assert [d.message for d in lint_unit(check(parse_text(at_100)[0]), at_100)] == ["a 100% stop loss is at 100 %"]
    under = H + "long_put = add(delta 0.05, PE, BUY)\nstop_loss each leg 99.5%\n"
    assert [d.code for d in lint_unit(check(parse_text(under)[0]), under)] == []


def test_the_16_delta_strangle_in_python_and_in_the_language_trade_alike(tmp_path):
    from optbt import run_backtest
    from optbt.data.synth import generate
    from optbt.dsl.loader import load_strategy
    from tests.dsl.test_library import ROOT

    data = generate(tmp_path / "synth", days=3, seed=3)
    strat = run_backtest(load_strategy(f"{ROOT}/strategies_dsl/strangle_16_delta.strat"), data=data)
    python = run_backtest(load_strategy(f"{ROOT}/examples/strangle_16_delta.py:Strangle16Delta"), data=data)
    assert len(strat.trades) >= 6
    assert [t.row() for t in strat.trades] == [t.row() for t in python.trades]


def test_the_0dte_put_credit_spread_trades_only_on_expiry_days_with_the_wing_below(sample_source):
    from optbt import run_backtest
    from optbt.dsl.loader import load_strategy
    from tests.dsl.test_library import ROOT

    res = run_backtest(load_strategy(f"{ROOT}/strategies_dsl/put_credit_spread_0dte.strat"), source=sample_source)
    by_day: dict = {}
    for t in res.trades:
        by_day.setdefault((t.entry_ts.date(), t.cycle), {})[t.key] = t
    assert len(by_day) >= 8  # about one expiry a week in 60 days
    for (day, _), legs in by_day.items():
        short, long_ = legs["short_put"], legs["long_put"]
        assert short.leg.expiry == long_.leg.expiry == day  # 0DTE
        assert long_.leg.strike < short.leg.strike  # the wing is further out of the money
        assert short.exit_ts == long_.exit_ts  # the credit stop (or the time exit) closes the spread together


def test_a_traced_fill_of_a_delta_strategy_shows_its_iv_and_delta():
    from optbt.results.trace import timeline

    spots = [SPOT] * 10
    options = priced(spots)
    cls = load_strat_text(H + "pe = add(delta 0.16, PE, SELL)\nentry at 09:16\n")
    result = EventEngine(MemorySource({DAY: {"spot": spots, "options": options}}, dataset(10), 10)).run(
        cls(), trace=(DAY,))
    fill = next(r for r in result.trace if r["kind"] == "fill")
    k = float(fill["instrument"].split()[2])
    price = options[inst(k, "PE")][0]
    iv = bisect_iv(price, "PE", SPOT, k, years(DAY, 0), RATE)
    assert fill["iv"] == pytest.approx(iv, abs=1e-6)
    assert fill["delta"] == pytest.approx(textbook("PE", SPOT, k, years(DAY, 0), RATE, 0.0, iv)[1], abs=1e-6)
    assert any(f"IV {iv * 100:.2f} %" in line for line in timeline(result.trace))


def test_a_delta_target_can_be_a_float_parameter_and_is_swept_and_checked():
    # `delta d` with d = 0.16 picks the strikes nearest 16 delta, worked out as in the test above;
    # d = 0.30 (as --param would set it) the ones nearest 30 delta, and `delta >= d` the smallest
    # |delta| at or above d
    spots = [SPOT] * 10
    options = priced(spots)
    ce, pe = abs_deltas(options, spots, "CE", 0), abs_deltas(options, spots, "PE", 0)
    body = ("params\n    d: float = 0.16 sweep [0.16, 0.3]\nlegs\n"
            "    ce = add(delta d, CE, SELL)\n    pe = add(delta >= d, PE, SELL)\nentry at 09:16\nexit at 09:20\n")
    cls = load_strat_text(H + body)
    source = MemorySource({DAY: {"spot": spots, "options": options}}, dataset(10), 10)
    for d in (0.16, 0.3):
        trades = EventEngine(source).run(cls(d=d)).trades
        got = {t.key: t.leg.strike for t in trades}
        assert got["ce"] == min(ce, key=lambda k: abs(ce[k] - d))
        assert got["pe"] == min((k for k in pe if pe[k] >= d), key=lambda k: pe[k])
    assert cls.PARAM_KINDS["d"] == "delta"
    from optbt.engine.strategy import coerce_param
    with pytest.raises(ValueError, match="d: a delta is between 0 and 1, got '16'"):  # --param d=16
        coerce_param(cls, "d", "16")
    # kinds and every sweep value checked before a run; fmt keeps it
    unit = check(parse_text(H + body.replace("[0.16, 0.3]", "[0.16, 16]"))[0])
    assert [d.code for d in unit.diagnostics] == ["E0405", "E0405"]
    unit = check(parse_text(H + body.replace("d: float = 0.16 sweep [0.16, 0.3]", "d: int = 16"))[0])
    assert {d.code for d in unit.diagnostics} == {"E0302"}
    assert "is an int" in unit.diagnostics[0].message
    program = parse_text(H + body)[0]
    assert "ce = add(delta d, CE, SELL)" in format_program(program)
    assert "pe = add(delta >= d, PE, SELL)" in format_program(program)
