"""Check every `[n]` of an answer, whichever composer wrote it: markers that point at no
citation are removed, and each sentence is marked supported or not. A sentence is supported
when it cites something, every number in it appears in the cited text, its wording is there
(character-bigram recall) or its meaning is (embedding cosine; only for text a model wrote),
and it answers the question: it is about the asked subject (the question's places and
organisations appear in it, in its cited passage's headings or title, or in the retrieved text
just before the quote; matched in simplified characters), and the answer holds the asked kind
of fact (a figure, a date). A quote that contains the sentence is not enough: an extractive
answer always passes that. Citations are renumbered 1..n in order of first use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from youju.chat.citations import bigram_recall, split_answer
from youju.chat.questions import QuestionInfo, names, states_asked_kind, subject_cores
from youju.embeddings.base import Embedder
from youju.i18n import t
from youju.records import AnswerSentence, Chunk, Citation
from youju.text.numbers import canonical, numbers
from youju.text.tokens import content_words

MIN_LEXICAL = 0.3  # share of the sentence's bigrams found in the cited text (bench/calibrate_verifier.py)
NEAR = 300  # characters before a quote in which its passage may name the subject
MIN_SEMANTIC = 0.91  # e5 cosines are compressed: unrelated Chinese text often scores 0.8


@dataclass
class Verified:
    text: str
    citations: tuple[Citation, ...]
    sentences: tuple[AnswerSentence, ...]


@dataclass
class _Judged:
    sentence: str
    cited: list[int]  # valid citation numbers, as written
    supported: bool | None
    reason: str


class Verifier:
    def __init__(self, embedder: Embedder | None = None, min_lexical: float = MIN_LEXICAL,
                 min_semantic: float = MIN_SEMANTIC, no_fact: tuple[str, ...] = (), lang: str = "en") -> None:
        self.embedder = embedder
        self.min_lexical = min_lexical
        self.min_semantic = min_semantic
        self.no_fact = no_fact  # sentences that state nothing (the refusal sentence)
        self.lang = lang  # of the reasons given for unsupported sentences

    def verify(self, text: str, citations: dict[int, Citation], question: QuestionInfo | None = None,
               derived: frozenset[str] = frozenset(), continuing: frozenset[str] = frozenset(),
               passages: Sequence[Chunk] = ()) -> Verified:
        """`derived`: sentences computed from the cited ones (a comparison's conclusion): they
        must carry the cited numbers, not their wording. `continuing`: sentences that go on from
        the one before (a list's items after the sentence that announces them): about the asked
        subject when that one is. `passages`: the retrieved passages, whose text just before a
        quote may name its subject."""
        renumber: dict[int, int] = {}
        judged: list[_Judged] = []
        pending: list[_Judged] = []  # sentences that need the embedding check
        for part in split_answer(text):
            valid = [n for n in part.citations if n in citations]
            dropped = [n for n in part.citations if n not in citations]
            for n in valid:
                renumber.setdefault(n, len(renumber) + 1)
            supported, reason = self._lexical(part.text, [citations[n] for n in valid], part.text in derived)
            inherits = part.text in continuing and bool(judged) and judged[-1].supported is not False
            if supported and question is not None and part.text not in derived and not inherits:
                supported, reason = self._about(part.text, [citations[n] for n in valid], question, passages)
            if dropped:
                reason = (reason + "; " if reason else "") + t("why.removed", self.lang,
                                                               markers="".join(f"[{n}]" for n in dropped))
            judged.append(_Judged(part.text, valid, supported, reason))
            if supported is None and reason == "semantic":
                pending.append(judged[-1])
                judged[-1].reason = ""
        for j, ok in zip(pending, self._semantic([(j.sentence, [citations[n] for n in j.cited]) for j in pending])):
            j.supported, j.reason = ok, "" if ok else t("why.not_said", self.lang)
        if question is not None:
            self._asked_kind(judged, question)
        out_sentences, pieces = [], []
        for j in judged:
            numbers_ = tuple(renumber[n] for n in j.cited)
            out_sentences.append(AnswerSentence(j.sentence, numbers_, j.supported, j.reason))
            pieces.append(j.sentence + "".join(f"[{n}]" for n in numbers_))
        kept = tuple(replace(citations[old], n=new) for old, new in sorted(renumber.items(), key=lambda kv: kv[1]))
        return Verified("".join(pieces), kept, tuple(out_sentences))

    def _lexical(self, sentence: str, cited: list[Citation], derived: bool = False) -> tuple[bool | None, str]:
        """(verdict, reason); (None, "semantic") asks for the embedding check."""
        if sentence in self.no_fact or not _states_fact(sentence):
            return None, ""
        if not cited:
            return False, t("why.no_citation", self.lang)
        source = "".join(c.quote for c in cited)
        missing = [n for n in numbers(sentence) if n not in numbers(source)]
        if missing:
            return False, t("why.number", self.lang, number=missing[0])
        if derived or bigram_recall(canonical(sentence), canonical(source)) >= self.min_lexical:
            return True, ""
        if self.embedder is None:
            return False, t("why.not_said", self.lang)
        return None, "semantic"

    def _about(self, sentence: str, cited: list[Citation], question: QuestionInfo,
               passages: Sequence[Chunk]) -> tuple[bool, str]:
        """Is the sentence about what was asked? Each place or organisation the question names
        (any one of them, for a comparison) must appear in it, in its cited passage's headings or
        title, or in the document's retrieved text within NEAR characters before the quote (a
        passage names its subject once and its sentences go on about it: 江澜都市圈规划印发。再经过
        三年奋斗,到2025年…)."""
        # matched as simplified: a traditional sentence cites a document whose title is simplified
        cores = subject_cores(question.entities)
        if not cores or question.english:
            return True, ""
        where = sentence + "".join(c.quote + " ".join(c.heading_path) + c.title + _before(c, passages) for c in cited)
        found = [names(where, core) for core in cores]
        if any(found) if question.compare else all(found):
            return True, ""
        missing = "、".join(e for e, ok in zip(question.entities, found) if not ok)
        return False, t("why.subject", self.lang, subject=missing)

    def _asked_kind(self, judged: list[_Judged], question: QuestionInfo) -> None:
        """A figure or date question must get one (a figure in the asked noun's unit): when no
        sentence of the answer holds it, the first sentence is flagged."""
        if question.asks not in ("number", "date") or not judged or \
                any(states_asked_kind(j.sentence, question) for j in judged):
            return
        first = judged[0]
        if first.supported:
            first.supported, first.reason = False, t("why.kind." + question.asks, self.lang)

    def _semantic(self, items: list[tuple[str, list[Citation]]]) -> list[bool]:
        if not items or self.embedder is None:
            return [False] * len(items)
        claims = self.embedder.embed_documents([s for s, _ in items])
        sources = self.embedder.embed_documents(["".join(c.quote for c in cited) for _, cited in items])
        return [bool(x >= self.min_semantic) for x in np.sum(claims * sources, axis=1)]


def _states_fact(sentence: str) -> bool:
    """A sentence with a number or at least two content words claims something."""
    return bool(numbers(sentence)) or len(content_words(re.sub(r"\s+", "", sentence))) >= 2


def _before(c: Citation, passages: Sequence[Chunk]) -> str:
    """The retrieved text of the cited document in the NEAR characters before the quote: the
    passage it is cited from, and one that ends just before it (a passage may begin right
    after the sentence that names the subject)."""
    return "".join(p.text[max(0, c.start - NEAR - p.start):max(0, c.start - p.start)] for p in passages
                   if p.doc_id == c.doc_id and p.start < c.start and p.end >= c.start - NEAR)
