"""The parameter grid of a sweep: what a trader types after ``--grid``, checked and typed.

Lists are ``a,b,c``; ranges are inclusive, ``start:stop:step`` for numbers or
``start..stop/step`` for numbers and times (step in minutes). Values are coerced through the
strategy's parameter types here, so a typo fails before the first run, not in the middle.

>>> grid = {"sl_pct": [20.0, 30.0], "exit_time": ["15:00", "15:15"]}
>>> [p for p in expand_grid(grid)][:2]
[{'sl_pct': 20.0, 'exit_time': '15:00'}, {'sl_pct': 20.0, 'exit_time': '15:15'}]
>>> run_id({"sl_pct": 20.0}) == run_id({"sl_pct": 20})
False
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from optbt.engine.strategy import Strategy, coerce_param, looks_like_time, normalise_time
from optbt.model.errors import ConfigError, did_you_mean

MAX_RUNS = 100_000
MAX_VALUES = 10_000


def sweepable(cls: type[Strategy]) -> dict[str, tuple[Any, Any]]:
    """What a grid may name: the declared parameters plus ``max_cycles``."""
    params = dict(cls.parameters())
    params.setdefault("max_cycles", (int, cls.max_cycles))
    return params


def _is_time(typ: Any, default: Any) -> bool:
    return looks_like_time(typ, default)


def _number(text: str, name: str) -> Decimal:
    try:
        d = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise ConfigError(f"--grid {name}: {text!r} is not a number") from None
    if not d.is_finite():
        raise ConfigError(f"--grid {name}: {text!r} is not a finite number")
    return d


def _minutes(text: str, name: str) -> int:
    try:
        hour, minute = normalise_time(text, name).split(":")
    except ValueError as exc:
        raise ConfigError(f"--grid {exc}") from None
    return int(hour) * 60 + int(minute)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check_count(name: str, n: int) -> None:
    if n > MAX_VALUES:
        raise ConfigError(f"--grid {name}: {n} values is too many (at most {MAX_VALUES})")


def _range(name: str, typ: Any, default: Any, start: str, stop: str, step: str) -> list:
    """Inclusive range ``start..stop`` by ``step`` (minutes for time parameters)."""
    if _is_time(typ, default):
        a, b = _minutes(start, name), _minutes(stop, name)
        s = step.strip().lower().removesuffix("m").removesuffix("min")
        if ":" in s:
            s = str(_minutes(s, name))
        if not s.isdigit() or int(s) <= 0:
            raise ConfigError(f"--grid {name}: time step must be a whole number of minutes, got {step!r}")
        if b < a:
            raise ConfigError(f"--grid {name}: range ends ({stop}) before it starts ({start})")
        _check_count(name, (b - a) // int(s) + 1)
        return [_hhmm(m) for m in range(a, b + 1, int(s))]
    if typ not in (int, float):
        kind = getattr(typ, "__name__", str(typ))
        raise ConfigError(f"--grid {name}: a range needs a number or time parameter, {name} is {kind};"
                          f" list the values instead ({name}=a,b,c)")
    a, b, s = _number(start, name), _number(stop, name), _number(step, name)
    if s <= 0:
        raise ConfigError(f"--grid {name}: step must be positive, got {step!r}")
    if b < a:
        raise ConfigError(f"--grid {name}: range ends ({stop}) before it starts ({start})")
    if typ is int and any(x != x.to_integral_value() for x in (a, b, s)):
        raise ConfigError(f"--grid {name}: {name} takes whole numbers; start, stop and step must be whole")
    n = int((b - a) // s) + 1
    _check_count(name, n)
    values = [a + s * k for k in range(n)]  # exact decimal steps: 0.1:0.3:0.1 gives 0.3, not 0.30000000000000004
    return [int(v) if typ is int else float(v) for v in values]


def _values(cls: type[Strategy], name: str, text: str, typ: Any, default: Any,
            choices: Sequence[str] | None) -> list:
    if not text:
        raise ConfigError(f"--grid {name}= has no values (for example --grid {name}=20,30,40)")
    if ".." in text:  # start..stop/step (any ordered parameter)
        span, sep, step = text.partition("/")
        start, _, stop = span.partition("..")
        if not sep or not start.strip() or not stop.strip():
            raise ConfigError(f"--grid {name}: a range is start..stop/step, got {text!r}"
                              f" (for example {name}=20..50/10)")
        raw: list = _range(name, typ, default, start, stop, step)
    elif ":" in text and not _is_time(typ, default):
        parts = text.split(":")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ConfigError(f"--grid {name}: a range is start:stop:step, got {text!r}"
                              f" (for example {name}=20:50:10)")
        raw = _range(name, typ, default, *parts)
    else:
        raw = [v.strip() for v in text.split(",")]
        if any(not v for v in raw):
            raise ConfigError(f"--grid {name}: empty value in {text!r} (values are separated by commas)")
    values = []
    for v in raw:
        try:
            value = coerce_param(cls, name, v)  # the strategy's own rules: type, then kind
        except ValueError as exc:
            raise ConfigError(f"--grid {exc}") from None
        if choices is not None and value not in choices:
            raise ConfigError(f"--grid {name}: {value!r} is not one of {', '.join(choices)}")
        value = plain(value)
        if value in values:
            raise ConfigError(f"--grid {name}: {v!r} is listed twice")
        values.append(value)
    return values


def plain(value: Any) -> Any:
    """A checked parameter value as a sweep stores it: a time of day as ``H:MM`` text (with
    seconds when it has them), a date as ISO text; the strategy reads it back as its type.
    Every value then goes to JSON (runs.jsonl, the table), ids and the printed command as is.

    >>> from datetime import date, time
    >>> plain(time(15, 15)), plain(time(9, 20, 30)), plain(date(2024, 1, 4)), plain(30.0)
    ('15:15', '09:20:30', '2024-01-04', 30.0)
    """
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def parse_grid(specs: Sequence[str], cls: type[Strategy]) -> dict[str, list]:
    """``["sl_pct=20:50:10", "exit_time=15:00,15:15"]`` -> ``{name: [values]}``, checked and typed.

    Lists are ``a,b,c``; ranges are inclusive, ``start:stop:step`` for numbers or
    ``start..stop/step`` for numbers and times (step in minutes).
    """
    declared = sweepable(cls)
    choices = getattr(cls, "CHOICES", {}) or {}
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--grid takes name=values, got {spec!r}"
                              " (for example --grid sl_pct=20,30,40 or --grid sl_pct=20:50:10)")
        if name not in declared:
            raise ConfigError(f"--grid {name}: {cls.__name__} has no parameter '{name}'"
                              f"{did_you_mean(name, declared)}; parameters: {', '.join(declared)}")
        if name in grid:
            raise ConfigError(f"--grid {name} is given twice; put all its values in one --grid")
        typ, default = declared[name]
        grid[name] = _values(cls, name, text.strip(), typ, default, choices.get(name))
    total = grid_size(grid)
    if total > MAX_RUNS:
        raise ConfigError(f"the grid has {total:,} runs; at most {MAX_RUNS:,} in one sweep")
    return grid


def grid_size(grid: dict[str, list]) -> int:
    """How many runs the grid makes."""
    return math.prod(len(v) for v in grid.values())


def parse_fixed(pairs: dict[str, str], cls: type[Strategy], grid: dict[str, list]) -> dict[str, Any]:
    """``--param`` values held fixed in every run, typed like the grid's (so run ids match)."""
    declared = sweepable(cls)
    fixed = {}
    for name, text in pairs.items():
        if name not in declared:
            raise ConfigError(f"--param {name}: {cls.__name__} has no parameter '{name}'"
                              f"{did_you_mean(name, declared)}")
        if name in grid:
            raise ConfigError(f"{name} is both swept (--grid) and fixed (--param); keep one")
        try:
            fixed[name] = plain(coerce_param(cls, name, text))
        except ValueError as exc:
            raise ConfigError(f"--param {exc}") from None
    return fixed


def default_grid(cls: type[Strategy]) -> dict[str, list]:
    """The sweep ranges a strategy declares (``sweep`` in a .strat params block)."""
    grid = cls.sweep_grid() if hasattr(cls, "sweep_grid") else {}
    if not grid:
        raise ConfigError(f"{cls.__name__} declares no sweep ranges: pass --grid name=values"
                          " (for example --grid sl_pct=20:50:10)")
    return {name: [plain(v) for v in values] for name, values in grid.items()}


def expand_grid(grid: dict[str, list], fixed: dict[str, Any] | None = None) -> Iterator[dict]:
    """Every combination, last parameter varying fastest; ``fixed`` values go into each run."""
    names = list(grid)
    for combo in itertools.product(*(grid[n] for n in names)):
        params = dict(fixed or {})
        params.update(zip(names, combo))
        yield params


def run_id(params: dict) -> str:
    """A stable id for a parameter set (its values and their types), the key for resuming."""
    text = json.dumps(sorted((k, type(v).__name__, v) for k, v in params.items()), default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]
