"""Peak memory of ingesting one large text file: a synthetic policy-style document of --mb
megabytes (sentences of the sample corpus, numbered paragraphs, no repeats within a paragraph),
ingested by `youju ingest` in a fresh home in a subprocess; reports wall time, chunks and the
subprocess's peak RSS. Run at two sizes to see whether memory grows with the document.

    .venv/bin/python bench/big_file.py --mb 5,60 --model hashing:384
    YOUJU_HOME=/tmp/yh .venv/bin/python bench/big_file.py --mb 1,4 --model default
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CORPUS, fresh_home, header

YOUJU = str(Path(sys.executable).with_name("youju"))


def synthetic(megabytes: float, seed: int = 0) -> str:
    sentences = [s for p in sorted(CORPUS.glob("*.txt"))
                 for s in re.findall(r"[^。!?\n]{8,}[。!?]", p.read_text(encoding="utf-8"))]
    rng = random.Random(seed)
    out, size, n = [], 0, 0
    while size < megabytes * 1e6:
        n += 1
        para = f"第{n}条 " + "".join(rng.sample(sentences, 6))
        out.append(para)
        size += len(para.encode("utf-8")) + 2
    return "\n\n".join(out)


def run(mb: float, model: str, tmp: Path) -> dict[str, float]:
    folder = tmp / f"doc-{mb}"
    folder.mkdir()
    (folder / "big.txt").write_text(synthetic(mb), encoding="utf-8")
    home = fresh_home(tmp / f"home-{mb}")
    env = {**os.environ, "YOUJU_HOME": str(home), "YOUJU_MODEL": model}
    code = ("import resource, subprocess, sys, json; r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
            " print(json.dumps({'rc': r.returncode, 'err': r.stderr[-300:],"
            " 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, YOUJU, "ingest", "--json", str(folder)], env=env,
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        sys.exit(f"ingest failed: {result['err']}")
    listing = subprocess.run([YOUJU, "list"], env=env, capture_output=True, text=True).stdout.splitlines()
    n_chunks = sum(int(parts[1]) for parts in (line.split("\t") for line in listing) if len(parts) > 2 and parts[1].isdigit())
    return {"mb": mb, "wall": wall, "chunks": n_chunks, "rss_mb": result["rss"] / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", default="5,60", help="comma-separated file sizes in MB")
    ap.add_argument("--model", default="hashing:384", help="embedding model (default: the test hashing embedder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(float(mb), args.model, Path(tmp)) for mb in args.mb.split(",")]
    print(header(f"One large file ({args.model})", f".venv/bin/python bench/big_file.py --mb {args.mb} "
                                                  f"--model {args.model}"))
    print("| file MB | chunks | wall s | peak RSS MB |\n|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['mb']:g} | {r['chunks']:,} | {r['wall']:.0f} | {r['rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
