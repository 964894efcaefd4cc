"""The notebook API's own functions: edit a scenario, and run replicates into a tidy table."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from catfish.scenarios.factors import apply_factors
from catfish.scenarios.schema import Scenario


def edit(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """A copy of ``scenario`` with values changed by path, checked as a scenario file is.

    Paths are those of a sweep file's factors (``docs/sweeps.md``): ``policies.grant.share``,
    ``behaviour.overrides.peer_effect_per_year``, ``cluster.smes.count``, ``budget.total_rmb``.

    Raises:
        ScenarioError: A path that does not exist, or a value the scenario does not allow
            (one line naming it).
    """
    return apply_factors(scenario, dict(changes))


def replicates(scenario: Scenario | str, n: int = 10, *, seed: int = 1, worlds: bool = False,
               workers: Any = 1, folder: str | Path | None = None) -> pd.DataFrame:
    """Run a scenario ``n`` times; one row per run and month, with its seed and world.

    Replicate r runs seed ``seed + r``. With ``worlds``, replicate r also runs world r: one
    joint draw of every uncertain parameter (the shipped posterior's calibrated values and the
    priors of the others, as ``catfish compare`` draws them), recorded in the ``world``
    column and, value by value, in the table's ``attrs["worlds"]``. The runs go through the
    experiment engine, so ``workers`` may be a number of local processes or
    ``catfish.experiments.runs.executors.Workers`` (Dask), and the same seeds give the same
    table on any of them.

    Args:
        scenario: A scenario, or a shipped scenario's name or a file.
        n: Replicates.
        seed: The first seed.
        worlds: Draw a plausible world for each replicate (otherwise: the file's values).
        workers: Where the runs go.
        folder: Keep the runs' store there (default: a temporary folder, removed).

    Returns:
        Columns ``replicate``, ``seed``, ``world`` (None without worlds), then the time
        series' columns (``docs/codebook.md``).
    """
    from catfish import scenarios
    from catfish.experiments.analysis import comparison as tables
    from catfish.experiments.runs.comparisons import comparison_design
    from catfish.experiments.runs.engine import Workers, create_store, run_design
    from catfish.scenarios.comparison import Mix

    chosen = scenarios.load(scenario) if not isinstance(scenario, Scenario) else scenario
    # the engine's comparison design with one mix: the scenario as it is
    comparison = SimpleNamespace(mixes=(Mix(chosen.name, chosen.labels, "base", chosen),))
    drawn, uncertain = None, ()
    if worlds:
        from catfish.calibration.posterior import load_posterior
        from catfish.calibration.worlds import comparison_uncertainties, draw_worlds

        sample = load_posterior()
        uncertain = tuple(comparison_uncertainties(chosen, [chosen], posterior=sample))
        drawn = draw_worlds(uncertain, n, seed, sample)
    design = comparison_design(comparison, n, seed, drawn, uncertain)  # type: ignore[arg-type]
    pool = workers if isinstance(workers, Workers) else Workers(int(workers))
    with tempfile.TemporaryDirectory(prefix="catfish-replicates-") as tmp:
        where = Path(folder) if folder is not None else Path(tmp) / "store"
        with create_store(design, where, {"command": "catfish.replicates"},
                          overwrite=folder is not None) as store, pool as running:
            run_design(design, store, running)
            table = tables.timeseries_table(store).drop(columns="mix")
    table.insert(2, "world", None if drawn is None else table["replicate"])
    if drawn is not None:
        table.attrs["worlds"] = drawn
    return table
