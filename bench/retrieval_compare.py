"""youju's retrieval against what a user would build instead, on the shipped evaluation set.

Peers (the obvious builds, on the raw files, as a user would load them):
  - BM25 over jieba words: LangChain BM25Retriever (rank_bm25) with jieba.lcut
  - LangChain dense: RecursiveCharacterTextSplitter with Chinese separators, HuggingFaceEmbeddings
    with the same model and its prompts, FAISS
  - LangChain hybrid: EnsembleRetriever of the two (weighted reciprocal-rank fusion)
youju: keyword (BM25 over jieba words + CJK bigrams, SQLite FTS5), dense, hybrid (RRF).

Recall@k counts an evidence span as found when a passage covers at least half of it; "Recall@B
chars" takes passages in rank order until B characters of context are used (fair across chunk
sizes). Needs the bench extra: .venv/bin/pip install -e '.[bench]'

    .venv/bin/python bench/retrieval_compare.py [--budget 1500] [--chunk-size 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import CORPUS, EVAL_SET, header, spans, store_of

from youju import Youju
from youju.config import Settings
from youju.evaluation.evalset import load_eval_set, resolve
from youju.evaluation.metrics import budget_recall, mrr_at_k, recall_at_k
from youju.retrieval.keywords import fts_query

SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "，", " ", ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=1500)
    ap.add_argument("--chunk-size", type=int, default=300, help="the peers' chunk size (youju uses its default)")
    ap.add_argument("--home", type=Path, help="YOUJU_HOME holding the prepared default model")
    ap.add_argument("--misses", action="store_true", help="also list the questions youju hybrid misses at Recall@5")
    args = ap.parse_args()
    items = [i for i in load_eval_set(EVAL_SET) if not i.unanswerable]
    home = args.home or Settings.from_env().home
    results: dict[str, list[tuple[list, list, float]]] = {}  # system -> [(spans, gold, ms)]
    with tempfile.TemporaryDirectory() as tmp:
        engine = Youju(Settings.from_env(changes={"home": home, "index": Path(tmp) / "idx", "model": "default"}), log=lambda m: None)
        engine.ingest([CORPUS], progress=False)
        store = store_of(engine)
        ours_gold = resolve(items, {d.source: (d.id, store.document(d.id).text) for d in store.documents()})
        engine.warm_up()
        for mode in ("keyword", "dense", "hybrid"):
            results[f"youju {mode}"] = [_run(lambda q, m=mode: list(engine.retrieve(q, k=20, retrieval=m).hits), r, spans)
                                        for r in ours_gold]
        results["youju keyword, words only (no bigrams)"] = [
            _run(lambda q: _words_only(engine, q), r, lambda rows: rows) for r in ours_gold]
        results["youju hybrid, textbook RRF (k=60, equal weights)"] = [
            _run(lambda q: _textbook(engine, q), r, spans) for r in ours_gold]
        model_dir = engine.embedder.model_id
        peers = _peers(model_dir, args.chunk_size)
        raw = {p.name: (p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))}
        peer_gold = resolve(items, raw)
        for name, retriever in peers.items():
            results[name] = [_run(retriever.invoke, r, _lc_spans) for r in peer_gold]
        engine.close()

    print(header("Retrieval: youju against the obvious alternatives",
                 f"bench/retrieval_compare.py --budget {args.budget} --chunk-size {args.chunk_size}"))
    print(f"{len(items)} answerable questions of {EVAL_SET.name}; default model for every dense retriever; "
          f"peers chunk the raw files at {args.chunk_size} characters with 50 overlap.\n")
    print(f"| system | Recall@1 | Recall@5 | MRR@10 | Recall@{args.budget} chars | median ms/query |")
    print("|---|---|---|---|---|---|")
    for name, rows in results.items():
        r1 = statistics.mean(recall_at_k(s, g, 1) for s, g, _ in rows)
        r5 = statistics.mean(recall_at_k(s, g, 5) for s, g, _ in rows)
        mrr = statistics.mean(mrr_at_k(s, g, 10) for s, g, _ in rows)
        br = statistics.mean(budget_recall(s, g, args.budget) for s, g, _ in rows)
        ms = statistics.median(t for *_, t in rows)
        print(f"| {name} | {r1:.3f} | {r5:.3f} | {mrr:.3f} | {br:.3f} | {ms:.1f} |")
    if args.misses:
        missed = [f"{item.id} {item.question}" for item, (s, g, _) in zip(items, results["youju hybrid"])
                  if recall_at_k(s, g, 5) < 1]
        print("\nyouju hybrid misses at Recall@5: " + ("; ".join(missed) or "none"))


def _run(search, resolved, to_spans):
    t0 = time.perf_counter()
    found = search(resolved.item.question)
    ms = (time.perf_counter() - t0) * 1000
    return to_spans(found), resolved.gold, ms


def _words_only(engine: Youju, question: str):
    store = store_of(engine)
    rows = store.keyword_search(fts_query(question, use_bigrams=False) or '""', 20)
    found = store.chunks([r for r, _ in rows])
    return [(found[r].chunk.doc_id, found[r].chunk.start, found[r].chunk.end) for r, _ in rows if r in found]


def _textbook(engine: Youju, question: str):
    from youju.config import RetrievalSettings
    from youju.retrieval.index import Index
    from youju.retrieval.search import Retriever

    index = Index.open(engine.settings.index_dir)
    return list(Retriever(index, engine.embedder, RetrievalSettings(rrf_k=60, dense_weight=1.0)).retrieve(question, 20).hits)


def _lc_spans(docs) -> list[tuple[str, int, int]]:
    return [(d.metadata["doc"], d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content))
            for d in docs]


def _peers(model_dir: str, chunk_size: int) -> dict:
    try:
        import jieba
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError as exc:
        raise SystemExit(f"peer libraries missing ({exc.name}); run: .venv/bin/pip install -e '.[bench]'") from None
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=50, separators=SEPARATORS,
                                              keep_separator="end", add_start_index=True)
    docs = []
    for path in sorted(CORPUS.glob("*.txt")):
        docs += splitter.split_documents([Document(path.read_text(encoding="utf-8"), metadata={"doc": path.name})])
    embeddings = HuggingFaceEmbeddings(model_name=model_dir, model_kwargs={"device": "cpu"},
                                       encode_kwargs={"normalize_embeddings": True, "prompt": "passage: "},
                                       query_encode_kwargs={"normalize_embeddings": True, "prompt": "query: "})
    dense = FAISS.from_documents(docs, embeddings).as_retriever(search_kwargs={"k": 20})
    bm25 = BM25Retriever.from_documents(docs, preprocess_func=jieba.lcut, k=20)
    hybrid = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
    return {"BM25 over jieba words (rank_bm25)": bm25, "LangChain dense (FAISS)": dense,
            "LangChain hybrid (EnsembleRetriever, RRF)": hybrid}


if __name__ == "__main__":
    main()
