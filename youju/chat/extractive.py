"""The default composer: answers with sentences taken from the passages, each followed by its
citation. A direct answer first (for a figure, the sentence that states it; for a comparison,
one sentence per thing compared), then at most a couple of supporting sentences; long
sentences are trimmed to the clauses that matter."""

from __future__ import annotations

import re
import time

from youju.chat.composer import TextStream, abstention, citation_for
from youju.chat.conversation import Turn
from youju.chat.evidence import Candidate, Evidence, gather
from youju.chat.questions import QuestionInfo, entity_core, has_figure
from youju.chat.verify import Verifier
from youju.config import AnswerSettings
from youju.embeddings.base import Embedder
from youju.records import Answer, Hit
from youju.text.tokens import bigrams

MAX_SENTENCE = 90  # characters shown of one source sentence before trimming to its key clauses
_CLAUSES = re.compile(r"[^,，;；]+[,，;；]?")
_END = "。！？!?；;"


class ExtractiveComposer:
    name = "extractive"

    def __init__(self, embedder: Embedder | None, lang: str = "zh", settings: AnswerSettings | None = None,
                 verifier: Verifier | None = None) -> None:
        self.embedder = embedder
        self.lang = lang
        self.settings = settings or AnswerSettings()
        self.verifier = verifier or Verifier(embedder)

    def compose(self, question: str, hits: list[Hit], history: list[Turn] | None = None) -> Answer:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        evidence = gather(question, hits, self.embedder, self.settings)
        timings["analyse"] = (time.perf_counter() - t0) * 1000
        if evidence.abstain:
            return abstention(question, evidence, hits, self.lang, self.name, timings)
        return self.answer_from(question, evidence, hits, timings)

    def answer_from(self, question: str, evidence: Evidence, hits: list[Hit], timings: dict[str, float]) -> Answer:
        t0 = time.perf_counter()
        chosen = select(evidence)
        citations = {i: citation_for(i, c) for i, c in enumerate(chosen, start=1)}
        text = "".join(_as_answer(c.text, evidence.question) + f"[{i}]" for i, c in enumerate(chosen, start=1))
        t1 = time.perf_counter()
        verified = self.verifier.verify(text, citations)
        timings["compose"] = (t1 - t0) * 1000
        timings["verify"] = (time.perf_counter() - t1) * 1000
        return Answer(question, verified.text, verified.citations, tuple(hits), False, timings,
                      verified.sentences, composer=self.name)

    def stream(self, question: str, hits: list[Hit], history: list[Turn] | None = None) -> TextStream:
        answer = self.compose(question, hits, history)
        for s in answer.sentences:  # already verified: stream it sentence by sentence
            yield s.text + "".join(f"[{n}]" for n in s.citations)
        return answer


def select(evidence: Evidence) -> list[Candidate]:
    """The direct answer (one per compared entity), then supporting sentences in document order."""
    info = evidence.question
    pool = list(evidence.on_topic or evidence.candidates)
    if info.kind == "figure" and evidence.figure_answers:
        pool = list(evidence.figure_answers) + [c for c in pool if c not in evidence.figure_answers]
    if info.compare and len(info.entities) > 1:
        direct = []
        for e in info.entities:
            core = entity_core(e)
            pick = next((c for c in pool if core in c.text and c not in direct), None) or \
                next((c for c in pool if core in c.hit.chunk.text and c not in direct), None)
            if pick is not None:
                direct.append(pick)
        direct = direct or pool[:1]
    else:
        direct = pool[:1]
    # A figure, a list or a comparison is answered by its direct sentence(s); anything else
    # may take one supporting sentence.
    budget = 1 if info.kind == "fact" and not info.compare else 0
    support: list[Candidate] = []
    for c in pool:
        if len(support) >= budget:
            break
        if c in direct or c.score < 0.85 * direct[0].score or c.lexical < 0.5:
            continue
        if any(_same_point(c, d) for d in direct + support):
            continue
        support.append(c)
    return direct + sorted(support, key=lambda c: (c.hit.chunk.doc_id, c.start))


def _same_point(a: Candidate, b: Candidate) -> bool:
    if a.hit.chunk.doc_id == b.hit.chunk.doc_id and a.start < b.end and b.start < a.end:
        return True
    x, y = set(bigrams(a.text)), set(bigrams(b.text))
    return bool(x and y) and len(x & y) / len(x | y) > 0.6


def _as_answer(sentence: str, info: QuestionInfo) -> str:
    """The sentence as shown: long ones trimmed to the clauses that answer the question
    (verbatim pieces joined by …), always ending like a sentence (so the verifier, and a
    reader, can tell where one cited sentence stops)."""
    text = sentence.strip()
    limit = MAX_SENTENCE * (3 if info.kind == "list" else 2) // 2
    if len(text) > limit:
        text = _trim(text, info, limit)
    return text if text[-1] in _END else text.rstrip(",，:：;；…") + "。"


def _trim(text: str, info: QuestionInfo, limit: int) -> str:
    clauses = _CLAUSES.findall(text)
    if len(clauses) < 2:
        return text

    words = info.attribute if any(w in text for w in info.attribute) else info.content

    def value(clause: str) -> float:
        v = sum(len(w) for w in words if w in clause)
        if info.kind == "list":
            v += 2 * clause.count("、")
        return v + (3 if info.kind == "figure" and has_figure(clause) else 0)

    best = max(range(len(clauses)), key=lambda i: value(clauses[i]))
    lo = hi = best
    while True:  # widen to neighbours that also match, within the limit
        options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(clauses) and value(clauses[i]) > 0]
        grown = [(lo if i > hi else i, hi if i < lo else i) for i in options]
        grown = [(a, b) for a, b in grown if len("".join(clauses[a:b + 1])) <= limit]
        if not grown:
            break
        lo, hi = max(grown, key=lambda ab: sum(value(c) for c in clauses[ab[0]:ab[1] + 1]))
    window = "".join(clauses[lo:hi + 1])
    cores = [entity_core(e) for e in info.entities]
    if lo > 0 and any(core in clauses[0] and core not in window for core in cores):
        window = clauses[0].rstrip(",，;；") + "…" + window  # keep who or what the sentence is about
    elif lo > 0:
        window = "…" + window
    return window.rstrip(",，;；")
