"""Sell the ATM straddle at 09:20, 30 % stop loss per leg, out at 15:15.

Run it:  optbt run examples/straddle_920.py:Straddle920 [--param sl_pct=25]
"""

from optbt import BarContext, Strategy, at_or_above


class Straddle920(Strategy):
    """Sell the ATM straddle at 09:20, 30 % stop loss per leg, out at 15:15."""

    PARAM_KINDS = {"sl_pct": "percent", "lots": "lots"}  # checked on --param: no negative stop, lots >= 1
    sl_pct: float = 30.0
    entry_time: str = "09:20"
    exit_time: str = "15:15"
    lots: int = 1
    max_cycles = 1

    def entry(self, ctx: BarContext) -> None:
        if ctx.time >= self.entry_time:
            filled = self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL", self.lots),
                                    "pe": self.add(ctx.atm, "PE", "SELL", self.lots)})
            for trade in (filled or {}).values():  # each leg's stop level, computed once
                trade.extra["stop"] = trade.mark * (1 + self.sl_pct / 100)

    def adjust(self, ctx: BarContext) -> None:
        for key, trade in list(self.positions.items()):
            price, lag = ctx.price(key)
            if at_or_above(price, trade.extra["stop"]):  # a price equal to the level counts
                self.close(key, reason="stop_loss")

    def exit_check(self, ctx: BarContext) -> bool:
        return ctx.time >= self.exit_time
