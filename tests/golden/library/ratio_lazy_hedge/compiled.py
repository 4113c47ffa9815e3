'Compiled by optbt from ratio_lazy_hedge.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.legplan import LegPlanStrategy
from optbt.dsl.runtime import DslStrategy, ne, num, nz


class RatioLazyHedge(LegPlanStrategy):
    '1x2 call ratio spread; a far call is bought only when the shorts stop out'

    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    LEG_NAMES = ('long_ce', 'short_ce', 'hedge_ce')
    LAZY = ('hedge_ce',)

    def legs(self, ctx):
        strikes = (
            self.strike_atm(ctx, 0),
            self.strike_atm(ctx, 2),
            self.strike_atm(ctx, 4),
        )
        if None in strikes:
            return None
        return {
            'long_ce': self.add(strikes[0], 'CE', 'BUY', 1),
            'short_ce': self.add(strikes[1], 'CE', 'SELL', 2),
            'hedge_ce': self.add(strikes[2], 'CE', 'BUY', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= '09:30'

    def leg_rules(self):
        return [
            ('stop_loss', 'short_ce', 'pct', 40.0),
        ]

    def on_event(self, ctx, event, key):
        if event == 'stop_loss' and key == 'short_ce':
            self.open_leg(ctx, 'hedge_ce')

    def exit_ready(self, ctx):
        return ctx.time >= '15:10'
    exit_check = exit_ready

    def leg_one(self, ctx, name):
        if name == 'long_ce':
            strike = self.strike_atm(ctx, 0)
            return None if strike is None else self.add(strike, 'CE', 'BUY', 1)
        elif name == 'short_ce':
            strike = self.strike_atm(ctx, 2)
            return None if strike is None else self.add(strike, 'CE', 'SELL', 2)
        elif name == 'hedge_ce':
            strike = self.strike_atm(ctx, 4)
            return None if strike is None else self.add(strike, 'CE', 'BUY', 1)
        return None
