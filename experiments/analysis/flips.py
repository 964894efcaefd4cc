"""When does the choice flip? Scenario discovery with PRIM over the worlds.

For an event that happens in some worlds and not others (a rival beats the best mix, a mix
misses the target), PRIM (Friedman & Fisher 1999, "Bump hunting in high-dimensional data",
Statistics and Computing 9:123-143; used for scenario discovery by Bryant & Lempert 2010,
Technological Forecasting & Social Change 77:34-49) peels the parameter space down to a box of
worlds where the event is common. We use the EMA Workbench's implementation through a thin
adapter that works with its 2.5 (Python 3.11) and 3.x (Python 3.12) interfaces.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from catfish.experiments.analysis.robustness import (
    TARGET_MET,
    Objective,
    by_world,
    get_objective,
    mixes,
    objective_values,
    oriented,
    world_table,
)
from scipy import stats

# A box must hold the event in at least 85% of its worlds. At 0.80, a box around a planted
# threshold with 10% label noise keeps growing past the threshold until its edge has diluted
# it down to 0.80 (x > 0.55 for a true 0.60); 0.85 keeps the edge within a few hundredths.
MIN_DENSITY = 0.85
MAX_DIMS = 3  # a rule an official can read: at most three conditions
QUASI_P = 0.05  # an edge stays in a rule only if it raises the density this significantly
LANGS = ("en", "zh")
WORDS = {"en": {"above": "{label} above {lo}", "below": "{label} below {hi}",
                "between": "{label} between {lo} and {hi}", "and": " and "},
         "zh": {"above": "{label}高于{lo}", "below": "{label}低于{hi}",
                "between": "{label}介于{lo}与{hi}之间", "and": "且"}}


@dataclass(frozen=True)
class Rule:
    """A box of worlds: the parameters it restricts and how well it captures an event.

    Attributes:
        limits: {parameter: (low, high)} for restricted parameters only, both bounds inclusive;
            None where the box reaches the data's own bound.
        coverage: share of the event's worlds that fall inside the box.
        density: share of the box's worlds where the event happens.
        mass: share of all worlds inside the box.
    """

    limits: dict[str, tuple[float | None, float | None]]
    coverage: float
    density: float
    mass: float

    def query(self) -> str:
        """The rule as a pandas query string, e.g. ``visit_conversion_prob >= 0.0412``."""
        terms = []
        for name, (lo, hi) in self.limits.items():
            ref = name if name.isidentifier() else f"`{name}`"
            if lo is not None:
                terms.append(f"{ref} >= {float(lo)!r}")
            if hi is not None:
                terms.append(f"{ref} <= {float(hi)!r}")
        return " & ".join(terms)

    def contains(self, worlds: pd.DataFrame) -> np.ndarray:
        """Which rows of ``worlds`` fall inside the box (bounds inclusive)."""
        inside = np.ones(len(worlds), dtype=bool)
        for name, (lo, hi) in self.limits.items():
            x = worlds[name].to_numpy(dtype=float)
            inside &= (x >= (-np.inf if lo is None else lo)) & (x <= (np.inf if hi is None else hi))
        return inside


def _prim_boxes(x: pd.DataFrame, y: np.ndarray) -> list[pd.DataFrame]:
    """Box limits along the peeling and pasting trajectory of PRIM's first box.

    EMA Workbench 2.5 takes a ``threshold``: its cases of interest are y >= threshold, and it
    swaps a final box whose mean falls below it for the whole data space. We choose the box
    ourselves, so we pass the smallest threshold that still counts only y = 1 as of interest;
    then 2.5 and 3.x (which has no threshold) follow the same trajectory.
    """
    with warnings.catch_warnings():
        # the workbench warns at import that ipyparallel (which we do not use) is missing, and
        # calls pandas in ways pandas 3 deprecates (drop(inplace=True)): its business, not ours
        for category in (UserWarning, DeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        from ema_workbench.analysis import prim
        has_threshold = "threshold" in inspect.signature(prim.Prim).parameters
        kwargs = {"threshold": 1e-9} if has_threshold else {}
        box = prim.Prim(x.reset_index(drop=True), y.astype(int), **kwargs).find_box()
    return list(box.box_lims) if box is not None else []


def _edges(lims: np.ndarray, xmin: np.ndarray, xmax: np.ndarray) -> np.ndarray:
    """2 x d box edges, -inf/+inf where the box reaches the data's own bound (no restriction)."""
    return np.vstack([np.where(lims[0] > xmin, lims[0], -np.inf),
                      np.where(lims[1] < xmax, lims[1], np.inf)])


def _prune(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The box without the edges that do not significantly raise its density.

    Each finite edge gets Bryant & Lempert's (2010) quasi-p-value: a one-sided binomial test of
    the box's event count against the density of the same box without that edge. The least
    significant edge above QUASI_P goes, then the rest are tested again, so PRIM's habit of
    shaving a few per cent off irrelevant parameters does not end up in a rule.
    """
    edges = edges.copy()
    while True:
        side, col = np.nonzero(np.isfinite(edges))
        if not len(col):
            return edges
        # outside[e] marks the worlds edge e excludes; a world is inside if no edge excludes it
        outside = np.where(side[:, None] == 0, x[:, col].T < edges[0, col][:, None],
                           x[:, col].T > edges[1, col][:, None])
        misses = outside.sum(axis=0)
        inside = misses == 0
        n, k = inside.sum(), (inside & y).sum()
        loose = (misses[None, :] - outside) == 0  # inside once edge e is dropped
        p_loose = (loose & y).sum(axis=1) / loose.sum(axis=1)
        quasi_p = stats.binom.sf(k - 1, n, p_loose)
        worst = int(np.argmax(quasi_p))
        if quasi_p[worst] <= QUASI_P:
            return edges
        edges[side[worst], col[worst]] = np.inf if side[worst] else -np.inf


def _scores(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> tuple[float, float, float]:
    """(coverage, density, mass) of the box ``edges`` on data (x, y)."""
    inside = np.all((x >= edges[0]) & (x <= edges[1]), axis=1)
    hits = np.sum(inside & y)
    return hits / y.sum(), hits / max(inside.sum(), 1), inside.mean()


def find_rule(x: pd.DataFrame, y: np.ndarray, *, min_density: float = MIN_DENSITY,
              max_dims: int = MAX_DIMS) -> Rule | None:
    """The box of worlds that best describes where ``y`` happens, by PRIM.

    Every box along PRIM's peeling and pasting trajectory is first pruned of the edges that do
    not significantly raise its density (:func:`_prune`). Among the pruned boxes that restrict
    between 1 and ``max_dims`` parameters we take the one with the highest coverage among those
    whose density reaches ``min_density`` (the widest box in which the event is common: Bryant &
    Lempert's coverage-density trade-off read at a fixed density); if none reaches it, the
    densest one. Coverage, density and mass are computed here on all of ``x``, whatever the
    workbench version reports.

    Args:
        x: one row per world, one float column per parameter.
        y: one boolean per world: does the event happen there?
        min_density: the density a box must reach to be preferred for its coverage.
        max_dims: the most parameters a rule may restrict.

    Returns:
        The chosen :class:`Rule`, or None when ``y`` is never or always true, or when no pruned
        box restricts between 1 and ``max_dims`` parameters.
    """
    y = np.asarray(y, dtype=bool)
    if len(y) != len(x):
        raise ValueError(f"{len(y)} events for {len(x)} worlds")
    if not y.any() or y.all():
        return None
    data = x.to_numpy(dtype=float)
    xmin, xmax = data.min(axis=0), data.max(axis=0)
    found = []
    for box in _prim_boxes(x.astype(float), y):
        edges = _prune(data, y, _edges(box[x.columns].to_numpy(dtype=float), xmin, xmax))
        dims = np.flatnonzero(np.isfinite(edges).any(axis=0))
        if 1 <= len(dims) <= max_dims:
            coverage, density, mass = _scores(data, y, edges)
            found.append((density >= min_density, coverage, density, mass, dims, edges))
    if not found:
        return None
    qualified = [f for f in found if f[0]]
    # at the threshold: most coverage, then most density; below it: most density, then coverage
    key = (lambda f: (f[1], f[2])) if qualified else (lambda f: (f[2], f[1]))
    _, coverage, density, mass, dims, edges = max(qualified or found, key=key)
    limits = {str(x.columns[j]): (float(edges[0, j]) if np.isfinite(edges[0, j]) else None,
                                  float(edges[1, j]) if np.isfinite(edges[1, j]) else None)
              for j in dims}
    return Rule(limits, float(coverage), float(density), float(mass))


def number(value: float) -> str:
    """``value`` to three significant figures, without trailing zeros or exponent (12,300)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = 2 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if decimals <= 0:
        return f"{rounded:,.0f}"
    return f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")


def describe(rule: Rule, labels: dict[str, dict[str, str]] | None = None, lang: str = "en",
             fmt: dict[str, str] | None = None) -> str:
    """The rule in plain words, e.g. "visit conversion above 0.04 and visitors below 35".

    Args:
        rule: the rule to describe.
        labels: {parameter: {"en": ..., "zh": ...}}; a parameter without one is named as is.
        lang: "en" or "zh" (zh joins conditions with 且, no spaces).
        fmt: {parameter: format spec} (e.g. ".0%"); otherwise three significant figures.
    """
    if lang not in LANGS:
        raise ValueError(f"lang {lang!r} is not one of {', '.join(LANGS)}")
    labels, fmt, words = labels or {}, fmt or {}, WORDS[lang]
    parts = []
    for name, (lo, hi) in rule.limits.items():
        label = labels.get(name, {}).get(lang, name)
        spec = fmt.get(name)
        lo_text, hi_text = ("" if v is None else format(v, spec) if spec else number(v)
                            for v in (lo, hi))
        kind = "between" if lo_text and hi_text else "above" if lo_text else "below"
        parts.append(words[kind].format(label=label, lo=lo_text, hi=hi_text))
    return words["and"].join(parts)


def _flip_row(mix: str, rival: str, event: np.ndarray, x: pd.DataFrame,
              labels: dict[str, dict[str, str]] | None, min_density: float,
              max_dims: int) -> dict:
    row = {"mix": mix, "rival": rival, "rule": "", "rule_en": "", "rule_zh": "",
           "coverage": math.nan, "density": math.nan, "mass": math.nan,
           "worlds": int(event.sum()), "note": ""}
    if not event.any() or event.all():
        return {**row, "note": "never" if not event.any() else "always"}
    rule = find_rule(x, event, min_density=min_density, max_dims=max_dims)
    if rule is None:
        return {**row, "note": "no rule"}
    return {**row, "rule": rule.query(), "rule_en": describe(rule, labels, "en"),
            "rule_zh": describe(rule, labels, "zh"), "coverage": rule.coverage,
            "density": rule.density, "mass": rule.mass,
            "note": "" if rule.density >= min_density else "weak"}


def flip_table(runs: pd.DataFrame, worlds: pd.DataFrame, objective: str | Objective, best: str,
               labels: dict[str, dict[str, str]] | None = None, *,
               min_density: float = MIN_DENSITY, max_dims: int = MAX_DIMS) -> pd.DataFrame:
    """Rules for the worlds where the best mix loses, and where each mix misses the target.

    Rows, in this order:
        (a) for each rival r != best: mix = best, rival = r, event "r is strictly better than
            best on the objective in this world";
        (b) for each mix m: mix = m, rival = "target", event "m misses the target".

    Columns: mix, rival, rule (a pandas query over the worlds table), rule_en, rule_zh,
    coverage, density, mass (see :class:`Rule`), worlds (how many worlds the event happens in),
    note. An event that happens in no world or in every world has no rule to find: its row has
    an empty rule, NaN statistics and note "never" or "always"; "no rule" when PRIM found no box
    of at most ``max_dims`` parameters, "weak" when the chosen box is below ``min_density``.
    """
    obj = get_objective(objective)
    values = objective_values(runs, obj)
    if best not in values.columns:
        raise ValueError(f"best mix {best!r} is not among the runs' mixes {mixes(runs)}")
    x = world_table(worlds, values.index)
    utility = pd.DataFrame(oriented(values, obj), index=values.index, columns=values.columns)
    rows = [_flip_row(best, rival, (utility[rival] > utility[best]).to_numpy(), x, labels,
                      min_density, max_dims)
            for rival in values.columns if rival != best]
    met = by_world(runs, runs[TARGET_MET].astype(float))
    rows += [_flip_row(mix, "target", (met[mix] == 0).to_numpy(), x, labels, min_density,
                       max_dims)
             for mix in met.columns]
    return pd.DataFrame(rows)
