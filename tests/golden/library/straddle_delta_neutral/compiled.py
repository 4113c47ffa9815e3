'Compiled by optbt from straddle_delta_neutral.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, gt, lt, ne, num, nz


class StraddleDeltaNeutral(DslStrategy):
    'Short straddle that rolls the untested side when net delta passes 0.15'

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
        return ctx.time >= '09:20'

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', 50.0),
        ]

    def shift_rules(self, ctx):
        out = []
        if gt(num(ctx.net_delta), 0.15):
            out.append(('ce', self.strike_delta(ctx, 'CE', '~', 0.5)))
        if lt(num(ctx.net_delta), -0.15):
            out.append(('pe', self.strike_delta(ctx, 'PE', '~', 0.5)))
        return out

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready
