'Compiled by optbt from straddle_920_costed.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz


class Straddle920Costed(DslStrategy):
    'Sell the ATM straddle at 09:20 with NSE charges and 0.5 pt slippage'

    sl_pct: float = 30.0
    max_cycles = 1
    expiry = 'nearest'
    square_off = 'partial'
    SWEEP = {'sl_pct': [20.0, 30.0, 40.0, 50.0]}
    PARAM_RULES = {'sl_pct': (('positive', 'a stop loss'),)}
    COSTS = {'preset': 'nse', 'slippage': 0.5, 'slippage_unit': 'points'}

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

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready
