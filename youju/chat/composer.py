"""The Composer protocol, and what every composer shares: abstaining on weak evidence and
verifying the answer it wrote. A composer streams: it yields text pieces as they are written
and returns the finished, verified Answer (`answer = yield from composer.stream(...)`)."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Protocol

from youju.chat.candidates import Candidate, Sources
from youju.chat.conversation import Turn
from youju.chat.evidence import Evidence, named_clause
from youju.i18n import t
from youju.records import Answer, AnswerSentence, Citation, Hit

TextStream = Generator[str, None, Answer]  # text pieces; the generator's return value is the Answer


class Composer(Protocol):
    name: str

    def stream(self, question: str, hits: list[Hit], history: list[Turn] | None = None,
               sources: Sources | None = None) -> TextStream:
        """Text pieces as they are ready; returns the finished, verified Answer. `sources` holds
        what answering needs beside the hits (vectors made at ingest, document reader)."""
        ...


def drain(stream: TextStream) -> Answer:
    """Run a stream to its end and return its Answer."""
    while True:
        try:
            next(stream)
        except StopIteration as done:
            return done.value


def citation_for(n: int, c: Candidate) -> Citation:
    h = c.hit
    return Citation(n, h.chunk.id, h.chunk.doc_id, c.start, c.end, c.text, h.source, h.title, h.chunk.heading_path)


def abstention(question: str, evidence: Evidence, hits: list[Hit], lang: str, composer: str,
               timings: dict[str, float], filtered: bool = False) -> Answer:
    """"Not in the documents", saying why when it can: a named entity nowhere in the passages,
    or a figure whose number is missing from the text; and saying which documents were searched
    when the user chose some. The refusal claims nothing; a cited gap is supported when the
    quoted clause really is in the cited sentence."""
    t0 = time.perf_counter()
    citations: tuple[Citation, ...] = ()
    scope = "_filtered" if filtered else ""
    if evidence.reason == "entity":
        named = "、".join(evidence.missing_entities[:3]) + ("…" if len(evidence.missing_entities) > 3 else "")
        sentence = AnswerSentence(t("refusal_entity" + scope, lang, entities=named))
    elif evidence.reason == "figure" and evidence.figure_gap is not None:
        gap = evidence.figure_gap
        clause = named_clause(gap.text, evidence.question)
        sentence = AnswerSentence(t("refusal_figure", lang, clause=clause), (1,), clause in gap.text)
        citations = (citation_for(1, gap),)
    else:
        sentence = AnswerSentence(t("refusal" + scope, lang))
    text = sentence.text + "".join(f"[{n}]" for n in sentence.citations)
    timings["verify"] = (time.perf_counter() - t0) * 1000
    return Answer(question, text, citations, tuple(hits), True, timings, (sentence,), composer=composer)
