"""Running a comparison's tasks the way ``catfish compare`` does, for tests of its tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from catfish.experiments.analysis import comparison as compare
from catfish.experiments.runs.comparisons import comparison_design
from catfish.experiments.runs.engine import Workers, create_store, run_design


def comparison_runs(comparison, replicates: int, seed: int, folder: Path, worlds=None,
                    uncertainties=()) -> pd.DataFrame:
    """The runs table of a comparison made on the engine into a store in ``folder``."""
    design = comparison_design(comparison, replicates, seed, worlds, uncertainties,
                               timeseries=False)
    with create_store(design, folder, {"command": "test"}) as store, Workers(1) as workers:
        run_design(design, store, workers)
        return compare.runs_table(store)
