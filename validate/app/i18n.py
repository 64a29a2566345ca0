"""The app's own words in English and Chinese (the report's live in :mod:`validate.report.i18n`)."""

from __future__ import annotations

__all__ = ["STRINGS", "t", "LANGS"]

LANGS = ("en", "zh")

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("vcc: validate a value co-creation model", "vcc：价值共创模型检验"),
    "nav_model": ("Model", "模型"),
    "nav_data": ("Data", "数据"),
    "nav_run": ("Run", "运行"),
    "nav_results": ("Results", "结果"),
    "nav_history": ("History", "历史"),
    "nav_api": ("API", "API"),
    "switch_lang": ("中文", "English"),
    "colon": (": ", "："),
    "n_read": ("N read", "读取样本"),
    "hyp_supported": ("hypotheses supported", "个假设得到支持"),
    "local_note": (
        "Everything stays on this computer: nothing is uploaded anywhere.",
        "所有数据都保留在本机，不会上传到任何地方。",
    ),
    # model page
    "model_heading": ("Model", "模型"),
    "model_current": ("Model in use", "当前模型"),
    "model_bundled": ("the bundled short-video value co-creation model", "内置的短视频价值共创模型"),
    "model_use_bundled": ("Use the bundled model", "使用内置模型"),
    "model_upload": ("Upload a model spec (YAML)", "上传模型文件（YAML）"),
    "upload": ("Upload", "上传"),
    "model_diagram": ("Path diagram", "路径图"),
    "model_constructs": ("Constructs and items", "构念与题项"),
    "construct": ("Construct", "构念"),
    "stage": ("Stage", "阶段"),
    "items": ("Items", "题项"),
    "item": ("Item", "题项"),
    "reverse": ("Reverse-keyed", "反向计分"),
    "remove": ("Remove", "删除"),
    "new_item": ("new id", "新题号"),
    "label_en": ("Label (English)", "名称（英文）"),
    "label_zh": ("Label (Chinese)", "名称（中文）"),
    "text_en": ("Wording (English)", "题目（英文）"),
    "text_zh": ("Wording (Chinese)", "题目（中文）"),
    "paths": ("Paths (one per line, A -> B)", "路径（每行一条，A -> B）"),
    "direct_paths": ("Direct paths (for mediation tests)", "直接路径（用于中介检验）"),
    "hypotheses": ("Hypotheses", "假设"),
    "model_edit": ("Edit the model", "编辑模型"),
    "model_edit_note": (
        "Checked as you type with the same messages as `vcc model check`. Saving writes a "
        "copy of the model for this session (comments of the YAML are not kept).",
        "输入时即按 `vcc model check` 的规则检查。保存会为本次会话写入模型副本（YAML 注释不保留）。",
    ),
    "model_yaml": ("The model as YAML", "模型 YAML"),
    "save": ("Save", "保存"),
    "check": ("Check", "检查"),
    "downloads": ("Downloads", "下载"),
    "download_yaml": ("Model spec (YAML)", "模型文件（YAML）"),
    "make_instruments": (
        "Make the questionnaires, codebook, import files and Excel template",
        "生成问卷、编码手册、平台导入文件和 Excel 模板",
    ),
    "instruments_note": (
        "Questionnaires (HTML, Word), codebook, XLSForm, Wenjuanxing and Qualtrics import "
        "files, and the Excel response template.",
        "问卷（HTML、Word）、编码手册、XLSForm、问卷星和 Qualtrics 导入文件，以及 Excel 回收模板。",
    ),
    "spec_ok": ("The model is valid.", "模型有效。"),
    "spec_bad": ("The model has problems:", "模型存在问题："),
    "warnings": ("Warnings", "警告"),
    # data page
    "data_heading": ("Data", "数据"),
    "data_upload": ("Upload response files", "上传回收数据"),
    "data_upload_note": (
        "Excel template, Wenjuanxing (问卷星), Qualtrics, Google Forms, Microsoft Forms or CSV; "
        "several files are stacked.",
        "Excel 模板、问卷星、Qualtrics、Google 表单、Microsoft Forms 或 CSV；多个文件会合并。",
    ),
    "format": ("Format", "格式"),
    "data_files": ("Files", "文件"),
    "data_clear": ("Remove the files", "移除文件"),
    "data_none": ("No response files yet.", "尚未上传回收数据。"),
    "mapping": ("Column mapping", "列映射"),
    "mapping_note": (
        "How each column was matched (by id or by question text). Change a target and save to "
        "override it; empty means not used.",
        "每一列的匹配方式（按题号或题目文字）。修改目标并保存即可覆盖；留空表示不使用。",
    ),
    "file": ("File", "文件"),
    "sheet": ("Sheet", "工作表"),
    "column": ("Column", "列"),
    "header": ("Header", "表头"),
    "mapped_to": ("Mapped to", "对应"),
    "how": ("How", "方式"),
    "save_mapping": ("Save the mapping", "保存映射"),
    "reset_mapping": ("Back to the automatic mapping", "恢复自动映射"),
    "screening": ("Screening summary", "数据筛查汇总"),
    "rule": ("Rule", "规则"),
    "setting": ("Setting", "设置"),
    "action": ("Action", "处理"),
    "flagged": ("Flagged", "标记"),
    "dropped": ("Dropped", "剔除"),
    "note": ("Note", "说明"),
    "responses": ("Responses", "样本"),
    "kept": ("kept after screening", "筛查后保留"),
    "invalid_cells": ("Invalid cells", "无效单元格"),
    "invalid_none": ("Every cell could be read.", "所有单元格均可读取。"),
    "cell": ("Cell", "单元格"),
    "resp_id": ("Respondent", "答卷编号"),
    "value": ("Value", "值"),
    "problem": ("Problem", "问题"),
    "expected": ("Expected", "期望"),
    "continue_run": ("Continue to Run", "继续：运行"),
    "data_error": ("The files could not be read:", "无法读取文件："),
    # run page
    "run_heading": ("Run the analysis", "运行分析"),
    "run_need_data": ("Upload response files on the Data page first.", "请先在“数据”页上传回收数据。"),
    "run_start": ("Start", "开始"),
    "run_options_note": (
        "The options of `vcc validate`; the defaults are the command line's.",
        "即 `vcc validate` 的选项；默认值与命令行相同。",
    ),
    "none_option": ("(none)", "（无）"),
    "all_option": ("(all)", "（全部）"),
    "opt_mechanism": ("Mechanism", "机制"),
    "opt_estimator": ("Estimator", "估计方法"),
    "opt_missing": ("Missing data", "缺失值处理"),
    "opt_group": ("Group column", "分组列"),
    "opt_bootstrap": ("Bootstrap resamples", "Bootstrap 次数"),
    "opt_seed": ("Random seed", "随机种子"),
    "opt_direct-effects": ("Direct effects", "直接效应"),
    "opt_alpha": ("Significance level", "显著性水平"),
    "opt_lang": ("Report language", "报告语言"),
    "opt_format": ("Input format", "输入格式"),
    "opt_keep-unfinished": ("Keep unfinished responses", "保留未完成的答卷"),
    "opt_screen": ("Screening settings (RULE=VALUE, one per line)", "筛查设置（RULE=VALUE，每行一条）"),
    "opt_method": ("Method", "方法"),
    # results
    "results_heading": ("Results", "结果"),
    "status": ("Status", "状态"),
    "status_queued": ("queued", "排队中"),
    "status_running": ("running", "运行中"),
    "status_done": ("done", "完成"),
    "status_failed": ("failed", "失败"),
    "progress": ("Progress", "进度"),
    "run_failed": ("The run failed:", "运行失败："),
    "summary": ("Summary", "摘要"),
    "mechanism": ("Mechanism", "机制"),
    "n_used": ("N used", "有效样本"),
    "supported": ("Supported", "支持"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "report": ("Report", "报告"),
    "all_files": ("All output files", "全部输出文件"),
    "no_results": ("No run yet: start one on the Run page.", "尚无运行：请在“运行”页开始。"),
    "path": ("Path", "路径"),
    # history
    "history_heading": ("Earlier runs", "历史运行"),
    "history_none": ("No runs in this workdir yet.", "此工作目录中尚无运行。"),
    "created": ("Started", "开始时间"),
    "options": ("Options", "选项"),
    "open": ("Open", "打开"),
    "delete": ("Delete", "删除"),
    "delete_confirm": ("Delete this run and its files?", "删除此次运行及其文件？"),
    "workdir": ("Runs are kept in", "运行结果保存在"),
}


def t(key: str, lang: str) -> str:
    """The string ``key`` in ``lang`` (``en`` or ``zh``); an unknown key is shown as itself."""
    pair = STRINGS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "zh" else pair[0]
