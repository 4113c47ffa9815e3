"""The package layout is the architecture: wings import only downward, and nothing circles.

Layers, lowest first: model < data < results < engine < dsl < sweeps < api < cli. Every import of an
``optbt`` module counts — at module level, inside functions and under ``TYPE_CHECKING`` — so
that "what may this wing know?" is answered by the folder a module sits in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import optbt

PACKAGE = Path(optbt.__file__).parent
LAYERS = ("model", "data", "results", "engine", "dsl", "sweeps", "api", "cli")
RANK = {wing: n for n, wing in enumerate(LAYERS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, name: str) -> set[str]:
    """Every optbt module ``path`` imports (``from optbt.x import y`` counts y when it is a module)."""
    modules = _modules()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("optbt"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("optbt"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    found.discard(name)
    return found


def _wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


def _graph() -> dict[str, set[str]]:
    return {name: _imports(path, name) for name, path in _modules().items()}


def test_every_module_sits_in_a_wing():
    loose = [m for m in _modules() if m not in ("optbt", "optbt.__main__") and _wing(m) is None]
    assert not loose, f"modules outside the wings {LAYERS}: {loose}"


def test_wings_import_only_downward():
    upward = []
    for module, targets in _graph().items():
        here = _wing(module)
        if here is None:  # optbt/__init__.py (the public face) and __main__ may import anything
            continue
        for target in targets:
            there = _wing(target)
            if target == "optbt" or (there is not None and RANK[there] > RANK[here]):
                upward.append(f"{module} -> {target}")
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_no_import_circles():
    graph = {m: {t for t in ts if t in _modules() and t != "optbt"} for m, ts in _graph().items()}
    # a package's __init__ re-exporting its modules is not a dependency of those modules on it
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_only_the_cli_talks_to_the_terminal():
    offenders = []
    for module, path in _modules().items():
        if _wing(module) == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{module} imports {n}" for n in names if n.split(".")[0] in ("typer", "rich")]
    assert not offenders, offenders


def test_the_public_api_is_importable_from_the_top():
    import importlib
    top = importlib.import_module("optbt")
    for name in top.__all__:
        assert getattr(top, name) is not None, name
    from optbt import (BacktestResult, BarContext, ConfigError, DataError, DatasetConfig,  # noqa: F401
                       DayStartContext, EventEngine, Instrument, Leg, OptbtError, Result, Strategy,
                       StrategyError, Trade, backtest, load_dataset, run_backtest)


def test_the_import_walk_sees_a_planted_upward_import(tmp_path):
    """The checker itself can fail: an engine module importing the CLI is caught."""
    planted = tmp_path / "planted.py"
    planted.write_text("from optbt.cli import app\n\ndef f():\n    from optbt.sweeps.run import run_sweep\n")
    found = _imports(planted, "optbt.engine.planted")
    assert {"optbt.cli.app", "optbt.sweeps.run"} <= found
    assert all(RANK[_wing(t)] > RANK["engine"] for t in found)
