"""What a sensitivity analysis found, for people: charts and a summary in Chinese and English.

Charts (``charts/``, one file per language): the Morris mu*-sigma plot, Sobol' S1/ST bars with
their intervals, and the convergence of the Sobol' indices over N/4, N/2 and N. Every panel's
title states its finding; the dummy factor's noise floor is drawn in every chart, and factors
whose index is above it but whose interval overlaps it (``unclear``) are marked in orange.

The summary (``summary.md`` and ``summary.json``) says per outcome, in a few sentences, which
factors carry most of the effect, which may matter but cannot yet be told from noise, and which
do not matter within their bounds. Only drivers (``verdict`` ``driver``: the lower end of their
interval clears the dummy's noise floor) are named as carrying the effect; when none does, the
summary says the analysis cannot tell, at its N and replicates, which inputs drive the outcome.
The words are ``TEXT`` (English and Chinese), read through ``experiments.outputs.words.say``.
"""

from __future__ import annotations

import json
import math
import textwrap

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from catfish.experiments.analysis.sensitivity import (  # noqa: E402
    DRIVER,
    MAIN_INDEX,
    NOT_A_DRIVER,
    UNCLEAR,
    SensitivityResult,
)
from catfish.experiments.outputs.charts import OKABE_ITO  # noqa: E402
from catfish.experiments.outputs.fonts import use_language  # noqa: E402
from catfish.experiments.outputs.words import say  # noqa: E402
from catfish.experiments.runs.files import claim, write_atomic  # noqa: E402
from catfish.experiments.runs.sensitivity_spec import DUMMY  # noqa: E402
from catfish.sim import codebook  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

LANGUAGES = ("zh", "en")
# an outcome averaged over replicates reads differently from a single run's: its unit here,
# its label TEXT's "outcome_<name>"
AVERAGED = {"target_met": "probability"}
SHARE_OF_VARIANCE = 0.7  # "most of the variance": the top factors until this share of the ST sum
MAX_NAMED = 3

TEXT = {
    "en": {
        "sobol": "Under these bounds, most of the variance in {outcome} comes from {top}",
        "morris": "Under these bounds, the largest effects on {outcome} come from {top}",
        "none": "No input clears the noise floor for {outcome}: with {design} and {replicates} "
                "the analysis cannot tell which inputs drive it",
        "design_sobol": "N = {n}", "design_morris": "{n} trajectories",
        "replicates": "{n} replicates", "replicate": "1 replicate",
        "unclear_one": "{names} may matter, but its interval overlaps the noise floor: more "
                       "design points or replicates would tell",
        "unclear_many": "{names} may matter, but their intervals overlap the noise floor: more "
                        "design points or replicates would tell",
        "idle_one": "{names} does not matter within its range (no more than the noise floor)",
        "idle_many": "{names} do not matter within their ranges (no more than the noise floor)",
        "unstable": "The indices have not yet stabilised (they moved by up to {change:.2f} "
                    "between N/2 and N base samples): use a larger N",
        "skipped": "{outcome} was not analysed: {why}",
        "and": " and ", "sep": ", ", "end": ".", "clause": "; ", "sentence_sep": " ",
        "st": "total index {value}", "mu": "μ* {value}",
        "sobol_title": "Most of the variance in {outcome} comes from {top}",
        "morris_title": "Largest effects on {outcome}: {top}",
        "quiet_title": "{outcome}: no input clears the noise floor",
        "conv_title": "{outcome}: indices {state} (largest change N/2→N {change:.2f})",
        "stable": "stable", "moving": "still moving",
        "idle_list": "Not above the noise floor: ",
        "floor": "noise floor (dummy)", "index": "Sobol' index", "n": "Base samples N",
        "unclear_mark": "may matter: interval overlaps the floor",
        "mu_star": "μ* (mean absolute elementary effect{unit})", "sigma": "σ{unit}",
        "s1": "first order S1", "st_bar": "total ST",
        "lang_name": "English", "outcome_target_met": "Probability of meeting the target",
        "named": "{name} ({value})", "unit": ", {unit}",
    },
    "zh": {
        "sobol": "在这些取值范围内，{outcome}的方差主要来自{top}",
        "morris": "在这些取值范围内，{outcome}对{top}最敏感",
        "none": "没有一个输入对{outcome}的影响超过噪声基线：在{design}、{replicates}下，"
                "分析无法判断哪些输入在起作用",
        "design_sobol": "N = {n}", "design_morris": "{n}条轨迹",
        "replicates": "{n}次重复运行", "replicate": "1次重复运行",
        "unclear_one": "{names}可能有影响，但其置信区间与噪声基线重叠："
                       "增加设计点或重复运行次数才能判断",
        "unclear_many": "{names}可能有影响，但其置信区间与噪声基线重叠："
                        "增加设计点或重复运行次数才能判断",
        "idle_one": "{names}在其取值范围内不起作用（不超过噪声基线）",
        "idle_many": "{names}在其取值范围内不起作用（不超过噪声基线）",
        "unstable": "指数尚未稳定（N/2与N个基样本之间最多变化{change:.2f}）：请增大N",
        "skipped": "{outcome}未分析：{why}",
        "and": "和", "sep": "、", "end": "。", "clause": "；", "sentence_sep": "",
        "st": "总效应指数{value}", "mu": "μ* {value}",
        "sobol_title": "{outcome}的方差主要来自{top}",
        "morris_title": "{outcome}对{top}最敏感",
        "quiet_title": "{outcome}：没有输入超过噪声基线",
        "conv_title": "{outcome}：指数{state}（N/2→N最大变化{change:.2f}）",
        "stable": "已稳定", "moving": "仍在变化",
        "idle_list": "未超过噪声基线：",
        "floor": "噪声基线（虚拟因子）", "index": "Sobol指数", "n": "基样本数 N",
        "unclear_mark": "可能有影响：区间与基线重叠",
        "mu_star": "μ*（基本效应绝对值均值{unit}）", "sigma": "σ{unit}",
        "s1": "一阶效应 S1", "st_bar": "总效应 ST",
        "lang_name": "中文", "outcome_target_met": "达标概率",
        "named": "{name}（{value}）", "unit": "，{unit}",
    },
}


def write_report(result: SensitivityResult) -> None:
    """Write the charts and the summary of an analysis into its folder."""
    summaries = {lang: summary(result, lang) for lang in LANGUAGES}
    claim(result.folder, ["summary.json", "summary.md"])
    write_atomic(result.folder / "summary.json", lambda p: p.write_text(
        json.dumps(summaries, ensure_ascii=False, indent=2), encoding="utf-8"))
    text = "\n\n".join(f"## {say(TEXT, lang, 'lang_name')}\n\n{summaries[lang]}"
                       for lang in LANGUAGES)
    title = f"# {result.spec.labels.zh} / {result.spec.labels.en}\n\n"
    write_atomic(result.folder / "summary.md",
                 lambda p: p.write_text(title + text + "\n", encoding="utf-8"))
    if result.indices.empty:
        return
    figures = {"morris": morris_chart} if result.spec.method == "morris" else \
        {"sobol": sobol_chart, "convergence": convergence_chart}
    if result.convergence.empty:
        figures.pop("convergence", None)
    claim(result.folder, [f"charts/{name}_{lang}.png" for lang in LANGUAGES for name in figures])
    for lang in LANGUAGES:
        shown = use_language(lang)
        for name, chart in figures.items():
            fig = chart(result, shown)
            write_atomic(result.folder / "charts" / f"{name}_{lang}.png",
                         lambda p, fig=fig: fig.savefig(p, dpi=120, format="png"))
            plt.close(fig)


# --- words ----------------------------------------------------------------------------------

def _in_sentence(label: str, lang: str) -> str:
    """An English label inside a sentence starts in lower case (unless it is an acronym)."""
    if lang == "en" and label[:1].isupper() and label[1:2].islower():
        return label[0].lower() + label[1:]
    return label


def outcome_label(name: str, lang: str) -> str:
    """An outcome's name for people (averaged over replicates), from the codebook."""
    if name in AVERAGED:
        return say(TEXT, lang, f"outcome_{name}")
    try:
        return codebook.label(name, lang)
    except KeyError:
        return name  # a function's outcome


def outcome_unit(name: str) -> str:
    """An outcome's unit (empty if it has none)."""
    if name in AVERAGED:
        return AVERAGED[name]
    try:
        unit = codebook.lookup(name).unit
    except KeyError:
        return ""
    return "" if unit in ("-", "0/1") else unit


def summary(result: SensitivityResult, lang: str) -> str:
    """One paragraph per outcome: what drives it, what may, what does not matter, caveats.

    Args:
        result: A finished analysis (its ``indices`` judged by ``verdict``).
        lang: ``zh`` or ``en``.

    Returns:
        The paragraphs, separated by blank lines.
    """
    spec = result.spec
    paragraphs = []
    for outcome in spec.outcomes:
        label = _in_sentence(outcome_label(outcome, lang), lang)
        if outcome in result.skipped:  # this sentence starts with the label
            paragraphs.append(say(TEXT, lang, "skipped", outcome=outcome_label(outcome, lang),
                                  why=result.skipped[outcome][lang]) + say(TEXT, lang, "end"))
            continue
        rows = result.indices[result.indices["outcome"] == outcome]
        if rows.empty:
            continue
        paragraphs.append(_sentence(rows, spec.method, label, _design(result, lang), lang))
    return "\n\n".join(paragraphs)


def _design(result: SensitivityResult, lang: str) -> dict[str, str]:
    """The design's size in words: N (Sobol') or trajectories (Morris), and replicates."""
    spec = result.spec
    return {"design": say(TEXT, lang, f"design_{spec.method}", n=f"{spec.n:,}"),
            "replicates": say(TEXT, lang, "replicate") if spec.replicates == 1
            else say(TEXT, lang, "replicates", n=f"{spec.replicates:,}")}


def _sentence(rows: pd.DataFrame, method: str, label: str, design: dict[str, str],
              lang: str) -> str:
    column = MAIN_INDEX[method][0]
    strong = rows[rows["verdict"] == DRIVER].sort_values(column, ascending=False)
    unclear = rows[rows["verdict"] == UNCLEAR].sort_values(column, ascending=False)
    idle = rows[(rows["verdict"] == NOT_A_DRIVER) & (rows["factor"] != DUMMY)]
    if strong.empty:
        # an index above the floor whose interval overlaps it is not evidence of a driver, so
        # with no driver the honest finding is that this design cannot tell, not that nothing
        # matters; the factors below the floor are not listed as idle for the same reason
        sentences = [say(TEXT, lang, "none", outcome=label, **design) + say(TEXT, lang, "end")]
    else:
        named = _top(strong, column, method)
        # the first value says what it is; the rest are bare numbers
        values = [say(TEXT, lang, "st" if method == "sobol" else "mu", value=_number(v))
                  if i == 0 else _number(v) for i, v in enumerate(named[column])]
        top = _join([say(TEXT, lang, "named", name=_in_sentence(name, lang), value=v)
                     for name, v in zip(named[f"label_{lang}"], values, strict=True)], lang)
        parts = [say(TEXT, lang, method, outcome=label, top=top)]
        if len(idle):
            names = _join([_in_sentence(name, lang) for name in idle[f"label_{lang}"]], lang)
            parts.append(say(TEXT, lang, "idle_many" if len(idle) > 1 else "idle_one",
                             names=names))
        sentences = [say(TEXT, lang, "clause").join(parts) + say(TEXT, lang, "end")]
    if len(unclear):
        names = _join([_in_sentence(name, lang) for name in unclear[f"label_{lang}"]], lang)
        # an English sentence starts with a capital, whatever the label's case in a clause
        names = names[:1].upper() + names[1:] if lang == "en" else names
        sentences.append(say(TEXT, lang, "unclear_many" if len(unclear) > 1 else "unclear_one",
                             names=names) + say(TEXT, lang, "end"))
    # unsettled indices matter when something stands out from the floor: a larger N firms up
    # the ranking; with every index at the floor the first sentence has already said it
    if method == "sobol" and not (strong.empty and unclear.empty) and "converged" in rows \
            and not bool(rows["converged"].iloc[0]):
        sentences.append(say(TEXT, lang, "unstable", change=float(rows["max_change"].iloc[0]))
                         + say(TEXT, lang, "end"))
    return say(TEXT, lang, "sentence_sep").join(sentences)


def _number(value: float) -> str:
    """A number as people read it: indices with two decimals, large effects in whole units."""
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if size >= 0.01 else f"{value:.2g}"


def _top(strong: pd.DataFrame, column: str, method: str) -> pd.DataFrame:
    """The factors to name: by index, until they carry most of it (Sobol'), at most three."""
    if method != "sobol":
        return strong.head(MAX_NAMED)
    share = strong[column].clip(lower=0).cumsum() / max(strong[column].clip(lower=0).sum(), 1e-12)
    count = int(np.searchsorted(share.to_numpy(), SHARE_OF_VARIANCE)) + 1
    return strong.head(min(MAX_NAMED, count))


def _join(names: list[str], lang: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return say(TEXT, lang, "sep").join(names[:-1]) + say(TEXT, lang, "and") + names[-1]


# --- charts ---------------------------------------------------------------------------------

def _panels(count: int) -> tuple[Figure, list]:
    columns = 1 if count == 1 else 2
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.2 * columns, 4.4 * rows),
                             layout="constrained", squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def _title(ax, title: str) -> None:
    """A panel title that states the finding, wrapped to the panel's width."""
    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=10)


def _analysed(result: SensitivityResult) -> list[str]:
    return [o for o in result.spec.outcomes if o in set(result.indices["outcome"])]


def _title_top(rows: pd.DataFrame, column: str, method: str, lang: str) -> str | None:
    strong = rows[rows["influential"]].sort_values(column, ascending=False)
    if strong.empty:
        return None
    names = list(_top(strong, column, method)[f"label_{lang}"])
    return _join([_in_sentence(name, lang) for name in names], lang)


def morris_chart(result: SensitivityResult, lang: str) -> Figure:
    """mu* against sigma per outcome, with mu*'s interval and the dummy's noise floor."""
    outcomes = _analysed(result)
    fig, axes = _panels(len(outcomes))
    for ax, outcome in zip(axes, outcomes, strict=True):
        rows = result.indices[result.indices["outcome"] == outcome]
        unit = outcome_unit(outcome)
        unit_text = say(TEXT, lang, "unit", unit=unit) if unit else ""
        floor = float(rows["noise_floor"].iloc[0])
        ax.axvspan(0, floor, color=OKABE_ITO["grey"], alpha=0.2,
                   label=say(TEXT, lang, "floor"))
        marked = False  # the legend names the unclear marker once
        for row in rows.itertuples(index=False):
            unclear = row.verdict == UNCLEAR
            colour = OKABE_ITO["blue"] if row.verdict == DRIVER else \
                OKABE_ITO["orange"] if unclear else OKABE_ITO["grey"]
            ax.errorbar(row.mu_star, row.sigma, xerr=row.mu_star_conf,
                        fmt="D" if unclear else "o", color=colour, ecolor=colour, capsize=3,
                        markersize=6, label=say(TEXT, lang, "unclear_mark")
                        if unclear and not marked else None)
            marked = marked or unclear
            if row.verdict != NOT_A_DRIVER or row.factor == DUMMY:  # the rest: listed below
                ax.annotate(getattr(row, f"label_{lang}"), (row.mu_star, row.sigma),
                            textcoords="offset points", xytext=(5, 4), fontsize=8)
        idle = rows[(rows["verdict"] == NOT_A_DRIVER) & (rows["factor"] != DUMMY)][
            f"label_{lang}"]
        if len(idle):
            ax.text(0.99, 0.02, "\n".join(textwrap.wrap(say(TEXT, lang, "idle_list")
                                                         + _join(list(idle), lang), 45)),
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=7.5,
                    color=OKABE_ITO["black"], bbox={"facecolor": "white", "alpha": 0.8,
                                                    "edgecolor": OKABE_ITO["grey"]})
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(say(TEXT, lang, "mu_star", unit=unit_text))
        ax.set_ylabel(say(TEXT, lang, "sigma", unit=unit_text))
        label = outcome_label(outcome, lang)
        top = _title_top(rows, "mu_star", "morris", lang)
        _title(ax, say(TEXT, lang, "morris_title", outcome=_in_sentence(label, lang), top=top)
               if top else say(TEXT, lang, "quiet_title", outcome=label))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def sobol_chart(result: SensitivityResult, lang: str) -> Figure:
    """S1 and ST per factor and outcome, with bootstrap intervals and the noise floor."""
    outcomes = _analysed(result)
    fig, axes = _panels(len(outcomes))
    for ax, outcome in zip(axes, outcomes, strict=True):
        rows = result.indices[result.indices["outcome"] == outcome].sort_values("ST")
        y = np.arange(len(rows))
        unclear = (rows["verdict"] == UNCLEAR).to_numpy()
        ax.barh(y[~unclear] + 0.2, rows["ST"][~unclear], height=0.38,
                xerr=rows["ST_conf"][~unclear], capsize=2, color=OKABE_ITO["sky"],
                label=say(TEXT, lang, "st_bar"))
        if unclear.any():  # hatched as well as orange: told apart without colour too
            ax.barh(y[unclear] + 0.2, rows["ST"][unclear], height=0.38,
                    xerr=rows["ST_conf"][unclear], capsize=2, color=OKABE_ITO["orange"],
                    hatch="//", edgecolor=OKABE_ITO["black"], linewidth=0.5,
                    label=f'{say(TEXT, lang, "st_bar")}: {say(TEXT, lang, "unclear_mark")}')
        ax.barh(y - 0.2, rows["S1"], height=0.38, xerr=rows["S1_conf"], capsize=2,
                color=OKABE_ITO["blue"], label=say(TEXT, lang, "s1"))
        ax.axvline(float(rows["noise_floor"].iloc[0]), color=OKABE_ITO["vermillion"],
                   linestyle="--", linewidth=1.2, label=say(TEXT, lang, "floor"))
        ax.set_yticks(y, rows[f"label_{lang}"])
        ax.set_xlim(min(0.0, float((rows["S1"] - rows["S1_conf"]).min())) - 0.02,
                    max(1.0, float((rows["ST"] + rows["ST_conf"]).max())) + 0.02)
        ax.set_xlabel(say(TEXT, lang, "index"))
        label = outcome_label(outcome, lang)
        top = _title_top(rows, "ST", "sobol", lang)
        _title(ax, say(TEXT, lang, "sobol_title", outcome=_in_sentence(label, lang), top=top)
               if top else say(TEXT, lang, "quiet_title", outcome=label))
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="best", fontsize=8, framealpha=0.9)
    return fig


def convergence_chart(result: SensitivityResult, lang: str) -> Figure:
    """Total indices on N/4, N/2 and N base samples: have they stopped moving?"""
    conv = result.convergence
    outcomes = [o for o in _analysed(result) if o in set(conv["outcome"])]
    fig, axes = _panels(len(outcomes))
    colours = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky",
                                      "yellow", "black")]
    labels = result.indices.drop_duplicates("factor").set_index("factor")[f"label_{lang}"]
    for ax, outcome in zip(axes, outcomes, strict=True):
        part = conv[conv["outcome"] == outcome]
        for k, (factor, rows) in enumerate(part.groupby("factor", sort=False)):
            dummy = factor == DUMMY
            colour = OKABE_ITO["grey"] if dummy else colours[k % len(colours)]
            ax.errorbar(rows["n"], rows["ST"], yerr=rows["ST_conf"], marker="o", capsize=3,
                        color=colour, linestyle="--" if dummy else "-",
                        label=labels.get(factor, factor))
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(part["n"].unique()), [str(n) for n in sorted(part["n"].unique())])
        ax.set_xlabel(say(TEXT, lang, "n"))
        ax.set_ylabel("ST")
        row = result.indices[result.indices["outcome"] == outcome].iloc[0]
        _title(ax, say(TEXT, lang, "conv_title", outcome=outcome_label(outcome, lang),
                       change=float(row["max_change"]),
                       state=say(TEXT, lang, "stable" if bool(row["converged"]) else "moving")))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False, ncols=2)
    return fig
