"""The README's table of shipped scenarios: firms counted by the deadline, median of 20 seeds.

Each scenario as shipped (calibrated parameters), seeds 1-20, ``transformed_by_deadline``:

    .venv/bin/python tools/shipped_medians.py
"""

from __future__ import annotations

import numpy as np
from catfish.sim import run_one

from catfish import scenarios

SEEDS = range(1, 21)


def main() -> None:
    """Print one line per shipped scenario."""
    for name in scenarios.loader.shipped_names():
        scenario = scenarios.load(name)
        counted = [run_one(scenario.model_params(), seed=seed, policies=scenario.instruments())
                   .outcomes["transformed_by_deadline"] for seed in SEEDS]
        print(f"{name}: median {np.median(counted):,.1f} (target {scenario.target.firms:,})")


if __name__ == "__main__":
    main()
