"""Layer 2: model invariants, over parameters and seeds drawn by hypothesis."""

from __future__ import annotations

import numpy as np
from catfish.agents.sme import IN_PROJECT, STATE_NAMES
from catfish.sim import ClusterModel
from catfish.sim.policy import Grant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

STATE_COLUMNS = [f"n_{name}" for name in STATE_NAMES]

model_args = st.fixed_dictionaries({
    "n_smes": st.integers(10, 400),
    "months": st.integers(1, 30),
    "budget_rmb": st.sampled_from([0.0, 1e5, 2e6, 5e7]),
    "network": st.sampled_from(["small_world", "complete"]),
    "peer_mean_degree": st.integers(0, 12),
    "n_providers": st.integers(1, 6),
    "provider_capacity": st.integers(1, 10),
    "central_factory_month": st.integers(0, 12),
    "hardware_only_share": st.floats(0, 1),
    "early_failure_prob": st.floats(0, 0.9),
    "middle_failure_prob": st.floats(0, 0.9),
    "late_failure_prob": st.floats(0, 0.9),
    "cooldown_months": st.integers(0, 6),
    "sector_names": st.just(("a", "b")),
    "sector_shares": st.sampled_from([(0.5, 0.5), (0.9, 0.1), (1.0, 0.0)]),
    "economic_gate_on": st.booleans(),
    "provider_capacity_on": st.booleans(),
    "market_on": st.booleans(),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=model_args, seed=st.integers(0, 2**32), grant_share=st.floats(0, 1),
       paid_on=st.sampled_from(["start", "acceptance"]))
def test_every_month_states_partition_firms_and_money_stays_in_budget(args, seed, grant_share,
                                                                      paid_on):
    args["deadline_month"] = args["months"]
    model = ClusterModel(rng=seed, policies=[Grant(share=grant_share, paid_on=paid_on)], **args)
    n = args["n_smes"]
    while model.running:
        model.step()
        m = model.metrics
        counts = [m[c] for c in STATE_COLUMNS]
        assert sum(counts) == n, f"month {model.month}: states sum to {sum(counts)}, not {n}"
        negative = {k: v for k, v in m.items() if isinstance(v, (int, float)) and v < 0}
        assert not negative, f"month {model.month}: negative values {negative}"
        assert m["spent_total_rmb"] <= args["budget_rmb"] + 1e-6, "spent more than the budget"
        assert abs(m["spent_total_rmb"] + m["budget_left_rmb"] - args["budget_rmb"]) < 1e-6
        assert 0 <= m["share_transformed"] <= 1, f"share out of [0, 1]: {m['share_transformed']}"
        s = model.smes
        assert np.all((s.stage > 0) <= (s.project_kind > 0)), "a running project without a kind"
        assert np.all(model.providers.load >= 0), "negative provider load"
        assert np.all(model.providers.load <= model.providers.capacity) \
            or not args["provider_capacity_on"], "a provider above its capacity"
        in_project = s.state == IN_PROJECT
        assert np.all(s.stage[in_project] > 0), "a firm in a project without a stage"
