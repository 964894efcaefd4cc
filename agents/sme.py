"""SMEs: the adopting firms, and the pure rules they decide by.

A firm's path: unaware -> willing -> queued for a provider -> project (early, middle, late
stage) -> transformed (accepted on verified gains) or failed; a transformed firm may lapse;
failed and lapsed firms may retry after a cooldown. The rules below are numpy-broadcastable
functions of explicit arguments; the model calls them for all firms at once.
"""

from __future__ import annotations

import math

import numpy as np
from catfish.agents.base import ArrayAgent, ArrayField
from catfish.agents.jit import compiled, from_cython
from scipy.special import ndtri

_ndtri = from_cython("scipy.special.cython_special", "ndtri", ndtri)

# States: every firm is in exactly one each month.
UNAWARE, WILLING, QUEUED, IN_PROJECT, TRANSFORMED, FAILED, LAPSED = range(7)
STATE_NAMES = ("unaware", "willing", "queued", "in_project", "transformed", "failed", "lapsed")

# Project kinds (also the level a firm has reached: 0 none, 1 light, 2 deep).
NONE, LIGHT, DEEP = 0, 1, 2
KIND_NAMES = ("none", "light", "deep")

# Stages of a running project (0: no project).
EARLY, MIDDLE, LATE = 1, 2, 3
STAGE_NAMES = ("early", "middle", "late")


class SME(ArrayAgent):
    """A small or medium manufacturer; its attributes are views into ``model.smes``."""

    store_name = "smes"
    state = ArrayField("State code (see STATE_NAMES).")
    sector = ArrayField("Sector index.")
    revenue = ArrayField("Current annual revenue, RMB.")
    base_revenue = ArrayField("Annual revenue at the start, RMB.")
    talent = ArrayField("Digital talent, 0-1.")
    infrastructure = ArrayField("Infrastructure readiness, 0-1.")
    credit_access = ArrayField("Credit access, 0-1.")
    cash = ArrayField("Cash available for a project, RMB.")
    unit_cost = ArrayField("Unit-cost index (1 at the start).")
    quality = ArrayField("Quality index (1 at the start).")
    level = ArrayField("Accepted transformation level: 0 none, 1 light, 2 deep.")
    stage = ArrayField("Stage of the running project: 0 none, 1 early, 2 middle, 3 late.")
    project_kind = ArrayField("Kind of the running or queued project: 0, 1 light, 2 deep.")
    provider = ArrayField("Index of the provider running the project, -1 if none.")

    @property
    def state_name(self) -> str:
        """Readable name of the firm's state."""
        return STATE_NAMES[self.state]


@compiled
def willingness_prob(
    peer_share: np.ndarray | float,
    lost_order_share: np.ndarray | float,
    visited: np.ndarray | bool,
    promotion_per_month: float,
    peer_per_month: float,
    competition_per_month: float,
    visit_conversion: np.ndarray | float,
) -> np.ndarray:
    """Probability that an unwilling firm becomes willing this month.

    A contagion hazard ``1 - exp(-(p + q * E + c * L))`` (outside promotion p, exposure E to
    peers' successful transformations, lost-order share L) combined with an independent chance
    of conversion on a visit to the central factory.

    Args:
        peer_share: Exposure E in [0, 1] (share of watched peers seen transformed).
        lost_order_share: Share of the firm's starting revenue lost to rivals, in [0, 1].
        visited: Whether the firm visited the central factory this month.
        promotion_per_month: p, per month.
        peer_per_month: q, per month per unit exposure.
        competition_per_month: c, per month per unit lost-order share.
        visit_conversion: Chance that this month's visit converts the firm (per firm: a firm
            that has visited before is persuaded less).

    Returns:
        Probabilities in [0, 1].
    """
    rate = contagion_rate(peer_share, lost_order_share, promotion_per_month, peer_per_month,
                          competition_per_month)
    contagion = -np.expm1(-rate)
    by_visit = visited * visit_conversion
    return 1.0 - (1.0 - contagion) * (1.0 - by_visit)


# room for rounding in the bounds below: the rules' own rounding is a few units in the last
# place of 1 (about 1e-16), far inside this
BOUND_ROOM = 1e-9


@compiled
def willingness_prob_bound(
    peer_share: np.ndarray | float,
    lost_order_share: np.ndarray | float,
    promotion_per_month: float,
    peer_per_month: float,
    competition_per_month: float,
    visit_conversion: np.ndarray | float,
) -> np.ndarray:
    """A number :func:`willingness_prob` never exceeds, for the same firm (visited or not).

    ``rate + visit_conversion``, since ``1 - exp(-rate) <= rate``, plus room for rounding: no
    exponential, so a month can skip the exact rule for the many firms whose draw is above it.
    ``visit_conversion`` is the firm's conversion if it visited, 0 if it did not.
    """
    rate = contagion_rate(peer_share, lost_order_share, promotion_per_month, peer_per_month,
                          competition_per_month)
    return rate + visit_conversion + BOUND_ROOM


@compiled
def contagion_rate(peer_share: np.ndarray | float, lost_order_share: np.ndarray | float,
                   promotion_per_month: float, peer_per_month: float,
                   competition_per_month: float) -> np.ndarray:
    """The willingness hazard's rate ``p + q * E + c * L`` (:func:`willingness_prob`)."""
    return promotion_per_month + peer_per_month * peer_share \
        + competition_per_month * lost_order_share


@compiled
def beliefs(
    successes_seen: np.ndarray | float,
    failures_seen: np.ndarray | float,
    prior_failure: float,
    prior_benefit: float,
    prior_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """A firm's perceived failure risk and expected share of the true benefit.

    Beta-binomial updating on the outcomes of watched peers: each observed success or failure
    is one observation against ``prior_weight`` pseudo-observations; observed successes pull
    the benefit belief toward the true benefit (1).

    Returns:
        ``(failure_belief, benefit_belief)``.
    """
    s, f = successes_seen, failures_seen
    failure = (prior_failure * prior_weight + f) / (prior_weight + s + f)
    benefit = (prior_benefit * prior_weight + s) / (prior_weight + s)
    return failure, benefit


def annuity_factor(years: float, rate: float) -> float:
    """Present value of 1 RMB a year for ``years`` years at ``rate`` (end-of-year payments)."""
    if rate == 0:
        return float(years)
    return float((1.0 - (1.0 + rate) ** -years) / rate)


@compiled
def project_value(
    cost: np.ndarray | float,
    annual_benefit: np.ndarray | float,
    grant_at_start: np.ndarray | float,
    grant_on_acceptance: np.ndarray | float,
    cash: np.ndarray | float,
    credit_limit: np.ndarray | float,
    loan_rate: float,
    interest_subsidy_share: np.ndarray | float,
    loan_years: float,
    failure_prob: np.ndarray | float,
    benefit_belief: np.ndarray | float,
    avoided_loss: np.ndarray | float,
    failure_reimbursement_share: np.ndarray | float,
    annuity: float,
    risk_aversion: float,
    risk_capacity: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Risk-adjusted NPV of a project and whether the firm can finance it.

    Success pays the believed benefit plus the revenue loss it avoids, over the horizon
    (``annuity``), plus any grant paid on acceptance. Failure loses the own outlay (less any
    reimbursement). The firm pays ``cost - grant_at_start`` up front from cash, then borrows
    the rest up to its credit limit at ``loan_rate`` less the interest subsidy.

    The firm values the gamble by its certainty equivalent under constant absolute risk
    aversion ``risk_aversion / risk_capacity``: ``E[NPV] - risk_aversion * Var[NPV] / (2 *
    risk_capacity)``, so a project that is large relative to the firm (its annual revenue) is
    penalised more than the same project in a larger firm.

    Returns:
        ``(risk_adjusted_npv, affordable)``: the certainty equivalent of the NPV, in RMB; and
        whether the up-front outlay fits cash plus credit.
    """
    outlay = np.maximum(cost - grant_at_start, 0.0)
    loan = np.maximum(outlay - cash, 0.0)
    affordable = loan <= credit_limit
    financing = loan * loan_rate * (1.0 - interest_subsidy_share) * loan_years
    own_loss = outlay + financing
    success = (benefit_belief * annual_benefit + avoided_loss) * annuity \
        + grant_on_acceptance - own_loss
    failure = failure_reimbursement_share * outlay - own_loss
    p = np.minimum(np.maximum(failure_prob, 0.0), 1.0)  # (np.clip is slower on small arrays)
    expected = (1.0 - p) * success + p * failure
    variance = p * (1.0 - p) * (success - failure) ** 2
    return expected - risk_aversion * variance / (2.0 * risk_capacity), affordable


@compiled
def choose_kind(
    value_light: np.ndarray,
    value_deep: np.ndarray,
    go_light: np.ndarray,
    go_deep: np.ndarray,
) -> np.ndarray:
    """Pick, among the projects a firm would undertake, the one worth more to it.

    Args:
        value_light: Risk-adjusted NPV of a light project, RMB.
        value_deep: Risk-adjusted NPV of a deep project, RMB.
        go_light: The firm would undertake a light project (affordable, clears its hurdle).
        go_deep: The same for a deep project (which also needs ready infrastructure).

    Returns:
        0 (no project), 1 (light) or 2 (deep) per firm; ties go to light (smaller step first).
    """
    kind = np.zeros(len(value_light), np.int8)
    for i in range(len(kind)):
        light = value_light[i] if go_light[i] else -np.inf
        deep = value_deep[i] if go_deep[i] else -np.inf
        if go_light[i] or go_deep[i]:
            kind[i] = DEEP if deep > light else LIGHT
    return kind


@compiled
def stage_failure_prob(
    base_prob: np.ndarray | float,
    talent: np.ndarray | float,
    provider_quality: np.ndarray | float,
    fit: np.ndarray | float,
    talent_mean: float,
    talent_effect: float,
    quality_effect: float,
    fit_effect: float,
    extra_log_odds: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Probability that a project fails during one stage.

    Logistic in the base probability: better talent than average, a provider of quality above
    0.5 and a provider specialised in the firm's sector (fit 1; generalist 0.5) lower the odds.
    ``extra_log_odds`` carries kind factors and instruments (diagnosis, accompaniment).
    """
    base = np.minimum(np.maximum(base_prob, 1e-9), 1 - 1e-9)
    log_odds = np.log(base / (1 - base)) - talent_effect * (talent - talent_mean) \
        - quality_effect * (provider_quality - 0.5) \
        - fit_effect * (fit - 0.5) + extra_log_odds
    return 1.0 / (1.0 + np.exp(-log_odds))


@compiled
def monthly_hazard(prob_over_period: np.ndarray | float, months: np.ndarray | float) -> np.ndarray:
    """Monthly probability that compounds to ``prob_over_period`` over ``months`` months."""
    p = np.minimum(np.maximum(prob_over_period, 0.0), 1.0)
    return -np.expm1(np.log1p(-np.minimum(p, 1 - 1e-12)) / months)


@compiled
def lapse_prob(talent: np.ndarray | float, lapse_per_month: float) -> np.ndarray:
    """Monthly chance a transformed firm abandons its system; zero talent lapses fastest."""
    return -np.expm1(-lapse_per_month * (1.0 - talent))


@compiled
def lapse_prob_bound(talent: np.ndarray | float, lapse_per_month: float) -> np.ndarray:
    """A number :func:`lapse_prob` never exceeds: ``lapse_per_month * (1 - talent)`` and room.

    (``1 - exp(-x) <= x``; no exponential, as :func:`willingness_prob_bound`.)
    """
    return lapse_per_month * (1.0 - talent) + BOUND_ROOM


@compiled
def normal_quantile(q: float) -> float:
    """The standard normal's quantile function at ``q``: scipy's ``ndtri``, bit for bit."""
    return _ndtri(q)


@compiled
def realised_gain(quantile: float, sigma: float) -> float:
    """What a completed project really achieves, as a multiple of what it was expected to.

    Lognormal with mean 1 and log standard deviation ``sigma``, at ``quantile`` (a uniform
    draw, kept off 0 and 1 where the normal quantile is infinite). One number: the C library's
    ``exp``, as in compiled code, so Python and compiled code give the same bits.
    """
    q = min(max(quantile, 1e-12), 1 - 1e-12)
    return math.exp(sigma * normal_quantile(q) - sigma * sigma / 2)


@compiled
def accepted(realised_gain: np.ndarray, hardware_only: np.ndarray,
             min_gain: float) -> np.ndarray:
    """Acceptance on verified gains: hardware-only purchases and gains below ``min_gain`` fail."""
    ok = np.empty(len(realised_gain), np.bool_)
    for i in range(len(ok)):
        ok[i] = not hardware_only[i] and realised_gain[i] >= min_gain
    return ok
