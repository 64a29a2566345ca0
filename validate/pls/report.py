"""PLS-SEM tables for the reports: an HTML fragment, Excel sheets and APA Word tables, in English and Chinese.

The tables are built from ``results["mechanisms"][m]["pls"]`` (see
:meth:`validate.pls.fit.PLSResults.to_dict`) as :class:`validate.report.tables.Table`
objects, so every writer formats them as it formats the CB-SEM tables. The
strings live here (:data:`STRINGS`), in English and Simplified Chinese.

Entry points for the writers: :func:`pls_tables`, :func:`render_pls_html`,
:func:`add_pls_sheets`, :func:`add_pls_docx`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from instruments.spec import ModelSpec
from validate.report import apa
from validate.report.i18n import check_lang
from validate.report.results import Results, View, plain
from validate.report.tables import Column, Table, construct_label

__all__ = [
    "STRINGS",
    "tp",
    "method_row",
    "pls_tables",
    "render_pls_html",
    "add_pls_sheets",
    "add_pls_docx",
    "HTML_TABLES",
    "DOCX_TABLES",
]

STRINGS: dict[str, dict[str, str]] = {
    "sec_pls": {"en": "PLS-SEM", "zh": "偏最小二乘结构方程模型（PLS-SEM）"},
    "t_settings": {"en": "PLS-SEM: estimation settings", "zh": "PLS-SEM：估计设置"},
    "t_outer": {"en": "PLS-SEM: outer loadings and weights", "zh": "PLS-SEM：外部载荷与权重"},
    "t_reliability": {"en": "PLS-SEM: reliability and convergent validity", "zh": "PLS-SEM：信度与收敛效度"},
    "t_htmt": {
        "en": "PLS-SEM: heterotrait-monotrait ratios (HTMT, HTMT2)",
        "zh": "PLS-SEM：异质-单质比率（HTMT、HTMT2）",
    },
    "t_fl": {"en": "PLS-SEM: Fornell-Larcker criterion", "zh": "PLS-SEM：Fornell-Larcker 准则"},
    "t_cross": {"en": "PLS-SEM: cross-loadings", "zh": "PLS-SEM：交叉载荷"},
    "t_paths": {"en": "PLS-SEM: hypotheses (path coefficients)", "zh": "PLS-SEM：假设检验（路径系数）"},
    "t_r2": {"en": "PLS-SEM: explained variance", "zh": "PLS-SEM：解释方差"},
    "t_indirect": {"en": "PLS-SEM: specific indirect effects", "zh": "PLS-SEM：特定间接效应"},
    "t_fit": {"en": "PLS-SEM: model fit", "zh": "PLS-SEM：模型拟合"},
    "t_compare": {"en": "Hypotheses under CB-SEM and PLS-SEM", "zh": "CB-SEM 与 PLS-SEM 的假设检验对比"},
    "c_setting": {"en": "Setting", "zh": "设置"},
    "c_value": {"en": "Value", "zh": "取值"},
    "c_construct": {"en": "Construct", "zh": "构念"},
    "c_item": {"en": "Item", "zh": "题项"},
    "c_mode": {"en": "Mode", "zh": "模式"},
    "c_loading": {"en": "Loading", "zh": "载荷"},
    "c_weight": {"en": "Weight", "zh": "权重"},
    "c_ci": {"en": "95% CI", "zh": "95% 置信区间"},
    "c_bca": {"en": "95% BCa CI", "zh": "95% BCa 置信区间"},
    "c_p_weight": {"en": "p (weight)", "zh": "p（权重）"},
    "c_vif": {"en": "VIF", "zh": "VIF"},
    "c_alpha": {"en": "Cronbach's α", "zh": "Cronbach's α"},
    "c_rho_a": {"en": "ρA", "zh": "ρA"},
    "c_rho_c": {"en": "ρC", "zh": "组合信度 ρC"},
    "c_ave": {"en": "AVE", "zh": "平均方差抽取 AVE"},
    "c_pair": {"en": "Constructs", "zh": "构念对"},
    "c_htmt": {"en": "HTMT", "zh": "HTMT"},
    "c_htmt2": {"en": "HTMT2", "zh": "HTMT2"},
    "c_hyp": {"en": "Hypothesis", "zh": "假设"},
    "c_path": {"en": "Path", "zh": "路径"},
    "c_beta": {"en": "β", "zh": "β"},
    "c_se": {"en": "SE", "zh": "标准误"},
    "c_t": {"en": "t", "zh": "t"},
    "c_p": {"en": "p", "zh": "p"},
    "c_f2": {"en": "f²", "zh": "f²"},
    "c_supported": {"en": "Supported", "zh": "是否支持"},
    "c_r2": {"en": "R²", "zh": "R²"},
    "c_r2_adj": {"en": "Adjusted R²", "zh": "调整后 R²"},
    "c_chain": {"en": "Chain", "zh": "路径链"},
    "c_model": {"en": "Model", "zh": "模型"},
    "c_srmr": {"en": "SRMR", "zh": "SRMR"},
    "c_d_uls": {"en": "d_ULS", "zh": "d_ULS"},
    "c_d_g": {"en": "d_G", "zh": "d_G"},
    "c_cb_beta": {"en": "CB-SEM β (std.)", "zh": "CB-SEM β（标准化）"},
    "c_cb_p": {"en": "CB-SEM p", "zh": "CB-SEM p"},
    "c_cb_sup": {"en": "CB-SEM supported", "zh": "CB-SEM 是否支持"},
    "c_pls_beta": {"en": "PLS-SEM β", "zh": "PLS-SEM β"},
    "c_pls_p": {"en": "PLS-SEM p", "zh": "PLS-SEM p"},
    "c_pls_sup": {"en": "PLS-SEM supported", "zh": "PLS-SEM 是否支持"},
    "saturated": {"en": "Saturated", "zh": "饱和模型"},
    "estimated": {"en": "Estimated", "zh": "估计模型"},
    "yes": {"en": "Yes", "zh": "是"},
    "no": {"en": "No", "zh": "否"},
    "meets": {"en": "meets", "zh": "达标"},
    "fails": {"en": "fails", "zh": "未达标"},
    "s_method": {"en": "Method", "zh": "方法"},
    "s_method_v": {"en": "PLS-SEM (Lohmöller's PLS algorithm{plsc})", "zh": "PLS-SEM（Lohmöller PLS 算法{plsc}）"},
    "s_plsc": {"en": ", consistent PLS (PLSc)", "zh": "，一致性 PLS（PLSc）"},
    "s_measurement": {"en": "Measurement", "zh": "测量模型"},
    "s_meas_composite": {
        "en": 'composites: Mode A (correlation weights; "reflective" in SmartPLS) and Mode B '
        "(regression weights; formative)",
        "zh": "合成变量：模式 A（相关权重；SmartPLS 中的\u201c反映型\u201d）与模式 B（回归权重；形成型）",
    },
    "s_meas_plsc": {
        "en": "common factors for Mode A constructs (PLSc corrects their correlations and loadings with "
        "ρA); Mode B constructs stay composites",
        "zh": "模式 A 构念为共同因子（PLSc 以 ρA 校正其相关与载荷）；模式 B 构念仍为合成变量",
    },
    "s_scheme": {"en": "Inner weighting scheme", "zh": "内部权重方案"},
    "scheme_path": {"en": "path weighting", "zh": "路径加权"},
    "scheme_factorial": {"en": "factorial", "zh": "因子加权"},
    "scheme_centroid": {"en": "centroid", "zh": "重心加权"},
    "s_missing": {"en": "Missing values", "zh": "缺失值处理"},
    "missing_mean": {"en": "mean replacement ({n} cells)", "zh": "均值替换（{n} 个单元格）"},
    "missing_listwise": {"en": "listwise deletion ({n} rows removed)", "zh": "列删除（删除 {n} 行）"},
    "s_n": {"en": "Observations used", "zh": "使用的样本量"},
    "s_conv": {"en": "Convergence", "zh": "收敛"},
    "conv_yes": {
        "en": "converged after {it} iterations (change of the weights < {tol:g}; at most {max} iterations)",
        "zh": "经 {it} 次迭代收敛（权重变化 < {tol:g}；最多 {max} 次迭代）",
    },
    "conv_no": {"en": "did not converge in {max} iterations", "zh": "{max} 次迭代内未收敛"},
    "s_boot": {"en": "Bootstrap", "zh": "Bootstrap"},
    "boot_v": {
        "en": "{completed} of {requested} resamples completed (seed {seed}); {ci} intervals; "
        "p-values two-sided from t = β / SE",
        "zh": "完成 {completed}/{requested} 次重抽样（种子 {seed}）；{ci}置信区间；p 值为基于 t = β / SE 的双侧检验",
    },
    "ci_both": {"en": "percentile and BCa", "zh": "百分位与 BCa "},
    "ci_pct": {"en": "percentile", "zh": "百分位"},
    "boot_none": {
        "en": "not run (no standard errors, p-values or intervals)",
        "zh": "未运行（无标准误、p 值与置信区间）",
    },
    "note_outer": {
        "en": "Loadings of Mode A constructs should exceed .708 (Hair et al., 2022); for Mode B constructs "
        "judge the weights and the VIF (< 3 ideally, < 5 at most).",
        "zh": "模式 A 构念的载荷宜大于 .708（Hair 等，2022）；模式 B 构念看权重与 VIF（理想 < 3，最多 < 5）。",
    },
    "note_reliability": {
        "en": "ρC and ρA between .70 and .95 and AVE above .50 (Hair et al., 2022). Not reported for "
        "Mode B (formative) constructs.{plsc}",
        "zh": "ρC 与 ρA 宜在 .70 至 .95 之间，AVE 宜大于 .50（Hair 等，2022）。模式 B（形成型）构念不报告。{plsc}",
    },
    "note_reliability_plsc": {
        "en": " Under PLSc, ρC and AVE use the consistent loadings.",
        "zh": " 在 PLSc 下，ρC 与 AVE 使用一致性载荷。",
    },
    "note_htmt": {
        "en": "HTMT below .85 (conservative) or .90 (Henseler et al., 2015), and its bootstrap interval "
        "below 1; HTMT2 uses geometric means (Roemer et al., 2021). A one-item construct's monotrait "
        "correlation is taken as 1.",
        "zh": "HTMT 宜低于 .85（保守）或 .90（Henseler 等，2015），且其 bootstrap 置信区间不含 1；HTMT2 使用几何平均"
        "（Roemer 等，2021）。单题项构念的单质相关取 1。",
    },
    "note_fl": {
        "en": "√AVE on the diagonal; construct correlations below it{plsc}. Each √AVE should exceed the "
        "correlations in its row and column (Fornell & Larcker, 1981).",
        "zh": "对角线为 √AVE，下三角为构念相关{plsc}。每个 √AVE 应大于其所在行列的相关系数（Fornell & Larcker，1981）。",
    },
    "note_fl_plsc": {"en": " (PLSc: disattenuated)", "zh": "（PLSc：经衰减校正）"},
    "note_paths": {
        "en": "Standardised path coefficients. f² from the model re-estimated without the path (.02 small, "
        ".15 medium, .35 large; Cohen, 1988). A hypothesis is supported when p < {alpha:g}, judged as "
        "in the CB-SEM analysis. Inner VIF should be below 3 (Hair et al., 2022).",
        "zh": "标准化路径系数。f² 由去掉该路径后重新估计的模型得到（.02 小、.15 中、.35 大；Cohen，1988）。p < {alpha:g} "
        "时假设得到支持，判断标准与 CB-SEM 相同。内部 VIF 宜小于 3（Hair 等，2022）。",
    },
    "note_fit": {
        "en": "Model-implied correlations of the composite model (within a composite block the observed "
        "correlations; PLSc common factors λλ'), after Dijkstra & Henseler (2015), as in cSEM. SRMR "
        "below .08 is the usual reading; PLS-SEM is not primarily judged by fit (Hair et al., 2022).",
        "zh": "基于合成模型的模型隐含相关（合成变量块内取观测相关；PLSc 共同因子取 λλ'），依据 Dijkstra & Henseler（2015），"
        "与 cSEM 一致。SRMR 通常以 .08 为界；PLS-SEM 并不主要以拟合评价（Hair 等，2022）。",
    },
    "note_compare": {
        "en": "CB-SEM: standardised estimates of the covariance-based model (common factors); PLS-SEM: "
        "{meas}. The two methods estimate different quantities, so the coefficients differ in size; "
        "agreement on support is what to read.",
        "zh": "CB-SEM：基于协方差模型（共同因子）的标准化估计；PLS-SEM：{meas}。两种方法估计的量不同，系数大小不同，"
        "应关注是否一致支持假设。",
    },
    "meas_short_composite": {"en": "composites", "zh": "合成变量"},
    "meas_short_plsc": {"en": "PLSc common factors", "zh": "PLSc 共同因子"},
    "meth_method": {"en": "Method", "zh": "方法"},
    "method_cb": {"en": "CB-SEM (covariance-based, lavaan-compatible)", "zh": "CB-SEM（基于协方差，与 lavaan 一致）"},
    "method_pls": {
        "en": "PLS-SEM (the CB-SEM options estimator and missing do not apply)",
        "zh": "PLS-SEM（CB-SEM 的估计方法与缺失值选项不适用）",
    },
    "method_both": {"en": "CB-SEM and PLS-SEM, side by side", "zh": "CB-SEM 与 PLS-SEM 并列"},
    "t_predict": {"en": "PLS-SEM: out-of-sample prediction (PLSpredict)", "zh": "PLS-SEM：样本外预测（PLSpredict）"},
    "c_q2predict": {"en": "Q²predict", "zh": "Q²predict"},
    "c_pls_rmse": {"en": "PLS RMSE", "zh": "PLS RMSE"},
    "c_pls_mae": {"en": "PLS MAE", "zh": "PLS MAE"},
    "c_lm_rmse": {"en": "LM RMSE", "zh": "LM RMSE"},
    "c_lm_mae": {"en": "LM MAE", "zh": "LM MAE"},
    "c_ia_rmse": {"en": "IA RMSE", "zh": "IA RMSE"},
    "c_d_rmse": {"en": "PLS − LM RMSE", "zh": "PLS − LM RMSE"},
    "approach_direct": {"en": "direct antecedents", "zh": "直接前因"},
    "approach_earliest": {"en": "earliest antecedents", "zh": "最早前因"},
    "note_predict": {
        "en": "{k}-fold cross-validation repeated {r} times ({approach}; seed {seed}); values are means "
        "over the repetitions. Q²predict = 1 − SSE(PLS) / SSE(IA), where IA predicts each held-out "
        "answer by the training-sample mean; LM regresses each indicator on the antecedents' "
        "indicators (Shmueli et al., 2019). PLS has a lower RMSE than LM for {better} of {n} "
        "indicators: {verdict}.",
        "zh": "{k} 折交叉验证重复 {r} 次（{approach}；种子 {seed}），表中为各次重复的均值。Q²predict = 1 − "
        "SSE(PLS) / SSE(IA)，IA 以训练样本均值预测保留样本；LM 以前因构念的题项对各题项做线性回归"
        "（Shmueli 等，2019）。{n} 个题项中 PLS 的 RMSE 低于 LM 的有 {better} 个：{verdict}。",
    },
    "verdict_high": {"en": "high predictive power", "zh": "预测力高"},
    "verdict_medium": {"en": "medium predictive power", "zh": "预测力中等"},
    "verdict_low": {"en": "low predictive power", "zh": "预测力低"},
    "verdict_none": {
        "en": "the model lacks predictive power (a Q²predict ≤ 0, or PLS never below LM)",
        "zh": "模型缺乏预测力（存在 Q²predict ≤ 0，或 PLS 均不优于 LM）",
    },
    "verdict_na": {"en": "not judged (a metric could not be computed)", "zh": "未判断（有指标无法计算）"},
    "note_predict_failed": {
        "en": "{k} fold(s) could not be estimated; their cases have no prediction.",
        "zh": "{k} 个折无法估计，其样本无预测值。",
    },
    "predict_skipped": {"en": "PLSpredict was not run: {why}", "zh": "未运行 PLSpredict：{why}"},
    "t_ipma": {"en": "PLS-SEM: importance-performance map of {t}", "zh": "PLS-SEM：{t} 的重要性-绩效图分析（IPMA）"},
    "t_ipma_items": {"en": "PLS-SEM: IPMA of {t}, indicators", "zh": "PLS-SEM：{t} 的 IPMA（题项）"},
    "f_ipma": {"en": "Importance-performance map of {t}", "zh": "{t} 的重要性-绩效图"},
    "c_importance": {"en": "Importance (total effect)", "zh": "重要性（总效应）"},
    "c_performance": {"en": "Performance (0-100)", "zh": "绩效（0-100）"},
    "c_importance_std": {"en": "Standardised total effect", "zh": "标准化总效应"},
    "c_weight_rescaled": {"en": "Rescaled weight", "zh": "重标权重"},
    "ax_importance": {"en": "Importance (unstandardised total effect)", "zh": "重要性（非标准化总效应）"},
    "ax_performance": {"en": "Performance", "zh": "绩效"},
    "note_ipma": {
        "en": "Importance: unstandardised total effect on {t} of the rescaled scores; performance: mean score "
        "rescaled to 0-100 from each item's scale ({scales}); the target's own performance is {p}. "
        "Constructs with high importance and low performance are the ones to improve first (Ringle "
        "& Sarstedt, 2016).",
        "zh": "重要性：重标得分对 {t} 的非标准化总效应；绩效：按各题项量表（{scales}）重标为 0-100 的平均得分；目标"
        "构念自身绩效为 {p}。重要性高而绩效低的构念应优先改进（Ringle & Sarstedt，2016）。",
    },
    "ipma_skipped": {"en": "IPMA was not run: {why}", "zh": "未运行 IPMA：{why}"},
    "t_cvpat": {
        "en": "PLS-SEM: cross-validated predictive ability test (CVPAT)",
        "zh": "PLS-SEM：交叉验证预测能力检验（CVPAT）",
    },
    "c_benchmark": {"en": "Benchmark", "zh": "基准"},
    "c_loss_pls": {"en": "PLS loss", "zh": "PLS 损失"},
    "c_loss_bench": {"en": "Benchmark loss", "zh": "基准损失"},
    "c_loss_diff": {"en": "Loss difference", "zh": "损失差"},
    "c_pls_better": {"en": "PLS better", "zh": "PLS 更优"},
    "bench_ia": {"en": "IA (indicator average)", "zh": "IA（题项均值）"},
    "bench_lm": {"en": "LM (linear model)", "zh": "LM（线性模型）"},
    "overall": {"en": "Overall", "zh": "整体"},
    "note_cvpat": {
        "en": "Loss: mean squared out-of-sample prediction error of the construct's indicators per case, from "
        "the PLSpredict folds. Loss difference = benchmark − PLS; one-sided paired t-test, PLS better "
        "when p < .05 (Liengaard et al., 2021).",
        "zh": "损失：基于 PLSpredict 各折，每个样本该构念题项的样本外预测误差平方均值。损失差 = 基准 − PLS；"
        "单侧配对 t 检验，p < .05 时 PLS 更优（Liengaard 等，2021）。",
    },
    "s_moderation": {"en": "Interaction terms", "zh": "交互项"},
    "mod_two_stage": {
        "en": "two-stage approach (product of the standardised stage-1 construct scores)",
        "zh": "两阶段法（第一阶段标准化构念得分的乘积）",
    },
    "mod_product_indicator": {
        "en": "product-indicator approach (products of the standardised indicators)",
        "zh": "乘积指标法（标准化题项两两相乘）",
    },
    "mod_orthogonal": {
        "en": "orthogonalising approach (products of the standardised indicators, residualised on the indicators)",
        "zh": "正交化法（标准化题项乘积对全部题项回归后的残差）",
    },
    "t_moderation": {"en": "PLS-SEM: moderation (interaction terms)", "zh": "PLS-SEM：调节效应（交互项）"},
    "t_slopes": {"en": "PLS-SEM: simple slopes", "zh": "PLS-SEM：简单斜率"},
    "t_controls": {"en": "PLS-SEM: control variables", "zh": "PLS-SEM：控制变量"},
    "f_slopes": {"en": "Simple slopes of {p} at the moderator {m}", "zh": "{p} 在调节变量 {m} 不同水平下的简单斜率"},
    "c_moderator": {"en": "Moderator", "zh": "调节变量"},
    "c_b_int": {"en": "b (interaction)", "zh": "b（交互项）"},
    "c_beta_int": {"en": "β (standardised term)", "zh": "β（标准化交互项）"},
    "c_main": {"en": "β (moderator)", "zh": "β（调节变量）"},
    "c_p_main": {"en": "p (moderator)", "zh": "p（调节变量）"},
    "c_level": {"en": "Moderator at", "zh": "调节变量水平"},
    "c_slope": {"en": "Simple slope", "zh": "简单斜率"},
    "c_control": {"en": "Control", "zh": "控制变量"},
    "c_on": {"en": "On", "zh": "作用于"},
    "lvl_-1": {"en": "−1 SD", "zh": "−1 SD"},
    "lvl_0": {"en": "Mean", "zh": "均值"},
    "lvl_1": {"en": "+1 SD", "zh": "+1 SD"},
    "note_moderation": {
        "en": "Interaction terms by the {how}. b: the path of the interaction on the scale of the "
        "product of the standardised scores of predictor and moderator (the simple slope at w SD "
        "of the moderator is b(predictor) + b × w; Henseler & Chin, 2010, as seminr); β: the "
        "path of the standardised interaction term (as in the PLS path table of SmartPLS). f² "
        "from the model re-estimated without the interaction. A moderation is supported when "
        "p < {alpha:g} (bootstrap).",
        "zh": "交互项采用{how}。b：交互项在预测变量与调节变量标准化得分乘积尺度上的路径（调节变量为 w 个标准差时"
        "的简单斜率为 b(预测变量) + b × w；Henseler & Chin，2010，与 seminr 一致）；β：标准化交互项的路径"
        "（与 SmartPLS 路径表一致）。f² 由去掉交互项后重新估计的模型得到。p < {alpha:g}（bootstrap）"
        "时调节效应得到支持。",
    },
    "note_main_added": {
        "en": "The spec has no path {path}; the moderator's main effect was added to the model (not a "
        "hypothesis): β = {b}, p {p}.",
        "zh": "模型设定中没有路径 {path}；已加入调节变量的主效应（不是假设）：β = {b}，p {p}。",
    },
    "note_indirect_moderated": {
        "en": "{chain} passes a moderated path: the indirect effect at the mean of {mods} (standardised scores).",
        "zh": "{chain} 经过受调节的路径：为 {mods} 取均值时的间接效应（标准化得分）。",
    },
    "note_slopes": {
        "en": "The effect of the predictor at the moderator's mean and ±1 SD (standardised scores), with "
        "bootstrap standard errors and percentile intervals.",
        "zh": "调节变量取均值及 ±1 个标准差（标准化得分）时预测变量的效应，标准误与百分位置信区间来自 bootstrap。",
    },
    "note_controls": {
        "en": "Each control enters as a single-item construct measured by its data column, with a path "
        "to the constructs named; these paths are not hypotheses.",
        "zh": "每个控制变量以其数据列作为单题项构念，指向所列构念；这些路径不是研究假设。",
    },
    "pair_error": {"en": "{a} vs {b}: not compared ({why})", "zh": "{a} 与 {b}：未比较（{why}）"},
    "t_micom": {
        "en": "PLS-SEM: measurement invariance of composites (MICOM), {a} vs {b}",
        "zh": "PLS-SEM：合成变量测量不变性（MICOM），{a} 与 {b}",
    },
    "t_mga": {
        "en": "PLS-SEM: multigroup analysis of the paths, {a} vs {b}",
        "zh": "PLS-SEM：路径多群组分析，{a} 与 {b}",
    },
    "c_c": {"en": "c", "zh": "c"},
    "c_q05": {"en": "5% quantile", "zh": "5% 分位数"},
    "c_p_c": {"en": "p (c)", "zh": "p（c）"},
    "c_comp_inv": {"en": "Compositional invariance", "zh": "组成不变性"},
    "c_mean_diff": {"en": "Mean difference", "zh": "均值差异"},
    "c_mean_equal": {"en": "Equal means", "zh": "均值相等"},
    "c_var_diff": {"en": "Log variance ratio", "zh": "方差对数比"},
    "c_var_equal": {"en": "Equal variances", "zh": "方差相等"},
    "c_ci_perm": {"en": "95% permutation interval", "zh": "95% 置换区间"},
    "c_beta_g": {"en": "β ({g})", "zh": "β（{g}）"},
    "c_diff": {"en": "Difference", "zh": "差异"},
    "c_p_perm": {"en": "p (permutation)", "zh": "p（置换检验）"},
    "c_p_henseler": {"en": "p (PLS-MGA)", "zh": "p（PLS-MGA）"},
    "c_p_param": {"en": "p (parametric)", "zh": "p（参数检验）"},
    "c_p_welch": {"en": "p (Welch)", "zh": "p（Welch）"},
    "c_differs": {"en": "Differs", "zh": "是否存在差异"},
    "micom_full": {
        "en": "full measurement invariance: the groups' data may also be pooled",
        "zh": "完全测量不变性：各组数据亦可合并分析",
    },
    "micom_partial": {
        "en": "partial measurement invariance: the groups' path coefficients can be compared",
        "zh": "部分测量不变性：可比较各组的路径系数",
    },
    "micom_none": {
        "en": "no compositional invariance: the groups' path coefficients should not be compared",
        "zh": "不满足组成不变性：不宜比较各组的路径系数",
    },
    "note_micom": {
        "en": "Step 1 (configural invariance): {configural}. Step 2: c is the correlation of a construct's "
        "scores under the two groups' weights; invariance holds unless c is below the 5% quantile of "
        "its permutation distribution (p ≤ {alpha:g}). Step 3: differences of the pooled composite "
        "scores' means and log variances, equal when inside the 95% permutation interval. {done} of "
        "{req} permutations completed (seed {seed}); Henseler et al. (2016). Result: {verdict}.",
        "zh": "步骤 1（形态不变性）：{configural}。步骤 2：c 为两组权重下构念得分的相关；若 c 不低于置换分布的 5% "
        "分位数（p > {alpha:g}）则满足组成不变性。步骤 3：合并样本合成得分的均值差与方差对数比，落在 95% "
        "置换区间内视为相等。完成 {done}/{req} 次置换（种子 {seed}）；Henseler 等（2016）。结论：{verdict}。",
    },
    "configural_yes": {
        "en": "established (the same indicators, data treatment and settings in both groups)",
        "zh": "成立（两组使用相同题项、数据处理与算法设置）",
    },
    "configural_no": {"en": "not established (a group's model did not converge)", "zh": "不成立（某组模型未收敛）"},
    "note_mga": {
        "en": "Difference = β({a}) − β({b}). A path differs when the permutation test (Chin & Dibbern, 2010; "
        "{perm} permutations) gives p < {alpha:g}. Also shown, from {boot} bootstrap resamples per group: "
        "Henseler's PLS-MGA (two-sided), the parametric test (Keil et al., 2000) and the "
        "Welch-Satterthwaite test.",
        "zh": "差异 = β（{a}）− β（{b}）。置换检验（Chin & Dibbern，2010；{perm} 次置换）p < {alpha:g} 时判定路径"
        "存在差异。另列各组 {boot} 次 bootstrap 得到的 Henseler PLS-MGA（双侧）、参数检验（Keil 等，2000）与 "
        "Welch-Satterthwaite 检验。",
    },
    "note_mga_noboot": {
        "en": "No bootstrap was run (--bootstrap 0): PLS-MGA, parametric and Welch tests are not shown.",
        "zh": "未运行 bootstrap（--bootstrap 0）：不报告 PLS-MGA、参数检验与 Welch 检验。",
    },
    "note_mga_micom_none": {
        "en": "MICOM found no compositional invariance for this pair: read the differences with "
        "caution (Henseler et al., 2016).",
        "zh": "该组对未满足组成不变性：路径差异需谨慎解读（Henseler 等，2016）。",
    },
}


def tp(key: str, lang: str = "en", **fmt: Any) -> str:
    """A PLS report string in ``lang`` (``en`` or ``zh``), formatted with ``fmt``."""
    check_lang(lang)
    s = STRINGS[key][lang]
    return s.format(**fmt) if fmt else s


def method_row(options: dict, lang: str = "en") -> tuple[str, str]:
    """The ("Method", value) row of the report's method section for ``options["method"]`` (cb by default)."""
    m = (options or {}).get("method") or "cb"
    return tp("meth_method", lang), tp(f"method_{m}", lang) if f"method_{m}" in STRINGS else str(m)


def pair(lo, hi):
    """An interval ``(lo, hi)`` for a ci column, or None when both bounds are missing."""
    return (lo, hi) if lo is not None or hi is not None else None


def _yes(v, lang):
    return None if v is None else tp("yes" if v else "no", lang)


def _within(v, lo=None, hi=None):
    f = apa.as_float(v)
    if f is None:
        return None
    return (lo is None or f > lo) and (hi is None or f < hi)


def reliability_rows(rel, lab: Callable[[str], str], with_mode: bool = False) -> tuple[list[dict], dict]:
    """Rows and marks of a PLS reliability table from ``(construct, view)`` pairs: alpha, rho_A, rho_C
    and AVE, marked against .70 (.95 above for rho_A/rho_C) and .50 (Hair et al.). ``with_mode``: a
    ``mode`` column, and marks on Mode A constructs only (a composite has no reliability to judge)."""
    rows, marks = [], {}
    for c, v in rel:
        row = {
            "construct": lab(c),
            "alpha": v.get("alpha"),
            "rho_a": v.get("rho_a"),
            "rho_c": v.get("rho_c"),
            "ave": v.get("ave"),
        }
        if with_mode:
            row["mode"] = v.get("mode")
        rows.append(row)
        if with_mode and row["mode"] != "A":
            continue
        for key, lo, hi in (("alpha", 0.70, None), ("rho_a", 0.70, 0.95), ("rho_c", 0.70, 0.95), ("ave", 0.50, None)):
            ok = _within(row[key], lo, hi)
            if ok is not None:
                marks[(len(rows) - 1, key)] = "ok" if ok else "fail"
    return rows, marks


def _level_names(spec: ModelSpec | None, column: str | None, lang: str):
    """Level code -> its answer label in the spec's background question (e.g. 1 -> 抖音), else the code."""
    q = next((b for b in (spec.background if spec is not None else []) if b.id == column), None)
    names = {}
    for ch in q.choices if q is not None else []:
        names[str(ch.code)] = ch.label.get(lang) or str(ch.code)
    return lambda g: names.get(str(g), str(g))


def pls_tables(results: dict, spec: ModelSpec | None, mid: str, lang: str) -> dict[str, Table]:
    """The PLS tables of mechanism ``mid``, keyed ``pls_*`` (empty when the mechanism has no ``pls`` entry)."""
    check_lang(lang)
    mres = Results.of(results).mechanism(mid)
    pls = mres.obj("pls")
    if not pls:
        return {}
    mech = spec.mechanisms.get(mid) if spec is not None else None
    lab = lambda c: f"{construct_label(mech, c, lang)} ({c})" if mech is not None else c  # noqa: E731
    consistent = bool(pls.get("consistent"))
    out: dict[str, Table] = {}

    # settings
    miss = pls.obj("missing")
    boot = pls.obj("bootstrap")
    rows = [
        (tp("s_method", lang), tp("s_method_v", lang, plsc=tp("s_plsc", lang) if consistent else "")),
        (tp("s_measurement", lang), tp("s_meas_plsc" if consistent else "s_meas_composite", lang)),
        (
            tp("s_scheme", lang),
            tp(f"scheme_{pls.get('scheme')}", lang)
            if pls.get("scheme") in ("path", "factorial", "centroid")
            else str(pls.get("scheme")),
        ),
        (
            tp("s_missing", lang),
            tp("missing_listwise", lang, n=miss.get("n_dropped", 0))
            if miss.get("method") == "listwise deletion"
            else tp("missing_mean", lang, n=miss.get("n_replaced", 0)),
        ),
        (tp("s_n", lang), str(pls.get("n_obs"))),
        (
            tp("s_conv", lang),
            tp(
                "conv_yes",
                lang,
                it=pls.get("iterations"),
                tol=pls.get("tolerance") or 1e-7,
                max=pls.get("max_iterations"),
            )
            if pls.get("converged")
            else tp("conv_no", lang, max=pls.get("max_iterations")),
        ),
        (
            tp("s_boot", lang),
            tp(
                "boot_v",
                lang,
                completed=boot.get("completed"),
                requested=boot.get("requested"),
                seed=boot.get("seed"),
                ci=tp("ci_both" if "BCa" in str(boot.get("ci")) else "ci_pct", lang),
            )
            if boot
            else tp("boot_none", lang),
        ),
    ]
    from validate.pls.hoc_report import hoc_setting_row, hoc_tables

    rows += [r for r in (hoc_setting_row(pls, lang),) if r is not None]  # higher-order constructs: the approach
    out["pls_settings"] = Table(
        "pls_settings",
        tp("t_settings", lang),
        [Column("setting", tp("c_setting", lang)), Column("value", tp("c_value", lang))],
        [{"setting": a, "value": b} for a, b in rows],
        pls.list("warnings"),
        mid,
    )

    # outer model
    modes = pls.obj("modes")
    wts = {(w.get("construct"), w.get("item")): w for w in pls.rows("weights")}
    vifo = pls.obj("vif_outer")
    rows, marks = [], {}
    for ld in pls.rows("loadings"):
        c, it = ld.get("construct"), ld.get("item")
        w = wts.get((c, it)) or pls.empty_row("weights")
        vif = vifo.obj(c).get(it)
        rows.append(
            {
                "construct": lab(c),
                "item": it,
                "mode": modes.get(c),
                "loading": ld.get("estimate"),
                "loading_ci": pair(ld.get("ci_lower"), ld.get("ci_upper")),
                "weight": w.get("estimate"),
                "weight_ci": pair(w.get("ci_lower"), w.get("ci_upper")),
                "weight_p": w.get("p_value"),
                "vif": vif,
            }
        )
        i = len(rows) - 1
        if modes.get(c) == "A" and apa.as_float(ld.get("estimate")) is not None:
            marks[(i, "loading")] = "ok" if ld["estimate"] > 0.708 else "warn"
        if apa.as_float(vif) is not None and vif >= 5:
            marks[(i, "vif")] = "fail"
    out["pls_outer"] = Table(
        "pls_outer",
        tp("t_outer", lang),
        [
            Column("construct", tp("c_construct", lang)),
            Column("item", tp("c_item", lang)),
            Column("mode", tp("c_mode", lang)),
            Column("loading", tp("c_loading", lang), "num3"),
            Column("loading_ci", tp("c_ci", lang), "ci3"),
            Column("weight", tp("c_weight", lang), "num3"),
            Column("weight_ci", tp("c_ci", lang), "ci3"),
            Column("weight_p", tp("c_p_weight", lang), "p"),
            Column("vif", tp("c_vif", lang), "num2"),
        ],
        rows,
        [tp("note_outer", lang)],
        mid,
        marks,
    )

    # reliability
    rows, marks = reliability_rows(pls.obj("reliability").items(), lab, with_mode=True)
    out["pls_reliability"] = Table(
        "pls_reliability",
        tp("t_reliability", lang),
        [
            Column("construct", tp("c_construct", lang)),
            Column("mode", tp("c_mode", lang)),
            Column("alpha", tp("c_alpha", lang), "bounded3"),
            Column("rho_a", tp("c_rho_a", lang), "bounded3"),
            Column("rho_c", tp("c_rho_c", lang), "bounded3"),
            Column("ave", tp("c_ave", lang), "bounded3"),
        ],
        rows,
        [tp("note_reliability", lang, plsc=tp("note_reliability_plsc", lang) if consistent else "")],
        mid,
        marks,
    )

    # HTMT
    rows, marks = [], {}
    for h in pls.rows("htmt_inference"):
        rows.append(
            {
                "pair": f"{h.get('construct_a')} \u2013 {h.get('construct_b')}",
                "htmt": h.get("htmt"),
                "htmt_ci": pair(h.get("ci_lower"), h.get("ci_upper")),
                "htmt2": h.get("htmt2"),
                "htmt2_ci": pair(h.get("htmt2_ci_lower"), h.get("htmt2_ci_upper")),
            }
        )
        v = apa.as_float(h.get("htmt"))
        if v is not None:
            marks[(len(rows) - 1, "htmt")] = "ok" if v < 0.85 else ("warn" if v < 0.90 else "fail")
    if rows:
        out["pls_htmt"] = Table(
            "pls_htmt",
            tp("t_htmt", lang),
            [
                Column("pair", tp("c_pair", lang)),
                Column("htmt", tp("c_htmt", lang), "num3"),
                Column("htmt_ci", tp("c_ci", lang), "ci3"),
                Column("htmt2", tp("c_htmt2", lang), "num3"),
                Column("htmt2_ci", tp("c_ci", lang), "ci3"),
            ],
            rows,
            [tp("note_htmt", lang)],
            mid,
            marks,
        )

    # Fornell-Larcker
    fl = pls.obj("fornell_larcker")
    if fl:
        order = list(fl)
        rows = []
        for i, a in enumerate(order):
            row: dict[str, Any] = {"construct": lab(a)}
            for j, b in enumerate(order):
                row[b] = fl.obj(a).get(b) if j <= i else ""
            rows.append(row)
        out["pls_fornell_larcker"] = Table(
            "pls_fornell_larcker",
            tp("t_fl", lang),
            [Column("construct", tp("c_construct", lang))] + [Column(c, c, "num3") for c in order],
            rows,
            [tp("note_fl", lang, plsc=tp("note_fl_plsc", lang) if consistent else "")],
            mid,
        )

    # cross-loadings (workbook only)
    cl = pls.obj("cross_loadings")
    if cl:
        names = list(cl.obj(next(iter(cl))))
        out["pls_cross_loadings"] = Table(
            "pls_cross_loadings",
            tp("t_cross", lang),
            [Column("item", tp("c_item", lang))] + [Column(c, c, "num3") for c in names],
            [{"item": it, **plain(v)} for it, v in cl.items()],
            [],
            mid,
        )  # construct ids: data

    # paths
    rows, marks = [], {}
    alpha = pls.get("alpha") or 0.05
    for p in pls.rows("paths"):
        rows.append(
            {
                "hypothesis": p.get("hypothesis"),
                "path": f"{p.get('from')} \u2192 {p.get('to')}",
                "beta": p.get("estimate"),
                "se": p.get("se"),
                "t": p.get("t"),
                "p": p.get("p_value"),
                "ci": pair(p.get("ci_lower"), p.get("ci_upper")),
                "bca": pair(p.get("bca_lower"), p.get("bca_upper")),
                "f2": p.get("f2"),
                "vif": p.get("vif"),
                "supported": _yes(p.get("supported"), lang),
            }
        )
        if p.get("supported") is not None:
            marks[(len(rows) - 1, "supported")] = "ok" if p["supported"] else "ns"
    out["pls_paths"] = Table(
        "pls_paths",
        tp("t_paths", lang),
        [
            Column("hypothesis", tp("c_hyp", lang)),
            Column("path", tp("c_path", lang)),
            Column("beta", tp("c_beta", lang), "num3"),
            Column("se", tp("c_se", lang), "num3"),
            Column("t", tp("c_t", lang), "num2"),
            Column("p", tp("c_p", lang), "p"),
            Column("ci", tp("c_ci", lang), "ci3"),
            Column("bca", tp("c_bca", lang), "ci3"),
            Column("f2", tp("c_f2", lang), "num3"),
            Column("vif", tp("c_vif", lang), "num2"),
            Column("supported", tp("c_supported", lang), "verdict"),
        ],
        rows,
        [tp("note_paths", lang, alpha=alpha)],
        mid,
        marks,
    )

    # R²
    inf = {r.get("construct"): r for r in pls.rows("r2_inference")}
    no_inf = pls.empty_row("r2_inference")
    rows = [
        {
            "construct": lab(c),
            "r2": v,
            "r2_adj": pls.obj("r2_adj").get(c),
            "ci": pair(inf.get(c, no_inf).get("ci_lower"), inf.get(c, no_inf).get("ci_upper")),
        }
        for c, v in pls.obj("r2").items()
    ]
    out["pls_r2"] = Table(
        "pls_r2",
        tp("t_r2", lang),
        [
            Column("construct", tp("c_construct", lang)),
            Column("r2", tp("c_r2", lang), "bounded3"),
            Column("r2_adj", tp("c_r2_adj", lang), "bounded3"),
            Column("ci", tp("c_ci", lang), "ci_b3"),
        ],
        rows,
        [],
        mid,
    )

    # indirect
    rows = [
        {
            "chain": r.get("chain", "").replace(" -> ", " \u2192 "),
            "estimate": r.get("estimate"),
            "se": r.get("se"),
            "t": r.get("t"),
            "p": r.get("p_value"),
            "ci": pair(r.get("ci_lower"), r.get("ci_upper")),
            "bca": pair(r.get("bca_lower"), r.get("bca_upper")),
        }
        for r in pls.rows("indirect")
    ]
    ind_notes = [
        tp(
            "note_indirect_moderated",
            lang,
            chain=r.get("chain", "").replace(" -> ", " \u2192 "),
            mods=", ".join(str(x) for x in r.list("at_moderator_mean")),
        )
        for r in pls.rows("indirect")
        if r.get("at_moderator_mean")
    ]
    if rows:
        out["pls_indirect"] = Table(
            "pls_indirect",
            tp("t_indirect", lang),
            [
                Column("chain", tp("c_chain", lang)),
                Column("estimate", tp("c_beta", lang), "num3"),
                Column("se", tp("c_se", lang), "num3"),
                Column("t", tp("c_t", lang), "num2"),
                Column("p", tp("c_p", lang), "p"),
                Column("ci", tp("c_ci", lang), "ci3"),
                Column("bca", tp("c_bca", lang), "ci3"),
            ],
            rows,
            ind_notes,
            mid,
        )

    out.update(_moderation_tables(pls, mid, lang, alpha))
    if pls.get("moderation_approach") in ("two_stage", "product_indicator", "orthogonal"):
        out["pls_settings"].rows.append(
            {"setting": tp("s_moderation", lang), "value": tp(f"mod_{pls['moderation_approach']}", lang)}
        )

    # fit
    fit = pls.obj("fit")
    rows = [
        {"model": tp(k, lang), **{m: fit.obj(k).get(m) for m in ("srmr", "d_uls", "d_g")}}
        for k in ("saturated", "estimated")
        if fit.get(k)
    ]
    if rows:
        out["pls_fit"] = Table(
            "pls_fit",
            tp("t_fit", lang),
            [
                Column("model", tp("c_model", lang)),
                Column("srmr", tp("c_srmr", lang), "bounded3"),
                Column("d_uls", tp("c_d_uls", lang), "num3"),
                Column("d_g", tp("c_d_g", lang), "num3"),
            ],
            rows,
            [tp("note_fit", lang)],
            mid,
        )

    # PLSpredict
    pr = pls.obj("predict")
    if pr.get("items"):
        rows, marks = [], {}
        for r in pr.rows("items"):
            rows.append(
                {
                    "construct": lab(r.get("construct")),
                    "item": r.get("item"),
                    "q2": r.get("q2_predict"),
                    "pls_rmse": r.get("pls_rmse"),
                    "pls_mae": r.get("pls_mae"),
                    "lm_rmse": r.get("lm_rmse"),
                    "lm_mae": r.get("lm_mae"),
                    "ia_rmse": r.get("ia_rmse"),
                    "d_rmse": r.get("pls_minus_lm_rmse"),
                }
            )
            i = len(rows) - 1
            q2 = apa.as_float(r.get("q2_predict"))
            if q2 is not None:
                marks[(i, "q2")] = "ok" if q2 > 0 else "fail"
            d = apa.as_float(r.get("pls_minus_lm_rmse"))
            if d is not None:
                marks[(i, "d_rmse")] = "ok" if d < 0 else "warn"
        v = pr.get("verdict_rmse")
        notes = [
            tp(
                "note_predict",
                lang,
                k=pr.get("folds"),
                r=pr.get("repetitions"),
                approach=tp(f"approach_{pr.get('approach')}", lang)
                if pr.get("approach") in ("direct", "earliest")
                else str(pr.get("approach")),
                seed=pr.get("seed") if pr.get("seed") is not None else "—",
                better=pr.get("pls_lower_rmse_than_lm"),
                n=pr.get("n_items"),
                verdict=tp(f"verdict_{v}" if v in ("high", "medium", "low", "none") else "verdict_na", lang),
            )
        ]
        if pr.get("failed_folds"):
            notes.append(tp("note_predict_failed", lang, k=pr.get("failed_folds")))
        out["pls_predict"] = Table(
            "pls_predict",
            tp("t_predict", lang),
            [
                Column("construct", tp("c_construct", lang)),
                Column("item", tp("c_item", lang)),
                Column("q2", tp("c_q2predict", lang), "num3"),
                Column("pls_rmse", tp("c_pls_rmse", lang), "num3"),
                Column("pls_mae", tp("c_pls_mae", lang), "num3"),
                Column("lm_rmse", tp("c_lm_rmse", lang), "num3"),
                Column("lm_mae", tp("c_lm_mae", lang), "num3"),
                Column("ia_rmse", tp("c_ia_rmse", lang), "num3"),
                Column("d_rmse", tp("c_d_rmse", lang), "num3"),
            ],
            rows,
            notes,
            mid,
            marks,
        )
    elif pr.get("skipped") and out.get("pls_settings") is not None:
        out["pls_settings"].notes.append(tp("predict_skipped", lang, why=pr.get("skipped")))

    # CVPAT
    cv = pls.obj("cvpat")
    if cv.get("tests"):
        rows, marks = [], {}
        for r in cv.rows("tests"):
            c = r.get("construct")
            rows.append(
                {
                    "construct": tp("overall", lang) if c == "overall" else lab(c),
                    "benchmark": tp(f"bench_{r.get('benchmark')}", lang)
                    if r.get("benchmark") in ("ia", "lm")
                    else r.get("benchmark"),
                    "loss_pls": r.get("loss_pls"),
                    "loss_bench": r.get("loss_benchmark"),
                    "diff": r.get("difference"),
                    "t": r.get("t"),
                    "p": r.get("p_value"),
                    "better": _yes(r.get("pls_better"), lang),
                }
            )
            if r.get("pls_better") is not None:
                marks[(len(rows) - 1, "better")] = "ok" if r["pls_better"] else "ns"
        out["pls_cvpat"] = Table(
            "pls_cvpat",
            tp("t_cvpat", lang),
            [
                Column("construct", tp("c_construct", lang)),
                Column("benchmark", tp("c_benchmark", lang)),
                Column("loss_pls", tp("c_loss_pls", lang), "num3"),
                Column("loss_bench", tp("c_loss_bench", lang), "num3"),
                Column("diff", tp("c_loss_diff", lang), "num3"),
                Column("t", tp("c_t", lang), "num2"),
                Column("p", tp("c_p", lang), "p"),
                Column("better", tp("c_pls_better", lang), "verdict"),
            ],
            rows,
            [tp("note_cvpat", lang)],
            mid,
            marks,
        )

    # IPMA, a table per target (indicators in the workbook)
    ip = pls.obj("ipma")
    scales = ip.obj("scales")
    scale_txt = ", ".join(
        sorted({f"{a:g}-{b:g}" for a, b in (scales.list(s) for s in scales) if a is not None and b is not None})
    )
    for k, (t, v) in enumerate(ip.obj("targets").items(), 1):
        rows = [
            {
                "construct": lab(r.get("construct")),
                "id": r.get("construct"),
                "importance": r.get("importance"),
                "importance_std": r.get("importance_standardised"),
                "performance": r.get("performance"),
            }
            for r in v.rows("constructs")
        ]
        note = tp("note_ipma", lang, t=lab(t), scales=scale_txt or "—", p=apa.fmt_num(v.get("performance"), 1))
        out[f"pls_ipma_{k}"] = Table(
            "pls_ipma",
            tp("t_ipma", lang, t=lab(t)),
            [
                Column("construct", tp("c_construct", lang)),
                Column("importance", tp("c_importance", lang), "num3"),
                Column("importance_std", tp("c_importance_std", lang), "num3"),
                Column("performance", tp("c_performance", lang), "num2"),
            ],
            rows,
            [note] + ip.list("warnings"),
            mid,
        )
        items = [
            {
                "construct": lab(r.get("construct")),
                "item": r.get("item"),
                "weight": r.get("weight"),
                "importance": r.get("importance"),
                "performance": r.get("performance"),
            }
            for r in v.rows("indicators")
        ]
        out[f"pls_ipma_items_{k}"] = Table(
            "pls_ipma_items",
            tp("t_ipma_items", lang, t=lab(t)),
            [
                Column("construct", tp("c_construct", lang)),
                Column("item", tp("c_item", lang)),
                Column("weight", tp("c_weight_rescaled", lang), "num3"),
                Column("importance", tp("c_importance", lang), "num3"),
                Column("performance", tp("c_performance", lang), "num2"),
            ],
            items,
            [],
            mid,
        )
    if ip.get("skipped") and out.get("pls_settings") is not None:
        out["pls_settings"].notes.append(tp("ipma_skipped", lang, why=ip.get("skipped")))

    # MICOM and MGA, a table per pair of groups
    micom = pls.obj("micom")
    gname = _level_names(spec, micom.get("group") or pls.obj("mga").get("group"), lang)
    for k, pr in enumerate(micom.rows("pairs"), 1):
        a, b = (gname(g) for g in (pr.list("groups") + ["", ""])[:2])
        if pr.get("error"):
            if out.get("pls_settings") is not None:
                out["pls_settings"].notes.append(tp("pair_error", lang, a=a, b=b, why=pr.get("error")))
            continue
        rows, marks = [], {}
        mv = {r.get("construct"): r for r in pr.rows("means_variances")}
        for r in pr.rows("compositional"):
            v = mv.get(r.get("construct")) or pr.empty_row("means_variances")
            rows.append(
                {
                    "construct": lab(r.get("construct")),
                    "c": r.get("c"),
                    "q05": r.get("q05"),
                    "p": r.get("p_value"),
                    "inv": _yes(r.get("invariant"), lang),
                    "mean": v.get("mean_diff"),
                    "mean_ci": pair(v.get("mean_ci_lower"), v.get("mean_ci_upper")),
                    "mean_eq": _yes(v.get("mean_equal"), lang),
                    "var": v.get("log_var_ratio_diff"),
                    "var_ci": pair(v.get("log_var_ratio_ci_lower"), v.get("log_var_ratio_ci_upper")),
                    "var_eq": _yes(v.get("log_var_ratio_equal"), lang),
                }
            )
            i = len(rows) - 1
            for key, ok in (
                ("inv", r.get("invariant")),
                ("mean_eq", v.get("mean_equal")),
                ("var_eq", v.get("log_var_ratio_equal")),
            ):
                if ok is not None:
                    marks[(i, key)] = "ok" if ok else "fail"
        perm = pr.obj("permutations")
        conf = pr.obj("configural")
        verdict = pr.get("verdict")
        note = tp(
            "note_micom",
            lang,
            configural=tp("configural_yes" if conf.get("established") else "configural_no", lang),
            alpha=micom.get("alpha") or 0.05,
            done=perm.get("completed"),
            req=perm.get("requested"),
            seed=perm.get("seed"),
            verdict=tp(f"micom_{verdict}", lang) if verdict in ("full", "partial", "none") else "—",
        )
        out[f"pls_micom_{k}"] = Table(
            "pls_micom",
            tp("t_micom", lang, a=a, b=b),
            [
                Column("construct", tp("c_construct", lang)),
                Column("c", tp("c_c", lang), "num3"),
                Column("q05", tp("c_q05", lang), "num3"),
                Column("p", tp("c_p_c", lang), "p"),
                Column("inv", tp("c_comp_inv", lang), "verdict"),
                Column("mean", tp("c_mean_diff", lang), "num3"),
                Column("mean_ci", tp("c_ci_perm", lang), "ci3"),
                Column("mean_eq", tp("c_mean_equal", lang), "verdict"),
                Column("var", tp("c_var_diff", lang), "num3"),
                Column("var_ci", tp("c_ci_perm", lang), "ci3"),
                Column("var_eq", tp("c_var_equal", lang), "verdict"),
            ],
            rows,
            [note],  # a pair has no warnings
            mid,
            marks,
        )
    mga = pls.obj("mga")
    hyp = {(p.get("from"), p.get("to")): p.get("hypothesis") for p in pls.rows("paths")}
    for k, pr in enumerate(mga.rows("pairs"), 1):
        a, b = (gname(g) for g in (pr.list("groups") + ["", ""])[:2])
        if pr.get("error"):
            continue
        rows, marks = [], {}
        for r in pr.rows("paths"):
            rows.append(
                {
                    "hypothesis": hyp.get((r.get("from"), r.get("to"))),
                    "path": f"{r.get('from')} → {r.get('to')}",
                    "b1": r.get("beta_1"),
                    "b2": r.get("beta_2"),
                    "diff": r.get("diff"),
                    "p_perm": r.get("p_permutation"),
                    "p_hens": r.get("p_henseler_two_sided"),
                    "p_param": r.get("p_parametric"),
                    "p_welch": r.get("p_welch"),
                    "differs": _yes(r.get("differs"), lang),
                }
            )
            if r.get("differs") is not None:
                marks[(len(rows) - 1, "differs")] = "ok" if r["differs"] else "ns"
        notes = [
            tp(
                "note_mga",
                lang,
                a=a,
                b=b,
                perm=pr.get("permutations"),
                alpha=mga.get("alpha") or 0.05,
                boot=pr.get("bootstrap"),
            )
        ]
        if not pr.get("bootstrap"):
            notes.append(tp("note_mga_noboot", lang))
        if pr.get("micom_verdict") == "none":
            notes.append(tp("note_mga_micom_none", lang))
        out[f"pls_mga_{k}"] = Table(
            "pls_mga",
            tp("t_mga", lang, a=a, b=b),
            [
                Column("hypothesis", tp("c_hyp", lang)),
                Column("path", tp("c_path", lang)),
                Column("b1", tp("c_beta_g", lang, g=a), "num3"),
                Column("b2", tp("c_beta_g", lang, g=b), "num3"),
                Column("diff", tp("c_diff", lang), "num3"),
                Column("p_perm", tp("c_p_perm", lang), "p"),
                Column("p_hens", tp("c_p_henseler", lang), "p"),
                Column("p_param", tp("c_p_param", lang), "p"),
                Column("p_welch", tp("c_p_welch", lang), "p"),
                Column("differs", tp("c_differs", lang), "verdict"),
            ],
            rows,
            notes,
            mid,
            marks,
        )

    out.update(hoc_tables(pls, lab, lang, mid))  # higher-order constructs (pls.higher_order)

    # CB and PLS side by side
    cb = {(p.get("from"), p.get("to")): p for p in mres.obj("structural").rows("paths")}
    if cb:
        rows = []
        for p in pls.rows("paths"):
            c = cb.get((p.get("from"), p.get("to"))) or mres.structural.empty_row("paths")
            rows.append(
                {
                    "hypothesis": p.get("hypothesis") or c.get("hypothesis"),
                    "path": f"{p.get('from')} \u2192 {p.get('to')}",
                    "cb_beta": c.get("std"),
                    "cb_p": c.get("p_value"),
                    "cb_sup": _yes(c.get("supported"), lang),
                    "pls_beta": p.get("estimate"),
                    "pls_p": p.get("p_value"),
                    "pls_sup": _yes(p.get("supported"), lang),
                }
            )
        out["pls_compare"] = Table(
            "pls_compare",
            tp("t_compare", lang),
            [
                Column("hypothesis", tp("c_hyp", lang)),
                Column("path", tp("c_path", lang)),
                Column("cb_beta", tp("c_cb_beta", lang), "num3"),
                Column("cb_p", tp("c_cb_p", lang), "p"),
                Column("cb_sup", tp("c_cb_sup", lang), "verdict"),
                Column("pls_beta", tp("c_pls_beta", lang), "num3"),
                Column("pls_p", tp("c_pls_p", lang), "p"),
                Column("pls_sup", tp("c_pls_sup", lang), "verdict"),
            ],
            rows,
            [tp("note_compare", lang, meas=tp("meas_short_plsc" if consistent else "meas_short_composite", lang))],
            mid,
        )
    return out


def _p_text(p) -> str:
    f = apa.as_float(p)
    return apa.MISSING if f is None else ("< .001" if f < 0.001 else "= " + apa.fmt_num(f, 3).replace("0.", ".", 1))


def _moderation_tables(pls: View, mid: str, lang: str, alpha: float) -> dict[str, Table]:
    """``pls.moderation`` and ``pls.controls``: the interaction paths, their simple slopes, the control paths."""
    out: dict[str, Table] = {}
    mods = pls.rows("moderation")
    arrow = "\u2192"
    if mods:
        how = (
            tp(f"mod_{mods[0].get('approach')}", lang)
            if mods[0].get("approach") in ("two_stage", "product_indicator", "orthogonal")
            else str(mods[0].get("approach"))
        )
        notes = [tp("note_moderation", lang, how=how, alpha=alpha)]
        rows, marks = [], {}
        for m in mods:
            eff = m.obj("moderator_effect")
            rows.append(
                {
                    "path": f"{m.get('from')} {arrow} {m.get('to')}",
                    "moderator": m.get("moderator"),
                    "b": m.get("estimate"),
                    "se": m.get("se"),
                    "t": m.get("t"),
                    "p": m.get("p_value"),
                    "ci": pair(m.get("ci_lower"), m.get("ci_upper")),
                    "beta": m.get("std"),
                    "f2": m.get("f2"),
                    "main": eff.get("estimate"),
                    "p_main": eff.get("p_value"),
                    "supported": _yes(m.get("supported"), lang),
                }
            )
            if m.get("supported") is not None:
                marks[(len(rows) - 1, "supported")] = "ok" if m["supported"] else "ns"
            if m.get("main_effect_added"):
                notes.append(
                    tp(
                        "note_main_added",
                        lang,
                        path=f"{m.get('moderator')} {arrow} {m.get('to')}",
                        b=apa.fmt_num(eff.get("estimate"), 3),
                        p=_p_text(eff.get("p_value")),
                    )
                )
        out["pls_moderation"] = Table(
            "pls_moderation",
            tp("t_moderation", lang),
            [
                Column("path", tp("c_path", lang)),
                Column("moderator", tp("c_moderator", lang)),
                Column("b", tp("c_b_int", lang), "num3"),
                Column("se", tp("c_se", lang), "num3"),
                Column("t", tp("c_t", lang), "num2"),
                Column("p", tp("c_p", lang), "p"),
                Column("ci", tp("c_ci", lang), "ci3"),
                Column("beta", tp("c_beta_int", lang), "num3"),
                Column("f2", tp("c_f2", lang), "num3"),
                Column("main", tp("c_main", lang), "num3"),
                Column("p_main", tp("c_p_main", lang), "p"),
                Column("supported", tp("c_supported", lang), "verdict"),
            ],
            rows,
            notes,
            mid,
            marks,
        )
        srows = []
        for m in mods:
            for sl in m.rows("simple_slopes"):
                srows.append(
                    {
                        "path": f"{m.get('from')} {arrow} {m.get('to')}",
                        "moderator": m.get("moderator"),
                        "level": tp(f"lvl_{sl.get('moderator_sd')}", lang)
                        if f"lvl_{sl.get('moderator_sd')}" in STRINGS
                        else str(sl.get("moderator_sd")),
                        "slope": sl.get("estimate"),
                        "se": sl.get("se"),
                        "t": sl.get("t"),
                        "p": sl.get("p_value"),
                        "ci": pair(sl.get("ci_lower"), sl.get("ci_upper")),
                    }
                )
        if srows:
            out["pls_simple_slopes"] = Table(
                "pls_simple_slopes",
                tp("t_slopes", lang),
                [
                    Column("path", tp("c_path", lang)),
                    Column("moderator", tp("c_moderator", lang)),
                    Column("level", tp("c_level", lang)),
                    Column("slope", tp("c_slope", lang), "num3"),
                    Column("se", tp("c_se", lang), "num3"),
                    Column("t", tp("c_t", lang), "num2"),
                    Column("p", tp("c_p", lang), "p"),
                    Column("ci", tp("c_ci", lang), "ci3"),
                ],
                srows,
                [tp("note_slopes", lang)],
                mid,
            )
    ctl = pls.rows("controls")
    if ctl:
        out["pls_controls"] = Table(
            "pls_controls",
            tp("t_controls", lang),
            [
                Column("variable", tp("c_control", lang)),
                Column("to", tp("c_on", lang)),
                Column("beta", tp("c_beta", lang), "num3"),
                Column("se", tp("c_se", lang), "num3"),
                Column("t", tp("c_t", lang), "num2"),
                Column("p", tp("c_p", lang), "p"),
                Column("ci", tp("c_ci", lang), "ci3"),
                Column("f2", tp("c_f2", lang), "num3"),
            ],
            [
                {
                    "variable": c.get("variable"),
                    "to": c.get("to"),
                    "beta": c.get("estimate"),
                    "se": c.get("se"),
                    "t": c.get("t"),
                    "p": c.get("p_value"),
                    "ci": pair(c.get("ci_lower"), c.get("ci_upper")),
                    "f2": c.get("f2"),
                }
                for c in ctl
            ],
            [tp("note_controls", lang)],
            mid,
        )
    return out


def slopes_svgs(results: dict, mid: str, lang: str = "en") -> str:
    """The simple-slope plots of mechanism ``mid``'s PLS moderations as SVG (the CB-SEM plot, standardised scores)."""
    from validate.report.figures import simple_slopes_svg
    from validate.report.i18n import t

    parts = []
    for m in Results.of(results).mechanism(mid).obj("pls").rows("moderation"):
        labels = [f"{m.get('moderator')} {t(k, lang)}" for k in ("v_minus_sd", "v_mean", "v_plus_sd")]
        parts.append(
            f'<figure data-moderation="{m.get("moderator")}:{m.get("from")}->{m.get("to")}">'
            + simple_slopes_svg(
                plain(m),
                labels,
                title=tp("f_slopes", lang, p=f"{m.get('from')} \u2192 {m.get('to')}", m=m.get("moderator")),
                x_label=str(m.get("from")),
                y_label=str(m.get("to")),
            )
            + "</figure>"
        )
    return "".join(parts)


#: Tables shown in the HTML page and the Word report, in order (cross-loadings stay in the workbook).
HTML_TABLES = (
    "pls_settings",
    "pls_compare",
    "pls_outer",
    "pls_reliability",
    "pls_htmt",
    "pls_fornell_larcker",
    "pls_hoc_measurement",
    "pls_hoc_reliability",
    "pls_hoc_htmt",
    "pls_hoc_stage1_outer",
    "pls_hoc_stage1_reliability",
    "pls_paths",
    "pls_controls",
    "pls_moderation",
    "pls_simple_slopes",
    "pls_r2",
    "pls_indirect",
    "pls_fit",
    "pls_predict",
    "pls_cvpat",
    "pls_ipma",
    "pls_micom",
    "pls_mga",
)
DOCX_TABLES = HTML_TABLES
#: Tables too wide for a portrait page: a landscape section in Word.
WIDE_TABLES = (
    "pls_outer",
    "pls_hoc_measurement",
    "pls_paths",
    "pls_moderation",
    "pls_compare",
    "pls_indirect",
    "pls_predict",
    "pls_micom",
    "pls_mga",
)
#: Short Excel sheet names (a mechanism id is put in front).
SHEET_NAMES = {
    "pls_settings": "pls_settings",
    "pls_compare": "pls_vs_cb",
    "pls_outer": "pls_outer",
    "pls_reliability": "pls_reliability",
    "pls_htmt": "pls_htmt",
    "pls_fornell_larcker": "pls_fl",
    "pls_cross_loadings": "pls_crossload",
    "pls_paths": "pls_paths",
    "pls_r2": "pls_r2",
    "pls_indirect": "pls_indirect",
    "pls_fit": "pls_fit",
    "pls_predict": "pls_predict",
    "pls_cvpat": "pls_cvpat",
    "pls_moderation": "pls_moderation",
    "pls_simple_slopes": "pls_slopes",
    "pls_controls": "pls_controls",
    "pls_hoc_measurement": "pls_hoc",
    "pls_hoc_reliability": "pls_hoc_rel",
    "pls_hoc_htmt": "pls_hoc_htmt",
    "pls_hoc_stage1_outer": "pls_hoc_s1_outer",
    "pls_hoc_stage1_reliability": "pls_hoc_s1_rel",
}


def ordered(tabs: dict, keys: tuple) -> list[str]:
    """The keys of ``tabs`` in the order of ``keys``; a per-pair table ``pls_micom_2`` sorts under ``pls_micom``."""
    out = []
    for base in keys:
        out += [k for k in tabs if k == base or (k.startswith(base + "_") and k[len(base) + 1 :].isdigit())]
    return out


_FRAGMENT = """<section class="pls" id="m-{{ anchor }}-pls" data-section="pls">
<h3>{{ heading }}</h3>
{% for tb in tables %}<figure class="tbl" id="{{ tb.anchor }}" data-table="{{ tb.key }}">
<figcaption><span class="num">{{ table_word }} {{ tb.number }}</span><span class="title">{{ tb.title }}</span></figcaption>
<table><thead><tr>{% for h in tb.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in tb.rows %}<tr>{% for c in row %}<td class="{{ c.cls }}">{{ c.text }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% if tb.figure %}<div class="figure" data-figure="{{ tb.key }}">{{ tb.figure }}</div>{% endif %}
{% if tb.notes %}<div class="notes">{% for n in tb.notes %}<p>{% if loop.first %}<span class="lead">{{ note_lead }}</span> {% endif %}{{ n }}</p>{% endfor %}</div>{% endif %}
</figure>
{% endfor %}</section>
"""


def render_pls_html(
    results: dict, spec: ModelSpec | None, mid: str, lang: str = "en", counter: list[int] | None = None
) -> str:
    """The PLS section of mechanism ``mid`` as an HTML fragment ("" without PLS results).

    ``counter`` is the page's running [table, supplementary table] numbers (advanced in place), so the
    PLS tables continue the numbering of the report's other tables.
    """
    import jinja2
    from markupsafe import Markup

    from validate.report.html import view_table
    from validate.report.i18n import t

    tabs = pls_tables(results, spec, mid, lang)
    if not tabs:
        return ""
    counter = counter if counter is not None else [0, 0]
    anchor = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(mid))
    views = []
    for k in ordered(tabs, HTML_TABLES):
        v = view_table(tabs[k], counter, f"m-{anchor}", lang)
        fig = _ipma_points(tabs[k])
        v["figure"] = Markup(ipma_svg(fig, lang, tabs[k].title)) if fig else ""
        if k == "pls_simple_slopes":
            v["figure"] = Markup(slopes_svgs(results, mid, lang))
        views.append(v)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_FRAGMENT).render(
        anchor=anchor,
        heading=tp("sec_pls", lang),
        tables=views,
        table_word=t("table", lang),
        note_lead=t("note_lead", lang),
    )


def add_pls_sheets(wb, results: dict, spec: ModelSpec | None, lang: str = "en") -> list[str]:
    """Add one sheet per PLS table of every mechanism to the workbook ``wb``; returns the sheet names."""
    from validate.report.excel import expand_table, sheet_name, write_sheet

    used = {ws.title.lower() for ws in wb.worksheets}
    names = []
    for mid in Results.of(results).mechanisms:
        for key, tab in pls_tables(results, spec, mid, lang).items():
            name = sheet_name(f"{mid}-{SHEET_NAMES.get(key, key)}", used)
            ws = wb.create_sheet(name)
            heads, rows = expand_table(tab, lang)
            write_sheet(ws, heads, rows)
            names.append(name)
    return names


def add_pls_docx(doc, results: dict, spec: ModelSpec | None, mid: str, lang: str = "en", number: int = 0) -> int:
    """Add the PLS tables of mechanism ``mid`` (APA style, under a heading) to a Word document.

    Returns the number of the last table added (``number`` when none).
    """
    from validate.report.word import add_apa_table, add_heading, set_orientation

    tabs = pls_tables(results, spec, mid, lang)
    if not tabs:
        return number
    add_heading(doc, tp("sec_pls", lang), 2, lang)
    for k in ordered(tabs, DOCX_TABLES):
        if k in tabs:
            number += 1
            wide = tabs[k].key in WIDE_TABLES
            if wide:
                set_orientation(doc, landscape=True)
            add_apa_table(doc, tabs[k], number, lang, width_cm=25.7 if wide else 17.0)
            if k == "pls_simple_slopes":
                import io

                from docx.shared import Cm

                for m in Results.of(results).mechanism(mid).obj("pls").rows("moderation"):
                    png = slopes_png(m, lang)
                    if png:
                        doc.add_picture(io.BytesIO(png), width=Cm(12.0))
            pts = _ipma_points(tabs[k])
            if pts:
                import io

                from docx.shared import Cm

                doc.add_picture(io.BytesIO(ipma_png(pts, lang)), width=Cm(14.0))
            if wide:
                set_orientation(doc, landscape=False)
    return number


def slopes_png(mod: View, lang: str = "en", dpi: int = 150) -> bytes | None:
    """The simple-slope plot of one ``pls.moderation`` row as PNG bytes (matplotlib), for the Word report.

    The lines are those of :func:`validate.report.figures.simple_slopes_svg`: ``(b_X + b w) x + b_W w``
    for ``x`` from -2 to +2 SD at ``w`` = -1, 0, +1 SD (standardised scores). None when a coefficient is missing.
    """
    import io

    import matplotlib
    from matplotlib.figure import Figure

    from validate.report.figures import cjk_font_path, figure_rc
    from validate.report.i18n import t

    b1 = apa.as_float(next((s.get("estimate") for s in mod.rows("simple_slopes") if s.get("moderator_sd") == 0), None))
    b2 = apa.as_float(mod.obj("moderator_effect").get("estimate"))
    b3 = apa.as_float(mod.get("estimate"))
    if None in (b1, b2, b3):
        return None
    if lang == "zh" and cjk_font_path() is None:
        lang = "en"
    with matplotlib.rc_context(figure_rc()):
        fig = Figure(figsize=(5.0, 3.4), dpi=dpi)
        ax = fig.add_subplot(1, 1, 1)
        xs = [-2.0, 2.0]
        for k, key, color, ls in (
            (-1, "v_minus_sd", "#2166ac", "--"),
            (0, "v_mean", "#222222", "-"),
            (1, "v_plus_sd", "#b2182b", "-"),
        ):
            ax.plot(
                xs,
                [(b1 + b3 * k) * x + b2 * k for x in xs],
                color=color,
                ls=ls,
                label=f"{mod.get('moderator')} {t(key, lang)}",
            )
        ax.set_xlabel(str(mod.get("from")))
        ax.set_ylabel(str(mod.get("to")))
        ax.set_title(
            tp("f_slopes", lang, p=f"{mod.get('from')} \u2192 {mod.get('to')}", m=mod.get("moderator")), fontsize=9
        )
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def _ipma_points(tab: Table) -> list[tuple[str, float, float]]:
    """(label, importance, performance) of an IPMA table's rows with both values; [] for other tables."""
    if tab.key != "pls_ipma":
        return []
    out = []
    for r in tab.rows:
        i, p = apa.as_float(r.get("importance")), apa.as_float(r.get("performance"))
        if i is not None and p is not None:
            out.append((str(r.get("id") or r.get("construct")), i, p))  # the short id keeps the map legible
    return out


def _ipma_axes(points):
    imp = [p[1] for p in points]
    lo, hi = min(0.0, min(imp)), max(imp)
    if hi - lo <= 0:
        hi = lo + 1
    pad = 0.08 * (hi - lo)
    perf = [p[2] for p in points]
    return lo - pad, hi + pad, sum(imp) / len(imp), sum(perf) / len(perf)


def ipma_svg(points: list[tuple[str, float, float]], lang: str = "en", title: str = "") -> str:
    """The importance-performance map as SVG (text kept as text): importance on x, performance (0-100) on y,
    dashed lines at the mean importance and mean performance."""
    from html import escape

    from validate.report.figures import FONT_STACK

    W, H, L, R, T, B = 560, 380, 60, 20, 20, 50
    x0, x1, mx, my = _ipma_axes(points)
    X = lambda v: L + (v - x0) / (x1 - x0) * (W - L - R)  # noqa: E731
    Y = lambda v: T + (100 - v) / 100 * (H - T - B)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="{escape(title)}" font-family="{escape(FONT_STACK)}" font-size="12">',
        f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#444"/>',
    ]
    for v in range(0, 101, 20):
        parts.append(f'<text x="{L - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    for k in range(5):
        v = x0 + k * (x1 - x0) / 4
        parts.append(f'<text x="{X(v):.1f}" y="{H - B + 16}" text-anchor="middle">{v:.2f}</text>')
    parts.append(
        f'<line x1="{X(mx):.1f}" y1="{T}" x2="{X(mx):.1f}" y2="{H - B}" stroke="#999" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<line x1="{L}" y1="{Y(my):.1f}" x2="{W - R}" y2="{Y(my):.1f}" stroke="#999" stroke-dasharray="4 3"/>'
    )
    for name, i, p in points:
        parts.append(
            f'<circle cx="{X(i):.1f}" cy="{Y(p):.1f}" r="4" fill="#1f4e79"><title>{escape(name)}: '
            f"{i:.3f}, {p:.1f}</title></circle>"
        )
        parts.append(f'<text x="{X(i) + 6:.1f}" y="{Y(p) - 6:.1f}">{escape(name)}</text>')
    parts.append(
        f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">{escape(tp("ax_importance", lang))}</text>'
    )
    parts.append(
        f'<text x="14" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 {(T + H - B) / 2})">'
        f"{escape(tp('ax_performance', lang))}</text></svg>"
    )
    return "".join(parts)


def ipma_png(points: list[tuple[str, float, float]], lang: str = "en", dpi: int = 150) -> bytes:
    """The importance-performance map as PNG bytes (matplotlib), for the Word report."""
    import io

    import matplotlib
    from matplotlib.figure import Figure

    from validate.report.figures import cjk_font_path, figure_rc

    if lang == "zh" and cjk_font_path() is None:
        lang = "en"  # axis titles in English when no CJK font exists on this machine
    x0, x1, mx, my = _ipma_axes(points)
    with matplotlib.rc_context(figure_rc()):
        fig = Figure(figsize=(6.0, 4.0), dpi=dpi)
        ax = fig.add_subplot(1, 1, 1)
        ax.scatter([p[1] for p in points], [p[2] for p in points], color="#1f4e79", zorder=3)
        for name, i, p in points:
            ax.annotate(name, (i, p), xytext=(5, 5), textcoords="offset points", fontsize=8)
        ax.axvline(mx, color="#999", ls="--", lw=0.8)
        ax.axhline(my, color="#999", ls="--", lw=0.8)
        ax.set_xlim(x0, x1)
        ax.set_ylim(0, 100)
        ax.set_xlabel(tp("ax_importance", lang))
        ax.set_ylabel(tp("ax_performance", lang))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()
