"""The embedded sample dataset: synthetic, generated once into the user's cache directory.

So that ``optbt run`` works on a fresh machine with nothing else. The folder name carries a
version and the generator's arguments. The cache heals itself:

* the generator leaves a manifest (every file, its size and sha256, see ``synth.MANIFEST``);
  each use compares every file's size (a few hundred ``stat`` calls, about a millisecond)
  and hashes only a file whose modification time differs from when it was last verified;
* a missing or damaged file (or a missing manifest) regenerates the whole sample, with a
  message saying what was wrong; a half-deleted sample can never run quietly on fewer days;
* generation happens in a temporary folder renamed into place (the damaged folder is moved
  aside first and deleted after), so two processes starting at once, or a kill, cannot leave
  a half-written dataset behind;
* a cache folder that cannot be written is a :class:`CacheError` naming ``OPTBT_CACHE_DIR``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from optbt.model.errors import OptbtError

SAMPLE_DAYS = 60
SAMPLE_SEED = 7
SAMPLE_START = date(2024, 1, 1)
SAMPLE_NAME = f"sample-v4-seed{SAMPLE_SEED}-{SAMPLE_DAYS}d"  # v2: volume/oi never negative; v3: a VIX-like series;
# v4: [greeks] rate, the rate its prices were made with
_VERIFIED = ".optbt-verified.json"  # file -> mtime_ns at which its hash last matched the manifest


class CacheError(OptbtError):
    """The sample cache folder cannot be created or written."""


def cache_dir() -> Path:
    """``$OPTBT_CACHE_DIR``, else ``$XDG_CACHE_HOME/optbt``, else ``~/.cache/optbt``."""
    if os.environ.get("OPTBT_CACHE_DIR"):
        return Path(os.environ["OPTBT_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "optbt"


def damage(folder: Path) -> str | None:
    """What is wrong with a generated sample folder ("" parts joined), or None when it is whole."""
    from optbt.data.synth import file_digest, read_manifest

    manifest = read_manifest(folder)
    if manifest is None:
        return "its manifest is missing" if folder.exists() else "it does not exist"
    try:
        verified = json.loads((folder / _VERIFIED).read_text())
    except (OSError, ValueError):
        verified = {}
    missing, changed, checked = [], [], {}
    for rel, want in manifest["files"].items():
        try:
            st = (folder / rel).stat()
        except OSError:
            missing.append(rel)
            continue
        if st.st_size != want["size"]:
            changed.append(rel)
        elif verified.get(rel) != st.st_mtime_ns:  # touched since the last check: hash it
            if file_digest(folder / rel) != want["sha256"]:
                changed.append(rel)
            else:
                checked[rel] = st.st_mtime_ns
    if missing or changed:
        parts = []
        if missing:
            parts.append(f"{len(missing)} file(s) missing (e.g. {missing[0]})")
        if changed:
            parts.append(f"{len(changed)} file(s) changed (e.g. {changed[0]})")
        return ", ".join(parts)
    if checked:
        try:  # remember the verification; a read-only cache simply hashes again next time
            (folder / _VERIFIED).write_text(json.dumps({**verified, **checked}))
        except OSError:
            pass
    return None


def default_dataset(quiet: bool = False) -> Path:
    """The sample dataset's folder (it holds dataset.toml), generating or healing it as needed."""
    target = cache_dir() / SAMPLE_NAME
    problem = damage(target)
    if problem is None:
        return target
    if not quiet:
        what = (f"generating the synthetic sample dataset ({SAMPLE_DAYS} days) into {target} "
                "(once; set OPTBT_CACHE_DIR to move it)") if problem == "it does not exist" else \
            f"the sample dataset in {target} is damaged ({problem}); regenerating it"
        print(f"optbt: {what}", file=sys.stderr)
    try:
        _regenerate(target)
    except PermissionError as exc:
        raise CacheError(f"cannot write the sample dataset cache {target.parent} ({exc.strerror}); "
                         "set OPTBT_CACHE_DIR to a writable folder") from None
    except OSError as exc:
        if damage(target) is None:  # another process healed it first
            return target
        raise CacheError(f"cannot write the sample dataset cache {target.parent} ({exc.strerror or exc}); "
                         "set OPTBT_CACHE_DIR to a writable folder") from None
    return target


def _regenerate(target: Path) -> None:
    from optbt.data.synth import generate, read_manifest

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{SAMPLE_NAME}-", dir=target.parent))
    try:
        fresh = generate(tmp / "data", days=SAMPLE_DAYS, seed=SAMPLE_SEED, start=SAMPLE_START)
        # just hashed by the generator: record the mtimes so the next use only compares sizes
        files = read_manifest(fresh)["files"]
        (fresh / _VERIFIED).write_text(json.dumps({rel: (fresh / rel).stat().st_mtime_ns for rel in files}))
        if target.exists():  # damaged: moved aside in one step, deleted after the new one is in
            os.rename(target, tmp / "old")
        try:
            os.rename(tmp / "data", target)
        except OSError:
            if damage(target) is not None:  # not a lost race with a healthy copy: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
