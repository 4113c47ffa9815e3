"""The language's functions, in one table: ``abs(x)``, ``min(a, b)``, ``max(a, b)``, the
indicators on the underlying (``ema(spot, 20)``, ``rsi(spot, 14, 5m)``,
``bollinger(spot, 20, 2).upper``, ...) and ``prev_day(n).close``.

Each entry says what the checker needs (arguments, fields, the type of the result), how the
compiler writes a call in Python, and the words ``explain`` uses. Adding a function is adding
an entry here; the grammar's call syntax, the checks, ``fmt`` and ``explain`` read this table.

Semantics shared by all: a value not known (no bar yet, an indicator not warm, NaN) makes
the result unknown (NaN), so a condition using it is false; ``min``/``max`` propagate NaN
(Python's own ``min(nan, 1)`` and ``min(1, nan)`` differ, so they are not used).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LOOKBACK = 500       # E0507: x[n] looks back at most this many ticks
MAX_PREV_DAYS = 5        # prev_day(n): n from 1 to 5 (optbt.engine.market.MAX_PREV_DAYS)
BAR_FIELDS = ("open", "high", "low", "close", "volume")
DAY_FIELDS = ("open", "high", "low", "close")


@dataclass(frozen=True)
class Function:
    """One function of the language.

    ``kind``: "math" (arguments are values: ``numbers`` of them, results keep their type),
    "indicator" (a source (spot or a declared series), ``params`` numbers, an optional
    interval) or "prev_day" (one whole number, a field required).
    """

    name: str
    kind: str
    numbers: int = 0                       # math: how many values
    params: tuple[str, ...] = ()           # indicator: the numeric arguments, in order
    fields: tuple[str, ...] = ()           # .field allowed after the call
    default_field: str | None = "value"    # None: a field must be written
    words: str = ""                        # explain: "the {n}-period EMA" etc.
    integer: tuple[bool, ...] = field(default=())  # indicator: which params are whole numbers


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("abs", "math", numbers=1, words="the size of"),
    Function("min", "math", numbers=2, words="the smaller of"),
    Function("max", "math", numbers=2, words="the larger of"),
    Function("sma", "indicator", params=("period",), integer=(True,), words="SMA"),
    Function("ema", "indicator", params=("period",), integer=(True,), words="EMA"),
    Function("rsi", "indicator", params=("period",), integer=(True,), words="RSI"),
    Function("atr", "indicator", params=("period",), integer=(True,), words="ATR"),
    Function("vwap", "indicator", params=(), words="VWAP (from the session's open)"),
    Function("bollinger", "indicator", params=("period", "width"), integer=(True, False),
             fields=("upper", "middle", "lower"), default_field=None, words="Bollinger band"),
    Function("supertrend", "indicator", params=("period", "multiplier"), integer=(True, False),
             fields=("direction",), words="Supertrend"),
    Function("prev_day", "prev_day", fields=DAY_FIELDS, default_field=None, words="previous trading day"),
)}


def signature(f: Function) -> str:
    """How a call is written, for messages and hover: ``ema(source, period[, interval])``."""
    if f.kind == "math":
        return f"{f.name}({', '.join('xyz'[i] for i in range(f.numbers))})" if f.numbers == 1 else \
            f"{f.name}(a, b)"
    if f.kind == "prev_day":
        return "prev_day(n[, series]).close"
    args = ", ".join(("source",) + f.params)
    tail = f".{'|'.join(f.fields)}" if f.default_field is None else ""
    return f"{f.name}({args}[, interval]){tail}"


def fmin(a: float, b: float) -> float:
    """``min`` for the language: NaN (unknown) when either side is.

    >>> fmin(1.0, 2.0), fmin(float("nan"), 1.0) != fmin(float("nan"), 1.0)
    (1.0, True)
    """
    return a if a <= b else b if b <= a else float("nan")


def fmax(a: float, b: float) -> float:
    """``max`` for the language: NaN (unknown) when either side is."""
    return a if a >= b else b if b >= a else float("nan")
