"""``optbt data synth``, ``check`` and ``sort``: make, validate and re-order datasets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from optbt.model.errors import ConfigError


def _short(path: str, root: str | None) -> str:
    """A file path relative to the dataset's root when it lies under it (the table is narrow)."""
    try:
        return str(Path(path).relative_to(root)) if root else path
    except ValueError:
        return path


def register(data_app) -> None:
    # rich's progress module is imported inside each command: every command module is imported
    # (and registered) when optbt starts, and a run never shows these bars
    register_synth(data_app)
    register_check(data_app)
    register_sort(data_app)


def register_synth(data_app) -> None:
    import typer

    @data_app.command("synth")
    def synth(
        out: Path = typer.Option(..., "--out", help="folder to write: new, empty, or made by synth before"),
        days: int = typer.Option(20, "--days", help="trading days to generate"),
        seed: int = typer.Option(7, "--seed", help="random seed: same seed, same bytes"),
        start: str = typer.Option("2024-01-01", "--start", help="first calendar day, YYYY-MM-DD"),
        force: bool = typer.Option(False, "--force", help="write into a non-empty folder synth did not make "
                                   "(same-named files are overwritten; nothing else is deleted)"),
    ) -> None:
        """Write a deterministic synthetic NIFTY-like dataset (GBM with jumps, Black-Scholes with a smile).

        Example: optbt data synth --out data/synth --days 250 --seed 7
        """
        from optbt.data.synth import generate
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise ConfigError(f"--start must be a date like 2024-01-01, got {start!r}") from None
        if not 1900 <= first.year <= 2200:  # the calendar runs on for days * 1.6 + 120 days after it
            raise ConfigError(f"--start must be between 1900 and 2200, got {start!r}")
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        with Progress(TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[day]}"),
                      TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("synth", total=days, day="")
            generate(out, days=days, seed=seed, start=first, force=force,
                     progress=lambda n, total, d: bar.update(task, completed=n, day=str(d)))
        typer.echo(f"wrote {days} synthetic trading days to {out} (config: {out / 'dataset.toml'})")


def register_check(data_app) -> None:
    import json

    import typer
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from optbt.model.errors import OptbtError

    @data_app.command("check")
    def check(
        data: str = typer.Argument(..., help="dataset folder or dataset.toml"),
        data_root: str = typer.Option(None, "--data-root", help="folder the config's relative paths resolve against"),
        fmt: str = typer.Option("text", "--format", help="text or json"),
    ) -> None:
        """Validate a dataset: errors exit 1, warnings are reported with counts (2: it could not be checked).

        Example: optbt data check examples/datasets/goog-2015-12-24.toml --data-root DATA --format json
        """
        from optbt.data.check import check_dataset
        from optbt.data.dataset import config_file, load_dataset
        if fmt not in ("text", "json"):
            raise ConfigError(f"--format must be text or json, not {fmt!r}")
        try:
            config = load_dataset(data, data_root)
            # the bar goes to stderr, so stdout stays pure JSON with --format json
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            with Progress(TextColumn("data check"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[step]}"),
                          TimeElapsedColumn(), transient=True, console=Console(stderr=True)) as bar:
                task = bar.add_task("check", total=None, step="opening files")
                report = check_dataset(config, progress=lambda done, total, step: bar.update(
                    task, completed=done, total=total, step=step), config_path=str(config_file(data).resolve()))
        except OptbtError as exc:
            if fmt != "json":
                raise
            typer.echo(json.dumps({"dataset": str(data), "ok": False, "error": str(exc), "findings": []}, indent=2))
            raise typer.Exit(exc.exit_code) from None
        if fmt == "json":
            typer.echo(report.to_json())
        else:
            console = Console()
            table = Table(title=f"data check: {report.dataset}")
            for col in ("level", "check", "count", "where", "detail", "sample row"):
                table.add_column(col, overflow="fold")
            for f in report.findings:
                style = {"error": "red", "warning": "yellow"}.get(f.level, "cyan")
                # the data's words as they are: "[spot]" in a detail, a path or a value is no markup
                table.add_row(f"[{style}]{f.level}[/{style}]", f.check, f"{f.count:,}",
                              escape(_short(f.where, config.root)), escape(f.detail), escape(f.sample_text))
            if report.findings:
                console.print(table)
            verdict = (f"[red]{len(report.errors)} error(s)[/red]" if report.errors else "[green]ok[/green]")
            notes = f", {len(report.notes)} note(s)" if report.notes else ""
            console.print(f"{verdict}, {len(report.warnings)} warning(s){notes}")
        raise typer.Exit(1 if report.errors else 0)


def register_sort(data_app) -> None:
    import typer

    @data_app.command("sort")
    def sort(
        data: str = typer.Argument(..., help="dataset folder or dataset.toml"),
        out: Path = typer.Option(..., "--out", help="new folder for the sorted copy (outside the dataset)"),
        data_root: str = typer.Option(None, "--data-root", help="folder the config's relative paths resolve against"),
        row_group_rows: int = typer.Option(30_720, "--row-group-rows", help="rows per row group written"),
        split_days: bool = typer.Option(False, "--split-days",
                                        help="write a file of several days as one file a day, NAME.YYYY-MM-DD.parquet "
                                             "(the config's options path must be a glob that finds them)"),
    ) -> None:
        """Copy a dataset with each day's option rows sorted by expiry, strike, type and time.

        Runs then read a day's few contracts without decoding the whole day (files kept in time
        order: a file a month, vendor exports; `optbt data check` notes them). Every file's rows
        are checked equal to its source's; spot and series files are hard-linked; the source is
        not touched. With --split-days a file of many days (a month) becomes a file a day: the
        fastest layout.

        Example: optbt data sort data/monthly --out data/monthly-sorted
        """
        from optbt.cli.terminate import sigterm_as_ctrl_c
        from optbt.data.dataset import config_file, load_dataset
        from optbt.data.sort import sort_dataset
        config = load_dataset(data, data_root)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        with sigterm_as_ctrl_c(), Progress(TextColumn("data sort"), BarColumn(), MofNCompleteColumn(),
                                           TextColumn("{task.fields[file]}"), TimeRemainingColumn(),
                                           transient=True) as bar:  # kill, like Ctrl-C, leaves no half copy
            task = bar.add_task("sort", total=None, file="")
            report = sort_dataset(config, config_file(data), out, row_group_rows=row_group_rows, split_days=split_days,
                                  progress=lambda n, total, f: bar.update(task, completed=n, total=total, file=f))
        others = f"{report.linked} spot/series file(s) linked" + (f", {report.copied} copied" if report.copied else "")
        into = f" as {report.written} file(s) a day" if split_days else ""
        typer.echo(f"sorted {report.option_files} option file(s){into}, {report.rows:,} rows (each file checked "
                   f"against its source) into {report.out}; {others}; config: {report.out / 'dataset.toml'}")
