"""Shared helpers for the test suite."""

from __future__ import annotations

import numpy as np
import pytest

from sim import ClusterModel, ModelParams


def run_model(params: ModelParams | None = None, *, seed: int, policies=None,
              **overrides) -> ClusterModel:
    """Build and run a model to its end; return it."""
    model = ClusterModel(params, rng=seed, policies=policies, **overrides)
    while model.running:
        model.step()
    return model


def series(model: ClusterModel, name: str) -> np.ndarray:
    """One reporter of a finished model as an array (one value per month)."""
    return np.asarray(model.datacollector.model_vars[name], dtype=float)


@pytest.fixture(scope="session")
def small_params() -> ModelParams:
    """A small, fast cluster with every mechanism on."""
    return ModelParams(n_smes=300, months=24, deadline_month=24, target_firms=60,
                       budget_rmb=15e6, n_providers=4)
