'Compiled by optbt from straddle_shift.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, le, ne, num, nz


class StraddleShift(DslStrategy):
    'Short straddle that rolls the call to ATM when it decays'

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
            ('stop_loss', None, 'pct', 40.0),
        ]

    def shift_rules(self, ctx):
        out = []
        if le(self.leg_ltp(ctx, 'ce'), (self.leg_entry_price(ctx, 'ce') * 0.5)):
            out.append(('ce', self.strike_atm(ctx, 0)))
        return out

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready
