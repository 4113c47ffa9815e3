'Compiled by optbt from rsi_range_straddle.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, gt, lt, ne, num, nz


class RsiRangeStraddle(DslStrategy):
    'Short straddle when the 5-minute RSI is between 40 and 60'

    rsi_low: float = 40.0
    rsi_high: float = 60.0
    sl_pct: float = 25.0
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
        return '10:30' <= ctx.time <= '13:30' and ((gt(self.indicator(ctx, 'rsi', 'spot', (14,), 5, 'value'), self.rsi_low)) and (lt(self.indicator(ctx, 'rsi', 'spot', (14,), 5, 'value'), self.rsi_high)) and (lt(abs((num(ctx.spot) - self.indicator(ctx, 'ema', 'spot', (20,), 1, 'value'))), (num(ctx.spot) * 0.003))))

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', self.sl_pct),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15' or ((gt(self.indicator(ctx, 'rsi', 'spot', (14,), 5, 'value'), 70.0)) or (lt(self.indicator(ctx, 'rsi', 'spot', (14,), 5, 'value'), 30.0)))

    WATCHED = (
        lambda self, ctx: self.indicator(ctx, 'rsi', 'spot', (14,), 5, 'value'),
        lambda self, ctx: self.indicator(ctx, 'ema', 'spot', (20,), 1, 'value'),
    )
