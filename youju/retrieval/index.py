"""An index folder: `chunks.sqlite` (documents, chunks, vectors; the source of truth),
`dense-<version>.faiss` (a cache of the vectors for search, rebuilt if missing),
`keywords-<version>/` (posting lists for keyword search, on large indexes only; see postings.py)
and `manifest.json` (a readable summary). Writers hold `.lock`; every document is written in one
SQLite transaction, so a crash or Ctrl-C mid-ingest leaves a usable index."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from youju.config import ChunkingSettings
from youju.embeddings.base import Embedder
from youju.errors import EmptyIndexError, IndexBusyError, IndexDamagedError, IndexMismatchError
from youju.i18n import Msg
from youju.records import Chunk, DocInfo, Document
from youju.retrieval.keywords import fts_document, fts_query, query_terms
from youju.retrieval.postings import Postings
from youju.retrieval.store import StagedDocument, Store, StoredChunk
from youju.text.tokens import TOKENIZER_VERSION

FORMAT_VERSION = 1
DB_NAME = "chunks.sqlite"
MANIFEST = "manifest.json"
QUICK_CHECK_BYTES = 256 << 20  # quick_check on open up to this size: ~8 ms per 10 MB from the page cache, ~110 ms cold
DENSE_SAMPLE = 16  # stored vectors compared with the FAISS file's on load
# From this many chunks on, keyword search reads numpy posting lists instead of FTS5's bm25()
# (same ranking; FTS5 takes 7 ms at 10,000 chunks and 64 ms at 100,000: bench/scale.py).
POSTINGS_MIN_CHUNKS = 20000


@dataclass(frozen=True)
class EmbedderInfo:
    fingerprint: str
    dimension: int
    name: str


def check_fingerprint(info: EmbedderInfo | None, where: object, fingerprint: str) -> None:
    """Refuse an index whose vectors came from another embedding model (any backend)."""
    if info and info.fingerprint != fingerprint:
        raise IndexMismatchError("err.index_model", path=where, name=info.name, found=info.fingerprint,
                                 current=fingerprint)


@dataclass
class _Commit:
    """One commit's changes, kept until the in-memory FAISS index mirrors them."""

    removed: list[int] = field(default_factory=list)  # chunk rowids
    # (rowids, vectors) per document or slice; vectors None: read back from the store when
    # mirrored (a large document's slices, so its vectors are not all held until the commit)
    added: list[tuple[list[int], np.ndarray | None]] = field(default_factory=list)
    version: int = -1


class Index:
    def __init__(self, path: Path, store: Store, faiss_factory: str) -> None:
        self.path = path
        self.store = store
        self.faiss_factory = faiss_factory
        self._dense = None
        self._dense_version = -1
        self._dense_lock = threading.Lock()
        self._postings: Postings | None = None
        self.notices: list[Msg] = []  # repairs made while opening or reading (shown by the caller)

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, fingerprint: str | None = None, create: bool = False,
             faiss_factory: str = "auto") -> Index:
        """Open (or with create=True, make) the index at `path`. With a fingerprint, refuse
        an index whose vectors came from another embedding model."""
        path = Path(path).expanduser()
        if not (path / DB_NAME).exists():
            if not create:
                raise EmptyIndexError("err.no_index", path=path)
            path.mkdir(parents=True, exist_ok=True)
        else:
            _check_store_file(path)
        try:
            index = cls(path, Store(path / DB_NAME), faiss_factory)
            if (path / DB_NAME).stat().st_size <= QUICK_CHECK_BYTES:
                verdict = index.store._db().execute("PRAGMA quick_check(1)").fetchone()[0]
                if verdict != "ok":
                    raise sqlite3.DatabaseError(verdict)
        except sqlite3.DatabaseError as exc:
            raise damaged(path, exc) from None
        fmt = index.store.get_meta("format_version")
        if fmt is not None and fmt != FORMAT_VERSION:
            raise IndexMismatchError("err.index_format", path=path, found=fmt, expected=FORMAT_VERSION)
        if fingerprint:
            index.check_embedder(fingerprint)
        if index.keywords_stale():
            try:
                with index._lock(block=False):
                    index.rebuild_keywords()
            except IndexBusyError:
                pass  # the writer holding the lock rebuilds them
        return index

    def keywords_stale(self) -> bool:
        """True when the keyword index was built by another tokenizer version (or predates it)."""
        return (self.store.get_meta("keyword_tokenizer") != TOKENIZER_VERSION
                and self.store.counts()["chunks"] > 0)

    def rebuild_keywords(self) -> None:
        with self.store.transaction() as db:
            Store.rebuild_keywords(db)
            Store.set_meta(db, "keyword_tokenizer", TOKENIZER_VERSION)
        self._drop_postings(keep=None)  # built from the old segmentation at the same version

    def embedder_info(self) -> EmbedderInfo | None:
        info = self.store.get_meta("embedder")
        return EmbedderInfo(**info) if info else None

    def check_embedder(self, fingerprint: str) -> None:
        check_fingerprint(self.embedder_info(), self.path, fingerprint)

    def close(self) -> None:
        self.store.close()

    def manifest(self) -> dict[str, Any] | None:
        """The readable summary written after the last commit (None if missing or unreadable)."""
        try:
            data = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("counts"), dict) else None

    def repair(self, chunking: ChunkingSettings) -> None:
        """Bring what a crash can leave behind the store in line: the manifest (missing,
        unreadable or stale) and a large index's keyword posting lists (missing). Skipped while
        a writer holds the lock: it writes its own."""
        current, counts = self.manifest(), self.store.counts()
        manifest_ok = bool(current and current.get("version") == self.store.version() and current["counts"] == counts)
        lists_ok = counts["chunks"] < POSTINGS_MIN_CHUNKS or self.postings() is not None
        if manifest_ok and lists_ok:
            return
        try:
            with self._lock(block=False):
                if not lists_ok:
                    self.write_postings(self.store.version())
                write_manifest(self, chunking)
        except (IndexBusyError, OSError):
            pass

    # --- reading ----------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self.store.counts()["chunks"] == 0

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def version(self) -> int:
        return self.store.version()

    def documents(self) -> list[DocInfo]:
        return self.store.documents()

    def document(self, doc_id: str) -> Document | None:
        return self.store.document(doc_id)

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        return self.store.doc_chunks(doc_id)

    def chunks(self, rowids: list[int]) -> dict[int, StoredChunk]:
        return self.store.chunks(rowids)

    def vocabulary(self) -> list[str]:
        return self.store.vocabulary()

    def search_keywords(self, question: str, k: int, doc_ids: list[str] | None = None,
                        bigram_weight: float = 1.0) -> list[tuple[int, float]]:
        """BM25 top-k over the jieba words and CJK bigrams of the chunks, as (rowid, score):
        from the posting lists when the index has them for its current version, else FTS5."""
        postings = self.postings()
        if postings is not None:
            q_words, q_bigrams = query_terms(question)
            allowed = postings.allowed_mask(self.store.rowids_of(doc_ids)) if doc_ids is not None else None
            found = postings.search(q_words, q_bigrams, k, (1.0, bigram_weight), allowed)
            if found is not None:
                return found
        match = fts_query(question)
        return self.store.keyword_search(match, k, doc_ids, (1.0, bigram_weight)) if match else []

    def postings(self) -> Postings | None:
        """The keyword posting lists of the store's current version (None when there are none:
        a small index, or a crash before the writer wrote them)."""
        version = self.store.version()
        if self._postings is not None and self._postings.version == version:
            return self._postings
        folder = self._postings_folder(version)
        if not folder.is_dir():
            return None
        try:
            postings = Postings.load(folder)
        except (OSError, ValueError, KeyError):
            return None  # damaged: FTS5 answers the same; the next ingest rewrites it
        if postings.version != version or postings.n_rows != self.store.counts()["chunks"]:
            return None
        self._postings = postings
        return postings

    def _postings_folder(self, version: int) -> Path:
        return self.path / f"keywords-{version}"

    def write_postings(self, version: int, before_build: Callable[[], None] | None = None) -> None:
        """Write the posting lists for `version` if the index is large enough and they are
        missing or unreadable (the writer calls this holding the lock), calling `before_build`
        first when they are built."""
        if self.store.counts()["chunks"] < POSTINGS_MIN_CHUNKS:
            self._drop_postings(keep=None)
            return
        if self.postings() is None:
            if before_build is not None:
                before_build()
            self._postings = Postings.build(self.store._db(), version, self._postings_folder(version))
        self._drop_postings(keep=self._postings_folder(version).name)

    def _drop_postings(self, keep: str | None) -> None:
        for old in self.path.glob("keywords-*"):
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
        if keep is None:
            self._postings = None

    def dense(self):
        """The FAISS index matching the store's current version (loaded, or rebuilt from the
        stored vectors when its file is missing, e.g. after a crash)."""
        version = self.store.version()
        if self._dense is not None and self._dense_version == version:
            return self._dense
        with self._dense_lock:
            if self._dense is None or self._dense_version != version:
                self._dense = self._load_dense(version)
                self._dense_version = version
        return self._dense

    def _load_dense(self, version: int):
        from youju.retrieval.dense import DenseIndex

        file = self._dense_file(version)
        if file.exists():
            problem = ""
            try:
                loaded = DenseIndex.load(file, self.faiss_factory)
                problem = self._dense_problem(loaded)
                if not problem:
                    return loaded
            except Exception as exc:  # faiss raises RuntimeError with C++ text for any bad file
                problem = f"{type(exc).__name__}"
            # The FAISS file is a cache of the stored vectors: rebuild it, and say so.
            self.notices.append(Msg("notice.dense_rebuilt", {"path": file, "detail": problem}))
        dense = self.build_dense()
        self._save_dense_if_free(dense, version)
        return dense

    def _dense_problem(self, dense) -> str:
        """What is wrong with a loaded FAISS file ("" if nothing): its size and dimension against
        the store, and a few vectors against the stored ones (catches overwritten bytes and a
        file copied from another index)."""
        info = self.embedder_info()
        if info is None:
            return ""
        if dense.dimension != info.dimension:
            return f"dimension {dense.dimension} != {info.dimension}"
        stored = self.store.counts()["chunks"]
        if len(dense) != stored:
            return f"{len(dense)} vectors for {stored} chunks"
        ids, vecs = self.store.sample_vectors(info.dimension, DENSE_SAMPLE)
        got = dense.vectors(ids) if len(ids) else None
        if got is not None and not np.allclose(got, vecs, atol=0.05):
            return "vectors differ from the stored ones"
        return ""

    def build_dense(self):
        """A FAISS index of every stored vector, of the type the setting and the size call for
        (an IVF index is trained on vectors sampled evenly from the store)."""
        from youju.retrieval.dense import DenseIndex, resolve

        info = self.embedder_info()
        dimension = info.dimension if info else 1
        dense = DenseIndex(dimension, resolve(self.faiss_factory, self.store.counts()["chunks"]))
        if info and dense.training_size:
            dense.train(self.store.sample_vectors(dimension, dense.training_size)[1])
        if info:
            for ids, vecs in self.store.vectors(dimension):
                dense.add(ids, vecs)
        return dense

    def dense_fits(self, dense) -> bool:
        """Whether a FAISS index still suits the store's size (always, for a named factory)."""
        from youju.retrieval.dense import AUTO, fits

        return self.faiss_factory != AUTO or fits(dense.factory, self.store.counts()["chunks"])

    def _save_dense_if_free(self, dense, version: int) -> None:
        """Persist a rebuilt FAISS index unless a writer holds the lock (it will write its own)."""
        try:
            with self._lock(block=False):
                if self.store.version() == version:
                    self._write_dense(dense, version)
        except (IndexBusyError, OSError):
            pass

    def _dense_file(self, version: int) -> Path:
        return self.path / f"dense-{version}.faiss"

    def _write_dense(self, dense, version: int) -> None:
        dense.save(self._dense_file(version))
        for old in self.path.glob("dense-*.faiss"):
            if old.name != self._dense_file(version).name:
                old.unlink(missing_ok=True)

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Per chunk id, the vectors of its sentences (computed at ingest); absent if not stored."""
        info = self.embedder_info()
        return self.store.sentence_vectors(chunk_ids, info.dimension) if info and chunk_ids else {}

    def search_dense(self, query_vec: np.ndarray, k: int, doc_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """Dense top-k as [(chunk rowid, cosine)], best first."""
        allowed = None
        if doc_ids is not None:
            allowed = np.asarray(self.store.rowids_of(doc_ids), dtype=np.int64)
            if allowed.size == 0:
                return []
        ids, scores = self.dense().search(query_vec, k, allowed)
        return [(int(i), float(s)) for i, s in zip(ids, scores)]

    # --- writing ----------------------------------------------------------------------------

    @contextmanager
    def _lock(self, block: bool) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            fh = open(self.path / ".lock", "a+")
        except OSError as exc:  # e.g. replaced by a folder
            raise IndexDamagedError("err.index_lock", path=self.path / ".lock",
                                    detail=exc.strerror or type(exc).__name__) from None
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
            except BlockingIOError:
                raise IndexBusyError("err.index_busy", path=self.path) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextmanager
    def writer(self, embedder: Embedder, name: str, chunking: ChunkingSettings) -> Iterator[IndexWriter]:
        """Exclusive write access. On exit (also on Ctrl-C) the FAISS file and manifest are
        brought in line with what was committed."""
        with self._lock(block=False):
            self.check_embedder(embedder.fingerprint)
            if self.keywords_stale():
                self.rebuild_keywords()
            writer = IndexWriter(self, embedder, name, chunking, self.dense() if self.embedder_info() else None)
            try:
                yield writer
            finally:
                writer.finish()


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block is done, so a commit and its FAISS
    mirror happen together. Only the main thread can receive them; elsewhere this is a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class IndexWriter:
    def __init__(self, index: Index, embedder: Embedder, name: str, chunking: ChunkingSettings, dense) -> None:
        self.index = index
        self.store = index.store
        self.embedder = embedder
        self.name = name
        self.chunking = chunking
        self.dense = dense
        self.changed = False
        self.mirrored = self.store.version()  # the store version the in-memory FAISS reflects
        self._pending: _Commit | None = None  # a commit's changes, until they are in FAISS too

    def _begin(self, db) -> None:
        Store.set_meta(db, "format_version", FORMAT_VERSION)
        # The dimension is asked only now: a run with nothing to write never loads the model.
        Store.set_meta(db, "embedder", {"fingerprint": self.embedder.fingerprint,
                                        "dimension": self.embedder.dimension, "name": self.name})
        Store.set_meta(db, "chunking", self.chunking.as_key())
        Store.set_meta(db, "keyword_tokenizer", TOKENIZER_VERSION)

    def put(self, items: list[StagedDocument]) -> None:
        """Write documents in one transaction, replacing any earlier version of each."""
        keywords = [[fts_document(c.embedding_text()) for c in item.chunks] for item in items]
        commit = _Commit()
        with deferred_interrupts(), self.store.transaction() as db:
            self._begin(db)
            for item, kw in zip(items, keywords):
                commit.removed += Store.delete_document(db, item.document.path)
                rowids = Store.put_document(db, item, kw)
                commit.added.append((rowids, item.vectors))
            commit.version = Store.bump_version(db)
            self._pending = commit
        with deferred_interrupts():
            self._apply_pending()
            write_manifest(self.index, self.chunking)  # on every commit, so a crash leaves it current

    def put_streamed(self, document: Document, size: int, mtime_ns: int, chunker: str,
                     slices: Iterable[tuple[tuple[Chunk, ...], np.ndarray, tuple[np.ndarray, ...]]]) -> None:
        """One large document in one transaction, its chunks arriving in slices as they are
        embedded (memory holds one slice). Ctrl-C while slices arrive rolls the document back;
        from the last slice on, signals wait until the commit and its FAISS mirror are done."""
        commit = _Commit()
        with ExitStack() as held:
            with self.store.transaction() as db:
                self._begin(db)
                commit.removed += Store.delete_document(db, document.path)
                Store.put_document_row(db, document, size, mtime_ns, chunker)
                first = 0
                for chunks, vectors, sentence_vectors in slices:
                    keywords = [fts_document(c.embedding_text()) for c in chunks]
                    rowids = Store.put_chunks(db, document.id, first, chunks, vectors, sentence_vectors, keywords)
                    commit.added.append((rowids, None))
                    first += len(chunks)
                held.enter_context(deferred_interrupts())
                commit.version = Store.bump_version(db)
                self._pending = commit
            self._apply_pending()
            write_manifest(self.index, self.chunking)

    def remove(self, paths: list[str]) -> None:
        commit = _Commit()
        with deferred_interrupts(), self.store.transaction() as db:
            for path in paths:
                commit.removed += Store.delete_document(db, path)
            commit.version = Store.bump_version(db)
            self._pending = commit
        with deferred_interrupts():
            self._apply_pending()
            write_manifest(self.index, self.chunking)  # on every commit, so a crash leaves it current

    def touch(self, path: str, mtime_ns: int) -> None:
        with self.store.transaction() as db:
            Store.touch_document(db, path, mtime_ns)

    def _apply_pending(self) -> None:
        """Mirror the last commit in FAISS (also called on the way out, for a Ctrl-C that landed
        right after a commit). Applied at most once: a second try could add vectors twice."""
        pending, self._pending = self._pending, None
        if pending is None or self.store.version() != pending.version:
            return  # nothing pending, or the transaction rolled back
        if self.dense is None or not self.index.dense_fits(self.dense) or not self.dense.remove(pending.removed):
            # A new index, one the store has outgrown (exact -> IVF, or IVF with too few lists),
            # or a FAISS type that cannot delete: build from the committed store.
            self.dense = self.index.build_dense()
        else:
            for rowids, vectors in pending.added:
                if vectors is None:
                    vectors = self.store.vectors_of(rowids, self.dense.dimension)
                self.dense.add(np.asarray(rowids, dtype=np.int64), vectors)
        self.changed = True
        self.mirrored = pending.version

    def finish(self) -> None:
        self._apply_pending()
        version = self.store.version()
        if version != self.mirrored:
            # Interrupted between a SQLite commit and the FAISS update: leave no FAISS file
            # for this version, so the next open rebuilds it from the stored vectors.
            self.index._dense_file(version).unlink(missing_ok=True)
            self.index._dense = None
            write_manifest(self.index, self.chunking)
            return
        if self.changed and self.dense is not None:
            self.index._write_dense(self.dense, version)
            self.index._dense, self.index._dense_version = self.dense, version
        def let_dense_go() -> None:
            # Building the lists reads every row; the FAISS index is saved, so its memory (113 MB
            # for 73,689 vectors of 384) is given back meanwhile and reloaded from its file when asked.
            self.dense = self.index._dense = None

        self.index.write_postings(version, let_dense_go)  # written atomically: Ctrl-C here loses nothing
        write_manifest(self.index, self.chunking)


def set_aside(path: Path) -> Path | None:
    """Move an index folder out of the way (for `ingest --rebuild`), keeping it as a backup;
    returns where it went, or None when there was none."""
    path = Path(path).expanduser()
    if not path.exists():
        return None
    backup = path.with_name(f"{path.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
    path.rename(backup)
    return backup


def _check_store_file(path: Path) -> None:
    """The store's header, before SQLite sees it: an empty or foreign file is damage, not an
    empty index."""
    try:
        with open(path / DB_NAME, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise damaged(path, exc) from None
    if head != b"SQLite format 3\x00":
        raise damaged(path, "empty file" if not head else "not a SQLite database")


def damaged(path: Path, cause: object) -> IndexDamagedError:
    """The error for a damaged chunk store, naming the recovery."""
    detail = cause if isinstance(cause, str) else (getattr(cause, "strerror", None) or str(cause) or type(cause).__name__)
    return IndexDamagedError("err.index_damaged", path=path / DB_NAME, index=path, detail=detail)


def write_manifest(index: Index, chunking: ChunkingSettings) -> None:
    info = index.embedder_info()
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "embedder": info.__dict__ if info else None,
        "chunking": index.store.get_meta("chunking", chunking.as_key()),
        "faiss_index": index.faiss_factory,
        "counts": index.store.counts(),
        "version": index.store.version(),
        "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = index.path / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    os.replace(tmp, index.path / MANIFEST)
