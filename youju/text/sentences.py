"""Sentence spans for Chinese (and English) text: a sentence ends at 。！？!?；; (with any
closing quotes or brackets kept with it), at an English full stop followed by a space, or at
a line break. A stop inside a quotation (“唵！自在居住在…。”) does not end the sentence when the
quotation closes within QUOTE_SPAN characters on the same line. Spans are (start, end) offsets
with surrounding whitespace trimmed."""

from __future__ import annotations

import re
from collections.abc import Iterator

_END = re.compile(
    r"[。！？!?；;]+[”’\"'」』）)】\]》〉]*"  # Chinese/ASCII terminators and their closers
    r"|(?<=[a-z0-9\)\]\"'])\.[\"'\)\]]*(?=\s+[A-Z\"'(\[])"  # English full stop before a capital
    r"|\n"
)
_OPEN, _CLOSE = "“「『", "”」』"
QUOTE_SPAN = 200  # a quotation still open this far on is taken as unclosed: its stops end sentences
_SOFT_BREAK = re.compile(r"[，,、：:]\s*|\s+")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    return list(iter_sentences(text, start, end))


def iter_sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """The sentence spans of text[start:end], one at a time (a 60 MB document has ~700,000)."""
    end = len(text) if end is None else end
    pos = start
    for m in _END.finditer(text, start, end):
        if m.group() != "\n" and inside_quote(text, pos, m.end(), end):
            continue
        if span := _stripped(text, pos, m.end()):
            yield span
        pos = m.end()
    if span := _stripped(text, pos, end):
        yield span


def inside_quote(text: str, start: int, at: int, end: int) -> bool:
    """Is a Chinese quotation opened in text[start:at] still open at `at`, and closed soon after
    on the same line?"""
    piece = text[start:at]
    if sum(piece.count(c) for c in _OPEN) <= sum(piece.count(c) for c in _CLOSE):
        return False
    ahead = text[at:min(at + QUOTE_SPAN, end)].split("\n", 1)[0]
    return any(c in ahead for c in _CLOSE)


def _stripped(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_long(text: str, span: tuple[int, int], max_len: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than max_len at clause breaks (commas, enumeration commas,
    colons, spaces), falling back to a hard cut; each piece is at most max_len long."""
    start, end = span
    pieces: list[tuple[int, int]] = []
    while end - start > max_len:
        window_end = start + max_len
        cut = None
        for m in _SOFT_BREAK.finditer(text, start + max_len // 2, window_end):
            cut = m.end()
        cut = cut if cut and cut > start else window_end
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    pieces.append((start, end))
    return [kept for a, b in pieces if (kept := _stripped(text, a, b))]
