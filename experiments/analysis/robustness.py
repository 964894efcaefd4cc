"""Robustness of policy mixes across worlds: how often each mix is best, and what choosing it costs.

A *world* is one replicate: one joint draw of every uncertain parameter, run with the same seed
in every mix, so the mixes' outcomes in a world are paired. The scores follow the regret view of
robust decision making (Savage 1951, "The theory of statistical decision", JASA 46:55-67;
Lempert, Popper & Bankes 2003, *Shaping the Next One Hundred Years*, RAND MR-1626): in each
world the best mix sets the bar, and a mix's regret there is how far it falls short of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from catfish.experiments.analysis.stats import wilson_interval

TRANSFORMED = "transformed_by_deadline"
TARGET_MET = "target_met"
SPENT = "spent_by_deadline_rmb"
BAD_CASE_SHARE = 0.10  # the bad case is the worst tenth of worlds


@dataclass(frozen=True)
class Objective:
    """What a comparison optimises, computed per run from the runs table.

    Attributes:
        name: the name used in comparison files ("transformed", "p_target", "cost_per_firm").
        columns: the runs-table columns it is computed from.
        maximise: True when more is better.
        unit: unit of the per-world value (and of regret and EVPPI).
        label_en: English label.
        label_zh: Chinese label.
    """

    name: str
    columns: tuple[str, ...]
    maximise: bool
    unit: str
    label_en: str
    label_zh: str

    def per_run(self, runs: pd.DataFrame) -> pd.Series:
        """The objective of every row of ``runs`` as floats (+inf cost when nothing transformed)."""
        if self.name == "cost_per_firm":
            firms = runs[TRANSFORMED].to_numpy(dtype=float)
            spent = runs[SPENT].to_numpy(dtype=float)
            # a world with no transformed firm is the worst case, not a missing one: +inf
            cost = np.where(firms > 0, spent / np.where(firms > 0, firms, 1.0), np.inf)
            return pd.Series(cost, index=runs.index)
        return runs[self.columns[0]].astype(float)


OBJECTIVES = {
    "transformed": Objective("transformed", (TRANSFORMED,), True, "firms",
                             "firms transformed by the deadline", "截止期前完成转型的企业数"),
    "p_target": Objective("p_target", (TARGET_MET,), True, "probability",
                          "chance of meeting the target", "达成目标的概率"),
    "cost_per_firm": Objective("cost_per_firm", (SPENT, TRANSFORMED), False, "RMB per firm",
                               "public money per transformed firm", "每家转型企业的财政支出"),
}


def get_objective(objective: str | Objective) -> Objective:
    """The :class:`Objective` named ``objective`` (an Objective passes through).

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if isinstance(objective, Objective):
        return objective
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    return OBJECTIVES[objective]


def _need(runs: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> None:
    missing = [c for c in columns if c not in runs.columns]
    if missing:
        raise ValueError(f"the runs table lacks column(s) {', '.join(missing)}")


def mixes(runs: pd.DataFrame) -> list[str]:
    """The mixes of ``runs`` in the order they first appear (the reference, "base", first)."""
    return list(pd.unique(runs["mix"]))


def by_world(runs: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Worlds x mixes matrix of per-run ``values``; refuses unpaired or duplicated runs."""
    keyed = pd.DataFrame({"mix": runs["mix"].to_numpy(), "replicate": runs["replicate"].to_numpy(),
                          "value": values.to_numpy()})
    duplicated = keyed.duplicated(["mix", "replicate"])
    if duplicated.any():
        first = keyed[duplicated].iloc[0]
        raise ValueError(f"mix {first['mix']!r} has replicate {first['replicate']} twice")
    table = keyed.pivot(index="replicate", columns="mix", values="value")
    table = table[mixes(runs)].sort_index()
    table.columns.name = None
    holes = table.isna().any()  # pivot fills a missing run with NaN, as it does a NaN outcome
    if holes.any():
        mix = holes.index[holes.to_numpy()][0]
        gaps = list(table.index[table[mix].isna()][:5])
        raise ValueError(f"mix {mix!r} has no value in replicate(s) {gaps}: every mix must run "
                         "every world (paired), and outcomes may not be missing")
    return table


def objective_values(runs: pd.DataFrame, objective: str | Objective) -> pd.DataFrame:
    """Worlds x mixes matrix of the objective, mixes in the runs' order, worlds by replicate.

    Args:
        runs: one row per (mix, replicate) with the objective's columns.
        objective: an objective name or :class:`Objective`.

    Returns:
        A float DataFrame indexed by replicate with one column per mix; ``cost_per_firm`` is +inf
        in a world where the mix transformed no firm.

    Raises:
        ValueError: a missing column, a duplicated run, or a mix missing a world.
    """
    obj = get_objective(objective)
    _need(runs, ["mix", "replicate", *obj.columns])
    return by_world(runs, obj.per_run(runs))


def oriented(values: pd.DataFrame | np.ndarray, objective: str | Objective) -> np.ndarray:
    """Values turned so that more is always better (a minimised objective changes sign)."""
    arr = np.asarray(values, dtype=float)
    return arr if get_objective(objective).maximise else -arr


def capped(values: pd.DataFrame) -> pd.DataFrame:
    """Infinite costs replaced by the worst finite value anywhere in ``values``.

    A world where a mix transforms no firm has no cost per firm; scoring it as the worst cost
    actually seen keeps means finite and never rewards failing, at the price of understating how
    bad such a world is (regret computed from capped values is a lower bound there). Left as
    they are when no value is finite.
    """
    arr = values.to_numpy(dtype=float)
    finite = arr[np.isfinite(arr)]
    if not len(finite):
        return values.copy()
    return values.replace([np.inf, -np.inf], [finite.max(), finite.min()])


def best_shares(utility: np.ndarray) -> np.ndarray:
    """Per world, each mix's share of being best: 1 if alone at the top, 1/k if k mixes tie.

    Args:
        utility: worlds x mixes, more is better (``-inf`` allowed: every such mix ties).
    """
    top = utility.max(axis=1, keepdims=True)
    tied = utility == top
    return tied / tied.sum(axis=1, keepdims=True)


def regrets(values: pd.DataFrame, objective: str | Objective) -> np.ndarray:
    """Worlds x mixes regret: how far each mix falls short of the world's best, >= 0, in units.

    For a maximised objective it is best minus the mix's value; for a minimised one the mix's
    value minus the best. Infinite costs are capped first (:func:`capped`).
    """
    utility = oriented(capped(values), objective)
    with np.errstate(invalid="ignore"):  # only when nothing is finite at all
        return utility.max(axis=1, keepdims=True) - utility


def bad_case(values: np.ndarray, maximise: bool) -> float:
    """The value of the worst tenth of worlds: 10th percentile if maximised, 90th if minimised.

    An order statistic (numpy's ``inverted_cdf``), never an interpolation, so it is a value some
    world had, and it stays +inf when more than a tenth of the worlds transformed no firm.
    """
    if not len(values):
        return math.nan
    share = BAD_CASE_SHARE if maximise else 1 - BAD_CASE_SHARE
    return float(np.quantile(values, share, method="inverted_cdf"))


def robustness(runs: pd.DataFrame, objective: str | Objective,
               level: float = 0.95) -> pd.DataFrame:
    """One row per mix: how often it meets the target, how often it is best, and its regret.

    Columns:
        mix, n_worlds;
        p_target, p_target_lo, p_target_hi: share of worlds meeting the target, Wilson interval;
        p_best, p_best_lo, p_best_hi: probability of being the best mix in a world (k tied mixes
            get 1/k each, so the shares sum to 1 over mixes), with a Wilson interval on that
            fractional count;
        expected_regret, expected_regret_se: mean regret over worlds (:func:`regrets`, in the
            objective's unit; a lower bound for a cost objective when worlds_without_firms > 0)
            and its standard error;
        objective_mean: mean objective over the worlds where it is finite (for cost per firm,
            the worlds with at least one transformed firm);
        objective_bad_case: :func:`bad_case`, the 10th percentile of a maximised objective or
            the 90th of a minimised one;
        worlds_without_firms: share of worlds where the mix transformed no firm.

    Args:
        runs: one row per (mix, replicate), the reference mix first.
        objective: an objective name or :class:`Objective`.
        level: confidence level of the intervals.
    """
    obj = get_objective(objective)
    _need(runs, [TARGET_MET, TRANSFORMED])
    values = objective_values(runs, obj)
    met = by_world(runs, runs[TARGET_MET].astype(float))
    firms = by_world(runs, runs[TRANSFORMED].astype(float))
    n = len(values)
    shares = best_shares(oriented(values, obj)).sum(axis=0)
    regret = regrets(values, obj)
    rows = []
    for j, mix in enumerate(values.columns):
        v = values[mix].to_numpy()
        hits = int(met[mix].sum())
        finite = v[np.isfinite(v)]
        rows.append({
            "mix": mix, "n_worlds": n,
            "p_target": hits / n if n else math.nan,
            **dict(zip(("p_target_lo", "p_target_hi"), wilson_interval(hits, n, level),
                       strict=True)),
            "p_best": shares[j] / n if n else math.nan,
            **dict(zip(("p_best_lo", "p_best_hi"), wilson_interval(shares[j], n, level),
                       strict=True)),
            "expected_regret": float(regret[:, j].mean()) if n else math.nan,
            "expected_regret_se": (float(regret[:, j].std(ddof=1) / math.sqrt(n)) if n > 1
                                   else math.nan),
            "objective_mean": float(finite.mean()) if len(finite) else math.nan,
            "objective_bad_case": bad_case(v, obj.maximise),
            "worlds_without_firms": float((firms[mix] == 0).mean()) if n else math.nan,
        })
    return pd.DataFrame(rows)


def world_table(worlds: pd.DataFrame, replicates: list | pd.Index) -> pd.DataFrame:
    """The worlds of ``replicates``, in that order, indexed by replicate, as floats.

    ``worlds`` has one row per replicate, its index or a ``replicate`` column naming it.

    Raises:
        ValueError: a replicate without a world or with two, a parameter that is not
            numeric or is missing in some world.
    """
    table = worlds.set_index("replicate") if "replicate" in worlds.columns else worlds
    if table.index.has_duplicates:
        twice = table.index[table.index.duplicated()][0]
        raise ValueError(f"the worlds table has replicate {twice} twice")
    missing = pd.Index(replicates).difference(table.index)
    if len(missing):
        raise ValueError(f"the worlds table lacks replicate(s) {list(missing[:5])}")
    text = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if text:
        raise ValueError(f"world parameter(s) {', '.join(map(str, text))} are not numbers")
    table = table.loc[list(replicates)].astype(float)
    gaps = table.columns[table.isna().any().to_numpy()]
    if len(gaps):
        raise ValueError(f"world parameter(s) {', '.join(map(str, gaps))} have missing values")
    return table


def best_mix(robust_table: pd.DataFrame) -> str:
    """The mix most often best in a world (highest p_best); ties go to the lowest regret.

    A remaining tie keeps the table's order, so the reference mix wins a complete tie.
    """
    table = robust_table.assign(_p=robust_table["p_best"].round(12),
                                _r=robust_table["expected_regret"].round(12))
    return str(table.sort_values(["_p", "_r"], ascending=[False, True], kind="stable")
               .iloc[0]["mix"])
