"""Layer 3: docking against the Bass diffusion model (the model's verification anchor)."""

from __future__ import annotations

import math

import numpy as np
from catfish.sim import ClusterModel

from tests.conftest import series

P, Q = 0.03, 0.38


def bass_closed_form(t_years: float, p: float = P, q: float = Q) -> float:
    """F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})."""
    e = math.exp(-(p + q) * t_years)
    return (1 - e) / (1 + q / p * e)


def test_bass_closed_form_at_years_5_and_10():
    assert round(bass_closed_form(5), 4) == 0.3312 and round(bass_closed_form(10), 4) == 0.8128


def test_mean_of_50_seeds_matches_bass_at_years_5_and_10():
    shares = []
    for seed in range(50):
        model = ClusterModel.bass(p=P, q=Q, n_smes=1000, seed=seed)
        while model.running:
            model.step()
        shares.append(series(model, "share_transformed")[[59, 119]])
    mean = np.mean(shares, axis=0)
    for got, year in zip(mean, (5, 10), strict=True):
        expected = bass_closed_form(year)
        assert abs(got - expected) <= 0.02, \
            f"year {year}: mean adopted share {got:.4f}, Bass closed form {expected:.4f}"


def test_docking_configuration_switches_off_everything_but_the_hazard():
    model = ClusterModel.bass(p=P, q=Q, n_smes=100, seed=0)
    p = model.params
    assert p.network == "complete" and p.adopt_when_willing
    assert not any([p.economic_gate_on, p.stages_on, p.market_on, p.demonstration_on,
                    p.competition_on, p.lapse_on, p.provider_capacity_on]), "a mechanism is on"
    assert model.instruments == [] and p.budget_rmb == 0
