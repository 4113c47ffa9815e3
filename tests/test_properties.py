"""Invariants as properties (hypothesis): all-or-nothing fills, one fetch per instrument a day,
and runs that do not depend on which worker ran them or what it ran before (serial == parallel).

The answers are derived from the raw generated data here, not from the engine's own output.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optbt import Strategy
from optbt.engine.loop import EventEngine
from tests.kit import DAY, MemorySource, config, day_data, inst, minute

EXAMPLES = int(os.environ.get("OPTBT_PROPERTY_EXAMPLES", 150))
STRIKES = (20950.0, 21000.0, 21050.0, 21100.0)
INSTRUMENTS = [inst(k, ot) for k in STRIKES for ot in ("CE", "PE")]
DAY2 = date(2024, 1, 3)
price = st.one_of(st.none(), st.integers(1, 300).map(float))


@st.composite
def market(draw, days=(DAY,)):
    """Random days: every tick's spot and option closes, gaps (None) anywhere."""
    n = draw(st.integers(3, 12))
    out = {}
    for day in days:
        # at least one spot bar: a day without any is skipped as no_spot (tests/test_skips.py)
        spot = draw(st.lists(st.one_of(st.none(), st.integers(20900, 21150).map(float)), min_size=n, max_size=n)
                    .filter(lambda xs: any(x is not None for x in xs)))
        options = {i: draw(st.lists(price, min_size=n, max_size=n)) for i in INSTRUMENTS}
        out[day] = day_data(spot, options)
    return n, out


# -- all-or-nothing -------------------------------------------------------------------------------

class TryEveryTick(Strategy):
    """Tries the same set of legs on every entry tick and notes what it saw."""

    max_cycles = 99

    def __init__(self, legs):
        super().__init__()
        self.legs = legs
        self.tries = []

    def entry(self, ctx):
        filled = self.try_fill({f"l{n}": self.add(i.strike, i.opt_type, side) for n, (i, side) in enumerate(self.legs)})
        self.tries.append((ctx.now, filled is not None, dict(self.positions)))

    def adjust(self, ctx):
        self.close_all("exit")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(market(), st.lists(st.tuples(st.sampled_from(INSTRUMENTS), st.sampled_from(["BUY", "SELL"])),
                          min_size=1, max_size=4, unique_by=lambda t: t[0]))
def test_a_fill_is_all_legs_at_live_prices_or_nothing(case, legs):
    n, days = case
    s = TryEveryTick(legs)
    EventEngine(MemorySource(days, config(n), n)).run(s)
    series = days[DAY]["options"]
    assert s.tries, "entry runs on every idle tick but the last"
    for now, filled, positions in s.tries:
        k = [minute(DAY, j) for j in range(n)].index(now)
        every_leg_live = all(series[i][k] is not None for i, _ in legs)  # a bar known at this very tick
        assert filled == every_leg_live
        if filled:  # every leg, at this tick's own price, lag 0
            assert sorted(positions) == [f"l{j}" for j in range(len(legs))]
            for j, (i, side) in enumerate(legs):
                t = positions[f"l{j}"]
                assert (t.instrument, t.side, t.entry_ts, t.entry_price, t.entry_lag) == (i, side, now, series[i][k], 0)
        else:
            assert positions == {}
    # and nothing was ever half-open in the trades either
    for cycle in {t.cycle for t in s.closed_trades}:
        assert len([t for t in s.closed_trades if t.cycle == cycle]) == len(legs)


# -- one fetch per instrument a day ---------------------------------------------------------------

class Wanderer(Strategy):
    """Prefetches at day start, then looks at random instruments at random ticks, fills and closes."""

    max_cycles = 5

    def __init__(self, plan):
        super().__init__()
        self.plan = plan  # per tick: (instruments to price, instruments to prefetch, whether to fill)

    def on_day_start(self, day):
        for _look, pre, _fill in self.plan:  # prefetch is a day-start hint; some overlap what comes later
            if pre:
                day.prefetch(pre)

    def _act(self, ctx):
        look, _pre, fill = self.plan[ctx.tick % len(self.plan)]
        for i in look:
            ctx.price(i)
        return fill

    def entry(self, ctx):
        fill = self._act(ctx)
        if fill:
            self.try_fill([self.add(i.strike, i.opt_type, "SELL") for i in fill])

    def adjust(self, ctx):
        self._act(ctx)
        if ctx.tick % 2:
            self.close_all("exit")


instruments = st.lists(st.sampled_from(INSTRUMENTS), max_size=3)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(market(days=(DAY, DAY2)), st.lists(st.tuples(instruments, instruments, instruments), min_size=1, max_size=6))
def test_no_instrument_is_fetched_twice_a_day(case, plan):
    n, days = case
    source = MemorySource(days, config(n), n)
    EventEngine(source).run(Wanderer(plan))
    for day in days:
        fetched = [i for d, batch in source.calls if d == day for i in batch]
        assert len(fetched) == len(set(fetched))


# -- runs are independent of their worker ---------------------------------------------------------

@settings(max_examples=max(5, EXAMPLES // 15), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([10.0, 20.0, 30.0, 50.0]), st.sampled_from(["14:00", "15:00", "15:15"])),
                min_size=2, max_size=5, unique=True),
       st.randoms(use_true_random=False))
def test_a_run_gives_the_same_result_whichever_worker_runs_it_after_whatever(sample_dataset, params, rnd):
    """What makes serial == parallel: a worker's earlier runs (and its memo) never change a later one."""
    from optbt.data.dataset import load_dataset
    from optbt.sweeps.run import SweepJob, _release_worker, run_one

    strategy = str(Path(__file__).resolve().parent.parent / "strategies_dsl" / "straddle_920.strat")
    job = SweepJob(strategy, load_dataset(sample_dataset), "2024-01-01", "2024-01-05", None, None, 64)
    runs = [{"sl_pct": s, "exit_time": e} for s, e in params]

    def metrics(row):
        assert row["status"] == "ok", row["error"]
        return row["metrics"]
    alone = {}
    for p in runs:  # each run in a fresh worker
        _release_worker()
        alone[repr(p)] = metrics(run_one(job, p))
    shuffled = runs[:]
    rnd.shuffle(shuffled)
    cut = rnd.randint(0, len(shuffled))
    try:
        for worker in (shuffled[:cut], shuffled[cut:]):  # two workers, each running its share in turn
            _release_worker()
            for p in worker:
                assert metrics(run_one(job, p)) == alone[repr(p)]
    finally:
        _release_worker()
