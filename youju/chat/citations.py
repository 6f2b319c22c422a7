"""Citation markers in answer text: parsing `[1]`, `[1][2]`, `[1, 2]`, `【1】`; splitting an
answer into sentences with their markers; and locating, inside a cited passage, the sentence(s)
that support an answer sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass

from youju.records import Chunk
from youju.text.sentences import inside_quote, split_sentences
from youju.text.tokens import bigrams

MARKER = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]|【(\d+(?:\s*[,，、]\s*\d+)*)】")
_SENTENCE = re.compile(
    r"[^。！？!?；;\n]*?(?:[。！？!?；;]+[”’\"」』）)]*|\n|$)"  # a sentence and its terminator
    r"(?:\s*(?:\[\d+(?:\s*[,，、]\s*\d+)*\]|【\d+(?:\s*[,，、]\s*\d+)*】))*",  # markers right after it
    re.S)


def marker_numbers(text: str) -> list[int]:
    out = []
    for m in MARKER.finditer(text):
        out += [int(x) for x in re.split(r"\s*[,，、]\s*", m.group(1) or m.group(2))]
    return out


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


@dataclass
class MarkedSentence:
    text: str  # without its markers
    citations: list[int]  # the numbers cited in or right after it, in order


def split_answer(text: str) -> list[MarkedSentence]:
    """The answer's sentences with the numbers each cites. A stop inside a quotation that closes
    soon after (“…地位。通常…成绩。”[1]) does not end the sentence, as in the documents."""
    out: list[MarkedSentence] = []
    start: int | None = None  # where a sentence still inside a quotation began
    for m in _SENTENCE.finditer(text):
        if not m.group(0):
            continue
        begin = m.start() if start is None else start
        if m.end() < len(text) and not marker_numbers(m.group(0)) and inside_quote(text, begin, m.end(), len(text)):
            start = begin
            continue
        start = None
        piece = text[begin:m.end()]
        clean = strip_markers(piece).strip()
        if clean:
            out.append(MarkedSentence(clean, list(dict.fromkeys(marker_numbers(piece)))))
        elif out and marker_numbers(piece):  # markers on a line of their own
            out[-1].citations = list(dict.fromkeys(out[-1].citations + marker_numbers(piece)))
    return out


def bigram_recall(claim: str, source: str) -> float:
    """Share of the claim's CJK bigrams and ASCII words that occur in the source."""
    claim_units = set(bigrams(claim)) | set(re.findall(r"[a-z0-9.%]+", claim.lower()))
    if not claim_units:
        return 1.0
    source_units = set(bigrams(source)) | set(re.findall(r"[a-z0-9.%]+", source.lower()))
    return len(claim_units & source_units) / len(claim_units)


def supporting_span(claim: str, chunk: Chunk) -> tuple[int, int]:
    """Document offsets of the sentence(s) of `chunk` that best support `claim`: the best
    sentence, widened to a neighbour while that adds clear support."""
    spans = split_sentences(chunk.text) or [(0, len(chunk.text))]
    scores = [bigram_recall(claim, chunk.text[a:b]) for a, b in spans]
    best = max(range(len(spans)), key=lambda i: scores[i])
    lo = hi = best
    current = scores[best]
    for _ in range(2):
        options = [(i, j) for i, j in ((lo - 1, hi), (lo, hi + 1)) if 0 <= i and j < len(spans)]
        gains = [(bigram_recall(claim, chunk.text[spans[i][0]:spans[j][1]]), (i, j)) for i, j in options]
        if not gains:
            break
        score, (i, j) = max(gains)
        if score < current + 0.15:
            break
        lo, hi, current = i, j, score
    return chunk.start + spans[lo][0], chunk.start + spans[hi][1]
