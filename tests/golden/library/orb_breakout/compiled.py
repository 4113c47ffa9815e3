'Compiled by optbt from orb_breakout.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class OrbBreakout(DslStrategy):
    'Buy the ATM call on a breakout above the 09:15-09:30 opening range'

    sl_pct: float = 30.0
    target_pct: float = 60.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'sl_pct': [20.0, 30.0, 40.0]}
    PARAM_RULES = {'sl_pct': (('positive', 'a stop loss'),), 'target_pct': (('positive', 'a target'),)}

    def legs(self, ctx):
        strikes = (self.strike_atm(ctx, 0),)
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'BUY', 1),
        }

    def entry_ready(self, ctx):
        return '09:31' <= ctx.time <= '13:00' and (self.crossed(0, 1, 'above'))

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', self.sl_pct),
            ('target', None, 'pct', self.target_pct),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready

    RANGES = {'orb': ('09:15', '09:30')}
    TRACKED = (
        lambda self, ctx: num(ctx.spot),
        lambda self, ctx: self.range_field(ctx, 'orb', 'high'),
    )
