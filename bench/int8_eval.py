"""Dynamic int8 quantisation of the default model's ONNX export, judged the way the issue asks:
adopt it only if the evaluation sets show no loss. In one run:

- the int8 file (onnxruntime.quantization.quantize_dynamic, weights QInt8) beside the float32
  one in a model folder of its own; size, session load time (median of --repeat, interleaved)
  and single-query latency for both;
- agreement: the minimum and median cosine between the two models' vectors of the sample
  corpus's chunks and questions;
- each evaluation set ingested and run with each model (retrieval and answer metrics).

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/int8_eval.py [--qa] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import CORPUS, EVAL_SET, fresh_home, header
from milvus_compare import METRICS, sets

from youju.embeddings.encoder import ONNX_DIR, ONNX_FILE, TransformerEncoder, _onnx_session


def quantised_copy(src: Path, dst: Path) -> Path:
    """A model folder sharing every file of `src` but the ONNX export, which is quantised."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dst.mkdir(parents=True)
    for entry in src.iterdir():
        if entry.name != ONNX_DIR:
            (dst / entry.name).symlink_to(entry.resolve())
    (dst / ONNX_DIR).mkdir()
    quantize_dynamic(str(src / ONNX_DIR / ONNX_FILE), str(dst / ONNX_DIR / ONNX_FILE), weight_type=QuantType.QInt8)
    return dst


def load_times(folders: dict[str, Path], repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in folders}
    for _ in range(repeat):
        for name, folder in folders.items():
            t = time.perf_counter()
            _onnx_session(folder / ONNX_DIR / ONNX_FILE, 0)
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}


def vectors(folder: Path, texts: list[str], queries: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    enc = TransformerEncoder(folder, runtime="onnx")
    enc.load()
    enc.embed_query("热身")
    lat = []
    for q in queries:
        t = time.perf_counter()
        enc._embed([q], "query")
        lat.append((time.perf_counter() - t) * 1000)
    return enc.embed_documents(texts), np.stack([enc._embed([q], "query")[0] for q in queries]), statistics.median(lat)


def evaluate(home: Path, model: str, index: Path, eval_set: Path, docs: Path) -> dict[str, float]:
    from youju import Settings, Youju

    with Youju(Settings(home=home, model=model, index=index), log=lambda m: None) as yj:
        yj.ingest([docs], progress=False)
        run = yj.evaluate(eval_set)
        return {m: v.value for m in METRICS if (v := run.metric(m)) is not None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qa", action="store_true", help="also the CMRC 2018 / DRCD report splits")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from youju.config import Settings

    fp32 = Settings.from_env().models_dir / "multilingual-e5-small"
    with tempfile.TemporaryDirectory() as tmp:
        int8 = quantised_copy(fp32, Path(tmp) / "e5-int8")
        folders = {"float32": fp32, "int8": int8}
        print(header("Dynamic int8 quantisation of the default model",
                     "python bench/int8_eval.py" + (" --qa" if args.qa else "")))
        loads = load_times(folders, args.repeat)
        texts = [p.read_text(encoding="utf-8")[:2000] for p in sorted(CORPUS.glob("*.txt"))]
        texts = [t[i:i + 400] for t in texts for i in range(0, len(t), 400)]
        queries = [json.loads(line)["question"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line]
        got = {name: vectors(folder, texts, queries) for name, folder in folders.items()}
        print("| model | ONNX file | session load s (median) | query ms (median) |\n|---|---|---|---|")
        for name, folder in folders.items():
            size = (folder / ONNX_DIR / ONNX_FILE).stat().st_size / 1e6
            print(f"| {name} | {size:.0f} MB | {loads[name]:.2f} | {got[name][2]:.1f} |")
        for kind, i in (("passages", 0), ("questions", 1)):
            cos = np.sum(got["float32"][i] * got["int8"][i], axis=1)
            print(f"\ncosine float32 vs int8, {len(cos)} {kind}: min {cos.min():.4f}, median {np.median(cos):.4f}")
        print("\n| set | model | " + " | ".join(METRICS) + " |\n|---|---|" + "---|" * len(METRICS))
        worst, where = 0.0, "-"
        for name, eval_set, docs in sets(args.qa):
            if not eval_set.exists():
                continue
            home = fresh_home(Path(tmp) / f"home-{name}")
            res = {"float32": evaluate(home, "default", Path(tmp) / f"idx-{name}-32", eval_set, docs),
                   "int8": evaluate(home, str(int8), Path(tmp) / f"idx-{name}-8", eval_set, docs)}
            for model, values in res.items():
                print(f"| {name} | {model} | " + " | ".join(f"{values.get(m, float('nan')):.3f}" for m in METRICS) + " |")
            for m in METRICS:  # a loss is lower, except for false abstention
                loss = (res["int8"][m] - res["float32"][m]) * (1 if m == "false_abstention" else -1)
                if loss > worst:
                    worst, where = loss, f"{name} {m}"
        print(f"\nlargest loss on any metric: {worst:.3f} ({where})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
