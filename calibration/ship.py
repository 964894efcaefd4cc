"""Ship a calibration: make its posterior the one the shipped scenarios use.

``ship(folder, posteriors=..., parameter_set=...)`` copies a finished calibration's posterior
and predictive check to ``default.parquet`` and ``default_ppc.csv`` (with the hold-outs'
check ``default_holdout.csv``, its summary and pair plot beside them) in ``posteriors``, and
writes the parameter set (in the source tree,
``scenarios/parameter_sets/calibrated.yaml``):
the posterior's weighted median of every parameter that applies in every scenario. The shipped
scenarios name that set (``behaviour.parameter_set: calibrated``), so a single run uses the
posterior's centre and ``catfish compare --posterior`` its whole spread.

A parameter calibrated for one scenario only (its prior names that scenario) is a fact of that
place, set in its scenario file; ``ship`` returns its median so that the file can be updated,
and the tests check that the two agree.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml
from catfish.calibration.posterior import DEFAULT_POSTERIOR, POSTERIORS, WEIGHT, load_posterior
from catfish.calibration.priors import load_priors
from catfish.calibration.report import weighted_quantiles
from catfish.scenarios.parameter_sets import SETS

CALIBRATED_SET = SETS / "calibrated.yaml"
DEFAULT_PPC = POSTERIORS / "default_ppc.csv"
DEFAULT_HOLDOUT = POSTERIORS / "default_holdout.csv"
COPIED = {"posterior.parquet": DEFAULT_POSTERIOR.name, "ppc.csv": DEFAULT_PPC.name,
          "holdout.csv": DEFAULT_HOLDOUT.name, "posterior_summary.csv": "default_summary.csv",
          "pairplot.png": "default_pairplot.png"}


def medians(path: Path = DEFAULT_POSTERIOR) -> dict[str, float]:
    """The weighted median of every parameter of a posterior file.

    Rounded to 4 significant digits: more would claim a precision the posterior lacks.
    """
    posterior = load_posterior(path)
    weights = posterior[WEIGHT].to_numpy()
    return {name: float(f"{weighted_quantiles(posterior[name].to_numpy(), weights, [0.5])[0]:.4g}")
            for name in posterior.columns if name != WEIGHT}


def check_finished(folder: Path) -> None:
    """Raise unless ``folder`` holds a finished calibration whose posterior the model accepts.

    Raises:
        FileNotFoundError: A file of a finished calibration is missing.
        DataError: Its posterior is not one the model accepts.
    """
    for name in COPIED:
        if not (Path(folder) / name).is_file():
            raise FileNotFoundError(f"{Path(folder) / name}: missing; run catfish calibrate "
                                    "first")
    load_posterior(Path(folder) / "posterior.parquet")


def ship(folder: str | Path, *, posteriors: Path,
         parameter_set: Path) -> dict[str, dict[str, float]]:
    """Install the calibration in ``folder`` as a posterior and parameter set.

    The destinations are always named by the caller: ``catfish calibrate --ship DEST`` gives
    a folder of the user's, or the source tree of a Catfish checkout (``calibration/posteriors``
    and ``scenarios/parameter_sets/calibrated.yaml``), never an installed package.

    Args:
        folder: A finished calibration (``catfish calibrate --out``).
        posteriors: Where the posterior files go.
        parameter_set: The parameter-set file to write.

    Returns:
        The medians of the parameters calibrated for one scenario, by scenario.

    Raises:
        FileNotFoundError: The folder lacks a file of a finished calibration.
        DataError: Its posterior is not one the model accepts (nothing is replaced).
    """
    folder = Path(folder)
    check_finished(folder)
    posteriors.mkdir(parents=True, exist_ok=True)
    for name, shipped in COPIED.items():
        shutil.copyfile(folder / name, posteriors / shipped)
    posterior = posteriors / DEFAULT_POSTERIOR.name
    priors = load_priors()
    centre = medians(posterior)
    local: dict[str, dict[str, float]] = {}
    for name, value in centre.items():
        if priors[name].scenario is not None:
            local.setdefault(priors[name].scenario, {})[name] = value
    document = {
        "name": "calibrated",
        "description": "Weighted posterior medians of the behavioural parameters calibrated "
                       "against the pilot data (docs/calibration.md). Written by "
                       "`catfish calibrate --ship`; do not edit by hand. Parameters not listed "
                       "keep their documented defaults.",
        "source": {"posterior": "calibration/posteriors/default.parquet",
                   "sha256": hashlib.sha256(posterior.read_bytes()).hexdigest()},
        "parameters": {k: v for k, v in centre.items() if priors[k].scenario is None},
    }
    parameter_set.parent.mkdir(parents=True, exist_ok=True)
    parameter_set.write_text("# Written by `catfish calibrate --ship`.\n" + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return local
