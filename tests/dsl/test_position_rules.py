"""Position-level constructs (issue 13) on hand-made days: answers worked out by hand.

Ticks are 09:16, 09:17, ... (tick k = 09:16 + k minutes); spot 21010, so ATM is 21000; strike
step 50. PnL = points x lots x lot size.
"""

from __future__ import annotations

import pytest

from optbt.dsl import load_strat_text
from optbt.dsl.diagnostics import StratError
from optbt.engine.loop import EventEngine
from optbt.engine.strategy import Strategy
from optbt.engine.position import ProfitLock, net_credit, snap_strike, straddle_premium
from tests.dsl.test_semantics import H, STRADDLE, run
from tests.kit import DAY, MemorySource, config, day_data, inst, straddle_day


def _short(trades):
    return [(k, x, px, r) for k, _, _, x, px, r in trades]


def test_overall_stop_sees_the_loss_of_a_leg_already_stopped_where_mtm_stop_does_not():
    # lot 10. CE sold at 100, 50 % stop at 150: closed at 09:18, a loss of (150 - 100) x 10 = 500.
    # PE sold at 100 goes 100, 100, 100, 110, 120, 130, 100, 100.
    # mtm_stop rs 600 counts PE only: its worst is (130 - 100) x 10 = 300 < 600: never fires,
    #   although the day is at -500 - 300 = -800 at 09:21.
    # overall_stop rs 600: at 09:19 the day is -500 + (100 - 110) x 10 = -600: fires, PE out at 110.
    day = straddle_day([100, 120, 150, 150, 150, 150, 150, 150], [100, 100, 100, 110, 120, 130, 100, 100])
    rules = STRADDLE + "entry at 09:16\nstop_loss each leg 50%\n"
    trades, _ = run(rules + "mtm_stop rs 600\n", day, lot_size=10)
    assert _short(trades) == [("ce", "09:18", 150.0, "stop_loss"), ("pe", "09:23", 100.0, "eod")]
    trades, result = run(rules + "overall_stop rs 600\n", day, lot_size=10)
    assert _short(trades) == [("ce", "09:18", 150.0, "stop_loss"), ("pe", "09:19", 110.0, "overall_stop")]
    assert sum(t.pnl for t in result.trades) == -600


def test_overall_target_as_a_percent_of_the_net_credit():
    # credit (100 + 100) x 10 = 2000; 50 % = 1000: CE 60 + PE 50 is +900 at 09:17, CE 50 + PE 50 is +1000 at 09:18
    day = straddle_day([100, 60, 50, 40, 40, 40], [100, 50, 50, 50, 50, 50])
    trades, _ = run(STRADDLE + "entry at 09:16\noverall_target 50% credit\n", day, n_ticks=6, lot_size=10)
    assert _short(trades) == [("ce", "09:18", 50.0, "overall_target"), ("pe", "09:18", 50.0, "overall_target")]


def test_lock_and_trail_then_no_re_entry_that_day():
    # lot 10, straddle sold at 100 + 100 = 200; day PnL = (200 - (ce + pe)) x 10:
    # 09:16 0; 09:17 sum 180 -> +200: lock arms at rs 200, keeps rs 100
    # 09:18 sum 160 -> +400: two steps of rs 100 beyond 200, lock raised 2 x rs 50 -> rs 200
    # 09:19 sum 170 -> +300 (above 200); 09:20 sum 180 -> +200 <= 200: exit (reason lock)
    # max_cycles 3 would re-enter at 09:21, but the day is over.
    day = straddle_day([100, 90, 80, 85, 90, 90, 90, 90], [100, 90, 80, 85, 90, 90, 90, 90])
    trades, _ = run(STRADDLE + "max_cycles 3\nentry at 09:16\n"
                    "lock at rs 200 keep rs 100 trail every rs 100 by rs 50\n", day, lot_size=10)
    assert _short(trades) == [("ce", "09:20", 90.0, "lock"), ("pe", "09:20", 90.0, "lock")]


def test_plain_lock_keeps_its_level():
    # lock at rs 200 keep rs 100 (lot 10): +200 at 09:17 arms it; +400 at 09:18; +100 at 09:19 exits
    day = straddle_day([100, 90, 80, 95, 95, 95], [100, 90, 80, 95, 95, 95])
    trades, _ = run(STRADDLE + "entry at 09:16\nlock at rs 200 keep rs 100\n", day, n_ticks=6, lot_size=10)
    assert _short(trades) == [("ce", "09:19", 95.0, "lock"), ("pe", "09:19", 95.0, "lock")]


def _put_spread_day(short, long, extra=None):
    options = {inst(21000, "PE"): list(short), inst(20900, "PE"): list(long)}
    options.update(extra or {})
    return day_data([21010] * len(short), options)


SPREAD = "spe = add(ATM, PE, SELL)\nbpe = add(spe.strike - 100, PE, BUY)\nentry at 09:16\n"


def test_credit_put_spread_with_a_2x_credit_stop_and_a_wing_by_the_short_strike():
    # sell 21000 PE at 100, buy 21000 - 100 = 20900 PE at 40: credit 60. 2x credit stop: a loss of 120.
    # 09:17: short 150, long 60 -> loss 50 - 20 = 30; 09:18: short 220, long 60 -> 120 - 20 = 100;
    # 09:19: short 240, long 60 -> 140 - 20 = 120: stop (reason credit_stop), both legs.
    day = _put_spread_day([100, 150, 220, 240, 240, 240], [40, 60, 60, 60, 60, 60])
    trades, result = run(SPREAD + "stop_loss 2x credit\n", day, n_ticks=6)
    assert _short(trades) == [("spe", "09:19", 240.0, "credit_stop"), ("bpe", "09:19", 60.0, "credit_stop")]
    assert [t.leg.strike for t in result.trades] == [21000.0, 20900.0]


def test_credit_target_as_a_percent_of_the_credit():
    # credit 60; 50 % = 30: short 100 -> 75 and long 40 -> 35 is +25 - 5 = +20; short 65, long 35: +35 - 5 = +30
    day = _put_spread_day([100, 75, 65, 60, 60, 60], [40, 35, 35, 35, 35, 35])
    trades, _ = run(SPREAD + "target 50% credit\n", day, n_ticks=6)
    assert _short(trades) == [("spe", "09:18", 65.0, "credit_target"), ("bpe", "09:18", 35.0, "credit_target")]


def test_credit_exits_are_refused_for_a_position_that_only_buys():
    with pytest.raises(StratError) as err:
        load_strat_text(H + "ce = add(ATM, CE, BUY)\nstop_loss 2x credit\n")
    assert "E0407" in str(err.value.diagnostics[0].code)


def test_an_entry_that_pays_a_net_debit_stops_the_run_with_a_clear_message():
    # sell the 21000 PE at 40, buy the 20900 PE at 100: a debit of 60
    day = _put_spread_day([40] * 6, [100] * 6)
    with pytest.raises(Exception, match="net debit of 60"):
        run(SPREAD + "stop_loss 2x credit\n", day, n_ticks=6)


def test_itm_and_otm_steps_follow_the_option_type():
    # ATM 21000: ITM 1 is 20950 for a call, 21050 for a put; OTM 2 is 21100 for a call, 20900 for a put
    strikes = (20900, 20950, 21000, 21050, 21100)
    options = {inst(k, t): [10.0] * 4 for k in strikes for t in ("CE", "PE")}
    body = ("a = add(ITM 1, CE, SELL)\nb = add(ITM 1, PE, SELL)\nc = add(OTM 2, CE, SELL)\n"
            "d = add(OTM 2, PE, SELL)\nentry at 09:16\n")
    _, result = run(body, day_data([21010] * 4, options), n_ticks=4)
    assert [(t.key, t.leg.strike) for t in result.trades] == [("a", 20950.0), ("b", 21050.0), ("c", 21100.0),
                                                               ("d", 20900.0)]


def test_straddle_width_strikes_and_the_straddle_value():
    # ATM straddle 120 + 80 = 200: ATM + 0.5x straddle = 21100 (listed); ATM - 0.5x straddle = 20900
    strikes = (20900, 20950, 21000, 21050, 21100)
    options = {inst(k, t): [10.0] * 4 for k in strikes for t in ("CE", "PE")}
    options[inst(21000, "CE")] = [120.0] * 4
    options[inst(21000, "PE")] = [80.0] * 4
    body = ("ce = add(ATM + 0.5x straddle, CE, SELL)\npe = add(ATM - k x straddle, PE, SELL)\n"
            "entry at 09:16 when straddle >= 200\n")
    _, result = run("params\n    k: float = 0.5\nlegs\n" + body, day_data([21010] * 4, options), n_ticks=4)
    assert [(t.key, t.leg.strike) for t in result.trades] == [("ce", 21100.0), ("pe", 20900.0)]


def test_wing_by_the_premium_of_another_leg():
    # sell ATM CE at 100; the wing is the CE whose premium is closest to 100 x 50 % = 50: 21150 (48), not 21100 (60)
    options = {inst(21000, "CE"): [100.0] * 4, inst(21100, "CE"): [60.0] * 4, inst(21150, "CE"): [48.0] * 4,
               inst(21200, "CE"): [30.0] * 4}
    body = "wing = add(premium ~ sell_ce.ltp * 50%, CE, BUY)\nsell_ce = add(ATM, CE, SELL)\nentry at 09:16\n"
    _, result = run(body, day_data([21010] * 4, options), n_ticks=4)
    assert [(t.key, t.leg.strike) for t in result.trades] == [("wing", 21150.0), ("sell_ce", 21000.0)]


def test_synthetic_atm_uses_call_put_parity():
    # spot 21010, spot ATM 21000: call 150, put 50 -> synthetic future 21000 + 150 - 50 = 21100 -> ATM 21100
    options = {inst(21000, "CE"): [150.0] * 4, inst(21000, "PE"): [50.0] * 4, inst(21100, "CE"): [90.0] * 4,
               inst(21100, "PE"): [95.0] * 4}
    _, result = run("atm_from synthetic\n" + STRADDLE + "entry at 09:16\n", day_data([21010] * 4, options), n_ticks=4)
    assert [t.leg.strike for t in result.trades] == [21100.0, 21100.0]


def test_synthetic_atm_halfway_in_decimal_goes_up_whatever_binary_makes_of_it():
    # strike step 5, spot 101: spot ATM 100; call 8.04, put 5.54 -> F = 100 + 8.04 - 5.54 = 102.50,
    # halfway between 100 and 105, so ATM is 105 (ties go up); in binary F is 102.49999999999999
    options = {inst(100, "CE"): [8.04] * 4, inst(100, "PE"): [5.54] * 4, inst(105, "CE"): [5.0] * 4,
               inst(105, "PE"): [7.0] * 4}
    cls = load_strat_text(H + "atm_from synthetic\nce = add(ATM, CE, SELL)\nentry at 09:16\n")
    source = MemorySource({DAY: day_data([101.0] * 4, options)}, config(4, strike_step=5), 4)
    result = EventEngine(source).run(cls())
    assert [(t.leg.strike, t.entry_price) for t in result.trades] == [(105.0, 5.0)]


def test_parameters_in_strikes_stops_and_expiry_rules():
    # ATM + off (off = 1): 21050; stop sl pts (20): 80 + 20 = 100 hit at 09:18
    options = {inst(21050, "CE"): [80.0, 90.0, 100.0, 100.0], inst(21000, "CE"): [1.0] * 4}
    body = ("params\n    off: int = 1 sweep [1, 2]\n    sl: float = 20\n    d: int = 5\nlegs\n"
            "ce = add(ATM + off, CE, SELL)\nexpiry dte <= d\nentry at 09:16\nstop_loss ce sl pts\n")
    trades, _ = run(body, day_data([21010] * 4, options), n_ticks=4)
    assert _short(trades) == [("ce", "09:18", 100.0, "stop_loss")]


@pytest.mark.parametrize("body, code, text", [
    ("params\n    p: percent = 20%\nlegs\nce = add(ATM, CE, SELL)\nstop_loss ce p pts\n", "E0302", "percent"),
    ("params\n    off: float = 1.5\nlegs\nce = add(ATM + off, CE, SELL)\n", "E0302", "int"),
    ("params\n    off: int = 1 sweep [1, 2000]\nlegs\nce = add(ATM + off, CE, SELL)\n", "E0405", "2000"),
    ("params\n    sl: float = 20 sweep [10, -5]\nlegs\nce = add(ATM, CE, SELL)\nstop_loss ce sl pts\n", "E0405", "-5"),
    ("ce = add(ATM, CE, SELL)\nlock at rs 100 keep rs 200\n", "E0405", "keep"),
    ("ce = add(pe.strike + 100, CE, SELL)\npe = add(ce.strike - 100, PE, SELL)\n", "E0204", "depends"),
    ("ce = add(ATM, CE, SELL)\noverall_stop 30%\n", "E0302", "credit"),
])
def test_kinds_and_values_of_parameters_are_checked(body, code, text):
    with pytest.raises(StratError) as err:
        load_strat_text(H + body)
    d = err.value.diagnostics[0]
    assert d.code == code and text in (d.message + d.help), (d.code, d.message, d.help)


def test_the_unit_hint_of_an_mtm_rule_never_suggests_points():
    with pytest.raises(StratError) as err:
        load_strat_text(H + STRADDLE + "mtm_stop 40\n")
    d = err.value.diagnostics[0]
    assert d.code == "E0302" and "pts" not in d.help and "rs 40" in d.help and "40%" in d.help


# -- the Python API: the same building blocks, the same trades ----------------------------------------------
class HandOverallStop(Strategy):
    """A hand-written straddle with 50 % leg stops and a day-level stop at rs 600."""

    def entry(self, ctx):
        if ctx.time >= "09:16":
            filled = self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})
            if filled:
                self.credit = net_credit(filled.values())

    def adjust(self, ctx):
        for key in list(self.positions):
            trade = self.positions[key]
            if ctx.ltp(key) >= trade.entry_price * 1.5:
                self.close(key, "stop_loss")
        if ctx.day_pnl <= -600:
            self.close_all("overall_stop")


def test_strat_overall_stop_equals_the_hand_written_python():
    day = straddle_day([100, 120, 150, 150, 150, 150, 150, 150], [100, 100, 100, 110, 120, 130, 100, 100])
    _, strat = run(STRADDLE + "entry at 09:16\nstop_loss each leg 50%\noverall_stop rs 600\n", day, lot_size=10)
    source = MemorySource({DAY: day}, config(8, lot_size=10), 8)
    hand = EventEngine(source).run(HandOverallStop())
    key = [(t.key, t.exit_ts, t.exit_price, t.exit_reason, t.pnl) for t in strat.trades]
    assert key == [(t.key, t.exit_ts, t.exit_price, t.exit_reason, t.pnl) for t in hand.trades]


class HandWidthCondor(Strategy):
    """Short strangle at ATM +/- 0.5 x the straddle, wings 100 points beyond, from the helpers."""

    def entry(self, ctx):
        width = straddle_premium(ctx)
        if width is None:
            return
        ce, pe = snap_strike(ctx, ctx.atm + 0.5 * width), snap_strike(ctx, ctx.atm - 0.5 * width)
        self.try_fill({"sce": self.add(ce, "CE", "SELL"), "spe": self.add(pe, "PE", "SELL"),
                       "bce": self.add(snap_strike(ctx, ce + 100), "CE", "BUY"),
                       "bpe": self.add(snap_strike(ctx, pe - 100), "PE", "BUY")})


def test_strat_straddle_width_condor_equals_the_hand_written_python():
    strikes = (20800, 20900, 21000, 21100, 21200)
    options = {inst(k, t): [10.0] * 4 for k in strikes for t in ("CE", "PE")}
    options[inst(21000, "CE")], options[inst(21000, "PE")] = [110.0] * 4, [90.0] * 4
    day = day_data([21010] * 4, options)
    body = ("sce = add(ATM + 0.5x straddle, CE, SELL)\nspe = add(ATM - 0.5x straddle, PE, SELL)\n"
            "bce = add(sce.strike + 100, CE, BUY)\nbpe = add(spe.strike - 100, PE, BUY)\nentry at 09:16\n")
    _, strat = run(body, day, n_ticks=4)
    hand = EventEngine(MemorySource({DAY: day}, config(4), 4)).run(HandWidthCondor())
    assert [(t.key, t.leg.strike) for t in strat.trades] == [(t.key, t.leg.strike) for t in hand.trades]
    assert [t.leg.strike for t in strat.trades] == [21100.0, 20900.0, 21200.0, 20800.0]


def test_profit_lock_steps():
    lock = ProfitLock(2000, 1000, 500, 250)
    assert lock.floor is None
    assert not lock.hit(2000) and lock.floor == 1000
    assert not lock.hit(3499.999) and lock.floor == 1500  # 1499.999 beyond 2000: two whole steps of 500
    assert lock.hit(1500)


def test_every_new_form_formats_to_itself_and_compiles_the_same():
    from optbt.dsl.compiler import compile_text
    from optbt.dsl.format import format_source
    text = (H + "params\n    off: int = 1\n    k: float = 0.5\n    pct: percent = 2%\n    prem: float = 40\n"
            "    sl: float = 20\n    risk: float = 3000\n    m: float = 2\n    d: int = 3\n\n"
            "legs\n    a = add(ATM - off, CE, SELL)\n    b = add(ITM 1, PE, SELL)\n    c = add(OTM off, CE, BUY)\n"
            "    e = add(OTM pct, PE, BUY)\n    f = add(a.strike + 200, CE, BUY)\n    g = add(b.strike, PE, BUY)\n"
            "    h = add(premium >= a.ltp * 50%, CE, BUY)\n    i = add(premium ~ prem, PE, BUY, expiry = dte >= d)\n"
            "    j = add(ATM + 0.5x straddle, CE, SELL)\n    l = add(ATM - k x straddle, PE, SELL)\n\n"
            "expiry dte <= d\natm_from synthetic\nentry at 09:20 when straddle > 100\nstop_loss each leg sl pts\n"
            "target a rs risk\noverall_stop rs risk\noverall_target 50% credit\n"
            "lock at rs 2000 keep rs 1000 trail every rs 500 by rs 250\nstop_loss m credit\ntarget 50% credit\n")
    once = format_source(text)
    assert format_source(once) == once
    assert compile_text(once)[0] == compile_text(text)[0]


class HandLockTrail(Strategy):
    """Straddle with a stepped lock on the day's PnL, from ProfitLock; no entry once it fired."""

    max_cycles = 3

    def on_day_start(self, day):
        self.lock, self.over = ProfitLock(200, 100, 100, 50), False

    def entry(self, ctx):
        if not self.over and ctx.time >= "09:16":
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

    def adjust(self, ctx):
        if self.lock.hit(ctx.day_pnl):
            self.over = True
            self.close_all("lock")


class HandCreditStop(Strategy):
    """Put credit spread (wing 100 points below the short) out at a loss of 2x its net credit."""

    def entry(self, ctx):
        short = self.add(ctx.atm, "PE", "SELL")
        filled = self.try_fill({"spe": short, "bpe": self.add(snap_strike(ctx, short.strike - 100), "PE", "BUY")})
        if filled:
            self.credit, self.start = net_credit(filled.values()), ctx.realised

    def adjust(self, ctx):
        if ctx.day_pnl - self.start <= -2 * self.credit:
            self.close_all("credit_stop")


class HandSyntheticItm(Strategy):
    """A call one step in the money from the synthetic-futures ATM."""

    def entry(self, ctx):
        from optbt.engine.position import moneyness_offset, synthetic_atm
        atm = synthetic_atm(ctx)
        if atm is not None:
            self.try_fill({"ce": self.add(atm + moneyness_offset("CE", 1, itm=True) * ctx.strike_step, "CE", "SELL")})


def _same(strat_body, hand, day, n_ticks, lot_size=1.0):
    _, strat = run(strat_body, day, n_ticks=n_ticks, lot_size=lot_size)
    other = EventEngine(MemorySource({DAY: day}, config(n_ticks, lot_size=lot_size), n_ticks)).run(hand)
    rows = [[(t.key, t.leg.strike, t.entry_ts, t.exit_ts, t.exit_price, t.exit_reason, t.pnl) for t in r.trades]
            for r in (strat, other)]
    assert rows[0] == rows[1] and rows[0]
    return rows[0]


def test_strat_lock_and_trail_equals_the_hand_written_python():
    day = straddle_day([100, 90, 80, 85, 90, 90, 90, 90], [100, 90, 80, 85, 90, 90, 90, 90])
    rows = _same(STRADDLE + "max_cycles 3\nentry at 09:16\nlock at rs 200 keep rs 100 trail every rs 100 by rs 50\n",
                 HandLockTrail(), day, 8, lot_size=10)
    assert len(rows) == 2


def test_strat_credit_stop_equals_the_hand_written_python():
    day = _put_spread_day([100, 150, 220, 240, 240, 240], [40, 60, 60, 60, 60, 60])
    _same(SPREAD + "stop_loss 2x credit\n", HandCreditStop(), day, 6)


def test_strat_synthetic_itm_equals_the_hand_written_python():
    options = {inst(21000, "CE"): [150.0] * 4, inst(21000, "PE"): [50.0] * 4, inst(21050, "CE"): [120.0] * 4,
               inst(21100, "CE"): [90.0] * 4}
    rows = _same("atm_from synthetic\nce = add(ITM 1, CE, SELL)\nentry at 09:16\n", HandSyntheticItm(),
                 day_data([21010] * 4, options), 4)
    assert rows[0][1] == 21050.0  # synthetic ATM 21100, one step in the money for a call


def test_lint_warns_where_a_day_rule_cannot_do_what_it_says():
    from optbt.dsl.lint import lint_text
    codes = [d.code for d in lint_text(H + STRADDLE + "stop_loss each leg 30%\nmtm_stop rs 2000\n")]
    assert codes == ["W007"]
    assert [d.code for d in lint_text(H + STRADDLE + "stop_loss each leg 30%\noverall_stop rs 2000\n")] == []
    assert [d.code for d in lint_text(H + STRADDLE + "square_off complete\nstop_loss each leg 30%\n"
                                      "mtm_stop rs 2000\n")] == []
    codes = [d.code for d in lint_text(H + STRADDLE + "overall_target rs 1500\nlock at rs 2000 keep rs 1000\n")]
    assert codes == ["W008"]


def test_a_money_parameter_in_a_condition():
    # lot 10: exit when the day's PnL <= -rs risk (risk = 300): CE 100 -> 115 and PE 100 -> 115 is -300 at 09:18
    body = ("params\n    risk: float = 300\nlegs\n" + STRADDLE + "entry at 09:16\nexit when pnl <= -rs risk\n")
    day = straddle_day([100, 110, 115, 100, 100, 100], [100, 110, 115, 100, 100, 100])
    trades, _ = run(body, day, n_ticks=6, lot_size=10)
    assert _short(trades) == [("ce", "09:18", 115.0, "exit"), ("pe", "09:18", 115.0, "exit")]
    trades, _ = run(body, day, n_ticks=6, lot_size=10, params={"risk": 301})
    assert [r for *_, r in _short(trades)] == ["eod", "eod"]


def test_editor_completes_the_new_statements():
    from optbt.dsl import ide
    base = H + "legs\n    ce = add(ATM, CE, SELL)\n"
    line = base.count("\n")

    def labels(prefix):
        return [c.label for c in ide.completions(base + prefix, line, len(prefix))]

    assert {"overall_stop", "overall_target", "lock", "atm_from"} <= set(labels(""))
    assert labels("lock at rs 2000 ") == ["keep"]
    assert labels("atm_from ") == ["spot", "synthetic"]
    assert labels("overall_stop 50% ") == ["credit"]


def test_command_line_values_of_parameters_with_units_are_checked():
    cls = load_strat_text(H + "params\n    sl: float = 20\n    d: int = 3\n    risk: float = 100\nlegs\n"
                          "ce = add(ATM, CE, SELL)\nexpiry dte <= d\nstop_loss ce sl pts\noverall_stop rs risk\n")
    assert cls.PARAM_KINDS == {"sl": "points", "d": "days", "risk": "money"}
    for name, bad, words in (("sl", -1, "points"), ("d", -1, "days"), ("risk", -5, "money")):
        with pytest.raises(ValueError, match=words):
            cls(**{name: bad})


def test_a_lock_is_checked_at_every_sweep_value():
    with pytest.raises(StratError) as err:
        load_strat_text(H + "params\n    k: float = 500 sweep [500, 2500]\nlegs\nce = add(ATM, CE, SELL)\n"
                        "lock at rs 2000 keep rs k\n")
    assert err.value.diagnostics[0].code == "E0405" and "2500" in err.value.diagnostics[0].message


def test_trail_mtm_takes_money_parameters():
    # premium 100 + 100 (lot 1): MTM +30 at 09:18 (after rs a = 30 arms), falls to +15 at 09:19 (by rs b = 15)
    body = ("params\n    a: float = 30\n    b: float = 15\nlegs\n" + STRADDLE + "entry at 09:16\n"
            "trail_mtm after rs a by rs b\n")
    day = straddle_day([100, 95, 85, 92, 90, 90], [100, 95, 85, 93, 90, 90])
    trades, _ = run(body, day, n_ticks=6)
    assert _short(trades) == [("ce", "09:19", 92.0, "trail_mtm"), ("pe", "09:19", 93.0, "trail_mtm")]


def test_a_shift_can_roll_a_leg_relative_to_its_own_strike():
    # CE 21000 sold at 100; at 120 (09:18) it rolls to its strike + 100 = 21100 (price 40 then)
    options = {inst(21000, "CE"): [100.0, 110.0, 120.0, 125.0, 125.0], inst(21100, "CE"): [30.0, 35.0, 40.0, 45.0, 45.0]}
    trades, _ = run("ce = add(ATM, CE, SELL)\nentry at 09:16\nshift ce to ce.strike + 100 when ce.ltp >= 120\n",
                    day_data([21010] * 5, options), n_ticks=5)
    assert _short(trades) == [("ce", "09:18", 120.0, "shift"), ("ce", "09:20", 45.0, "eod")]


def test_lint_warns_that_trail_mtm_counts_the_open_legs_only():
    """trail_mtm reads the MTM as mtm_stop does: with per-leg stops and partial square-off a
    stopped leg's PnL leaves it (W007, as for mtm_stop); complete square-off or one leg: none."""
    from optbt.dsl.lint import lint_text
    trail = "trail_mtm after rs 3000 by rs 1000\n"
    assert [d.code for d in lint_text(H + STRADDLE + "stop_loss each leg 30%\n" + trail)] == ["W007"]
    assert [d.code for d in lint_text(H + STRADDLE + "square_off complete\nstop_loss each leg 30%\n" + trail)] == []
    assert [d.code for d in lint_text(H + STRADDLE + trail)] == []
