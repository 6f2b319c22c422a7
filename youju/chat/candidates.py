"""The sentences an answer can be made of: every sentence of the top passages (a table row is
a sentence: its line), with the vector the ingest computed for it, its place in its passage
and the passage's headings. Vectors come from the index; a passage that has none (an index
made before they were stored, hits made by hand) has its sentences embedded here, as the
`embed_sentences` stage of the answer's timings shows."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from youju.embeddings.base import Embedder
from youju.records import Hit
from youju.text.sentences import split_sentences

MAX_HITS = 5  # passages whose sentences are weighed


@dataclass(frozen=True)
class Sources:
    """What answering gets besides the hits, all computed without a model call: the question's
    vector (already made for retrieval), each passage's sentence vectors (made at ingest) and a
    way to read a whole document (for a list that runs past the passage)."""

    question_vector: np.ndarray | None = None
    sentence_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # chunk id -> one row per sentence
    document_text: Callable[[str], str] | None = None
    filtered: bool = False  # the search was restricted to documents the user chose


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    index: int  # the sentence's position in its passage (0 = first)
    count: int  # sentences in the passage
    start: int  # document offsets of the sentence
    end: int
    text: str
    vector: np.ndarray | None

    @property
    def context(self) -> str:
        """The passage's headings and its document's title: what the sentence is about."""
        return " > ".join(self.hit.chunk.heading_path) + " " + self.hit.title

    @property
    def is_heading(self) -> bool:
        text = self.text.rstrip("。:：")
        return text in self.hit.chunk.heading_path or text == self.hit.title


def candidates(hits: list[Hit], sources: Sources, embedder: Embedder | None,
               timings: dict[str, float] | None = None) -> list[Candidate]:
    """Every sentence of the top passages once (a sentence repeated by overlapping passages
    keeps its best-ranked one), in rank order."""
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    missing: list[int] = []  # candidates whose vector must be embedded now
    for hit in hits[:MAX_HITS]:
        chunk = hit.chunk
        spans = list(chunk.sentences) or split_sentences(chunk.text)
        stored = sources.sentence_vectors.get(chunk.id)
        if stored is not None and len(stored) != len(spans):
            stored = None
        for i, (a, b) in enumerate(spans):
            key = (chunk.doc_id, chunk.start + a, chunk.start + b)
            if key in seen or b - a < 2:
                continue
            seen.add(key)
            if stored is None:
                missing.append(len(out))
            out.append(Candidate(hit, i, len(spans), key[1], key[2], chunk.text[a:b],
                                 stored[i] if stored is not None else None))
    if missing and embedder is not None:
        t0 = time.perf_counter()
        vectors = embedder.embed_documents([out[i].text for i in missing])
        for i, vec in zip(missing, vectors):
            c = out[i]
            out[i] = Candidate(c.hit, c.index, c.count, c.start, c.end, c.text, vec)
        if timings is not None:
            timings["embed_sentences"] = (time.perf_counter() - t0) * 1000
    return out
