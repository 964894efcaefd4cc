"""The compiled engine against the numpy engine it replaced: 200 seeds, two runs.

``tests/data/engine_baseline.csv`` holds the outcomes of the default run and of Jieyang city
for seeds 1-200, recorded from the numpy engine before the month was compiled
(``tools/engine_baseline.py``). The compiled engine gives the same numbers: counts exactly,
money and shares to the last digits (a rounding error of numpy's own vectorised functions,
which may differ on another processor, is allowed). Should a change ever alter the order of
floating-point operations or of draws, what must still hold is the second test: paired
differences of the main outcomes within their sampling error (three standard errors).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from catfish.sim import run_one

from catfish import scenarios

RECORD = Path(__file__).parent / "data" / "engine_baseline.csv"
CASES = {"default": None, "jieyang-city-2023": "jieyang-city-2023"}
MAIN = ("transformed_by_deadline", "spent_by_deadline_rmb", "failed_early", "rejected",
        "lapsed", "mean_payback_years")

pytestmark = pytest.mark.slow


def recorded() -> dict[str, list[dict[str, float]]]:
    """The record's outcomes by case, in seed order."""
    by_case: dict[str, list[dict[str, float]]] = {case: [] for case in CASES}
    with RECORD.open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            case = row.pop("case")
            by_case[case].append({k: float(v) for k, v in row.items()})
    return by_case


@pytest.fixture(scope="module")
def pairs() -> dict[str, list[tuple[dict[str, float], dict[str, float]]]]:
    """(recorded, now) outcomes of every run of the record."""
    result = {}
    for case, rows in recorded().items():
        subject = None if CASES[case] is None else scenarios.load(CASES[case])
        result[case] = [(row, run_one(subject, seed=int(row["seed"])).outcomes)
                        for row in rows]
    return result


def same(before: float, now: float) -> bool:
    if math.isnan(before):
        return math.isnan(now)
    return math.isclose(before, now, rel_tol=1e-9, abs_tol=1e-9)


def test_every_outcome_of_every_run_is_the_numpy_engines(pairs):
    for case, runs in pairs.items():
        for before, now in runs:
            differ = {k: (v, now[k]) for k, v in before.items() if not same(v, float(now[k]))}
            assert not differ, f"{case}, seed {before['seed']:.0f}: {differ}"


def test_paired_differences_are_within_sampling_error(pairs):
    for case, runs in pairs.items():
        for name in MAIN:
            before = np.array([b[name] for b, _ in runs], dtype=float)
            now = np.array([float(n[name]) for _, n in runs], dtype=float)
            keep = ~(np.isnan(before) | np.isnan(now))
            difference = now[keep] - before[keep]
            error = max(np.std(before[keep], ddof=1) / math.sqrt(keep.sum()), 1e-12)
            assert abs(difference.mean()) <= 3 * error, \
                f"{case}: {name} moved by {difference.mean():.4g} (standard error {error:.3g})"
