"""A US-style dataset: New York time over both 2024 DST changes, quotes filled at bid/ask.

Made here, by hand: an underlying XYZ near 500 on six days (Fri 2024-03-08 before the spring
forward, Mon 03-11 after it, Thu 03-28 the expiry of Good Friday's short week, Fri 11-01
before the fall back, Mon 11-04 after it, Fri 11-29 a 13:00 early close that is also an
expiry); session 09:30-16:00; strikes on a step of 5 with 485 and 510 missing and wider steps
far out (460, 530, 550); lot size 100; three expiries a day (weeklies and monthlies); quotes on
a 0.05 grid, price = "mid". The same prices are stored as naive New York time, as UTC instants
(microseconds and nanoseconds), as day files with pre- and post-market prints, and as text
with offsets: each must give the same trades.

The right answers are worked out by the reference code below, which imports nothing from
optbt: ATM is the listed strike nearest the spot (ties up), a sell fills at the bid and a buy
at the ask of the bar known at the tick, stops are measured on the mid against the mid at
entry, a crossed or missing quote is no price (the entry waits), PnL = points x lots x 100.
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

NY, UTC = ZoneInfo("America/New_York"), ZoneInfo("UTC")
DAYS = {  # day -> (spot at the open, listed expiries, session end)
    date(2024, 3, 8): (501.0, (date(2024, 3, 8), date(2024, 3, 15), date(2024, 4, 19)), "16:00"),
    date(2024, 3, 11): (508.0, (date(2024, 3, 15), date(2024, 3, 22), date(2024, 4, 19)), "16:00"),
    date(2024, 3, 28): (497.0, (date(2024, 3, 28), date(2024, 4, 5), date(2024, 4, 19)), "16:00"),
    date(2024, 11, 1): (503.0, (date(2024, 11, 1), date(2024, 11, 8), date(2024, 11, 15)), "16:00"),
    date(2024, 11, 4): (494.0, (date(2024, 11, 8), date(2024, 11, 15), date(2024, 12, 20)), "16:00"),
    date(2024, 11, 29): (502.0, (date(2024, 11, 29), date(2024, 12, 6), date(2024, 12, 20)), "13:00"),
}
STRIKES = (460.0, 480.0, 490.0, 495.0, 500.0, 505.0, 515.0, 520.0, 530.0, 550.0)
CROSSED = {(date(2024, 3, 8), 4, date(2024, 3, 8), 500.0, "C")}    # 09:35: bid above ask
MISSING = {(date(2024, 3, 11), 4, date(2024, 3, 15), 505.0, "P")}  # 09:35: no row
RATE = 0.05

TOML = '''name = "US hand-made"
underlying = "XYZ"
timezone = "{zone}"
strike_step = 5
lot_size = 100
price = "mid"
[options]
path = "{opath}"
call_values = ["C"]
put_values = ["P"]
[options.columns]
ts = "ts"
underlying = "root"
opt_type = "right"
close = "last"
bid = "bid"
ask = "ask"
[spot]
path = "{spath}"
[spot.columns]
ts = "ts"
underlying = "symbol"
[session]
start = "09:30"
end = "16:00"
early_close = {{ "2024-11-29" = "13:00" }}
[greeks]
rate = {rate}
'''


# -- the reference: prices and answers, without optbt ----------------------------------------

def ticks(day: date) -> list[datetime]:
    """The session clock: a tick a minute in (09:30, close]."""
    end = datetime.combine(day, time.fromisoformat(DAYS[day][2]))
    t, out = datetime.combine(day, time(9, 31)), []
    while t <= end:
        out.append(t)
        t += timedelta(minutes=1)
    return out


def spot(day: date, k: int) -> float:
    return round(DAYS[day][0] + 3.0 * math.sin(k / 25.0) + 0.01 * k, 2)


def ncdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def bs(s: float, k: float, t: float, v: float, cp: str, r: float = 0.0) -> float:
    d1 = (math.log(s / k) + (r + v * v / 2) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    if cp == "C":
        return s * ncdf(d1) - k * math.exp(-r * t) * ncdf(d2)
    return k * math.exp(-r * t) * ncdf(-d2) - s * ncdf(-d1)


def stored_quote(day: date, k: int, expiry: date, strike: float, cp: str) -> tuple[float, float]:
    """The (bid, ask) row stored at tick k: a 0.05 grid, spread 0.05 below 3, 0.10 above."""
    t = ((expiry - day).days + (390 - k) / 390.0 * 0.3 + 0.2) / 365.0
    fair = bs(spot(day, k), strike, t, 0.25, cp) + 0.10
    bid = round(max(0.05, math.floor(fair * 20) / 20), 2)
    ask = round(bid + (0.10 if bid >= 3 else 0.05), 2)
    if (day, k, expiry, strike, cp) in CROSSED:
        return round(ask + 0.2, 2), ask
    return bid, ask


def quote(day: date, k: int, expiry: date, strike: float, cp: str) -> tuple[float, float] | None:
    """The usable quote of tick k, None for a missing or crossed one."""
    key = (day, k, expiry, strike, cp)
    return None if key in MISSING or key in CROSSED else stored_quote(day, k, expiry, strike, cp)


def atm(s: float) -> float:
    return min(STRIKES, key=lambda strike: (abs(strike - s), -strike))


def hhmm(t: datetime) -> str:
    return t.strftime("%H:%M")


def expected(legs, entry: str, exit: str, sl: float | None = None, lots: int = 1, pick_expiry=lambda e: e[0]):
    """Trades of a position opened at the first tick at or after ``entry`` where every leg has a
    listed strike and a usable quote, each leg stopped on its mid (``sl``: a fraction) and the rest
    closed at ``exit`` or the day's last tick. ``legs``: (strike rule, "C"/"P", side)."""
    out = []
    for day, (_, listed, _) in DAYS.items():
        tk, expiry = ticks(day), pick_expiry(listed)
        opened = None
        for k0, t in enumerate(tk):
            if hhmm(t) < entry:
                continue
            if hhmm(t) >= exit or k0 == len(tk) - 1:
                break
            chosen = [(rule(day, k0, expiry, spot(day, k0), cp), cp, side) for rule, cp, side in legs]
            if all(s in STRIKES and quote(day, k0, expiry, s, cp) for s, cp, _ in chosen):
                opened = k0, chosen
                break
        if opened is None:
            continue
        k0, chosen = opened
        for strike, cp, side in chosen:
            bid, ask = last = quote(day, k0, expiry, strike, cp)
            mid0, fill = (bid + ask) / 2, bid if side == "SELL" else ask
            for k in range(k0 + 1, len(tk)):
                last = quote(day, k, expiry, strike, cp) or last
                mid, close = (last[0] + last[1]) / 2, last[1] if side == "SELL" else last[0]
                if sl is not None and (mid >= mid0 * (1 + sl) - 1e-9 if side == "SELL" else mid <= mid0 * (1 - sl) + 1e-9):
                    reason = "stop_loss"
                    break
                if hhmm(tk[k]) >= exit or k == len(tk) - 1:
                    reason = "exit" if hhmm(tk[k]) >= exit else "eod"
                    break
            points = fill - close if side == "SELL" else close - fill
            out.append((day, expiry, strike, cp, side, tk[k0], fill, tk[k], close, reason, round(points * lots * 100, 6)))
    return sorted(out)


AT_ATM = lambda day, k, expiry, s, cp: atm(s)


def steps(n: int):
    return lambda day, k, expiry, s, cp: atm(s) + 5 * n


def premium_near(target: float):
    def rule(day, k, expiry, s, cp):
        live = [(abs(sum(q) / 2 - target), abs(strike - s), strike) for strike in STRIKES
                if (q := quote(day, k, expiry, strike, cp))]
        return min(live)[2] if live else None
    return rule


# -- the datasets: one set of prices, stored five ways ----------------------------------------

def rows(stamp, prints=()):
    """Option and spot rows with ``stamp(naive New York time)`` as ts; ``prints``: extra spot
    rows (hh, mm) outside the session that a run must ignore."""
    opts, spots = [], []
    for day, (_, listed, _) in DAYS.items():
        for k, t in enumerate(ticks(day)):
            spots.append({"ts": stamp(t), "symbol": "XYZ", "close": spot(day, k)})
            for expiry in listed:
                for strike in STRIKES:
                    for cp in "CP":
                        if (day, k, expiry, strike, cp) in MISSING:
                            continue
                        bid, ask = stored_quote(day, k, expiry, strike, cp)
                        opts.append({"ts": stamp(t), "root": "XYZ", "expiry": expiry, "strike": strike,
                                     "right": cp, "bid": bid, "ask": ask, "last": round((bid + ask) / 2, 3)})
        for hh, mm in prints:
            spots.append({"ts": stamp(datetime.combine(day, time(hh, mm))), "symbol": "XYZ", "close": 999.0})
    return opts, spots


def utc(t: datetime) -> datetime:
    return t.replace(tzinfo=NY).astimezone(UTC)


def write(root: Path, opts, spots, zone="America/New_York", by_day=False, ts_type=None) -> Path:
    root.mkdir(parents=True)
    tables = {"options": opts, "spot": spots}
    for name, table in tables.items():
        t = pa.Table.from_pylist(table)
        if ts_type is not None:
            t = t.set_column(t.schema.get_field_index("ts"), "ts", t["ts"].cast(ts_type))
        if by_day:  # a file a day, named by the New York day
            (root / name).mkdir()
            for day in DAYS:
                keep = [r["_day"] == day for r in table]
                pq.write_table(t.drop_columns(["_day"]).filter(pa.array(keep)), root / name / f"{day}.parquet")
        else:
            pq.write_table(t, root / f"{name}.parquet")
    paths = ("options/*.parquet", "spot/*.parquet") if by_day else ("options.parquet", "spot.parquet")
    (root / "dataset.toml").write_text(TOML.format(zone=zone, opath=paths[0], spath=paths[1], rate=RATE))
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("us")
    out = {"naive": write(base / "naive", *rows(lambda t: t)),
           "utc": write(base / "utc", *rows(utc)),
           "utc_ns": write(base / "utc_ns", *rows(utc), ts_type=pa.timestamp("ns", tz="UTC")),
           "text_offset": write(base / "text_offset", *rows(lambda t: t.replace(tzinfo=NY).isoformat(sep=" "),
                                                              prints=((4, 0), (19, 59))))}
    opts, spots = rows(utc, prints=((4, 0), (16, 30), (20, 0)))  # 20:00 New York is the next day in UTC
    for r in opts + spots:
        r["_day"] = r["ts"].astimezone(NY).date()
    out["utc_day_files"] = write(base / "utc_day_files", opts, spots, by_day=True)
    return out


def got(result) -> list[tuple]:
    return sorted((t["day"], t["expiry"], t["strike"], t["opt_type"][0], t["side"], t["entry_ts"], t["entry_price"],
                   t["exit_ts"], t["exit_price"], t["exit_reason"], round(t["pnl"], 6)) for t in result.trades.to_pylist())


STRADDLE = """strategy us_straddle "Sell the ATM straddle at 09:35, 30 % stop per leg, out at 15:45"
legs
    ce = add(ATM, CE, SELL)
    pe = add(ATM, PE, SELL)
entry at 09:35
stop_loss each leg 30%
exit at 15:45
"""


# -- 1. every storage gives the hand-worked trades ----------------------------------------------

@pytest.mark.parametrize("stored", ["naive", "utc", "utc_ns", "text_offset", "utc_day_files"])
def test_the_straddle_is_the_hand_worked_one_however_the_time_is_stored(data, stored):
    """Over both DST changes: naive New York time, UTC instants (us and ns), text with offsets,
    and day files of UTC instants with a post-market print at 20:00 New York (the next UTC day).
    03-08: the call's 09:35 quote is crossed, 03-11: the put has no 09:35 row, so both enter
    at 09:36; 11-29 closes at 13:00."""
    import optbt
    want = expected([(AT_ATM, "C", "SELL"), (AT_ATM, "P", "SELL")], "09:35", "15:45", sl=0.30)
    assert [w[5] for w in want[:2]] == [datetime(2024, 3, 8, 9, 36)] * 2
    assert got(optbt.backtest(STRADDLE, data=data[stored])) == want


def test_the_command_line_writes_the_same_trades(data, tmp_path):
    strat = tmp_path / "straddle.strat"
    strat.write_text(STRADDLE)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "optbt", "run", str(strat), "--data", str(data["utc"]),
                          "--out", str(out), "-q"], check=False, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with open(out / "trades.csv") as f:
        rows_ = list(csv.DictReader(f))
    want = expected([(AT_ATM, "C", "SELL"), (AT_ATM, "P", "SELL")], "09:35", "15:45", sl=0.30)
    assert sorted((r["day"], float(r["strike"]), r["opt_type"][0], r["entry_ts"], float(r["entry_price"]), r["exit_ts"],
                   float(r["exit_price"]), float(r["pnl"]), r["qty"]) for r in rows_) == \
        [(str(w[0]), w[2], w[3], w[5].isoformat(), w[6], w[7].isoformat(), w[8], w[10], "1") for w in want]


# -- 2. strike rules on a chain with holes, lots of 100 -------------------------------------------

CONDOR = """strategy us_condor "Iron condor ATM+-1 / ATM+-4 steps, 2 lots, 50 % stops"
legs
    sc = add(ATM + 1, CE, SELL, 2)
    sp = add(ATM - 1, PE, SELL, 2)
    bc = add(ATM + 4, CE, BUY, 2)
    bp = add(ATM - 4, PE, BUY, 2)
entry at 09:35
stop_loss each leg 50%
exit at 15:45
"""


def test_strike_steps_need_the_listed_strike(data):
    """ATM +- n steps is ATM +- 5n, which the day must list: with ATM 505 (510 missing) or ATM 495
    (475 missing) nothing enters, never the nearest listed strike in its place."""
    import optbt
    want = expected([(steps(1), "C", "SELL"), (steps(-1), "P", "SELL"), (steps(4), "C", "BUY"),
                     (steps(-4), "P", "BUY")], "09:35", "15:45", sl=0.50, lots=2)
    assert len(want) == 20  # five of six days; 11-29's ATM 505 never fills (510 is not listed)
    for stored in ("naive", "utc"):
        assert got(optbt.backtest(CONDOR, data=data[stored])) == want


def test_premium_selection_reads_the_mid(data):
    import optbt
    text = STRADDLE.replace("add(ATM, CE, SELL)", "add(premium ~ 2, CE, SELL)").replace(
        "add(ATM, PE, SELL)", "add(premium ~ 2, PE, SELL)").replace("stop_loss each leg 30%\n", "")
    want = expected([(premium_near(2), "C", "SELL"), (premium_near(2), "P", "SELL")], "09:35", "15:45")
    assert got(optbt.backtest(text, data=data["utc_ns"])) == want


# -- 3. greeks count elapsed time over a DST change ----------------------------------------------

def implied_vol(price: float, s: float, k: float, t: float, cp: str) -> float:
    lo, hi = 1e-4, 5.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if bs(s, k, t, mid, cp, RATE) > price else (mid, hi)
    return (lo + hi) / 2


def test_iv_over_the_spring_forward_and_the_fall_back_uses_elapsed_time(data):
    """03-08 -> 03-15 is an hour shorter than the wall clocks say, 11-01 -> 11-08 an hour longer."""
    import optbt
    from optbt import Strategy
    seen = []

    class Probe(Strategy):
        expiry = "next"

        def entry(self, ctx):
            if ctx.time == "15:00" and ctx.day in (date(2024, 3, 8), date(2024, 11, 1)):
                seen.append((ctx.day, ctx.greeks(self.add(500.0, "CE", "SELL")).iv))

    optbt.backtest(Probe, data=data["utc"])
    assert [d for d, _ in seen] == [date(2024, 3, 8), date(2024, 11, 1)]
    for day, iv in seen:
        k, expiry = [hhmm(t) for t in ticks(day)].index("15:00"), DAYS[day][1][1]
        years = (utc(datetime.combine(expiry, time(16))) - utc(ticks(day)[k])).total_seconds() / (365 * 86400)
        assert iv == pytest.approx(implied_vol(sum(quote(day, k, expiry, 500.0, "C")) / 2, spot(day, k), 500.0,
                                               years, "C"), abs=1e-6)


# -- 4. US charges per contract ------------------------------------------------------------------

def test_us_preset_charges_per_contract_and_on_sale_proceeds(data):
    import optbt
    res = optbt.backtest(CONDOR, data=data["naive"], costs="us")
    for t in res.trades.to_pylist():
        sold = t["entry_price"] if t["side"] == "SELL" else t["exit_price"]
        fees = 2 * 0.04795 * 2 + 0.00279 * 2 + 0.0000278 * sold * 2 * 100
        gross = (t["entry_price"] - t["exit_price"]) * 200 * (1 if t["side"] == "SELL" else -1)
        assert (t["brokerage"], t["fees"]) == (pytest.approx(0.65 * 2 * 2), pytest.approx(fees))
        assert t["pnl"] == pytest.approx(gross - 2.6 - fees)



# -- 5. a zone name that is a fixed offset ------------------------------------------------------

@pytest.mark.parametrize("zone, offset", [("EST", "UTC-05:00"), ("MST", "UTC-07:00"), ("Etc/GMT+5", "UTC-05:00")])
def test_a_fixed_offset_zone_is_refused(data, tmp_path, zone, offset):
    """timezone = "EST" is a fixed UTC-05:00, not New York's time: UTC instants were read an hour
    late on every summer day (03-11 sold the 515 straddle at 10:35 New York, exit 0, data check
    clean). Such a name is refused, saying which offset it is and to give Area/City."""
    from optbt.data.dataset import load_dataset
    from optbt.model.errors import ConfigError
    toml = (data["utc"] / "dataset.toml").read_text().replace('"America/New_York"', f'"{zone}"')
    (tmp_path / "dataset.toml").write_text(toml.replace('path = "', f'path = "{data["utc"]}/'))
    with pytest.raises(ConfigError, match=rf"time zone '{re.escape(zone)}' is a fixed offset \({offset} all year\).*"
                                          r"Area/City name, such as \"America/New_York\""):
        load_dataset(tmp_path / "dataset.toml")


@pytest.mark.parametrize("zone", ["America/New_York", "US/Eastern", "EST5EDT", "UTC", "Asia/Kolkata", "Japan"])
def test_zones_that_follow_a_place_or_utc_are_accepted(data, tmp_path, zone):
    from optbt.data.dataset import load_dataset
    toml = (data["utc"] / "dataset.toml").read_text().replace('"America/New_York"', f'"{zone}"')
    (tmp_path / "dataset.toml").write_text(toml.replace('path = "', f'path = "{data["utc"]}/'))
    assert load_dataset(tmp_path / "dataset.toml").timezone == zone


# -- 6. documented, kept: "monthly" is the month's last listed expiry -----------------------------

def test_monthly_on_a_us_chain_is_the_months_last_listed_expiry():
    """Not the third Friday: with weeklies listed to the month's end, the last weekly (docs/language.md)."""
    from optbt.model.expiry import resolve_expiry
    listed = [date(2024, 3, 15), date(2024, 3, 22), date(2024, 3, 28), date(2024, 4, 19)]
    assert resolve_expiry("monthly", date(2024, 3, 11), listed) == date(2024, 3, 28)
    assert resolve_expiry("next_monthly", date(2024, 3, 11), listed) == date(2024, 4, 19)


# -- 7. strikes and spot on different scales -------------------------------------------------------

@pytest.fixture(scope="module")
def thousandths(data, tmp_path_factory) -> Path:
    """The naive dataset with every strike in thousandths of a dollar (500000 for 500)."""
    root = tmp_path_factory.mktemp("k1000")
    t = pq.read_table(data["naive"] / "options.parquet")
    pq.write_table(t.set_column(t.schema.get_field_index("strike"), "strike",
                                pa.compute.multiply(t["strike"], 1000.0)), root / "options.parquet")
    (root / "spot.parquet").symlink_to(data["naive"] / "spot.parquet")
    (root / "dataset.toml").write_text((data["naive"] / "dataset.toml").read_text())
    return root


def test_strikes_in_thousandths_of_a_dollar_are_refused(thousandths):
    """Some vendors store a strike in thousandths of a dollar (500000 for 500). ATM, the listed
    strike nearest the spot 501, was then the lowest strike, 460000: the run "sold the ATM
    straddle" at 460000 on every day, exit 0, data check clean. Now ATM on such a day is a data
    error naming both ranges (the day is skipped), and a run whose every day is one stops with it."""
    import optbt
    from optbt.model.errors import DataError
    with pytest.raises(DataError, match=r"2024-03-08: the listed strikes run from 460000 to 550000 while the spot is "
                                        r"50[0-9.]+, 91[0-9]x below them: .* thousandths"):
        optbt.backtest(STRADDLE, data=thousandths)


def test_a_spot_of_another_scale_is_refused_on_its_day_only(data, tmp_path):
    """The index (10x the ETF) given as the spot on one day: that day is a data error, the others run."""
    import optbt
    root = tmp_path / "mixed"
    root.mkdir()
    t = pq.read_table(data["naive"] / "spot.parquet")
    day = pa.compute.equal(pa.compute.cast(t["ts"], pa.date32()), pa.scalar(date(2024, 11, 4)))
    t = t.set_column(t.schema.get_field_index("close"), "close",
                     pa.compute.if_else(day, pa.compute.multiply(t["close"], 10.0), t["close"]))
    pq.write_table(t, root / "spot.parquet")
    (root / "options.parquet").symlink_to(data["naive"] / "options.parquet")
    (root / "dataset.toml").write_text((data["naive"] / "dataset.toml").read_text())
    res = optbt.backtest(STRADDLE, data=root)
    skipped = [(d["day"], d["skip_reason"]) for d in res.daily.to_pylist() if d["skipped"]]
    assert skipped == [(date(2024, 11, 4), "data_error")]
    assert re.search(r"2024-11-04: the listed strikes run from 460 to 550 while the spot is 49[0-9.]+, 9x above them",
                     res.summary["skipped_days"]["data_error"]["note"])
    want = [w for w in expected([(AT_ATM, "C", "SELL"), (AT_ATM, "P", "SELL")], "09:35", "15:45", sl=0.30)
            if w[0] != date(2024, 11, 4)]
    assert got(res) == want


def test_data_check_reports_strikes_off_the_spots_scale(data, thousandths):
    from optbt.data.check import check_dataset
    from optbt.data.dataset import load_dataset
    found = {f.check: f for f in check_dataset(load_dataset(thousandths)).findings}
    f = found["strikes_off_spot_scale"]
    assert (f.level, f.count, f.where) == ("error", 6, str(thousandths / "options.parquet"))
    assert f.detail.startswith("2024-03-08: the listed strikes run from 460000 to 550000 while the spot is 501, "
                               "918x below them")
    assert "strikes_off_spot_scale" not in {f.check for f in check_dataset(load_dataset(data["naive"])).findings}


def test_otm_percent_refuses_a_spot_off_the_strikes_scale_too(thousandths):
    import optbt
    from optbt.model.errors import DataError
    text = STRADDLE.replace("add(ATM, CE, SELL)", "add(OTM 2%, CE, SELL)").replace("add(ATM, PE, SELL)", "add(OTM 2%, PE, SELL)")
    with pytest.raises(DataError, match=r"the listed strikes run from 460000 to 550000 while the spot is 50[0-9.]+, "):
        optbt.backtest(text, data=thousandths)
    text = STRADDLE.replace("add(ATM, CE, SELL)", "add(premium ~ 2, CE, SELL)").replace(
        "add(ATM, PE, SELL)", "add(premium ~ 2, PE, SELL)")  # by premium: no strike from the spot, right as it is
    assert len(optbt.backtest(text, data=thousandths).trades) == 12


@pytest.mark.parametrize("zone", ["localtime", "Factory"])
def test_the_machines_own_zone_is_refused(data, tmp_path, zone):
    """timezone = "localtime" is whatever zone the machine running the backtest is set to: the
    same data gave other trades on another machine. Refused, asking for the exchange's zone."""
    from optbt.data.dataset import load_dataset
    from optbt.model.errors import ConfigError
    toml = (data["utc"] / "dataset.toml").read_text().replace('"America/New_York"', f'"{zone}"')
    (tmp_path / "dataset.toml").write_text(toml.replace('path = "', f'path = "{data["utc"]}/'))
    with pytest.raises(ConfigError, match=rf"time zone '{zone}' is not an exchange's: results would change with "
                                          r"the machine that runs them"):
        load_dataset(tmp_path / "dataset.toml")
