"""What a call into compiled code costs, and how many calls a month of a run makes.

Run: ``python benchmarks/bench_calls.py [NAME] [--runs N]`` (NAME a shipped scenario, or
``default`` for the built-in cluster, the default).

- The cost of calling a compiled function from Python: with no argument, one array, twenty
  arrays, and one array handed back (what ``docs/architecture.md``, "Few calls from Python",
  quotes).
- Per month of the run, after a warm-up: the calls into compiled functions (``agents.jit``)
  and the other Python calls (functions, methods and built-ins, as ``cProfile`` counts them).
- Per run: the crossings from Python into compiled code (calls, arrays and other arguments
  handed over, calls handing arrays back), counted by wrapping the compiled functions that
  Python calls, and what they cost at the prices above: the part of a run that compiling the
  month as one call would save before any of its work.

For deciding what to fuse next; the speed targets are ``bench_engine.py``'s.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
import timeit
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from catfish.agents.jit import COMPILED, compiled
from catfish.sim import run_one
from catfish.sim.warm import settle_worker

from catfish import scenarios


@compiled
def _nothing() -> int:
    return 0


@compiled
def _one(a: np.ndarray) -> int:
    return 0


@compiled
def _twenty(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, e: np.ndarray,
            f: np.ndarray, g: np.ndarray, h: np.ndarray, i: np.ndarray, j: np.ndarray,
            k: np.ndarray, m: np.ndarray, n: np.ndarray, o: np.ndarray, p: np.ndarray,
            q: np.ndarray, r: np.ndarray, s: np.ndarray, t: np.ndarray, u: np.ndarray) -> int:
    return 0


@compiled
def _handed_back(a: np.ndarray) -> np.ndarray:
    return a[:3]


def call_costs(number: int = 200_000) -> dict[str, float]:
    """Nanoseconds per call of the four functions above (the fastest of three timings)."""
    x = np.zeros(1000)
    calls = {"no argument": lambda: _nothing(), "one array": lambda: _one(x),
             "twenty arrays": lambda: _twenty(*[x] * 20),
             "one array, one handed back": lambda: _handed_back(x)}
    for call in calls.values():
        call()  # compiled (or loaded) before it is timed
    return {name: min(timeit.repeat(call, number=number, repeat=3)) / number * 1e9
            for name, call in calls.items()}


def calls_per_month(name: str, runs: int) -> dict[str, float]:
    """Compiled and other Python calls per month of ``runs`` runs, as cProfile counts them."""
    settle_worker()
    scenario = None if name == "default" else scenarios.load(name)
    for seed in range(10):
        run_one(scenario, seed=seed)
    profile = cProfile.Profile()
    profile.enable()
    months = sum(len(run_one(scenario, seed=seed).columns["month"]) for seed in range(runs))
    profile.disable()
    kernels = {(f.py_func.__code__.co_filename, f.py_func.__code__.co_firstlineno)
               for f in COMPILED}
    compiled_calls = other = 0
    for (path, line, _), (_, calls, *_) in pstats.Stats(profile).stats.items():
        if (path, line) in kernels:
            compiled_calls += calls
        else:
            other += calls
    return {"compiled": compiled_calls / months, "other": other / months}


def crossings_per_run(name: str, runs: int) -> dict[str, float]:
    """Calls into compiled code per run, with the arrays and other arguments they take.

    Every compiled function a loaded ``catfish`` module holds is wrapped while the runs are
    made (compiled code calls its callees directly: only Python's calls are counted), then put
    back. Also the run's own CPU milliseconds, unwrapped.
    """
    from numba.core.registry import CPUDispatcher

    scenario = None if name == "default" else scenarios.load(name)
    start = time.process_time()
    for seed in range(runs):
        run_one(scenario, seed=seed)
    run_ms = (time.process_time() - start) / runs * 1e3
    counts: Counter[str] = Counter()

    def counted(dispatcher: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = dispatcher(*args)
            arrays = sum(isinstance(a, np.ndarray) for a in args)
            counts["calls"] += 1
            counts["arrays"] += arrays
            counts["others"] += len(args) - arrays
            counts["handing back"] += isinstance(result, np.ndarray) or (
                isinstance(result, tuple) and any(isinstance(r, np.ndarray) for r in result))
            return result
        return call

    replaced = [(module, attr, value) for module_name, module in list(sys.modules.items())
                if module_name.startswith("catfish") and module is not None
                for attr, value in list(vars(module).items())
                if isinstance(value, CPUDispatcher)]
    for module, attr, value in replaced:
        setattr(module, attr, counted(value))
    try:
        for seed in range(runs):
            run_one(scenario, seed=seed)
    finally:
        for module, attr, value in replaced:
            setattr(module, attr, value)
    return {**{k: v / runs for k, v in counts.items()}, "run_ms": run_ms}


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", default="default")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    per_month = calls_per_month(args.name, args.runs)  # warms up first
    per_run = crossings_per_run(args.name, args.runs)
    costs = call_costs()
    for what, ns in costs.items():
        print(f"a call with {what}: {ns:.0f} ns")
    print(f"{args.name}, per month: {per_month['compiled']:.0f} calls into compiled code, "
          f"{per_month['other']:.0f} other Python calls (cProfile)")
    per_array = (costs["twenty arrays"] - costs["no argument"]) / 20
    per_return = costs["one array, one handed back"] - costs["one array"]
    crossing_ms = (per_run["calls"] * costs["no argument"] + per_run["arrays"] * per_array
                   + per_run["handing back"] * per_return) / 1e6
    print(f"{args.name}, per run: {per_run['calls']:.0f} calls into compiled code, handing over "
          f"{per_run['arrays']:.0f} arrays and {per_run['others']:.0f} other arguments, "
          f"{per_run['handing back']:.0f} handing arrays back: about {crossing_ms:.2f} ms at "
          f"the prices above, of a run of {per_run['run_ms']:.2f} ms CPU "
          f"({crossing_ms / per_run['run_ms']:.0%})")


if __name__ == "__main__":
    main()
