"""Position-level building blocks for strategies (Python or compiled ``.strat``): the net credit
of a set of legs, the ATM straddle's premium, the synthetic-futures ATM, strikes relative to
another strike, and the stepped lock of the day's profit.

Everything here reads the current tick only (``ctx``): nothing can look ahead. A value that is
not known yet (no spot, no live price) is ``None``, never an error.

    from optbt.engine.position import net_credit, straddle_premium, snap_strike, ProfitLock
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from optbt.model.levels import at_or_above, at_or_below
from optbt.model.strikes import nearest_strike


def net_credit(trades: Iterable) -> float:
    """Premium received minus premium paid, in currency: each sold leg adds its entry price ×
    lots × lot size, each bought leg takes it away. Positive for a credit position (a short
    straddle, a credit spread, an iron condor), negative for a debit one."""
    return sum(-t.leg.sign * t.entry_price * t.qty * t.lot_size for t in trades)


def live_price(ctx, strike: float, opt_type: str, expiry=None) -> float | None:
    """The price of a contract at this tick, only when it traded on this tick (lag 0): premium
    and straddle rules, like ``strike_by_premium``, never use a stale price."""
    from optbt.model.instrument import Instrument
    run = ctx._run
    q = ctx.price(Instrument(run.underlying, run.expiry_for(expiry), float(strike), opt_type))
    return None if q is None or q[1] != 0 else q[0]


def straddle_premium(ctx, atm: float | None = None, expiry=None) -> float | None:
    """The ATM straddle's premium at this tick: the ATM call's price plus the ATM put's
    (``atm`` defaults to the spot's ATM), or None when either has no live price."""
    atm = ctx.atm if atm is None else atm
    if atm is None:
        return None
    ce, pe = live_price(ctx, atm, "CE", expiry), live_price(ctx, atm, "PE", expiry)
    return None if ce is None or pe is None else ce + pe


def synthetic_future(ctx, expiry=None) -> float | None:
    """The underlying's price implied by put-call parity at the spot's ATM strike K:
    K + call(K) - put(K), from this tick's live prices; None when either is missing."""
    k = ctx.atm
    if k is None:
        return None
    ce, pe = live_price(ctx, k, "CE", expiry), live_price(ctx, k, "PE", expiry)
    return None if ce is None or pe is None else k + ce - pe


def synthetic_atm(ctx, expiry=None) -> float | None:
    """ATM from the synthetic future instead of the spot: the listed strike nearest it (ties up)."""
    f = synthetic_future(ctx, expiry)
    return None if f is None else snap_strike(ctx, f, expiry)


def snap_strike(ctx, level: float, expiry=None) -> float | None:
    """The listed strike nearest ``level`` (ties go up), or ``level`` rounded to the strike step
    when the chain lists none; None for a level that is not a number."""
    if level is None or not math.isfinite(level):
        return None
    return nearest_strike(level, ctx.strike_step, tuple(ctx.chain(expiry)))


def moneyness_offset(opt_type: str, steps: int, itm: bool) -> int:
    """Strike steps from ATM for ``ITM n`` / ``OTM n``: in the money is below ATM for a call and
    above it for a put; out of the money the other way.

    >>> moneyness_offset("CE", 2, itm=True), moneyness_offset("PE", 2, itm=True), moneyness_offset("CE", 1, itm=False)
    (-2, 2, 1)
    """
    up = (opt_type == "PE") == itm
    return steps if up else -steps


@dataclass
class ProfitLock:
    """"When the day's profit reaches ``at``, lock ``keep``; for every further ``every``, raise
    the lock by ``by``" (``every``/``by`` None: a plain lock). Feed it the PnL tick by tick with
    :meth:`hit`; it answers True on the tick the PnL falls back to the lock.

    >>> lock = ProfitLock(2000, 1000, 500, 250)
    >>> [lock.hit(p) for p in (1500, 2100, 2600, 3100, 1600, 1500)], lock.floor
    ([False, False, False, False, False, True], 1500.0)
    """

    at: float
    keep: float
    every: float | None = None
    by: float | None = None
    best: float | None = None   # the best PnL since the lock armed (None: not armed yet)

    @property
    def floor(self) -> float | None:
        """The PnL the lock exits at now (None before it arms)."""
        if self.best is None:
            return None
        if not self.every or not self.by:
            return float(self.keep)
        steps = math.floor((self.best - self.at) / self.every)
        if at_or_above(self.best, self.at + (steps + 1) * self.every):  # a float a hair short of a step
            steps += 1
        return float(self.keep + max(steps, 0) * self.by)

    def hit(self, pnl: float) -> bool:
        if self.best is None:
            if not at_or_above(pnl, self.at):
                return False
            self.best = pnl
        else:
            self.best = max(self.best, pnl)
        return at_or_below(pnl, self.floor)
