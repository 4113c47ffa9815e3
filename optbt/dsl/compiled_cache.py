"""A .strat file's compiled class found again by the file's text: start-up without the compiler.

Loading a .strat file parses it, builds the AST (pydantic models: importing them alone takes
about 0.1 s), checks and compiles it: 0.15-0.2 s of every ``optbt run`` of a .strat file,
where a Python strategy loads in milliseconds. The compiled module is already kept on disk
(``optbt.dsl.compiler.load_text``, named by its content hash); this remembers, beside it, which
module a given file text compiles to, so a later load of the same text imports that module
and skips the front end entirely.

An entry is keyed by the text, the name the file was given by (it appears in the module's
docstring and error messages), the limits the checks ran with (``OPTBT_MAX_SWEEP_*`` can make
a file compile or not) and a stamp of the code that compiles it: Python's version, every
module of optbt, the grammar, Lark and pydantic by path, size and modification time, so an
edited file, an edited optbt and another installed version never reuse an entry. Only files
that compiled cleanly have entries (errors are always reported by the compiler). An entry that cannot be read, names a
module that is missing or whose text no longer hashes to its name, is ignored and rewritten.
``OPTBT_COMPILED_CACHE=off`` turns the lookup off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import threading
import types
from functools import lru_cache
from pathlib import Path

LOCK = threading.RLock()  # threads of one worker may load the same file at once (shared with the compiler)
# at most this many entries, and as many compiled modules, are kept: every edit of a .strat
# file makes one of each (a few kB), so the least recently used go when a new one is written
KEEP = 500


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """Python's version and the path, size and mtime of every module of optbt, of the grammar
    and of the libraries the front end builds on (Lark, pydantic). Not only optbt/dsl: what a
    file compiles to also depends on the engine (the Strategy class's names decide which
    parameters are renamed, the cost presets which names are known) and on Python (its
    keywords and builtins). About a millisecond. A sweep's fingerprint records it too, so a
    resume after an upgrade is refused."""
    package = Path(__file__).resolve().parents[1]
    files = sorted(package.rglob("*.py"))
    for grammar in (package / "grammar" / "strat.lark", package.parent / "grammar" / "strat.lark"):
        if grammar.is_file():
            files.append(grammar)
    parts = [sys.version]
    for lib in ("lark", "pydantic", "pydantic_core"):  # upgraded in place: their files' stamps change
        spec = importlib.util.find_spec(lib)
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    for f in files:
        st = f.stat()
        parts.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def _key(text: str, filename: str) -> str:
    from optbt.dsl.limits import Limits
    h = hashlib.sha1()
    for part in (code_stamp(), repr(Limits()), str(filename), text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:24]


def _entry(text: str, filename: str) -> Path:
    from optbt.data.sample import cache_dir
    return cache_dir() / "compiled" / f"text-{_key(text, filename)}.json"


# what a run reads of its file beyond the code (plain data, cached with it): a fact's key in
# ``facts`` -> the class attribute it is kept in. "times": the entry and exit times, for a
# no-entry day's note (optbt.dsl.compiler.session_times); "never": the rules a parameter's value
# can keep from firing (optbt.dsl.never_fires.run_spec)
FACTS = {"times": "__strat_times__", "never": "__strat_never__"}


def finish_class(cls, filename: str, strat_map: dict, param_kinds: dict, facts: dict | None = None) -> type:
    """The class a .strat file loads as: the compiled class with what belongs to the file
    (its name for messages, its source map, its costs preset resolved beside it, its ``facts``:
    see FACTS).

    Two files with the same text compile to one module and one class; so each file gets a
    subclass of its own, kept in the module under a name of its own (classes pickle by
    reference), and the compiled class itself is never changed. Before, the second file's
    load rewrote the shared class: both ran with whichever file's preset was resolved first.
    The same file loaded again gets the same subclass."""
    module = sys.modules[cls.__module__]
    where = Path(str(filename))
    place = str(where.resolve()) if where.is_file() else str(filename)
    name = f"{cls.__name__}_for_{hashlib.sha1(place.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
    with LOCK:
        mine = module.__dict__.get(name)
        if mine is None:
            mine = type(cls)(cls.__name__, (cls,), {"__module__": cls.__module__, "__qualname__": name,
                                                    "__doc__": cls.__doc__})
            setattr(module, name, mine)
        mine.__strat_source__ = str(filename)
        mine.__strat_map__ = strat_map
        mine.PARAM_KINDS = param_kinds
        for key, attr in FACTS.items():
            setattr(mine, attr, dict((facts or {}).get(key) or {}))
        _preset_beside(mine, filename)
    return mine


def _preset_beside(cls, filename) -> None:
    """A ``costs preset "file.toml"`` with a relative path means the file beside the .strat
    file (as a trader keeps them together), wherever optbt is run from; from text without a
    file, the working folder."""
    costs = getattr(cls, "COSTS", None)
    preset = costs.get("preset") if isinstance(costs, dict) else None
    source = Path(str(filename))
    if preset and str(preset).endswith(".toml") and not Path(preset).expanduser().is_absolute() and source.is_file():
        cls.COSTS = {**costs, "preset": str(source.resolve().parent / preset)}


def run_module(name: str, file: str, source: bytes) -> types.ModuleType:
    """The compiled module ``name`` (its file ``file``), run from exactly ``source``: the bytes
    whose hash names it, never a ``.pyc`` beside it that nothing checked. The code is what
    ``optbt.dsl.compiler`` generated, where a .strat file's own text appears only as Python
    literals (``repr``), never as code. The module is in ``sys.modules`` while it runs and
    after (classes pickle by reference); if running it fails it is taken out again. Call with
    :data:`LOCK` held and ``name`` not yet in ``sys.modules``."""
    code = compile(source, file, "exec", dont_inherit=True)
    module = types.ModuleType(name)
    module.__file__ = file
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)  # generated code only (see above): no user text runs
    except BaseException:
        del sys.modules[name]
        raise
    return module


def remember(text: str, filename: str, module, cls_name: str, strat_map: dict, param_kinds: dict,
             facts: dict | None = None) -> None:
    """Note that ``text`` (given as ``filename``) compiled to ``module``'s class ``cls_name``.
    A cache folder that cannot be written is no error: the next load compiles again."""
    try:
        entry = _entry(text, filename)
        data = {"module": module.__name__, "file": module.__file__, "class": cls_name,
                "lines": {str(k): list(v) for k, v in strat_map["lines"].items()}, "param_kinds": param_kinds,
                **{key: (facts or {}).get(key) or {} for key in FACTS}}
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(entry)
        prune(entry.parent)
    except (OSError, TypeError, ValueError):
        pass


def prune(folder: Path, keep: int | None = None) -> None:
    """Remove all but the ``keep`` most recently used entries and compiled modules (a hit
    touches both). What goes is only a cache: a file whose entry or module went compiles
    again on its next load, and a module in use by a running process stays loaded there."""
    keep = KEEP if keep is None else keep
    for pattern in ("text-*.json", "optbt_strat_*.py"):
        stamped = []
        for f in folder.glob(pattern):
            try:
                stamped.append((f.stat().st_mtime_ns, str(f)))
            except OSError:
                continue
        if len(stamped) <= keep:
            continue
        stamped.sort()
        for _, f in stamped[:len(stamped) - keep]:
            try:
                os.unlink(f)
            except OSError:
                pass


def _touch(*files) -> None:
    """Mark a hit as used now, so that :func:`prune` keeps it."""
    for f in files:
        try:
            os.utime(f)
        except OSError:
            pass


def lookup(text: str, filename: str):
    """The class ``text`` compiled to before, or None (never compiled, or the entry is stale)."""
    if os.environ.get("OPTBT_COMPILED_CACHE", "").strip().lower() in ("off", "0", "no", "false"):
        return None
    try:
        entry = _entry(text, filename)
        data = json.loads(entry.read_text(encoding="utf-8"))
        name, file, cls_name = data["module"], data["file"], data["class"]
        lines = {int(k): tuple(v) for k, v in data["lines"].items()}
        kinds = dict(data["param_kinds"])
        facts = {key: dict(data[key]) for key in FACTS}  # an older entry's lack: compiled again
        if not (isinstance(name, str) and isinstance(file, str) and isinstance(cls_name, str)):
            return None
        with LOCK:
            module = sys.modules.get(name)
            if module is None:
                source = Path(file).read_bytes()
                # the module is named by its text's hash (optbt.dsl.compiler.load_text): a file
                # changed since is not ours to run
                if not name.endswith("_" + hashlib.sha1(source).hexdigest()[:16]):
                    return None
                module = run_module(name, file, source)
        cls = getattr(module, cls_name)
        _touch(entry, file)
    except Exception:  # unreadable, torn, stale (code it imports moved): compiled again instead
        return None
    strat_map = {"file": str(filename), "module_file": module.__file__, "lines": lines}
    return finish_class(cls, filename, strat_map, kinds, facts)
