"""The report's words about plausible worlds, in English and Chinese (see ``report_text.py``).

Officials read the first sentence and maybe the second: they say which mix holds up across
the worlds the model cannot rule out, when another wins, and what to find out before choosing.
"""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "headline": "Across {n:,} plausible worlds (each one joint draw of everything the model "
                    "does not know), {best} {best_at} in {p_best} of them; against the best mix "
                    "of each world it {regret} on average. It reaches the target ({target:,} "
                    "transformed firms by {deadline}) with probability {p_target} (95 % "
                    "interval {lo} to {hi}).",
        "best_at_transformed": "transforms the most firms",
        "best_at_p_target": "reaches the target",
        "best_at_cost_per_firm": "costs the least public money per transformed firm",
        "regret_transformed": "transforms {value} fewer firms",
        "regret_p_target": "is {value} percentage points less likely to reach the target",
        "regret_cost_per_firm": "spends {value} RMB more per transformed firm",
        "flip_rule": " {rival} beats it in {share} of the worlds, mostly where {rule} (those "
                     "are {mass} of all worlds, and {rival} wins in {density} of them).",
        "flip_no_rule": " {rival} beats it in {share} of the worlds, with no simple pattern in "
                        "the parameters.",
        "flip_never": " No mix beats it in any world.",
        "miss_rule": " It misses the target mostly where {rule} (those are {mass} of all "
                     "worlds, and it misses in {density} of them).",
        "drivers": " Its own result depends most on {drivers}.",
        "driver": "{label} ({share} of its variance)",
        "measure_first": " Worth finding out first: {label} ({measure}); knowing it before "
                         "choosing gains {gain} on average.",
        "measure_none": " No unknown is worth measuring before choosing: in these worlds, "
                        "learning any one parameter would not change the choice.",
        "gain_transformed": "{value} more transformed firms",
        "gain_p_target": "{value} percentage points of chance to reach the target",
        "gain_cost_per_firm": "{value} RMB less per transformed firm",
        "fixed_warning": "This comparison holds every unknown of the model fixed (--fixed): "
                         "its intervals show chance only, not what the model does not know. "
                         "Do not read it as saying which mix is safer.",
        "robust_title": "How the mixes hold up across plausible worlds",
        "robust_intro": "Each world is one joint draw of every unknown (the calibrated "
                        "behavioural parameters, the uncalibrated ones, the instruments' "
                        "assumed effects); every mix meets the same worlds with the same seeds. "
                        "P(best) is the share of worlds where the mix has the best {objective}; "
                        "regret is its average shortfall against each world's best mix; the "
                        "bad case is its level in the worst tenth of worlds.",
        "col_p_best": "P(best)", "col_regret": "Expected regret ({unit})",
        "col_p_target": "P(target) (95 % interval)", "col_mean": "Mean ({unit})",
        "col_bad_case": "Bad case ({unit})",
        "spread_title": "Each mix across the worlds",
        "flips_title": "When the ranking flips",
        "flips_intro": "PRIM (EMA Workbench) finds the region of the parameters where an event "
                       "concentrates. Coverage: the share of the event's worlds inside the "
                       "region; density: the share of the region's worlds where it happens; "
                       "mass: the region's share of all worlds.",
        "col_event": "Event", "col_rule": "Where it concentrates", "col_coverage": "Coverage",
        "col_density": "Density", "col_mass": "Mass", "col_worlds": "Worlds",
        "event_beats": "{rival} beats {mix}", "event_misses": "{mix} misses the target",
        "rule_none": "no simple pattern", "rule_never": "never happens",
        "rule_always": "happens in every world", "rule_weak": " (weak)",
        "flip_map_title": "Where the lead flips",
        "measure_title": "What to measure next",
        "measure_intro": "The expected value of perfect information of each parameter (EVPPI, "
                         "Strong & Oakley 2013): how much the {objective} improves on average "
                         "when the parameter is known before the mix is chosen ({unit}). Ranked; "
                         "parameters worth nothing are left out.",
        "measure_all_zero": "No parameter's information is clearly worth more than nothing in "
                            "these worlds: whatever any one of them turns out to be, the best "
                            "mix stays the same.",
        "drivers_title": "What decides {best}'s own result",
        "drivers_intro": "The share of the variance of {best}'s result across worlds that each "
                         "parameter explains on its own (RBD-FAST first-order index): these "
                         "decide whether {best} reaches the target.",
        "col_share": "Share of variance",
        "col_parameter": "Parameter", "col_kind": "Kind", "col_voi": "Expected value ({unit})",
        "col_measure": "How to measure it", "col_now": "Current basis",
        "origin_posterior": "calibrated on the pilot data",
        "origin_prior": "literature range or assumption",
        "origin_instrument prior": "an instrument's assumed effect",
        "origin_comparison": "set by this comparison",
        "pinned_title": "Which parameters the data pin down, and which are assumptions",
        "pinned": "Calibrated on the pilot data and drawn jointly from the posterior "
                  "({n_posterior}): {posterior}. Behavioural parameters with only a literature "
                  "range or an assumption ({n_prior}): {prior}. The instruments' assumed "
                  "effects ({n_instrument}): {instrument}. {comparison}The last two kinds take "
                  "different values across their plausible ranges in different worlds.",
        "pinned_comparison": "Ranges set by this comparison file ({n}): {names}. ",
        "and": " and ", "sep": ", ",
        "unit_firms": "firms", "unit_probability": "percentage points",
        "unit_rmb_per_firm": "RMB per firm",
    },
    "zh": {
        "headline": "在{n:,}个可能情景中（每个情景是对模型所有未知参数的一次联合抽样），"
                    "{best}在{p_best}的情景中{best_at}；与每个情景中的最优组合相比，"
                    "它平均{regret}。它达成目标（截至{deadline}完成转型{target:,}家）的概率为"
                    "{p_target}（95%区间{lo}–{hi}）。",
        "best_at_transformed": "转型企业最多",
        "best_at_p_target": "达成目标",
        "best_at_cost_per_firm": "每家转型企业的财政支出最少",
        "regret_transformed": "少转型{value}家",
        "regret_p_target": "达标概率低{value}个百分点",
        "regret_cost_per_firm": "每家转型企业多花{value}元",
        "flip_rule": "{rival}在{share}的情景中胜过它，主要是在{rule}的情景中"
                     "（这类情景占全部的{mass}，其中{density}由{rival}胜出）。",
        "flip_no_rule": "{rival}在{share}的情景中胜过它，但这些情景没有简单的参数规律可循。",
        "flip_never": "没有任何组合在任何情景中胜过它。",
        "miss_rule": "它未达成目标的情景集中在{rule}"
                     "（这类情景占全部的{mass}，其中{density}未达标）。",
        "drivers": "它本身的结果主要取决于{drivers}。",
        "driver": "“{label}”（解释{share}的差异）",
        "measure_first": "决策前最值得先弄清的是“{label}”（{measure}）：先知道它的真实取值，"
                         "平均可{gain}。",
        "measure_none": "没有哪个未知参数值得先测量再决定：在这些情景中，"
                        "弄清任何一个参数都不会改变选择。",
        "gain_transformed": "多转型{value}家",
        "gain_p_target": "把达标概率提高{value}个百分点",
        "gain_cost_per_firm": "使每家转型企业少花{value}元",
        "fixed_warning": "本比较固定了模型的所有未知参数（--fixed）：结果区间只反映随机波动，"
                         "不反映模型不知道的东西。请勿据此判断哪个组合更稳妥。",
        "robust_title": "各种可能情景下的稳健性",
        "robust_intro": "每个情景是对所有未知参数（经校准的企业行为参数、未经校准的行为参数、"
                        "政策工具效果的假设）的一次联合抽样，各组合在同一情景中使用相同的随机种子。"
                        "“最优情景占比”是该组合在多少情景中{objective}最好；“平均遗憾”是它与"
                        "每个情景中最优组合的平均差距；“较差情形”是最差10%情景的水平。",
        "col_p_best": "最优情景占比", "col_regret": "平均遗憾（{unit}）",
        "col_p_target": "达标概率（95%区间）", "col_mean": "平均（{unit}）",
        "col_bad_case": "较差情形（{unit}）",
        "spread_title": "各组合在各情景中的结果分布",
        "flips_title": "排名何时翻转",
        "flips_intro": "用PRIM算法（EMA Workbench）寻找某一事件集中发生的参数区域。"
                       "覆盖率：该事件的情景有多少落在区域内；密度：区域内的情景有多少发生该事件；"
                       "情景占比：区域占全部情景的比例。",
        "col_event": "事件", "col_rule": "集中发生的条件", "col_coverage": "覆盖率",
        "col_density": "密度", "col_mass": "情景占比", "col_worlds": "发生的情景数",
        "event_beats": "{rival}胜过{mix}", "event_misses": "{mix}未达成目标",
        "rule_none": "无简单规律", "rule_never": "从未发生", "rule_always": "所有情景都发生",
        "rule_weak": "（规律较弱）",
        "flip_map_title": "翻转条件图",
        "measure_title": "下一步应测量什么",
        "measure_intro": "完全信息的期望价值（EVPPI，Strong & Oakley 2013）：在选择组合之前"
                         "先弄清某个参数的真实取值，平均能使{objective}改善多少（{unit}）。"
                         "按价值从高到低排列；只列出价值大于零的参数。",
        "measure_all_zero": "在这些情景中，没有一个参数的信息价值明显大于零：无论哪个参数取何值，"
                            "最优组合都不变。",
        "drivers_title": "决定{best}自身结果的主要参数",
        "drivers_intro": "每个参数单独解释{best}在各情景中结果差异的比例（RBD-FAST一阶指数）："
                         "弄清它们，才能判断{best}能否达标。",
        "col_share": "解释的差异",
        "col_parameter": "参数", "col_kind": "类别", "col_voi": "期望价值（{unit}）",
        "col_measure": "如何测量", "col_now": "目前依据",
        "origin_posterior": "由试点数据校准",
        "origin_prior": "文献范围或假设",
        "origin_instrument prior": "政策工具效果的假设",
        "origin_comparison": "本比较给定",
        "pinned_title": "哪些参数由数据确定，哪些是假设",
        "pinned": "由试点数据校准、按后验分布联合抽样的参数（{n_posterior}个）：{posterior}。"
                  "只有文献范围或假设的企业行为参数（{n_prior}个）：{prior}。"
                  "政策工具效果的假设（{n_instrument}个）：{instrument}。{comparison}"
                  "后两类在各情景中取其合理范围内的不同值。",
        "pinned_comparison": "本比较文件给定范围的参数（{n}个）：{names}。",
        "and": "和", "sep": "、",
        "unit_firms": "家", "unit_probability": "百分点", "unit_rmb_per_firm": "元/家",
    },
}
