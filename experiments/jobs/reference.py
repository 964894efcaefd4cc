"""Leave-one-out and parameter recovery on a reference table made on the experiment engine.

The studies themselves are ``calibration.reference``'s (ABC rejection on one table of
simulations from the priors); this runs the table's simulations on the engine (local
processes, committed to a store in ``OUT/runs/``, so an interrupted table carries on where it
stopped) and writes the results::

    python -m experiments.jobs.reference --draws 800 --out catfish-output/reference
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from catfish.calibration.reference import (
    KEEP,
    count_kept,
    leave_one_out,
    recovery,
    recovery_summary,
    reference_table,
)
from catfish.experiments.jobs.calibrate import EngineSimulations
from catfish.experiments.runs.engine import Workers


def main() -> None:
    """Build the reference table, then write loo.csv, recovery.csv and recovery_summary.csv."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--truths", type=int, default=50)
    parser.add_argument("--keep", type=float, default=KEEP)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("catfish-output") / "reference")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "reference_table.parquet"
    if path.is_file():  # the table is the expensive part: keep it, refit as often as asked
        table = pd.read_parquet(path)
    else:
        runs = EngineSimulations(args.out / "runs", Workers(args.workers),
                                 kind="reference-table")
        table = reference_table(args.draws, seed=args.seed, simulate_many=runs)
        table.to_parquet(path, index=False)
    loo = leave_one_out(table, keep=args.keep, seed=args.seed)
    loo.to_csv(args.out / "loo.csv", index=False)
    found = recovery(table, truths=args.truths, keep=args.keep, seed=args.seed)
    found.to_csv(args.out / "recovery.csv", index=False)
    summary = recovery_summary(found)
    summary.to_csv(args.out / "recovery_summary.csv", index=False)
    print(f"reference table: {len(table)} draws from the priors; each refit keeps the nearest "
          f"{count_kept(table, args.keep)}")
    print(loo[["target", "observed", "lo90", "hi90", "percentile", "in50", "in90"]]
          .round(3).to_string(index=False))
    print(summary.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
