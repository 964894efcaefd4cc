"""A comparison across its worlds, analysed: robustness, flips, variance shares, what to measure.

The pure functions are in ``experiments.analysis``; this module feeds them a comparison's runs
and worlds, joins what people need to read the results (each parameter's labels, unit, origin,
source, and what could pin it down), and writes the tables into the results folder:

- ``robustness``: one row per mix: P(target) over worlds, P(best), expected regret, the bad case;
- ``flips``: where the most robust mix loses to each rival, and where each mix misses the
  target (PRIM rules, in words in both languages);
- ``variance_shares``: each parameter's share of the variance of each mix's gap to the best
  (``quantity`` "gap to the best mix"), and of the best mix's own result;
- ``value_of_information``: the expected value of perfect information of each parameter, with
  what to measure to learn it, ranked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from catfish.calibration.worlds import POSTERIOR_DRAW, WORLD, Uncertainty
from catfish.experiments.analysis import (
    best_mix,
    evppi,
    flip_table,
    get_objective,
    objective_values,
    robustness,
    variance_share_table,
)
from catfish.experiments.analysis.robustness import world_table
from catfish.experiments.analysis.variance import variance_shares

TABLES = ("robustness", "flips", "variance_shares", "value_of_information")
GAP, OUTCOME = "gap to the best mix", "the best mix's own result"  # variance_shares.quantity
FILES = [f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet")]


@dataclass(frozen=True)
class RobustResult:
    """The analysis of a comparison across worlds.

    Attributes:
        objective: The objective's name (``transformed``, ``p_target``, ``cost_per_firm``).
        best: The mix best in the most worlds (ties: the lowest regret).
        robustness: One row per mix (``experiments.analysis.robustness``).
        flips: One row per event (``experiments.analysis.flip_table``).
        variance_shares: One row per mix other than the best and parameter.
        value_of_information: One row per parameter, the most valuable first, with its labels,
            unit, origin, source and what to measure.
        values: The objective per world (rows) and mix (columns).
    """

    objective: str
    best: str
    robustness: pd.DataFrame
    flips: pd.DataFrame
    variance_shares: pd.DataFrame
    value_of_information: pd.DataFrame
    values: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file name stem."""
        return {name: getattr(self, name) for name in TABLES}


def parameter_columns(worlds: pd.DataFrame) -> pd.DataFrame:
    """A worlds table as the analysis reads it: ``replicate`` and the parameters only."""
    return worlds.drop(columns=[POSTERIOR_DRAW], errors="ignore").rename(
        columns={WORLD: "replicate"})


def analyse(runs: pd.DataFrame, worlds: pd.DataFrame, uncertainties: Sequence[Uncertainty],
            objective: str) -> RobustResult:
    """Analyse a comparison's runs across the worlds they ran in."""
    params = parameter_columns(worlds)
    varied = [u for u in uncertainties if params[u.key].nunique() > 1]
    params = params[["replicate", *(u.key for u in varied)]]
    labels = {u.key: dict(u.labels) for u in varied}
    table = robustness(runs, objective)
    best = best_mix(table)
    values = objective_values(runs, objective)
    flips = flip_table(runs, params, objective, best, labels)
    # what decides the gaps to the best mix, and what decides the best mix's own result
    own = variance_shares(world_table(params, values.index), values[best])
    shares = pd.concat([variance_share_table(runs, params, objective, best).assign(
                            quantity=GAP),
                        own.assign(mix=best, quantity=OUTCOME)], ignore_index=True)
    shares = shares.merge(_about(varied)[["parameter", "label_zh", "label_en"]],
                          on="parameter", how="left")
    info = evppi(params, runs, objective).merge(_about(varied), on="parameter", how="left")
    return RobustResult(objective=get_objective(objective).name, best=best, robustness=table,
                        flips=flips, variance_shares=shares, value_of_information=info,
                        values=values)


def _about(uncertainties: Sequence[Uncertainty]) -> pd.DataFrame:
    """What people need to read a parameter: labels, unit, origin, range, source, measure."""
    return pd.DataFrame([{
        "parameter": u.key, "label_zh": u.labels.get("zh", u.key),
        "label_en": u.labels.get("en", u.key), "unit": u.unit, "origin": u.origin,
        "low": u.low, "high": u.high, "source": u.source, "source_zh": u.source_zh or u.source,
        "measure": u.measure, "measure_zh": u.measure_zh or u.measure}
        for u in uncertainties])


def load(folder: Path, objective: str) -> tuple[RobustResult, pd.DataFrame] | None:
    """The analysis a results folder holds, and its worlds (None for one without worlds).

    Raises:
        OSError, ValueError: A table cannot be read.
    """
    folder = Path(folder)
    paths = {name: folder / f"{name}.parquet" for name in (*TABLES, "runs", "worlds")}
    if not all(p.is_file() for p in paths.values()):
        return None
    tables = {name: pd.read_parquet(path) for name, path in paths.items()}
    result = RobustResult(objective=get_objective(objective).name,
                          best=best_mix(tables["robustness"]),
                          values=objective_values(tables["runs"], objective),
                          **{name: tables[name] for name in TABLES})
    return result, tables["worlds"]


_TERM = re.compile(r"^\s*`?(?P<name>[^`]+?)`?\s*(?P<op>>=|<=)\s*(?P<value>\S+)\s*$")


def rule_limits(query: str) -> dict[str, tuple[float | None, float | None]]:
    """A flip rule's pandas query (``a >= 0.04 & `b.c` <= 35``) as limits by parameter."""
    limits: dict[str, list[float | None]] = {}
    for term in filter(None, query.split("&")):
        found = _TERM.match(term)
        if found is None:
            continue
        low_high = limits.setdefault(found["name"], [None, None])
        low_high[0 if found["op"] == ">=" else 1] = float(found["value"])
    return {name: (lo, hi) for name, (lo, hi) in limits.items()}


@dataclass(frozen=True)
class FlipView:
    """What the flip chart shows: two parameters, the winner in each world, one rule's box."""

    x: str
    y: str
    winner: pd.Series
    rival: str | None
    rule_row: pd.Series | None
    box: dict[str, tuple[float | None, float | None]]


def flip_view(result: RobustResult, worlds: pd.DataFrame) -> FlipView:
    """The most telling flip to draw: the rival that beats the best mix in the most worlds.

    Its rule's parameters are the axes (the parameter that explains most of the rival's gap
    to the best mix completes a one-parameter rule); without any rule, the two parameters most
    worth measuring.
    """
    params = parameter_columns(worlds).set_index("replicate")
    maximise = get_objective(result.objective).maximise
    values = result.values.replace([float("inf")], float("nan"))
    winner = values.idxmax(axis=1) if maximise else values.idxmin(axis=1)
    winner = winner.fillna(result.best)
    rivals = result.flips[(result.flips["rival"] != "target") & (result.flips["rule"] != "")]
    ranked = list(result.value_of_information["parameter"])
    if rivals.empty:
        x, y = (ranked + ranked)[:2]
        return FlipView(x, y, winner.loc[params.index], None, None, {})
    row = rivals.sort_values("worlds", ascending=False).iloc[0]
    box = rule_limits(row["rule"])
    axes = list(box)
    shares = result.variance_shares[(result.variance_shares["mix"] == row["rival"])
                                    & (result.variance_shares["quantity"] == GAP)]
    for candidate in [*shares.sort_values("share", ascending=False)["parameter"], *ranked]:
        if len(axes) >= 2:
            break
        if candidate not in axes:
            axes.append(candidate)
    return FlipView(axes[0], axes[1], winner.loc[params.index], str(row["rival"]), row, box)
