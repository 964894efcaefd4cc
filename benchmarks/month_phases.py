"""Where a run's time goes: each phase of ``ClusterModel.step``, per run, after a warm-up.

Run: ``python benchmarks/month_phases.py [NAME] [--runs N]`` (NAME a shipped scenario, or
``default`` for the built-in cluster; default ``jieyang-city-2023``).

Each phase is timed by a wrapper around it (whose own cost, a microsecond or so a call, is
counted in the phase); *the rest* is the run's time outside the phases: building the model,
the month's draws, the data collector and the tables. For finding what to make faster next;
the speed targets are ``bench_engine.py``'s.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from catfish.sim import metrics, projects, run_one
from catfish.sim.model import ClusterModel
from catfish.sim.warm import settle_worker

from catfish import scenarios

MODEL_PHASES = ("open_month", "_update_leads", "_update_market", "observe_peers",
                "_willingness_to_retry", "_become_willing")
PROJECT_PHASES = ("decide", "assign_and_start", "progress", "lapse_and_retry")


def timed_phases(spent: dict[str, float]) -> None:
    """Wrap every phase so that its time adds up in ``spent`` (seconds by phase)."""
    def wrap(owner: Any, name: str, label: str) -> None:
        phase: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return phase(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        setattr(owner, name, timed)

    for name in MODEL_PHASES:
        wrap(ClusterModel, name, name)
    for name in PROJECT_PHASES:
        wrap(projects, name, name)
    wrap(metrics, "monthly", "metrics.monthly")


def main() -> None:
    """Print milliseconds per run by phase."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", default="jieyang-city-2023")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    settle_worker()
    spent: dict[str, float] = defaultdict(float)
    timed_phases(spent)
    scenario = None if args.name == "default" else scenarios.load(args.name)
    for seed in range(20):  # this scenario's own first-run costs
        run_one(scenario, seed=seed)
    spent.clear()
    started = time.perf_counter()
    for seed in range(args.runs):
        run_one(scenario, seed=seed)
    total = (time.perf_counter() - started) / args.runs * 1e3
    print(f"{args.name}: {total:.2f} ms a run (wall, over {args.runs} seeds)")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {label:<18} {seconds / args.runs * 1e3:6.2f} ms")
    rest = total - sum(spent.values()) / args.runs * 1e3
    print(f"  {'the rest':<18} {rest:6.2f} ms (construction, draws, collection, tables)")


if __name__ == "__main__":
    main()
