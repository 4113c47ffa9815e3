"""Hand-written twin of strategies_dsl/straddle_sl_to_cost.strat (used by the equivalence test)."""

from optbt import Strategy, at_or_above


class StraddleSlToCost(Strategy):
    sl_pct: float = 30.0

    def entry(self, ctx):
        if ctx.time >= "09:20" and ctx.atm is not None:
            filled = self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", 1), "pe": self.add(ctx.atm, "PE", "SELL", 1)})
            if filled:
                for t in filled.values():
                    t.extra["stop"] = t.mark * (1 + self.sl_pct / 100)

    def adjust(self, ctx):
        for key in ("ce", "pe"):
            trade = self.positions.get(key)
            if trade is None:
                continue
            if at_or_above(ctx.ltp(key), trade.extra["stop"]):
                self.close(key, "stop_loss")
                other = self.positions.get("pe" if key == "ce" else "ce")
                if other is not None:
                    other.extra["stop"] = other.mark

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
