"""The FAISS side of the index: inner product over L2-normalised vectors, keyed by chunk rowid.
Files are written to a temporary name and renamed, so a reader never sees half a file.

The index type is chosen by size unless the user names a FAISS factory string: exact search
(`Flat`) below EXACT_MAX vectors, an inverted file (`IVF<nlist>,Flat`, NPROBE lists searched)
above it. The figures behind EXACT_MAX and NPROBE are in docs/BENCHMARKS.md
(bench/dense_scale.py): at a million vectors IVF answers in a few milliseconds where exact
search takes 139 ms, with recall@10 against exact above 0.95. IVF keeps vectors uncompressed
(the same memory as Flat) and, unlike HNSW, can delete, so re-ingest stays incremental."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

AUTO = "auto"
EXACT_MAX = 100_000  # exact search below this many vectors (14 ms at 100,000 here)
NPROBE = 128  # inverted lists searched per query: recall@10 0.97 at 100k and 1M (bench/dense_scale.py)
TRAIN_PER_LIST = 40  # training vectors per inverted list (FAISS warns below 39)


def auto_factory(n: int) -> str:
    """The FAISS factory string for `n` vectors: exact below EXACT_MAX, else an inverted file
    with about 4·sqrt(n) lists (a power of two)."""
    if n < EXACT_MAX:
        return "Flat"
    return f"IVF{1 << round(math.log2(4 * math.sqrt(n)))},Flat"


def fits(factory: str, n: int) -> bool:
    """Whether an index built as `factory` still serves `n` vectors under `auto`: the kind
    auto_factory picks (an IVF index goes back to exact search only below half of EXACT_MAX,
    so an index near the line does not flip at every ingest) and for IVF a list count within
    2x of the ideal (a growing index is re-clustered now and then)."""
    wanted = auto_factory(n)
    if factory == wanted:
        return True
    if factory.startswith("IVF"):
        if wanted == "Flat":
            return n >= EXACT_MAX // 2
        return _nlist(wanted) / 2 <= _nlist(factory) <= _nlist(wanted) * 2
    return False


def _nlist(factory: str) -> int:
    return int(factory[3:].split(",")[0])


def resolve(setting: str, n: int) -> str:
    """The factory to build for `n` vectors under the user's setting (`auto` or a FAISS string)."""
    return auto_factory(n) if setting == AUTO else setting


class DenseIndex:
    def __init__(self, dimension: int, factory: str = "Flat") -> None:
        import faiss

        self.dimension = dimension
        self.factory = factory
        index = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
        # IVF indexes keep ids themselves (an IDMap2 over IVF loses them on removal)
        if faiss.try_extract_index_ivf(index) is None:
            index = faiss.index_factory(dimension, f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)
        self.index = index

    @property
    def training_size(self) -> int:
        """How many vectors `train` wants (0: none needed)."""
        import faiss

        ivf = faiss.try_extract_index_ivf(self.index)
        return int(ivf.nlist) * TRAIN_PER_LIST if ivf is not None and not self.index.is_trained else 0

    def train(self, vectors: np.ndarray) -> None:
        self.index.train(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def load(cls, path: Path, factory: str) -> DenseIndex:
        import faiss

        self = cls.__new__(cls)
        self.index = faiss.read_index(str(path))
        self.dimension = self.index.d
        ivf = faiss.try_extract_index_ivf(self.index)
        if factory == AUTO:  # what auto_factory built
            factory = f"IVF{ivf.nlist},Flat" if ivf is not None else "Flat"
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
        sel = faiss.IDSelectorBatch(allowed) if allowed is not None else None
        params: Any
        if faiss.try_extract_index_ivf(self.index) is not None:
            params = faiss.SearchParametersIVF(nprobe=NPROBE, sel=sel)  # type: ignore[call-arg]
        else:
            params = faiss.SearchParameters(sel=sel) if sel is not None else None  # type: ignore[call-arg]
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
