"""ClusterModel.appraise: one firm in place of one of the model's, in one month, valued by the
model's own rules (the firm calculator, experiments/explore/firm.py, asks nothing else)."""

from __future__ import annotations

import numpy as np
import pytest
from catfish.agents.sme import WILLING
from catfish.sim import ModelParams
from catfish.sim.model import ClusterModel
from catfish.sim.params import ParameterError

FIRM = {"sector": "plastics", "revenue": 6e6, "cash": 7.5e5, "credit_access": 0.4,
        "talent": 0.35, "infrastructure": 0.6}


def model() -> ClusterModel:
    params = ModelParams(n_smes=200, months=12, deadline_month=12,
                         sector_names=("plastics", "food"), sector_shares=(0.5, 0.5))
    return ClusterModel(params, rng=1, policies=[])


def test_the_firm_takes_a_firms_place_in_the_month_asked():
    m = model()
    appraisal = m.appraise(5, **FIRM, cost=(3e5, 1.5e6))
    i = appraisal.index
    assert m.month == 5, f"the model is left in the month asked, not {m.month}"
    assert m.smes.state[i] == WILLING and m.smes.revenue[i] == 6e6, \
        "the firm is in place, willing, with its revenue"
    assert appraisal.valuation.cost[:, 0].tolist() == [3e5, 1.5e6], "the costs given are valued"
    assert appraisal.expected.value[0, 0] > appraisal.valuation.value[0, 0], \
        "without risk aversion a project is worth more to the firm"
    assert appraisal.stage_failure.shape == (2, 3) \
        and (appraisal.stage_failure[1] > appraisal.stage_failure[0]).all(), \
        "a deep project fails more often than a light one in every stage"


def test_a_specialist_provider_lowers_the_failure_odds():
    generalist = model().appraise(1, **FIRM).stage_failure
    specialist = model().appraise(1, **FIRM, provider_specialty="plastics").stage_failure
    elsewhere = model().appraise(1, **FIRM, provider_specialty="food").stage_failure
    assert np.all(specialist < generalist) and np.all(generalist < elsewhere), \
        "fit 1 (the firm's sector) < fit 0.5 (generalist) < fit 0 (another sector)"


@pytest.mark.parametrize(("month", "firm", "message"), [
    (0, FIRM, "appraise: month = 0: must be 1 to 12"),
    (13, FIRM, "appraise: month = 13: must be 1 to 12"),
    (1, {**FIRM, "sector": "metal"}, "appraise: 'metal' is not a sector (sectors: plastics, food)"),
])
def test_bad_questions_are_one_line_errors(month, firm, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model().appraise(month, **firm)


def test_a_model_that_has_run_is_not_appraised():
    m = model()
    m.step()
    with pytest.raises(ParameterError, match="appraise: the model has run 1 months"):
        m.appraise(2, **FIRM)
