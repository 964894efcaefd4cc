"""Statistics of comparisons, on small hand-made inputs with the expected numbers written out."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from catfish.experiments.analysis import stats
from catfish.experiments.analysis.comparison import summarise


def close(actual, expected, tol=1e-4):
    return all(math.isclose(a, e, abs_tol=tol) for a, e in zip(actual, expected, strict=True))


def test_percentile_interval_is_5th_to_95th_with_linear_interpolation():
    # 1..10: the 5th percentile sits 0.45 of the way from 1 to 2, the 95th 0.55 from 9 to 10
    lo, hi = stats.percentile_interval(range(1, 11), 0.90)
    assert close((lo, hi), (1.45, 9.55)), f"expected (1.45, 9.55), got {(lo, hi)}"
    assert all(math.isnan(x) for x in stats.percentile_interval([])), "no values: NaN"


@pytest.mark.parametrize(("successes", "n", "expected"), [
    (8, 10, (0.4902, 0.9433)),   # the textbook example (Newcombe 1998, Wilson without CC)
    (0, 10, (0.0, 0.2775)),      # none met: lower bound exactly 0, upper still informative
    (10, 10, (0.7225, 1.0)),     # all met: upper bound exactly 1
    (20, 20, (0.8389, 1.0)),
])
def test_wilson_interval(successes, n, expected):
    got = stats.wilson_interval(successes, n, 0.95)
    assert close(got, expected), f"Wilson {successes}/{n}: expected {expected}, got {got}"


def test_wilson_interval_rejects_impossible_counts_and_is_nan_without_trials():
    with pytest.raises(ValueError, match="successes = 11"):
        stats.wilson_interval(11, 10)
    assert all(math.isnan(x) for x in stats.wilson_interval(0, 0)), "n = 0: NaN"


def test_t_interval():
    # mean 3, sd sqrt(2.5), se 0.70711, t(0.975, 4) = 2.776445, half-width 1.963243
    got = stats.t_interval([1, 2, 3, 4, 5], 0.95)
    assert close(got, (3.0, 1.036757, 4.963243)), f"got {got}"
    m, lo, hi = stats.t_interval([7.0], 0.95)
    assert m == 7.0 and math.isnan(lo) and math.isnan(hi), "one value: mean, NaN interval"
    assert stats.t_interval([2, 2, 2]) == (2.0, 2.0, 2.0), "no spread: the mean itself"


def test_paired_difference_uses_replicate_by_replicate_differences():
    # differences 1, 2, 3: mean 2, sd 1, se 0.57735, t(0.975, 2) = 4.302653, half 2.484138
    got = stats.paired_difference([5, 7, 9], [4, 5, 6], 0.95)
    assert close(got, (2.0, -0.484138, 4.484138)), f"got {got}"
    assert stats.paired_difference([3, 1, 4], [3, 1, 4]) == (0.0, 0.0, 0.0), \
        "identical replicates must give exactly zero"
    with pytest.raises(ValueError, match="differ in length"):
        stats.paired_difference([1, 2], [1, 2, 3])


def test_welch_difference():
    # means 2 and 5.5; variances of the means 1/3 and 5/12; se = sqrt(0.75) = 0.866025;
    # Welch-Satterthwaite dof = 0.5625 / (1/18 + 25/432) = 4.959184; t(0.975, 4.959) = 2.576958;
    # half-width 2.231711 (as scipy.stats.ttest_ind(equal_var=False).confidence_interval())
    diff, lo, hi = stats.welch_difference([1, 2, 3], [4, 5, 6, 7], 0.95)
    assert diff == -3.5, f"expected -3.5, got {diff}"
    assert close((lo, hi), (-5.731711, -1.268289)), \
        f"expected (-5.731711, -1.268289), got {(lo, hi)}"


def test_ratio_of_means_is_not_the_mean_of_ratios():
    # (100 + 500) / 2 over (1 + 4) / 2 = 300 / 2.5 = 120 (the mean of ratios would be 112.5)
    assert stats.ratio_of_means([100, 500], [1, 4]) == 120.0
    assert math.isnan(stats.ratio_of_means([100, 500], [0, 0])), "nothing transformed: NaN"


def test_cost_per_additional():
    # extra spend 5, 15, 25 (mean 15) for extra firms 2, 2, 2 (mean 2): 7.5 per extra firm
    got = stats.cost_per_additional([10, 20, 30], [5, 5, 5], [3, 4, 5], [1, 2, 3])
    assert got == 7.5, f"expected 7.5, got {got}"
    assert math.isnan(stats.cost_per_additional([10], [5], [3], [3])), "no extra firms: NaN"
    assert math.isnan(stats.cost_per_additional([10], [5], [2], [3])), "fewer firms: NaN"
    assert stats.cost_per_additional([4], [5], [4], [3]) == -1.0, \
        "more firms for less money: negative (the headline says it saves money)"


def test_median_where_reached():
    assert stats.median_where_reached([3, math.nan, 5, 4, math.nan]) == (4.0, 0.6), \
        "median of 3, 4, 5 and 3 of 5 runs reaching the target"
    median, share = stats.median_where_reached([math.nan, math.nan])
    assert math.isnan(median) and share == 0.0, "no run reached it: NaN median, share 0"


def _runs() -> pd.DataFrame:
    # two mixes x three replicates; "more" adds 1, 2, 3 firms for 10, 20, 30 extra RMB
    base = {"transformed_by_deadline": [10, 20, 30], "spent_by_deadline_rmb": [100, 200, 300],
            "target_met": [0, 1, 1], "months_to_target": [math.nan, 12, 10]}
    more = {"transformed_by_deadline": [11, 22, 33], "spent_by_deadline_rmb": [110, 220, 330],
            "target_met": [1, 1, 1], "months_to_target": [20, 11, 9]}
    frames = []
    for mix, values in (("base", base), ("more", more)):
        frame = pd.DataFrame({"mix": mix, "replicate": [0, 1, 2], "seed": [5, 6, 7], **values,
                              "spent_by_deadline_grant_rmb": values["spent_by_deadline_rmb"]})
        for column in ("failed_early", "failed_middle", "failed_late", "rejected", "lapsed"):
            frame[column] = [1, 2, 3]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_summarise_on_a_hand_made_runs_table():
    summary = summarise(_runs()).set_index("mix")
    more, base = summary.loc["more"], summary.loc["base"]
    assert more["transformed_by_deadline_mean"] == 22.0, "mean of 11, 22, 33"
    assert more["target_met_prob"] == 1.0 and base["target_met_prob"] == pytest.approx(2 / 3)
    assert (more["months_to_target_median"], more["reached_target_share"]) == (11.0, 1.0)
    assert (base["months_to_target_median"], base["reached_target_share"]) \
        == (11.0, pytest.approx(2 / 3)), "median of 12 and 10 over the 2 of 3 that reached it"
    assert more["cost_per_transformed_rmb"] == 10.0, "220 RMB / 22 firms"
    assert more["cost_per_additional_rmb"] == 10.0, "20 extra RMB / 2 extra firms"
    assert math.isnan(base["cost_per_additional_rmb"]), "the base adds nothing to itself"
    # differences 1, 2, 3: mean 2 with the t interval of test_paired_difference above
    assert close((more["diff_transformed_mean"], more["diff_transformed_lo"],
                  more["diff_transformed_hi"]), (2.0, 2 - 2.484138, 2 + 2.484138))
    assert (base["diff_transformed_lo"], base["diff_transformed_hi"]) == (0.0, 0.0)
    assert more["spent_by_deadline_grant_rmb_mean"] == 220.0
    assert more["failed_early_mean"] == 2.0


def test_summarise_refuses_unpaired_replicates():
    runs = _runs()
    runs = runs[~((runs["mix"] == "more") & (runs["replicate"] == 2))]
    with pytest.raises(ValueError, match="different replicates"):
        summarise(runs)
