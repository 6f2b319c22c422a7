"""Any sentence-transformers model, by folder path or hub id, with the model's own query and
document prompts. The model loads on first use and is reused."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from youju.embeddings.base import Progress, SpanVectors, l2_normalise
from youju.embeddings.encoder import folder_fingerprint
from youju.modelload import load_model

# Prompts for well-known families whose saved config does not carry them.
KNOWN_PROMPTS = [
    (re.compile(r"(^|[/_-])(multilingual-)?e5", re.I), {"query": "query: ", "document": "passage: "}),
    (re.compile(r"bge.*zh", re.I), {"query": "为这个句子生成表示以用于检索相关文章：", "document": ""}),
    (re.compile(r"bge", re.I), {"query": "Represent this sentence for searching relevant passages: ", "document": ""}),
]

QUERY_CACHE = 64  # query vectors kept (384 floats each)


class SentenceTransformerEmbedder:
    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32, name: str | None = None) -> None:
        self.model_id = model
        self.name = name or model
        self.device = device
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        # Retrieval and sentence selection embed the same question within one answer: keep the
        # last few query vectors so it is computed once.
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    @property
    def is_local(self) -> bool:
        return Path(self.model_id).expanduser().is_dir()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def load(self) -> None:
        self.model  # noqa: B018 - the property loads and caches

    def _load(self):
        def load(target: str, local: bool):
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(target, device=self.device, local_files_only=local)

        model = load_model("embedding", self.model_id, load)
        for pattern, prompts in KNOWN_PROMPTS:
            if pattern.search(self.name) and not model.prompts.get("query"):
                model.prompts = {**model.prompts, **prompts}
                break
        return model

    @property
    def prompts(self) -> dict[str, str]:
        return {k: self.model.prompts.get(k, "") for k in ("query", "document")}

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def fingerprint(self) -> str:
        """Model identity without loading it: the folder's config files and weight files
        (size plus head and tail bytes), or the hub id."""
        if self._fingerprint is None:
            if self.is_local:
                self._fingerprint = folder_fingerprint(Path(self.model_id).expanduser(), self.name)
            else:
                self._fingerprint = f"st:{Path(self.name).name}:{hashlib.sha256(self.model_id.encode()).hexdigest()[:16]}"
        return self._fingerprint

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        step = self.batch_size * 4  # sentence-transformers sorts by length within each call
        for i in range(0, len(texts), step):
            part = texts[i:i + step]
            parts.append(self.model.encode_document(part, batch_size=self.batch_size, convert_to_numpy=True,
                                                    normalize_embeddings=True, show_progress_bar=False))
            if progress:
                progress(len(part))
        return l2_normalise(np.concatenate(parts))

    def embed_documents_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]],
                                   progress: Progress | None = None) -> SpanVectors:
        """Any sentence-transformers model: the spans are embedded as texts of their own."""
        flat = [t[a:b] for t, s in zip(texts, spans) for a, b in s]
        pieces = self.embed_documents(flat) if flat else np.zeros((0, self.dimension), dtype=np.float32)
        out, pos = [], 0
        for s in spans:
            out.append(pieces[pos:pos + len(s)])
            pos += len(s)
        return SpanVectors(self.embed_documents(texts, progress), out)

    def embed_query(self, text: str) -> np.ndarray:
        with self._queries_lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return self._queries[text].copy()
        vec = l2_normalise(self.model.encode_query([text], convert_to_numpy=True, normalize_embeddings=True,
                                                   show_progress_bar=False)[0])
        with self._queries_lock:
            self._queries[text] = vec
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vec.copy()

    def count_tokens(self, texts: list[str]) -> int:
        prompt = self.prompts["document"]
        tok = self.model.tokenizer
        limit = self.model.max_seq_length
        return sum(min(len(ids), limit) for ids in tok([prompt + t for t in texts])["input_ids"])
