"""Ingest against the LangChain peer, in one run, on the same corpus and the same model folder.

- youju: `youju ingest CORPUS` in a fresh index (the model already prepared), a fresh process;
- peer: a fresh process running RecursiveCharacterTextSplitter (Chinese separators, 400
  characters, 50 overlap) + HuggingFaceEmbeddings (sentence-transformers on torch, the same
  model folder and `passage: ` prompt) + FAISS, saved to disk, as in bench/retrieval_compare.py;
- the ceiling: the bare model's tokens/s (ONNX Runtime, youju's own chunks, no ingest around it).

Both runs alternate (--repeat times) so machine noise hits both alike; medians are reported,
with tokens each side embedded. Needs the bench extra: `.venv/bin/pip install -e '.[bench]'`.

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/ingest_peer.py [--repeat 3] [--synthetic-mb 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CORPUS, fresh_home, header

YOUJU = str(Path(sys.executable).with_name("youju"))

_PEER = r"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from langchain_community.vectorstores import FAISS
from langchain_core.documents import Document
from langchain_huggingface import HuggingFaceEmbeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter
seps = ["\n\n", "\n", "。", "!", "?", ";", ",", " ", ""]
splitter = RecursiveCharacterTextSplitter(chunk_size=400, chunk_overlap=50, separators=seps, keep_separator="end")
docs = []
for path in sorted(Path(sys.argv[2]).glob("*.txt")):
    docs += splitter.split_documents([Document(path.read_text(encoding="utf-8"), metadata={"doc": path.name})])
emb = HuggingFaceEmbeddings(model_name=sys.argv[1], model_kwargs={"device": "cpu"},
                            encode_kwargs={"normalize_embeddings": True, "prompt": "passage: "})
FAISS.from_documents(docs, emb).save_local(sys.argv[3])
tok = emb._client.tokenizer
tokens = sum(len(tok("passage: " + d.page_content)["input_ids"]) for d in docs)
print(json.dumps({"chunks": len(docs), "tokens": tokens, "wall": time.perf_counter() - t0}))
"""

_CEILING = r"""
import json, sys, time
from youju.embeddings.encoder import TransformerEncoder
texts = json.loads(open(sys.argv[2]).read())
enc = TransformerEncoder(sys.argv[1], runtime="onnx")
enc.load(); enc.embed_documents(texts[:8])
t = time.perf_counter(); enc.embed_documents(texts); s = time.perf_counter() - t
print(json.dumps({"tokens": enc.count_tokens(texts), "seconds": s}))
"""


def synthetic_corpus(folder: Path, megabytes: float) -> Path:
    sys.path.insert(0, str(Path(__file__).parent))
    from big_file import synthetic

    folder.mkdir(parents=True)
    per_file = 200_000
    text = synthetic(megabytes)
    for i in range(0, len(text), per_file):
        (folder / f"part{i // per_file:03d}.txt").write_text(text[i:i + per_file], encoding="utf-8")
    return folder


def run_youju(corpus: Path, home: Path) -> dict[str, float]:
    shutil.rmtree(home / "index", ignore_errors=True)
    env = {**os.environ, "YOUJU_HOME": str(home)}
    t = time.perf_counter()
    out = subprocess.run([YOUJU, "ingest", str(corpus), "--json"], env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t
    return {"wall": wall, "chunks": json.loads(out.stdout)["chunks_embedded"]}


def run_peer(corpus: Path, model: Path, tmp: Path) -> dict[str, float]:
    dest = tmp / "peer-index"
    shutil.rmtree(dest, ignore_errors=True)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PEER, str(model), str(corpus), str(dest)], check=True,
                         capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    row = json.loads(out.stdout.strip().splitlines()[-1])
    return {"wall": time.perf_counter() - t, "chunks": row["chunks"], "tokens": row["tokens"]}


def ceiling(model: Path, home: Path, tmp: Path) -> tuple[int, float]:
    """Tokens youju embedded for the index in `home`, and the bare model's tokens/s on them."""
    from youju.retrieval.index import Index

    store = Index.open(home / "index").store
    texts = [c.embedding_text() for d in store.documents() for c in store.doc_chunks(d.id)]
    store.close()
    (tmp / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", _CEILING, str(model), str(tmp / "texts.json")], check=True,
                         capture_output=True, text=True)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    return row["tokens"], row["tokens"] / row["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--synthetic-mb", type=float, default=0.0,
                    help="also a synthetic corpus of this many MB (sentences of the sample corpus), run once")
    args = ap.parse_args()
    src_home = Path(os.environ.get("YOUJU_HOME", Path.home() / ".youju"))
    model = (src_home / "models" / "multilingual-e5-small").resolve()
    if not (model / "onnx" / "model.onnx").is_file():
        sys.exit(f"no prepared default model in {model}; run `youju ingest` first")
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        home = fresh_home(tmp / "home")
        corpora = [("sample corpus", CORPUS, args.repeat)]
        if args.synthetic_mb:
            corpora.append((f"synthetic {args.synthetic_mb:g} MB", synthetic_corpus(tmp / "synthetic", args.synthetic_mb), 1))
        for name, corpus, repeat in corpora:
            ours, peer = [], []
            for _ in range(repeat):
                ours.append(run_youju(corpus, home))
                peer.append(run_peer(corpus, model, tmp))
            tokens, top = ceiling(model, home, tmp)
            rows.append((name, ours, peer, tokens, top))
    cmd = "YOUJU_HOME=/tmp/yh .venv/bin/python bench/ingest_peer.py" + \
        (f" --repeat {args.repeat}" if args.repeat != 3 else "") + \
        (f" --synthetic-mb {args.synthetic_mb:g}" if args.synthetic_mb else "")
    print(header("Ingest against the LangChain peer", cmd))
    print("| corpus | runs | youju wall s (median) | peer wall s (median) | youju speed / peer | "
          "chunks youju / peer | tokens youju / peer | youju tokens/s | peer tokens/s | bare model tokens/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, ours, peer, tokens, top in rows:
        yw, pw = statistics.median(r["wall"] for r in ours), statistics.median(r["wall"] for r in peer)
        print(f"| {name} | {len(ours)} | {yw:.1f} | {pw:.1f} | {pw / yw:.2f}× | {ours[0]['chunks']:,} / "
              f"{peer[0]['chunks']:,} | {tokens:,} / {peer[0]['tokens']:,} | {tokens / yw:,.0f} | "
              f"{peer[0]['tokens'] / pw:,.0f} | {top:,.0f} |")


if __name__ == "__main__":
    main()
