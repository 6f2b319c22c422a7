"""Keyword index (FTS5 over jieba words and bigrams), fusion, hybrid hits, reranking."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import index_of

from youju import Youju
from youju.retrieval.index import Index
from youju.retrieval.keywords import fts_query
from youju.retrieval.search import CrossEncoderReranker, rrf
from youju.text.tokens import bigrams, content_words, words


def test_rrf_hand_worked() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    keyword = [(3, 12.0), (1, 9.0)]
    fused = rrf({"dense": dense, "keyword": keyword}, {"dense": 1.0, "keyword": 1.0}, k=60)
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert scores[2] == pytest.approx(1 / 62)
    assert [r for r, _ in fused] == [1, 3, 2]
    # weights shift the balance: keyword alone decides when dense weighs nothing
    only_kw = rrf({"dense": dense, "keyword": keyword}, {"dense": 0.0, "keyword": 1.0}, k=60)
    assert [r for r, _ in only_kw][:2] == [3, 1]


def test_keyword_tokens_drop_stop_and_question_words() -> None:
    assert "的" not in words("南京都市圈的面积")
    assert "都市圈" in words("南京都市圈的面积")  # a domain word jieba alone would split
    assert "多少" not in content_words("深圳市国土面积是多少?")
    assert bigrams("成德眉资 abc 开展") == ["成德", "德眉", "眉资", "开展"]
    query = fts_query("成都至德眉资的动车要多久?")
    assert 'words:"动车"' in query and 'bigrams:"眉资"' in query and "多久" not in query
    assert fts_query("?? 多少") is None


def test_keyword_search_finds_exact_terms_and_survives_reingest(engine: Youju, corpus: Path) -> None:
    engine.ingest([corpus], progress=False)
    found = engine.retrieve("汊河轨道交通装备产业园", k=3, retrieval="keyword")
    hits, timings = list(found.hits), found.timings
    assert "汊河轨道交通装备产业园" in hits[0].chunk.text
    assert "keyword_search" in timings and "dense_search" not in timings
    # the same words in traditional characters find the same passage
    traditional = list(engine.retrieve("汊河軌道交通裝備產業園", k=3, retrieval="keyword").hits)
    assert traditional[0].chunk.id == hits[0].chunk.id
    assert traditional[0].scores_by_retriever == pytest.approx(hits[0].scores_by_retriever)  # every term matched
    # replace the document: its old keyword rows must go with its chunks
    target = corpus / "000_4fc3eb35a66a7ee3.txt"
    target.write_text("全新内容:汊河已无产业园。", encoding="utf-8")
    engine.ingest([corpus], progress=False)
    store = index_of(engine).store
    db = store._db()
    assert db.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0] == store.counts()["chunks"]
    hits = list(engine.retrieve("汊河轨道交通装备产业园", k=3, retrieval="keyword").hits)
    assert "汊河已无产业园" in hits[0].chunk.text


def test_hybrid_hits_explain_their_rank(engine: Youju, corpus: Path) -> None:
    engine.ingest([corpus], progress=False)
    found = engine.retrieve("成都至德眉资动车用时缩短至23分钟", k=5)
    hits, timings = list(found.hits), found.timings
    assert {"embed_query", "dense_search", "keyword_search", "fusion"} <= set(timings)
    top = hits[0]
    assert "23分钟" in top.chunk.text
    assert {"dense", "dense_rank", "keyword", "keyword_rank", "rrf"} <= set(top.scores_by_retriever)
    assert top.score == pytest.approx(top.scores_by_retriever["rrf"])
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_keyword_search_respects_the_document_filter(engine: Youju, corpus: Path) -> None:
    engine.ingest([corpus], progress=False)
    doc = next(d for d in engine.documents() if d.source.startswith("004"))
    hits = list(engine.retrieve("南京都市圈面积", k=5, documents=[doc.id], retrieval="keyword").hits)
    assert {h.source for h in hits} <= {doc.source}


def test_keyword_index_is_rebuilt_after_a_tokenizer_change(engine: Youju, corpus: Path, hashing_settings) -> None:
    engine.ingest([corpus], progress=False)
    engine.close()
    db_path = hashing_settings.index_dir / "chunks.sqlite"
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM chunks_fts")
        db.execute("UPDATE meta SET value=? WHERE key='keyword_tokenizer'", (json.dumps(0),))
    index = Index.open(hashing_settings.index_dir)
    assert not index.keywords_stale()
    assert index.store.keyword_search(fts_query("汊河轨道交通装备产业园"), 1)


def test_cross_encoder_reranker_reorders_with_its_own_scores(engine: Youju, corpus: Path, tmp_path: Path,
                                                             tiny_cross_encoder: Path) -> None:
    engine.ingest([corpus], progress=False)
    hits = list(engine.retrieve("成都至德眉资动车用时", k=6).hits)
    reranker = CrossEncoderReranker(str(tiny_cross_encoder), depth=4)
    reranked = reranker.rerank("成都至德眉资动车用时", hits)
    head = reranked[:4]
    assert {h.chunk.id for h in head} == {h.chunk.id for h in hits[:4]}
    assert all("rerank" in h.scores_by_retriever and h.score == h.scores_by_retriever["rerank"] for h in head)
    assert [h.score for h in head] == sorted((h.score for h in head), reverse=True)
    assert [h.chunk.id for h in reranked[4:]] == [h.chunk.id for h in hits[4:]]
    with pytest.raises(Exception, match="reranker"):
        CrossEncoderReranker(str(tmp_path / "missing")).rerank("q", hits)
