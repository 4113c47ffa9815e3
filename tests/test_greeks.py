"""Prices, implied volatility and greeks against published textbook values.

Reference values are from J. Hull, *Options, Futures, and Other Derivatives* (worked examples
printed in the book, computed there independently of this code); the IV round trip checks the
solver against the pricing formula over a wide grid, including deep out of the money, minutes
to expiry and prices at or below intrinsic (no IV, never an exception).
"""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optbt.model.greeks import MIN_TIME_VALUE, MINUTES_A_YEAR, bs_price, greeks, greeks_at, implied_vol, year_fraction


def test_black_scholes_prices_match_hulls_example():
    # Hull Example 15.6: S=42, K=40, r=10 %, sigma=20 %, T=0.5 -> c = 4.76, p = 0.81
    assert bs_price("CE", 42, 40, 0.5, 0.10, 0.0, 0.20) == pytest.approx(4.76, abs=0.005)
    assert bs_price("PE", 42, 40, 0.5, 0.10, 0.0, 0.20) == pytest.approx(0.81, abs=0.005)


def test_greeks_match_hulls_bank_position_example():
    # Hull ch. 19: S=49, K=50, r=5 %, sigma=20 %, T=20 weeks: call 2.40, delta 0.522,
    # gamma 0.066, theta -4.31 a year, vega 12.1 per unit of volatility
    t = 20 / 52
    assert bs_price("CE", 49, 50, t, 0.05, 0.0, 0.20) == pytest.approx(2.40, abs=0.005)
    g = greeks_at(0.20, "CE", 49, 50, t, 0.05)
    assert g.delta == pytest.approx(0.522, abs=0.0005)
    assert g.gamma == pytest.approx(0.066, abs=0.0005)
    assert g.theta * 365 == pytest.approx(-4.31, abs=0.005)
    assert g.vega * 100 == pytest.approx(12.1, abs=0.05)


def test_black76_futures_option_matches_hull():
    # Hull Example 18.8: European put on a future, F=K=20, r=9 %, T=4 months, sigma=25 % -> 1.12
    assert bs_price("PE", 20, 20, 4 / 12, 0.09, 0.0, 0.25, model="black76") == pytest.approx(1.1166, abs=0.0005)


def test_put_call_parity_holds_with_a_dividend_yield():
    s, k, t, r, q, v = 100.0, 95.0, 0.3, 0.04, 0.02, 0.3
    c, p = bs_price("CE", s, k, t, r, q, v), bs_price("PE", s, k, t, r, q, v)
    assert c - p == pytest.approx(s * math.exp(-q * t) - k * math.exp(-r * t), abs=1e-10)


@pytest.mark.parametrize("k_over_s", [0.6, 0.8, 0.95, 1.0, 1.05, 1.2, 1.5])
@pytest.mark.parametrize("minutes", [1, 30, 375, 7 * 1440, 365 * 1440])
@pytest.mark.parametrize("sigma", [0.05, 0.2, 0.8, 2.0])
@pytest.mark.parametrize("opt_type", ["CE", "PE"])
def test_iv_recovers_the_volatility_that_priced_the_option(k_over_s, minutes, sigma, opt_type):
    s, t = 21000.0, minutes / MINUTES_A_YEAR
    k = s * k_over_s
    r = 0.07
    price = bs_price(opt_type, s, k, t, r, 0.0, sigma)
    iv = implied_vol(price, opt_type, s, k, t, r)
    # the time value, read off the out-of-the-money side (what parity leaves of the price)
    forward = s * math.exp(r * t)
    in_the_money = forward > k if opt_type == "CE" else k > forward
    otm = ("PE" if opt_type == "CE" else "CE") if in_the_money else opt_type
    time_value = bs_price(otm, s, k, t, r, 0.0, sigma) * math.exp(r * t)
    if time_value < max(2 * MIN_TIME_VALUE * min(s * math.exp(r * t), k), 1e-7 * price):
        return  # beyond what a double can carry inside this price: None and a close IV are both honest
    assert iv == pytest.approx(sigma, rel=1e-6)


@pytest.mark.parametrize("price", [0.0, -1.0, float("nan"), float("inf"), 1.0 - 1e-9, 1.0])
def test_no_iv_at_or_below_intrinsic_or_for_unusable_prices(price):
    # a call struck 99 on a spot of 100, r = 0: intrinsic is 1.0
    assert implied_vol(price, "CE", 100.0, 99.0, 0.01) is None
    assert greeks(price, "CE", 100.0, 99.0, 0.01) is None


def test_no_iv_at_the_no_arbitrage_ceiling_or_after_expiry():
    assert implied_vol(100.0, "CE", 100.0, 90.0, 0.5) is None  # a call worth the whole spot
    assert implied_vol(2.0, "CE", 100.0, 100.0, 0.0) is None    # expired
    assert implied_vol(2.0, "CE", 100.0, 100.0, -0.1) is None


def test_year_fraction_counts_minutes_to_the_session_close():
    t = year_fraction(datetime(2024, 1, 4, 9, 15), datetime(2024, 1, 4, 15, 30))
    assert t * MINUTES_A_YEAR == pytest.approx(375)


@settings(max_examples=300, deadline=None)
@given(k_over_s=st.floats(0.7, 1.3), days=st.floats(0.01, 400), sigma=st.floats(0.03, 3.0),
       r=st.floats(-0.01, 0.12), call=st.booleans())
def test_iv_round_trip_property(k_over_s, days, sigma, r, call):
    s, t, opt = 500.0, days / 365, "CE" if call else "PE"
    k = s * k_over_s
    price = bs_price(opt, s, k, t, r, 0.0, sigma)
    iv = implied_vol(price, opt, s, k, t, r)
    g = greeks_at(sigma, opt, s, k, t, r)
    if iv is not None:
        assert bs_price(opt, s, k, t, r, 0.0, iv) == pytest.approx(price, rel=1e-9, abs=1e-12)
    assert (0.0 <= g.delta <= 1.0) if call else (-1.0 <= g.delta <= 0.0)
    assert g.gamma >= 0.0 and g.vega >= 0.0


def test_the_solver_settles_in_a_few_prices_across_a_chain(monkeypatch):
    """A delta rule solves the IV of every strike of a chain on every tick it runs: the solver's
    cost is the prices it evaluates. Counted, not timed (the count is exact on any machine):
    a chain of 41 strikes 20 % either side of the money, 1 minute to 60 days, 5-100 % vol, on a
    0.05 price grid. Newton on the price from a fixed start took up to 25."""
    import optbt.model.greeks as g
    counted = [0]
    black = g._black

    def counting(*args):
        counted[0] += 1
        return black(*args)
    monkeypatch.setattr(g, "_black", counting)
    per_call = []
    s = 22000.0
    for minutes in (1, 30, 375, 3 * 1440, 15 * 1440, 60 * 1440):
        for sigma in (0.05, 0.12, 0.3, 1.0):
            for k in (s * (0.8 + 0.01 * n) for n in range(41)):
                for opt in ("CE", "PE"):
                    t = minutes / MINUTES_A_YEAR
                    price = round(bs_price(opt, s, k, t, 0.07, 0.0, sigma) / 0.05) * 0.05
                    before = counted[0]
                    iv = implied_vol(price, opt, s, k, t, 0.07)
                    if iv is not None:
                        per_call.append(counted[0] - before)
                        assert bs_price(opt, s, k, t, 0.07, 0.0, iv) == pytest.approx(price, rel=1e-9)
    assert len(per_call) > 600
    assert max(per_call) <= 6
    assert sum(per_call) / len(per_call) <= 3.5
