"""The engine's speed targets (issue 19): small runs, a large run against a toy model.

Run: ``python benchmarks/bench_engine.py [--repeats N] [--against DIR] [--json PATH]``.

Measured, after warming up (``sim.warm``: compiled code loaded, first-run costs paid):

- ``run_one(scenarios.load("jieyang-city-2023"), seed=s)``, 1,200 firms x 31 months,
  including construction and the time-series table (target: at most 7 ms);
- the default 1,000 x 36 run, ``run_one(seed=s)`` (``ModelParams()`` and the default mix),
  and the same cluster as shipped, ``jieyang-plastics-2020`` (target: at most 4 ms); each
  small run makes its time-series table (``.timeseries``, a pandas DataFrame), as 0.2.0's
  ``run_one`` always did; what the default run costs without it, as a share of the run with
  it, is measured too (:func:`table_share`: ``run_one`` makes it only when asked);
- 100,000 firms x 120 months against ``benchmarks/toy_bass.py``'s vectorised toy model of
  the same size, in the same process, alternately (target: at most 1.5 times the toy).

The process is set up as a worker is (``sim.warm.settle_worker``: warmed up, its long-lived
objects set aside from the garbage collector; a checkout from before it gets the same by
hand). Each figure is the median (and minimum) over seeds, in CPU seconds of this process (the
machine is shared; wall time counts other work too) and in wall seconds.

``--against DIR`` times this checkout and another (each laid out as the ``catfish`` package in
a temporary folder put first on ``sys.path``, so this environment's libraries run both) in two
worker processes that stay up, set up as above: they take turns, a batch of ``--batch`` runs
of the same seeds each, ``--pairs`` times per case, the one to go first alternating. The
speed-up is the median of the pairs' ratios (a pair is measured within a second, so a shared
machine's slow minutes, which on a VM move single figures by 20-40 %, cancel out), with its
interquartile range; the fastest batches of each side are given too (what a quiet machine
would show). Writes ``benchmarks/results/bench_engine.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGETS = {"city_ms": 7.0, "default_ms": 4.0, "large_vs_toy": 1.5}


def timed(run: Callable[[int], Any], seeds: range) -> dict[str, float]:
    """Median and minimum CPU and wall milliseconds of ``run(seed)`` over ``seeds``."""
    cpu, wall = [], []
    for seed in seeds:
        c, w = time.process_time(), time.perf_counter()
        run(seed)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"runs": len(cpu), "cpu_ms_median": statistics.median(cpu) * 1e3,
            "cpu_ms_min": min(cpu) * 1e3, "wall_ms_median": statistics.median(wall) * 1e3,
            "wall_ms_min": min(wall) * 1e3}


def small_cases() -> dict[str, Callable[[int], Any]]:
    """The city, the default and the plastics runs, after a warm-up: case -> ``run(seed)``."""
    from catfish.sim import run_one

    from catfish import scenarios

    try:  # what a worker process does before it takes runs
        from catfish.sim.warm import settle_worker
    except ImportError:  # a checkout from before the compiled engine: the same, by hand
        def settle_worker() -> None:
            run_one(scenarios.load("jieyang-city-2023"), seed=0)
            gc.collect()
            gc.freeze()

    settle_worker()
    city, plastics = scenarios.load("jieyang-city-2023"), scenarios.load("jieyang-plastics-2020")
    cases = {"city": lambda s: run_one(city, seed=s).timeseries,
             "default": lambda s: run_one(seed=s).timeseries,
             "plastics": lambda s: run_one(plastics, seed=s).timeseries}
    for case in cases.values():  # each case's own first-run costs
        case(10_000)
    return cases


def small_runs(repeats: int) -> dict[str, dict[str, float]]:
    """Median and minimum times of the city, the default and the plastics runs (:func:`timed`)."""
    return {name: timed(case, range(1, repeats + 1)) for name, case in small_cases().items()}


def large_vs_toy(rounds: int, n: int = 100_000, months: int = 120) -> dict[str, Any]:
    """The engine and the toy model at ``n`` firms x ``months``, alternately in this process."""
    sys.path.insert(0, str(HERE))
    from catfish.sim import ModelParams, run_one
    from toy_bass import run_toy

    params = ModelParams(n_smes=n, months=months, deadline_month=months)
    engine, toy = [], []
    for seed in range(rounds):
        engine.append(timed(lambda s: run_one(params, seed=s), range(seed, seed + 1)))
        toy.append(timed(lambda s: run_toy(n, months, s), range(seed, seed + 1)))
    result = {"n_smes": n, "months": months, "rounds": rounds}
    for name, rows in (("engine", engine), ("toy", toy)):
        for key in ("cpu_ms", "wall_ms"):
            result[f"{name}_{key}_median"] = statistics.median(r[f"{key}_median"] for r in rows)
    result["ratio_cpu"] = result["engine_cpu_ms_median"] / result["toy_cpu_ms_median"]
    result["ratio_wall"] = result["engine_wall_ms_median"] / result["toy_wall_ms_median"]
    return result


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import mesa
    import numba
    import numpy as np

    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    return {"python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": np.__version__, "numba": numba.__version__, "cpu": model,
            "cpus": os.cpu_count(), "load_average": os.getloadavg()}


def serve_batches() -> None:
    """A worker of ``--against`` (``--serve``): time the batches asked on standard input.

    Each line asks ``CASE FIRST_SEED RUNS``; the answer is the batch's CPU milliseconds per run.
    """
    cases = small_cases()
    print("ready", flush=True)
    for line in sys.stdin:
        case, first, runs = line.split()
        run, seeds = cases[case], range(int(first), int(first) + int(runs))
        start = time.process_time()
        for seed in seeds:
            run(seed)
        print((time.process_time() - start) / len(seeds) * 1e3, flush=True)


class _Worker:
    """A checkout's worker process: the checkout laid out as the ``catfish`` package.

    The checkout's folders are linked into a temporary ``catfish`` package (what setuptools'
    ``package-dir`` does when it is installed) that comes before this environment's install.
    """

    def __init__(self, checkout: Path, folder: Path) -> None:
        package = folder / "catfish"
        package.mkdir()
        for part in (checkout / "catfish").iterdir():
            (package / part.name).symlink_to(part)
        for name in ("sim", "agents", "scenarios", "calibration", "experiments"):
            (package / name).symlink_to(checkout / name)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(HERE)])}
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()),
                                         "--serve"], cwd=folder, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if self._answer() != "ready":
            raise RuntimeError(f"bench_engine: the worker of {checkout} did not start")

    def batch(self, case: str, first: int, runs: int) -> float:
        """CPU milliseconds per run of ``runs`` runs of ``case`` from seed ``first``."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{case} {first} {runs}\n")
        self.process.stdin.flush()
        return float(self._answer())

    def _answer(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        """Let the worker end (its standard input closes)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def compare(checkout: Path, pairs: int, batch: int) -> dict[str, Any]:
    """This checkout and ``checkout`` in two workers taking turns: times and paired ratios."""
    summary: dict[str, Any] = {"against": str(checkout), "pairs": pairs, "batch": batch}
    with tempfile.TemporaryDirectory(prefix="catfish-against-") as tmp:
        (Path(tmp) / "here").mkdir()
        (Path(tmp) / "there").mkdir()
        here, there = _Worker(HERE.parent, Path(tmp) / "here"), \
            _Worker(checkout, Path(tmp) / "there")
        try:
            for case in ("city", "default", "plastics"):
                mine, theirs = [], []
                for k in range(pairs):
                    first = 1 + (k % 10) * batch  # the same seeds on both sides
                    if k % 2:
                        mine.append(here.batch(case, first, batch))
                        theirs.append(there.batch(case, first, batch))
                    else:
                        theirs.append(there.batch(case, first, batch))
                        mine.append(here.batch(case, first, batch))
                summary[case] = _paired(mine, theirs)
        finally:
            here.close()
            there.close()
    return summary


def _paired(mine: list[float], theirs: list[float]) -> dict[str, float]:
    ratios = sorted(b / a for a, b in zip(mine, theirs, strict=True))
    quartiles = statistics.quantiles(ratios, n=4)
    return {"cpu_ms_median": statistics.median(mine),
            "against_cpu_ms_median": statistics.median(theirs),
            "speedup": statistics.median(ratios), "speedup_q1": quartiles[0],
            "speedup_q3": quartiles[2], "cpu_ms_min": min(mine),
            "against_cpu_ms_min": min(theirs)}


def table_share(pairs: int = 60, batch: int = 20) -> dict[str, float]:
    """What a default run costs without its DataFrame, as a share of the run with it.

    The small cases ask every run for ``.timeseries``, the pandas DataFrame that 0.2.0's
    ``run_one`` always made, so that both versions do the same work; today's makes it only
    when asked (sweeps and comparisons never do). In this process, batches of ``batch`` runs
    with and without it take turns, ``pairs`` times; the median of the pairs' ratios, with
    its quartiles.
    """
    from catfish.sim import run_one

    ratios = []
    for k in range(pairs):
        spent = {}
        for with_table in ((True, False) if k % 2 else (False, True)):
            started = time.process_time()
            for seed in range(1, batch + 1):
                result = run_one(seed=seed)
                if with_table:
                    result.timeseries  # noqa: B018 (made when asked)
            spent[with_table] = time.process_time() - started
        ratios.append(spent[False] / spent[True])
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return {"pairs": pairs, "share": statistics.median(ratios), "q1": q1, "q3": q3}


def main() -> None:
    """Measure, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=60, help="seeds per small run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="engine/toy rounds at 100,000 firms")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--pairs", type=int, default=100,
                        help="batches of each side per case with --against")
    parser.add_argument("--batch", type=int, default=20, help="runs per batch with --against")
    parser.add_argument("--skip-large", action="store_true", help="no 100,000-firm runs")
    parser.add_argument("--json", type=Path, default=RESULTS / "bench_engine.json")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # a worker
    args = parser.parse_args()
    if args.serve:
        serve_batches()
        return
    result: dict[str, Any] = {"machine": machine(), "targets": TARGETS,
                              "small": small_runs(args.repeats),
                              "default_without_table": table_share()}
    if not args.skip_large:
        result["large_vs_toy"] = large_vs_toy(args.rounds)
    if args.against is not None:
        result["against"] = compare(args.against.resolve(), args.pairs, args.batch)
    result["machine"]["load_average_after"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    report(result)


def report(result: dict[str, Any]) -> None:
    """Print the figures, one line each."""
    m = result["machine"]
    print(f"Python {m['python']}, numpy {m['numpy']}, numba {m['numba']}, Mesa {m['mesa']}; "
          f"{m['cpus']} x {m['cpu']}; load {m['load_average'][0]:.1f}")
    for name, row in result["small"].items():
        print(f"{name:>9}: CPU {row['cpu_ms_median']:6.2f} ms median ({row['cpu_ms_min']:.2f} "
              f"min), wall {row['wall_ms_median']:6.2f} ms median over {row['runs']} seeds")
    share = result["default_without_table"]
    print(f"  default: run_one without its DataFrame takes {share['share']:.2f} of the run with "
          f"it (median of {share['pairs']} pairs; quartiles {share['q1']:.2f}-{share['q3']:.2f})")
    if "large_vs_toy" in result:
        r = result["large_vs_toy"]
        print(f"{r['n_smes']:,} x {r['months']}: engine {r['engine_cpu_ms_median'] / 1e3:.2f} s, "
              f"toy {r['toy_cpu_ms_median'] / 1e3:.2f} s CPU: {r['ratio_cpu']:.2f} times "
              f"(wall {r['ratio_wall']:.2f})")
    if "against" in result:
        for case, row in result["against"].items():
            if isinstance(row, dict):
                print(f"{case:>9}: {row['against_cpu_ms_median']:.2f} ms -> "
                      f"{row['cpu_ms_median']:.2f} ms (fastest batch "
                      f"{row['against_cpu_ms_min']:.2f} -> {row['cpu_ms_min']:.2f} ms), "
                      f"{row['speedup']:.2f} times faster (median of {result['against']['pairs']}"
                      f" pairs' ratios; quartiles {row['speedup_q1']:.2f}-"
                      f"{row['speedup_q3']:.2f})")


if __name__ == "__main__":
    main()
