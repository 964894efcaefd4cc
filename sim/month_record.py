"""The numba type of ``sim.month_state``'s object, and its constructor.

Imported only where compiled code runs (it loads numba): ``sim.month_state`` asks for it when
it makes a model's object. The type is one ``structref`` type with fields fixed here from
``sim.month_state.FIELDS``, so compiled functions taking it, and the constructor, are cached on
disk like any other (a ``jitclass`` is not; a ``structref`` proxy's own constructor is compiled
again in every process, about two seconds for eighty fields).
"""

from __future__ import annotations

from typing import Any

from catfish.agents.jit import compiled
from catfish.sim.month_state import FIELDS
from numba.core import types
from numba.experimental import structref


@structref.register
class MonthStateType(types.StructRef):
    """The fields of :class:`MonthState`, as numba sees them."""

    def preprocess_fields(self, fields: Any) -> tuple[tuple[str, Any], ...]:
        """Each field's type as numba holds it (a literal number's as a plain number)."""
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class MonthState(structref.StructRefProxy):
    """A model's arrays and fixed terms for its compiled month phases (``sim.month_state``).

    Python does not read it: the model keeps the same arrays under their own names.
    """


def _numba_type(kind: str) -> Any:
    """``"float64[:, :]"`` -> a C-ordered 2-D float64 array type; ``"bool"`` -> boolean."""
    name, _, dims = kind.partition("[")
    scalar = types.boolean if name == "bool" else getattr(types, name)
    if not dims:
        return scalar
    return types.Array(scalar, dims.count(":"), "C")


structref.define_boxing(MonthStateType, MonthState)
MONTH_STATE_TYPE = MonthStateType([(name, _numba_type(kind)) for name, _, kind in FIELDS])


@compiled
def new_month_state(state, level, stage, project_kind, sector, provider, queued_since,
                    started_month, since, successes, failures, hardware_only, counted,
                    base_revenue, revenue, talent, infrastructure, credit_access, cash, hurdle,
                    unit_cost, quality, process_cut, weight, outlay, loan, cost, benefit, hazard,
                    visits_made, provider_active, provider_quality, provider_specialty,
                    provider_capacity, provider_load, lead_sector, lead_visits, lead_operating,
                    support_at_start_rows, support_on_acceptance_rows, on_start_rows,
                    stage_log_odds_rows, on_completion_rows, on_failure_rows, on_acceptance_rows,
                    hook_ints, hook_floats, firm_flags, counters, sums, ledger, lost_share,
                    stage_months, stage_ends, base_prob, kind_log_odds, failed_by_stage,
                    cum_failed_by_stage, conviction, cooldown, beliefs_on, acceptance_on,
                    prior_failure, prior_benefit, prior_weight, light_failure_factor,
                    credit_limit_share, contribution_margin, loan_rate, loan_years, annuity,
                    risk_aversion, deep_infrastructure_min, hardware_only_share, talent_mean,
                    talent_effect, quality_effect, fit_effect, gain_sd, light_cost_cut,
                    deep_cost_cut, light_process_share, deep_process_share, light_quality_gain,
                    deep_quality_gain, cost_sensitivity, quality_sensitivity, demonstration_on,
                    people_per_visiting_firm, visit_conversion, promotion, peer, competition,
                    lapse_on, lapse_per_month, retry_on, retry_prob,
                    above_size_revenue) -> MonthState:
    """A :class:`MonthState` holding these (in ``sim.month_state.FIELDS``' order)."""
    record = structref.new(MONTH_STATE_TYPE)
    record.state = state
    record.level = level
    record.stage = stage
    record.project_kind = project_kind
    record.sector = sector
    record.provider = provider
    record.queued_since = queued_since
    record.started_month = started_month
    record.since = since
    record.successes = successes
    record.failures = failures
    record.hardware_only = hardware_only
    record.counted = counted
    record.base_revenue = base_revenue
    record.revenue = revenue
    record.talent = talent
    record.infrastructure = infrastructure
    record.credit_access = credit_access
    record.cash = cash
    record.hurdle = hurdle
    record.unit_cost = unit_cost
    record.quality = quality
    record.process_cut = process_cut
    record.weight = weight
    record.outlay = outlay
    record.loan = loan
    record.cost = cost
    record.benefit = benefit
    record.hazard = hazard
    record.visits_made = visits_made
    record.provider_active = provider_active
    record.provider_quality = provider_quality
    record.provider_specialty = provider_specialty
    record.provider_capacity = provider_capacity
    record.provider_load = provider_load
    record.lead_sector = lead_sector
    record.lead_visits = lead_visits
    record.lead_operating = lead_operating
    record.support_at_start_rows = support_at_start_rows
    record.support_on_acceptance_rows = support_on_acceptance_rows
    record.on_start_rows = on_start_rows
    record.stage_log_odds_rows = stage_log_odds_rows
    record.on_completion_rows = on_completion_rows
    record.on_failure_rows = on_failure_rows
    record.on_acceptance_rows = on_acceptance_rows
    record.hook_ints = hook_ints
    record.hook_floats = hook_floats
    record.firm_flags = firm_flags
    record.counters = counters
    record.sums = sums
    record.ledger = ledger
    record.lost_share = lost_share
    record.stage_months = stage_months
    record.stage_ends = stage_ends
    record.base_prob = base_prob
    record.kind_log_odds = kind_log_odds
    record.failed_by_stage = failed_by_stage
    record.cum_failed_by_stage = cum_failed_by_stage
    record.conviction = conviction
    record.cooldown = cooldown
    record.beliefs_on = beliefs_on
    record.acceptance_on = acceptance_on
    record.prior_failure = prior_failure
    record.prior_benefit = prior_benefit
    record.prior_weight = prior_weight
    record.light_failure_factor = light_failure_factor
    record.credit_limit_share = credit_limit_share
    record.contribution_margin = contribution_margin
    record.loan_rate = loan_rate
    record.loan_years = loan_years
    record.annuity = annuity
    record.risk_aversion = risk_aversion
    record.deep_infrastructure_min = deep_infrastructure_min
    record.hardware_only_share = hardware_only_share
    record.talent_mean = talent_mean
    record.talent_effect = talent_effect
    record.quality_effect = quality_effect
    record.fit_effect = fit_effect
    record.gain_sd = gain_sd
    record.light_cost_cut = light_cost_cut
    record.deep_cost_cut = deep_cost_cut
    record.light_process_share = light_process_share
    record.deep_process_share = deep_process_share
    record.light_quality_gain = light_quality_gain
    record.deep_quality_gain = deep_quality_gain
    record.cost_sensitivity = cost_sensitivity
    record.quality_sensitivity = quality_sensitivity
    record.demonstration_on = demonstration_on
    record.people_per_visiting_firm = people_per_visiting_firm
    record.visit_conversion = visit_conversion
    record.promotion = promotion
    record.peer = peer
    record.competition = competition
    record.lapse_on = lapse_on
    record.lapse_per_month = lapse_per_month
    record.retry_on = retry_on
    record.retry_prob = retry_prob
    record.above_size_revenue = above_size_revenue
    return record
