"""What a sweep's results depend on, recorded so a resume can tell when they no longer hold.

``OUT/fingerprint.json`` holds the strategy file's hash, the dataset config's content (every
key, defaults included, so ``lot_size 50 -> 25`` is seen however it is written), the path,
size, modification time, inode and status-change time of every data file the config's paths match (series too), the cost overrides,
the charge schedule the runs use (a digest of its rates as loaded, so an edited schedule file
or a base preset's new rates are seen), the dates and a stamp of optbt's own code. Resuming compares it with the present and names what changed.

Data files are only ``stat``-ed, never read or hashed: 500 files (250 days of options and
spot) take about 25 ms. Of the strategy its own file is hashed, and for a Python strategy the
user's own modules it imports (``optbt.dsl.loader``: those imported with it, not installed
libraries). A file rewritten in place keeping its size and restoring its old modification
time still changes its status-change time (which no tool sets), and a file replaced gets a
new inode: both are seen.
"""

from __future__ import annotations

import glob
import hashlib
import os
from pathlib import Path
from typing import Any

from optbt.data.dataset import Costs, DatasetConfig

VERSION = 1


def strategy_file(spec: str) -> Path:
    """The file of a spec: ``file.py:Class`` -> file.py; ``file.strat`` -> itself."""
    head, _, _ = spec.rpartition(":")
    return Path(head if head.endswith(".py") else spec)


def code_stamp() -> str:
    """optbt's own code as it is installed (every module's size and time, Python's version): a
    sweep resumed after an upgrade would mix runs of two engines."""
    from optbt.dsl.compiled_cache import code_stamp as stamp
    return hashlib.sha1(stamp().encode("utf-8", "surrogatepass")).hexdigest()[:16]


def strategy_helpers(strategy: str) -> dict[str, str | None]:
    """The user's own modules a Python strategy file imports (file -> sha1), as loaded here."""
    from optbt.dsl.loader import helper_files, load_strategy
    path = strategy_file(strategy)
    if path.suffix != ".py":
        return {}
    try:
        load_strategy(strategy)
    except Exception:  # noqa: BLE001 - the runs report it
        return {}
    return helper_files(path)


def data_files(config: DatasetConfig) -> dict[str, list[int]]:
    """Every data file the config's option, spot and ``[series.NAME]`` paths match:
    path -> [size, mtime_ns, inode, ctime_ns] (a series feeds signals such as a VIX filter: its
    edit changes runs). The inode and status-change time catch a file rewritten with the same
    size and its old modification time restored (``cp -p``, ``rsync -t``); a chmod or a new
    hard link to the file changes them too, which refuses a resume that would have been right."""
    found: dict[str, list[int]] = {}
    for files in (config.options, config.spot, *config.series.values()):
        for pattern in config.paths(files):
            paths = glob.glob(pattern, recursive=True) if glob.has_magic(pattern) else [pattern]
            for path in paths:
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                if os.path.isdir(path):
                    continue
                found[os.path.abspath(path)] = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
    return dict(sorted(found.items()))


def charge_schedule(strategy: str, config: DatasetConfig, costs: Costs | None) -> dict[str, str]:
    """The charge schedule the runs use, as the engine picks it (run > strategy > dataset):
    ``{spec: sha1 of its rates as loaded}``, or {} without one. A strategy or schedule that
    cannot be loaded is recorded as such: the runs themselves will say why."""
    from optbt.dsl.loader import load_strategy
    from optbt.engine.charges import load_schedule
    from optbt.engine.costing import effective_costs
    try:
        spec = effective_costs(config.costs, load_strategy(strategy).COSTS, costs, config.root).preset
    except Exception:  # noqa: BLE001 - the run reports it, with its own message
        return {"?": "the strategy or its costs could not be loaded"}
    if not spec:
        return {}
    try:
        return {str(spec): hashlib.sha1(repr(load_schedule(spec)).encode()).hexdigest()}
    except Exception:  # noqa: BLE001
        return {str(spec): "unreadable"}


def fingerprint(strategy: str, config: DatasetConfig, start: str | None, end: str | None,
                costs: Costs | None) -> dict[str, Any]:
    path = strategy_file(strategy)
    text = path.read_bytes() if path.exists() else b""
    return {
        "version": VERSION,
        "code": code_stamp(),
        "strategy": strategy,
        "strategy_sha1": hashlib.sha1(text).hexdigest(),
        "helpers": strategy_helpers(strategy),
        "dataset": config.model_dump(mode="json"),
        "costs": costs.model_dump(mode="json") if costs else None,
        "charges": charge_schedule(strategy, config, costs),
        "start": start,
        "end": end,
        "files": data_files(config),
    }


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"session": {"end": "15:30"}}`` -> ``{"session.end": "15:30"}``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): value}


def _changes(old: Any, new: Any, limit: int = 3) -> str:
    """``lot_size 50.0 -> 25.0, session.end 15:30 -> 15:00`` (the first few)."""
    a, b = _flat(old or {}), _flat(new or {})
    keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
    text = ", ".join(f"{k} {a.get(k)!r} -> {b.get(k)!r}".replace("'", "") for k in keys[:limit])
    return text + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def differences(old: dict, new: dict) -> list[str]:
    """What changed between two fingerprints, in words a user can act on (empty: nothing)."""
    out = []
    if old.get("code", new.get("code")) != new.get("code"):  # a folder from before records none
        out.append("optbt itself changed since (another version, or its code edited)")
    if old.get("strategy") != new.get("strategy"):
        out.append(f"another strategy ({old.get('strategy')} -> {new.get('strategy')})")
    elif old.get("strategy_sha1") != new.get("strategy_sha1"):
        out.append(f"the strategy file changed ({strategy_file(new['strategy'])})")
    elif (old.get("helpers") or {}) != (new.get("helpers") or {}):
        a, b = old.get("helpers") or {}, new.get("helpers") or {}
        changed = [f for f in dict.fromkeys([*a, *b]) if a.get(f) != b.get(f)]
        out.append(f"a module the strategy imports changed ({changed[0]})")
    old_ds, new_ds = dict(old.get("dataset") or {}), dict(new.get("dataset") or {})
    old_root, new_root = old_ds.pop("root", None), new_ds.pop("root", None)
    if old_root != new_root:
        out.append(f"another dataset folder ({old_root} -> {new_root})")
    if old_ds != new_ds:
        out.append(f"dataset.toml changed: {_changes(old_ds, new_ds)}")
    if old.get("costs") != new.get("costs"):
        out.append(f"costs changed: {_changes(old.get('costs'), new.get('costs'))}"
                   if old.get("costs") and new.get("costs") else
                   f"cost options changed ({old.get('costs') or 'as the dataset sets them'} -> "
                   f"{new.get('costs') or 'as the dataset sets them'})")
    if (old.get("charges") or {}) != (new.get("charges") or {}):
        was, now = ", ".join(old.get("charges") or {}) or "none", ", ".join(new.get("charges") or {}) or "none"
        out.append(f"the charge schedule changed ({was} -> {now})" if was != now else
                   f"the charge schedule's rates changed ({now})")
    for key, flag in (("start", "--start"), ("end", "--end")):
        if old.get(key) != new.get(key):
            out.append(f"{flag} changed ({old.get(key) or 'not given'} -> {new.get(key) or 'not given'})")
    if old_root == new_root:  # another folder: every file differs, said above
        out += _file_changes(old.get("files") or {}, new.get("files") or {})
    return out


def _same(a: list[int], b: list[int]) -> bool:
    """The same stamp, as far as both tell (a folder fingerprinted before inodes has two)."""
    n = min(len(a), len(b))
    return list(a[:n]) == list(b[:n])


def _file_changes(old: dict[str, list[int]], new: dict[str, list[int]]) -> list[str]:
    changed = [p for p in new if p in old and not _same(old[p], new[p])]
    removed = [p for p in old if p not in new]
    added = [p for p in new if p not in old]
    out = []
    if changed:
        p = changed[0]
        (s0, m0), (s1, m1) = old[p][:2], new[p][:2]
        how = (f"size {s0} -> {s1}" if s0 != s1 else "modified" if m0 != m1 else
               "replaced or rewritten in place with its old time, linked or chmod-ed")
        out.append(f"{_count(len(changed), 'data file')} changed, first: {p} ({how})")
    if removed:
        out.append(f"{_count(len(removed), 'data file')} removed, first: {removed[0]}")
    if added:
        out.append(f"{_count(len(added), 'data file')} added, first: {added[0]}")
    return out
