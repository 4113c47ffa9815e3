"""Hand-written twin of strategies_dsl/ratio_lazy_hedge.strat (used by the equivalence test).

A lazy leg: the far call is bought only when the short calls stop out (and retried on the next
ticks while it has no price).
"""

from optbt import Strategy, at_or_above


class RatioLazyHedge(Strategy):
    def entry(self, ctx):
        if not ("09:30" <= ctx.time < "15:10") or ctx.atm is None:
            return
        filled = self.try_fill({"long_ce": self.add(ctx.atm, "CE", "BUY", 1),
                                "short_ce": self.add(ctx.atm + 2 * ctx.strike_step, "CE", "SELL", 2)})
        if filled:
            filled["short_ce"].extra["stop"] = filled["short_ce"].mark * (1 + 40.0 / 100)

    def adjust(self, ctx):
        short = self.positions.get("short_ce")
        if short is not None:
            price = ctx.ltp("short_ce")
            if price is not None and at_or_above(price, short.extra["stop"]):
                self.close("short_ce", "stop_loss")
                self.legs_waiting["hedge_ce"] = True
        if "hedge_ce" in self.legs_waiting and not ctx.is_last_tick and ctx.time < "15:10" and ctx.atm is not None:
            if self.try_fill({"hedge_ce": self.add(ctx.atm + 4 * ctx.strike_step, "CE", "BUY", 1)}):
                del self.legs_waiting["hedge_ce"]

    def exit_check(self, ctx):
        return ctx.time >= "15:10"
