"""User-facing strings: Chinese by default, English on request (--lang en or YOUJU_LANG=en)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "error": {"zh": "错误", "en": "error"},
    "interrupted": {
        "zh": "已中断。已提交的文件保留在索引中,索引完好;再次运行同一命令即可继续。",
        "en": "Interrupted. Files committed so far stay indexed and the index is intact; run the same command again to continue.",
    },
    "first_run": {
        "zh": "首次运行:正在为示例语料建立索引({path})…",
        "en": "First run: indexing the sample corpus ({path})…",
    },
    "ingest_summary": {
        "zh": "新增 {indexed},更新 {replaced},未变 {unchanged},跳过 {skipped},失败 {failed},移除 {removed};"
              "向量化 {chunks} 个片段,用时 {seconds:.1f} 秒",
        "en": "indexed {indexed}, replaced {replaced}, unchanged {unchanged}, skipped {skipped}, failed {failed}, "
              "removed {removed}; embedded {chunks} chunks in {seconds:.1f}s",
    },
    "ingest_timings": {
        "zh": "  耗时:模型准备 {prepare:.1f} 秒,模型加载 {load_model:.1f} 秒,读取与切分 {read_chunk:.1f} 秒,"
              "向量化 {embed:.1f} 秒,写入索引 {index:.1f} 秒",
        "en": "  time: model preparation {prepare:.1f}s, model loading {load_model:.1f}s, reading+chunking "
              "{read_chunk:.1f}s, embedding {embed:.1f}s, indexing {index:.1f}s",
    },
    "index_totals": {"zh": "索引 {path}:{documents} 个文档,{chunks} 个片段",
                     "en": "index {path}: {documents} documents, {chunks} chunks"},
    "status.skipped": {"zh": "跳过", "en": "skipped"},
    "status.failed": {"zh": "失败", "en": "failed"},
    "status.indexed": {"zh": "新增", "en": "indexed"},
    "status.replaced": {"zh": "更新", "en": "replaced"},
    "status.unchanged": {"zh": "未变", "en": "unchanged"},
    "status.removed": {"zh": "移除", "en": "removed"},
    "passages_for": {"zh": "问题:{question}\n最相关的段落:", "en": "Question: {question}\nBest passages:"},
    "passage_head": {"zh": "[{rank}] {doc} · {path}(字符 {start}–{end},相似度 {score:.3f})",
                     "en": "[{rank}] {doc} · {path} (chars {start}–{end}, score {score:.3f})"},
    "no_heading": {"zh": "(无标题)", "en": "(no heading)"},
    "no_passages": {"zh": "没有找到相关段落。", "en": "No passages found."},
    "timings": {"zh": "耗时(毫秒):{items}", "en": "timings (ms): {items}"},
    "list_head": {"zh": "文档\t片段数\t编码\t标题", "en": "document\tchunks\tencoding\ttitle"},
    "refusal": {"zh": "资料中没有找到这个问题的答案。", "en": "The documents do not answer this question."},
    "refusal_entity": {"zh": "资料中没有找到关于“{entities}”的内容。", "en": "The documents say nothing about “{entities}”."},
    "refusal_figure": {"zh": "资料中没有找到具体数字:原文“{clause}”中缺少数值。",
                       "en": "The documents do not give the figure: the source reads “{clause}” with the number missing."},
    "chars": {"zh": "字符 {start}–{end}", "en": "chars {start}–{end}"},
    "nearest": {"zh": "最接近的段落:", "en": "Nearest passages:"},
    "sources": {"zh": "来源:", "en": "Sources:"},
    "unsupported": {"zh": "(未被引文支持)", "en": "(not supported by its citation)"},
    "llm_missing": {"zh": "未配置本地大模型(--llm),已改用抽取式回答。",
                    "en": "No local LLM configured (--llm); used the extractive composer."},
    "llm_failed": {"zh": "本地大模型无法加载({error}),已改用抽取式回答。",
                   "en": "The local LLM could not be loaded ({error}); used the extractive composer."},
    "rewritten": {"zh": "(按上下文理解为:{question})", "en": "(understood as: {question})"},
    "eval_using": {"zh": "使用索引 {path}({documents} 个文档,{chunks} 个片段,模型 {model})",
                   "en": "using the index at {path} ({documents} documents, {chunks} chunks, model {model})"},
    "eval_written": {"zh": "评测结果已写入 {path}(report.html、report.md、metrics.json、results.jsonl)",
                     "en": "wrote {path} (report.html, report.md, metrics.json, results.jsonl)"},
    "eval_below": {"zh": "质量低于阈值:{failures}", "en": "quality below threshold: {failures}"},
    "list_empty": {"zh": "索引为空。用 youju ingest 路径 添加文档。", "en": "The index is empty. Add documents with: youju ingest PATH"},
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    entry = MESSAGES[key]
    return entry.get(lang, entry["en"]).format(**values)
