'Compiled by optbt from weekday_dte_straddle.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, le, ne, num, nz


class WeekdayDteStraddle(DslStrategy):
    'Short straddle on Mon-Thu when the weekly expiry is 0-2 days away'

    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'

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
        return ctx.time >= '09:20' and ((ctx.weekday in ('Mon', 'Tue', 'Wed', 'Thu',)) and (le(num(ctx.dte), 2.0)))

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', 35.0),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15' or (le(ctx.mtm, -6000.0))
