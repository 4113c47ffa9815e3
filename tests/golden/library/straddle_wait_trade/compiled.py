'Compiled by optbt from straddle_wait_trade.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.legplan import LegPlanStrategy
from optbt.dsl.runtime import DslStrategy, ne, num, nz


class StraddleWaitTrade(LegPlanStrategy):
    'ATM straddle sold leg by leg after a 10 % premium drop from 09:20'

    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    LEG_NAMES = ('ce', 'pe')
    LAZY = ()

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 0),
            self.strike_atm(ctx, 0),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'SELL', 1),
            'pe': self.add(strikes[1], 'PE', 'SELL', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= '09:20'

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', 30.0),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready

    def leg_one(self, ctx, name):
        if name == 'ce':
            strike = self.strike_atm(ctx, 0)
            return None if strike is None else self.add(strike, 'CE', 'SELL', 1)
        elif name == 'pe':
            strike = self.strike_atm(ctx, 0)
            return None if strike is None else self.add(strike, 'PE', 'SELL', 1)
        return None

    def leg_waits(self):
        return {
            'ce': ('down', 'pct', 10.0),
            'pe': ('down', 'pct', 10.0),
        }
