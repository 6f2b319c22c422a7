"""One Engine per process: the settings, the embedding model and the index, loaded on first
use and shared. The CLI and the chat UI both call these methods; no logic lives only in a UI."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from youju.config import SAMPLE_CORPUS, Settings
from youju.embeddings.base import Embedder
from youju.errors import YoujuError
from youju.ingest.pipeline import IngestReport, ProgressFn, ingest
from youju.records import Answer, Document, Hit
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
        self._retriever = None
        self._llm = None  # TransformersComposer once loaded, False if it cannot be
        self._llm_error = ""
        self._said: set[str] = set()  # notes already logged
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

    def ingest(self, paths: list[Path], *, prune: bool = False, progress: bool | ProgressFn = True,
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

    def document(self, doc_id: str) -> Document | None:
        """The stored Document (cleaned text, title, metadata), or None."""
        return self.index_for_reading().store.document(doc_id)

    def remove(self, doc_ids: list[str]) -> list[str]:
        """Remove documents from the index; returns the display names removed."""
        index = self.index()
        docs = [d for d in index.store.documents() if d.id in set(doc_ids)]
        if docs:
            with index.writer(self.embedder, self.embedder_name, self.settings.chunking()) as writer:
                writer.remove([d.path for d in docs])
        return [d.source for d in docs]

    def warm_up(self) -> None:
        """Load the model and the FAISS index now, so the first question is as fast as the rest."""
        if "load_model" not in self.timings:
            t0 = time.perf_counter()
            self.embedder.load()
            self.index().dense()
            self.timings["load_model"] = time.perf_counter() - t0

    @property
    def retriever(self):
        with self._lock:
            if self._retriever is None:
                from youju.retrieval.search import CrossEncoderReranker, RetrievalSettings, Retriever

                s = self.settings
                settings = RetrievalSettings(s.retrieval, s.candidates, s.rrf_k, s.dense_weight, s.keyword_weight,
                                             s.bigram_weight)
                reranker = CrossEncoderReranker(s.reranker, s.device) if s.reranker else None
                self._retriever = Retriever(self.index(), self.embedder, settings, reranker)
            return self._retriever

    # --- answers -------------------------------------------------------------------------------

    def set_llm(self, model: str) -> None:
        """Use another local LLM from now on (loaded on the next llm answer)."""
        with self._lock:
            if model != self.settings.llm:
                self.settings = replace(self.settings, llm=model)
                self._llm, self._llm_error = None, ""

    def composer(self, name: str | None = None, lang: str | None = None):
        """The composer to use and a note when the asked-for one is not available (said once)."""
        from youju.chat.evidence import Thresholds
        from youju.chat.extractive import ExtractiveComposer
        from youju.i18n import t

        s = self.settings
        name = name or s.composer
        lang = lang or s.lang
        thresholds = Thresholds(s.abstain_min_score, s.abstain_min_dense)
        note = None
        if name == "llm":
            if not s.llm:
                note = t("llm_missing", lang)
            else:
                with self._lock:
                    if self._llm is None:
                        from youju.chat.llm import TransformersComposer

                        llm = TransformersComposer(s.llm, self.embedder, s.lang, s.llm_max_new_tokens, s.llm_max_time,
                                                   thresholds, s.device)
                        try:
                            llm.load()
                            self._llm = llm
                        except YoujuError as exc:
                            self._llm = False
                            self._llm_error = exc.text(s.lang)
                    if self._llm:
                        return self._llm.for_lang(lang), None
                    note = t("llm_failed", lang, error=self._llm_error)
        if note and note not in self._said:
            self._said.add(note)
            self.log(note)
        return ExtractiveComposer(self.embedder, lang, thresholds), note

    def ask(self, question: str, conversation=None, k: int | None = None, doc_ids: list[str] | None = None,
            composer: str | None = None, mode: str | None = None, hits: list[Hit] | None = None,
            lang: str | None = None) -> Answer:
        answer = None
        for item in self.ask_stream(question, conversation, k, doc_ids, composer, mode, hits, lang):
            if isinstance(item, Answer):
                answer = item
        return answer

    def ask_stream(self, question: str, conversation=None, k: int | None = None, doc_ids: list[str] | None = None,
                   composer: str | None = None, mode: str | None = None,
                   hits: list[Hit] | None = None, lang: str | None = None) -> Iterator[str | Answer]:
        """Answer a question: rewrite a follow-up against the conversation, retrieve (`mode`
        overrides the retriever; given `hits` skip it), compose, verify. Yields text pieces as
        they are ready, then the Answer."""
        self.warm_up()  # model loading is start-up, not part of this answer's timings
        t0 = time.perf_counter()
        question = question.strip()
        standalone = conversation.rewrite(question) if conversation is not None else question
        rewrite_ms = (time.perf_counter() - t0) * 1000
        if hits is None:
            hits, timings = self.retrieve(standalone, k, doc_ids, mode)
        else:
            timings = {}
        comp, note = self.composer(composer, lang)
        history = conversation.history() if conversation is not None else None
        answer = None
        for item in comp.stream(standalone, hits, history):
            if isinstance(item, Answer):
                answer = item
            else:
                yield item
        timings = {"rewrite": rewrite_ms, **timings, **answer.timings, "total": (time.perf_counter() - t0) * 1000}
        answer = replace(answer, question=question, standalone_question=standalone, timings=timings,
                         notes=answer.notes + ((note,) if note else ()))
        if conversation is not None:
            conversation.add(question, standalone, answer)
        yield answer

    def retrieve(self, question: str, k: int | None = None, doc_ids: list[str] | None = None,
                 mode: str | None = None) -> tuple[list[Hit], dict[str, float]]:
        self.warm_up()
        return self.retriever.retrieve(question, k or self.settings.top_k, doc_ids, mode)
