"""Speed of ``catfish calibrate`` (targets: the full calibration at most 60 minutes on 2 cores,
``--quick`` at most 2 minutes).

Run: ``python benchmarks/bench_calibrate.py [--full DIR]``. Measures

- one simulation of every target and hold-out (the 36 pilot cities, Chengdu, Shenzhen and
  the Jieyang city), at the priors' middles, 5 seeds, in this process: CPU seconds each;
- ``catfish calibrate --quick`` through the command line, as an analyst runs it, in a
  temporary folder: wall time, generations, simulations;
- with ``--full DIR``, a finished full calibration's own record (its manifest's start and the
  time the manifest was written at its end, generations, simulations), so that the 60-minute figure
  comes from the run that produced the shipped posterior.

Writes ``benchmarks/results/bench_calibrate.json``. The machine's load matters: the full run
is read, not repeated, so note what else ran beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"


def one_simulation(seeds: int = 5) -> float:
    """CPU seconds of one simulation of every target and hold-out."""
    from catfish.calibration.abc import CALIBRATED
    from catfish.calibration.data import holdouts, targets
    from catfish.calibration.priors import load_priors
    from catfish.calibration.targets import simulate

    priors = load_priors()
    theta = {p: (priors[p].low + priors[p].high) / 2 for p in CALIBRATED}
    facts = targets() + holdouts()
    simulate(theta, 0, facts)  # imports and caches
    started = time.process_time()
    for seed in range(1, seeds + 1):
        simulate(theta, seed, facts)
    return (time.process_time() - started) / seeds


def quick(out: Path) -> dict[str, float]:
    """``catfish calibrate --quick`` through the command line."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "catfish", "calibrate", "--quick",
                           "--out", str(out), "--workers", "2"], cwd=ROOT, capture_output=True,
                          text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"catfish calibrate --quick failed: {done.stderr[-2000:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {"wall_s": wall, "generations": manifest["generations"],
            "simulations": manifest["simulations"]}


def full(folder: Path) -> dict[str, float]:
    """A finished calibration's own record: from its start to its manifest, written last."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    started = dt.datetime.fromisoformat(manifest["started"])
    written = (folder / "manifest.json").stat().st_mtime
    finished = dt.datetime.fromtimestamp(written, tz=started.tzinfo)
    return {"wall_min": (finished - started).total_seconds() / 60,
            "generations": manifest["generations"], "simulations": manifest["simulations"],
            "epsilon": manifest["epsilon"]}


def main() -> None:
    """Run the benchmark and print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", type=Path, default=None,
                        help="a finished full calibration's folder, to report its own timing")
    args = parser.parse_args()
    result = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg()},
              "simulation_cpu_s": one_simulation()}
    with tempfile.TemporaryDirectory() as tmp:
        result["quick"] = quick(Path(tmp) / "quick")
    if args.full is not None:
        result["full"] = full(args.full)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_calibrate.json").write_text(json.dumps(result, indent=2))
    print(f"Python {result['machine']['python']}, {result['machine']['cpus']} CPUs, load "
          f"{result['machine']['load_average'][0]:.1f} at the start")
    print(f"one simulation of every target and hold-out: {result['simulation_cpu_s']:.2f} s CPU")
    q = result["quick"]
    print(f"--quick: {q['wall_s']:.0f} s wall, {q['generations']} generations, "
          f"{q['simulations']} simulations")
    if "full" in result:
        f = result["full"]
        print(f"full ({args.full}): {f['wall_min']:.1f} min from start to results, "
              f"{f['generations']} generations, {f['simulations']:,} simulations, "
              f"epsilon {f['epsilon']:.2f}")


if __name__ == "__main__":
    main()
