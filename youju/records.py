"""The immutable records passed between stages, each with the one `to_dict`/`from_dict` pair
that every JSON output (CLI, evaluation results, feedback, the UI, the HTTP API) uses.
Offsets are character offsets into the stored document text, so every chunk and citation can
be checked against its source."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

FileStatus = Literal["indexed", "replaced", "unchanged", "skipped", "failed", "removed"]


@dataclass(frozen=True)
class Document:
    id: str
    source: str  # path relative to the folder it was ingested from (file name for one file)
    title: str
    text: str  # the cleaned text that chunks and citations point into
    path: str = ""  # the absolute path of the file it was read from
    sha256: str = ""  # of the file's bytes
    meta: dict[str, Any] = field(default_factory=dict, compare=False)  # encoding, published, pages, ...

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "doc": self.source, "title": self.title, "text": self.text, "path": self.path,
                "sha256": self.sha256, "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        return cls(d["id"], d["doc"], d["title"], d["text"], d.get("path", ""), d.get("sha256", ""),
                   dict(d.get("meta", {})))


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    text: str  # == document.text[start:end]
    start: int
    end: int
    heading_path: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    sentences: tuple[tuple[int, int], ...] = field(default=(), compare=False)  # (start, end) within text

    def embedding_text(self) -> str:
        """What gets embedded (and keyword-indexed): the heading path gives the passage its context."""
        return with_headings(self.heading_path, self.text)

    def sentence_offset(self) -> int:
        """Where `text` starts inside `embedding_text()` (sentence spans shift by this much there)."""
        return len(self.embedding_text()) - len(self.text)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "doc_id": self.doc_id, "text": self.text, "start": self.start, "end": self.end,
                "heading_path": list(self.heading_path), "meta": self.meta,
                "sentences": [list(s) for s in self.sentences]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(d["id"], d["doc_id"], d["text"], d["start"], d["end"], tuple(d.get("heading_path", ())),
                   dict(d.get("meta", {})), tuple((a, b) for a, b in d.get("sentences", ())))


def with_headings(heading_path: tuple[str, ...] | list[str], text: str) -> str:
    return " > ".join(heading_path) + "\n" + text if heading_path else text


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int  # 1-based
    scores_by_retriever: dict[str, float] = field(default_factory=dict, compare=False)
    source: str = ""  # the document's display path
    title: str = ""  # the document's title

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {"rank": self.rank, "doc": self.source, "title": self.title, "heading_path": list(c.heading_path),
                "start": c.start, "end": c.end, "text": c.text, "score": round(self.score, 6), "chunk_id": c.id,
                "doc_id": c.doc_id, "scores_by_retriever": {k: round(v, 6) for k, v in self.scores_by_retriever.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Hit:
        chunk = Chunk(d.get("chunk_id", ""), d["doc_id"], d["text"], d["start"], d["end"], tuple(d.get("heading_path", ())))
        return cls(chunk, d["score"], d["rank"], dict(d.get("scores_by_retriever", {})), d.get("doc", ""),
                   d.get("title", ""))


@dataclass(frozen=True)
class Retrieval:
    """What retrieval returns: the hits, best first, and per-stage timings in milliseconds."""

    hits: tuple[Hit, ...]
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"hits": [h.to_dict() for h in self.hits], "timings_ms": {k: round(v, 2) for k, v in self.timings.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Retrieval:
        return cls(tuple(Hit.from_dict(h) for h in d["hits"]), dict(d.get("timings_ms", {})))


@dataclass(frozen=True)
class Citation:
    n: int  # the number shown as [n] in the answer
    chunk_id: str
    doc_id: str
    start: int  # offsets of the supporting sentence(s) in the document text
    end: int
    quote: str  # == document.text[start:end]
    source: str = ""  # the document's display path
    title: str = ""
    heading_path: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "doc": self.source, "start": self.start, "end": self.end, "quote": self.quote,
                "title": self.title, "heading_path": list(self.heading_path), "chunk_id": self.chunk_id,
                "doc_id": self.doc_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Citation:
        return cls(d["n"], d.get("chunk_id", ""), d.get("doc_id", ""), d["start"], d["end"], d["quote"],
                   d.get("doc", ""), d.get("title", ""), tuple(d.get("heading_path", ())))


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer as the verifier judged it."""

    text: str  # without its [n] markers
    citations: tuple[int, ...] = ()
    supported: bool | None = None  # None: states no fact (nothing to support)
    reason: str = ""  # why it is not supported

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations), "supported": self.supported,
                "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AnswerSentence:
        return cls(d["text"], tuple(d.get("citations", ())), d.get("supported"), d.get("reason", ""))


@dataclass(frozen=True)
class Answer:
    question: str
    text: str  # with [n] markers
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    abstained: bool = False
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    sentences: tuple[AnswerSentence, ...] = ()
    standalone_question: str = ""  # the question after follow-up rewriting (what was retrieved)
    composer: str = "extractive"
    notes: tuple[str, ...] = ()  # e.g. "no local LLM configured: extractive answer"

    def to_dict(self) -> dict[str, Any]:
        """The `youju ask --json` shape (documented in the README; fields are added, never removed)."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
            "sentences": [s.to_dict() for s in self.sentences],
            "standalone_question": self.standalone_question,
            "composer": self.composer,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Answer:
        return cls(d["question"], d["answer"], tuple(Citation.from_dict(c) for c in d.get("citations", ())),
                   tuple(Hit.from_dict(h) for h in d.get("hits", ())), bool(d.get("abstained", False)),
                   dict(d.get("timings_ms", {})), tuple(AnswerSentence.from_dict(s) for s in d.get("sentences", ())),
                   d.get("standalone_question", ""), d.get("composer", "extractive"), tuple(d.get("notes", ())))


@dataclass(frozen=True)
class DocInfo:
    """A document row without its text: what `youju list` shows and re-ingest compares."""

    id: str
    path: str
    source: str
    title: str
    size: int
    mtime_ns: int
    sha256: str
    chunker: str
    chunks: int
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "doc": self.source, "title": self.title, "chunks": self.chunks, "size": self.size,
                "path": self.path, "encoding": self.meta.get("encoding"), "kind": self.meta.get("kind"),
                "sha256": self.sha256, "mtime_ns": self.mtime_ns, "chunker": self.chunker, "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DocInfo:
        return cls(d["id"], d["path"], d["doc"], d["title"], d["size"], d.get("mtime_ns", 0), d.get("sha256", ""),
                   d.get("chunker", ""), d["chunks"], dict(d.get("meta", {})))


@dataclass
class FileResult:
    """What happened to one file in an ingest run."""

    source: str
    path: str
    status: FileStatus
    reason: str = ""  # why it was skipped or failed (English)
    reason_zh: str = ""  # the same in Chinese
    chunks: int = 0
    encoding: str | None = None

    def reason_in(self, lang: str) -> str:
        return self.reason_zh if lang == "zh" and self.reason_zh else self.reason

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "path": self.path, "status": self.status, "reason": self.reason,
                "reason_zh": self.reason_zh, "chunks": self.chunks, "encoding": self.encoding}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileResult:
        return cls(d["source"], d["path"], d["status"], d.get("reason", ""), d.get("reason_zh", ""),
                   d.get("chunks", 0), d.get("encoding"))


def _zero_timings() -> dict[str, float]:
    return {"prepare_model": 0.0, "load_model": 0.0, "read_chunk": 0.0, "embed": 0.0, "index": 0.0}


@dataclass
class IngestReport:
    """Filled in as an ingest goes, so a caller interrupted by Ctrl-C can still say what was done.
    Timings in seconds: preparing and loading the model, reading+cleaning+chunking, embedding,
    the rest (SQLite, FAISS, manifest)."""

    results: list[FileResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=_zero_timings)
    tokens: int = 0
    chunks_embedded: int = 0

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"files": [r.to_dict() for r in self.results], "counts": dict(self.counts()),
                "chunks_embedded": self.chunks_embedded, "tokens": self.tokens, "timings_s": dict(self.timings)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IngestReport:
        return cls([FileResult.from_dict(r) for r in d.get("files", ())], {**_zero_timings(), **d.get("timings_s", {})},
                   d.get("tokens", 0), d.get("chunks_embedded", 0))
