"""The model's parameters: one typed, frozen, validated object.

Every field carries a unit, a default and, where the source documents give one, the source.
Sources name the document in ``docs/sources.md`` (000 Jieyang plastics cluster, 001 national
city pilots, 002 Jieyang city reply, 003 Guangdong 2020 plan, 004 Shenzhen) or say
"assumption" / "Bass meta-analysis"; assumed values are what calibration replaces.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Literal

from catfish.sim.checks import number_problem, numeric_fields
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ParameterError(ValueError):
    """A parameter value outside what the model accepts; the message is one line."""


def _field(default: Any, unit: str, doc: str, source: str = "assumption", **bounds: Any) -> Any:
    return Field(default, description=doc, json_schema_extra={"unit": unit, "source": source}, **bounds)


class ModelParams(BaseModel):
    """All parameters of ``ClusterModel``; see ``docs/model.md`` for the equations they enter.

    Build with keyword arguments; a bad value raises :class:`ParameterError` naming the field,
    the value and what is allowed. Use :meth:`replace` to derive a variant.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    # --- calendar, target, budget -------------------------------------------------------
    n_smes: int = _field(1000, "firms", "Number of SMEs in the cluster.", "000 (Jieyang plastics cluster, order of magnitude)", ge=10, le=2_000_000)
    months: int = _field(36, "months", "Months simulated (one step is one month).", ge=1, le=600)
    start_month: str = _field("2020-05", "YYYY-MM", "Calendar month of step 1.", "000: cluster pilot launched May 2020", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    deadline_month: int = _field(36, "months", "Step at which the target is judged.", ge=1, le=600)
    target_firms: int = _field(200, "firms", "Transformed firms the government aims for by the deadline.", "002: Jieyang target 200+ firms by 2025", ge=0)
    budget_rmb: float = _field(50e6, "RMB", "Total budget the policy instruments may spend.", "002: 50 M RMB provincial funds", ge=0)
    budget_per_year_rmb: dict[int, float] = Field(default_factory=dict, description="Most the instruments may spend in a calendar year (year -> RMB); years not listed are limited by the total only.", json_schema_extra={"unit": "RMB/year", "source": "scenario"})

    # --- the cluster -------------------------------------------------------------------
    sector_names: tuple[str, ...] = _field(("plastics",), "-", "Sector names.", "000")
    sector_shares: tuple[float, ...] = _field((1.0,), "share", "Share of SMEs in each sector; sums to 1.")
    revenue_median_rmb: float = _field(6e6, "RMB/year", "Median annual revenue of an SME (lognormal).", gt=0)
    revenue_sigma: float = _field(1.0, "log RMB", "Dispersion (sigma of log revenue).", ge=0, le=3)
    above_size_revenue_rmb: float = _field(20e6, "RMB/year", "Revenue at which a firm is above designated size.", "glossary: 规上企业 >= 20 M RMB", gt=0)
    talent_mean: float = _field(0.35, "index 0-1", "Mean digital talent (beta distributed).", "001: more than half of firms lack digital talent", gt=0, lt=1)
    infrastructure_mean: float = _field(0.6, "index 0-1", "Mean infrastructure readiness (beta distributed).", "002: 5G penetration 50.4 %", gt=0, lt=1)
    credit_access_mean: float = _field(0.4, "index 0-1", "Mean credit access (beta distributed).", "004: SMEs lack collateral and credit records", gt=0, lt=1)
    trait_concentration: float = _field(6.0, "-", "Beta concentration (a+b) of talent, infrastructure and credit access.", gt=0)
    cash_months: float = _field(1.5, "months of revenue", "Free cash a firm can put into a project.", ge=0)
    initial_willing_share: float = _field(0.0, "share", "Share of SMEs already willing to transform when the run starts (a cluster with years of exposure before it).", "scenario", ge=0, le=1)
    start_shares: dict[str, dict[str, float]] = Field(default_factory=dict, description="Starting state of named sectors (sector -> state -> share of its firms): the resting states unaware, willing, transformed, failed, lapsed, and deep (the part of transformed holding a deep project); the rest start unaware. Empty: every firm starts unaware (or willing, initial_willing_share). See sim/start_state.py.", json_schema_extra={"unit": "share", "source": "scenario"})
    credit_limit_share: float = _field(0.15, "share of revenue", "Credit limit of a firm with full credit access.", ge=0, le=2)

    # --- networks ----------------------------------------------------------------------
    network: Literal["small_world", "complete"] = _field("small_world", "-", "Peer network within a sector: small world or complete graph (mean field).")
    peer_mean_degree: int = _field(8, "peers", "Mean number of peers a firm watches (small world).", ge=0, le=200)
    rewire_prob: float = _field(0.1, "probability", "Watts-Strogatz rewiring probability.", ge=0, le=1)
    n_lead_firms_per_sector: int = _field(1, "firms", "Lead firms in each sector's market.", "002: 2 lead units per sector", ge=0, le=20)
    lead_firm_market_share: float = _field(0.05, "share", "Baseline market share of each lead firm in its sector.", ge=0, le=0.5)
    suppliers_per_lead_firm: int = _field(30, "firms", "SMEs tied to each lead firm as suppliers.", "003: >= 20 firms onto the platform; 001: 50+ suppliers", ge=0)
    chain_exposure_weight: float = _field(2.0, "peers", "A supplier sees its lead firm's transformation as this many successful peers.", ge=0)

    # --- central factory (the lead firm's demonstration plant) -------------------------
    central_factory_sectors: tuple[str, ...] = _field((), "-", "Sectors whose lead firms run a central factory (empty: every sector).", "000: plastics only")
    central_factory_month: int = _field(7, "months", "Step at which the central factory starts operating (0: never).", "000: in production Nov 2020", ge=0, le=600)
    central_factory_cost_cut: float = _field(0.25, "share", "Unit-cost reduction of the central factory.", "000: production cost -25 %", ge=0, lt=1)
    central_factory_quality_gain: float = _field(0.15, "share", "Quality gain of the central factory.", "000: quality +15 %", ge=0, le=2)
    visits_per_month: float = _field(0.0, "visitors/month", "Walk-in visitors (people) to each central factory from its sector, besides organised exchange sessions (the exchange_sessions instrument).", "000: visitors came through 10 exchange sessions (500+ in 3 months), modelled as the instrument", ge=0)

    # --- mechanism switches (docking and ablation) ------------------------------------
    promotion_on: bool = _field(True, "-", "Outside promotion drives willingness.")
    peer_effect_on: bool = _field(True, "-", "Peers' successful transformations drive willingness.")
    demonstration_on: bool = _field(True, "-", "Central-factory visits drive willingness.")
    competition_on: bool = _field(True, "-", "Lost orders drive willingness.")
    economic_gate_on: bool = _field(True, "-", "Willing firms decide on NPV, liquidity and risk (off: every willing firm starts).")
    stages_on: bool = _field(True, "-", "Projects run through stages with failure hazards (off: instant success).")
    provider_capacity_on: bool = _field(True, "-", "Providers' capacity limits concurrent projects (off: no queue).")
    market_on: bool = _field(True, "-", "Sector demand is shared by competitiveness (off: revenue fixed).")
    beliefs_on: bool = _field(True, "-", "Expected benefit and failure risk are updated from observed peers.")
    lapse_on: bool = _field(True, "-", "Transformed firms may lapse.")
    retry_on: bool = _field(True, "-", "Failed or lapsed firms may retry after a cooldown.")
    acceptance_on: bool = _field(True, "-", "Only projects with verified gains count (off: every completed project counts).")
    adopt_when_willing: bool = _field(False, "-", "Bass docking: a firm counts as adopted as soon as it is willing.")

    # --- willingness hazard ------------------------------------------------------------
    promotion_per_year: float = _field(0.03, "1/year", "Bass innovation coefficient p (outside promotion).", "Bass meta-analysis (Sultan et al. 1990): p ~ 0.03", ge=0, le=5)
    peer_effect_per_year: float = _field(0.38, "1/year", "Bass imitation coefficient q (per unit share of successful peers).", "Bass meta-analysis: q ~ 0.38", ge=0, le=20)
    visit_conversion_prob: float = _field(0.03, "probability", "Chance that a firm's first visit makes it willing.", ge=0, le=1)
    people_per_visiting_firm: float = _field(2.0, "people", "Visitors a visiting firm sends on average: visits are counted in people, as the sources count them.", "000: more than 500 industry visitors (行业人士) in 3 months; several may come from one firm", ge=1, le=50)
    revisit_conviction: float = _field(0.5, "share", "How much a firm's next visit persuades it, relative to its previous one (1: every visit a fresh chance; 0: only the first can).", ge=0, le=1)
    competition_per_year: float = _field(1.0, "1/year", "Hazard per unit share of orders lost since the start.", ge=0, le=50)

    # --- the economic decision ---------------------------------------------------------
    light_cost_rmb: float = _field(0.3e6, "RMB", "Cost of a light (small-fast-light-precise) project for a median firm.", "001/004: light solutions; value assumed", gt=0)
    deep_cost_rmb: float = _field(1.5e6, "RMB", "Cost of a deep project for a median firm.", "004: a deeper project costs about 1.5 M RMB", gt=0)
    cost_size_elasticity: float = _field(0.5, "-", "Project cost scales with (revenue / median revenue) to this power.", ge=0, le=1)
    light_cost_cut: float = _field(0.15, "share", "Cut in the unit cost of the processes a light project changes (at the expected gain).", "001: Sichuan's funded SMEs' production efficiency +29 %", ge=0, lt=1)
    deep_cost_cut: float = _field(0.20, "share", "Cut in the unit cost of the processes a deep project changes (at the expected gain).", "001: production cost -20 % (Deyang), processing cost -18 % (Yinci)", ge=0, lt=1)
    light_process_share: float = _field(0.12, "share", "Share of a firm's variable costs in the processes a light project changes.", "004: MVP approach, 1-2 key processes first", gt=0, le=1)
    deep_process_share: float = _field(0.35, "share", "Share of a firm's variable costs in the processes a deep project changes.", gt=0, le=1)
    light_quality_gain: float = _field(0.03, "share", "Quality gain after an accepted light project.", ge=0, le=2)
    deep_quality_gain: float = _field(0.10, "share", "Quality gain after an accepted deep project.", "000: quality +15 % (central factory)", ge=0, le=2)
    horizon_years: float = _field(7.0, "years", "Horizon over which a firm values the benefit.", gt=0, le=30)
    discount_rate: float = _field(0.08, "1/year", "Firms' discount rate.", ge=0, le=1)
    loan_rate: float = _field(0.06, "1/year", "Interest rate on a project loan.", ge=0, le=1)
    loan_years: float = _field(3.0, "years", "Years a project loan runs (interest is paid on the full amount).", gt=0, le=20)
    contribution_margin: float = _field(0.15, "share", "Profit lost per RMB of lost revenue.", ge=0, le=1)
    risk_aversion: float = _field(5.0, "-", "Relative risk aversion: Var[NPV] is weighed against the firm's annual revenue.", ge=0, le=100)
    hurdle_sd: float = _field(0.3, "share of cost", "Spread of firms' idiosyncratic hurdle (required NPV per RMB of cost).", ge=0, le=5)
    prior_failure_belief: float = _field(0.35, "probability", "Failure probability a firm believes before seeing peers.", "001: risk can't be borne", ge=0, le=1)
    prior_benefit_belief: float = _field(0.6, "share", "Share of the true benefit a firm expects before seeing peers.", "001: value can't be calculated; 004: 21 % unclear about the value", ge=0, le=2)
    prior_belief_weight: float = _field(3.0, "observations", "Pseudo-observations behind the priors.", gt=0)
    deep_infrastructure_min: float = _field(0.4, "index 0-1", "Infrastructure readiness a deep project needs.", "004: 'cannot' barrier", ge=0, le=1)

    # --- projects, stages, failure ----------------------------------------------------
    light_stage_months: tuple[int, int, int] = _field((1, 2, 1), "months", "Duration of the early, middle and late stages of a light project.")
    deep_stage_months: tuple[int, int, int] = _field((3, 6, 3), "months", "Duration of the early, middle and late stages of a deep project.")
    early_failure_prob: float = _field(0.12, "probability", "Failure probability over the early stage for an average deep project.", "001: 90 % of failures in early and middle stages", ge=0, lt=1)
    middle_failure_prob: float = _field(0.18, "probability", "Failure probability over the middle stage for an average deep project.", "001: the middle stage is the watershed", ge=0, lt=1)
    late_failure_prob: float = _field(0.02, "probability", "Failure probability over the late stage for an average deep project.", "001: 90 % of failures in early and middle stages", ge=0, lt=1)
    light_failure_factor: float = _field(0.5, "-", "Light projects' failure odds relative to deep ones.", gt=0, le=5)
    talent_effect: float = _field(1.5, "log-odds per unit", "Lower failure odds per unit of digital talent above the mean.", ge=0)
    provider_quality_effect: float = _field(1.5, "log-odds per unit", "Lower failure odds per unit of provider quality above 0.5.", ge=0)
    fit_effect: float = _field(1.0, "log-odds per unit", "Lower failure odds when the provider specialises in the firm's sector.", ge=0)
    hardware_only_share: float = _field(0.03, "share", "Share of projects that are hardware-only purchases (no verified gains; rejected at acceptance).", "001: hardware-only purchases must not count", ge=0, le=1)
    realised_gain_sd: float = _field(0.4, "-", "Dispersion of a project's realised gain around its expected value (lognormal sigma).", ge=0, le=3)
    verified_gain_min: float = _field(0.3, "share of expected gain", "Realised gain below which acceptance finds no verified gain.", "001: judge by data", ge=0, le=5)

    # --- providers ----------------------------------------------------------------------
    n_providers: int = _field(10, "providers", "Service providers at the start.", ge=1, le=10_000)
    provider_capacity: int = _field(8, "projects", "Concurrent projects one provider can run.", ge=1)
    provider_quality_mean: float = _field(0.5, "index 0-1", "Mean provider quality (beta distributed).", gt=0, lt=1)
    provider_specialist_share: float = _field(0.5, "share", "Share of providers specialised in one sector.", ge=0, le=1)
    provider_entry_on: bool = _field(True, "-", "New providers enter when the queue stays long.")
    provider_entry_lag_months: int = _field(6, "months", "Months a long queue must last before a provider enters.", ge=1)
    max_providers: int = _field(40, "providers", "Upper limit on providers (initial plus entrants).", ge=1)

    # --- lapse and retry ----------------------------------------------------------------
    lapse_per_year: float = _field(0.08, "1/year", "Lapse hazard of a transformed firm with zero talent (halved at talent 0.5).", "001: 'built in a gust, empty afterwards'", ge=0, le=5)
    cooldown_months: int = _field(12, "months", "Months before a failed or lapsed firm reconsiders.", ge=0)
    retry_prob: float = _field(0.5, "probability", "Chance a firm reconsiders after the cooldown (otherwise it becomes unwilling).", ge=0, le=1)

    # --- market -------------------------------------------------------------------------
    cost_sensitivity: float = _field(3.0, "-", "Elasticity of market share to unit cost.", ge=0, le=20)
    quality_sensitivity: float = _field(2.0, "-", "Elasticity of market share to quality.", ge=0, le=20)
    demand_growth_per_year: float = _field(0.0, "1/year", "Growth of each sector's demand.", ge=-0.5, le=1)

    @model_validator(mode="before")
    @classmethod
    def _numbers(cls, data: Any) -> Any:
        # before pydantic converts: it would take true for 1 and NaN where no bound stops it
        if isinstance(data, dict):
            judged = _numeric_fields()
            for name, value in data.items():
                problem = number_problem(judged[name], value) if name in judged else None
                if problem is not None:
                    raise ValueError(f"{name} = {value!r}: {problem}")
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ModelParams:
        if len(self.sector_shares) != len(self.sector_names) or not self.sector_names:
            raise ValueError(
                f"sector_shares has {len(self.sector_shares)} entries and sector_names "
                f"{len(self.sector_names)}: give one share per sector")
        if any(s < 0 for s in self.sector_shares) or abs(sum(self.sector_shares) - 1) > 1e-6:
            raise ValueError(f"sector_shares = {list(self.sector_shares)}: must be >= 0 and sum to 1")
        for name in ("light_stage_months", "deep_stage_months"):
            if any(m < 1 for m in getattr(self, name)):
                raise ValueError(f"{name} = {list(getattr(self, name))}: each stage lasts >= 1 month")
        if self.max_providers < self.n_providers:
            raise ValueError(f"max_providers = {self.max_providers}: must be >= n_providers ({self.n_providers})")
        unknown = [x for x in self.central_factory_sectors if x not in self.sector_names]
        if unknown:
            raise ValueError(f"central_factory_sectors = {list(self.central_factory_sectors)}: "
                             f"{unknown[0]!r} is not a sector (sectors: {list(self.sector_names)})")
        bad_years = {y: v for y, v in self.budget_per_year_rmb.items()
                     if not (1900 <= y <= 2200 and v >= 0)}
        if bad_years:
            raise ValueError(f"budget_per_year_rmb = {bad_years}: years 1900-2200, amounts >= 0")
        if self.start_shares:
            from catfish.sim.start_state import share_problem  # it needs the rules of projects
            for sector, shares in self.start_shares.items():
                if sector not in self.sector_names:
                    raise ValueError(f"start_shares = {self.start_shares}: {sector!r} is not a "
                                     f"sector (sectors: {list(self.sector_names)})")
                problem = share_problem(shares)
                if problem is not None:
                    raise ValueError(f"start_shares = {self.start_shares}: {sector}: {problem}")
        if self.deadline_month > self.months:
            raise ValueError(f"deadline_month = {self.deadline_month}: must be <= months ({self.months})")
        return self

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ParameterError(describe_validation_error(exc, "ModelParams")) from None

    def replace(self, **changes: Any) -> ModelParams:
        """Return a validated copy with ``changes`` applied (unknown names are an error)."""
        return type(self)(**{**self.model_dump(), **changes})

    @classmethod
    def field_table(cls) -> list[dict[str, Any]]:
        """Name, default, unit, description and source of every field, in declaration order."""
        rows = []
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra or {}
            # fields with a default factory (mappings) show what it makes, not a placeholder
            rows.append({"name": name, "default": info.get_default(call_default_factory=True),
                         "unit": extra.get("unit", ""),
                         "description": info.description or "", "source": extra.get("source", "")})
        return rows


@functools.cache
def default_params() -> ModelParams:
    """``ModelParams()``, made once: they are immutable, and validating them takes a while."""
    return ModelParams()


@functools.cache
def _numeric_fields() -> dict[str, Any]:
    return numeric_fields({name: info.annotation for name, info in
                           ModelParams.model_fields.items()})


def parameters_markdown() -> str:
    """Every parameter as a Markdown table (``docs/parameters.md`` is generated from this)."""
    lines = ["# Parameters", "", "Generated by `catfish params --markdown` from `sim/params.py`; "
             "do not edit by hand. Sources: see `docs/sources.md`; \"assumption\" marks values "
             "no source gives. These are the defaults; the shipped scenarios replace the "
             "calibrated behavioural parameters with the calibrated posterior's medians "
             "(`behaviour.parameter_set: calibrated`, `docs/calibration.md`).", "",
             "| name | default | unit | meaning | source |", "|---|---|---|---|---|"]
    for row in ModelParams.field_table():
        default = row["default"]
        shown = list(default) if isinstance(default, tuple) else default
        lines.append(f"| `{row['name']}` | {shown} | {row['unit']} | {row['description']} | "
                     f"{row['source']} |")
    return "\n".join(lines) + "\n"


_NAMED = re.compile(r"^[a-z_][a-z0-9_]* = ")  # "field = value: rule"


def describe_validation_error(exc: ValidationError, where: str) -> str:
    """Turn a pydantic error into one line: where, field path, value, what is allowed."""
    err = exc.errors(include_url=False)[0]
    path = ".".join(str(p) for p in err.get("loc", ()))
    message = err.get("msg", "invalid value").removeprefix("Value error, ")
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    if not path:  # a check of the whole: its message names the field and value, if one
        named = _NAMED.match(message)
        return f"{where}.{message}{more}" if named else f"{where}: {message}{more}"
    value = err.get("input")
    if err.get("type") == "extra_forbidden":
        return f"{where}.{path}: unknown parameter{more}"
    return f"{where}.{path} = {value!r}: {message}{more}"
