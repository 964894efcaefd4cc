"""Charts: functions of tidy DataFrames that return a matplotlib Figure (they never run a model).

Labels come from the codebook, titles and axes from ``TEXT`` (read through
``experiments.outputs.words.say``); colours from the Okabe-Ito palette (safe for colour-blind
readers), the same state always in the same colour.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from catfish.experiments.outputs.words import say  # noqa: E402
from catfish.sim import codebook  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
             "black": "#000000"}

# bottom to top: where firms end up first, then the path they take
STATE_COLUMNS = (
    ("n_transformed", OKABE_ITO["green"]),
    ("n_in_project", OKABE_ITO["blue"]),
    ("n_queued", OKABE_ITO["sky"]),
    ("n_willing", OKABE_ITO["yellow"]),
    ("n_failed", OKABE_ITO["vermillion"]),
    ("n_lapsed", OKABE_ITO["purple"]),
    ("n_unaware", OKABE_ITO["grey"]),
)



def firms_by_state(ts: pd.DataFrame, *, target: int | None = None,
                   deadline_month: int | None = None, lang: str = "en") -> Figure:
    """Stacked area of firms in each state, month by month, with the target and deadline.

    Args:
        ts: Time series of one run (columns ``month``, ``date`` and the ``n_*`` states).
        target: Target number of transformed firms (drawn as a dashed line), if any.
        deadline_month: Month at which the target is judged (a dotted vertical line), if any.
        lang: ``"en"`` or ``"zh"`` (needs a CJK font; see ``experiments.outputs.fonts``).

    Returns:
        The figure; the caller saves or shows it.
    """
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    months = ts["month"].to_numpy()
    ax.stackplot(months, *[ts[col].to_numpy() for col, _ in STATE_COLUMNS],
                 labels=[codebook.label(col, lang) for col, _ in STATE_COLUMNS],
                 colors=[colour for _, colour in STATE_COLUMNS], alpha=0.9)
    if target:
        ax.axhline(target, color=OKABE_ITO["black"], linestyle="--", linewidth=1.2)
        ax.annotate(say(TEXT, lang, "target", target=target), (months[0], target), xytext=(4, 4),
                    textcoords="offset points", fontsize=9)
    if deadline_month:
        ax.axvline(deadline_month, color=OKABE_ITO["black"], linestyle=":", linewidth=1.2)
    at = ts[ts["month"] <= (deadline_month or months[-1])].iloc[-1]
    total = int(sum(at[col] for col, _ in STATE_COLUMNS))
    ax.set_title(say(TEXT, lang, "state_title", date=at["date"], n=int(at["n_transformed"]),
                     total=total, target=target or 0), fontsize=11)
    ticks = months[:: max(1, len(months) // 8)]
    ax.set_xticks(ticks, ts.set_index("month").loc[ticks, "date"], rotation=0)
    ax.set_xlabel(say(TEXT, lang, "x"))
    ax.set_ylabel(say(TEXT, lang, "state_y"))
    ax.set_xlim(months[0], months[-1])
    ax.set_ylim(0, total)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5),
              frameon=False, fontsize=9)
    return fig


# --- comparing policy mixes ----------------------------------------------------------------

# the reference mix in black, the others in Okabe-Ito order (yellow late: weak on white)
MIX_COLOURS = ("black", "orange", "sky", "green", "blue", "vermillion", "purple", "yellow",
               "grey")

TEXT = {
    "en": {"state_title": "By {date}, {n:,} of {total:,} firms hold an accepted transformation "
                          "(target {target:,})",
           "state_y": "Firms",
           "over_time": "Transformed firms counted toward the target: mean of {n} replicates, "
                        "band: 90 % of runs",
           "reference_line": "; dashed: {reference}",
           "target_prob": "Chance of meeting the target of {target:,} firms by {deadline}",
           "prob_x": "Probability (share of replicates), 95 % Wilson interval",
           "difference": "Effect against the base mix on transformed firms by {deadline}",
           "difference_x": "Additional transformed firms against the base, paired by seed "
                           "(mean, 95 % interval)",
           "finding_most": "{mix} transforms the most firms by the deadline ({mean:,.0f}); "
                           "{reach} of {n} mixes reach the target on average",
           "finding_prob": "Most likely to reach the target: {mix} ({p:.0%})",
           "finding_diff": "Against {reference}: {more} mixes transform more firms, {fewer} "
                           "fewer, {same} within chance",
           "finding_cost_win": "More firms for less money than {reference}: {mixes}",
           "finding_cost_none": "No mix transforms more firms than {reference} for less money",
           "cost": "Extra public money and extra firms against the base mix (at 0, 0)",
           "cost_x": "Additional transformed firms by the deadline (paired mean, 95 % interval)",
           "cost_y": "Additional public money by the deadline (M RMB)",
           "more_more": "more firms, more money", "fewer_more": "fewer firms, more money",
           "more_less": "more firms, less money", "fewer_less": "fewer firms, less money",
           "x": "Month", "y": "Transformed firms (counted)", "target": "Target {target:,}"},
    "zh": {"state_title": "截至{date}，{total:,}家企业中{n:,}家完成转型并通过验收"
                          "（目标{target:,}家）",
           "state_y": "企业数（家）",
           "over_time": "计入目标的转型企业数：{n}次重复模拟的均值，阴影为90%的模拟结果",
           "reference_line": "；虚线：{reference}",
           "target_prob": "截至{deadline}达到{target:,}家目标的概率",
           "prob_x": "概率（达标的模拟占比），95% Wilson区间",
           "difference": "相对基准方案的效果：截至{deadline}完成转型企业数",
           "difference_x": "相对基准方案增加的转型企业数（同种子配对，均值及95%区间）",
           "finding_most": "{mix}截止时完成转型最多（{mean:,.0f}家）；"
                           "{n}个组合中{reach}个平均达到目标",
           "finding_prob": "最有可能达到目标的是{mix}（{p:.0%}）",
           "finding_diff": "与{reference}相比：{more}个组合转型更多，{fewer}个更少，"
                           "{same}个差异在随机波动之内",
           "finding_cost_win": "比{reference}转型更多且花钱更少：{mixes}",
           "finding_cost_none": "没有组合能比{reference}转型更多且花钱更少",
           "cost": "相对基准方案（原点）增加的财政资金与转型企业",
           "cost_x": "截止时增加的完成转型企业数（配对均值，95%区间）",
           "cost_y": "截止时增加的财政资金支出（百万元）",
           "more_more": "企业更多，花钱更多", "fewer_more": "企业更少，花钱更多",
           "more_less": "企业更多，花钱更少", "fewer_less": "企业更少，花钱更少",
           "x": "月份", "y": "计入目标的转型企业（家）", "target": "目标 {target:,}"},
}


def mix_colours(mixes: list[str]) -> dict[str, str]:
    """A colour per mix, in order: the first (the reference) black, then Okabe-Ito colours."""
    return {mix: OKABE_ITO[MIX_COLOURS[i % len(MIX_COLOURS)]] for i, mix in enumerate(mixes)}


def _mix_labels(summary: pd.DataFrame, lang: str) -> dict[str, str]:
    column = f"label_{lang}"
    names = summary["mix"].tolist()
    labels = summary[column].tolist() if column in summary else names
    return dict(zip(names, labels, strict=True))


def transformed_over_time(bands: pd.DataFrame, *, labels: dict[str, str] | None = None,
                          target: int | None = None, deadline_month: int | None = None,
                          replicates: int | None = None, lang: str = "en") -> Figure:
    """Transformed firms month by month: one panel per mix, mean line and 90 % band of runs.

    Every panel after the first also shows the first mix (the reference) as a black dashed
    line, so each mix is read against it without lines hiding one another.

    Args:
        bands: Columns ``mix``, ``month``, ``date``, ``mean``, ``lo``, ``hi`` (as
            ``experiments.analysis.comparison.bands`` makes them); mixes drawn in their order.
        labels: Mix name -> panel title (default: the names).
        target: Target number of transformed firms (a dashed line), if any.
        deadline_month: Month at which the target is judged (a dotted line), if any.
        replicates: Replicates per mix, for the title.
        lang: ``"en"`` or ``"zh"``.
    """
    mixes = list(dict.fromkeys(bands["mix"]))
    colours, labels = mix_colours(mixes), labels or {}
    cols = min(3, len(mixes))
    rows = -(-len(mixes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 0.6, 3.3 * rows + 0.9),
                             sharex=True, sharey=True, squeeze=False, layout="constrained")
    reference = bands[bands["mix"] == mixes[0]]
    months = reference["month"].to_numpy()
    top = max(float(bands["hi"].max()), target or 0) * 1.05 or 1
    ticks = reference.iloc[:: max(1, -(-len(reference) // 4))]
    for k, ax in enumerate(axes.flat):
        if k >= len(mixes):
            ax.set_visible(False)
            continue
        mix = mixes[k]
        b = bands[bands["mix"] == mix]
        ax.fill_between(b["month"], b["lo"], b["hi"], color=colours[mix], alpha=0.25,
                        linewidth=0)
        ax.plot(b["month"], b["mean"], color=colours[mix], linewidth=2)
        if k:
            ax.plot(reference["month"], reference["mean"], color=OKABE_ITO["black"],
                    linewidth=1.2, linestyle="--")
        if target:
            ax.axhline(target, color=OKABE_ITO["grey"], linestyle="-", linewidth=1)
            ax.annotate(say(TEXT, lang, "target", target=target), (months[0], target),
                        xytext=(3, 3),
                        textcoords="offset points", fontsize=8, color="#555555")
        if deadline_month:
            ax.axvline(deadline_month, color=OKABE_ITO["black"], linestyle=":", linewidth=1.2)
        ax.set_title(labels.get(mix, mix), fontsize=10, color=colours[mix]
                     if colours[mix] != OKABE_ITO["yellow"] else OKABE_ITO["black"])
        ax.set_xticks(ticks["month"], ticks["date"], fontsize=8)
        ax.set_xlim(months[0], months[-1])
        ax.set_ylim(0, top)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(say(TEXT, lang, "y"))
    for ax in axes[-1, :]:
        ax.set_xlabel(say(TEXT, lang, "x"))
    title = say(TEXT, lang, "over_time", n=replicates or "?")
    if len(mixes) > 1:
        title += say(TEXT, lang, "reference_line", reference=labels.get(mixes[0], mixes[0]))
    at = bands[bands["month"] == (deadline_month or int(bands["month"].max()))]
    if not at.empty:
        best = at.loc[at["mean"].idxmax()]
        reach = int((at["mean"] >= target).sum()) if target else 0
        title = say(TEXT, lang, "finding_most", mix=labels.get(best["mix"], best["mix"]),
                    mean=best["mean"], reach=reach, n=len(at)) + "\n" + title
    fig.suptitle(title, fontsize=11)
    return fig


def _dot_and_whisker(ax, summary: pd.DataFrame, value: str, lo: str, hi: str,
                     labels: dict[str, str], colours: dict[str, str]) -> None:
    """One row per mix: a dot at ``value`` and a whisker from ``lo`` to ``hi``."""
    y = list(range(len(summary)))[::-1]  # the first mix on top
    for yi, row in zip(y, summary.itertuples(index=False), strict=True):
        colour = colours[row.mix]
        centre, low, high = getattr(row, value), getattr(row, lo), getattr(row, hi)
        ax.errorbar(centre, yi, xerr=[[centre - low], [high - centre]], fmt="o",
                    color=colour, ecolor=colour, capsize=4, markersize=7, linewidth=2)
    ax.set_yticks(y, [labels[m] for m in summary["mix"]])
    ax.set_ylim(-0.6, len(summary) - 0.4)
    ax.grid(axis="x", alpha=0.3)


def target_probability(summary: pd.DataFrame, *, target: int, deadline: str,
                       lang: str = "en") -> Figure:
    """Probability of meeting the target per mix, with its 95 % Wilson interval.

    Args:
        summary: One row per mix with ``mix``, ``target_met_prob``, ``target_met_prob_lo``,
            ``target_met_prob_hi`` and optionally ``label_en`` / ``label_zh``.
        target: The target (for the title).
        deadline: The deadline, ``YYYY-MM`` (for the title).
        lang: ``"en"`` or ``"zh"``.
    """
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.55 * len(summary)), layout="constrained")
    _dot_and_whisker(ax, summary, "target_met_prob", "target_met_prob_lo",
                     "target_met_prob_hi", _mix_labels(summary, lang),
                     mix_colours(summary["mix"].tolist()))
    ax.set_xlim(-0.03, 1.03)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25 %", "50 %", "75 %", "100 %"])
    ax.set_xlabel(say(TEXT, lang, "prob_x"))
    best = summary.loc[summary["target_met_prob"].idxmax()]
    ax.set_title(say(TEXT, lang, "finding_prob", mix=_mix_labels(summary, lang)[best["mix"]],
                     p=best["target_met_prob"]) + "\n"
                 + say(TEXT, lang, "target_prob", target=target, deadline=deadline),
                 fontsize=11)
    return fig


def paired_difference(summary: pd.DataFrame, *, deadline: str, reference: str = "base",
                      lang: str = "en") -> Figure:
    """Each mix's effect against the reference: mean paired difference and 95 % interval.

    Args:
        summary: One row per mix with ``mix``, ``diff_transformed_mean``, ``_lo``, ``_hi``.
        deadline: The deadline, ``YYYY-MM`` (for the title).
        reference: The reference mix (not drawn: its difference is zero by definition).
        lang: ``"en"`` or ``"zh"``.
    """
    labels = _mix_labels(summary, lang)
    others = summary[summary["mix"] != reference]
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.55 * max(1, len(others))), layout="constrained")
    _dot_and_whisker(ax, others, "diff_transformed_mean", "diff_transformed_lo",
                     "diff_transformed_hi", labels, mix_colours(summary["mix"].tolist()))
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=1)
    ax.set_xlabel(say(TEXT, lang, "difference_x"))
    more = int((others["diff_transformed_lo"] > 0).sum())
    fewer = int((others["diff_transformed_hi"] < 0).sum())
    finding = say(TEXT, lang, "finding_diff", reference=labels.get(reference, reference),
                  more=more, fewer=fewer, same=len(others) - more - fewer)
    ax.set_title(finding + "\n" + say(TEXT, lang, "difference", deadline=deadline),
                 fontsize=11)
    return fig


def cost_effectiveness(summary: pd.DataFrame, *, reference: str = "base",
                       lang: str = "en") -> Figure:
    """Each mix against the reference: extra public money against extra transformed firms.

    Both are paired means over replicates (the same seeds); the whiskers are the 95 %
    intervals of the paired differences. Right and down is better on both counts; right and up
    buys firms with money, and the slope from the origin is the cost per additional firm.

    Args:
        summary: One row per mix with ``mix``, ``diff_transformed_mean`` / ``_lo`` / ``_hi``,
            ``diff_spent_rmb_mean`` / ``_lo`` / ``_hi`` and optionally ``label_en`` /
            ``label_zh``.
        reference: The reference mix, at the origin.
        lang: ``"en"`` or ``"zh"``.
    """
    labels = _mix_labels(summary, lang)
    colours = mix_colours(summary["mix"].tolist())
    fig, ax = plt.subplots(figsize=(10, 5.5), layout="constrained")
    ax.axhline(0, color=OKABE_ITO["grey"], linewidth=1)
    ax.axvline(0, color=OKABE_ITO["grey"], linewidth=1)
    for row in summary.itertuples(index=False):
        x, y = row.diff_transformed_mean, row.diff_spent_rmb_mean / 1e6
        is_ref = row.mix == reference
        xerr = None if is_ref else [[x - row.diff_transformed_lo], [row.diff_transformed_hi - x]]
        yerr = None if is_ref else [[y - row.diff_spent_rmb_lo / 1e6],
                                    [row.diff_spent_rmb_hi / 1e6 - y]]
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="s" if is_ref else "o",
                    color=colours[row.mix], capsize=4, markersize=8, linewidth=2,
                    label=labels[row.mix])
    for (hx, hy), key in (((0.99, 0.98), "more_more"), ((0.01, 0.98), "fewer_more"),
                          ((0.99, 0.02), "more_less"), ((0.01, 0.02), "fewer_less")):
        ax.annotate(say(TEXT, lang, key), (hx, hy), xycoords="axes fraction", ha="right" if hx > 0.5
                    else "left", va="top" if hy > 0.5 else "bottom", fontsize=8,
                    color="#555555")
    # symmetric limits keep the origin (the reference) in the middle of the four quadrants
    xs = summary[["diff_transformed_lo", "diff_transformed_hi", "diff_transformed_mean"]]
    ys = summary[["diff_spent_rmb_lo", "diff_spent_rmb_hi", "diff_spent_rmb_mean"]] / 1e6
    x_max = float(np.nanmax(np.abs(xs.to_numpy()))) * 1.15 or 1.0
    y_max = float(np.nanmax(np.abs(ys.to_numpy()))) * 1.15 or 1.0
    ax.set_xlim(-x_max, x_max)
    ax.set_ylim(-y_max, y_max)
    ax.grid(alpha=0.3)
    ax.set_xlabel(say(TEXT, lang, "cost_x"))
    ax.set_ylabel(say(TEXT, lang, "cost_y"))
    # resolved on both counts: more firms and less money, each 95 % interval clear of 0
    wins = summary[(summary["mix"] != reference) & (summary["diff_transformed_lo"] > 0)
                   & (summary["diff_spent_rmb_hi"] < 0)]
    finding = say(TEXT, lang, "finding_cost_win", reference=labels.get(reference, reference),
                  mixes=", ".join(labels[m] for m in wins["mix"])) if len(wins) \
        else say(TEXT, lang, "finding_cost_none", reference=labels.get(reference, reference))
    ax.set_title(finding + "\n" + say(TEXT, lang, "cost"), fontsize=11)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=9)
    return fig
