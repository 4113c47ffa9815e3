"""The HTML report: what it shows is what the run wrote, it works offline, and a browser renders it."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from optbt.engine.loop import run_backtest
from optbt.model.errors import ConfigError
from optbt.results.report import write_report
from optbt.sweeps.run import run_sweep

ROOT = Path(__file__).resolve().parent.parent
STRADDLE = str(ROOT / "strategies_dsl" / "straddle_920.strat")
RUN_TITLES = ("Summary", "Equity curve", "Drawdown", "Daily PnL", "Monthly PnL", "Trades", "Parameters", "Engine")
SWEEP_TITLES = ("Heatmap", "Top runs", "Failed runs", "Parameters", "Engine", "All runs")


@pytest.fixture(scope="module")
def run_dir(sample_dataset, tmp_path_factory):
    from optbt.dsl.loader import load_strategy
    out = tmp_path_factory.mktemp("run")
    result = run_backtest(load_strategy(STRADDLE), data=sample_dataset, start="2024-01-01", end="2024-02-29")
    result.write(out)
    write_report(out)
    return out


@pytest.fixture(scope="module")
def sweep_dir(sample_dataset, tmp_path_factory):
    from optbt.data.dataset import load_dataset
    out = tmp_path_factory.mktemp("sweep")
    grid = {"sl_pct": [20.0, 30.0, 40.0], "exit_time": ["15:00", "15:15"], "lots": [1, 2]}
    run_sweep(STRADDLE, grid, load_dataset(sample_dataset), out, start="2024-01-01", end="2024-01-05")
    write_report(out)
    return out


def test_the_run_report_is_one_offline_file_with_every_section(run_dir):
    page = (run_dir / "report.html").read_text()
    for title in RUN_TITLES:
        assert f"<h2>{title}</h2>" in page
    assert "SYNTHETIC DATA" in page
    assert page.count("<svg") == 3  # equity, drawdown, histogram
    # offline: nothing is fetched from anywhere
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page
    png = (run_dir / "equity.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_trade_and_each_exit_reason_is_in_the_report(run_dir):
    page = (run_dir / "report.html").read_text()
    with (run_dir / "trades.csv").open() as fh:
        trades = list(csv.DictReader(fh))
    table = page[page.index("<h3>Every trade</h3>"):]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == len(trades) + 1  # header + one row per trade, none dropped
    reasons = defaultdict(list)
    for t in trades:
        reasons[t["exit_reason"]].append(float(t["pnl"]))
    for reason, pnls in reasons.items():
        assert f'<td class="l">{reason}</td><td>{len(pnls)}</td>' in page


def test_the_monthly_grid_adds_up_to_the_daily_pnl(run_dir):
    page = (run_dir / "report.html").read_text()
    with (run_dir / "daily.csv").open() as fh:
        daily = list(csv.DictReader(fh))
    by_month = defaultdict(float)
    for d in daily:
        by_month[d["day"][:7]] += float(d["pnl"])
    grid = page[page.index("<h2>Monthly PnL</h2>"):]
    grid = grid[: grid.index("</table>")]
    cells = re.findall(r'<td style="background:[^"]+">([^<]+)</td>', grid)
    assert cells == [f"{by_month[m]:,.0f}" for m in sorted(by_month)]


def test_the_report_is_deterministic(run_dir, tmp_path):
    first = (run_dir / "report.html").read_bytes()
    again = write_report(run_dir, out=tmp_path / "again.html")
    assert again.read_bytes() == first


def test_the_sweep_report_has_a_heatmap_over_two_chosen_parameters(sweep_dir):
    page = (sweep_dir / "report.html").read_text()
    for title in SWEEP_TITLES:
        assert f"<h2>{title}</h2>" in page
    assert "total_pnl by sl_pct and exit_time (best over lots)" in page
    write_report(sweep_dir, x="lots", y="sl_pct", metric="sharpe")
    page = (sweep_dir / "report.html").read_text()
    assert "sharpe by lots and sl_pct (best over exit_time)" in page
    assert page.count("<tr>") >= 12 + 1


def test_report_errors_say_what_folder_is_expected(tmp_path, sweep_dir, run_dir):
    with pytest.raises(ConfigError, match="neither summary.json"):
        write_report(tmp_path)
    with pytest.raises(ConfigError, match="not a folder"):
        write_report(tmp_path / "missing")
    with pytest.raises(ConfigError, match="not a swept parameter.*did you mean 'sl_pct'"):
        write_report(sweep_dir, x="sl_pc")
    with pytest.raises(ConfigError, match="apply to a sweep folder"):
        write_report(run_dir, metric="sharpe")


# -- in a real browser -------------------------------------------------------------------------

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("which, titles", [("run", RUN_TITLES), ("sweep", SWEEP_TITLES)])
def test_headless_chromium_renders_the_report(which, titles, run_dir, sweep_dir, tmp_path):
    from PIL import Image
    folder = run_dir if which == "run" else sweep_dir
    url = (folder / "report.html").resolve().as_uri()
    browser = _chromium()
    dom = _headless(browser, tmp_path / "profile", "--dump-dom", url).stdout
    for title in titles:
        assert f"<h2>{title}</h2>" in dom, f"{title!r} not in the rendered DOM"
    assert dom.count("<svg") >= 1
    shot = tmp_path / "shot.png"
    _headless(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1800", url)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1800)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, lines and fills, not one flat colour
    background = max(colours)[0]
    assert background < 0.95 * image.size[0] * image.size[1]  # something is drawn over the page


BOOM = '''
from optbt import Strategy

class Boom(Strategy):
    a: int = 1

    def entry(self, ctx):
        raise RuntimeError("no entry today")
'''


def test_a_sweep_whose_runs_all_failed_still_gets_a_report(sample_dataset, tmp_path):
    from optbt.data.dataset import load_dataset
    path = tmp_path / "boom.py"
    path.write_text(BOOM)
    out = tmp_path / "s"
    run_sweep(f"{path}:Boom", {"a": [1, 2]}, load_dataset(sample_dataset), out, end="2024-01-02")
    page = write_report(out).read_text()
    assert "nothing to chart" in page
    failed = page[page.index("<h2>Failed runs</h2>"):]
    assert failed.count("no entry today") == 2


def test_one_swept_parameter_gets_a_line_chart(sample_dataset, tmp_path):
    from optbt.data.dataset import load_dataset
    out = tmp_path / "s"
    run_sweep(STRADDLE, {"sl_pct": [20.0, 40.0]}, load_dataset(sample_dataset), out, end="2024-01-03")
    page = write_report(out).read_text()
    assert "One parameter swept: total_pnl by sl_pct" in page and "<svg" in page


def test_a_short_run_steps_its_equity_at_each_trade_exit(sample_dataset, tmp_path):
    from optbt.dsl.loader import load_strategy
    result = run_backtest(load_strategy(STRADDLE), data=sample_dataset, start="2024-01-02", end="2024-01-02")
    result.write(tmp_path)
    page = write_report(tmp_path).read_text()
    assert "cumulative realised PnL (at each exit)" in page
    assert "1 day, 2 trades" in page


def test_the_sweep_report_draws_the_top_runs_equity_ending_at_their_pnl(sweep_dir):
    import pyarrow.parquet as pq

    from optbt.results.report import _equity_curves
    page = (sweep_dir / "report.html").read_text()
    assert "<h2>Equity of the top runs</h2>" in page
    rows = [r for r in pq.read_table(sweep_dir / "sweep.parquet").to_pylist() if r["status"] == "ok"]
    pcols = ["sl_pct", "exit_time", "lots"]
    curves = _equity_curves(sweep_dir, rows, pcols, {p: p for p in pcols})
    assert len(curves) == len(rows)
    for (label, _days, ys), row in zip(curves, rows):
        assert label == f"sl_pct={row['sl_pct']}, exit_time={row['exit_time']}, lots={row['lots']}"
        assert ys[-1] == pytest.approx(row["total_pnl"])


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_the_run_report_fits_1280_pixels_without_console_errors(run_dir, tmp_path):
    """No horizontal scroll at 1280 px and nothing logged to the console.

    The report has no scripts; a copy gets one line that writes the page's width into its
    title, which ``--dump-dom`` then shows.
    """
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    probe = ("<script>window.addEventListener('load',()=>{document.title='scrollWidth='"
             "+document.documentElement.scrollWidth})</script>")
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    browser = _chromium()
    result = _headless(browser, tmp_path / "profile", "--window-size=1280,900", "--enable-logging=stderr", "--v=0",
                       "--virtual-time-budget=5000", "--dump-dom", copy.resolve().as_uri())
    width = re.search(r"<title>scrollWidth=(\d+)</title>", result.stdout)
    assert width, result.stdout[:300]
    assert int(width.group(1)) <= 1280
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console


def test_a_month_of_less_than_half_a_unit_lost_shows_0_not_minus_0():
    """A month of -0.3 (a flat trade's commission) showed '-0' in the monthly grid."""
    from datetime import date

    from optbt.results.report import _monthly_grid
    grid = _monthly_grid([date(2024, 1, 2), date(2024, 2, 1)], [-0.3, 1234.5])
    cells = re.findall(r'<td style="[^"]*">([^<]*)</td>', grid)
    assert cells == ["0", "1,235"]  # 1234.5 rounds half away from zero, as every amount shown does
