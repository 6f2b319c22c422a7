"""Files and folders -> the index. Unchanged files are skipped by size and mtime (then by
content hash), changed files replaced, and documents are committed in small groups so an
interruption loses at most the group in flight."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from youju.config import ChunkingSettings
from youju.embeddings.base import Embedder, SpanVectors
from youju.errors import InputError, YoujuError
from youju.i18n import t
from youju.ingest.documents import ParsedFile, build_document, chunker_key, content_hash
from youju.ingest.files import Discovery, FoundFile, file_problem
from youju.records import Chunk, DocInfo, FileResult, IngestReport
from youju.retrieval.backend import SearchIndex
from youju.retrieval.backend import Writing as IndexWriter
from youju.retrieval.store import StagedDocument

ChunkProgress = Callable[[int, int], None]  # (chunks embedded, chunks found so far)
GROUP_CHUNKS = 512  # chunks embedded and committed together (a larger document: written in slices this size);
# sorting 512 texts by length before batching pads 5% of tokens, 128 padded 15% (a one-off count on a 1 MB
# synthetic corpus); the ingest speed-up is measured by bench/ingest_peer.py
LINE_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal
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


def ingest(found: Discovery, index: SearchIndex, embedder: Embedder, embedder_name: str, chunking: ChunkingSettings,
           *, prune: bool = False, progress: bool | ChunkProgress = True, count_tokens: bool = False,
           report: IngestReport | None = None, lang: str = "zh") -> IngestReport:
    """Index the files `discover` found. Fill `report` as it goes, so a caller interrupted by
    Ctrl-C can still say what was done. `progress`: a terminal bar (True), none (False), or a
    function called with (chunks embedded, chunks found so far), e.g. for a web page."""
    report = report if report is not None else IngestReport()
    report.results.extend(found.skipped)
    known = {d.path: d for d in index.documents()}
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
        index.repair(chunking)  # e.g. after a crash between a commit and its manifest or posting lists
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
            _process(todo, known, key, chunking, writer, embedder, report, progress, count_tokens, lang)
    finally:
        spent = report.timings["read_chunk"] + report.timings["embed"] - before
        report.timings["index"] = time.perf_counter() - t0 - spent
    return report


def _process(todo: list[FoundFile], known: dict[str, DocInfo], key: str, chunking: ChunkingSettings,
             writer: IndexWriter, embedder: Embedder, report: IngestReport, progress: bool | ChunkProgress,
             count_tokens: bool, lang: str) -> None:
    bar = _bar(progress, lang)
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
                del data  # the file's bytes: up to 64 MB no longer needed while it is embedded
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
            item = _Pending(parsed, st.st_size, st.st_mtime_ns, result)
            if bar is not None:
                bar.total += len(parsed.chunks)
                bar.refresh()
            if len(parsed.chunks) > GROUP_CHUNKS:  # a large document: embedded and written slice by slice
                _flush(pending, key, writer, embedder, report, bar, count_tokens)
                _put_large(item, key, writer, embedder, report, bar, count_tokens)
                continue
            pending.append(item)
            if sum(len(p.parsed.chunks) for p in pending) >= GROUP_CHUNKS:
                _flush(pending, key, writer, embedder, report, bar, count_tokens)
        _flush(pending, key, writer, embedder, report, bar, count_tokens)
    finally:
        if bar is not None:
            bar.close()


def _embed(chunks: list[Chunk], embedder: Embedder, report: IngestReport, bar: _Bar | None,
           count_tokens: bool) -> SpanVectors:
    texts = [c.embedding_text() for c in chunks]
    spans = [[(a + c.sentence_offset(), b + c.sentence_offset()) for a, b in c.sentences] for c in chunks]
    t0 = time.perf_counter()
    embedded = embedder.embed_documents_with_spans(texts, spans, progress=bar.update if bar is not None else None)
    report.timings["embed"] += time.perf_counter() - t0
    report.chunks_embedded += len(texts)
    if count_tokens:
        report.tokens += embedder.count_tokens(texts)
    return embedded


def _put_large(item: _Pending, key: str, writer: IndexWriter, embedder: Embedder, report: IngestReport,
               bar: _Bar | None, count_tokens: bool) -> None:
    """One document in one transaction, embedded GROUP_CHUNKS chunks at a time, so memory holds
    one slice's vectors rather than the whole document's (a 60 MB file has ~50,000 chunks)."""
    chunks = item.parsed.chunks

    def slices() -> Iterator[tuple[tuple[Chunk, ...], np.ndarray, tuple[np.ndarray, ...]]]:
        for i in range(0, len(chunks), GROUP_CHUNKS):
            part = chunks[i:i + GROUP_CHUNKS]  # Chunk records are made here, one slice at a time
            embedded = _embed(list(part), embedder, report, bar, count_tokens)
            yield tuple(part), np.asarray(embedded.vectors), tuple(embedded.spans)

    writer.put_streamed(item.parsed.document, item.size, item.mtime_ns, key, slices())
    report.results.append(item.result)


def _flush(pending: list[_Pending], key: str, writer: IndexWriter, embedder: Embedder, report: IngestReport,
           bar: _Bar | None, count_tokens: bool) -> None:
    if not pending:
        return
    chunks = [tuple(p.parsed.chunks) for p in pending]  # made once: they are built from offsets when read
    embedded = _embed([c for cs in chunks for c in cs], embedder, report, bar, count_tokens)
    vectors = embedded.vectors
    staged, pos = [], 0
    for p, cs in zip(pending, chunks):
        n = len(cs)
        staged.append(StagedDocument(p.parsed.document, cs, np.asarray(vectors[pos:pos + n]),
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


def _bar(progress: bool | ChunkProgress, lang: str = "zh") -> _Bar | None:
    if callable(progress):
        return _CallbackBar(progress)
    if not progress:
        return None
    from tqdm import tqdm

    if not sys.stderr.isatty():  # a log, not a terminal: a line now and then instead of a bar
        return _LineBar(lang)
    return tqdm(total=0, unit="chunk", desc="Embedding", mininterval=0.5, leave=False, dynamic_ncols=True)


class _LineBar(_CallbackBar):
    """Progress as plain lines on stderr, at most one per LINE_EVERY seconds (for logs and
    services, where a long embedding must not look like a hang)."""

    def __init__(self, lang: str) -> None:
        super().__init__(self._line)
        self.lang = lang
        self._last = time.monotonic()

    def _line(self, done: int, total: int) -> None:
        if time.monotonic() - self._last >= LINE_EVERY and total:
            self._last = time.monotonic()
            print(t("progress_embed", self.lang, done=done, total=total), file=sys.stderr, flush=True)
