"""Policy instruments: one class per instrument, a registry from the names used in files."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable

from catfish.sim.params import ModelParams
from catfish.sim.policy.acceptance_rule import AcceptanceRule
from catfish.sim.policy.accompaniment import Accompaniment
from catfish.sim.policy.base import Instrument, Levers, bound_hooks, check_months
from catfish.sim.policy.central_factory import CentralFactory, free_lead_firms
from catfish.sim.policy.chain_leader_programme import ChainLeaderProgramme
from catfish.sim.policy.diagnosis import Diagnosis
from catfish.sim.policy.exchange_sessions import ExchangeSessions
from catfish.sim.policy.grant import Grant
from catfish.sim.policy.instalment_financing import InstalmentFinancing
from catfish.sim.policy.interest_subsidy import InterestSubsidy
from catfish.sim.policy.parameters import parameter_problem
from catfish.sim.policy.provider_rating import ProviderRating
from catfish.sim.policy.risk_sharing_fund import RiskSharingFund
from catfish.sim.policy.service_voucher import ServiceVoucher
from catfish.sim.policy.showcase import Showcase
from catfish.sim.policy.talent_training import TalentTraining

REGISTRY: dict[str, type[Instrument]] = {cls.name: cls for cls in (
    Grant, ServiceVoucher, InterestSubsidy, RiskSharingFund, InstalmentFinancing, Diagnosis,
    TalentTraining, Accompaniment, Showcase, CentralFactory, ExchangeSessions, ProviderRating,
    ChainLeaderProgramme, AcceptanceRule)}


def make_instrument(name: str, **params: object) -> Instrument:
    """Build the instrument registered under ``name`` with its parameters."""
    try:
        cls = REGISTRY[name]
    except KeyError:
        raise ValueError(f"policy instrument {name!r}: unknown; known are "
                         f"{', '.join(sorted(REGISTRY))}") from None
    return cls(**params)


def check_mix(instruments: Iterable[Instrument], params: ModelParams) -> list[tuple[int, str]]:
    """Problems of a policy mix in a cluster: (position in the mix, one-line message).

    Each instrument checks itself (sectors exist, lead firms are there); the mix as a whole
    may not ask for more central factories in a sector than it has free lead firms.
    """
    problems: list[tuple[int, str]] = []
    factories: dict[str, int] = {}
    for i, instrument in enumerate(instruments):
        try:
            instrument.validate_for(params)
        except ValueError as exc:
            problems.append((i, str(exc)))
            continue
        if isinstance(instrument, CentralFactory):
            sector = instrument.sector_of(params)
            factories[sector] = factories.get(sector, 0) + 1
            if factories[sector] > free_lead_firms(params, sector):
                problems.append((i, f"sector = {sector!r}: more central factories than lead "
                                    f"firms free to run them ({free_lead_firms(params, sector)})"))
    return problems


def check_calendar(instruments: Iterable[Instrument],
                   params: ModelParams) -> list[tuple[int, str]]:
    """Months the instruments name outside the run: (position in the mix, one-line message).

    Scenario files are held to it (``start``, ``end``, ``opening`` within the simulated months),
    not the model itself: a run made shorter than its scenario (``run_one(months=6)``) simply
    never reaches an instrument that starts later.
    """
    problems: list[tuple[int, str]] = []
    for i, instrument in enumerate(instruments):
        try:
            check_months(instrument, params)
        except ValueError as exc:
            problems.append((i, str(exc)))
    return problems


def default_policy_mix() -> list[Instrument]:
    """The built-in default mix (Jieyang plastics cluster, as in ``jieyang-plastics-2020``).

    A 30 % grant on project cost capped at 0.3 M RMB per firm; the process think tank's
    full-course accompaniment of 8 projects a month; 10 exchange sessions a quarter with 50
    visitors (people) each from November 2020, when the central factory opened.
    """
    return [copy.copy(instrument) for instrument in _default_mix()]


@functools.cache
def _default_mix() -> tuple[Instrument, ...]:
    # validated once: every run of the built-in cluster asks for the mix, and validating it
    # cost such a run about 1 %. These are never set up, so their copies start without run
    # state (their fields are numbers and strings)
    return (Grant(share=0.3, cap_rmb=300_000.0, paid_on="start", kinds="both"),
            Accompaniment(projects_per_month=8, cost_per_project_rmb=50_000.0),
            ExchangeSessions(sessions_per_quarter=10, visitors_per_session=50,
                             cost_per_session_rmb=30_000.0, start="2020-11"))


__all__ = ["REGISTRY", "Grant", "Instrument", "Levers", "bound_hooks", "check_calendar",
           "check_mix", "default_policy_mix", "make_instrument", "parameter_problem",
           *[cls.__name__ for cls in REGISTRY.values() if cls is not Grant]]
