'Compiled by optbt from straddle_920.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class Straddle920(DslStrategy):
    'Sell the ATM straddle at 09:20, 30 % stop per leg, out at 15:15'

    entry_time: str = '09:20'
    exit_time: str = '15:15'
    sl_pct: float = 30.0
    lots: int = 1
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'sl_pct': [20.0, 30.0, 40.0, 50.0]}
    PARAM_RULES = {'sl_pct': (('positive', 'a stop loss'),)}

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 0),
            self.strike_atm(ctx, 0),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'SELL', self.lots),
            'pe': self.add(strikes[1], 'PE', 'SELL', self.lots),
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
