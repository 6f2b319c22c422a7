"""Pack sentences into chunks of about `size` characters, one sentence of overlap, breaking at
headings. Every chunk satisfies `text[chunk.start:chunk.end] == chunk.text`."""

from __future__ import annotations

import bisect
import hashlib
from array import array
from collections.abc import Iterator, Sequence
from typing import overload

from youju.ingest.structure import Heading, heading_paths
from youju.records import Chunk
from youju.text.sentences import iter_sentences, split_long, split_sentences

Span = tuple[int, int]


def chunk_id(doc_id: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{doc_id}:{start}:{end}".encode()).hexdigest()[:16]


def make_chunks(doc_id: str, text: str, headings: list[Heading], *, size: int, max_size: int,
                overlap: int = 1, page_starts: tuple[tuple[int, int], ...] = ()) -> ChunkList:
    return ChunkList(doc_id, text, chunk_spans(text, headings, size=size, max_size=max_size, overlap=overlap),
                     page_starts)


class ChunkList(Sequence[Chunk]):
    """A document's chunks, kept as offsets and made into Chunk records when read, so a 60 MB
    document holds ~20 bytes per chunk until a slice of it is embedded, not ~1 KB (its text
    copy, sentence spans and record)."""

    def __init__(self, doc_id: str, text: str, spans: list[tuple[int, int, tuple[str, ...]]],
                 page_starts: tuple[tuple[int, int], ...] = ()) -> None:
        self.doc_id, self.text, self.page_starts = doc_id, text, page_starts
        self._starts = array("q", (s for s, _, _ in spans))
        self._ends = array("q", (e for _, e, _ in spans))
        paths: dict[tuple[str, ...], int] = {}
        self._path_of = array("l", (paths.setdefault(p, len(paths)) for _, _, p in spans))
        self._paths = list(paths)

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Chunk, ...]: ...

    def __getitem__(self, i: int | slice) -> Chunk | tuple[Chunk, ...]:
        if isinstance(i, slice):
            return tuple(self._chunk(j) for j in range(*i.indices(len(self))))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._chunk(i)

    def __iter__(self) -> Iterator[Chunk]:
        return (self._chunk(j) for j in range(len(self)))

    def _chunk(self, j: int) -> Chunk:
        start, end = self._starts[j], self._ends[j]
        meta = {"page": _page_at(self.page_starts, start)} if self.page_starts else {}
        body = self.text[start:end]
        return Chunk(chunk_id(self.doc_id, start, end), self.doc_id, body, start, end, self._paths[self._path_of[j]],
                     meta, tuple(split_sentences(body)))


def chunk_spans(text: str, headings: list[Heading], *, size: int, max_size: int,
                overlap: int = 1) -> list[tuple[int, int, tuple[str, ...]]]:
    out = []
    for start, end, path in _sections(text, headings, min_len=size // 4):
        for a, b in _pack(text, start, end, size, max_size, overlap):
            out.append((a, b, path))
    return out


def _sections(text: str, headings: list[Heading], min_len: int) -> list[tuple[int, int, tuple[str, ...]]]:
    """Split at heading lines. A section that is only its heading (a title directly followed
    by another heading) or too small to stand alone before the next heading is folded into the
    section after it; small sections with a body of their own stay: they are precise passages."""
    paths = dict(zip((h.start for h in headings), heading_paths(headings)))
    heading_end = {h.start: h.end for h in headings}
    starts = sorted({0, *paths})
    merged: list[list] = []
    carry: int | None = None
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        own_start = start
        if carry is not None:
            start, carry = carry, None
        body = text[heading_end.get(own_start, own_start):end].strip()
        if end < len(text) and (not body or len(text[start:end].strip()) < min_len and own_start not in paths):
            carry = start
            continue
        merged.append([start, end, paths.get(own_start, ())])
    return [(s, e, p) for s, e, p in merged if text[s:e].strip()]


def _pack(text: str, start: int, end: int, size: int, max_size: int, overlap: int) -> list[Span]:
    # sentences one at a time: a 60 MB single-section document has ~700,000 of them
    sentences = (piece for span in iter_sentences(text, start, end)
                 for piece in (split_long(text, span, max_size) if span[1] - span[0] > max_size else [span]))
    chunks: list[Span] = []
    current: list[Span] = []
    for s in sentences:
        if current:
            new_len = s[1] - current[0][0]
            cur_len = current[-1][1] - current[0][0]
            if new_len > max_size or (new_len > size and cur_len >= size // 2):
                chunks.append((current[0][0], current[-1][1]))
                keep = current[-overlap:] if 0 < overlap < len(current) else []
                if keep and (keep[-1][1] - keep[0][0] > size // 2 or s[1] - keep[0][0] > max_size):
                    keep = []
                current = keep
        current.append(s)
    if current:
        chunks.append((current[0][0], current[-1][1]))
    if len(chunks) >= 2 and chunks[-1][1] - chunks[-1][0] < size // 4 \
            and chunks[-1][1] - chunks[-2][0] <= max_size:
        chunks[-2:] = [(chunks[-2][0], chunks[-1][1])]
    return chunks


def _page_at(page_starts: tuple[tuple[int, int], ...], offset: int) -> int:
    i = bisect.bisect_right([o for o, _ in page_starts], offset) - 1
    return page_starts[max(i, 0)][1]
