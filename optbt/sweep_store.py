"""A sweep's folder: ``sweep.json`` (what was swept), ``runs.jsonl`` (the log) and the table.

The log is the record: one JSON line per finished run, flushed and fsynced before the next
is taken, so a killed sweep loses at most the run in flight. ``sweep.parquet`` and
``sweep.csv`` are rebuilt from it (atomically) at most once a second and at the end.
"""

from __future__ import annotations

import json
import os
import time as _time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optbt.errors import ConfigError, did_you_mean

# metrics where a smaller number is the better result
LOWER_IS_BETTER = frozenset({"max_drawdown", "max_consecutive_losses"})
METRICS = ("total_pnl", "sharpe", "profit_factor", "win_rate", "avg_win", "avg_loss",
           "max_drawdown", "max_consecutive_losses", "trades", "days_traded")
META_COLUMNS = ("run", "run_id", "status", "error", "seconds", "worker")
# the metrics a top-runs table shows after the one ranked by
SHOWN_METRICS = ("total_pnl", "sharpe", "max_drawdown", "win_rate", "trades")


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ConfigError(f"--metric {metric!r} is not a metric{did_you_mean(metric, METRICS)};"
                          f" choose one of {', '.join(METRICS)}")
    return metric


def shown_metrics(metric: str) -> list[str]:
    """The ranking metric first, then the usual ones."""
    return [metric] + [m for m in SHOWN_METRICS if m != metric]


def param_column(name: str) -> str:
    """A parameter's column in the table: its name, unless a metric or bookkeeping column has it.

    >>> param_column("sl_pct"), param_column("trades")
    ('sl_pct', 'param_trades')
    """
    return f"param_{name}" if name in META_COLUMNS or name in METRICS else name


def parse_log(text: str) -> Iterator[dict]:
    """The rows of a ``runs.jsonl``; a line cut short when a sweep was killed is skipped."""
    for line in text.splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def read_log(path: Path) -> Iterator[dict]:
    return parse_log(path.read_text()) if path.exists() else iter(())


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


def better(metric: str, a: Any, b: Any) -> bool:
    """Is ``a`` a better value of ``metric`` than ``b``? (None is never better.)"""
    if a is None:
        return False
    if b is None:
        return True
    return a < b if metric in LOWER_IS_BETTER else a > b


def rank(rows: list[dict], metric: str) -> list[dict]:
    """Finished runs, best first by ``metric`` (runs without a value last, then grid order)."""
    ok = [r for r in rows if r["status"] == "ok"]
    have = [r for r in ok if r.get(metric) is not None]
    missing = [r for r in ok if r.get(metric) is None]
    have.sort(key=lambda r: (r[metric] if metric in LOWER_IS_BETTER else -r[metric], r["run"]))
    return have + missing
