"""Keyword posting lists (large indexes): the same ranking as FTS5's bm25(), written by the
index writer for the store version they describe and never used for another."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import youju.retrieval.index as index_module
from youju.config import ChunkingSettings
from youju.records import Chunk, Document
from youju.retrieval.index import Index
from youju.retrieval.keywords import fts_query, query_terms
from youju.retrieval.postings import Postings, term_key
from youju.retrieval.store import StagedDocument

DIM = 8
# Words of made-up policy text, with what FTS5's tokenizer treats specially: mixed case ASCII,
# decimals and percentages (token characters '.' and '%'), a hyphenated code.
WORDS = ["临江市", "人才", "安居", "补贴", "博士", "硕士", "万元", "产业", "基金", "规模", "新区", "高铁",
         "通勤", "同城化", "发展", "示范", "5G", "AI", "Wi-Fi", "3.5", "12%", "GDP", "园区", "审批"]


class FixedVectors:
    dimension = DIM
    fingerprint = "test-fixed-8"


def _document(n: int, rng: random.Random, pieces: list[str]) -> StagedDocument:
    text = "\n".join(pieces)
    doc_id = f"{n:016x}"
    doc = Document(doc_id, f"docs/{n}.txt", f"{n}.txt", text, f"/docs/{n}.txt", doc_id)
    chunks, pos = [], 0
    for i, piece in enumerate(pieces):
        chunks.append(Chunk(f"{doc_id}-{i}", doc_id, piece, pos, pos + len(piece)))
        pos += len(piece) + 1
    vecs = np.ones((len(chunks), DIM), dtype=np.float32) / np.sqrt(DIM)
    return StagedDocument(doc, tuple(chunks), vecs, (np.zeros((0, DIM), dtype=np.float32),) * len(chunks),
                          len(text), n, "test")


def _pieces(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        # skewed word choice, so some terms are in most chunks (FTS5 floors their IDF)
        words = [WORDS[min(int(rng.expovariate(0.25)), len(WORDS) - 1)] for _ in range(rng.randint(3, 12))]
        out.append("".join(words) + "。")
    return out


def _write(index: Index, docs: list[StagedDocument]) -> None:
    with index.writer(FixedVectors(), "fixed", ChunkingSettings()) as writer:  # type: ignore[arg-type]
        writer.put(docs)


@pytest.fixture
def lists_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "POSTINGS_MIN_CHUNKS", 1)


@pytest.fixture
def index(tmp_path: Path, lists_always: None) -> Index:
    rng = random.Random(7)
    docs = [_document(n, rng, _pieces(rng, 40)) for n in range(6)]
    docs.append(_document(6, rng, ["临江市博士人才安居补贴60万元。"] * 3))  # identical chunks: exact ties
    idx = Index.open(tmp_path / "index", create=True)
    _write(idx, docs)
    return idx


QUESTIONS = ["临江市博士人才安居补贴是多少?", "产业基金规模多大", "5G和AI园区", "Wi-Fi覆盖率12%", "GDP增长3.5",
             "高铁通勤同城化发展示范", "审批", "补贴", "南京都市圈面积", "发展"]


def _fts(index: Index, question: str, k: int, doc_ids: list[str] | None, weight: float) -> list[tuple[int, float]]:
    match = fts_query(question)
    return index.store.keyword_search(match, k, doc_ids, (1.0, weight)) if match else []


def _same(got: list[tuple[int, float]], expected: list[tuple[int, float]]) -> bool:
    return ([r for r, _ in got] == [r for r, _ in expected]
            and [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9))


@pytest.mark.parametrize("weight", [1.0, 0.4])
@pytest.mark.parametrize("k", [1, 5, 30, 500])
def test_posting_lists_rank_every_question_as_fts5_does(index: Index, weight: float, k: int) -> None:
    assert index.postings() is not None
    for question in QUESTIONS:
        for doc_ids in (None, ["0000000000000002", "0000000000000006"]):
            expected = _fts(index, question, k, doc_ids, weight)
            got = index.search_keywords(question, k, doc_ids, weight)
            assert _same(got, expected), (question, doc_ids, got, expected)


def test_a_term_fts5_would_read_as_a_phrase_is_left_to_fts5(index: Index) -> None:
    # (questions never produce one today: their words are split at the same characters)
    postings = index.postings()
    assert postings is not None
    assert postings.search(["wi-fi"], [], 5, (1.0, 1.0)) is None  # two FTS5 tokens
    assert postings.search(["wi"], [], 5, (1.0, 1.0))  # one token: answered here


def test_lists_follow_the_store_version_and_leave_small_indexes(index: Index, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "index"
    first = index.version()
    assert [p.name for p in folder.glob("keywords-*")] == [f"keywords-{first}"]
    rng = random.Random(8)
    _write(index, [_document(7, rng, ["临江市新区产业基金规模10亿元。"])])
    assert [p.name for p in folder.glob("keywords-*")] == [f"keywords-{index.version()}"]
    top = index.search_keywords("临江市产业基金规模", 1)
    assert index.store.chunks([top[0][0]])[top[0][0]].chunk.text == "临江市新区产业基金规模10亿元。"
    monkeypatch.setattr(index_module, "POSTINGS_MIN_CHUNKS", 10**6)
    _write(index, [_document(8, rng, ["园区审批。"])])
    assert not list(folder.glob("keywords-*")) and index.postings() is None


def test_missing_or_damaged_lists_fall_back_to_fts5_until_the_next_ingest_rewrites_them(index: Index,
                                                                                        tmp_path: Path) -> None:
    folder = tmp_path / "index" / f"keywords-{index.version()}"
    expected = _fts(index, QUESTIONS[0], 10, None, 1.0)
    (folder / "offsets.npy").write_bytes(b"not numpy")
    fresh = Index.open(tmp_path / "index")  # a new process: nothing cached
    assert fresh.postings() is None
    assert fresh.search_keywords(QUESTIONS[0], 10) == expected
    fresh.repair(ChunkingSettings())  # what an ingest with nothing to do calls
    assert fresh.postings() is not None and _same(fresh.search_keywords(QUESTIONS[0], 10), expected)
    (folder / "partials.npy").unlink()
    again = Index.open(tmp_path / "index")
    assert again.postings() is None
    _write(again, [])  # a writer rewrites them on its way out too
    assert again.postings() is not None and _same(again.search_keywords(QUESTIONS[0], 10), expected)


def test_lists_of_another_version_are_never_used(index: Index, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    old = index.version()
    with index.store.transaction() as db:  # a commit whose lists were never written (a crash)
        db.execute("DELETE FROM chunks WHERE rowid = (SELECT MIN(rowid) FROM chunks)")
        index.store.bump_version(db)
    assert (folder / f"keywords-{old}").is_dir() and index.postings() is None
    q = "临江市博士人才安居补贴"
    assert index.search_keywords(q, 20) == _fts(index, q, 20, None, 1.0)


def test_build_counts_terms_and_row_lengths(tmp_path: Path, lists_always: None) -> None:
    idx = Index.open(tmp_path / "index", create=True)
    _write(idx, [_document(0, random.Random(0), ["补贴补贴补贴。", "人才。"])])
    postings = Postings.build(idx.store._db(), idx.version(), tmp_path / "lists")
    assert postings.n_rows == 2
    words, _ = query_terms("补贴")
    hits = postings.search(words, [], 5, (1.0, 0.0))
    assert hits and len(hits) == 1
    row = hits[0][0]
    start, end = postings._slice(term_key(0, "补贴"))
    assert list(postings.rows[start:end]) == [row] and list(postings.counts[start:end]) == [3]


@pytest.mark.parametrize(("batch", "bucket"), [(1, 1 << 22), (7, 1), (100, 50), (100_000, 997)])
def test_lists_built_in_batches_equal_lists_built_at_once(index: Index, tmp_path: Path, batch: int,
                                                          bucket: int) -> None:
    """Rows arrive in batches and their postings are spilled to files by key prefix, each file
    sorted on its own: any batch size and number of files give the same lists (rows ascending
    in each) as one batch of everything in one file."""
    db, version = index.store._db(), index.version()
    whole = Postings.build(db, version, tmp_path / "whole", batch=100_000, bucket=1 << 40)
    parts = Postings.build(db, version, tmp_path / "parts", batch=batch, bucket=bucket)
    assert not list((tmp_path / "parts").glob("spill-*"))  # spill files are removed
    for name in ("keys", "offsets", "rows", "counts", "lengths", "partials"):
        assert np.array_equal(getattr(whole, name), getattr(parts, name)), name
    for start, end in zip(whole.offsets[:-1], whole.offsets[1:], strict=True):
        assert np.all(np.diff(whole.rows[start:end]) > 0)


def test_the_dense_index_is_let_go_while_lists_are_built_and_comes_back_from_its_file(index: Index) -> None:
    # the fixture's writer built the lists: it had saved the FAISS index and dropped it first
    assert index._dense is None and index.postings() is not None
    query = np.asarray(index.dense().vectors(np.asarray([1])), dtype=np.float32)[0]
    assert index._dense is not None and len(index.dense()) == index.store.counts()["chunks"]
    assert index.search_dense(query, 1)[0][0] == 1  # the reloaded index answers
    rng = random.Random(3)
    _write(index, [_document(9, rng, ["园区审批时限压缩到5个工作日。"])])  # lists due again: dropped again
    assert index._dense is None and len(index.dense()) == index.store.counts()["chunks"]
