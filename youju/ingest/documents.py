"""One file -> one Document and its Chunks: load, clean, find structure, chunk."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from youju.config import ChunkingSettings
from youju.errors import InputError
from youju.ingest.chunking import make_chunks
from youju.ingest.cleaning import CLEANER_VERSION, clean
from youju.ingest.loaders import load_file
from youju.ingest.structure import document_title, find_headings
from youju.records import Chunk, Document


@dataclass(frozen=True)
class ParsedFile:
    """A file read, cleaned and chunked, ready to embed (chunks are made as they are read)."""

    document: Document
    chunks: Sequence[Chunk]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_id(path_key: str, sha256: str) -> str:
    return hashlib.sha1(f"{path_key}\0{sha256}".encode()).hexdigest()[:16]


SENTENCES_VERSION = 2  # bump when chunks' sentence spans (and so their stored vectors) change; 2: quotations


def chunker_key(chunking: ChunkingSettings) -> str:
    """Changes whenever the same bytes would produce different chunks or sentence spans."""
    parts = [f"cleaner={CLEANER_VERSION}", f"sentences={SENTENCES_VERSION}"] + [
        f"{k}={v}" for k, v in sorted(chunking.as_key().items())]
    return ",".join(parts)


def build_document(path: Path, source: str, data: bytes, chunking: ChunkingSettings) -> ParsedFile:
    loaded = load_file(path, data)
    cleaned = clean(loaded.text, loaded.kind)
    if not cleaned.text.strip():
        raise InputError("err.no_text")
    headings = find_headings(cleaned.text)
    sha = content_hash(data)
    doc_id = document_id(str(path), sha)
    meta = {**loaded.meta, **cleaned.meta, "kind": loaded.kind, "size": len(data)}
    if loaded.encoding:
        meta["encoding"] = loaded.encoding
    if cleaned.page_starts:
        meta["page_starts"] = [list(p) for p in cleaned.page_starts]
    title = document_title(cleaned.text, headings, fallback=path.stem)
    doc = Document(doc_id, source, title, cleaned.text, str(path), sha, meta)
    chunks = make_chunks(doc_id, cleaned.text, headings, size=chunking.size, max_size=chunking.max_size,
                         overlap=chunking.overlap, page_starts=cleaned.page_starts)
    return ParsedFile(doc, chunks)
