"""The same documents and evaluation sets on the default index (SQLite + FAISS) and on Milvus
Lite, in one run: retrieval and answer metrics side by side, ingest time and per-question
search time. The Milvus backend must give the same retrieval figures (within 0.01).

    .venv/bin/python bench/milvus_compare.py                 # sample, sample-new, newdocs
    .venv/bin/python bench/milvus_compare.py --qa            # also the CMRC/DRCD report splits
                                                             # (scripts/qa_eval_sets.py writes them)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, fresh_home, header

METRICS = ["recall@1", "recall@5", "mrr@10", "key_fact_recall", "citation_precision", "abstain_recall",
           "false_abstention"]
SHARED = REPO.parent / "shared" / "qa-data"


def sets(qa: bool) -> list[tuple[str, Path, Path]]:
    """(name, evaluation set, documents folder)."""
    out = [("sample", REPO / "data/eval/sample.jsonl", REPO / "data/corpus"),
           ("sample-new", REPO / "data/eval/sample-new.jsonl", REPO / "data/corpus"),
           ("newdocs", REPO / "data/eval/newdocs.jsonl", REPO / "data/eval/newdocs")]
    if qa:
        out += [("cmrc-report", REPO / ".cache/qa/cmrc-report.jsonl", SHARED / "cmrc-trial/corpus"),
                ("drcd-report", REPO / ".cache/qa/drcd-report.jsonl", SHARED / "drcd-test/corpus")]
    return out


def measure(home: Path, index: str, eval_set: Path, docs: Path) -> dict[str, float]:
    from youju import Settings, Youju

    with Youju(Settings(home=home, index=index), log=lambda m: None) as yj:
        t0 = time.perf_counter()
        yj.ingest([docs], progress=False)
        ingest_s = time.perf_counter() - t0
        run = yj.evaluate(eval_set)
        out = {m: v.value for m in METRICS if (v := run.metric(m)) is not None}
        lat = run.summary.latency_ms
        out["ingest_s"] = ingest_s
        out["search_ms"] = sum(lat[s].p50 for s in ("dense_search", "keyword_search") if s in lat)
        out["answer_ms"] = lat["total"].p50 if "total" in lat else float("nan")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qa", action="store_true", help="also the CMRC 2018 / DRCD report splits")
    args = ap.parse_args()
    print(header("Default index vs Milvus Lite", "python bench/milvus_compare.py" + (" --qa" if args.qa else "")))
    cols = METRICS + ["ingest_s", "search_ms", "answer_ms"]
    print("| set | backend | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    worst = 0.0
    for name, eval_set, docs in sets(args.qa):
        if not eval_set.exists():
            print(f"(skipped {name}: {eval_set} is missing)", file=sys.stderr)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            home = fresh_home(Path(tmp) / "home")
            got = {"default": measure(home, str(Path(tmp) / "index"), eval_set, docs),
                   "milvus-lite": measure(home, str(Path(tmp) / "milvus.db"), eval_set, docs)}
        for backend, values in got.items():
            print(f"| {name} | {backend} | " + " | ".join(f"{values.get(c, float('nan')):.3f}" if c in METRICS
                                                          else f"{values.get(c, float('nan')):.1f}" for c in cols) + " |")
        for m in ("recall@1", "recall@5", "mrr@10"):
            worst = max(worst, abs(got["default"][m] - got["milvus-lite"][m]))
    print(f"\nlargest retrieval difference: {worst:.3f} (target <= 0.01)")
    return 0 if worst <= 0.01 else 1


if __name__ == "__main__":
    raise SystemExit(main())
