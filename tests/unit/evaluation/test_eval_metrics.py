"""Retrieval metrics on hand-worked cases, and evaluation-set parsing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from youju.errors import InputError
from youju.evaluation.evalset import GoldSpan, load_eval_set, resolve
from youju.evaluation.metrics import budget_recall, covers, mrr_at_k, ndcg_at_k, recall_at_k

# Two evidence items in doc "d": [100, 120) and [500, 540).
GOLD = [[GoldSpan("d", "d.txt", 100, 120)], [GoldSpan("d", "d.txt", 500, 540)]]
MISS = ("d", 0, 90)
HIT_A = ("d", 95, 111)  # covers 11 of 20 chars of A: counts
HALF_A = ("d", 110, 200)  # covers exactly 10 of 20: counts (at least half)
LESS_A = ("d", 111, 200)  # covers 9 of 20: does not count
HIT_B = ("d", 480, 560)
OTHER_DOC = ("e", 100, 120)


def test_covers_needs_half_of_the_evidence_in_the_same_document() -> None:
    a = GOLD[0][0]
    assert covers(HIT_A, a) and covers(HALF_A, a)
    assert not covers(LESS_A, a) and not covers(OTHER_DOC, a) and not covers(MISS, a)


def test_recall_at_k() -> None:
    ranked = [MISS, HIT_B, LESS_A, HIT_A]
    assert recall_at_k(ranked, GOLD, 1) == 0.0
    assert recall_at_k(ranked, GOLD, 2) == 0.5
    assert recall_at_k(ranked, GOLD, 3) == 0.5
    assert recall_at_k(ranked, GOLD, 4) == 1.0


def test_mrr_is_the_first_relevant_rank() -> None:
    assert mrr_at_k([MISS, LESS_A, HIT_B], GOLD, 10) == pytest.approx(1 / 3)
    assert mrr_at_k([MISS, LESS_A, HIT_B], GOLD, 2) == 0.0


def test_ndcg_counts_each_evidence_once() -> None:
    # relevant at ranks 2 and 4 (rank 3 covers A again and earns nothing)
    ranked = [MISS, HIT_A, HALF_A, HIT_B]
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(ranked, GOLD, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([HIT_A, HIT_B], GOLD, 10) == pytest.approx(1.0)


def test_budget_recall_cuts_the_last_passage() -> None:
    ranked = [MISS, ("d", 100, 400), HIT_B]  # 90 chars, then 300, then 80
    assert budget_recall(ranked, GOLD, 90) == 0.0
    assert budget_recall(ranked, GOLD, 99) == 0.0  # 9 chars of the second passage: [100, 109) < half of A
    assert budget_recall(ranked, GOLD, 100) == 0.5  # [100, 110) is exactly half of A
    assert budget_recall(ranked, GOLD, 470) == 1.0
    assert budget_recall(ranked, GOLD, 400) == 0.5


def test_eval_set_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "q", "evidence": [{"doc": "x.txt", "text": "abc"}]}\n'
                    '{"id": "a", "question": "q2", "type": "unanswerable"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2.*duplicate id"):
        load_eval_set(path)
    path.write_text('{"id": "a", "question": "q", "evidence": [{"doc": "x.txt", "text": "abc"}]}\n', encoding="utf-8")
    items = load_eval_set(path)
    with pytest.raises(InputError, match=r"line 1 \(a\): evidence text not found"):
        resolve(items, {"x.txt": ("id1", "no such span here")}, "set.jsonl")
    resolved = resolve(items, {"sub/x.txt": ("id1", "xxabcxxabc")}, "set.jsonl")
    assert [(g.start, g.end) for g in resolved[0].gold[0]] == [(2, 5), (7, 10)]


def test_shipped_eval_set_resolves_against_the_sample_corpus() -> None:
    from helpers import CORPUS, REPO

    from youju.config import ChunkingSettings
    from youju.ingest.documents import build_document

    items = load_eval_set(REPO / "data" / "eval" / "sample.jsonl")
    docs = {}
    for p in CORPUS.glob("*.txt"):
        doc = build_document(p, p.name, p.read_bytes(), ChunkingSettings(size=300)).document
        docs[p.name] = (doc.id, doc.text)
    resolved = resolve(items, docs, "sample.jsonl")
    assert len(items) >= 80
    assert sum(i.unanswerable for i in items) >= 10
    assert {ev.doc for i in items for ev in i.evidence} == set(docs)
    for r in resolved:
        for group, ev in zip(r.gold, r.item.evidence):
            assert all(docs[g.source][1][g.start:g.end] == ev.text for g in group)
