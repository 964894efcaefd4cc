"""Hashes of what every shipped comparison, sweep and sensitivity file writes (small sizes).

A refactoring of how runs are made must not change a single number. This runs each shipped
file through the command line at a small size and hashes its tables (CSV as written; Parquet
read back and sorted by its keys), so the hashes from before and after a change can be
compared:

    python tools/output_hashes.py record   # writes tools/output_hashes.json
    python tools/output_hashes.py check    # exit 1 and a list of what differs

The command line only, so the script works whatever the package's modules are called.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
RECORD = HERE / "output_hashes.json"
CATFISH = [sys.executable, "-m", "catfish"]

JOBS = {  # name -> (arguments, sub-folder holding the tables)
    "compare-worlds": ["compare", "compare-jieyang-2023", "--replicates", "6", "--lang", "en"],
    "compare-fixed": ["compare", "compare-jieyang-2023", "--replicates", "4", "--fixed",
                      "--lang", "en"],
    "sensitivity-morris": ["sensitivity", "sa-jieyang-2023", "--n", "2", "--replicates", "1",
                           "--yes"],
}
SMALL_SWEEP = {"design": {"kind": "lhs", "samples": 6}, "replicates": 2}
SKIP = {"manifest.json", "report.html", "commits.jsonl", "ledger.parquet", "summary.md"}


def table_digest(path: Path) -> str:
    """The table's content: CSV bytes as written; Parquet read back, sorted by its keys."""
    if path.suffix == ".csv":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    frame = pd.read_parquet(path)
    keys = [k for k in ("run_id", "mix", "replicate", "month") if k in frame.columns]
    if keys and path.is_dir():  # a store's parts arrive in any order
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def digests(folder: Path) -> dict[str, str]:
    """Every table in a result folder (CSV files, Parquet files and part folders)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.name in SKIP or rel.startswith(("inputs/", "damaged/")):
            continue
        if path.suffix == ".csv" and path.is_file():
            found[rel] = table_digest(path)
        elif path.suffix == ".parquet" and path.is_file() and path.parent == folder:
            found[rel] = table_digest(path)
        elif path.is_dir() and path.parent == folder and any(path.glob("part-*.parquet")):
            found[rel] = table_digest(path)
    return found


def run_all() -> dict[str, dict[str, str]]:
    """Run every job in a scratch folder and hash what it wrote."""
    import yaml

    result = {}
    with tempfile.TemporaryDirectory(prefix="catfish-hashes-") as tmp:
        root = Path(tmp)
        for name, args in JOBS.items():
            out = root / name
            subprocess.run([*CATFISH, *args, "--out", str(out)], check=True,
                           stdout=subprocess.DEVNULL)
            result[name] = digests(out)
        shipped = HERE.parent / "scenarios" / "sweep-jieyang-2023.yaml"
        sweep = yaml.safe_load(shipped.read_text(encoding="utf-8"))
        sweep.update(SMALL_SWEEP)
        spec = root / "sweep-small.yaml"
        spec.write_text(yaml.safe_dump(sweep, allow_unicode=True), encoding="utf-8")
        out = root / "sweep-small"
        subprocess.run([*CATFISH, "sweep", str(spec), "--out", str(out), "--yes"], check=True,
                       stdout=subprocess.DEVNULL)
        result["sweep-small"] = digests(out)
    return result


def main(argv: list[str]) -> int:
    """Record the hashes, or check them against the record (exit status 1 if any differs)."""
    mode = argv[1] if len(argv) > 1 else "check"
    now = run_all()
    if mode == "record":
        RECORD.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"recorded {sum(map(len, now.values()))} tables in {RECORD}")
        return 0
    before = json.loads(RECORD.read_text(encoding="utf-8"))
    differ = [f"{job}/{table}" for job in before for table in before[job]
              if now.get(job, {}).get(table) != before[job][table]]
    missing = [f"{job}/{table}" for job in now for table in now[job]
               if table not in before.get(job, {})]
    for name in differ:
        print(f"differs: {name}")
    for name in missing:
        print(f"new (not recorded): {name}")
    print(f"{sum(map(len, before.values())) - len(differ)} of "
          f"{sum(map(len, before.values()))} tables identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
