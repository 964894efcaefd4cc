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
from catfish.agents.provider import entry_due, fill_slots, sector_fit
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
    monthly_hazard,
    project_value,
    stage_failure_prob,
)
from catfish.sim.population import quality_gain
from scipy.special import ndtri

if TYPE_CHECKING:
    from catfish.sim.model import ClusterModel
    from catfish.sim.params import ModelParams

MAX_CUT = 0.95  # a lucky project cuts its processes' costs by at most 95 %


def adopt_willing(model: ClusterModel) -> None:
    """Bass docking: every willing firm counts as adopted in the month it becomes willing."""
    s = model.smes
    newly = np.nonzero(s.state == WILLING)[0]
    s.state[newly] = TRANSFORMED
    s.level[newly] = LIGHT
    s.since[newly] = model.month
    model.tally.new_transformed += len(newly)


KINDS = np.array([[LIGHT], [DEEP]])  # rows of the (kind, firm) arrays in value_projects()


def decide(model: ClusterModel, seen_ok: np.ndarray, seen_bad: np.ndarray) -> None:
    """Willing firms (and light adopters considering a deep upgrade) choose a project or wait.

    Both kinds are valued at once by :func:`value_projects`; a firm takes the better of the
    kinds it would undertake (``agents.sme.choose_kind``) and queues for it.
    """
    p, s, t = model.params, model.smes, model.month
    first = s.state == WILLING
    if not p.economic_gate_on:
        firms = np.nonzero(first)[0]
        _enqueue(model, firms, np.full(len(firms), LIGHT, np.int8))
        return
    upgrade = (s.state == TRANSFORMED) & (s.level == LIGHT) & (s.project_kind == 0) \
        & (t - s.since >= p.cooldown_months)
    firms = np.nonzero(first | upgrade)[0]
    if len(firms) == 0:
        return
    valuation = value_projects(model, firms, upgrade[firms], seen_ok[firms], seen_bad[firms])
    go, value = valuation.go, valuation.value
    kinds = choose_kind(value[0], value[1], go[0], go[1])
    chosen = kinds > 0
    _enqueue(model, firms[chosen], kinds[chosen])


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
        fail_belief, benefit_belief = p.prior_failure_belief, p.prior_benefit_belief
    cost = s.cost[1:, firms]
    benefit = s.benefit[1:, firms]
    if is_upgrade.any():  # an upgrade earns only what deep adds to light
        benefit[1] -= np.where(is_upgrade, benefit[0], 0.0)
    fail = np.empty(cost.shape)
    fail[0] = _scale_odds(fail_belief, p.light_failure_factor)
    fail[1] = fail_belief
    revenue = s.revenue[firms]
    levers = model.levers
    # shares from several instruments add up, but no more than the whole is ever covered
    interest_subsidy, reimbursement, instalment = (
        np.minimum(share[KINDS], 1.0) for share in (
            levers.interest_subsidy_share, levers.failure_reimbursement_share,
            levers.instalment_share))
    # instalments (paid from the project's savings) need no collateral: they add to credit
    credit_limit = s.credit_access[firms] * p.credit_limit_share * revenue \
        + instalment * cost
    grant_at_start = sum(support(model, firms, KINDS, cost)
                         for support in model.hooks["support_at_start"])
    grant_on_acceptance = sum(support(model, firms, KINDS, cost)
                              for support in model.hooks["support_on_acceptance"])
    value, affordable = project_value(
        cost, benefit,
        grant_at_start=grant_at_start, grant_on_acceptance=grant_on_acceptance,
        cash=s.cash[firms], credit_limit=credit_limit,
        loan_rate=p.loan_rate, interest_subsidy_share=interest_subsidy,
        loan_years=p.loan_years, failure_prob=fail, benefit_belief=benefit_belief,
        avoided_loss=model.lost_share[firms] * s.base_revenue[firms] * p.contribution_margin,
        failure_reimbursement_share=reimbursement,
        annuity=model.annuity,
        risk_aversion=p.risk_aversion if risk_aversion is None else risk_aversion,
        risk_capacity=revenue)
    # a firm undertakes a project only if it clears its own hurdle per RMB of cost
    go = affordable & (value > s.hurdle[firms] * cost)
    go[0] &= ~is_upgrade
    go[1] &= s.infrastructure[firms] >= p.deep_infrastructure_min
    return Valuation(cost=cost, benefit=benefit, grant_at_start=grant_at_start,
                     grant_on_acceptance=grant_on_acceptance, failure_belief=fail, value=value,
                     affordable=affordable, go=go)


def _scale_odds(prob: np.ndarray, factor: float) -> np.ndarray:
    odds = prob / np.maximum(1 - prob, 1e-12) * factor
    return odds / (1 + odds)


def _enqueue(model: ClusterModel, firms: np.ndarray, kinds: np.ndarray) -> None:
    s = model.smes
    s.project_kind[firms] = kinds
    s.queued_since[firms] = model.month
    s.state[firms[s.state[firms] == WILLING]] = QUEUED
    model.tally.new_queued += len(firms)


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
        key = s.queued_since[waiting] + draws["queue"][waiting]  # month, then random order
        if p.provider_capacity_on:
            # a rating may delist providers below a quality floor: they take no new projects
            listed = prov.active & (prov.quality >= model.levers.min_provider_quality)
            free = np.where(listed, prov.capacity - prov.load, 0)
            n_served = min(int(np.add.reduce(free)), n_waiting)
            if n_served < n_waiting:
                served = np.argpartition(key, n_served - 1)[:n_served] if n_served else slice(0)
                waiting, key = waiting[served], key[served]
            waiting = waiting[np.argsort(key, kind="stable")]
            chosen = np.full(len(waiting), -1)
            sectors = s.sector[waiting]
            for sector in dict.fromkeys(sectors.tolist()):  # in order of first appearance
                in_sector = np.flatnonzero(sectors == sector)
                order = model.provider_order(sector)
                slot = fill_slots(len(in_sector), free[order])
                got = slot >= 0
                taken = order[slot[got]]
                chosen[in_sector[got]] = taken
                free -= np.bincount(taken, minlength=len(free))
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


def _start(model: ClusterModel, firms: np.ndarray, providers: np.ndarray,
           draws: dict[str, np.ndarray]) -> None:
    p, s, t = model.params, model.smes, model.month
    s.provider[firms] = providers
    load = model.providers.load
    load += np.bincount(providers, minlength=len(load)).astype(load.dtype)
    s.stage[firms] = 1
    s.started_month[firms] = t
    s.hardware_only[firms] = draws["hardware"][firms] < p.hardware_only_share
    s.outlay[firms] = s.cost[s.project_kind[firms], firms]
    s.state[firms[s.state[firms] == QUEUED]] = IN_PROJECT
    model.tally.new_started += len(firms)
    for on_start in model.hooks["on_start"]:
        on_start(model, firms)
    # what the firm borrows once grants and vouchers have lowered its own outlay
    s.loan[firms] = np.maximum(s.outlay[firms] - s.cash[firms], 0.0)
    if p.stages_on:
        s.hazard[firms] = _stage_hazards(model, firms)
    else:
        _complete(model, firms, draws)


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
    hazard = np.zeros((len(firms), 4))
    hazard[:, 1:] = monthly_hazard(prob, model.stage_months[kind, 1:])
    hazard[s.hardware_only[firms]] = 0.0
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
        extra_log_odds=np.where(kind == LIGHT, np.log(p.light_failure_factor), 0.0)[:, None]
        + model.levers.stage_log_odds[1:]
        + sum(log_odds(model, firms) for log_odds in model.hooks["stage_log_odds"]))


def progress(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Running projects (started before this month) may fail, advance a stage, or complete."""
    p, s, t = model.params, model.smes, model.month
    if not p.stages_on:
        return
    firms = np.nonzero((s.stage > 0) & (s.started_month < t))[0]
    if len(firms) == 0:
        return
    stage = s.stage[firms]
    fails = draws["failure"][firms] < s.hazard[firms, stage]
    if fails.any():
        model.tally.add_failures(np.bincount(stage[fails], minlength=4)[1:])
        _end_unsuccessfully(model, firms[fails])
        firms = firms[~fails]
    # months completed after this one, against the cumulative ends of the three stages
    done = t - s.started_month[firms]
    ends = model.stage_ends[s.project_kind[firms]]
    s.stage[firms] = 1 + (done >= ends[:, 0]) + (done >= ends[:, 1])
    _complete(model, firms[done >= ends[:, 2]], draws)


def _release(model: ClusterModel, firms: np.ndarray) -> None:
    s = model.smes
    load = model.providers.load
    load -= np.bincount(s.provider[firms], minlength=len(load)).astype(load.dtype)
    s.provider[firms] = -1
    s.stage[firms] = 0
    s.project_kind[firms] = 0


def _end_unsuccessfully(model: ClusterModel, firms: np.ndarray) -> None:
    """A failed or rejected project: first-timers fail; upgraders keep their light system."""
    s = model.smes
    s.failures[firms] += 1
    s.since[firms] = model.month
    s.state[firms[s.state[firms] == IN_PROJECT]] = FAILED
    for on_failure in model.hooks["on_failure"]:
        on_failure(model, firms)
    _release(model, firms)


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
    model.tally.new_rejected += int((~ok).sum())
    _end_unsuccessfully(model, firms[~ok])

    good, gain = firms[ok], gain[ok]
    kind = s.project_kind[good]
    upgrader = s.level[good] > 0
    added_benefit = s.benefit[kind, good] - np.where(upgrader, s.benefit[LIGHT, good], 0.0)
    model.tally.record_payback(s.cost[kind, good] / (added_benefit * gain))
    model.tally.new_transformed += int((~upgrader).sum())
    model.tally.new_upgraded += int(upgrader.sum())
    s.level[good] = kind
    s.state[good] = TRANSFORMED
    s.successes[good] += 1
    s.since[good] = t
    # the city counts an acceptance made while its acceptance process is in force (an upgrade
    # keeps a firm counted that was counted before)
    s.counted[good] |= model.levers.counting
    process_cut, unit_cost, quality = realised_effects(p, kind, gain)
    s.process_cut[good] = process_cut
    model.set_cost_quality(good, unit_cost, quality)
    for on_acceptance in model.hooks["on_acceptance"]:
        on_acceptance(model, good)
    _release(model, good)


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
    process_cut = np.minimum(np.where(kind == DEEP, p.deep_cost_cut, p.light_cost_cut) * gain,
                             MAX_CUT)
    share = np.where(kind == DEEP, p.deep_process_share, p.light_process_share)
    return process_cut, 1.0 - process_cut * share, 1.0 + quality_gain(p, kind) * gain


def lapse_and_retry(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Transformed firms may lapse; failed and lapsed firms reconsider after a cooldown.

    After the cooldown a firm is willing again (retry) or gives up (unwilling again).
    """
    p, s, t = model.params, model.smes, model.month
    if p.lapse_on:
        idle = np.nonzero((s.state == TRANSFORMED) & (s.project_kind == 0) & (s.since < t))[0]
        lapsing = idle[draws["lapse"][idle] < lapse_prob(
            s.talent[idle], lapse_per_month=p.lapse_per_year / 12)]
        s.state[lapsing] = LAPSED
        s.level[lapsing] = 0
        s.process_cut[lapsing] = 0.0
        model.set_cost_quality(lapsing, 1.0, 1.0)
        s.since[lapsing] = t
        model.tally.new_lapsed += len(lapsing)
    if p.retry_on:
        due = ((s.state == FAILED) | (s.state == LAPSED)) & (s.since < t) \
            & (t - s.since >= p.cooldown_months)
        retry = due & (draws["retry"] < p.retry_prob)
        s.state[retry] = WILLING
        s.state[due & ~retry] = UNAWARE
