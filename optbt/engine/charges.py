"""Costs as a broker charges them: a schedule of charges per executed order, kept as data.

A schedule (``presets/nse.toml``, ``presets/us.toml``, or a user's own TOML with the same keys)
lists charges, each with a *basis* — ``order`` (a flat amount per executed order), ``contract``
(per contract, i.e. per unit of quantity), ``premium`` (a rate on price x quantity x lot
size), or ``charges`` (a rate on the sum of other charges, e.g. GST) — an optional ``side``
(``BUY`` or ``SELL``: the charge applies to that side only) and the breakdown ``column`` it is
reported in (default: its own name). Amounts are unrounded; a contract note rounds its totals.

A user file may start from a preset and change only what differs: ``base = "nse"`` then, say,
``[charges.brokerage]`` ``rate = 0`` (every other charge, and their order, come from the preset).

>>> nse = load_schedule("nse")
>>> round(sum(nse.order("SELL", 100.0, 2, 50).values()), 5)   # 2 lots of 50 sold at 100
37.74534
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from optbt.model.errors import ConfigError, did_you_mean
from optbt.model.instrument import CHARGE_COLUMNS
PRESETS = ("nse", "us")
_BASES = ("order", "contract", "premium", "charges")
_CHARGE_KEYS = ("basis", "rate", "side", "of", "column")
_TOP_KEYS = ("name", "currency", "effective", "source", "base", "charges")


@dataclass(frozen=True, slots=True)
class Charge:
    name: str
    basis: str
    rate: float
    side: str | None = None
    of: tuple[str, ...] = ()
    column: str = ""


@dataclass(frozen=True)
class ChargeSchedule:
    """What one executed order costs, by breakdown column."""

    name: str
    currency: str
    effective: str
    source: str
    charges: tuple[Charge, ...]

    def order(self, side: str, price: float, qty: int, lot_size: float) -> dict[str, float]:
        """The charges of one executed order of ``qty`` contracts (lots) at ``price``."""
        premium = price * qty * lot_size
        by_name: dict[str, float] = {}
        out = dict.fromkeys(CHARGE_COLUMNS, 0.0)
        for c in self.charges:  # a 'charges' basis only names charges listed before it
            if c.side is not None and c.side != side:
                amount = 0.0
            elif c.basis == "order":
                amount = c.rate
            elif c.basis == "contract":
                amount = c.rate * qty
            elif c.basis == "premium":
                amount = c.rate * premium
            else:
                amount = c.rate * sum(by_name[n] for n in c.of)
            by_name[c.name] = amount
            out[c.column] += amount
        return out


def load_schedule(spec: str | Path, overrides: dict[str, Any] | None = None) -> ChargeSchedule:
    """A preset by name (``nse``, ``us``) or a TOML file, with ``overrides`` of any rate.

    ``overrides`` maps a charge name to a new rate or to a table of its keys, e.g.
    ``{"brokerage": 0}`` or ``{"brokerage": {"basis": "contract", "rate": 0.5}}``.
    """
    raw, where = _parse(spec)
    base = raw.pop("base", None)
    if base is not None:  # a user file over a preset: its keys and charges replace the preset's
        if base not in PRESETS:
            raise ConfigError(f"{where}: base must be one of {', '.join(PRESETS)}, not {base!r}"
                              f"{did_you_mean(str(base), PRESETS)}")
        under, _ = _parse(base)
        mine = raw.pop("charges", None) or {}
        if not isinstance(mine, dict):
            raise ConfigError(f"{where}: charges must be a table of charges ([charges.NAME] sections), not {mine!r}")
        charges = dict(under.pop("charges"))
        for name, spec_ in mine.items():
            _known_or_new(where, name, spec_, charges)
            charges[name] = {**charges.get(name, {}), **spec_} if isinstance(spec_, dict) else spec_
        raw = {**under, **raw, "charges": charges}
    table = raw.get("charges") or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: charges must be a table of charges ([charges.NAME] sections), not {table!r}")
    charges = dict(table)
    for name, value in (overrides or {}).items():
        if name not in charges and not isinstance(value, dict):
            raise ConfigError(f"{where} has no charge {name!r}{did_you_mean(name, charges)};"
                              f" charges: {', '.join(charges)}")
        _known_or_new(where, name, value, charges)
        base = dict(charges.get(name, {}))
        base.update(value if isinstance(value, dict) else {"rate": value})
        charges[name] = base
    raw["charges"] = charges
    return _schedule(raw, where)


def _known_or_new(where: str, name: str, spec: Any, charges: dict) -> None:
    """A charge changed over a preset must be one of its charges, or a whole new one (with its
    basis): ``[charges.brokerag]`` ``rate = 0`` is a misspelling, not a new charge."""
    if name in charges or (isinstance(spec, dict) and "basis" in spec):
        return
    hint = did_you_mean(name, charges)
    hint = f"; did you mean {hint.removeprefix(' (did you mean ').removesuffix(')')}" if hint else ""
    raise ConfigError(f"{where}: unknown charge {name!r}{hint} (charges: {', '.join(charges)};"
                      f" a new charge needs its basis and rate)")


def _parse(spec: str | Path) -> tuple[dict, str]:
    text, where = _read(spec)
    try:
        return tomllib.loads(text), where
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None


def _read(spec: str | Path) -> tuple[str, str]:
    name = str(spec)
    if name in PRESETS:
        return resources.files("optbt.engine").joinpath(f"presets/{name}.toml").read_text(encoding="utf-8"), \
            f"cost preset {name!r}"
    path = Path(name)
    if path.suffix != ".toml":
        raise ConfigError(f"unknown cost preset {name!r}{did_you_mean(name, PRESETS)}; presets: "
                          f"{', '.join(PRESETS)}, or a path to a .toml file")
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read cost schedule {path}: {exc}") from None


def _schedule(raw: dict, where: str) -> ChargeSchedule:
    for key in raw:
        if key not in _TOP_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}{did_you_mean(key, _TOP_KEYS)}")
    charges: list[Charge] = []
    for name, spec in raw["charges"].items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: charges.{name} must be a table with basis and rate")
        for key in spec:
            if key not in _CHARGE_KEYS:
                raise ConfigError(f"{where}: charges.{name} has unknown key {key!r}{did_you_mean(key, _CHARGE_KEYS)}")
        basis, rate = spec.get("basis"), spec.get("rate")
        if basis is None:
            raise ConfigError(f"{where}: charges.{name} has no basis: set basis = one of {', '.join(_BASES)}")
        if basis not in _BASES:
            raise ConfigError(f"{where}: charges.{name}.basis must be one of {', '.join(_BASES)}, not {basis!r}")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate < 0:
            raise ConfigError(f"{where}: charges.{name}.rate must be a number >= 0, not {rate!r}")
        side = spec.get("side")
        if side is not None and side not in ("BUY", "SELL"):
            raise ConfigError(f"{where}: charges.{name}.side must be BUY or SELL, not {side!r}")
        of = spec.get("of", ())
        if isinstance(of, str) or not isinstance(of, (list, tuple)) or not all(isinstance(n, str) for n in of):
            raise ConfigError(f"{where}: charges.{name}.of must be a list of charge names, e.g. of = [\"brokerage\"],"
                              f" not {of!r}")
        of = tuple(of)
        if basis == "charges":
            known = [c.name for c in charges]
            missing = [n for n in of if n not in known]
            if not of or missing:
                raise ConfigError(f"{where}: charges.{name}.of must name charges listed before it"
                                  f" ({', '.join(known) or 'none'}); not {', '.join(missing) or 'empty'}")
        column = spec.get("column", name)
        if column not in CHARGE_COLUMNS:
            raise ConfigError(f"{where}: charges.{name} reports in column {column!r}, which is not one of "
                              f"{', '.join(CHARGE_COLUMNS)}{did_you_mean(column, CHARGE_COLUMNS)}: set column =")
        charges.append(Charge(name, basis, float(rate), side, of, column))
    return ChargeSchedule(str(raw.get("name", where)), str(raw.get("currency", "")),
                          str(raw.get("effective", "")), str(raw.get("source", "")), tuple(charges))
