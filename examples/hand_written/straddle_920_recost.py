"""Hand-written twin of strategies_dsl/straddle_920_recost.strat (used by the equivalence test).

Per-leg re-entry at cost from the Python API's building blocks: ``legs_waiting`` keeps the
cycle open while a stopped leg waits, ``back_to_cost`` is the wait.
"""

from optbt import Strategy, at_or_above
from optbt.engine.legwait import back_to_cost


class Straddle920Recost(Strategy):
    sl_pct: float = 25.0
    max_reentries = 2

    def entry(self, ctx):
        if "09:20" <= ctx.time < "15:15" and ctx.atm is not None:
            filled = self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", 1), "pe": self.add(ctx.atm, "PE", "SELL", 1)})
            if filled:
                self.cost = {key: t.mark for key, t in filled.items()}
                self.reentries = {key: 0 for key in filled}
                for t in filled.values():
                    t.extra["stop"] = t.mark * (1 + self.sl_pct / 100)

    def adjust(self, ctx):
        for key in ("ce", "pe"):
            trade = self.positions.get(key)
            if trade is not None and at_or_above(ctx.ltp(key), trade.extra["stop"]):
                self.close(key, "stop_loss")
                if self.reentries[key] < self.max_reentries:
                    self.reentries[key] += 1
                    self.legs_waiting[key] = (trade.leg, trade.exit_price > self.cost[key])
        if ctx.is_last_tick or ctx.time >= "15:15":
            return  # nothing opens where it would be closed on the same tick
        for key in ("ce", "pe"):
            waiting = self.legs_waiting.get(key)
            if waiting is not None and back_to_cost(ctx.ltp(waiting[0]), self.cost[key], waiting[1]):
                filled = self.try_fill({key: waiting[0]}, reason="reentry")
                if filled:
                    del self.legs_waiting[key]
                    filled[key].extra["stop"] = filled[key].mark * (1 + self.sl_pct / 100)

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
