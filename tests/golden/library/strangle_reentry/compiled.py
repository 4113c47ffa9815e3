'Compiled by optbt from strangle_reentry.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class StrangleReentry(DslStrategy):
    'Short OTM strangle with 25 % leg stops, re-entered up to 3 times'

    entry_time: str = '09:30'
    exit_time: str = '15:10'
    sl_pct: float = 25.0
    max_cycles = 3
    expiry = 'nearest'
    square_off = 'complete'
    SWEEP = {'sl_pct': [20.0, 25.0, 35.0]}
    PARAM_RULES = {'sl_pct': (('positive', 'a stop loss'),)}

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 2),
            self.strike_atm(ctx, -2),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'SELL', 1),
            'pe': self.add(strikes[1], 'PE', 'SELL', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= self.entry_time

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', self.sl_pct),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= self.exit_time
    exit_check = exit_ready
