"""A mean-pooling sentence-transformers model run without sentence-transformers: the tokenizer
through `tokenizers` alone, the forward pass through ONNX Runtime (the folder's `onnx/model.onnx`,
exported once when the model is prepared) or, where there is no export, through transformers'
AutoModel on torch. The vectors equal sentence-transformers' own (mean over every token the
attention mask keeps, prompt included, then L2-normalised; tested), but a question pays only for
`tokenizers` and `onnxruntime` at start-up.

It also pools spans: `embed_documents_with_spans` returns, beside each text's vector, one vector
per character span (the mean of the tokens inside it), from the same forward pass. Answer
selection uses these per-sentence vectors, computed at ingest, so answering embeds nothing but
the question."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from youju.embeddings.base import Progress, SpanVectors, l2_normalise
from youju.embeddings.pieces import PieceTokenizer
from youju.errors import ModelError
from youju.i18n import Msg

Runtime = Literal["auto", "onnx", "torch"]
ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
ONNX_DATA = ONNX_FILE + ".data"  # the weights beside the graph: ONNX Runtime maps them instead of parsing them
EXPORT_MARK = "export.json"  # written last by export_onnx: the export format's version
EXPORT_VERSION = 2  # 2: eager attention traced (youju <= 0.2.0 traced sdpa attention and wrote no marker)
PIECES_MAX_CHARS = 2_000  # a longer single text is tokenized as a batch (pieces looked up in memory)
QUERY_CACHE = 64  # query vectors kept (retrieval and a retry of the same question reuse them)
# Tokens per forward pass (texts x their padded length): long passages in batches of 32 had grown
# ONNX Runtime's memory to ~2.1 GB; bench/token_budget.py measured memory and speed per budget
TOKEN_BUDGET = 1024
_NOT_WEIGHTS = {ONNX_DIR}  # derived files: not part of a model's identity


@dataclass(frozen=True)
class PipelineConfig:
    """What a sentence-transformers folder says about itself, when it is the plain
    Transformer -> mean Pooling -> (Normalize) pipeline this encoder reproduces."""

    max_length: int
    prompts: dict[str, str]
    normalize: bool


def plain_pipeline(folder: Path) -> PipelineConfig | None:
    """The folder's pipeline if this encoder can run it (mean pooling, a fast tokenizer file),
    else None (use sentence-transformers itself)."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if types[:2] != ["Transformer", "Pooling"] or any(t not in ("Normalize",) for t in types[2:]):
            return None
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens") or not pooling.get("include_prompt", True) or any(
                pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                         "pooling_mode_mean_sqrt_len_tokens")):
            return None
        if not (folder / "tokenizer.json").is_file():
            return None
        config = json.loads((folder / "sentence_bert_config.json").read_text())
        st_config = folder / "config_sentence_transformers.json"
        prompts = json.loads(st_config.read_text()).get("prompts", {}) if st_config.is_file() else {}
        return PipelineConfig(int(config.get("max_seq_length", 512)), dict(prompts), "Normalize" in types)
    except (OSError, ValueError, KeyError, IndexError):
        return None


def folder_fingerprint(folder: Path, name: str) -> str:
    """Model identity without loading it: config files and weight files (size plus head and
    tail bytes), leaving out derived files (the ONNX export), so every runtime of the same
    weights shares one index."""
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = f.relative_to(folder)
        if rel.parts[0] in _NOT_WEIGHTS:
            continue
        h.update(str(rel).encode())
        size = f.stat().st_size
        h.update(str(size).encode())
        with open(f, "rb") as fh:
            h.update(fh.read(1 << 16))
            if size > 1 << 17:
                fh.seek(-(1 << 16), 2)
                h.update(fh.read())
    return f"st:{Path(name).name}:{h.hexdigest()[:16]}"


class TransformerEncoder:
    """A mean-pooling model folder run by ONNX Runtime (or torch when it has no ONNX export)."""

    def __init__(self, folder: str | Path, *, name: str | None = None, batch_size: int = 32,
                 runtime: Runtime = "auto", threads: int = 0, config: PipelineConfig | None = None,
                 token_budget: int = TOKEN_BUDGET) -> None:
        self.folder = Path(folder).expanduser()
        self.name = name or str(folder)
        self.batch_size = batch_size
        self.token_budget = token_budget
        self.runtime = runtime
        self.threads = threads
        self.config = config or plain_pipeline(self.folder)
        if self.config is None:
            raise ModelError("err.model_load", kind=Msg("kind.embedding"), model=self.name,
                             detail="not a mean-pooling model")
        self._session: Any = None  # onnxruntime.InferenceSession or a torch module
        self._tokenizer: Any = None  # the full tokenizers.Tokenizer, built when first needed
        self._pieces: PieceTokenizer | None = None
        self._used: str = ""  # the runtime in use once loaded
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._dimension: int | None = None

    # --- loading ----------------------------------------------------------------------------

    @property
    def prompts(self) -> dict[str, str]:
        assert self.config is not None
        return {k: self.config.prompts.get(k, "") for k in ("query", "document")}

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = folder_fingerprint(self.folder, self.name)
        return self._fingerprint

    @property
    def runtime_in_use(self) -> str:
        self.load()
        return self._used

    def load(self) -> None:
        """Open the model (the tokenizer is built when first needed: see `_encode`)."""
        with self._lock:
            if self._session is not None:
                return
            onnx = self.folder / ONNX_DIR / ONNX_FILE
            if self.runtime == "onnx" or (self.runtime == "auto" and onnx.is_file() and _has_onnxruntime()):
                self._session, self._used = _onnx_session(onnx, self.threads), "onnx"
                self._pieces = PieceTokenizer.open(onnx.parent, self.folder / "tokenizer.json", self._max_length)
            else:
                self._session, self._used = _torch_model(self.folder, self.name), "torch"

    @property
    def _max_length(self) -> int:
        assert self.config is not None
        return self.config.max_length

    def _full_tokenizer(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
                tok.no_padding()
                tok.enable_truncation(self._max_length)
                self._tokenizer = tok
            return self._tokenizer

    def _encode(self, texts: list[str]) -> list[Any]:
        """Token ids and offsets. Through the piece tokenizer while the full one is not built:
        the same ids, without its 0.8 s start (a question) or its ~290 MB (passages)."""
        if self._tokenizer is None and self._pieces is not None:
            if len(texts) == 1 and len(texts[0]) <= PIECES_MAX_CHARS:
                one = self._pieces.encode(texts[0])
                encoded = [one] if one is not None else None
            else:
                encoded = self._pieces.encode_batch(texts)
            if encoded is not None:
                return encoded
        return list(self._full_tokenizer().encode_batch(texts))

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            try:
                self._dimension = int(json.loads((self.folder / "config.json").read_text())["hidden_size"])
            except (OSError, ValueError, KeyError):
                self._dimension = int(self._embed(["x"], "query")[0].shape[-1])
        return self._dimension

    # --- embedding --------------------------------------------------------------------------

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached.copy()
        vec = self._embed([text], "query")[0]
        with self._lock:
            self._queries[text] = vec
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vec.copy()

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        return self._embed(texts, "document", progress=progress)

    def embed_documents_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]],
                                   progress: Progress | None = None) -> SpanVectors:
        """Each text's vector and, from the same pass, one vector per (start, end) character
        span of it (a span the model truncated away gets the text's own vector)."""
        pooled: list[np.ndarray] = [np.empty(0)] * len(texts)
        vectors = self._embed(texts, "document", progress=progress, spans=spans, pooled=pooled)
        return SpanVectors(vectors, pooled)

    def count_tokens(self, texts: list[str]) -> int:
        prompt = self.prompts["document"]
        self.load()
        return sum(len(e.ids) for e in self._encode([prompt + t for t in texts]))

    def _embed(self, texts: list[str], kind: str, progress: Progress | None = None,
               spans: list[list[tuple[int, int]]] | None = None, pooled: list[np.ndarray] | None = None) -> np.ndarray:
        self.load()
        if not texts:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        prompt = self.prompts[kind]
        encodings = self._encode([prompt + t for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # little padding per batch
        out: list[np.ndarray] = [np.empty(0)] * len(texts)
        batches = _batches(order, [len(e.ids) for e in encodings], self.batch_size, self.token_budget)
        for n_batch, batch in enumerate(batches, start=1):
            last = n_batch == len(batches)
            hidden, mask = self._forward([encodings[i].ids for i in batch], shrink=last and kind == "document")
            for row, i in enumerate(batch):
                n = int(mask[row].sum())
                tokens = hidden[row, :n]
                out[i] = tokens.mean(axis=0)
                if spans is not None and pooled is not None:
                    pooled[i] = _pool_spans(tokens, encodings[i].offsets[:n], spans[i], len(prompt), out[i])
            if progress:
                progress(len(batch))
        vectors = np.stack(out).astype(np.float32)
        return l2_normalise(vectors) if self.config and self.config.normalize else vectors

    def _forward(self, ids: list[list[int]], shrink: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Token outputs and mask. `shrink`: give ONNX Runtime's memory arena back after this run
        (the end of a document batch: batches of long passages grow it by about 1 GB, which a
        server answering questions afterwards would otherwise keep for good)."""
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, x in enumerate(ids):
            input_ids[r, :len(x)] = x
            mask[r, :len(x)] = 1
        if self._used == "onnx":
            hidden = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask},
                                       _shrink_options() if shrink else None)[0]
        else:
            import torch

            with torch.inference_mode():
                hidden = self._session(input_ids=torch.from_numpy(input_ids),
                                       attention_mask=torch.from_numpy(mask)).last_hidden_state.numpy()
        return hidden, mask


def _batches(order: list[int], lengths: list[int], size: int, budget: int) -> list[list[int]]:
    """`order` (shortest first) cut into batches of at most `size` texts and, once padded to
    their longest, at most `budget` tokens (one text alone may exceed it)."""
    out: list[list[int]] = []
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) == size or (len(batch) + 1) * lengths[i] > budget):
            out.append(batch)
            batch = []
        batch.append(i)
    return out + [batch] if batch else out


def _pool_spans(tokens: np.ndarray, offsets: list[tuple[int, int]], spans: list[tuple[int, int]], shift: int,
                fallback: np.ndarray) -> np.ndarray:
    """One normalised vector per span: the mean of the tokens overlapping it (offsets are in
    the prompted text, spans in the text itself, hence `shift`)."""
    starts = np.array([a for a, _ in offsets]) - shift
    ends = np.array([b for _, b in offsets]) - shift
    real = ends > starts  # special tokens have empty offsets
    out = np.empty((len(spans), tokens.shape[1]), dtype=np.float32)
    for j, (a, b) in enumerate(spans):
        inside = real & (starts < b) & (ends > a)
        out[j] = tokens[inside].mean(axis=0) if inside.any() else fallback
    return l2_normalise(out)


def _shrink_options() -> Any:
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def _has_onnxruntime() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def _onnx_session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # The export is already optimised; optimising again at every start costs seconds (bench/embed_runtime.py).
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError("err.model_file", path=path, detail=type(exc).__name__) from exc


def _torch_model(folder: Path, name: str) -> Any:
    from youju.modelload import load_model

    def load(target: str, local: bool) -> Any:
        from transformers import AutoModel

        return AutoModel.from_pretrained(target, local_files_only=local).eval()

    return load_model("embedding", str(folder) if folder.is_dir() else name, load)


def export_onnx(folder: Path, attention: str = "eager") -> Path:
    """Export the folder's transformer to `onnx/model.onnx` plus its weights file (once, at
    preparation; needs torch and onnxscript). The traced attention is transformers' plain
    ("eager") one: ONNX Runtime runs that graph about 1.3x faster than the sdpa one youju <= 0.2.0
    exported, whose decomposition adds NaN guards (bench/embed_runtime.py --exports), with the
    same vectors; `attention="sdpa"` is only there to measure that. Written aside and renamed,
    the marker last, so a half export never loads."""
    import shutil

    import torch
    from transformers import AutoModel

    class LastHidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # its "Loading weights" bar would sit amid youju's own lines
    model = LastHidden(AutoModel.from_pretrained(folder, local_files_only=True, attn_implementation=attention)).eval()
    dest = folder / ONNX_DIR / ONNX_FILE
    work = dest.parent / ".export"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    batch, seq = torch.export.Dim("batch", min=1, max=4096), torch.export.Dim("sequence", min=2, max=8192)
    example = (torch.tensor([[0, 5, 6, 2], [0, 5, 2, 1]]), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)  # "torchvision is not installed. Skipping ..." lines
    try:
        with torch.no_grad(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # the exporter's own progress lines and advisories
            torch.onnx.export(model, example, str(work / "raw.onnx"), input_names=["input_ids", "attention_mask"],
                              output_names=["last_hidden_state"], dynamo=True, external_data=False,
                              dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}})
        externalise(work / "raw.onnx", work / ONNX_FILE)
        dest.with_name(EXPORT_MARK).unlink(missing_ok=True)
        (work / ONNX_DATA).replace(dest.with_name(ONNX_DATA))
        (work / ONNX_FILE).replace(dest)
        dest.with_name(EXPORT_MARK).write_text(json.dumps({"version": EXPORT_VERSION, "attention": attention}))
    finally:
        exporter_log.setLevel(level)
        shutil.rmtree(work, ignore_errors=True)
    return dest


def externalise(src: Path, dest: Path) -> None:
    """Write the ONNX model `src` as `dest` (the graph) plus `dest.data` (the weights). ONNX
    Runtime memory-maps external weights: creating a session for the default model takes about
    0.15 s instead of 1.1 s parsing them out of one 470 MB protobuf (bench/embed_runtime.py)."""
    import shutil

    import onnx

    onnx.save_model(onnx.load(str(src)), str(dest), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=dest.name + ".data", size_threshold=1024)
    shutil.copymode(dest, dest.with_name(dest.name + ".data"))  # onnx writes the weights owner-only


def is_current_export(onnx_dir: Path) -> bool:
    """A finished export of the current format: its marker (written last) names this version,
    and the graph and its weights file are there, the graph being the small one."""
    graph, data = onnx_dir / ONNX_FILE, onnx_dir / ONNX_DATA
    try:
        version = json.loads((onnx_dir / EXPORT_MARK).read_text()).get("version")
    except (OSError, ValueError, AttributeError):
        return False
    return (version == EXPORT_VERSION and graph.is_file() and data.is_file()
            and graph.stat().st_size < data.stat().st_size)
