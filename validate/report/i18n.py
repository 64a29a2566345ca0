"""Report strings in English and Simplified Chinese.

:func:`t` looks a key up in :data:`STRINGS`; :func:`text` picks a language from
a bilingual ``{"en": ..., "zh": ...}`` mapping taken from the spec or the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from instruments.errors import InputError

__all__ = ["LANGS", "STRINGS", "t", "text", "check_lang", "reason_text", "REASONS_ZH"]

LANGS = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    # ---- document
    "report_title": {"en": "Validation report", "zh": "验证报告"},
    "generated": {"en": "Generated {created} by {toolkit} {version}", "zh": "由 {toolkit} {version} 于 {created} 生成"},
    "contents": {"en": "Contents", "zh": "目录"},
    "overview": {"en": "Overview", "zh": "概览"},
    "mechanism": {"en": "Mechanism", "zh": "机制"},
    "warnings": {"en": "Warnings", "zh": "警告"},
    "no_warnings": {"en": "No warnings.", "zh": "无警告。"},
    "not_available": {"en": "Not available", "zh": "不可用"},
    "not_run": {"en": "This analysis was not run or produced no results.", "zh": "该分析未运行或没有结果。"},
    "note": {"en": "Note", "zh": "注"},
    "note_lead": {"en": "Note.", "zh": "注："},
    "colon": {"en": ": ", "zh": "："},
    "table": {"en": "Table", "zh": "表"},
    "figure": {"en": "Figure", "zh": "图"},
    "reason": {"en": "reason", "zh": "原因"},
    "missing_reason": {"en": "\u2014 = could not be computed", "zh": "\u2014 = 无法计算"},
    "more_rows": {
        "en": "{shown} of {total} rows shown; all rows are in results.xlsx.",
        "zh": "显示 {total} 行中的 {shown} 行；完整内容见 results.xlsx。",
    },
    # ---- sections
    "sec_sample": {"en": "Sample and screening", "zh": "样本与数据筛查"},
    "sec_descriptives": {"en": "Item descriptives", "zh": "题项描述统计"},
    "sec_measurement": {"en": "Measurement model", "zh": "测量模型"},
    "sec_structural": {"en": "Structural model", "zh": "结构模型"},
    "sec_diagram": {"en": "Path diagram", "zh": "路径图"},
    "sec_hypotheses": {"en": "Hypotheses", "zh": "研究假设检验"},
    "sec_indirect": {"en": "Indirect effects", "zh": "间接效应"},
    "sec_groups": {"en": "Platform comparison", "zh": "平台比较"},
    "sec_likert": {"en": "Answers per construct", "zh": "各构念的回答分布"},
    "sec_method": {"en": "Method", "zh": "方法说明"},
    "sec_cmb": {"en": "Common method bias", "zh": "共同方法偏差"},
    # ---- sample
    "n_raw": {"en": "Responses received", "zh": "收到的答卷"},
    "n_used": {"en": "Responses analysed", "zh": "纳入分析的答卷"},
    "n_dropped": {"en": "Responses removed", "zh": "剔除的答卷"},
    "spec": {"en": "Model spec", "zh": "模型设定"},
    # ---- tables
    "t_screening_summary": {"en": "Screening rules", "zh": "筛查规则"},
    "t_screening_log": {"en": "Screening log", "zh": "筛查记录"},
    "t_descriptives": {"en": "Item descriptive statistics", "zh": "题项描述统计"},
    "t_mardia": {"en": "Multivariate normality (Mardia)", "zh": "多元正态性检验（Mardia）"},
    "t_fit": {"en": "Model fit", "zh": "模型拟合"},
    "xl_index": {"en": "Tables", "zh": "表格目录"},
    "xl_sheet": {"en": "Sheet", "zh": "工作表"},
    "xl_title": {"en": "Title", "zh": "标题"},
    "xl_draws": {"en": "Bootstrap draws of the indirect effects", "zh": "间接效应的 Bootstrap 抽样值"},
    "lower": {"en": "lower", "zh": "下限"},
    "upper": {"en": "upper", "zh": "上限"},
    "t_fit_robust": {"en": "Model fit: scaled and robust indices", "zh": "模型拟合：校正与稳健指标"},
    "note_fit_robust": {
        "en": "Scaled: Satorra-Bentler/Yuan-Bentler corrected statistics; robust: the robust CFI, TLI and "
        "RMSEA of Brosseau-Liard, Savalei & Li (2012) and Brosseau-Liard & Savalei (2014).",
        "zh": "校正：Satorra-Bentler/Yuan-Bentler 校正统计量；稳健：Brosseau-Liard, Savalei & Li (2012) 与 "
        "Brosseau-Liard & Savalei (2014) 的稳健 CFI、TLI 和 RMSEA。",
    },
    "c_cfi_scaled": {"en": "CFI (scaled)", "zh": "CFI（校正）"},
    "c_tli_scaled": {"en": "TLI (scaled)", "zh": "TLI（校正）"},
    "c_rmsea_scaled": {"en": "RMSEA (scaled)", "zh": "RMSEA（校正）"},
    "c_n_supported": {"en": "Hypotheses supported", "zh": "得到支持的假设"},
    "c_label": {"en": "Label", "zh": "名称"},
    "t_fit_criteria": {"en": "Fit indices against cut-offs", "zh": "拟合指标与判断标准"},
    "t_loadings": {"en": "Factor loadings", "zh": "因子载荷"},
    "t_reliability": {"en": "Reliability and convergent validity", "zh": "信度与聚合效度"},
    "t_htmt": {"en": "Discriminant validity: HTMT ratios", "zh": "区分效度：HTMT 比率"},
    "t_fornell": {"en": "Discriminant validity: Fornell-Larcker criterion", "zh": "区分效度：Fornell-Larcker 准则"},
    "t_item_total": {"en": "Corrected item-total correlations", "zh": "校正的题项-总分相关"},
    "t_kmo": {"en": "Sampling adequacy and common method bias", "zh": "抽样适切性与共同方法偏差"},
    "t_modindices": {"en": "Largest modification indices", "zh": "最大的修正指数"},
    "t_paths": {"en": "Hypothesis tests (structural paths)", "zh": "假设检验（结构路径）"},
    "t_r2": {"en": "Explained variance", "zh": "解释方差"},
    "t_chisq_diff": {
        "en": "Model comparison: structural model against the measurement model (CFA)",
        "zh": "模型比较：结构模型与测量模型（CFA）",
    },
    "t_second_order": {
        "en": "Second-order constructs: reliability and convergent validity",
        "zh": "二阶构念：信度与聚合效度",
    },
    "c_dimensions": {"en": "Dimensions", "zh": "维度"},
    "c_omega_l1": {"en": "\u03c9 L1", "zh": "\u03c9 L1"},
    "c_omega_l2": {"en": "\u03c9 L2", "zh": "\u03c9 L2"},
    "c_partial_omega_l1": {"en": "Partial \u03c9 L1", "zh": "偏 \u03c9 L1"},
    "c_omega_higher": {"en": "\u03c9 (observed)", "zh": "\u03c9（观测方差）"},
    "note_second_order": {
        "en": "Fitted as a second-order CFA (each second-order construct measured by its dimensions, as lavaan's "
        "OUT =~ COST + REV + \u2026). \u03c9 L1: share of the variance of the sum of all the dimensions' items "
        "explained by the second-order factor; \u03c9 L2: share of the variance of the sum of the dimensions "
        "explained by it; partial \u03c9 L1: \u03c9 L1 without the dimensions' unique variance (semTools "
        "reliabilityL2); \u03c9 (observed): the explained variance over the observed variance of the item sum "
        "(semTools compRelSEM, higher =). CR and AVE from the standardised second-order loadings (Fornell & "
        "Larcker, 1981).",
        "zh": "以二阶 CFA 拟合（每个二阶构念由其维度测量，即 lavaan 的 OUT =~ COST + REV + \u2026）。\u03c9 L1：二阶因子解释"
        "的全部维度题项总分方差比例；\u03c9 L2：二阶因子解释的维度总和方差比例；偏 \u03c9 L1：分母不含维度独特方差的 "
        "\u03c9 L1（semTools reliabilityL2）；\u03c9（观测方差）：解释方差与题项总分观测方差之比（semTools "
        "compRelSEM, higher =）。CR 与 AVE 由标准化二阶载荷计算（Fornell & Larcker, 1981）。",
    },
    "note_target_coefficient": {
        "en": "Target coefficient (first-order CFA \u03c7\u00b2 / second-order CFA \u03c7\u00b2; Marsh & Hocevar, 1985): "
        "{tc}; near 1, the second-order factor accounts for the covariances of its dimensions.",
        "zh": "目标系数（一阶 CFA \u03c7\u00b2 / 二阶 CFA \u03c7\u00b2；Marsh & Hocevar, 1985）：{tc}；接近 1 表示二阶因子"
        "解释了各维度之间的协方差。",
    },
    "note_loadings_second_order": {
        "en": "Rows whose item is a construct are second-order loadings (the dimension on its second-order "
        "construct), from the second-order CFA.",
        "zh": "题项为构念的行是二阶载荷（维度在其二阶构念上的载荷），来自二阶 CFA。",
    },
    "t_controls": {"en": "Control variables (not hypotheses)", "zh": "控制变量（非研究假设）"},
    "c_control": {"en": "Control", "zh": "控制变量"},
    "c_on": {"en": "On", "zh": "作用于"},
    "note_controls": {
        "en": "Paths from each control variable (an observed column) to the constructs the spec names, estimated in "
        "the structural model beside the hypotheses; they are not hypotheses and are not counted among them. "
        "\u03b2 is standardised on the control's observed SD.",
        "zh": "每个控制变量（观测列）到模型设定中所列构念的路径，与假设路径在同一结构模型中估计；它们不是研究假设，不计入假设。"
        "\u03b2 按控制变量的观测标准差标准化。",
    },
    "t_moderation": {"en": "Moderation (latent interaction)", "zh": "调节效应（潜变量交互）"},
    "t_simple_slopes": {
        "en": "Simple slopes at the moderator's mean and \u00b11 SD",
        "zh": "简单斜率（调节变量均值及 \u00b11 个标准差处）",
    },
    "c_moderator": {"en": "Moderator", "zh": "调节变量"},
    "c_interaction": {"en": "Interaction", "zh": "交互项"},
    "c_moderator_value": {"en": "Moderator value", "zh": "调节变量取值"},
    "c_slope_at": {"en": "Moderator at", "zh": "调节变量水平"},
    "v_minus_sd": {"en": "\u22121 SD", "zh": "\u22121 SD"},
    "v_mean": {"en": "Mean", "zh": "均值"},
    "v_plus_sd": {"en": "+1 SD", "zh": "+1 SD"},
    "note_moderation": {
        "en": "Method: {method}. B and \u03b2 are the interaction path (the latent product on the outcome).",
        "zh": "方法：以双重均值中心化的乘积指标估计潜变量交互（Lin et al., 2010）：两个构念题项的所有配对乘积，共享题项的乘积"
        "之间设残差协方差；同 semTools indProd(match = FALSE, meanC = TRUE, doubleMC = TRUE)；简单斜率同 semTools "
        "probe2WayMC。B 与 \u03b2 为交互项（潜变量乘积）对结果变量的路径。",
    },
    "note_main_effect_added": {
        "en": "{path}: the spec has no such path; the moderator's main effect was added to the model (B = {b}, "
        "p {p}); it is not a hypothesis.",
        "zh": "{path}：模型设定中没有此路径；为解释交互项，模型加入了调节变量的主效应（B = {b}，p {p}），它不是研究假设。",
    },
    "note_jn": {
        "en": "Johnson-Neyman ({path} moderated by {mod}, latent units, mean 0, SD {sd}): the slope is significant "
        "at \u03b1 = {alpha} {where}.",
        "zh": "Johnson-Neyman 区间（{mod} 调节 {path}，潜变量单位，均值 0，标准差 {sd}）：在 \u03b1 = {alpha} 下，"
        "斜率{where}显著。",
    },
    "jn_outside": {"en": "below {lo} and above {hi}", "zh": "在低于 {lo} 或高于 {hi} 时"},
    "jn_inside": {"en": "between {lo} and {hi}", "zh": "在 {lo} 与 {hi} 之间时"},
    "jn_everywhere": {"en": "at every value of the moderator", "zh": "在调节变量的所有取值上均"},
    "jn_nowhere": {"en": "at no value of the moderator", "zh": "在调节变量的任何取值上均不"},
    "note_simple_slopes": {
        "en": "The slope of the path at the latent moderator's mean (0) and \u00b11 SD, with delta-method SEs "
        "(semTools probe2WayMC).",
        "zh": "路径在潜调节变量均值（0）及 \u00b11 个标准差处的斜率，标准误采用 delta 方法（semTools probe2WayMC）。",
    },
    "fig_simple_slopes": {"en": "Simple slopes", "zh": "简单斜率图"},
    "note_fig_simple_slopes": {
        "en": "Predicted outcome (latent units) across the predictor from \u22122 to +2 SD, at the moderator's "
        "mean and \u00b11 SD.",
        "zh": "在调节变量均值及 \u00b11 个标准差处，结果变量（潜变量单位）随预测变量（\u22122 至 +2 个标准差）的预测值。",
    },
    "c_models": {"en": "Models compared", "zh": "比较的模型"},
    "m_struct_vs_cfa": {"en": "Structural model vs. CFA", "zh": "结构模型 vs. CFA"},
    "note_chisq_diff": {
        "en": "The structural model restricts the CFA's factor covariances to the hypothesised paths; a "
        "significant \u0394\u03c7\u00b2 means these restrictions do not hold (Anderson & "
        "Gerbing, 1988). It is not a test of direct paths.",
        "zh": "结构模型将 CFA 中自由估计的因子协方差限定为假设路径；\u0394\u03c7\u00b2 显著表示这些限定不成立"
        "（Anderson & Gerbing, 1988）。这不是对直接路径的检验。",
    },
    "c_n_obs": {"en": "N used", "zh": "使用样本数"},
    "c_n_total": {"en": "of N", "zh": "总样本数"},
    "c_n_model": {"en": "N in the model", "zh": "模型样本数"},
    "c_n_groups": {"en": "Respondents per group (configural model)", "zh": "各组样本数（形态模型）"},
    "c_differs": {"en": "Differs", "zh": "存在差异"},
    "note_n_obs": {
        "en": "N used of N: the respondents each model was fitted to, of the responses analysed "
        '(lavaan\'s "used N of M"); missing answers: {method}.',
        "zh": '使用样本数/总样本数：每个模型实际使用的答卷数与纳入分析的答卷数（lavaan 的 "used N of M"）；'
        "缺失数据处理：{method}。",
    },
    "note_summary_n": {
        "en": "N in the model: respondents the structural model (or, without paths, the CFA) used; "
        "fit indices are those of that model.",
        "zh": "模型样本数：结构模型（无路径时为 CFA）实际使用的答卷数；拟合指标为该模型的指标。",
    },
    "note_vaf_missing": {"en": "VAF is not reported for {chains}: {reason}.", "zh": "{chains} 未报告 VAF：{reason}。"},
    "note_inv_second_order": {
        "en": "Second-order constructs ({constructs}): in the scalar model the items' intercepts are equal "
        "across groups, the dimensions' intercepts are free in all but the first group and the second-order "
        "constructs' means are fixed at 0 (freeing every latent mean, lavaan's group.equal default, leaves a "
        "second-order model unidentified).",
        "zh": "二阶构念（{constructs}）：标量模型中各题项截距跨组相等，各维度截距在第一组以外的组中自由估计，"
        "二阶构念的均值固定为 0（若像 lavaan 的 group.equal 默认那样释放所有潜变量均值，二阶模型将无法识别）。",
    },
    "note_configural": {
        "en": "A step is judged only when the configural model is established: configural CFI \u2265 "
        ".90 and RMSEA \u2264 .08, and at least 5 respondents per free parameter in every group "
        "(Bentler & Chou, 1987; Putnick & Bornstein, 2016).",
        "zh": "仅当形态模型成立时才判断各步骤：形态模型 CFI \u2265 .90 且 RMSEA \u2264 .08，且每组每个自由参数"
        "至少 5 个样本（Bentler & Chou, 1987; Putnick & Bornstein, 2016）。",
    },
    "note_not_established": {"en": "Invariance is not established: {reason}.", "zh": "测量不变性无法确立：{reason}。"},
    "why_configural_fit": {
        "en": "the configural model fits badly (CFI = {cfi}, RMSEA = {rmsea})",
        "zh": "形态模型拟合不佳（CFI = {cfi}，RMSEA = {rmsea}）",
    },
    "why_few_cases": {
        "en": "group {group} has {n} respondents for {npar} free parameters per group ({ratio} per "
        "parameter; at least 5 are needed)",
        "zh": "{group} 组仅有 {n} 个样本，而每组有 {npar} 个自由参数（每个参数 {ratio} 个样本；至少需要 5 个）",
    },
    "inv_supported": {"en": "supported", "zh": "成立"},
    "inv_not_supported": {"en": "not supported", "zh": "不成立"},
    "inv_not_established": {"en": "not established", "zh": "无法确立"},
    "meth_missing_option": {"en": "--missing", "zh": "--missing 选项"},
    "meth_invalid": {"en": "Invalid cells", "zh": "无效单元格"},
    "meth_sample_n": {"en": "Respondents in the models", "zh": "模型使用的样本"},
    "invalid_stop": {"en": "stop and list them (none were found)", "zh": "停止并列出（未发现）"},
    "invalid_missing": {
        "en": "analysed as missing answers (--invalid missing)",
        "zh": "按缺失处理（--invalid missing）",
    },
    "list_sep": {"en": "; ", "zh": "；"},
    "rule_missing": {"en": "Too many items missing", "zh": "缺失题项过多"},
    "rule_zero_variance": {"en": "Identical answers to every item", "zh": "所有题项答案相同"},
    "rule_longstring": {"en": "Long run of identical answers (longstring)", "zh": "连续相同答案（长串）"},
    "rule_attention": {"en": "Attention check failed", "zh": "注意力检测未通过"},
    "rule_speeder": {"en": "Too fast (speeder)", "zh": "作答过快"},
    "rule_outlier": {"en": "Multivariate outlier (Mahalanobis)", "zh": "多元离群值（马氏距离）"},
    "rule_reverse_coded": {"en": "Reverse-keyed items recoded", "zh": "反向题重新计分"},
    "action_dropped": {"en": "dropped", "zh": "剔除"},
    "action_flagged": {"en": "flagged", "zh": "标记"},
    "warnings_original": {"en": "", "zh": "以下警告由程序生成，保留英文原文，以便与 results.json 及日志对照。"},
    "meth_sample": {
        "en": "{mechanism}: {n_raw} responses were received and {n_used} analysed after screening.",
        "zh": "{mechanism}：共收到 {n_raw} 份答卷，筛查后纳入分析 {n_used} 份。",
    },
    "meth_models": {"en": "Of them, {parts}, with {method}.", "zh": "{parts}，缺失数据处理采用{method}。"},
    "meth_used_n": {"en": "the {model} used {n} of {total}", "zh": "{model}使用 {total} 份中的 {n} 份"},
    "meth_why_auto_fiml": {
        "en": "FIML was chosen automatically (--missing auto) because {n_incomplete} respondents "
        "left {n_cells} item cells empty; it keeps every respondent with at least one answer "
        "(Enders & Bandalos, 2001).",
        "zh": "由于 {n_incomplete} 名受访者留有 {n_cells} 个空白题项，系统自动（--missing auto）采用 FIML，"
        "保留至少回答了一题的所有受访者（Enders & Bandalos, 2001）。",
    },
    "meth_why_auto_listwise": {
        "en": "No item cell was empty, so every respondent was used (--missing auto).",
        "zh": "没有空白题项，因此使用了全部受访者（--missing auto）。",
    },
    "meth_why_auto_pairwise": {
        "en": "Pairwise deletion was chosen automatically with WLSMV (--missing auto) because "
        "{n_incomplete} respondents left {n_cells} item cells empty.",
        "zh": "由于 {n_incomplete} 名受访者留有 {n_cells} 个空白题项，WLSMV 自动（--missing auto）采用成对删除。",
    },
    "meth_why_explicit": {
        "en": "The method was chosen with --missing; {n_incomplete} respondents left {n_cells} item cells empty.",
        "zh": "缺失数据处理方法由 --missing 指定；{n_incomplete} 名受访者留有 {n_cells} 个空白题项。",
    },
    "meth_groups": {"en": "Groups of {group}: {sizes}.", "zh": "{group} 分组：{sizes}。"},
    "meth_invalid_cells": {
        "en": "{n} invalid cells (outside the scale or not a scale answer) were analysed as missing "
        "answers (--invalid missing); problems.csv lists each one.",
        "zh": "{n} 个无效单元格（超出量表范围或不是量表答案）按缺失处理（--invalid missing）；problems.csv 逐一列出。",
    },
    "t_indirect": {"en": "Indirect effects", "zh": "间接效应"},
    "meth_second_order": {
        "en": "Second-order constructs were fitted as factors measured by their dimensions: {constructs}; their "
        "reliability is reported as semTools' reliabilityL2 and compRelSEM (higher =).",
        "zh": "二阶构念以其维度为指标的因子拟合：{constructs}；其信度按 semTools 的 reliabilityL2 与 compRelSEM（higher =）报告。",
    },
    "meth_controls": {
        "en": "Control variables entered the structural model as observed covariates ({controls}) and are reported "
        "apart from the hypotheses.",
        "zh": "控制变量作为观测协变量进入结构模型（{controls}），与研究假设分开报告。",
    },
    "meth_moderation": {
        "en": "Moderation ({mods}) was estimated as a latent interaction with double-mean-centred product indicators "
        "(Lin et al., 2010), probed with simple slopes at the moderator's mean and \u00b11 SD and the "
        "Johnson-Neyman technique.",
        "zh": "调节效应（{mods}）以双重均值中心化乘积指标的潜变量交互估计（Lin et al., 2010），并以调节变量均值及 \u00b11 "
        "个标准差处的简单斜率和 Johnson-Neyman 方法检验。",
    },
    "note_indirect_moderated": {
        "en": "{chain} passes a moderated path: its indirect effect is the one at the mean of {mods} (conditional "
        "indirect effects at other values are not reported).",
        "zh": "{chain} 经过受调节的路径：其间接效应为 {mods} 取均值时的间接效应（未报告其他取值下的条件间接效应）。",
    },
    "note_indirect_moderated_mm": {
        "en": "{chain} passes a moderated path: its indirect effect is the one at the mean of {mods}; the conditional "
        "indirect effects at \u00b11 SD and the index of moderated mediation are in the moderated-mediation table.",
        "zh": "{chain} 经过受调节的路径：其间接效应为 {mods} 取均值时的间接效应；\u00b11 个标准差处的条件间接效应及"
        "被调节的中介指数见有调节的中介效应表。",
    },
    "t_moderated_mediation": {
        "en": "Moderated mediation: conditional indirect effects and the index of moderated mediation",
        "zh": "有调节的中介效应：条件间接效应与被调节的中介指数",
    },
    "c_moderated_path": {"en": "Moderated path", "zh": "受调节的路径"},
    "c_mm_statistic": {"en": "Effect", "zh": "效应"},
    "c_se_delta": {"en": "SE (delta method)", "zh": "标准误 SE（delta 方法）"},
    "v_mm_index": {"en": "Index of moderated mediation", "zh": "被调节的中介指数"},
    "note_moderated_mediation": {
        "en": "Conditional indirect effects at the latent moderator's mean (0) and \u00b11 SD (its SD from the "
        "model-implied latent variance; moderator values in latent units), and the index of moderated "
        "mediation, the change of the indirect effect per unit of the moderator (Hayes, 2015). The indirect "
        "effect depends on the moderator when the index's interval excludes 0. Percentile intervals from the "
        "same {completed} bootstrap draws as the indirect effects; SEs by the delta method (as lavaan's := "
        "definitions).",
        "zh": "潜调节变量均值（0）及 \u00b11 个标准差处的条件间接效应（标准差取自模型隐含的潜变量方差；调节变量取值为潜变量单位），"
        "以及被调节的中介指数，即调节变量每变化一个单位间接效应的变化量（Hayes, 2015）。指数的置信区间不含 0 时，间接效应"
        "随调节变量而变化。百分位置信区间与间接效应基于同样的 {completed} 次 Bootstrap 抽样；标准误采用 delta 方法"
        "（同 lavaan 的 := 定义）。",
    },
    "meth_moderated_mediation": {
        "en": "For each indirect path through a moderated path, the conditional indirect effects at the moderator's "
        "mean and \u00b11 SD and the index of moderated mediation (Hayes, 2015) were tested with percentile "
        "bootstrap intervals: {chains}.",
        "zh": "对经过受调节路径的每条间接路径，以百分位 Bootstrap 置信区间检验调节变量均值及 \u00b11 个标准差处的条件间接效应"
        "和被调节的中介指数（Hayes, 2015）：{chains}。",
    },
    "mm_chain": {"en": "{chain} (moderator {mod})", "zh": "{chain}（调节变量 {mod}）"},
    "note_mm_no_index": {
        "en": "{chain}: {mod} moderates {n} paths of this chain ({paths}), so the indirect effect is not linear in it "
        "and has no single index of moderated mediation (Hayes, 2015); the conditional indirect effects are shown.",
        "zh": "{chain}：{mod} 调节该间接路径上的 {n} 条路径（{paths}），间接效应不是它的线性函数，没有单一的被调节的中介指数"
        "（Hayes, 2015）；表中报告条件间接效应。",
    },
    "t_bootstrap": {"en": "Bootstrap", "zh": "Bootstrap 抽样"},
    "t_invariance": {"en": "Measurement invariance across groups", "zh": "跨组测量不变性"},
    "t_mg_paths": {"en": "Structural paths by group", "zh": "分组结构路径"},
    "t_mg_tests": {"en": "Equality of paths across groups", "zh": "路径跨组相等性检验"},
    "t_summary": {"en": "Summary", "zh": "摘要"},
    "t_compare_paths": {"en": "Paths of the mechanisms side by side", "zh": "各机制路径对比"},
    "t_compare_indirect": {"en": "Indirect effects of the mechanisms side by side", "zh": "各机制间接效应对比"},
    "c_role": {"en": "Role", "zh": "角色"},
    "c_sig": {"en": "Sig.", "zh": "显著"},
    "note_compare": {
        "en": "Constructs are matched by stage and position within the stage; the role is named by "
        "the first mechanism's constructs. β: standardised coefficient (std.all); 95% CI: "
        "percentile bootstrap interval of the standardised indirect effect.",
        "zh": "构念按阶段及其在阶段内的位置对应，角色以第一个机制的构念命名。β：标准化系数（std.all）；"
        "95% CI：标准化间接效应的百分位 Bootstrap 区间。",
    },
    "sec_compare": {"en": "Mechanisms compared", "zh": "机制对比"},
    "t_method": {"en": "Method", "zh": "方法"},
    "t_warnings": {"en": "Warnings", "zh": "警告"},
    "t_likert": {"en": "Answer distribution", "zh": "回答分布"},
    # ---- column headers
    "c_rule": {"en": "Rule", "zh": "规则"},
    "c_flagged": {"en": "Flagged", "zh": "标记数"},
    "c_dropped": {"en": "Removed", "zh": "剔除数"},
    "c_resp_id": {"en": "Respondent", "zh": "答卷编号"},
    "c_detail": {"en": "Detail", "zh": "详情"},
    "c_action": {"en": "Action", "zh": "处理"},
    "c_item": {"en": "Item", "zh": "题项"},
    "c_item_text": {"en": "Item text", "zh": "题项内容"},
    "c_construct": {"en": "Construct", "zh": "构念"},
    "c_n": {"en": "n", "zh": "n"},
    "c_mean": {"en": "M", "zh": "均值 M"},
    "c_sd": {"en": "SD", "zh": "标准差 SD"},
    "c_skew": {"en": "Skewness", "zh": "偏度"},
    "c_kurtosis": {"en": "Kurtosis", "zh": "峰度"},
    "c_floor": {"en": "Floor %", "zh": "地板效应 %"},
    "c_ceiling": {"en": "Ceiling %", "zh": "天花板效应 %"},
    "c_statistic": {"en": "Statistic", "zh": "统计量"},
    "c_value": {"en": "Value", "zh": "值"},
    "c_p": {"en": "p", "zh": "p"},
    "c_model": {"en": "Model", "zh": "模型"},
    "c_chisq": {"en": "\u03c7\u00b2", "zh": "\u03c7\u00b2"},
    "c_df": {"en": "df", "zh": "df"},
    "c_chisq_df": {"en": "\u03c7\u00b2/df", "zh": "\u03c7\u00b2/df"},
    "c_cfi": {"en": "CFI", "zh": "CFI"},
    "c_tli": {"en": "TLI", "zh": "TLI"},
    "c_rmsea": {"en": "RMSEA", "zh": "RMSEA"},
    "c_rmsea_ci": {"en": "RMSEA 90% CI", "zh": "RMSEA 90% 置信区间"},
    "c_srmr": {"en": "SRMR", "zh": "SRMR"},
    "c_aic": {"en": "AIC", "zh": "AIC"},
    "c_bic": {"en": "BIC", "zh": "BIC"},
    "c_chisq_scaled": {"en": "\u03c7\u00b2 (scaled)", "zh": "\u03c7\u00b2（校正）"},
    "c_cfi_robust": {"en": "CFI (robust)", "zh": "CFI（稳健）"},
    "c_tli_robust": {"en": "TLI (robust)", "zh": "TLI（稳健）"},
    "c_rmsea_robust": {"en": "RMSEA (robust)", "zh": "RMSEA（稳健）"},
    "c_index": {"en": "Index", "zh": "指标"},
    "c_criterion": {"en": "Criterion", "zh": "标准"},
    "c_verdict": {"en": "Verdict", "zh": "判断"},
    "c_source": {"en": "Source", "zh": "文献"},
    "c_estimate": {"en": "B", "zh": "非标准化系数 B"},
    "c_se": {"en": "SE", "zh": "标准误 SE"},
    "c_z": {"en": "z", "zh": "z"},
    "c_std_loading": {"en": "\u03bb (std.)", "zh": "标准化载荷 \u03bb"},
    "c_alpha": {"en": "Cronbach's \u03b1", "zh": "Cronbach's \u03b1"},
    "c_alpha_std": {"en": "Std. \u03b1", "zh": "标准化 \u03b1"},
    "c_omega": {"en": "McDonald's \u03c9", "zh": "McDonald's \u03c9"},
    "c_cr": {"en": "CR (standardised)", "zh": "组合信度 CR（标准化）"},
    "c_ave": {"en": "AVE", "zh": "平均方差抽取量 AVE"},
    "c_cr_ok": {"en": "CR > .70", "zh": "CR > .70"},
    "c_ave_ok": {"en": "AVE > .50", "zh": "AVE > .50"},
    "c_r_drop": {"en": "Corrected item-total r", "zh": "校正题项-总分相关 r"},
    "c_alpha_if_deleted": {"en": "\u03b1 if item deleted", "zh": "删除该题后的 \u03b1"},
    "c_lhs": {"en": "Left", "zh": "左侧"},
    "c_op": {"en": "Op", "zh": "算子"},
    "c_rhs": {"en": "Right", "zh": "右侧"},
    "c_mi": {"en": "MI", "zh": "修正指数 MI"},
    "c_epc": {"en": "EPC", "zh": "EPC"},
    "c_sepc_all": {"en": "Std. EPC", "zh": "标准化 EPC"},
    "c_hypothesis": {"en": "Hypothesis", "zh": "假设"},
    "c_path": {"en": "Path", "zh": "路径"},
    "c_beta": {"en": "\u03b2", "zh": "标准化系数 \u03b2"},
    "c_f2": {"en": "f\u00b2", "zh": "f\u00b2"},
    "c_supported": {"en": "Result", "zh": "结果"},
    "c_r2": {"en": "R\u00b2", "zh": "R\u00b2"},
    "c_chain": {"en": "Indirect path", "zh": "间接路径"},
    "c_ci": {"en": "95% CI (percentile)", "zh": "95% 置信区间（百分位）"},
    "c_ci_wald": {"en": "95% CI (delta method)", "zh": "95% 置信区间（delta 方法）"},
    "c_ci_lower": {"en": "CI lower", "zh": "置信区间下限"},
    "c_ci_upper": {"en": "CI upper", "zh": "置信区间上限"},
    "c_bca": {"en": "95% CI (BCa)", "zh": "95% 置信区间（BCa）"},
    "c_bca_lower": {"en": "BCa lower", "zh": "BCa 下限"},
    "c_bca_upper": {"en": "BCa upper", "zh": "BCa 上限"},
    "c_std_ci": {"en": "95% CI of \u03b2", "zh": "\u03b2 的 95% 置信区间"},
    "c_std_ci_lower": {"en": "\u03b2 CI lower", "zh": "\u03b2 置信区间下限"},
    "c_std_ci_upper": {"en": "\u03b2 CI upper", "zh": "\u03b2 置信区间上限"},
    "c_mediation": {"en": "Mediation", "zh": "中介类型"},
    "c_vaf": {"en": "VAF", "zh": "VAF"},
    "c_group": {"en": "Group", "zh": "组别"},
    "c_chisq_diff": {"en": "\u0394\u03c7\u00b2", "zh": "\u0394\u03c7\u00b2"},
    "c_df_diff": {"en": "\u0394df", "zh": "\u0394df"},
    "c_delta_cfi": {"en": "\u0394CFI", "zh": "\u0394CFI"},
    "c_delta_rmsea": {"en": "\u0394RMSEA", "zh": "\u0394RMSEA"},
    "c_key": {"en": "Item", "zh": "项目"},
    "c_section": {"en": "Section", "zh": "部分"},
    "c_message": {"en": "Message", "zh": "信息"},
    "c_mechanism": {"en": "Mechanism", "zh": "机制"},
    # ---- model names
    "m_measurement": {"en": "Measurement model (CFA)", "zh": "测量模型（CFA）"},
    "m_single": {"en": "Single-factor CFA (Harman)", "zh": "单因子 CFA（Harman）"},
    "m_structural": {"en": "Structural model", "zh": "结构模型"},
    "m_configural": {"en": "Configural", "zh": "形态不变"},
    "m_metric": {"en": "Metric", "zh": "弱不变（载荷等同）"},
    "m_scalar": {"en": "Scalar", "zh": "强不变（截距等同）"},
    # ---- verdicts
    "v_meets": {"en": "meets", "zh": "达标"},
    "v_fails": {"en": "does not meet", "zh": "未达标"},
    "v_supported": {"en": "supported", "zh": "支持"},
    "v_not_supported": {"en": "not supported", "zh": "不支持"},
    "v_yes": {"en": "yes", "zh": "是"},
    "v_no": {"en": "no", "zh": "否"},
    # ---- statistics names
    "s_kmo": {"en": "Kaiser-Meyer-Olkin (KMO)", "zh": "KMO 抽样适切性"},
    "s_bartlett": {"en": "Bartlett's test of sphericity \u03c7\u00b2", "zh": "Bartlett 球形检验 \u03c7\u00b2"},
    "s_harman": {
        "en": "Harman: variance of the first unrotated factor",
        "zh": "Harman 单因子：首个未旋转因子的方差解释率",
    },
    "s_mardia_skew": {"en": "Mardia's multivariate skewness", "zh": "Mardia 多元偏度"},
    "s_mardia_kurt": {"en": "Mardia's multivariate kurtosis", "zh": "Mardia 多元峰度"},
    "s_requested": {"en": "Bootstrap draws requested", "zh": "请求的 Bootstrap 次数"},
    "s_completed": {"en": "Bootstrap draws completed", "zh": "完成的 Bootstrap 次数"},
    "s_failed": {"en": "Bootstrap draws failed", "zh": "失败的 Bootstrap 次数"},
    # ---- notes (thresholds with citations)
    "note_fit": {
        "en": "Cut-offs: CFI \u2265 .95, TLI \u2265 .95, RMSEA \u2264 .06, SRMR \u2264 .08 (Hu & Bentler, 1999); "
        "\u03c7\u00b2/df \u2264 3 (Kline, 2016).",
        "zh": "判断标准：CFI \u2265 .95，TLI \u2265 .95，RMSEA \u2264 .06，SRMR \u2264 .08（Hu & Bentler, 1999）；"
        "\u03c7\u00b2/df \u2264 3（Kline, 2016）。",
    },
    "note_reliability": {
        "en": "Cut-offs: CR > .70 and AVE > .50 (Fornell & Larcker, 1981; Hair et al., 2019); "
        "Cronbach's \u03b1 and \u03c9 \u2265 .70 (Nunnally & Bernstein, 1994).",
        "zh": "判断标准：CR > .70，AVE > .50（Fornell & Larcker, 1981; Hair et al., 2019）；"
        "Cronbach's \u03b1 与 \u03c9 \u2265 .70（Nunnally & Bernstein, 1994）。",
    },
    "note_htmt": {
        "en": "Cut-offs: HTMT < .85 (strict) or < .90 (liberal) (Henseler, Ringle & Sarstedt, 2015). "
        "\u2020 HTMT \u2265 .85; \u2021 HTMT \u2265 .90.",
        "zh": "判断标准：HTMT < .85（严格）或 < .90（宽松）（Henseler, Ringle & Sarstedt, 2015）。"
        "\u2020 HTMT \u2265 .85；\u2021 HTMT \u2265 .90。",
    },
    "note_fornell": {
        "en": "Diagonal: square root of AVE; below the diagonal: factor correlations. Discriminant validity "
        "holds when each diagonal value exceeds the correlations in its row and column "
        "(Fornell & Larcker, 1981). \u2020 a correlation larger than a square root of AVE it meets.",
        "zh": "对角线为 AVE 的平方根，对角线以下为因子相关系数。每个对角线值大于其所在行和列的相关系数时，"
        "区分效度成立（Fornell & Larcker, 1981）。\u2020 相关系数大于对应的 AVE 平方根。",
    },
    "note_loadings": {
        "en": "B = unstandardised loading; the first loading of each construct is fixed to 1 (no SE). "
        "Standardised loadings \u2265 .70 are desirable, \u2265 .50 acceptable (Hair et al., 2019).",
        "zh": "B 为非标准化载荷；每个构念的第一个载荷固定为 1（无标准误）。标准化载荷 \u2265 .70 为佳，"
        "\u2265 .50 可接受（Hair et al., 2019）。",
    },
    "note_paths": {
        "en": "\u03b2 = standardised coefficient. * p < .05, ** p < .01, *** p < .001. "
        "f\u00b2: .02 small, .15 medium, .35 large (Cohen, 1988).",
        "zh": "\u03b2 为标准化系数。* p < .05，** p < .01，*** p < .001。"
        "f\u00b2：.02 小，.15 中，.35 大（Cohen, 1988）。",
    },
    "note_r2": {
        "en": "R\u00b2 of .02, .13 and .26 are small, medium and large (Cohen, 1988).",
        "zh": "R\u00b2 为 .02、.13、.26 分别代表小、中、大效应（Cohen, 1988）。",
    },
    "ci_pct_bca": {"en": "percentile and bias-corrected and accelerated, BCa", "zh": "百分位法与偏差校正加速法 BCa"},
    "ci_pct": {"en": "percentile; BCa not computed", "zh": "百分位法；未计算 BCa"},
    "note_indirect": {
        "en": "Confidence intervals from {completed} bootstrap draws ({methods}); an indirect effect is significant when its interval excludes 0 "
        "(Preacher & Hayes, 2008; Zhao, Lynch & Chen, 2010). VAF = indirect / total effect "
        "(Hair et al., 2017), shown only where a direct effect is estimated, the indirect effect "
        "is significant and both have the same sign.",
        "zh": "置信区间基于 {completed} 次 Bootstrap 抽样（{methods}）；区间不含 0 "
        "时间接效应显著（Preacher & Hayes, 2008; Zhao, Lynch & Chen, 2010）。VAF = 间接效应 / 总效应"
        "（Hair et al., 2017），仅在估计了直接效应、间接效应显著且二者同号时报告。",
    },
    "note_invariance": {
        "en": "Invariance holds when \u0394CFI \u2265 \u2212.010 (Cheung & Rensvold, 2002) and "
        "\u0394RMSEA \u2264 .015 (Chen, 2007).",
        "zh": "当 \u0394CFI \u2265 \u2212.010（Cheung & Rensvold, 2002）且 \u0394RMSEA \u2264 .015"
        "（Chen, 2007）时，测量不变性成立。",
    },
    "note_kmo": {
        "en": "KMO \u2265 .60 is adequate, \u2265 .80 good (Kaiser, 1974). Harman's single-factor test: a first "
        "factor explaining 50% or more of the variance suggests common method bias "
        "(Podsakoff et al., 2003).",
        "zh": "KMO \u2265 .60 为可接受，\u2265 .80 为良好（Kaiser, 1974）。Harman 单因子检验：首个因子解释 50% "
        "及以上方差时提示存在共同方法偏差（Podsakoff et al., 2003）。",
    },
    "note_mardia": {
        "en": "Significant Mardia statistics indicate multivariate non-normality; a robust (MLR) "
        "estimator is then advisable (Mardia, 1970).",
        "zh": "Mardia 统计量显著表示数据不服从多元正态分布，此时建议使用稳健估计（MLR）（Mardia, 1970）。",
    },
    "note_modindices": {
        "en": "Free a parameter only with a theoretical reason (MacCallum, Roznowski & Necowitz, 1992).",
        "zh": "仅在有理论依据时才释放参数（MacCallum, Roznowski & Necowitz, 1992）。",
    },
    "note_descriptives": {
        "en": "Floor/ceiling %: share of answers at the lowest/highest scale point; above 15% "
        "suggests a floor or ceiling effect (Terwee et al., 2007).",
        "zh": "地板/天花板 %：选择量表最低/最高点的比例；超过 15% 提示存在地板或天花板效应（Terwee et al., 2007）。",
    },
    "note_item_total": {
        "en": "Corrected item-total correlations below .30 flag weak items (Nunnally & Bernstein, 1994).",
        "zh": "校正的题项-总分相关低于 .30 提示题项较弱（Nunnally & Bernstein, 1994）。",
    },
    "note_likert": {
        "en": "Bars are centred on the neutral point; the neutral answers are split evenly on both "
        "sides. Percentages of the answers given (missing answers excluded). (R) reverse-keyed item.",
        "zh": "条形以中立点为中心；中立回答平均分布在两侧。百分比以有效回答为基数（不含缺失）。(R) 为反向计分题。",
    },
    "note_diagram": {
        "en": "Standardised coefficients. Solid: p < .05; dashed grey: not significant. "
        "* p < .05, ** p < .01, *** p < .001. R\u00b2 under each endogenous construct.",
        "zh": "标准化系数。实线：p < .05；灰色虚线：不显著。* p < .05，** p < .01，*** p < .001。"
        "内生构念下方为 R\u00b2。",
    },
    "note_diagram_english": {
        "en": "No font with Chinese glyphs was found on the machine that made this file, so the "
        "diagram uses English labels.",
        "zh": "生成本文件的计算机上没有中文字体，因此路径图使用英文标签。",
    },
    "note_histogram": {
        "en": "Bootstrap distribution of the indirect effect; shaded: 95% percentile interval; line: 0.",
        "zh": "间接效应的 Bootstrap 分布；阴影为 95% 百分位区间；竖线为 0。",
    },
    "note_mg_paths": {
        "en": "Free multi-group model (no parameter constrained equal across groups). \u03b2 = "
        "standardised coefficient within each group; grey: p \u2265 .05.",
        "zh": "自由多组模型（无跨组等同约束）。\u03b2 为各组内的标准化系数；灰色：p \u2265 .05。",
    },
    "note_mg": {
        "en": "Each test compares a constrained model (loadings and the tested path equal across groups) "
        "against a model with equal loadings only (\u0394\u03c7\u00b2 test); both are constrained "
        "models, not the free model of the per-group paths.",
        "zh": "每项检验比较约束模型（因子载荷与该路径跨组相等）与仅约束载荷相等的模型（\u0394\u03c7\u00b2 检验）；"
        "二者均为约束模型，而非分组路径所用的自由模型。",
    },
    # ---- method
    "method_intro": {"en": "Analyses were run with {toolkit} {version}.", "zh": "分析使用 {toolkit} {version} 完成。"},
    "meth_estimator": {"en": "Estimator", "zh": "估计方法"},
    "meth_missing": {"en": "Missing data", "zh": "缺失数据处理"},
    "meth_group": {"en": "Group variable", "zh": "分组变量"},
    "meth_bootstrap": {"en": "Bootstrap draws", "zh": "Bootstrap 次数"},
    "meth_seed": {"en": "Random seed", "zh": "随机种子"},
    "meth_alpha": {"en": "Significance level", "zh": "显著性水平"},
    "meth_direct": {"en": "Direct paths estimated", "zh": "是否估计直接路径"},
    "meth_spec": {"en": "Model spec", "zh": "模型设定文件"},
    "meth_sha": {"en": "Spec SHA-256", "zh": "模型设定 SHA-256"},
    "meth_software": {"en": "Software", "zh": "软件版本"},
    "meth_created": {"en": "Created", "zh": "生成时间"},
    "meth_lang": {"en": "Report language", "zh": "报告语言"},
    "meth_conventions": {
        "en": "Model conventions (as in lavaan's sem() and cfa())",
        "zh": "模型约定（与 lavaan 的 sem() 和 cfa() 一致）",
    },
    "conv_marker": {
        "en": "Each latent construct is scaled by fixing its first loading to 1 (marker variable).",
        "zh": "每个潜变量的尺度通过将其第一个载荷固定为 1 来设定（标记变量法）。",
    },
    "conv_exo": {"en": "Exogenous constructs are free to correlate.", "zh": "外生构念之间允许自由相关。"},
    "conv_auto_cov_y": {
        "en": "Residuals of endogenous constructs are free to correlate when neither predicts the other (auto.cov.y).",
        "zh": "互不预测的内生构念的残差允许自由相关（auto.cov.y）。",
    },
    "conv_std": {
        "en": "Standardised estimates are completely standardised (std.all).",
        "zh": "标准化估计为完全标准化解（std.all）。",
    },
    "missing_listwise": {"en": "listwise deletion", "zh": "成列删除"},
    "missing_fiml": {"en": "full-information maximum likelihood (FIML)", "zh": "全信息最大似然（FIML）"},
    "missing_pairwise": {"en": "pairwise deletion", "zh": "成对删除"},
    "references": {"en": "References", "zh": "参考文献"},
    # ---- mediation types (Zhao, Lynch & Chen, 2010)
    "med_full": {"en": "full", "zh": "完全中介"},
    "med_partial": {"en": "partial", "zh": "部分中介"},
    "med_none": {"en": "none", "zh": "无中介"},
    "med_indirect_only": {"en": "indirect-only (full)", "zh": "仅间接（完全中介）"},
    "med_complementary": {"en": "complementary (partial)", "zh": "互补型（部分中介）"},
    "med_competitive": {"en": "competitive", "zh": "竞争型"},
    "med_direct_only": {"en": "direct-only (no mediation)", "zh": "仅直接（无中介）"},
    "med_no_effect": {"en": "no effect", "zh": "无效应"},
    "med_indirect_no_direct_path": {"en": "indirect (no direct path in model)", "zh": "有间接效应（模型无直接路径）"},
    "med_no_indirect_no_direct_path": {"en": "no indirect effect", "zh": "无间接效应"},
    "med_undetermined": {"en": "undetermined", "zh": "无法判断"},
    # ---- the reviewer's toolbox: AMOS-style fit, validity, common method, competing models, groups
    "t_fit_amos": {"en": "Model fit: the full AMOS-style set", "zh": "模型拟合：AMOS 全部指标"},
    "note_fit_amos": {
        "en": "Definitions as lavaan's fitMeasures(): NFI, IFI, RFI, RNI and PNFI against the independence "
        "model; GFI/AGFI/PGFI weighted by the normal-theory information; RMR on the covariance "
        "scale; ECVI = χ²/N + 2q/N. Usual readings: GFI, AGFI, NFI, IFI, TLI, CFI ≥ .90 "
        "(≥ .95 good), PGFI and PNFI ≥ .50, RMSEA ≤ .08, SRMR ≤ .08, χ²/df ≤ 3.",
        "zh": "定义同 lavaan 的 fitMeasures()：NFI、IFI、RFI、RNI、PNFI 以独立模型为基准；GFI/AGFI/PGFI "
        "按正态理论信息矩阵加权；RMR 为协方差尺度的残差均方根；ECVI = χ²/N + 2q/N。常用标准："
        "GFI、AGFI、NFI、IFI、TLI、CFI ≥ .90（≥ .95 为好），PGFI、PNFI ≥ .50，RMSEA ≤ .08，"
        "SRMR ≤ .08，χ²/df ≤ 3。",
    },
    "t_validity_amos": {
        "en": "Convergent and discriminant validity (standardised solution)",
        "zh": "收敛效度与区分效度（标准化解）",
    },
    "c_ave_std": {"en": "AVE (standardised)", "zh": "平均方差抽取量 AVE（标准化）"},
    "c_msv": {"en": "MSV", "zh": "最大共享方差 MSV"},
    "c_asv": {"en": "ASV", "zh": "平均共享方差 ASV"},
    "c_maxrh": {"en": "MaxR(H)", "zh": "最大信度 MaxR(H)"},
    "c_msv_ok": {"en": "MSV < AVE", "zh": "MSV < AVE"},
    "note_validity_amos": {
        "en": "CR = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) and AVE = mean λ² "
        "from the standardised loadings (Fornell & Larcker, 1981); MSV and ASV are the largest "
        "and the mean squared correlation with the other constructs; MaxR(H) is Hancock & "
        "Mueller's (2001) maximal reliability. Convergent validity: CR > .70, AVE > .50; "
        "discriminant validity: MSV < AVE (Hair et al., 2019).",
        "zh": "CR = (Σλ)² / ((Σλ)² + Σ(1 − λ²))，AVE = 标准化载荷平方的均值"
        "（Fornell & Larcker, 1981）；MSV、ASV 为与其他构念相关系数平方的最大值与均值；MaxR(H) 为 "
        "Hancock & Mueller（2001）的最大信度。收敛效度：CR > .70、AVE > .50；区分效度：MSV < AVE"
        "（Hair et al., 2019）。",
    },
    "t_common_method": {
        "en": "Common method bias: single-factor and method-factor (ULMC) models",
        "zh": "共同方法偏差：单因子模型与方法因子（ULMC）模型",
    },
    "m_cfa": {"en": "CFA", "zh": "CFA"},
    "m_ulmc": {"en": "CFA + method factor (ULMC)", "zh": "CFA + 方法因子（ULMC）"},
    "c_method_variance": {"en": "Method variance", "zh": "方法变异"},
    "note_common_method": {
        "en": "ULMC: every item also loads, with one shared loading, on a method factor uncorrelated "
        "with the constructs (Podsakoff et al., 2003; Williams et al., 2010); Δ is the "
        "model minus the CFA. Method variance is the mean squared standardised method loading. "
        "ΔCFI > .01 or a method variance above .25 suggests a method factor worth reporting.",
        "zh": "ULMC：所有题项以同一载荷额外负荷于一个与各构念不相关的方法因子（Podsakoff et al., 2003；"
        "Williams et al., 2010）；Δ 为该模型减去 CFA。方法变异为标准化方法载荷平方的均值。"
        "ΔCFI > .01 或方法变异高于 .25 提示存在值得报告的方法因子。",
    },
    "note_no_marker": {
        "en": "Marker variable: {reason}; the marker-variable tests (Lindell & Whitney, 2001; "
        "Williams et al., 2010) were not run. Declare a background question theoretically "
        "unrelated to the constructs with marker: true to run them.",
        "zh": "标记变量：{reason}；未进行标记变量检验（Lindell & Whitney, 2001；Williams et al., 2010）。"
        "在模型设定中将一个与各构念理论上无关的背景题设为 marker: true 即可进行。",
    },
    "t_marker_cfa": {"en": "Common method bias: CFA marker technique", "zh": "共同方法偏差：CFA 标记变量技术"},
    "c_compared_with": {"en": "Compared with", "zh": "比较对象"},
    "m_marker_cfa": {"en": "CFA with marker", "zh": "含标记变量的 CFA"},
    "m_marker_baseline": {"en": "Baseline", "zh": "基线模型"},
    "m_marker_method_c": {"en": "Method-C", "zh": "Method-C"},
    "m_marker_method_u": {"en": "Method-U", "zh": "Method-U"},
    "m_marker_method_r": {"en": "Method-R", "zh": "Method-R"},
    "note_marker_cfa": {
        "en": "Williams, Hartman & Cavazotte (2010); marker: {markers}; n = {n}; latent variances fixed at 1. "
        "Baseline: the marker's loadings and error variances fixed at their CFA values, the "
        "marker uncorrelated with the constructs. Method-C: every item also loads on the "
        "marker with one equal loading; Method-U: with free loadings; Method-R: the retained "
        "model with the construct correlations fixed at the baseline's. A significant Δχ² of "
        "Method-C shows method variance, of Method-U unequal method effects, of Method-R "
        "construct correlations biased by it.",
        "zh": "Williams, Hartman & Cavazotte（2010）；标记变量：{markers}；n = {n}；潜变量方差固定为 1。"
        "基线模型：标记变量的载荷与误差方差固定为 CFA 中的估计值，且与各构念不相关。"
        "Method-C：所有题项以同一载荷额外负荷于标记因子；Method-U：载荷自由估计；Method-R："
        "在保留模型中将构念间相关固定为基线模型的值。Method-C 的 Δχ² 显著表示存在方法变异，"
        "Method-U 显著表示方法效应不等，Method-R 显著表示构念相关受其偏差影响。",
    },
    "note_marker_single": {
        "en": "The marker is one question, taken as measured without error (its error variance "
        "fixed at 0); several marker questions give a better marker factor (Simmering et "
        "al., 2015).",
        "zh": "标记变量只有一个题目，视为无测量误差（误差方差固定为 0）；多个标记题目可得到更好的标记因子"
        "（Simmering et al., 2015）。",
    },
    "note_marker_result": {
        "en": "Retained: {retained}; method variance (mean squared standardised marker loading "
        "of the items): {mv}; method effects present: {effects}; construct correlations "
        "biased: {biased}.",
        "zh": "保留模型：{retained}；方法变异（题项标准化标记载荷平方的均值）：{mv}；存在方法效应："
        "{effects}；构念相关受偏差影响：{biased}。",
    },
    "t_marker_items": {
        "en": "Common method bias: method variance of each item (CFA marker technique)",
        "zh": "共同方法偏差：各题项的方法变异（CFA 标记变量技术）",
    },
    "c_substantive_loading": {"en": "Construct loading (std.)", "zh": "构念载荷（标准化）"},
    "c_marker_loading": {"en": "Marker loading (std.)", "zh": "标记因子载荷（标准化）"},
    "note_marker_items": {
        "en": "Standardised loadings in the retained model ({retained}); method variance is the "
        "squared marker loading, the share of the item's variance due to the marker factor "
        "(Williams et al., 2010).",
        "zh": "保留模型（{retained}）中的标准化载荷；方法变异为标记因子载荷的平方，即题项方差中由标记因子"
        "解释的比例（Williams et al., 2010）。",
    },
    "t_marker_lw": {
        "en": "Construct correlations corrected for the marker variable (Lindell & Whitney, 2001)",
        "zh": "经标记变量校正的构念相关（Lindell & Whitney, 2001）",
    },
    "c_r_uncorrected": {"en": "r", "zh": "r"},
    "c_r_corrected": {"en": "r (corrected)", "zh": "校正后 r"},
    "c_t_corrected": {"en": "t (corrected)", "zh": "校正后 t"},
    "c_p_corrected": {"en": "p (corrected)", "zh": "校正后 p"},
    "note_marker_lw": {
        "en": "Correlations of the construct mean scores (n = {n}); corrected r = (r − r_M) / "
        "(1 − r_M), tested with t = r / √((1 − r²) / (n − 3)).",
        "zh": "构念均值得分间的相关（n = {n}）；校正后 r = (r − r_M) / (1 − r_M)，检验统计量 "
        "t = r / √((1 − r²) / (n − 3))。",
    },
    "note_marker_rm": {
        "en": "r_M = {rm}, the smallest positive correlation of a marker with a construct ({marker} "
        "with {construct}); the second smallest, a more conservative choice, is {second}.",
        "zh": "r_M = {rm}，即标记变量与构念间最小的正相关（{marker} 与 {construct}）；次小值（更保守的选择）"
        "为 {second}。",
    },
    "note_marker_sig": {
        "en": "Significant at .05: {before} of {total} correlations before the correction, {after} after it.",
        "zh": "在 .05 水平显著：校正前 {total} 个相关中有 {before} 个，校正后有 {after} 个。",
    },
    "t_competing": {"en": "Competing measurement models", "zh": "竞争测量模型比较"},
    "m_full": {"en": "Full CFA ({k} factors)", "zh": "完整 CFA（{k} 个因子）"},
    "m_merged": {"en": "{a} and {b} merged", "zh": "合并 {a} 与 {b}"},
    "m_one_factor": {"en": "One factor", "zh": "单因子"},
    "note_competing": {
        "en": "Δχ² tests against the full CFA; the merged model joins the two most correlated "
        "constructs. A significantly worse fit of each alternative supports the constructs' "
        "discriminant validity.",
        "zh": "Δχ² 均与完整 CFA 比较；合并模型合并相关最高的两个构念。各备择模型拟合显著变差支持构念的区分效度。",
    },
    "t_group_diff": {"en": "Differences in construct scores between groups", "zh": "构念得分的组间差异"},
    "c_by": {"en": "Grouped by", "zh": "分组变量"},
    "c_test": {"en": "Test", "zh": "检验"},
    "c_df2": {"en": "df₂", "zh": "df₂"},
    "c_effect": {"en": "Effect size", "zh": "效应量"},
    "c_groups_means": {"en": "Group means (n)", "zh": "各组均值（n）"},
    "s_welch_t": {"en": "Welch t (Hedges' g)", "zh": "Welch t（Hedges' g）"},
    "s_welch_anova": {"en": "Welch F (ω²)", "zh": "Welch F（ω²）"},
    "note_group_diff": {
        "en": "Construct scores are the means of each construct's items. Two groups: Welch's t test with "
        "Hedges' g; more: Welch's ANOVA with ω² and Games-Howell comparisons (in the "
        "workbook). Computed with pingouin; groups with fewer than two respondents are left out.",
        "zh": "构念得分为各构念题项的均值。两组：Welch t 检验与 Hedges' g；多组：Welch 方差分析与 ω²，"
        "Games-Howell 事后比较见工作簿。由 pingouin 计算；不足两人的组不参与检验。",
    },
    "t_partial": {
        "en": "Partial invariance: constraints released by score test",
        "zh": "部分不变性：按得分检验释放的约束",
    },
    "c_level": {"en": "Level", "zh": "层级"},
    "c_parameter": {"en": "Released parameter", "zh": "释放的参数"},
    "c_score_x2": {"en": "Score χ²", "zh": "得分检验 χ²"},
    "c_largest_in": {"en": "Largest in group", "zh": "最大值所在组"},
    "note_partial": {
        "en": "When a level fails its criteria, the constraint with the largest univariate score test "
        "(lavaan's lavTestScore) is released in every group (group.partial) and the model refitted, "
        "until the criteria hold or no constraint is significant (p < .05); each row is the model "
        "after that release (Byrne, Shavelson & Muthén, 1989).",
        "zh": "某一层级未达标准时，释放单变量得分检验（lavaan 的 lavTestScore）最大的约束（各组同时释放，"
        "即 group.partial）并重新拟合，直至达到标准或没有显著（p < .05）的约束；每行为该次释放后的模型"
        "（Byrne, Shavelson & Muthén, 1989）。",
    },
    "s_partial_ok": {"en": "Partial {level} invariance established", "zh": "部分不变性（{level}）成立"},
    "s_partial_not": {"en": "Partial {level} invariance not established", "zh": "部分不变性（{level}）不成立"},
    "c_p_holm": {"en": "p (Holm)", "zh": "p（Holm 校正）"},
    "c_p_fdr_bh": {"en": "p (BH)", "zh": "p（BH 校正）"},
    "note_adjust_none": {
        "en": "Support is judged by the unadjusted p; Holm and Benjamini-Hochberg (BH) adjusted p-values "
        "over the family of {k} paths are shown beside it (--adjust chooses).",
        "zh": "假设是否支持按未校正的 p 判断；旁列为 {k} 条路径族的 Holm 与 Benjamini-Hochberg（BH）校正 p 值"
        "（可用 --adjust 选择）。",
    },
    "note_adjust_holm": {
        "en": "Support is judged by the Holm-adjusted p over the family of {k} paths (Holm, 1979).",
        "zh": "假设是否支持按 {k} 条路径族的 Holm 校正 p 值判断（Holm, 1979）。",
    },
    "note_adjust_fdr_bh": {
        "en": "Support is judged by the Benjamini-Hochberg (false discovery rate) adjusted p over the "
        "family of {k} paths (Benjamini & Hochberg, 1995).",
        "zh": "假设是否支持按 {k} 条路径族的 Benjamini-Hochberg（错误发现率）校正 p 值判断"
        "（Benjamini & Hochberg, 1995）。",
    },
    "t_htmt_ci": {"en": "HTMT with percentile bootstrap intervals", "zh": "HTMT 及其百分位 Bootstrap 置信区间"},
    "c_pair": {"en": "Constructs", "zh": "构念对"},
    "c_htmt": {"en": "HTMT", "zh": "HTMT"},
    "c_upper_085": {"en": "Upper bound < .85", "zh": "上限 < .85"},
    "c_upper_090": {"en": "Upper bound < .90", "zh": "上限 < .90"},
    "note_htmt_ci": {
        "en": "95% percentile intervals from the resamples of the structural bootstrap ({b} resamples). "
        "Discriminant validity is established when the upper bound is below .85 (conceptually "
        "distinct constructs) or .90 (similar ones; Franke & Sarstedt, 2019).",
        "zh": "95% 百分位区间，来自结构模型 Bootstrap 的同一批重抽样（{b} 次）。上限低于 .85（概念上不同的构念）"
        "或 .90（相近的构念）即可认为区分效度成立（Franke & Sarstedt, 2019）。",
    },
}

REFERENCES = [
    "Anderson, J. C., & Gerbing, D. W. (1988). Structural equation modeling in practice: A review and recommended "
    "two-step approach. Psychological Bulletin, 103(3), 411\u2013423.",
    "Bentler, P. M., & Chou, C.-P. (1987). Practical issues in structural modeling. Sociological Methods & "
    "Research, 16(1), 78\u2013117.",
    "Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement invariance. "
    "Structural Equation Modeling, 14(3), 464\u2013504.",
    "Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing measurement "
    "invariance. Structural Equation Modeling, 9(2), 233\u2013255.",
    "Cohen, J. (1988). Statistical power analysis for the behavioral sciences (2nd ed.). Erlbaum.",
    "Enders, C. K., & Bandalos, D. L. (2001). The relative performance of full information maximum likelihood "
    "estimation for missing data in structural equation models. Structural Equation Modeling, 8(3), 430\u2013457.",
    "Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with unobservable variables "
    "and measurement error. Journal of Marketing Research, 18(1), 39\u201350.",
    "Hair, J. F., Black, W. C., Babin, B. J., & Anderson, R. E. (2019). Multivariate data analysis (8th ed.). Cengage.",
    "Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2017). A primer on partial least squares "
    "structural equation modeling (PLS-SEM) (2nd ed.). Sage.",
    "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing discriminant validity in "
    "variance-based structural equation modeling. Journal of the Academy of Marketing Science, 43(1), 115\u2013135.",
    "Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure analysis: "
    "Conventional criteria versus new alternatives. Structural Equation Modeling, 6(1), 1\u201355.",
    "Kaiser, H. F. (1974). An index of factorial simplicity. Psychometrika, 39(1), 31\u201336.",
    "Kline, R. B. (2016). Principles and practice of structural equation modeling (4th ed.). Guilford.",
    "MacCallum, R. C., Roznowski, M., & Necowitz, L. B. (1992). Model modifications in covariance structure "
    "analysis: The problem of capitalization on chance. Psychological Bulletin, 111(3), 490\u2013504.",
    "Mardia, K. V. (1970). Measures of multivariate skewness and kurtosis with applications. Biometrika, "
    "57(3), 519\u2013530.",
    "Nunnally, J. C., & Bernstein, I. H. (1994). Psychometric theory (3rd ed.). McGraw-Hill.",
    "Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common method biases in "
    "behavioral research. Journal of Applied Psychology, 88(5), 879\u2013903.",
    "Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for assessing and comparing "
    "indirect effects in multiple mediator models. Behavior Research Methods, 40(3), 879\u2013891.",
    "Putnick, D. L., & Bornstein, M. H. (2016). Measurement invariance conventions and reporting: The state of "
    "the art and future directions for psychological research. Developmental Review, 41, 71\u201390.",
    "Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical "
    "Software, 48(2), 1\u201336.",
    "Terwee, C. B., et al. (2007). Quality criteria were proposed for measurement properties of health status "
    "questionnaires. Journal of Clinical Epidemiology, 60(1), 34\u201342.",
    "Zhao, X., Lynch, J. G., & Chen, Q. (2010). Reconsidering Baron and Kenny: Myths and truths about mediation "
    "analysis. Journal of Consumer Research, 37(2), 197\u2013206.",
]


#: Chinese for the reasons results.json gives beside a null statistic (keyed by the English text).
REASONS_ZH: dict[str, str] = {
    "no direct path is estimated (the model fixes the direct effect at 0), so VAF is 1 by construction and says "
    "nothing": "模型未估计直接路径（直接效应固定为 0），VAF 按定义等于 1，没有意义",
    "no bootstrap interval of the indirect effect": "间接效应没有 Bootstrap 置信区间",
    "the indirect effect does not differ from zero (its interval includes 0)": "间接效应不显著（置信区间包含 0）",
    "the indirect and direct effects have opposite signs (competitive mediation), so the ratio is not a share of "
    "the total effect": "间接效应与直接效应符号相反（竞争型中介），该比值不是总效应中的比例",
    "the ratio falls outside 0-1 (other chains of the pair have the opposite sign)": "该比值超出 0-1 范围（同一对构念的其他中介链符号相反）",
    "no bootstrap was run (--bootstrap 0), so there is no SE or interval": "未进行 Bootstrap（--bootstrap 0），因此没有标准误和置信区间",
    "the solution is inadmissible, so no bootstrap was run": "解不可接受，因此未进行 Bootstrap",
    "no bootstrap was run (--bootstrap 0), so there is no bootstrap interval": "未进行 Bootstrap（--bootstrap 0），因此没有 Bootstrap 置信区间",
    "too few bootstrap resamples succeeded for an interval": "成功的 Bootstrap 样本太少，无法计算置信区间",
    "no sampling covariance of the estimates, so no delta-method SE": "没有估计值的抽样协方差矩阵，因此没有 delta 方法标准误",
    "too few bootstrap resamples succeeded for an SE or interval": "成功的 Bootstrap 样本太少，无法计算标准误或置信区间",
    "BCa needs a jackknife refit per respondent, which is not done when each resample is refitted from its raw "
    "rows": "BCa 需要对每名受访者做刀切法重新拟合，而每个 Bootstrap 样本从原始数据重新拟合时不做此计算",
    "the models have the same degrees of freedom (they are equivalent: the structural part is saturated), so "
    "there is nothing to test": "两个模型自由度相同（结构部分饱和，二者等价），因此无从检验",
    "a chi-square or its degrees of freedom is not available": "卡方值或其自由度不可用",
    "a scaling factor of the robust test is not available": "稳健检验的校正因子不可用",
    "the constrained model did not converge": "约束模型未收敛",
    "a model did not converge": "有模型未收敛",
    "no marker variable declared in the spec": "模型设定中未声明标记变量",
    "the CFA marker technique is fitted by maximum likelihood on numeric markers; it is not run with WLSMV "
    "(ordered items)": "CFA 标记变量技术以最大似然法拟合数值型标记变量；使用 WLSMV（有序题项）时不进行",
    "fixed at 1 to set the factor's scale (marker item), so it has no z or p": "固定为 1 以设定因子尺度（标记题项），因此没有 z 值和 p 值",
}


def reason_text(reason: Any, lang: str) -> str:
    """A reason from results.json in ``lang`` (as written when no translation is known)."""
    s = "" if reason is None else str(reason)
    return REASONS_ZH.get(s, s) if lang == "zh" else s


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a report language; raise :class:`InputError` naming the choices otherwise."""
    if lang not in LANGS:
        raise InputError(f"report language {lang!r} is not supported; expected one of: {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str = "en", **fmt: Any) -> str:
    """The string ``key`` in ``lang`` (English when a translation is missing), formatted with ``fmt``."""
    entry = STRINGS[key]
    s = entry.get(lang) or entry["en"]
    return s.format(**fmt) if fmt else s


def text(value: Any, lang: str = "en", default: str = "") -> str:
    """Pick ``lang`` from a bilingual mapping; a plain string is returned as is; ``None`` gives ``default``."""
    if value is None:
        return default
    if isinstance(value, Mapping):
        for key in (lang, "en", "zh"):
            v = value.get(key)
            if v:
                return str(v)
        return default
    return str(value)
