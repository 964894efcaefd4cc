"""Charts: functions of tidy DataFrames that return a matplotlib Figure (they never run a model).

Labels come from the codebook; colours from the Okabe-Ito palette (safe for colour-blind
readers), the same state always in the same colour.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim import codebook  # noqa: E402

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

TEXT = {
    "en": {"title": "By {date}, {n:,} of {total:,} firms hold an accepted transformation "
                    "(target {target:,})",
           "x": "Month", "y": "Firms", "target": "Target", "deadline": "Deadline"},
    "zh": {"title": "截至{date}，{total:,}家企业中{n:,}家完成转型并通过验收（目标{target:,}家）",
           "x": "月份", "y": "企业数（家）", "target": "目标", "deadline": "截止时间"},
}


def firms_by_state(ts: pd.DataFrame, *, target: int | None = None,
                   deadline_month: int | None = None, lang: str = "en") -> Figure:
    """Stacked area of firms in each state, month by month, with the target and deadline.

    Args:
        ts: Time series of one run (columns ``month``, ``date`` and the ``n_*`` states).
        target: Target number of transformed firms (drawn as a dashed line), if any.
        deadline_month: Month at which the target is judged (a dotted vertical line), if any.
        lang: ``"en"`` or ``"zh"`` (needs a CJK font; see ``experiments.fonts``).

    Returns:
        The figure; the caller saves or shows it.
    """
    text = TEXT[lang]
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    months = ts["month"].to_numpy()
    ax.stackplot(months, *[ts[col].to_numpy() for col, _ in STATE_COLUMNS],
                 labels=[codebook.label(col, lang) for col, _ in STATE_COLUMNS],
                 colors=[colour for _, colour in STATE_COLUMNS], alpha=0.9)
    if target:
        ax.axhline(target, color=OKABE_ITO["black"], linestyle="--", linewidth=1.2)
        ax.annotate(f"{text['target']} {target:,}", (months[0], target), xytext=(4, 4),
                    textcoords="offset points", fontsize=9)
    if deadline_month:
        ax.axvline(deadline_month, color=OKABE_ITO["black"], linestyle=":", linewidth=1.2)
    at = ts[ts["month"] <= (deadline_month or months[-1])].iloc[-1]
    total = int(sum(at[col] for col, _ in STATE_COLUMNS))
    ax.set_title(text["title"].format(date=at["date"], n=int(at["n_transformed"]), total=total,
                                      target=target or 0), fontsize=11)
    ticks = months[:: max(1, len(months) // 8)]
    ax.set_xticks(ticks, ts.set_index("month").loc[ticks, "date"], rotation=0)
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    ax.set_xlim(months[0], months[-1])
    ax.set_ylim(0, total)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5),
              frameon=False, fontsize=9)
    return fig
