"""The model's struct-of-arrays state: one numpy array per attribute of each agent type."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from catfish.agents.provider import GENERALIST
from catfish.agents.sme import UNAWARE, WILLING
from catfish.sim.params import ModelParams


def _beta(rng: np.random.Generator, mean: float, concentration: float, n: int) -> np.ndarray:
    return rng.beta(mean * concentration, (1 - mean) * concentration, n)


@dataclass(eq=False)
class SMEArrays:
    """Attributes of all SMEs (index = firm). Money in RMB, revenue per year."""

    sector: np.ndarray
    base_revenue: np.ndarray
    revenue: np.ndarray
    talent: np.ndarray
    infrastructure: np.ndarray
    credit_access: np.ndarray
    cash: np.ndarray
    hurdle: np.ndarray           # idiosyncratic required NPV per RMB of cost
    cost: np.ndarray             # project cost by kind: shape (3, n), row 0 unused
    benefit: np.ndarray          # annual benefit by kind: shape (3, n), row 0 unused
    state: np.ndarray
    level: np.ndarray            # accepted level: 0 none, 1 light, 2 deep
    stage: np.ndarray            # running project's stage: 0 none, 1-3
    hazard: np.ndarray           # monthly failure hazard by stage (n, 4), set at start
    project_kind: np.ndarray     # kind of the queued or running project
    hardware_only: np.ndarray
    provider: np.ndarray
    queued_since: np.ndarray
    started_month: np.ndarray
    since: np.ndarray            # month of the last failure, lapse or acceptance
    successes: np.ndarray        # accepted projects so far (what peers see)
    failures: np.ndarray         # failed or rejected projects so far
    unit_cost: np.ndarray
    quality: np.ndarray
    process_cut: np.ndarray      # realised cost cut in the processes of the accepted project
    visits_made: np.ndarray      # visits the firm has made (each persuades it less)
    weight: np.ndarray           # market weight (see sim.market.competitiveness)
    outlay: np.ndarray           # own money in the running project, RMB
    loan: np.ndarray             # borrowed for the latest project (outlay beyond cash), RMB
    counted: np.ndarray          # its transformation was accepted while the city counted


def build_smes(p: ModelParams, rng: np.random.Generator) -> SMEArrays:
    """Draw a heterogeneous population of SMEs from the parameters' distributions."""
    n = p.n_smes
    shares = np.asarray(p.sector_shares)
    sector = rng.choice(len(shares), size=n, p=shares).astype(np.int32)
    revenue = p.revenue_median_rmb * np.exp(p.revenue_sigma * rng.standard_normal(n))
    c = p.trait_concentration
    talent = _beta(rng, p.talent_mean, c, n)
    infrastructure = _beta(rng, p.infrastructure_mean, c, n)
    credit_access = _beta(rng, p.credit_access_mean, c, n)
    cash = revenue * p.cash_months / 12 * np.exp(0.5 * rng.standard_normal(n) - 0.125)
    hurdle = p.hurdle_sd * rng.standard_normal(n)
    cost, benefit = project_economics(p, revenue)
    state = np.full(n, UNAWARE, np.int8)
    if p.initial_willing_share > 0:
        # drawn last and only when asked for, so that other clusters' streams are unchanged
        state[rng.random(n) < p.initial_willing_share] = WILLING
    return SMEArrays(
        sector=sector, base_revenue=revenue, revenue=revenue.copy(), talent=talent,
        infrastructure=infrastructure, credit_access=credit_access, cash=cash, hurdle=hurdle,
        cost=cost, benefit=benefit,
        state=state, level=np.zeros(n, np.int8),
        stage=np.zeros(n, np.int8), hazard=np.zeros((n, 4)),
        project_kind=np.zeros(n, np.int8), hardware_only=np.zeros(n, bool),
        provider=np.full(n, -1, np.int32), queued_since=np.zeros(n, np.int32),
        started_month=np.zeros(n, np.int32), since=np.zeros(n, np.int32),
        successes=np.zeros(n, np.int32), failures=np.zeros(n, np.int32),
        unit_cost=np.ones(n), quality=np.ones(n), process_cut=np.zeros(n),
        visits_made=np.zeros(n, np.int16),
        weight=revenue.copy(), outlay=np.zeros(n),
        loan=np.zeros(n), counted=np.zeros(n, bool),
    )


def project_economics(p: ModelParams, revenue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost and expected annual benefit of a light and a deep project for firms of ``revenue``.

    One account of what a project changes for the firm, the same the market then applies:

    - it cuts the unit cost of the processes it changes by ``*_cost_cut``; those processes hold
      ``*_process_share`` of the firm's variable costs (1 - ``contribution_margin`` of its
      revenue), so the firm's unit cost falls by c = cut x share, and at its current output it
      saves R (1 - m) c a year;
    - its lower cost and its quality gain q win orders: with rivals unchanged the firm's market
      weight grows by (1 - c)^-``cost_sensitivity`` (1 + q)^``quality_sensitivity``, and the
      extra revenue R (weight factor - 1) earns the contribution margin m.

    The payback, cost / benefit, is therefore an output of the model (source 001 reports 4.2
    years on average, which the calibration compares with it), not an input.

    Returns:
        ``(cost, benefit)`` in RMB and RMB a year, each of shape (3, n): row 1 light, row 2
        deep, row 0 unused (zero).
    """
    n = len(revenue)
    size_factor = (revenue / p.revenue_median_rmb) ** p.cost_size_elasticity
    cost = np.zeros((3, n))
    benefit = np.zeros((3, n))
    for kind, median_cost in ((1, p.light_cost_rmb), (2, p.deep_cost_rmb)):
        cost[kind] = median_cost * size_factor
        benefit[kind] = revenue * annual_benefit_share(p, kind)
    return cost, benefit


def unit_cost_cut(p: ModelParams, kind: int | np.ndarray) -> np.ndarray:
    """The firm-level unit-cost cut of a project of ``kind`` at the expected gain (cut x share)."""
    cut = np.array([0.0, p.light_cost_cut * p.light_process_share,
                    p.deep_cost_cut * p.deep_process_share])
    return cut[kind]


def quality_gain(p: ModelParams, kind: int | np.ndarray) -> np.ndarray:
    """The firm's quality gain from a project of ``kind`` at the expected gain."""
    return np.array([0.0, p.light_quality_gain, p.deep_quality_gain])[kind]


def annual_benefit_share(p: ModelParams, kind: int) -> float:
    """A project's expected annual benefit as a share of the firm's revenue (see above)."""
    # unit_cost_cut and quality_gain of one kind, as Python numbers (the same products)
    c = (0.0, p.light_cost_cut * p.light_process_share,
         p.deep_cost_cut * p.deep_process_share)[kind]
    q, m = (0.0, p.light_quality_gain, p.deep_quality_gain)[kind], p.contribution_margin
    orders = (1 - c) ** -p.cost_sensitivity * (1 + q) ** p.quality_sensitivity - 1
    return (1 - m) * c + m * orders


@dataclass(eq=False)
class ProviderArrays:
    """Attributes of all potential providers (initial ones active, entrants inactive)."""

    active: np.ndarray
    quality: np.ndarray
    specialty: np.ndarray
    capacity: np.ndarray
    load: np.ndarray
    noise: np.ndarray


def build_providers(p: ModelParams, rng: np.random.Generator) -> ProviderArrays:
    """Draw the pool of providers; the first ``n_providers`` are in the market at the start."""
    m = p.max_providers
    quality = _beta(rng, p.provider_quality_mean, p.trait_concentration, m)
    specialist = rng.random(m) < p.provider_specialist_share
    specialty = np.where(specialist, rng.integers(0, len(p.sector_names), m), GENERALIST)
    return ProviderArrays(
        active=np.arange(m) < p.n_providers, quality=quality,
        specialty=specialty.astype(np.int32), capacity=np.full(m, p.provider_capacity, np.int32),
        load=np.zeros(m, np.int32), noise=rng.random(m))


@dataclass(eq=False)
class LeadArrays:
    """Attributes of the lead firms (one row per lead firm)."""

    sector: np.ndarray
    capacity: np.ndarray
    unit_cost: np.ndarray
    quality: np.ndarray
    operating: np.ndarray
    opening: np.ndarray          # step the central factory opens (0: none)
    cost_cut: np.ndarray         # the central factory's advantage once operating
    quality_gain: np.ndarray
    visits: np.ndarray           # firm visits hosted per month once operating


def build_leads(p: ModelParams, smes: SMEArrays) -> LeadArrays:
    """Lead firms of each sector, sized to hold ``lead_firm_market_share`` of its market."""
    k = p.n_lead_firms_per_sector
    n_sectors = len(p.sector_names)
    sector = np.repeat(np.arange(n_sectors), k).astype(np.int32)
    sme_total = np.bincount(smes.sector, weights=smes.base_revenue, minlength=n_sectors)
    share = p.lead_firm_market_share
    lead_total = sme_total * (k * share) / max(1e-12, 1 - k * share)
    capacity = lead_total[sector] / max(k, 1)
    m = len(sector)
    # the first lead firm of each sector named runs the cluster's central factory
    first = np.arange(m) % max(k, 1) == 0
    with_factory = first & (np.isin(np.asarray(p.sector_names)[sector], p.central_factory_sectors)
                            if p.central_factory_sectors else True)
    return LeadArrays(sector=sector, capacity=capacity, unit_cost=np.ones(m),
                      quality=np.ones(m), operating=np.zeros(m, bool),
                      opening=np.where(with_factory, p.central_factory_month, 0).astype(np.int32),
                      cost_cut=np.full(m, p.central_factory_cost_cut),
                      quality_gain=np.full(m, p.central_factory_quality_gain),
                      visits=np.full(m, p.visits_per_month))


def _refuse_replacing(self: object, name: str, value: object) -> None:
    """Arrays held by the model's compiled month (``sim.month_state``): filled, not replaced.

    The month's compiled phases read the model's own arrays from one object made at its first
    month, so an array replaced afterwards (``smes.cash = new``) would no longer reach them,
    and the run would go on with the old one. Once held (:func:`hold`), replacing one is an
    error that says so; filling it in place (``smes.cash[:] = new``) is what to do.
    """
    raise AttributeError(
        f"{type(self).__mro__[1].__name__}.{name}: the model's compiled month holds this array "
        f"(sim.month_state); change it in place (e.g. {name}[:] = ...) instead of replacing it")


class HeldSMEArrays(SMEArrays):
    """:class:`SMEArrays` once the compiled month holds them (:func:`hold`)."""

    __slots__ = ()
    __setattr__ = _refuse_replacing


class HeldProviderArrays(ProviderArrays):
    """:class:`ProviderArrays` once the compiled month holds them (:func:`hold`)."""

    __slots__ = ()
    __setattr__ = _refuse_replacing


class HeldLeadArrays(LeadArrays):
    """:class:`LeadArrays` once the compiled month holds them (:func:`hold`)."""

    __slots__ = ()
    __setattr__ = _refuse_replacing


_HELD: dict[type, type] = {SMEArrays: HeldSMEArrays, ProviderArrays: HeldProviderArrays,
                           LeadArrays: HeldLeadArrays}


def hold(*arrays: SMEArrays | ProviderArrays | LeadArrays) -> None:
    """From now on replacing one of these arrays is an error (:func:`_refuse_replacing`)."""
    for held in arrays:  # (a copy of a held model's are held already)
        object.__setattr__(held, "__class__", _HELD.get(type(held), type(held)))
