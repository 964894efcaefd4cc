"""Parameter recovery: can the calibration find parameters it knows?

Data are simulated from known parameters (the truth), with the targets' own statistics and
tolerances; the calibration is run on them; the truth should fall in the posterior's 90 %
intervals about 90 % of the time. Run the full study with

    python -m calibration.recovery --repetitions 10 --out catfish-output/recovery

(each repetition is a whole calibration); the tests run a small version.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from catfish.calibration.abc import CALIBRATED, DEFAULT, Settings, calibrate
from catfish.calibration.data import Fact, targets
from catfish.calibration.priors import load_priors
from catfish.calibration.report import posterior_summary
from catfish.calibration.targets import simulate


def synthetic_facts(facts: Sequence[Fact], truth: Mapping[str, float], seed: int) -> list[Fact]:
    """The targets with their observed values replaced by one simulation at ``truth``."""
    stats = simulate(dict(truth), seed, facts)
    return [f.model_copy(update={"value": float(stats[f.name]), "low": None, "high": None})
            for f in facts]


def recover(truth: Mapping[str, float], out: Path, *, facts: Sequence[Fact] | None = None,
            settings: Settings = DEFAULT, workers: int = 2, seed: int = 1) -> pd.DataFrame:
    """Calibrate on data simulated at ``truth``; per parameter the truth and the posterior.

    Returns:
        One row per parameter: ``truth``, prior range, posterior ``median``, ``lo90``,
        ``hi90``, ``contraction``, ``covered`` (truth within the 90 % interval), and whether
        the median is closer to the truth than the prior's middle (``moved_toward``).
    """
    facts = synthetic_facts(facts if facts is not None else targets(), truth, seed)
    run = calibrate(out, facts=facts, parameters=tuple(truth), settings=settings,
                    workers=workers, seed=seed)
    summary = posterior_summary(run.posterior, load_priors())
    summary["truth"] = summary["parameter"].map(truth)
    summary["covered"] = summary["truth"].between(summary["lo90"], summary["hi90"])
    middle = (summary["prior_low"] + summary["prior_high"]) / 2
    summary["moved_toward"] = (summary["median"] - summary["truth"]).abs() \
        < (middle - summary["truth"]).abs()
    return summary


def study(repetitions: int, out: Path, *, parameters: Sequence[str] = CALIBRATED,
          settings: Settings = DEFAULT, workers: int = 2, seed: int = 1) -> pd.DataFrame:
    """Recover ``repetitions`` truths, each drawn uniformly inside the priors' middle 80 %.

    The middle, so that a 90 % interval can lie on both sides of the truth.
    """
    priors = load_priors()
    rng = np.random.default_rng(seed)
    tables = []
    for i in range(repetitions):
        truth = {p: float(priors[p].low + (0.1 + 0.8 * rng.random())
                          * (priors[p].high - priors[p].low)) for p in parameters}
        table = recover(truth, out / f"repetition-{i:02d}", settings=settings, workers=workers,
                        seed=seed + i)
        tables.append(table.assign(repetition=i))
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    """Run the recovery study and print how often the truth was covered."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("catfish-output") / "recovery")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--population", type=int, default=DEFAULT.population)
    parser.add_argument("--generations", type=int, default=DEFAULT.generations)
    parser.add_argument("--max-simulations", type=int, default=DEFAULT.max_simulations)
    args = parser.parse_args()
    settings = Settings(population=args.population, generations=args.generations,
                        min_epsilon=DEFAULT.min_epsilon, ppc_draws=0,
                        max_simulations=args.max_simulations)
    table = study(args.repetitions, args.out, settings=settings, workers=args.workers)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "recovery.csv", index=False)
    print(table.round(4).to_string(index=False))
    print(coverage_report(table))


def coverage_report(table: pd.DataFrame) -> str:
    """How often the truth fell in the 90 % interval: per parameter, overall, all at once."""
    per_parameter = table.groupby("parameter")["covered"].agg(["sum", "count"])
    every = table.groupby("repetition")["covered"].all()
    lines = [f"{name}: truth in the 90 % interval in {int(row['sum'])} of {int(row['count'])} "
             "repetitions" for name, row in per_parameter.iterrows()]
    lines.append(f"overall: {int(table['covered'].sum())} of {len(table)} "
                 f"({table['covered'].mean():.0%}); every parameter at once in "
                 f"{int(every.sum())} of {len(every)} repetitions")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
