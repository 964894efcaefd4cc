"""A firm's project from decision to acceptance, for all firms at once.

decide -> queue -> a provider's free slot -> early, middle, late stage (each with a failure
hazard) -> acceptance on verified gains -> transformed; or failed / rejected. A transformed firm
with a light project may later take a deep one (light first, then deep): it stays transformed
while the upgrade runs. Every rule used here is a pure function in ``agents``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from agents.provider import fill_slots, preference_order, sector_fit
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
    annuity_factor,
    beliefs,
    choose_kind,
    lapse_prob,
    monthly_hazard,
    project_value,
    stage_failure_prob,
)
from agents.provider import entry_due

if TYPE_CHECKING:
    from sim.model import ClusterModel


def adopt_willing(model: ClusterModel) -> None:
    """Bass docking: every willing firm counts as adopted in the month it becomes willing."""
    s = model.smes
    newly = np.flatnonzero(s.state == WILLING)
    s.state[newly] = TRANSFORMED
    s.level[newly] = LIGHT
    s.since[newly] = model.month
    model.tally.new_transformed += len(newly)


def decide(model: ClusterModel, seen_ok: np.ndarray, seen_bad: np.ndarray) -> None:
    """Willing firms (and light adopters considering a deep upgrade) choose a project or wait."""
    p, s, t = model.params, model.smes, model.month
    first = s.state == WILLING
    if not p.economic_gate_on:
        firms = np.flatnonzero(first)
        _enqueue(model, firms, np.full(len(firms), LIGHT, np.int8))
        return
    upgrade = (s.state == TRANSFORMED) & (s.level == LIGHT) & (s.project_kind == 0) \
        & (t - s.since >= p.cooldown_months)
    firms = np.flatnonzero(first | upgrade)
    if len(firms) == 0:
        return
    is_upgrade = upgrade[firms]
    if p.beliefs_on:
        fail_belief, benefit_belief = beliefs(
            seen_ok[firms], seen_bad[firms], prior_failure=p.prior_failure_belief,
            prior_benefit=p.prior_benefit_belief, prior_weight=p.prior_belief_weight)
    else:
        fail_belief = np.full(len(firms), p.prior_failure_belief)
        benefit_belief = np.full(len(firms), p.prior_benefit_belief)
    avoided_loss = model.lost_share[firms] * s.base_revenue[firms] * p.contribution_margin
    credit_limit = s.credit_access[firms] * p.credit_limit_share * s.revenue[firms]
    levers = model.levers
    annuity = annuity_factor(p.horizon_years, p.discount_rate)
    scores = {}
    for kind in (LIGHT, DEEP):
        cost = s.cost[kind, firms]
        benefit = s.benefit[kind, firms]
        if kind == DEEP:  # an upgrade earns only what deep adds to light
            benefit = benefit - np.where(is_upgrade, s.benefit[LIGHT, firms], 0.0)
        fail = fail_belief if kind == DEEP else _scale_odds(fail_belief, p.light_failure_factor)
        value, affordable = project_value(
            cost, benefit,
            grant_at_start=sum(i.support_at_start(model, kind, cost) for i in model.instruments),
            grant_on_acceptance=sum(i.support_on_acceptance(model, kind, cost)
                                    for i in model.instruments),
            cash=s.cash[firms], credit_limit=credit_limit, loan_rate=p.loan_rate,
            interest_subsidy_share=levers.interest_subsidy_share, loan_years=p.loan_years,
            failure_prob=fail, benefit_belief=benefit_belief, avoided_loss=avoided_loss,
            failure_reimbursement_share=levers.failure_reimbursement_share, annuity=annuity,
            risk_aversion=p.risk_aversion, risk_capacity=s.revenue[firms])
        # a firm undertakes a project only if it clears its own hurdle per RMB of cost
        scores[kind] = (value, affordable & (value / cost > s.hurdle[firms]))
    go_light = scores[LIGHT][1] & ~is_upgrade
    go_deep = scores[DEEP][1] & (s.infrastructure[firms] >= p.deep_infrastructure_min)
    kinds = choose_kind(scores[LIGHT][0], scores[DEEP][0], go_light, go_deep)
    go = kinds > 0
    _enqueue(model, firms[go], kinds[go])


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
    """Queued firms, oldest first, take free provider slots in their order of preference."""
    p, s, prov = model.params, model.smes, model.providers
    waiting = np.flatnonzero((s.project_kind > 0) & (s.stage == 0))
    if len(waiting):
        waiting = waiting[np.lexsort((draws["queue"][waiting], s.queued_since[waiting]))]
        active = np.flatnonzero(prov.active)
        chosen = np.full(len(waiting), -1)
        if p.provider_capacity_on:
            free = np.where(prov.active, prov.capacity - prov.load, 0)
            for sector in np.unique(s.sector[waiting]):
                in_sector = np.flatnonzero(s.sector[waiting] == sector)
                order = active[preference_order(
                    sector_fit(prov.specialty[active], sector), prov.quality[active],
                    prov.noise[active], rated=model.levers.providers_rated)]
                slot = fill_slots(len(in_sector), free[order])
                got = slot >= 0
                chosen[in_sector[got]] = order[slot[got]]
                free -= np.bincount(order[slot[got]], minlength=len(free))
        else:  # unlimited capacity: any active provider, at random
            pick = (draws["queue"][waiting] * len(active)).astype(int)
            chosen = active[np.minimum(pick, len(active) - 1)]
        start = chosen >= 0
        _start(model, waiting[start], chosen[start], draws)
    queue_len = int(((s.project_kind > 0) & (s.stage == 0)).sum())
    model.queue_history.append(queue_len)
    if p.provider_entry_on and p.provider_capacity_on and entry_due(
            model.queue_history, threshold=p.provider_capacity,
            lag_months=p.provider_entry_lag_months):
        model.add_provider()


def _start(model: ClusterModel, firms: np.ndarray, providers: np.ndarray,
           draws: dict[str, np.ndarray]) -> None:
    p, s, t = model.params, model.smes, model.month
    s.provider[firms] = providers
    model.providers.load += np.bincount(providers, minlength=len(model.providers.load)).astype(
        model.providers.load.dtype)
    s.stage[firms] = 1
    s.months_in_stage[firms] = 0
    s.started_month[firms] = t
    s.hardware_only[firms] = draws["hardware"][firms] < p.hardware_only_share
    s.outlay[firms] = s.cost[s.project_kind[firms], firms]
    s.state[firms[s.state[firms] == QUEUED]] = IN_PROJECT
    model.tally.new_started += len(firms)
    for instrument in model.instruments:
        instrument.on_start(model, firms)
    if not p.stages_on:
        _complete(model, firms, draws)


def progress(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Running projects (started before this month) may fail, advance a stage, or complete."""
    p, s, t = model.params, model.smes, model.month
    if not p.stages_on:
        return
    firms = np.flatnonzero((s.stage > 0) & (s.started_month < t))
    if len(firms) == 0:
        return
    kind, stage = s.project_kind[firms], s.stage[firms]
    duration = model.stage_months[kind, stage]
    prov = s.provider[firms]
    prob = stage_failure_prob(
        model.stage_base_prob[stage], s.talent[firms], model.providers.quality[prov],
        sector_fit(model.providers.specialty[prov], s.sector[firms]),
        talent_mean=p.talent_mean, talent_effect=p.talent_effect,
        quality_effect=p.provider_quality_effect, fit_effect=p.fit_effect,
        extra_log_odds=np.where(kind == LIGHT, np.log(p.light_failure_factor), 0.0)
        + model.levers.stage_log_odds[stage])
    hazard = np.where(s.hardware_only[firms], 0.0, monthly_hazard(prob, duration))
    fails = draws["failure"][firms] < hazard
    failing = firms[fails]
    counts = np.bincount(stage[fails], minlength=4)
    model.tally.add_failures(counts[1:])
    _end_unsuccessfully(model, failing)

    going = ~fails
    firms, stage, duration = firms[going], stage[going], duration[going]
    s.months_in_stage[firms] += 1
    next_stage = s.months_in_stage[firms] >= duration
    s.stage[firms[next_stage]] += 1
    s.months_in_stage[firms[next_stage]] = 0
    done = firms[s.stage[firms] > 3]
    _complete(model, done, draws)


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
    for instrument in model.instruments:
        instrument.on_failure(model, firms)
    _release(model, firms)


def _complete(model: ClusterModel, firms: np.ndarray, draws: dict[str, np.ndarray]) -> None:
    """Acceptance: only projects with verified gains count as transformed."""
    if len(firms) == 0:
        return
    p, s, t = model.params, model.smes, model.month
    sigma = p.realised_gain_sd
    gain = np.exp(sigma * ndtri(np.clip(draws["gain"][firms], 1e-12, 1 - 1e-12)) - sigma**2 / 2)
    ok = accepted(gain, s.hardware_only[firms], min_gain=p.verified_gain_min) \
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
    s.unit_cost[good] = model.cost_after[kind]
    s.quality[good] = model.quality_after[kind]
    for instrument in model.instruments:
        instrument.on_acceptance(model, good)
    _release(model, good)


def lapse_and_retry(model: ClusterModel, draws: dict[str, np.ndarray]) -> None:
    """Transformed firms may abandon their systems; after a cooldown, failed and lapsed firms
    reconsider (willing again) or give up (unwilling again)."""
    p, s, t = model.params, model.smes, model.month
    if p.lapse_on:
        idle = (s.state == TRANSFORMED) & (s.project_kind == 0) & (s.since < t)
        lapsing = idle & (draws["lapse"] < lapse_prob(s.talent, lapse_per_month=p.lapse_per_year / 12))
        s.state[lapsing] = LAPSED
        s.level[lapsing] = 0
        s.unit_cost[lapsing] = 1.0
        s.quality[lapsing] = 1.0
        s.since[lapsing] = t
        model.tally.new_lapsed += int(lapsing.sum())
    if p.retry_on:
        due = ((s.state == FAILED) | (s.state == LAPSED)) & (s.since < t) \
            & (t - s.since >= p.cooldown_months)
        retry = due & (draws["retry"] < p.retry_prob)
        s.state[retry] = WILLING
        s.state[due & ~retry] = UNAWARE
