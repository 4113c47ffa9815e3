"""A sweep's folder: ``sweep.json`` (what was swept), ``runs.jsonl`` (the log) and the table.

``fingerprint.json`` records what the runs were made from (:mod:`optbt.sweeps.fingerprint`);
a resume with other inputs is refused and told what changed. ``sweep.lock``
(:mod:`optbt.sweeps.lock`) keeps a second sweep out while one runs.

The log is the record: one JSON line per finished run, flushed and fsynced before the next
is taken, so a killed sweep loses at most the run in flight. ``sweep.parquet`` and
``sweep.csv`` are rebuilt from it (atomically) at most once a second and at the end.
"""

from __future__ import annotations

import json
import os
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optbt.model.errors import ConfigError
from optbt.results.folder import first_names, is_clutter, is_report
from optbt.results.ranking import METRICS, param_column
from optbt.results.runlog import parse_log
from optbt.sweeps.fingerprint import differences

FINGERPRINT = "fingerprint.json"
# what a sweep writes in its folder (optbt.sweeps.lock's sweep.lock and the shared day cache too)
# (``strategy.strat``: the text a notebook swept, optbt.api.sweep; ``report.html``: ``--report``)
SWEEP_FILES = frozenset({"runs.jsonl", "sweep.json", "sweep.parquet", "sweep.csv", FINGERPRINT, "sweep.lock", "cache",
                         "strategy.strat", "report.html"})


def check_sweep_out(out: Path) -> None:
    """Refuse an ``--out`` holding anything but an earlier sweep's files (and optbt's reports of
    it under other names: ``optbt report OUT --out OUT/x.html``).

    A sweep keeps its folder (to resume) and removes stale caches under ``OUT/cache``: in a
    folder of other files (a project folder, a run's results) it would mix with them, delete
    a ``cache`` folder of the user's, or be deleted by the next ``optbt run`` there.
    """
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ConfigError(f"--out {out} is {'a symbolic link' if out.is_symlink() else 'a file'}; "
                          "choose a folder for the sweep (a new one, or an earlier sweep's to resume it)")
    if not out.is_dir():
        return
    # a file browser's clutter (Thumbs.db, desktop.ini from Explorer; names with a dot first) is
    # not the user's work, as in a run's folder (optbt.results.folder.OS_CLUTTER)
    others = sorted(p.name for p in out.iterdir()
                    if p.name not in SWEEP_FILES and not p.name.startswith(".") and not is_report(p)
                    and not is_clutter(p))
    if others:
        raise ConfigError(f"--out {out} holds {len(others)} file{'s' if len(others) != 1 else ''} a sweep does"
                          f" not write ({first_names(others)}): it is not a sweep's folder; choose a new or empty"
                          " folder, or the folder of an earlier sweep to resume it")


def _runs(n: int) -> str:
    return f"{n} run{'' if n == 1 else 's'}"


def _write_json(path: Path, value: dict) -> None:
    """Beside and rename over: a kill never leaves half a manifest."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value, indent=2, default=str) + "\n")
    os.replace(tmp, path)


@dataclass
class SweepStore:
    """``OUT/sweep.json`` (what was swept), ``runs.jsonl`` (the log), ``sweep.parquet``/``.csv``."""

    out: Path
    manifest: dict
    rows: dict[str, dict] = field(default_factory=dict)  # run_id -> latest row
    _last_write: float = 0.0

    @classmethod
    def open(cls, out: Path, manifest: dict, fingerprint: dict, restart: bool = False) -> "SweepStore":
        """The folder's store, after checking that its runs were made from the same inputs.

        Call with the folder's :class:`~optbt.sweeps.lock.SweepLock` held.
        """
        log, mpath, fpath = out / "runs.jsonl", out / "sweep.json", out / FINGERPRINT
        if restart:
            for name in ("runs.jsonl", "sweep.json", "sweep.parquet", "sweep.csv", FINGERPRINT):
                (out / name).unlink(missing_ok=True)
        text = log.read_text() if log.exists() else ""
        rows = list(parse_log(text))
        held = _runs(len({r["run_id"] for r in rows}))
        if fpath.exists():
            try:
                old = json.loads(fpath.read_text())
            except ValueError:
                old = {}
            changed = differences(old, fingerprint)
            if changed and rows:
                raise ConfigError(
                    f"{out} holds {held} made from other inputs: " + "; ".join(changed)
                    + ". Their results would not match: run the same command as before, use another"
                      " --out, or pass --restart to discard them")
        elif rows:
            raise ConfigError(f"{out} holds {held} but no record of the data they were made"
                              f" from ({FINGERPRINT}, written by newer versions of optbt); pass --restart"
                              " to run them again, or use another --out")
        store = cls(out, manifest)
        if text and not text.endswith("\n"):  # killed mid-line: start the next entry on a line of its own
            with log.open("a") as fh:
                fh.write("\n")
        for row in rows:
            store.rows[row["run_id"]] = row
        _write_json(fpath, fingerprint)
        _write_json(mpath, manifest)
        return store

    def save_manifest(self) -> None:
        _write_json(self.out / "sweep.json", self.manifest)

    def finished(self) -> set[str]:
        return {k for k, r in self.rows.items() if r["status"] == "ok"}

    def add(self, row: dict) -> None:
        with (self.out / "runs.jsonl").open("a") as fh:
            fh.write(json.dumps(row, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.rows[row["run_id"]] = row
        if _time.monotonic() - self._last_write >= 1.0:  # the log is the record; tables follow it
            self.write_tables()

    def table(self) -> list[dict]:
        """Flat rows of the current grid, in grid order."""
        order = self.manifest["runs"]
        names = self.manifest["params"]
        flat = []
        for n, rid in enumerate(order):
            row = self.rows.get(rid)
            if row is None:
                continue
            out: dict[str, Any] = {"run": n, "run_id": rid}
            for name in names:
                out[param_column(name)] = row["params"].get(name)
            for m in METRICS:
                out[m] = row["metrics"].get(m)
            out.update(status=row["status"], error=row["error"], seconds=row["seconds"],
                       worker=row["worker"], params_json=json.dumps(row["params"], sort_keys=True, default=str))
            flat.append(out)
        return flat

    def write_tables(self) -> None:
        """The tables as the log and the manifest say now; with no run of this grid yet, no
        tables (an earlier grid's tables are removed: they would pass for this sweep's)."""
        rows = self.table()
        self._last_write = _time.monotonic()
        if not rows:
            for name in ("sweep.parquet", "sweep.csv"):
                (self.out / name).unlink(missing_ok=True)
            return
        import csv

        import pyarrow as pa
        import pyarrow.parquet as pq
        tmp = self.out / ".sweep.parquet.tmp"
        pq.write_table(pa.Table.from_pylist(rows), tmp)
        os.replace(tmp, self.out / "sweep.parquet")
        tmp = self.out / ".sweep.csv.tmp"
        with tmp.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, self.out / "sweep.csv")
