"""Embedding memory and speed per token budget (texts x padded length per forward pass): the
sample corpus's chunks, as ingest embeds them, by the default model through ONNX Runtime. Each
(budget, repeat) runs in a fresh subprocess, the budgets interleaved, so every row is measured
under the same machine load; reports the median wall time of the embedding and the median peak
RSS of the subprocess. 0 means no budget (batches of 32 texts only, the behaviour before).

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/token_budget.py --budgets 0,4096,2048,1024,512 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from common import header

CHILD = """
import json, resource, sys, time
from pathlib import Path
from youju.config import ChunkingSettings, Settings
from youju.embeddings import default_model
from youju.embeddings.encoder import TransformerEncoder
from youju.ingest.documents import build_document
budget = int(sys.argv[1])
chunks = [c for p in sorted(Path(sys.argv[2]).glob("*.txt"))
          for c in build_document(p, p.name, p.read_bytes(), ChunkingSettings()).chunks]
texts = [c.embedding_text() for c in chunks]
enc = TransformerEncoder(default_model.prepare(Settings().models_dir, quiet=True), batch_size=32,
                         token_budget=budget or 10**9)
enc.load()
t0 = time.perf_counter()
enc.embed_documents(texts)
print(json.dumps({"seconds": time.perf_counter() - t0, "texts": len(texts),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budgets", default="0,4096,2048,1024,512")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from common import CORPUS

    budgets = [int(b) for b in args.budgets.split(",")]
    runs: dict[int, list[dict[str, float]]] = {b: [] for b in budgets}
    for _ in range(args.repeat):
        for b in budgets:
            out = subprocess.run([sys.executable, "-c", CHILD, str(b), str(CORPUS)], capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(out.stderr[-500:])
            runs[b].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(header("Embedding memory and speed per token budget",
                 f".venv/bin/python bench/token_budget.py --budgets {args.budgets} --repeat {args.repeat}"))
    base = statistics.median(r["seconds"] for r in runs[budgets[0]])
    print(f"{runs[budgets[0]][0]['texts']:,} chunks of the sample corpus, {args.repeat} runs each, medians\n")
    print("| token budget | embed s | vs first row | peak RSS MB |\n|---:|---:|---:|---:|")
    for b in budgets:
        sec = statistics.median(r["seconds"] for r in runs[b])
        rss = statistics.median(r["rss_mb"] for r in runs[b])
        print(f"| {b or 'none'} | {sec:.1f} | {sec / base:.2f}x | {rss:,.0f} |")


if __name__ == "__main__":
    main()
