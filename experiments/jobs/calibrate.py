"""The calibration's checks on the engine: many parameter sets, each run once, into a store.

The calibration (``calibration/``) never imports the experiments; its predictive check
(``calibration.report.predictive_check``) and its reference table for leave-one-out and
parameter recovery (``calibration.reference.reference_table``) take a ``simulate_many``
function that says where their runs go. :class:`EngineSimulations` is that function on the
experiment engine: the parameter sets become a design (one point per set, its values as the
point's columns, its seed), run on any :class:`~experiments.runs.executors.Workers` into a
crash-safe store, and read back in order. A check that was interrupted carries on where it
stopped when it is asked again for the same sets and seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from catfish.calibration.data import Fact
from catfish.calibration.targets import simulate
from catfish.experiments.runs.engine import Design, Workers, create_store, run_design
from catfish.experiments.runs.store import ResultStore, StoreError

__all__ = ["EngineSimulations", "TargetStatistics"]


class TargetStatistics:
    """The engine's function of (parameter values, seed): every fact's simulated statistic.

    A class rather than a closure, so that it pickles to worker processes with its facts.
    """

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.facts = list(facts)

    def __call__(self, values: Mapping[str, Any], seed: int) -> dict[str, float]:
        """The statistics of one parameter set, run with ``seed``."""
        return simulate(dict(values), seed, self.facts)


@dataclass(frozen=True)
class _Draw:
    """One parameter set to run: what the runner needs of a task."""

    run_id: str
    seed: int
    values: dict[str, float]
    subject: Any = field(default=None)


class EngineSimulations:
    """``simulate_many`` for the calibration's checks, on the engine, into a store.

    Args:
        folder: The store's folder (made; a store of the same sets and seeds is resumed).
        workers: Where the runs go.
        kind: What the runs are for, recorded in the store (``predictive-check``,
            ``reference-table``).
        progress: Called with the number of runs in each batch committed.
    """

    def __init__(self, folder: str | Path, workers: Workers, *, kind: str,
                 progress: Callable[[int], None] | None = None) -> None:
        self.folder = Path(folder)
        self.workers = workers
        self.kind = kind
        self.progress = progress

    def __call__(self, thetas: Sequence[Mapping[str, float]], seeds: Sequence[int],
                 facts: Sequence[Fact]) -> list[dict[str, float]]:
        """Each parameter set's statistics, in the order given.

        Raises:
            RuntimeError: Some runs failed (their errors are in the store's ledger).
        """
        design = self.design(thetas, seeds, facts)
        with self._store(design) as store, self.workers as running:
            run_design(design, store, running, progress=self.progress)
            counts = store.status_counts()
            if counts.get("failed"):
                first = store.failed().iloc[0]
                raise RuntimeError(f"{self.folder}: {counts['failed']} of {len(store)} runs "
                                   f"failed; the first, {first['run_id']}: "
                                   f"{str(first['error']).splitlines()[0]}")
            outcomes = store.outcomes()
        names = [f.name for f in facts]
        return [{name: float(row[name]) if pd.notna(row[name]) else float("nan")
                 for name in names} for _, row in outcomes.iterrows()]

    def design(self, thetas: Sequence[Mapping[str, float]], seeds: Sequence[int],
               facts: Sequence[Fact]) -> Design:
        """The parameter sets as a design: set i is point i, run once with its seed."""
        runs = pd.DataFrame({"run_id": [f"d{i:06d}" for i in range(len(thetas))],
                             "point": range(len(thetas)), "replicate": 0,
                             "seed": [int(s) for s in seeds]})
        runs = pd.concat([runs, pd.DataFrame([dict(t) for t in thetas])], axis=1)
        runs[["point", "replicate", "seed"]] = runs[["point", "replicate", "seed"]].astype(
            "int64")

        def tasks(points: Sequence[int] | None) -> Iterator[_Draw]:
            for i in range(len(thetas)) if points is None else points:
                yield _Draw(f"d{i:06d}", int(seeds[i]), dict(thetas[i]))

        return Design(self.kind, runs, tasks, timeseries=False,
                      evaluate=TargetStatistics(facts))

    def _store(self, design: Design) -> ResultStore:
        """The store of this design: resumed if the folder holds it, else made afresh."""
        if (self.folder / "runs.parquet").is_file():
            try:
                store = ResultStore.open(self.folder)
            except StoreError:
                store = None
            if store is not None:
                kept = store.runs()
                if kept["run_id"].tolist() == design.runs["run_id"].tolist() \
                        and kept["seed"].tolist() == design.runs["seed"].tolist():
                    return store
                store.close()
        return create_store(design, self.folder, {"command": f"catfish calibrate ({self.kind})"},
                            overwrite=True)
