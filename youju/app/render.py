"""Answers and passages as terminal text (the CLI), and the pieces the chat UI's HTML and
Markdown export share: a quote in its context, a citation's place in its document."""

from __future__ import annotations

from collections.abc import Callable

from youju.i18n import t
from youju.records import Answer, Citation, Hit

DocText = Callable[[str], str]  # doc_id -> stored document text


def context_around(text: str, start: int, end: int, width: int = 40) -> tuple[str, str, str]:
    """(before, quote, after): the quoted span with a little of its surroundings."""
    a, b = max(0, start - width), min(len(text), end + width)
    before = ("…" if a > 0 else "") + text[a:start].replace("\n", " ")
    after = text[end:b].replace("\n", " ") + ("…" if b < len(text) else "")
    return before, text[start:end].replace("\n", " "), after


def citation_path(c: Citation) -> str:
    """Where a cited passage sits in its document (the title, shown separately, left out)."""
    return " > ".join(h for h in c.heading_path if h != c.title)


def hit_path(h: Hit) -> str:
    return " > ".join(h.chunk.heading_path) or h.title


def answer_body(a: Answer, lang: str) -> str:
    """The answer as plain text: each sentence with its [n] and, if unsupported, the mark."""
    body = "".join(s.text + "".join(f"[{n}]" for n in s.citations)
                   + (t("unsupported", lang) if s.supported is False else "") for s in a.sentences)
    return body or a.text


def answer_text(a: Answer, doc_text: DocText, lang: str = "zh") -> str:
    """The answer for a terminal: text with [n] (unsupported sentences marked), then the
    numbered sources with the quoted span 【highlighted】 in a little context."""
    lines = []
    if a.standalone_question and a.standalone_question != a.question:
        lines.append(t("rewritten", lang, question=a.standalone_question))
    lines.append(answer_body(a, lang))
    lines += [f"({note})" for note in a.notes]
    if a.citations:
        lines += ["", t("sources", lang)]
        for c in a.citations:
            path = citation_path(c)
            lines.append(f"[{c.n}] {c.title}" + (f" › {path}" if path else ""))
            lines.append(f"    {c.source}, " + t("chars", lang, start=c.start, end=c.end))
            before, quote, after = context_around(doc_text(c.doc_id), c.start, c.end)
            lines.append(f"    {before}【{quote}】{after}")
    if a.abstained and a.hits:
        lines += ["", t("nearest", lang)]
        for h in a.hits[:3]:
            lines.append(f"- {h.source} · {hit_path(h)} (" + t("chars", lang, start=h.chunk.start, end=h.chunk.end) + ")")
            snippet = h.chunk.text.replace("\n", " ")
            lines.append("    " + (snippet[:120] + "…" if len(snippet) > 120 else snippet))
    return "\n".join(lines)
