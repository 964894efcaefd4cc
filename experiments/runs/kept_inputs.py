"""What a result folder keeps of its inputs, so that it describes its own run forever.

A report made a year later must describe the run that was made, not today's files: an edited
scenario, a re-shipped calibration or a newer Catfish would otherwise change it silently. So
``catfish compare`` (and ``catfish run``) copy their inputs into ``inputs/`` before the first
run, byte for byte, with their SHA-256 in the manifest:

- ``inputs/comparison.yaml`` and ``inputs/base-scenario.yaml`` (``inputs/scenario.yaml`` for
  a single run): the files as they were;
- ``inputs/posterior.parquet``: the posterior the worlds drew from, if any, and
  ``inputs/priors.yaml`` and ``inputs/instrument_priors.yaml``, the priors they drew the rest
  from;
- ``inputs/assumptions.json``: what the installed Catfish added to them, in no language: the
  behavioural parameters the base scenario ran on (value, origin, prior range and source) and
  the calibration's predictive check against the pilot figures.

``catfish report`` reads only these and the folder's results.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.calibration.data import holdouts, targets
from catfish.calibration.posterior import POSTERIORS
from catfish.calibration.priors import PRIORS_FILE, load_priors
from catfish.calibration.worlds import INSTRUMENT_PRIORS_FILE
from catfish.scenarios import parameter_sets
from catfish.scenarios.loader import read_yaml
from catfish.scenarios.schema import Scenario

from catfish import scenarios

INPUTS = "inputs"
COMPARISON = f"{INPUTS}/comparison.yaml"
BASE = f"{INPUTS}/base-scenario.yaml"
SCENARIO = f"{INPUTS}/scenario.yaml"
POSTERIOR = f"{INPUTS}/posterior.parquet"
PRIORS = f"{INPUTS}/priors.yaml"
INSTRUMENT_PRIORS = f"{INPUTS}/instrument_priors.yaml"
ASSUMPTIONS = f"{INPUTS}/assumptions.json"
PPC_FILE = POSTERIORS / "default_ppc.csv"
HOLDOUT_FILE = POSTERIORS / "default_holdout.csv"


def comparison_inputs(comparison: Any, posterior: Path | None, *,
                      worlds: bool = False) -> dict[str, bytes]:
    """The files a comparison folder keeps (name relative to the folder -> bytes).

    With ``worlds``, also the priors the worlds were drawn from.
    """
    kept = {COMPARISON: Path(comparison.path).read_bytes(),
            BASE: Path(comparison.base_path).read_bytes()}
    if posterior is not None:
        kept[POSTERIOR] = Path(posterior).read_bytes()
    if worlds:
        kept[PRIORS] = PRIORS_FILE.read_bytes()
        kept[INSTRUMENT_PRIORS] = INSTRUMENT_PRIORS_FILE.read_bytes()
    kept[ASSUMPTIONS] = _json({"parameters": parameter_table(comparison.base),
                               "fit": fit_table()})
    return kept


def scenario_inputs(path: Path, scenario: Scenario) -> dict[str, bytes]:
    """The files a single run's folder keeps."""
    return {SCENARIO: Path(path).read_bytes(),
            ASSUMPTIONS: _json({"parameters": parameter_table(scenario), "fit": fit_table()})}


def record(kept: dict[str, bytes], origins: dict[str, Path | None]) -> dict[str, Any]:
    """The manifest's ``inputs`` section: each copy, its SHA-256 and where it came from.

    A shipped file is named by its file name only: install paths say nothing to the reader.
    """
    shipped = (Path(scenarios.__file__).parent.resolve(), POSTERIORS.resolve(),
               PRIORS_FILE.parent.resolve())

    def origin(path: Path | None) -> str | None:
        if path is None:
            return None
        path = Path(path).resolve()
        return f"shipped: {path.name}" if path.parent in shipped else str(path)

    return {name: {"sha256": hashlib.sha256(content).hexdigest(),
                   "from": origin(origins.get(name))} for name, content in kept.items()}


def parameter_table(scenario: Scenario) -> list[dict[str, Any]]:
    """Every behavioural parameter with a prior, as ``scenario`` runs it (language-neutral).

    Each row: name, value, origin (``override``: the scenario sets it, ``calibrated``: its
    parameter set, ``default``: the documented default), the prior's range and its source.
    """
    params = scenario.model_params()
    calibrated = parameter_sets.values(scenario.behaviour.parameter_set)
    priors = load_priors()
    rows = []
    for name, prior in priors.items():
        if prior.scenario not in (None, scenario.name):
            continue
        # a place's own parameter (Shenzhen's willing share) is a field of its scenario file
        origin = ("override" if name in scenario.behaviour.overrides or prior.scenario
                  else "calibrated" if name in calibrated else "default")
        rows.append({"name": name, "value": float(getattr(params, name)), "origin": origin,
                     "low": prior.low, "high": prior.high, "source": prior.source,
                     "source_zh": prior.source_zh})
    rows += [{"name": name, "value": value, "origin": "override", "low": None, "high": None,
              "source": "", "source_zh": ""}
             for name, value in sorted(scenario.behaviour.overrides.items()) if name not in priors]
    return rows


def fit_table() -> list[dict[str, Any]]:
    """The shipped calibration's checks: every figure it was fitted to, then every hold-out.

    Each row: the figure and its source, the observed value or range, the predictive 50 % and
    90 % intervals (simulation plus observation error), the observation's percentile among the
    predictions, and whether it lies inside each interval.
    """
    rows = []
    for role, path, facts in (("fitted", PPC_FILE, targets()),
                              ("holdout", HOLDOUT_FILE, holdouts())):
        if not path.is_file():
            continue
        by_name = {f.name: f for f in facts}
        table = pd.read_csv(path).rename(columns={"figure": "target"})
        for row in table.to_dict("records"):
            fact = by_name.get(row.get("target"))
            if fact is None:
                continue
            low, high = fact.bounds
            inside90 = row["in90"] if "in90" in row else row.get("result") == "hit"
            rows.append({"name": fact.name, "role": role, "place": fact.place,
                         "date": fact.date, "quote": fact.source.quote,
                         "source": fact.source.file, "unit": fact.unit, "low": low,
                         "high": high, "error_sd": fact.error_sd,
                         "lo50": _number(row.get("lo50")), "hi50": _number(row.get("hi50")),
                         "lo90": _number(row.get("lo90")), "hi90": _number(row.get("hi90")),
                         "percentile": _number(row.get("percentile")),
                         "in50": bool(row.get("in50", False)), "in90": bool(inside90)})
    return rows


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN: unknown


def read_assumptions(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The kept parameters and fit (empty lists for a folder made before they were kept)."""
    try:
        data = json.loads((Path(folder) / ASSUMPTIONS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"parameters": [], "fit": []}
    if not isinstance(data, dict):
        return {"parameters": [], "fit": []}
    return {key: [row for row in data.get(key, []) if isinstance(row, dict)]
            if isinstance(data.get(key), list) else [] for key in ("parameters", "fit")}


def read_scenario(folder: Path, name: str = BASE) -> Scenario | None:
    """The kept scenario, validated (None if missing, or if this Catfish no longer accepts it)."""
    path = Path(folder) / name
    if not path.is_file():
        return None
    try:
        return scenarios.parse(read_yaml(path), path)
    except scenarios.ScenarioError:
        return None


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
