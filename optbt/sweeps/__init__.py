"""Sweeps: the parameter grid, the executors (serial, process pool, Dask), the sweep's folder
(log, table, resume) and running one grid point in a worker.

May import: ``optbt.model``, ``data``, ``results``, ``engine`` and ``dsl`` (to load a strategy).
"""
