"""HTML for the chat UI: the conversation (clickable [n], unsupported sentences marked,
refusals styled as refusals), the sources panel and the document viewer, plus the Markdown
export. Every piece of text that comes from a document or a user is escaped here, so a
document containing `<script>` or `<img onerror=…>` shows as text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from youju.app.render import DocText, answer_body, citation_path, context_around, hit_path
from youju.chat.citations import MARKER
from youju.i18n import t
from youju.ingest.structure import find_headings
from youju.records import Answer, Citation, Hit


@dataclass
class TurnView:
    question: str
    answer: Answer | None = None  # None while it is being written
    partial: str = ""  # streamed text so far


def _links(turn: int, numbers: Iterable[int | str]) -> str:
    """Clickable [n] (numbers are ints or digit strings: nothing to escape)."""
    return "".join(f"<a class='yj-cite' href='#' data-turn='{turn}' data-n='{n}'>[{n}]</a>" for n in numbers)


def _cite_links(text: str, turn: int) -> str:
    """Escape text, then turn its [n] markers into links."""
    return MARKER.sub(lambda m: _links(turn, re.findall(r"\d+", m.group(0))), escape(text))


def chat_html(turns: list[TurnView], lang: str) -> str:
    if not turns:
        return f"<div class='yj-chat yj-empty'>{escape(t('ui_chat_empty', lang))}</div>"
    out = ["<div class='yj-chat'>"]
    for i, turn in enumerate(turns):
        out.append(f"<div class='yj-msg yj-user'>{escape(turn.question)}</div>")
        out.append(_answer_html(i, turn, lang))
    out.append("</div>")
    return "".join(out)


def _answer_html(i: int, turn: TurnView, lang: str) -> str:
    a = turn.answer
    if a is None:
        body = escape(MARKER.sub("", turn.partial)) or "…"
        return f"<div class='yj-msg yj-bot yj-streaming'>{body}<span class='yj-caret'>▍</span></div>"
    cls = "yj-msg yj-bot" + (" yj-abstained" if a.abstained else "")
    parts = []
    if a.standalone_question and a.standalone_question != a.question:
        parts.append(f"<div class='yj-rewrite'>{escape(t('rewritten', lang, question=a.standalone_question))}</div>")
    sentences = []
    for s in a.sentences:
        links = _links(i, s.citations)
        text = escape(s.text)
        if s.supported is False:
            tip = escape(t("unsupported", lang) + (f" {s.reason}" if s.reason else ""))
            text = f"<span class='yj-unsupported' title='{tip}'>{text}</span><span class='yj-flag' title='{tip}'>⚠</span>"
        sentences.append(text + links)
    parts.append(f"<div class='yj-answer'>{''.join(sentences) or _cite_links(a.text, i)}</div>")
    for note in a.notes:
        parts.append(f"<div class='yj-note'>{escape(note)}</div>")
    if a.abstained and a.hits:
        parts.append(f"<div class='yj-note'>{escape(t('ui_see_nearest', lang))}</div>")
    parts.append("<div class='yj-actions'>"
                 f"<button class='yj-fb' data-turn='{i}' data-rating='up'>{escape(t('ui_good', lang))}</button>"
                 f"<button class='yj-fb' data-turn='{i}' data-rating='down'>{escape(t('ui_bad', lang))}</button>"
                 f"<span class='yj-time'>{a.timings.get('total', 0):.0f} ms</span></div>")
    return f"<div class='{cls}' data-turn='{i}'>{''.join(parts)}</div>"


# --- sources --------------------------------------------------------------------------------------

def section_span(text: str, start: int) -> tuple[int, int]:
    """The section a position falls in: from the nearest heading before it to the next heading
    of the same or a higher rank; without headings, its paragraph."""
    headings = find_headings(text)
    before = [h for h in headings if h.start <= start]
    if before:
        head = before[-1]
        after = [h for h in headings if h.start > head.start and h.rank <= head.rank]
        return head.start, after[0].start if after else len(text)
    a = text.rfind("\n\n", 0, start)
    b = text.find("\n\n", start)
    return (0 if a < 0 else a + 2), (len(text) if b < 0 else b)


def _marked(text: str, span_start: int, start: int, end: int) -> str:
    """Escape text (which begins at span_start in the document), marking [start, end)."""
    a = max(0, start - span_start)
    b = max(a, min(len(text), end - span_start))
    return f"{escape(text[:a])}<mark class='yj-quote'>{escape(text[a:b])}</mark>{escape(text[b:])}"


def _scores(hit: Hit | None, lang: str) -> str:
    if hit is None:
        return ""
    s = hit.scores_by_retriever
    parts = []
    if "dense" in s:
        parts.append(t("ui_score_dense", lang, score=s["dense"], rank=int(s.get("dense_rank", 0))))
    if "keyword" in s:
        parts.append(t("ui_score_keyword", lang, score=s["keyword"], rank=int(s.get("keyword_rank", 0))))
    if "rerank" in s:
        parts.append(t("ui_score_rerank", lang, score=s["rerank"]))
    if "rrf" in s:
        parts.append(f"RRF {s['rrf']:.3f}")
    return f"<div class='yj-scores'>{escape(' · '.join(parts))}</div>"


def _card(turn: int, c: Citation, doc_text: str, hit: Hit | None, selected: bool, lang: str) -> str:
    before, quote, after = context_around(doc_text, c.start, c.end, width=80)
    path = citation_path(c)
    s0, s1 = section_span(doc_text, c.start)
    cls = "yj-card yj-selected" if selected else "yj-card"
    return (
        f"<div class='{cls}' id='yj-src-{turn}-{c.n}'>"
        f"<div class='yj-card-head'><b>[{c.n}]</b> {escape(c.title)}</div>"
        + (f"<div class='yj-path'>{escape(path)}</div>" if path else "")
        + f"<div class='yj-where'>{escape(c.source)} · {escape(t('chars', lang, start=c.start, end=c.end))}</div>"
        f"<div class='yj-context'>{escape(before)}<mark class='yj-quote'>{escape(quote)}</mark>{escape(after)}</div>"
        f"<details><summary>{escape(t('ui_whole_section', lang))}</summary>"
        f"<div class='yj-section'>{_marked(doc_text[s0:s1], s0, c.start, c.end)}</div></details>"
        + _scores(hit, lang)
        + "<div class='yj-card-actions'>"
        f"<button class='yj-open' data-doc='{escape(c.doc_id)}' data-start='{c.start}' data-end='{c.end}'>"
        f"{escape(t('ui_open_doc', lang))}</button>"
        f"<button class='yj-fb' data-turn='{turn}' data-rating='wrong_citation' data-n='{c.n}'>"
        f"{escape(t('ui_wrong_citation', lang))}</button></div></div>")


def _hit_card(h: Hit, lang: str) -> str:
    return (f"<div class='yj-card yj-hit'><div class='yj-card-head'>#{h.rank} {escape(h.title)}</div>"
            f"<div class='yj-path'>{escape(hit_path(h))}</div>"
            f"<div class='yj-where'>{escape(h.source)} · "
            f"{escape(t('chars', lang, start=h.chunk.start, end=h.chunk.end))}</div>"
            f"<div class='yj-context'>{escape(h.chunk.text)}</div>{_scores(h, lang)}"
            f"<div class='yj-card-actions'><button class='yj-open' data-doc='{escape(h.chunk.doc_id)}' "
            f"data-start='{h.chunk.start}' data-end='{h.chunk.end}'>{escape(t('ui_open_doc', lang))}</button></div></div>")


def sources_html(answer: Answer | None, turn: int, doc_text: DocText, show_all: bool, selected: int | None,
                 lang: str) -> str:
    """The cited passages of one answer (or, for a refusal or on request, every retrieved
    passage), each with its span highlighted in context."""
    if answer is None:
        return f"<div class='yj-sources yj-empty'>{escape(t('ui_sources_empty', lang))}</div>"
    out = [f"<div class='yj-sources'><div class='yj-sources-title'>{escape(t('ui_sources_for', lang, n=turn + 1))}</div>"]
    by_chunk = {h.chunk.id: h for h in answer.hits}
    for c in answer.citations:
        out.append(_card(turn, c, doc_text(c.doc_id), by_chunk.get(c.chunk_id), selected == c.n, lang))
    if show_all or answer.abstained or not answer.citations:
        title = t("nearest", lang) if answer.abstained else t("ui_all_passages", lang)
        out.append(f"<div class='yj-sources-title'>{escape(title)}</div>")
        out += [_hit_card(h, lang) for h in answer.hits]
    out.append("</div>")
    return "".join(out)


def document_html(title: str, source: str, text: str, start: int | None, end: int | None, lang: str) -> str:
    """A whole document, the cited span marked and scrolled to (the viewer's JS looks for it)."""
    if start is None or end is None:
        body = escape(text)
    else:
        body = (f"{escape(text[:start])}<mark id='yj-focus' class='yj-quote'>{escape(text[start:end])}</mark>"
                f"{escape(text[end:])}")
    return (f"<div class='yj-doc'><div class='yj-doc-head'><b>{escape(title)}</b> · {escape(source)}</div>"
            f"<div class='yj-doc-text'>{body}</div></div>")


# --- export ---------------------------------------------------------------------------------------

def conversation_markdown(turns: list[TurnView], doc_text: DocText, lang: str) -> str:
    """The conversation with each answer's numbered sources, for saving."""
    lines = [f"# {t('ui_title', lang)}", ""]
    for i, turn in enumerate(turns, start=1):
        a = turn.answer
        if a is None:
            continue
        lines += [f"## {i}. {turn.question}", ""]
        if a.standalone_question and a.standalone_question != a.question:
            lines += [f"_{t('rewritten', lang, question=a.standalone_question)}_", ""]
        lines += [answer_body(a, lang), ""]
        for c in a.citations:
            path = citation_path(c)
            lines.append(f"[{c.n}] {c.title}" + (f" › {path}" if path else "") + f" ({c.source}, "
                         + t("chars", lang, start=c.start, end=c.end) + ")")
            lines.append(f"> {c.quote}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
