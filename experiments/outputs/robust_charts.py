"""Charts of a comparison across plausible worlds: how each mix spreads, and where the lead flips.

Functions of DataFrames returning a matplotlib Figure, as in ``experiments.outputs.charts`` (same
colours per mix, Okabe-Ito); the words are in English and Chinese here (``TEXT``, and the units
in ``UNITS``, read through ``experiments.outputs.words.say``), numbers formatted by the
caller's objective. They never run a model.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from catfish.experiments.analysis import get_objective, robust
from catfish.experiments.outputs.charts import OKABE_ITO, mix_colours, plt
from catfish.experiments.outputs.words import has, say
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

TEXT = {
    "en": {
        "spread_title": "{best} is best in {share} of worlds: each mix across {n:,} plausible "
                        "worlds",
        "spread_note": "each dot is a world (one joint draw of the parameters); boxes hold the "
                       "middle 50 %, whiskers 10 %–90 %",
        "target": "target {target:,.0f}",
        "flip_title": "{rival} beats {best} mostly in this region ({share} of all worlds):",
        "flip_title_none": "The best mix in each world",
        "box": "the rule's region",
        "winner": "best in this world",
        "labelled": "{label} ({unit})",
        "percent": "{percent:.0f} %",
    },
    "zh": {
        "spread_title": "{best}在{share}的情景中最优：各组合在{n:,}个可能情景中的结果",
        "spread_note": "每个点是一个情景（参数的一次联合抽样）；箱体为中间50%，线为10%–90%",
        "target": "目标 {target:,.0f}",
        "flip_title": "{rival}胜过{best}的情景集中在下列区域（占全部情景的{share}）：",
        "flip_title_none": "各情景中的最优组合",
        "box": "规则划定的区域",
        "winner": "该情景最优",
        "labelled": "{label}（{unit}）",
        "percent": "{percent:.0f}%",
    },
}
# a parameter's or an objective's unit, by its name in the files (other units stay as written)
UNITS = {
    "en": {"firms": "firms", "probability": "probability", "share": "share",
           "RMB per firm": "RMB per firm", "firm visits/month": "firm visits/month",
           "firms/month": "firms/month", "1/year": "1/year", "years": "years",
           "log-odds": "log-odds", "index 0-1": "index 0-1", "RMB": "RMB",
           "RMB/year": "RMB/year", "share of cost": "share of cost"},
    "zh": {"firms": "家", "probability": "概率", "share": "比例", "RMB per firm": "元/家",
           "firm visits/month": "次/月", "firms/month": "家/月", "1/year": "每年",
           "years": "年", "log-odds": "对数几率", "index 0-1": "指数0-1", "RMB": "元",
           "RMB/year": "元/年", "share of cost": "占成本比例"},
}
WRAP = {"zh": 38, "en": 75}  # characters per title line (a Chinese character is twice as wide)


def unit_label(unit: str, lang: str) -> str:
    """A unit for a chart in ``lang`` (units not in the table stay as written)."""
    return say(UNITS, lang, unit) if has(UNITS, lang, unit) else unit


def labelled(label: str, unit: str, lang: str) -> str:
    """``label (unit)`` in ``lang``, or the label alone without a unit."""
    shown = unit_label(unit, lang)
    return say(TEXT, lang, "labelled", label=label, unit=shown) if shown else label


def _percent(x: float, lang: str = "en") -> str:
    if not math.isfinite(x):
        return "–"
    return say(TEXT, lang, "percent", percent=100 * x)


def _wrap(text: str, lang: str) -> str:
    width = WRAP[lang]
    if lang == "en":
        return "\n".join(textwrap.wrap(text, width)) or text
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def spread_over_worlds(values: pd.DataFrame, *, labels: dict[str, str], objective: str,
                       best: str, p_best: float, target: float | None = None,
                       lang: str = "en") -> Figure:
    """Each mix's objective over the worlds: a box (middle half), 10-90 % whiskers, the worlds.

    Args:
        values: One row per world, one column per mix (in the report's order), the objective.
        labels: Mix name -> label.
        objective: The objective's name for the axis, with its unit.
        best: The mix best in the most worlds.
        p_best: Its share of the worlds.
        target: A target on the same scale, drawn as a line (None: none).
        lang: ``"en"`` or ``"zh"``.
    """
    mixes = list(values.columns)
    colours = mix_colours(mixes)
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.6 * len(mixes)), layout="constrained")
    rng = np.random.default_rng(0)  # jitter only: the same picture every time
    for row, mix in enumerate(mixes[::-1]):
        data = values[mix].to_numpy(float)
        data = data[np.isfinite(data)]
        if not len(data):
            continue
        _box(ax, data, row, colours[mix])
        ax.scatter(data, row + rng.uniform(-0.18, 0.18, len(data)), s=4, alpha=0.25,
                   color=colours[mix], linewidths=0)
    ax.set_yticks(range(len(mixes)), [labels.get(m, m) for m in mixes[::-1]])
    if target is not None:
        ax.axvline(target, color=OKABE_ITO["grey"], linewidth=1)
        ax.annotate(say(TEXT, lang, "target", target=target), (target, len(mixes) - 0.6),
                    xytext=(3, 0), textcoords="offset points", fontsize=8, color="#555555")
    ax.set_xlabel(f"{objective}\n{say(TEXT, lang, 'spread_note')}", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(say(TEXT, lang, "spread_title", best=labels.get(best, best),
                     share=_percent(p_best, lang), n=len(values)), fontsize=11)
    return fig


def _box(ax, data: np.ndarray, row: float, colour: str) -> None:
    """A horizontal box: the middle half, the median, 10th-90th percentile whiskers.

    Drawn by hand: matplotlib's boxplot renamed its orientation argument between versions.
    """
    p10, p25, p50, p75, p90 = np.percentile(data, [10, 25, 50, 75, 90])
    ax.add_patch(Rectangle((p25, row - 0.25), p75 - p25, 0.5, facecolor="white",
                           edgecolor=colour, linewidth=1.5, zorder=3))
    ax.plot([p50, p50], [row - 0.25, row + 0.25], color=colour, linewidth=2, zorder=4)
    for low, high in ((p10, p25), (p75, p90)):
        ax.plot([low, high], [row, row], color=colour, linewidth=1, zorder=2)
    ax.plot([p10, p10], [row - 0.12, row + 0.12], color=colour, linewidth=1, zorder=2)
    ax.plot([p90, p90], [row - 0.12, row + 0.12], color=colour, linewidth=1, zorder=2)


def flip_map(worlds: pd.DataFrame, winner: pd.Series, *, x: str, y: str,
             axis_labels: dict[str, str], mix_labels: dict[str, str], best: str,
             rival: str | None = None, rule: str = "", share: float = math.nan,
             box: dict[str, tuple[float | None, float | None]] | None = None,
             lang: str = "en") -> Figure:
    """The worlds on two uncertain parameters, coloured by the mix that is best in each.

    Args:
        worlds: One row per world with columns ``x`` and ``y``.
        winner: The best mix in each world (same index as ``worlds``).
        x: Parameter on the horizontal axis.
        y: Parameter on the vertical axis.
        axis_labels: Parameter -> label (with unit).
        mix_labels: Mix name -> label.
        best: The mix best in the most worlds.
        rival: The mix whose winning region the rule describes (None: no rule drawn).
        rule: The rule in words, for the title.
        share: The share of all worlds in the rule's region.
        box: The rule's limits by parameter: (low or None, high or None).
        lang: ``"en"`` or ``"zh"``.
    """
    mixes = list(dict.fromkeys([best, *winner.unique()]))
    colours = mix_colours(list(mix_labels))
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    for mix in mixes:
        inside = (winner == mix).to_numpy()
        if inside.any():
            ax.scatter(worlds.loc[inside, x], worlds.loc[inside, y], s=12, alpha=0.7,
                       color=colours.get(mix, OKABE_ITO["grey"]), linewidths=0,
                       label=f"{mix_labels.get(mix, mix)} ({_percent(inside.mean(), lang)})")
    if box:
        (x0, x1), (y0, y1) = (_edges(box.get(x), worlds[x]), _edges(box.get(y), worlds[y]))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linewidth=2,
                               linestyle="--", edgecolor=OKABE_ITO["black"],
                               label=say(TEXT, lang, "box")))
    ax.set_xlabel(axis_labels.get(x, x))
    ax.set_ylabel(axis_labels.get(y, y))
    ax.legend(title=say(TEXT, lang, "winner"), loc="upper left", bbox_to_anchor=(1.01, 1),
              fontsize=8, title_fontsize=9, frameon=False)
    ax.grid(alpha=0.3)
    title = say(TEXT, lang, "flip_title", rival=mix_labels.get(rival, rival),
                best=mix_labels.get(best, best), share=_percent(share, lang)) \
        + "\n" + _wrap(rule, lang) if rival else say(TEXT, lang, "flip_title_none")
    ax.set_title(title, fontsize=10)
    return fig


def _edges(limits: tuple[float | None, float | None] | None,
           values: pd.Series) -> tuple[float, float]:
    """A box side: the rule's limits, or the data's range where the rule sets none."""
    low, high = limits if limits is not None else (None, None)
    return (float(values.min()) if low is None else float(low),
            float(values.max()) if high is None else float(high))


def comparison_figures(result: robust.RobustResult, worlds: pd.DataFrame, *,
                       mix_labels: dict[str, str], parameter_labels: dict[str, str],
                       target: int | None, lang: str = "en") -> dict[str, Figure]:
    """The two charts of a comparison across worlds, by file name.

    Args:
        result: The analysis (``experiments.analysis.robust``).
        worlds: The worlds table (``worlds.parquet``).
        mix_labels: Mix name -> label.
        parameter_labels: Parameter -> label with its unit (``labelled``).
        target: The target firms (drawn when the objective is firms transformed).
        lang: ``"en"`` or ``"zh"``.
    """
    objective = get_objective(result.objective)
    table = result.robustness.set_index("mix")
    view = robust.flip_view(result, worlds)
    rule = view.rule_row
    return {
        "spread_over_worlds.png": spread_over_worlds(
            result.values, labels=mix_labels,
            objective=labelled(getattr(objective, f"label_{lang}"), objective.unit, lang),
            best=result.best, p_best=float(table.loc[result.best, "p_best"]),
            target=float(target) if target is not None and objective.name == "transformed"
            else None, lang=lang),
        "flip_map.png": flip_map(
            robust.parameter_columns(worlds).set_index("replicate"), view.winner, x=view.x,
            y=view.y, axis_labels=parameter_labels, mix_labels=mix_labels, best=result.best,
            rival=view.rival, rule="" if rule is None else str(rule[f"rule_{lang}"]),
            share=math.nan if rule is None else float(rule["mass"]), box=view.box, lang=lang),
    }
