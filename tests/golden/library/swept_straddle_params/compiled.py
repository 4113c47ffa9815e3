'Compiled by optbt from swept_straddle_params.strat: edit the .strat file and compile again.'

from __future__ import annotations

from optbt.dsl.runtime import DslStrategy, ne, num, nz
from optbt.dsl.runtime import PositionRules, LegStrikes


class SweptStraddleParams(PositionRules, LegStrikes, DslStrategy):
    'Straddle with parameters in strikes, stops and expiry'

    off: int = 0
    sl_pts: float = 30.0
    day_risk: float = 2500.0
    max_dte: int = 7
    entry_time: str = '09:20'
    max_cycles = 1
    square_off = 'partial'
    SWEEP = {'off': [-1.0, 0.0, 1.0], 'sl_pts': [20.0, 30.0, 40.0], 'entry_time': ['09:20', '09:45']}
    PARAM_RULES = {'max_dte': (('dte', 'days to expiry'),), 'off': (('signed_steps', 'strike steps'),), 'sl_pts': (('positive', 'a stop loss'),), 'day_risk': (('positive', 'an overall stop'),)}

    def legs(self, ctx):
        strikes = (
            self.strike_steps(ctx, self.off),
            self.strike_steps(ctx, -self.off),
        )
        if None in strikes:
            return None
        return {
            'ce': self.add(strikes[0], 'CE', 'SELL', 1),
            'pe': self.add(strikes[1], 'PE', 'SELL', 1),
        }

    def entry_ready(self, ctx):
        return ctx.time >= self.entry_time

    def leg_rules(self):
        return [
            ('stop_loss', None, 'pts', self.sl_pts),
        ]

    def exit_ready(self, ctx):
        return ctx.time >= '15:15'
    exit_check = exit_ready

    def position_rules(self):
        return {
            'overall_stop': ('money', self.day_risk),
        }

    @property
    def expiry(self):
        return 'dte<=' + str(int(self.max_dte))
