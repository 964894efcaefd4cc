"""Speed and memory of ``catfish compare`` (targets: ``make demo``, 6 mixes x 1,000 worlds with
the analysis, at most 3 minutes wall on 2 cores and 500 MB in the coordinator; the analysis
alone at most 30 s; a 50,000-run comparison with flat memory in the coordinator).

Run: ``python benchmarks/bench_compare.py [--replicates R] [--workers 2 1] [--fixed]``
(``--replicates 1000 --workers 2`` is what ``make demo`` runs). Runs the shipped comparison
(``scenarios/compare-jieyang-2023.yaml``) through the command line, as an analyst would, once
per worker count, then times the analysis across worlds alone
(``experiments.analysis.robust.analyse`` on the runs and worlds just written, in a fresh
interpreter, imports included), and writes ``benchmarks/results/bench_compare.json``.

Wall time is the whole command (interpreter start, imports, runs, analysis, tables, charts,
report); *simulated* is its simulation part, from the command's start until the store's commit
journal holds every run (read every half second). Memory: *peak coordinator* is the largest
resident memory of the command's own process, *peak total* the largest sum over it and its
worker processes (both sampled every 50 ms); *peak single* is the largest peak of any one of
them (``ru_maxrss`` from ``wait4``, which Linux takes over the process and its reaped
children). *Coordinator by progress* is the
coordinator's largest resident memory while the first 10 %, 50 % and 100 % of the runs were
committed (read from the store's commit journal), then while writing the tables and report:
flat memory means the figures do not grow with the runs.

The 50,000-run check: ``python benchmarks/bench_compare.py --comparison
benchmarks/inputs/compare-bench-50k.yaml --fixed --workers 2`` (3 mixes of a 300-firm cluster,
16,667 replicates each).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
COMPARISON = ROOT / "scenarios" / "compare-jieyang-2023.yaml"


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+)", status)
    return int(match.group(1)) / 1024 if match else 0.0


ANALYSIS_SCRIPT = """
import time
t = time.perf_counter()
from pathlib import Path
import pandas as pd
from catfish.calibration.posterior import load_posterior
from catfish.calibration.worlds import comparison_uncertainties
from catfish.experiments.analysis import robust
from catfish.scenarios import comparison
out = Path({out!r})
chosen = comparison.load({comparison!r})
uncertain = comparison_uncertainties(chosen.base, [m.scenario for m in chosen.mixes],
                                     posterior=load_posterior(), extra=chosen.priors)
robust.analyse(pd.read_parquet(out / "runs.parquet"), pd.read_parquet(out / "worlds.parquet"),
               uncertain, chosen.spec.objective)
print(time.perf_counter() - t)
"""


def time_analysis(out: Path) -> float:
    """Seconds the analysis across worlds takes alone, imports included (a fresh interpreter)."""
    done = subprocess.run([sys.executable, "-c", ANALYSIS_SCRIPT.format(
        out=str(out), comparison=str(COMPARISON))], cwd=ROOT, check=True, capture_output=True,
        text=True)
    return float(done.stdout.split()[-1])


def committed_runs(out: Path) -> int:
    """Runs committed so far, from the comparison store's commit journal."""
    try:
        lines = (out / "store" / "commits.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    done = 0
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        done += int(record.get("done", 0)) + int(record.get("failed", 0))
    return done


def run_compare(workers: int, replicates: int | None, out: Path, fixed: bool = False,
                comparison: Path = COMPARISON) -> dict[str, float]:
    """Run the comparison once through the CLI; wall time and peak memory."""
    command = [sys.executable, "-m", "catfish", "compare", str(comparison),
               "--workers", str(workers), "--out", str(out), "--quiet",
               *(["--replicates", str(replicates)] if replicates else []),
               *(["--fixed"] if fixed else [])]
    trace: list[tuple[float, int, float]] = []  # (seconds since start, runs committed, MB)
    peak_total = peak_coordinator = 0.0
    started = time.perf_counter()
    errors = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: nothing can block on it
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors,
                               text=True)
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak_total, peak_coordinator
        tick = 0
        while not finished.is_set():
            peak_total = max(peak_total, sum(_rss_mb(p) for p in _descendants(process.pid)))
            coordinator = _rss_mb(process.pid)
            peak_coordinator = max(peak_coordinator, coordinator)
            if tick % 10 == 0:  # every half second: the journal is read, not parsed often
                trace.append((time.perf_counter() - started, committed_runs(out), coordinator))
            tick += 1
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    finished.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    errors.seek(0)
    if process.returncode:
        raise SystemExit(f"catfish compare failed ({process.returncode}): {errors.read()}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    replicates = manifest["replicates"]
    runs = len(manifest["mixes"]) * replicates
    by_progress = {}
    for label, share in (("10%", 0.1), ("50%", 0.5), ("100%", 1.0)):
        seen = [rss for _, done, rss in trace if 0 < done <= share * runs]
        by_progress[label] = max(seen) if seen else None
    after = [rss for _, done, rss in trace if done >= runs]
    by_progress["writing"] = max(after) if after else None
    # the simulation part: from the command's start until the journal holds every run
    simulated_s = next((t for t, done, _ in trace if done >= runs), None)
    return {"workers": workers, "replicates": replicates, "worlds": not fixed,
            "mixes": len(manifest["mixes"]),
            "runs": runs, "wall_s": wall, "simulation_s": simulated_s,
            "inside_command_s": manifest["wall_seconds"],
            "ms_per_run": manifest["wall_seconds"] / runs * 1e3,
            "analysis_alone_s": None if fixed or comparison != COMPARISON
            else time_analysis(out),
            "coordinator_by_progress_mb": by_progress,
            "peak_coordinator_mb": peak_coordinator,
            "peak_total_mb": peak_total, "peak_single_mb": usage.ru_maxrss / 1024,
            "headline": stdout}


def main() -> None:
    """Run the benchmark and print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=None,
                        help="runs per mix (default: the comparison file's)")
    parser.add_argument("--comparison", type=Path, default=COMPARISON,
                        help="comparison file (default: the shipped compare-jieyang-2023)")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--fixed", action="store_true",
                        help="point values, no worlds (make demo runs worlds: --replicates "
                             "1000 --workers 2)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            rows.append(run_compare(workers, args.replicates, Path(tmp) / f"w{workers}",
                                    args.fixed, args.comparison.resolve()))
    result = {
        "machine": {"python": platform.python_version(), "mesa": mesa.__version__,
                    "numpy": np.__version__, "processor": platform.machine(),
                    "cpus": os.cpu_count()},
        "comparison": args.comparison.name,
        "runs": [{k: v for k, v in row.items() if k != "headline"} for row in rows],
    }
    RESULTS.mkdir(exist_ok=True)
    name = "bench_compare" if args.comparison.resolve() == COMPARISON else \
        f"bench_compare-{args.comparison.stem}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(rows[0]["headline"])
    print(f"Python {result['machine']['python']}, Mesa {result['machine']['mesa']}, "
          f"{result['machine']['cpus']} CPUs; {args.comparison.name}")
    print(f"{'workers':>7} {'runs':>5} {'wall s':>7} {'simulated s':>12} {'in command s':>13} "
          f"{'ms/run':>7} {'analysis s':>11} {'coordinator MB':>15} {'peak total MB':>14}")
    for row in rows:
        analysis = "-" if row["analysis_alone_s"] is None else f"{row['analysis_alone_s']:.1f}"
        simulated = "-" if row["simulation_s"] is None else f"{row['simulation_s']:.1f}"
        print(f"{row['workers']:>7} {row['runs']:>5} {row['wall_s']:>7.1f} {simulated:>12} "
              f"{row['inside_command_s']:>13.1f} {row['ms_per_run']:>7.1f} {analysis:>11} "
              f"{row['peak_coordinator_mb']:>15.0f} {row['peak_total_mb']:>14.0f}")
        progress = ", ".join(f"{k}: {'-' if v is None else f'{v:.0f}'}"
                             for k, v in row["coordinator_by_progress_mb"].items())
        print(f"        coordinator MB by runs committed: {progress}")


if __name__ == "__main__":
    main()
