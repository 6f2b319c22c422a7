"""The immutable records passed between stages. Offsets are character offsets into the
stored document text, so every chunk and citation can be checked against its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    id: str
    source: str  # path relative to the folder it was ingested from (file name for one file)
    title: str
    text: str  # the cleaned text that chunks and citations point into
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    text: str  # == document.text[start:end]
    start: int
    end: int
    heading_path: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def embedding_text(self) -> str:
        """What gets embedded (and keyword-indexed): the heading path gives the passage its context."""
        return with_headings(self.heading_path, self.text)


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


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer as the verifier judged it."""

    text: str  # without its [n] markers
    citations: tuple[int, ...] = ()
    supported: bool | None = None  # None: states no fact (nothing to support)
    reason: str = ""  # why it is not supported


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
