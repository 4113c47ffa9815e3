"""``sweep``: a grid of parameters from a notebook, returned as an Arrow table.

Runs go to the same executors and the same resumable folder as ``optbt sweep`` (serial by
default here: a notebook usually wants its answer in-process). Workers load the strategy by
path, so ``strategy`` is a file (``.strat`` or ``file.py:Class``), ``.strat`` source text (saved
into the sweep folder as ``strategy.strat``) or a class defined in an importable file.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from optbt.api.backtest import _config, _costs
from optbt.engine.strategy import Strategy
from optbt.model.errors import ConfigError


def _spec(strategy: Any, out: Path) -> str:
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        try:
            source = inspect.getsourcefile(strategy)
        except TypeError:
            source = None
        if not source or not Path(source).is_file() or "<locals>" in strategy.__qualname__ \
                or strategy.__module__ == "__main__":
            raise ConfigError(f"{strategy.__name__} is defined in a notebook or a function: sweep workers load "
                              "strategies by path, so save it in a .py file (or pass .strat text)")
        return f"{source}:{strategy.__name__}"
    if isinstance(strategy, Path):
        strategy = str(strategy)
    if not isinstance(strategy, str):
        raise ConfigError("strategy must be a .strat path, 'file.py:Class', .strat source text or a "
                          f"Strategy subclass from a .py file, not {type(strategy).__name__}")
    if "\n" in strategy.strip() or strategy.strip().startswith("strategy "):
        out.mkdir(parents=True, exist_ok=True)
        path = out / "strategy.strat"
        path.write_text(strategy, encoding="utf-8")
        return str(path)
    return strategy


def sweep(strategy: Any, grid: dict[str, Any] | None = None, data: Any = None, start: Any = None,
          end: Any = None, params: dict | None = None, costs: dict | str | Path | None = None,
          executor: str = "serial", workers: int | None = None, out: str | Path | None = None,
          restart: bool = False, data_root: Any = None):
    """Run every point of ``grid`` and return the sweep table (a pyarrow Table, one row a run).

    ``grid`` maps a parameter to a list of values or to the command line's range text
    (``"20:50:10"``, ``"09:20..10:00/5"``); None uses the ranges the ``.strat`` file declares.
    Rerunning with the same ``out`` resumes, exactly like ``optbt sweep``.
    """
    import pyarrow.parquet as pq

    from optbt.dsl.loader import load_strategy
    from optbt.sweeps.grid import default_grid, parse_fixed, parse_grid
    from optbt.sweeps.run import run_sweep

    folder = Path(out) if out is not None else None
    spec = _spec(strategy, folder or Path("sweeps") / "notebook")
    cls = load_strategy(spec)
    folder = folder or Path("sweeps") / cls.__name__
    if grid:
        texts = [f"{k}={v}" if isinstance(v, str) else f"{k}={','.join(str(x) for x in v)}" for k, v in grid.items()]
        values = parse_grid(texts, cls)
    else:
        values = default_grid(cls)
    fixed = parse_fixed({k: str(v) for k, v in (params or {}).items()}, cls, values)
    config = _config(data, data_root)
    outcome = run_sweep(spec, values, config, folder, executor=executor, workers=workers or 1, fixed=fixed,
                        start=start, end=end, costs=_costs(config, costs), restart=restart)
    return pq.read_table(outcome.out / "sweep.parquet")
