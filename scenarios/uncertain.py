"""Priors a comparison file gives its own uncertain parameters (``priors:``), and their checks.

A comparison's plausible worlds draw every behavioural parameter and every instrument
assumption from the shipped priors (``calibration/worlds.py``). An analyst who knows better,
or who wants another quantity treated as uncertain (the cluster's size, its mean talent), adds
a prior in the comparison file::

    priors:
      - {parameter: exchange_sessions.visitors_per_session, low: 30, high: 50,
         source: "organisers' registration lists, 2024"}
      - {parameter: talent_mean, low: 0.25, high: 0.45, source: "assumption"}

A parameter is a model parameter (``docs/parameters.md``) or ``instrument.parameter``. Every
prior is checked when the file loads: the parameter exists, some mix uses the instrument, and
both ends of the range are values the model or the instrument accepts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from catfish.scenarios.schema import Labels, Scenario, Section
from catfish.sim.params import ModelParams, ParameterError
from catfish.sim.policy import REGISTRY
from pydantic import Field, model_validator

# the calendar, target, budget and the cluster's structure are what is being compared, or fix
# the shape of the run: they are never uncertain in a comparison
NOT_UNCERTAIN = frozenset({
    "months", "deadline_month", "start_month", "target_firms", "budget_rmb",
    "budget_per_year_rmb", "sector_names", "sector_shares", "start_shares",
    "central_factory_sectors",
    "central_factory_month", "network", "promotion_on", "peer_effect_on", "demonstration_on",
    "competition_on", "economic_gate_on", "stages_on", "provider_capacity_on", "market_on"})


class UniformPrior(Section):
    """A uniform range, where it comes from, and what could pin the parameter down.

    The shipped priors of behavioural parameters and of instrument assumptions, and a
    comparison's own, all say this much.
    """

    low: float = Field(description="lower end of the uniform range")
    high: float = Field(description="upper end of the uniform range")
    source: str = Field(min_length=1, max_length=1000,
                        description="where the range comes from, or `assumption`")
    source_zh: str = Field("", max_length=1000,
                           description="the source in Chinese (the Chinese report shows it)")
    measure: str = Field("", max_length=1000,
                         description="what could pin the parameter down: the data to collect")
    measure_zh: str = Field("", max_length=1000, description="the same in Chinese")

    @model_validator(mode="after")
    def _ordered(self) -> UniformPrior:
        if not self.low < self.high:
            raise ValueError(f"low = {self.low!r}: must be less than high ({self.high!r})")
        return self


class PriorSpec(UniformPrior):
    """One uncertain parameter of a comparison: a uniform range and where it comes from."""

    parameter: str = Field(min_length=1, max_length=120,
                           pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$",
                           description="a model parameter, or instrument.parameter")
    labels: Labels | None = Field(None, description="names for people (default: the "
                                                    "codebook's, or the shipped prior's)")
    unit: str = Field("", max_length=40, description="unit, for people")


def prior_problem(prior: PriorSpec, mixes: Iterable[Scenario]) -> str | None:
    """What is wrong with a comparison's prior (``field = value: rule``), or None."""
    if "." in prior.parameter:
        instrument, parameter = prior.parameter.split(".", 1)
        used = sorted({p.instrument for s in mixes for p in s.policies})
        if instrument not in used:
            return (f"parameter = {prior.parameter!r}: no mix uses the {instrument!r} "
                    f"instrument (the mixes use {', '.join(used) or 'none'})")
        return instrument_range_problem(instrument, parameter, prior.low, prior.high)
    if prior.parameter not in ModelParams.model_fields:
        return (f"parameter = {prior.parameter!r}: not a model parameter (docs/parameters.md) "
                "or instrument.parameter")
    if prior.parameter in NOT_UNCERTAIN:
        return (f"parameter = {prior.parameter!r}: the calendar, target, budget and the "
                "cluster's structure are not uncertain in a comparison")
    for end, value in (("low", prior.low), ("high", prior.high)):
        try:
            ModelParams(**{prior.parameter: value})
        except ParameterError as exc:
            return f"{end} = {value!r}: the model does not accept it ({exc})"
    return None


def instrument_range_problem(instrument: str, parameter: str, low: float,
                             high: float) -> str | None:
    """What is wrong with a range for an instrument parameter (``field = value: rule``), or None.

    Both ends must be values the instrument accepts, so that no world can build an instrument
    a file could not; a whole-number parameter needs whole-number ends.
    """
    cls = REGISTRY.get(instrument)
    if cls is None:
        return f"instrument = {instrument!r}: unknown; known: {', '.join(sorted(REGISTRY))}"
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if parameter not in fields or parameter in ("start", "end", "opening", "sector", "sectors"):
        known = [f for f in fields if f not in ("start", "end", "opening", "sector", "sectors")]
        return (f"parameter = {parameter!r}: not a number of {instrument} (its parameters: "
                f"{', '.join(known)})")
    whole = is_whole(instrument, parameter)
    for end, value in (("low", low), ("high", high)):
        if whole and not float(value).is_integer():
            return f"{end} = {value!r}: {instrument}.{parameter} takes whole numbers"
        try:
            cls(**{parameter: int(value) if whole else float(value)})
        except (TypeError, ValueError) as exc:
            return f"{end} = {value!r}: {instrument} does not accept it ({exc})"
    return None


def is_whole(instrument: str, parameter: str) -> bool:
    """Whether an instrument's parameter takes whole numbers only."""
    fields = {f.name: f for f in dataclasses.fields(REGISTRY[instrument])}
    return fields[parameter].type in (int, "int")
