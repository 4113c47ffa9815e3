"""Shared fixtures: the embedded sample dataset (generated once per machine) and golden updates."""

from __future__ import annotations

import pytest


def pytest_configure(config):
    """The chain index (optbt/data/chain_index.py) of the tests' datasets lives in a folder of
    this session, not in the user's cache: every run starts cold and warms up as a user's would."""
    import os
    import tempfile
    os.environ.setdefault("OPTBT_CHAIN_INDEX", tempfile.mkdtemp(prefix="optbt-chains-"))
    # The suite starts a few hundred `python -m optbt` processes. With PYTHONDONTWRITEBYTECODE
    # set (some sandboxes and CI images set it; Python's default is off) each of them compiled
    # optbt's sources again: about 50 ms a process, 40 % of the command-line tests' time. The
    # processes keep Python's default here, as on a user's machine; the byte code goes to the
    # __pycache__ folders Python always uses (ignored by git).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


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
