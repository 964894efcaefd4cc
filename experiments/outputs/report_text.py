"""The report's own words in English and Chinese (column labels come from the codebook).

``str.format`` templates with named placeholders, read through
``experiments.outputs.words.say`` (the template reads them as ``t.key`` or ``t("key", ...)``).
"""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "lang_name": "English",
        "subtitle": "Policy-mix comparison (Catfish simulation)",
        "headline_title": "Headline",
        "headline": "{mix} is the most likely to reach the target ({target:,} transformed firms "
                    "by {deadline}): {probability} (95 % interval {lo} to {hi}), with {mean} "
                    "firms on average at {per_firm} RMB of public money per transformed firm.",
        "headline_reference": " No other mix is more likely to reach it.",
        "headline_against": " Against {reference} it transforms {difference} firms (95 % "
                            "interval {lo} to {hi}); extra public money per additional "
                            "transformed firm: {cost}.",
        "headline_within_chance": " Against {reference} it transforms {difference} firms, but "
                                  "the 95 % interval ({lo} to {hi}) includes 0: the difference "
                                  "is within chance.",
        "headline_cheaper": " {mix} is also at least {likely} likely to reach it "
                            "({probability}) at {per_firm} RMB per transformed firm (against "
                            "{best_per_firm} for {best}).",
        "saves_money": "none (more firms for less money)",
        "no_extra_firms": "n/a (no additional firms)",
        "rmb": "{value} RMB",
        "reference": "reference",
        "table_title": "The mixes at a glance",
        "col_mix": "Policy mix", "col_transformed": "Transformed by the deadline (mean)",
        "col_spread": "90 % of runs", "col_probability": "P(target)", "col_ci": "95 % interval",
        "col_per_firm": "Public money per transformed firm (RMB)",
        "col_per_extra": "Extra money per additional firm (RMB)",
        "col_difference": "Additional firms vs reference (95 % interval)",
        "over_time_title": "Transformed firms over time",
        "probability_title": "Probability of meeting the target",
        "cost_title": "Cost-effectiveness: extra money against extra firms",
        "failures_title": "Failed projects by stage",
        "budget_title": "Budget use over time",
        "charts_in_english": "No usable Chinese font was found (the font Catfish ships is "
                             "missing: reinstall Catfish): the charts use English labels.",
        "assumptions_title": "Main assumptions and their sources",
        "behaviour_calibrated": "Firms' behavioural parameters are the medians of the posterior "
                                "calibrated against the pilot data (docs/calibration.md).",
        "behaviour_default": "Firms' behavioural parameters are the documented default "
                             "assumptions, not calibrated.",
        "with_worlds": "The values below are the calibrated posterior's medians and the "
                       "default assumptions; each replicate of the comparison runs one "
                       "plausible world instead (calibrated parameters drawn jointly from the "
                       "posterior, the others across their plausible ranges), so the intervals "
                       "carry what the model does not know as well as chance.",
        "without_worlds": "The comparison held these values fixed (--fixed): its intervals "
                          "carry chance only, not parameter uncertainty.",
        "parameters_intro": "The behavioural parameters the model runs on (calibrated ones "
                            "first):",
        "col_parameter": "Parameter", "col_value": "Value", "col_origin": "Value from",
        "col_range": "Plausible range (prior)", "col_range_source": "Range from",
        "origin_calibrated": "calibrated on the pilot data",
        "origin_default": "default assumption (not calibrated)",
        "origin_override": "set by the scenario",
        "sources": "Where the scenario's numbers come from",
        "fit_title": "How well the model fits the pilot data",
        "fit_intro": "Each pilot figure, the model's posterior predictive 50 % and 90 % "
                     "intervals (simulations plus the figure's observation error), where the "
                     "observed value falls among the predictions (percentile), and whether it "
                     "lies inside the 90 % interval. The first table holds the figures the "
                     "calibration was fitted to; the second the hold-outs, figures the fit never "
                     "saw, predicted from the posterior to test it. Where the observed value "
                     "lies outside the 90 % interval, the model misses that figure.",
        "fit_fitted": "Figures the calibration was fitted to",
        "fit_holdout": "Hold-outs: figures the calibration never saw",
        "fit_none": "No calibration found (calibration/posteriors/default_ppc.csv).",
        "col_figure": "Pilot figure", "col_source": "Source file", "col_observed": "Observed",
        "col_predicted": "Model (90 % interval)", "col_predicted50": "Model (50 % interval)",
        "col_percentile": "Percentile of the observation", "col_within": "Inside the 90 % interval",
        "yes": "yes", "no": "no",
        "details_title": "Scenario details",
        "scenario": "Base scenario", "smes": "SMEs", "period": "Period", "target": "Target",
        "budget": "Budget (RMB)", "sectors": "Sectors", "description": "Description",
        "mixes": "Policy instruments of each mix", "mode": "How", "policies": "Instruments",
        "mode_base": "the base scenario's own policies",
        "mode_replace": "these policies replace the base's",
        "mode_add": "added to the base's policies",
        "mode_swap": "the base's, with instruments of these kinds swapped",
        "runs": "Replicates", "seeds": "Seeds", "made": "Made",
        "caveat": "This report is what the model implies under its assumptions, not a "
                  "forecast. Replicate r of every mix uses the same seed, so differences "
                  "between mixes are the policies' effects, not luck.",
        "warned": "{warning} {headline}",
    },
    "zh": {
        "lang_name": "中文",
        "subtitle": "政策组合比较报告（Catfish 模拟）",
        "headline_title": "结论",
        "headline": "{mix}达到目标（截至{deadline}完成转型{target:,}家）的概率最高：{probability}"
                    "（95%区间{lo}–{hi}），平均完成{mean}家，每家转型企业的财政支出{per_firm}元。",
        "headline_reference": "其他组合达到目标的可能性都不比它高。",
        "headline_against": "与{reference}相比多转型{difference}家（95%区间{lo}至{hi}），"
                            "每多转型一家企业的额外财政支出：{cost}。",
        "headline_within_chance": "与{reference}相比多转型{difference}家，但95%区间（{lo}至{hi}）"
                                  "包含0，差异在随机波动范围之内。",
        "headline_cheaper": "{mix}达标概率也在{likely}以上（{probability}），"
                            "而每家转型企业的财政支出只有{per_firm}元（{best}为{best_per_firm}元）。",
        "saves_money": "更省钱（花钱更少、转型更多）",
        "no_extra_firms": "无（未多转型企业）",
        "rmb": "{value}元",
        "reference": "基准",
        "table_title": "各政策组合一览",
        "col_mix": "政策组合", "col_transformed": "截止时完成转型（家，均值）",
        "col_spread": "90%模拟区间", "col_probability": "达标概率", "col_ci": "95%区间",
        "col_per_firm": "每家转型企业的财政支出（元）",
        "col_per_extra": "每多转型一家的额外支出（元）",
        "col_difference": "相对基准多转型（家，95%区间）",
        "over_time_title": "转型企业随时间变化",
        "probability_title": "达到目标的概率",
        "cost_title": "成本效益：额外支出与额外转型企业",
        "failures_title": "各阶段失败的项目",
        "budget_title": "预算使用进度",
        "charts_in_english": "未找到可用的中文字体（Catfish自带的字体缺失，请重新安装Catfish），"
                             "图表使用英文标注。",
        "assumptions_title": "主要假设及来源",
        "behaviour_calibrated": "企业行为参数取自依据试点数据校准的后验分布的中位数"
                                "（见 docs/calibration.md）。",
        "behaviour_default": "企业行为参数为文档中的默认假设值，未经校准。",
        "with_worlds": "表中取值是校准后验的中位数和默认假设；比较中的每次重复模拟则运行一个"
                       "可能情景（校准参数按后验分布联合抽样，其余参数在其合理范围内抽样），"
                       "因此结果区间同时反映模型不知道的东西和随机性。",
        "without_worlds": "比较固定了这些取值（--fixed）：结果区间只反映随机性，"
                          "不含参数的不确定性。",
        "parameters_intro": "模型运行所用的企业行为参数（先列经校准的参数）：",
        "col_parameter": "参数", "col_value": "取值", "col_origin": "取值依据",
        "col_range": "合理范围（先验）", "col_range_source": "范围依据",
        "origin_calibrated": "依据试点数据校准", "origin_default": "默认假设（未校准）",
        "origin_override": "情景设定",
        "sources": "情景数据来源",
        "fit_title": "模型与试点数据的吻合程度",
        "fit_intro": "下表列出每项试点数据、模型后验预测（含观测误差）的50%和90%区间、"
                     "观测值在预测中的百分位，以及观测值是否落在90%区间内。"
                     "第一张表是校准所用的数据；第二张表是校准从未使用、事后用后验预测来检验模型的数据（留出检验）。"
                     "观测值落在90%区间之外的，说明模型在这一项上与试点数据仍有差距。",
        "fit_fitted": "校准所用的数据", "fit_holdout": "留出检验：校准从未使用的数据",
        "fit_none": "未找到校准结果（calibration/posteriors/default_ppc.csv）。",
        "col_figure": "试点数据（原文）", "col_source": "来源文件", "col_observed": "观测值",
        "col_predicted": "模型预测（90%区间）", "col_predicted50": "模型预测（50%区间）",
        "col_percentile": "观测值的百分位", "col_within": "在90%区间内",
        "yes": "是", "no": "否",
        "details_title": "情景详情",
        "scenario": "基准情景", "smes": "中小企业数", "period": "模拟期", "target": "目标",
        "budget": "预算（元）", "sectors": "行业", "description": "说明",
        "mixes": "各组合的政策工具", "mode": "方式", "policies": "政策工具",
        "mode_base": "基准情景自身的政策", "mode_replace": "以下政策取代基准政策",
        "mode_add": "在基准政策之外增加", "mode_swap": "替换基准中同类政策",
        "runs": "重复次数", "seeds": "随机种子", "made": "生成时间",
        "caveat": "本报告为模型在其假设下的推演，不是预测。"
                  "同一编号的重复模拟在各组合中使用相同的随机种子，"
                  "因此组合之间的差异是政策的效果而非运气。",
        "warned": "{warning}{headline}",
    },
}
