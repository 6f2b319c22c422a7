"""Retrieval metrics by span overlap with gold evidence. A passage covers an evidence span when
it overlaps at least half of it; an evidence item counts as found when any of its occurrences
is covered. Defined on (doc_id, start, end) spans, so they are fair across chunkings."""

from __future__ import annotations

import math
from collections.abc import Sequence

from youju.evaluation.evalset import GoldSpan

Span = tuple[str, int, int]  # doc_id, start, end


def covers(span: Span, gold: GoldSpan) -> bool:
    doc_id, start, end = span
    if doc_id != gold.doc_id:
        return False
    overlap = min(end, gold.end) - max(start, gold.start)
    return overlap * 2 >= gold.end - gold.start


def _covered_groups(span: Span, gold: Sequence[Sequence[GoldSpan]]) -> set[int]:
    return {i for i, group in enumerate(gold) if any(covers(span, g) for g in group)}


def recall_at_k(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], k: int) -> float:
    """Share of evidence items covered by the top k passages."""
    if not gold:
        return 0.0
    found: set[int] = set()
    for span in spans[:k]:
        found |= _covered_groups(span, gold)
    return len(found) / len(gold)


def mrr_at_k(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], k: int = 10) -> float:
    """1 / rank of the first passage that covers any evidence (0 if none in the top k)."""
    for rank, span in enumerate(spans[:k], start=1):
        if _covered_groups(span, gold):
            return 1.0 / rank
    return 0.0


def ndcg_at_k(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], k: int = 10) -> float:
    """Binary nDCG where a passage is relevant if it covers evidence no earlier passage covered
    (so overlapping chunks of one span are not counted twice)."""
    if not gold:
        return 0.0
    found: set[int] = set()
    dcg = 0.0
    for rank, span in enumerate(spans[:k], start=1):
        new = _covered_groups(span, gold) - found
        if new:
            dcg += 1.0 / math.log2(rank + 1)
            found |= new
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def budget_recall(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], budget: int) -> float:
    """Recall when the passages, in rank order, may use at most `budget` characters of context
    (the last one cut to fit): fair between small and large chunks."""
    if not gold:
        return 0.0
    found: set[int] = set()
    left = budget
    for doc_id, start, end in spans:
        if left <= 0:
            break
        end = min(end, start + left)
        left -= end - start
        found |= _covered_groups((doc_id, start, end), gold)
    return len(found) / len(gold)
