"""The Embedder protocol every backend implements. Vectors are float32 and L2-normalised, so
inner product is cosine similarity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

Progress = Callable[[int], None]  # called with the number of texts just embedded


@dataclass(frozen=True)
class SpanVectors:
    """Vectors of texts (one row each) and, per text, one row per requested character span."""

    vectors: np.ndarray
    spans: list[np.ndarray]


@runtime_checkable
class Embedder(Protocol):
    @property
    def dimension(self) -> int: ...

    @property
    def fingerprint(self) -> str:
        """Enough to tell two models (or two configurations of one) apart."""
        ...

    def load(self) -> None:
        """Load the model now (it otherwise loads on first use)."""
        ...

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_documents_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]],
                                   progress: Progress | None = None) -> SpanVectors:
        """Like embed_documents, plus a vector for each (start, end) span of each text (the
        sentences answer selection compares with the question)."""
        ...

    def count_tokens(self, texts: list[str]) -> int:
        """Tokens the model would read for these documents (for throughput figures)."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
