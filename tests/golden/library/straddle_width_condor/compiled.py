'Compiled by optbt from straddle_width_condor.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz
from optbt.dsl.runtime import PositionRules, LegStrikes


class StraddleWidthCondor(PositionRules, LegStrikes, DslStrategy):
    'Straddle-width iron condor with wings 200 points out'

    width: float = 0.5
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'width': [0.5, 0.75, 1.0]}
    PARAM_RULES = {'width': (('positive', 'the straddle multiple'),)}

    def legs(self, ctx):
        pending = {}
        strike = self.strike_straddle(ctx, self.width)
        if strike is None:
            return None
        pending['sell_ce'] = self.add(strike, 'CE', 'SELL', 1)
        strike = self.strike_straddle(ctx, -self.width)
        if strike is None:
            return None
        pending['sell_pe'] = self.add(strike, 'PE', 'SELL', 1)
        strike = self.strike_from(ctx, pending, 'sell_ce', 200.0)
        if strike is None:
            return None
        pending['buy_ce'] = self.add(strike, 'CE', 'BUY', 1)
        strike = self.strike_from(ctx, pending, 'sell_pe', -200.0)
        if strike is None:
            return None
        pending['buy_pe'] = self.add(strike, 'PE', 'BUY', 1)
        return {'sell_ce': pending['sell_ce'], 'sell_pe': pending['sell_pe'], 'buy_ce': pending['buy_ce'], 'buy_pe': pending['buy_pe']}

    def entry_ready(self, ctx):
        return ctx.time >= '09:30'

    def exit_ready(self, ctx):
        return ctx.time >= '15:10'
    exit_check = exit_ready

    def position_rules(self):
        return {
            'overall_target': ('pct', 40.0),
            'overall_stop': ('money', 4000.0),
        }
