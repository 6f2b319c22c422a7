"""The engine: settings, the embedding model and the index, loaded on first use and shared by
every caller of one process (CLI, chat UI, HTTP API, evaluation). No logic lives only in a
front end; nothing outside this class opens the index."""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from youju.chat.candidates import Sources
from youju.chat.composer import Composer, TextStream, drain
from youju.chat.conversation import Conversation
from youju.config import SAMPLE_CORPUS, ComposerName, RetrievalMode, Settings
from youju.embeddings.base import Embedder
from youju.engine.indexing import ingest
from youju.errors import YoujuError
from youju.i18n import t
from youju.records import Answer, DocInfo, Document, Hit, IngestReport, Retrieval
from youju.retrieval.backend import SearchIndex, open_index
from youju.retrieval.index import DB_NAME
from youju.retrieval.search import Retriever
from youju.text.script import in_script_of

Stage = Literal["model", "index", "warm_up"]
_EMPTY = Document("", "", "", "")
LLM_CACHE = 2  # local LLMs kept loaded at once (each is a whole causal model)


@dataclass(frozen=True)
class Progress:
    """One progress report: `stage` (model preparation, indexing, warm-up), `done` of `total`
    units (conversion steps, chunks), and what is happening now."""

    stage: Stage
    done: int
    total: int
    detail: str = ""


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class IndexInfo:
    """What an index holds and how it was built."""

    path: Path
    documents: int
    chunks: int
    model: str  # the embedding model's fingerprint, "" for an empty index
    manifest: dict[str, Any] | None  # manifest.json as written after the last commit

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "documents": self.documents, "chunks": self.chunks, "model": self.model,
                "manifest": self.manifest}


class AnswerStream:
    """An answer being written: iterate for its text pieces as they arrive; `answer` is the
    finished, verified Answer (reading it first runs the stream to its end)."""

    def __init__(self, stream: TextStream) -> None:
        self._stream = stream
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        if self._answer is None:
            self._answer = yield from self._stream

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            self._answer = drain(self._stream)
        return self._answer


MAX_QUESTION = 1000  # characters: a question, not a document


def check_question(text: str) -> str:
    """The question normalised (invisible characters gone, NFKC, spaces collapsed), or a
    QuestionError when there is nothing to ask: empty, only punctuation, or far too long."""
    from youju.errors import QuestionError
    from youju.text.normalise import normalise_question

    question = normalise_question(text)
    if not question:
        raise QuestionError("err.empty_question")
    if not any(ch.isalnum() for ch in question):
        raise QuestionError("err.question_no_words")
    if len(question) > MAX_QUESTION:
        raise QuestionError("err.question_too_long", length=len(question), limit=MAX_QUESTION)
    return question


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Engine:
    """Ingest, ask and manage documents; see `youju.Youju` for the public facade."""

    def __init__(self, settings: Settings | None = None, *, log: Callable[[str], None] = _stderr,
                 **changes: Any) -> None:
        self.settings = Settings.from_env(**changes) if settings is None else settings.with_(changes)
        self.log = log
        self.timings: dict[str, float] = {}
        self._embedder: Embedder | None = None
        self._index: SearchIndex | None = None
        self._checked = False  # index checked against the embedder
        self._retriever: Retriever | None = None
        self._llms: OrderedDict[str, Any] = OrderedDict()  # model path or URL -> its ChatComposer
        self._said: set[str] = set()  # notes already logged
        self._pinyin: tuple[int, dict[str, list[str]]] | None = None  # (index version, pinyin -> words)
        self._lock = threading.RLock()

    # --- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the index (its SQLite connections) and loaded models."""
        with self._lock:
            if self._index is not None:
                self._index.close()
            self._index, self._retriever, self._checked = None, None, False
            self._llms.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- model and index --------------------------------------------------------------------

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
                self._embedder = make_embedder(s.model, s.models_dir, s.device, s.batch_size, s.runtime)
                self.timings["prepare_model"] = time.perf_counter() - t0
            return self._embedder

    def _index_checked(self, create: bool = False) -> SearchIndex:
        """The index, checked against the embedding model in use."""
        with self._lock:
            index = self._reader(create)
            if not self._checked:
                index.check_embedder(self.embedder.fingerprint)
                self._checked = True
            return index

    def _reader(self, create: bool = False) -> SearchIndex:
        """The index without loading a model (for listing documents)."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings.index_location, create=create,
                                         faiss_factory=self.settings.retrieval.faiss_index)
            return self._index

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                from youju.retrieval.search import CrossEncoderReranker

                s = self.settings
                reranker = CrossEncoderReranker(s.retrieval.reranker, s.device) if s.retrieval.reranker else None
                self._retriever = Retriever(self._index_checked(), self.embedder, s.retrieval, reranker)
            return self._retriever

    def info(self) -> IndexInfo:
        """Counts and the model of the index (without loading the model)."""
        index = self._reader()
        counts = index.counts()
        embedder = index.embedder_info()
        return IndexInfo(index.path, counts["documents"], counts["chunks"], embedder.fingerprint if embedder else "",
                         index.manifest())

    # --- first run --------------------------------------------------------------------------

    def needs_sample_corpus(self) -> bool:
        """True on a first run: the default index has no documents and the sample corpus is here."""
        if not self.settings.uses_default_index or not SAMPLE_CORPUS.is_dir():
            return False
        db = self.settings.index_dir / DB_NAME
        return not db.exists() or self._reader().is_empty()

    def prepare(self, *, progress: ProgressFn | None = None, sample_corpus: bool = True) -> IngestReport | None:
        """Everything a first question would otherwise wait for: prepare (convert) the default
        model, index the sample corpus when the default index is empty (`sample_corpus`), load
        the model, the FAISS index and jieba. Returns the sample corpus's ingest report, if any."""
        report = None
        if self.settings.model == "default":
            from youju.embeddings import default_model

            default_model.prepare(self.settings.models_dir, quiet=progress is not None, on_step=(
                (lambda done, total, name: progress(Progress("model", done, total, name))) if progress else None))
        if sample_corpus and self.needs_sample_corpus():
            report = self.ingest([SAMPLE_CORPUS], progress=(
                (lambda done, total: progress(Progress("index", done, total))) if progress else True))
        if progress:
            progress(Progress("warm_up", 0, 1))
        self.warm_up()
        if progress:
            progress(Progress("warm_up", 1, 1))
        return report

    def warm_up(self) -> None:
        """Load the model, the FAISS index and jieba now, so the first question is as fast as the rest."""
        if "load_model" in self.timings:
            return
        t0 = time.perf_counter()
        self.embedder.load()
        from youju.chat.questions import analyse

        analyse("南京都市圈的面积有多大?")  # loads jieba and its tagger
        try:
            self.retrieve("预热", k=1)  # opens the index and loads its dense side
        except YoujuError:
            pass  # no index yet: nothing more to warm
        self.timings["load_model"] = time.perf_counter() - t0

    # --- documents --------------------------------------------------------------------------

    def ingest(self, paths: list[Path] | list[str], *, prune: bool = False,
               progress: bool | Callable[[int, int], None] = True, count_tokens: bool = False,
               report: IngestReport | None = None) -> IngestReport:
        """Index files and folders (.txt .md .html .pdf .docx). `progress`: a terminal bar
        (True), none (False) or a function of (chunks embedded, chunks found so far). Pass a
        `report` to keep what was done when the run is interrupted."""
        from youju.ingest.files import discover

        found = discover([Path(p) for p in paths])  # a path that does not exist fails before anything is created
        report = report if report is not None else IngestReport()
        index = self._index_checked(create=True)
        report.timings["prepare_model"] = self.timings.get("prepare_model", 0.0)
        return ingest(found, index, self.embedder, self.embedder_name, self.settings.chunking,
                      prune=prune, progress=progress, count_tokens=count_tokens, report=report,
                      lang=self.settings.lang)

    def documents(self) -> list[DocInfo]:
        return self._reader().documents()

    def document(self, doc_id: str) -> Document | None:
        """The stored Document (cleaned text, title, metadata), or None."""
        return self._reader().document(doc_id)

    def remove(self, doc_ids: list[str]) -> list[str]:
        """Remove documents from the index; returns the display names removed."""
        index = self._index_checked()
        wanted = set(doc_ids)
        docs = [d for d in index.documents() if d.id in wanted]
        if docs:
            with index.writer(self.embedder, self.embedder_name, self.settings.chunking) as writer:
                writer.remove([d.path for d in docs])
        return [d.source for d in docs]

    # --- questions --------------------------------------------------------------------------

    def retrieve(self, question: str, *, k: int | None = None, documents: list[str] | None = None,
                 retrieval: RetrievalMode | None = None) -> Retrieval:
        """The top-k passages for a question (no answer), with per-stage timings. An English
        question is searched by its Chinese keywords (`english_keywords`)."""
        found = self.retriever.retrieve(self.search_text(check_question(question)), k or self.settings.retrieval.top_k,
                                        documents, retrieval)
        self._say_repairs()
        return found

    def _say_repairs(self) -> None:
        """Log what the index repaired by itself (a FAISS file rebuilt from the stored vectors)."""
        if self._index is not None and self._index.notices:
            for msg in self._index.notices:
                self.log(t(msg.key, self.settings.lang, **msg.values))
            self._index.notices.clear()

    def search_text(self, question: str) -> str:
        """What a question is searched with: itself, or for an English one its Chinese keywords."""
        return self.english_keywords(question) or question

    def ask(self, question: str, *, conversation: Conversation | None = None, k: int | None = None,
            documents: list[str] | None = None, composer: ComposerName | None = None, llm: str | None = None,
            retrieval: RetrievalMode | None = None, hits: list[Hit] | None = None,
            lang: str | None = None) -> Answer:
        """Answer a question with cited sentences, or say the documents do not answer it."""
        return self.stream(question, conversation=conversation, k=k, documents=documents, composer=composer,
                           llm=llm, retrieval=retrieval, hits=hits, lang=lang).answer

    def stream(self, question: str, *, conversation: Conversation | None = None, k: int | None = None,
               documents: list[str] | None = None, composer: ComposerName | None = None, llm: str | None = None,
               retrieval: RetrievalMode | None = None, hits: list[Hit] | None = None,
               lang: str | None = None) -> AnswerStream:
        """Like `ask`, streamed: iterate the result for text pieces, then read `.answer`.
        A follow-up is rewritten against `conversation` (which then records the turn);
        `documents` restricts the search to those document ids; `composer` and `llm` (a local
        model folder or an OpenAI-compatible server's base URL) choose who writes the answer for
        this question only; given `hits`,
        retrieval is skipped."""
        return AnswerStream(self._answer(question, conversation, k, documents, composer, llm, retrieval, hits,
                                         lang or self.settings.lang))

    def _answer(self, question: str, conversation: Conversation | None, k: int | None, documents: list[str] | None,
                composer: ComposerName | None, llm: str | None, mode: RetrievalMode | None, hits: list[Hit] | None,
                lang: str) -> TextStream:
        self.warm_up()  # model loading is start-up, not part of this answer's timings
        t0 = time.perf_counter()
        question = check_question(question)
        standalone = conversation.rewrite(question) if conversation is not None else question
        search = self.search_text(standalone)  # an English question is searched in Chinese
        standalone = f"{standalone} ({search})" if search != standalone else standalone
        rewrite_ms = (time.perf_counter() - t0) * 1000
        timings: dict[str, float] = {}
        if hits is None:
            found = self.retriever.retrieve(search, k or self.settings.retrieval.top_k, documents, mode)
            hits, timings = list(found.hits), dict(found.timings)
            self._say_repairs()
        standalone = in_script_of(standalone, [h.chunk.text for h in hits[:5]])  # 臨江市 asked of 临江市's documents
        comp, note = self.composer(composer, llm, lang)
        history = conversation.history() if conversation is not None else None
        sources = replace(self.sources(search, hits), filtered=documents is not None)
        answer = yield from comp.stream(standalone, hits, history, sources)
        timings = {"rewrite": rewrite_ms, **timings, **answer.timings, "total": (time.perf_counter() - t0) * 1000}
        answer = replace(answer, question=question, standalone_question=standalone, timings=timings,
                         notes=answer.notes + ((note,) if note else ()))
        if conversation is not None:
            conversation.add(question, standalone, answer)
        return answer

    def sources(self, question: str, hits: list[Hit]) -> Sources:
        """What answering needs besides the hits, without a model call beyond the question's
        own (cached) embedding: its vector, the passages' sentence vectors stored at ingest, and
        a reader of whole documents."""
        index = self._index_checked()
        return Sources(self.embedder.embed_query(question), index.sentence_vectors([h.chunk.id for h in hits]),
                       lambda doc_id: (index.document(doc_id) or _EMPTY).text)

    def english_keywords(self, question: str) -> str:
        """For an English question, Chinese keywords to search Chinese documents with (names by
        their pinyin among the index's words, policy terms from a glossary); "" otherwise."""
        from youju.chat.crosslingual import chinese_keywords, pinyin_index
        from youju.chat.questions import is_english

        if not is_english(question):
            return ""
        index = self._index_checked()
        with self._lock:
            version = index.version()
            if self._pinyin is None or self._pinyin[0] != version:
                self._pinyin = (version, pinyin_index(index.vocabulary()))
            pinyin = self._pinyin[1]
        return " ".join(chinese_keywords(question, pinyin))

    def conversation(self) -> Conversation:
        """A new conversation for follow-up questions (keeps the last `answer.history_turns`)."""
        return Conversation(self.settings.answer.history_turns)

    def composer(self, name: ComposerName | None = None, llm: str | None = None,
                 lang: str | None = None) -> tuple[Composer, str | None]:
        """The composer for one question, and a note when the asked-for one cannot be used
        (logged once). Local LLMs are loaded once and kept (the last LLM_CACHE of them)."""
        from youju.chat.extractive import ExtractiveComposer

        s = self.settings
        lang = lang or s.lang
        model = llm or s.llm.model
        note = None
        if (name or s.answer.composer) == "llm":
            if not model:
                note = t("llm_missing", lang)
            else:
                loaded = self._llm(model)
                if not isinstance(loaded, str):
                    return loaded.for_lang(lang), None
                note = t("llm_failed", lang, error=loaded)
        if note and note not in self._said:
            self._said.add(note)
            self.log(note)
        return ExtractiveComposer(self.embedder, lang, s.answer), note

    def _llm(self, model: str) -> Any:
        """The chat composer for `model` (a local model folder, loaded; or a server URL), or the
        error text when a local model cannot load. A server is only asked when a question comes."""
        from youju.chat.llm import TransformersComposer
        from youju.chat.llm_server import ServerComposer, is_server_url

        s = self.settings
        key = f"{model} {s.llm.server_model}" if is_server_url(model) else model
        with self._lock:
            if key in self._llms:
                self._llms.move_to_end(key)
                return self._llms[key]
            settings = replace(s.llm, model=model)
            loaded: Any
            if is_server_url(model):
                loaded = ServerComposer(settings, self.embedder, s.lang, s.answer)
            else:
                llm = TransformersComposer(settings, self.embedder, s.lang, s.answer, s.device)
                try:
                    llm.load()
                    loaded = llm
                except YoujuError as exc:
                    loaded = exc.text(s.lang)
            self._llms[key] = loaded
            while len(self._llms) > LLM_CACHE:
                self._llms.popitem(last=False)
            return loaded
