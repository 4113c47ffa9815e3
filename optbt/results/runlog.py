"""Reading a sweep's log (``runs.jsonl``): one JSON object a finished run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def parse_log(text: str) -> Iterator[dict]:
    """The rows of a ``runs.jsonl``; a line cut short when a sweep was killed is skipped."""
    for line in text.splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def read_log(path: Path) -> Iterator[dict]:
    return parse_log(path.read_text()) if path.exists() else iter(())
