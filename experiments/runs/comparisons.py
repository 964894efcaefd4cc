"""A comparison as the engine's design: every mix on the same replicates, seeds and worlds.

Every mix runs the same replicates with the same seeds (replicate r uses seed + r in every
mix), so a mix and the base see the same firms, networks and fates, and their per-replicate
difference is the policy's effect (common random numbers). With worlds, replicate r also runs
in world r in every mix. A run is a :class:`Task`; :func:`comparison_design` turns a
comparison's tasks into the engine's :class:`~experiments.runs.engine.Design` (mix m is design
point m; run ids ``m{mix:03d}-r{replicate:06d}`` sort in (mix, replicate) order), and
:func:`simulate_task` is how a worker runs one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from catfish.calibration.worlds import Uncertainty, world_values
from catfish.experiments.runs.engine import Design
from catfish.scenarios.comparison import Comparison
from catfish.scenarios.schema import Scenario
from catfish.sim import RunResult, run_one

MAX_REPLICATES = 1_000_000  # run ids hold six digits of replicate


@dataclass(frozen=True)
class Task:
    """One run to make: a mix's scenario with one replicate's seed (and its world).

    Attributes:
        mix: The mix's name.
        replicate: Replicate r, which runs world r (if there are worlds) with seed + r.
        seed: The run's seed.
        scenario: The mix's scenario.
        parameters: Model parameters the world sets (name, value).
        instruments: Instrument assumptions the world sets: (instrument, parameter, value),
            applied to every instrument of that kind in the mix.
        point: The mix's position in the comparison (its design point).
    """

    mix: str
    replicate: int
    seed: int
    scenario: Scenario
    parameters: tuple[tuple[str, float], ...] = ()
    instruments: tuple[tuple[str, str, float], ...] = ()
    point: int = 0
    values: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def run_id(self) -> str:
        """``m{mix:03d}-r{replicate:06d}``: unique, and sorts in (mix, replicate) order."""
        return run_id(self.point, self.replicate)

    @property
    def subject(self) -> Task:
        """What a worker runs (:func:`simulate_task`): the task itself, world included."""
        return self


def run_id(point: int, replicate: int) -> str:
    """The run id of a mix's replicate."""
    return f"m{point:03d}-r{replicate:06d}"


def plan(comparison: Comparison, replicates: int, seed: int,
         worlds: pd.DataFrame | None = None,
         uncertainties: Sequence[Uncertainty] = (),
         mixes: Sequence[int] | None = None) -> Iterator[Task]:
    """The runs, lazily, in (mix, replicate) order; replicate r has seed ``seed + r``.

    With ``worlds`` (``calibration.worlds.draw_worlds``: one row per world, a column per
    uncertainty), replicate r also runs in world r in every mix, so the mixes meet the same
    worlds and the same luck, and their differences stay paired. A parameter calibrated for
    one scenario only (its prior names it) is left out of the others; an instrument
    assumption applies to the mixes that use the instrument.

    Args:
        comparison: The comparison.
        replicates: Runs per mix.
        seed: The first seed.
        worlds: One row per world, or None (the files' point values).
        uncertainties: What each world's columns are.
        mixes: Only these mixes (their positions; None: all).

    Raises:
        ValueError: Fewer worlds than replicates, or more replicates than run ids hold.
    """
    if replicates > MAX_REPLICATES:
        raise ValueError(f"replicates = {replicates}: at most {MAX_REPLICATES:,}")
    if worlds is not None and len(worlds) < replicates:
        raise ValueError(f"worlds: {len(worlds)} worlds for {replicates} replicates")
    rows = worlds.to_dict("records") if worlds is not None else None
    chosen = range(len(comparison.mixes)) if mixes is None else mixes
    for point in chosen:
        mix = comparison.mixes[point]
        for r in range(replicates):
            if rows is None:
                yield Task(mix.name, r, seed + r, mix.scenario, point=point)
                continue
            params, instruments = world_values(rows[r], uncertainties, mix.scenario)
            yield Task(mix.name, r, seed + r, mix.scenario, tuple(sorted(params.items())),
                       instruments, point=point)


def simulate_task(task: Task, seed: int) -> RunResult:
    """Run one task: the mix's scenario with its world's values (module level: it pickles)."""
    params, policies = task.scenario.model_inputs()
    for instrument in policies:  # the world's assumptions, in every instrument of the kind
        for name, parameter, value in task.instruments:
            if instrument.name == name:
                setattr(instrument, parameter, value)
    return run_one(params, seed=seed, policies=policies, **dict(task.parameters))


def run_list(comparison: Comparison, replicates: int, seed: int) -> pd.DataFrame:
    """One row per run: run_id, point (the mix's position), replicate, seed, mix."""
    count = len(comparison.mixes)
    point = np.repeat(np.arange(count, dtype=np.int64), replicates)
    replicate = np.tile(np.arange(replicates, dtype=np.int64), count)
    return pd.DataFrame({
        "run_id": [run_id(p, r) for p, r in zip(point, replicate, strict=True)],
        "point": point, "replicate": replicate, "seed": seed + replicate,
        "mix": np.repeat([m.name for m in comparison.mixes], replicates)})


def comparison_design(comparison: Comparison, replicates: int, seed: int,
                      worlds: pd.DataFrame | None = None,
                      uncertainties: Sequence[Uncertainty] = (), *,
                      timeseries: bool | list[str] = True) -> Design:
    """A comparison as the engine's design: mixes as points, replicates, worlds, seeds.

    Args:
        comparison: The comparison.
        replicates: Runs per mix.
        seed: The first seed (replicate r runs seed + r in every mix).
        worlds: World r of replicate r (None: the files' point values).
        uncertainties: What the worlds' columns are.
        timeseries: The time-series columns to keep (True: all).
    """
    def tasks(mixes: Sequence[int] | None) -> Iterator[Task]:
        return plan(comparison, replicates, seed, worlds, uncertainties, mixes)

    return Design("comparison", run_list(comparison, replicates, seed), tasks,
                  timeseries=timeseries, simulate=simulate_task)
