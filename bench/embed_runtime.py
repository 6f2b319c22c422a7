"""The default model's runtimes side by side, and the cold command line they give, in one run:

- cold start: a fresh `youju ask` on an indexed sample corpus (wall clock, median of --repeat)
  against a bare `python -c "import sentence_transformers"` in the same run;
- per runtime (ONNX Runtime, torch; each in a fresh process): import + load, one query's
  latency (median over the evaluation questions), batch throughput over the corpus chunks,
  and agreement with the torch vectors (minimum cosine) and retrieval top-5 over the set.

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/embed_runtime.py [--repeat 5]

`--exports` instead compares two ONNX exports of the same weights (torch's exporter tracing
transformers' sdpa attention, what youju <= 0.2.0 wrote, and its plain "eager" attention, what
`encoder.export_onnx` writes now): passage throughput over the
sample corpus's chunks as ingest embeds them, each export in a fresh process, interleaved.

The home must hold the prepared default model (any `youju ingest` prepares it); the bench
indexes the sample corpus into its own temporary home that reuses those model files.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CORPUS, EVAL_SET, REPO, fresh_home, header

PY = sys.executable
YOUJU = str(Path(PY).with_name("youju"))

# Runs in a fresh interpreter: load one runtime, time it, embed, dump vectors.
_WORKER = r"""
import json, sys, time
t0 = time.perf_counter()
from youju.embeddings.encoder import TransformerEncoder
enc = TransformerEncoder(sys.argv[1], runtime=sys.argv[2])
enc.load()
load = time.perf_counter() - t0
queries = json.loads(open(sys.argv[3]).read())
texts = json.loads(open(sys.argv[4]).read())
enc.embed_query("热身")
lat = []
qv = []
for q in queries:
    t = time.perf_counter(); qv.append(enc._embed([q], "query")[0]); lat.append(time.perf_counter() - t)
enc._full_tokenizer()  # built when a batch first needs it; kept out of the batch time
t = time.perf_counter(); dv = enc.embed_documents(texts); batch = time.perf_counter() - t
import numpy as np
np.save(sys.argv[5] + ".q.npy", np.stack(qv)); np.save(sys.argv[5] + ".d.npy", dv)
tokens = enc.count_tokens(texts)
print(json.dumps({"load_s": load, "query_ms": sorted(lat)[len(lat) // 2] * 1000,
                  "batch_s": batch, "tokens": tokens, "used": enc.runtime_in_use}))
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


# Runs in a fresh interpreter: embed the sample chunks (as ingest does) with one export.
_EXPORT_WORKER = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from youju.config import ChunkingSettings
from youju.embeddings.encoder import TransformerEncoder
from youju.ingest.documents import build_document
texts = [c.embedding_text() for p in sorted(Path(sys.argv[2]).glob("*.txt"))
         for c in build_document(p, p.name, p.read_bytes(), ChunkingSettings()).chunks]
t0 = time.perf_counter()
enc = TransformerEncoder(sys.argv[1], runtime="onnx")
enc.load()
load = time.perf_counter() - t0
enc.embed_query("热身")
t0 = time.perf_counter()
vectors = enc.embed_documents(texts)
seconds = time.perf_counter() - t0
np.save(sys.argv[3], vectors)
print(json.dumps({"load_s": load, "seconds": seconds, "tokens": enc.count_tokens(texts),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def compare_exports(folder: Path, repeat: int) -> None:
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        variants = {}
        for name, attention in (("sdpa attention traced (before)", "sdpa"), ("eager attention traced (now)", "eager")):
            dest = Path(tmp) / attention
            dest.mkdir()
            for f in folder.iterdir():  # the same weights and tokenizer; only the export differs
                if f.name != "onnx":
                    os.symlink(f, dest / f.name)
            (dest / "onnx").mkdir()
            for f in (folder / "onnx").iterdir():
                if f.name.startswith("pieces"):
                    os.symlink(f, dest / "onnx" / f.name)
            # in a child process, so this one's peak RSS (inherited by the workers' counters) stays small
            subprocess.run([PY, "-c", "import sys; from pathlib import Path; from youju.embeddings.encoder import "
                            "export_onnx; export_onnx(Path(sys.argv[1]), attention=sys.argv[2])", str(dest), attention],
                           check=True, capture_output=True)
            variants[name] = dest
        runs: dict[str, list[dict[str, float]]] = {n: [] for n in variants}
        for _ in range(repeat):
            for name, dest in variants.items():
                out = subprocess.run([PY, "-c", _EXPORT_WORKER, str(dest), str(CORPUS), str(dest / "v.npy")],
                                     check=True, capture_output=True, text=True)
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
        vectors = {n: np.load(d / "v.npy") for n, d in variants.items()}
    first = next(iter(variants))
    base = statistics.median(r["seconds"] for r in runs[first])
    print(header("ONNX exports of the default model",
                 f"YOUJU_HOME=/tmp/yh .venv/bin/python bench/embed_runtime.py --exports --repeat {repeat}"))
    print(f"{runs[first][0]['tokens']:,} tokens of the sample corpus's chunks, {repeat} fresh processes per "
          "export, interleaved; medians\n")
    print("| export | embed s | tokens/s | speed vs before | session load s | peak RSS MB | min cosine to before |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    for name, rows in runs.items():
        sec = statistics.median(r["seconds"] for r in rows)
        cos = float((vectors[name] * vectors[first]).sum(axis=1).min())
        print(f"| {name} | {sec:.2f} | {rows[0]['tokens'] / sec:,.0f} | {base / sec:.2f}x | "
              f"{statistics.median(r['load_s'] for r in rows):.2f} | "
              f"{statistics.median(r['rss_mb'] for r in rows):,.0f} | {cos:.6f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="cold starts per command; medians are reported")
    ap.add_argument("--exports", action="store_true", help="compare the dynamo and TorchScript ONNX exports")
    args = ap.parse_args()
    src_home = Path(os.environ.get("YOUJU_HOME", Path.home() / ".youju"))
    folder = src_home / "models" / "multilingual-e5-small"
    if not (folder / "onnx" / "model.onnx").is_file():
        sys.exit(f"no prepared default model with an ONNX export in {folder}; run `youju ingest` first")
    if args.exports:
        compare_exports(folder, args.repeat)
        return
    import numpy as np

    from youju.evaluation.evalset import load_eval_set

    questions = [i.question for i in load_eval_set(EVAL_SET)]
    with tempfile.TemporaryDirectory() as tmp:
        home = fresh_home(Path(tmp) / "home")
        env = {**os.environ, "YOUJU_HOME": str(home)}
        subprocess.run([YOUJU, "ingest", str(CORPUS)], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        from youju.retrieval.index import Index

        store = Index.open(home / "index").store
        texts = [c.text for d in store.documents() for c in store.doc_chunks(d.id)]
        store.close()
        qf, tf = Path(tmp) / "q.json", Path(tmp) / "t.json"
        qf.write_text(json.dumps(questions, ensure_ascii=False))
        tf.write_text(json.dumps(texts, ensure_ascii=False))
        # Cold starts, interleaved so machine noise hits both alike.
        ask = [YOUJU, "ask", "南京都市圈的面积有多大?"]
        bare = [PY, "-c", "import sentence_transformers"]
        cold_ask, cold_bare = [], []
        for _ in range(args.repeat):
            cold_ask.append(timed(ask, env))
            cold_bare.append(timed(bare, env))
        rows = {}
        for runtime in ("onnx", "torch"):
            out = subprocess.run([PY, "-c", _WORKER, str(folder), runtime, str(qf), str(tf),
                                  str(Path(tmp) / runtime)], env=env, check=True, capture_output=True, text=True)
            rows[runtime] = json.loads(out.stdout.strip().splitlines()[-1])
        vec = {r: (np.load(Path(tmp) / f"{r}.q.npy"), np.load(Path(tmp) / f"{r}.d.npy")) for r in rows}
        (oq, od), (tq, td) = vec["onnx"], vec["torch"]
        min_cos = float(min((oq * tq).sum(1).min(), (od * td).sum(1).min()))
        same_top5 = np.mean([set(np.argsort(-(od @ oq[i]))[:5]) == set(np.argsort(-(td @ tq[i]))[:5])
                             for i in range(len(questions))])
    cmd = "YOUJU_HOME=/tmp/yh .venv/bin/python bench/embed_runtime.py"
    print(header("Embedding runtime and cold start", cmd))
    print(f"Cold start, median of {args.repeat} (same run, interleaved):\n")
    print("| command | wall s (median) | min | max |\n|---|---:|---:|---:|")
    for name, vals in (("`youju ask \"南京都市圈的面积有多大?\"` (sample corpus)", cold_ask),
                       ("`python -c \"import sentence_transformers\"`", cold_bare)):
        print(f"| {name} | {statistics.median(vals):.2f} | {min(vals):.2f} | {max(vals):.2f} |")
    print(f"\nRatio youju ask / bare import: {statistics.median(cold_ask) / statistics.median(cold_bare):.2f}\n")
    print(f"Runtimes ({len(questions)} queries, {len(texts)} chunks, {rows['onnx']['tokens']} tokens):\n")
    print("| runtime | import + load s | query ms (median) | batch s | tokens/s |\n|---|---:|---:|---:|---:|")
    for row in rows.values():
        print(f"| {row['used']} | {row['load_s']:.2f} | {row['query_ms']:.1f} | {row['batch_s']:.1f} | "
              f"{row['tokens'] / row['batch_s']:.0f} |")
    print(f"\nAgreement ONNX vs torch: minimum cosine {min_cos:.5f}; retrieval top-5 identical for "
          f"{same_top5:.1%} of the questions (dense only).")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
