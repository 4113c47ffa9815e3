"""Data: where prices come from. The dataset config (``dataset.toml``), the DataSource
protocol and its DuckDB implementation, the sweep workers' memo, the per-day cache that
aligns a series to the clock, the synthetic generator, the embedded sample and ``data check``.

May import: ``optbt.model``. Knows nothing of strategies, the engine or results.
"""
