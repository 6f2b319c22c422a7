"""Embedding memory and speed per token budget (texts x padded length per forward pass): the
sample corpus's chunks, as ingest embeds them, by the default model through ONNX Runtime. Each
(budget, repeat) runs in a fresh subprocess, the budgets interleaved, so every row is measured
under the same machine load; reports the median wall time of the embedding and the median peak
RSS of the subprocess. 0 means no budget (batches of 32 texts only, the behaviour before).
`--tokenizers pieces,full` also compares how the passages are tokenized: from the vocabulary
copy (`embeddings.pieces`, what ingest does) or by the full tokenizer (built first, as ingest
did before; about 290 MB of vocabulary structures).

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/token_budget.py --budgets 0,4096,2048,1024,512 --repeat 3
    YOUJU_HOME=/tmp/yh .venv/bin/python bench/token_budget.py --budgets 1024 --tokenizers pieces,full --repeat 5
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
full = sys.argv[3] == "full"
chunks = [c for p in sorted(Path(sys.argv[2]).glob("*.txt"))
          for c in build_document(p, p.name, p.read_bytes(), ChunkingSettings()).chunks]
texts = [c.embedding_text() for c in chunks]
enc = TransformerEncoder(default_model.prepare(Settings().models_dir, quiet=True), batch_size=32,
                         token_budget=budget or 10**9)
enc.load()
t0 = time.perf_counter()
if full:
    enc._full_tokenizer()  # built, so _encode uses it
enc.embed_documents(texts)
print(json.dumps({"seconds": time.perf_counter() - t0, "texts": len(texts),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budgets", default="0,4096,2048,1024,512")
    ap.add_argument("--tokenizers", default="pieces", help="pieces, full or both (pieces,full)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from common import CORPUS

    rows = [(int(b), t) for b in args.budgets.split(",") for t in args.tokenizers.split(",")]
    runs: dict[tuple[int, str], list[dict[str, float]]] = {r: [] for r in rows}
    for _ in range(args.repeat):
        for b, t in rows:
            out = subprocess.run([sys.executable, "-c", CHILD, str(b), str(CORPUS), t], capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(out.stderr[-500:])
            runs[(b, t)].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(header("Embedding memory and speed per token budget",
                 f".venv/bin/python bench/token_budget.py --budgets {args.budgets} --tokenizers {args.tokenizers} "
                 f"--repeat {args.repeat}"))
    base = statistics.median(r["seconds"] for r in runs[rows[0]])
    print(f"{runs[rows[0]][0]['texts']:,} chunks of the sample corpus, {args.repeat} runs each, medians\n")
    print("| token budget | tokenizer | embed s (incl. tokenizing) | vs first row | peak RSS MB |\n"
          "|---:|---|---:|---:|---:|")
    for b, t in rows:
        sec = statistics.median(r["seconds"] for r in runs[(b, t)])
        rss = statistics.median(r["rss_mb"] for r in runs[(b, t)])
        print(f"| {b or 'none'} | {t} | {sec:.1f} | {sec / base:.2f}x | {rss:,.0f} |")


if __name__ == "__main__":
    main()
