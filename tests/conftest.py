"""Shared fixtures: the embedded sample dataset (generated once per machine) and golden updates."""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden expectations from the current output (review the diff!)")


@pytest.fixture(scope="session")
def update_goldens(request) -> bool:
    return request.config.getoption("--update-goldens")


@pytest.fixture(scope="session")
def sample_dataset():
    from optbt.data.sample import default_dataset
    return default_dataset(quiet=True)


@pytest.fixture(scope="session")
def sample_source(sample_dataset):
    from optbt.data.duckdb_source import DuckDBSource
    return DuckDBSource(sample_dataset)
