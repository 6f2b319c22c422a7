"""What the engine needs of an index, whatever holds it: the default folder (SQLite + FAISS,
`youju.retrieval.index.Index`) or a Milvus collection set (`youju.retrieval.milvus`, a Milvus
server by `milvus://HOST:PORT/COLLECTION` or a Milvus Lite file `PATH.db`). Both keep the same
records, the same jieba + bigram keyword analysis and the same dense vectors, so retrieval and
answers do not depend on where the index lives."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from youju.config import ChunkingSettings
from youju.embeddings.base import Embedder
from youju.i18n import Msg
from youju.records import Chunk, DocInfo, Document
from youju.retrieval.store import StagedDocument, StoredChunk

Ranked = list[tuple[int, float]]  # (chunk rowid, score), best first
Slices = Any  # Iterable[tuple[tuple[Chunk, ...], np.ndarray, tuple[np.ndarray, ...]]]


def is_milvus(location: str | Path) -> bool:
    """A Milvus server URI, or a Milvus Lite file (Milvus Lite wants the .db suffix)."""
    text = str(location)
    return text.startswith("milvus://") or text.endswith(".db")


class Writing(Protocol):
    def put(self, items: list[StagedDocument]) -> None: ...

    def put_streamed(self, document: Document, size: int, mtime_ns: int, chunker: str, slices: Slices) -> None: ...

    def remove(self, paths: list[str]) -> None: ...

    def touch(self, path: str, mtime_ns: int) -> None: ...


class SearchIndex(Protocol):
    """The surface the engine, ingest and retrieval use; nothing else of a backend is read."""

    path: Any  # where it lives, for messages (a folder, or a Milvus URI)
    notices: list[Msg]  # repairs made while reading, for the caller to show

    def close(self) -> None: ...

    def is_empty(self) -> bool: ...

    def counts(self) -> dict[str, int]: ...

    def version(self) -> int: ...

    def documents(self) -> list[DocInfo]: ...

    def document(self, doc_id: str) -> Document | None: ...

    def doc_chunks(self, doc_id: str) -> list[Chunk]: ...

    def chunks(self, rowids: list[int]) -> dict[int, StoredChunk]: ...

    def vocabulary(self) -> list[str]: ...

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]: ...

    def search_dense(self, query_vec: np.ndarray, k: int, doc_ids: list[str] | None = None) -> Ranked: ...

    def search_keywords(self, question: str, k: int, doc_ids: list[str] | None = None,
                        bigram_weight: float = 1.0) -> Ranked: ...

    def embedder_info(self) -> Any: ...

    def check_embedder(self, fingerprint: str) -> None: ...

    def manifest(self) -> dict[str, Any] | None: ...

    def repair(self, chunking: ChunkingSettings) -> None: ...

    def writer(self, embedder: Embedder, name: str, chunking: ChunkingSettings) -> AbstractContextManager[Any]: ...


def open_index(location: str | Path, *, create: bool = False, faiss_factory: str = "auto") -> SearchIndex:
    """The index at `location`: a Milvus URI or .db file, else an index folder."""
    if is_milvus(location):
        from youju.retrieval.milvus import MilvusIndex

        return MilvusIndex.open(str(location), create=create)
    from youju.retrieval.index import Index

    return Index.open(Path(location), create=create, faiss_factory=faiss_factory)
