'Compiled by optbt from expiry_straddle_lock_trail.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, le, ne, num, nz
from optbt.dsl.runtime import PositionRules


class ExpiryStraddleLockTrail(PositionRules, DslStrategy):
    'Expiry-week ATM straddle with an overall stop and lock-and-trail'

    lots: int = 1
    risk: float = 3000.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'risk': [2000.0, 3000.0, 4000.0]}
    PARAM_RULES = {'risk': (('positive', 'an overall stop'),)}

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 0),
            self.strike_atm(ctx, 0),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'SELL', self.lots),
            'pe': self.add(strikes[1], 'PE', 'SELL', self.lots),
        }

    def entry_ready(self, ctx):
        return ctx.time >= '09:20' and (le(num(ctx.dte), 2.0))

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', 25.0),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready

    def position_rules(self):
        return {
            'overall_stop': ('money', self.risk),
            'lock': (1000.0, 400.0, 250.0, 150.0),
        }
