"""Results: what a backtest produced and how it is shown — the result object, metrics,
ranking of runs, the writers (CSV, parquet, JSON) and the HTML/PNG report.

May import: ``optbt.model`` and ``optbt.data``. Usable without the engine or the CLI (a
report can be drawn from a results folder alone).
"""
