"""An index on Milvus: a server (`milvus://HOST:PORT/COLLECTION`; YOUJU_MILVUS_TOKEN if it wants
one) or a Milvus Lite file (`PATH.db`, one process at a time). Four collections named from
COLLECTION (default `youju`): `_chunks` (offsets, heading path, sentence spans and vectors, the
dense vector, two BM25 fields), `_docs` (what re-ingest compares), `_texts` (document text in
parts, for the viewer) and `_meta` (embedder, version).

Keywords keep youju's own analysis: each chunk's jieba words and CJK bigrams
(`keywords.fts_document`) are written as hashed ASCII tokens (`t` + 12 hex digits), which
Milvus's standard analyzer keeps whole; a question is analysed and hashed the same way.
Milvus's built-in BM25 finds the candidates (the best RESCORE_DEPTH of each column). On
collections of up to SCAN_MAX chunks they are then scored with FTS5's BM25 (postings.idf,
postings.length_norm): the terms' document counts from one read of every chunk's terms per
index version, the collection's token total from the document rows. So both backends rank by
the same formula where it matters most; Milvus's own BM25 scores differ from FTS5's by a few
percent and reorder close passages, most on small collections. Larger collections, and those
made before the document rows carried token totals, are ranked by Milvus's BM25 (a
TEXT_MATCH count per question term was tried for them: on Milvus Lite at 100,000 chunks a
timing run of 120 questions did not finish in 15 minutes).

Milvus has no transactions: a document's chunks are written before its `_docs` row, which is
the commit; chunks without a row are never returned and are deleted when the document is
written again. Collections other than `_chunks` need a vector field to exist in Milvus: they
carry a 2-dimensional zero vector."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from youju.config import ChunkingSettings
from youju.embeddings.base import Embedder
from youju.errors import EmptyIndexError, IndexMismatchError, InputError, SearchIndexError
from youju.i18n import Msg
from youju.records import Chunk, DocInfo, Document
from youju.retrieval.backend import Ranked, Slices
from youju.retrieval.index import FORMAT_VERSION, EmbedderInfo, check_fingerprint
from youju.retrieval.keywords import fts_document, query_terms
from youju.retrieval.postings import idf, length_norm, saturation
from youju.retrieval.store import StagedDocument, StoredChunk
from youju.text.tokens import TOKENIZER_VERSION

TEXT_PART = 16000  # characters of document text per `_texts` row (VARCHAR holds 65,535 bytes)
VARCHAR_MAX = 65535
PAGE = 1000  # rows per query page
RESCORE_DEPTH = 100  # keyword candidates per column from Milvus's BM25, re-scored with FTS5's
SCAN_MAX = 50_000  # up to this many chunks, keyword candidates are re-scored with FTS5's BM25
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")
_ZERO = [0.0, 0.0]


def parse_uri(location: str) -> tuple[str, str]:
    """(pymilvus uri, collection prefix) for `milvus://HOST:PORT/COLLECTION` or `PATH.db`."""
    if location.startswith("milvus://"):
        rest = location[len("milvus://"):]
        host, _, name = rest.partition("/")
        name = name.strip("/") or "youju"
        if not host or not _NAME.match(name):
            raise InputError("err.milvus_uri", uri=location)
        return f"http://{host}", name
    from pathlib import Path

    path = Path(location).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path), "youju"


def term(token: str) -> str:
    """A keyword as a token Milvus's standard analyzer keeps whole."""
    return "t" + hashlib.blake2b(token.encode(), digest_size=6).hexdigest()


def _terms(tokens: list[str] | str) -> str:
    items = tokens.split() if isinstance(tokens, str) else tokens
    out = " ".join(term(t) for t in items)
    return out[:VARCHAR_MAX - 20].rsplit(" ", 1)[0] if len(out) > VARCHAR_MAX - 20 else out


def _count(hashed: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in hashed.split():
        out[t] = out.get(t, 0) + 1
    return out


def _rowid(chunk_id: str) -> int:
    return int(chunk_id, 16) & ((1 << 63) - 1) if re.fullmatch(r"[0-9a-f]{1,16}", chunk_id) else \
        int.from_bytes(hashlib.blake2b(chunk_id.encode(), digest_size=8).digest(), "big") & ((1 << 63) - 1)


def lit(value: Any) -> str:
    """A value as a Milvus expression literal (Milvus Lite has no filter templates)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple | set):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    return str(int(value))


def _pack(vectors: np.ndarray) -> str:
    """Sentence vectors as base64 float16 ("" when they would not fit a VARCHAR: then absent)."""
    raw = base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode()
    return raw if len(raw) < VARCHAR_MAX else ""


class MilvusIndex:
    def __init__(self, location: str, client: Any, prefix: str) -> None:
        self.path = location
        self.client = client
        self.prefix = prefix
        self.notices: list[Msg] = []
        self._write_lock = threading.Lock()
        self._chunks_ready = False  # the chunks collection exists (made by the first write)
        self._embedder: EmbedderInfo | None = None  # set once, by the first write
        self._keyword_stats: tuple[int, int, int] | None = None  # (version, rows, tokens)
        self._term_rows: dict[tuple[str, str], int] = {}  # (column, term) -> chunks holding it, this version
        self._scanned = False  # _term_rows holds every term of this version
        self._stats_lock = threading.Lock()

    # --- opening ----------------------------------------------------------------------------

    @classmethod
    def open(cls, location: str, *, create: bool = False) -> MilvusIndex:
        import os

        uri, prefix = parse_uri(location)
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # gRPC's keep-alive chatter is not the user's business
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise InputError("err.milvus_missing") from None
        import logging

        logging.getLogger("pymilvus").setLevel(logging.ERROR)  # e.g. Milvus Lite's "use client-side ts"
        try:
            client = MilvusClient(uri, token=os.environ.get("YOUJU_MILVUS_TOKEN", ""))
        except Exception as exc:
            raise SearchIndexError("err.milvus", uri=location, detail=f"{type(exc).__name__}: {exc}") from None
        index = cls(location, client, prefix)
        if not client.has_collection(index.name("meta")):
            if not create:
                raise EmptyIndexError("err.no_index", path=location)
            index._create_small_collections()
        for part in ("meta", "docs", "texts", "chunks"):  # a reopened collection starts released
            if client.has_collection(index.name(part)):
                client.load_collection(index.name(part))
        fmt = index.get_meta("format_version")
        if fmt is not None and fmt != FORMAT_VERSION:
            raise IndexMismatchError("err.index_format", path=location, found=fmt, expected=FORMAT_VERSION)
        tokenizer = index.get_meta("keyword_tokenizer")
        if tokenizer is not None and tokenizer != TOKENIZER_VERSION:  # its keyword terms would not match a question's
            raise IndexMismatchError("err.keyword_tokenizer", path=location, found=tokenizer, expected=TOKENIZER_VERSION)
        return index

    def name(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    def _create_small_collections(self) -> None:
        from pymilvus import DataType

        c = self.client
        for part, fields in (
                ("meta", [("key", DataType.VARCHAR, {"is_primary": True, "max_length": 128}),
                          ("value", DataType.JSON, {})]),
                ("docs", [("id", DataType.VARCHAR, {"is_primary": True, "max_length": 128}),
                          ("path", DataType.VARCHAR, {"max_length": 4096}),
                          ("source", DataType.VARCHAR, {"max_length": 4096}),
                          ("title", DataType.VARCHAR, {"max_length": 4096}),
                          ("info", DataType.JSON, {})]),
                ("texts", [("id", DataType.VARCHAR, {"is_primary": True, "max_length": 160}),
                           ("doc_id", DataType.VARCHAR, {"max_length": 128}),
                           ("part", DataType.INT64, {}),
                           ("text", DataType.VARCHAR, {"max_length": VARCHAR_MAX})])):
            schema = c.create_schema(auto_id=False)
            for fname, ftype, kw in fields:
                schema.add_field(fname, ftype, **kw)
            schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
            params = c.prepare_index_params()
            params.add_index("unused", index_type="FLAT", metric_type="L2")
            c.create_collection(self.name(part), schema=schema, index_params=params, consistency_level="Strong")

    def _create_chunks(self, dimension: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        schema = c.create_schema(auto_id=False)
        schema.add_field("rowid", DataType.INT64, is_primary=True)
        schema.add_field("chunk_id", DataType.VARCHAR, max_length=128)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=128)
        schema.add_field("ord", DataType.INT64)
        schema.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX)
        schema.add_field("info", DataType.JSON)  # start, end, heading_path, meta, sentences
        schema.add_field("sentence_vectors", DataType.VARCHAR, max_length=VARCHAR_MAX)
        schema.add_field("words", DataType.VARCHAR, max_length=VARCHAR_MAX)  # plain: the vocabulary
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        for col in ("words_terms", "bigram_terms"):
            schema.add_field(col, DataType.VARCHAR, max_length=VARCHAR_MAX, enable_analyzer=True,
                             analyzer_params={"tokenizer": "standard"})
            schema.add_field(f"{col}_bm25", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(name=f"{col}_fn", function_type=FunctionType.BM25,
                                         input_field_names=[col], output_field_names=[f"{col}_bm25"]))
        params = c.prepare_index_params()
        params.add_index("vector", index_type="FLAT", metric_type="IP")
        params.add_index("doc_id", index_type="INVERTED")
        for col in ("words_terms", "bigram_terms"):
            params.add_index(f"{col}_bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        c.create_collection(self.name("chunks"), schema=schema, index_params=params, consistency_level="Strong")

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass

    # --- metadata ---------------------------------------------------------------------------

    def get_meta(self, key: str, default: Any = None) -> Any:
        rows = self.client.query(self.name("meta"), filter=f"key == {lit(key)}", output_fields=["value"])
        return rows[0]["value"]["v"] if rows else default

    def set_meta(self, key: str, value: Any) -> None:
        self.client.upsert(self.name("meta"), [{"key": key, "value": {"v": value}, "unused": _ZERO}])

    def version(self) -> int:
        return int(self.get_meta("version", 0))

    def _bump(self) -> None:
        self.set_meta("version", self.version() + 1)

    def embedder_info(self) -> EmbedderInfo | None:
        if self._embedder is None:
            info = self.get_meta("embedder")
            self._embedder = EmbedderInfo(**info) if info else None
        return self._embedder

    def check_embedder(self, fingerprint: str) -> None:
        check_fingerprint(self.embedder_info(), self.path, fingerprint)

    def manifest(self) -> dict[str, Any] | None:
        info = self.embedder_info()
        return {"format_version": FORMAT_VERSION, "backend": "milvus", "uri": self.path,
                "embedder": info.__dict__ if info else None, "chunking": self.get_meta("chunking"),
                "counts": self.counts(), "version": self.version()}

    def repair(self, chunking: ChunkingSettings) -> None:
        """Nothing to repair: the manifest is read from the collections themselves."""

    # --- reading ----------------------------------------------------------------------------

    def _has_chunks(self) -> bool:
        self._chunks_ready = self._chunks_ready or bool(self.client.has_collection(self.name("chunks")))
        return self._chunks_ready

    def _rows(self, part: str, filter: str, fields: list[str]) -> Iterator[dict]:
        """Every row matching `filter`, a page at a time."""
        it = self.client.query_iterator(self.name(part), batch_size=PAGE, filter=filter, output_fields=fields)
        try:
            while page := it.next():
                yield from page
        finally:
            it.close()

    def counts(self) -> dict[str, int]:
        """Committed documents and their chunks (half-written chunks are not counted)."""
        docs = self.documents()
        return {"documents": len(docs), "chunks": sum(d.chunks for d in docs)}

    def is_empty(self) -> bool:
        return self.counts()["chunks"] == 0

    def documents(self) -> list[DocInfo]:
        rows = self._rows("docs", "", ["id", "path", "source", "title", "info"])
        docs = [DocInfo(r["id"], r["path"], r["source"], r["title"], r["info"]["size"], r["info"]["mtime_ns"],
                        r["info"]["sha256"], r["info"]["chunker"], r["info"]["chunks"], r["info"]["meta"])
                for r in rows]
        return sorted(docs, key=lambda d: d.source)

    def _doc_rows(self, doc_ids: list[str]) -> dict[str, dict]:
        if not doc_ids:
            return {}
        rows = self.client.query(self.name("docs"), filter=f"id in {lit(doc_ids)}",
                                 output_fields=["id", "path", "source", "title", "info"])
        return {r["id"]: r for r in rows}

    def document(self, doc_id: str) -> Document | None:
        row = self._doc_rows([doc_id]).get(doc_id)
        if row is None:
            return None
        parts = sorted(self._rows("texts", f"doc_id == {lit(doc_id)}", ["part", "text"]), key=lambda r: r["part"])
        info = row["info"]
        return Document(row["id"], row["source"], row["title"], "".join(p["text"] for p in parts), row["path"],
                        info["sha256"], info["meta"])

    @staticmethod
    def _chunk(r: dict) -> Chunk:
        i = r["info"]
        return Chunk(r["chunk_id"], r["doc_id"], r["text"], i["start"], i["end"], tuple(i["heading_path"]), i["meta"],
                     tuple((a, b) for a, b in i["sentences"]))

    def chunks(self, rowids: list[int]) -> dict[int, StoredChunk]:
        if not rowids or not self._has_chunks():
            return {}
        rows = self.client.query(self.name("chunks"), filter=f"rowid in {lit(rowids)}",
                                 output_fields=["rowid", "chunk_id", "doc_id", "text", "info"])
        docs = self._doc_rows(sorted({r["doc_id"] for r in rows}))
        return {r["rowid"]: StoredChunk(r["rowid"], self._chunk(r), docs[r["doc_id"]]["source"],
                                        docs[r["doc_id"]]["title"])
                for r in rows if r["doc_id"] in docs}  # chunks without their document row were never committed

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        if not self._has_chunks():
            return []
        rows = list(self._rows("chunks", f"doc_id == {lit(doc_id)}", ["chunk_id", "doc_id", "ord", "text", "info"]))
        return [self._chunk(r) for r in sorted(rows, key=lambda r: r["ord"])]

    def vocabulary(self) -> list[str]:
        """Every jieba word of the chunks (read through once; the engine caches it per version)."""
        if not self._has_chunks():
            return []
        seen: set[str] = set()
        for r in self._rows("chunks", "", ["words"]):
            seen.update(r["words"].split())
        return sorted(seen)

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        info = self.embedder_info()
        if not info or not chunk_ids or not self._has_chunks():
            return {}
        rows = self.client.query(self.name("chunks"), filter=f"chunk_id in {lit(chunk_ids)}", output_fields=["chunk_id", "sentence_vectors"])
        return {r["chunk_id"]: np.frombuffer(base64.b64decode(r["sentence_vectors"]), dtype=np.float16)
                .reshape(-1, info.dimension).astype(np.float32) for r in rows if r["sentence_vectors"]}

    def _search(self, field: str, data: Any, k: int, doc_ids: list[str] | None, metric: str) -> Ranked:
        if not self._has_chunks() or (doc_ids is not None and not doc_ids):
            return []
        found = self.client.search(self.name("chunks"), data=[data], anns_field=field, limit=k,
                                   filter=f"doc_id in {lit(doc_ids)}" if doc_ids is not None else "",
                                   output_fields=["rowid"],
                                   search_params={"metric_type": metric})
        return [(int(h["entity"]["rowid"]), float(h["distance"])) for h in found[0]]

    def search_dense(self, query_vec: np.ndarray, k: int, doc_ids: list[str] | None = None) -> Ranked:
        vec = np.asarray(query_vec, dtype=np.float32).reshape(-1).tolist()
        return self._search("vector", vec, k, doc_ids, "IP")

    def search_keywords(self, question: str, k: int, doc_ids: list[str] | None = None,
                        bigram_weight: float = 1.0) -> Ranked:
        """BM25 over the hashed words and bigrams (the same terms as the FTS5 query: the
        question's content words, its bigrams without question words), ranked as FTS5 would."""
        q_words, q_bigrams = query_terms(question)
        weights = {"words_terms": 1.0, "bigram_terms": bigram_weight}
        terms = [(col, term(t), weights[col]) for col, tokens in (("words_terms", q_words), ("bigram_terms", q_bigrams))
                 if weights[col] for t in tokens]
        found: dict[int, float] = {}
        for col, weight in weights.items():
            hashed = " ".join(t for c, t, _ in terms if c == col)
            if hashed:
                for rowid, distance in self._search(f"{col}_bm25", hashed, max(k, RESCORE_DEPTH), doc_ids, "BM25"):
                    # Milvus Lite reports BM25 scores negated, as distances
                    found[rowid] = found.get(rowid, 0.0) + abs(distance) * weight
        stats = self._stats()
        if found and stats is not None and stats[0] <= SCAN_MAX:
            found = self._fts5_scores(list(found), terms, *stats)
        return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:k]

    def _fts5_scores(self, rowids: list[int], terms: list[tuple[str, str, float]], n_rows: int,
                     n_tokens: int) -> dict[int, float]:
        """FTS5's bm25() for these rows: IDF from each term's row count, the row's length over
        both columns against the collection's average."""
        rows = self.client.query(self.name("chunks"), filter=f"rowid in {lit(rowids)}",
                                 output_fields=["rowid", "words_terms", "bigram_terms"])
        counted = {r["rowid"]: ({"words_terms": _count(r["words_terms"]), "bigram_terms": _count(r["bigram_terms"])},
                                len(r["words_terms"].split()) + len(r["bigram_terms"].split())) for r in rows}
        present = {(c, t) for c, t, _ in terms if any(t in tf[c] for tf, _ in counted.values())}
        term_idf = {ct: idf(self._rows_with(*ct), n_rows) for ct in present}
        avgdl = n_tokens / n_rows if n_rows else 1.0
        out: dict[int, float] = {}
        for rowid, (tf, length) in counted.items():
            norm = length_norm(length, avgdl)
            score = 0.0
            for col, t, weight in terms:
                freq = weight * tf[col].get(t, 0)
                if freq:
                    score += term_idf[(col, t)] * saturation(freq, norm)
            out[rowid] = score
        return out

    def _rows_with(self, col: str, hashed: str) -> int:
        """How many chunks hold the term, for the version _stats read (one read of every chunk's
        terms per version)."""
        with self._stats_lock:  # concurrent questions (youju serve) must not count twice
            if not self._scanned:
                counts: dict[tuple[str, str], int] = {}
                for r in self._rows("chunks", "", ["words_terms", "bigram_terms"]):
                    for c in ("words_terms", "bigram_terms"):
                        for t in set(r[c].split()):
                            counts[(c, t)] = counts.get((c, t), 0) + 1
                self._term_rows, self._scanned = counts, True
            return self._term_rows.get((col, hashed), 0)

    def _stats(self) -> tuple[int, int] | None:
        """(committed chunks, their keyword tokens) at this version; None when a document row
        predates token totals."""
        version = self.version()
        with self._stats_lock:
            if self._keyword_stats is None or self._keyword_stats[0] != version:
                rows = list(self._rows("docs", "", ["info"]))
                if any("kw_tokens" not in r["info"] for r in rows):
                    return None
                self._keyword_stats = (version, sum(r["info"]["chunks"] for r in rows),
                                       sum(r["info"]["kw_tokens"] for r in rows))
                self._term_rows, self._scanned = {}, False
            return self._keyword_stats[1], self._keyword_stats[2]

    # --- writing ----------------------------------------------------------------------------

    @contextmanager
    def writer(self, embedder: Embedder, name: str, chunking: ChunkingSettings) -> Iterator[MilvusWriter]:
        """One writer at a time in this process (Milvus has no file lock; run one ingest per
        collection across machines)."""
        with self._write_lock:
            self.check_embedder(embedder.fingerprint)
            try:
                yield MilvusWriter(self, embedder, name, chunking)
            finally:
                for part in ("chunks", "texts", "docs", "meta"):  # seal what was written, so it is indexed
                    if self.client.has_collection(self.name(part)):
                        self.client.flush(self.name(part))


class MilvusWriter:
    def __init__(self, index: MilvusIndex, embedder: Embedder, name: str, chunking: ChunkingSettings) -> None:
        self.index = index
        self.client = index.client
        self.embedder = embedder
        self.name = name
        self.chunking = chunking

    def _begin(self) -> None:
        ix = self.index
        if not ix._has_chunks():
            ix._create_chunks(self.embedder.dimension)
        if ix.embedder_info() is None:
            ix.set_meta("embedder", {"fingerprint": self.embedder.fingerprint, "dimension": self.embedder.dimension,
                                     "name": self.name})
            ix.set_meta("format_version", FORMAT_VERSION)
            ix.set_meta("chunking", self.chunking.as_key())
            ix.set_meta("keyword_tokenizer", TOKENIZER_VERSION)

    def _delete(self, path: str, doc_id: str | None = None) -> None:
        """The document stored for `path` (and any half-written one with `doc_id`), chunks first."""
        ix = self.index
        ids = {r["id"] for r in ix._rows("docs", f"path == {lit(path)}", ["id"])}
        if ids:
            self.client.delete(ix.name("docs"), filter=f"id in {lit(sorted(ids))}")  # the commit marker first
        if doc_id:
            ids.add(doc_id)
        # Only where rows exist: every delete is a log each later search applies (Milvus Lite).
        for part in ("chunks", "texts"):
            if ids and (part != "chunks" or ix._has_chunks()) and self.client.query(
                    ix.name(part), filter=f"doc_id in {lit(sorted(ids))}", output_fields=["doc_id"], limit=1):
                self.client.delete(ix.name(part), filter=f"doc_id in {lit(sorted(ids))}")

    def _put_chunks(self, doc_id: str, first: int, chunks: tuple[Chunk, ...], vectors: np.ndarray,
                    sentence_vectors: tuple[np.ndarray, ...]) -> int:
        """Insert the chunks; returns their keyword tokens (for the document row)."""
        rows = []
        tokens = 0
        for i, (c, vec, svec) in enumerate(zip(chunks, vectors, sentence_vectors), start=first):
            kw_words, kw_bigrams = fts_document(c.embedding_text())
            words_terms, bigram_terms = _terms(kw_words), _terms(kw_bigrams)
            tokens += len(words_terms.split()) + len(bigram_terms.split())
            rows.append({"rowid": _rowid(c.id), "chunk_id": c.id, "doc_id": doc_id, "ord": i, "text": c.text,
                         "info": {"start": c.start, "end": c.end, "heading_path": list(c.heading_path),
                                  "meta": c.meta, "sentences": [list(s) for s in c.sentences]},
                         "sentence_vectors": _pack(svec), "words": kw_words[:VARCHAR_MAX // 4],
                         "vector": np.asarray(vec, dtype=np.float32).tolist(),
                         "words_terms": words_terms, "bigram_terms": bigram_terms})
        for i in range(0, len(rows), 256):
            self.client.insert(self.index.name("chunks"), rows[i:i + 256])
        return tokens

    def _put_document(self, doc: Document, size: int, mtime_ns: int, chunker: str, chunks: int,
                      kw_tokens: int) -> None:
        ix = self.index
        parts = [doc.text[i:i + TEXT_PART] for i in range(0, len(doc.text), TEXT_PART)] or [""]
        rows = [{"id": f"{doc.id}:{n}", "doc_id": doc.id, "part": n, "text": p, "unused": _ZERO}
                for n, p in enumerate(parts)]
        for i in range(0, len(rows), 64):
            self.client.insert(ix.name("texts"), rows[i:i + 64])
        self.client.insert(ix.name("docs"), [{  # last: the document exists once this row does
            "id": doc.id, "path": doc.path, "source": doc.source, "title": doc.title, "unused": _ZERO,
            "info": {"size": size, "mtime_ns": mtime_ns, "sha256": doc.sha256, "chunker": chunker, "chunks": chunks,
                     "kw_tokens": kw_tokens, "meta": doc.meta, "added_at": time.time()}}])

    def put(self, items: list[StagedDocument]) -> None:
        self._begin()
        for item in items:
            self._delete(item.document.path, item.document.id)
            tokens = self._put_chunks(item.document.id, 0, item.chunks, item.vectors, item.sentence_vectors)
            self._put_document(item.document, item.size, item.mtime_ns, item.chunker, len(item.chunks), tokens)
        self.index._bump()

    def put_streamed(self, document: Document, size: int, mtime_ns: int, chunker: str, slices: Slices) -> None:
        self._begin()
        self._delete(document.path, document.id)
        first = tokens = 0
        for chunks, vectors, sentence_vectors in slices:
            tokens += self._put_chunks(document.id, first, chunks, vectors, sentence_vectors)
            first += len(chunks)
        self._put_document(document, size, mtime_ns, chunker, first, tokens)
        self.index._bump()

    def remove(self, paths: list[str]) -> None:
        for path in paths:
            self._delete(path)
        self.index._bump()

    def touch(self, path: str, mtime_ns: int) -> None:
        ix = self.index
        for row in ix._rows("docs", f"path == {lit(path)}", ["id", "path", "source", "title", "info"]):
            row["info"]["mtime_ns"] = mtime_ns
            self.client.upsert(ix.name("docs"), [{**row, "unused": _ZERO}])
