'Compiled by optbt from straddle_sl_to_cost.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class StraddleSlToCost(DslStrategy):
    "Short straddle; after one stop, the other leg's stop moves to cost"

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
        return ctx.time >= '09:20'

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pct', self.sl_pct),
        ]

    def on_event(self, ctx, event, key):
        if event == 'stop_loss' and key == 'ce':
            self.move_stop_to_cost(['pe'])
        if event == 'stop_loss' and key == 'pe':
            self.move_stop_to_cost(['ce'])

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready
