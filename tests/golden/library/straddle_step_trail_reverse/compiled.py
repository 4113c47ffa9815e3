'Compiled by optbt from straddle_step_trail_reverse.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.legplan import LegPlanStrategy
from optbt.dsl.runtime import DslStrategy, ne, num, nz


class StraddleStepTrailReverse(LegPlanStrategy):
    'ATM straddle, 20 % SL trailed in steps, reverse re-entry on a stop'

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
            ('stop_loss', None, 'pct', 20.0),
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

    def reentry_rules(self):
        return [
            (None, 'stop_loss', 'asap', True, 1),
        ]

    def trail_rules(self):
        return [
            (None, None, ('pct', 10.0), ('pct', 5.0), None),
        ]
