"""Hand-written twin of strategies_dsl/straddle_step_trail_reverse.strat (equivalence test).

A 20 % stop moved in steps (5 % of the entry price for every 10 % in the leg's favour) and a
reverse re-entry: a stopped short leg is bought at that tick's ATM, once.
"""

from optbt import Strategy, at_or_above, at_or_below

TYPES = {"ce": "CE", "pe": "PE"}


class StraddleStepTrailReverse(Strategy):
    def arm(self, trade):
        mark, short = trade.mark, trade.leg.side == "SELL"
        trade.extra["stop"] = mark * (1 + 20.0 / 100) if short else mark * (1 - 20.0 / 100)
        trade.extra["base"] = trade.extra["stop"]

    def entry(self, ctx):
        if "09:20" <= ctx.time < "15:15" and ctx.atm is not None:
            filled = self.try_fill({key: self.add(ctx.atm, t, "SELL", 1) for key, t in TYPES.items()})
            if filled:
                self.reentered = set()
                for t in filled.values():
                    self.arm(t)

    def adjust(self, ctx):
        closed = []
        for key in [k for k in TYPES if k in self.positions]:  # leg by leg in declaration order
            trade, price = self.positions[key], ctx.ltp(key)
            if price is None:
                continue
            mark, short, extra = trade.mark, trade.leg.side == "SELL", trade.extra
            step, by = mark * 10.0 / 100, mark * 5.0 / 100
            moved = mark - price if short else price - mark
            if at_or_above(moved, step):  # one step at the first 10 %, one more per further 10 %
                steps = 1 + int((moved - step) / step + 1e-9)
                level = extra["base"] - steps * by if short else extra["base"] + steps * by
                extra["stop"] = min(extra["stop"], level) if short else max(extra["stop"], level)
            hit = at_or_above(price, extra["stop"]) if short else at_or_below(price, extra["stop"])
            if hit:
                self.close(key, "stop_loss")
                closed.append(key)
        for key in closed:
            if key not in self.reentered:
                self.reentered.add(key)
                self.legs_waiting[key] = True
        if ctx.is_last_tick or ctx.time >= "15:15":
            return
        for key, opt_type in TYPES.items():
            if key in self.legs_waiting and ctx.atm is not None:
                filled = self.try_fill({key: self.add(ctx.atm, opt_type, "BUY", 1)}, reason="reentry")
                if filled:
                    del self.legs_waiting[key]
                    self.arm(filled[key])

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
