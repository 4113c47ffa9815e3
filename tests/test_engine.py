"""The engine's contract, one behaviour a test, on tiny in-memory days worked out by hand.

Ticks are 09:16, 09:17, ... (tick k is 09:16 + k minutes). Lot size 1 unless stated.
"""

from __future__ import annotations

from datetime import date

import pytest

from optbt import BarContext, DayStartContext, Strategy
from optbt.data.cache import align
from optbt.engine.fills import CostModel
from optbt.engine.loop import EventEngine
from optbt.model.errors import StrategyError
from tests.kit import DAY, EXPIRY, MemorySource, config, inst, straddle_day

DAY2 = date(2024, 1, 3)


def run(strategy, days, n_ticks=10, cfg=None, costs=None):
    source = MemorySource(days, cfg or config(n_ticks), n_ticks)
    result = EventEngine(source, costs).run(strategy)
    return result, source


class SellStraddleAt(Strategy):
    """Sell the 21000 straddle from ``at`` on; optional exit time; records what it saw."""

    at: str = "09:16"
    out: str = "99:99"

    def entry(self, ctx):
        if ctx.time >= self.at:
            self.try_fill({"ce": self.add(21000, "CE", "SELL"), "pe": self.add(21000, "PE", "SELL")})

    def exit_check(self, ctx):
        return ctx.time >= self.out


# -- prices: (price, lag) ------------------------------------------------------------------

def test_price_is_live_then_stale_with_lag_then_live_again():
    s = align([1, 2, 3, 4, 5], [(1, 100.0, None, None), (4, 103.0, None, None)])
    assert s.quote == [(100.0, 0), (100.0, 1), (100.0, 2), (103.0, 0), (103.0, 1)]


def test_price_is_none_before_the_first_bar_of_the_day():
    seen = []

    class Look(Strategy):
        def entry(self, ctx):
            seen.append(ctx.price(inst(21000, "CE")))

    run(Look(), {DAY: straddle_day([None, None, 50, None], [1, 1, 1, 1])}, n_ticks=4)
    assert seen == [None, None, (50.0, 0)]  # no entry call on the last tick


def test_unusable_bar_leaves_the_price_stale():
    # a bar with price None (empty quote) is not a bar: the last usable one ages
    s = align([1, 2, 3], [(1, 10.0, 9.9, 10.1), (2, None, None, None), (3, 11.0, 10.9, 11.1)])
    assert s.quote == [(10.0, 0), (10.0, 1), (11.0, 0)]
    assert s.bid == [9.9, 9.9, 10.9] and s.ask == [10.1, 10.1, 11.1]


def test_coarse_clock_counts_a_bar_between_ticks_as_live():
    # bars at minutes 1..5, ticks every 2: the bar known at 3 is live at tick 3
    s = align([1, 3, 5], [(m, float(m), None, None) for m in range(1, 6)])
    assert s.quote == [(1.0, 0), (3.0, 0), (5.0, 0)]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 0.0, -1.0, None])
def test_a_bar_at_every_tick_follows_the_same_rules(bad):
    """One bar on each tick (the usual minute data) is aligned without a search; the rules hold."""
    s = align([1, 2, 3], [(1, 10.0, 9.9, 10.1), (2, bad, 10.4, 10.6), (3, 12.0, 11.9, 12.1)])
    assert s.quote == [(10.0, 0), (10.0, 1), (12.0, 0)]
    assert s.bid == [9.9, 9.9, 11.9] and s.ask == [10.1, 10.1, 12.1]
    s = align([1, 2, 3], [(1, 10.0, None, None), (2, 11.0, None, None), (3, 12.0, None, None)])
    assert s.quote == [(10.0, 0), (11.0, 0), (12.0, 0)] and s.bid == s.ask == [None] * 3
    huge = align([1, 2], [(1, 1e308, None, None), (2, 1e308, None, None)])  # finite, though their sum is not
    assert huge.quote == [(1e308, 0), (1e308, 0)]


def test_session_ticks_are_every_bar_end_up_to_the_close():
    from datetime import datetime

    from optbt.engine.clock import session_ticks
    open_ = datetime(2024, 1, 2, 9, 15)
    hhmm = lambda ticks: [t.strftime("%H:%M") for t in ticks]  # noqa: E731
    assert hhmm(session_ticks(open_, datetime(2024, 1, 2, 9, 32), 5)) == ["09:20", "09:25", "09:30"]
    assert hhmm(session_ticks(open_, datetime(2024, 1, 2, 9, 30), 5)) == ["09:20", "09:25", "09:30"]
    assert session_ticks(open_, datetime(2024, 1, 2, 9, 19), 5) == []
    assert session_ticks(open_, datetime(2024, 1, 2, 9, 0), 1) == []  # a close before the open
    assert len(session_ticks(open_, datetime(2024, 1, 2, 15, 30), 1)) == 375


# -- all-or-nothing fills ----------------------------------------------------------------------

def test_entry_waits_until_every_leg_is_live():
    # put has no bar at 09:17 (tick 1): a 09:17 entry must wait for 09:18
    day = straddle_day([100, 101, 102, 103, 104], [90, None, 88, 87, 86])
    result, _ = run(SellStraddleAt(at="09:17"), {DAY: day}, n_ticks=5)
    entries = {(t.key, t.entry_ts.strftime("%H:%M"), t.entry_price, t.entry_lag) for t in result.trades}
    assert entries == {("ce", "09:18", 102.0, 0), ("pe", "09:18", 88.0, 0)}


def test_a_missing_leg_fills_nothing():
    day = straddle_day([100] * 5, [90] * 5)
    del day["options"][inst(21000, "PE")]
    result, _ = run(SellStraddleAt(), {DAY: day}, n_ticks=5)
    assert result.trades == []


def test_failed_fill_returns_none_and_opens_nothing():
    got = []

    class Probe(Strategy):
        def entry(self, ctx):
            got.append((self.try_fill([self.add(21000, "CE", "SELL"), self.add(21000, "PE", "SELL")]),
                        dict(self.positions)))

    run(Probe(), {DAY: straddle_day([100, 100], [None, 90])}, n_ticks=3)
    assert got[0] == (None, {})


def test_entry_lag_tolerance_is_configurable():
    day = straddle_day([100, 101, 102], [90, None, 88])
    result, _ = run(SellStraddleAt(at="09:17"), {DAY: day}, n_ticks=3, cfg=config(3, entry_max_lag=1))
    pe = next(t for t in result.trades if t.key == "pe")
    assert (pe.entry_ts.strftime("%H:%M"), pe.entry_price, pe.entry_lag) == ("09:17", 90.0, 1)


# -- keys ----------------------------------------------------------------------------------------

def test_list_legs_get_automatic_keys_and_dict_legs_keep_theirs():
    keys = []

    class Keys(Strategy):
        def entry(self, ctx):
            keys.append(sorted(self.try_fill([self.add(21000, "CE", "SELL"), self.add(21000, "PE", "SELL")])))

        def adjust(self, ctx):
            if "hedge" not in self.positions and ctx.tick == 1:
                keys.append(sorted(self.try_fill({"hedge": self.add(21000, "CE", "BUY")})))
                keys.append(sorted(self.try_fill([self.add(21000, "PE", "BUY")])))

    run(Keys(), {DAY: straddle_day([100] * 4, [90] * 4)}, n_ticks=4)
    assert keys == [["leg1", "leg2"], ["hedge"], ["leg3"]]


def test_key_collision_raises_value_error_and_fills_nothing():
    outcome = []

    class Collide(Strategy):
        def entry(self, ctx):
            self.try_fill({"ce": self.add(21000, "CE", "SELL")})

        def adjust(self, ctx):
            if ctx.tick == 1:
                with pytest.raises(ValueError, match="already open"):
                    self.try_fill({"pe": self.add(21000, "PE", "SELL"), "ce": self.add(21000, "CE", "BUY")})
                outcome.append(sorted(self.positions))

    run(Collide(), {DAY: straddle_day([100] * 4, [90] * 4)}, n_ticks=4)
    assert outcome == [["ce"]]


def test_key_is_freed_on_close():
    result = []

    class Reuse(Strategy):
        def entry(self, ctx):
            self.try_fill({"ce": self.add(21000, "CE", "SELL"), "pe": self.add(21000, "PE", "SELL")})

        def adjust(self, ctx):
            if ctx.tick == 1:
                self.close("ce", reason="roll")
                result.append(sorted(self.try_fill({"ce": self.add(21000, "CE", "SELL")})))

    res, _ = run(Reuse(), {DAY: straddle_day([100, 101, 102, 103], [90] * 4)}, n_ticks=4)
    assert result == [["ce"]]
    ces = sorted((t.entry_price, t.exit_reason) for t in res.trades if t.key == "ce")
    assert ces == [(100.0, "roll"), (101.0, "eod")]


# -- cycles, exits, EOD --------------------------------------------------------------------------

class TwoTickTrader(Strategy):
    """Enter whenever idle; exit two ticks after entering. Two cycles a day."""

    max_cycles = 2

    def entry(self, ctx):
        if self.try_fill([self.add(21000, "CE", "SELL")]):
            self.entered = ctx.tick

    def exit_check(self, ctx):
        return ctx.tick >= self.entered + 2


def test_max_cycles_re_enters_but_never_on_the_exit_tick():
    res, _ = run(TwoTickTrader(), {DAY: straddle_day(list(range(100, 110)), [1] * 10)})
    spans = [(t.cycle, t.entry_ts.strftime("%H:%M"), t.exit_ts.strftime("%H:%M"), t.exit_reason) for t in res.trades]
    # cycle 1: in 09:16, out 09:18; no entry at 09:18; cycle 2: in 09:19, out 09:21; then DONE
    assert spans == [(1, "09:16", "09:18", "exit"), (2, "09:19", "09:21", "exit")]
    assert res.daily[0].cycles == 2


def test_closed_trades_accumulate_across_cycles_and_days():
    s = TwoTickTrader()
    days = {DAY: straddle_day([100] * 10, [1] * 10), DAY2: straddle_day([100] * 10, [1] * 10)}
    res, _ = run(s, days)
    assert [(t.day, t.cycle) for t in s.closed_trades] == [(DAY, 1), (DAY, 2), (DAY2, 1), (DAY2, 2)]
    assert res.trades == s.closed_trades


def test_closing_every_leg_ends_the_cycle_and_fires_on_exit():
    events = []

    class LegByLeg(Strategy):
        max_cycles = 1

        def entry(self, ctx):
            self.try_fill({"ce": self.add(21000, "CE", "SELL"), "pe": self.add(21000, "PE", "SELL")})

        def adjust(self, ctx):
            if ctx.tick == 1:
                self.close("ce", "stop_loss")
            if ctx.tick == 2:
                self.close("pe", "stop_loss")

        def exit_check(self, ctx):
            events.append(("exit_check", ctx.tick))
            return False

        def on_exit(self, ctx):
            events.append(("on_exit", ctx.tick))

    run(LegByLeg(), {DAY: straddle_day([100] * 5, [90] * 5)}, n_ticks=5)
    assert events == [("exit_check", 1), ("on_exit", 2)]


def test_eod_force_close_on_the_last_tick_then_on_day_end():
    events = []

    class Holder(SellStraddleAt):
        def on_exit(self, ctx):
            events.append(("on_exit", ctx.time, len(self.positions)))

        def on_day_end(self, ctx):
            events.append(("on_day_end", ctx.time, len(self.positions)))

    res, _ = run(Holder(), {DAY: straddle_day([100, 101, 102, 103], [90, 91, 92, 93])}, n_ticks=4)
    assert events == [("on_exit", "09:19", 0), ("on_day_end", "09:19", 0)]
    assert {(t.key, t.exit_reason, t.exit_price) for t in res.trades} == {("ce", "eod", 103.0), ("pe", "eod", 93.0)}


def test_no_entry_on_the_last_tick():
    res, _ = run(SellStraddleAt(at="09:19"), {DAY: straddle_day([100] * 4, [90] * 4)}, n_ticks=4)
    assert res.trades == []


def test_on_day_start_false_skips_the_day_without_touching_options():
    class OnlyWednesday(SellStraddleAt):
        def on_day_start(self, day):
            return day.weekday == "Wed"

    days = {DAY: straddle_day([100] * 3, [90] * 3), DAY2: straddle_day([100] * 3, [90] * 3)}
    res, source = run(OnlyWednesday(), days, n_ticks=3)
    assert [(d.day, d.skipped, d.trades) for d in res.daily] == [(DAY, True, 0), (DAY2, False, 2)]
    assert [c[0] for c in source.calls] == [DAY2]


# -- PnL, fills, costs ---------------------------------------------------------------------------

def test_short_straddle_pnl_in_currency():
    # sold CE 100 and PE 90 at 09:16, bought back 120 and 60 at 09:18; lot 50, 2 lots
    class Two(SellStraddleAt):
        def entry(self, ctx):
            self.try_fill({"ce": self.add(21000, "CE", "SELL", 2), "pe": self.add(21000, "PE", "SELL", 2)})

    res, _ = run(Two(out="09:18"), {DAY: straddle_day([100, 110, 120, 130], [90, 70, 60, 50])},
                 n_ticks=4, cfg=config(4, lot_size=50))
    pnl = {t.key: t.pnl for t in res.trades}
    assert pnl == {"ce": (100 - 120) * 2 * 50, "pe": (90 - 60) * 2 * 50}
    assert res.metrics["total_pnl"] == 1000.0


def test_buys_fill_at_the_ask_and_sells_at_the_bid():
    day = straddle_day([(100, 99, 101), (110, 109, 111), (120, 119, 121)], [(90, 89, 91)] * 3)
    res, _ = run(SellStraddleAt(out="09:17"), {DAY: day}, n_ticks=3)
    ce = next(t for t in res.trades if t.key == "ce")
    assert (ce.entry_price, ce.exit_price, ce.pnl) == (99.0, 111.0, -12.0)


def test_slippage_and_commission_go_against_you():
    costs = CostModel(slippage=0.5, commission_per_lot=20.0)
    res, _ = run(SellStraddleAt(out="09:17"), {DAY: straddle_day([100, 110, 120], [90, 80, 70])},
                 n_ticks=3, cfg=config(3, lot_size=10), costs=costs)
    ce = next(t for t in res.trades if t.key == "ce")
    # sell at 100 - 0.5, buy back at 110 + 0.5; commission 20 per lot per order, 2 orders
    assert (ce.entry_price, ce.exit_price, ce.costs) == (99.5, 110.5, 40.0)
    assert ce.pnl == (99.5 - 110.5) * 10 - 40.0


def test_every_fill_records_tick_price_lag_and_reason():
    res, _ = run(SellStraddleAt(out="09:18"), {DAY: straddle_day([100, 101, None, 103], [90, 91, 92, 93])}, n_ticks=4)
    ce = next(t for t in res.trades if t.key == "ce")
    assert (ce.exit_ts.strftime("%H:%M"), ce.exit_price, ce.exit_lag, ce.exit_reason) == ("09:18", 101.0, 1, "exit")
    assert (ce.entry_ts.strftime("%H:%M"), ce.entry_price, ce.entry_lag) == ("09:16", 100.0, 0)


# -- the cache: lazy, batched by prefetch, never twice ------------------------------------------

class Prefetcher(SellStraddleAt):
    """Looks at each leg's price before selling (each look is a lazy fetch, unless prefetched)."""

    use_prefetch: bool = True

    def on_day_start(self, day):
        if self.use_prefetch:
            day.prefetch([self.add(21000, "CE", "SELL"), self.add(21000, "PE", "SELL")])

    def entry(self, ctx):
        if ctx.ltp(self.add(21000, "CE", "SELL")) and ctx.ltp(self.add(21000, "PE", "SELL")):
            super().entry(ctx)


def test_prefetch_lowers_queries_and_changes_no_result():
    days = {DAY: straddle_day([100, 110, 120], [90, 80, 70]), DAY2: straddle_day([50, 60, 70], [40, 30, 20])}
    with_p, src_p = run(Prefetcher(use_prefetch=True), days, n_ticks=3)
    without, src_n = run(Prefetcher(use_prefetch=False), days, n_ticks=3)
    assert len(src_p.calls) == 2 and len(src_n.calls) == 4
    assert [t.row() for t in with_p.trades] == [t.row() for t in without.trades]
    assert with_p.engine["queries"] < without.engine["queries"]


def test_the_legs_of_one_fill_are_fetched_in_one_query():
    _, source = run(SellStraddleAt(), {DAY: straddle_day([100] * 3, [90] * 3)}, n_ticks=3)
    assert [len(batch) for _, batch in source.calls] == [2]


def test_never_fetches_an_instrument_twice_a_day():
    class Greedy(Strategy):
        def entry(self, ctx):
            for _ in range(3):
                ctx.price(inst(21000, "CE"))
                ctx.price(inst(21050, "CE"))  # not listed: cached as empty
            self.try_fill([self.add(21000, "CE", "SELL")])

        def adjust(self, ctx):
            ctx.price(inst(21000, "PE"))
            ctx.price("leg1")

    days = {DAY: straddle_day([1] * 5, [1] * 5), DAY2: straddle_day([1] * 5, [1] * 5)}
    _, source = run(Greedy(), days, n_ticks=5)
    for day in (DAY, DAY2):
        fetched = [i for d, batch in source.calls if d == day for i in batch]
        assert len(fetched) == len(set(fetched)) == 3


# -- nothing beyond the current tick ---------------------------------------------------------------

# market signals (optbt.engine.market): each answers for the current tick only
MARKET_SIGNALS = {"spot_bar", "series", "prev_day", "gap", "gap_pct", "gap_of", "range", "indicator"}


def test_contexts_expose_only_tick_bound_accessors():
    public_bar = {n for n in dir(BarContext) if not n.startswith("_")}
    assert public_bar == {"now", "time", "tick", "spot", "atm", "is_last_tick", "day", "weekday", "dte",
                          "strike_step", "lot_size", "expiries", "price", "ltp", "pnl", "mtm",
                          "realised", "day_pnl", "chain", "strike_by_premium",
                          "greeks", "net_delta", "strike_by_delta"} | MARKET_SIGNALS
    public_start = {n for n in dir(DayStartContext) if not n.startswith("_")}
    assert public_start == {"day", "spot", "atm", "strike_step", "expiries", "weekday", "dte", "prefetch"} | {"prev_day"}


def test_day_start_sees_the_first_ticks_spot_only():
    seen = []

    class Peek(Strategy):
        def on_day_start(self, day):
            seen.append((day.spot, day.atm))
            assert not hasattr(day, "price")
            with pytest.raises(AttributeError):
                day.future = 1

    day = straddle_day([1] * 3, [1] * 3)
    day["spot"] = [21020.0, 21100.0, 21200.0]
    run(Peek(), {DAY: day}, n_ticks=3)
    assert seen == [(21020.0, 21000.0)]


def test_prices_of_instruments_that_trade_later_are_invisible_now():
    seen = []

    class Peek(Strategy):
        def entry(self, ctx):
            seen.append((ctx.time, ctx.price(inst(21000, "CE")), ctx.spot))

    day = straddle_day([None, None, 70, 71], [1] * 4)
    day["spot"] = [21000.0, None, 21100.0, 21150.0]
    run(Peek(), {DAY: day}, n_ticks=4)
    assert seen == [("09:16", None, 21000.0), ("09:17", None, 21000.0), ("09:18", (70.0, 0), 21100.0)]


# -- errors a user sees -----------------------------------------------------------------------------

def test_an_exception_in_a_hook_says_which_hook_day_and_tick():
    class Broken(Strategy):
        def entry(self, ctx):
            if ctx.time == "09:17":
                raise ZeroDivisionError("oops")

    with pytest.raises(StrategyError, match=r"Broken.entry failed on 2024-01-02 at 09:17: ZeroDivisionError"):
        run(Broken(), {DAY: straddle_day([1] * 4, [1] * 4)}, n_ticks=4)


def test_try_fill_outside_entry_or_adjust_is_refused():
    class Early(Strategy):
        def on_day_start(self, day):
            self.try_fill([self.add(21000, "CE", "SELL")])

    with pytest.raises(StrategyError, match="only from entry"):
        run(Early(), {DAY: straddle_day([1] * 3, [1] * 3)}, n_ticks=3)


def test_short_names_are_validated():
    errors = []

    class Bad(Strategy):
        def entry(self, ctx):
            for args in ((21000, "XX", "SELL"), (21000, "CE", "HOLD"), (21000, "CE", "SELL", 0)):
                try:
                    self.add(*args)
                except ValueError as exc:
                    errors.append(str(exc).split(":")[0])

    run(Bad(), {DAY: straddle_day([1] * 2, [1] * 2)}, n_ticks=2)
    assert errors == ["unknown option type 'XX'", "unknown side 'HOLD'", "qty must be a whole number of lots >= 1, got 0"]


def test_expiry_rules_resolve_against_the_listed_chain():
    got = []

    class Exp(Strategy):
        def entry(self, ctx):
            got.append((self.add(21000, "CE", "SELL").expiry, self.add(21000, "CE", "SELL", expiry="next").expiry,
                        ctx.dte))

    far = date(2024, 1, 11)
    day = straddle_day([1] * 2, [1] * 2, extra={inst(21000, "CE", far): [1, 1]})
    run(Exp(), {DAY: day}, n_ticks=2)
    assert got == [(EXPIRY, far, 2)]
