"""What a scenario file may say: typed, frozen sections validated with pydantic.

The cluster and behaviour sections hold what officials do not control (uncertain, calibrated);
the policy mix holds their levers. ``Scenario.model_inputs()`` turns a scenario into the
``ModelParams`` and policy instruments that ``sim.run_one`` runs.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from scenarios import parameter_sets
from scenarios.inputs import check_raw
from sim.calendar import MONTH_PATTERN, month_index
from sim.params import ModelParams, ParameterError
from sim.policy import REGISTRY, Instrument, parameter_problem

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
    visits_per_month: float = Field(167.0, ge=0, le=1e6)


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
    behaviour: Behaviour = Field(Behaviour(), description="behavioural parameters")
    policies: tuple[PolicySpec, ...] = Field((), description="the policy mix, in order")

    @model_validator(mode="after")
    def _factory_sectors_exist(self) -> Scenario:
        names = [x.name for x in self.cluster.smes.sectors]
        for name in self.cluster.lead_firms.central_factory.sectors:
            if name not in names:
                raise ValueError(f"cluster.lead_firms.central_factory.sectors = {name!r}: not a "
                                 f"sector of cluster.smes.sectors ({', '.join(names)})")
        return self

    def model_params(self) -> ModelParams:
        """The ``ModelParams`` this scenario describes."""
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
        })
        behaviour = {**parameter_sets.values(self.behaviour.parameter_set),
                     **self.behaviour.overrides}
        return ModelParams(**{**behaviour, **values})

    def instruments(self) -> list[Instrument]:
        """Fresh instrument objects of the policy mix (instruments keep run state)."""
        # validated like the file was, so values are coerced the same way ("1e9" -> 1e9)
        return [_adapter(p.instrument).validate_python(p.parameters()) for p in self.policies]

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
}
