"""Sell the 16-delta call and put at 09:25, 100 % stop loss per leg, out at 15:15; the Python
twin of strategies_dsl/strangle_16_delta.strat (the tests check both give the same trades).

Run it:  optbt run examples/strangle_16_delta.py:Strangle16Delta [--param delta=0.2]

``ctx.strike_by_delta`` picks, among strikes with a live price now, the one whose |delta|
(from its IV at this tick) is closest to the target; ``ctx.greeks(key)`` gives an open leg's
IV, delta, gamma, theta and vega, ``ctx.net_delta`` the position's delta in lots.
"""

from optbt import BarContext, Strategy, at_or_above


class Strangle16Delta(Strategy):
    """Short strangle at the 16-delta call and put, 100 % stop per leg, out at 15:15."""

    delta: float = 0.16
    sl_pct: float = 100.0
    entry_time: str = "09:25"
    exit_time: str = "15:15"
    max_cycles = 1

    def entry(self, ctx: BarContext) -> None:
        if ctx.time < self.entry_time:
            return
        ce, pe = ctx.strike_by_delta("CE", self.delta), ctx.strike_by_delta("PE", self.delta)
        if ce is None or pe is None:
            return  # no live strike with a known IV yet: try again next tick
        filled = self.try_fill({"ce": self.add(ce, "CE", "SELL"), "pe": self.add(pe, "PE", "SELL")})
        for trade in (filled or {}).values():
            trade.extra["stop"] = trade.mark * (1 + self.sl_pct / 100)

    def adjust(self, ctx: BarContext) -> None:
        for key, trade in list(self.positions.items()):
            price, lag = ctx.price(key)
            if at_or_above(price, trade.extra["stop"]):
                self.close(key, reason="stop_loss")

    def exit_check(self, ctx: BarContext) -> bool:
        return ctx.time >= self.exit_time
