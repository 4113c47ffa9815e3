"""Find the strategy a user names: ``path/file.py:ClassName`` or ``path/file.strat``.

A Python file is imported as a module from its path (it is the user's own code); a
``.strat`` file is compiled by the language front end, which never runs user text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
import traceback
from pathlib import Path

from optbt.engine.strategy import Strategy
from optbt.model.errors import StrategyError, did_you_mean


def load_strategy(spec: str) -> type[Strategy]:
    """The Strategy subclass that ``spec`` names.

    A file with exactly one Strategy subclass may omit ``:ClassName``.
    """
    text = str(spec)
    if text.endswith(".strat"):
        path = Path(text)
        if not path.exists():
            raise StrategyError(f"strategy file not found: {path}")
        from optbt.dsl import load_strat
        return load_strat(path)
    file_part, _, name = text.rpartition(":")  # the last colon: a folder may have one in its name
    if not file_part or not name.isidentifier():  # no class named (or C:\..., a Windows drive letter)
        file_part, name = text, ""
    path = Path(file_part)
    if path.suffix != ".py":
        raise StrategyError(f"expected path/to/file.py:ClassName or a .strat file, got {spec!r}")
    if not path.exists():
        raise StrategyError(f"strategy file not found: {path}")
    module = _import_file(path)
    found = {k: v for k, v in vars(module).items()
             if isinstance(v, type) and issubclass(v, Strategy) and v is not Strategy
             and v.__module__ == module.__name__}
    if not name:
        if len(found) == 1:
            return next(iter(found.values()))
        raise StrategyError(f"{path} defines {len(found)} strategies ({', '.join(found) or 'none'}):"
                            f" name one as {path}:ClassName")
    cls = getattr(module, name, None)
    if cls is None:
        raise StrategyError(f"{path} has no class '{name}'{did_you_mean(name, found)};"
                            f" strategies there: {', '.join(found) or 'none'}")
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyError(f"{path}:{name} is not a subclass of optbt.Strategy")
    return cls


_IMPORT_LOCK = threading.RLock()


def _import_file(path: Path):
    with _IMPORT_LOCK:  # threads of one worker may load the same file at once
        return _import_file_locked(path)


def _sha1(path: str) -> str | None:
    try:
        return hashlib.sha1(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _library_folders() -> tuple[str, ...]:
    """Where installed code lives (Python's own library, site-packages, optbt): modules from
    there are not the user's helpers."""
    import sysconfig
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(__file__).resolve().parents[1])}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            folders.add(sysconfig.get_paths()[key])
        except KeyError:
            pass
    return tuple(os.path.join(str(Path(f).resolve()), "") for f in folders if f)


def _helpers_imported(before: set[str]) -> dict[str, tuple[str, str | None]]:
    """The user's own modules a strategy file imported for the first time: name -> (file, sha1)."""
    libraries = _library_folders()
    out: dict[str, tuple[str, str | None]] = {}
    for name in set(sys.modules) - before:
        file = getattr(sys.modules.get(name), "__file__", None)
        if not file or name.startswith("optbt_user_"):
            continue
        real = str(Path(file).resolve())
        if not real.startswith(libraries):
            out[name] = (real, _sha1(real))
    return out


def _forget_bytecode(file: str) -> None:
    """Remove a changed helper's cached bytecode: Python trusts a ``.pyc`` by its source's size
    and modification second, so an edit that keeps both would import the old code."""
    try:
        os.unlink(importlib.util.cache_from_source(file))
    except (OSError, ValueError, NotImplementedError):  # none, or not ours to remove: Python decides
        pass


def _module_name(resolved: Path) -> str:
    """The module name a strategy file is imported under: one per file (its path's hash)."""
    return "optbt_user_" + hashlib.sha1(str(resolved).encode()).hexdigest()[:12]


def helper_files(path: Path) -> dict[str, str | None]:
    """The helper modules (file -> sha1) the Python strategy file ``path`` imported itself, as
    loaded in this process, for a sweep's fingerprint; {} for a file not loaded here."""
    helpers = getattr(sys.modules.get(_module_name(Path(path).resolve())), "__optbt_helpers__", {})
    return {file: digest for file, digest in sorted(helpers.values())}


def _import_file_locked(path: Path):
    """The file's module, imported once per content: a file edited since (in a notebook, or
    on a Dask worker that outlives a sweep) is imported again, never served stale. So are the
    user's own modules it imported first (``import helper`` beside it): when one of them has
    changed, they are imported again with the strategy. (A helper already imported before the
    strategy, by the notebook itself, is Python's to reload: ``importlib.reload``.)"""
    resolved = path.resolve()
    mod_name = _module_name(resolved)
    try:
        text = resolved.read_bytes()
        digest = hashlib.sha1(text).hexdigest()
    except OSError as exc:
        raise StrategyError(f"cannot read {path}: {exc.strerror or exc}") from None
    loaded = sys.modules.get(mod_name)
    if loaded is not None:
        helpers = getattr(loaded, "__optbt_helpers__", {})
        if getattr(loaded, "__optbt_sha1__", None) == digest and \
                all(_sha1(file) == sha for file, sha in helpers.values()):
            return loaded
        for name, (file, sha) in helpers.items():  # imported again below, as the strategy file imports them
            sys.modules.pop(name, None)
            if _sha1(file) != sha:
                _forget_bytecode(file)
    before = set(sys.modules)
    spec = importlib.util.spec_from_file_location(mod_name, resolved)
    if spec is None or spec.loader is None:
        raise StrategyError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    module.__optbt_sha1__ = digest  # type: ignore[attr-defined]
    sys.modules[mod_name] = module  # picklable classes for process pools
    try:
        # the bytes just hashed, not a cached .pyc (trusted by second and size: an edit in
        # the same second could run the old code); the user's own code, as an import runs it
        exec(compile(text, str(resolved), "exec", dont_inherit=True), module.__dict__)
    except SyntaxError as exc:
        del sys.modules[mod_name]
        raise StrategyError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except (Exception, SystemExit) as exc:  # sys.exit() in the file must not end optbt silently
        del sys.modules[mod_name]
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(resolved)]
        at = f"{path}:{lines[-1]}" if lines else str(path)
        what = (f"it called sys.exit({exc.code!r}); a strategy file must not exit" if isinstance(exc, SystemExit)
                else f"{type(exc).__name__}: {exc}")
        raise StrategyError(f"importing {at} failed: {what}") from None
    module.__optbt_helpers__ = _helpers_imported(before)  # type: ignore[attr-defined]
    return module
