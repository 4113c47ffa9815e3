"""Golden files for the language. Regenerate with

    python -m pytest tests/golden --update-goldens

then READ THE DIFF (git diff tests/golden) before committing: a regeneration is reviewed,
never accepted blind.

- library/<strategy>/: ast.json, compiled.py, lint.txt, explain.txt (``optbt explain FILE``) and
  trades.csv of a 3-day run on a fixed synthetic dataset (seed 1), for every strategy in
  strategies_dsl/;
- malformed/<case>.strat with <case>.expected: the exact diagnostics a user sees;
- lint_us_session.txt: the library's W013 findings on a 09:30-16:00 session (``lint --data``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from optbt import run_backtest
from optbt.dsl import StratError, compile_text, read_strat
from optbt.dsl.diagnostics import render_all
from optbt.dsl.explain import explain_text
from optbt.dsl.lint import lint_unit
from optbt.dsl.loader import load_strategy
from optbt.model.instrument import TRADE_COLUMNS

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
LIBRARY = sorted((ROOT / "strategies_dsl").glob("*.strat"))
MALFORMED = sorted((HERE / "malformed").glob("*.strat"))


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden {path}: run pytest tests/golden --update-goldens and review it"
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs (if intended: --update-goldens, then review the diff)"


@pytest.fixture(scope="module")
def golden_data(tmp_path_factory):
    from optbt.data.synth import generate
    return generate(tmp_path_factory.mktemp("golden") / "synth", days=3, seed=1)


def _trades_csv(result) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(TRADE_COLUMNS), lineterminator="\n")
    w.writeheader()
    for row in result.trade_rows():
        w.writerow({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()})
    return buf.getvalue()


@pytest.mark.parametrize("strat", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_goldens(strat, golden_data, update_goldens):
    text = strat.read_text()
    source, cls_name, unit = compile_text(text, strat.name)
    folder = HERE / "library" / strat.stem
    check_golden(folder / "ast.json", unit.program.model_dump_json(indent=2) + "\n", update_goldens)
    check_golden(folder / "compiled.py", source, update_goldens)
    lint = render_all(lint_unit(unit, text), text, strat.name)
    check_golden(folder / "lint.txt", (lint or "clean") + "\n", update_goldens)
    result = run_backtest(load_strategy(str(strat)), data=golden_data)
    check_golden(folder / "trades.csv", _trades_csv(result), update_goldens)


def test_library_lint_on_a_us_session_golden(update_goldens):
    """``optbt lint --data`` of a 09:30-16:00 dataset over the library (NSE times): every W013 in
    one file, each file's findings under its name (the library's lint.txt stay as they were)."""
    from optbt.dsl.lint import Session
    us = Session("09:30", "16:00", "us")
    parts = []
    for strat in LIBRARY:
        text = strat.read_text()
        unit = compile_text(text, strat.name)[2]
        found = [d for d in lint_unit(unit, text, us) if d.code == "W013"]
        parts.append(f"== {strat.name}\n" + (render_all(found, text, strat.name) if found else "clean"))
    check_golden(HERE / "lint_us_session.txt", "\n\n".join(parts) + "\n", update_goldens)


@pytest.mark.parametrize("strat", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_explain_goldens(strat, update_goldens):
    check_golden(HERE / "library" / strat.stem / "explain.txt",
                 explain_text(strat.read_text(encoding="utf-8"), strat.name), update_goldens)


def test_there_are_at_least_twenty_malformed_cases():
    assert len(MALFORMED) >= 20


@pytest.mark.parametrize("case", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_malformed_inputs_give_exact_diagnostics(case, update_goldens):
    with pytest.raises(StratError) as info:
        compile_text(read_strat(case), case.name)
    check_golden(case.with_suffix(".expected"), str(info.value) + "\n", update_goldens)
