"""Resource estimates before large jobs: memory, time and disk, against what the machine has.

A job that cannot fit should say so in its first second, not fail with a ``MemoryError`` or a
full disk after an hour. :func:`estimate_runs` turns the engine's per-run estimate
(``sim.cost``) into a job's: every worker holds one model at a time, and ``catfish compare``
also holds every run's time series in its own process until the end. :func:`check` refuses a
job that needs more memory or disk than the machine has now, unless the user says ``--yes``
(the estimates are rounded up, and a user may know better).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from catfish.sim.cost import estimate
from catfish.sim.params import ModelParams

INTERPRETER_BYTES = 250e6    # a process with numpy, pandas, pyarrow and Mesa loaded
WORKER_BYTES = 320e6         # a worker, which also holds numba and the compiled model (measured:
                             # 275 MB warmed up, 315 MB after 50 runs of jieyang-city-2023)
SERIES_BYTES_HELD = 6_000    # coordinator memory per run and month held by compare (measured:
                             # 1.15 GB for 6,000 runs of 31 months, bench_compare --posterior)
SERIES_BYTES_WRITTEN = 500    # disk per run and month of compare's tables (CSV and Parquet;
                             # measured: 64 MB for 6,000 runs of 31 months, make demo)
TELL_SECONDS = 10.0          # jobs estimated to take longer say so before they start


class ResourceError(ValueError):
    """A job needs more than the machine has; the message is one line."""


@dataclass(frozen=True)
class JobEstimate:
    """What a job will need.

    Attributes:
        runs: Model runs.
        memory_bytes: Peak memory of the job's processes together.
        seconds: Wall time on its workers (a lower bound: assumes they scale perfectly).
        disk_bytes: Disk its result files take.
        workers: Processes running models.
    """

    runs: int
    memory_bytes: float
    seconds: float
    disk_bytes: float
    workers: int

    def describe(self) -> str:
        """One line for people."""
        return (f"{self.runs:,} run{'s' if self.runs != 1 else ''}: about "
                f"{_size(self.memory_bytes)} of memory, {duration(self.seconds)} on "
                f"{self.workers} worker{'s' if self.workers != 1 else ''} and "
                f"{_size(self.disk_bytes)} of disk")


def estimate_runs(params: Sequence[ModelParams], *, replicates: int, workers: int,
                  held_in_memory: bool) -> JobEstimate:
    """The estimate for ``replicates`` runs of each parameter set on ``workers`` processes.

    Args:
        params: The parameter sets (a comparison's mixes, or one scenario).
        replicates: Runs of each.
        workers: Processes running models at once (1: in this process).
        held_in_memory: The coordinator keeps every run's time series until the end
            (``catfish compare``), rather than streaming them to disk.
    """
    costs = [estimate(p) for p in params]
    runs = len(params) * replicates
    run_months = replicates * sum(p.months for p in params)
    busy = min(max(workers, 1), runs)
    per_model = max(c.bytes for c in costs)
    memory = INTERPRETER_BYTES + (busy * (WORKER_BYTES + per_model) if workers > 1
                                  else per_model)
    if held_in_memory:
        memory += SERIES_BYTES_HELD * run_months
    seconds = replicates * sum(c.seconds for c in costs) / busy
    return JobEstimate(runs=runs, memory_bytes=memory, seconds=seconds,
                       disk_bytes=SERIES_BYTES_WRITTEN * run_months, workers=busy)


def available_memory() -> float | None:
    """Memory the machine can give a new job now, bytes (None where it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def free_disk(folder: Path) -> float | None:
    """Free space where ``folder`` is or will be, bytes (None where it cannot be read)."""
    place = Path(folder).expanduser().resolve()
    while not place.exists():
        place = place.parent
    try:
        return float(shutil.disk_usage(place).free)
    except OSError:  # pragma: no cover - a vanished folder
        return None


def check(job: JobEstimate, folder: Path | None, *, yes: bool) -> None:
    """Refuse a job that needs more memory or disk than the machine has now, unless ``yes``.

    Raises:
        ResourceError: One line: what the job needs, what there is, and ``--yes``.
    """
    if yes:
        return
    memory = available_memory()
    if memory is not None and job.memory_bytes > memory:
        raise ResourceError(f"this job needs about {_size(job.memory_bytes)} of memory and the "
                            f"machine has {_size(memory)} available ({job.describe()}); make "
                            "it smaller, use fewer workers, or pass --yes to try anyway")
    disk = free_disk(folder) if folder is not None else None
    if disk is not None and job.disk_bytes > disk:
        raise ResourceError(f"its results need about {_size(job.disk_bytes)} of disk and "
                            f"{folder} has {_size(disk)} free; choose another --out or pass "
                            "--yes to try anyway")


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1e3:,.0f} kB"


def duration(seconds: float) -> str:
    """A duration for people: seconds, minutes or hours."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
