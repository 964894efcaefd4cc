"""What ``catfish app`` shows, without a browser: levers, the model factory and the charts.

``experiments/app.py`` puts these into Mesa's SolaraViz; everything here runs (and is tested)
without solara. A scenario's *levers* are the main parameters of its own instruments (a
grant's share and cap, diagnoses a month, exchange sessions a quarter, ...) and its budget.
:class:`AppModel` is the scenario's ``ClusterModel`` with lever values applied through
``scenarios.factors.apply_factors``, so a value is checked exactly like a scenario file.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

import scenarios
from agents.sme import TRANSFORMED
from experiments.charts import OKABE_ITO, STATE_COLUMNS
from scenarios import Scenario, ScenarioError
from scenarios.factors import apply_factors
from sim import codebook
from sim.calendar import calendar
from sim.model import ClusterModel

DEFAULT_SCENARIO = "jieyang-city-2023"
SCENARIO_ENV = "CATFISH_APP_SCENARIO"  # how `catfish app` tells the app which scenario to show

# (instrument, parameter) -> (label, slider maximum, step, scenario units per slider unit);
# a maximum of 1 or less is the parameter's own limit (a share), any other is raised to twice
# the scenario's value when that is larger
LEVER_CATALOGUE: dict[tuple[str, str], tuple[str, float, float, float]] = {
    ("grant", "share"): ("Grant: share of project cost", 1.0, 0.05, 1.0),
    ("grant", "cap_rmb"): ("Grant: cap per project (k RMB)", 1000, 10, 1e3),
    ("diagnosis", "firms_per_month"): ("Diagnosis: firms per month", 200, 5, 1.0),
    ("exchange_sessions", "sessions_per_quarter"): ("Exchange sessions per quarter", 30, 1, 1.0),
    ("interest_subsidy", "share"): ("Interest subsidy: share of interest", 0.5, 0.05, 1.0),
    ("service_voucher", "vouchers"): ("Service vouchers (number)", 2000, 50, 1.0),
    ("accompaniment", "projects_per_month"): ("Accompaniment: projects per month", 100, 1, 1.0),
    ("talent_training", "seats_per_month"): ("Talent training: seats per month", 100, 1, 1.0),
    ("showcase", "projects"): ("Showcase: projects", 100, 1, 1.0),
    ("risk_sharing_fund", "share"): ("Risk sharing: share of outlay reimbursed", 1.0, 0.05, 1.0),
    ("instalment_financing", "share"): ("Instalments: share of cost paid in instalments",
                                        1.0, 0.05, 1.0),
    ("chain_leader_programme", "per_month"): ("Chain leaders: suppliers per lead firm a month",
                                              50, 1, 1.0),
}
BUDGET = ("Budget (M RMB)", 200, 1, 1e6)  # yearly limits are scaled alike
SEED_SLIDER = {"type": "SliderInt", "label": "Seed", "value": 1, "min": 1, "max": 20, "step": 1}

MARKET_COLOURS = (("Transformed SMEs", OKABE_ITO["green"]),
                  ("Other SMEs", OKABE_ITO["grey"]),
                  ("Lead firms and central factories", OKABE_ITO["orange"]))


@dataclasses.dataclass(frozen=True)
class Lever:
    """One slider: a parameter of the scenario, in the slider's units.

    Attributes:
        name: Keyword of :class:`AppModel` and of the slider, e.g. ``grant_share``.
        path: Factor path into the scenario, e.g. ``policies[0].share``.
        label: What the slider is labelled.
        value: The scenario's own value, in slider units.
        high: Slider maximum (the minimum is 0), in slider units.
        step: Slider step.
        scale: Scenario units per slider unit (1e6: the slider is in M RMB).
        integer: The scenario's parameter is a whole number.
    """

    name: str
    path: str
    label: str
    value: float
    high: float
    step: float
    scale: float
    integer: bool

    def to_scenario(self, value: float) -> int | float:
        """The scenario's value for slider value ``value``."""
        scaled = float(value) * self.scale
        return int(round(scaled)) if self.integer else scaled

    def slider(self) -> dict[str, Any]:
        """The lever as an entry of SolaraViz's ``model_params`` (Mesa 3.3 and 3.5)."""
        whole = self.integer or (float(self.step).is_integer() and float(self.value).is_integer())
        kind = "SliderInt" if whole else "SliderFloat"
        cast = int if whole else float
        return {"type": kind, "label": self.label, "value": cast(self.value), "min": cast(0),
                "max": cast(self.high), "step": cast(self.step)}


def levers(scenario: Scenario) -> list[Lever]:
    """The scenario's levers: its instruments' main parameters (in mix order), then its budget.

    An instrument appearing twice (two showcases) gets ``_2`` in its lever's name and ``#2``
    in its label. A slider reaches at least twice the scenario's value, a share at most its
    limit.
    """
    out: list[Lever] = []
    seen: dict[str, int] = {}
    instances = scenario.instruments()
    for i, spec in enumerate(scenario.policies):
        name = spec.instrument
        seen[name] = seen.get(name, 0) + 1
        for (instrument, param), (label, high, step, scale) in LEVER_CATALOGUE.items():
            if instrument != name:
                continue
            suffix = f"_{seen[name]}" if seen[name] > 1 else ""
            if suffix:
                head, _, tail = label.partition(":")
                label = f"{head} #{seen[name]}:{tail}" if tail else f"{label} #{seen[name]}"
            given = getattr(instances[i], param)
            value = given / scale
            out.append(Lever(f"{name}_{param}{suffix}", f"policies[{i}].{param}", label,
                             _rounded(value, step), _high(high, value, step), step, scale,
                             isinstance(given, int)))
    label, high, step, scale = BUDGET
    value = scenario.budget.total_rmb / scale
    out.append(Lever("budget_total", "budget.total_rmb", label, _rounded(value, step),
                     _high(high, value, step), step, scale, False))
    return out


def _rounded(value: float, step: float) -> float:
    return round(value, max(0, -math.floor(math.log10(step))) + 2)


def _high(high: float, value: float, step: float) -> float:
    return high if high <= 1 else max(high, math.ceil(2 * value / step) * step)


def scenario_with(base: Scenario, values: Mapping[str, float]) -> Scenario:
    """``base`` with lever values (slider units, by lever name), checked like a scenario file.

    A changed budget total scales the budget's yearly limits by the same factor, so that the
    money can be spent.

    Raises:
        ScenarioError: A name that is not one of the scenario's levers, or a value the
            scenario does not accept (one line, naming the path).
    """
    by_name = {lever.name: lever for lever in levers(base)}
    factors: dict[str, Any] = {}
    for name, value in values.items():
        if name not in by_name:
            raise ScenarioError(f"{name}: not a lever of {base.name} "
                                f"(levers: {', '.join(by_name)})")
        factors[by_name[name].path] = by_name[name].to_scenario(value)
    scenario = apply_factors(base, factors) if factors else base
    total = factors.get("budget.total_rmb")
    if total is not None and base.budget.per_year_rmb and base.budget.total_rmb > 0 \
            and total != base.budget.total_rmb:
        data = scenario.model_dump()
        scale = total / base.budget.total_rmb
        data["budget"]["per_year_rmb"] = {year: amount * scale for year, amount
                                          in base.budget.per_year_rmb.items()}
        scenario = scenarios.parse(data, f"{base.name} with budget.total_rmb = {total:g}")
    return scenario


def model_params(scenario: Scenario) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the scenario (fixed), a seed slider and the levers."""
    return {"base": scenario, "seed": dict(SEED_SLIDER),
            **{lever.name: lever.slider() for lever in levers(scenario)}}


class AppModel(ClusterModel):
    """The scenario's ``ClusterModel`` with the app's lever values applied.

    SolaraViz rebuilds the model as ``AppModel(**slider values)`` when Reset is pressed.

    Args:
        base: The scenario (or a shipped scenario's name or a file); default
            ``jieyang-city-2023``.
        seed: Seed of the run.
        scenario: Ignored: Mesa >= 3.5 passes its own ``mesa.experimental.scenarios.Scenario``
            when it rebuilds a model. The Catfish scenario is ``base``.
        **kwargs: Lever values by lever name (see :func:`levers`), in slider units.

    Raises:
        ScenarioError: An unknown lever or a value the scenario does not accept.
    """

    def __init__(self, base: Scenario | str | None = None, *, seed: int = 1,
                 scenario: Any = None, **kwargs: float) -> None:
        self.base_scenario = base if isinstance(base, Scenario) \
            else scenarios.load(base or DEFAULT_SCENARIO)
        self.applied_scenario = scenario_with(self.base_scenario, kwargs)
        self.lever_values = dict(kwargs)
        params, instruments = self.applied_scenario.model_inputs()
        super().__init__(params, rng=int(seed), policies=instruments)
        self.dates = calendar(params.start_month, params.months)


# --- charts --------------------------------------------------------------------------------

def _collected(model: ClusterModel) -> dict[str, np.ndarray]:
    """The data collector's columns so far, as arrays of the months every column has.

    SolaraViz may draw (with "Use Threads") while a step is collecting, when the first
    columns already have this month and the last do not yet.
    """
    columns = dict(model.datacollector.model_vars)
    n = min((len(values) for values in columns.values()), default=0)
    return {name: np.asarray(values[:n], dtype=float) for name, values in columns.items()}


def _month_axis(ax: Any, model: ClusterModel) -> None:
    p = model.params
    dates = calendar(p.start_month, p.months)
    ticks = list(range(1, p.months + 1, max(1, p.months // 6)))
    ax.set_xticks(ticks, [dates[t - 1] for t in ticks])
    ax.set_xlim(0, p.months)
    ax.set_xlabel("Month")
    if p.deadline_month:
        ax.axvline(p.deadline_month, color=OKABE_ITO["black"], linestyle=":", linewidth=1)


def _waiting(ax: Any) -> None:
    ax.text(0.5, 0.5, "Press Step or ▶ to run the model", transform=ax.transAxes,
            ha="center", va="center", color=OKABE_ITO["grey"])


def state_figure(model: ClusterModel) -> Figure:
    """Firms in each state month by month (stacked), with the target and the deadline."""
    p, data = model.params, _collected(model)
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    months = np.arange(1, len(data.get("n_transformed", [])) + 1)
    if len(months):
        ax.stackplot(months, *[data[col] for col, _ in STATE_COLUMNS],
                     labels=[codebook.label(col) for col, _ in STATE_COLUMNS],
                     colors=[colour for _, colour in STATE_COLUMNS], alpha=0.9)
        done = int(data["n_transformed"][-1])
        title = (f"Firms by state: {done:,} of {p.n_smes:,} transformed by "
                 f"{calendar(p.start_month, p.months)[len(months) - 1]}")
    else:
        _waiting(ax)
        title = f"Firms by state ({p.n_smes:,} SMEs)"
    if p.target_firms:
        ax.axhline(p.target_firms, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
        ax.annotate(f"Target {p.target_firms:,}", (0, p.target_firms), xytext=(4, 3),
                    textcoords="offset points", fontsize=8)
    _month_axis(ax, model)
    ax.set_ylim(0, p.n_smes)
    ax.set_ylabel("Firms")
    ax.set_title(title, fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles[::-1], labels[::-1], loc="upper left", fontsize=7, frameon=False)
    return fig


def budget_figure(model: ClusterModel) -> Figure:
    """Public money spent so far, stacked by instrument, against the budget (M RMB)."""
    p, data = model.params, _collected(model)
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    accounts = [c for c in data if c.startswith("spent_") and c != "spent_total_rmb"]
    months = np.arange(1, len(data.get("spent_total_rmb", [])) + 1)
    if len(months) and accounts:
        colours = [OKABE_ITO[c] for c in ("blue", "orange", "sky", "green", "vermillion",
                                          "purple", "yellow", "grey", "black")]
        ax.stackplot(months, *[data[c] / 1e6 for c in accounts],
                     labels=[c.removeprefix("spent_").removesuffix("_rmb").replace("_", " ")
                             for c in accounts],
                     colors=[colours[i % len(colours)] for i in range(len(accounts))],
                     alpha=0.9)
    if len(months):
        spent = data["spent_total_rmb"][-1] / 1e6
        title = (f"{codebook.label('spent_total_rmb')}: {spent:,.1f} of "
                 f"{p.budget_rmb / 1e6:,.1f} M RMB")
    else:
        _waiting(ax)
        title = f"{codebook.label('spent_total_rmb')} (budget {p.budget_rmb / 1e6:,.1f} M RMB)"
    ax.axhline(p.budget_rmb / 1e6, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
    _month_axis(ax, model)
    ax.set_ylim(0, max(p.budget_rmb / 1e6 * 1.05, 1.0))
    ax.set_ylabel("M RMB")
    ax.set_title(title, fontsize=10)
    if accounts and len(months):
        ax.legend(loc="upper left", fontsize=7, frameon=False)
    return fig


def market_shares(model: ClusterModel) -> np.ndarray:
    """Each sector's orders held by transformed SMEs, other SMEs and lead firms (shares).

    Returns:
        Array (sectors, 3), rows summing to 1: transformed SMEs, other SMEs, lead firms
        (with their central factories) this month.
    """
    s, n_sectors = model.smes, len(model.params.sector_names)
    growth = (1 + model.params.demand_growth_per_year) ** (model.month / 12)
    total = model.base_demand * growth
    done = s.state == TRANSFORMED
    transformed = np.bincount(s.sector[done], weights=s.revenue[done], minlength=n_sectors)
    others = np.bincount(s.sector[~done], weights=s.revenue[~done], minlength=n_sectors)
    leads = np.clip(total - transformed - others, 0.0, None)
    held = np.column_stack([transformed, others, leads])
    return held / np.maximum(held.sum(axis=1, keepdims=True), 1e-12)


def market_figure(model: AppModel | ClusterModel) -> Figure:
    """Each sector's market: orders held by transformed SMEs, other SMEs and lead firms."""
    shares = market_shares(model)
    names = list(model.params.sector_names)
    scenario = getattr(model, "applied_scenario", None)
    if scenario is not None:
        names = [x.labels.en if x.labels else x.name for x in scenario.cluster.smes.sectors]
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    left = np.zeros(len(names))
    for j, (label, colour) in enumerate(MARKET_COLOURS):
        ax.barh(y, shares[:, j], left=left, color=colour, label=label, height=0.6)
        for k in np.flatnonzero(shares[:, j] >= 0.06):
            ax.text(left[k] + shares[k, j] / 2, y[k], f"{shares[k, j]:.0%}", ha="center",
                    va="center", fontsize=8, color="white")
        left += shares[:, j]
    ax.set_yticks(y, names)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of the sector's orders")
    when = model.dates[model.month - 1] if model.month and hasattr(model, "dates") \
        else f"month {model.month}"
    ax.set_title(f"Market: who holds the orders ({when})", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=7,
              frameon=False)
    return fig


def firm_benefit(scenario: Scenario, sector: str | None = None,
                 revenue_rmb: float | None = None) -> str:
    """``catfish firm``'s table for a firm of ``sector`` and ``revenue_rmb`` (English).

    Returns:
        The table as text, or the one-line problem with the inputs.
    """
    from experiments.firm import Firm, FirmError, evaluate, table

    try:
        result = evaluate(scenario, Firm(sector=sector, revenue_rmb=revenue_rmb))
    except FirmError as exc:
        return str(exc)
    return table(result, scenario, lang="en")
