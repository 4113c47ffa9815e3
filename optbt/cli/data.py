"""``optbt data synth`` and ``optbt data check``: make and validate datasets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from optbt.model.errors import ConfigError


def register(data_app) -> None:
    register_synth(data_app)
    register_check(data_app)


def register_synth(data_app) -> None:
    import typer
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    @data_app.command("synth")
    def synth(
        out: Path = typer.Option(..., "--out", help="folder to write (replaced if it exists)"),
        days: int = typer.Option(20, "--days", help="trading days to generate"),
        seed: int = typer.Option(7, "--seed", help="random seed: same seed, same bytes"),
        start: str = typer.Option("2024-01-01", "--start", help="first calendar day, YYYY-MM-DD"),
    ) -> None:
        """Write a deterministic synthetic NIFTY-like dataset (GBM with jumps, Black-Scholes with a smile)."""
        from optbt.data.synth import generate
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise ConfigError(f"--start must be a date like 2024-01-01, got {start!r}") from None
        with Progress(TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[day]}"),
                      TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("synth", total=days, day="")
            generate(out, days=days, seed=seed, start=first,
                     progress=lambda n, total, d: bar.update(task, completed=n, day=str(d)))
        typer.echo(f"wrote {days} synthetic trading days to {out} (config: {out / 'dataset.toml'})")


def register_check(data_app) -> None:
    import typer
    from rich.console import Console
    from rich.table import Table

    @data_app.command("check")
    def check(
        data: str = typer.Argument(..., help="dataset folder or dataset.toml"),
        data_root: str = typer.Option(None, "--data-root", help="folder the config's relative paths resolve against"),
        fmt: str = typer.Option("text", "--format", help="text or json"),
    ) -> None:
        """Validate a dataset: errors exit 1, warnings are reported with counts."""
        from optbt.data.check import check_dataset
        from optbt.data.dataset import load_dataset
        from optbt.model.errors import ConfigError
        if fmt not in ("text", "json"):
            raise ConfigError(f"--format must be text or json, not {fmt!r}")
        report = check_dataset(load_dataset(data, data_root))
        if fmt == "json":
            typer.echo(report.to_json())
        else:
            console = Console()
            table = Table(title=f"data check: {report.dataset}")
            for col in ("level", "check", "count", "where", "detail"):
                table.add_column(col, overflow="fold")
            for f in report.findings:
                style = "red" if f.level == "error" else "yellow"
                table.add_row(f"[{style}]{f.level}[/{style}]", f.check, f"{f.count:,}", f.where, f.detail)
            if report.findings:
                console.print(table)
            verdict = (f"[red]{len(report.errors)} error(s)[/red]" if report.errors else "[green]ok[/green]")
            console.print(f"{verdict}, {len(report.warnings)} warning(s)")
        raise typer.Exit(1 if report.errors else 0)
