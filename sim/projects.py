"""A firm's project from decision to acceptance, for all firms at once.

decide -> queue -> a provider's free slot -> early, middle, late stage (each with a failure
hazard) -> acceptance on verified gains -> transformed; or failed / rejected. A transformed firm
with a light project may later take a deep one (light first, then deep): it stays transformed
while the upgrade runs. Every rule used here is a pure function in ``agents``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from agents.jit import compiled
from agents.provider import entry_due, sector_fit, serve_queue
from agents.sme import (
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
    monthly_hazard,
    project_value,
    stage_failure_prob,
)

if TYPE_CHECKING:
    from sim.model import ClusterModel
    from sim.params import ModelParams

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
    firms, upgrade = _deciding(s.state, s.level, s.project_kind, s.since, t, p.cooldown_months)
    if len(firms) == 0:
        return
    valuation = value_projects(model, firms, upgrade, seen_ok[firms], seen_bad[firms])
    go, value = valuation.go, valuation.value
    _enqueue(model, firms, choose_kind(value[0], value[1], go[0], go[1]))


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
        grant_at_start: Support the firms expect when the project starts, RMB (a float 0.0
            when no instrument offers any).
        grant_on_acceptance: Support they expect on acceptance, RMB (likewise).
        failure_belief: Perceived probability that the project fails.
        value: Risk-adjusted NPV (certainty equivalent), RMB (``agents.sme.project_value``).
        affordable: Whether cash and credit cover the up-front outlay.
        go: Whether the firm would undertake the project: affordable, clears its hurdle, and
            for deep projects ready infrastructure; upgraders consider deep only.
    """

    cost: np.ndarray
    benefit: np.ndarray
    grant_at_start: np.ndarray | float
    grant_on_acceptance: np.ndarray | float
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
    p, s = model.params, model.smes
    if p.beliefs_on:
        fail_belief, benefit_belief = beliefs(
            successes_seen, failures_seen, prior_failure=p.prior_failure_belief,
            prior_benefit=p.prior_benefit_belief, prior_weight=p.prior_belief_weight)
    else:
        fail_belief = np.full(len(firms), p.prior_failure_belief)
        benefit_belief = p.prior_benefit_belief
    levers = model.levers
    # shares from several instruments add up, but no more than the whole is ever covered
    interest_subsidy, reimbursement, instalment = (
        np.minimum(share[KINDS], 1.0) for share in (
            levers.interest_subsidy_share, levers.failure_reimbursement_share,
            levers.instalment_share))
    cost, benefit, fail, credit_limit, avoided_loss = _firm_economics(
        firms, is_upgrade, fail_belief, p.light_failure_factor, s.cost, s.benefit,
        s.credit_access, s.revenue, p.credit_limit_share, instalment[:, 0], model.lost_share,
        s.base_revenue, p.contribution_margin)
    grant_at_start = sum(support(model, firms, KINDS, cost)
                         for support in model.hooks["support_at_start"])
    grant_on_acceptance = sum(support(model, firms, KINDS, cost)
                              for support in model.hooks["support_on_acceptance"])
    revenue = s.revenue[firms]
    value, affordable = project_value(
        cost, benefit,
        grant_at_start=grant_at_start, grant_on_acceptance=grant_on_acceptance,
        cash=s.cash[firms], credit_limit=credit_limit,
        loan_rate=p.loan_rate, interest_subsidy_share=interest_subsidy,
        loan_years=p.loan_years, failure_prob=fail, benefit_belief=benefit_belief,
        avoided_loss=avoided_loss, failure_reimbursement_share=reimbursement,
        annuity=model.annuity,
        risk_aversion=p.risk_aversion if risk_aversion is None else risk_aversion,
        risk_capacity=revenue)
    go = _undertaken(firms, is_upgrade, value, affordable, cost, s.hurdle, s.infrastructure,
                     p.deep_infrastructure_min)
    return Valuation(cost=cost, benefit=benefit, grant_at_start=grant_at_start,
                     grant_on_acceptance=grant_on_acceptance, failure_belief=fail, value=value,
                     affordable=affordable, go=go)


@compiled
def _firm_economics(firms: np.ndarray, is_upgrade: np.ndarray, fail_belief: np.ndarray,
                    light_failure_factor: float, all_cost: np.ndarray, all_benefit: np.ndarray,
                    credit_access: np.ndarray, revenue: np.ndarray, credit_limit_share: float,
                    instalment: np.ndarray, lost_share: np.ndarray, base_revenue: np.ndarray,
                    contribution_margin: float) -> tuple[np.ndarray, ...]:
    """What the decision weighs for ``firms``, each of shape (2, firms): light, deep.

    Returns:
        ``(cost, benefit, failure_belief, credit_limit, avoided_loss)``: an upgrade earns only
        what deep adds to light; light projects fail at ``light_failure_factor`` times the
        odds; instalments (paid from the project's savings) need no collateral, so they add
        to the credit line; the loss avoided is the lost orders' contribution (one row).
    """
    m = len(firms)
    cost, benefit = np.empty((2, m)), np.empty((2, m))
    fail, credit_limit = np.empty((2, m)), np.empty((2, m))
    avoided_loss = np.empty(m)
    for i in range(m):
        f = firms[i]
        credit_line = credit_access[f] * credit_limit_share * revenue[f]
        for k in range(2):
            cost[k, i], benefit[k, i] = all_cost[k + 1, f], all_benefit[k + 1, f]
            credit_limit[k, i] = credit_line + instalment[k] * cost[k, i]
        if is_upgrade[i]:
            benefit[1, i] -= benefit[0, i]
        fail[0, i] = _scale_odds(fail_belief[i], light_failure_factor)
        fail[1, i] = fail_belief[i]
        avoided_loss[i] = lost_share[f] * base_revenue[f] * contribution_margin
    return cost, benefit, fail, credit_limit, avoided_loss


@compiled
def _undertaken(firms: np.ndarray, is_upgrade: np.ndarray, value: np.ndarray,
                affordable: np.ndarray, cost: np.ndarray, hurdle: np.ndarray,
                infrastructure: np.ndarray, deep_infrastructure_min: float) -> np.ndarray:
    """Which projects firms would undertake (shape (2, firms): light, deep).

    A project must be affordable and clear the firm's own hurdle per RMB of cost; upgraders
    consider deep only, and deep needs ready infrastructure.
    """
    go = np.empty(value.shape, np.bool_)
    for i in range(len(firms)):
        f = firms[i]
        for k in range(2):
            go[k, i] = affordable[k, i] and value[k, i] > hurdle[f] * cost[k, i]
        go[0, i] = go[0, i] and not is_upgrade[i]
        go[1, i] = go[1, i] and infrastructure[f] >= deep_infrastructure_min
    return go


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
    p, s, prov = model.params, model.smes, model.providers
    waiting = np.flatnonzero((s.project_kind > 0) & (s.stage == 0))
    n_waiting, n_started = len(waiting), 0
    if n_waiting:
        if p.provider_capacity_on:
            # a rating may delist providers below a quality floor: they take no new projects
            listed = prov.active & (prov.quality >= model.levers.min_provider_quality)
            free = np.where(listed, prov.capacity - prov.load, 0)
            waiting = _longest_waiting(waiting, s.queued_since, draws["queue"],
                                       min(int(np.add.reduce(free)), n_waiting))
            chosen = serve_queue(s.sector[waiting], free, model.provider_orders())
        else:  # unlimited capacity: any active provider, at random
            active = np.flatnonzero(prov.active)
            pick = (draws["queue"][waiting] * len(active)).astype(int)
            chosen = active[np.minimum(pick, len(active) - 1)]
        start = chosen >= 0
        n_started = np.count_nonzero(start)
        _start(model, waiting[start], chosen[start], draws)
    model.queue_history.append(n_waiting - n_started)
    if p.provider_entry_on and p.provider_capacity_on and entry_due(
            model.queue_history, threshold=p.provider_capacity,
            lag_months=p.provider_entry_lag_months):
        model.add_provider()


@compiled
def _longest_waiting(waiting: np.ndarray, queued_since: np.ndarray, queue_draw: np.ndarray,
                     n_served: int) -> np.ndarray:
    """The ``n_served`` firms queued longest, in queue order (ties in the month at random)."""
    key = np.empty(len(waiting))
    for i in range(len(waiting)):
        key[i] = queued_since[waiting[i]] + queue_draw[waiting[i]]
    return waiting[np.argsort(key, kind="mergesort")[:n_served]]


def _start(model: ClusterModel, firms: np.ndarray, providers: np.ndarray,
           draws: dict[str, np.ndarray]) -> None:
    p, s = model.params, model.smes
    _begin(firms, providers, model.month, draws["hardware"], p.hardware_only_share, s.provider,
           model.providers.load, s.stage, s.started_month, s.hardware_only, s.outlay, s.cost,
           s.project_kind, s.state)
    model.tally.new_started += len(firms)
    for on_start in model.hooks["on_start"]:
        on_start(model, firms)
    # what the firm borrows once grants and vouchers have lowered its own outlay
    _borrow(firms, s.outlay, s.cash, s.loan)
    if p.stages_on:
        s.hazard[firms] = _stage_hazards(model, firms)
    else:
        _complete(model, firms, draws)


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


def _stage_hazards(model: ClusterModel, firms: np.ndarray) -> np.ndarray:
    """Monthly failure hazard of each stage (columns 1-3; column 0 unused) of new projects.

    A project's risk is fixed when it starts: by the firm's talent, its provider's quality and
    fit, the kind of project and the support in force then. Hardware-only purchases do not fail
    (they are caught at acceptance).
    """
    s = model.smes
    kind, prov = s.project_kind[firms], s.provider[firms]
    prob = stage_failure_probs(
        model, firms, kind, model.providers.quality[prov],
        sector_fit(model.providers.specialty[prov], s.sector[firms]))
    return _with_hardware_safe(monthly_hazard(prob, model.stage_months[kind, 1:]), firms,
                               s.hardware_only)


@compiled
def _with_hardware_safe(monthly: np.ndarray, firms: np.ndarray,
                        hardware_only: np.ndarray) -> np.ndarray:
    """Hazards by stage (column 0 unused), none for hardware-only purchases."""
    hazard = np.zeros((len(firms), 4))
    for i in range(len(firms)):
        if not hardware_only[firms[i]]:
            hazard[i, 1:] = monthly[i]
    return hazard


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
    return stage_failure_prob(
        model.stage_base_prob[1:], s.talent[firms, None], provider_quality[:, None],
        fit[:, None],
        talent_mean=p.talent_mean, talent_effect=p.talent_effect,
        quality_effect=p.provider_quality_effect, fit_effect=p.fit_effect,
        extra_log_odds=model.kind_log_odds[kind, None] + model.levers.stage_log_odds[1:]
        + sum(log_odds(model, firms) for log_odds in model.hooks["stage_log_odds"]))


def progress(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Running projects (started before this month) may fail, advance a stage, or complete."""
    p, s = model.params, model.smes
    if not p.stages_on:
        return
    failed, by_stage, completing = _advance(s.stage, s.started_month, s.project_kind, s.hazard,
                                            draws["failure"], model.stage_ends, model.month)
    if len(failed):
        model.tally.add_failures(by_stage)
        _end_unsuccessfully(model, failed)
    _complete(model, completing, draws)


@compiled
def _advance(stage: np.ndarray, started_month: np.ndarray, project_kind: np.ndarray,
             hazard: np.ndarray, failure_draw: np.ndarray, stage_ends: np.ndarray,
             month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Projects started before this month fail at their stage's hazard or move on.

    A project that goes on is in the stage its months since the start say (against the
    cumulative ends of its kind's three stages) and is complete after the last.

    Returns:
        ``(failed, failed_by_stage, completing)``: the firms whose projects failed, how many
        failed in the early, middle and late stage, and the firms whose projects are complete.
    """
    failed = np.empty(len(stage), np.int64)
    completing = np.empty(len(stage), np.int64)
    by_stage = np.zeros(3, np.int64)
    n_failed = n_completing = 0
    for i in range(len(stage)):
        if stage[i] == 0 or started_month[i] >= month:
            continue
        if failure_draw[i] < hazard[i, stage[i]]:
            by_stage[stage[i] - 1] += 1
            failed[n_failed] = i
            n_failed += 1
            continue
        done = month - started_month[i]
        ends = stage_ends[project_kind[i]]
        stage[i] = 1 + (done >= ends[0]) + (done >= ends[1])
        if done >= ends[2]:
            completing[n_completing] = i
            n_completing += 1
    return failed[:n_failed], by_stage, completing[:n_completing]


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
    sigma = p.realised_gain_sd
    u = np.minimum(np.maximum(draws["gain"][firms], 1e-12), 1 - 1e-12)
    gain = np.exp(sigma * ndtri(u) - sigma**2 / 2)
    rule = model.levers.verified_gain_min
    min_gain = p.verified_gain_min if rule is None else rule
    ok = accepted(gain, s.hardware_only[firms], min_gain=min_gain) \
        if p.acceptance_on else np.ones(len(firms), bool)
    rejected = firms[~ok]
    model.tally.new_rejected += len(rejected)
    _end_unsuccessfully(model, rejected)
    good, gain = firms[ok], gain[ok]
    if len(good) == 0:
        return
    kind, payback_years, upgraded = _accept(good, gain, t, model.levers.counting,
                                            s.project_kind, s.level, s.benefit, s.cost,
                                            s.state, s.successes, s.since, s.counted)
    model.tally.record_payback(payback_years)
    model.tally.new_transformed += len(good) - upgraded
    model.tally.new_upgraded += upgraded
    process_cut, unit_cost, quality = realised_effects(p, kind, gain)
    s.process_cut[good] = process_cut
    model.set_cost_quality(good, unit_cost, quality)
    for on_acceptance in model.hooks["on_acceptance"]:
        on_acceptance(model, good)
    _release(model, good)


@compiled
def _accept(firms: np.ndarray, gain: np.ndarray, month: int, counting: bool,
            project_kind: np.ndarray, level: np.ndarray, benefit: np.ndarray, cost: np.ndarray,
            state: np.ndarray, successes: np.ndarray, since: np.ndarray,
            counted: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Accepted projects: the firms are transformed at their project's level.

    The city counts an acceptance made while its acceptance process is in force
    (``counting``); an upgrade keeps a firm counted that was counted before.

    Returns:
        ``(kind, payback_years, upgraded)``: the projects' kinds, their realised paybacks
        (cost over the benefit they add at the realised gain) and how many were upgrades.
    """
    kind = np.empty(len(firms), np.int8)
    payback_years = np.empty(len(firms))
    upgraded = 0
    for i in range(len(firms)):
        f = firms[i]
        k = project_kind[f]
        upgrade = level[f] > 0
        added_benefit = benefit[k, f] - (benefit[LIGHT, f] if upgrade else 0.0)
        payback_years[i] = cost[k, f] / (added_benefit * gain[i])
        upgraded += upgrade
        kind[i], level[f], state[f] = k, k, TRANSFORMED
        successes[f] += 1
        since[f] = month
        counted[f] = counted[f] or counting
    return kind, payback_years, upgraded


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

    After the cooldown a firm is willing again (retry) or gives up (unwilling again).
    """
    p, s, t = model.params, model.smes, model.month
    if p.lapse_on:
        idle = _idle_transformed(s.state, s.project_kind, s.since, t)
        lapsing = idle[draws["lapse"][idle] < lapse_prob(
            s.talent[idle], lapse_per_month=p.lapse_per_year / 12)]
        if len(lapsing):
            _lapse(lapsing, t, s.state, s.level, s.process_cut, s.since)
            model.set_cost_quality(lapsing, 1.0, 1.0)
            model.tally.new_lapsed += len(lapsing)
    if p.retry_on:
        _reconsider(s.state, s.since, draws["retry"], t, p.cooldown_months, p.retry_prob)


@compiled
def _idle_transformed(state: np.ndarray, project_kind: np.ndarray, since: np.ndarray,
                      month: int) -> np.ndarray:
    """Transformed firms with no project running, accepted before this month."""
    idle = np.empty(len(state), np.int64)
    n = 0
    for i in range(len(state)):
        if state[i] == TRANSFORMED and project_kind[i] == 0 and since[i] < month:
            idle[n] = i
            n += 1
    return idle[:n]


@compiled
def _lapse(firms: np.ndarray, month: int, state: np.ndarray, level: np.ndarray,
           process_cut: np.ndarray, since: np.ndarray) -> None:
    for f in firms:
        state[f], level[f], process_cut[f], since[f] = LAPSED, 0, 0.0, month


@compiled
def _reconsider(state: np.ndarray, since: np.ndarray, retry_draw: np.ndarray, month: int,
                cooldown: int, retry_prob: float) -> None:
    """After the cooldown a failed or lapsed firm is willing again, or gives up (unaware)."""
    for i in range(len(state)):
        if (state[i] == FAILED or state[i] == LAPSED) and since[i] < month \
                and month - since[i] >= cooldown:
            state[i] = WILLING if retry_draw[i] < retry_prob else UNAWARE
