"""Which costs a run uses: the command line or API over the strategy over the dataset.

Three settings, each taken whole from the highest layer that sets it:

- **slippage** (an amount and its unit, points or percent of price; a layer that gives an
  amount without a unit means points),
- **commission** (per lot per order and a flat amount per order: a layer that sets either
  replaces both, so ``--commission 5`` means 5 per lot and nothing per order),
- **preset** (a broker's charge schedule, ``nse``, ``us`` or a ``.toml`` file:
  :mod:`optbt.engine.charges`).

Layers, lowest first: the dataset's ``[costs]``; the strategy's ``COSTS`` (the ``costs``
section of a ``.strat`` file, or a class attribute of a Python strategy); the run's own
(``optbt run --slippage/--commission/--costs``, ``optbt.backtest(costs=...)``), where a
:class:`~optbt.data.dataset.Costs` counts only the fields it was given.

>>> from optbt.data.dataset import Costs
>>> c = effective_costs(Costs(slippage=1.0, commission_per_lot=20),
...                     {"slippage": 0.1, "slippage_unit": "percent", "preset": "nse"},
...                     Costs(slippage=0.5))
>>> c.slippage, c.slippage_unit, c.commission_per_lot, c.preset
(0.5, 'points', 20.0, 'nse')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optbt.data.dataset import Costs
from optbt.engine.charges import PRESETS
from optbt.engine.fills import CostModel
from optbt.model.errors import ConfigError, did_you_mean

COST_KEYS = tuple(Costs.model_fields)
_SETTINGS = {"slippage": ("slippage", "slippage_unit"),
             "commission": ("commission_per_lot", "commission_per_order"),
             "preset": ("preset",)}


def partial_costs(given: dict[str, Any], what: str = "costs") -> Costs:
    """A :class:`Costs` that sets only ``given``'s keys (unknown keys and bad values: ConfigError)."""
    unknown = [k for k in given if k not in COST_KEYS]
    if unknown:
        raise ConfigError(f"unknown cost setting {unknown[0]!r}{did_you_mean(unknown[0], COST_KEYS)};"
                          f" known: {', '.join(COST_KEYS)}")
    try:
        return Costs.model_validate(given)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ConfigError(f"{what}: {where}: {err['msg']}, got {err.get('input')!r}") from None


def checked_preset(spec: str | Path) -> str:
    """A preset name as it is, a schedule file as an absolute path; loaded once so a typo
    fails before the run (ConfigError with did-you-mean)."""
    from optbt.engine.charges import load_schedule
    text = str(spec)
    if text not in PRESETS and text.endswith(".toml"):
        text = str(Path(text).expanduser().resolve())
    load_schedule(text)
    return text


def _layer(costs: Costs | dict | None) -> dict[str, Any]:
    if costs is None:
        return {}
    if isinstance(costs, Costs):
        return {k: getattr(costs, k) for k in costs.model_fields_set}
    return dict(costs)


def effective_costs(dataset: Costs, strategy: dict | None, run: Costs | dict | None,
                    root: str | Path | None = None) -> Costs:
    """The costs a run uses: ``run`` over ``strategy`` over ``dataset``, setting by setting.

    The dataset's preset, when a relative path, is relative to the dataset's ``root``; the
    others are relative to the working folder.
    """
    merged = dataset.model_dump()
    spec = merged["preset"]
    if spec and spec not in PRESETS and root is not None and not Path(spec).is_absolute():
        merged["preset"] = str(Path(root) / spec)
    for layer in (_layer(strategy), _layer(run)):
        for keys in _SETTINGS.values():
            if any(k in layer for k in keys):
                for k in keys:
                    merged[k] = layer.get(k, Costs.model_fields[k].default)
    return partial_costs(merged)


def cost_model(costs: Costs) -> CostModel:
    """The engine's cost model for these settings (the preset's schedule loaded)."""
    return CostModel.from_config(costs)


def describe(model: CostModel) -> dict[str, Any]:
    """What a run's fills were charged, for summary.json and the report."""
    out: dict[str, Any] = {
        "slippage": model.slippage, "slippage_unit": model.slippage_unit,
        "commission_per_lot": model.commission_per_lot, "commission_per_order": model.commission_per_order,
        "preset": None,
    }
    if model.charges is not None:
        s = model.charges
        out.update(preset=s.name, currency=s.currency, effective=s.effective)
    return out
