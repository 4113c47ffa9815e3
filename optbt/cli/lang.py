"""``optbt compile``, ``optbt lint``, ``optbt fmt`` and ``optbt explain``.

Exit codes (the table in README and docs/language.md): 0 ok; 1 lint findings, or files that
``fmt --check`` would change; 2 invalid input (a file that is missing, not UTF-8 or not a
valid program, a bad option); 130 interrupted (Ctrl-C). Text goes out as UTF-8 whatever the
terminal's locale, so a description like ``café ₹`` is never mangled on the way.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

import typer

from optbt.model.errors import ConfigError, OptbtError

OK, FINDINGS, INVALID, INTERRUPTED = 0, 1, 2, 130


def interruptible(command):
    """Ctrl-C ends a language command with exit code 130 and one line, not a traceback."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(INTERRUPTED) from None
    return run


def _out(text: str) -> None:
    """Print to standard output as UTF-8 bytes (never through the locale's encoding)."""
    typer.echo(text.encode("utf-8"), nl=False)


def _lint_session(data: str):
    """The session ``optbt lint --data`` checks times against: the dataset config's
    ``[session]`` (a bad config is the run's ConfigError; no data file is opened)."""
    from optbt.data.dataset import load_dataset
    from optbt.dsl.lint import Session
    cfg = load_dataset(data)
    return Session(cfg.session.start, cfg.session.end, cfg.name)


def _error(exc: OptbtError) -> None:
    typer.secho(f"{exc.prefix}{exc}", fg=typer.colors.RED, err=True)


def _write_utf8(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (a temporary file renamed over it), keeping
    its permissions (a new file gets the usual ones): an interrupted write never leaves half a
    file. A symbolic link is written through (the file it points to changes, the link stays).
    A path that cannot be written is a one-line ConfigError, never a traceback."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise ConfigError(f"cannot write {path}: it is a folder; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {(exc.strerror or type(exc).__name__).lower()}"
                          f" (in {target.parent})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {(exc.strerror or type(exc).__name__).lower()}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(app: typer.Typer) -> None:
    # the language front end is imported by the command that runs, not when the CLI starts
    max_values_option = typer.Option(None, "--max-sweep-values", min=1,
                                     help="values one parameter may sweep over (default 10,000)")
    max_runs_option = typer.Option(None, "--max-sweep-runs", min=1,
                                   help="runs the declared sweeps may make (default 1,000,000)")

    def limits_of(max_values: int | None, max_runs: int | None):
        from dataclasses import replace

        from optbt.dsl.limits import Limits
        limits = Limits()
        if max_values:
            limits = replace(limits, max_sweep_values=max_values)
        if max_runs:
            limits = replace(limits, max_sweep_runs=max_runs)
        return limits

    @app.command("compile")
    @interruptible
    def compile_(
        file: Path = typer.Argument(..., help="a .strat file"),
        out: Path = typer.Option(None, "-o", "--out", help="write here instead of printing"),
        emit: str = typer.Option("python", "--emit", help="python (a Strategy subclass) or ast (JSON)"),
        max_values: int = max_values_option,
        max_runs: int = max_runs_option,
    ) -> None:
        """Compile a .strat file to readable Python (or its AST as JSON).

        Names that Python or the Strategy base class already use are renamed (listed in a
        comment at the top of the output).

        Example: optbt compile strategies_dsl/straddle_920.strat -o straddle.py
        """
        from optbt.dsl import compile_text, read_strat
        if emit not in ("python", "ast"):
            raise ConfigError(f"--emit takes python or ast, not {emit!r}")
        text = read_strat(file)
        source, cls_name, unit = compile_text(text, str(file), limits_of(max_values, max_runs))
        result = source if emit == "python" else unit.program.model_dump_json(indent=2) + "\n"
        if out is None:
            _out(result)
        else:
            if out.suffix.lower() == ".strat" or (out.exists() and out.resolve() == Path(file).resolve()):
                raise ConfigError(f"-o {out} would overwrite a .strat file with the compiled output; give a .py "
                                  "file (or .json for --emit ast)")
            _write_utf8(out, result)
            runnable = emit == "python" and out.suffix == ".py"
            hint = f"; run it with: optbt run {out}:{cls_name}" if runnable else ""
            typer.echo(f"wrote {out}{hint}", err=True)

    @app.command("lint")
    @interruptible
    def lint(
        files: list[Path] = typer.Argument(..., help=".strat files"),
        fmt: str = typer.Option("text", "--format", help="text or json"),
        strict: bool = typer.Option(False, "--strict", help="warnings fail too (exit 1)"),
        max_values: int = max_values_option,
        max_runs: int = max_runs_option,
        data: str = typer.Option(None, "--data", help="dataset folder or dataset.toml: also warn about times "
                                                       "outside its session (W013)"),
    ) -> None:
        """Check .strat files: errors and warnings with rule codes (see docs/language.md).

        Exit 0: clean (warnings allowed unless --strict); 1: findings; 2: a file could not be read.

        With --data, times outside that dataset's session are warnings too (W013); only its
        dataset.toml is read, never the data.

        Example: optbt lint strategies_dsl/*.strat --format json
        Example: optbt lint orb_breakout.strat --data data/us
        """
        from optbt.dsl import read_strat
        from optbt.dsl.diagnostics import render_all
        from optbt.dsl.lint import lint_text
        if fmt not in ("text", "json"):
            raise ConfigError(f"--format takes text or json, not {fmt!r}")
        session = None if data is None else _lint_session(data)
        failed, unreadable = False, 0
        reports, texts = [], []
        limits = limits_of(max_values, max_runs)
        for file in files:
            try:
                text = read_strat(file)
            except OptbtError as exc:
                _error(exc)
                unreadable += 1
                if fmt == "json":  # in the report too: a file left out must not read as a clean one
                    reports.append({"file": str(file), "severity": "error", "code": "unreadable",
                                    "message": str(exc), "line": 0, "column": 0, "end_column": 0,
                                    "label": "", "help": "check the path"})
                continue
            diags = lint_text(text, limits, session)
            failed |= any(d.severity == "error" for d in diags) or (strict and bool(diags))
            if fmt == "json":
                reports += [d.as_dict(str(file)) for d in diags]
            elif diags:
                texts.append(render_all(diags, text, str(file)))
        if fmt == "json":
            _out(json.dumps(reports, indent=2, ensure_ascii=False) + "\n")
        else:
            for t in texts:
                _out(t + "\n\n")
            count = len(files) - unreadable
            summary = f"{'problems found' if texts else 'clean'}: {count} file{'s' if count != 1 else ''} checked"
            if unreadable:
                summary += f"; {unreadable} could not be read"
            typer.echo(summary, err=True)
        raise typer.Exit(INVALID if unreadable else FINDINGS if failed else OK)

    @app.command("fmt")
    @interruptible
    def fmt_(
        files: list[Path] = typer.Argument(..., help=".strat files"),
        check_only: bool = typer.Option(False, "--check", help="exit 1 if a file would change; change nothing"),
        write: bool = typer.Option(False, "--write", "-w", help="rewrite the files in place"),
    ) -> None:
        """Print .strat files in canonical form; the meaning, comments and descriptions are kept.

        Only a valid file is formatted: an invalid one gets its diagnostics and exit 2, never a write.

        --check: exit 1 when a file would change (byte for byte, so a BOM or CRLF line ends count).

        Example: optbt fmt --check strategies_dsl/*.strat
        """
        from optbt.dsl import read_strat
        from optbt.dsl.format import FormatError, format_source
        if check_only and write:
            raise ConfigError("--check and --write exclude each other")
        invalid = False
        would_change = []
        for file in files:
            try:
                text = read_strat(file)
                pretty = format_source(text, str(file))
            except OptbtError as exc:
                _error(exc)
                invalid = True
                continue
            except FormatError as exc:
                typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
                invalid = True
                continue
            changed = file.read_bytes() != pretty.encode("utf-8")
            if check_only:
                if changed:
                    would_change.append(file)
                    typer.echo(f"would reformat {file}", err=True)
            elif write:
                if changed:
                    _write_utf8(file, pretty)
                    typer.echo(f"reformatted {file}", err=True)
            else:
                _out(pretty)
        if invalid:
            raise typer.Exit(INVALID)
        raise typer.Exit(FINDINGS if would_change else OK)

    @app.command("explain")
    @interruptible
    def explain(what: str = typer.Argument(..., metavar="FILE.strat|CODE",
                                           help="a .strat file, or a diagnostic code such as E0201 or W001")) -> None:
        """What a .strat file does, in plain words; or the long explanation of a diagnostic code.

        Example: optbt explain strategies_dsl/straddle_920.strat  (or: optbt explain E0301)
        """
        from optbt.dsl import read_strat
        from optbt.dsl.diagnostics import explain as explain_code
        from optbt.dsl.explain import explain_text
        path = Path(what)
        if path.suffix == ".strat":
            text = read_strat(path)
            _out(explain_text(text, str(path)))
        elif path.suffix == ".py" or path.exists():
            raise ConfigError(f"explain takes a .strat file or a diagnostic code (E0201, W001), not {what}"
                              + ("; a Python strategy explains itself in its own code" if path.suffix == ".py" else ""))
        else:
            _out(explain_code(what) + "\n")
