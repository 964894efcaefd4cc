"""Speed and memory of sweeps into a result store: how far sweeps scale.

Run: ``python benchmarks/bench_sweep.py [--runs R] [--big N] [--quick] [--repeats K]
[--skip-memory | --memory-only] [--json PATH]``.

Every run is the default cluster (``sim.ModelParams()``: 1,000 SMEs x 36 months) on a grid of
three budgets x R/3 replicates. Measured:

- runs per minute of ``experiments.runs.runner.run_tasks`` into a fresh store (storage
  included) in this process (1 worker), on a local process pool of 2 workers, and on a Dask
  LocalCluster of 2 workers; executor start-up is timed apart;
- the same grid through ``mesa.batch_run(..., number_processes=1)``, which keeps every
  result in memory and stores nothing, in a fresh interpreter;
- where a run's time goes: the model (``run_one``), packing its results in the worker,
  pickling them back, and committing them (coordinator), per run, over a batch of 100 runs
  (a sweep's batch here; the commit's time is the median of three commits);
- peak resident memory (VmHWM) of the coordinating process for a 1,000-run sweep and a
  ``--big`` sweep (default 5,000; the target is 50,000), each in a fresh interpreter with
  tasks made lazily, 2 local workers, and Arrow's memory pool ``--arrow-pool`` (default
  ``system``: pyarrow's default mimalloc keeps what it once used, which makes the one-time
  reading and writing of a big run list cost a coordinator tens of MB for good).

Prints a table and writes JSON (default ``benchmarks/results/bench_sweep.json``). The machine
is shared: each executor's sweep runs ``--repeats`` times (default 2) and the fastest counts;
compare ratios measured in the same session.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from catfish.experiments.runs.executors import dask_executor, local_executor
from catfish.experiments.runs.runner import (
    join_series,
    pack_outcomes,
    pack_timeseries,
    run_batch,
    run_tasks,
)
from catfish.experiments.runs.store import ResultStore, RunRecord
from catfish.sim import ModelParams, run_one
from catfish.sim.warm import warm_up

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
BUDGETS = (30e6, 50e6, 70e6)
FIRST_SEED = 1
TARGETS = {"runs_per_min_2_workers": 12000, "runner_overhead_max_share": 0.10,
           "speedup_2_vs_1": 1.7, "dask_vs_local_max_gap": 0.25,
           "memory_big_vs_1000_max_change": 0.10, "vs_batch_run": 5.0}


@dataclass(frozen=True)
class Task:
    """A run of the benchmark grid (what ``experiments.runs.designs.SweepTask`` carries)."""

    run_id: str
    seed: int
    scenario: Any
    values: dict[str, Any]

    @property
    def subject(self) -> Any:
        return self.scenario


def grid(runs: int):
    """``runs`` tasks, lazily: budget levels fastest, replicate r with seed FIRST_SEED + r."""
    params = {b: ModelParams(budget_rmb=b) for b in BUDGETS}
    for i in range(runs):
        replicate, point = divmod(i, len(BUDGETS))
        budget = BUDGETS[point]
        yield Task(f"p{point:06d}-r{replicate:06d}", FIRST_SEED + replicate, params[budget],
                   {"budget_rmb": budget})


def run_list(runs: int) -> pd.DataFrame:
    """The store's run list of ``grid(runs)``, made from arrays (no task objects)."""
    replicate, point = np.divmod(np.arange(runs), len(BUDGETS))
    return pd.DataFrame({
        "run_id": [f"p{p:06d}-r{r:06d}" for p, r in zip(point, replicate, strict=True)],
        "point": point, "replicate": replicate, "seed": FIRST_SEED + replicate,
        "budget_rmb": np.asarray(BUDGETS)[point]})


def child_env() -> dict[str, str]:
    """The environment of a child interpreter: this checkout first on its path."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def vm_hwm_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


# --- the measurements ------------------------------------------------------------------------

def sweep(name: str, runs: int, tmp: Path, workers: int) -> dict[str, Any]:
    """One sweep of the grid into a new store on one kind of executor."""
    folder = tmp / name
    t0 = time.perf_counter()
    if name == "dask":
        context = dask_executor(local_workers=workers)
    else:
        context = local_executor(workers)
    with context as executor, ResultStore.create(folder, {"bench": name},
                                                 run_list(runs)) as store:
        started = time.perf_counter()
        if executor is not None:  # start the workers (and their imports) before the clock
            list(executor.map(_warm, range(2 * workers)))
        ready = time.perf_counter()
        summary = run_tasks(grid(runs), store, executor=executor, workers=workers)
        wall = time.perf_counter() - ready
        outcomes = store.outcomes()
    return {"executor": name, "workers": workers, "runs": runs,
            "startup_s": ready - started + (started - t0), "wall_s": wall,
            "runs_per_min": runs / wall * 60, "batch_size": summary["batch_size"],
            "batches": summary["batches"],
            "worker_ms_per_run": summary["run_seconds"] / runs * 1e3,
            "commit_ms_per_run": summary["commit_seconds"] / runs * 1e3,
            "store_mb": folder_mb(folder), "outcomes": outcomes}


def fastest(name: str, runs: int, tmp: Path, workers: int, repeats: int) -> dict[str, Any]:
    """The fastest of ``repeats`` sweeps on one kind of executor (each into a new store)."""
    tries = [sweep(name, runs, tmp / f"try{i}", workers) for i in range(max(1, repeats))]
    best = min(tries, key=lambda r: r["wall_s"])
    return {**best, "runs_per_min_all": [round(r["runs_per_min"]) for r in tries]}


def _warm(_: int) -> int:
    run_one(ModelParams(n_smes=50, months=2, deadline_month=2, target_firms=5), seed=0)
    time.sleep(0.5)  # long enough that every worker gets one of the warm-up tasks
    return os.getpid()


def overhead(runs: int) -> dict[str, float]:
    """Where a run's time goes, in this process (ms per run, medians over the runs)."""
    tasks = list(grid(runs))
    model, pack, packed = [], [], []
    warm_up()
    run_one(tasks[0].scenario, seed=0)
    for task in tasks:
        t0 = time.perf_counter()
        result = run_one(task.scenario, seed=task.seed)
        t1 = time.perf_counter()
        packed.append(RunRecord(task.run_id, outcomes=pack_outcomes(result, None),
                                timeseries=pack_timeseries(result.columns, True)))
        model.append(t1 - t0)
        pack.append(time.perf_counter() - t1)
    t0 = time.perf_counter()
    join_series(packed)  # what the worker does at the end of a batch
    joined = (time.perf_counter() - t0) / runs
    t0 = time.perf_counter()
    blob = pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)  # the batch's way back
    pickle.loads(blob)
    pickled, size = (time.perf_counter() - t0) / runs, len(blob) / runs
    t0 = time.perf_counter()
    records = run_batch([(t.run_id, t.seed, t.scenario) for t in tasks])
    batch = time.perf_counter() - t0
    commits = []  # one commit's time swings by half on a shared machine: the median of three
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp, \
                ResultStore.create(Path(tmp) / "s", {}, run_list(runs)) as store:
            t0 = time.perf_counter()
            store.commit(records)
            commits.append(time.perf_counter() - t0)
    commit = statistics.median(commits)
    figures = {"runs": runs, "run_one_ms": statistics.median(model) * 1e3,
               "pack_ms": (statistics.median(pack) + joined) * 1e3,
               "pickle_round_trip_ms": pickled * 1e3,
               "record_kb": size / 1024,
               "run_batch_ms_per_run": batch / runs * 1e3,
               "commit_ms_per_run": commit / runs * 1e3}
    # what the runner adds to a run: packing in the worker, the way back, storing
    figures["runner_share"] = (figures["pack_ms"] + figures["pickle_round_trip_ms"]
                               + figures["commit_ms_per_run"]) / figures["run_one_ms"]
    return figures


BATCH_RUN = """
import json, re, sys, time
import mesa
from catfish.sim import ClusterModel
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
runs, budgets, first = int(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
replicates = runs // len(budgets)
base = hwm()
t0 = time.perf_counter()
results = mesa.batch_run(ClusterModel, parameters={"budget_rmb": budgets,
                         "rng": list(range(first, first + replicates))}, iterations=1,
                         number_processes=1, data_collection_period=-1, display_progress=False)
wall = time.perf_counter() - t0
print(json.dumps({"runs": len(results), "wall_s": wall, "peak_mb": hwm(),
                  "peak_above_imports_mb": hwm() - base}))
"""


def batch_run(runs: int) -> dict[str, Any]:
    """The same grid through ``mesa.batch_run`` in one process, in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", BATCH_RUN, str(runs), json.dumps(BUDGETS),
                          str(FIRST_SEED)], cwd=ROOT, check=True, capture_output=True,
                         text=True, env=child_env()).stdout
    row = json.loads(out.strip().splitlines()[-1])
    return {**row, "runs_per_min": row["runs"] / row["wall_s"] * 60}


def memory_child(runs: int, workers: int) -> None:
    """Child mode: a sweep of ``runs`` lazy tasks; print the coordinator's memory."""
    with tempfile.TemporaryDirectory() as tmp:
        before = vm_hwm_mb()
        with local_executor(workers) as executor, \
                ResultStore.create(Path(tmp) / "s", {}, run_list(runs)) as store:
            created = vm_hwm_mb()
            t0 = time.perf_counter()
            summary = run_tasks(grid(runs), store, executor=executor, workers=workers)
            wall = time.perf_counter() - t0
            size = folder_mb(store.folder)
        print(json.dumps({"runs": runs, "workers": workers, "hwm_after_imports_mb": before,
                          "hwm_after_create_mb": created, "hwm_end_mb": vm_hwm_mb(),
                          "wall_s": wall, "runs_per_min": runs / wall * 60,
                          "done": summary["totals"]["done"], "store_mb": size}))


def memory(runs: int, workers: int, arrow_pool: str) -> dict[str, Any]:
    """A sweep's coordinator memory, in a fresh interpreter with the given Arrow pool."""
    env = child_env()
    if arrow_pool != "default":
        env["ARROW_DEFAULT_MEMORY_POOL"] = arrow_pool  # read when pyarrow is imported
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(runs),
                          "--workers", str(workers)], cwd=ROOT, check=True,
                         capture_output=True, text=True, env=env).stdout
    return {**json.loads(out.strip().splitlines()[-1]), "arrow_pool": arrow_pool}


# --- report ------------------------------------------------------------------------------------

def main() -> None:
    """Run the benchmark and print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=300, help="runs per speed measurement")
    parser.add_argument("--big", type=int, default=5_000, help="runs of the big memory sweep")
    parser.add_argument("--quick", action="store_true", help="60 runs, big sweep of 1,500")
    parser.add_argument("--arrow-pool", default="system",
                        choices=["system", "mimalloc", "jemalloc", "default"],
                        help="Arrow memory pool of the coordinator in the memory sweeps")
    parser.add_argument("--memory-only", action="store_true", help="only the memory sweeps")
    parser.add_argument("--skip-memory", action="store_true",
                        help="only the speed measurements (no memory sweeps)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="sweeps per executor; the fastest counts (the machine is shared)")
    parser.add_argument("--json", type=Path, default=RESULTS / "bench_sweep.json")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.workers)
        return
    runs, big = (60, 1_500) if args.quick else (args.runs, args.big)
    runs -= runs % len(BUDGETS)
    mem, growth = [], float("nan")
    if not args.skip_memory:
        mem = [memory(1_000, 2, args.arrow_pool), memory(big, 2, args.arrow_pool)]
        growth = mem[1]["hwm_end_mb"] / mem[0]["hwm_end_mb"]
    if args.memory_only:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"memory": mem, "memory_big_vs_1000": growth},
                                        indent=2))
        print_memory(mem, growth)
        return

    costs = overhead(min(runs, 100))
    with tempfile.TemporaryDirectory() as tmp:
        rows = [fastest(name, runs, Path(tmp), workers, args.repeats)
                for name, workers in (("in-process", 1), ("local", 2), ("dask", 2))]
    same = all(r["outcomes"].equals(rows[0]["outcomes"]) for r in rows[1:])
    reference = batch_run(runs)

    by = {r["executor"]: r for r in rows}
    ratios = {
        "speedup_2_vs_1": by["local"]["runs_per_min"] / by["in-process"]["runs_per_min"],
        "dask_vs_local": by["dask"]["runs_per_min"] / by["local"]["runs_per_min"],
        "memory_big_vs_1000": growth,
        "local_2_vs_batch_run": by["local"]["runs_per_min"] / reference["runs_per_min"],
        "in_process_vs_batch_run": by["in-process"]["runs_per_min"] / reference["runs_per_min"],
    }
    result = {
        "machine": {"python": platform.python_version(), "mesa": mesa.__version__,
                    "numpy": np.__version__, "processor": platform.machine(),
                    "cpus": os.cpu_count()},
        "run": "catfish.sim.ModelParams() defaults: 1,000 SMEs x 36 months, budgets "
               f"{[int(b) for b in BUDGETS]}",
        "sweeps": [{k: v for k, v in r.items() if k != "outcomes"} for r in rows],
        "identical_outcomes_across_executors": same,
        "batch_run": reference, "overhead_ms_per_run": costs, "memory": mem,
        "ratios": ratios, "targets": TARGETS,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))

    print(f"Python {result['machine']['python']}, Mesa {result['machine']['mesa']}, "
          f"{result['machine']['cpus']} CPUs; {result['run']}")
    print(f"{'executor':>11} {'workers':>7} {'runs':>5} {'start s':>8} {'wall s':>7} "
          f"{'runs/min':>9} {'batch':>5} {'commit ms/run':>13} {'store MB':>9}")
    for r in rows:
        print(f"{r['executor']:>11} {r['workers']:>7} {r['runs']:>5} {r['startup_s']:>8.1f} "
              f"{r['wall_s']:>7.1f} {r['runs_per_min']:>9.0f} {r['batch_size']:>5} "
              f"{r['commit_ms_per_run']:>13.2f} {r['store_mb']:>9.2f}")
    print(f"{'batch_run':>11} {1:>7} {reference['runs']:>5} {'':>8} {reference['wall_s']:>7.1f} "
          f"{reference['runs_per_min']:>9.0f}   (no storage; peak "
          f"{reference['peak_above_imports_mb']:.0f} MB above imports)")
    print(f"identical outcomes on every executor: {same}")
    print("per run: model {run_one_ms:.1f} ms, packing {pack_ms:.2f} ms, pickle round trip "
          "{pickle_round_trip_ms:.2f} ms ({record_kb:.1f} KB), commit {commit_ms_per_run:.2f} "
          "ms".format(**costs))
    if mem:
        print_memory(mem, growth)
    print("ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))


def print_memory(mem: list[dict[str, Any]], growth: float) -> None:
    for m in mem:
        print(f"coordinator, {m['runs']:,} runs on 2 workers, Arrow pool {m['arrow_pool']}: "
              f"VmHWM {m['hwm_end_mb']:.0f} MB (after imports {m['hwm_after_imports_mb']:.0f}"
              f" MB, after making the store {m['hwm_after_create_mb']:.0f} MB), "
              f"{m['runs_per_min']:.0f} runs/min, store {m['store_mb']:.1f} MB")
    print(f"coordinator peak, big / 1,000 runs: {growth:.3f}")


if __name__ == "__main__":
    main()
