"""``optbt compile``, ``optbt lint``, ``optbt fmt`` and ``optbt explain``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from optbt.model.errors import ConfigError


def register(app: typer.Typer) -> None:
    from optbt.dsl import StratError, compile_text, parse_text, read_strat
    from optbt.dsl.diagnostics import explain as explain_code
    from optbt.dsl.diagnostics import render_all
    from optbt.dsl.format import format_program
    from optbt.dsl.lint import lint_text

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
    def compile_(
        file: Path = typer.Argument(..., help="a .strat file"),
        out: Path = typer.Option(None, "-o", "--out", help="write here instead of printing"),
        emit: str = typer.Option("python", "--emit", help="python (a Strategy subclass) or ast (JSON)"),
        max_values: int = max_values_option,
        max_runs: int = max_runs_option,
    ) -> None:
        """Compile a .strat file to readable Python (or its AST as JSON).

        Names that Python or the Strategy base class already use are renamed (listed in a
        comment at the top of the output)."""
        if emit not in ("python", "ast"):
            raise ConfigError(f"--emit takes python or ast, not {emit!r}")
        text = read_strat(file)
        source, cls_name, unit = compile_text(text, str(file), limits_of(max_values, max_runs))
        result = source if emit == "python" else unit.program.model_dump_json(indent=2) + "\n"
        if out is None:
            typer.echo(result, nl=False)
        else:
            out.write_text(result, encoding="utf-8")
            hint = f"; run it with: optbt run {out}:{cls_name}" if emit == "python" else ""
            typer.echo(f"wrote {out}{hint}", err=True)

    @app.command("lint")
    def lint(
        files: list[Path] = typer.Argument(..., help=".strat files"),
        fmt: str = typer.Option("text", "--format", help="text or json"),
        strict: bool = typer.Option(False, "--strict", help="warnings fail too (exit 1)"),
        max_values: int = max_values_option,
        max_runs: int = max_runs_option,
    ) -> None:
        """Check .strat files: errors and warnings with rule codes (see docs/language.md)."""
        if fmt not in ("text", "json"):
            raise ConfigError(f"--format takes text or json, not {fmt!r}")
        failed = False
        reports, texts = [], []
        limits = limits_of(max_values, max_runs)
        for file in files:
            text = read_strat(file)
            diags = lint_text(text, limits)
            failed |= any(d.severity == "error" for d in diags) or (strict and bool(diags))
            if fmt == "json":
                reports += [d.as_dict(str(file)) for d in diags]
            elif diags:
                texts.append(render_all(diags, text, str(file)))
        if fmt == "json":
            typer.echo(json.dumps(reports, indent=2))
        else:
            for t in texts:
                typer.echo(t + "\n")
            count = len(files)
            typer.echo(f"{'problems found' if texts else 'clean'}: {count} file{'s' if count != 1 else ''} checked",
                       err=True)
        raise typer.Exit(1 if failed else 0)

    @app.command("fmt")
    def fmt_(
        files: list[Path] = typer.Argument(..., help=".strat files"),
        check_only: bool = typer.Option(False, "--check", help="exit 1 if a file is not formatted; change nothing"),
        write: bool = typer.Option(False, "--write", "-w", help="rewrite the files in place"),
    ) -> None:
        """Print .strat files in canonical form (comments kept)."""
        unformatted = []
        for file in files:
            text = read_strat(file)
            program, diags = parse_text(text)
            if diags:
                raise StratError(diags, text, str(file))
            pretty = format_program(program)
            if check_only:
                if pretty != text:
                    unformatted.append(str(file))
            elif write:
                if pretty != text:
                    file.write_text(pretty)
            else:
                typer.echo(pretty, nl=False)
        if check_only:
            for name in unformatted:
                typer.echo(f"would reformat {name}", err=True)
            raise typer.Exit(1 if unformatted else 0)

    @app.command("explain")
    def explain(code: str = typer.Argument(..., help="a diagnostic code, e.g. E0201 or W001")) -> None:
        """The long explanation of a diagnostic code."""
        typer.echo(explain_code(code))
