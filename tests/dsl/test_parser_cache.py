"""The parser tables kept on disk give the same parse, and a damaged cache only costs a rebuild."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ("import json, sys; from optbt.dsl import parse_text; "
           "program, diags = parse_text(open(sys.argv[1], encoding='utf-8').read()); assert not diags, diags; "
           "print(json.dumps(program.model_dump(mode='json'), sort_keys=True))")


def _parse_in_fresh_process(cache: Path, strat: Path) -> dict:
    env = {**os.environ, "OPTBT_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", PROGRAM, str(strat)], capture_output=True, text=True,
                         env=env, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def test_cached_tables_parse_the_same_and_a_damaged_cache_is_rebuilt(tmp_path):
    strat = ROOT / "strategies_dsl" / "iron_condor_mtm.strat"
    first = _parse_in_fresh_process(tmp_path, strat)           # builds and saves the tables
    files = list(tmp_path.glob("strat-parser-*.cache"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert _parse_in_fresh_process(tmp_path, strat) == first   # loads them
    files[0].write_bytes(files[0].read_bytes()[:100])          # a half-written file
    assert _parse_in_fresh_process(tmp_path, strat) == first
    unwritable = tmp_path / "file-not-folder"
    unwritable.write_text("x")
    assert _parse_in_fresh_process(unwritable, strat) == first  # no cache folder: built in memory
