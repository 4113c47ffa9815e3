"""The mutation fuzzer in every test run: a fixed seed, a few hundred mutants of the library.

``OPTBT_FUZZ_MUTANTS=20000 pytest tests/dsl/test_fuzz.py`` runs deeper; ``OPTBT_FUZZ_SEED``
picks another seed. Any finding fails the test and names its class with a mutant that shows
it (each class found so far is kept: malformed files in tests/golden/malformed/, valid files that
broke a stage in tests/dsl/fuzz_found/). fmt
round-trip findings are reported as a warning while the formatter is being made exact.
"""

from __future__ import annotations

import json
import os
import warnings
from datetime import date
from pathlib import Path

import pytest

from tests.dsl.fuzz import Report, check_mutant, fuzz

MUTANTS = int(os.environ.get("OPTBT_FUZZ_MUTANTS", "300"))
SEED = int(os.environ.get("OPTBT_FUZZ_SEED", "20261125"))


def test_mutants_get_diagnostics_and_compiled_ones_run(sample_source):
    from optbt.engine.loop import run_backtest

    def run(cls):
        run_backtest(cls, source=sample_source, start=date(2024, 1, 2), end=date(2024, 1, 3))

    report = fuzz(SEED, MUTANTS, run)
    summary = {"mutants": report.mutants, "compiled": report.compiled, "ran": report.ran,
               "seconds": round(report.seconds, 1), "findings": len(report.findings),
               "fmt_findings": sorted(report.fmt_findings)}
    if os.environ.get("OPTBT_FUZZ_REPORT"):
        with open(os.environ["OPTBT_FUZZ_REPORT"], "w", encoding="utf-8") as f:
            json.dump({**summary, "examples": report.findings, "fmt_examples": report.fmt_findings}, f, indent=2)
    if report.fmt_findings:
        warnings.warn(f"fmt round-trip findings (tolerated): {sorted(report.fmt_findings)}", stacklevel=1)
    assert report.mutants == MUTANTS
    assert report.compiled > 0 and report.ran == report.compiled
    shown = {k: v[:300] for k, v in report.findings.items()}
    assert not report.findings, json.dumps(shown, indent=2, ensure_ascii=True)


FOUND = sorted((Path(__file__).parent / "fuzz_found").glob("*.strat"))


@pytest.mark.parametrize("path", FOUND, ids=[p.stem for p in FOUND])
def test_what_the_fuzzer_found_stays_fixed(path, sample_source):
    """Valid files that once broke a stage (malformed ones live in tests/golden/malformed/)."""
    from optbt.dsl import read_strat
    from optbt.engine.loop import run_backtest

    def run(cls):
        run_backtest(cls, source=sample_source, start=date(2024, 1, 2), end=date(2024, 1, 3))

    report = Report()
    check_mutant(read_strat(path), report, run, filename=path.name)
    assert report.findings == {}
