"""The embedded sample dataset: synthetic, generated once into the user's cache directory.

So that ``optbt run`` works on a fresh machine with nothing else. The folder name carries a
version and the generator's arguments; generation happens in a temporary folder renamed into
place, so two processes starting at once cannot leave a half-written dataset behind.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

SAMPLE_DAYS = 60
SAMPLE_SEED = 7
SAMPLE_START = date(2024, 1, 1)
SAMPLE_NAME = f"sample-v1-seed{SAMPLE_SEED}-{SAMPLE_DAYS}d"


def cache_dir() -> Path:
    """``$OPTBT_CACHE_DIR``, else ``$XDG_CACHE_HOME/optbt``, else ``~/.cache/optbt``."""
    if os.environ.get("OPTBT_CACHE_DIR"):
        return Path(os.environ["OPTBT_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "optbt"


def default_dataset(quiet: bool = False) -> Path:
    """The sample dataset's folder (it holds dataset.toml), generating it on first use."""
    target = cache_dir() / SAMPLE_NAME
    if (target / "dataset.toml").exists():
        return target
    from optbt.data.synth import generate

    target.parent.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"optbt: generating the synthetic sample dataset ({SAMPLE_DAYS} days) into {target} "
              "(once; set OPTBT_CACHE_DIR to move it)", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix=f".{SAMPLE_NAME}-", dir=target.parent))
    try:
        generate(tmp / "data", days=SAMPLE_DAYS, seed=SAMPLE_SEED, start=SAMPLE_START)
        try:
            os.rename(tmp / "data", target)
        except OSError:
            if not (target / "dataset.toml").exists():  # not a lost race: a real failure
                raise
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return target
