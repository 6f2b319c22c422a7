"""One file -> one Document and its Chunks: load, clean, find structure, chunk."""

from __future__ import annotations

import hashlib
from pathlib import Path

from youju.errors import InputError
from youju.ingest.chunking import make_chunks
from youju.ingest.cleaning import CLEANER_VERSION, clean
from youju.ingest.loaders import load_file
from youju.ingest.structure import document_title, find_headings
from youju.records import Chunk, Document


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_id(path_key: str, sha256: str) -> str:
    return hashlib.sha1(f"{path_key}\0{sha256}".encode()).hexdigest()[:16]


def chunker_key(chunking: dict[str, int]) -> str:
    """Changes whenever the same bytes would produce different chunks."""
    parts = [f"cleaner={CLEANER_VERSION}"] + [f"{k}={v}" for k, v in sorted(chunking.items())]
    return ",".join(parts)


def build_document(path: Path, source: str, data: bytes, chunking: dict[str, int]) -> tuple[Document, list[Chunk]]:
    loaded = load_file(path, data)
    cleaned = clean(loaded.text, loaded.kind)
    if not cleaned.text.strip():
        raise InputError("no text left after removing page furniture")
    headings = find_headings(cleaned.text)
    sha = content_hash(data)
    doc_id = document_id(str(path), sha)
    meta = {**loaded.meta, **cleaned.meta, "kind": loaded.kind, "path": str(path),
            "sha256": sha, "size": len(data)}
    if loaded.encoding:
        meta["encoding"] = loaded.encoding
    if cleaned.page_starts:
        meta["page_starts"] = [list(p) for p in cleaned.page_starts]
    title = document_title(cleaned.text, headings, fallback=path.stem)
    doc = Document(doc_id, source, title, cleaned.text, meta)
    chunks = make_chunks(doc_id, cleaned.text, headings, size=chunking["chunk_size"],
                         max_size=chunking["chunk_max"], overlap=chunking["chunk_overlap"],
                         page_starts=cleaned.page_starts)
    return doc, chunks
