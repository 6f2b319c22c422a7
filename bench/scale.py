"""How retrieval speed grows with the index: build indexes of N synthetic chunks and time the
keyword and dense searches for the shipped evaluation questions, on the default backend
(SQLite FTS5 + FAISS) or on Milvus Lite (`--backend milvus`: BM25 and FLAT search in Milvus).

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

from youju.config import ChunkingSettings
from youju.evaluation.stats import percentile
from youju.records import Chunk, Document
from youju.retrieval.backend import is_milvus, open_index
from youju.retrieval.index import DB_NAME
from youju.retrieval.keywords import fts_query
from youju.retrieval.store import StagedDocument
from youju.text.sentences import split_sentences

DIM = 384
CHUNKS_PER_DOC = 500


class RandomVectors:
    """Stands in for the embedder at the index writer: only its identity is asked."""
    dimension = DIM
    fingerprint = "bench-random-384"


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
    index.close()
    return {"store_s": time.perf_counter() - t0, "added": docs * CHUNKS_PER_DOC - have,
            "chunks": docs * CHUNKS_PER_DOC}


def time_queries(path: str, factory: str, questions: list[str], k: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    index = open_index(path, faiss_factory=factory)
    index.search_dense(rng.standard_normal(DIM).astype(np.float32), 1)  # load the dense side once, as an app does
    load_s = time.perf_counter() - t0
    out: dict[str, list[float]] = {"keyword": [], "matching": [], "dense": [], "load_s": [load_s]}
    db = Path(path) / DB_NAME
    raw = sqlite3.connect(db) if not is_milvus(path) and db.exists() else None  # finding matches, unscored
    for q in questions:
        if raw is not None:
            t = time.perf_counter()
            raw.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (fts_query(q),)).fetchone()
            out["matching"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        index.search_keywords(q, k)
        out["keyword"].append((time.perf_counter() - t) * 1000)
        v = rng.standard_normal(DIM).astype(np.float32)
        v /= np.linalg.norm(v)
        t = time.perf_counter()
        index.search_dense(v, k)
        out["dense"].append((time.perf_counter() - t) * 1000)
    if raw is not None:
        raw.close()
    index.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="index sizes in chunks, ascending (each grows the last)")
    ap.add_argument("--factory", default="Flat", help="FAISS index type, as YOUJU_FAISS_INDEX (e.g. HNSW32)")
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
        rows.append((built["chunks"], built["added"] / built["store_s"], db_mb, times))
    tmp.cleanup()
    print()
    print(header("Retrieval speed against index size",
                 f".venv/bin/python bench/scale.py --sizes {args.sizes} --factory {args.factory} "
                 f"--backend {args.backend}"))
    print(f"{len(questions)} questions, top {args.k} per retriever; {len(sentences)} distinct corpus sentences\n")
    print("| chunks | storing, chunks/s | index on disk | open + dense load | keyword ms median (p95) "
          "| of which finding matches | dense ms median (p95) |")
    print("|---|---|---|---|---|---|---|")
    for size, rate, mb, t in rows:
        print(f"| {size:,} | {rate:,.0f} | {mb:,.0f} MB | {t['load_s'][0]:.1f} s "
              f"| {statistics.median(t['keyword']):.1f} ({percentile(t['keyword'], 95):.1f}) "
              f"| {statistics.median(t['matching']) if t['matching'] else float('nan'):.1f} "
              f"| {statistics.median(t['dense']):.1f} ({percentile(t['dense'], 95):.1f}) |")


if __name__ == "__main__":
    main()
