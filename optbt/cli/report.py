"""``optbt report``: the HTML report of a run or sweep folder (and equity.png for a run)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        run_dir: Path = typer.Argument(..., help="a folder written by optbt run --out or optbt sweep --out"),
        out: Path = typer.Option(None, "--out", help="where to write the HTML (default RUN_DIR/report.html)"),
        x: str = typer.Option(None, "--x", help="sweep: parameter across the heatmap (default: the first swept)"),
        y: str = typer.Option(None, "--y", help="sweep: parameter up the heatmap (default: the second swept)"),
        metric: str = typer.Option(None, "--metric", "-m", help="sweep: the metric to colour and rank by"),
        capital: float = typer.Option(None, "--capital", min=0.01, help="run: capital deployed; return and max "
                                      "drawdown as a percentage of it (default: optbt run --capital's)"),
    ) -> None:
        """Write one self-contained HTML report you can open offline.

        Example: optbt report runs/Straddle920 --capital 500000
        """
        from optbt.results.report import write_report
        path = write_report(run_dir, out, x, y, metric, capital=capital)
        typer.echo(f"report: {path}")
        if (path.parent / "equity.png").exists() and not (run_dir / "sweep.json").exists():
            typer.echo(f"equity curve: {path.parent / 'equity.png'}")
