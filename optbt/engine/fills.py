"""Fill prices and costs: the one place that decides what a fill costs.

Buys fill at the ask and sells at the bid where the data has a usable quote, else at the
tick's price; slippage then moves the price against you; commission is charged per lot per
order (plus a flat amount per order, if set); a charge schedule (``charges``: a broker's
contract-note charges, :mod:`optbt.engine.charges`) adds its breakdown to each trade. All zero
unless the run, the strategy (``.strat`` ``costs`` section) or the dataset config sets them.

>>> m = CostModel(slippage=1.0)
>>> m.price("BUY", 100.0, None, None), m.price("SELL", 100.0, 99.5, 100.5)
(101.0, 98.5)
>>> CostModel(slippage=10, slippage_unit="percent").price("SELL", 50.0, None, None)
45.0
"""

from __future__ import annotations

from dataclasses import dataclass

from optbt.data.dataset import Costs
from optbt.engine.charges import ChargeSchedule, load_schedule
from optbt.model.instrument import Trade


@dataclass(frozen=True, slots=True)
class CostModel:
    slippage: float = 0.0
    slippage_unit: str = "points"  # "points" | "percent"
    commission_per_lot: float = 0.0
    commission_per_order: float = 0.0
    charges: ChargeSchedule | None = None

    @classmethod
    def from_config(cls, costs: Costs) -> "CostModel":
        return cls(costs.slippage, costs.slippage_unit, costs.commission_per_lot, costs.commission_per_order,
                   load_schedule(costs.preset) if costs.preset else None)

    def price(self, side: str, price: float, bid: float | None, ask: float | None) -> float:
        """The effective fill price of a ``side`` order at a tick."""
        if side == "BUY":
            base = ask if ask is not None else price
        else:
            base = bid if bid is not None else price
        if not self.slippage:
            return base
        slip = self.slippage if self.slippage_unit == "points" else base * self.slippage / 100.0
        return base + slip if side == "BUY" else max(base - slip, 0.0)

    def commission(self, qty: int) -> float:
        if self.commission_per_order:
            return self.commission_per_lot * qty + self.commission_per_order
        return self.commission_per_lot * qty

    def charge(self, trade: Trade, side: str, price: float) -> None:
        """Add one executed order's charges (the schedule's breakdown) to ``trade``'s costs."""
        note = self.charges.order(side, price, trade.leg.qty, trade.lot_size)
        # rounded to 1e-8 like pnl: 0.00425 must not print as 0.0042499999999999994
        if trade.charges is None:
            trade.charges = {column: round(amount, 8) for column, amount in note.items()}
        else:
            for column, amount in note.items():
                trade.charges[column] = round(trade.charges[column] + amount, 8)
        trade.costs = round(trade.costs + sum(note.values()), 8)
