"""The ``optbt`` command line.

Each command group lives in the module that owns its concept and registers itself here
through a ``register(app)`` function, so this file stays a table of contents. Errors caused
by input (:class:`optbt.errors.OptbtError`) become a one-paragraph message and exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer

from optbt.errors import OptbtError

app = typer.Typer(
    name="optbt",
    help="Event-based options backtester with a declarative strategy language.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Make, check and describe datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

OPTIONAL_GROUPS = ("optbt.dsl.commands", "optbt.sweep_command", "optbt.report_command")


def _register_all() -> None:
    """Each line hands the app to the module that owns a group of commands."""
    from optbt import run_command, datacheck, synth

    run_command.register(app)
    synth.register(data_app)
    datacheck.register(data_app)
    for name in OPTIONAL_GROUPS:  # groups whose module may not exist yet in a checkout
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(app)


def fail(message: str, code: int = 2) -> None:
    """Print a user-facing error (no traceback) and exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    _register_all()
    try:
        app(standalone_mode=True)
    except OptbtError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
