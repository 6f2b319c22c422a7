"""The chunk store: one SQLite file holding documents, chunks (offsets, heading paths, vectors)
and index metadata. SQLite gives atomic, incremental writes; the FAISS file is a cache that
can always be rebuilt from the vectors kept here."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from youju.records import Chunk, DocInfo, Document, with_headings
from youju.retrieval.keywords import fts_document
from youju.sqlbatch import select_in

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    meta TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    chunker TEXT NOT NULL,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    meta TEXT NOT NULL,
    vector BLOB NOT NULL,
    sentences TEXT NOT NULL DEFAULT '[]',  -- [[start, end], ...] within text
    sentence_vectors BLOB  -- float16, one row per sentence (answer selection), NULL if not computed
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
-- Keyword index: pre-segmented jieba words and CJK bigrams of each chunk (rowid = chunk rowid),
-- written in the same transaction as the chunk, so it is always in step with the store.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    words, bigrams, tokenize = "unicode61 remove_diacritics 0 tokenchars '.%'");
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunks_fts WHERE rowid = old.rowid;
END;
"""


@dataclass(frozen=True)
class StagedDocument:
    """A document ready to be written: its chunks, their vectors (one row each), each chunk's
    sentence vectors (one row per `Chunk.sentences` span) and what re-ingest compares (file size
    and mtime, the chunker's key)."""

    document: Document
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray
    sentence_vectors: tuple[np.ndarray, ...]
    size: int
    mtime_ns: int
    chunker: str


@dataclass(frozen=True)
class StoredChunk:
    rowid: int
    chunk: Chunk
    source: str
    title: str


_CHUNK_COLUMNS = "c.id, c.doc_id, c.text, c.start, c.end, c.heading_path, c.meta, c.sentences"


def _chunk(r: tuple[Any, ...]) -> Chunk:
    return Chunk(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), json.loads(r[6]),
                 tuple((a, b) for a, b in json.loads(r[7])))


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._db().executescript(SCHEMA)  # idempotent; executescript manages its own transaction
        self._migrate()

    def _migrate(self) -> None:
        """Columns added since format 1 (the documents they are missing for are re-ingested,
        their chunker key having changed; until then answering embeds their sentences itself)."""
        db = self._db()
        have = {r[1] for r in db.execute("PRAGMA table_info(chunks)")}
        if "sentences" not in have:
            db.execute("ALTER TABLE chunks ADD COLUMN sentences TEXT NOT NULL DEFAULT '[]'")
        if "sentence_vectors" not in have:
            db.execute("ALTER TABLE chunks ADD COLUMN sentence_vectors BLOB")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing: a crash or exception inside leaves the store as it was."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # --- metadata -----------------------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._db().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    @staticmethod
    def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, json.dumps(value)))

    def version(self) -> int:
        """Bumped by every write that changes chunks; the FAISS file is named after it."""
        return int(self.get_meta("version", 0))

    @staticmethod
    def bump_version(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        version = (json.loads(row[0]) if row else 0) + 1
        Store.set_meta(db, "version", version)
        return version

    # --- writes ---------------------------------------------------------------------------------

    @staticmethod
    def put_document(db: sqlite3.Connection, item: StagedDocument, keywords: list[tuple[str, str]]) -> list[int]:
        """Insert a document and its chunks (replacing any document at the same path) with
        their keyword columns (see keywords.fts_document); returns the new chunk rowids."""
        Store.put_document_row(db, item.document, item.size, item.mtime_ns, item.chunker)
        return Store.put_chunks(db, item.document.id, 0, item.chunks, item.vectors, item.sentence_vectors, keywords)

    @staticmethod
    def put_document_row(db: sqlite3.Connection, doc: Document, size: int, mtime_ns: int, chunker: str) -> None:
        """The document itself (its chunks follow with put_chunks, in the same transaction)."""
        db.execute("DELETE FROM documents WHERE path=? OR id=?", (doc.path, doc.id))
        db.execute(
            "INSERT INTO documents(id, path, source, title, text, meta, size, mtime_ns, sha256, chunker, added_at)"
            " VALUES(?,?,?,?,CAST(? AS TEXT),?,?,?,?,?,?)",
            # bound as UTF-8 bytes: binding the str would cache its UTF-8 form on it (60 MB for a
            # 60 MB file) for as long as the document is held, i.e. while all its chunks embed
            (doc.id, doc.path, doc.source, doc.title, doc.text.encode("utf-8"), json.dumps(doc.meta, ensure_ascii=False),
             size, mtime_ns, doc.sha256, chunker, time.time()))

    @staticmethod
    def put_chunks(db: sqlite3.Connection, doc_id: str, first: int, chunks: Sequence[Chunk], vectors: np.ndarray,
                   sentence_vectors: Sequence[np.ndarray], keywords: list[tuple[str, str]]) -> list[int]:
        """Chunks of a document numbered from `first`; returns their rowids."""
        rowids = []
        for i, (chunk, vec, svec, kw) in enumerate(zip(chunks, vectors, sentence_vectors, keywords), start=first):
            cur = db.execute(
                "INSERT INTO chunks(id, doc_id, ord, start, end, text, heading_path, meta, vector, sentences,"
                " sentence_vectors) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (chunk.id, doc_id, i, chunk.start, chunk.end, chunk.text,
                 json.dumps(list(chunk.heading_path), ensure_ascii=False),
                 json.dumps(chunk.meta, ensure_ascii=False), np.asarray(vec, dtype=np.float32).tobytes(),
                 json.dumps([list(s) for s in chunk.sentences]), np.asarray(svec, dtype=np.float16).tobytes()))
            rowid = int(cur.lastrowid or 0)
            rowids.append(rowid)
            db.execute("INSERT INTO chunks_fts(rowid, words, bigrams) VALUES(?,?,?)", (rowid, *kw))
        return rowids

    @staticmethod
    def rebuild_keywords(db: sqlite3.Connection) -> int:
        """Re-segment every chunk into the keyword index (after a tokenizer change)."""
        db.execute("DELETE FROM chunks_fts")
        rows = db.execute("SELECT rowid, text, heading_path FROM chunks").fetchall()
        for rowid, text, heading_path in rows:
            db.execute("INSERT INTO chunks_fts(rowid, words, bigrams) VALUES(?,?,?)",
                       (rowid, *fts_document(with_headings(json.loads(heading_path), text))))
        return len(rows)

    @staticmethod
    def delete_document(db: sqlite3.Connection, path: str) -> list[int]:
        """Delete the document stored for `path`; returns the rowids of its chunks."""
        rowids = [r[0] for r in db.execute(
            "SELECT c.rowid FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = ?", (path,))]
        db.execute("DELETE FROM documents WHERE path=?", (path,))
        return rowids

    @staticmethod
    def touch_document(db: sqlite3.Connection, path: str, mtime_ns: int) -> None:
        db.execute("UPDATE documents SET mtime_ns=? WHERE path=?", (mtime_ns, path))

    # --- reads ----------------------------------------------------------------------------------

    def documents(self) -> list[DocInfo]:
        rows = self._db().execute(
            "SELECT d.id, d.path, d.source, d.title, d.size, d.mtime_ns, d.sha256, d.chunker, d.meta,"
            " (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id) FROM documents d ORDER BY d.source")
        return [DocInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[9], json.loads(r[8])) for r in rows]

    def document(self, doc_id: str) -> Document | None:
        row = self._db().execute("SELECT id, source, title, text, path, sha256, meta FROM documents WHERE id=?",
                                 (doc_id,)).fetchone()
        return Document(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6])) if row else None

    def counts(self) -> dict[str, int]:
        db = self._db()
        return {"documents": db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
                "chunks": db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]}

    def keyword_search(self, match: str, k: int, doc_ids: list[str] | None = None,
                       weights: tuple[float, float] = (1.0, 1.0)) -> list[tuple[int, float]]:
        """BM25 top-k as (rowid, score), higher is better. `match` is an FTS5 expression."""
        sql = (f"SELECT f.rowid, -bm25(chunks_fts, {weights[0]:f}, {weights[1]:f}) AS s FROM chunks_fts f"
               " WHERE chunks_fts MATCH ?")
        args: list[Any] = [match]
        if doc_ids is not None:
            sql += f" AND f.rowid IN (SELECT rowid FROM chunks WHERE doc_id IN ({','.join('?' * len(doc_ids))}))"
            args += list(doc_ids)
        sql += " ORDER BY s DESC LIMIT ?"
        return [(r[0], r[1]) for r in self._db().execute(sql, [*args, k])]

    def vocabulary(self) -> list[str]:
        """Every word of the keyword index (the words column: jieba words, not bigrams)."""
        db = self._db()
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.youju_vocab USING fts5vocab(main, chunks_fts, 'col')")
        return [r[0] for r in db.execute("SELECT term FROM temp.youju_vocab WHERE col = 'words'")]

    def rowids_of(self, doc_ids: list[str]) -> list[int]:
        marks = ",".join("?" * len(doc_ids))
        return [r[0] for r in self._db().execute(f"SELECT rowid FROM chunks WHERE doc_id IN ({marks})", list(doc_ids))]

    def chunks(self, rowids: list[int]) -> dict[int, StoredChunk]:
        """Chunks by rowid (missing rowids, e.g. deleted since the FAISS file was written, are absent)."""
        sql = (f"SELECT c.rowid, {_CHUNK_COLUMNS}, d.source, d.title FROM chunks c"
               " JOIN documents d ON d.id = c.doc_id WHERE c.rowid IN ({marks})")
        return {r[0]: StoredChunk(r[0], _chunk(r[1:9]), r[9], r[10])
                for r in select_in(self._db(), sql, [int(x) for x in rowids])}

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        rows = self._db().execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks c WHERE doc_id=? ORDER BY ord", (doc_id,))
        return [_chunk(r) for r in rows]

    def sentence_vectors(self, chunk_ids: list[str], dimension: int) -> dict[str, np.ndarray]:
        """Per chunk id, its sentences' vectors (float32, one row per sentence); chunks stored
        without them are absent."""
        out: dict[str, np.ndarray] = {}
        marks = ",".join("?" * len(chunk_ids))
        for cid, blob in self._db().execute(
                f"SELECT id, sentence_vectors FROM chunks WHERE id IN ({marks}) AND sentence_vectors IS NOT NULL",
                list(chunk_ids)):
            out[cid] = np.frombuffer(blob, dtype=np.float16).reshape(-1, dimension).astype(np.float32)
        return out

    def sample_vectors(self, dimension: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """About `n` (rowids, vectors) spread evenly over the table (a cheap integrity probe)."""
        db = self._db()
        total = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        step = max(1, total // max(n, 1))
        rows = db.execute("SELECT rowid, vector FROM (SELECT rowid, vector, ROW_NUMBER() OVER (ORDER BY rowid) AS k"
                          " FROM chunks) WHERE k % ? = 0 LIMIT ?", (step, n)).fetchall()
        return _id_vectors(rows, dimension)

    def vectors_of(self, rowids: list[int], dimension: int) -> np.ndarray:
        """The stored vectors of `rowids` (ascending), in that order."""
        rows = list(select_in(self._db(), "SELECT rowid, vector FROM chunks WHERE rowid IN ({marks}) ORDER BY rowid",
                              rowids))
        ids, vectors = _id_vectors(rows, dimension)
        if not np.array_equal(ids, rowids):
            raise sqlite3.DatabaseError("stored vectors missing for committed chunks")
        return vectors

    def vectors(self, dimension: int, batch: int = 10000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All (rowids, vectors) in batches, for rebuilding the FAISS index."""
        cur = self._db().execute("SELECT rowid, vector FROM chunks ORDER BY rowid")
        while rows := cur.fetchmany(batch):
            yield _id_vectors(rows, dimension)


def _id_vectors(rows: list[tuple[int, bytes]], dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """(rowids, float32 vectors) from (rowid, vector blob) rows."""
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    return ids, np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
