'Compiled by optbt from vix_gap_strangle.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, lt, ne, num, nz


class VixGapStrangle(DslStrategy):
    'Short strangle entered only when VIX < 20 and |gap| < 0.5 %'

    vix_max: float = 20.0
    gap_max: float = 0.5
    sl_pct: float = 40.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'vix_max': [16.0, 18.0, 20.0, 22.0]}
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
        return ctx.time >= '09:20' and ((lt(self.bar_field(ctx, 'vix', 'close'), self.vix_max)) and (lt(abs(self.gap_of(ctx, 'spot', True)), self.gap_max)))

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', self.sl_pct),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready

    SERIES = ('vix',)
