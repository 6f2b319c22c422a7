"""Warm answer latency on the sample corpus: one engine (model loaded, index open, one question
asked to warm up), then every question of the shipped and the new sample sets asked --rounds
times, end to end (`Youju.ask`: check, embed the question, search, select, verify). Reports
the median and 90th percentile of the whole call and of each stage the answer records, and
counts embedding calls at question time (there should be one per question: the question).

    .venv/bin/python bench/answer_latency.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import CORPUS, REPO, header

from youju import Settings, Youju
from youju.evaluation.evalset import load_eval_set

SETS = [REPO / "data" / "eval" / "sample.jsonl", REPO / "data" / "eval" / "sample-new.jsonl"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--home", type=Path, help="YOUJU_HOME holding the prepared default model")
    args = ap.parse_args()
    questions = [item.question for path in SETS for item in load_eval_set(path)]
    home = args.home or Settings.from_env().home
    with tempfile.TemporaryDirectory() as tmp, \
            Youju(Settings.from_env(home=home, index=Path(tmp) / "idx"), log=lambda m: None) as yj:
        yj.ingest([CORPUS], progress=False)
        yj.ask(questions[0])  # warm: model loaded, index open, answer model read
        embedder = yj.embedder
        calls = {"query": 0, "documents": 0}
        embed_query, embed_documents = embedder.embed_query, embedder.embed_documents

        def counted_query(text: str):
            calls["query"] += 1
            return embed_query(text)

        def counted_documents(texts: list[str]):
            calls["documents"] += 1
            return embed_documents(texts)

        embedder.embed_query = counted_query  # type: ignore[method-assign]
        embedder.embed_documents = counted_documents  # type: ignore[method-assign]
        forward = getattr(embedder, "_forward", None)  # the model itself (TransformerEncoder)
        if forward is not None:
            calls["forward_texts"] = 0

            def counted_forward(ids, **kwargs):
                calls["forward_texts"] += len(ids)
                return forward(ids, **kwargs)

            embedder._forward = counted_forward  # type: ignore[attr-defined]
        total: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for q in questions:
                t0 = time.perf_counter()
                answer = yj.ask(q)
                total.append((time.perf_counter() - t0) * 1000)
                for name, ms in answer.timings.items():
                    stages.setdefault(name, []).append(ms)
    print(header("Warm answer latency (sample corpus)", "python bench/answer_latency.py"))
    print(f"- {len(questions)} questions x {args.rounds} rounds; embedding calls at question time: "
          f"{calls['query']} query calls (retrieval and answering share a cached vector), "
          f"{calls['documents']} document batches; texts through the model: {calls.get('forward_texts', '?')} "
          f"(one per question not in the 64-entry query cache)\n")
    print("| stage | p50 ms | p90 ms |\n|---|---|---|")
    print(f"| **whole answer** | **{statistics.median(total):.1f}** | **{percentile(total, 0.9):.1f}** |")
    for name, values in sorted(stages.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.9):.2f} |")


if __name__ == "__main__":
    main()
