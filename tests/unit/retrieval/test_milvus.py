"""The Milvus backend on Milvus Lite (a PATH.db file): the same records, search and incremental
re-ingest as the default index, on documents written for the test and on the sample corpus,
with the hashing embedder (these test the backend, not the model)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from helpers import CORPUS, run_cli
from helpers.documents import LINJIANG, write_docs
from helpers.passages import HAND_MODEL

import youju.retrieval.milvus as milvus_module
from youju import Settings, Youju
from youju.errors import EmptyIndexError, IndexMismatchError, InputError
from youju.text.tokens import TOKENIZER_VERSION

pytest.importorskip("milvus_lite")

LONG = "临江市档案管理条例\n\n" + "".join(f"第{i}条 档案馆应当对第{i}类档案进行数字化,保存期限为{i}年。\n" for i in range(1, 800))


def _youju(home: Path, index: Path | str, **changes) -> Youju:
    settings = Settings(home=home, model="hashing:256", index=index).with_({"answer.min_answerable": 0.0, **changes})
    return Youju(settings, log=lambda m: None)


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Youju, Youju]:
    """The sample corpus in a default index and in Milvus Lite."""
    tmp = tmp_path_factory.mktemp("both")
    default, milvus = _youju(tmp / "home", tmp / "index"), _youju(tmp / "home", tmp / "m.db")
    for yj in (default, milvus):
        yj.ingest([CORPUS], progress=False)
    yield default, milvus
    default.close()
    milvus.close()


def test_same_documents_chunks_and_texts(both) -> None:
    default, milvus = both
    assert milvus.info().documents == default.info().documents == 5
    assert milvus.info().chunks == default.info().chunks
    assert [d.to_dict() | {"meta": None} for d in milvus.documents()] == \
        [d.to_dict() | {"meta": None} for d in default.documents()]
    for d in default.documents():
        assert milvus.document(d.id) == default.document(d.id)


def test_same_passages_for_the_sample_questions(both) -> None:
    default, milvus = both
    questions = [json.loads(line)["question"] for line in (CORPUS.parent / "eval/sample.jsonl").open(encoding="utf-8")]
    same_top, overlap = 0, 0.0
    for q in questions[:40]:
        a = [h.chunk.id for h in default.retrieve(q, k=5).hits]
        b = [h.chunk.id for h in milvus.retrieve(q, k=5).hits]
        assert [h.chunk.id for h in default.retrieve(q, k=5, retrieval="dense").hits] == \
            [h.chunk.id for h in milvus.retrieve(q, k=5, retrieval="dense").hits]  # exact search on both
        same_top += a[:1] == b[:1]
        overlap += len(set(a) & set(b)) / 5
    assert same_top >= 39 and overlap / 40 >= 0.95  # keyword ranks are FTS5's (below); fusion ties may differ


def _keyword_ranking(yj: Youju, question: str) -> tuple[list[float], dict[float, set[str]]]:
    """The scores in order, and the passages at each score but the lowest (ties are ordered by
    rowid, which differs between backends, and the last tie group may be cut at k)."""
    hits = yj.retrieve(question, k=30, retrieval="keyword").hits
    scores = [round(h.score, 9) for h in hits]
    groups: dict[float, set[str]] = {}
    for h, score in zip(hits, scores):
        if score != scores[-1]:
            groups.setdefault(score, set()).add(h.chunk.id)
    return scores, groups


def test_keyword_scores_are_fts5s_on_milvus_too(both) -> None:
    default, milvus = both
    questions = [json.loads(line)["question"] for line in (CORPUS.parent / "eval/sample.jsonl").open(encoding="utf-8")]
    for q in questions[::3]:
        assert _keyword_ranking(milvus, q) == _keyword_ranking(default, q), q


def test_keyword_statistics_follow_replace_and_remove(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    with _youju(tmp_path / "home", tmp_path / "index") as default, _youju(tmp_path / "home", tmp_path / "m.db") as milvus:
        def same() -> None:
            for q in ("临江市地铁线路总里程", "智能制造产业基金规模", "博士人才安居补贴"):
                assert _keyword_ranking(milvus, q) == _keyword_ranking(default, q), q

        for yj in (default, milvus):
            yj.ingest([docs], progress=False)
        same()
        (docs / "临江轨道交通规划.txt").write_text("临江市轨道交通规划\n\n到2035年,临江市建成地铁线路9条,总里程320公里。\n",
                                              encoding="utf-8")
        for yj in (default, milvus):
            yj.ingest([docs], progress=False)
        same()
        for yj in (default, milvus):
            yj.remove([next(d.id for d in yj.documents() if d.source == "临江产业基金.txt")])
        same()


def test_keyword_side_keeps_the_jieba_and_bigram_analysis(both) -> None:
    _, milvus = both
    hits = milvus.retrieve("开行2295列", k=3, retrieval="keyword").hits
    assert hits and "2295列" in hits[0].chunk.text
    assert milvus.retrieve("qwertyuiop", k=3, retrieval="keyword").hits == ()


def test_large_collections_rank_keywords_by_milvus_bm25(both, monkeypatch: pytest.MonkeyPatch) -> None:
    default, milvus = both
    monkeypatch.setattr(milvus_module, "SCAN_MAX", 0)  # as if past the re-scoring limit
    q = "南京都市圈的面积有多大?"
    hits = milvus.retrieve(q, k=10, retrieval="keyword").hits
    assert hits and "2.7万平方公里" in hits[0].chunk.text
    assert [round(h.score, 6) for h in hits] != [round(h.score, 6) for h in
                                                 default.retrieve(q, k=10, retrieval="keyword").hits]  # Milvus's scores


def test_answers_and_citations_open_the_document(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs", {**LINJIANG, "临江档案条例.txt": LONG})
    # the hand-set answer model: the fitted one's choice between the 博士 and 硕士 sentences rests on
    # the real model's cosines, which the hashing embedder does not give (this tests the backend)
    HAND_MODEL.save(tmp_path / "hand-model.json")
    with _youju(tmp_path / "home", tmp_path / "idx.db", **{"answer.model_file": str(tmp_path / "hand-model.json")}) as yj:
        report = yj.ingest([docs], progress=False)
        assert report.counts()["indexed"] == 4
        answer = yj.ask("临江市对博士人才给予多少安居补贴?")
        cite = answer.citations[0]
        assert "60万元" in answer.text and cite.source == "临江人才安居办法.txt"
        assert yj.document(cite.doc_id).text[cite.start:cite.end] == cite.quote
        long_doc = next(d for d in yj.documents() if d.source == "临江档案条例.txt")
        assert yj.document(long_doc.id).text == LONG.strip() or yj.document(long_doc.id).text.startswith("临江市档案管理条例")
        assert len(yj.document(long_doc.id).text) > 16000  # stored in several parts, read back whole
        only = yj.ask("保存期限为多少年?", documents=[long_doc.id])
        assert all(c.doc_id == long_doc.id for c in only.citations)


def test_incremental_reingest_replace_and_remove(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    with _youju(tmp_path / "home", tmp_path / "idx.db") as yj:
        yj.ingest([docs], progress=False)
        assert yj.ingest([docs], progress=False).counts()["unchanged"] == 3
        target = docs / "临江轨道交通规划.txt"
        os.utime(target, (time.time() + 5, time.time() + 5))  # touched, same content: kept
        assert yj.ingest([docs], progress=False).counts()["unchanged"] == 3
        target.write_text("临江市轨道交通规划\n\n到2035年,临江市建成地铁线路9条,总里程320公里。\n", encoding="utf-8")
        assert yj.ingest([docs], progress=False).counts()["replaced"] == 1
        hits = yj.retrieve("临江市地铁线路", k=5).hits
        texts = " ".join(h.chunk.text for h in hits)
        assert "320公里" in texts and "180公里" not in texts  # the old chunks are gone
        assert yj.info().chunks == sum(d.chunks for d in yj.documents())
        gone = next(d for d in yj.documents() if d.source == "临江产业基金.txt")
        assert yj.remove([gone.id]) == ["临江产业基金.txt"]
        assert gone.id not in {d.id for d in yj.documents()} and yj.document(gone.id) is None
        assert all(h.chunk.doc_id != gone.id for h in yj.retrieve("智能制造产业基金规模", k=5).hits)


def test_chunks_without_their_document_row_are_never_returned(tmp_path: Path) -> None:
    """A crash between a document's chunks and its row (the commit) leaves chunks nobody sees;
    writing the document again removes them."""
    docs = write_docs(tmp_path / "docs")
    with _youju(tmp_path / "home", tmp_path / "idx.db") as yj:
        yj.ingest([docs], progress=False)
        index = yj._reader()
        doc = next(d for d in yj.documents() if d.source == "临江产业基金.txt")
        index.client.delete(index.name("docs"), filter=f'id == "{doc.id}"')  # as if the row never landed
        assert all(h.chunk.doc_id != doc.id for h in yj.retrieve("智能制造产业基金规模30亿元", k=5).hits)
        assert yj.ingest([docs], progress=False).counts()["indexed"] == 1
        rows = index.client.query(index.name("chunks"), filter=f'doc_id == "{doc.id}"', output_fields=["rowid"])
        assert len(rows) == next(d for d in yj.documents() if d.id == doc.id).chunks  # no duplicates left


def test_milvus_uri_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="milvus://HOST:PORT/COLLECTION"):
        _youju(tmp_path, "milvus://127.0.0.1:19530/bad-name!").documents()
    with pytest.raises(EmptyIndexError):
        _youju(tmp_path, tmp_path / "none.db").documents()


def test_cli_ingest_list_ask_on_a_milvus_lite_file(tmp_path: Path) -> None:
    env = {"YOUJU_HOME": str(tmp_path / "home"), "YOUJU_MODEL": "hashing:256", "YOUJU_MIN_ANSWERABLE": "0"}
    db = str(tmp_path / "m" / "youju.db")
    out = run_cli("ingest", str(write_docs(tmp_path / "docs")), "--index", db, env=env)
    assert out.returncode == 0, out.stderr
    assert f"索引 {db}:3 个文档" in out.stdout
    listed = json.loads(run_cli("list", "--json", "--index", db, env=env).stdout)
    assert sorted(d["doc"] for d in listed) == sorted(LINJIANG)
    answer = json.loads(run_cli("ask", "--json", "--index", db, "临江市智能制造产业基金规模多大?", env=env).stdout)
    assert "30亿元" in answer["answer"] and answer["citations"][0]["doc"] == "临江产业基金.txt"


def test_keywords_from_another_tokenizer_version_are_a_clear_mismatch(tmp_path: Path) -> None:
    with _youju(tmp_path / "home", tmp_path / "m.db") as yj:
        yj.ingest([write_docs(tmp_path / "docs")], progress=False)
    index = milvus_module.MilvusIndex.open(str(tmp_path / "m.db"))
    index.set_meta("keyword_tokenizer", TOKENIZER_VERSION - 1)
    index.close()
    with pytest.raises(IndexMismatchError, match="re-ingest into a new location"):
        _youju(tmp_path / "home", tmp_path / "m.db").documents()


def test_a_milvus_server_that_is_down_is_one_line_exit_3(tmp_path: Path) -> None:
    from helpers.servers import free_port

    uri = f"milvus://127.0.0.1:{free_port()}/policies"
    out = run_cli("list", "--index", uri, env={"YOUJU_HOME": str(tmp_path), "YOUJU_MODEL": "hashing:64"})
    assert out.returncode == 3 and f"无法使用 Milvus 索引 {uri}" in out.stderr and "Traceback" not in out.stderr
