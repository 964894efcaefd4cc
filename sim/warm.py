"""A process compiles its hot paths once, before it is given runs: the warm-up of a worker.

The month's compiled functions (``agents.jit``) are compiled the first time they are called
with a given kind of argument, or loaded from numba's disk cache (half a second for all of
them; twenty to forty seconds to compile them on a machine whose cache is empty). A worker
that warms up first gives every run it makes the same cost, so no run of a sweep, and no
timed run of a benchmark, pays for compilation: ``experiments.runs.executors`` warms up each
worker process and each Dask worker as it starts.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from catfish.sim.model import ClusterModel
from catfish.sim.params import ModelParams
from catfish.sim.policy import REGISTRY, Grant, Instrument, make_instrument
from catfish.sim.run import run_one

# a small cluster that takes every path of a month: two sectors (one starting from a stated
# state), a central factory and lead firms with suppliers, visits, a queue that lets in a
# provider, and every instrument in the registry (their defaults fit it)
SMALL = ModelParams(
    n_smes=160, months=4, deadline_month=4, sector_names=("a", "b"), sector_shares=(0.5, 0.5),
    n_lead_firms_per_sector=2, suppliers_per_lead_firm=10, central_factory_month=1,
    visits_per_month=20.0, initial_willing_share=0.5, n_providers=2, provider_capacity=2,
    provider_entry_lag_months=1, cooldown_months=1, retry_prob=1.0, lapse_per_year=2.0,
    start_shares={"a": {"transformed": 0.3, "deep": 0.1, "failed": 0.1, "lapsed": 0.1,
                        "willing": 0.2}})
VARIANTS = (
    {},
    {"network": "complete"},
    {"stages_on": False, "provider_capacity_on": False, "economic_gate_on": False,
     "beliefs_on": False, "market_on": False, "demonstration_on": False,
     "acceptance_on": False, "lapse_on": False, "retry_on": False},
    {"demand_growth_per_year": 0.05},
    {"early_failure_prob": 0.9, "verified_gain_min": 3.0},  # projects fail and are rejected
)


class _PythonHooks(Instrument):
    """An instrument of one's own: hooks written in Python, into every point of the month."""

    name = "python_hooks"

    def support_at_start(self, model: ClusterModel, firms: Any, kinds: Any, cost: Any) -> float:
        return 0.0

    def support_on_acceptance(self, model: ClusterModel, firms: Any, kinds: Any,
                              cost: Any) -> float:
        return 0.0

    def on_start(self, model: ClusterModel, firms: Any) -> None:
        pass

    def stage_log_odds(self, model: ClusterModel, firms: Any) -> float:
        return 0.0

    def on_completion(self, model: ClusterModel, firms: Any) -> None:
        pass

    def on_acceptance(self, model: ClusterModel, firms: Any) -> None:
        pass

    def on_failure(self, model: ClusterModel, firms: Any) -> None:
        pass


def warm_up() -> float:
    """Compile, or load from the cache, every compiled function a run calls; the seconds taken.

    Runs the small cluster above in a few variants with every instrument, and the Bass
    docking configuration, once each. Idempotent: a second call costs a few milliseconds.
    """
    started = time.perf_counter()
    for changes in VARIANTS:
        mix = [make_instrument(name) for name in REGISTRY]
        mix.append(Grant(paid_on="acceptance", kinds="deep"))
        run_one(SMALL.replace(**changes), seed=0, policies=mix)
    # with an instrument whose hooks are Python: each phase calls the hooks between its parts
    for changes in (VARIANTS[0], VARIANTS[-1]):  # (the last: failures and rejections)
        run_one(SMALL.replace(**changes), seed=0, policies=[*mix, _PythonHooks()])
    run_one(SMALL, seed=0, policies=[])  # and with no instrument at all
    model = ClusterModel.bass(p=0.03, q=0.38, n_smes=50, seed=0, months=3)
    while model.running:
        model.step()
    return time.perf_counter() - started


def settle_worker() -> float:
    """Warm up a process that will only make runs (a worker), and set its garbage aside.

    After the warm-up, everything the process holds (modules, compiled code, caches) is
    moved out of reach of the cyclic garbage collector (``gc.freeze``): it lives as long as
    the process, and a full collection no longer walks through it, which otherwise costs a
    run about half a millisecond on average. Not for a process of one's own: whatever it
    holds at that point is never collected, and the collector runs less often.
    """
    seconds = warm_up()
    gc.collect()
    gc.freeze()
    # a run leaves little cyclic garbage (the Mesa model and its agents): collect it less often
    gc.set_threshold(50_000, 20, 20)
    return seconds
