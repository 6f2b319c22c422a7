"""Do the keyword posting lists rank as FTS5 does? For each index and evaluation set given,
build the lists (in a temporary folder) and compare their top k with FTS5's `bm25()` for every question, at
two bigram column weights: same rows in the same order, same scores to 1e-9 (relative).

    .venv/bin/python bench/keyword_lists_check.py /tmp/qa/idx-sample:data/eval/sample.jsonl \\
        /tmp/qa/idx-cmrc:.cache/qa/cmrc-report.jsonl /tmp/qa/idx-drcd:.cache/qa/drcd-report.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (puts the repository on sys.path)

from youju.retrieval.index import Index
from youju.retrieval.keywords import fts_query, query_terms
from youju.retrieval.postings import Postings


def check(index_dir: Path, eval_set: Path, k: int) -> tuple[int, int, list[float], list[float]]:
    index = Index.open(index_dir)
    with tempfile.TemporaryDirectory() as tmp:
        postings = Postings.build(index.store._db(), index.version(), Path(tmp) / "lists")
        return _compare(index, postings, eval_set, k)


def _compare(index: Index, postings: Postings, eval_set: Path, k: int) -> tuple[int, int, list[float], list[float]]:
    questions = [json.loads(line)["question"] for line in eval_set.read_text(encoding="utf-8").splitlines() if line]
    same = total = 0
    fts_ms: list[float] = []
    lists_ms: list[float] = []
    for q in questions:
        for weight in (1.0, 0.5):
            match = fts_query(q)
            t = time.perf_counter()
            expected = index.store.keyword_search(match, k, None, (1.0, weight)) if match else []
            fts_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            got = postings.search(*query_terms(q), k, (1.0, weight))
            lists_ms.append((time.perf_counter() - t) * 1000)
            total += 1
            same += got is not None and [r for r, _ in got] == [r for r, _ in expected] and all(
                abs(a - b) <= 1e-9 * abs(b) for (_, a), (_, b) in zip(got, expected))
    index.close()
    return same, total, fts_ms, lists_ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pairs", nargs="+", help="INDEX_DIR:EVAL_SET.jsonl")
    ap.add_argument("-k", type=int, default=30)
    args = ap.parse_args()
    print("| index | questions x weights | identical top k | FTS5 ms median | lists ms median |")
    print("|---|---|---|---|---|")
    for pair in args.pairs:
        index_dir, eval_set = pair.split(":", 1)
        same, total, fts_ms, lists_ms = check(Path(index_dir), Path(eval_set), args.k)
        print(f"| {index_dir} | {total} | {same} | {statistics.median(fts_ms):.2f} | {statistics.median(lists_ms):.2f} |")


if __name__ == "__main__":
    main()
