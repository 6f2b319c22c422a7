"""Keyword search for large indexes: the FTS5 keyword columns as posting lists in numpy arrays,
scored with FTS5's own BM25 (so the ranking is the same) at a cost that grows with the lists
of the question's rarer terms, not with every row that holds any of its terms.

FTS5's `bm25()` scores every row that holds any query term, in a per-row callback: at a million
chunks that is most of the 0.67 s a question took (bench/scale.py). Here a question term's
posting list is a slice of arrays (rows; each posting's BM25 part before IDF, precomputed), the
BM25 sum is a few vectorised operations, and MaxScore pruning (see `_max_score`) adds the frequent terms, whose lists are
the longest and whose IDF is the lowest, only to the rows that can still reach the top k.

The lists are a cache of the store, like the FAISS file: `keywords-<version>/` is written by
the index writer at the end of an ingest, for the store version it describes, and is used only
while the store is at that version. A crash before it is written leaves the FTS5 search (same
answers, slower) until the next ingest writes it."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

_Lengths = TypeVar("_Lengths", float, np.ndarray)
K1, B = 1.2, 0.75  # FTS5's bm25() constants
IDF_FLOOR = 1e-6  # what FTS5 gives a term in half the rows or more
_SEPARATOR = re.compile(r"[^\w.%]|_")  # FTS5 unicode61 with tokenchars '.%': letters, digits, '.', '%'
_COLUMNS = ("w", "b")  # words, bigrams: the two FTS5 columns
FILES = ("keys", "offsets", "rows", "counts", "partials", "lengths")
_POSTINGS_PER_ROW = 400  # about 320 measured (words and bigrams of a 400-character chunk): spill files' sizing


def idf(n: int, n_rows: int) -> float:
    """FTS5's BM25 IDF for a term in `n` of `n_rows` rows (floored, never negative)."""
    value = math.log((n_rows - n + 0.5) / (n + 0.5)) if n_rows else 0.0
    return value if value > 0 else IDF_FLOOR


def length_norm(tokens: _Lengths, avgdl: float) -> _Lengths:
    """BM25's length term for rows of `tokens` tokens (FTS5: all columns of the row)."""
    return K1 * (1 - B + B * tokens / (avgdl or 1.0))


def saturation(freq: _Lengths, norm: _Lengths) -> _Lengths:
    """BM25's term-frequency part before IDF, in FTS5's order of operations."""
    return (freq * (K1 + 1)) / (freq + norm)


def fts_tokens(text: str) -> list[str]:
    """A keyword column's text as FTS5's tokenizer splits it (case folded, split at anything
    but letters, digits, '.' and '%')."""
    text = text.lower()
    if text.replace(" ", "").isalnum():  # the usual case, checked in C: nothing to split at
        return text.split()
    return _SEPARATOR.sub(" ", text).split()


def term_key(column: int, token: str) -> int:
    """A term (column, token) as a 64-bit key (the lists are found by binary search on keys)."""
    return int.from_bytes(hashlib.blake2b(f"{_COLUMNS[column]}:{token}".encode(), digest_size=8).digest(),
                          "little") >> 1


class Postings:
    """Posting lists of one store version: sorted term keys, each key's slice of `rows` (chunk
    rowids, ascending) and `counts` (occurrences in the row), and each row's token count."""

    def __init__(self, keys: np.ndarray, offsets: np.ndarray, rows: np.ndarray, counts: np.ndarray,
                 lengths: np.ndarray, n_rows: int, n_tokens: int, version: int, partials: np.ndarray) -> None:
        self.keys, self.offsets, self.rows, self.counts = keys, offsets, rows, counts
        self.lengths = lengths  # tokens per rowid (0 for rowids not in the store)
        self.n_rows, self.n_tokens, self.version = n_rows, n_tokens, version
        self._norm = length_norm(np.asarray(lengths, dtype=np.float64), n_tokens / n_rows if n_rows else 1.0)
        # each posting's BM25 part before IDF at column weight 1 (the default), written by `build`
        self.partials = partials

    def _partials(self, weight: float, start: int, end: int, at: np.ndarray | None = None) -> np.ndarray:
        """BM25's part before IDF for postings start:end (only those at positions `at` of the
        slice, if given), tf scaled by the column weight; precomputed for weight 1."""
        if weight == 1.0:
            part = self.partials[start:end]
            return part if at is None else part[at]
        rows, counts = self.rows[start:end], self.counts[start:end]
        if at is not None:
            rows, counts = rows[at], counts[at]
        return saturation(weight * counts.astype(np.float64), self._norm[rows])

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def build(cls, db: sqlite3.Connection, version: int, folder: Path, batch: int = 2000,
              bucket: int = 1 << 21) -> Postings:
        """Posting lists of every row of the FTS5 table, written to `folder` atomically (a
        half-written copy is never read) and returned memory-mapped from there. The FTS5 rows
        are read once, in batches (a batch's tokens are Python strings). Each batch's postings
        (10 bytes each: 32-bit term and row, 16-bit count) go to spill files by the leading bits
        of their term's key, about `bucket` postings per file; each file is then sorted by key
        on its own and appended to the lists. Memory: the vocabulary and one bucket, not the
        postings (docs/BENCHMARKS.md, "One large file")."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        last_row = db.execute("SELECT max(rowid) FROM chunks_fts").fetchone()[0] or 0
        bits = min(max(math.ceil(math.log2(max(last_row * _POSTINGS_PER_ROW / bucket, 1))), 0), 8)
        spilled = _Spill(tmp, np.int64 if last_row >= 2**31 else np.int32, bits)
        vocabs: tuple[dict[str, int], dict[str, int]] = ({}, {})  # per column: token -> term id
        keys = np.zeros(1024, dtype=np.int64)  # each term id's key
        sizes = np.zeros(1024, dtype=np.int64)  # postings per term id
        length_rows, length_values = [], []
        cur = db.execute("SELECT rowid, words, bigrams FROM chunks_fts ORDER BY rowid")
        while part := cur.fetchmany(batch):
            rowids = np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part))
            total = np.zeros(len(part), dtype=np.int64)
            for column, vocab in enumerate(vocabs):
                tokens = [fts_tokens(r[1 + column]) for r in part]
                lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(part))
                total += lengths
                flat = [t for row in tokens for t in row]
                new = list(set(flat).difference(vocab))
                first = len(vocabs[0]) + len(vocabs[1])
                vocab.update(zip(new, range(first, first + len(new))))
                if first + len(new) > len(keys):
                    grow = np.zeros(len(keys) + len(new), dtype=np.int64)
                    keys, sizes = np.concatenate([keys, grow]), np.concatenate([sizes, grow])
                keys[first:first + len(new)] = np.fromiter((term_key(column, t) for t in new), dtype=np.int64,
                                                           count=len(new))
                ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
                # (term, row) pairs counted: the row's index in this batch is the low part
                pair, n = np.unique(ids * len(part) + np.repeat(np.arange(len(part)), lengths), return_counts=True)
                terms = pair // len(part)
                starts, runs = _groups(terms)
                sizes[terms[starts]] += runs
                spilled.add(terms, keys[terms], rowids[pair % len(part)], np.minimum(n, 65535))
            length_rows.append(rowids)
            length_values.append(total)
        spilled.close()
        n_terms = len(vocabs[0]) + len(vocabs[1])
        del vocabs
        all_rows = np.concatenate(length_rows) if length_rows else np.zeros(0, dtype=np.int64)
        all_lengths = np.concatenate(length_values) if length_values else np.zeros(0, dtype=np.int64)
        lengths = np.zeros(int(all_rows.max()) + 1 if len(all_rows) else 0, dtype=np.float32)
        lengths[all_rows] = all_lengths
        n_rows, n_tokens = len(all_rows), int(all_lengths.sum())
        _place(spilled, keys[:n_terms], sizes[:n_terms], lengths, n_tokens / n_rows if n_rows else 1.0, tmp)
        (tmp / "stats.json").write_text(json.dumps({"rows": n_rows, "tokens": n_tokens, "version": version}))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
        return cls.load(folder)

    # --- files ------------------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Memory-mapped (the lists stay on disk until a question reads them); raises OSError or
        ValueError for a missing or damaged folder."""
        stats = json.loads((folder / "stats.json").read_text())
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in FILES}
        if (len(arrays["offsets"]) != len(arrays["keys"]) + 1
                or not len(arrays["rows"]) == len(arrays["counts"]) == len(arrays["partials"])):
            raise ValueError(f"inconsistent posting lists in {folder}")
        return cls(arrays["keys"], arrays["offsets"], arrays["rows"], arrays["counts"], np.asarray(arrays["lengths"]),
                   int(stats["rows"]), int(stats["tokens"]), int(stats["version"]), arrays["partials"])

    # --- searching --------------------------------------------------------------------------

    def _slice(self, key: int) -> tuple[int, int]:
        i = int(np.searchsorted(self.keys, key))
        if i < len(self.keys) and int(self.keys[i]) == key:
            return int(self.offsets[i]), int(self.offsets[i + 1])
        return 0, 0

    def search(self, q_words: list[str], q_bigrams: list[str], k: int, weights: tuple[float, float],
               allowed: np.ndarray | None = None) -> list[tuple[int, float]] | None:
        """BM25 top-k as (rowid, score), as FTS5's `bm25()` with these column weights would rank
        the rows holding any term. `allowed`: the only rowids to return. None when a term is not
        one FTS5 token (FTS5 would search it as a phrase): the caller asks FTS5 instead."""
        spans: list[tuple[int, int, float, float]] = []  # (start, end, idf, column weight)
        for column, tokens in ((0, q_words), (1, q_bigrams)):
            for token in tokens:
                parts = fts_tokens(token)
                if len(parts) != 1:
                    return None
                start, end = self._slice(term_key(column, parts[0]))
                if end > start and weights[column]:
                    spans.append((start, end, idf(end - start, self.n_rows), weights[column]))
        if not spans or k <= 0:
            return []
        return self._max_score(sorted(spans, key=lambda sp: -sp[2]), k, allowed)

    def _max_score(self, spans: list[tuple[int, int, float, float]], k: int,
                   allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """Top k by MaxScore: terms from the rarest on are added to every row they hold, until
        what the remaining terms could add at most (IDF x (K1 + 1) each) is below a k-th best
        score already reached; from then on no row they alone hold can rank, and they are added
        only to the rows still within reach, which shrink as the bound rises. Exact: the same
        top k as scoring every row."""
        scores = np.zeros(len(self.lengths), dtype=np.float64)
        reach = np.cumsum([sp[2] * (K1 + 1) for sp in reversed(spans)])[::-1].tolist() + [0.0]
        done, floor = 0, -1.0
        while done < len(spans):
            self._add(scores, spans[done])
            done += 1
            floor = max(floor, self._kth(scores, self.rows[spans[done - 1][0]:spans[done - 1][1]], k, allowed))
            if reach[done] < floor:
                break
        if done == len(spans):
            found = np.flatnonzero(scores)
            return self._top(scores, found[allowed[found]] if allowed is not None else found, k)
        found = np.flatnonzero(scores >= floor - reach[done])
        if allowed is not None:
            found = found[allowed[found]]
        for j in range(done, len(spans)):
            floor = max(floor, self._kth(scores, found, k, None))
            found = found[scores[found] + reach[j] >= floor]  # the rows still within reach
            start, end, term_idf, weight = spans[j]
            if len(found) * 16 > end - start:
                self._add(scores, spans[j])  # cheaper to add to every row of the list
                continue
            rows = self.rows[start:end]
            at = np.minimum(np.searchsorted(rows, found), len(rows) - 1)
            held = rows[at] == found
            scores[found[held]] += term_idf * self._partials(weight, start, end, at[held])
        return self._top(scores, found, k)

    @staticmethod
    def _kth(scores: np.ndarray, rows: np.ndarray, k: int, allowed: np.ndarray | None) -> float:
        """The k-th best score among `rows` (distinct), a lower bound of the k-th best overall;
        -1 when there are fewer than k."""
        if allowed is not None:
            rows = rows[allowed[rows]]
        if len(rows) < k:
            return -1.0
        return float(-np.partition(-scores[rows], k - 1)[k - 1])

    @staticmethod
    def _top(scores: np.ndarray, found: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k best of `found` (ascending rowids), ties to the lower rowid, as FTS5 orders them."""
        if len(found) > k:
            kth = -np.partition(-scores[found], k - 1)[k - 1]
            above = found[scores[found] > kth]
            found = np.concatenate([above, found[scores[found] == kth][:k - len(above)]])
        found = found[np.lexsort((found, -scores[found]))]
        return [(int(r), float(scores[r])) for r in found]

    def _add(self, scores: np.ndarray, span: tuple[int, int, float, float]) -> None:
        start, end, term_idf, weight = span
        scores[self.rows[start:end]] += term_idf * self._partials(weight, start, end)  # rows unique within a term

    def allowed_mask(self, rowids: list[int]) -> np.ndarray:
        mask = np.zeros(len(self.lengths), dtype=bool)
        ids = np.asarray([r for r in rowids if 0 <= r < len(mask)], dtype=np.int64)
        mask[ids] = True
        return mask


def _groups(sorted_terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal values in a sorted array."""
    if not len(sorted_terms):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(sorted_terms)) + 1])
    return starts, np.diff(np.append(starts, len(sorted_terms)))


class _Spill:
    """The postings of every batch (term id, row, count), appended as they come to one of 2**bits
    files by the leading bits of the term's key: the page cache holds them, not the process.
    Sorting each file by key (stably: rows stay ascending) and writing the files in order
    gives the lists in key order."""

    def __init__(self, folder: Path, row_type: type[np.integer], bits: int) -> None:
        self.dtype = np.dtype([("term", np.int32), ("row", row_type), ("count", np.uint16)], align=False)
        self.bits = bits
        self.paths = [folder / f"spill-{i}.bin" for i in range(1 << bits)]
        self._files = [p.open("wb") for p in self.paths]

    def add(self, terms: np.ndarray, keys: np.ndarray, rows: np.ndarray, counts: np.ndarray) -> None:
        part = np.empty(len(terms), dtype=self.dtype)
        part["term"], part["row"], part["count"] = terms, rows, counts
        which = keys >> (63 - self.bits)  # keys are 63-bit: 0 for every key when bits is 0
        order = np.argsort(which, kind="stable")
        bounds = np.searchsorted(which[order], np.arange(len(self._files) + 1))
        part = part[order]
        for i, f in enumerate(self._files):
            if bounds[i + 1] > bounds[i]:
                part[bounds[i]:bounds[i + 1]].tofile(f)

    def close(self) -> None:
        for f in self._files:
            f.close()

    def read(self) -> Iterator[np.ndarray]:
        """Each file's postings, in key-prefix order; each file is deleted once read."""
        for path in self.paths:
            part = np.fromfile(path, dtype=self.dtype)
            path.unlink()
            yield part


def _place(spilled: _Spill, keys_by_id: np.ndarray, sizes: np.ndarray, lengths: np.ndarray, avgdl: float,
           folder: Path) -> None:
    """Write keys, offsets and lengths, then rows, counts and partials in key order, one spill
    file at a time."""
    by_key = np.argsort(keys_by_id, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(sizes[by_key])]).astype(np.int64)
    np.save(folder / "keys.npy", keys_by_id[by_key])
    np.save(folder / "offsets.npy", offsets)
    np.save(folder / "lengths.npy", lengths)
    norm = length_norm(lengths.astype(np.float64), avgdl)
    total = int(offsets[-1])
    outs = {name: _npy_writer(folder / f"{name}.npy", dtype, total) for name, dtype in
            (("rows", spilled.dtype["row"]), ("counts", np.uint16), ("partials", np.float64))}
    step = 1 << 20  # partials a million at a time: their float64 temporaries
    for part in spilled.read():
        order = np.argsort(keys_by_id[part["term"]], kind="stable")  # by key; rows stay ascending
        rows, counts = part["row"][order], part["count"][order]
        del part, order
        outs["rows"].write(rows.tobytes())
        outs["counts"].write(counts.tobytes())
        for at in range(0, len(rows), step):
            outs["partials"].write(saturation(counts[at:at + step].astype(np.float64),
                                              norm[rows[at:at + step]]).tobytes())
    for f in outs.values():
        f.close()


def _npy_writer(path: Path, dtype: np.dtype | type[np.generic], n: int) -> BinaryIO:
    """A .npy file of `n` items of `dtype` whose data the caller appends in order."""
    f = path.open("wb")
    np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                             "fortran_order": False, "shape": (n,)})
    return f
