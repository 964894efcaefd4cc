"""Same numbers before and after a change of the engine: every shipped scenario, seeds 1-10.

Records the outcomes and the whole time series of ``sim.run_one(scenarios.load(name),
seed=s)`` for every shipped scenario and seeds 1-10, then checks a later version against the
record, bit for bit (NaN equals NaN):

    python tools/same_numbers.py record /tmp/same_numbers.pkl   # before the change
    python tools/same_numbers.py check /tmp/same_numbers.pkl    # after: exit 1 if any differs

A check also says how far what differs has moved: for each outcome and column, in how many
runs it differs and by how much at most (relative), so a change meant to move only the last
bits of some numbers can show that it did only that.

The ClusterModel directly too (the default cluster, no scenario file), and the Bass docking
configuration, so that the paths only they take are covered as well.
"""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.sim import ClusterModel, run_one

from catfish import scenarios

SEEDS = range(1, 11)


def bass_series(seed: int) -> list[float]:
    """The Bass docking run's adopted share, month by month."""
    model = ClusterModel.bass(p=0.03, q=0.38, n_smes=1000, seed=seed)
    shares = []
    while model.running:
        model.step()
        shares.append(model.metrics["share_transformed"])
    return shares


def record_all() -> dict[str, Any]:
    """Every run's outcomes and time series, by (scenario, seed)."""
    runs: dict[str, Any] = {}
    for name in [*scenarios.shipped_names(), "defaults"]:
        subject = None if name == "defaults" else scenarios.load(name)
        for seed in SEEDS:
            result = run_one(subject, seed=seed)
            runs[f"{name}/{seed}"] = (result.outcomes, result.timeseries)
    for seed in SEEDS:
        runs[f"bass/{seed}"] = ({}, pd.DataFrame({"share": bass_series(seed)}))
    return runs


def same(a: Any, b: Any) -> bool:
    """Equal values, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs, one line each."""
    found = []
    for key, (outcomes, series) in before.items():
        new_outcomes, new_series = now[key]
        found += [f"{key}: outcome {k}: {v!r} -> {new_outcomes.get(k)!r}"
                  for k, v in outcomes.items() if not same(v, new_outcomes.get(k))]
        try:
            pd.testing.assert_frame_equal(series, new_series, check_exact=True)
        except AssertionError as exc:
            found.append(f"{key}: time series: {str(exc).splitlines()[0:4]}")
    return found


def distances(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """For each outcome and column that differs: in how many runs, and by how much at most."""
    runs: dict[str, int] = {}
    largest: dict[str, float] = {}

    def compare(name: str, a: Any, b: Any) -> None:
        a, b = pd.to_numeric(pd.Series(a), errors="coerce"), pd.to_numeric(pd.Series(b),
                                                                             errors="coerce")
        if len(a) != len(b):
            runs[name], largest[name] = runs.get(name, 0) + 1, math.inf
            return
        differ = ~((a == b) | (a.isna() & b.isna()))
        if differ.any():
            scale = a.abs().where(a.abs() > 0, 1.0)
            relative = float(((a - b).abs() / scale)[differ].max())
            runs[name] = runs.get(name, 0) + 1
            largest[name] = max(largest.get(name, 0.0), relative)

    for key, (outcomes, series) in before.items():
        new_outcomes, new_series = now[key]
        for k, v in outcomes.items():
            compare(f"outcome {k}", [v], [new_outcomes.get(k)])
        for column in series.columns:
            compare(f"column {column}", series[column], new_series[column])
    return [f"{name}: differs in {runs[name]} of {len(before)} runs, by at most "
            f"{largest[name]:.2g} (relative)" for name in sorted(runs)]


def main(argv: list[str]) -> int:
    """Record, or check against a record (exit status 1 if anything differs)."""
    mode, path = argv[1], Path(argv[2] if len(argv) > 2 else "/tmp/same_numbers.pkl")
    now = record_all()
    if mode == "record":
        path.write_bytes(pickle.dumps(now))
        print(f"recorded {len(now)} runs in {path}")
        return 0
    found = differences(pickle.loads(path.read_bytes()), now)
    print("\n".join(found[:40]))
    if found:
        print("\n".join(distances(pickle.loads(path.read_bytes()), now)))
    print(f"{len(now)} runs: {'all identical' if not found else f'{len(found)} differences'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
