"""Sweep files: a base scenario, the factors to vary, the design, replicates and seed.

A sweep file names a base scenario and *factors*: uncertain parameters and policy levers,
each a path into the scenario (``cluster.smes.talent_mean``,
``behaviour.overrides.peer_effect_per_year``, ``policies.grant.share``) with a range or a
list of levels. A *design* (grid, list, Latin hypercube, Sobol, Morris) picks the values
(``experiments.runs.designs``); every design point runs ``replicates`` times with seeds
``seed + 0 .. seed + replicates - 1``. :func:`apply_factors` turns the base scenario and one
point's values into a full scenario, validated like a file.

Everything is checked when the file loads, before any run: the schema (one-line errors such
as ``sweep.yaml: factors[2].low = 0.6: must be less than high (0.2)``), that every path
exists in the base scenario, and that the ends of every range and every level are values
the scenario accepts there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from catfish.scenarios import loader
from catfish.scenarios.factors import (  # apply_factors and FactorError are part of the sweep API
    KIND_WORDS,
    FactorError,
    apply_factors,
    resolve_path,
)
from catfish.scenarios.loader import SWEEP, ScenarioError
from catfish.scenarios.schema import Labels, Scenario, Section
from catfish.sim.checks import NOT_FINITE
from catfish.sim.codebook import OUTCOMES, TIMESERIES
from catfish.sim.policy import REGISTRY
from pydantic import (
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

PREFIX = SWEEP.prefix
MAX_SEED = 2**62  # seeds are seed + replicate; stay well inside numpy's and Mesa's range
MAX_POINTS = 1_000_000  # run ids are p{point:06d}-r{replicate:03d}: fixed width, sortable
MAX_REPLICATES = 1_000
IDENTIFIER = r"^[a-z0-9][a-z0-9\-]*$"
FACTOR_NAME = r"^[a-z][a-z0-9_]*$"
# columns the result tables use for themselves; a factor may not take their names
RESERVED = frozenset({"run_id", "point", "replicate", "seed"}
                     | {c.name for c in OUTCOMES} | {c.name for c in TIMESERIES})
OUTCOME_NAMES = tuple(c.name for c in OUTCOMES)
SPENT_BY_DEADLINE = "spent_by_deadline_"


def _scalar(value: Any) -> Any:
    # levels and list points may hold any YAML scalar a scenario field can take
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(NOT_FINITE)  # as every other number says it
    if value is not None and not isinstance(value, bool | int | float | str):
        raise ValueError("must be a number, text, true/false or null (one value)")
    return value


Scalar = Annotated[Any, PlainValidator(_scalar)]


# --- the file's schema ---------------------------------------------------------------------

class Factor(Section):
    """One thing the sweep varies: a path into the scenario and the values it may take."""

    name: str = Field(min_length=1, max_length=60, pattern=FACTOR_NAME,
                      description="identifier; the factor's column in the results")
    path: str | None = Field(None, min_length=1, max_length=200,
                             description="where the value goes in the scenario, e.g. "
                                         "cluster.smes.talent_mean, policies.grant.share")
    dummy: StrictBool = Field(False, description="true: a factor the model ignores (no path); "
                                                 "its sensitivity index is the noise floor")
    labels: Labels | None = Field(None, description="name shown in charts (zh, en)")
    low: float | None = Field(None, strict=True, description="lower end of the range")
    high: float | None = Field(None, strict=True, description="upper end of the range")
    levels: tuple[Scalar, ...] | None = Field(None, min_length=1, max_length=1000,
                                              description="discrete values instead of a range")
    type: Literal["float", "int"] = Field(
        "float", description="int: values of the range are rounded to whole numbers")

    @model_validator(mode="after")
    def _range_or_levels(self) -> Factor:
        if self.dummy and self.path is not None:
            raise ValueError(f"path = {self.path!r}: a dummy factor goes nowhere; leave out "
                             "the path (or dummy: true)")
        if not self.dummy and self.path is None:
            raise ValueError("path = None: missing; say where the value goes, e.g. "
                             "policies.grant.share (or dummy: true)")
        if self.levels is not None and (self.low is not None or self.high is not None):
            raise ValueError(f"levels = {list(self.levels)!r}: give either low and high (a "
                             "range) or levels, not both")
        if (self.low is None) != (self.high is None):
            which, other = ("high", "low") if self.high is None else ("low", "high")
            raise ValueError(f"{which} = None: a range needs both low and high ({other} is "
                             "given)")
        if self.low is not None and not self.low < self.high:
            raise ValueError(f"low = {self.low!r}: must be less than high ({self.high!r})")
        if self.type == "int":
            for end in ("low", "high"):
                value = getattr(self, end)
                if value is not None and not float(value).is_integer():
                    raise ValueError(f"{end} = {value!r}: must be a whole number (type: int)")
            bad = [x for x in self.levels or () if isinstance(x, bool) or not (
                isinstance(x, int) or isinstance(x, float) and x.is_integer())]
            if bad:
                raise ValueError(f"levels = {list(self.levels)!r}: {bad[0]!r} is not a whole "
                                 "number (type: int)")
        seen: set[tuple] = set()
        for level in self.levels or ():
            # 2 and 2.0 are one value, true and 1 or "1" and 1 are not
            key = (isinstance(level, bool), isinstance(level, str), self.typed(level))
            if key in seen:
                raise ValueError(f"levels = {list(self.levels)!r}: {level!r} repeats; give "
                                 "each level once")
            seen.add(key)
        return self

    @property
    def applied(self) -> bool:
        """True if the factor sets a value in the scenario (every factor but a dummy)."""
        return not self.dummy

    @property
    def is_range(self) -> bool:
        """True for a range (low, high), False for levels or a factor without values."""
        return self.low is not None

    def typed(self, value: Any) -> Any:
        """A value of this factor as the design hands it on (int factors rounded)."""
        if self.type == "int" and isinstance(value, int | float) and not isinstance(value, bool):
            return int(math.floor(value + 0.5))
        return value


class GridDesign(Section):
    """Full factorial: every combination of every factor's levels."""

    kind: Literal["grid"]
    points_per_factor: int = Field(3, ge=2, le=1000,
                                   description="evenly spaced values of each range, ends included")

    def point_count(self, factors: Sequence[Factor]) -> int:
        """Number of design points: the product of the factors' numbers of values."""
        return math.prod(len(f.levels) if f.levels is not None else self.points_per_factor
                         for f in factors)


class ListDesign(Section):
    """Explicit points, each giving a value for every factor."""

    kind: Literal["list"]
    points: tuple[dict[str, Scalar], ...] = Field(min_length=1, max_length=10_000,
                                                  description="one mapping factor -> value each")

    def point_count(self, factors: Sequence[Factor]) -> int:
        """Number of design points: the points listed."""
        return len(self.points)


class LatinHypercubeDesign(Section):
    """Latin hypercube: each factor's range cut into ``samples`` strata, one point in each."""

    kind: Literal["lhs"]
    samples: int = Field(ge=1, le=MAX_POINTS, description="design points")
    seed: int | None = Field(None, ge=0, le=MAX_SEED,
                             description="seed of the sampler (default: the sweep's seed)")

    def point_count(self, factors: Sequence[Factor]) -> int:
        """Number of design points: ``samples``."""
        return self.samples


class SobolDesign(Section):
    """Saltelli's scheme on a scrambled Sobol' sequence (SALib), for Sobol' indices."""

    kind: Literal["sobol"]
    base_samples: int = Field(ge=1, le=2**20,
                              description="N, a power of 2; points: N(2D+2), or N(D+2)")
    calc_second_order: StrictBool = Field(True, description="also estimate second-order indices")
    seed: int | None = Field(None, ge=0, le=MAX_SEED,
                             description="seed of the sampler (default: the sweep's seed)")

    @field_validator("base_samples")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        # a Sobol' sequence is balanced only in blocks of 2^k points (scipy warns otherwise)
        if n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise ValueError(f"must be a power of 2 (Sobol' points are balanced only in blocks "
                             f"of 2^k), e.g. {lower} or {lower * 2}")
        return n

    def point_count(self, factors: Sequence[Factor]) -> int:
        """Number of design points: N(2D+2) with second-order indices, else N(D+2)."""
        d = len(factors)
        return self.base_samples * (2 * d + 2 if self.calc_second_order else d + 2)


class MorrisDesign(Section):
    """Morris trajectories (SALib), for elementary effects (screening)."""

    kind: Literal["morris"]
    trajectories: int = Field(ge=2, le=100_000, description="r; points: r(D+1)")
    num_levels: int = Field(4, ge=2, le=1000, description="p, an even number of grid levels")
    seed: int | None = Field(None, ge=0, le=MAX_SEED,
                             description="seed of the sampler (default: the sweep's seed)")

    @field_validator("num_levels")
    @classmethod
    def _even(cls, p: int) -> int:
        if p % 2:
            raise ValueError(f"must be even (an odd number of levels biases the sample), "
                             f"e.g. {p - 1} or {p + 1}")
        return p

    def point_count(self, factors: Sequence[Factor]) -> int:
        """Number of design points: r(D+1)."""
        return self.trajectories * (len(factors) + 1)


DESIGN_KINDS = {"grid": GridDesign, "list": ListDesign, "lhs": LatinHypercubeDesign,
                "sobol": SobolDesign, "morris": MorrisDesign}
Design = Annotated[GridDesign | ListDesign | LatinHypercubeDesign | SobolDesign | MorrisDesign,
                   Field(discriminator="kind")]


class SweepSpec(Section):
    """What a sweep file may say; :func:`load_sweep` also checks it against its base scenario."""

    name: str = Field(min_length=1, max_length=80, pattern=IDENTIFIER,
                      description="identifier; a shipped sweep's file is NAME.yaml")
    labels: Labels = Field(description="title shown to people")
    description: str = Field("", max_length=5000, description="what is swept and why")
    base: str = Field(min_length=1, max_length=500,
                      description="shipped scenario name, or path relative to this file")
    factors: tuple[Factor, ...] = Field(min_length=1, max_length=50,
                                        description="what the sweep varies")
    outcomes: tuple[str, ...] = Field(OUTCOME_NAMES, min_length=1, max_length=200,
                                      description="run outcomes kept (default: all)")
    design: Design = Field(description="how the design points are chosen")
    replicates: int = Field(1, ge=1, le=MAX_REPLICATES, description="runs per design point")
    seed: int = Field(1, ge=0, le=MAX_SEED,
                      description="first seed; which run gets which seed: see seeds")
    seeds: Literal["common", "independent"] = Field(
        "common", description="common: replicate r uses seed + r at every design point "
                              "(common random numbers); independent: point p's replicate r "
                              "uses seed + p x replicates + r (no two runs share a seed)")
    timeseries: StrictBool | tuple[Any, ...] = Field(
        False, description="keep monthly time series: true (all columns), false, or a list")

    _path: Path | None = PrivateAttr(None)
    _base_path: Path | None = PrivateAttr(None)
    _base: Scenario | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        _check_names(self.factors)
        _check_design(self.factors, self.design)
        points = self.design.point_count(self.factors)
        if points > MAX_POINTS:
            raise ValueError(f"design.kind = {self.design.kind!r}: {points:,} design points; at "
                             f"most {MAX_POINTS:,} (fewer samples, levels or factors)")
        last = self.seed_of(points - 1, self.replicates - 1)
        if last >= MAX_SEED:
            raise ValueError(f"seed = {self.seed}: the last run's seed ({last}) must stay "
                             f"below {MAX_SEED}")
        for i, name in enumerate(self.outcomes):
            if name not in OUTCOME_NAMES and not _is_spending(name, SPENT_BY_DEADLINE):
                raise ValueError(f"outcomes[{i}] = {name!r}: not a run outcome (docs/codebook.md: "
                                 f"{', '.join(OUTCOME_NAMES[1:5])}, ...; or "
                                 "spent_by_deadline_<instrument>_rmb)")
            if name in self.outcomes[:i]:
                raise ValueError(f"outcomes[{i}] = {name!r}: listed twice")
        if not isinstance(self.timeseries, bool):
            known = {c.name for c in TIMESERIES}
            for i, name in enumerate(self.timeseries):
                if not isinstance(name, str) or name not in known \
                        and not _is_spending(name, "spent_"):
                    raise ValueError(f"timeseries[{i}] = {name!r}: not a time-series column "
                                     "(docs/codebook.md), e.g. n_counted, spent_total_rmb, "
                                     "spent_<instrument>_rmb")
        return self

    @field_validator("timeseries", mode="before")
    @classmethod
    def _bool_or_list(cls, value: Any) -> Any:
        # one message instead of pydantic's two (one per member of the union)
        if not isinstance(value, bool | list | tuple):
            raise ValueError("must be true, false or a list of time-series columns")
        return value

    def seed_of(self, point: Any, replicate: Any) -> Any:
        """The seed of a design point's replicate (ints or numpy arrays of them)."""
        if self.seeds == "independent":
            return self.seed + point * self.replicates + replicate
        return self.seed + replicate

    @property
    def seed_rule(self) -> str:
        """How seeds are given out, in words (for manifests)."""
        if self.seeds == "independent":
            return "replicate r of design point p uses seed + p x replicates + r"
        return "replicate r of every design point uses seed + r"

    @property
    def factor_names(self) -> list[str]:
        """The factors' names, in file order (the design's columns)."""
        return [f.name for f in self.factors]

    @property
    def path(self) -> Path | None:
        """The sweep file this spec was loaded from (None if built in Python)."""
        return self._path

    @property
    def base_path(self) -> Path | None:
        """The base scenario's file (None if built in Python and not yet loaded)."""
        return self._base_path

    @property
    def point_count(self) -> int:
        """Number of design points (runs = points x replicates)."""
        return self.design.point_count(self.factors)

    def base_scenario(self) -> Scenario:
        """The validated base scenario (loaded once; a frozen object shared by callers)."""
        if self._base is None:
            self._base_path, self._base = loader.load_base(self.base,
                                                           self._path or Path("<sweep>"))
        return self._base


def _is_spending(name: str, prefix: str) -> bool:
    instrument = name.removeprefix(prefix).removesuffix("_rmb")
    return name.startswith(prefix) and name.endswith("_rmb") and instrument in REGISTRY


def _check_names(factors: Sequence[Factor]) -> None:
    for i, factor in enumerate(factors):
        if factor.name in RESERVED:
            raise ValueError(f"factors[{i}].name = {factor.name!r}: a column of the results "
                             "already has this name; choose another")
        earlier = factors[:i]
        if any(f.name == factor.name for f in earlier):
            raise ValueError(f"factors[{i}].name = {factor.name!r}: used twice; names must be "
                             "unique")
        if factor.applied and any(f.path == factor.path for f in earlier):
            raise ValueError(f"factors[{i}].path = {factor.path!r}: varied by two factors; "
                             "each path once")


def _check_design(factors: Sequence[Factor], design: Any) -> None:
    if isinstance(design, ListDesign):
        _check_list_points(factors, design)
        return
    for i, factor in enumerate(factors):
        if factor.low is None and factor.levels is None:
            raise ValueError(f"factors[{i}].low = None: a {design.kind} design needs a range "
                             "(low and high) or levels for every factor")
        if isinstance(design, GridDesign) and factor.type == "int" and factor.is_range:
            whole = int(factor.high) - int(factor.low) + 1
            if design.points_per_factor > whole:
                raise ValueError(f"design.points_per_factor = {design.points_per_factor}: "
                                 f"factors[{i}] ({factor.name}, whole numbers {factor.low:g} to "
                                 f"{factor.high:g}) has only {whole} values; give it levels")


def _check_list_points(factors: Sequence[Factor], design: ListDesign) -> None:
    names = [f.name for f in factors]
    for k, point in enumerate(design.points):
        for key in point:
            if key not in names:
                raise ValueError(f"design.points[{k}].{key} = {point[key]!r}: not a factor "
                                 f"(factors: {', '.join(names)})")
        for factor in factors:
            where = f"design.points[{k}].{factor.name}"
            if factor.name not in point:
                raise ValueError(f"{where} = None: missing; every point gives every factor")
            value = point[factor.name]
            if factor.levels is not None and value not in factor.levels:
                raise ValueError(f"{where} = {value!r}: not one of the factor's levels "
                                 f"{list(factor.levels)!r}")
            if factor.is_range and not (isinstance(value, int | float)
                                        and not isinstance(value, bool)
                                        and factor.low <= value <= factor.high):
                raise ValueError(f"{where} = {value!r}: outside the factor's range "
                                 f"[{factor.low:g}, {factor.high:g}]")
            if factor.type == "int" and not (isinstance(value, int | float)
                                             and not isinstance(value, bool)
                                             and float(value).is_integer()):
                raise ValueError(f"{where} = {value!r}: must be a whole number (type: int)")


# --- loading -------------------------------------------------------------------------------

def shipped_sweeps() -> list[str]:
    """Names of the sweeps shipped with Catfish."""
    return SWEEP.shipped()


def resolve(name_or_path: str | Path) -> Path:
    """The file a name or path refers to: a path, else a shipped sweep's name."""
    return SWEEP.resolve(name_or_path)


def load_sweep(name_or_path: str | Path) -> SweepSpec:
    """Load and check a sweep from a file path or a shipped sweep's name.

    Raises:
        ScenarioError: One line naming the file, the path inside it, the value and the rule.
    """
    return loader.read_spec(name_or_path, SWEEP, parse_sweep)


def parse_sweep(data: Any, source: str | Path) -> SweepSpec:
    """Validate parsed data as a sweep; ``source`` names it in errors and anchors ``base``.

    Checks the schema, loads the base scenario, resolves every factor path against it and
    applies every range end and level (each alone, then all low ends together and all high
    ends together; for a list design, every point), so that problems surface before any run.

    Raises:
        ScenarioError: One line naming the file, the path inside it, the value and the rule.
    """
    source = Path(source)
    spec = loader.validate(data, source, SWEEP, SweepSpec, adjust=_without_design_tag)
    spec._path = source
    spec._base_path, spec._base = loader.load_base(spec.base, source)
    _check_against_base(spec, spec._base, source)
    return spec


def _without_design_tag(exc: ValidationError) -> ValidationError:
    """The same errors, with the union's tag taken out of ``design`` paths.

    Pydantic reports ``design.lhs.samples``; the file says ``design.samples``.
    """
    errors = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        if loc[:1] == ("design",):
            if len(loc) > 1 and loc[1] in DESIGN_KINDS:
                err = {**err, "loc": (loc[0], *loc[2:])}
            elif err["type"] == "union_tag_invalid":
                err = {"type": PydanticCustomError(
                    "design_kind", "must be one of {kinds}", {"kinds": ", ".join(DESIGN_KINDS)}),
                    "loc": ("design", "kind"), "input": err["input"].get("kind")}
            elif err["type"] == "union_tag_not_found":
                err = {"type": "missing", "loc": ("design", "kind"), "input": err["input"]}
        errors.append(err)
    try:
        return ValidationError.from_exception_data(exc.title, errors)
    except (KeyError, TypeError, ValueError):  # an error pydantic cannot rebuild: report as is
        return exc


def _check_against_base(spec: SweepSpec, base: Scenario, source: Path) -> None:
    """Every path exists in the base and every value the file names is allowed there."""
    applied = [(i, f) for i, f in enumerate(spec.factors) if f.applied]
    for i, factor in applied:
        try:
            target = resolve_path(base, factor.path)
        except ValueError as exc:
            raise ScenarioError(f"{source}: factors[{i}].path = {factor.path!r}: {exc}") from None
        if factor.is_range and target.kind not in ("int", "float"):
            raise ScenarioError(f"{source}: factors[{i}].low = {factor.low!r}: {factor.path} "
                                f"takes {KIND_WORDS[target.kind]}, not a range; give levels")
        if factor.is_range and target.kind == "int" and factor.type != "int":
            raise ScenarioError(f"{source}: factors[{i}].type = 'float': {factor.path} takes "
                                "whole numbers; add type: int")
        values = [("low", factor.typed(factor.low)), ("high", factor.typed(factor.high))] \
            if factor.is_range else [(f"levels[{j}]", factor.typed(v))
                                     for j, v in enumerate(factor.levels or ())]
        for where, value in values:
            try:
                apply_factors(base, {factor.path: value})
            except FactorError as exc:
                raise ScenarioError(f"{source}: factors[{i}].{where} = {value!r}: {exc.rule} "
                                    f"(for {factor.path})") from None
    seen: dict[tuple, str] = {}
    for i, factor in applied:
        location = resolve_path(base, factor.path).location
        if location in seen:
            raise ScenarioError(f"{source}: factors[{i}].path = {factor.path!r}: the same place "
                                f"as {seen[location]}; each place once")
        seen[location] = factor.path
    if isinstance(spec.design, ListDesign):
        for k, point in enumerate(spec.design.points):
            _check_together(base, spec.factors, point, f"{source}: design.points[{k}]")
        return
    for end in ("low", "high"):
        together = {f.name: f.typed(getattr(f, end)) if f.is_range
                    else f.levels[0 if end == "low" else -1] for f in spec.factors}
        _check_together(base, spec.factors, together, f"{source}: factors ({end} ends together)")


def _check_together(base: Scenario, factors: Sequence[Factor], values: Mapping[str, Any],
                    where: str) -> None:
    try:
        apply_factors(base, {f.path: values[f.name] for f in factors if f.applied})
    except FactorError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
