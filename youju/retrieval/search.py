"""question -> ranked Hits. Dense retrieval over the FAISS index; keyword and hybrid
retrieval build on the same Hit records."""

from __future__ import annotations

import time

from youju.embeddings.base import Embedder
from youju.errors import InputError
from youju.records import Hit
from youju.retrieval.index import Index


class Retriever:
    def __init__(self, index: Index, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    def retrieve(self, question: str, k: int = 5, doc_ids: list[str] | None = None) -> tuple[list[Hit], dict[str, float]]:
        """Top-k hits for the question and per-stage timings in milliseconds."""
        question = question.strip()
        if not question:
            raise InputError("the question is empty", zh="问题为空")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        qvec = self.embedder.embed_query(question)
        t1 = time.perf_counter()
        found = self.index.search(qvec, k, doc_ids)
        t2 = time.perf_counter()
        timings["embed_query"] = (t1 - t0) * 1000
        timings["dense_search"] = (t2 - t1) * 1000
        hits = [Hit(sc.chunk, score, rank, {"dense": score}, sc.source, sc.title)
                for rank, (sc, score) in enumerate(found, start=1)]
        return hits, timings
