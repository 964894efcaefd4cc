"""Firm-level benefit calculator: what a light and a deep project are worth to one firm.

For one firm under a scenario's policy mix, with that support and without any, it reports the
risk-adjusted and the plain expected NPV of each kind of project, whether the firm can finance
it, its payback and the probability that it fails before acceptance (``catfish firm``,
``docs/firm.md``).

It has no rule of its own: it builds the scenario's ``ClusterModel`` and asks it
(``ClusterModel.appraise``) to open one month (the instruments set their levers and announce
their support), put the firm in place of one of its firms and say what its own rules make of
it: ``sim.projects.value_projects`` (the economic decision) and
``sim.projects.stage_failure_probs`` (the stage failure rule), with the firm's cost and benefit
from ``sim.population.project_economics``. Only the payback (own outlay / annual benefit) and
the chance of failing in any of the three stages are arithmetic on the model's numbers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from catfish.agents.sme import DEEP, LIGHT, choose_kind
from catfish.experiments.outputs.words import say
from catfish.scenarios import Scenario
from catfish.sim.calendar import MONTH_PATTERN, calendar, month_index
from catfish.sim.model import Appraisal, ClusterModel
from catfish.sim.population import project_economics

SEED = 1  # the model's population is only a backdrop: the firm's numbers do not depend on it
KINDS = ("light", "deep")
SUPPORTS = ("scenario", "none")
COLUMNS = ("kind", "support", "risk_adjusted_npv_rmb", "expected_npv_rmb", "affordable",
           "worth_undertaking", "payback_years", "failure_prob", "perceived_failure_prob",
           "cost_rmb", "support_at_start_rmb", "support_on_acceptance_rmb", "own_outlay_rmb",
           "annual_benefit_rmb")


MAX_RMB = 1e12  # a trillion RMB: far beyond any SME, and NPVs stay finite numbers
# what each number may be: money from 1 RMB (0 for cash) to MAX_RMB, indices 0-1; at these
# ends every NPV, payback and probability the calculator reports is a finite number
LIMITS = {"revenue_rmb": (1.0, MAX_RMB), "light_cost_rmb": (1.0, MAX_RMB),
          "deep_cost_rmb": (1.0, MAX_RMB), "cash_rmb": (0.0, MAX_RMB),
          "credit_access": (0.0, 1.0), "talent": (0.0, 1.0), "infrastructure": (0.0, 1.0)}


class FirmError(ValueError):
    """An input of the calculator out of range: ``field = value: rule`` on one line.

    Attributes:
        field: The input's name (a field of :class:`Firm`, or ``month``).
        value: The value given.
        rule: What is allowed.
    """

    def __init__(self, field: str, value: object, rule: str) -> None:
        super().__init__(f"{field} = {value!r}: {rule}")
        self.field, self.value, self.rule = field, value, rule


@dataclass(frozen=True)
class Firm:
    """One firm's inputs; ``None`` takes the scenario's typical firm's value.

    Money is given in RMB from 1 (cash: 0) to 1e12 (``LIMITS``).

    Attributes:
        sector: One of the scenario's sectors (default: its first).
        revenue_rmb: Annual revenue, RMB (default: the cluster's median).
        light_cost_rmb: Cost of a light project, RMB (default: from revenue, as in the model).
        deep_cost_rmb: Cost of a deep project, RMB (likewise).
        cash_rmb: Cash the firm can put into a project, RMB (default: ``cash_months`` of
            revenue, the mean in the model).
        credit_access: Credit access, 0-1 (default: the cluster's mean).
        talent: Digital talent, 0-1 (default: the cluster's mean).
        infrastructure: Infrastructure readiness, 0-1 (default: the cluster's mean).
    """

    sector: str | None = None
    revenue_rmb: float | None = None
    light_cost_rmb: float | None = None
    deep_cost_rmb: float | None = None
    cash_rmb: float | None = None
    credit_access: float | None = None
    talent: float | None = None
    infrastructure: float | None = None

    def check(self, scenario: Scenario) -> None:
        """Raise :class:`FirmError` for the first input out of range."""
        sectors = [x.name for x in scenario.cluster.smes.sectors]
        if self.sector is not None and self.sector not in sectors:
            raise FirmError("sector", self.sector, f"not a sector of {scenario.name} "
                                                   f"(sectors: {', '.join(sectors)})")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) \
                    or not math.isfinite(value):
                raise FirmError(name, value, "must be a finite number")
            if not low <= value <= high:
                raise FirmError(name, value, f"must be between {_number(low)} and "
                                             f"{_number(high)}")

    def resolved(self, scenario: Scenario) -> Firm:
        """The inputs with every default filled in from the scenario (costs from revenue)."""
        self.check(scenario)
        p = scenario.model_params()
        revenue = p.revenue_median_rmb if self.revenue_rmb is None else float(self.revenue_rmb)
        cost, _ = project_economics(p, np.array([revenue]))
        typical = {
            "sector": p.sector_names[0], "revenue_rmb": revenue,
            "light_cost_rmb": float(cost[LIGHT, 0]), "deep_cost_rmb": float(cost[DEEP, 0]),
            "cash_rmb": revenue * p.cash_months / 12, "credit_access": p.credit_access_mean,
            "talent": p.talent_mean, "infrastructure": p.infrastructure_mean}
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        numbers = {k: float(v) for k, v in given.items() if v is not None and k != "sector"}
        return replace(self, **{**typical, **numbers,
                                "sector": self.sector or typical["sector"]})


def evaluate(scenario: Scenario, firm: Firm | None = None, *, month: str | None = None,
             seed: int = SEED) -> pd.DataFrame:
    """What a light and a deep project are worth to ``firm``, with and without the support.

    Args:
        scenario: The scenario whose cluster parameters and policy mix apply.
        firm: The firm (default: the scenario's typical firm, every input at its default).
        month: Calendar month ``YYYY-MM`` whose support counts (default: the scenario's first).
        seed: Seed of the backdrop model (the firm's numbers do not depend on it).

    Returns:
        One row per kind (light, deep) and support (``scenario``: the scenario's policy mix;
        ``none``: no instrument), with the columns of ``COLUMNS``: NPVs and money in RMB
        (``annual_benefit_rmb`` a year), payback in years, probabilities 0-1, flags as bool.
        ``df.attrs["firm"]`` holds the inputs with defaults filled in, ``df.attrs["month"]``
        the month.

    Raises:
        FirmError: An input is out of range or ``month`` is outside the scenario's months.
    """
    firm = (firm or Firm()).resolved(scenario)
    month = checked_month(scenario, month)
    rows = []
    for support in SUPPORTS:
        rows += _rows(scenario, firm, month, support, seed)
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df.attrs["firm"] = {f.name: getattr(firm, f.name) for f in fields(firm)}
    df.attrs["month"] = month
    return df


def checked_month(scenario: Scenario, month: str | None) -> str:
    """``month``, or the scenario's first if None; :class:`FirmError` if not one of its months."""
    months = calendar(scenario.calendar.start, scenario.calendar.months)
    if month is None:
        return months[0]
    if not (isinstance(month, str) and re.match(MONTH_PATTERN, month) and month in months):
        raise FirmError("month", month, f"must be a month of the scenario, {months[0]} to "
                                        f"{months[-1]} (YYYY-MM)")
    return month


def firm_model(scenario: Scenario, firm: Firm | None = None, *, month: str | None = None,
               support: bool = True, seed: int = SEED) -> tuple[ClusterModel, int]:
    """The scenario's model in ``month``, with ``firm`` in place of one of its firms.

    The model's own :meth:`ClusterModel.appraise` opens the month (levers set, support
    announced) with the budget untouched and puts the firm in place: held out of that month's
    rationed selections (diagnosis, training, a lead firm's platform), willing, with no peer
    outcomes seen, no lost orders and the median hurdle (0).

    Args:
        scenario: The scenario.
        firm: The firm (defaults filled in from the scenario).
        month: Calendar month ``YYYY-MM`` (default: the scenario's first).
        support: With the scenario's policy mix (True) or none (False).
        seed: Seed of the model.

    Returns:
        ``(model, index)``: the model and the firm's index in it.
    """
    model, appraisal = _appraised(scenario, firm, month, support, seed)
    return model, appraisal.index


def _appraised(scenario: Scenario, firm: Firm | None, month: str | None, support: bool,
               seed: int) -> tuple[ClusterModel, Appraisal]:
    """The scenario's model (with its policy mix or none) and its appraisal of ``firm``."""
    firm = (firm or Firm()).resolved(scenario)
    month = checked_month(scenario, month)
    params, instruments = scenario.model_inputs()
    model = ClusterModel(params, rng=seed, policies=instruments if support else [])
    appraisal = model.appraise(
        month_index(params.start_month, month), sector=firm.sector, revenue=firm.revenue_rmb,
        cash=firm.cash_rmb, credit_access=firm.credit_access, talent=firm.talent,
        infrastructure=firm.infrastructure, cost=(firm.light_cost_rmb, firm.deep_cost_rmb))
    return model, appraisal


def _rows(scenario: Scenario, firm: Firm, month: str, support: str, seed: int) -> list[dict]:
    # a project with an average provider: mean quality, a generalist's fit (the defaults)
    _, appraisal = _appraised(scenario, firm, month, support == "scenario", seed)
    valued, plain = appraisal.valuation, appraisal.expected
    at_start = np.broadcast_to(valued.grant_at_start, valued.cost.shape)
    on_acceptance = np.broadcast_to(valued.grant_on_acceptance, valued.cost.shape)
    outlay = np.maximum(valued.cost - at_start, 0.0)
    fails = 1.0 - np.prod(1.0 - appraisal.stage_failure, axis=1)
    return [{
        "kind": kind, "support": support,
        "risk_adjusted_npv_rmb": float(valued.value[k, 0]),
        "expected_npv_rmb": float(plain.value[k, 0]),
        "affordable": bool(valued.affordable[k, 0]),
        "worth_undertaking": bool(valued.go[k, 0]),
        "payback_years": float(outlay[k, 0] / valued.benefit[k, 0]),
        "failure_prob": float(fails[k]),
        "perceived_failure_prob": float(valued.failure_belief[k, 0]),
        "cost_rmb": float(valued.cost[k, 0]),
        "support_at_start_rmb": float(at_start[k, 0]),
        "support_on_acceptance_rmb": float(on_acceptance[k, 0]),
        "own_outlay_rmb": float(outlay[k, 0]),
        "annual_benefit_rmb": float(valued.benefit[k, 0]),
    } for k, kind in enumerate(KINDS)]


# --- the printed table --------------------------------------------------------------------
# its words, read through experiments.outputs.words.say; "choose_*" by chosen_kind's 0, 1, 2
CHOICES = ("choose_none", "choose_light", "choose_deep")
TEXT = {
    "en": {
        "risk_adjusted_npv_rmb": "Risk-adjusted expected NPV (RMB)",
        "expected_npv_rmb": "Expected NPV (RMB)",
        "affordable": "Can finance it",
        "worth_undertaking": "Worth undertaking (median hurdle)",
        "payback_years": "Payback of own outlay (years)",
        "failure_prob": "Fails before acceptance (average provider)",
        "perceived_failure_prob": "Failure risk the firm perceives",
        "cost_rmb": "Project cost (RMB)",
        "support_at_start_rmb": "Support at start (RMB)",
        "support_on_acceptance_rmb": "Support on acceptance (RMB)",
        "own_outlay_rmb": "Own outlay (RMB)",
        "annual_benefit_rmb": "Annual benefit (RMB a year)",
        "light": "Light", "deep": "Deep", "scenario": "with support", "none": "no support",
        "choose_none": "no project", "choose_light": "a light project",
        "choose_deep": "a deep project",
        "column": "{kind}, {support}",
        "yes": "yes", "no": "no",
        "title": "Benefit of digital transformation for one firm",
        "firm": ("Firm: {sector}, revenue {revenue} RMB a year, cash {cash} RMB, credit access "
                 "{credit:.2f}, digital talent {talent:.2f}, infrastructure {infra:.2f}"),
        "mix": "Policy mix: {label}, support in force in {month} (budget not yet spent)",
        "choice": "The firm would choose (the model's rule): {scenario} with support, {none} "
                  "without",
        "notes": ("NPV over {years:.1f} years at {rate:.0%}, with the firm's prior beliefs (no "
                  "peer outcomes seen); payback = own outlay after up-front support / annual "
                  "benefit."),
    },
    "zh": {
        "risk_adjusted_npv_rmb": "风险调整后预期净现值（元）",
        "expected_npv_rmb": "预期净现值（元）",
        "affordable": "能否筹足资金",
        "worth_undertaking": "是否值得实施（中位门槛）",
        "payback_years": "自付投资回收期（年）",
        "failure_prob": "验收前失败概率（一般服务商）",
        "perceived_failure_prob": "企业感知的失败风险",
        "cost_rmb": "项目成本（元）",
        "support_at_start_rmb": "启动时补助（元）",
        "support_on_acceptance_rmb": "验收后补助（元）",
        "own_outlay_rmb": "企业自付（元）",
        "annual_benefit_rmb": "年收益（元/年）",
        "light": "小快轻准", "deep": "深度改造", "scenario": "有政策支持", "none": "无支持",
        "choose_none": "不实施", "choose_light": "小快轻准项目", "choose_deep": "深度改造项目",
        "column": "{kind}（{support}）",
        "yes": "是", "no": "否",
        "title": "企业数字化转型经济效益测算",
        "firm": ("企业：{sector}，年营业收入 {revenue} 元，可用资金 {cash} 元，融资可得性 "
                 "{credit:.2f}，数字人才 {talent:.2f}，基础设施 {infra:.2f}"),
        "mix": "政策组合：{label}，{month} 生效的支持（预算尚未用完）",
        "choice": "按模型的决策规则，企业会选择：有政策支持时{scenario}，无支持时{none}",
        "notes": ("净现值按 {years:.1f} 年、折现率 {rate:.0%} 计，企业采用先验判断（尚未看到同行"
                  "结果）；回收期 = 扣除启动时补助后的自付金额 / 年收益。"),
    },
}


@dataclass(frozen=True)
class Sheet:
    """The calculator's result in words: what :func:`table` and :func:`markdown` lay out."""

    head: list[str]  # title, the firm, the policy mix
    header: list[str]  # "" then one column per kind and support
    body: list[list[str]]  # one row per measure: its label, then one cell per column
    choice: str  # what the firm would choose by the model's rule
    notes: str  # what the numbers assume


def sheet(df: pd.DataFrame, scenario: Scenario, *, lang: str = "en") -> Sheet:
    """The result of :func:`evaluate` for ``scenario``, labelled and formatted in ``lang``."""
    firm = df.attrs["firm"]
    sector = next(x for x in scenario.cluster.smes.sectors if x.name == firm["sector"])
    sector_label = getattr(sector.labels, lang) if sector.labels else sector.name
    p = scenario.model_params()
    head = [
        say(TEXT, lang, "title"),
        say(TEXT, lang, "firm", sector=sector_label, revenue=f"{firm['revenue_rmb']:,.0f}",
            cash=f"{firm['cash_rmb']:,.0f}", credit=firm["credit_access"],
            talent=firm["talent"], infra=firm["infrastructure"]),
        say(TEXT, lang, "mix", label=getattr(scenario.labels, lang), month=df.attrs["month"]),
    ]
    order = [(kind, support) for kind in KINDS for support in SUPPORTS]
    cells = {(row.kind, row.support): row for row in df.itertuples(index=False)}
    header = [""] + [say(TEXT, lang, "column", kind=say(TEXT, lang, kind),
                         support=say(TEXT, lang, support)) for kind, support in order]
    body = [[say(TEXT, lang, column)] + [_cell(getattr(cells[key], column), column, lang)
                                         for key in order] for column in COLUMNS[2:]]
    choice = say(TEXT, lang, "choice", **{
        support: say(TEXT, lang, CHOICES[chosen_kind(df, support)]) for support in SUPPORTS})
    notes = say(TEXT, lang, "notes", years=p.horizon_years, rate=p.discount_rate)
    return Sheet(head, header, body, choice, notes)


def table(df: pd.DataFrame, scenario: Scenario, *, lang: str = "en") -> str:
    """The calculator's result as a plain-text table in ``lang`` (``en`` or ``zh``).

    Args:
        df: The result of :func:`evaluate` for ``scenario``.
        scenario: The scenario evaluated.
        lang: Language of the labels.

    Returns:
        Lines: the firm, the policy mix, one row per measure and one column per kind and
        support, and a note on what the numbers assume.
    """
    s = sheet(df, scenario, lang=lang)
    rows = [s.header, *s.body]
    widths = [max(_width(line[j]) for line in rows) for j in range(len(s.header))]
    lines = ["  ".join(_pad(text, w, left=j == 0) for j, (text, w) in
                       enumerate(zip(line, widths, strict=True))).rstrip()
             for line in rows]
    return "\n".join([*s.head, "", *lines, "", s.choice, s.notes])


def markdown(df: pd.DataFrame, scenario: Scenario, *, lang: str = "en") -> str:
    """The same result as Markdown: a table with a right-aligned column per option."""
    s = sheet(df, scenario, lang=lang)
    escape = str.maketrans({"|": "\\|", "*": "\\*", "_": "\\_"})

    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cell.translate(escape) for cell in cells) + " |"

    separator = "|:---|" + "---:|" * (len(s.header) - 1)
    grid = "\n".join([row(s.header), separator, *map(row, s.body)])
    return "\n\n".join([f"**{s.head[0]}**", *s.head[1:], grid, s.choice, f"*{s.notes}*"])


def chosen_kind(df: pd.DataFrame, support: str) -> int:
    """The kind the firm would take under ``support`` by the model's rule: 0 none, 1, 2."""
    rows = df[df["support"] == support].set_index("kind")
    value, go = rows["risk_adjusted_npv_rmb"], rows["worth_undertaking"]
    return int(choose_kind(np.array([value["light"]]), np.array([value["deep"]]),
                           np.array([go["light"]]), np.array([go["deep"]]))[0])


def _cell(value: object, column: str, lang: str) -> str:
    if isinstance(value, (bool, np.bool_)):
        return say(TEXT, lang, "yes" if value else "no")
    if column.endswith("_rmb"):
        return f"{value:,.0f}"
    if column.endswith("_years"):
        return f"{value:.1f}"
    return f"{value:.1%}"


def _number(value: float) -> str:
    """``1e12`` rather than ``1e+12``; ``0`` and ``1`` as such."""
    return f"{value:g}".replace("e+", "e")


def _width(text: str) -> int:
    """Columns a string takes in a terminal (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    space = " " * (width - _width(text))
    return text + space if left else space + text
