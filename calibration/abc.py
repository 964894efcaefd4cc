"""Calibration by approximate Bayesian computation with sequential Monte Carlo (pyabc).

Which parameters: those that the Morris screen of every prior on every target found influential
(``CALIBRATED``); every other parameter keeps its documented default.
Their priors are the uniform ranges of ``calibration/priors.yaml``.

What is compared: every target of the pilot dataset (``calibration/data/pilot_facts.yaml``),
computed from one run of each scenario it needs (``calibration.targets.simulate``). The distance
is the root of the summed squares of each target's miss divided by its tolerance, where a target
given as a range is missed only outside the range.

pyabc keeps its whole history in an SQLite database in the output folder, so a calibration that
stops (Ctrl-C, kill) carries on from its last finished generation when run again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.data import Fact, targets
from calibration.priors import Prior, load_priors
from calibration.targets import check_targets, simulate

# The parameters whose Morris mu* is at least 4 times the dummy factor's for some target in
# the screen of every prior on every target (catfish calibrate --screen; docs/calibration.md).
# The others keep their documented defaults.
CALIBRATED = ("initial_willing_share", "light_cost_cut", "cost_sensitivity",
              "prior_benefit_belief", "prior_failure_belief", "horizon_years",
              "quality_sensitivity", "competition_per_year", "promotion_per_year", "hurdle_sd")
DATABASE = "abc.db"


@dataclass(frozen=True)
class Settings:
    """How long a calibration runs."""

    population: int          # particles per generation
    generations: int         # at most
    min_epsilon: float       # stop once the distance threshold falls below this
    ppc_draws: int           # posterior draws simulated for the predictive check
    max_simulations: int | float = math.inf   # stop after the generation that passes this
    kernel_scaling: float = 2.5  # width of SMC's proposal kernel against pyabc's default


# about 0.6 s of CPU per simulation: 8,000 simulations on 2 cores take about 40 minutes
DEFAULT = Settings(population=150, generations=10, min_epsilon=0.5, ppc_draws=200,
                   max_simulations=8000)
QUICK = Settings(population=24, generations=2, min_epsilon=0.5, ppc_draws=24)


def scaled_miss(value: float, fact: Fact) -> float:
    """How far a statistic is outside its target's range, in tolerances (0 inside)."""
    if not math.isfinite(value):
        return math.inf
    low, high = fact.bounds
    return max(low - value, value - high, 0.0) / fact.tolerance


class Distance:
    """Root of the summed squared misses of every target, each scaled by its tolerance."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.facts = list(facts)

    def __call__(self, simulated: Mapping[str, float], observed: Mapping[str, float]) -> float:
        """Distance of a simulation from the data (``observed`` is implied by the facts)."""
        return math.sqrt(sum(scaled_miss(simulated[f.name], f) ** 2 for f in self.facts))


class Simulator:
    """pyabc's model: a candidate's parameters -> every target's statistic (picklable)."""

    def __init__(self, facts: Sequence[Fact], parameters: Sequence[str]) -> None:
        self.facts = list(facts)
        self.parameters = tuple(parameters)

    def __call__(self, theta: Mapping[str, float]) -> dict[str, float]:
        """One simulation of every target with a fresh seed."""
        # numpy's global generator: the one pyabc draws from, so that one seed fixes both
        seed = int(np.random.randint(2**31))  # noqa: NPY002 - see above
        values = {p: float(theta[p]) for p in self.parameters}
        return simulate(values, seed, self.facts)


def prior_distribution(priors: Mapping[str, Prior], parameters: Sequence[str]) -> Any:
    """The prior as pyabc takes it: independent uniforms on the priors' ranges."""
    import pyabc

    return pyabc.Distribution(**{p: pyabc.RV("uniform", priors[p].low,
                                             priors[p].high - priors[p].low)
                                 for p in parameters})


def transition(settings: Settings) -> Any:
    """SMC's proposal: a Gaussian kernel around the last population, widened.

    With ten parameters and 60-150 particles, pyabc's default kernel (the population's
    covariance at Silverman's bandwidth) makes a lumpy proposal: the importance weights
    (prior / proposal) then vary by orders of magnitude, and the effective sample size fell to
    3 of 150 particles by the fifth generation. In trials with 60 particles, a kernel 2.5
    times wider kept it at a third of the population (20 of 60 in the second and third
    generations), against 1-13 with pyabc's local kernel or with sampling on the logit scale
    (default or widened kernel); the price is a lower acceptance rate.
    """
    import pyabc

    return pyabc.MultivariateNormalTransition(scaling=settings.kernel_scaling)


@dataclass(frozen=True)
class CalibrationRun:
    """What a calibration produced."""

    folder: Path
    settings: Settings
    posterior: pd.DataFrame          # one row per particle, one column per parameter, weight
    generations: int
    simulations: int
    acceptance_rate: float           # of the last generation
    epsilon: float                   # of the last generation


def calibrate(out: str | Path, *, quick: bool = False, workers: int = 2,
              parameters: Sequence[str] = CALIBRATED, facts: Sequence[Fact] | None = None,
              settings: Settings | None = None, seed: int | None = None) -> CalibrationRun:
    """Run (or carry on with) the ABC-SMC calibration in ``out``.

    Args:
        out: Folder for the database and results; if it holds a database of an earlier run,
            that run continues from its last finished generation.
        quick: A small version (24 particles, 2 generations) that finishes in minutes.
        workers: Processes that simulate particles.
        parameters: The parameters to calibrate (each needs a prior).
        facts: The targets (default: the pilot dataset's).
        settings: Overrides ``quick``'s choice of population and generations.
        seed: Seeds numpy's global generator, which pyabc and the runs' seeds draw from: with
            one worker the same seed gives the same calibration (pyabc's parallel samplers
            reseed their processes, so with more workers it does not).

    Raises:
        ValueError: A parameter without a prior, or a target without a statistic.
    """
    import pyabc

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    facts = list(facts if facts is not None else targets())
    check_targets(facts)
    priors = load_priors()
    missing = [p for p in parameters if p not in priors]
    if missing:
        raise ValueError(f"parameters: {missing[0]!r} has no prior in calibration/priors.yaml")
    settings = settings or (QUICK if quick else DEFAULT)
    if seed is not None:
        np.random.seed(seed)  # noqa: NPY002 - pyabc samples from numpy's global generator
    logging.getLogger("ABC").setLevel(logging.INFO)
    sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers) if workers > 1 \
        else pyabc.sampler.SingleCoreSampler()
    abc = pyabc.ABCSMC(Simulator(facts, parameters),
                       prior_distribution(priors, parameters),
                       Distance(facts), population_size=settings.population, sampler=sampler,
                       transitions=transition(settings))
    database = out / DATABASE
    url = f"sqlite:///{database}"
    observed = {f.name: f.observed for f in facts}
    if database.exists():
        history = abc.load(url, 1)
        done = history.max_t + 1
    else:
        history = abc.new(url, observed)
        done = 0
    remaining = settings.generations - done
    if remaining > 0:
        history = abc.run(minimum_epsilon=settings.min_epsilon, max_nr_populations=remaining,
                          max_total_nr_simulations=settings.max_simulations)
    return _result(out, history, settings)


def _result(out: Path, history: Any, settings: Settings) -> CalibrationRun:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = frame.reset_index(drop=True).assign(weight=np.asarray(weights, dtype=float))
    populations = history.get_all_populations()
    last = populations[populations["t"] == history.max_t].iloc[0]
    particles = len(posterior)
    return CalibrationRun(out, settings, posterior, generations=history.max_t + 1,
                          simulations=int(history.total_nr_simulations),
                          acceptance_rate=particles / float(last["samples"]),
                          epsilon=float(last["epsilon"]))


def write_results(run: CalibrationRun, *, facts: Sequence[Fact] | None = None,
                  workers: int = 1, seed: int = 1) -> dict[str, Path]:
    """Write the posterior, its summary, the predictive check and the pair plot into the folder.

    Files: ``posterior.parquet`` (one row per particle, one column per parameter, ``weight``),
    ``posterior_summary.csv``, ``ppc.csv`` (target, observed, lo90, hi90, percentile,
    within_tolerance), ``ppc_simulations.parquet`` and ``pairplot.png``.
    """
    from calibration.report import pair_plot, posterior_summary, predictive_check

    facts = list(facts if facts is not None else targets())
    priors = load_priors()
    table, simulations = predictive_check(run.posterior, facts, draws=run.settings.ppc_draws,
                                          seed=seed, workers=workers)
    paths = {name: run.folder / name for name in (
        "posterior.parquet", "posterior_summary.csv", "ppc.csv", "ppc_simulations.parquet",
        "pairplot.png")}
    run.posterior.to_parquet(paths["posterior.parquet"], index=False)
    posterior_summary(run.posterior, priors).to_csv(paths["posterior_summary.csv"], index=False)
    table.to_csv(paths["ppc.csv"], index=False)
    simulations.to_parquet(paths["ppc_simulations.parquet"], index=False)
    figure = pair_plot(run.posterior, priors)
    figure.savefig(paths["pairplot.png"], dpi=110)
    return paths
