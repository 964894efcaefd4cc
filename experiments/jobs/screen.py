"""Which behavioural parameters move the calibration targets: a Morris screen over the priors.

The sensitivity analysis's function evaluator runs :func:`calibration.targets.simulate` (one
run of every scenario the targets need) at Morris points over every parameter of
``calibration/priors.yaml``, with a dummy factor for the noise floor. Parameters above the
floor for some target are worth calibrating; the others can keep their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.calibration.data import targets
from catfish.calibration.priors import load_priors
from catfish.calibration.targets import simulate
from catfish.experiments.jobs.sensitivity import SensitivityResult, sensitivity
from catfish.experiments.runs.sensitivity_spec import DUMMY, SensitivitySpec


def simulate_targets(values: Mapping[str, Any], seed: int) -> dict[str, float]:
    """Every target's statistic for these parameter values (the screen's evaluator)."""
    return simulate(dict(values), seed, targets())


def screen(out: str | Path, *, trajectories: int = 8, replicates: int = 2, workers: int = 2,
           seed: int = 5, overwrite: bool = False) -> SensitivityResult:
    """Run the Morris screen of every prior on every target into ``out``."""
    priors = load_priors()
    spec = SensitivitySpec.model_validate({
        "name": "calibration-screen",
        "labels": {"zh": "校准参数筛选", "en": "Which parameters move the calibration targets"},
        "factors": [{"name": name, "low": p.low, "high": p.high} for name, p in priors.items()],
        "method": "morris", "n": trajectories, "replicates": replicates, "seed": seed})
    return sensitivity(spec, out, evaluate=simulate_targets, workers=workers,
                       overwrite=overwrite, report=False, command="catfish calibrate --screen")


def influential(result: SensitivityResult) -> pd.DataFrame:
    """Per parameter: the targets it moves beyond the noise floor, strongest first."""
    rows = result.indices[result.indices["influential"] & (result.indices["factor"] != DUMMY)]
    table = rows.groupby("factor")["outcome"].apply(lambda s: ", ".join(sorted(s)))
    counts = rows.groupby("factor").size()
    return pd.DataFrame({"targets": table, "count": counts}).sort_values(
        "count", ascending=False).reset_index(names="parameter")
