"""Instruments, legs and trades: the plain data a strategy talks in.

A :class:`Leg` is an order intent (instrument, side, lots); a :class:`Trade` is a leg that
was filled, and later closed. Short spellings users type (``"CE"``, ``"call"``, ``"SELL"``,
``"s"``) are normalised here, once, with a clear error for anything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

_OPT_TYPES = {"CE": "CE", "C": "CE", "CALL": "CE", "PE": "PE", "P": "PE", "PUT": "PE"}
_SIDES = {"BUY": "BUY", "B": "BUY", "LONG": "BUY", "SELL": "SELL", "S": "SELL", "SHORT": "SELL"}


def normalise_opt_type(value: str) -> str:
    """'CE' or 'PE' from any usual spelling.

    >>> normalise_opt_type("call"), normalise_opt_type("P")
    ('CE', 'PE')
    """
    key = str(value).strip().upper()
    if key not in _OPT_TYPES:
        raise ValueError(f"unknown option type {value!r}: use CE or PE (also C/P, call/put)")
    return _OPT_TYPES[key]


def normalise_side(value: str) -> str:
    """'BUY' or 'SELL' from any usual spelling.

    >>> normalise_side("sell"), normalise_side("B")
    ('SELL', 'BUY')
    """
    key = str(value).strip().upper()
    if key not in _SIDES:
        raise ValueError(f"unknown side {value!r}: use BUY or SELL")
    return _SIDES[key]


@dataclass(frozen=True, slots=True, order=True)
class Instrument:
    """One option contract. Hashable: the day cache is keyed by it."""

    underlying: str
    expiry: date
    strike: float
    opt_type: str  # "CE" | "PE"

    def __str__(self) -> str:
        strike = int(self.strike) if float(self.strike).is_integer() else self.strike
        return f"{self.underlying} {self.expiry.isoformat()} {strike} {self.opt_type}"


@dataclass(frozen=True, slots=True)
class Leg:
    """An order intent: buy or sell ``qty`` lots of one instrument. Made by ``Strategy.add``."""

    instrument: Instrument
    side: str  # "BUY" | "SELL"
    qty: int = 1

    @property
    def sign(self) -> int:
        """+1 for a long leg, -1 for a short one: PnL = sign * (exit - entry)."""
        return 1 if self.side == "BUY" else -1

    @property
    def strike(self) -> float:
        return self.instrument.strike

    @property
    def opt_type(self) -> str:
        return self.instrument.opt_type

    @property
    def expiry(self) -> date:
        return self.instrument.expiry


@dataclass(slots=True)
class Trade:
    """A filled leg. Open while ``exit_ts`` is None; every fill keeps its tick, price and lag."""

    key: str
    leg: Leg
    day: date
    cycle: int
    entry_ts: Any
    entry_price: float
    entry_lag: int
    entry_reason: str = "entry"
    exit_ts: Any = None
    exit_price: float | None = None
    exit_lag: int | None = None
    exit_reason: str | None = None
    costs: float = 0.0
    pnl: float = 0.0
    lot_size: float = 1.0
    entry_mark: float | None = None  # the tick's price at entry (the mid for quote data), before bid/ask
    extra: dict = field(default_factory=dict)
    charges: dict | None = None  # CHARGE_COLUMNS -> amount, entry and exit orders (a charge schedule only)
    slippage: float = 0.0  # what the fills cost against the tick's price (spread + slippage), in currency
    mae: float = 0.0  # max adverse excursion: the worst open PnL while held (<= 0), before costs
    mfe: float = 0.0  # max favourable excursion: the best open PnL while held (>= 0), before costs

    @property
    def instrument(self) -> Instrument:
        return self.leg.instrument

    @property
    def side(self) -> str:
        return self.leg.side

    @property
    def qty(self) -> int:
        return self.leg.qty

    @property
    def is_open(self) -> bool:
        return self.exit_ts is None

    @property
    def mark(self) -> float:
        """The tick's price when the leg opened (its close, or the mid for quote data), before
        the fill's bid/ask and slippage: what a stop, a target or "cost" is measured from, as
        in .strat (``trade.mark * 1.3`` is a 30 % stop on a short leg whatever the costs)."""
        return self.entry_price if self.entry_mark is None else self.entry_mark

    def open_pnl(self, price: float) -> float:
        """Currency PnL if the trade were closed at ``price`` (before exit costs)."""
        return self.leg.sign * (price - self.entry_price) * self.leg.qty * self.lot_size - self.costs

    def row(self) -> dict:
        """The trade as one row of ``trades.csv`` (the pinned column order)."""
        inst = self.leg.instrument
        return {
            "day": self.day, "cycle": self.cycle, "key": self.key,
            "underlying": inst.underlying, "expiry": inst.expiry, "strike": inst.strike,
            "opt_type": inst.opt_type, "side": self.leg.side, "qty": self.leg.qty,
            "entry_ts": self.entry_ts, "entry_price": self.entry_price, "entry_lag": self.entry_lag,
            "exit_ts": self.exit_ts, "exit_price": self.exit_price, "exit_lag": self.exit_lag,
            "exit_reason": self.exit_reason, "costs": self.costs, "pnl": self.pnl,
            **(self.charges or _NO_CHARGES), "slippage": self.slippage, "mae": self.mae, "mfe": self.mfe,
        }


# a broker's charges by contract-note line (optbt.engine.charges); 0 in runs without a schedule
CHARGE_COLUMNS = ("brokerage", "stt", "exchange", "sebi", "stamp", "gst", "fees")
_NO_CHARGES = dict.fromkeys(CHARGE_COLUMNS, 0.0)


TRADE_COLUMNS = (
    "day", "cycle", "key", "underlying", "expiry", "strike", "opt_type", "side", "qty",
    "entry_ts", "entry_price", "entry_lag", "exit_ts", "exit_price", "exit_lag",
    "exit_reason", "costs", "pnl", *CHARGE_COLUMNS, "slippage", "mae", "mfe",
)
