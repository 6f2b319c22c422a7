"""Files and folders -> the index. Unchanged files are skipped by size and mtime (then by
content hash), changed files replaced, and documents are committed in small groups so an
interruption loses at most the group in flight."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from youju.config import ChunkingSettings
from youju.embeddings.base import Embedder
from youju.errors import InputError, YoujuError
from youju.ingest.documents import ParsedFile, build_document, chunker_key, content_hash
from youju.ingest.files import Discovery, FoundFile, file_problem
from youju.records import DocInfo, FileResult, IngestReport
from youju.retrieval.index import Index, IndexWriter
from youju.retrieval.store import StagedDocument

ChunkProgress = Callable[[int, int], None]  # (chunks embedded, chunks found so far)
GROUP_CHUNKS = 128  # chunks embedded and committed together
MAX_FILE_BYTES = 64 * 1024 * 1024


class _Bar(Protocol):
    """The slice of tqdm's interface the pipeline uses."""

    total: int

    def update(self, n: int) -> None: ...

    def refresh(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class _Pending:
    parsed: ParsedFile
    size: int
    mtime_ns: int
    result: FileResult


def ingest(found: Discovery, index: Index, embedder: Embedder, embedder_name: str, chunking: ChunkingSettings,
           *, prune: bool = False, progress: bool | ChunkProgress = True, count_tokens: bool = False,
           report: IngestReport | None = None) -> IngestReport:
    """Index the files `discover` found. Fill `report` as it goes, so a caller interrupted by
    Ctrl-C can still say what was done. `progress`: a terminal bar (True), none (False), or a
    function called with (chunks embedded, chunks found so far), e.g. for a web page."""
    report = report if report is not None else IngestReport()
    report.results.extend(found.skipped)
    known = {d.path: d for d in index.store.documents()}
    key = chunker_key(chunking)
    todo = []
    for f in found.files:
        try:
            st = f.path.stat()
        except OSError:  # gone since discovery: _process reports it
            todo.append(f)
            continue
        prev = known.get(str(f.path))
        if prev and prev.size == st.st_size and prev.mtime_ns == st.st_mtime_ns and prev.chunker == key:
            report.results.append(FileResult(f.source, str(f.path), "unchanged", chunks=prev.chunks))
        else:
            todo.append(f)
    gone = [p for p in known if prune and not Path(p).exists()]
    if not todo and not gone:
        index.repair_manifest(chunking)  # e.g. after a crash between a commit and its manifest
        return report
    t0 = time.perf_counter()
    if todo:
        embedder.load()
        report.timings["load_model"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    before = report.timings["read_chunk"] + report.timings["embed"]
    try:
        with index.writer(embedder, embedder_name, chunking) as writer:
            if gone:
                writer.remove(gone)
                report.results.extend(FileResult(known[p].source, p, "removed") for p in gone)
            _process(todo, known, key, chunking, writer, embedder, report, progress, count_tokens)
    finally:
        spent = report.timings["read_chunk"] + report.timings["embed"] - before
        report.timings["index"] = time.perf_counter() - t0 - spent
    return report


def _process(todo: list[FoundFile], known: dict[str, DocInfo], key: str, chunking: ChunkingSettings,
             writer: IndexWriter, embedder: Embedder, report: IngestReport, progress: bool | ChunkProgress,
             count_tokens: bool) -> None:
    bar = _bar(progress)
    pending: list[_Pending] = []
    try:
        for f in todo:
            prev = known.get(str(f.path))
            t0 = time.perf_counter()
            try:
                st = f.path.stat()
                if st.st_size > MAX_FILE_BYTES:
                    raise InputError("err.file_too_large", limit=MAX_FILE_BYTES >> 20)
                data = f.path.read_bytes()
                if prev and prev.sha256 == content_hash(data) and prev.chunker == key:
                    writer.touch(str(f.path), st.st_mtime_ns)
                    report.results.append(FileResult(f.source, str(f.path), "unchanged", chunks=prev.chunks))
                    continue
                parsed = build_document(f.path, f.source, data, chunking)
            except YoujuError as exc:
                report.results.append(file_problem(f.source, f.path, exc))
                continue
            except Exception as exc:  # a broken file must not stop the run, whatever its parser raised
                report.results.append(file_problem(f.source, f.path, YoujuError(
                    "err.generic", detail=f"{type(exc).__name__}: {exc}"), "failed"))
                continue
            finally:
                report.timings["read_chunk"] += time.perf_counter() - t0
            result = FileResult(f.source, str(f.path), "replaced" if prev else "indexed", chunks=len(parsed.chunks),
                                encoding=parsed.document.meta.get("encoding"))
            pending.append(_Pending(parsed, st.st_size, st.st_mtime_ns, result))
            if bar is not None:
                bar.total += len(parsed.chunks)
                bar.refresh()
            if sum(len(p.parsed.chunks) for p in pending) >= GROUP_CHUNKS:
                _flush(pending, key, writer, embedder, report, bar, count_tokens)
        _flush(pending, key, writer, embedder, report, bar, count_tokens)
    finally:
        if bar is not None:
            bar.close()


def _flush(pending: list[_Pending], key: str, writer: IndexWriter, embedder: Embedder, report: IngestReport,
           bar: _Bar | None, count_tokens: bool) -> None:
    if not pending:
        return
    chunks = [c for p in pending for c in p.parsed.chunks]
    texts = [c.embedding_text() for c in chunks]
    spans = [[(a + c.sentence_offset(), b + c.sentence_offset()) for a, b in c.sentences] for c in chunks]
    t0 = time.perf_counter()
    embedded = embedder.embed_documents_with_spans(texts, spans, progress=bar.update if bar is not None else None)
    vectors = embedded.vectors
    report.timings["embed"] += time.perf_counter() - t0
    report.chunks_embedded += len(texts)
    if count_tokens:
        report.tokens += embedder.count_tokens(texts)
    staged, pos = [], 0
    for p in pending:
        n = len(p.parsed.chunks)
        staged.append(StagedDocument(p.parsed.document, p.parsed.chunks, np.asarray(vectors[pos:pos + n]),
                                     tuple(embedded.spans[pos:pos + n]), p.size, p.mtime_ns, key))
        pos += n
    writer.put(staged)
    report.results.extend(p.result for p in pending)
    pending.clear()


class _CallbackBar:
    """The slice of tqdm's interface the pipeline uses, reporting to a function."""

    def __init__(self, fn: ChunkProgress) -> None:
        self.fn, self.total, self.n = fn, 0, 0

    def update(self, n: int) -> None:
        self.n += n
        self.fn(self.n, self.total)

    def refresh(self) -> None:
        self.fn(self.n, self.total)

    def close(self) -> None:
        pass


def _bar(progress: bool | ChunkProgress) -> _Bar | None:
    if callable(progress):
        return _CallbackBar(progress)
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=0, unit="chunk", desc="Embedding", mininterval=0.5, leave=False, dynamic_ncols=True,
                disable=None)  # None: no bar when stderr is not a terminal (CI logs)
