"""Sensitivity-analysis files: factors with bounds, outcomes, method, N, replicates, seed.

A sensitivity file names a base scenario, the factors (paths into the scenario, as in a sweep)
and their bounds, the outcomes to analyse, the method (``morris`` to screen, ``sobol`` for
variance shares), N and replicates per design point. A factor that varies a behavioural
parameter (``behaviour.overrides.<parameter>``) and gives no bounds takes them from the
calibration priors (``calibration/priors.yaml``).

The analysis runs as a sweep (``scenarios.sweep``): :meth:`SensitivitySpec.sweep_data` is the
sweep file it amounts to, with a ``dummy`` factor the model ignores and a seed of its own for
every run, so that the dummy's index measures the noise of a finite number of replicates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from catfish.calibration.priors import load_priors
from catfish.scenarios import loader
from catfish.scenarios.loader import SENSITIVITY, ScenarioError, describe
from catfish.scenarios.schema import Labels, Section
from catfish.scenarios.sweep import (
    FACTOR_NAME,
    IDENTIFIER,
    MAX_SEED,
    OUTCOME_NAMES,
    SweepSpec,
    parse_sweep,
)
from pydantic import Field, ValidationError, model_validator

PREFIX = SENSITIVITY.prefix
DUMMY = "dummy"                 # the factor the model ignores: its index is the noise floor
DUMMY_LABELS = {"zh": "虚拟因子（噪声基线）", "en": "Dummy (noise floor)"}
BEHAVIOUR = "behaviour.overrides."
DEFAULT_OUTCOMES = ("transformed_by_deadline", "target_met", "cost_per_transformed_rmb",
                    "share_failures_early_middle")


class SAFactor(Section):
    """A factor of a sensitivity analysis: where it goes and its bounds."""

    name: str = Field(min_length=1, max_length=60, pattern=FACTOR_NAME,
                      description="identifier; the factor's row in the indices table")
    path: str | None = Field(None, min_length=1, max_length=200,
                             description="where the value goes in the scenario (as in a sweep); "
                                         "none when a Python function is analysed")
    labels: Labels | None = Field(None, description="name shown in charts and the summary")
    low: float | None = Field(None, description="lower bound (default: the calibration prior)")
    high: float | None = Field(None, description="upper bound (default: the calibration prior)")
    type: Literal["float", "int"] = Field("float", description="int: values rounded")

    @model_validator(mode="after")
    def _bounds(self) -> SAFactor:
        if (self.low is None) != (self.high is None):
            which = "high" if self.high is None else "low"
            raise ValueError(f"{which} = None: give both bounds or neither (neither: the "
                             "calibration prior's)")
        if self.low is not None and not self.low < self.high:
            raise ValueError(f"low = {self.low!r}: must be less than high ({self.high!r})")
        if self.name == DUMMY:
            raise ValueError(f"name = {DUMMY!r}: reserved for the dummy factor the analysis "
                             "adds itself")
        return self

    def label(self, lang: str) -> str:
        """The factor's name for people in ``lang`` (its identifier if it has no labels)."""
        return getattr(self.labels, lang) if self.labels is not None else self.name


class SensitivitySpec(Section):
    """What a sensitivity file may say (``docs/sensitivity.md``)."""

    name: str = Field(min_length=1, max_length=80, pattern=IDENTIFIER,
                      description="identifier; a shipped analysis's file is NAME.yaml")
    labels: Labels = Field(description="title shown to people")
    description: str = Field("", max_length=5000, description="what is analysed and why")
    base: str | None = Field(None, min_length=1, max_length=500,
                             description="shipped scenario name, or path relative to this file")
    factors: tuple[SAFactor, ...] = Field(min_length=1, max_length=50,
                                          description="the uncertain inputs and their bounds")
    outcomes: tuple[str, ...] = Field(DEFAULT_OUTCOMES, min_length=1, max_length=50,
                                      description="outcomes analysed; each is averaged over the "
                                                  "replicates of a design point")
    method: Literal["morris", "sobol"] = Field("morris", description="morris screens; sobol "
                                                                     "splits the variance")
    n: int = Field(ge=2, le=2**18, description="morris: trajectories; sobol: base samples N "
                                               "(a power of 2)")
    replicates: int = Field(3, ge=1, le=1000, description="runs per design point, averaged")
    seed: int = Field(1, ge=0, le=MAX_SEED // 2, description="seed of the sampler and the runs")
    num_levels: int = Field(4, ge=2, le=1000, description="morris: grid levels (even)")
    conf_level: float = Field(0.95, gt=0.5, lt=1, description="level of the bootstrap intervals")
    resamples: int = Field(1000, ge=100, le=100_000, description="bootstrap resamples")

    @model_validator(mode="after")
    def _consistent(self) -> SensitivitySpec:
        if self.method == "sobol" and self.n & (self.n - 1):
            lower = 1 << (self.n.bit_length() - 1)
            raise ValueError(f"n = {self.n}: sobol needs a power of 2 (Sobol' points are "
                             f"balanced only in blocks of 2^k), e.g. {lower} or {lower * 2}")
        if self.method == "morris" and self.num_levels % 2:
            raise ValueError(f"num_levels = {self.num_levels}: must be even (an odd number of "
                             "levels biases the sample)")
        names = [f.name for f in self.factors]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"factors[{i}].name = {name!r}: used twice")
        for i, name in enumerate(self.outcomes):
            if name in self.outcomes[:i]:
                raise ValueError(f"outcomes[{i}] = {name!r}: listed twice")
        return self

    @property
    def design_points(self) -> int:
        """Design points including the dummy factor: morris n(D+1), sobol n(D+2)."""
        d = len(self.factors) + 1
        return self.n * (d + 2 if self.method == "sobol" else d + 1)

    @property
    def runs(self) -> int:
        """Runs: design points x replicates."""
        return self.design_points * self.replicates

    def factor(self, name: str) -> SAFactor | None:
        """The factor called ``name`` (None for the dummy)."""
        return next((f for f in self.factors if f.name == name), None)

    def with_options(self, **options: Any) -> SensitivitySpec:
        """The same analysis with some settings changed (command-line flags), re-validated.

        Raises:
            ScenarioError: A value that is not allowed (one line, naming the option).
        """
        options = {k: v for k, v in options.items() if v is not None}
        if not options:
            return self
        try:
            return type(self).model_validate({**self.model_dump(), **options})
        except ValidationError as exc:
            raise ScenarioError(describe(exc, "options given")) from None

    def sweep_data(self, base: str | None) -> dict[str, Any]:
        """The sweep this analysis runs: its factors, the dummy, the design, independent seeds.

        Args:
            base: The base scenario as the sweep names it (None: a function is analysed, and
                every factor goes nowhere in a scenario).
        """
        factors = [{"name": f.name, "low": f.low, "high": f.high, "type": f.type,
                    **({"path": f.path} if base is not None else {"dummy": True}),
                    **({"labels": f.labels.model_dump()} if f.labels else {})}
                   for f in self.factors]
        factors.append({"name": DUMMY, "dummy": True, "low": 0.0, "high": 1.0,
                        "labels": DUMMY_LABELS})
        design = ({"kind": "sobol", "base_samples": self.n, "calc_second_order": False}
                  if self.method == "sobol" else
                  {"kind": "morris", "trajectories": self.n, "num_levels": self.num_levels})
        # a function's outcomes are whatever it returns; the sweep only needs a valid name
        outcomes = list(self.outcomes) if base is not None else list(OUTCOME_NAMES[:1])
        return {"name": self.name, "labels": self.labels.model_dump(),
                "description": self.description, "base": base or "(a Python function)",
                "factors": factors, "outcomes": outcomes, "design": design,
                "replicates": self.replicates, "seed": self.seed, "seeds": "independent",
                "timeseries": False}


def load_sensitivity(name_or_path: str | Path) -> tuple[SensitivitySpec, Path]:
    """Load a sensitivity file (path or shipped name); bounds are filled from the priors.

    Returns:
        The spec and the file it came from.

    Raises:
        ScenarioError: One line naming the file, the path inside it, the value and the rule.
    """
    return loader.read_spec(name_or_path, SENSITIVITY,
                            lambda data, path: (parse_sensitivity(data, path), path))


def parse_sensitivity(data: Any, source: str | Path) -> SensitivitySpec:
    """Validate parsed data as a sensitivity analysis of the model (a base scenario).

    Raises:
        ScenarioError: One line naming the file, the path inside it, the value and the rule.
    """
    source = Path(source)
    spec = loader.validate(data, source, SENSITIVITY, SensitivitySpec)
    if spec.base is None:
        raise ScenarioError(f"{source}: base: missing (required): the scenario whose inputs "
                            "are varied")
    return with_prior_bounds(spec, source)


def with_prior_bounds(spec: SensitivitySpec, source: str | Path) -> SensitivitySpec:
    """Every factor with bounds: those it gives, else its behavioural parameter's prior.

    Raises:
        ScenarioError: A factor without bounds whose path has no prior.
    """
    priors = load_priors()
    factors = []
    for i, factor in enumerate(spec.factors):
        if factor.low is None:
            parameter = (factor.path or "").removeprefix(BEHAVIOUR)
            prior = priors.get(parameter) if (factor.path or "").startswith(BEHAVIOUR) else None
            if prior is None:
                raise ScenarioError(
                    f"{source}: factors[{i}].low = None: no bounds given and no calibration "
                    f"prior for {factor.path or factor.name} (priors exist for "
                    f"{BEHAVIOUR}<parameter> with parameter one of "
                    f"{', '.join(sorted(priors)[:4])}, ...); give low and high")
            factor = factor.model_copy(update={"low": prior.low, "high": prior.high})
        factors.append(factor)
    return spec.model_copy(update={"factors": tuple(factors)})


def sweep_spec(spec: SensitivitySpec, source: Path) -> SweepSpec:
    """The sweep of a model analysis, checked against its base scenario like a sweep file.

    Raises:
        ScenarioError: A path that does not exist, or bounds the scenario does not accept.
    """
    return parse_sweep(spec.sweep_data(spec.base), source)


def function_sweep_spec(spec: SensitivitySpec) -> SweepSpec:
    """The sweep of a function analysis (no scenario: the function reads the values)."""
    try:
        return SweepSpec.model_validate(spec.sweep_data(None))
    except ValidationError as exc:
        raise ScenarioError(describe(exc, spec.name)) from None


def dump(spec: SensitivitySpec) -> str:
    """The analysis as YAML (kept in its result folder, bounds filled in)."""
    return yaml.safe_dump(spec.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
