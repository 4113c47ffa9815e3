'Compiled by optbt from iron_fly_premium_wings.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz
from optbt.dsl.runtime import PositionRules, LegStrikes


class IronFlyPremiumWings(PositionRules, LegStrikes, DslStrategy):
    "Iron fly with wings chosen by the short legs' premium"

    wing_share: float = 20.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'wing_share': [15.0, 20.0, 25.0]}

    def legs(self, ctx):
        pending = {}
        strike = self.strike_atm(ctx, 0)
        if strike is None:
            return None
        pending['sell_ce'] = self.add(strike, 'CE', 'SELL', 1)
        strike = self.strike_atm(ctx, 0)
        if strike is None:
            return None
        pending['sell_pe'] = self.add(strike, 'PE', 'SELL', 1)
        strike = self.strike_premium_of(ctx, 'CE', '~', (self.pending_price(ctx, pending, 'sell_ce') * (self.wing_share / 100)))
        if strike is None:
            return None
        pending['buy_ce'] = self.add(strike, 'CE', 'BUY', 1)
        strike = self.strike_premium_of(ctx, 'PE', '~', (self.pending_price(ctx, pending, 'sell_pe') * (self.wing_share / 100)))
        if strike is None:
            return None
        pending['buy_pe'] = self.add(strike, 'PE', 'BUY', 1)
        return {'sell_ce': pending['sell_ce'], 'sell_pe': pending['sell_pe'], 'buy_ce': pending['buy_ce'], 'buy_pe': pending['buy_pe']}

    def entry_ready(self, ctx):
        return ctx.time >= '09:20'

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready

    def position_rules(self):
        return {
            'credit_target': ('pct', 50.0),
            'credit_stop': ('times', 1.0),
        }
