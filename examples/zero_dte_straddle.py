"""A 0DTE short straddle: sell the ATM call and put of the expiry that settles today at 10:00,
stop each leg when its mid rises 30 % above the mid at entry (the fill itself is at the bid,
so measuring from the fill would let the spread alone trigger the stop), and buy everything
back at 12:45. Buys fill at the ask, sells at the bid.

Run it on the real GOOG day:
    optbt run examples/zero_dte_straddle.py:ZeroDteStraddle \\
        --data examples/datasets/goog-2015-12-24.toml --data-root ../shared/data/real/goog-2015-12-24
"""

from optbt import BarContext, DayStartContext, Strategy, at_or_above


class ZeroDteStraddle(Strategy):
    """Sell the 0DTE ATM straddle at 10:00, 30 % stop per leg, out at 12:45."""

    entry_time: str = "10:00"
    exit_time: str = "12:45"
    sl_pct: float = 30.0
    PARAM_KINDS = {"sl_pct": "percent"}
    max_cycles = 1
    expiry = "nearest"

    def on_day_start(self, day: DayStartContext) -> bool | None:
        return bool(day.expiries) and day.expiries[0] == day.day  # only days with a same-day expiry

    def entry(self, ctx: BarContext) -> None:
        if ctx.time >= self.entry_time and ctx.atm is not None:
            self.try_fill({"ce": self.add(ctx.atm, "CE", "SELL"), "pe": self.add(ctx.atm, "PE", "SELL")})

    def adjust(self, ctx: BarContext) -> None:
        for key, trade in list(self.positions.items()):
            price, _lag = ctx.price(key)
            if at_or_above(price, trade.entry_mark * (1 + self.sl_pct / 100)):  # equal counts
                self.close(key, reason="stop_loss")

    def exit_check(self, ctx: BarContext) -> bool:
        return ctx.time >= self.exit_time
