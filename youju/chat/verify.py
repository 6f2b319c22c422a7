"""Check every `[n]` of an answer, whichever composer wrote it: markers that point at no
citation are removed, and each sentence is marked supported or not by its cited passages.
A sentence is supported when it cites something, every number in it appears in the cited
text, and its wording is there (character-bigram recall) or its meaning is (embedding
cosine). Citations are renumbered 1..n in order of first use."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from youju.chat.citations import bigram_recall, split_answer
from youju.embeddings.base import Embedder
from youju.records import AnswerSentence, Citation
from youju.text.numbers import canonical, numbers
from youju.text.tokens import content_words

MIN_LEXICAL = 0.3  # share of the sentence's bigrams found in the cited text (bench/calibrate_verifier.py)
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
                 min_semantic: float = MIN_SEMANTIC, no_fact: tuple[str, ...] = ()) -> None:
        self.embedder = embedder
        self.min_lexical = min_lexical
        self.min_semantic = min_semantic
        self.no_fact = no_fact  # sentences that state nothing (the refusal sentence)

    def verify(self, text: str, citations: dict[int, Citation]) -> Verified:
        renumber: dict[int, int] = {}
        judged: list[_Judged] = []
        pending: list[_Judged] = []  # sentences that need the embedding check
        for part in split_answer(text):
            valid = [n for n in part.citations if n in citations]
            dropped = [n for n in part.citations if n not in citations]
            for n in valid:
                renumber.setdefault(n, len(renumber) + 1)
            supported, reason = self._lexical(part.text, [citations[n] for n in valid])
            if dropped:
                reason = (reason + "; " if reason else "") + "removed " + "".join(f"[{n}]" for n in dropped)
            judged.append(_Judged(part.text, valid, supported, reason))
            if supported is None and reason == "semantic":
                pending.append(judged[-1])
                judged[-1].reason = ""
        for j, ok in zip(pending, self._semantic([(j.sentence, [citations[n] for n in j.cited]) for j in pending])):
            j.supported, j.reason = ok, "" if ok else "the cited passage does not say this"
        out_sentences, pieces = [], []
        for j in judged:
            numbers_ = tuple(renumber[n] for n in j.cited)
            out_sentences.append(AnswerSentence(j.sentence, numbers_, j.supported, j.reason))
            pieces.append(j.sentence + "".join(f"[{n}]" for n in numbers_))
        kept = tuple(replace(citations[old], n=new) for old, new in sorted(renumber.items(), key=lambda kv: kv[1]))
        return Verified("".join(pieces), kept, tuple(out_sentences))

    def _lexical(self, sentence: str, cited: list[Citation]) -> tuple[bool | None, str]:
        """(verdict, reason); (None, "semantic") asks for the embedding check."""
        if sentence in self.no_fact or not _states_fact(sentence):
            return None, ""
        if not cited:
            return False, "no citation"
        source = "".join(c.quote for c in cited)
        missing = [n for n in numbers(sentence) if n not in numbers(source)]
        if missing:
            return False, f"number {missing[0]} is not in the cited passage"
        if bigram_recall(canonical(sentence), canonical(source)) >= self.min_lexical:
            return True, ""
        if self.embedder is None:
            return False, "the cited passage does not say this"
        return None, "semantic"

    def _semantic(self, items: list[tuple[str, list[Citation]]]) -> list[bool]:
        if not items or self.embedder is None:
            return [False] * len(items)
        claims = self.embedder.embed_documents([s for s, _ in items])
        sources = self.embedder.embed_documents(["".join(c.quote for c in cited) for _, cited in items])
        return [bool(x >= self.min_semantic) for x in np.sum(claims * sources, axis=1)]


def _states_fact(sentence: str) -> bool:
    """A sentence with a number or at least two content words claims something."""
    return bool(numbers(sentence)) or len(content_words(re.sub(r"\s+", "", sentence))) >= 2
