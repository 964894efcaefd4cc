"""The report's charts beyond the comparison's own: failures by stage and budget use over time.

Like ``experiments.outputs.charts``: functions of tidy DataFrames returning a matplotlib Figure,
colours from the Okabe-Ito palette, the same mix in the same colour as in every other chart, and
a title that states what the chart shows rather than what it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from catfish.experiments.outputs.charts import OKABE_ITO, mix_colours, plt
from catfish.experiments.outputs.words import say
from catfish.sim import codebook
from matplotlib.figure import Figure

# a failure's stage (and rejection at acceptance), in the order a project meets them
STAGES = (("failed_early_mean", "new_failed_early", OKABE_ITO["vermillion"]),
          ("failed_middle_mean", "new_failed_middle", OKABE_ITO["orange"]),
          ("failed_late_mean", "new_failed_late", OKABE_ITO["yellow"]),
          ("rejected_mean", "new_rejected", OKABE_ITO["grey"]))

TEXT = {
    "en": {"failures": "{share:.0%} of failed projects fail in the early or middle stage "
                       "(all mixes, mean per run)",
           "failures_none": "No project failed in any run",
           "failures_x": "Projects per run by the end (mean over replicates)",
           "budget": "By the deadline the mixes have spent {low:.1f} to {high:.1f} M RMB of "
                     "their {budget:.1f} M",
           "budget_x": "Month", "budget_y": "Public money spent (M RMB, mean over replicates)",
           "budget_line": "Budget"},
    "zh": {"failures": "失败项目中{share:.0%}发生在前期或中期（所有组合，每次模拟的均值）",
           "failures_none": "所有模拟中均无项目失败",
           "failures_x": "到模拟结束时的项目数（各次重复的均值）",
           "budget": "截至截止时间，各组合已支出{low:.1f}至{high:.1f}百万元"
                     "（预算{budget:.1f}百万元）",
           "budget_x": "月份", "budget_y": "财政资金累计支出（百万元，各次重复的均值）",
           "budget_line": "预算"},
}


def failures_by_stage(summary: pd.DataFrame, *, labels: dict[str, str],
                      lang: str = "en") -> Figure:
    """Failed projects per run by stage, and projects rejected at acceptance, for each mix.

    Args:
        summary: One row per mix with ``mix`` and the ``failed_*_mean`` / ``rejected_mean``
            columns of ``experiments.analysis.comparison.summarise``.
        labels: Mix name -> its label.
        lang: ``"en"`` or ``"zh"``.
    """
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.55 * len(summary)), layout="constrained")
    y = np.arange(len(summary))[::-1]
    left = np.zeros(len(summary))
    for column, code, colour in STAGES:
        values = summary[column].to_numpy(float)
        ax.barh(y, values, left=left, color=colour, label=codebook.label(code, lang),
                edgecolor="white", linewidth=0.5)
        left += values
    ax.set_yticks(y, [labels[m] for m in summary["mix"]])
    ax.set_xlabel(say(TEXT, lang, "failures_x"))
    ax.grid(axis="x", alpha=0.3)
    # a figure legend "outside" has its room reserved by the constrained layout: never clipped
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=len(STAGES),
               fontsize=8, frameon=False)
    failed = summary[[c for c, _, _ in STAGES[:3]]].to_numpy(float).sum()
    early_middle = summary[[c for c, _, _ in STAGES[:2]]].to_numpy(float).sum()
    # over the whole figure: long mix labels push the axes right, and a title centred on them
    # would run off the edge
    fig.suptitle(say(TEXT, lang, "failures", share=early_middle / failed) if failed > 0
                 else say(TEXT, lang, "failures_none"), fontsize=11)
    return fig


def budget_over_time(spent: pd.DataFrame, *, budgets: dict[str, float],
                     labels: dict[str, str], deadline_month: int, lang: str = "en") -> Figure:
    """Public money spent month by month, one line per mix, with the budget and the deadline.

    Args:
        spent: The mean of ``spent_total_rmb`` over replicates per mix and month (``mix``,
            ``month``, ``date``, ``mean``: ``experiments.analysis.comparison.bands``).
        budgets: Mix name -> its budget (RMB), for the budget line.
        labels: Mix name -> its label.
        deadline_month: Month at which the target is judged.
        lang: ``"en"`` or ``"zh"``.
    """
    table = spent.rename(columns={"mean": "spent"})
    mixes = list(dict.fromkeys(table["mix"]))
    colours = mix_colours(mixes)
    fig, ax = plt.subplots(figsize=(10, 5), layout="constrained")
    for mix in mixes:
        rows = table[table["mix"] == mix]
        ax.plot(rows["month"], rows["spent"] / 1e6, color=colours[mix], linewidth=2,
                label=labels[mix])
    top = max(budgets.values()) / 1e6
    ax.axhline(top, color=OKABE_ITO["grey"], linewidth=1)
    ax.annotate(say(TEXT, lang, "budget_line"), (table["month"].min(), top), xytext=(3, 3),
                textcoords="offset points", fontsize=8, color="#555555")
    ax.axvline(deadline_month, color=OKABE_ITO["black"], linestyle=":", linewidth=1.2)
    first = table[table["mix"] == mixes[0]]
    ticks = first.iloc[:: max(1, -(-len(first) // 6))]
    ax.set_xticks(ticks["month"], ticks["date"])
    ax.set_ylim(0, top * 1.08)
    ax.set_xlabel(say(TEXT, lang, "budget_x"))
    ax.set_ylabel(say(TEXT, lang, "budget_y"))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    at_deadline = table[table["month"] == min(deadline_month, int(table["month"].max()))]
    spent = at_deadline["spent"] / 1e6
    ax.set_title(say(TEXT, lang, "budget", low=spent.min(), high=spent.max(), budget=top),
                 fontsize=11)
    return fig
