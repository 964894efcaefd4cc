"""The words about worlds: which flip rules are said, how rules are read back, numbers in text."""

from __future__ import annotations

import math

import pandas as pd
from catfish.experiments.analysis.robust import rule_limits
from catfish.experiments.outputs.report_robust import _amount, telling


def flip(worlds: int, density: float, note: str = "weak") -> pd.Series:
    return pd.Series({"rule_en": "visits above 0.04", "rule_zh": "参观转化率高于0.04",
                      "worlds": worlds, "density": density, "note": note})


def test_a_rule_is_said_when_it_reaches_its_density_or_doubles_the_event():
    assert telling(flip(100, 0.90, note=""), 1000, "en") == "visits above 0.04", \
        "a box that reached PRIM's density is said"
    assert telling(flip(100, 0.25), 1000, "zh") == "参观转化率高于0.04", \
        "a weak box that holds the event 2.5 times as often as overall (10 %) is said"
    assert telling(flip(100, 0.15), 1000, "en") is None, \
        "a weak box that barely concentrates the event (15 % against 10 %) is not"
    assert telling(pd.Series({"rule_en": "", "worlds": 5, "density": math.nan,
                              "note": "no rule"}), 1000, "en") is None, "no rule, nothing said"


def test_flip_rules_read_back_into_limits():
    query = "visit_conversion_prob >= 0.0412 & `exchange_sessions.visitors_per_session` <= 35.5"
    assert rule_limits(query) == {"visit_conversion_prob": (0.0412, None),
                                  "exchange_sessions.visitors_per_session": (None, 35.5)}, \
        "each term becomes a lower or an upper limit of its parameter"
    assert rule_limits("a >= 1.0 & a <= 2.0") == {"a": (1.0, 2.0)}, "both ends of one parameter"
    assert rule_limits("") == {}, "an empty rule has no limits"


def test_differences_read_in_their_objective_unit():
    assert _amount(6.2123, "transformed") == "6.2" and _amount(61.9, "transformed") == "62", \
        "firms: one decimal below ten, whole numbers above"
    assert _amount(0.027, "p_target") == "2.7", "a probability as percentage points"
    assert _amount(40168.99, "cost_per_firm") == "40,169", "RMB with thousands separators"
    assert _amount(math.inf, "cost_per_firm") == "–", "no number for an infinite regret"
