"""Leg management .strat == hand-written Python (same trades on the sample), for the constructs
without a library twin: re-entry on momentum, and a trailing stop that starts after a move.
The library twins (RE COST, wait-and-trade, staggered, lazy, RE ASAP, stepped trailing with
reverse re-entry) are in test_equivalence.py."""

from __future__ import annotations

from optbt import Strategy, at_or_above, at_or_below, run_backtest
from optbt.dsl import load_strat_text
from optbt.engine.legwait import premium_moved

TYPES = {"ce": "CE", "pe": "PE"}

MOMENTUM = '''strategy re_momentum "straddle sold after a 10 % drop, re-entered on the same move after a stop"
legs
    ce = add(ATM, CE, SELL)
    pe = add(ATM, PE, SELL)
entry at 09:20
wait each leg down 10%
stop_loss each leg 25%
reentry each leg on stop_loss momentum max 2
exit at 15:15
'''


class ReMomentum(Strategy):
    def entry(self, ctx):
        if not ("09:20" <= ctx.time < "15:15") or ctx.atm is None:
            return
        legs = {key: self.add(ctx.atm, t, "SELL", 1) for key, t in TYPES.items()}
        refs = {key: ctx.ltp(leg) for key, leg in legs.items()}
        if None in refs.values():
            return
        self.count = {key: 0 for key in TYPES}
        self.legs_waiting.update({key: [legs[key], refs[key]] for key in TYPES})
        self.start_waiting()

    def adjust(self, ctx):
        closed = []
        for key in list(self.positions):
            price = ctx.ltp(key)
            if price is not None and at_or_above(price, self.positions[key].extra["stop"]):
                self.close(key, "stop_loss")
                closed.append(key)
        for key in closed:  # momentum re-entry: a strike chosen now, its price now the reference
            if self.count[key] < 2 and key not in self.legs_waiting:
                self.count[key] += 1
                leg = None if ctx.atm is None else self.add(ctx.atm, TYPES[key], "SELL", 1)
                self.legs_waiting[key] = [leg, None if leg is None else ctx.ltp(leg), True]
        if ctx.is_last_tick or ctx.time >= "15:15":
            return
        for key in TYPES:
            waiting = self.legs_waiting.get(key)
            if waiting is None:
                continue
            if waiting[0] is None:
                waiting[0] = None if ctx.atm is None else self.add(ctx.atm, TYPES[key], "SELL", 1)
                continue
            price = ctx.ltp(waiting[0])
            if waiting[1] is None:
                waiting[1] = price
                continue
            if premium_moved(price, waiting[1], "down", "pct", 10.0):
                filled = self.try_fill({key: waiting[0]}, reason="reentry" if len(waiting) == 3 else "entry")
                if filled:
                    del self.legs_waiting[key]
                    filled[key].extra["stop"] = filled[key].entry_price * (1 + 25.0 / 100)

    def exit_check(self, ctx):
        return ctx.time >= "15:15"


TRAIL_AFTER = '''strategy long_call_trail_after "long ATM call, 40 % stop, a 20 % trailing stop once up 30 %"
legs
    ce = add(ATM, CE, BUY)
entry at 09:30
stop_loss ce 40%
trailing ce 20% after 30%
exit at 15:00
'''


class LongCallTrailAfter(Strategy):
    def entry(self, ctx):
        if "09:30" <= ctx.time < "15:00" and ctx.atm is not None:
            filled = self.try_fill({"ce": self.add(ctx.atm, "CE", "BUY", 1)})
            if filled:
                t = filled["ce"]
                t.extra.update(stop=t.entry_price * (1 - 40.0 / 100), after=t.entry_price * 30.0 / 100,
                               best=t.entry_price, trailing=False)

    def adjust(self, ctx):
        trade = self.positions.get("ce")
        price = ctx.ltp("ce")
        if trade is None or price is None:
            return
        extra = trade.extra
        if at_or_below(price, extra["stop"]):
            self.close("ce", "stop_loss")
            return
        if not extra["trailing"]:
            if not at_or_above(price - trade.entry_price, extra["after"]):
                return
            extra["trailing"] = True
            extra["best"] = price
        extra["best"] = max(extra["best"], price)
        if at_or_below(price, extra["best"] * (1 - 20.0 / 100)):
            self.close("ce", "trailing")

    def exit_check(self, ctx):
        return ctx.time >= "15:00"


def _same(text, python_cls, sample_source, reason):
    compiled = run_backtest(load_strat_text(text), source=sample_source, end="2024-02-29")
    hand = run_backtest(python_cls, source=sample_source, end="2024-02-29")
    assert len(hand.trades) > 20
    assert any(t.exit_reason == reason or t.entry_reason == reason for t in hand.trades)  # the construct fires
    assert [t.row() for t in hand.trades] == [t.row() for t in compiled.trades]
    assert [t.entry_reason for t in hand.trades] == [t.entry_reason for t in compiled.trades]


def test_re_entry_on_momentum_matches_hand_written_python(sample_source):
    _same(MOMENTUM, ReMomentum, sample_source, "reentry")


def test_trailing_after_a_move_matches_hand_written_python(sample_source):
    _same(TRAIL_AFTER, LongCallTrailAfter, sample_source, "trailing")
