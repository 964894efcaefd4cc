"""The model's arrays and fixed terms that a month's compiled phases read, as one object.

Visits and willingness, deciding, serving the queue and starting projects, progress, lapse
and retry (one compiled call together in every shipped scenario, ``sim.model``) and the
month's row (``sim.metrics``) read some eighty of the model's arrays and numbers. Handed over
as arguments, every call paid for Python gathering them and for numba unboxing each one:
about half of what such a call cost in a small cluster (``docs/architecture.md``, "Few calls
from Python"). They are now held by one object made at the model's first month, a numba
``structref``, and a call hands over that object and only what changes from month to month:
the levers, the draws, the providers' order, the month.

The object holds the model's own arrays, not copies: compiled code writing ``m.cash[i]``
writes ``model.smes.cash[i]``. So an array held here must be filled in place, never replaced
by another one: ``sim.population.hold`` makes replacing a firm's, provider's or lead firm's
array an error once the object is made, and ``tests/test_month_state.py`` runs every shipped
scenario and checks that each field is still the model's array at the end. What may be
replaced during a run (the levers, the government's ``account_spent``, which a new account
enlarges) is not held here.

Under ``NUMBA_DISABLE_JIT=1`` the object is a plain namespace with the same attributes, which
the uncompiled phases read the same way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel

# kinds: an array's numpy type and dimensions ("float64[:, :]"), or a number's type
FIELDS: tuple[tuple[str, str, str], ...] = (
    # the firms (sim.population.SMEArrays)
    ("state", "smes.state", "int8[:]"),
    ("level", "smes.level", "int8[:]"),
    ("stage", "smes.stage", "int8[:]"),
    ("project_kind", "smes.project_kind", "int8[:]"),
    ("sector", "smes.sector", "int32[:]"),
    ("provider", "smes.provider", "int32[:]"),
    ("queued_since", "smes.queued_since", "int32[:]"),
    ("started_month", "smes.started_month", "int32[:]"),
    ("since", "smes.since", "int32[:]"),
    ("successes", "smes.successes", "int32[:]"),
    ("failures", "smes.failures", "int32[:]"),
    ("hardware_only", "smes.hardware_only", "bool[:]"),
    ("counted", "smes.counted", "bool[:]"),
    ("base_revenue", "smes.base_revenue", "float64[:]"),
    ("revenue", "smes.revenue", "float64[:]"),
    ("talent", "smes.talent", "float64[:]"),
    ("infrastructure", "smes.infrastructure", "float64[:]"),
    ("credit_access", "smes.credit_access", "float64[:]"),
    ("cash", "smes.cash", "float64[:]"),
    ("hurdle", "smes.hurdle", "float64[:]"),
    ("unit_cost", "smes.unit_cost", "float64[:]"),
    ("quality", "smes.quality", "float64[:]"),
    ("process_cut", "smes.process_cut", "float64[:]"),
    ("weight", "smes.weight", "float64[:]"),
    ("outlay", "smes.outlay", "float64[:]"),
    ("loan", "smes.loan", "float64[:]"),
    ("cost", "smes.cost", "float64[:, :]"),
    ("benefit", "smes.benefit", "float64[:, :]"),
    ("hazard", "smes.hazard", "float64[:, :]"),
    ("visits_made", "smes.visits_made", "int16[:]"),
    # the providers (sim.population.ProviderArrays)
    ("provider_active", "providers.active", "bool[:]"),
    ("provider_quality", "providers.quality", "float64[:]"),
    ("provider_specialty", "providers.specialty", "int32[:]"),
    ("provider_capacity", "providers.capacity", "int32[:]"),
    ("provider_load", "providers.load", "int32[:]"),
    # the lead firms (sim.population.LeadArrays)
    ("lead_sector", "leads.sector", "int32[:]"),
    ("lead_visits", "leads.visits", "float64[:]"),
    ("lead_operating", "leads.operating", "bool[:]"),
    # the instruments' compiled hooks (sim.policy.month_hooks.MonthHooks) and the budget
    ("support_at_start_rows", "month_hooks.rows.support_at_start", "int64[:]"),
    ("support_on_acceptance_rows", "month_hooks.rows.support_on_acceptance", "int64[:]"),
    ("on_start_rows", "month_hooks.rows.on_start", "int64[:]"),
    ("stage_log_odds_rows", "month_hooks.rows.stage_log_odds", "int64[:]"),
    ("on_completion_rows", "month_hooks.rows.on_completion", "int64[:]"),
    ("on_failure_rows", "month_hooks.rows.on_failure", "int64[:]"),
    ("on_acceptance_rows", "month_hooks.rows.on_acceptance", "int64[:]"),
    ("hook_ints", "month_hooks.ints", "int64[:, :]"),
    ("hook_floats", "month_hooks.floats", "float64[:, :]"),
    ("firm_flags", "month_hooks.flags", "bool[:, :]"),
    ("counters", "month_hooks.counters", "int64[:]"),
    ("sums", "month_hooks.sums", "float64[:]"),
    ("ledger", "government.ledger", "float64[:]"),
    # the model's tables, fixed for the run, and what it fills every month
    ("lost_share", "lost_share", "float64[:]"),
    ("stage_months", "stage_months", "int16[:, :]"),
    ("stage_ends", "stage_ends", "int64[:, :]"),
    ("base_prob", "stage_base_prob", "float64[:]"),
    ("kind_log_odds", "kind_log_odds", "float64[:]"),
    ("failed_by_stage", "tally.failed_by_stage", "int64[:]"),
    ("cum_failed_by_stage", "tally.cum_failed_by_stage", "int64[:]"),
    ("conviction", "conviction", "float64[:]"),
    # the parameters (sim.params.ModelParams) and what the model derives from them
    ("cooldown", "params.cooldown_months", "int64"),
    ("beliefs_on", "params.beliefs_on", "bool"),
    ("acceptance_on", "params.acceptance_on", "bool"),
    ("prior_failure", "params.prior_failure_belief", "float64"),
    ("prior_benefit", "params.prior_benefit_belief", "float64"),
    ("prior_weight", "params.prior_belief_weight", "float64"),
    ("light_failure_factor", "params.light_failure_factor", "float64"),
    ("credit_limit_share", "params.credit_limit_share", "float64"),
    ("contribution_margin", "params.contribution_margin", "float64"),
    ("loan_rate", "params.loan_rate", "float64"),
    ("loan_years", "params.loan_years", "float64"),
    ("annuity", "annuity", "float64"),
    ("risk_aversion", "params.risk_aversion", "float64"),
    ("deep_infrastructure_min", "params.deep_infrastructure_min", "float64"),
    ("hardware_only_share", "params.hardware_only_share", "float64"),
    ("talent_mean", "params.talent_mean", "float64"),
    ("talent_effect", "params.talent_effect", "float64"),
    ("quality_effect", "params.provider_quality_effect", "float64"),
    ("fit_effect", "params.fit_effect", "float64"),
    ("gain_sd", "params.realised_gain_sd", "float64"),
    ("light_cost_cut", "params.light_cost_cut", "float64"),
    ("deep_cost_cut", "params.deep_cost_cut", "float64"),
    ("light_process_share", "params.light_process_share", "float64"),
    ("deep_process_share", "params.deep_process_share", "float64"),
    ("light_quality_gain", "params.light_quality_gain", "float64"),
    ("deep_quality_gain", "params.deep_quality_gain", "float64"),
    ("cost_sensitivity", "params.cost_sensitivity", "float64"),
    ("quality_sensitivity", "params.quality_sensitivity", "float64"),
    ("demonstration_on", "params.demonstration_on", "bool"),
    ("people_per_visiting_firm", "params.people_per_visiting_firm", "float64"),
    ("visit_conversion", "params.visit_conversion_prob", "float64"),
    ("promotion", "rate_promotion", "float64"),
    ("peer", "rate_peer", "float64"),
    ("competition", "rate_competition", "float64"),
    ("lapse_on", "params.lapse_on", "bool"),
    ("lapse_per_month", "lapse_per_month", "float64"),
    ("retry_on", "params.retry_on", "bool"),
    ("retry_prob", "params.retry_prob", "float64"),
    ("above_size_revenue", "params.above_size_revenue_rmb", "float64"),
)
NAMES = tuple(name for name, _, _ in FIELDS)
_NUMBERS: dict[str, Callable[[Any], Any]] = {"int64": int, "float64": float, "bool": bool}
_NO_ROWS = np.zeros(0, np.int64)  # a hook point whose hooks run in Python: its phase is not
#                                   compiled as one call, and reads no rows


def month_state(model: ClusterModel) -> Any:
    """The object the month's compiled phases read, holding ``model``'s arrays (see above).

    Made after the instruments' ``setup`` (the hooks' terms and accounts exist by then).
    """
    values = [read(model) for read in _READERS]
    from numba.core import config

    if config.DISABLE_JIT:
        return SimpleNamespace(**dict(zip(NAMES, values, strict=True)))
    from catfish.sim.month_record import new_month_state

    return new_month_state(*values)


def _reader(path: str, kind: str) -> Callable[[ClusterModel], Any]:
    """How a field is read from a model: its attribute, as one numba type whatever was given."""
    if path.startswith("month_hooks.rows."):
        point = path.rsplit(".", 1)[1]

        def rows(model: ClusterModel) -> np.ndarray:
            rows = model.month_hooks.rows[point]
            return _NO_ROWS if rows is None else rows
        return rows
    attribute, number = operator.attrgetter(path), _NUMBERS.get(kind)
    if number is None:
        return attribute
    return lambda model: number(attribute(model))


_READERS = tuple(_reader(path, kind) for _, path, kind in FIELDS)
