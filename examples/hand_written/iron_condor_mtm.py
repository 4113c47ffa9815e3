"""Hand-written twin of strategies_dsl/iron_condor_mtm.strat (used by the equivalence test)."""

from optbt import Strategy, at_or_above, at_or_below


class IronCondorMtm(Strategy):
    target_pct: float = 40.0

    def entry(self, ctx):
        if ctx.time >= "09:20" and ctx.atm is not None:
            s = ctx.strike_step
            filled = self.try_fill({
                "sell_ce": self.add(ctx.atm + 2 * s, "CE", "SELL"), "sell_pe": self.add(ctx.atm - 2 * s, "PE", "SELL"),
                "buy_ce": self.add(ctx.atm + 6 * s, "CE", "BUY"), "buy_pe": self.add(ctx.atm - 6 * s, "PE", "BUY")})
            if filled:
                # percent of premium: the sum of entry prices x lots x lot size, as the language defines it
                self.premium = sum(t.entry_price * t.qty * t.lot_size for t in filled.values())

    def adjust(self, ctx):
        if at_or_below(ctx.mtm, -4000.0):
            self.close_all("mtm_stop")
        elif at_or_above(ctx.mtm, self.premium * self.target_pct / 100):
            self.close_all("mtm_target")

    def exit_check(self, ctx):
        return ctx.time >= "15:15"
