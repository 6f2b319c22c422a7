"""How retrieval speed grows with the index: build indexes of N synthetic chunks and time the
keyword, dense and hybrid searches for the shipped evaluation questions, on the default backend
(SQLite + FAISS; keyword search through the posting lists from 20,000 chunks on, with FTS5's
bm25() timed beside them) or on Milvus Lite (`--backend milvus`: BM25 and FLAT search in Milvus).

Chunks are 2-5 random sentences of the sample corpus, so the vocabulary is the corpus's own
and every query word matches a large share of all chunks: a worst case for an inverted index,
whose cost grows with the length of the posting lists it reads. Vectors are random unit
vectors of the default model's dimension (384): search cost depends on their number, not
their values, and embedding a million chunks would take hours here. Storing goes through the
real index writer (jieba + bigram keyword columns, SQLite, FAISS), so its rate is measured too.

    .venv/bin/python bench/scale.py --sizes 10000,100000,1000000
    .venv/bin/python bench/scale.py --sizes 10000,100000 --backend milvus
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import CORPUS, EVAL_SET, header

import youju.retrieval.index as index_module
from youju.config import ChunkingSettings
from youju.evaluation.stats import percentile
from youju.records import Chunk, Document
from youju.retrieval.backend import is_milvus, open_index
from youju.retrieval.index import DB_NAME
from youju.retrieval.keywords import fts_query
from youju.retrieval.search import Retriever
from youju.retrieval.store import StagedDocument
from youju.text.sentences import split_sentences

DIM = 384
CHUNKS_PER_DOC = 500


class RandomVectors:
    """Stands in for the embedder: the index writer asks its identity, the retriever a query
    vector (random; hybrid timings leave the query embedding out)."""
    dimension = DIM
    fingerprint = "bench-random-384"

    def __init__(self) -> None:
        self.rng = np.random.default_rng(1)

    def embed_query(self, question: str) -> np.ndarray:
        v = self.rng.standard_normal(DIM).astype(np.float32)
        return v / np.linalg.norm(v)


def corpus_sentences() -> list[str]:
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [s for a, b in split_sentences(text) if len(s := text[a:b].strip()) >= 8]
    return out


def synthetic_document(n: int, sentences: list[str], rng: random.Random) -> tuple[Document, list[Chunk]]:
    pieces = ["".join(rng.choices(sentences, k=rng.randint(2, 5))) for _ in range(CHUNKS_PER_DOC)]
    text = "\n".join(pieces)
    doc_id = hashlib.sha256(f"{n}:{text}".encode()).hexdigest()[:16]
    doc = Document(doc_id, f"synthetic/{n:06d}.txt", f"synthetic {n}", text, f"/synthetic/{n:06d}.txt", doc_id)
    chunks, pos = [], 0
    for i, piece in enumerate(pieces):
        chunks.append(Chunk(f"{doc_id}-{i}", doc_id, piece, pos, pos + len(piece)))
        pos += len(piece) + 1
    return doc, chunks


def build(path: str, size: int, sentences: list[str], factory: str, batch_docs: int = 20) -> dict[str, float]:
    """Grow the index at `path` to `size` chunks (rounded up to whole documents)."""
    rng = random.Random(size)
    index = open_index(path, create=True, faiss_factory=factory)
    have = index.counts()["chunks"]
    docs = have // CHUNKS_PER_DOC
    t0 = time.perf_counter()
    no_sentences = np.zeros((0, DIM), dtype=np.float32)
    lists_from, index_module.POSTINGS_MIN_CHUNKS = index_module.POSTINGS_MIN_CHUNKS, 1 << 62  # timed apart below
    with index.writer(RandomVectors(), "random", ChunkingSettings()) as writer:  # type: ignore[arg-type]
        while docs * CHUNKS_PER_DOC < size:
            items = []
            for _ in range(min(batch_docs, -(-(size - docs * CHUNKS_PER_DOC) // CHUNKS_PER_DOC))):
                doc, chunks = synthetic_document(docs, sentences, rng)
                vecs = np.random.default_rng(docs).standard_normal((len(chunks), DIM)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                items.append(StagedDocument(doc, tuple(chunks), vecs, (no_sentences,) * len(chunks), len(doc.text), 0,
                                            "bench"))
                docs += 1
            writer.put(items)
            print(f"  {docs * CHUNKS_PER_DOC:,} chunks stored, {time.perf_counter() - t0:.0f} s", flush=True)
    store_s = time.perf_counter() - t0
    index_module.POSTINGS_MIN_CHUNKS = lists_from
    t1 = time.perf_counter()
    fresh_lists = not is_milvus(path) and not (Path(path) / f"keywords-{index.version()}").is_dir()
    if not is_milvus(path):
        with index._lock(block=True):  # type: ignore[union-attr]
            index.write_postings(index.version())  # type: ignore[union-attr]
    lists_s = time.perf_counter() - t1
    index.close()
    return {"store_s": store_s, "added": docs * CHUNKS_PER_DOC - have, "chunks": docs * CHUNKS_PER_DOC,
            "lists_s": lists_s if fresh_lists else float("nan")}


def time_queries(path: str, factory: str, questions: list[str], k: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    index = open_index(path, faiss_factory=factory)
    index.search_dense(rng.standard_normal(DIM).astype(np.float32), 1)  # load the dense side once, as an app does
    load_s = time.perf_counter() - t0
    out: dict[str, list[float]] = {"keyword": [], "keyword_first": [], "fts5": [], "matching": [], "dense": [],
                                   "hybrid": [], "load_s": [load_s]}
    retriever = Retriever(index, RandomVectors())  # type: ignore[arg-type]
    db = Path(path) / DB_NAME
    raw = sqlite3.connect(db) if not is_milvus(path) and db.exists() else None  # finding matches, unscored
    for q in questions:  # first round: each question's lists and pages read from disk the first time
        t = time.perf_counter()
        index.search_keywords(q, k)
        out["keyword_first"].append((time.perf_counter() - t) * 1000)
        if raw is not None:
            index.store.keyword_search(fts_query(q), k)  # type: ignore[union-attr]
    for q in questions:  # timed round: warm, as in a server that has answered before
        if raw is not None:
            t = time.perf_counter()
            raw.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (fts_query(q),)).fetchone()
            out["matching"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            index.store.keyword_search(fts_query(q), k)  # type: ignore[union-attr]
            out["fts5"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        index.search_keywords(q, k)
        out["keyword"].append((time.perf_counter() - t) * 1000)
        v = rng.standard_normal(DIM).astype(np.float32)
        v /= np.linalg.norm(v)
        t = time.perf_counter()
        index.search_dense(v, k)
        out["dense"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        found = retriever.retrieve(q, k=5)
        out["hybrid"].append((time.perf_counter() - t) * 1000 - found.timings.get("embed_query", 0.0))
    if raw is not None:
        raw.close()
    index.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="index sizes in chunks, ascending (each grows the last)")
    ap.add_argument("--factory", default="auto", help="FAISS index type, as YOUJU_FAISS_INDEX (auto: by size; Flat, HNSW32, ...)")
    ap.add_argument("-k", type=int, default=30, help="candidates per retriever (the hybrid default)")
    ap.add_argument("--backend", choices=["default", "milvus"], default="default",
                    help="default: SQLite FTS5 + FAISS; milvus: a Milvus Lite file (BM25 and FLAT in Milvus)")
    ap.add_argument("--dir", help="where to build: a folder, a .db file or a milvus:// URI (default: a temporary "
                                  "folder, removed after)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    questions = [json.loads(line)["question"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line]
    sentences = corpus_sentences()
    tmp = tempfile.TemporaryDirectory(prefix="youju-scale-")
    path = args.dir or str(Path(tmp.name) / ("index.db" if args.backend == "milvus" else "index"))
    rows = []
    for size in sizes:
        print(f"building {size:,} chunks ({args.factory})", flush=True)
        built = build(path, size, sentences, args.factory)
        times = time_queries(path, args.factory, questions, args.k)
        db_mb = sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6  # 0 for a server
        lists_mb = sum(f.stat().st_size for f in Path(path).glob("keywords-*/*")) / 1e6
        rows.append((built, db_mb, lists_mb, times))
    tmp.cleanup()
    print()
    print(header("Retrieval speed against index size",
                 f".venv/bin/python bench/scale.py --sizes {args.sizes} --factory {args.factory} "
                 f"--backend {args.backend}"))
    print(f"{len(questions)} questions, top {args.k} per retriever; {len(sentences)} distinct corpus sentences; "
          "timed on a second round (warm; 'first reading' is the first round); hybrid = the retriever's top 5 "
          "(both searches, fusion, reading the chunks) without the query embedding\n")
    print("| chunks | storing, chunks/s | index on disk | keyword lists: build s, MB | keyword ms median (p95) "
          "| keyword, first reading ms median | FTS5 bm25() ms median (p95) | FTS5 finding matches "
          "| dense ms median (p95) | hybrid ms median (p95) |")
    print("|---|---|---|---|---|---|---|---|---|---|")

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} ({percentile(values, 95):.1f})" if values else "-"

    for built, mb, lists_mb, t in rows:
        rate = f"{built['added'] / built['store_s']:,.0f}" if built["added"] else "-"
        lists = f"{built['lists_s']:.0f} s, {lists_mb:,.0f} MB" if lists_mb else "-"  # nan s: built by an earlier run
        print(f"| {built['chunks']:,} | {rate} | {mb:,.0f} MB | {lists} | {cell(t['keyword'])} "
              f"| {statistics.median(t['keyword_first']):.1f} | {cell(t['fts5'])} "
              f"| {statistics.median(t['matching']) if t['matching'] else float('nan'):.1f} "
              f"| {cell(t['dense'])} | {cell(t['hybrid'])} |")


if __name__ == "__main__":
    main()
