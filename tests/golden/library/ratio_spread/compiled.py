'Compiled by optbt from ratio_spread.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz
from optbt.dsl.runtime import PositionRules


class RatioSpread(PositionRules, DslStrategy):
    "1x2 call ratio spread with a stop on the day's total PnL"

    short_lots: int = 2
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 0),
            self.strike_atm(ctx, 3),
        )
        if None in strikes:
            return None
        return {
            'long_ce': self.add(strikes[0], 'CE', 'BUY', 1),
            'short_ce': self.add(strikes[1], 'CE', 'SELL', self.short_lots),
        }

    def entry_ready(self, ctx):
        return ctx.time >= '09:30'

    def leg_rules(self):
        return [
            ('stop_loss', 'short_ce', 'pts', 60.0),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:10'
    exit_check = exit_ready

    def position_rules(self):
        return {
            'overall_stop': ('money', 5000.0),
        }
