"""The shipped sensitivity analysis at full size: Morris screening, then Sobol'.

Run: ``python benchmarks/bench_sensitivity.py [--n 1024] [--replicates 3] [--workers 2]
[--out DIR] [--json PATH]``.

1. Morris on ``sa-jieyang-2023`` as shipped (10 factors and the dummy, 20 trajectories, 3
   replicates: 660 design points, 1,980 runs).
2. Sobol' on the same factors, N base samples, no second order: N x (11 + 2) design points
   (13,312 for N = 1024) x replicates runs, 2 local workers.

Prints and saves (default ``benchmarks/results/bench_sensitivity.json``) the wall time, runs
per minute, the indices tables and the plain-language summaries. The target: Sobol' with 10
factors, N = 1024, 3 replicates in under 60 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from catfish.experiments.jobs.sensitivity import sensitivity

RESULTS = Path(__file__).parent / "results"


def timed(method: str, out: Path, **options) -> dict:
    """Run one analysis into ``out``; its timing, indices and English summary."""
    started = time.perf_counter()
    result = sensitivity("sa-jieyang-2023", out, method=method, overwrite=True, **options)
    wall = time.perf_counter() - started
    runs = result.spec.runs
    columns = ["outcome", "factor", *(["S1", "S1_conf", "ST", "ST_conf", "converged"]
                                      if method == "sobol" else
                                      ["mu_star", "mu_star_conf", "sigma"]), "influential"]
    return {"method": method, "n": result.spec.n, "replicates": result.spec.replicates,
            "factors": len(result.spec.factors), "design_points": result.spec.design_points,
            "runs": runs, "wall_s": round(wall, 1), "runs_per_min": round(runs / wall * 60),
            "indices": result.indices[columns].round(4).to_dict(orient="records"),
            "skipped": result.skipped,
            "summary": json.loads((out / "summary.json").read_text(encoding="utf-8"))}


def main() -> None:
    """Run both analyses and print and save what they found."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1024, help="Sobol' base samples")
    parser.add_argument("--replicates", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("catfish-output") / "bench-sa")
    parser.add_argument("--json", type=Path, default=RESULTS / "bench_sensitivity.json")
    args = parser.parse_args()
    rows = [timed("morris", args.out / "morris", replicates=args.replicates,
                  workers=args.workers),
            timed("sobol", args.out / "sobol", n=args.n, replicates=args.replicates,
                  workers=args.workers)]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"python": platform.python_version(), "analyses": rows},
                                    ensure_ascii=False, indent=2), encoding="utf-8")
    for row in rows:
        print(f"{row['method']}: {row['factors']} factors + dummy, {row['design_points']:,} "
              f"points x {row['replicates']} = {row['runs']:,} runs in {row['wall_s'] / 60:.1f} "
              f"min ({row['runs_per_min']:,} runs/min)")
        print(row["summary"]["en"], "\n")
    print(f"Tables and summaries in {args.json} and {args.out}/")


if __name__ == "__main__":
    main()
