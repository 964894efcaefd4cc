"""Calibration by approximate Bayesian computation with sequential Monte Carlo (pyabc).

Which parameters: those that the Morris screen of every prior on every target found influential
(``CALIBRATED``); every other parameter keeps its documented default.
Their priors are the uniform ranges of ``calibration/priors.yaml``.

What is compared: every target of the pilot dataset (``calibration/data/pilot_facts.yaml``),
computed from one run of each scenario it needs (``calibration.targets.simulate``; the pilot
cities' targets from an ensemble of 36 cities). The distance is the root of the summed squares
of each target's miss divided by its observation error (``error_sd``), where a target given as
a range is missed only outside the range. The hold-outs (role ``holdout``) are never compared:
they are predicted from the posterior afterwards (``write_results``).

pyabc keeps its whole history in an SQLite database in the output folder, so a calibration that
stops (Ctrl-C, kill) carries on from its last finished generation when run again.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from catfish.calibration.data import Fact, holdouts, targets
from catfish.calibration.priors import Prior, load_priors
from catfish.calibration.targets import SimulateMany, check_targets, simulate, simulate_here

# The parameters the targets inform: the ten whose Morris mu* was at least 4 times the dummy
# factor's for some target in the screen of every prior on every target (catfish calibrate
# --screen, run on the model before its economic account changed; docs/calibration.md), and
# the parameters the new account made targets depend on directly: the light project's
# process share (payback, efficiency) and the early and middle stages' failure probabilities
# (the failure share, which they once echoed as fixed inputs). The others keep their defaults.
CALIBRATED = ("initial_willing_share", "light_cost_cut", "cost_sensitivity",
              "prior_benefit_belief", "prior_failure_belief", "horizon_years",
              "quality_sensitivity", "competition_per_year", "promotion_per_year", "hurdle_sd",
              "light_process_share", "early_failure_prob", "middle_failure_prob")
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


# about 1.4 s of CPU per simulation (the 36 pilot cities, Chengdu and Shenzhen): 3,200
# simulations, plus the generation that passes them (up to population / acceptance rate more),
# and the predictive check's 200 draws take 40-55 minutes on 2 cores
DEFAULT = Settings(population=120, generations=10, min_epsilon=0.5, ppc_draws=200,
                   max_simulations=3200)
QUICK = Settings(population=16, generations=2, min_epsilon=0.5, ppc_draws=16)


def scaled_miss(value: float, fact: Fact) -> float:
    """How far a statistic is outside its target's range, in observation errors (0 inside)."""
    if not math.isfinite(value):
        return math.inf
    low, high = fact.bounds
    return max(low - value, value - high, 0.0) / fact.error_sd


class Distance:
    """Root of the summed squared misses of every target, each scaled by its observation error."""

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


# Seconds a Dask scheduler has to answer before --scheduler is taken to name none.
CONNECT_SECONDS = 10.0
# Particles per Dask task. One: a simulation takes half a second of CPU or more, hundreds of
# times Dask's overhead per task (a millisecond or so), so batching saves nothing; pyabc keeps one
# task per worker thread running, so when a generation has its particles, up to batch size x
# threads simulations are wasted (with 64 threads and batches of 10, more than a generation of
# 150 particles at 20 % acceptance needs).
DASK_BATCH = 1
EXPECTED_SCHEDULER = "give the address a `dask scheduler` printed (tcp://HOST:PORT)"


def check_scheduler(address: str, timeout: float | None = None) -> None:
    """Check that a Dask scheduler answers at ``address`` within ``timeout`` seconds.

    It is asked who it is, over Dask's protocol and with a deadline: Dask's client would wait
    forever at an address where something else listens (the scheduler's dashboard, say), and
    would take a worker's address for a scheduler's.

    Args:
        address: ``tcp://HOST:PORT``, as ``dask scheduler`` prints it.
        timeout: Seconds (default ``CONNECT_SECONDS``); a refused connection is retried until
            then, for a scheduler that is still starting.

    Raises:
        ValueError: No Dask scheduler answered; one line naming ``--scheduler``.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect, get_address_host_port

    seconds = CONNECT_SECONDS if timeout is None else timeout
    try:
        get_address_host_port(address)
    except ValueError as exc:
        raise ValueError(f"--scheduler {address}: is not a Dask address ({exc}); "
                         f"{EXPECTED_SCHEDULER}") from None

    async def identity() -> Any:
        comm = await connect(address, timeout=seconds)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded() -> Any:
        return await asyncio.wait_for(identity(), seconds)

    try:
        # a thread of its own: asyncio.run needs one without a running event loop (Jupyter)
        with ThreadPoolExecutor(1) as pool:
            reply = pool.submit(asyncio.run, bounded()).result()
    except Exception:  # nothing answered, or something that does not speak Dask's protocol
        raise ValueError(f"--scheduler {address}: no Dask scheduler answered within "
                         f"{seconds:g} s; {EXPECTED_SCHEDULER}") from None
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        raise ValueError(f"--scheduler {address}: a Dask {kind or 'server'} answered, not a "
                         f"scheduler; {EXPECTED_SCHEDULER}")


def make_sampler(workers: int, scheduler: str | None = None) -> tuple[Any, Callable[[], None]]:
    """The pyabc sampler, and what to call once the calibration is done with it.

    Args:
        workers: Local processes that simulate particles (1: this process); ignored with
            ``scheduler``.
        scheduler: Address of a running Dask scheduler (``tcp://HOST:PORT``) whose workers
            simulate the particles: they unpickle :class:`Simulator`, so they need Catfish
            installed at the version this process runs. Until a worker joins, pyabc waits.
            The function returned closes the client.

    Raises:
        ValueError: No Dask scheduler answered at ``scheduler`` (see :func:`check_scheduler`).
    """
    import pyabc

    if scheduler is None:
        if workers <= 1:
            return pyabc.sampler.SingleCoreSampler(), lambda: None
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers), forking()
    from distributed import Client

    check_scheduler(scheduler)
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except OSError:  # it went away since it answered
        raise ValueError(f"--scheduler {scheduler}: no Dask scheduler answered within "
                         f"{CONNECT_SECONDS:g} s; {EXPECTED_SCHEDULER}") from None
    sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client, batch_size=DASK_BATCH)
    return sampler, client.close


def forking() -> Callable[[], None]:
    """Let pyabc's local processes be forked until the function returned is called.

    pyabc hands its processes a closure, which only a forked process can receive; Mesa 3.3
    makes spawn the default start method when it is imported, and then every generation
    fails to start. The model's compiled code is loaded first, so each generation's forked
    processes inherit it instead of loading it again. Where fork does not exist (Windows),
    nothing changes.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return lambda: None
    from catfish.sim.warm import warm_up

    warm_up()
    previous = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("fork", force=True)
    return lambda: multiprocessing.set_start_method(previous, force=True)


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
              settings: Settings | None = None, seed: int | None = None,
              scheduler: str | None = None,
              progress: Callable[[int], None] | None = None) -> CalibrationRun:
    """Run (or carry on with) the ABC-SMC calibration in ``out``.

    Args:
        out: Folder for the database and results; if it holds a database of an earlier run,
            that run continues from its last finished generation.
        quick: A small version (16 particles, 2 generations) that finishes in about two
            minutes.
        workers: Processes that simulate particles (ignored with ``scheduler``).
        parameters: The parameters to calibrate (each needs a prior).
        facts: The targets (default: the pilot dataset's).
        settings: Overrides ``quick``'s choice of population and generations.
        seed: Seeds numpy's global generator, which pyabc and the runs' seeds draw from: with
            one worker the same seed gives the same calibration (pyabc's parallel samplers
            reseed their processes, so with more workers, or on Dask, it does not).
        scheduler: Address of a running Dask scheduler whose workers simulate the particles
            instead (see :func:`make_sampler`); the client is closed at the end.
        progress: Called with 1 after each generation. With it, pyabc runs one generation at
            a time, each continuing the history as a resumed calibration does (the same
            generations as one call), and its log is kept to warnings (the caller shows the
            progress); without it, one call runs them all.

    Raises:
        ValueError: A parameter without a prior, a target without a statistic, or no Dask
            scheduler answering at ``scheduler`` (before anything is written).
    """
    import pyabc

    out = Path(out)
    facts = list(facts if facts is not None else targets())
    check_targets(facts)
    priors = load_priors()
    missing = [p for p in parameters if p not in priors]
    if missing:
        raise ValueError(f"parameters: {missing[0]!r} has no prior in calibration/priors.yaml")
    settings = settings or (QUICK if quick else DEFAULT)
    if seed is not None:
        np.random.seed(seed)  # noqa: NPY002 - pyabc samples from numpy's global generator
    logging.getLogger("ABC").setLevel(logging.INFO if progress is None else logging.WARNING)
    sampler, close = make_sampler(workers, scheduler)
    try:
        out.mkdir(parents=True, exist_ok=True)

        def smc() -> Any:
            return pyabc.ABCSMC(Simulator(facts, parameters),
                                prior_distribution(priors, parameters),
                                Distance(facts), population_size=settings.population,
                                sampler=sampler, transitions=transition(settings))

        database = out / DATABASE
        url = f"sqlite:///{database}"
        observed = {f.name: f.observed for f in facts}
        abc = smc()
        if database.exists():
            history = abc.load(url, 1)
            done = history.max_t + 1
        else:
            history = abc.new(url, observed)
            done = 0
        remaining = settings.generations - done
        if remaining > 0 and progress is None:
            history = abc.run(minimum_epsilon=settings.min_epsilon, max_nr_populations=remaining,
                              max_total_nr_simulations=settings.max_simulations)
        while remaining > 0 and progress is not None:
            before = history.max_t
            history = abc.run(minimum_epsilon=settings.min_epsilon, max_nr_populations=1,
                              max_total_nr_simulations=settings.max_simulations)
            if history.max_t == before:  # pyabc stopped without a new generation
                break
            progress(1)
            remaining -= 1
            if history.total_nr_simulations >= settings.max_simulations \
                    or _last_epsilon(history) <= settings.min_epsilon:
                break  # what stops one call after this generation
            # the next generation continues the history as a resumed calibration does: a
            # fresh ABCSMC that loads it (one reused would calibrate its epsilon on a stale
            # population it cached when first run)
            abc = smc()
            history = abc.load(url, 1)
        return _result(out, history, settings)
    finally:
        close()


def _last_epsilon(history: Any) -> float:
    """The acceptance threshold of the history's last generation."""
    populations = history.get_all_populations()
    return float(populations[populations["t"] == history.max_t].iloc[0]["epsilon"])


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
                  held_out: Sequence[Fact] | None = None,
                  simulate_many: SimulateMany = simulate_here,
                  seed: int = 1) -> dict[str, Path]:
    """Write the posterior, its summary, the predictive checks and the pair plot into the folder.

    Files: ``posterior.parquet`` (one row per particle, one column per parameter, ``weight``),
    ``posterior_summary.csv``, ``ppc.csv`` (per target: observed, observation error, predictive
    50 % and 90 % intervals, percentile, in50, in90), ``holdout.csv`` (the figures the fit never
    saw, predicted from the same draws: figure, source, observed, 90 % interval, hit or miss),
    ``ppc_simulations.parquet`` and ``pairplot.png``.
    """
    from catfish.calibration.report import (
        holdout_table,
        pair_plot,
        posterior_summary,
        predictive_check,
    )

    facts = list(facts if facts is not None else targets())
    held_out = list(held_out if held_out is not None else holdouts())
    priors = load_priors()
    table, simulations = predictive_check(run.posterior, facts + held_out,
                                          draws=run.settings.ppc_draws, seed=seed,
                                          simulate_many=simulate_many)
    fitted = table[table["target"].isin([f.name for f in facts])].reset_index(drop=True)
    checked = table[table["target"].isin([f.name for f in held_out])].reset_index(drop=True)
    paths = {name: run.folder / name for name in (
        "posterior.parquet", "posterior_summary.csv", "ppc.csv", "holdout.csv",
        "ppc_simulations.parquet", "pairplot.png")}
    run.posterior.to_parquet(paths["posterior.parquet"], index=False)
    posterior_summary(run.posterior, priors).to_csv(paths["posterior_summary.csv"], index=False)
    fitted.to_csv(paths["ppc.csv"], index=False)
    holdout_table(checked, held_out).to_csv(paths["holdout.csv"], index=False)
    simulations.to_parquet(paths["ppc_simulations.parquet"], index=False)
    figure = pair_plot(run.posterior, priors)
    figure.savefig(paths["pairplot.png"], dpi=110)
    return paths
