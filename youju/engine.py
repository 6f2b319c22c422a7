"""One Engine per process: the settings, the embedding model and the index, loaded on first
use and shared. The CLI and the chat UI both call these methods; no logic lives only in a UI."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from youju.config import SAMPLE_CORPUS, Settings
from youju.embeddings.base import Embedder
from youju.ingest.pipeline import IngestReport, ingest
from youju.records import Hit
from youju.retrieval.index import Index
from youju.retrieval.store import DocInfo


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Engine:
    def __init__(self, settings: Settings, log: Callable[[str], None] = _stderr) -> None:
        self.settings = settings
        self.log = log
        self.timings: dict[str, float] = {}
        self._embedder: Embedder | None = None
        self._index: Index | None = None
        self._checked = False  # index checked against the embedder
        self._lock = threading.RLock()

    @property
    def embedder_name(self) -> str:
        if self.settings.model == "default":
            from youju.embeddings.default_model import DIRNAME

            return f"intfloat/{DIRNAME}"
        return self.settings.model

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                from youju.embeddings import make_embedder

                t0 = time.perf_counter()
                s = self.settings
                self._embedder = make_embedder(s.model, s.models_dir, s.device, s.batch_size)
                self.timings["prepare_model"] = time.perf_counter() - t0
            return self._embedder

    def index(self, create: bool = False) -> Index:
        """The index, checked against the embedding model in use."""
        with self._lock:
            if self._index is None:
                self._index = Index.open(self.settings.index_dir, create=create,
                                         faiss_factory=self.settings.faiss_index)
            if not self._checked:
                self._index.check_embedder(self.embedder.fingerprint)
                self._checked = True
            return self._index

    def index_for_reading(self) -> Index:
        """The index without loading a model (for listing documents)."""
        with self._lock:
            if self._index is None:
                self._index = Index.open(self.settings.index_dir, faiss_factory=self.settings.faiss_index)
            return self._index

    def ingest(self, paths: list[Path], *, prune: bool = False, progress: bool = True,
               count_tokens: bool = False, report: IngestReport | None = None) -> IngestReport:
        index = self.index(create=True)
        return ingest(paths, index, self.embedder, self.embedder_name, self.settings.chunking(),
                      prune=prune, progress=progress, count_tokens=count_tokens, report=report)

    def needs_sample_corpus(self) -> bool:
        """True on a first run: the default index has no documents and the sample corpus is here."""
        if not self.settings.uses_default_index or not SAMPLE_CORPUS.is_dir():
            return False
        from youju.retrieval.index import DB_NAME

        db = self.settings.index_dir / DB_NAME
        return not db.exists() or self.index_for_reading().is_empty()

    def documents(self) -> list[DocInfo]:
        return self.index_for_reading().store.documents()

    def warm_up(self) -> None:
        """Load the model and the FAISS index now, so the first question is as fast as the rest."""
        if "load_model" not in self.timings:
            t0 = time.perf_counter()
            self.embedder.load()
            self.index().dense()
            self.timings["load_model"] = time.perf_counter() - t0

    def retrieve(self, question: str, k: int | None = None, doc_ids: list[str] | None = None) -> tuple[list[Hit], dict[str, float]]:
        from youju.retrieval.search import Retriever

        self.warm_up()
        return Retriever(self.index(), self.embedder).retrieve(question, k or self.settings.top_k, doc_ids)
