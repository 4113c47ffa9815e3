'Compiled by optbt from monthly_strangle_trail_mtm.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class MonthlyStrangleTrailMtm(DslStrategy):
    'Monthly short strangle with trailing MTM'

    max_cycles = 1
    underlying = 'NIFTY'
    expiry = 'monthly'
    square_off = 'partial'

    def legs(self, ctx):
        strikes = (
            self.strike_otm(ctx, 'CE', 2.0),
            self.strike_otm(ctx, 'PE', 2.0),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'SELL', 1),
            'pe': self.add(strikes[1], 'PE', 'SELL', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= '09:45'

    def mtm_rules(self):
        return [('mtm_stop', 'money', 8000.0)]

    def trail_mtm(self):
        return (3000.0, 1000.0)

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready
