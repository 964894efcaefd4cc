"""One self-contained HTML report of a policy comparison, for officials (Chinese by default).

``write_report(results_dir)`` reads what ``catfish compare`` wrote (summary, time series,
manifest) and writes one HTML file: the headline (which mix reaches the target with what
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

import scenarios
from calibration.data import targets
from calibration.posterior import POSTERIORS
from experiments import charts, report_charts
from experiments.compare import BASE, bands
from experiments.files import write_atomic
from experiments.fonts import use_language
from experiments.report_text import TEXT
from scenarios.schema import Scenario

REPORT_FILE = "report.html"
NEEDED = ("summary.parquet", "timeseries.parquet", "manifest.json")
PPC_FILE = POSTERIORS / "default_ppc.csv"


class ReportError(ValueError):
    """Results a report cannot be made from; the message is one line."""


@dataclass(frozen=True)
class Results:
    """What ``catfish compare`` wrote into a folder."""

    folder: Path
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    manifest: dict[str, Any]

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
    try:
        summary = pd.read_parquet(folder / "summary.parquet")
        timeseries = pd.read_parquet(folder / "timeseries.parquet")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{folder}: a result file cannot be read "
                          f"({type(exc).__name__}: {str(exc)[:120]})") from None
    required = {"mix", "label_en", "label_zh", "target_met_prob", "transformed_by_deadline_mean"}
    if summary.empty or not required <= set(summary.columns):
        raise ReportError(f"{folder / 'summary.parquet'}: not a comparison summary (needs "
                          f"columns {', '.join(sorted(required))})")
    return Results(folder, summary, timeseries, manifest)


def _base_scenario(results: Results) -> Scenario | None:
    """The comparison's base scenario, from its recorded path or its shipped name."""
    base = results.manifest.get("base", {})
    for candidate in (base.get("path"), base.get("name")):
        if candidate:
            try:
                return scenarios.load(candidate)
            except (scenarios.ScenarioError, OSError):
                continue
    return None


# --- numbers in words -------------------------------------------------------------------------

def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.0%}"


def _rmb(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:,.0f}"


def _extra_cost(row: Any, lang: str) -> str:
    text = TEXT[lang]
    cost = float(row.cost_per_additional_rmb) if pd.notna(row.cost_per_additional_rmb) \
        else math.nan
    if math.isfinite(cost) and cost < 0:
        return text["saves_money"]
    if not math.isfinite(cost):
        return text["no_extra_firms"]
    return text["rmb"].format(value=_rmb(cost))


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
            "per_extra_firm": TEXT[lang]["reference"] if is_ref else _extra_cost(s, lang),
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
    """One sentence: the mix most likely to reach the target, how likely, at what extra cost.

    A difference from the reference whose 95 % interval includes 0 is said to be within
    chance, and no cost per additional firm is quoted for it.
    """
    text = TEXT[lang]
    summary = results.summary
    best = best_mix(results)
    first = summary.iloc[0]
    sentence = text["headline"].format(
        mix=best[f"label_{lang}"], probability=_pct(best.target_met_prob),
        lo=_pct(best.target_met_prob_lo), hi=_pct(best.target_met_prob_hi),
        target=int(first.target_firms), deadline=first.deadline,
        mean=f"{best.transformed_by_deadline_mean:,.0f}")
    if best.mix == results.reference:
        return sentence + text["headline_reference"]
    reference = summary[summary["mix"] == results.reference].iloc[0]
    resolved = not best.diff_transformed_lo <= 0 <= best.diff_transformed_hi
    return sentence + text["headline_against" if resolved else "headline_within_chance"].format(
        reference=reference[f"label_{lang}"], difference=f"{best.diff_transformed_mean:+,.0f}",
        lo=f"{best.diff_transformed_lo:+,.0f}", hi=f"{best.diff_transformed_hi:+,.0f}",
        cost=_extra_cost(best, lang))


# --- charts -----------------------------------------------------------------------------------

def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    charts.plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def figures(results: Results, lang: str) -> dict[str, str]:
    """Every chart of the report as a PNG data URI, labelled in ``lang``."""
    summary, timeseries = results.summary, results.timeseries
    labels = dict(zip(summary["mix"], summary[f"label_{lang}"], strict=True))
    first = summary.iloc[0]
    deadline_month = int(timeseries.loc[timeseries["date"] == first.deadline, "month"].min()) \
        if (timeseries["date"] == first.deadline).any() else int(timeseries["month"].max())
    budgets = dict(zip(summary["mix"], summary["budget_rmb"].astype(float), strict=True))
    replicates = int(first.replicates)
    return {
        "over_time": _png(charts.transformed_over_time(
            bands(timeseries), labels=labels, target=int(first.target_firms),
            deadline_month=deadline_month, replicates=replicates, lang=lang)),
        "probability": _png(charts.target_probability(
            summary, target=int(first.target_firms), deadline=first.deadline, lang=lang)),
        "cost": _png(charts.cost_effectiveness(summary, reference=results.reference,
                                               lang=lang)),
        "failures": _png(report_charts.failures_by_stage(summary, labels=labels, lang=lang)),
        "budget": _png(report_charts.budget_over_time(
            timeseries, budgets=budgets, labels=labels, deadline_month=deadline_month,
            lang=lang)),
    }


# --- assumptions, fit, details ------------------------------------------------------------------

def assumptions(results: Results, scenario: Scenario | None, lang: str) -> dict[str, Any]:
    """The main assumptions: where the behaviour comes from, and the scenario's sources."""
    text = TEXT[lang]
    posterior = results.manifest.get("posterior")
    parameter_set = scenario.behaviour.parameter_set if scenario else "?"
    return {
        "behaviour": text["behaviour_" + ("calibrated" if parameter_set == "calibrated"
                                          else "default")],
        "uncertainty": text["with_posterior"] if posterior else text["without_posterior"],
        "sources": [{"document": s.document, "note": s.note} for s in scenario.sources]
        if scenario else [],
        "overrides": sorted(scenario.behaviour.overrides.items()) if scenario else [],
    }


def model_fit(lang: str) -> list[dict[str, Any]]:
    """The shipped calibration's predictive check, one row per pilot figure."""
    if not PPC_FILE.is_file():
        return []
    table = pd.read_csv(PPC_FILE)
    facts = {f.name: f for f in targets()}
    rows = []
    for row in table.itertuples(index=False):
        fact = facts.get(row.target)
        if fact is None:
            continue
        low, high = fact.bounds
        observed = f"{low:g}" if low == high else f"{low:g}–{high:g}"
        rows.append({
            "figure": fact.source.quote if lang == "zh" else f"{fact.place}: {fact.name}",
            "source": fact.source.file, "unit": fact.unit, "observed": observed,
            "predicted": f"{row.lo90:.3g}–{row.hi90:.3g}",
            "within": bool(row.within_tolerance),
        })
    return rows


def details(results: Results, scenario: Scenario | None, lang: str) -> dict[str, Any]:
    """The scenario and the mixes as the comparison ran them."""
    manifest = results.manifest
    mixes = [{"label": m.get("labels", {}).get(lang, m.get("name")), "name": m.get("name"),
              "mode": m.get("mode"), "policies": m.get("policies", ""),
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
            "description": scenario.description, "smes": f"{scenario.cluster.smes.count:,}",
            "start": scenario.calendar.start, "deadline": scenario.calendar.deadline,
            "target": f"{scenario.target.firms:,}",
            "budget": _rmb(scenario.budget.total_rmb),
            "sectors": ", ".join(s.labels.zh if lang == "zh" and s.labels else s.name
                                 for s in scenario.cluster.smes.sectors),
        })
    return info


# --- the page -----------------------------------------------------------------------------------

def _environment() -> Environment:
    return Environment(loader=PackageLoader("experiments", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def render(results: Results, lang: str = "zh") -> str:
    """The report as one HTML string (``lang``: ``"zh"`` or ``"en"``).

    Where Chinese is asked for but no CJK font exists, the charts fall back to English (with
    a warning) and the page says so; the page's own text stays Chinese (the browser has fonts).
    """
    chart_lang = use_language(lang)
    scenario = _base_scenario(results)
    text = TEXT[lang]
    return _environment().get_template("report.html.j2").render(
        lang=lang, t=text, title=_comparison_label(results, lang),
        headline=headline(results, lang), mixes=mix_rows(results, lang),
        figures=figures(results, chart_lang), charts_in_english=chart_lang != lang,
        assumptions=assumptions(results, scenario, lang), fit=model_fit(lang),
        details=details(results, scenario, lang))


def _comparison_label(results: Results, lang: str) -> str:
    labels = results.manifest.get("comparison", {}).get("labels", {})
    return labels.get(lang) or results.manifest.get("comparison", {}).get("name", "")


def write_report(folder: str | Path, *, lang: str = "zh", out: str | Path | None = None) -> Path:
    """Write the report of the comparison in ``folder`` (default: ``folder/report.html``).

    Raises:
        ReportError: The folder is not a comparison's results folder.
    """
    results = load_results(folder)
    path = Path(out) if out is not None else results.folder / REPORT_FILE
    html = render(results, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda f: f.write_text(html, encoding="utf-8"))
    return path
