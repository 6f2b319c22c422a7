"""Choose the default chunk size by measurement: index the sample corpus at several target
sizes with the default model and compare retrieval (dense, and the default hybrid) on the
shipped evaluation set.

    .venv/bin/python bench/chunk_sizes.py [--sizes 200,300,400,500] [--budget 1500]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import CORPUS, EVAL_SET, header, spans, store_of

from youju import Youju
from youju.config import Settings
from youju.evaluation.evalset import load_eval_set, resolve
from youju.evaluation.metrics import budget_recall, mrr_at_k, recall_at_k


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="200,300,400,500")
    ap.add_argument("--budget", type=int, default=1500, help="context characters for budget recall")
    ap.add_argument("--max", type=int, help="maximum chunk size (default: twice the target)")
    ap.add_argument("--home", type=Path, help="YOUJU_HOME holding the prepared default model")
    args = ap.parse_args()
    items = [i for i in load_eval_set(EVAL_SET) if not i.unanswerable]
    home = args.home or Settings.from_env().home
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            settings = Settings.from_env(changes={"home": home, "index": Path(tmp) / f"idx{size}", "chunking.size": size,
                                                  "chunking.max_size": args.max or 2 * size, "model": "default"})
            engine = Youju(settings, log=lambda m: None)
            engine.ingest([CORPUS], progress=False)
            store = store_of(engine)
            docs = {d.source: (d.id, store.document(d.id).text) for d in store.documents()}
            resolved = resolve(items, docs, EVAL_SET.name)
            lengths = [len(c.text) for d in store.documents() for c in store.doc_chunks(d.id)]
            for mode in ("dense", "hybrid"):
                r1, r5, mrr, br = [], [], [], []
                for r in resolved:
                    hits = list(engine.retrieve(r.item.question, k=20, retrieval=mode).hits)
                    s = spans(hits)
                    r1.append(recall_at_k(s, r.gold, 1))
                    r5.append(recall_at_k(s, r.gold, 5))
                    mrr.append(mrr_at_k(s, r.gold, 10))
                    br.append(budget_recall(s, r.gold, args.budget))
                rows.append((size, mode, len(lengths), statistics.median(lengths),
                             *(sum(x) / len(x) for x in (r1, r5, mrr, br))))
            engine.close()
    print(header("Chunk size (sample eval set)", "bench/chunk_sizes.py " + f"--sizes {args.sizes} --budget {args.budget}" + (f" --max {args.max}" if args.max else "")))
    limit = f"{args.max} characters" if args.max else "2 x target"
    print(f"{len(items)} answerable questions; max chunk = {limit}; one-sentence overlap.\n")
    print(f"| target chars | retrieval | chunks | median chars | Recall@1 | Recall@5 | MRR@10 | Recall@{args.budget} chars |")
    print("|---|---|---|---|---|---|---|---|")
    for size, mode, n, med, r1, r5, mrr, br in rows:
        print(f"| {size} | {mode} | {n} | {med:.0f} | {r1:.3f} | {r5:.3f} | {mrr:.3f} | {br:.3f} |")


if __name__ == "__main__":
    main()
