'Compiled by optbt from put_credit_spread_0dte.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, eq, ne, num, nz
from optbt.dsl.runtime import PositionRules


class PutCreditSpread0dte(PositionRules, DslStrategy):
    '0DTE put credit spread: sell 10 delta, buy 5 delta, 2x credit stop'

    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'

    def legs(self, ctx):
        strikes = (
            self.strike_delta(ctx, 'PE', '>=', 0.1),
            self.strike_delta(ctx, 'PE', '<=', 0.05),
        )
        if None in strikes:
            return None
        return {
            'short_put': self.add(strikes[0], 'PE', 'SELL', 1),
            'long_put': self.add(strikes[1], 'PE', 'BUY', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= '09:30' and (eq(num(ctx.dte), 0.0))

    def exit_ready(self, ctx):
        return ctx.time >= '15:20'
    exit_check = exit_ready

    def position_rules(self):
        return {
            'credit_stop': ('times', 2.0),
        }
