"""Every column Catfish writes: name, unit, English and Chinese label, meaning.

Charts and reports read labels from here, never hard-code them. Naming convention: ``n_*``
stocks at the end of the month, ``new_*`` flows during the month, ``cum_*`` cumulative flows,
``share_*`` shares of all SMEs, ``mean_*`` averages over SMEs, ``spent_*`` RMB paid so far.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class Column:
    """One documented column."""

    name: str
    unit: str
    en: str
    zh: str
    description: str
    table: str  # "timeseries" or "outcomes"


def _ts(name: str, unit: str, en: str, zh: str, description: str) -> Column:
    return Column(name, unit, en, zh, description, "timeseries")


def _out(name: str, unit: str, en: str, zh: str, description: str) -> Column:
    return Column(name, unit, en, zh, description, "outcomes")


TIMESERIES: tuple[Column, ...] = (
    _ts("month", "month", "Month", "月份", "Step number; month 1 is the scenario's start month."),
    _ts("date", "YYYY-MM", "Calendar month", "日历月份", "Calendar month of the step."),
    _ts("n_unaware", "firms", "Not (yet) willing", "尚无意愿", "Firms not willing to transform (unaware or gave up)."),
    _ts("n_willing", "firms", "Willing, deciding", "有意愿、在权衡", "Willing firms weighing a project (economic decision)."),
    _ts("n_queued", "firms", "Waiting for a provider", "等待服务商", "Firms that chose a project and wait for a provider's slot."),
    _ts("n_in_project", "firms", "In a project", "改造进行中", "Firms with a first project in the early, middle or late stage."),
    _ts("n_transformed", "firms", "Transformed (accepted)", "完成转型(已验收)", "Firms holding a project accepted on verified gains (lapsed firms excluded)."),
    _ts("n_failed", "firms", "Failed, cooling down", "转型失败", "Firms whose project failed or was rejected, before they reconsider."),
    _ts("n_lapsed", "firms", "Lapsed", "转型后闲置", "Transformed firms that abandoned their systems ('built in a gust, empty afterwards')."),
    _ts("n_counted", "firms", "Counted toward the target", "计入目标的转型企业", "Transformed firms that count toward the target under the acceptance rule (all of n_transformed unless the rule counts deep projects only)."),
    _ts("n_upgrading", "firms", "Upgrading light to deep", "由轻到深升级中", "Transformed firms running (or queued for) a deep project after a light one."),
    _ts("n_deep", "firms", "Transformed, deep", "深度转型", "Transformed firms whose accepted level is deep."),
    _ts("n_transformed_above_size", "firms", "Transformed, above designated size", "规上企业完成转型", "Transformed firms with revenue at or above above_size_revenue_rmb (规上企业, 20 M RMB)."),
    _ts("share_transformed", "share", "Share transformed", "转型企业占比", "n_transformed / number of SMEs."),
    _ts("new_willing", "firms/month", "Newly willing", "新增有意愿", "Firms that became willing this month."),
    _ts("new_queued", "firms/month", "Newly decided", "新增决定改造", "Firms that chose a project this month (first projects and upgrades)."),
    _ts("new_started", "firms/month", "Projects started", "新开工项目", "Projects that got a provider and started this month."),
    _ts("new_transformed", "firms/month", "Newly transformed", "新增完成转型", "First projects accepted this month."),
    _ts("new_upgraded", "firms/month", "Upgrades accepted", "新增深度升级", "Deep upgrades of light adopters accepted this month."),
    _ts("new_rejected", "projects/month", "Rejected at acceptance", "验收未通过", "Completed projects without verified gains (incl. hardware-only purchases)."),
    _ts("new_failed_early", "projects/month", "Failed in early stage", "前期失败", "Projects that failed in the early stage this month."),
    _ts("new_failed_middle", "projects/month", "Failed in middle stage", "中期失败", "Projects that failed in the middle stage this month."),
    _ts("new_failed_late", "projects/month", "Failed in late stage", "后期失败", "Projects that failed in the late stage this month."),
    _ts("new_lapsed", "firms/month", "Newly lapsed", "新增闲置", "Transformed firms that lapsed this month."),
    _ts("new_visits", "firm visits/month", "Demonstration visits", "示范参观", "Firm visits this month to central factories, exchange sessions and showcases (visitors are people; a visiting firm sends people_per_visiting_firm)."),
    _ts("cum_transformed", "firms", "Accepted first projects so far", "累计完成转型", "First projects accepted since the start (lapsed firms included)."),
    _ts("cum_failed", "projects", "Failed projects so far", "累计失败项目", "Projects failed in any stage since the start (rejections excluded)."),
    _ts("spent_total_rmb", "RMB", "Public money spent", "财政资金支出", "Paid by all policy instruments since the start."),
    _ts("budget_left_rmb", "RMB", "Budget left", "剩余预算", "Budget not yet spent."),
    _ts("mean_unit_cost", "index", "Mean unit cost of SMEs", "中小企业平均单位成本", "Average unit-cost index of SMEs (1 at the start)."),
    _ts("mean_lost_order_share", "share", "Mean share of orders lost", "平均订单流失比例", "Average share of starting revenue lost to rivals."),
    _ts("provider_queue", "firms", "Provider queue", "服务商排队", "Firms waiting for a provider's slot at the end of the month."),
    _ts("n_providers", "providers", "Active providers", "在位服务商", "Providers in the market."),
)

OUTCOMES: tuple[Column, ...] = (
    _out("seed", "-", "Seed", "随机种子", "Seed of the run."),
    _out("months", "months", "Months simulated", "模拟月数", "Length of the run."),
    _out("target_firms", "firms", "Target", "目标企业数", "Transformed firms aimed for by the deadline."),
    _out("transformed_by_deadline", "firms", "Firms transformed by the deadline", "截止时完成转型企业数", "n_counted at the deadline month (firms counted toward the target)."),
    _out("share_transformed_by_deadline", "share", "Share transformed by the deadline", "截止时转型占比", "transformed_by_deadline / number of SMEs."),
    _out("target_attainment", "share of target", "Target attainment", "目标完成率", "transformed_by_deadline / target_firms (NaN if the target is 0)."),
    _out("target_met", "0/1", "Target met", "是否达标", "1 if transformed_by_deadline >= target_firms."),
    _out("months_to_target", "months", "Months to target", "达标所需月数", "First month with n_counted >= target_firms (NaN if never within the run)."),
    _out("spent_by_deadline_rmb", "RMB", "Spent by the deadline", "截止时支出", "spent_total_rmb at the deadline month."),
    _out("spent_total_rmb", "RMB", "Spent in the run", "总支出", "spent_total_rmb at the end of the run."),
    _out("cost_per_transformed_rmb", "RMB/firm", "Cost per transformed firm", "每家转型企业成本", "spent_by_deadline_rmb / transformed_by_deadline (NaN if none)."),
    _out("failed_early", "projects", "Failures, early stage", "前期失败数", "Projects failed in the early stage by the deadline."),
    _out("failed_middle", "projects", "Failures, middle stage", "中期失败数", "Projects failed in the middle stage by the deadline."),
    _out("failed_late", "projects", "Failures, late stage", "后期失败数", "Projects failed in the late stage by the deadline."),
    _out("share_failures_early_middle", "share", "Share of failures in early+middle stages", "前中期失败占比", "(failed_early + failed_middle) / all stage failures (NaN if none); source 001: 90 %."),
    _out("rejected", "projects", "Rejected at acceptance", "验收未通过数", "Completed projects without verified gains, by the deadline."),
    _out("lapsed", "firms", "Lapses", "闲置数", "Transformed firms that lapsed, by the deadline."),
    _out("mean_payback_years", "years", "Realised mean payback", "实际平均回收期", "Mean of cost / realised annual benefit over accepted projects (before support); source 001: 4.2 years."),
    _out("mean_efficiency_gain_transformed", "share", "Efficiency gain of transformed firms", "转型企业平均效率提升", "Mean of 1 / unit cost - 1 over firms transformed at the end of the run (output per unit of cost); source 001: Sichuan +29 %."),
    _out("mean_revenue_gain_transformed", "share", "Revenue gain of transformed firms", "转型企业平均营收增长", "Mean of revenue / starting revenue - 1 (demand growth taken out) over firms transformed at the end of the run; source 001: Sichuan +4.3 %."),
)

ALL: tuple[Column, ...] = TIMESERIES + OUTCOMES


# names of the policy instruments in both languages, for their spending columns and charts
INSTRUMENT_LABELS: dict[str, tuple[str, str]] = {
    "grant": ("grant", "项目补助"),
    "service_voucher": ("service vouchers", "服务券"),
    "interest_subsidy": ("interest subsidy", "贷款贴息"),
    "risk_sharing_fund": ("risk-sharing fund", "风险共担基金"),
    "instalment_financing": ("instalment financing", "分期付款融资"),
    "diagnosis": ("diagnosis", "诊断"),
    "talent_training": ("talent training", "人才培训"),
    "accompaniment": ("accompaniment", "全程陪跑"),
    "showcase": ("showcases", "样板项目"),
    "central_factory": ("central factory", "中央工厂"),
    "exchange_sessions": ("exchange sessions", "交流会"),
    "provider_rating": ("provider rating", "服务商评价"),
    "chain_leader_programme": ("chain-leader programme", "链主带动"),
    "acceptance_rule": ("acceptance checks", "验收核查"),
}


# names of the behavioural parameters the report lists as its main assumptions (every
# calibration prior has one; tests check), in both languages
PARAMETER_LABELS: dict[str, tuple[str, str]] = {
    "promotion_per_year": ("Outside promotion (Bass p)", "外部宣传推动（Bass创新系数p）"),
    "peer_effect_per_year": ("Peer imitation (Bass q)", "同行示范效应（Bass模仿系数q）"),
    "visit_conversion_prob": ("Chance a first visit makes a firm willing",
                              "首次参观后产生转型意愿的概率"),
    "people_per_visiting_firm": ("Visitors a visiting firm sends", "每家参观企业的到场人数"),
    "revisit_conviction": ("How much a repeat visit persuades, against the last",
                           "再次参观的说服力（相对上一次）"),
    "competition_per_year": ("Pressure from lost orders", "订单流失带来的竞争压力"),
    "prior_benefit_belief": ("Share of the benefit firms expect at first",
                             "企业起初预期能得到的收益比例"),
    "prior_failure_belief": ("Failure risk firms fear at first", "企业起初担心的失败概率"),
    "prior_belief_weight": ("Weight of first beliefs (observations)", "初始判断的分量（相当于观察次数）"),
    "risk_aversion": ("Risk aversion", "风险规避程度"),
    "hurdle_sd": ("Spread of firms' required return", "企业要求回报的个体差异"),
    "horizon_years": ("Years over which firms count the benefit", "企业计算收益的年限"),
    "discount_rate": ("Firms' discount rate", "企业贴现率"),
    "light_failure_factor": ("Failure odds of light against deep projects",
                             "轻量项目相对深度项目的失败几率"),
    "talent_effect": ("Effect of digital talent on failure", "数字人才对失败率的影响"),
    "provider_quality_effect": ("Effect of provider quality on failure",
                                "服务商质量对失败率的影响"),
    "realised_gain_sd": ("Spread of realised gains", "实际收益的离散程度"),
    "lapse_per_year": ("Lapse rate after transformation", "转型后闲置的年发生率"),
    "retry_prob": ("Chance a failed firm tries again", "失败企业再次尝试的概率"),
    "cost_sensitivity": ("Orders' response to cost", "订单对成本的敏感度"),
    "quality_sensitivity": ("Orders' response to quality", "订单对质量的敏感度"),
    "light_cost_cut": ("Cost cut in the processes a light project changes",
                       "轻量项目所改造环节的成本降幅"),
    "deep_cost_cut": ("Cost cut in the processes a deep project changes",
                      "深度项目所改造环节的成本降幅"),
    "light_process_share": ("Share of costs in the processes a light project changes",
                            "轻量项目所改造环节占企业成本的比例"),
    "deep_process_share": ("Share of costs in the processes a deep project changes",
                           "深度项目所改造环节占企业成本的比例"),
    "early_failure_prob": ("Failure chance in a project's early stage", "项目前期失败概率"),
    "middle_failure_prob": ("Failure chance in a project's middle stage", "项目中期失败概率"),
    "late_failure_prob": ("Failure chance in a project's late stage", "项目后期失败概率"),
    "hardware_only_share": ("Share of projects that only buy hardware", "仅购买硬件的项目比例"),
    "initial_willing_share": ("Share of firms already willing at the start",
                              "起始时已有转型意愿的企业比例"),
}


def _in(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "zh" else pair[0]


def parameter_label(name: str, lang: str = "en") -> str:
    """Label of a model parameter in ``lang`` (its own name where the codebook has none)."""
    return _in(lang, PARAMETER_LABELS.get(name, (name, name)))


def instrument_label(name: str, lang: str = "en") -> str:
    """Name of a policy instrument in ``lang`` ("en" or "zh")."""
    return _in(lang, INSTRUMENT_LABELS.get(name, (name.replace("_", " "), name)))


def spent_column(account: str) -> Column:
    """The column of an instrument's spending, ``spent_<account>_rmb``."""
    en, zh = instrument_label(account, "en"), instrument_label(account, "zh")
    return _ts(f"spent_{account}_rmb", "RMB", f"Spent on {en}", f"{zh}支出",
               f"Paid by the '{account}' instrument since the start.")


def lookup(name: str) -> Column:
    """The codebook entry of a column (instrument spending columns included)."""
    for column in ALL:
        if column.name == name:
            return column
    if name.startswith("spent_") and name.endswith("_rmb"):
        return spent_column(name[len("spent_"):-len("_rmb")])
    raise KeyError(f"{name!r} is not in the codebook")


def label(name: str, lang: str = "en") -> str:
    """Label of a column in ``lang`` ("en" or "zh")."""
    column = lookup(name)
    return column.zh if lang == "zh" else column.en


def table() -> pd.DataFrame:
    """The codebook as a DataFrame (one row per column)."""
    return pd.DataFrame([asdict(c) for c in ALL])


def markdown() -> str:
    """The codebook as a Markdown document (``docs/codebook.md`` is generated from this)."""
    lines = ["# Codebook", "", "Generated by `catfish codebook`; do not edit by hand.", ""]
    for name, columns in (("Time series (one row per month)", TIMESERIES),
                          ("Run outcomes (one row per run)", OUTCOMES)):
        lines += [f"## {name}", "", "| column | unit | English | 中文 | meaning |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{c.name}` | {c.unit} | {c.en} | {c.zh} | {c.description} |" for c in columns]
        lines.append("")
    lines += ["Each policy instrument adds `spent_<instrument>_rmb` (RMB paid by that instrument "
              "since the start) to the time series.", ""]
    lines += _label_table("Policy instruments", "instrument", INSTRUMENT_LABELS)
    lines += _label_table("Behavioural parameters (the report's main assumptions)",
                          "parameter", PARAMETER_LABELS,
                          "Meaning, unit and default: `docs/parameters.md`.")
    return "\n".join(lines)


def _label_table(heading: str, key: str, labels: dict[str, tuple[str, str]],
                 *intro: str) -> list[str]:
    lines = [f"## {heading}", "", *(f"{line}\n" for line in intro),
             f"| {key} | English | 中文 |", "|---|---|---|"]
    return lines + [f"| `{name}` | {en} | {zh} |" for name, (en, zh) in labels.items()] + [""]
