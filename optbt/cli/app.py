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

from optbt.model.errors import OptbtError

app = typer.Typer(
    name="optbt",
    help="Event-based options backtester with a declarative strategy language.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Make, check and describe datasets.", no_args_is_help=True)
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


def main() -> None:
    """Console-script entry point."""
    _register_all()
    try:
        app(standalone_mode=True)
    except OptbtError as exc:
        typer.secho(f"{exc.prefix}{exc}", fg=typer.colors.RED, err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
