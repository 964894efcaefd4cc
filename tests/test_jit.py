"""The compiled hot paths: the same numbers as numpy, warmed up before runs, caches that follow
the code they were compiled from (``agents/jit.py``, ``sim/warm.py``)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from catfish.agents.government import pairwise_sum
from catfish.agents.jit import COMPILED, _use_temporary_cache
from catfish.agents.sme import (
    TRANSFORMED,
    UNAWARE,
    WILLING,
    monthly_hazard,
    project_value,
    stage_failure_prob,
    willingness_prob,
)
from catfish.sim import run_one
from catfish.sim.market import lost_order_share, share_demand
from catfish.sim.policy.selection import (
    first_by_draw,
    sectors_with_something_to_show,
    smallest_draws,
    state_table,
)
from catfish.sim.streams import RandomStreams, _state_words, fill_uniform
from catfish.sim.warm import _PythonHooks, warm_up

from catfish import scenarios

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_pairwise_sum_is_numpys_sum_to_the_last_bit():
    rng = np.random.default_rng(1)
    for n in [*range(0, 300), 1000, 8191, 8192, 100_003]:
        x = rng.lognormal(10, 2, n) * rng.choice([-1, 1], n)
        assert pairwise_sum(x, 0, n) == np.add.reduce(x), f"n = {n}"


def test_compiled_sfc64_draws_numpys_numbers_and_leaves_the_stream_where_numpy_would():
    for seed in range(5):
        mine, numpys = RandomStreams(seed)["x"], RandomStreams(seed)["x"]
        for shape in [(7,), (31, 1200), (3, 5, 11), (0,)]:
            out = np.empty(shape)
            fill_uniform(mine, out)
            assert np.array_equal(out, numpys.random(shape)), shape
        assert np.array_equal(mine.random(10), numpys.random(10))
        assert mine.integers(0, 10**9, 5).tolist() == numpys.integers(0, 10**9, 5).tolist()


def test_the_state_view_lies_over_the_state_numpy_names():
    for seed in range(3):
        bit_generator = RandomStreams(seed)["x"].bit_generator
        words = _state_words(bit_generator)
        assert words.ctypes.data == bit_generator.ctypes.state_address, \
            "the view must start at numpy's state address"
        assert words[:3].tolist() == bit_generator.state["state"]["state"][:3].tolist(), \
            "the view's first words must be numpy's a, b, c"


def test_a_streams_fill_moves_numpys_own_generator_and_survives_a_copy():
    for seed in range(3):
        streams, numpys = RandomStreams(seed), RandomStreams(seed)["x"]
        for shape in [(7,), (3, 1200), (0,), (2, 5)]:
            out = np.empty(shape)
            streams.fill("x", out)
            assert np.array_equal(out, numpys.random(shape)), \
                f"fill gives generator.random's numbers, shape {shape}"
        # numpy's own methods go on from where the compiled fill left the generator
        assert np.array_equal(streams["x"].random(9), numpys.random(9)), \
            "the generator moved by fill is where numpy's would be"
        twin = copy.deepcopy(streams)  # a copy's fills move the copy's generator, not this one
        mine, theirs = np.empty(5), np.empty(5)
        twin.fill("x", theirs)
        streams.fill("x", mine)
        assert np.array_equal(mine, theirs), "a copy draws the same numbers from its own state"
        assert np.array_equal(mine, numpys.random(5)), "the original was not moved by the copy"


def test_heap_selection_picks_what_a_stable_sort_would():
    rng = np.random.default_rng(0)
    for trial in range(2000):
        n = int(rng.integers(0, 300))
        draw = rng.random(n)
        if trial % 3 == 0:
            draw = np.round(draw, 1)  # many ties: the lower index first
        state = rng.integers(0, 7, n).astype(np.int8)
        allowed = state_table(rng.choice(7, int(rng.integers(0, 8)), replace=False).tolist())
        excluded = rng.random(n) < 0.2
        k = int(rng.integers(-1, 60))
        candidates = np.flatnonzero(allowed[state] & ~excluded)
        expected = candidates[np.argsort(draw[candidates], kind="stable")][:max(k, 0)]
        assert np.array_equal(smallest_draws(candidates, draw, k), expected)
        assert np.array_equal(first_by_draw(state, allowed, excluded, draw, k), expected)


def test_sectors_with_something_to_show_stops_looking_only_when_every_sector_has_something():
    rng = np.random.default_rng(3)
    for _ in range(2000):
        n, sectors = int(rng.integers(0, 60)), int(rng.integers(1, 5))
        leads = int(rng.integers(0, 4))
        state = rng.choice([TRANSFORMED, UNAWARE, WILLING], n, p=[0.1, 0.6, 0.3]).astype(np.int8)
        sector = rng.integers(0, sectors, n)
        lead_sector, operating = rng.integers(0, sectors, leads), rng.random(leads) < 0.5
        chosen = rng.random(sectors) < 0.7
        expected = chosen.copy()
        for k in range(sectors):
            expected[k] &= bool(operating[lead_sector == k].any()
                                or (state[sector == k] == TRANSFORMED).any())
        got = sectors_with_something_to_show(chosen, lead_sector, operating, state, sector)
        assert got.tolist() == expected.tolist(), "expected the chosen sectors with a central " \
            "factory operating or a transformed firm"


def test_compiled_arithmetic_rules_match_their_numpy_formulas_exactly():
    rng = np.random.default_rng(2)
    m = 500
    args = {"cost": rng.random((2, m)) * 1e6, "annual_benefit": rng.random((2, m)) * 1e5,
            "grant_at_start": rng.random((2, m)) * 1e5, "grant_on_acceptance": 0.0,
            "cash": rng.random(m) * 1e5, "credit_limit": rng.random((2, m)) * 1e6,
            "loan_rate": 0.06, "interest_subsidy_share": rng.random((2, 1)), "loan_years": 3.0,
            "failure_prob": rng.random((2, m)), "benefit_belief": rng.random(m),
            "avoided_loss": rng.random(m) * 100, "failure_reimbursement_share": np.zeros((2, 1)),
            "annuity": 5.2, "risk_aversion": 5.0, "risk_capacity": rng.random(m) * 1e7}
    a = args
    outlay = np.maximum(a["cost"] - a["grant_at_start"], 0.0)
    loan = np.maximum(outlay - a["cash"], 0.0)
    own_loss = outlay + loan * a["loan_rate"] * (1.0 - a["interest_subsidy_share"]) \
        * a["loan_years"]
    success = (a["benefit_belief"] * a["annual_benefit"] + a["avoided_loss"]) * a["annuity"] \
        + a["grant_on_acceptance"] - own_loss
    failure = a["failure_reimbursement_share"] * outlay - own_loss
    p = np.minimum(np.maximum(a["failure_prob"], 0.0), 1.0)
    expected = (1.0 - p) * success + p * failure \
        - a["risk_aversion"] * (p * (1.0 - p) * (success - failure) ** 2) \
        / (2.0 * a["risk_capacity"])
    value, affordable = project_value(**args)
    assert np.array_equal(value, expected) and np.array_equal(affordable, loan <= a["credit_limit"])

    weights, sector = rng.random(300), rng.integers(0, 4, 300)
    demand, extra = rng.random(4) * 1e6, rng.random(4)
    totals = np.bincount(sector, weights=weights, minlength=4) + extra
    assert np.array_equal(share_demand(weights, sector, demand, extra),
                          weights * (demand / totals)[sector])
    revenue, base = rng.random(300), rng.random(300) + 0.1
    assert np.array_equal(lost_order_share(revenue, base),
                          np.minimum(np.maximum(1.0 - revenue / base, 0.0), 1.0))


def test_market_weights_are_the_c_librarys_powers_and_grants_numpys_minimum():
    import math

    from catfish.sim.market import competitiveness
    from catfish.sim.model import ClusterModel
    from catfish.sim.policy import Grant

    model = ClusterModel(seed=5)
    rng = np.random.default_rng(5)
    s, p = model.smes, model.params
    s.unit_cost[:] = rng.uniform(0.5, 1.2, len(s.unit_cost))
    s.quality[:] = rng.uniform(0.9, 1.4, len(s.quality))

    def weights(firms):  # Python's float powers are the C library's, as compiled code's
        return np.array([float(s.base_revenue[f]) * math.pow(float(s.unit_cost[f]),
                                                             -p.cost_sensitivity)
                         * math.pow(float(s.quality[f]), p.quality_sensitivity)
                         for f in firms])

    firms = rng.choice(len(s.unit_cost), 40, replace=False)
    model.reweigh(firms)
    assert np.array_equal(s.weight[firms], weights(firms)), \
        "reweigh must give base revenue * cost ** -sensitivity * quality ** sensitivity"
    assert np.array_equal(competitiveness(s.base_revenue[firms], s.unit_cost[firms],
                                          s.quality[firms], cost_sensitivity=p.cost_sensitivity,
                                          quality_sensitivity=p.quality_sensitivity),
                          weights(firms)), "competitiveness() must give reweigh's weights"
    mask = np.zeros(len(s.unit_cost), bool)
    mask[:7] = True
    s.unit_cost[:7] = 0.8
    model.reweigh(mask)
    assert np.array_equal(s.weight[:7], weights(range(7))), \
        "a mask must reweigh the firms it marks"

    cost = rng.lognormal(12, 1.5, (2, 61))
    for grant in (Grant(share=0.3, cap_rmb=300_000.0),
                  Grant(share=0.5, cap_rmb=1e5, kinds="deep")):
        # light and deep rows, the same not contiguous, one row of deep projects
        for kinds, given in ((np.array([[1], [2]]), cost), (np.array([[1], [2]]), cost[:, ::3]),
                             (np.array(2), cost[1])):
            amount = np.minimum(grant.share * given, grant.cap_rmb)
            if grant.kinds == "deep":
                amount = np.where(kinds == 2, amount, 0.0)
            assert np.array_equal(grant._amount(kinds, given), amount), \
                f"the {grant.kinds} grant's amounts for costs of shape {given.shape}"


def test_realised_gains_are_scipys_quantiles_through_the_c_librarys_exp():
    import math

    from catfish.agents.sme import normal_quantile, realised_gain
    from catfish.sim.projects import realised_gains
    from scipy.special import ndtri

    rng = np.random.default_rng(11)
    q = np.concatenate([rng.random(20_000), [0.0, 1.0, 1e-300, 0.5, 1 - 1e-17]])
    for sigma in (0.35, 1.2, 0.0):
        kept = np.minimum(np.maximum(q, 1e-12), 1 - 1e-12)
        expected = np.array([math.exp(sigma * float(ndtri(x)) - sigma * sigma / 2)
                             for x in kept])
        assert np.array_equal(realised_gains(q, sigma), expected), \
            f"compiled gains at sigma {sigma} must be exp(sigma * ndtri(q) - sigma**2 / 2) " \
            "with scipy's ndtri and the C library's exp, bit for bit"
        assert realised_gain(float(q[0]), sigma) == expected[0], \
            "the rule called from Python must give the compiled bits"
    assert normal_quantile(0.975) == float(ndtri(0.975)), \
        "the quantile function called from Python is scipy's"


def test_compiled_probabilities_agree_with_numpy_to_rounding():
    rng = np.random.default_rng(3)
    e, lost, visited = rng.random(1000), rng.random(1000) * 0.2, rng.random(1000) < 0.1
    conversion = rng.random(1000)
    rates = {"promotion_per_month": 0.0025, "peer_per_month": 0.03,
             "competition_per_month": 0.08}
    numpy_ = 1.0 - np.exp(-(0.0025 + 0.03 * e + 0.08 * lost)) * (1.0 - visited * conversion)
    np.testing.assert_allclose(willingness_prob(e, lost, visited, visit_conversion=conversion,
                                                **rates), numpy_, rtol=1e-13)
    talent = rng.random((50, 1))
    base = np.array([0.12, 0.18, 0.02])
    log_odds = np.log(base / (1 - base)) - 1.5 * (talent - 0.35)
    np.testing.assert_allclose(
        stage_failure_prob(base, talent, 0.5, 0.5, talent_mean=0.35, talent_effect=1.5,
                           quality_effect=1.5, fit_effect=1.0),
        1.0 / (1.0 + np.exp(-log_odds)), rtol=1e-13)
    prob, months = rng.random(200) * 0.9, rng.integers(1, 7, 200)
    np.testing.assert_allclose(monthly_hazard(prob, months),
                               1 - (1 - prob) ** (1 / months), rtol=1e-12)


def test_after_warming_up_no_run_of_a_shipped_scenario_compiles_anything():
    warm_up()
    before = [len(d.signatures) for d in COMPILED]
    for name in scenarios.shipped_names():
        run_one(scenarios.load(name), seed=3, months=6)
        # with an instrument of one's own, whose Python hooks the phases call between parts
        scenario = scenarios.load(name)
        run_one(scenario.model_params(), seed=3, months=6,
                policies=[*scenario.instruments(), _PythonHooks()])
    run_one(seed=3)
    grown = [d.py_func.__qualname__ for d, n in zip(COMPILED, before, strict=True)
             if len(d.signatures) != n]
    assert not grown, f"compiled during a run, not in the warm-up: {grown}"


def test_a_compiled_function_is_compiled_again_when_a_rule_it_calls_changes(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "rules.py").write_text(textwrap.dedent("""
        from catfish.agents.jit import compiled
        @compiled
        def rule(x):
            return x + 1.0
    """))
    (package / "kernels.py").write_text(textwrap.dedent("""
        from catfish.agents.jit import compiled
        from pkg.rules import rule
        @compiled
        def kernel(x):
            return rule(x) * 2.0
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), ROOT]),
           "NUMBA_CACHE_DIR": str(tmp_path / "cache")}

    def kernel_of_one() -> float:
        out = subprocess.run([sys.executable, "-c", "from pkg.kernels import kernel; "
                              "print(kernel(1.0))"], env=env, check=True, capture_output=True,
                             text=True).stdout
        return float(out)

    assert kernel_of_one() == 4.0
    assert kernel_of_one() == 4.0  # from the cache
    (package / "rules.py").write_text((package / "rules.py").read_text().replace("1.0", "10.0"))
    assert kernel_of_one() == 22.0, "the cached kernel kept the old rule"


def test_a_cache_folder_is_found_where_nothing_else_can_be_written(monkeypatch):
    from numba.core import config

    monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)  # restored afterwards
    assert _use_temporary_cache()
    assert os.access(config.CACHE_DIR, os.W_OK) and "catfish-numba" in config.CACHE_DIR


@pytest.mark.parametrize("variable", ["NUMBA_DISABLE_JIT"])
def test_the_compiled_loops_run_as_plain_python_too(variable):
    code = ("from catfish.sim import ClusterModel; from catfish import scenarios; "
            "p, mix = scenarios.load('jieyang-plastics-2020').model_inputs(); "
            "m = ClusterModel(p.replace(n_smes=80, months=3, deadline_month=3), rng=1, "
            "policies=mix)\nwhile m.running: m.step()\nprint(m.metrics['n_transformed'])")
    env = {**os.environ, variable: "1"}
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert int(out.strip()) >= 0


def test_a_process_that_only_plans_never_loads_numba():
    code = ("import sys\nfrom catfish import scenarios\n"
            "from catfish.experiments.jobs import compare\n"
            "from catfish.experiments.runs.comparisons import comparison_design\n"
            "params, mix = scenarios.load('jieyang-plastics-2020').model_inputs()\n"
            "print('numba' in sys.modules, 'llvmlite' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["False", "False"], f"numba or LLVM loaded by planning alone: {out}"


def test_a_start_state_is_run_in_a_child_by_a_process_that_only_plans():
    # jieyang-city-2023 starts where jieyang-plastics-2020 ends: a coordinator loading it must
    # not load the engine for that one run, and must get the shares a run here would give
    code = ("import json, sys\nfrom catfish import scenarios\n"
            "params, mix = scenarios.load('jieyang-city-2023').model_inputs()\n"
            "print(json.dumps([params.start_shares, 'numba' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    shares, numba_loaded = json.loads(out)
    assert not numba_loaded, "the coordinator loaded numba to run a start state"
    here = scenarios.load("jieyang-city-2023").model_params().start_shares
    assert shares == here, f"expected the child's start state {shares} to be {here}"


def _in_a_fresh_process(code: str) -> str:
    """What ``code`` prints, run in a new interpreter (one thread, nothing compiled loaded)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_a_start_state_whose_child_dies_is_run_in_the_process_itself():
    out = _in_a_fresh_process("""
        import os, sys
        from catfish.scenarios import start_state
        start_state._report = lambda send, function, args: os._exit(1)
        shares = start_state._end_state("jieyang-plastics-2020", 0)
        print(shares == start_state._run_to_end("jieyang-plastics-2020", 0))
        """)
    assert out == "True", "expected the start state computed here when the child died"


def test_an_error_in_a_start_states_child_is_raised_in_the_caller():
    out = _in_a_fresh_process("""
        from catfish.scenarios import start_state
        try:
            start_state._in_forked_child(lambda: {}["no-such-sector"])
        except KeyError as exc:
            print("raised", exc)
        """)
    assert out == "raised 'no-such-sector'", f"expected the child's KeyError raised, got {out}"


def test_compiled_functions_called_from_python_and_from_compiled_code_are_dispatchers():
    import catfish.agents.government as government
    import catfish.sim.projects as projects

    run_one(seed=1, months=2)
    assert type(government.pairwise_sum).__name__ == "CPUDispatcher", \
        "a stand-in left in its own module after the first call"
    assert projects.pairwise_sum is government.pairwise_sum, \
        "a module that imported a compiled function still holds its stand-in"
