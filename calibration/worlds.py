"""Plausible worlds: one joint draw of all a comparison's outcome depends on that nobody knows.

A comparison that holds its unknowns fixed answers "which mix wins if our guesses are right".
Officials need "which mix wins however the unknowns turn out". A *world* is one joint draw of
every uncertain parameter of a comparison:

- the calibrated behavioural parameters, drawn jointly from the posterior (a weighted row of
  ``calibration/posteriors/default.parquet``), where the pilot data pin them down;
- every other behavioural parameter with a prior (``calibration/priors.yaml``) from its prior;
- every assumption of the instruments the comparison's mixes use
  (``calibration/instrument_priors.yaml``) from its prior;
- priors the comparison file gives itself (``priors:``), which add to or replace these.

Prior draws are a Latin hypercube over the ranges (every tenth of a range holds a tenth of the
worlds, so that 1,000 worlds cover the corners that scenario discovery looks for); posterior
draws pick rows by weight, as ``calibration.posterior.draw`` always has. Replicate r of every
mix runs world r with seed + r: the mixes meet the same worlds and the same luck.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from catfish.calibration.posterior import WEIGHT
from catfish.calibration.priors import PriorsError, load_priors
from catfish.scenarios.loader import read_list
from catfish.scenarios.schema import Labels, Scenario
from catfish.scenarios.uncertain import PriorSpec, UniformPrior, instrument_range_problem, is_whole
from catfish.sim.codebook import parameter_label
from catfish.sim.params import ModelParams
from pydantic import Field
from scipy.stats import qmc

INSTRUMENT_PRIORS_FILE = Path(__file__).with_name("instrument_priors.yaml")
WORLD = "world"
POSTERIOR_DRAW = "posterior_draw"  # the posterior row a world's calibrated values come from
STREAM = 0x776F726C64  # "world": prior draws never share a generator with the runs' seeds
Origin = Literal["posterior", "prior", "instrument prior", "comparison"]


class InstrumentPrior(UniformPrior):
    """The range of one instrument assumption, with what it means and where it comes from."""

    instrument: str = Field(min_length=1, max_length=60, description="a registered instrument")
    parameter: str = Field(min_length=1, max_length=60, description="one of its parameters")
    labels: Labels = Field(description="what it is, for people (zh, en)")
    unit: str = Field(min_length=1, max_length=40)

    @property
    def key(self) -> str:
        """``instrument.parameter``: its name in worlds and results."""
        return f"{self.instrument}.{self.parameter}"


def load_instrument_priors(path: str | Path | None = None) -> dict[str, InstrumentPrior]:
    """The instruments' assumption priors by ``instrument.parameter``.

    Raises:
        PriorsError: One line naming the file, the entry, the value and what is allowed.
    """
    return dict(_load(Path(path) if path is not None else INSTRUMENT_PRIORS_FILE))


@cache
def _load(path: Path) -> tuple[tuple[str, InstrumentPrior], ...]:
    entries = read_list(path, InstrumentPrior, "instrument priors (instrument, parameter, low, "
                        "high, labels, unit, source)", PriorsError)
    priors: dict[str, InstrumentPrior] = {}
    for i, entry in enumerate(entries):
        where = f"{path}: [{i}]"
        problem = instrument_range_problem(entry.instrument, entry.parameter, entry.low,
                                           entry.high)
        if problem:
            raise PriorsError(f"{where}.{problem}")
        if entry.key in priors:
            raise PriorsError(f"{where}.parameter = {entry.parameter!r}: {entry.instrument} has "
                              "a prior for it already")
        priors[entry.key] = entry
    return tuple(priors.items())


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain parameter of a comparison, its distribution and where that comes from.

    Attributes:
        key: Its name in worlds and results: a model parameter (``visit_conversion_prob``) or
            ``instrument.parameter`` (``diagnosis.willingness_conversion``).
        origin: ``posterior`` (drawn jointly with the other calibrated parameters), ``prior``
            (``calibration/priors.yaml``), ``instrument prior``
            (``calibration/instrument_priors.yaml``) or ``comparison`` (the file's ``priors``).
        low: Lower end of the prior range (the posterior's prior, for a calibrated parameter).
        high: Upper end.
        integer: Whole numbers only.
        labels: Names for people, ``{"zh": ..., "en": ...}``.
        unit: Unit, for people.
        source: Where the range comes from (English).
        source_zh: The same in Chinese (empty: use ``source``).
        measure: What could pin it down: the data to collect (English; may be empty).
        measure_zh: The same in Chinese.
    """

    key: str
    origin: Origin
    low: float
    high: float
    integer: bool
    labels: Mapping[str, str]
    unit: str
    source: str
    source_zh: str = ""
    measure: str = ""
    measure_zh: str = ""

    @property
    def instrument(self) -> str | None:
        """The instrument whose assumption this is (None for a model parameter)."""
        return self.key.split(".", 1)[0] if "." in self.key else None

    @property
    def parameter(self) -> str:
        """The parameter's own name (of the model, or of the instrument)."""
        return self.key.split(".", 1)[-1]

    def record(self) -> dict[str, Any]:
        """What the manifest says about it."""
        return {"parameter": self.key, "origin": self.origin, "low": self.low,
                "high": self.high, "unit": self.unit, "source": self.source}


def comparison_uncertainties(base: Scenario, mixes: Iterable[Scenario], *,
                             posterior: pd.DataFrame | None,
                             extra: Sequence[PriorSpec] = ()) -> list[Uncertainty]:
    """Every uncertain parameter of a comparison, in a stable order.

    Args:
        base: The base scenario (a prior that names one scenario applies only there).
        mixes: Every mix's scenario: an instrument assumption is uncertain only if some mix
            uses the instrument.
        posterior: The posterior sample (its columns are drawn jointly), or None.
        extra: The comparison file's own priors: they replace a shipped distribution of the
            same parameter, or add one.
    """
    calibrated = set(posterior.columns) - {WEIGHT} if posterior is not None else set()
    found: dict[str, Uncertainty] = {}
    for name, prior in load_priors().items():
        if prior.scenario not in (None, base.name):
            continue
        found[name] = Uncertainty(
            key=name, origin="posterior" if name in calibrated else "prior", low=prior.low,
            high=prior.high, integer=False,
            labels={lang: parameter_label(name, lang) for lang in ("zh", "en")},
            unit=_unit(name), source=prior.source, source_zh=prior.source_zh,
            measure=prior.measure, measure_zh=prior.measure_zh)
    used = {p.instrument for s in mixes for p in s.policies}
    for key, prior in load_instrument_priors().items():
        if prior.instrument in used:
            found[key] = Uncertainty(
                key=key, origin="instrument prior", low=prior.low, high=prior.high,
                integer=is_whole(prior.instrument, prior.parameter),
                labels=prior.labels.model_dump(), unit=prior.unit, source=prior.source,
                source_zh=prior.source_zh, measure=prior.measure, measure_zh=prior.measure_zh)
    for given in extra:
        found[given.parameter] = _from_spec(given, found.get(given.parameter))
    return list(found.values())


def _from_spec(spec: PriorSpec, shipped: Uncertainty | None) -> Uncertainty:
    """A comparison's own prior; its names and unit from the shipped one where it gives none."""
    if "." in spec.parameter:
        instrument, parameter = spec.parameter.split(".", 1)
        integer = is_whole(instrument, parameter)
        default_labels = {"zh": spec.parameter, "en": spec.parameter}
    else:
        integer = ModelParams.model_fields[spec.parameter].annotation is int
        default_labels = {lang: parameter_label(spec.parameter, lang) for lang in ("zh", "en")}
    labels = spec.labels.model_dump() if spec.labels is not None else \
        dict(shipped.labels) if shipped is not None else default_labels
    unit = spec.unit or (shipped.unit if shipped is not None else
                         "" if "." in spec.parameter else _unit(spec.parameter))
    return Uncertainty(
        key=spec.parameter, origin="comparison", low=spec.low, high=spec.high, integer=integer,
        labels=labels, unit=unit, source=spec.source, source_zh=spec.source_zh,
        measure=spec.measure or (shipped.measure if shipped is not None else ""),
        measure_zh=spec.measure_zh or (shipped.measure_zh if shipped is not None else ""))


def _unit(name: str) -> str:
    extra = ModelParams.model_fields[name].json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def draw_worlds(uncertainties: Sequence[Uncertainty], count: int, seed: int,
                posterior: pd.DataFrame | None = None) -> pd.DataFrame:
    """``count`` worlds: one row each, ``world`` (0..count-1), the posterior row, every value.

    Posterior parameters come from rows drawn by weight with ``seed`` (the draws
    ``catfish compare --posterior`` always made); the others from a Latin hypercube over their
    ranges on a stream of their own.
    """
    table = pd.DataFrame({WORLD: np.arange(count, dtype=np.int64)})
    drawn_jointly = [u for u in uncertainties if u.origin == "posterior"]
    if drawn_jointly:
        if posterior is None:
            raise ValueError("posterior parameters need the posterior they are drawn from")
        weights = posterior[WEIGHT].to_numpy(float)
        rows = np.random.default_rng(seed).choice(len(posterior), size=count,
                                                  p=weights / weights.sum())
        table[POSTERIOR_DRAW] = rows.astype(np.int64)
        for u in drawn_jointly:
            table[u.key] = posterior[u.key].to_numpy(float)[rows]
    independent = [u for u in uncertainties if u.origin != "posterior"]
    if independent:
        unit = qmc.LatinHypercube(d=len(independent), seed=np.random.default_rng(
            np.random.SeedSequence([seed, STREAM]))).random(count)
        for j, u in enumerate(independent):
            values = u.low + unit[:, j] * (u.high - u.low)
            table[u.key] = np.floor(values + 0.5) if u.integer else values
    return table


def world_values(world: Mapping[str, Any], uncertainties: Sequence[Uncertainty],
                 scenario: Scenario) -> tuple[dict[str, float], tuple[tuple[str, str, float],
                                                                     ...]]:
    """What one world changes in one mix: model parameters, and instrument parameters.

    Returns:
        ``(parameters, instruments)``: model parameter -> value (for ``run_one``), and
        ``(instrument, parameter, value)`` for each assumption of an instrument the mix uses.
    """
    used = {p.instrument for p in scenario.policies}
    params: dict[str, float] = {}
    instruments: list[tuple[str, str, float]] = []
    priors = load_priors()
    for u in uncertainties:
        value = float(world[u.key])
        if u.instrument is None:
            prior = priors.get(u.key)
            if prior is None or prior.scenario in (None, scenario.name):
                params[u.key] = value
        elif u.instrument in used:
            instruments.append((u.instrument, u.parameter, int(value) if u.integer else value))
    return params, tuple(instruments)
