"""A 09:20 short iron condor: sell ATM±2 strikes, buy ATM±6 wings, 30 % stop per short leg.

Run it:  optbt run examples/iron_condor.py:IronCondor
"""

from optbt import BarContext, DayStartContext, Strategy, at_or_above


class IronCondor(Strategy):
    """Short strangle at ATM±2 steps with wings at ATM±6; each short leg stops at +30 %."""

    PARAM_KINDS = {"sl_pct": "percent"}
    sl_pct: float = 30.0
    short_offset: int = 2
    wing_offset: int = 6
    entry_time: str = "09:20"
    exit_time: str = "15:15"
    max_cycles = 1

    def on_day_start(self, day: DayStartContext) -> bool | None:
        return day.spot is not None

    def entry(self, ctx: BarContext) -> None:
        if ctx.time < self.entry_time:
            return
        step = ctx.strike_step
        filled = self.try_fill({
            "sell_ce": self.add(ctx.atm + self.short_offset * step, "CE", "SELL"),
            "sell_pe": self.add(ctx.atm - self.short_offset * step, "PE", "SELL"),
            "buy_ce": self.add(ctx.atm + self.wing_offset * step, "CE", "BUY"),
            "buy_pe": self.add(ctx.atm - self.wing_offset * step, "PE", "BUY"),
        })
        for trade in (filled or {}).values():  # each leg's stop level, computed once
            trade.extra["stop"] = trade.mark * (1 + self.sl_pct / 100)

    def adjust(self, ctx: BarContext) -> None:
        for key in ("sell_ce", "sell_pe"):
            trade = self.positions.get(key)
            if trade is None:
                continue
            price, _lag = ctx.price(key)
            if at_or_above(price, trade.extra["stop"]):  # a price equal to the level counts
                self.close(key, reason="stop_loss")
                wing = "buy_ce" if key == "sell_ce" else "buy_pe"
                if wing in self.positions:
                    self.close(wing, reason="stop_loss")

    def exit_check(self, ctx: BarContext) -> bool:
        return ctx.time >= self.exit_time
