"""One self-contained HTML report of a policy comparison, for officials (Chinese by default).

``write_report(results_dir)`` reads what ``catfish compare`` wrote (summary, time series,
manifest, and the copies of its inputs in ``inputs/``, see ``experiments.runs.kept_inputs``; nothing
outside the folder) and writes one HTML file: the headline (which mix reaches the target with what
probability, at what cost per additional firm), the charts, the main assumptions with their
sources, how well the model fits the pilot data (the shipped calibration's predictive check)
and the scenario details. Charts are PNGs embedded as data URIs and the page has no script and
no link to any other address, so it opens from a USB stick on an intranet.

Text that comes from files (scenario and mix names, descriptions, sources) goes through
Jinja2's autoescaping: a mix called ``<script>`` shows as text.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from catfish.experiments.analysis.comparison import BASE, bands, probability
from catfish.experiments.outputs import charts, report_charts, report_robust, robust_charts
from catfish.experiments.outputs.fonts import use_language
from catfish.experiments.outputs.report_robust_text import TEXT as ROBUST_TEXT
from catfish.experiments.outputs.report_text import TEXT
from catfish.experiments.outputs.words import Words, has, say
from catfish.experiments.runs.files import check_target, claim, write_atomic
from catfish.experiments.runs.kept_inputs import read_assumptions, read_scenario
from catfish.scenarios.schema import Scenario
from catfish.sim.codebook import instrument_label, parameter_label
from jinja2 import Environment, PackageLoader, select_autoescape

REPORT_FILE = "report.html"
NEEDED = ("summary.parquet", "manifest.json")
BAND_SOURCES = ("bands.parquet", "timeseries.parquet")  # either: the bands, or runs to make them
LIKELY = 0.9  # a mix this likely to reach the target is named if it is cheaper per firm


class ReportError(ValueError):
    """Results a report cannot be made from; the message is one line."""


@dataclass(frozen=True)
class Results:
    """What ``catfish compare`` wrote into a folder."""

    folder: Path
    summary: pd.DataFrame
    bands: pd.DataFrame  # per column drawn over time, mix and month: mean, lo, hi
    manifest: dict[str, Any]
    robust: report_robust.RobustView | None = None  # the analysis across worlds, if any

    @property
    def reference(self) -> str:
        """The mix the others are compared with."""
        return BASE if BASE in set(self.summary["mix"]) else str(self.summary["mix"].iloc[0])


def load_results(folder: str | Path) -> Results:
    """Read a comparison's results folder.

    Raises:
        ReportError: The folder or one of its files is missing or unreadable.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such results folder (run catfish compare first)")
    for name in NEEDED:
        if not (folder / name).is_file():
            raise ReportError(f"{folder / name}: missing; is this a catfish compare folder?")
    if not any((folder / name).is_file() for name in BAND_SOURCES):
        raise ReportError(f"{folder / BAND_SOURCES[0]}: missing; is this a catfish compare "
                          "folder?")
    try:
        summary = pd.read_parquet(folder / "summary.parquet")
        band_table = _read_bands(folder)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{folder}: a result file cannot be read "
                          f"({type(exc).__name__}: {str(exc)[:120]})") from None
    required = {"mix", "label_en", "label_zh", "target_met_prob", "transformed_by_deadline_mean"}
    if summary.empty or not required <= set(summary.columns):
        raise ReportError(f"{folder / 'summary.parquet'}: not a comparison summary (needs "
                          f"columns {', '.join(sorted(required))})")
    try:
        robust = report_robust.load(folder, manifest)
    except (OSError, ValueError, KeyError) as exc:
        raise ReportError(f"{folder}: the analysis across worlds cannot be read "
                          f"({type(exc).__name__}: {str(exc)[:120]})") from None
    return Results(folder, summary, band_table, manifest, robust)


def _read_bands(folder: Path) -> pd.DataFrame:
    """The monthly bands the charts draw: ``bands.parquet``, or made from the time series.

    Folders written before ``bands.parquet`` existed have the whole time series instead; only
    the columns drawn are read.
    """
    if (folder / "bands.parquet").is_file():
        return pd.read_parquet(folder / "bands.parquet")
    path = folder / "timeseries.parquet"
    present = set(pq.read_schema(path).names)
    counted = "n_counted" if "n_counted" in present else "n_transformed"
    series = pd.read_parquet(path, columns=["mix", "month", "date", counted, "spent_total_rmb"])
    return pd.concat([bands(series, counted).assign(column="n_counted"),
                      bands(series, "spent_total_rmb").assign(column="spent_total_rmb")],
                     ignore_index=True)


# a line break in a YAML folded block becomes a space, which Chinese does not put between
# characters: drop whitespace that follows a CJK character or full-width punctuation
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+")


def _zh_text(text: str) -> str:
    return _CJK_SPACE.sub("", text).strip()


# --- numbers in words -------------------------------------------------------------------------

def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else probability(x, 0, percent=True)


def _rmb(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:,.0f}"


def _extra_cost(row: Any, lang: str) -> str:
    cost = float(row.cost_per_additional_rmb) if pd.notna(row.cost_per_additional_rmb) \
        else math.nan
    if math.isfinite(cost) and cost < 0:
        return say(TEXT, lang, "saves_money")
    if not math.isfinite(cost):
        return say(TEXT, lang, "no_extra_firms")
    return say(TEXT, lang, "rmb", value=_rmb(cost))


def mix_rows(results: Results, lang: str) -> list[dict[str, Any]]:
    """The headline table: one row per mix, every number formatted."""
    rows = []
    for s in results.summary.itertuples(index=False):
        is_ref = s.mix == results.reference
        rows.append({
            "mix": s.mix, "label": getattr(s, f"label_{lang}"), "reference": is_ref,
            "transformed": f"{s.transformed_by_deadline_mean:,.0f}",
            "spread": f"{s.transformed_by_deadline_p05:,.0f}–{s.transformed_by_deadline_p95:,.0f}",
            "probability": _pct(s.target_met_prob),
            "probability_ci": f"{_pct(s.target_met_prob_lo)}–{_pct(s.target_met_prob_hi)}",
            "per_firm": _rmb(s.cost_per_transformed_rmb),
            "per_extra_firm": say(TEXT, lang, "reference") if is_ref else _extra_cost(s, lang),
            "difference": "" if is_ref else
            f"{s.diff_transformed_mean:+,.0f} ({s.diff_transformed_lo:+,.0f} … "
            f"{s.diff_transformed_hi:+,.0f})",
        })
    return rows


def best_mix(results: Results) -> pd.Series:
    """The mix most likely to reach the target (then the most firms); the reference on a tie."""
    summary = results.summary
    top = summary[summary["target_met_prob"] == summary["target_met_prob"].max()]
    if results.reference in set(top["mix"]):
        return top[top["mix"] == results.reference].iloc[0]
    return top.sort_values("transformed_by_deadline_mean", ascending=False).iloc[0]


def headline(results: Results, lang: str) -> str:
    """The headline, led by the robust finding when the comparison ran across worlds.

    Across worlds (``report_robust.headline``): which mix holds up in how many worlds, its
    regret, its chance of the target, when another wins, what to measure first. With
    ``--fixed``: the mix most likely to reach the target, how likely, at what cost per firm
    and per additional firm, then the cheapest mix that is almost as sure, if there is one,
    after a warning that the intervals hold chance only.

    A difference from the reference whose 95 % interval includes 0 is said to be within
    chance, and no cost per additional firm is quoted for it.
    """
    first = results.summary.iloc[0]
    if results.robust is not None:
        return report_robust.headline(
            results.robust, _labels(results, lang), target=int(first.target_firms),
            deadline=str(first.deadline), lang=lang)
    return say(TEXT, lang, "warned", warning=say(ROBUST_TEXT, lang, "fixed_warning"),
               headline=fixed_headline(results, lang))


def _labels(results: Results, lang: str) -> dict[str, str]:
    return dict(zip(results.summary["mix"], results.summary[f"label_{lang}"], strict=True))


def fixed_headline(results: Results, lang: str) -> str:
    """The headline of a comparison without worlds (see :func:`headline`)."""
    summary = results.summary
    best = best_mix(results)
    first = summary.iloc[0]
    sentence = say(
        TEXT, lang, "headline",
        mix=best[f"label_{lang}"], probability=_pct(best.target_met_prob),
        lo=_pct(best.target_met_prob_lo), hi=_pct(best.target_met_prob_hi),
        target=int(first.target_firms), deadline=first.deadline,
        mean=f"{best.transformed_by_deadline_mean:,.0f}",
        per_firm=_rmb(best.cost_per_transformed_rmb))
    if best.mix == results.reference:
        sentence += say(TEXT, lang, "headline_reference")
    else:
        reference = summary[summary["mix"] == results.reference].iloc[0]
        resolved = not best.diff_transformed_lo <= 0 <= best.diff_transformed_hi
        sentence += say(
            TEXT, lang, "headline_against" if resolved else "headline_within_chance",
            reference=reference[f"label_{lang}"],
            difference=f"{best.diff_transformed_mean:+,.0f}",
            lo=f"{best.diff_transformed_lo:+,.0f}", hi=f"{best.diff_transformed_hi:+,.0f}",
            cost=_extra_cost(best, lang))
    cheaper = cheapest_likely_mix(results)
    if cheaper is not None:
        sentence += say(
            TEXT, lang, "headline_cheaper",
            mix=cheaper[f"label_{lang}"], probability=_pct(cheaper.target_met_prob),
            likely=_pct(LIKELY), per_firm=_rmb(cheaper.cost_per_transformed_rmb),
            best_per_firm=_rmb(best.cost_per_transformed_rmb), best=best[f"label_{lang}"])
    return sentence


def cheapest_likely_mix(results: Results) -> pd.Series | None:
    """The cheapest mix per transformed firm among those at least ``LIKELY`` to succeed.

    None unless it is cheaper per firm than the best mix (:func:`best_mix`).

    Officials weigh the surest mix against a cheaper one that is almost as sure; naming it in
    the headline keeps that trade-off on the first line.
    """
    best = best_mix(results)
    likely = results.summary[(results.summary["target_met_prob"] >= LIKELY)
                             & results.summary["cost_per_transformed_rmb"].notna()]
    if likely.empty:
        return None
    cheapest = likely.sort_values("cost_per_transformed_rmb").iloc[0]
    if not cheapest.cost_per_transformed_rmb < best.cost_per_transformed_rmb:
        return None
    return cheapest


# --- charts -----------------------------------------------------------------------------------

def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    charts.plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def figures(results: Results, lang: str) -> dict[str, str]:
    """Every chart of the report as a PNG data URI, labelled in ``lang``."""
    found = _figures(results, lang)
    if results.robust is not None:
        view = results.robust
        about = view.result.value_of_information.set_index("parameter")
        robust = robust_charts.comparison_figures(
            view.result, view.worlds, mix_labels=_labels(results, lang),
            parameter_labels={p: robust_charts.labelled(str(a[f"label_{lang}"]), str(a["unit"]),
                                                        lang) for p, a in about.iterrows()},
            target=int(results.summary.iloc[0].target_firms), lang=lang)
        found.update(spread=_png(robust["spread_over_worlds.png"]),
                     flip_map=_png(robust["flip_map.png"]))
    return found


def _figures(results: Results, lang: str) -> dict[str, str]:
    summary = results.summary
    counted = _band(results.bands, "n_counted")
    labels = dict(zip(summary["mix"], summary[f"label_{lang}"], strict=True))
    first = summary.iloc[0]
    deadline_month = int(counted.loc[counted["date"] == first.deadline, "month"].min()) \
        if (counted["date"] == first.deadline).any() else int(counted["month"].max())
    budgets = dict(zip(summary["mix"], summary["budget_rmb"].astype(float), strict=True))
    replicates = int(first.replicates)
    return {
        "over_time": _png(charts.transformed_over_time(
            counted, labels=labels, target=int(first.target_firms),
            deadline_month=deadline_month, replicates=replicates, lang=lang)),
        "probability": _png(charts.target_probability(
            summary, target=int(first.target_firms), deadline=first.deadline, lang=lang)),
        "cost": _png(charts.cost_effectiveness(summary, reference=results.reference,
                                               lang=lang)),
        "failures": _png(report_charts.failures_by_stage(summary, labels=labels, lang=lang)),
        "budget": _png(report_charts.budget_over_time(
            _band(results.bands, "spent_total_rmb"), budgets=budgets, labels=labels,
            deadline_month=deadline_month, lang=lang)),
    }


def _band(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """One column's bands (mix, month, date, mean, lo, hi), mixes in their order."""
    return table[table["column"] == column].drop(columns="column").reset_index(drop=True)


# --- assumptions, fit, details ------------------------------------------------------------------

def assumptions(results: Results, scenario: Scenario | None, lang: str) -> dict[str, Any]:
    """The main assumptions: the behaviour's origin, its parameters, the scenario's sources."""
    worlds = results.robust is not None
    parameter_set = scenario.behaviour.parameter_set if scenario else "?"
    return {
        "behaviour": say(TEXT, lang, "behaviour_" + ("calibrated" if parameter_set == "calibrated"
                                                     else "default")),
        "uncertainty": say(TEXT, lang, "with_worlds" if worlds else "without_worlds"),
        "parameters": parameter_rows(read_assumptions(results.folder)["parameters"], lang),
        "sources": [{"document": s.document,
                     "note": _zh_text(s.note_zh or s.note) if lang == "zh" else s.note}
                    for s in scenario.sources] if scenario else [],
    }


def parameter_rows(table: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    """The kept parameter table (``experiments.runs.kept_inputs.parameter_table``) for people.

    Each row: its label (codebook), the value, where that value comes from, the plausible
    range and the range's source.

    Calibrated values come first: they are what the pilot data pinned down; the rest keep
    documented defaults (or the scenario's overrides).
    """
    rows = []
    for row in table:
        origin = str(row.get("origin", "default"))
        if origin not in ("override", "calibrated", "default"):
            continue
        value, low, high = row.get("value"), row.get("low"), row.get("high")
        rows.append({
            "name": row.get("name", ""), "label": parameter_label(str(row.get("name")), lang),
            "origin_key": origin, "origin": say(TEXT, lang, "origin_" + origin),
            "value": f"{value:.3g}" if isinstance(value, int | float) else str(value),
            "range": f"{low:g}–{high:g}" if low is not None and high is not None else "",
            "source": (row.get("source_zh") or row.get("source", "")) if lang == "zh"
            else row.get("source", ""),
        })
    order = {"override": 0, "calibrated": 1, "default": 2}
    return sorted(rows, key=lambda row: order[row["origin_key"]])


def model_fit(results: Results, lang: str) -> dict[str, list[dict[str, Any]]]:
    """The calibration's checks the run's parameters came from: fitted figures and hold-outs."""
    rows: dict[str, list[dict[str, Any]]] = {"fitted": [], "holdout": []}
    for row in read_assumptions(results.folder)["fit"]:
        try:
            low, high = float(row["low"]), float(row["high"])
            lo90, hi90 = float(row["lo90"]), float(row["hi90"])
        except (KeyError, TypeError, ValueError):
            continue
        lo50, hi50, percentile = row.get("lo50"), row.get("hi50"), row.get("percentile")
        rows.setdefault(str(row.get("role", "fitted")), []).append({
            "figure": row.get("quote", "") if lang == "zh" else
            f"{row.get('place', '')}, {row.get('date', '')}: "
            f"{str(row.get('name', '')).replace('_', ' ')}",
            "quote": "" if lang == "zh" else row.get("quote", ""),
            "source": row.get("source", ""), "unit": row.get("unit", ""),
            "observed": f"{low:g}" if low == high else f"{low:g}–{high:g}",
            "predicted50": f"{lo50:.3g}–{hi50:.3g}"
            if isinstance(lo50, int | float) and isinstance(hi50, int | float) else "",
            "predicted": f"{lo90:.3g}–{hi90:.3g}",
            "percentile": f"{percentile:.0f}" if isinstance(percentile, int | float) else "",
            "in50": bool(row.get("in50")),
            "within": bool(row.get("in90")),
        })
    return rows if any(rows.values()) else {}


def details(results: Results, scenario: Scenario | None, lang: str) -> dict[str, Any]:
    """The scenario and the mixes as the comparison ran them."""
    manifest = results.manifest
    mixes = [{"label": m.get("labels", {}).get(lang, m.get("name")), "name": m.get("name"),
              "mode": say(TEXT, lang, f"mode_{m.get('mode')}")
              if has(TEXT, lang, f"mode_{m.get('mode')}") else m.get("mode"),
              "instruments": _instruments(m, lang),
              "budget": _rmb(float(m.get("budget_rmb", math.nan)))}
             for m in manifest.get("mixes", [])]
    seeds = manifest.get("seeds", {})
    info: dict[str, Any] = {"mixes": mixes, "replicates": manifest.get("replicates"),
                            "seeds": seeds, "started": manifest.get("started"),
                            "git": manifest.get("git", {}), "comparison":
                            manifest.get("comparison", {}).get("name")}
    if scenario is not None:
        info.update({
            "name": scenario.name, "label": getattr(scenario.labels, lang),
            "description": _zh_text(scenario.description_zh or scenario.description)
            if lang == "zh" else scenario.description, "smes": f"{scenario.cluster.smes.count:,}",
            "start": scenario.calendar.start, "deadline": scenario.calendar.deadline,
            "target": f"{scenario.target.firms:,}",
            "budget": _rmb(scenario.budget.total_rmb),
            "sectors": ", ".join(s.labels.zh if lang == "zh" and s.labels else s.name
                                 for s in scenario.cluster.smes.sectors),
        })
    return info


def _instruments(mix: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """A mix's instruments, each named from the codebook, with its parameters.

    A manifest written before instruments were recorded gives its one-line description.
    """
    if "instruments" not in mix:
        return [{"label": "", "parameters": mix.get("policies", "")}]
    return [{"label": instrument_label(i["instrument"], lang),
             "parameters": ", ".join(f"{k}={v}" for k, v in i["parameters"].items())}
            for i in mix["instruments"]]


# --- the page -----------------------------------------------------------------------------------

def _environment() -> Environment:
    return Environment(loader=PackageLoader("catfish.experiments.outputs", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def render(results: Results, lang: str = "zh") -> str:
    """The report as one HTML string (``lang``: ``"zh"`` or ``"en"``).

    Where Chinese is asked for but no CJK font exists, the charts fall back to English (with
    a warning) and the page says so; the page's own text stays Chinese (the browser has fonts).
    """
    chart_lang = use_language(lang)
    scenario = read_scenario(results.folder)
    return _environment().get_template("report.html.j2").render(
        lang=lang, t=Words(TEXT, lang), r=Words(ROBUST_TEXT, lang),
        title=_comparison_label(results, lang),
        headline=headline(results, lang), mixes=mix_rows(results, lang),
        figures=figures(results, chart_lang), charts_in_english=chart_lang != lang,
        robust=robust_context(results, lang),
        assumptions=assumptions(results, scenario, lang), fit=model_fit(results, lang),
        details=details(results, scenario, lang))


def robust_context(results: Results, lang: str) -> dict[str, Any] | None:
    """The report's sections on the worlds: tables, flips, what to measure, what is known."""
    view = results.robust
    if view is None:
        return None
    labels = _labels(results, lang)
    return {"n": view.n, "words": report_robust.objective_words(view, lang),
            "rows": report_robust.robust_rows(view, labels),
            "flips": report_robust.flip_rows(view, labels, lang),
            "measure": report_robust.measure_rows(view, lang),
            "drivers": report_robust.driver_rows(view, lang),
            "best": labels.get(view.result.best, view.result.best),
            "pinned": report_robust.pinned(view, lang)}


def _comparison_label(results: Results, lang: str) -> str:
    labels = results.manifest.get("comparison", {}).get("labels", {})
    return labels.get(lang) or results.manifest.get("comparison", {}).get("name", "")


def write_report(folder: str | Path | Results, *, lang: str = "zh",
                 out: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write the report of the comparison in ``folder`` (default: ``folder/report.html``).

    ``folder`` may also be the :class:`Results` already loaded from it. A report written into
    the results folder is listed in its manifest as one of Catfish's files.

    Raises:
        ReportError: The folder is not a comparison's results folder.
        OutputError: The report's file exists (and ``overwrite`` is false) or cannot be
            written there.
    """
    results = folder if isinstance(folder, Results) else load_results(folder)
    path = check_target(out if out is not None else results.folder / REPORT_FILE,
                        overwrite=overwrite, option="--out" if out is not None else None)
    html = render(results, lang)
    if path.resolve().parent == results.folder.resolve():
        claim(results.folder, [path.name])
    write_atomic(path, lambda f: f.write_text(html, encoding="utf-8"))
    return path

