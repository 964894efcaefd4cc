"""Cities that differ: one city drawn from a scenario's ``cities`` section, and an ensemble.

A pilot-city scenario describes a typical city. Real pilot cities differ in ways the source
documents do not measure city by city: how hard the city promoted the pilot, how many
providers it had, how long its plans and first money took, how ready its firms were. The
``cities`` section gives a uniform range for each of these four traits (assumptions, stated
in the scenario file); :func:`draw_traits` draws one city's traits and :func:`as_city` turns
the typical city's parameters and policy mix into that city's.

The calibration simulates :data:`PILOT_ENSEMBLE` (12 cities of each region, about as many as
the 36 pilot cities at source 001's meeting) with fresh traits in every simulation, so that
"six cities below 15 % of target" is compared with a share over as many simulated cities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from catfish.scenarios.schema import Cities
from catfish.sim.calendar import month_index
from catfish.sim.params import ModelParams
from catfish.sim.policy import Instrument

# region scenario -> cities simulated in the calibration's ensemble
PILOT_ENSEMBLE: dict[str, int] = {"pilot-city-east": 12, "pilot-city-central": 12,
                                  "pilot-city-west": 12}
DELAYED_FIELDS = ("start", "opening")  # an instrument's months that a late start moves
READINESS_LIMITS = (0.05, 0.95)  # means of beta-distributed traits stay inside (0, 1)


@dataclass(frozen=True)
class CityTraits:
    """One city's traits (the neutral values describe the scenario's own city)."""

    promotion_factor: float = 1.0
    providers_factor: float = 1.0
    start_delay_months: int = 0
    readiness_shift: float = 0.0


def draw_traits(cities: Cities, rng: np.random.Generator) -> CityTraits:
    """One city's traits: each uniform on its range, the delay in whole months."""
    def uniform(name: str) -> float:
        span = getattr(cities, name)
        return float(rng.uniform(span.low, span.high))

    delay = cities.start_delay_months
    return CityTraits(
        promotion_factor=uniform("promotion_factor"),
        providers_factor=uniform("providers_factor"),
        start_delay_months=int(rng.integers(round(delay.low), round(delay.high) + 1)),
        readiness_shift=uniform("readiness_shift"))


def as_city(params: ModelParams, instruments: Sequence[Instrument],
            traits: CityTraits) -> tuple[ModelParams, list[Instrument]]:
    """The typical city's parameters and policy mix, turned into the city of ``traits``.

    - promotion: ``promotion_per_year`` times the factor;
    - providers: the providers at the start and their limit times the factor (at least one);
    - start: every instrument's ``start`` (or ``opening``) month is ``start_delay_months``
      later, an unset one that much after the scenario's start (instruments that have no
      start, such as showcases, which are picked from projects as they start, or the
      acceptance rule, are unchanged);
    - readiness: the firms' mean talent and infrastructure plus the shift (kept in 0.05-0.95).
    """
    lo, hi = READINESS_LIMITS
    providers = max(1, round(params.n_providers * traits.providers_factor))
    city = params.replace(
        promotion_per_year=params.promotion_per_year * traits.promotion_factor,
        n_providers=providers,
        max_providers=max(providers, round(params.max_providers * traits.providers_factor)),
        talent_mean=float(np.clip(params.talent_mean + traits.readiness_shift, lo, hi)),
        infrastructure_mean=float(np.clip(params.infrastructure_mean + traits.readiness_shift,
                                          lo, hi)))
    return city, [_delayed(i, params.start_month, traits.start_delay_months)
                  for i in instruments]


def _delayed(instrument: Instrument, start_month: str, months: int) -> Instrument:
    if months == 0:
        return instrument
    changes = {}
    for name in DELAYED_FIELDS:
        if not hasattr(instrument, name):
            continue
        month = getattr(instrument, name) or start_month
        changes[name] = _add_months(month, months)
    return dataclasses.replace(instrument, **changes) if changes else instrument


def _add_months(month: str, months: int) -> str:
    ordinal = month_index("0000-01", month) - 1 + months
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


def ensemble_traits(cities: Mapping[str, Cities], counts: Mapping[str, int],
                    rng: np.random.Generator) -> list[tuple[str, CityTraits]]:
    """(scenario, traits) of every city of an ensemble, region by region, in a stable order."""
    return [(name, draw_traits(cities[name], rng))
            for name, count in counts.items() for _ in range(count)]
