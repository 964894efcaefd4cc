"""The engine's regression baseline: outcomes of 200 seeds of the default run and of Jieyang.

``tests/test_engine_baseline.py`` checks the engine against it. Recorded once from the numpy
engine before the month was compiled (issue 19), with that checkout first on the path:

    PYTHONPATH=/path/to/old/checkout python tools/engine_baseline.py

Re-record only when a change is meant to alter results, and say why in its commit (the
test's docstring says what it accepts instead of identity).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from catfish.sim import run_one

from catfish import scenarios

RECORD = Path(__file__).resolve().parents[1] / "tests" / "data" / "engine_baseline.csv"
SEEDS = range(1, 201)
CASES = {"default": None, "jieyang-city-2023": "jieyang-city-2023"}


def outcomes(case: str, seed: int) -> dict[str, object]:
    """The run's outcomes (the seed included) for a case of :data:`CASES`."""
    subject = CASES[case]
    result = run_one(None if subject is None else scenarios.load(subject), seed=seed)
    return result.outcomes


def main() -> int:
    """Write the record."""
    rows = [{"case": case, **outcomes(case, seed)} for case in CASES for seed in SEEDS]
    RECORD.parent.mkdir(exist_ok=True)
    with RECORD.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:  # floats as repr: every bit kept
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    print(f"{len(rows)} runs recorded in {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
