'Compiled by optbt from long_straddle_breakout.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ge, ne, num, nz


class LongStraddleBreakout(DslStrategy):
    'Long ATM straddle with per-leg trailing stops'

    trail: float = 20.0
    sl_pct: float = 30.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    PARAM_RULES = {'sl_pct': (('positive', 'a stop loss'),), 'trail': (('positive', 'a trailing'),)}

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 0),
            self.strike_atm(ctx, 0),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'BUY', 1),
            'pe': self.add(strikes[1], 'PE', 'BUY', 1),
        }

    def entry_ready(self, ctx):
        return '09:30' <= ctx.time <= '11:00' and (ge(num(ctx.dte), 1.0))

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', self.sl_pct),
            ('trailing', None, 'pct', self.trail),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:20'
    exit_check = exit_ready
