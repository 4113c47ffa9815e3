"""A sweep's folder: ``sweep.json`` (what was swept), ``runs.jsonl`` (the log) and the table.

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
from optbt.results.ranking import METRICS, param_column
from optbt.results.runlog import parse_log


@dataclass
class SweepStore:
    """``OUT/sweep.json`` (what was swept), ``runs.jsonl`` (the log), ``sweep.parquet``/``.csv``."""

    out: Path
    manifest: dict
    rows: dict[str, dict] = field(default_factory=dict)  # run_id -> latest row
    _last_write: float = 0.0

    @classmethod
    def open(cls, out: Path, manifest: dict, restart: bool = False) -> "SweepStore":
        out.mkdir(parents=True, exist_ok=True)
        log, mpath = out / "runs.jsonl", out / "sweep.json"
        if restart:
            for name in ("runs.jsonl", "sweep.json", "sweep.parquet", "sweep.csv"):
                (out / name).unlink(missing_ok=True)
        if mpath.exists():
            old = json.loads(mpath.read_text())
            for key in ("strategy_sha1", "data", "start", "end", "costs"):
                if old.get(key) != manifest.get(key):
                    raise ConfigError(
                        f"{out} holds a sweep with a different {key.replace('_sha1', ' file')} "
                        f"({old.get(key)!r}, now {manifest.get(key)!r}); resume it with the same"
                        " command, use another --out, or pass --restart to discard it")
        store = cls(out, manifest)
        text = log.read_text() if log.exists() else ""
        if text and not text.endswith("\n"):  # killed mid-line: start the next entry on a line of its own
            with log.open("a") as fh:
                fh.write("\n")
        for row in parse_log(text):
            store.rows[row["run_id"]] = row
        mpath.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        return store

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
                       worker=row["worker"], params_json=json.dumps(row["params"], sort_keys=True))
            flat.append(out)
        return flat

    def write_tables(self) -> None:
        import csv

        import pyarrow as pa
        import pyarrow.parquet as pq
        rows = self.table()
        self._last_write = _time.monotonic()
        if not rows:
            return
        tmp = self.out / ".sweep.parquet.tmp"
        pq.write_table(pa.Table.from_pylist(rows), tmp)
        os.replace(tmp, self.out / "sweep.parquet")
        tmp = self.out / ".sweep.csv.tmp"
        with tmp.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, self.out / "sweep.csv")
