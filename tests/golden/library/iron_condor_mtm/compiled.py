'Compiled by optbt from iron_condor_mtm.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class IronCondorMtm(DslStrategy):
    'Iron condor with an overall MTM target and stop'

    entry_time: str = '09:20'
    exit_time: str = '15:15'
    target_pct: float = 40.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'target_pct': [30.0, 40.0, 50.0]}
    PARAM_RULES = {'target_pct': (('positive', 'an MTM target'),)}

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 2),
            self.strike_atm(ctx, -2),
            self.strike_atm(ctx, 6),
            self.strike_atm(ctx, -6),
        )
        if None in strikes:
            return None
        return {
            'sell_ce': self.add(strikes[0], 'CE', 'SELL', 1),
            'sell_pe': self.add(strikes[1], 'PE', 'SELL', 1),
            'buy_ce': self.add(strikes[2], 'CE', 'BUY', 1),
            'buy_pe': self.add(strikes[3], 'PE', 'BUY', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= self.entry_time

    def mtm_rules(self):
        return [('mtm_target', 'pct', self.target_pct), ('mtm_stop', 'money', 4000.0)]

    def exit_ready(self, ctx):
        return ctx.time >= self.exit_time
    exit_check = exit_ready
