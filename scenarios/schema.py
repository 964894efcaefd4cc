"""What a scenario file may say: typed, frozen sections validated with pydantic.

The cluster and behaviour sections hold what officials do not control (uncertain, calibrated);
the policy mix holds their levers. ``Scenario.model_inputs()`` turns a scenario into the
``ModelParams`` and policy instruments that ``sim.run_one`` runs.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any, Literal

from catfish.scenarios import parameter_sets
from catfish.scenarios import start_state as starting
from catfish.scenarios.inputs import check_raw
from catfish.sim.calendar import MONTH_PATTERN, month_index
from catfish.sim.params import ModelParams, ParameterError
from catfish.sim.policy import REGISTRY, Instrument, parameter_problem
from catfish.sim.start_state import RESTING_NAMES, share_problem
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

MONTH = MONTH_PATTERN


class Section(BaseModel):
    """Base of every section: unknown keys are errors and values cannot change.

    What a section is given is checked before pydantic converts it
    (``scenarios.inputs.check_raw``): text without control or bidirectional-override
    characters, and no true/false, NaN or infinity where a number goes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _confined(cls, data: Any) -> Any:
        if isinstance(data, dict):
            check_raw(cls, data)
        return data


class Labels(Section):
    """Names shown to people, in Chinese and English."""

    zh: str = Field(min_length=1, max_length=200, description="Chinese")
    en: str = Field(min_length=1, max_length=200, description="English")


class SourceNote(Section):
    """Where a scenario's numbers come from."""

    document: str = Field(min_length=1, max_length=200, description="file name or citation")
    note: str = Field("", max_length=2000, description="what it says (a short quote)")
    note_zh: str = Field("", max_length=2000,
                         description="the note in Chinese (the Chinese report shows it)")


class Calendar(Section):
    """When the run starts, how long it runs, and when the target is judged."""

    start: str = Field(pattern=MONTH, description="first simulated month, YYYY-MM")
    months: int = Field(ge=1, le=600, description="months simulated")
    deadline: str = Field(pattern=MONTH, description="month at whose end the target is judged")

    @model_validator(mode="after")
    def _deadline_inside(self) -> Calendar:
        step = month_index(self.start, self.deadline)
        if not 1 <= step <= self.months:
            raise ValueError(f"deadline {self.deadline!r} is outside the simulated months "
                             f"({self.start} plus {self.months} months)")
        return self


class Target(Section):
    """What the government aims for."""

    firms: int = Field(ge=0, le=10_000_000)


class Budget(Section):
    """Public money the instruments may spend."""

    total_rmb: float = Field(ge=0, le=1e12)
    per_year_rmb: dict[int, float] = Field(
        default_factory=dict, json_schema_extra={"unit": "RMB/year"},
        description="most that may be spent in a calendar year, e.g. {2024: 20000000}; "
                    "unspent money does not carry over; years not listed: only the total limits")

    @field_validator("per_year_rmb")
    @classmethod
    def _years(cls, per_year: dict[int, float]) -> dict[int, float]:
        for year, amount in per_year.items():
            if not 1900 <= year <= 2200:
                raise ValueError(f"year {year}: must be between 1900 and 2200")
            if not 0 <= amount <= 1e12:
                raise ValueError(f"{year}: {amount!r} RMB: must be between 0 and 1e12")
        return per_year


class Sector(Section):
    """One sector of the cluster."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_\-]+$",
                      description="identifier used in outputs")
    share: float = Field(ge=0, le=1, description="share of the cluster's SMEs; shares sum to 1",
                         json_schema_extra={"unit": "share"})
    labels: Labels | None = Field(None, description="names for charts (zh, en)")


class SMEs(Section):
    """The cluster's SMEs."""

    count: int = Field(ge=10, le=2_000_000)
    sectors: tuple[Sector, ...] = Field(min_length=1, max_length=50,
                                        description="the sectors and their shares")
    revenue_median_rmb: float = Field(6e6, gt=0, le=1e11)
    revenue_sigma: float = Field(1.0, ge=0, le=3)
    talent_mean: float = Field(0.35, gt=0, lt=1)
    infrastructure_mean: float = Field(0.6, gt=0, lt=1)
    credit_access_mean: float = Field(0.4, gt=0, lt=1)
    cash_months: float = Field(1.5, ge=0, le=60)
    initial_willing_share: float = Field(0.0, ge=0, le=1)

    @field_validator("sectors")
    @classmethod
    def _shares_sum_to_one(cls, sectors: tuple[Sector, ...]) -> tuple[Sector, ...]:
        total = sum(s.share for s in sectors)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"sector shares sum to {total:g}; they must sum to 1")
        names = [s.name for s in sectors]
        if len(set(names)) != len(names):
            raise ValueError(f"sector names repeat: {names}")
        return sectors


DEFAULT_MAX_PROVIDERS = 40


class Providers(Section):
    """Service providers at the start, and how the market for them grows."""

    count: int = Field(10, ge=1, le=10_000)
    capacity: int = Field(8, ge=1, le=10_000, description="concurrent projects per provider")
    quality_mean: float = Field(0.5, gt=0, lt=1)
    specialist_share: float = Field(0.5, ge=0, le=1)
    max_count: int | None = Field(
        None, ge=1, le=100_000, description="initial plus entrants; at least count",
        json_schema_extra={"default_text": f"{DEFAULT_MAX_PROVIDERS}, or `count` if more",
                           "rule": "at least `count`"})

    @model_validator(mode="after")
    def _room_for_the_initial(self) -> Providers:
        if self.max_count is not None and self.max_count < self.count:
            raise ValueError(f"max_count = {self.max_count}: must be at least count "
                             f"({self.count})")
        return self

    @property
    def limit(self) -> int:
        """Most providers there may be: ``max_count``, or its default for ``count``."""
        return self.max_count if self.max_count is not None \
            else max(DEFAULT_MAX_PROVIDERS, self.count)


class CentralFactory(Section):
    """A lead unit's demonstration plant competing on real orders."""

    opening: str | None = Field(None, pattern=MONTH, json_schema_extra={"unit": "YYYY-MM"},
                                description="month it starts operating; null: no factory")
    sectors: tuple[str, ...] = Field((), description="sectors whose first lead firm runs one "
                                                     "(empty: every sector)")
    cost_cut: float = Field(0.25, ge=0, lt=1)
    quality_gain: float = Field(0.15, ge=0, le=2)
    visits_per_month: float = Field(0.0, ge=0, le=1e6, description=(
        "walk-in visitors (people) a month besides organised exchange sessions"))


class LeadFirms(Section):
    """Lead firms of each sector, their suppliers and their central factory."""

    per_sector: int = Field(1, ge=0, le=20)
    market_share: float = Field(0.05, ge=0, le=0.5, description="each, of its sector")
    suppliers_each: int = Field(30, ge=0, le=1_000_000)
    central_factory: CentralFactory = Field(
        CentralFactory(), description="the demonstration plant of the first lead firm of each "
                                      "sector named")


class Network(Section):
    """Whom firms watch."""

    type: Literal["small_world", "complete"] = "small_world"
    mean_degree: int = Field(8, ge=0, le=200)
    rewire_prob: float = Field(0.1, ge=0, le=1)


class Span(Section):
    """A uniform range a city-level trait is drawn from."""

    low: float = Field(ge=-1e6, le=1e6)
    high: float = Field(ge=-1e6, le=1e6)

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.low > self.high:
            raise ValueError(f"low = {self.low!r}: must not be above high ({self.high!r})")
        return self


class Cities(Section):
    """How the cities a scenario stands for differ from it (scenarios/cities.py).

    A scenario describes one typical city; its ``cities`` section says how far other cities of
    the same kind may lie from it. ``catfish calibrate`` draws an ensemble of cities from these
    ranges (every trait uniform, independently), so that a statistic over many cities (how
    many lag behind) can be computed. Each neutral value (factor 1, shift 0, delay 0) must lie
    inside its range: the scenario itself is one of its cities.
    """

    promotion_factor: Span = Field(Span(low=1, high=1), description=(
        "multiplies promotion_per_year: how hard the city promotes the pilot"),
        json_schema_extra={"unit": "factor"})
    providers_factor: Span = Field(Span(low=1, high=1), description=(
        "multiplies the providers at the start and their limit: the city's provider market"),
        json_schema_extra={"unit": "factor"})
    start_delay_months: Span = Field(Span(low=0, high=0), description=(
        "whole months by which every instrument's start (or opening) is later: how long "
        "plans, provider pools and the first money took"), json_schema_extra={"unit": "months"})
    readiness_shift: Span = Field(Span(low=0, high=0), description=(
        "added to the firms' mean talent and infrastructure: how ready the city's firms are"),
        json_schema_extra={"unit": "index 0-1"})
    note: str = Field("", max_length=2000, description="where the ranges come from")

    @model_validator(mode="after")
    def _neutral_inside(self) -> Cities:
        for name, neutral in (("promotion_factor", 1.0), ("providers_factor", 1.0),
                              ("start_delay_months", 0.0), ("readiness_shift", 0.0)):
            span = getattr(self, name)
            if not span.low <= neutral <= span.high:
                raise ValueError(f"{name} = [{span.low:g}, {span.high:g}]: must contain "
                                 f"{neutral:g} (the scenario's own city)")
        if self.promotion_factor.low < 0 or self.providers_factor.low <= 0:
            raise ValueError("promotion_factor and providers_factor: factors must be above 0")
        if self.start_delay_months.low < 0 or self.start_delay_months.high > 120:
            raise ValueError(f"start_delay_months = [{self.start_delay_months.low:g}, "
                             f"{self.start_delay_months.high:g}]: must lie in 0-120 months")
        if not -0.5 <= self.readiness_shift.low <= self.readiness_shift.high <= 0.5:
            raise ValueError(f"readiness_shift = [{self.readiness_shift.low:g}, "
                             f"{self.readiness_shift.high:g}]: must lie in -0.5 to 0.5")
        return self


class Cluster(Section):
    """The cluster: firms, providers, lead firms, networks."""

    smes: SMEs = Field(description="the firms that may transform")
    providers: Providers = Field(Providers(), description="service providers")
    lead_firms: LeadFirms = Field(LeadFirms(), description="lead firms and central factories")
    network: Network = Field(Network(), description="peer network within each sector")


class Behaviour(Section):
    """Behavioural parameters: a named parameter set plus overrides of ModelParams fields."""

    parameter_set: str = Field(
        "default", max_length=80,
        description="name of a shipped set of behavioural parameters: `default` "
                    "(docs/parameters.md) or a set shipped in scenarios/parameter_sets/, such "
                    "as `calibrated` (the calibrated posterior's medians, docs/calibration.md); "
                    "not a path: values of your own go in `overrides`")
    overrides: dict[str, Any] = Field(default_factory=dict,
                                      description="model parameter name -> value")

    @field_validator("parameter_set", mode="before")  # before the length: a path is no name
    @classmethod
    def _known_set(cls, name: Any) -> Any:
        if not isinstance(name, str):
            return name  # the field's type says what is wrong
        chosen = parameter_sets.values(name)  # raises on an unknown name or a bad file
        for field in chosen:
            if field in SCENARIO_OWNED:
                raise ValueError(f"parameter set {name!r} sets {field!r}, which another section "
                                 f"of the scenario sets ({SCENARIO_OWNED[field]})")
        return name

    @field_validator("overrides")
    @classmethod
    def _known_fields(cls, overrides: dict[str, Any]) -> dict[str, Any]:
        known = ModelParams.model_fields
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"{name!r} is not a model parameter (see docs/parameters.md)")
            if name in SCENARIO_OWNED:
                raise ValueError(f"{name!r} is set by another section of the scenario "
                                 f"({SCENARIO_OWNED[name]}), not by behaviour.overrides")
            try:  # each value alone, so the message names it here ("overrides.x = ...")
                ModelParams(**{name: value})
            except ParameterError as exc:
                raise ValueError(str(exc).removeprefix("ModelParams.")
                                 .removeprefix("ModelParams: ")) from None
        return overrides


class PolicySpec(Section):
    """One instrument of the policy mix: its registry name plus its own parameters."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    instrument: str = Field(description="registry name of the instrument (below), followed by "
                                        "its parameters")

    @field_validator("instrument")
    @classmethod
    def _registered(cls, name: str) -> str:
        if name not in REGISTRY:
            raise ValueError(f"unknown instrument {name!r}; known: {', '.join(sorted(REGISTRY))}")
        return name

    @model_validator(mode="after")
    def _numbers(self) -> PolicySpec:
        # the parameters are extra keys, so pydantic has not judged their numbers yet
        problem = parameter_problem(REGISTRY[self.instrument], self.parameters())
        if problem is not None:
            raise ValueError(problem)
        return self

    def parameters(self) -> dict[str, Any]:
        """The instrument's own parameters (everything but ``instrument``)."""
        return dict(self.model_extra or {})


class StartState(Section):
    """Where one sector's firms start: another scenario's end state, or stated shares.

    Without an entry a sector's firms start unaware (or willing: ``initial_willing_share``).
    """

    sector: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_\-]+$",
                        description="a sector of cluster.smes.sectors")
    from_scenario: str | None = Field(
        None, min_length=1, max_length=80,
        description="a shipped scenario whose end state the sector starts from: run as shipped "
                    "(its own parameters and policy mix) with `seed` to its last month; its "
                    "queued firms and firms in a first project start willing")
    from_sector: str | None = Field(None, min_length=1, max_length=60,
                                    description="its sector whose end state is taken "
                                                "(default: `sector`)")
    seed: int = Field(starting.SEED, ge=0, le=10**9,
                      description="seed of that run: fixed, so every replicate and policy mix "
                                  "starts from the same state")
    shares: dict[str, float] | None = Field(
        None, json_schema_extra={"unit": "share",
                                 "rule": "from_scenario or shares; shares sum to at most 1"},
        description="instead of from_scenario: share of the sector's firms in each state "
                    "(unaware, willing, transformed, failed, lapsed); the rest start unaware")

    @model_validator(mode="after")
    def _one_source(self) -> StartState:
        if self.shares is None:
            if self.from_scenario is None:
                raise ValueError("from_scenario = None: give from_scenario (a shipped scenario) "
                                 "or shares (state -> share of the sector's firms)")
            return self
        if self.from_scenario is not None or self.from_sector is not None:
            raise ValueError(f"shares = {self.shares}: give shares or from_scenario "
                             f"(with from_sector), not both")
        for state in self.shares:
            if state not in RESTING_NAMES:
                raise ValueError(f"shares = {self.shares}: {state!r} is not a starting state "
                                 f"(allowed: {', '.join(RESTING_NAMES)}; running projects and "
                                 f"queues would need a provider)")
        problem = share_problem(self.shares)
        if problem is not None:
            raise ValueError(f"shares = {self.shares}: {problem}")
        return self

    def starting_shares(self) -> dict[str, float]:
        """The sector's starting shares (``ModelParams.start_shares`` of one sector)."""
        if self.shares is not None:
            return dict(self.shares)
        assert self.from_scenario is not None  # _one_source
        return starting.start_shares(self.from_scenario, self.from_sector or self.sector,
                                     self.seed)


class Scenario(Section):
    """A whole scenario: cluster, behaviour, calendar, target, budget and policy mix."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9\-]*$",
                      description="identifier; a shipped scenario's file is NAME.yaml")
    labels: Labels = Field(description="title shown to people")
    description: str = Field("", max_length=5000, description="what the scenario represents")
    description_zh: str = Field("", max_length=5000,
                                description="the description in Chinese (the Chinese report "
                                            "shows it)")
    sources: tuple[SourceNote, ...] = Field((), description="documents its numbers come from")
    calendar: Calendar = Field(description="start, length, deadline")
    target: Target = Field(description="the government's target")
    budget: Budget = Field(description="public money for the policy mix")
    cluster: Cluster = Field(description="the cluster (uncertain, not a policy lever)")
    start_state: tuple[StartState, ...] = Field(
        (), max_length=50, description="where sectors start (one entry per sector at most): "
                                       "another scenario's end state or stated shares")
    behaviour: Behaviour = Field(Behaviour(), description="behavioural parameters")
    policies: tuple[PolicySpec, ...] = Field((), description="the policy mix, in order")
    cities: Cities | None = Field(None, description="how the cities this scenario stands for "
                                                   "differ from it (calibration's ensemble)")

    @model_validator(mode="after")
    def _factory_sectors_exist(self) -> Scenario:
        names = [x.name for x in self.cluster.smes.sectors]
        for name in self.cluster.lead_firms.central_factory.sectors:
            if name not in names:
                raise ValueError(f"cluster.lead_firms.central_factory.sectors = {name!r}: not a "
                                 f"sector of cluster.smes.sectors ({', '.join(names)})")
        return self

    @model_validator(mode="after")
    def _start_state_sectors(self) -> Scenario:
        names = [x.name for x in self.cluster.smes.sectors]
        named: set[str] = set()
        for i, entry in enumerate(self.start_state):
            where = f"start_state[{i}]"
            if entry.sector not in names:
                raise ValueError(f"{where}.sector = {entry.sector!r}: not a sector of "
                                 f"cluster.smes.sectors ({', '.join(names)})")
            if entry.sector in named:
                raise ValueError(f"{where}.sector = {entry.sector!r}: named twice; a sector "
                                 f"has one starting state")
            named.add(entry.sector)
            if entry.from_scenario is not None:
                problem = starting.source_problem(self.name, entry.from_scenario,
                                                  entry.from_sector or entry.sector)
                if problem is not None:
                    raise ValueError(f"{where}.{problem}")
        return self

    def model_params(self) -> ModelParams:
        """The ``ModelParams`` this scenario describes."""
        return self._model_params

    @functools.cached_property
    def _model_params(self) -> ModelParams:
        # made once per scenario object (they are immutable: runs share them), as validating
        # them costs a sizeable part of a small run; model_copy forgets them
        values = {param: _get(self, path) for path, param in PARAM_OF.items()}
        cal, s = self.calendar, self.cluster.smes
        opening = self.cluster.lead_firms.central_factory.opening
        opening_month = month_index(cal.start, opening) if opening else 0
        values.update({
            "start_month": cal.start,
            "deadline_month": month_index(cal.start, cal.deadline),
            "sector_names": tuple(x.name for x in s.sectors),
            "sector_shares": tuple(x.share for x in s.sectors),
            "central_factory_sectors": self.cluster.lead_firms.central_factory.sectors,
            "budget_per_year_rmb": self.budget.per_year_rmb,
            # a factory opening before the start operates from month 1; after the end, never
            "central_factory_month": max(opening_month, 1) if 0 < opening_month <= cal.months
            or (opening and opening_month < 1) else 0,
            "max_providers": self.cluster.providers.limit,
            # another scenario's end state runs once per process (scenarios/start_state.py)
            "start_shares": {x.sector: x.starting_shares() for x in self.start_state},
        })
        behaviour = {**parameter_sets.values(self.behaviour.parameter_set),
                     **self.behaviour.overrides}
        return ModelParams(**{**behaviour, **values})

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> Scenario:
        """A copy (see pydantic), which makes its own ``ModelParams`` from its own fields."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("_model_params", None)
        copied.__dict__.pop("_validated_instruments", None)
        return copied

    def instruments(self) -> list[Instrument]:
        """Fresh instrument objects of the policy mix (instruments keep run state)."""
        return [copy.copy(instrument) for instrument in self._validated_instruments]

    @functools.cached_property
    def _validated_instruments(self) -> tuple[Instrument, ...]:
        # validated like the file was, so values are coerced the same way ("1e9" -> 1e9), once
        # per scenario object: validating costs a run of a city about 1 %. These are never set
        # up, so their copies start without run state (their fields are numbers and strings)
        return tuple(_adapter(p.instrument).validate_python(p.parameters())
                     for p in self.policies)

    def model_inputs(self) -> tuple[ModelParams, list[Instrument]]:
        """Parameters and policy mix, as ``sim.run_one`` expects."""
        return self.model_params(), self.instruments()


@functools.cache
def _adapter(name: str) -> TypeAdapter:
    return TypeAdapter(REGISTRY[name])


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


# Scenario fields that map one to one onto ModelParams fields (units and meaning as there)
PARAM_OF = {
    "calendar.months": "months",
    "target.firms": "target_firms",
    "budget.total_rmb": "budget_rmb",
    "cluster.smes.count": "n_smes",
    "cluster.smes.revenue_median_rmb": "revenue_median_rmb",
    "cluster.smes.revenue_sigma": "revenue_sigma",
    "cluster.smes.talent_mean": "talent_mean",
    "cluster.smes.infrastructure_mean": "infrastructure_mean",
    "cluster.smes.credit_access_mean": "credit_access_mean",
    "cluster.smes.cash_months": "cash_months",
    "cluster.smes.initial_willing_share": "initial_willing_share",
    "cluster.providers.count": "n_providers",
    "cluster.providers.capacity": "provider_capacity",
    "cluster.providers.quality_mean": "provider_quality_mean",
    "cluster.providers.specialist_share": "provider_specialist_share",
    "cluster.providers.max_count": "max_providers",
    "cluster.lead_firms.per_sector": "n_lead_firms_per_sector",
    "cluster.lead_firms.market_share": "lead_firm_market_share",
    "cluster.lead_firms.suppliers_each": "suppliers_per_lead_firm",
    "cluster.lead_firms.central_factory.cost_cut": "central_factory_cost_cut",
    "cluster.lead_firms.central_factory.quality_gain": "central_factory_quality_gain",
    "cluster.lead_firms.central_factory.visits_per_month": "visits_per_month",
    "cluster.network.type": "network",
    "cluster.network.mean_degree": "peer_mean_degree",
    "cluster.network.rewire_prob": "rewire_prob",
}

# ModelParams fields that scenario sections set (behaviour.overrides may not)
SCENARIO_OWNED = {
    **{param: path.rsplit(".", 1)[0] for path, param in PARAM_OF.items()},
    "start_month": "calendar", "deadline_month": "calendar",
    "sector_names": "cluster.smes", "sector_shares": "cluster.smes",
    "central_factory_month": "cluster.lead_firms.central_factory",
    "central_factory_sectors": "cluster.lead_firms.central_factory",
    "budget_per_year_rmb": "budget",
    "start_shares": "start_state",
}
