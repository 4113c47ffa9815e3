"""optbt's own IV solver against Jäckel's "Let's be rational" (py_lets_be_rational), when installed.

Prints, and writes to benchmarks/results/iv_solver.json: the largest relative difference
between the two solvers' IVs over a grid (moneyness 0.6-1.5, 1 minute to 1 year, vol 5-200 %),
how often each returns no IV, and the time per call of each. Not a test: a figure for the
decision recorded in optbt/model/greeks.py (why optbt keeps its own solver).

    pip install py_lets_be_rational   # optional, only for this comparison
    python benchmarks/bench_iv_solver.py
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from optbt.model.greeks import MINUTES_A_YEAR, bs_price, implied_vol


def grid():
    s, r = 21000.0, 0.07
    for k_over_s in (0.6, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5):
        for minutes in (1, 30, 375, 7 * 1440, 30 * 1440, 365 * 1440):
            for sigma in (0.05, 0.1, 0.2, 0.4, 0.8, 2.0):
                for opt in ("CE", "PE"):
                    t = minutes / MINUTES_A_YEAR
                    price = bs_price(opt, s, s * k_over_s, t, r, 0.0, sigma)
                    yield price, opt, s, s * k_over_s, t, r, sigma


def main() -> dict:
    cases = [c for c in grid() if c[0] is not None and c[0] > 0.005]  # a price a market could quote
    out: dict = {"cases": len(cases)}
    t0 = time.perf_counter()
    ours = [implied_vol(p, o, s, k, t, r) for p, o, s, k, t, r, _ in cases]
    out["optbt_us_per_call"] = (time.perf_counter() - t0) / len(cases) * 1e6
    out["optbt_none"] = sum(v is None for v in ours)
    out["optbt_max_rel_err_vs_true_sigma"] = max(abs(v - sig) / sig for v, c in zip(ours, cases)
                                                 if v is not None for sig in [c[6]])
    try:
        from py_lets_be_rational import implied_volatility_from_a_transformed_rational_guess as lbr
    except ImportError:
        out["lets_be_rational"] = "not installed"
    else:
        t0 = time.perf_counter()
        theirs = []
        for p, o, s, k, t, r, _ in cases:
            f = s * math.exp(r * t)
            try:
                v = lbr(p * math.exp(r * t), f, k, t, 1.0 if o == "CE" else -1.0)
            except Exception:  # noqa: BLE001 - the package raises on prices below intrinsic
                v = None
            theirs.append(v if v is not None and math.isfinite(v) and 0 < v < 1e3 else None)
        out["lbr_us_per_call"] = (time.perf_counter() - t0) / len(cases) * 1e6
        out["lbr_none"] = sum(v is None for v in theirs)
        both = [(a, b) for a, b in zip(ours, theirs) if a is not None and b is not None]
        out["max_rel_diff_optbt_vs_lbr"] = max(abs(a - b) / b for a, b in both)
        out["lbr_max_rel_err_vs_true_sigma"] = max(abs(v - c[6]) / c[6] for v, c in zip(theirs, cases) if v is not None)
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    (folder / "iv_solver.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:36s} {value:.3g}" if isinstance(value, float) else f"{key:36s} {value}")
