"""Files and folders -> the index. Unchanged files are skipped by size and mtime (then by
content hash), changed files replaced, and documents are committed in small groups so an
interruption loses at most the group in flight."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from youju.embeddings.base import Embedder
from youju.errors import InputError, YoujuError
from youju.ingest.documents import build_document, chunker_key, content_hash
from youju.ingest.loaders import kind_of
from youju.records import Chunk, Document
from youju.retrieval.index import Index

ProgressFn = Callable[[int, int], None]
GROUP_CHUNKS = 128  # chunks embedded and committed together
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class FileResult:
    source: str
    path: str
    status: str  # indexed | replaced | unchanged | skipped | failed | removed
    reason: str = ""
    chunks: int = 0
    encoding: str | None = None


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    # seconds: loading the model, reading+cleaning+chunking, embedding, the rest (SQLite, FAISS, manifest)
    timings: dict[str, float] = field(default_factory=lambda: {"load_model": 0.0, "read_chunk": 0.0, "embed": 0.0,
                                                               "index": 0.0})
    tokens: int = 0
    chunks_embedded: int = 0

    def counts(self) -> Counter:
        return Counter(r.status for r in self.results)


def discover(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[FileResult]]:
    """Expand files and folders into (absolute path, display name) pairs. The display name is
    the path relative to the folder given (the file name for a file given directly)."""
    found: list[tuple[Path, str]] = []
    skipped: list[FileResult] = []
    for given in paths:
        given = Path(given).expanduser()
        if not given.exists():
            raise InputError(f"no such file or folder: {given}", zh=f"找不到文件或文件夹:{given}")
        if given.is_file():
            candidates = [(given, given.name)]
        else:
            candidates = [(p, p.relative_to(given).as_posix()) for p in sorted(given.rglob("*"))
                          if p.is_file() and not any(part.startswith(".") for part in p.relative_to(given).parts)]
        for path, source in candidates:
            if kind_of(path) is None:
                skipped.append(FileResult(source, str(path.resolve()), "skipped",
                                          f"unsupported file type {path.suffix or '(none)'}"))
            else:
                found.append((path.resolve(), source))
    seen: set[Path] = set()
    unique = [(p, s) for p, s in found if not (p in seen or seen.add(p))]
    return unique, skipped


def ingest(paths: list[Path], index: Index, embedder: Embedder, embedder_name: str, chunking: dict[str, int],
           *, prune: bool = False, progress: bool | ProgressFn = True, count_tokens: bool = False,
           report: IngestReport | None = None) -> IngestReport:
    """Index the files under `paths`. Fill `report` as it goes, so a caller interrupted by
    Ctrl-C can still say what was done. `progress`: a terminal bar (True), none (False), or a
    function called with (chunks embedded, chunks found so far), e.g. for a web page."""
    report = report if report is not None else IngestReport()
    files, skipped = discover(paths)
    report.results.extend(skipped)
    known = {d.path: d for d in index.store.documents()}
    key = chunker_key(chunking)
    todo = []
    for path, source in files:
        st = path.stat()
        prev = known.get(str(path))
        if prev and prev.size == st.st_size and prev.mtime_ns == st.st_mtime_ns and prev.chunker == key:
            report.results.append(FileResult(source, str(path), "unchanged", chunks=prev.chunks))
        else:
            todo.append((path, source, st))
    gone = [p for p in known if prune and not Path(p).exists()]
    if not todo and not gone:
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


def _process(todo, known, key, chunking, writer, embedder: Embedder, report: IngestReport,
             progress: bool | ProgressFn, count_tokens: bool) -> None:
    bar = _bar(progress)
    pending: list[tuple[Document, list[Chunk], int, int, FileResult]] = []
    try:
        for path, source, st in todo:
            result = FileResult(source, str(path), "indexed")
            prev = known.get(str(path))
            t0 = time.perf_counter()
            try:
                if st.st_size > MAX_FILE_BYTES:
                    raise InputError(f"file is larger than {MAX_FILE_BYTES >> 20} MB")
                data = path.read_bytes()
                if prev and prev.sha256 == content_hash(data) and prev.chunker == key:
                    writer.touch(str(path), st.st_mtime_ns)
                    report.results.append(FileResult(source, str(path), "unchanged", chunks=prev.chunks))
                    continue
                doc, chunks = build_document(path, source, data, chunking)
            except YoujuError as exc:
                report.results.append(FileResult(source, str(path), "skipped", str(exc)))
                continue
            except (OSError, ValueError, RuntimeError) as exc:  # a broken file must not stop the run
                report.results.append(FileResult(source, str(path), "failed", f"{type(exc).__name__}: {exc}"))
                continue
            finally:
                report.timings["read_chunk"] += time.perf_counter() - t0
            result.status = "replaced" if prev else "indexed"
            result.chunks = len(chunks)
            result.encoding = doc.meta.get("encoding")
            pending.append((doc, chunks, st.st_size, st.st_mtime_ns, result))
            if bar is not None:
                bar.total += len(chunks)
                bar.refresh()
            if sum(len(p[1]) for p in pending) >= GROUP_CHUNKS:
                _flush(pending, key, writer, embedder, report, bar, count_tokens)
        _flush(pending, key, writer, embedder, report, bar, count_tokens)
    finally:
        if bar is not None:
            bar.close()


def _flush(pending, key, writer, embedder: Embedder, report: IngestReport, bar, count_tokens: bool) -> None:
    if not pending:
        return
    texts = [c.embedding_text() for _, chunks, *_ in pending for c in chunks]
    t0 = time.perf_counter()
    vectors = embedder.embed_documents(texts, progress=bar.update if bar is not None else None)
    report.timings["embed"] += time.perf_counter() - t0
    report.chunks_embedded += len(texts)
    if count_tokens:
        report.tokens += embedder.count_tokens(texts)
    items, pos = [], 0
    for doc, chunks, size, mtime_ns, _ in pending:
        items.append((doc, chunks, np.asarray(vectors[pos:pos + len(chunks)]), size, mtime_ns, key))
        pos += len(chunks)
    writer.put(items)
    report.results.extend(p[4] for p in pending)
    pending.clear()


class _CallbackBar:
    """The slice of tqdm's interface the pipeline uses, reporting to a function."""

    def __init__(self, fn: ProgressFn) -> None:
        self.fn, self.total, self.n = fn, 0, 0

    def update(self, n: int) -> None:
        self.n += n
        self.fn(self.n, self.total)

    def refresh(self) -> None:
        self.fn(self.n, self.total)

    def close(self) -> None:
        pass


def _bar(progress: bool | ProgressFn):
    if callable(progress):
        return _CallbackBar(progress)
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=0, unit="chunk", desc="Embedding", mininterval=0.5, leave=False, dynamic_ncols=True,
                disable=None)  # None: no bar when stderr is not a terminal (CI logs)

