"""The ``optbt`` command line.

Each command group lives in the module that owns its concept and registers itself here
through a ``register(app)`` function, so this file stays a table of contents. Errors caused
by input (:class:`optbt.errors.OptbtError`) become a one-paragraph message and exit code 2;
Ctrl-C becomes "interrupted" and exit code 130, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer

from optbt.model.errors import OptbtError, is_interrupt

app = typer.Typer(
    name="optbt",
    help="Event-based options backtester with a declarative strategy language.\n\n"
         "Output follows the terminal: no progress bars when it is not one (a pipe, a file, CI), and no colour"
         " when NO_COLOR is set.\n\nExample: optbt run strategies_dsl/straddle_920.strat",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version
        try:
            number = version("optbt")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown (not installed)"
        typer.echo(f"optbt {number}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="print optbt's version and exit")) -> None:
    """The options every command shares (the group's help is the Typer's ``help=`` above)."""
data_app = typer.Typer(help="Make, check and sort datasets (synth, check, sort).\n\n"
                            "Example: optbt data check examples/datasets/goog-2015-12-24.toml --data-root DATA",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")

# (module, group): each module's register(app) adds its commands to that group
COMMANDS = (
    ("optbt.cli.run", app),
    ("optbt.cli.data", data_app),
    ("optbt.cli.lang", app),
    ("optbt.cli.sweep", app),
    ("optbt.cli.report", app),
    ("optbt.cli.lsp", app),
)
_registered = False


def _register_all() -> None:
    """Hand each group to the module that owns its commands (once)."""
    global _registered
    if _registered:
        return
    _registered = True
    for name, group in COMMANDS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(group)


def fail(message: str, code: int = 2) -> None:
    """Print a user-facing error (no traceback) and exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def _interrupted() -> None:
    typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
    sys.exit(INTERRUPTED)


def main() -> None:
    """Console-script entry point: exit codes 0 ok, 1 findings (--strict, lint), 2 bad input, 130 Ctrl-C.

    Typer turns a KeyboardInterrupt into a silent exit 130; a Ctrl-C that lands inside a
    DuckDB query arrives as DuckDB's own error instead (see ``is_interrupt``). Both end here
    as one word on stderr, "interrupted", and exit code 130.
    """
    _register_all()
    try:
        app(standalone_mode=True)
    except OptbtError as exc:
        if is_interrupt(exc):
            _interrupted()
        typer.secho(f"{exc.prefix}{exc}", fg=typer.colors.RED, err=True)
        sys.exit(exc.exit_code)
    except SystemExit as exc:
        if exc.code == INTERRUPTED and is_interrupt(exc):
            _interrupted()
        raise
    except KeyboardInterrupt:
        _interrupted()
    except Exception as exc:
        if is_interrupt(exc):
            _interrupted()
        raise

if __name__ == "__main__":
    main()
