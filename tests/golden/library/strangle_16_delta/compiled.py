'Compiled by optbt from strangle_16_delta.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class Strangle16Delta(DslStrategy):
    'Short strangle at the 16-delta call and put'

    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'

    def legs(self, ctx):
        strikes = (
            self.strike_delta(ctx, 'CE', '~', 0.16),
            self.strike_delta(ctx, 'PE', '~', 0.16),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'SELL', 1),
            'pe': self.add(strikes[1], 'PE', 'SELL', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= '09:25'

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', 100.0),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready
