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
        """What gets embedded: the heading path gives the passage its context."""
        if not self.heading_path:
            return self.text
        return " > ".join(self.heading_path) + "\n" + self.text


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
    n: int
    chunk_id: str
    doc_id: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    abstained: bool = False
    timings: dict[str, float] = field(default_factory=dict, compare=False)
