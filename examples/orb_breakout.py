"""Opening-range breakout in Python: the same strategy as strategies_dsl/orb_breakout.strat.

Buy the ATM call once the spot crosses above the high of the 09:15-09:30 range (known from
09:30 on), between 09:31 and 13:00; 30 % stop, 60 % target, out at 15:15. A test checks that
both give the same trades on the sample.

Run it:  optbt run examples/orb_breakout.py:OrbBreakout
"""

from optbt import BarContext, Strategy, at_or_above, at_or_below


class OrbBreakout(Strategy):
    """Buy the ATM call on a breakout above the 09:15-09:30 opening range."""

    PARAM_KINDS = {"sl_pct": "percent", "target_pct": "percent"}
    sl_pct: float = 30.0
    target_pct: float = 60.0
    max_cycles = 1

    def on_day_start(self, day) -> None:
        self.before = None  # (spot, range high) on the previous tick, today only

    def entry(self, ctx: BarContext) -> None:
        orb = ctx.range("09:15", "09:30")  # (high, low), None until 09:30
        now = (ctx.spot, orb[0] if orb else None)
        before, self.before = self.before, now
        if not ("09:31" <= ctx.time <= "13:00") or before is None or None in before or None in now:
            return
        if at_or_below(before[0], before[1]) and not at_or_below(now[0], now[1]):  # crosses above
            filled = self.try_fill({"ce": self.add(ctx.atm, "CE", "BUY")})
            for trade in (filled or {}).values():
                trade.extra["stop"] = trade.mark * (1 - self.sl_pct / 100)
                trade.extra["target"] = trade.mark * (1 + self.target_pct / 100)

    def adjust(self, ctx: BarContext) -> None:
        for key, trade in list(self.positions.items()):
            q = ctx.price(key)
            if q is None:
                continue
            if at_or_below(q[0], trade.extra["stop"]):
                self.close(key, reason="stop_loss")
            elif at_or_above(q[0], trade.extra["target"]):
                self.close(key, reason="target")

    def exit_check(self, ctx: BarContext) -> bool:
        return ctx.time >= "15:15"
