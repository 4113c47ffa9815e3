"""The report of ``optbt data check``: its findings, each naming a file, a count and a sample row.

Apart from the checks because the report is what leaves them: the command line prints it
(or its JSON), and a caller that only reads a report needs nothing of DuckDB or the checks.
A sample's values are shown as text (a tick's fraction of a second kept), as every finding
shows them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any

from optbt.model.timestamps import stamp


@dataclass(frozen=True, slots=True)
class Finding:
    level: str      # "error" | "warning" | "note"
    check: str      # a short stable name
    where: str      # the (first) file it was found in
    count: int      # rows (or days, instruments) affected
    detail: str
    sample: dict | None = None  # one affected row (values as text), when there is one

    @property
    def sample_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in (self.sample or {}).items() if v != "NULL")


@dataclass
class CheckReport:
    dataset: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "note"]

    def to_json(self) -> str:
        return json.dumps({"dataset": self.dataset, "ok": not self.errors,
                           "findings": [asdict(f) for f in self.findings]}, indent=2)


def as_text(v: Any) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # nan, inf, -inf
    if isinstance(v, datetime):  # a tick's fraction kept: two rows of one second are told apart
        return stamp(v)
    if isinstance(v, (date, time)):
        return v.isoformat()
    return "NULL" if v is None else str(v)


def sample_of(row: dict | None, skip: tuple[str, ...] = ("file",)) -> dict | None:
    if not row:
        return None
    return {k: as_text(v) for k, v in row.items() if k not in skip}
