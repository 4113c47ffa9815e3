"""What a trade went through while it was held: its slippage, and its max adverse and favourable
excursion (MAE/MFE), settled once when it closes.

MAE and MFE are the worst and best open PnL of the trade, in currency like ``pnl``, at the
tick prices the engine already has for that contract (close, or the mid for quote data) from
its entry tick to its exit tick, both included, against the entry fill and before costs:
``mae <= 0 <= mfe``. They are computed at the close from the day cache's series (nothing is
added to the per-tick loop) and decide nothing, so they cannot look ahead.

Slippage is what the two fills cost against the tick's price (the bid/ask spread and any
slippage setting), in currency: already inside ``pnl`` through the fill prices, shown apart.

>>> from datetime import date
>>> from optbt.model.instrument import Instrument, Leg, Trade
>>> leg = Leg(Instrument("NIFTY", date(2024, 1, 4), 21000.0, "CE"), "SELL", 2)
>>> t = Trade("ce", leg, date(2024, 1, 2), 1, 0, entry_price=99.0, entry_lag=0, lot_size=50,
...           entry_mark=100.0, exit_price=91.0)
>>> settle(t, [(100.0, 0), (104.0, 0), None, (90.0, 0)], 0, 3, 90.0)
>>> t.mae, t.mfe, t.slippage    # short at 99: worst at 104 (-5 x 100), best at 90 (+9 x 100)
(-500.0, 900.0, 200.0)
"""

from __future__ import annotations

from optbt.model.instrument import Trade


def settle(trade: Trade, quotes: list, entry_tick: int, exit_tick: int, exit_mark: float | None) -> None:
    """Set ``trade``'s mae, mfe and slippage from its contract's quotes (one per tick of the day)."""
    leg = trade.leg
    scale = leg.qty * trade.lot_size
    sign, entry = leg.sign, trade.entry_price
    lo = hi = None
    for q in quotes[max(entry_tick, 0):exit_tick + 1]:
        if q is None:
            continue
        p = q[0]
        if lo is None:
            lo = hi = p
        elif p < lo:
            lo = p
        elif p > hi:
            hi = p
    if lo is not None:
        worst, best = (lo, hi) if sign > 0 else (hi, lo)
        trade.mae = round(min(0.0, sign * (worst - entry) * scale), 8)
        trade.mfe = round(max(0.0, sign * (best - entry) * scale), 8)
    slip = 0.0
    if trade.entry_mark is not None:
        slip += sign * (entry - trade.entry_mark)
    if exit_mark is not None and trade.exit_price is not None:
        slip += sign * (exit_mark - trade.exit_price)
    trade.slippage = round(slip * scale, 8)
