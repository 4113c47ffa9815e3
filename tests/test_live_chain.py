"""Strike by delta (and by premium) from the live chain (a small query for the next few ticks)
picks exactly what it picks from the day cache (every strike's whole day), on hand-made parquet days with
gaps, stale strikes, unusable prices, minutes without a spot tick (two option bars for one
tick: the newer counts), a duplicate row, and quote data priced at the mid.

Besides the comparison, every pick is checked against the rows written here, without optbt:
the picked strike has a usable bar known since the previous tick (a live price). A strike
whose newest price is older is never picked.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optbt import Strategy
from optbt.data.duckdb_source import DuckDBSource
from optbt.data.memo import MemoSource
from optbt.data.shared_cache import SharedCacheSource
from optbt.data.source import ConflictingBarsError
from optbt.engine.livechain import MAX_DOUBLINGS, WINDOW_TICKS
from optbt.engine.loop import EventEngine
from optbt.model.greeks import bs_price
from optbt.model.instrument import Instrument
from tests.kit import DayCacheOnly

DAY, EXPIRY = date(2024, 1, 2), date(2024, 1, 4)
N = 40                                   # minutes 09:16 .. 09:55: two live-chain windows (16, 32 ticks)
STRIKES = [20700.0 + 50 * j for j in range(13)]
NO_SPOT = {5, 6, 20}                     # no spot bar, so no tick: their option bars count at the next tick
MODES = ("closest", "ge", "le")
TARGETS = (0.1, 0.16, 0.3, 0.5)         # deltas
PREMIUMS = (20.0, 60.0, 150.0)           # and premiums: strike by premium reads the same live chain
ASKS = [(ot, x, m) for ot in ("CE", "PE") for x in TARGETS for m in MODES] + \
    [(ot, x, m) for ot in ("CE", "PE") for x in PREMIUMS for m in MODES]


def at(k: int) -> datetime:
    return datetime(2024, 1, 2, 9, 16) + timedelta(minutes=k)


def spot_at(k: int) -> float:
    return 21010.0 + 40.0 * math.sin(k / 6.0)


def fair(ot: str, strike: float, k: int) -> float:
    t = ((EXPIRY - DAY).days * 1440 + (N - k)) / (365 * 1440)
    m = math.log(strike / spot_at(k))
    return bs_price(ot, spot_at(k), strike, t, 0.07, 0.0, 0.14 + 0.8 * m * m) or 0.0


def price_rows(quotes: bool) -> list[dict]:
    """One row per strike, type and minute, except: gaps where (k + j) % 4 == 3; the 21100 CE
    trades only at 09:16 (stale after); the 20900 PE stops after 09:26; a zero price (unusable)
    every 9th minute of the 21000 CE; crossed quotes every 7th minute of the 21050 PE (quote
    data); and the 21000 PE at 09:30 twice (an identical duplicate)."""
    rows = []
    for j, strike in enumerate(STRIKES):
        for ot in ("CE", "PE"):
            for k in range(N):
                if (k + j) % 4 == 3 or (strike, ot) == (21100.0, "CE") and k > 0 \
                        or (strike, ot) == (20900.0, "PE") and k > 10:
                    continue
                p = round(fair(ot, strike, k) * 20) / 20
                if p < 0.05:
                    continue
                if (strike, ot) == (21000.0, "CE") and k % 9 == 3:
                    p = 0.0
                row = {"ts": at(k), "underlying": "NIFTY", "expiry": EXPIRY, "strike": strike, "opt_type": ot}
                if quotes:
                    bid, ask = p - 0.5 if p > 0.5 else p / 2, p + 0.5
                    if (strike, ot) == (21050.0, "PE") and k % 7 == 2:
                        bid, ask = ask + 1.0, bid  # crossed: no mid
                    row.update(bid=bid, ask=ask)
                else:
                    row["close"] = p
                rows.append(row)
                if (strike, ot, k) == (21000.0, "PE", 14):
                    rows.append(dict(row))
    return rows


def write(root, quotes: bool = False, layout: str = "flat"):
    """The dataset: one file a side ("flat"), day folders ("hive"), or expiries written as
    yyyymmdd numbers ("int_expiry": the expiry is matched after conversion, not in the scan)."""
    rows = price_rows(quotes)
    spot = [{"ts": at(k), "underlying": "NIFTY", "close": spot_at(k)} for k in range(N) if k not in NO_SPOT]
    written = rows
    if layout == "int_expiry":
        written = [{**r, "expiry": int(r["expiry"].strftime("%Y%m%d"))} for r in rows]
    folder = f"/day={DAY.isoformat()}" if layout == "hive" else ""
    for side, table in (("options", written), ("spot", spot)):
        (root / f"{side}{folder}").mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(table), root / f"{side}{folder}" / "p.parquet")
    hive = '\nhive_partitioning = true\nday_partition = "day"' if layout == "hive" else ""
    paths = {side: (f"{side}/*/*.parquet" if layout == "hive" else f"{side}/p.parquet") for side in ("options", "spot")}
    mid = 'price = "mid"\n' if quotes else ""
    cols = '[options.columns]\nbid = "bid"\nask = "ask"\n' if quotes else ""
    (root / "dataset.toml").write_text(
        f'name = "live chain"\nunderlying = "NIFTY"\nstrike_step = 50\nlot_size = 1\nclock = "spot"\n{mid}'
        f'[options]\npath = "{paths["options"]}"{hive}\n{cols}[spot]\npath = "{paths["spot"]}"{hive}\n'
        f'[session]\nstart = "09:15"\nend = "09:55"\n[greeks]\nrate = 0.07\n')
    return root, rows


class Counting(DayCacheOnly):
    """The same source, counting its ``chain_bars`` and ``option_bars`` questions."""

    def __init__(self, source):
        super().__init__(source)
        self.windows = self.day_fetches = 0

    def chain_bars(self, *args):
        self.windows += 1
        return self.source.chain_bars(*args)

    def option_bars(self, day, instruments):
        self.day_fetches += 1
        return self.source.option_bars(day, instruments)


class Picks(Strategy):
    """Never trades: at every tick picks by delta for both types, every mode and target."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def entry(self, ctx):
        self.seen.append((ctx.now, tuple(ctx.strike_by_delta(ot, x, m)
                                          for ot in ("CE", "PE") for x in TARGETS for m in MODES)
                          + tuple(ctx.strike_by_premium(ot, x, m)
                                  for ot in ("CE", "PE") for x in PREMIUMS for m in MODES)))


def picks(source):
    s = Picks()
    EventEngine(source).run(s)
    return s.seen


def usable(row, quotes):
    if quotes:
        b, a = row["bid"], row["ask"]
        return b is not None and a is not None and 0 < b <= a
    return row["close"] > 0


def windows_for(ticks: int) -> int:
    """Queries for a rule asking on each of ``ticks`` ticks: windows of 16, 32, 64, ... ticks."""
    n = covered = 0
    while covered < ticks:
        covered += WINDOW_TICKS << min(n, MAX_DOUBLINGS)
        n += 1
    return n


@pytest.mark.parametrize("quotes, layout", [(False, "flat"), (True, "flat"), (False, "hive"), (True, "int_expiry")],
                         ids=["close", "mid", "close-day-folders", "mid-yyyymmdd-expiry"])
def test_live_chain_picks_what_the_day_cache_picks_and_only_live_strikes(tmp_path, quotes, layout):
    root, rows = write(tmp_path, quotes, layout)
    counting = Counting(DuckDBSource(root))
    live = picks(counting)
    reference = picks(DayCacheOnly(DuckDBSource(root)))
    assert live == reference
    ticks = [t for t, _ in live]
    assert len(ticks) == N - len(NO_SPOT) - 1          # entry is not tried on the last tick
    assert counting.windows == 2 * windows_for(len(ticks))  # one query a window and type
    assert counting.day_fetches == 0                   # no strike's whole day was fetched
    picked = 0
    for n, (now, chosen) in enumerate(live):
        after = ticks[n - 1] if n else datetime(2024, 1, 2, 9, 15)
        for (ot, _, _), k in zip(ASKS, chosen):
            if k is None:
                continue
            picked += 1
            assert any(r["strike"] == k and r["opt_type"] == ot and after < r["ts"] <= now and usable(r, quotes)
                       for r in rows), (now, ot, k)
            assert (k, ot) != (21100.0, "CE") or n == 0  # stale after its only bar at 09:16
    assert picked > len(live) * len(ASKS) // 2  # most asks find a strike: the check above is not vacuous


def test_a_stale_strike_with_the_best_delta_is_not_picked(tmp_path):
    # the 21100 CE trades only at 09:16. Aim at its own |delta|: on the first tick it is the
    # pick; a tick later (its price one tick old, its delta still known) it must not be
    root, _ = write(tmp_path)
    stale = Instrument("NIFTY", EXPIRY, 21100.0, "CE")

    class AimAtStale(Strategy):
        def __init__(self):
            super().__init__()
            self.seen = []

        def entry(self, ctx):
            if ctx.tick < 3:
                g = ctx.greeks(stale)
                self.seen.append((ctx.price(stale)[1], ctx.strike_by_delta("CE", abs(g.delta))))

    for source in (DuckDBSource(root), DayCacheOnly(DuckDBSource(root))):
        s = AimAtStale()
        EventEngine(source).run(s)
        (lag0, pick0), (lag1, pick1), (lag2, pick2) = s.seen
        assert (lag0, pick0) == (0, 21100.0)
        assert lag1 == 1 and pick1 not in (None, 21100.0)
        assert lag2 == 2 and pick2 not in (None, 21100.0)


def test_the_memo_and_the_shared_cache_pass_the_window_on_and_the_memo_keeps_it(tmp_path):
    root, _ = write(tmp_path)
    reference = picks(DuckDBSource(root))
    inner = Counting(DuckDBSource(root))
    memo = MemoSource(inner)
    assert picks(memo) == reference
    asked = inner.windows
    assert asked > 0 and picks(memo) == reference and inner.windows == asked  # the second run: from memory
    shared = SharedCacheSource(Counting(DuckDBSource(root)), tmp_path / "no-cache-yet")
    assert picks(shared) == reference and shared.source.windows > 0
    # a wrapped source without chain_bars: neither wrapper offers it, the day cache answers
    assert not hasattr(MemoSource(DayCacheOnly(DuckDBSource(root))), "chain_bars")
    assert not hasattr(SharedCacheSource(DayCacheOnly(DuckDBSource(root)), tmp_path / "x"), "chain_bars")
    assert picks(MemoSource(DayCacheOnly(DuckDBSource(root)))) == reference


def test_a_chain_already_in_the_day_cache_is_read_from_it(tmp_path):
    # a strategy that prefetched the chain: no window query, same picks
    root, _ = write(tmp_path)
    reference = picks(DuckDBSource(root))

    class Prefetching(Picks):
        def on_day_start(self, day):
            day.prefetch([Instrument("NIFTY", EXPIRY, k, ot) for k in STRIKES for ot in ("CE", "PE")])

    counting = Counting(DuckDBSource(root))
    s = Prefetching()
    EventEngine(counting).run(s)
    assert s.seen == reference and counting.windows == 0 and counting.day_fetches == 1


def test_conflicting_rows_in_the_window_are_refused_as_the_day_cache_refuses_them(tmp_path):
    # two different prices for the 21000 PE at 09:19: which is true cannot be known, so the
    # run refuses the day (its only day: the run stops) naming the file, on both paths
    root, _ = write(tmp_path)
    table = pq.read_table(root / "options" / "p.parquet").to_pylist()
    row = next(r for r in table if r["strike"] == 21000.0 and r["opt_type"] == "PE" and r["ts"] == at(3))
    table.append({**row, "close": row["close"] + 1.0})
    pq.write_table(pa.Table.from_pylist(table), root / "options" / "p.parquet")
    for source in (DuckDBSource(root), DayCacheOnly(DuckDBSource(root))):
        with pytest.raises(ConflictingBarsError, match=r"p\.parquet: conflicting .* 21000 PE at 2024-01-02 09:19"):
            EventEngine(source).run(Picks())


def test_conflicting_rows_of_a_strike_the_chain_leaves_out_do_not_stop_the_day(tmp_path):
    """Strike -5 is no contract (counted as bad_strike, never listed): two different closes of
    it at one minute must not refuse the day through the live chain, as they do not through
    the day cache (which never fetches it); both pick the same strike."""
    root, rows = write(tmp_path)
    bad = {"ts": at(1), "underlying": "NIFTY", "expiry": EXPIRY, "strike": -5.0, "opt_type": "CE", "close": 1.0}
    pq.write_table(pa.Table.from_pylist(rows + [bad, {**bad, "close": 2.0}]), root / "options" / "p.parquet")
    live = picks(DuckDBSource(root))
    assert live == picks(DayCacheOnly(DuckDBSource(root)))
    assert len(live) > 30 and any(k is not None for _, ks in live for k in ks)
