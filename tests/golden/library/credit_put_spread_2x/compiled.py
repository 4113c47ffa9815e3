'Compiled by optbt from credit_put_spread_2x.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz
from optbt.dsl.runtime import PositionRules, LegStrikes


class CreditPutSpread2x(PositionRules, LegStrikes, DslStrategy):
    'Credit put spread with a 2x credit stop and a 50 % credit target'

    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'

    def legs(self, ctx):
        pending = {}
        strike = self.strike_moneyness(ctx, 'PE', 1, False)
        if strike is None:
            return None
        pending['short_pe'] = self.add(strike, 'PE', 'SELL', 1)
        strike = self.strike_from(ctx, pending, 'short_pe', -200.0)
        if strike is None:
            return None
        pending['long_pe'] = self.add(strike, 'PE', 'BUY', 1)
        return {'short_pe': pending['short_pe'], 'long_pe': pending['long_pe']}

    def entry_ready(self, ctx):
        return ctx.time >= '09:25'

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready

    def position_rules(self):
        return {
            'credit_stop': ('times', 2.0),
            'credit_target': ('pct', 50.0),
        }
