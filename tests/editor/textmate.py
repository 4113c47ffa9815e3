"""A small TextMate tokenizer for tests: applies a grammar's ``match`` and ``begin``/``end`` rules
(with captures, ``include`` of ``#repository`` entries and ``$self``) with Python's ``re``, the
way editors apply them with Oniguruma: at each position the earliest match wins, ties go to the
rule listed first, and an open ``begin`` rule's ``end`` wins ties with its own patterns.

It covers what the .strat grammar uses; the grammar keeps its regexes in the subset Python and
Oniguruma read alike (a test checks that no construct of only one of them appears).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class _Rule:
    name: str | None = None
    match: re.Pattern | None = None
    begin: re.Pattern | None = None
    end: re.Pattern | None = None
    captures: dict[int, str] = field(default_factory=dict)
    begin_captures: dict[int, str] = field(default_factory=dict)
    end_captures: dict[int, str] = field(default_factory=dict)
    patterns: list = field(default_factory=list)  # raw entries, resolved lazily


def _captures(raw: dict | None) -> dict[int, str]:
    return {int(k): v["name"] for k, v in (raw or {}).items() if "name" in v}


class Grammar:
    def __init__(self, path: Path):
        self.raw = json.loads(path.read_text(encoding="utf-8"))
        self.scope = self.raw["scopeName"]
        self.root = _Rule(name=self.scope, patterns=self.raw["patterns"])
        self._cache: dict[int, _Rule] = {}

    def regexes(self) -> list[str]:
        """Every regex in the grammar, for checks on their dialect."""
        found = []

        def walk(node):
            if isinstance(node, dict):
                found.extend(node[k] for k in ("match", "begin", "end") if k in node)
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(self.raw)
        return found

    def _rule(self, raw: dict) -> _Rule:
        key = id(raw)
        if key not in self._cache:
            self._cache[key] = _Rule(
                name=raw.get("name"),
                match=re.compile(raw["match"]) if "match" in raw else None,
                begin=re.compile(raw["begin"]) if "begin" in raw else None,
                end=re.compile(raw["end"]) if "end" in raw else None,
                captures=_captures(raw.get("captures")),
                begin_captures=_captures(raw.get("beginCaptures") or raw.get("captures")),
                end_captures=_captures(raw.get("endCaptures") or raw.get("captures")),
                patterns=raw.get("patterns", []))
        return self._cache[key]

    def _flatten(self, entries: list, seen=()) -> list[_Rule]:
        """Includes resolved: the rules tried at one position, in order."""
        out = []
        for raw in entries:
            if "include" in raw:
                ref = raw["include"]
                if ref == "$self":
                    target = self.raw["patterns"]
                elif ref.startswith("#"):
                    target = [self.raw["repository"][ref[1:]]]
                else:
                    raise ValueError(f"include {ref!r} is not supported here")
                if ref not in seen:
                    out += self._flatten(target, (*seen, ref))
            elif "match" in raw or "begin" in raw:
                out.append(self._rule(raw))
            else:  # a repository entry that only groups patterns
                out += self._flatten(raw.get("patterns", []), seen)
        return out

    def tokenize(self, lines: list[str]) -> list[list[list[str]]]:
        """For each line, each character's scopes (outermost first)."""
        stack: list[_Rule] = [self.root]
        out = []
        for line in lines:
            scopes: list[list[str]] = [[] for _ in line]
            pos = steps = 0
            while pos <= len(line):
                top = stack[-1]
                best = None  # (start, order, kind, rule, match)
                if top.end is not None:
                    m = top.end.search(line, pos)
                    if m:
                        best = (m.start(), -1, "end", top, m)
                for order, rule in enumerate(self._flatten(top.patterns)):
                    m = (rule.match or rule.begin).search(line, pos)
                    if m and (best is None or m.start() < best[0]):
                        best = (m.start(), order, "match" if rule.match else "begin", rule, m)
                if best is None:
                    break
                start, _, kind, rule, m = best
                outer = [r.name for r in stack if r.name]
                for i in range(pos, start):
                    scopes[i] = list(outer)
                if kind == "end":
                    self._paint(scopes, m, outer, rule.end_captures)
                    stack.pop()
                elif kind == "begin":
                    self._paint(scopes, m, outer + ([rule.name] if rule.name else []), rule.begin_captures)
                    stack.append(rule)
                else:
                    self._paint(scopes, m, outer + ([rule.name] if rule.name else []), rule.captures)
                    if m.end() == m.start():
                        raise ValueError(f"empty match of {rule.match.pattern!r} at {pos}: it would never advance")
                pos = m.end()
                steps += 1
                if steps > 10 * (len(line) + 1):
                    raise ValueError(f"the grammar does not advance on: {line!r}")
            outer = [r.name for r in stack if r.name]
            for i in range(pos, len(line)):
                scopes[i] = list(outer)
            out.append(scopes)
        return out

    @staticmethod
    def _paint(scopes, m: re.Match, base: list[str], captures: dict[int, str]) -> None:
        for i in range(m.start(), m.end()):
            scopes[i] = list(base)
        for group, name in sorted(captures.items()):
            if m.group(group) is not None:
                for i in range(m.start(group), m.end(group)):
                    scopes[i] = scopes[i] + [name]
