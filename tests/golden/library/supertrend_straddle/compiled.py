'Compiled by optbt from supertrend_straddle.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, eq, gt, ne, num, nz


class SupertrendStraddle(DslStrategy):
    'Short straddle filtered by the 5-minute Supertrend'

    sl_pct: float = 30.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    PARAM_RULES = {'sl_pct': (('positive', 'a stop loss'),)}

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
        return '10:15' <= ctx.time <= '13:00' and ((eq(self.indicator(ctx, 'supertrend', 'spot', (10, 3.0), 5, 'direction'), 1.0)) and (gt(num(ctx.spot), self.indicator(ctx, 'supertrend', 'spot', (10, 3.0), 5, 'value'))))

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', self.sl_pct),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15' or (self.crossed(0, 1, 'below'))

    TRACKED = (
        lambda self, ctx: num(ctx.spot),
        lambda self, ctx: self.indicator(ctx, 'supertrend', 'spot', (10, 3.0), 5, 'value'),
    )
    WATCHED = (
        lambda self, ctx: self.indicator(ctx, 'supertrend', 'spot', (10, 3.0), 5, 'direction'),
        lambda self, ctx: self.indicator(ctx, 'supertrend', 'spot', (10, 3.0), 5, 'value'),
    )
