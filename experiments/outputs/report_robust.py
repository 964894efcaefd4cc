"""The report's account of a comparison across plausible worlds: headline, tables and charts.

Everything here is read from the results folder (``robustness``, ``flips``,
``value_of_information``, ``worlds`` and ``runs`` tables, and the manifest's account of where
each distribution came from) and formatted for people in Chinese or English. The headline says,
in this order: which mix holds up in how many worlds and at what regret, how likely it is to
reach the target, when another mix wins, and what to find out before choosing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from catfish.experiments.analysis import get_objective, robust
from catfish.experiments.analysis.comparison import probability
from catfish.experiments.outputs.report_robust_text import TEXT
from catfish.experiments.outputs.words import has, say

SIGNIFICANT = 1.96  # a value of information counts when it clears 1.96 standard errors
CONCENTRATED = 2.0  # a rule is worth saying when its region holds the event twice as often
DRIVER_SHARE = 0.05  # a parameter explaining less of a result than this is not named
# an objective's unit -> its text (a difference in probability reads in percentage points)
UNIT_KEYS = {"firms": "unit_firms", "probability": "unit_probability",
             "RMB per firm": "unit_rmb_per_firm"}


@dataclass(frozen=True)
class RobustView:
    """A comparison's analysis across worlds, as the report reads it."""

    result: robust.RobustResult
    worlds: pd.DataFrame
    distributions: list[dict[str, Any]]

    @property
    def n(self) -> int:
        """How many worlds."""
        return len(self.worlds)


def load(folder: Path, manifest: dict[str, Any]) -> RobustView | None:
    """The analysis in a results folder (None for a comparison run with ``--fixed``)."""
    worlds = manifest.get("worlds") or {}
    if worlds.get("fixed", True):
        return None
    loaded = robust.load(folder, worlds.get("objective", "transformed"))
    if loaded is None:
        return None
    result, table = loaded
    return RobustView(result, table, list(worlds.get("distributions", [])))


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else probability(x, 0, percent=True)


def _amount(value: float, objective: str) -> str:
    """A difference in the objective's unit, for a sentence."""
    if not math.isfinite(value):
        return "–"
    if objective == "p_target":
        value *= 100
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"


def _label(labels: dict[str, str], mix: str) -> str:
    return labels.get(mix, mix)


def headline(view: RobustView, mix_labels: dict[str, str], *, target: int, deadline: str,
             lang: str) -> str:
    """The robust finding in a few sentences (see the module docstring)."""
    result, objective = view.result, view.result.objective
    best = result.robustness.set_index("mix").loc[result.best]
    sentence = say(
        TEXT, lang, "headline",
        n=view.n, best=_label(mix_labels, result.best), p_best=_pct(best["p_best"]),
        best_at=say(TEXT, lang, f"best_at_{objective}"),
        regret=say(TEXT, lang, f"regret_{objective}",
                   value=_amount(best["expected_regret"], objective)),
        p_target=_pct(best["p_target"]), lo=_pct(best["p_target_lo"]),
        hi=_pct(best["p_target_hi"]), target=target, deadline=deadline)
    return (sentence + _flip_sentence(view, mix_labels, lang) + _miss_sentence(view, lang)
            + _measure_sentence(view, lang))


def telling(row: pd.Series, worlds: int, lang: str) -> str | None:
    """A flip rule worth saying in words, or None.

    A rule is told when PRIM's box reached its density, or when the box at least doubles how
    often the event happens (a region where a rival wins in 40 % of worlds, against 12 %
    overall, is worth knowing even if it is no sure thing).
    """
    rule = row.get(f"rule_{lang}")
    if not isinstance(rule, str) or not rule or not worlds:
        return None
    rate = int(row["worlds"]) / worlds
    if row.get("note") == "weak" and not float(row["density"]) >= CONCENTRATED * rate:
        return None
    return rule


def _flip_sentence(view: RobustView, mix_labels: dict[str, str], lang: str) -> str:
    flips = view.result.flips
    rivals = flips[(flips["mix"] == view.result.best) & (flips["rival"] != "target")]
    if rivals.empty or int(rivals["worlds"].max()) == 0:
        return say(TEXT, lang, "flip_never")
    row = rivals.sort_values("worlds", ascending=False).iloc[0]
    rival = _label(mix_labels, str(row["rival"]))
    share = _pct(int(row["worlds"]) / view.n)
    rule = telling(row, view.n, lang)
    if rule is not None:
        return say(TEXT, lang, "flip_rule", rival=rival, share=share, rule=rule,
                   mass=_pct(row["mass"]), density=_pct(row["density"]))
    return say(TEXT, lang, "flip_no_rule", rival=rival, share=share)


def _miss_sentence(view: RobustView, lang: str) -> str:
    flips = view.result.flips
    misses = flips[(flips["mix"] == view.result.best) & (flips["rival"] == "target")]
    if misses.empty:
        return ""
    row = misses.iloc[0]
    rule = telling(row, view.n, lang)
    if rule is None:
        return ""
    return say(TEXT, lang, "miss_rule", rule=rule, mass=_pct(row["mass"]),
               density=_pct(row["density"]))


def worth_measuring(view: RobustView) -> pd.DataFrame:
    """The parameters whose value of information clears its noise, the most valuable first."""
    info = view.result.value_of_information
    se = info["value_se"].fillna(0.0)
    return info[(info["value"] > 0) & (info["value"] > SIGNIFICANT * se)]


def _measure_sentence(view: RobustView, lang: str) -> str:
    worth = worth_measuring(view)
    if worth.empty:
        return say(TEXT, lang, "measure_none") + _drivers_sentence(view, lang)
    top = worth.iloc[0]
    measure = top.get("measure_zh" if lang == "zh" else "measure") or \
        top.get("source_zh" if lang == "zh" else "source", "")
    objective = view.result.objective
    return say(TEXT, lang, "measure_first",
               label=top.get(f"label_{lang}", top["parameter"]), measure=measure,
               gain=say(TEXT, lang, f"gain_{objective}",
                        value=_amount(top["value"], objective)))


def drivers(view: RobustView, limit: int = 2) -> pd.DataFrame:
    """The parameters that explain most of the best mix's own result, largest share first."""
    shares = view.result.variance_shares
    own = shares[(shares["mix"] == view.result.best) & (shares["quantity"] == robust.OUTCOME)]
    return own[own["share"] >= DRIVER_SHARE].sort_values("share", ascending=False).head(limit)


def _drivers_sentence(view: RobustView, lang: str) -> str:
    named = [say(TEXT, lang, "driver", label=r.get(f"label_{lang}") or r["parameter"],
                 share=_pct(r["share"]))
             for r in drivers(view).to_dict("records")]
    if not named:
        return ""
    return say(TEXT, lang, "drivers", drivers=say(TEXT, lang, "and").join(named))


def robust_rows(view: RobustView, mix_labels: dict[str, str]) -> list[dict[str, str]]:
    """The robustness table, one row per mix, formatted."""
    objective = view.result.objective
    rows = []
    for r in view.result.robustness.itertuples(index=False):
        rows.append({
            "mix": r.mix, "label": _label(mix_labels, r.mix), "best": r.mix == view.result.best,
            "p_best": f"{_pct(r.p_best)} ({_pct(r.p_best_lo)}–{_pct(r.p_best_hi)})",
            "regret": f"{_amount(r.expected_regret, objective)} ± "
                      f"{_amount(1.96 * r.expected_regret_se, objective)}",
            "p_target": f"{_pct(r.p_target)} ({_pct(r.p_target_lo)}–{_pct(r.p_target_hi)})",
            "mean": _shown(r.objective_mean, objective),
            "bad_case": _shown(r.objective_bad_case, objective),
        })
    return rows


def _shown(value: float, objective: str) -> str:
    if objective == "p_target":
        return _pct(value)
    return "–" if not math.isfinite(value) else f"{value:,.0f}"


def flip_rows(view: RobustView, mix_labels: dict[str, str], lang: str) -> list[dict[str, str]]:
    """The flips table: each event, where it concentrates, and how well the rule captures it."""
    rows = []
    for r in view.result.flips.itertuples(index=False):
        event = say(TEXT, lang, "event_misses", mix=_label(mix_labels, r.mix)) \
            if r.rival == "target" else \
            say(TEXT, lang, "event_beats", rival=_label(mix_labels, r.rival),
                mix=_label(mix_labels, r.mix))
        rule = getattr(r, f"rule_{lang}")
        if not isinstance(rule, str) or not rule:
            rule = say(TEXT, lang, {"never": "rule_never", "always": "rule_always"}.get(
                r.note, "rule_none"))
        elif r.note == "weak":
            rule += say(TEXT, lang, "rule_weak")
        rows.append({"event": event, "rule": rule, "coverage": _pct(r.coverage),
                     "density": _pct(r.density), "mass": _pct(r.mass),
                     "worlds": f"{int(r.worlds):,}", "target": r.rival == "target"})
    return rows


def measure_rows(view: RobustView, lang: str, limit: int = 10) -> list[dict[str, str]]:
    """What to measure next: the parameters worth learning, ranked, with how to learn them."""
    objective = view.result.objective
    rows = []
    for r in worth_measuring(view).head(limit).to_dict("records"):
        zh = lang == "zh"
        rows.append({"parameter": r["parameter"], "label": r.get(f"label_{lang}"),
                     "kind": _origin(r.get("origin"), lang, str(r.get("origin"))),
                     "value": _amount(r["value"], objective),
                     "measure": r.get("measure_zh" if zh else "measure") or "",
                     "now": r.get("source_zh" if zh else "source") or ""})
    return rows


def driver_rows(view: RobustView, lang: str, limit: int = 5) -> list[dict[str, str]]:
    """What decides the best mix's own result: parameters, their share, how to measure them."""
    info = view.result.value_of_information.set_index("parameter")
    rows = []
    for r in drivers(view, limit).to_dict("records"):
        about = info.loc[r["parameter"]] if r["parameter"] in info.index else {}
        zh = lang == "zh"
        rows.append({"parameter": r["parameter"],
                     "label": r.get(f"label_{lang}") or r["parameter"],
                     "share": _pct(r["share"]),
                     "kind": _origin(about.get("origin"), lang, ""),
                     "measure": about.get("measure_zh" if zh else "measure", "") or "",
                     "now": about.get("source_zh" if zh else "source", "") or ""})
    return rows


def _origin(origin: Any, lang: str, otherwise: str) -> str:
    """Where a parameter's distribution comes from, in words (``otherwise`` if unknown)."""
    key = f"origin_{origin}"
    return say(TEXT, lang, key) if has(TEXT, lang, key) else otherwise


def pinned(view: RobustView, lang: str) -> str:
    """Which parameters the data pin down and which are assumptions, in one paragraph."""
    info = view.result.value_of_information.set_index("parameter")
    sep = say(TEXT, lang, "sep")

    def names(origin: str) -> list[str]:
        return [str(info.loc[d["parameter"], f"label_{lang}"]) if d["parameter"] in info.index
                else d["parameter"] for d in view.distributions if d.get("origin") == origin]

    groups = {origin: names(origin) for origin in
              ("posterior", "prior", "instrument prior", "comparison")}
    comparison = say(TEXT, lang, "pinned_comparison", n=len(groups["comparison"]),
                     names=sep.join(groups["comparison"])) if groups["comparison"] else ""
    return say(
        TEXT, lang, "pinned",
        n_posterior=len(groups["posterior"]), posterior=sep.join(groups["posterior"]) or "–",
        n_prior=len(groups["prior"]), prior=sep.join(groups["prior"]) or "–",
        n_instrument=len(groups["instrument prior"]),
        instrument=sep.join(groups["instrument prior"]) or "–", comparison=comparison)


def objective_words(view: RobustView, lang: str) -> dict[str, str]:
    """The objective's name and unit in ``lang``, for headings."""
    objective = get_objective(view.result.objective)
    key = UNIT_KEYS.get(objective.unit)
    unit = say(TEXT, lang, key) if key else objective.unit
    return {"objective": getattr(objective, f"label_{lang}"), "unit": unit}
