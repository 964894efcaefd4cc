"""Posterior samples: read, check and draw from them.

A posterior file is a Parquet table with one row per draw and one column per calibrated
parameter (the names in ``calibration/priors.yaml``: a posterior may set behavioural parameters,
never the cluster's size or the budget), plus an optional ``weight`` column (ABC's importance
weights; equal weights if absent). Every column holds finite numbers the model accepts.
The shipped one is ``calibration/posteriors/default.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from catfish.calibration.data import DataError
from catfish.calibration.priors import load_priors
from catfish.sim.params import ModelParams, ParameterError
from pandas.api.types import is_bool_dtype, is_numeric_dtype

POSTERIORS = Path(__file__).parent / "posteriors"
DEFAULT_POSTERIOR = POSTERIORS / "default.parquet"
WEIGHT = "weight"


def load_posterior(path: str | Path = DEFAULT_POSTERIOR) -> pd.DataFrame:
    """A posterior sample with a ``weight`` column summing to one, checked against the model.

    Raises:
        DataError: One line naming the file, the column and what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        shipped = " (no calibrated posterior is shipped yet: run catfish calibrate)" \
            if path == DEFAULT_POSTERIOR else ""
        raise DataError(f"{path}: no such posterior file{shipped}")
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a Parquet table ({type(exc).__name__})") from None
    if table.empty:
        raise DataError(f"{path}: holds no draws")
    allowed = set(load_priors())
    for column in table.columns:
        if column != WEIGHT and column not in allowed:
            what = "is not a model parameter" if column not in ModelParams.model_fields \
                else "is a model parameter that is not calibrated"
            raise DataError(f"{path}: column {column!r} {what}; allowed: the calibrated "
                            f"parameters of calibration/priors.yaml ({', '.join(sorted(allowed))}"
                            f") and {WEIGHT!r}")
        values = table[column]
        if is_bool_dtype(values) or not is_numeric_dtype(values):
            what = "true/false values" if is_bool_dtype(values) \
                else f"values that are not numbers ({values.dtype})"
            raise DataError(f"{path}: column {column!r} holds {what}; it must hold numbers")
        numbers = values.to_numpy(float)
        bad = numbers[~np.isfinite(numbers)]
        if len(bad):
            raise DataError(f"{path}: column {column!r} holds {float(bad[0])!r}; it must hold "
                            "finite numbers")
        if column == WEIGHT:
            continue
        for value in (float(numbers.min()), float(numbers.max())):
            try:
                ModelParams(**{column: float(value)})
            except ParameterError as exc:
                raise DataError(f"{path}: column {column!r} holds {value!r}, which the model "
                                f"does not accept ({exc})") from None
    weights = table[WEIGHT].to_numpy(float) if WEIGHT in table else np.ones(len(table))
    if np.any(weights < 0) or weights.sum() <= 0:
        raise DataError(f"{path}: column 'weight' must hold non-negative numbers, not all zero")
    return table.assign(**{WEIGHT: weights / weights.sum()}).reset_index(drop=True)


def draw(posterior: pd.DataFrame, count: int, seed: int) -> list[dict[str, float]]:
    """``count`` parameter sets drawn from the posterior in proportion to their weights."""
    rng = np.random.default_rng(seed)
    weights = posterior[WEIGHT].to_numpy(float)
    picks = rng.choice(len(posterior), size=count, p=weights / weights.sum())
    names = [c for c in posterior.columns if c != WEIGHT]
    return [{n: float(posterior[n].iloc[i]) for n in names} for i in picks]
