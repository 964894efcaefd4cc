"""Speed and memory of the cluster model at several sizes (the targets: ``bench_engine.py``).

Run: ``python benchmarks/bench_model.py [--quick]``. Prints a table and writes
``benchmarks/results/bench_model.json``. The process warms up first (``sim.warm``), as a
worker does, so no figure includes compiling the month. ``--cost`` instead checks
``sim.cost``'s estimates (what ``catfish run`` and ``compare`` say before they start) against
measured runs: memory and time of a few sizes and network densities, measured over estimated
(at most 1 is good). Times are the minimum and median of repeats (the minimum is the least
disturbed by other work on a shared machine); peak memory is measured in a fresh subprocess
per size (``ru_maxrss`` minus the interpreter's baseline after imports).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import mesa
import numpy as np
from catfish.sim import ClusterModel, run_one

RESULTS = Path(__file__).parent / "results"


def time_model(n_smes: int, months: int, repeats: int) -> dict[str, float]:
    """Construction and stepping times of one model size, over ``repeats`` seeds."""
    construct, run = [], []
    for seed in range(repeats):
        t0 = time.perf_counter()
        model = ClusterModel(rng=seed, n_smes=n_smes, months=months, deadline_month=months)
        t1 = time.perf_counter()
        while model.running:
            model.step()
        t2 = time.perf_counter()
        construct.append(t1 - t0)
        run.append(t2 - t1)
    return {
        "n_smes": n_smes, "months": months, "repeats": repeats,
        "construct_s_min": min(construct), "construct_s_median": statistics.median(construct),
        "run_s_min": min(run), "run_s_median": statistics.median(run),
        "us_per_sme_month_min": min(run) / (n_smes * months) * 1e6,
    }


def time_run_one(repeats: int) -> dict[str, float]:
    """Full ``run_one`` (construction, 36 months, tables, outcomes) on the default 1,000 SMEs."""
    run_one(seed=0)  # warm caches and imports
    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        run_one(seed=seed)
        times.append(time.perf_counter() - t0)
    return {"repeats": repeats, "ms_min": min(times) * 1e3,
            "ms_median": statistics.median(times) * 1e3}


# VmHWM (peak resident set of this process image) rather than ru_maxrss, which Linux carries
# over from the parent across fork and exec
PEAK_SCRIPT = """
import re
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
from catfish.sim import ClusterModel
base = hwm()
m = ClusterModel(rng=0, n_smes={n}, months={months}, deadline_month={months})
while m.running:
    m.step()
print(base, hwm())
"""


def peak_memory_mb(n_smes: int, months: int) -> dict[str, float]:
    """Peak resident memory of one run in a fresh interpreter, MB (total and above imports)."""
    out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT.format(n=n_smes, months=months)],
                         check=True, capture_output=True, text=True).stdout.split()
    base, peak = (int(x) / 1024 for x in out)
    return {"n_smes": n_smes, "months": months, "peak_rss_mb": peak,
            "peak_above_imports_mb": peak - base}


COST_SCRIPT = """
import re, time
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
from catfish.sim import ClusterModel
from catfish.sim.warm import warm_up
warm_up()  # compiled code is the process's, not the run's (it is in sim.cost's per model)
base = hwm()
t = time.perf_counter()
m = ClusterModel(rng=0, n_smes={n}, months={months}, deadline_month={months},
                 peer_mean_degree={degree})
while m.running:
    m.step()
print(base, hwm(), time.perf_counter() - t)
"""
COST_SIZES = ((10_000, 60, 8), (100_000, 24, 8), (100_000, 12, 100), (300_000, 12, 8),
              (300_000, 6, 50))


def check_cost() -> list[dict[str, float]]:
    """Measured memory and time of a few runs against ``sim.cost.estimate`` (fresh processes)."""
    from catfish.sim import ModelParams
    from catfish.sim.cost import estimate

    rows = []
    for n, months, degree in COST_SIZES:
        out = subprocess.run([sys.executable, "-c", COST_SCRIPT.format(
            n=n, months=months, degree=degree)], check=True, capture_output=True,
            text=True).stdout.split()
        base, peak, seconds = int(out[0]) * 1024, int(out[1]) * 1024, float(out[2])
        guess = estimate(ModelParams(n_smes=n, months=months, deadline_month=months,
                                     peer_mean_degree=degree))
        rows.append({"n_smes": n, "months": months, "peer_mean_degree": degree,
                     "memory_mb": (peak - base) / 1e6, "estimated_memory_mb": guess.bytes / 1e6,
                     "seconds": seconds, "estimated_seconds": guess.seconds})
        row = rows[-1]
        print(f"{n:>8,} firms {months:>3} months {degree:>3} peers: memory "
              f"{row['memory_mb']:7.0f} MB, estimated {row['estimated_memory_mb']:7.0f} MB "
              f"({row['memory_mb'] / row['estimated_memory_mb']:.2f}); time {seconds:6.2f} s, "
              f"estimated {row['estimated_seconds']:6.2f} s "
              f"({seconds / row['estimated_seconds']:.2f})")
    return rows


def main() -> None:
    """Run the benchmark and print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--cost", action="store_true",
                        help="check the resource estimates (sim.cost) against measured runs")
    args = parser.parse_args()
    if args.cost:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "bench_cost.json").write_text(json.dumps(check_cost(), indent=2))
        return
    reps = 3 if args.quick else 7
    from catfish.sim.warm import settle_worker

    settle_worker()
    sizes = [time_model(n, 120, max(2, reps // 2)) for n in (10_000, 30_000, 100_000)]
    small = time_model(1_000, 36, reps * 10)
    result = {
        "machine": {"python": platform.python_version(), "mesa": mesa.__version__,
                    "numpy": np.__version__, "processor": platform.machine()},
        "scaling_120_months": sizes,
        "small_1000x36": small,
        "run_one_1000x36": time_run_one(reps * 10),
        "memory": [peak_memory_mb(100_000, 120)],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_model.json").write_text(json.dumps(result, indent=2))
    print(f"Python {result['machine']['python']}, Mesa {result['machine']['mesa']}")
    print(f"{'SMEs':>8} {'months':>6} {'construct s':>12} {'run s':>8} {'us/SME-month':>13}")
    for row in [small, *sizes]:
        print(f"{row['n_smes']:>8} {row['months']:>6} {row['construct_s_min']:>12.3f} "
              f"{row['run_s_min']:>8.3f} {row['us_per_sme_month_min']:>13.3f}")
    r1 = result["run_one_1000x36"]
    print(f"run_one 1,000 x 36 incl. construction and tables: {r1['ms_min']:.1f} ms (min), "
          f"{r1['ms_median']:.1f} ms (median)")
    mem = result["memory"][0]
    print(f"peak memory 100,000 x 120: {mem['peak_rss_mb']:.0f} MB "
          f"({mem['peak_above_imports_mb']:.0f} MB above imports)")


if __name__ == "__main__":
    main()
