"""Dense search by index size: exact (`Flat`) against an inverted file (IVF, as youju's `auto`
setting builds it) and HNSW, at N vectors: build time, memory per vector, single-query latency
and recall@10 against exact search, for a range of search depths (IVF nprobe, HNSW efSearch).

Vectors have the structure of real chunk embeddings, not random ones (on random vectors in 384
dimensions every approximate index looks bad): the default model embeds the sample corpus's
sentences and the shipped questions; a synthetic chunk is the normalised mean of 2-5 random
sentence vectors plus a little noise, as a chunk of 2-5 sentences would be. Queries are the
120 shipped questions. Needs the prepared default model (run `youju ingest` once).

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/dense_scale.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
from common import EVAL_SET, header
from scale import corpus_sentences

from youju.evaluation.stats import percentile
from youju.retrieval import dense as dense_module
from youju.retrieval.dense import DenseIndex, auto_factory

K = 10


def embed(texts: list[str], queries: list[str]) -> tuple[np.ndarray, np.ndarray]:
    from youju.embeddings.encoder import TransformerEncoder

    folder = Path(os.environ.get("YOUJU_HOME", Path.home() / ".youju")) / "models" / "multilingual-e5-small"
    enc = TransformerEncoder(folder)
    return enc.embed_documents(texts), np.stack([enc.embed_query(q) for q in queries])


def synthetic(sentences: np.ndarray, n: int, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, sentences.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        sizes = rng.integers(2, 6, m)
        picks = rng.integers(0, len(sentences), (m, 5))
        mask = np.arange(5)[None, :] < sizes[:, None]
        block = (sentences[picks] * mask[:, :, None]).sum(axis=1) / sizes[:, None]
        block += rng.standard_normal(block.shape).astype(np.float32) * noise / np.sqrt(block.shape[1])
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def latencies(search, queries: np.ndarray) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        search(q.reshape(1, -1))
        out.append((time.perf_counter() - t) * 1000)
    return out


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def measure(n: int, vectors: np.ndarray, queries: np.ndarray, hnsw: bool) -> list[tuple[str, str, float, float, list[float], float]]:
    """Rows of (index, depth, build s, bytes per vector, latencies ms, recall@10)."""
    import faiss

    ids = np.arange(n, dtype=np.int64)
    rows = []
    exact = DenseIndex(vectors.shape[1], "Flat")
    t = time.perf_counter()
    exact.add(ids, vectors)
    build = time.perf_counter() - t
    _, truth = exact.index.search(queries, K)
    rows.append(("Flat", "-", build, len(faiss.serialize_index(exact.index)) / n,
                 latencies(lambda q: exact.index.search(q, K), queries), 1.0))
    factory = auto_factory(max(n, dense_module.EXACT_MAX))
    ivf = DenseIndex(vectors.shape[1], factory)
    t = time.perf_counter()
    rng = np.random.default_rng(1)
    ivf.train(vectors[rng.choice(n, min(n, ivf.training_size), replace=False)])
    ivf.add(ids, vectors)
    build = time.perf_counter() - t
    size = len(faiss.serialize_index(ivf.index)) / n
    for nprobe in (8, 16, 32, 64, 128):
        params = faiss.SearchParametersIVF(nprobe=nprobe)  # type: ignore[call-arg]
        _, found = ivf.index.search(queries, K, params=params)
        rows.append((factory, f"nprobe {nprobe}", build, size,
                     latencies(lambda q, p=params: ivf.index.search(q, K, params=p), queries), recall(found, truth)))
    # the real search path, with youju's default depth
    found = np.stack([ivf.search(q, K)[0] for q in queries])
    rows.append((f"{factory} (youju)", f"nprobe {dense_module.NPROBE}", build, size,
                 latencies(lambda q: ivf.search(q[0], K), queries), recall(found, truth)))
    if hnsw:
        index = faiss.index_factory(vectors.shape[1], "HNSW32", faiss.METRIC_INNER_PRODUCT)
        t = time.perf_counter()
        index.add(vectors)
        build = time.perf_counter() - t
        size = len(faiss.serialize_index(index)) / n
        for ef in (32, 64, 128):
            params = faiss.SearchParametersHNSW(efSearch=ef)  # type: ignore[call-arg]
            _, found = index.search(queries, K, params=params)
            rows.append(("HNSW32", f"efSearch {ef}", build, size,
                         latencies(lambda q, p=params: index.search(q, K, params=p), queries), recall(found, truth)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="numbers of vectors")
    ap.add_argument("--noise", type=float, default=0.1, help="noise added to each synthetic chunk vector (norm)")
    ap.add_argument("--no-hnsw", action="store_true", help="leave HNSW32 out (its build is the slowest)")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line]
    sentence_vecs, queries = embed(corpus_sentences(), questions)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"{n:,} vectors", flush=True)
        results.append((n, measure(n, synthetic(sentence_vecs, n, args.noise), queries, not args.no_hnsw)))
    print()
    print(header("Dense search by index size",
                 f"YOUJU_HOME=/tmp/yh .venv/bin/python bench/dense_scale.py --sizes {args.sizes}"
                 + (" --no-hnsw" if args.no_hnsw else "")))
    print(f"{len(queries)} questions, top {K}; synthetic chunk vectors from {len(sentence_vecs)} embedded sentences "
          f"(noise {args.noise})\n")
    print("| vectors | index | depth | build s | bytes per vector | ms median (p95) | recall@10 vs exact |")
    print("|---|---|---|---|---|---|---|")
    for n, rows in results:
        for name, depth, build, size, lat, rec in rows:
            print(f"| {n:,} | {name} | {depth} | {build:.1f} | {size:,.0f} | {statistics.median(lat):.2f} "
                  f"({percentile(lat, 95):.2f}) | {rec:.3f} |")


if __name__ == "__main__":
    main()
