"""A firm's project from decision to acceptance, for all firms at once.

decide -> queue -> a provider's free slot -> early, middle, late stage (each with a failure
hazard) -> acceptance on verified gains -> transformed; or failed / rejected. A transformed firm
with a light project may later take a deep one (light first, then deep): it stays transformed
while the upgrade runs. Every rule used here is a pure function in ``agents``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from catfish.agents.government import pairwise_sum
from catfish.agents.jit import compiled
from catfish.agents.provider import entry_due, sector_fit, serve_queue
from catfish.agents.sme import (
    DEEP,
    FAILED,
    IN_PROJECT,
    LAPSED,
    LIGHT,
    QUEUED,
    TRANSFORMED,
    UNAWARE,
    WILLING,
    accepted,
    beliefs,
    choose_kind,
    lapse_prob,
    lapse_prob_bound,
    monthly_hazard,
    project_value,
    realised_gain,
    stage_failure_prob,
)
from catfish.sim.market import firm_weight, weigh_firms
from catfish.sim.policy.month_hooks import (
    accept_projects,
    complete_projects,
    expected_support,
    fail_projects,
    stage_log_odds,
    start_projects,
)
from catfish.sim.policy.selection import smallest_draws

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel
    from catfish.sim.params import ModelParams

MAX_CUT = 0.95  # a lucky project cuts its processes' costs by at most 95 %


def adopt_willing(model: ClusterModel) -> None:
    """Bass docking: every willing firm counts as adopted in the month it becomes willing."""
    s = model.smes
    model.tally.new_transformed += _adopt(s.state, s.level, s.since, model.month)


@compiled
def _adopt(state: np.ndarray, level: np.ndarray, since: np.ndarray, month: int) -> int:
    adopted = 0
    for i in range(len(state)):
        if state[i] == WILLING:
            state[i], level[i], since[i] = TRANSFORMED, LIGHT, month
            adopted += 1
    return adopted


KINDS = np.array([[LIGHT], [DEEP]])  # rows of the (kind, firm) arrays in value_projects()


def decide(model: ClusterModel, seen_ok: np.ndarray, seen_bad: np.ndarray) -> None:
    """Willing firms (and light adopters considering a deep upgrade) choose a project or wait.

    Both kinds are valued at once by :func:`value_projects`; a firm takes the better of the
    kinds it would undertake (``agents.sme.choose_kind``) and queues for it.
    """
    p, s, t = model.params, model.smes, model.month
    if not p.economic_gate_on:
        firms = np.flatnonzero(s.state == WILLING)
        _enqueue(model, firms, np.full(len(firms), LIGHT, np.int8))
        return
    levers, hooks = model.levers, model.month_hooks
    if hooks.compiled("support_at_start", "support_on_acceptance"):
        # the same in one call: the instruments' support in compiled form (sim.policy.month_hooks)
        model.tally.new_queued += _decide_in_one_call(
            model.month_state, seen_ok, seen_bad, levers.instalment_share,
            levers.interest_subsidy_share, levers.failure_reimbursement_share, t)
        return
    firms, upgrade = _deciding(s.state, s.level, s.project_kind, s.since, t, p.cooldown_months)
    if len(firms) == 0:
        return
    grant_at_start, grant_on_acceptance = _expected_support(model, firms)
    # value_projects and choose_and_queue in one call (no arrays handed back to Python)
    model.tally.new_queued += _decide_and_queue(
        firms, upgrade, seen_ok, seen_bad, grant_at_start, grant_on_acceptance, p.beliefs_on,
        p.prior_failure_belief, p.prior_benefit_belief, p.prior_belief_weight,
        p.light_failure_factor, s.cost, s.benefit, s.credit_access, s.revenue,
        p.credit_limit_share, levers.instalment_share, model.lost_share, s.base_revenue,
        p.contribution_margin, s.cash, s.hurdle, s.infrastructure,
        levers.interest_subsidy_share, levers.failure_reimbursement_share, p.loan_rate,
        p.loan_years, model.annuity, p.risk_aversion, p.deep_infrastructure_min,
        s.project_kind, s.queued_since, s.state, t)


@compiled
def _decide_and_queue(firms: np.ndarray, is_upgrade: np.ndarray, seen_ok: np.ndarray,
                      seen_bad: np.ndarray, grant_at_start: np.ndarray,
                      grant_on_acceptance: np.ndarray, beliefs_on: bool, prior_failure: float,
                      prior_benefit: float, prior_weight: float, light_failure_factor: float,
                      all_cost: np.ndarray, all_benefit: np.ndarray, credit_access: np.ndarray,
                      revenue: np.ndarray, credit_limit_share: float,
                      instalment_share: np.ndarray, lost_share: np.ndarray,
                      base_revenue: np.ndarray, contribution_margin: float, cash: np.ndarray,
                      hurdle: np.ndarray, infrastructure: np.ndarray,
                      interest_subsidy_share: np.ndarray, reimbursement_share: np.ndarray,
                      loan_rate: float, loan_years: float, annuity: float,
                      risk_aversion: float, deep_infrastructure_min: float,
                      project_kind: np.ndarray, queued_since: np.ndarray, state: np.ndarray,
                      month: int) -> int:
    """:func:`value_projects`' valuation of ``firms``, then each queues for the better kind.

    The same compiled steps as :func:`value_projects` (:func:`_firm_economics`,
    :func:`_values`), with the instruments' expected support already asked; then
    ``agents.sme.choose_kind`` picks the kind and :func:`_queue` queues the firm for it.

    Returns:
        How many firms queued.
    """
    cost, benefit, fail, benefit_belief, credit_limit, avoided_loss = _firm_economics(
        firms, is_upgrade, seen_ok[firms], seen_bad[firms], beliefs_on, prior_failure,
        prior_benefit, prior_weight, light_failure_factor, all_cost, all_benefit,
        credit_access, revenue, credit_limit_share, instalment_share, lost_share,
        base_revenue, contribution_margin)
    value, _, go = _values(
        firms, is_upgrade, cost, benefit, fail, benefit_belief, credit_limit, avoided_loss,
        grant_at_start, grant_on_acceptance, cash, revenue, hurdle, infrastructure,
        interest_subsidy_share, reimbursement_share, loan_rate, loan_years, annuity,
        risk_aversion, deep_infrastructure_min)
    kinds = choose_kind(value[0], value[1], go[0], go[1])
    return _queue(firms, kinds, project_kind, queued_since, state, month)


@compiled
def _decide_in_one_call(m: Any, seen_ok: np.ndarray, seen_bad: np.ndarray,
                        instalment_share: np.ndarray, interest_subsidy_share: np.ndarray,
                        reimbursement_share: np.ndarray, month: int) -> int:
    """:func:`decide` as one call, the instruments' support in compiled form.

    :func:`_deciding`, the support on offer (``month_hooks.expected_support``, as
    :func:`_expected_support` asks the hooks), then :func:`_decide_and_queue`. ``m`` is the
    model's ``month_state`` (``sim.month_state``); the levers' shares are this month's.

    Returns:
        How many firms queued.
    """
    firms, upgrade = _deciding(m.state, m.level, m.project_kind, m.since, month, m.cooldown)
    if len(firms) == 0:
        return 0
    grant_at_start = expected_support(m.support_at_start_rows, m.hook_ints, m.hook_floats,
                                      m.firm_flags, m.counters, firms, m.cost, month, m.ledger)
    grant_on_acceptance = expected_support(m.support_on_acceptance_rows, m.hook_ints,
                                           m.hook_floats, m.firm_flags, m.counters, firms,
                                           m.cost, month, m.ledger)
    return _decide_and_queue(
        firms, upgrade, seen_ok, seen_bad, grant_at_start, grant_on_acceptance, m.beliefs_on,
        m.prior_failure, m.prior_benefit, m.prior_weight, m.light_failure_factor, m.cost,
        m.benefit, m.credit_access, m.revenue, m.credit_limit_share, instalment_share,
        m.lost_share, m.base_revenue, m.contribution_margin, m.cash, m.hurdle,
        m.infrastructure, interest_subsidy_share, reimbursement_share, m.loan_rate,
        m.loan_years, m.annuity, m.risk_aversion, m.deep_infrastructure_min, m.project_kind,
        m.queued_since, m.state, month)


def _expected_support(model: ClusterModel, firms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The support the instruments offer ``firms``, at the start and on acceptance.

    Each of shape (2, firms), light and deep: the ``support_at_start`` and
    ``support_on_acceptance`` hooks added up, asked with the projects' costs.
    """
    shape = (2, len(firms))
    if not model.hooks["support_at_start"] and not model.hooks["support_on_acceptance"]:
        return np.zeros(shape), np.zeros(shape)
    cost = model.smes.cost[1:].take(firms, axis=1)  # light and deep, as _firm_economics reads
    return (_per_project(_added_up(model.hooks["support_at_start"], model, firms, KINDS, cost),
                         shape),
            _per_project(_added_up(model.hooks["support_on_acceptance"], model, firms, KINDS,
                                   cost), shape))


@compiled
def _deciding(state: np.ndarray, level: np.ndarray, project_kind: np.ndarray, since: np.ndarray,
              month: int, cooldown: int) -> tuple[np.ndarray, np.ndarray]:
    """Willing firms, and light adopters past their cooldown who may upgrade to deep.

    Returns:
        ``(firms, is_upgrade)``, in firm order.
    """
    firms = np.empty(len(state), np.int64)
    upgrade = np.empty(len(state), np.bool_)
    n = 0
    for i in range(len(state)):
        upgrading = state[i] == TRANSFORMED and level[i] == LIGHT and project_kind[i] == 0 \
            and month - since[i] >= cooldown
        if state[i] == WILLING or upgrading:
            firms[n], upgrade[n] = i, upgrading
            n += 1
    return firms[:n], upgrade[:n]


@dataclass(frozen=True, eq=False)
class Valuation:
    """The economic decision's numbers: arrays of shape (2, firms), row 0 light, row 1 deep.

    Attributes:
        cost: Project cost, RMB.
        benefit: True annual benefit, RMB a year (for an upgrade: what deep adds to light).
        grant_at_start: Support the firms expect when the project starts, RMB (zeros when no
            instrument offers any).
        grant_on_acceptance: Support they expect on acceptance, RMB (likewise).
        failure_belief: Perceived probability that the project fails.
        value: Risk-adjusted NPV (certainty equivalent), RMB (``agents.sme.project_value``).
        affordable: Whether cash and credit cover the up-front outlay.
        go: Whether the firm would undertake the project: affordable, clears its hurdle, and
            for deep projects ready infrastructure; upgraders consider deep only.
    """

    cost: np.ndarray
    benefit: np.ndarray
    grant_at_start: np.ndarray
    grant_on_acceptance: np.ndarray
    failure_belief: np.ndarray
    value: np.ndarray
    affordable: np.ndarray
    go: np.ndarray


def value_projects(model: ClusterModel, firms: np.ndarray, is_upgrade: np.ndarray,
                   successes_seen: np.ndarray, failures_seen: np.ndarray, *,
                   risk_aversion: float | None = None) -> Valuation:
    """Value a light and a deep project for ``firms`` as the economic decision does.

    Beliefs from the peers' outcomes seen, costs and benefits, this month's levers (interest
    subsidy, failure reimbursement, instalments), the support the instruments offer
    (``support_at_start`` and ``support_on_acceptance`` hooks), the credit limit, and
    ``agents.sme.project_value``. :func:`decide` acts on the result; ``experiments.explore.firm``
    reports it for one firm.

    Args:
        model: The model, with this month's levers set.
        firms: Indices of the firms valued.
        is_upgrade: Per firm: a light adopter valuing a deep upgrade.
        successes_seen: Per firm: successful projects seen among peers.
        failures_seen: Per firm: failed projects seen among peers.
        risk_aversion: Overrides ``params.risk_aversion`` (0: the plain expected NPV).

    Returns:
        The :class:`Valuation` of both kinds for every firm.
    """
    p, s, levers = model.params, model.smes, model.levers
    cost, benefit, fail, benefit_belief, credit_limit, avoided_loss = _firm_economics(
        firms, is_upgrade, successes_seen, failures_seen, p.beliefs_on, p.prior_failure_belief,
        p.prior_benefit_belief, p.prior_belief_weight, p.light_failure_factor, s.cost,
        s.benefit, s.credit_access, s.revenue, p.credit_limit_share, levers.instalment_share,
        model.lost_share, s.base_revenue, p.contribution_margin)
    grant_at_start, grant_on_acceptance = _expected_support(model, firms)
    value, affordable, go = _values(
        firms, is_upgrade, cost, benefit, fail, benefit_belief, credit_limit, avoided_loss,
        grant_at_start, grant_on_acceptance, s.cash,
        s.revenue, s.hurdle, s.infrastructure, levers.interest_subsidy_share,
        levers.failure_reimbursement_share, p.loan_rate, p.loan_years, model.annuity,
        p.risk_aversion if risk_aversion is None else risk_aversion,
        p.deep_infrastructure_min)
    return Valuation(cost=cost, benefit=benefit, grant_at_start=grant_at_start,
                     grant_on_acceptance=grant_on_acceptance, failure_belief=fail, value=value,
                     affordable=affordable, go=go)


def _added_up(hooks: list[Callable[..., np.ndarray | float]],
              *args: object) -> np.ndarray | float:
    """What the instruments' ``hooks`` answer, added up (0 if none answers).

    One instrument's answer is taken as it is (adding it to 0 would only copy it).
    """
    if len(hooks) == 1:
        return hooks[0](*args)
    total: np.ndarray | float = 0
    for hook in hooks:
        total = total + hook(*args)
    return total


def _per_project(answer: np.ndarray | float, shape: tuple[int, ...]) -> np.ndarray:
    """What the instruments' hooks answered, as an array of ``shape`` (or a number)."""
    if isinstance(answer, np.ndarray) and answer.shape == shape:
        return answer
    if isinstance(answer, int | float):  # no instrument offers any, or one answered 0.0
        return np.zeros(shape) if answer == 0 else np.full(shape, float(answer))
    return np.broadcast_to(np.asarray(answer, dtype=float), shape)


@compiled
def _firm_economics(firms: np.ndarray, is_upgrade: np.ndarray, successes_seen: np.ndarray,
                    failures_seen: np.ndarray, beliefs_on: bool, prior_failure: float,
                    prior_benefit: float, prior_weight: float, light_failure_factor: float,
                    all_cost: np.ndarray, all_benefit: np.ndarray, credit_access: np.ndarray,
                    revenue: np.ndarray, credit_limit_share: float, instalment_share: np.ndarray,
                    lost_share: np.ndarray, base_revenue: np.ndarray,
                    contribution_margin: float) -> tuple[np.ndarray, ...]:
    """What the decision weighs for ``firms``: arrays of shape (2, firms), light and deep.

    Beliefs from the peers' outcomes seen (``agents.sme.beliefs``) or the priors; an upgrade
    earns only what deep adds to light; light projects fail at ``light_failure_factor`` times
    the odds; instalments (paid from the project's savings, at most the whole cost) need no
    collateral, so they add to the credit line; the loss avoided is the lost orders'
    contribution.

    Returns:
        ``(cost, benefit, failure_belief, benefit_belief, credit_limit, avoided_loss)``;
        the benefit belief and the avoided loss are one number per firm.
    """
    m = len(firms)
    cost, benefit = np.empty((2, m)), np.empty((2, m))
    fail, credit_limit = np.empty((2, m)), np.empty((2, m))
    benefit_belief, avoided_loss = np.empty(m), np.empty(m)
    for i in range(m):
        f = firms[i]
        fail_belief, benefit_belief[i] = prior_failure, prior_benefit
        if beliefs_on:
            fail_belief, benefit_belief[i] = beliefs(successes_seen[i], failures_seen[i],
                                                     prior_failure, prior_benefit, prior_weight)
        credit_line = credit_access[f] * credit_limit_share * revenue[f]
        for k in range(2):
            cost[k, i], benefit[k, i] = all_cost[k + 1, f], all_benefit[k + 1, f]
            credit_limit[k, i] = credit_line + min(instalment_share[k + 1], 1.0) * cost[k, i]
        if is_upgrade[i]:
            benefit[1, i] -= benefit[0, i]
        fail[0, i] = _scale_odds(fail_belief, light_failure_factor)
        fail[1, i] = fail_belief
        avoided_loss[i] = lost_share[f] * base_revenue[f] * contribution_margin
    return cost, benefit, fail, benefit_belief, credit_limit, avoided_loss


@compiled
def _values(firms: np.ndarray, is_upgrade: np.ndarray, cost: np.ndarray, benefit: np.ndarray,
            fail: np.ndarray, benefit_belief: np.ndarray, credit_limit: np.ndarray,
            avoided_loss: np.ndarray, grant_at_start: np.ndarray,
            grant_on_acceptance: np.ndarray, cash: np.ndarray, revenue: np.ndarray,
            hurdle: np.ndarray, infrastructure: np.ndarray, interest_subsidy_share: np.ndarray,
            reimbursement_share: np.ndarray, loan_rate: float, loan_years: float,
            annuity: float, risk_aversion: float,
            deep_infrastructure_min: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``agents.sme.project_value`` of both kinds for every firm, and which it would undertake.

    Shares of support from several instruments add up, but no more than the whole is ever
    covered. A project is undertaken if it is affordable and clears the firm's own hurdle per
    RMB of cost; upgraders consider deep only, and deep needs ready infrastructure.

    Returns:
        ``(value, affordable, go)``, each of shape (2, firms).
    """
    value = np.empty(cost.shape)
    affordable = np.empty(cost.shape, np.bool_)
    go = np.empty(cost.shape, np.bool_)
    for i in range(len(firms)):
        f = firms[i]
        for k in range(2):
            value[k, i], affordable[k, i] = project_value(
                cost[k, i], benefit[k, i], grant_at_start[k, i], grant_on_acceptance[k, i],
                cash[f], credit_limit[k, i], loan_rate, min(interest_subsidy_share[k + 1], 1.0),
                loan_years, fail[k, i], benefit_belief[i], avoided_loss[i],
                min(reimbursement_share[k + 1], 1.0), annuity, risk_aversion, revenue[f])
            go[k, i] = affordable[k, i] and value[k, i] > hurdle[f] * cost[k, i]
        go[0, i] = go[0, i] and not is_upgrade[i]
        go[1, i] = go[1, i] and infrastructure[f] >= deep_infrastructure_min
    return value, affordable, go


@compiled
def _scale_odds(prob: float, factor: float) -> float:
    odds = prob / max(1 - prob, 1e-12) * factor
    return odds / (1 + odds)


def _enqueue(model: ClusterModel, firms: np.ndarray, kinds: np.ndarray) -> None:
    """Firms with a kind (> 0) queue for it; willing ones become queued."""
    s = model.smes
    model.tally.new_queued += _queue(firms, kinds, s.project_kind, s.queued_since, s.state,
                                     model.month)


@compiled
def _queue(firms: np.ndarray, kinds: np.ndarray, project_kind: np.ndarray,
           queued_since: np.ndarray, state: np.ndarray, month: int) -> int:
    queued = 0
    for i in range(len(firms)):
        if kinds[i] > 0:
            f = firms[i]
            project_kind[f], queued_since[f] = kinds[i], month
            if state[f] == WILLING:
                state[f] = QUEUED
            queued += 1
    return queued


def assign_and_start(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Queued firms, oldest first, take free provider slots in their order of preference.

    Only as many firms as there are free slots are served, in queue order (ties broken at
    random). Served firms of each sector then take slots in their sector's order of preference
    (fit, then quality if providers are rated); sectors choose in the order of their
    longest-waiting served firm.
    """
    p, s, prov, hooks = model.params, model.smes, model.providers, model.month_hooks
    if p.provider_capacity_on and p.stages_on and hooks.compiled("on_start", "stage_log_odds"):
        # the same in one call: the instruments' hooks in compiled form (sim.policy.month_hooks)
        started, n_waiting = _serve_and_start(
            model.month_state, draws["queue"], draws["hardware"], model.provider_orders(),
            model.levers.min_provider_quality, model.levers.stage_log_odds,
            model.government.account_spent, model.month)
        model.tally.new_started += started
        _after_serving(model, n_waiting - started)
        return
    if p.provider_capacity_on:
        firms, n_waiting = _serve_queue(
            s.project_kind, s.stage, s.queued_since, draws["queue"], s.sector, prov.active,
            prov.quality, model.levers.min_provider_quality, prov.capacity,
            model.provider_orders(), model.month, draws["hardware"], p.hardware_only_share,
            s.provider, prov.load, s.started_month, s.hardware_only, s.outlay, s.cost, s.state)
    else:  # unlimited capacity: any active provider, at random
        firms = np.flatnonzero((s.project_kind > 0) & (s.stage == 0))
        active = np.flatnonzero(prov.active)
        pick = (draws["queue"][firms] * len(active)).astype(int)
        _begin(firms, active[np.minimum(pick, len(active) - 1)], model.month,
               draws["hardware"], p.hardware_only_share, s.provider, prov.load, s.stage,
               s.started_month, s.hardware_only, s.outlay, s.cost, s.project_kind, s.state)
        n_waiting = len(firms)
    if len(firms):
        _start(model, firms, draws)
    _after_serving(model, n_waiting - len(firms))


def _after_serving(model: ClusterModel, still_waiting: int) -> None:
    """The queue left waiting is recorded; a long queue lets a new provider in, in time."""
    p = model.params
    model.queue_history.append(still_waiting)
    if p.provider_entry_on and p.provider_capacity_on and entry_due(
            model.queue_history, threshold=p.provider_capacity,
            lag_months=p.provider_entry_lag_months):
        model.add_provider()


@compiled
def _serve_and_start(m: Any, queue_draw: np.ndarray, hardware_draw: np.ndarray,
                     orders: np.ndarray, min_quality: float, lever_log_odds: np.ndarray,
                     account_spent: np.ndarray, month: int) -> tuple[int, int]:
    """:func:`assign_and_start` as one call, the instruments' hooks in compiled form.

    :func:`_serve_queue`, then for the projects that start what :func:`_start` does: the
    instruments' ``on_start`` (``month_hooks.start_projects``), the loans and the stages'
    hazards (:func:`_borrow_and_risk`, with ``month_hooks.stage_log_odds``). ``m`` is the
    model's ``month_state`` (``sim.month_state``); the rest is this month's.

    Returns:
        ``(started, waiting)``: how many projects started, and how many firms were waiting.
    """
    firms, n_waiting = _serve_queue(
        m.project_kind, m.stage, m.queued_since, queue_draw, m.sector, m.provider_active,
        m.provider_quality, min_quality, m.provider_capacity, orders, month, hardware_draw,
        m.hardware_only_share, m.provider, m.provider_load, m.started_month, m.hardware_only,
        m.outlay, m.cost, m.state)
    if len(firms) == 0:
        return 0, n_waiting
    start_projects(m.on_start_rows, m.hook_ints, m.hook_floats, m.firm_flags, m.counters,
                   firms, month, m.project_kind, m.cost, m.outlay, m.talent, m.ledger,
                   account_spent)
    _borrow_and_risk(firms, m.outlay, m.cash, m.loan, m.project_kind, m.provider, m.sector,
                     m.provider_quality, m.provider_specialty, m.talent, m.base_prob,
                     m.kind_log_odds, lever_log_odds,
                     stage_log_odds(m.stage_log_odds_rows, m.hook_ints, m.hook_floats,
                                    m.firm_flags, firms),
                     m.talent_mean, m.talent_effect, m.quality_effect, m.fit_effect,
                     m.stage_months, m.hardware_only, m.hazard)
    return len(firms), n_waiting


@compiled
def _waiting(project_kind: np.ndarray, stage: np.ndarray, queued_since: np.ndarray,
             queue_draw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The firms waiting for a provider, in index order, and their places in the queue.

    A place is the month the firm joined plus its draw: the longest-waiting first, ties in
    the month in random order. One pass over the firms, without a branch: every firm is
    written at the end of the list, which grows only by those waiting (in a large cluster
    whether a firm waits is a coin toss the processor cannot predict, and mispredicting it
    cost four times the pass).
    """
    waiting = np.empty(len(project_kind), np.int64)
    key = np.empty(len(project_kind))
    n = 0
    for i in range(len(project_kind)):
        waiting[n] = i
        key[n] = queued_since[i] + queue_draw[i]
        n += (project_kind[i] > 0) & (stage[i] == 0)
    return waiting[:n], key[:n]


@compiled
def _serve_queue(project_kind: np.ndarray, stage: np.ndarray, queued_since: np.ndarray,
                 queue_draw: np.ndarray, sector: np.ndarray, active: np.ndarray,
                 quality: np.ndarray, min_quality: float, capacity: np.ndarray,
                 orders: np.ndarray, month: int, hardware_draw: np.ndarray,
                 hardware_only_share: float, provider: np.ndarray, load: np.ndarray,
                 started_month: np.ndarray, hardware_only: np.ndarray, outlay: np.ndarray,
                 cost: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, int]:
    """The firms that start a project this month, in queue order, with their providers.

    Waiting firms are served oldest first (ties in the month at random), as many as there
    are free slots at listed providers (a rating may delist providers below a quality floor:
    they take no new projects); ``agents.provider.serve_queue`` hands them the slots, and
    their projects begin (:func:`_begin`).

    Returns:
        ``(firms, waiting)``: who starts, and how many were waiting.
    """
    waiting, key = _waiting(project_kind, stage, queued_since, queue_draw)
    free = np.zeros(len(active), np.int64)
    for j in range(len(active)):
        if active[j] and quality[j] >= min_quality:
            free[j] = capacity[j] - load[j]
    # the longest-waiting firms, without sorting a long queue: at most as many as free slots
    queue = waiting[smallest_draws(np.arange(len(waiting)), key, free.sum())]
    chosen = serve_queue(sector[queue], free, orders)
    starts = chosen >= 0
    _begin(queue[starts], chosen[starts], month, hardware_draw, hardware_only_share, provider,
           load, stage, started_month, hardware_only, outlay, cost, project_kind, state)
    return queue[starts], len(waiting)


def _start(model: ClusterModel, firms: np.ndarray, draws: dict[str, np.ndarray]) -> None:
    """Projects that began this month: the instruments' part, the loans, the risks."""
    p, s = model.params, model.smes
    model.tally.new_started += len(firms)
    for on_start in model.hooks["on_start"]:
        on_start(model, firms)
    # what the firm borrows once grants and vouchers have lowered its own outlay
    if not p.stages_on:
        _borrow(firms, s.outlay, s.cash, s.loan)
        _complete(model, firms, draws)
        return
    prov = model.providers
    _borrow_and_risk(firms, s.outlay, s.cash, s.loan, s.project_kind, s.provider, s.sector,
                     prov.quality, prov.specialty, s.talent, model.stage_base_prob,
                     model.kind_log_odds, model.levers.stage_log_odds,
                     _log_odds_of_instruments(model, firms), p.talent_mean, p.talent_effect,
                     p.provider_quality_effect, p.fit_effect, model.stage_months,
                     s.hardware_only, s.hazard)


@compiled
def _begin(firms: np.ndarray, providers: np.ndarray, month: int, hardware_draw: np.ndarray,
           hardware_only_share: float, provider: np.ndarray, load: np.ndarray,
           stage: np.ndarray, started_month: np.ndarray, hardware_only: np.ndarray,
           outlay: np.ndarray, cost: np.ndarray, project_kind: np.ndarray,
           state: np.ndarray) -> None:
    """Projects start with their providers: early stage, the firm pays the whole cost for now."""
    for i in range(len(firms)):
        f = firms[i]
        provider[f] = providers[i]
        load[providers[i]] += 1
        stage[f], started_month[f] = 1, month
        hardware_only[f] = hardware_draw[f] < hardware_only_share
        outlay[f] = cost[project_kind[f], f]
        if state[f] == QUEUED:
            state[f] = IN_PROJECT


@compiled
def _borrow(firms: np.ndarray, outlay: np.ndarray, cash: np.ndarray, loan: np.ndarray) -> None:
    for f in firms:
        loan[f] = max(outlay[f] - cash[f], 0.0)


@compiled
def _borrow_and_risk(firms: np.ndarray, outlay: np.ndarray, cash: np.ndarray, loan: np.ndarray,
                     project_kind: np.ndarray, provider: np.ndarray, sector: np.ndarray,
                     provider_quality: np.ndarray, specialty: np.ndarray, talent: np.ndarray,
                     base_prob: np.ndarray, kind_log_odds: np.ndarray,
                     lever_log_odds: np.ndarray, instrument_log_odds: np.ndarray,
                     talent_mean: float, talent_effect: float, quality_effect: float,
                     fit_effect: float, stage_months: np.ndarray, hardware_only: np.ndarray,
                     hazard: np.ndarray) -> None:
    """New projects' loans and their monthly failure hazards by stage (columns 1-3).

    A project's risk is fixed when it starts (:func:`stage_failure_probs`). Hardware-only
    purchases do not fail (they are caught at acceptance).
    """
    _borrow(firms, outlay, cash, loan)
    kind, providers = project_kind[firms], provider[firms]
    prob = _stage_probs(kind, talent[firms], provider_quality[providers],
                        sector_fit(specialty[providers], sector[firms]), base_prob,
                        kind_log_odds, lever_log_odds, instrument_log_odds, talent_mean,
                        talent_effect, quality_effect, fit_effect)
    for i in range(len(firms)):
        f = firms[i]
        hazard[f, 0] = 0.0
        for j in range(3):
            hazard[f, j + 1] = 0.0 if hardware_only[f] \
                else monthly_hazard(prob[i, j], stage_months[kind[i], j + 1])


def _log_odds_of_instruments(model: ClusterModel, firms: np.ndarray) -> np.ndarray:
    """What the instruments' ``stage_log_odds`` hooks add, shape (projects, 3)."""
    return _per_project(_added_up(model.hooks["stage_log_odds"], model, firms),
                        (len(firms), 3))


def stage_failure_probs(model: ClusterModel, firms: np.ndarray, kind: np.ndarray,
                        provider_quality: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Probability that a project starting now fails in its early, middle and late stage.

    ``agents.sme.stage_failure_prob`` with the firm's talent, the provider's quality and fit,
    the kind's factor, this month's levers and the instruments' ``stage_log_odds`` hooks.

    Args:
        model: The model, with this month's levers set.
        firms: Indices of the firms whose projects start.
        kind: Per project: 1 light, 2 deep.
        provider_quality: Per project: the provider's quality.
        fit: Per project: the provider's fit with the firm's sector (1, 0.5 or 0).

    Returns:
        Shape (projects, 3): the probability of failing during each stage.
    """
    p, s = model.params, model.smes
    return _stage_probs(kind, s.talent[firms], provider_quality, fit, model.stage_base_prob,
                        model.kind_log_odds, model.levers.stage_log_odds,
                        _log_odds_of_instruments(model, firms), p.talent_mean,
                        p.talent_effect, p.provider_quality_effect, p.fit_effect)


@compiled
def _stage_probs(kind: np.ndarray, talent: np.ndarray, provider_quality: np.ndarray,
                 fit: np.ndarray, base_prob: np.ndarray, kind_log_odds: np.ndarray,
                 lever_log_odds: np.ndarray, instrument_log_odds: np.ndarray,
                 talent_mean: float, talent_effect: float, quality_effect: float,
                 fit_effect: float) -> np.ndarray:
    """``stage_failure_prob`` of each stage of each project, shape (projects, 3)."""
    prob = np.empty((len(kind), 3))
    for i in range(len(kind)):
        for j in range(3):
            extra = kind_log_odds[kind[i]] + lever_log_odds[j + 1] + instrument_log_odds[i, j]
            prob[i, j] = stage_failure_prob(base_prob[j + 1], talent[i], provider_quality[i],
                                            fit[i], talent_mean, talent_effect,
                                            quality_effect, fit_effect, extra)
    return prob


def progress(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Running projects (started before this month) may fail, advance a stage, or complete.

    When every instrument hooked into failure, completion or acceptance has its hook in
    compiled form (``sim.policy.month_hooks``), the whole step is one compiled call
    (:func:`_progress_in_one_call`); otherwise it is taken in parts, with the hooks called
    between them, by the same compiled functions.
    """
    p, s = model.params, model.smes
    if not p.stages_on:
        return
    t, hooks = model.tally, model.month_hooks
    if hooks.compiled("on_completion", "on_failure", "on_acceptance"):
        _after_progress(model, *_progress_in_one_call(
            model.month_state, draws["failure"], draws["gain"], min_verified_gain(model),
            model.levers.counting, model.government.account_spent, model.month))
        return
    failed, completing = _advance(s.stage, s.started_month, s.project_kind, s.hazard,
                                  draws["failure"], model.stage_ends, model.month,
                                  t.failed_by_stage, t.cum_failed_by_stage)
    if len(failed):
        _end_unsuccessfully(model, failed)
    _complete(model, completing, draws)


@compiled
def _progress_in_one_call(m: Any, failure_draw: np.ndarray, gain_draw: np.ndarray,
                          min_gain: float, counting: bool, account_spent: np.ndarray,
                          month: int) -> tuple[int, int, int, float, int]:
    """:func:`progress` as one call, the instruments' hooks in compiled form.

    The steps of the hooked path, in its order: :func:`_advance`; the failed projects end
    (:func:`_record_failures`, ``month_hooks.fail_projects``, :func:`_release_providers`);
    the completed ones go to acceptance (``month_hooks.complete_projects``), are judged
    (:func:`_judge`), the rejected end as the failed ones, the accepted are transformed
    (:func:`_accept`), reweighed in the market (``market.weigh_firms``), paid what is due on
    acceptance (``month_hooks.accept_projects``) and release their providers. ``m`` is the
    model's ``month_state`` (``sim.month_state``); the rest is this month's.

    Returns:
        ``(rejected, accepted, upgraded, payback_years, paybacks)``: how many projects were
        rejected and accepted, and :func:`_accept`'s three numbers.
    """
    failed, completing = _advance(m.stage, m.started_month, m.project_kind, m.hazard,
                                  failure_draw, m.stage_ends, month, m.failed_by_stage,
                                  m.cum_failed_by_stage)
    _end_in_one_call(failed, month, m.failures, m.since, m.state, m.on_failure_rows,
                     m.hook_ints, m.hook_floats, m.sums, m.project_kind, m.hardware_only,
                     m.outlay, m.ledger, account_spent, m.provider, m.provider_load, m.stage)
    if len(completing) == 0:
        return 0, 0, 0, 0.0, 0
    complete_projects(m.on_completion_rows, m.hook_ints, m.hook_floats, completing, m.ledger,
                      account_spent)
    good, gain, rejected = _judge(completing, gain_draw, m.gain_sd, m.hardware_only,
                                  m.acceptance_on, min_gain)
    _end_in_one_call(rejected, month, m.failures, m.since, m.state, m.on_failure_rows,
                     m.hook_ints, m.hook_floats, m.sums, m.project_kind, m.hardware_only,
                     m.outlay, m.ledger, account_spent, m.provider, m.provider_load, m.stage)
    if len(good) == 0:
        return len(rejected), 0, 0, 0.0, 0
    payback_years, paybacks, upgraded = _accept(
        good, gain, month, counting, m.project_kind, m.level, m.benefit, m.cost, m.state,
        m.successes, m.since, m.counted, m.process_cut, m.unit_cost, m.quality,
        m.light_cost_cut, m.deep_cost_cut, m.light_process_share, m.deep_process_share,
        m.light_quality_gain, m.deep_quality_gain)
    weigh_firms(good, m.base_revenue, m.unit_cost, m.quality, m.weight, m.cost_sensitivity,
                m.quality_sensitivity)
    accept_projects(m.on_acceptance_rows, m.hook_ints, m.hook_floats, good, m.started_month,
                    m.project_kind, m.cost, m.outlay, m.ledger, account_spent)
    _release_providers(good, m.provider, m.provider_load, m.stage, m.project_kind)
    return len(rejected), len(good), upgraded, payback_years, paybacks


@compiled
def _end_in_one_call(firms: np.ndarray, month: int, failures: np.ndarray, since: np.ndarray,
                     state: np.ndarray, failure_rows: np.ndarray, hook_ints: np.ndarray,
                     hook_floats: np.ndarray, sums: np.ndarray, project_kind: np.ndarray,
                     hardware_only: np.ndarray, outlay: np.ndarray, ledger: np.ndarray,
                     account_spent: np.ndarray, provider: np.ndarray, load: np.ndarray,
                     stage: np.ndarray) -> None:
    """:func:`_end_unsuccessfully` in compiled code: the ``on_failure`` hooks compiled."""
    if len(firms) == 0:
        return
    _record_failures(firms, month, failures, since, state)
    fail_projects(failure_rows, hook_ints, hook_floats, sums, firms, project_kind,
                  hardware_only, outlay, ledger, account_spent)
    _release_providers(firms, provider, load, stage, project_kind)


def min_verified_gain(model: ClusterModel) -> float:
    """This month's acceptance threshold: an instrument's lever if set, else the parameter."""
    rule = model.levers.verified_gain_min
    return model.params.verified_gain_min if rule is None else rule


def _after_progress(model: ClusterModel, rejected: int, accepted: int, upgraded: int,
                    payback_years: float, paybacks: int) -> None:
    """Tally :func:`_progress_in_one_call`'s numbers; accepted firms' weights reshare the market."""
    model.tally.new_rejected += rejected
    if accepted:
        _tally_accepted(model, accepted, upgraded, payback_years, paybacks)
        model._market_changed = True


def _after_lapse(model: ClusterModel, lapsed: int) -> None:
    """Tally the lapsed firms; their weights (back at the start's) reshare the market."""
    if lapsed:
        model._market_changed = True
        model.tally.new_lapsed += lapsed


def _tally_accepted(model: ClusterModel, accepted: int, upgraded: int, payback_years: float,
                    paybacks: int) -> None:
    """The month's tally of accepted projects (:func:`_accept`'s numbers)."""
    t = model.tally
    t.payback_sum += payback_years  # finite paybacks only
    t.payback_n += paybacks
    t.new_transformed += accepted - upgraded
    t.new_upgraded += upgraded


@compiled
def _advance(stage: np.ndarray, started_month: np.ndarray, project_kind: np.ndarray,
             hazard: np.ndarray, failure_draw: np.ndarray, stage_ends: np.ndarray,
             month: int, failed_by_stage: np.ndarray,
             cum_failed_by_stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projects started before this month fail at their stage's hazard or move on.

    A project that goes on is in the stage its months since the start say (against the
    cumulative ends of its kind's three stages) and is complete after the last.

    The failures are counted by stage (early, middle, late) in the month's and the run's
    tallies (``failed_by_stage``, ``cum_failed_by_stage``).

    Returns:
        ``(failed, completing)``: the firms whose projects failed, and the firms whose
        projects are complete.
    """
    failed = np.empty(len(stage), np.int64)
    completing = np.empty(len(stage), np.int64)
    n_failed = n_completing = 0
    for i in range(len(stage)):
        if stage[i] == 0 or started_month[i] >= month:
            continue
        if failure_draw[i] < hazard[i, stage[i]]:
            failed_by_stage[stage[i] - 1] += 1
            cum_failed_by_stage[stage[i] - 1] += 1
            failed[n_failed] = i
            n_failed += 1
            continue
        done = month - started_month[i]
        ends = stage_ends[project_kind[i]]
        stage[i] = 1 + (done >= ends[0]) + (done >= ends[1])
        if done >= ends[2]:
            completing[n_completing] = i
            n_completing += 1
    return failed[:n_failed], completing[:n_completing]


def _release(model: ClusterModel, firms: np.ndarray) -> None:
    s = model.smes
    _release_providers(firms, s.provider, model.providers.load, s.stage, s.project_kind)


@compiled
def _release_providers(firms: np.ndarray, provider: np.ndarray, load: np.ndarray,
                       stage: np.ndarray, project_kind: np.ndarray) -> None:
    """Projects end: their providers' slots are free again."""
    for f in firms:
        load[provider[f]] -= 1
        provider[f], stage[f], project_kind[f] = -1, 0, 0


def _end_unsuccessfully(model: ClusterModel, firms: np.ndarray) -> None:
    """A failed or rejected project: first-timers fail; upgraders keep their light system."""
    if len(firms) == 0:
        return
    s = model.smes
    _record_failures(firms, model.month, s.failures, s.since, s.state)
    for on_failure in model.hooks["on_failure"]:
        on_failure(model, firms)
    _release(model, firms)


@compiled
def _record_failures(firms: np.ndarray, month: int, failures: np.ndarray, since: np.ndarray,
                     state: np.ndarray) -> None:
    for f in firms:
        failures[f] += 1
        since[f] = month
        if state[f] == IN_PROJECT:
            state[f] = FAILED


def _complete(model: ClusterModel, firms: np.ndarray, draws: dict[str, np.ndarray]) -> None:
    """Acceptance: only projects with verified gains count as transformed."""
    if len(firms) == 0:
        return
    p, s, t = model.params, model.smes, model.month
    for on_completion in model.hooks["on_completion"]:
        on_completion(model, firms)
    good, gain, rejected = _judge(firms, draws["gain"], p.realised_gain_sd, s.hardware_only,
                                  p.acceptance_on, min_verified_gain(model))
    model.tally.new_rejected += len(rejected)
    _end_unsuccessfully(model, rejected)
    if len(good) == 0:
        return
    payback_years, paybacks, upgraded = _accept(
        good, gain, t, model.levers.counting, s.project_kind, s.level, s.benefit, s.cost,
        s.state, s.successes, s.since, s.counted, s.process_cut, s.unit_cost, s.quality,
        p.light_cost_cut, p.deep_cost_cut, p.light_process_share, p.deep_process_share,
        p.light_quality_gain, p.deep_quality_gain)
    _tally_accepted(model, len(good), upgraded, payback_years, paybacks)
    model.reweigh(good)
    for on_acceptance in model.hooks["on_acceptance"]:
        on_acceptance(model, good)
    _release(model, good)


@compiled
def _judge(firms: np.ndarray, gain_draw: np.ndarray, sigma: float, hardware_only: np.ndarray,
           acceptance_on: bool, min_gain: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Completed projects' realised gains, and their verdicts (``agents.sme.accepted``).

    Returns:
        ``(accepted_firms, their_gains, rejected_firms)``.
    """
    gain = realised_gains(gain_draw[firms], sigma)
    ok = accepted(gain, hardware_only[firms], min_gain) if acceptance_on \
        else np.ones(len(firms), np.bool_)
    return firms[ok], gain[ok], firms[~ok]


@compiled
def realised_gains(quantile: np.ndarray, sigma: float) -> np.ndarray:
    """``agents.sme.realised_gain`` at each quantile (acceptance, and a starting state)."""
    gain = np.empty(len(quantile))
    for i in range(len(quantile)):
        gain[i] = realised_gain(quantile[i], sigma)
    return gain


@compiled
def _accept(firms: np.ndarray, gain: np.ndarray, month: int, counting: bool,
            project_kind: np.ndarray, level: np.ndarray, benefit: np.ndarray, cost: np.ndarray,
            state: np.ndarray, successes: np.ndarray, since: np.ndarray, counted: np.ndarray,
            process_cut: np.ndarray, unit_cost: np.ndarray, quality: np.ndarray,
            light_cost_cut: float, deep_cost_cut: float, light_process_share: float,
            deep_process_share: float, light_quality_gain: float,
            deep_quality_gain: float) -> tuple[float, int, int]:
    """Accepted projects: the firms are transformed at their project's level.

    The city counts an acceptance made while its acceptance process is in force
    (``counting``); an upgrade keeps a firm counted that was counted before. The realised gain
    sets the firm's cost cut, unit cost and quality (:func:`realised_effects`).

    Returns:
        ``(payback_years, paybacks, upgraded)``: the sum of the projects' realised paybacks
        that are finite (cost over the benefit they add at the realised gain, summed as
        numpy sums), how many those are, and how many projects were upgrades.
    """
    kind = project_kind[firms]
    effects = _effects(kind, gain, light_cost_cut, deep_cost_cut, light_process_share,
                       deep_process_share, light_quality_gain, deep_quality_gain)
    payback_years = np.empty(len(firms))
    upgraded = 0
    for i in range(len(firms)):
        f, k = firms[i], kind[i]
        upgrade = level[f] > 0
        added_benefit = benefit[k, f] - (benefit[LIGHT, f] if upgrade else 0.0)
        payback_years[i] = cost[k, f] / (added_benefit * gain[i])
        upgraded += upgrade
        level[f], state[f] = k, TRANSFORMED
        successes[f] += 1
        since[f] = month
        counted[f] = counted[f] or counting
        process_cut[f], unit_cost[f], quality[f] = effects[0][i], effects[1][i], effects[2][i]
    finite = payback_years[np.isfinite(payback_years)]
    return pairwise_sum(finite, 0, len(finite)), len(finite), upgraded


def realised_effects(p: ModelParams, kind: np.ndarray,
                     gain: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What accepted projects of ``kind`` with realised ``gain`` do to their firms.

    The realised gain sets what the project really does: its processes' cost cut (what pilots
    report as efficiency, at most ``MAX_CUT``), and through them the firm's unit cost and
    quality. Acceptance (:func:`_complete`) and a starting state (``sim.start_state``) use it.

    Returns:
        ``(process_cut, unit_cost, quality)``: the cut in the changed processes' cost (share),
        the firm's unit-cost index and its quality index.
    """
    return _effects(kind, gain, p.light_cost_cut, p.deep_cost_cut, p.light_process_share,
                    p.deep_process_share, p.light_quality_gain, p.deep_quality_gain)


@compiled
def _effects(kind: np.ndarray, gain: np.ndarray, light_cost_cut: float, deep_cost_cut: float,
             light_process_share: float, deep_process_share: float, light_quality_gain: float,
             deep_quality_gain: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    process_cut, unit_cost, quality = np.empty(len(kind)), np.empty(len(kind)), np.empty(len(kind))
    for i in range(len(kind)):
        deep = kind[i] == DEEP
        process_cut[i] = min((deep_cost_cut if deep else light_cost_cut) * gain[i], MAX_CUT)
        unit_cost[i] = 1.0 - process_cut[i] * (deep_process_share if deep else light_process_share)
        quality_gain = deep_quality_gain if deep else light_quality_gain if kind[i] == LIGHT \
            else 0.0
        quality[i] = 1.0 + quality_gain * gain[i]
    return process_cut, unit_cost, quality


def lapse_and_retry(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Transformed firms may lapse; failed and lapsed firms reconsider after a cooldown.

    After the cooldown a firm is willing again (retry) or gives up (unwilling again). A firm
    that lapses is back at the unit cost and quality it started with, and so is its market
    weight (``sim.market.firm_weight``, in the same compiled call).
    """
    _after_lapse(model, _lapse_and_reconsider(model.month_state, draws["lapse"],
                                              draws["retry"], model.month))


@compiled
def _lapse_and_reconsider(m: Any, lapse_draw: np.ndarray, retry_draw: np.ndarray,
                          month: int) -> int:
    """Lapse and retry, one firm at a time (neither depends on other firms).

    An idle transformed firm may lapse (``agents.sme.lapse_prob``): its system no longer cuts
    its costs, and its unit cost, quality and market weight are back at the start's; a failed
    or lapsed firm past its cooldown retries (willing again) or gives up (unaware again).
    ``m`` is the model's ``month_state`` (``sim.month_state``).

    Returns:
        How many firms lapsed.
    """
    state, level, project_kind, since = m.state, m.level, m.project_kind, m.since
    talent, process_cut, unit_cost, quality = m.talent, m.process_cut, m.unit_cost, m.quality
    lapse_on, lapse_per_month, retry_on, retry_prob = (m.lapse_on, m.lapse_per_month,
                                                       m.retry_on, m.retry_prob)
    n = 0
    for i in range(len(state)):
        # transformed firms with no project running, accepted before this month (most draws
        # are above the chance's bound, and skip the rule's exp)
        if lapse_on and state[i] == TRANSFORMED and project_kind[i] == 0 and since[i] < month \
                and lapse_draw[i] < lapse_prob_bound(talent[i], lapse_per_month) \
                and lapse_draw[i] < lapse_prob(talent[i], lapse_per_month):
            state[i], level[i], process_cut[i], since[i] = LAPSED, 0, 0.0, month
            unit_cost[i], quality[i] = 1.0, 1.0
            m.weight[i] = firm_weight(m.base_revenue[i], 1.0, 1.0, m.cost_sensitivity,
                                      m.quality_sensitivity)
            n += 1
        if retry_on and (state[i] == FAILED or state[i] == LAPSED) and since[i] < month \
                and month - since[i] >= m.cooldown:
            state[i] = WILLING if retry_draw[i] < retry_prob else UNAWARE
    return n
