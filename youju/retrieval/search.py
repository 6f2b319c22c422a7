"""question -> ranked Hits: dense and keyword (BM25 over jieba words and CJK bigrams) retrieval
from any backend (FAISS + SQLite FTS5 by default, or Milvus), fused by weighted reciprocal-rank fusion, optionally reranked by a
cross-encoder. Each Hit keeps every retriever's score and rank, so a UI or a report can show
why a passage ranked where it did."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from youju.config import RetrievalMode, RetrievalSettings
from youju.embeddings.base import Embedder
from youju.errors import QuestionError
from youju.modelload import load_model
from youju.records import Hit, Retrieval
from youju.retrieval.backend import Ranked, SearchIndex
from youju.retrieval.store import StoredChunk


def rrf(rankings: dict[str, Ranked], weights: dict[str, float], k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(d) = sum_r w_r / (k + rank_r(d)). Ties keep the
    order of first appearance (dense first)."""
    fused: dict[int, float] = {}
    for name, ranking in rankings.items():
        w = weights.get(name, 1.0)
        for rank, (rowid, _) in enumerate(ranking, start=1):
            fused[rowid] = fused.get(rowid, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])


class Retriever:
    def __init__(self, index: SearchIndex, embedder: Embedder, settings: RetrievalSettings | None = None,
                 reranker: CrossEncoderReranker | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()
        self.reranker = reranker

    def retrieve(self, question: str, k: int = 5, doc_ids: list[str] | None = None,
                 mode: RetrievalMode | None = None) -> Retrieval:
        """Top-k hits and per-stage timings in milliseconds."""
        question = question.strip()
        if not question:
            raise QuestionError("err.empty_question")
        mode = mode or self.settings.mode
        n = max(k, self.settings.candidates)
        timings: dict[str, float] = {}
        rankings: dict[str, Ranked] = {}
        if mode in ("hybrid", "dense"):
            qvec = _timed(timings, "embed_query", lambda: self.embedder.embed_query(question))
            rankings["dense"] = _timed(timings, "dense_search", lambda: self.index.search_dense(qvec, n, doc_ids))
        if mode in ("hybrid", "keyword"):
            rankings["keyword"] = _timed(timings, "keyword_search", lambda: self.index.search_keywords(
                question, n, doc_ids, self.settings.bigram_weight))
        weights = {"dense": self.settings.dense_weight, "keyword": self.settings.keyword_weight}
        fused = _timed(timings, "fusion", lambda: rrf(rankings, weights, self.settings.rrf_k)
                       if len(rankings) > 1 else next(iter(rankings.values())))
        reranker = self.reranker
        keep = fused[: max(k, reranker.depth) if reranker else k]
        stored = self.index.chunks([rowid for rowid, _ in keep])
        hits = self._hits(keep, stored, rankings)
        if reranker and hits:
            hits = _timed(timings, "rerank", lambda: reranker.rerank(question, hits))
        return Retrieval(tuple(hits[:k]), timings)

    @staticmethod
    def _hits(fused: list[tuple[int, float]], stored: dict[int, StoredChunk], rankings: dict[str, Ranked]) -> list[Hit]:
        where = {name: {rowid: (rank, score) for rank, (rowid, score) in enumerate(r, start=1)}
                 for name, r in rankings.items()}
        hits: list[Hit] = []
        for rowid, score in fused:
            sc = stored.get(rowid)
            if sc is None:  # deleted since the FAISS file was written
                continue
            scores: dict[str, float] = {}
            for name, positions in where.items():
                if rowid in positions:
                    scores[f"{name}_rank"], scores[name] = float(positions[rowid][0]), positions[rowid][1]
            if len(rankings) > 1:
                scores["rrf"] = score
            hits.append(Hit(sc.chunk, score, len(hits) + 1, scores, sc.source, sc.title))
        return hits


def _timed(timings: dict[str, float], stage: str, fn: Callable):
    t0 = time.perf_counter()
    out = fn()
    timings[stage] = (time.perf_counter() - t0) * 1000
    return out


class CrossEncoderReranker:
    """Re-score the top `depth` fused passages with a sentence-transformers CrossEncoder."""

    def __init__(self, model: str, device: str = "cpu", depth: int = 20) -> None:
        self.model_id = model
        self.device = device
        self.depth = depth
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                def load(target: str, local: bool):
                    from sentence_transformers import CrossEncoder

                    return CrossEncoder(target, device=self.device, local_files_only=local)

                self._model = load_model("reranker", self.model_id, load)
            return self._model

    def rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        head = hits[: self.depth]
        scores = self.model.predict([(question, h.chunk.embedding_text()) for h in head], show_progress_bar=False)
        order = sorted(range(len(head)), key=lambda i: -float(scores[i]))
        out = []
        for rank, i in enumerate(order, start=1):
            h = head[i]
            out.append(Hit(h.chunk, float(scores[i]), rank, {**h.scores_by_retriever, "rerank": float(scores[i])},
                           h.source, h.title))
        return out + hits[self.depth:]
