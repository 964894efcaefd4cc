"""What ``catfish app`` shows, without a browser: levers, the model factory and the charts.

``experiments/explore/app.py`` puts these into Mesa's SolaraViz; everything here runs (and is
tested) without solara. A scenario's *levers* are the main parameters of its own instruments (a
grant's share and cap, diagnoses a month, exchange sessions a quarter, ...) and its budget.
:class:`AppModel` is the scenario's ``ClusterModel`` with lever values applied through
``scenarios.factors.apply_factors``, so a value is checked exactly like a scenario file. The
words of the charts, the sliders and the page are ``TEXT`` (English and Chinese), read through
``experiments.outputs.words.say``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from catfish.agents.sme import TRANSFORMED
from catfish.experiments.outputs.charts import OKABE_ITO, STATE_COLUMNS
from catfish.experiments.outputs.words import say
from catfish.scenarios import Scenario, ScenarioError
from catfish.scenarios.factors import apply_factors
from catfish.sim import codebook
from catfish.sim.calendar import calendar
from catfish.sim.model import ClusterModel
from matplotlib.figure import Figure

from catfish import scenarios

DEFAULT_SCENARIO = "jieyang-city-2023"
SCENARIO_ENV = "CATFISH_APP_SCENARIO"  # how `catfish app` tells the app which scenario to show

LANG_ENV = "CATFISH_APP_LANG"  # and in which language (en or zh)

# (instrument, parameter) -> (slider maximum, step, scenario units per slider unit); the
# slider's label is TEXT's "lever_<instrument>_<parameter>". A maximum of 1 or less is the
# parameter's own limit (a share), any other is raised to twice the scenario's value when that
# is larger
LEVER_CATALOGUE: dict[tuple[str, str], tuple[float, float, float]] = {
    ("grant", "share"): (1.0, 0.05, 1.0),
    ("grant", "cap_rmb"): (1000, 10, 1e3),
    ("diagnosis", "firms_per_month"): (200, 5, 1.0),
    ("exchange_sessions", "sessions_per_quarter"): (30, 1, 1.0),
    ("interest_subsidy", "share"): (0.5, 0.05, 1.0),
    ("service_voucher", "vouchers"): (2000, 50, 1.0),
    ("accompaniment", "projects_per_month"): (100, 1, 1.0),
    ("talent_training", "seats_per_month"): (100, 1, 1.0),
    ("showcase", "projects"): (100, 1, 1.0),
    ("risk_sharing_fund", "share"): (1.0, 0.05, 1.0),
    ("instalment_financing", "share"): (1.0, 0.05, 1.0),
    ("chain_leader_programme", "per_month"): (50, 1, 1.0),
}
BUDGET = (200, 1, 1e6)  # the budget's slider (M RMB), TEXT's "lever_budget"; yearly limits alike

# the app's own words; every column and instrument label comes from the codebook
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "state_done": "{date}: {done:,} of {smes:,} firms transformed, {counted:,} counted",
        "state_waiting": "Firms by state ({smes:,} SMEs)",
        "target": "Target {target:,}", "month": "Month", "firms": "Firms",
        "waiting": "Press Step or ▶ to run the model",
        "spent_done": "{label}: {spent:,.1f} of {budget:,.1f} M RMB",
        "spent_waiting": "{label} (budget {budget:,.1f} M RMB)", "m_rmb": "M RMB",
        "market": "Market: who holds the orders ({when})", "month_n": "month {n}",
        "start": "at the start",
        "market_x": "Share of the sector's orders",
        "transformed_smes": "Transformed SMEs", "other_smes": "Other SMEs",
        "lead_firms": "Lead firms and central factories",
        # sliders
        "seed": "Seed",
        "lever_grant_share": "Grant: share of project cost",
        "lever_grant_cap_rmb": "Grant: cap per project (k RMB)",
        "lever_diagnosis_firms_per_month": "Diagnosis: firms per month",
        "lever_exchange_sessions_sessions_per_quarter": "Exchange sessions per quarter",
        "lever_interest_subsidy_share": "Interest subsidy: share of interest",
        "lever_service_voucher_vouchers": "Service vouchers (number)",
        "lever_accompaniment_projects_per_month": "Accompaniment: projects per month",
        "lever_talent_training_seats_per_month": "Talent training: seats per month",
        "lever_showcase_projects": "Showcase: projects",
        "lever_risk_sharing_fund_share": "Risk sharing: share of outlay reimbursed",
        "lever_instalment_financing_share": "Instalments: share of cost paid in instalments",
        "lever_chain_leader_programme_per_month": "Chain leaders: suppliers per lead firm a month",
        "lever_budget": "Budget (M RMB)",
        # the page (experiments/explore/app.py)
        "page_state": "**Firms by state**, {scenario}, seed {seed}: {levers}. Move a slider, "
                      "then press **Reset** to rebuild the model with it.",
        "page_own_mix": "the scenario's own policy mix",
        "page_firm": "**What a project is worth to one firm** (`catfish firm`)",
        "page_sector": "Sector", "page_revenue": "Revenue (M RMB a year)",
    },
    "zh": {
        "state_done": "截至{date}：{smes:,}家中{done:,}家完成转型，{counted:,}家计入目标",
        "state_waiting": "各状态企业数（{smes:,}家中小企业）",
        "target": "目标 {target:,}", "month": "月份", "firms": "企业数（家）",
        "waiting": "点击 Step 或 ▶ 运行模型",
        "spent_done": "{label}：已支出{spent:,.1f}百万元，预算{budget:,.1f}百万元",
        "spent_waiting": "{label}（预算{budget:,.1f}百万元）", "m_rmb": "百万元",
        "market": "市场：各方所占订单（{when}）", "month_n": "第{n}个月",
        "start": "起始时",
        "market_x": "占本行业订单的比例",
        "transformed_smes": "已转型中小企业", "other_smes": "其他中小企业",
        "lead_firms": "龙头企业及中央工厂",
        # sliders
        "seed": "随机种子",
        "lever_grant_share": "项目补助：占项目成本比例",
        "lever_grant_cap_rmb": "项目补助：每个项目上限（千元）",
        "lever_diagnosis_firms_per_month": "诊断：每月企业数",
        "lever_exchange_sessions_sessions_per_quarter": "交流会：每季度场次",
        "lever_interest_subsidy_share": "贷款贴息：贴息比例",
        "lever_service_voucher_vouchers": "服务券：张数",
        "lever_accompaniment_projects_per_month": "全程陪跑：每月项目数",
        "lever_talent_training_seats_per_month": "人才培训：每月名额",
        "lever_showcase_projects": "样板项目：项目数",
        "lever_risk_sharing_fund_share": "风险共担：失败损失补偿比例",
        "lever_instalment_financing_share": "分期付款：分期支付的成本比例",
        "lever_chain_leader_programme_per_month": "链主带动：每家链主每月带动供应商数",
        "lever_budget": "预算（百万元）",
        # the page (experiments/explore/app.py)
        "page_state": "**各状态企业数**，{scenario}，随机种子 {seed}：{levers}。拖动滑块后点击 "
                      "**Reset** 按新取值重建模型。",
        "page_own_mix": "情景自身的政策组合",
        "page_firm": "**项目对一家企业的价值**（`catfish firm`）",
        "page_sector": "行业", "page_revenue": "年营业收入（百万元）",
    },
}
MARKET_COLOURS = (("transformed_smes", OKABE_ITO["green"]),
                  ("other_smes", OKABE_ITO["grey"]),
                  ("lead_firms", OKABE_ITO["orange"]))


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


def levers(scenario: Scenario, lang: str = "en") -> list[Lever]:
    """The scenario's levers: its instruments' main parameters (in mix order), then its budget.

    An instrument appearing twice (two showcases) gets ``_2`` in its lever's name and ``#2``
    in its label. A slider reaches at least twice the scenario's value, a share at most its
    limit. Labels are in ``lang`` (``en`` or ``zh``); names do not depend on it.
    """
    out: list[Lever] = []
    seen: dict[str, int] = {}
    instances = scenario.instruments()
    for i, spec in enumerate(scenario.policies):
        name = spec.instrument
        seen[name] = seen.get(name, 0) + 1
        for (instrument, param), (high, step, scale) in LEVER_CATALOGUE.items():
            if instrument != name:
                continue
            label = say(TEXT, lang, f"lever_{instrument}_{param}")
            suffix = f"_{seen[name]}" if seen[name] > 1 else ""
            if suffix:
                label = _numbered(label, seen[name])
            given = getattr(instances[i], param)
            value = given / scale
            out.append(Lever(f"{name}_{param}{suffix}", f"policies[{i}].{param}", label,
                             _rounded(value, step), _high(high, value, step), step, scale,
                             isinstance(given, int)))
    high, step, scale = BUDGET
    label = say(TEXT, lang, "lever_budget")
    value = scenario.budget.total_rmb / scale
    out.append(Lever("budget_total", "budget.total_rmb", label, _rounded(value, step),
                     _high(high, value, step), step, scale, False))
    return out


def _numbered(label: str, n: int) -> str:
    """"Showcase #2: projects" from "Showcase: projects" (a Chinese label's colon likewise)."""
    for colon in (":", "："):
        head, found, tail = label.partition(colon)
        if found:
            return f"{head} #{n}{colon}{tail}"
    return f"{label} #{n}"


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


def model_params(scenario: Scenario, lang: str = "en") -> dict[str, Any]:
    """SolaraViz's ``model_params``: the scenario (fixed), a seed slider and the levers."""
    seed = {"type": "SliderInt", "label": say(TEXT, lang, "seed"), "value": 1, "min": 1, "max": 20,
            "step": 1}
    return {"base": scenario, "seed": seed,
            **{lever.name: lever.slider() for lever in levers(scenario, lang)}}


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

# SolaraViz gives each chart a grid cell about 400 px high; a figure scaled to the cell's
# width must stay shorter than that or it runs into the chart below
FIGSIZE = (7.5, 3.4)
# outside the axes, so the legend never hides a stack or a line
LEGEND_RIGHT = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 7,
                "frameon": False}


def _collected(model: ClusterModel) -> dict[str, np.ndarray]:
    """The data collector's columns so far, as arrays of the months every column has.

    SolaraViz may draw (with "Use Threads") while a step is collecting, when the first
    columns already have this month and the last do not yet.
    """
    columns = dict(model.datacollector.model_vars)
    n = min((len(values) for values in columns.values()), default=0)
    return {name: np.asarray(values[:n], dtype=float) for name, values in columns.items()}


def _month_axis(ax: Any, model: ClusterModel, lang: str) -> None:
    p = model.params
    dates = calendar(p.start_month, p.months)
    ticks = list(range(1, p.months + 1, max(1, p.months // 6)))
    ax.set_xticks(ticks, [dates[t - 1] for t in ticks])
    ax.set_xlim(0, p.months)
    ax.set_xlabel(say(TEXT, lang, "month"))
    if p.deadline_month:
        ax.axvline(p.deadline_month, color=OKABE_ITO["black"], linestyle=":", linewidth=1)


def _waiting(ax: Any, lang: str) -> None:
    ax.text(0.5, 0.5, say(TEXT, lang, "waiting"), transform=ax.transAxes, ha="center", va="center",
            color=OKABE_ITO["grey"])


def state_figure(model: ClusterModel, lang: str = "en") -> Figure:
    """Firms in each state month by month (stacked), with the target and the deadline."""
    p, data = model.params, _collected(model)
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.subplots()
    months = np.arange(1, len(data.get("n_transformed", [])) + 1)
    if len(months):
        ax.stackplot(months, *[data[col] for col, _ in STATE_COLUMNS],
                     labels=[codebook.label(col, lang) for col, _ in STATE_COLUMNS],
                     colors=[colour for _, colour in STATE_COLUMNS], alpha=0.9)
        # the target is judged on the firms the city counted, not on every transformed firm
        # (those transformed before the pilot or before its acceptance started do not count)
        ax.plot(months, data["n_counted"], color=OKABE_ITO["black"], linewidth=1.5,
                label=codebook.label("n_counted", lang))
        title = say(
            TEXT, lang, "state_done", done=int(data["n_transformed"][-1]), smes=p.n_smes,
            counted=int(data["n_counted"][-1]),
            date=calendar(p.start_month, p.months)[len(months) - 1])
    else:
        _waiting(ax, lang)
        title = say(TEXT, lang, "state_waiting", smes=p.n_smes)
    if p.target_firms:
        ax.axhline(p.target_firms, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
        ax.annotate(say(TEXT, lang, "target", target=p.target_firms), (0, p.target_firms),
                    xytext=(4, 3), textcoords="offset points", fontsize=8)
    _month_axis(ax, model, lang)
    ax.set_ylim(0, p.n_smes)
    ax.set_ylabel(say(TEXT, lang, "firms"))
    ax.set_title(title, fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles[::-1], labels[::-1], **LEGEND_RIGHT)
    return fig


def budget_figure(model: ClusterModel, lang: str = "en") -> Figure:
    """Public money spent so far, stacked by instrument, against the budget (M RMB)."""
    p, data = model.params, _collected(model)
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.subplots()
    accounts = [c for c in data if c.startswith("spent_") and c != "spent_total_rmb"]
    months = np.arange(1, len(data.get("spent_total_rmb", [])) + 1)
    if len(months) and accounts:
        colours = [OKABE_ITO[c] for c in ("blue", "orange", "sky", "green", "vermillion",
                                          "purple", "yellow", "grey", "black")]
        ax.stackplot(months, *[data[c] / 1e6 for c in accounts],
                     labels=[codebook.instrument_label(
                         c.removeprefix("spent_").removesuffix("_rmb"), lang) for c in accounts],
                     colors=[colours[i % len(colours)] for i in range(len(accounts))],
                     alpha=0.9)
    label, budget = codebook.label("spent_total_rmb", lang), p.budget_rmb / 1e6
    if len(months):
        title = say(TEXT, lang, "spent_done", label=label, budget=budget,
                    spent=data["spent_total_rmb"][-1] / 1e6)
    else:
        _waiting(ax, lang)
        title = say(TEXT, lang, "spent_waiting", label=label, budget=budget)
    ax.axhline(budget, color=OKABE_ITO["black"], linestyle="--", linewidth=1)
    _month_axis(ax, model, lang)
    ax.set_ylim(0, max(budget * 1.05, 1.0))
    ax.set_ylabel(say(TEXT, lang, "m_rmb"))
    ax.set_title(title, fontsize=10)
    if accounts and len(months):
        ax.legend(**LEGEND_RIGHT)
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


def market_figure(model: AppModel | ClusterModel, lang: str = "en") -> Figure:
    """Each sector's market: orders held by transformed SMEs, other SMEs and lead firms."""
    shares = market_shares(model)
    names = list(model.params.sector_names)
    scenario = getattr(model, "applied_scenario", None)
    if scenario is not None:
        names = [getattr(x.labels, lang) if x.labels else x.name
                 for x in scenario.cluster.smes.sectors]
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    left = np.zeros(len(names))
    for j, (key, colour) in enumerate(MARKET_COLOURS):
        ax.barh(y, shares[:, j], left=left, color=colour, label=say(TEXT, lang, key), height=0.6)
        for k in np.flatnonzero(shares[:, j] >= 0.06):
            ax.text(left[k] + shares[k, j] / 2, y[k], f"{shares[k, j]:.0%}", ha="center",
                    va="center", fontsize=8, color="white")
        left += shares[:, j]
    ax.set_yticks(y, names)
    ax.set_xlim(0, 1)
    ax.set_xlabel(say(TEXT, lang, "market_x"))
    when = (say(TEXT, lang, "start") if not model.month
            else model.dates[model.month - 1] if hasattr(model, "dates")
            else say(TEXT, lang, "month_n", n=model.month))
    ax.set_title(say(TEXT, lang, "market", when=when), fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=7,
              frameon=False)
    return fig


def firm_benefit(scenario: Scenario, sector: str | None = None,
                 revenue_rmb: float | None = None, lang: str = "en") -> str:
    """``catfish firm``'s result for a firm of ``sector`` and ``revenue_rmb``, in ``lang``.

    Returns:
        The result as Markdown (a table), or the one-line problem with the inputs.
    """
    from catfish.experiments.explore.firm import Firm, FirmError, evaluate, markdown

    try:
        result = evaluate(scenario, Firm(sector=sector, revenue_rmb=revenue_rmb))
    except FirmError as exc:
        return str(exc)
    return markdown(result, scenario, lang=lang)
