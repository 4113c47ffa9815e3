'Compiled by optbt from straddle_920_recost.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.legplan import LegPlanStrategy
from optbt.dsl.runtime import DslStrategy, ne, num, nz


class Straddle920Recost(LegPlanStrategy):
    '09:20 short straddle, 25 % SL per leg, re-entry at cost up to 2 times a leg'

    sl_pct: float = 25.0
    n_re: int = 2
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'sl_pct': [20.0, 25.0, 30.0], 'n_re': [1.0, 2.0, 3.0]}
    PARAM_RULES = {'sl_pct': (('positive', 'a stop loss'),), 'n_re': (('reentries', 'a re-entry count'),)}
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
            ('stop_loss', None, 'pct', self.sl_pct),
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
            (None, 'stop_loss', 'cost', False, self.n_re),
        ]
