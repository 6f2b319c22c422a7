"""Tokenizing a question without loading the whole tokenizer.

The default model's tokenizer (a 250,000-piece SentencePiece Unigram, 17 MB of JSON) takes about
0.8 s to build, the largest cost of a one-question `youju ask` once the model itself is mapped.
A Unigram tokenizer only ever uses pieces that occur inside the (normalised) text, so for a few
short texts it is enough to fetch those pieces from an SQLite copy of the vocabulary, build a
Unigram model of just them, and run the real tokenizer (`tokenizers`, same normaliser,
pre-tokenizer, post-processor and truncation) with it. The Viterbi search then sees exactly the
candidates the full vocabulary would give it (and the lowest score, from which unknown
characters are scored), so the ids are the same; tested against the full tokenizer.

Batches of passages at ingest are tokenized the same way, one Unigram model of the pieces in
the whole batch: the full tokenizer's vocabulary costs about 290 MB of memory, most of an
ingest's peak besides the model. Which substrings are pieces is then looked up in memory (a
sorted array of the pieces' hashes, 2 MB, and the longest piece each character starts), not
one SQL parameter per substring.

Written once beside the ONNX export (`pieces.sqlite` and `pieces-stub.json`) for tokenizers of
that shape; any other tokenizer, or a text holding a special token, uses the full tokenizer.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from youju.sqlbatch import select_in
from youju.text.segmenter import substrings

LEXICON = "pieces.sqlite"
STUB = "pieces-stub.json"
_KEEP_MAX = 16  # special tokens kept at their own ids at the head of the vocabulary
_LOWEST = "\U0010fffe\U0010fffe"  # a piece no text holds (a noncharacter), carrying the lowest score


@dataclass(frozen=True)
class Encoded:
    """What the encoder reads of a tokenizers `Encoding`."""

    ids: list[int]
    offsets: list[tuple[int, int]]


def write(tokenizer_json: Path, dest: Path) -> bool:
    """Write the vocabulary copy and the stub for `tokenizer_json` into folder `dest`; False
    (and nothing written) when the tokenizer is not a plain Unigram one."""
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model = spec.get("model") or {}
    vocab = model.get("vocab")
    keep = _kept(spec)
    if model.get("type") != "Unigram" or model.get("byte_fallback") or not vocab or keep is None:
        return False
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / f"{LEXICON}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as con:
        con.execute("CREATE TABLE piece (text TEXT PRIMARY KEY, id INTEGER, score REAL) WITHOUT ROWID")
        # a repeated piece resolves to its last id, as in tokenizers' own vocabulary map
        con.executemany("INSERT OR REPLACE INTO piece VALUES (?, ?, ?)",
                        ((p, i, s) for i, (p, s) in enumerate(vocab)))
    con.close()
    stub = dict(spec, model=dict(model, vocab=[list(v) for v in vocab[:keep]] + [[_LOWEST, min(s for _, s in vocab)]]),
                truncation=None, padding=None)
    meta = {"keep": keep, "max_len": max(len(p) for p, _ in vocab), "size": tokenizer_json.stat().st_size,
            "specials": [t["content"] for t in spec.get("added_tokens", [])]}
    stub_tmp = dest / f"{STUB}.{os.getpid()}.tmp"
    stub_tmp.write_text(json.dumps({"meta": meta, "tokenizer": stub}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, dest / LEXICON)
    os.replace(stub_tmp, dest / STUB)  # last: its presence says both are complete
    return True


def _kept(spec: dict[str, Any]) -> int | None:
    """How many leading vocabulary entries keep their ids: every special token the
    post-processor adds and the unknown token must be among them."""
    model = spec["model"]
    ids = {t["id"] for t in spec.get("added_tokens", []) if t["id"] < _KEEP_MAX}
    ids.add(model.get("unk_id") if model.get("unk_id") is not None else -1)
    post = spec.get("post_processor") or {}
    if post.get("type") == "TemplateProcessing":
        ids.update(i for t in post.get("special_tokens", {}).values() for i in t.get("ids", []))
    elif post.get("type") == "RobertaProcessing":
        ids.update((post["sep"][1], post["cls"][1]))
    elif post:
        return None
    return max(ids) + 1 if ids and min(ids) >= 0 and max(ids) < _KEEP_MAX else None


class PieceTokenizer:
    """Encodes texts from the vocabulary copy; `encode` returns None where the full tokenizer
    is needed (a special token inside the text)."""

    def __init__(self, folder: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        data = json.loads((folder / STUB).read_text(encoding="utf-8"))
        meta = data["meta"]
        self._keep, self._max_len, self._specials = int(meta["keep"]), int(meta["max_len"]), list(meta["specials"])
        self._head = [tuple(v) for v in data["tokenizer"]["model"]["vocab"]]
        self._unk = data["tokenizer"]["model"]["unk_id"]
        self._tok = Tokenizer.from_str(json.dumps(data["tokenizer"]))
        self._tok.no_padding()
        self._tok.enable_truncation(max_length)
        self._con = sqlite3.connect(f"file:{folder / LEXICON}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._hashes: np.ndarray | None = None  # sorted hashes of every piece (batches only)
        self._longest: dict[str, int] = {}  # first character -> longest piece starting with it

    @classmethod
    def open(cls, folder: Path, tokenizer_json: Path, max_length: int) -> PieceTokenizer | None:
        """The folder's piece tokenizer if it was written for this tokenizer file, else None."""
        try:
            meta = json.loads((folder / STUB).read_text(encoding="utf-8"))["meta"]
            if meta["size"] != tokenizer_json.stat().st_size or not (folder / LEXICON).is_file():
                return None
            return cls(folder, max_length)
        except Exception:  # unreadable, foreign or damaged (tokenizers raises its own types): use the full one
            return None

    def encode(self, text: str) -> Encoded | None:
        """One short text (a question): its pieces fetched from SQLite, nothing else loaded."""
        if self._special(text):
            return None
        with self._lock:
            words = self._words(text)
            wanted = set().union(*(substrings(w, self._max_len) for w in words))
            return self._run([text], wanted)[0]

    def encode_batch(self, texts: list[str]) -> list[Encoded] | None:
        """Many texts (passages at ingest), one Unigram model of the pieces they hold."""
        if any(self._special(t) for t in texts):
            return None
        with self._lock:
            hashes = self._piece_hashes()
            words = {w for t in texts for w in self._words(t)}
            subs = list({w[i:j] for w in words for i in range(len(w))
                         for j in range(i + 1, min(len(w), i + self._longest.get(w[i], 1)) + 1)})
            h = np.fromiter((hash(x) for x in subs), dtype=np.int64, count=len(subs))
            at = np.minimum(np.searchsorted(hashes, h), len(hashes) - 1)
            # a hash collision only asks SQLite for a substring that is no piece: nothing comes back
            return self._run(texts, {subs[k] for k in np.flatnonzero(hashes[at] == h)})

    def _special(self, text: str) -> bool:
        return _LOWEST[0] in text or any(s in text for s in self._specials)

    def _words(self, text: str) -> list[str]:
        assert self._tok.normalizer is not None and self._tok.pre_tokenizer is not None
        return [w for w, _ in self._tok.pre_tokenizer.pre_tokenize_str(self._tok.normalizer.normalize_str(text))]

    def _piece_hashes(self) -> np.ndarray:
        """Loaded once, on the first batch: the hashes of every piece (this process's str hash)
        and the longest piece each character starts."""
        if self._hashes is None:
            rows = self._con.execute("SELECT text FROM piece WHERE id >= ?", (self._keep,))
            hashes, longest = [], self._longest
            for (p,) in rows:
                hashes.append(hash(p))
                if len(p) > longest.get(p[0], 0):
                    longest[p[0]] = len(p)
            self._hashes = np.unique(np.array(hashes or [0], dtype=np.int64))
        return self._hashes

    def _run(self, texts: list[str], wanted: set[str]) -> list[Encoded]:
        """Encode `texts` with a Unigram model of the `wanted` substrings that are pieces."""
        from tokenizers import models

        found: list[tuple[str, int, float]] = list(select_in(
            self._con, "SELECT text, id, score FROM piece WHERE text IN ({marks}) AND id >= ?", sorted(wanted),
            self._keep))
        real = list(range(self._keep)) + [self._unk] + [i for _, i, _ in found]
        self._tok.model = models.Unigram([*self._head, *((p, s) for p, _, s in found)], self._unk, False)
        return [Encoded([real[i] for i in e.ids], list(e.offsets)) for e in self._tok.encode_batch(texts)]
