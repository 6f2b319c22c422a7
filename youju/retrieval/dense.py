"""The FAISS side of the index: inner product over L2-normalised vectors, keyed by chunk rowid.
Files are written to a temporary name and renamed, so a reader never sees half a file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class DenseIndex:
    def __init__(self, dimension: int, factory: str = "Flat") -> None:
        import faiss

        self.dimension = dimension
        self.factory = factory
        self.index = faiss.index_factory(dimension, f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)

    @classmethod
    def load(cls, path: Path, factory: str) -> DenseIndex:
        import faiss

        self = cls.__new__(cls)
        self.index = faiss.read_index(str(path))
        self.dimension = self.index.d
        self.factory = factory
        return self

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not self.index.is_trained:
            self.index.train(vectors)
        self.index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> bool:
        """Remove ids; False when this index type cannot remove (the caller rebuilds)."""
        import faiss

        if not ids:
            return True
        try:
            self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))
        except RuntimeError:
            return False
        return True

    def vectors(self, ids: np.ndarray) -> np.ndarray | None:
        """The stored vectors of `ids` (None when this index type cannot give them back)."""
        try:
            return np.stack([self.index.reconstruct(int(i)) for i in ids])
        except RuntimeError:
            return None

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores) for one query vector; `allowed` restricts to those ids."""
        import faiss

        if len(self) == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed)) if allowed is not None else None  # type: ignore[call-arg]
        scores, ids = self.index.search(q, min(k, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def save(self, path: Path) -> None:
        import faiss

        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self.index, str(tmp))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
