"""Hand-written twin of strategies_dsl/strangle_re_asap.strat (used by the equivalence test).

RE ASAP: a stopped leg is sold again on the same tick, at the strike one out from that tick's ATM.
"""

from optbt import Strategy, at_or_above

STRIKES = {"ce": (1, "CE"), "pe": (-1, "PE")}


class StrangleReAsap(Strategy):
    def leg(self, ctx, key):
        offset, opt_type = STRIKES[key]
        return self.add(ctx.atm + offset * ctx.strike_step, opt_type, "SELL", 1)

    def entry(self, ctx):
        if "09:25" <= ctx.time < "15:15" and ctx.atm is not None:
            filled = self.try_fill({key: self.leg(ctx, key) for key in STRIKES})
            if filled:
                self.reentries = {key: 0 for key in STRIKES}
                for t in filled.values():
                    t.extra["stop"] = t.mark * (1 + 30.0 / 100)

    def adjust(self, ctx):
        closed = []
        for key in list(self.positions):
            price = ctx.ltp(key)
            if price is not None and at_or_above(price, self.positions[key].extra["stop"]):
                self.close(key, "stop_loss")
                closed.append(key)
        for key in closed:
            if self.reentries[key] < 3 and key not in self.legs_waiting:
                self.reentries[key] += 1
                self.legs_waiting[key] = True
        if ctx.is_last_tick or ctx.time >= "15:15":
            return
        for key in STRIKES:
            if key in self.legs_waiting and ctx.atm is not None:
                filled = self.try_fill({key: self.leg(ctx, key)}, reason="reentry")
                if filled:
                    del self.legs_waiting[key]
                    filled[key].extra["stop"] = filled[key].mark * (1 + 30.0 / 100)

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
