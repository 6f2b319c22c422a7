"""Write an evaluation run: metrics.json, results.jsonl, report.md and a self-contained
report.html (inline CSS and SVG plots; every question expands to its passages with the gold
spans highlighted). Everything taken from documents is escaped before it becomes HTML."""

from __future__ import annotations

import html
from pathlib import Path

from youju.evaluation.evalset import GoldSpan
from youju.evaluation.metrics import missed_where
from youju.evaluation.results import EvalRecord, EvalRun, MetricValue, ModeSummary, RunConfig
from youju.evaluation.runner import ABSTENTION_METRICS, ALL_METRICS, ANSWER_METRICS, RETRIEVAL_METRICS
from youju.records import Hit

COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"]


def write_run(run: EvalRun, out: Path) -> None:
    """metrics.json and results.jsonl (the run itself), report.md and report.html."""
    run.save(out)
    (out / "report.md").write_text(markdown(run), encoding="utf-8")
    (out / "report.html").write_text(html_report(run), encoding="utf-8")


def fmt(value: float | None, name: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if name == "answer_chars" else f"{value:.3f}"


def fmt_entry(entry: MetricValue | None, name: str) -> str:
    if not entry:
        return "–"
    band = f" [{fmt(entry.ci[0], name)}, {fmt(entry.ci[1], name)}]" if entry.ci else ""
    return fmt(entry.value, name) + band


# --- markdown -----------------------------------------------------------------------------------

def markdown(run: EvalRun) -> str:
    cfg, summaries = run.config, run.summaries
    modes = list(summaries)
    primary, summary = run.mode, run.summary
    lines = [f"# Evaluation: {Path(cfg.eval_set).name}", "", *_config_lines(cfg), "",
             f"## Overall ({primary} retrieval, {cfg.composer} composer, {summary.questions} questions)", "",
             "| metric | value | 95% CI | n |", "|---|---|---|---|"]
    for name in ALL_METRICS:
        e = summary.overall.get(name)
        if e:
            ci = f"{fmt(e.ci[0], name)} – {fmt(e.ci[1], name)}" if e.ci else "–"
            lines.append(f"| {name} | {fmt(e.value, name)} | {ci} | {e.n} |")
    if len(modes) > 1:
        lines += ["", "## Retrieval ablation (same questions, same composer)", "",
                  "| metric | " + " | ".join(modes) + " |", "|---|" + "---|" * len(modes)]
        for name in ALL_METRICS:
            if any(summaries[mo].overall.get(name) for mo in modes):
                lines.append(f"| {name} | " + " | ".join(fmt_entry(summaries[mo].overall.get(name), name)
                                                       for mo in modes) + " |")
    shown = ["recall@1", "recall@5", "key_fact_recall", "citation_precision", "citation_recall", "supported_rate",
             "abstain_recall", "false_abstention"]
    lines += ["", f"## By question type ({primary})", "",
              "| type | questions | " + " | ".join(shown) + " |", "|---|---|" + "---|" * len(shown)]
    for t, block in summary.by_type.items():
        n = sum(1 for r in run.records[primary] if r.type == t)
        lines.append(f"| {t} | {n} | " + " | ".join(fmt(_value(block.get(s)), s) for s in shown) + " |")
    lines += ["", "## Latency (ms)", "", "| stage | p50 | p95 |", "|---|---|---|"]
    for stage, v in summary.latency_ms.items():
        lines.append(f"| {stage} | {v.p50:.1f} | {v.p95:.1f} |")
    lines += ["", "## Questions to look at", ""] + _problems(run.records[primary])
    return "\n".join(lines) + "\n"


def _value(entry: MetricValue | None) -> float | None:
    return entry.value if entry else None


def _config_lines(cfg: RunConfig) -> list[str]:
    manifest = cfg.index_manifest or {}
    counts = manifest.get("counts") or {}
    return [f"- date: {cfg.date}; git commit: {cfg.git_commit}; youju {cfg.youju_version}",
            f"- index: {cfg.index} ({counts.get('documents', '?')} documents, {counts.get('chunks', '?')} chunks)",
            f"- embedding model: {cfg.embedder_fingerprint}; k = {cfg.k}; retrieval modes: {', '.join(cfg.modes)}",
            f"- eval set: {cfg.eval_set} (sha256 {cfg.eval_set_sha256[:12]})"]


def _below_one(r: EvalRecord, key: str) -> bool:
    value = r.scores.get(key)
    return value is not None and value < 1


MISSED = {  # metrics.missed_where's causes, as the report names them
    "cut": "cut from a cited sentence (the shown text trimmed it away)",
    "beside": "next to a cited sentence (the sentence before or after it holds them, alone or with it)",
    "passage": "elsewhere in a retrieved passage (another sentence was chosen)",
    "retrieval": "in no retrieved passage",
}


def _missed(r: EvalRecord) -> str | None:
    return missed_where(r.answer.text, [c.quote for c in r.answer.citations], [h.chunk.text for h in r.hits[:5]],
                        r.key_facts)


def _problems(records: list[EvalRecord]) -> list[str]:
    out = []
    missed = [(r, _missed(r)) for r in records if _below_one(r, "key_fact_recall") and not r.abstained]
    groups = [
        ("Gold evidence not in the top 5", [r for r in records if _below_one(r, "recall@5")]),
        *(("Key facts missing from the answer, " + why, [r for r, where in missed if where == cause])
          for cause, why in MISSED.items()),
        ("Abstained on an answerable question", [r for r in records if r.abstained and not r.expected_abstain]),
        ("Answered an unanswerable question", [r for r in records if r.expected_abstain and not r.abstained]),
        ("Unsupported sentences", [r for r in records if _below_one(r, "supported_rate")]),
    ]
    for title, rows in groups:
        out.append(f"- {title} ({len(rows)}): " + ("; ".join(f"{r.id} {r.question}" for r in rows) or "none"))
    return out


# --- HTML ---------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:1100px;
color:#111;line-height:1.5;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f5f5f5}
.num{text-align:right;font-variant-numeric:tabular-nums}.ci{color:#666;font-size:.85em}
mark.gold{background:#fde68a}details{border-bottom:1px solid #eee;padding:.3rem 0}summary{cursor:pointer}
.bad{color:#b91c1c}.good{color:#15803d}.passage{margin:.3rem 0 .6rem 1rem;padding:.3rem .6rem;background:#fafafa;
border-left:3px solid #ddd;white-space:pre-wrap}.passage.hitgold{border-left-color:#f59e0b}.plots{display:flex;
flex-wrap:wrap;gap:1.5rem}figure{margin:0}figcaption{font-size:.9em;color:#444}.meta{color:#555;font-size:.9em}
"""


def html_report(run: EvalRun) -> str:
    cfg, summaries = run.config, run.summaries
    modes = list(summaries)
    primary, summary = run.mode, run.summary
    e = html.escape
    parts = [f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>youju eval · "
             f"{e(Path(cfg.eval_set).name)}</title><style>{CSS}</style></head><body>",
             f"<h1>Evaluation · {e(Path(cfg.eval_set).name)}</h1>",
             "<ul class='meta'>" + "".join(f"<li>{e(line[2:])}</li>" for line in _config_lines(cfg)) + "</ul>",
             "<div class='plots'>",
             _figure(_recall_curve(summaries), "Recall@k by retrieval mode"),
             _figure(_type_bars(summary), f"By question type ({primary})"),
             _figure(_latency_histogram(run.records[primary]), "Answer latency per question (ms)"),
             "</div>", f"<h2>Metrics ({e(primary)} retrieval, {e(cfg.composer)} composer)</h2>",
             _metrics_table(summaries, modes)]
    parts += [f"<h2>By question type ({e(primary)})</h2>", _type_table(summary, run.records[primary]),
              "<h2>Latency (ms)</h2><table><tr><th>stage</th><th>p50</th><th>p95</th></tr>"]
    parts += [f"<tr><td>{e(s)}</td><td class='num'>{v.p50:.1f}</td><td class='num'>{v.p95:.1f}</td></tr>"
              for s, v in summary.latency_ms.items()]
    parts += ["</table>", f"<h2>Questions ({e(primary)})</h2>",
              "<p class='meta'>Each row expands to the answer, its citations and the retrieved passages; "
              "gold evidence is <mark class='gold'>highlighted</mark>.</p>"]
    parts += [_question(r) for r in run.records[primary]]
    parts.append("</body></html>")
    return "\n".join(parts)


def _metrics_table(summaries: dict[str, ModeSummary], modes: list[str]) -> str:
    e = html.escape
    rows = ["<table><tr><th>metric</th>" + "".join(f"<th>{e(mo)}</th>" for mo in modes) + "<th>n</th></tr>"]
    for name in ALL_METRICS:
        entries = [summaries[mo].overall.get(name) for mo in modes]
        if not any(entries):
            continue
        cells = []
        for entry in entries:
            if not entry:
                cells.append("<td>–</td>")
                continue
            band = f" <span class='ci'>[{fmt(entry.ci[0], name)}, {fmt(entry.ci[1], name)}]</span>" if entry.ci else ""
            cells.append(f"<td class='num'>{fmt(entry.value, name)}{band}</td>")
        n = next(en.n for en in entries if en)
        rows.append(f"<tr><td>{e(name)}</td>{''.join(cells)}<td class='num'>{n}</td></tr>")
    return "".join(rows) + "</table>"


def _type_table(summary: ModeSummary, records: list[EvalRecord]) -> str:
    names = [n for n in RETRIEVAL_METRICS[:3] + ANSWER_METRICS[:5] + ABSTENTION_METRICS[1:]]
    out = ["<table><tr><th>type</th><th>n</th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"]
    for t, block in summary.by_type.items():
        n = sum(1 for r in records if r.type == t)
        out.append(f"<tr><td>{html.escape(t)}</td><td class='num'>{n}</td>" +
                   "".join(f"<td class='num'>{fmt(_value(block.get(m)), m)}</td>" for m in names) + "</tr>")
    return "".join(out) + "</table>"


def _question(r: EvalRecord) -> str:
    e = html.escape
    a = r.answer
    flags = []
    if r.expected_abstain != r.abstained:
        flags.append("<span class='bad'>wrong abstention</span>" if r.abstained
                     else "<span class='bad'>should abstain</span>")
    if _below_one(r, "recall@5"):
        flags.append("<span class='bad'>gold not in top 5</span>")
    if _below_one(r, "key_fact_recall") and not r.abstained:
        flags.append("<span class='bad'>key fact missing</span>")
    summary = (f"<summary><b>{e(r.id)}</b> [{e(r.type)}] {e(r.question)} "
               f"{' '.join(flags) or '<span class=good>ok</span>'}</summary>")
    body = [f"<p><b>Answer:</b> {e(a.text)}</p>"]
    if r.reference:
        body.append(f"<p><b>Reference:</b> {e(r.reference)} · key facts: {e('、'.join(r.key_facts))}</p>")
    for s in a.sentences:
        if s.supported is False:
            body.append(f"<p class='bad'>unsupported: {e(s.text)} ({e(s.reason)})</p>")
    for c in a.citations:
        body.append(f"<p>[{c.n}] {e(c.source)} {c.start}–{c.end}: {e(c.quote)}</p>")
    body.append("<p class='meta'>" + e(", ".join(f"{k} {v:.2f}" for k, v in r.scores.items())) + "</p>")
    gold = [g for group in r.gold for g in group]
    for h, covers in zip(r.hits, r.covers):
        cls = "passage hitgold" if covers else "passage"
        head = f"#{h.rank} {h.source} {h.chunk.start}–{h.chunk.end} · {' > '.join(h.chunk.heading_path)}"
        body.append(f"<div class='{cls}'><span class='meta'>{e(head)}</span>\n{_highlight(h, gold)}</div>")
    return f"<details>{summary}{''.join(body)}</details>"


def _highlight(hit: Hit, gold: list[GoldSpan]) -> str:
    """The passage text with the parts that are gold evidence marked (escaped)."""
    text, start, end = hit.chunk.text, hit.chunk.start, hit.chunk.end
    marks = sorted((max(g.start, start) - start, min(g.end, end) - start)
                   for g in gold if g.doc_id == hit.chunk.doc_id and g.start < end and start < g.end)
    out, pos = [], 0
    for a, b in marks:
        if a < pos:
            a = pos
        if b <= a:
            continue
        out += [html.escape(text[pos:a]), f"<mark class='gold'>{html.escape(text[a:b])}</mark>"]
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


# --- SVG plots ----------------------------------------------------------------------------------

W, H, PAD, TOP = 340, 236, 44, 40  # TOP leaves two rows for the legend


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _axes(y_label: str, y_max: float = 1.0) -> list[str]:
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{W}' height='{H}' viewBox='0 0 {W} {H}' role='img'>",
           f"<line x1='{PAD}' y1='{H - PAD}' x2='{W - 10}' y2='{H - PAD}' stroke='#999'/>",
           f"<line x1='{PAD}' y1='{TOP}' x2='{PAD}' y2='{H - PAD}' stroke='#999'/>"]
    for i in range(5):
        v = y_max * i / 4
        y = H - PAD - (H - PAD - TOP) * i / 4
        label = f"{v:.2f}" if y_max <= 1 else f"{v:.0f}"
        out.append(f"<text x='{PAD - 4}' y='{y + 4:.1f}' font-size='10' text-anchor='end'>{label}</text>")
        out.append(f"<line x1='{PAD}' y1='{y:.1f}' x2='{W - 10}' y2='{y:.1f}' stroke='#eee'/>")
    out.append(f"<text x='10' y='{H / 2}' font-size='10' transform='rotate(-90 10 {H / 2})' "
               f"text-anchor='middle'>{html.escape(y_label)}</text>")
    return out


def _legend(names: list[str]) -> list[str]:
    """Coloured labels above the plot, wrapping to a second row when they do not fit."""
    out, x, y = [], PAD, 6
    for i, name in enumerate(names):
        width = 13 + 6 * len(name) + 14
        if x > PAD and x + width - 14 > W:
            x, y = PAD, y + 15
        colour = COLOURS[i % len(COLOURS)]
        out.append(f"<rect x='{x}' y='{y}' width='10' height='10' fill='{colour}'/>"
                   f"<text x='{x + 13}' y='{y + 9}' font-size='10'>{html.escape(name)}</text>")
        x += width
    return out


def _recall_curve(summaries: dict[str, ModeSummary]) -> str:
    ks = [1, 3, 5, 10]
    out = _axes("recall")
    x = lambda i: PAD + (W - PAD - 20) * i / (len(ks) - 1)
    y = lambda v: H - PAD - (H - PAD - TOP) * v
    for i, kk in enumerate(ks):
        out.append(f"<text x='{x(i):.1f}' y='{H - PAD + 14}' font-size='10' text-anchor='middle'>@{kk}</text>")
    for c, summary in enumerate(summaries.values()):
        values = [summary.value(f"recall@{kk}") for kk in ks]
        pts = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        colour = COLOURS[c % len(COLOURS)]
        out.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='"
                   + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + "'/>")
        out += [f"<circle cx='{a:.1f}' cy='{b:.1f}' r='3' fill='{colour}'/>" for a, b in pts]
    out += _legend(list(summaries))
    return "".join(out) + "</svg>"


def _type_bars(summary: ModeSummary) -> str:
    # abstain_recall is only defined on unanswerable items: their group is empty without it.
    names = ["recall@5", "key_fact_recall", "citation_precision", "abstain_recall"]
    types = list(summary.by_type)
    out = _axes("score")
    if not types:
        return "".join(out) + "</svg>"
    group = (W - PAD - 20) / len(types)
    bar = group / (len(names) + 1)
    for i, t in enumerate(types):
        gx = PAD + 6 + i * group
        for j, name in enumerate(names):
            v = _value(summary.by_type[t].get(name))
            if v is None:
                continue
            h = (H - PAD - TOP) * v
            out.append(f"<rect x='{gx + j * bar:.1f}' y='{H - PAD - h:.1f}' width='{bar * 0.9:.1f}' height='{h:.1f}' "
                       f"fill='{COLOURS[j]}'><title>{html.escape(t)} {name} {v:.3f}</title></rect>")
        size = min(10.0, group / (0.6 * max(len(t), 1)))  # shrink a long type name to fit its group
        label = t if size >= 7 else t[: int(group / 4.2)] + "…"
        out.append(f"<text x='{gx + group / 2 - bar / 2:.1f}' y='{H - PAD + 14}' font-size='{max(size, 7):.1f}' "
                   f"text-anchor='middle'><title>{html.escape(t)}</title>{html.escape(label)}</text>")
    out += _legend(names)
    return "".join(out) + "</svg>"


def _latency_histogram(records: list[EvalRecord], bins: int = 12) -> str:
    values = [r.timings_ms.get("total", 0.0) for r in records]
    top = max(values, default=1.0) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / top * bins))] += 1
    peak = -(-max(max(counts), 1) // 4) * 4  # a multiple of 4, so the five y ticks are whole numbers
    out = _axes("questions", float(peak))
    width = (W - PAD - 20) / bins
    for i, c in enumerate(counts):
        h = (H - PAD - TOP) * c / peak
        out.append(f"<rect x='{PAD + 2 + i * width:.1f}' y='{H - PAD - h:.1f}' width='{width * 0.9:.1f}' "
                   f"height='{h:.1f}' fill='{COLOURS[0]}'><title>{c} questions</title></rect>")
    for i in (0, bins // 2, bins):
        out.append(f"<text x='{PAD + i * width:.1f}' y='{H - PAD + 14}' font-size='10' "
                   f"text-anchor='middle'>{top * i / bins:.0f}</text>")
    return "".join(out) + "</svg>"
