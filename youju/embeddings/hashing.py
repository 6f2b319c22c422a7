"""A deterministic, model-free embedder for fast tests: signed feature hashing of character
unigrams and bigrams. Similar strings get similar vectors; nothing is downloaded or loaded."""

from __future__ import annotations

import zlib

import numpy as np

from youju.embeddings.base import Progress, SpanVectors, l2_normalise


class HashingEmbedder:
    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def fingerprint(self) -> str:
        return f"hashing-char12-{self._dimension}"

    def load(self) -> None:
        pass

    def _embed(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dimension, dtype=np.float32)
        chars = [c for c in text if not c.isspace()]
        grams = chars + [a + b for a, b in zip(chars, chars[1:])]
        for g in grams:
            h = zlib.crc32(g.encode("utf-8"))
            vec[h % self._dimension] += 1.0 if (h >> 31) & 1 else -1.0
        return vec

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        out = np.stack([self._embed(t) for t in texts]) if texts else np.zeros((0, self._dimension), np.float32)
        if progress:
            progress(len(texts))
        return l2_normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalise(self._embed(text))

    def embed_documents_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]],
                                   progress: Progress | None = None) -> SpanVectors:
        return SpanVectors(self.embed_documents(texts, progress),
                           [self.embed_documents([t[a:b] for a, b in s]) for t, s in zip(texts, spans)])

    def count_tokens(self, texts: list[str]) -> int:
        return sum(len(t) for t in texts)
