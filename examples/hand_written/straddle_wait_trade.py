"""Hand-written twin of strategies_dsl/straddle_wait_trade.strat (used by the equivalence test).

Wait-and-trade from the Python API's building blocks: ``start_waiting`` opens the cycle with
nothing filled, ``legs_waiting`` holds each leg's contract and reference, ``premium_moved``
is the wait.
"""

from optbt import Strategy, at_or_above
from optbt.engine.legwait import premium_moved


class StraddleWaitTrade(Strategy):
    def entry(self, ctx):
        if not ("09:20" <= ctx.time < "15:15") or ctx.atm is None:
            return
        legs = {"ce": self.add(ctx.atm, "CE", "SELL", 1), "pe": self.add(ctx.atm, "PE", "SELL", 1)}
        refs = {key: ctx.ltp(leg) for key, leg in legs.items()}
        if None in refs.values():
            return
        self.legs_waiting.update({key: (legs[key], refs[key]) for key in legs})
        self.start_waiting()

    def adjust(self, ctx):
        for key in ("ce", "pe"):
            trade = self.positions.get(key)
            if trade is not None and at_or_above(ctx.ltp(key), trade.extra["stop"]):
                self.close(key, "stop_loss")
        if ctx.is_last_tick or ctx.time >= "15:15":
            return
        for key in ("ce", "pe"):
            waiting = self.legs_waiting.get(key)
            if waiting is not None and premium_moved(ctx.ltp(waiting[0]), waiting[1], "down", "pct", 10.0):
                filled = self.try_fill({key: waiting[0]})
                if filled:
                    del self.legs_waiting[key]
                    filled[key].extra["stop"] = filled[key].mark * (1 + 30.0 / 100)

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
