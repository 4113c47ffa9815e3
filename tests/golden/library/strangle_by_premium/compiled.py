'Compiled by optbt from strangle_by_premium.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class StrangleByPremium(DslStrategy):
    'Short strangle at the strikes whose premium is closest to 50'

    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'

    def legs(self, ctx):
        strikes = (
            self.strike_premium(ctx, 'CE', '~', 50.0),
            self.strike_premium(ctx, 'PE', '~', 50.0),
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
            ('stop_loss', None, 'pct', 40.0),
            ('target', None, 'pct', 50.0),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready
