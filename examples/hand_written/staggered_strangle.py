"""Hand-written twin of strategies_dsl/staggered_strangle.strat (used by the equivalence test).

A staggered leg from the Python API's building blocks: the put waits in ``legs_waiting`` (which
keeps the cycle open even when the call stopped out first) until 09:45, its strike chosen then.
"""

from optbt import Strategy, at_or_above


class StaggeredStrangle(Strategy):
    def entry(self, ctx):
        if not ("09:20" <= ctx.time < "15:15") or ctx.atm is None:
            return
        legs = {"ce": self.add(ctx.atm + 2 * ctx.strike_step, "CE", "SELL", 1)}
        if ctx.time >= "09:45":
            legs["pe"] = self.add(ctx.atm - 2 * ctx.strike_step, "PE", "SELL", 1)
        filled = self.try_fill(legs)
        if filled:
            for t in filled.values():
                t.extra["stop"] = t.mark * (1 + 30.0 / 100)
            if "pe" not in filled:
                self.legs_waiting["pe"] = "09:45"

    def adjust(self, ctx):
        for key in list(self.positions):
            trade = self.positions[key]
            price = ctx.ltp(key)
            if price is not None and at_or_above(price, trade.extra["stop"]):
                self.close(key, "stop_loss")
        if ctx.is_last_tick or ctx.time >= "15:15":
            return
        if "pe" in self.legs_waiting and ctx.time >= "09:45" and ctx.atm is not None:
            filled = self.try_fill({"pe": self.add(ctx.atm - 2 * ctx.strike_step, "PE", "SELL", 1)})
            if filled:
                del self.legs_waiting["pe"]
                filled["pe"].extra["stop"] = filled["pe"].mark * (1 + 30.0 / 100)

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
