"""Index round trip, incremental re-ingest, prune, manifest, mismatch and recovery (with the
deterministic hashing embedder: these test the index, not the model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import index_of

from youju import Youju
from youju.config import Settings
from youju.errors import EmptyIndexError, IndexBusyError, IndexMismatchError, InputError
from youju.retrieval.index import Index


def _faiss_count(engine: Youju) -> int:
    return len(index_of(engine).dense())


def test_round_trip_search_and_reopen(engine: Youju, corpus: Path, hashing_settings: Settings) -> None:
    report = engine.ingest([corpus], progress=False)
    assert report.counts()["indexed"] == 5
    found = engine.retrieve("南京都市圈面积2.7万平方公里", k=3)
    hits, timings = list(found.hits), found.timings
    assert hits[0].source == "000_4fc3eb35a66a7ee3.txt"
    assert "2.7万平方公里" in hits[0].chunk.text
    assert [h.rank for h in hits] == [1, 2, 3]
    assert set(timings) >= {"embed_query", "dense_search"}
    doc = index_of(engine).store.document(hits[0].chunk.doc_id)
    for h in hits:
        text = index_of(engine).store.document(h.chunk.doc_id).text
        assert text[h.chunk.start:h.chunk.end] == h.chunk.text
    assert doc.title == "新型城镇化试点示范等地区典型做法:推动都市圈同城化发展"
    stored = index_of(engine).store._db().execute("SELECT DISTINCT typeof(text) FROM documents").fetchall()
    assert stored == [("text",)]  # written from UTF-8 bytes, kept as text (SQL, search, backups see text)
    # a new process (a new Engine) sees the same index
    again = Youju(hashing_settings, log=lambda m: None)
    hits2 = list(again.retrieve("南京都市圈面积2.7万平方公里", k=3).hits)
    assert [h.chunk.id for h in hits2] == [h.chunk.id for h in hits]
    assert _faiss_count(again) == index_of(again).store.counts()["chunks"]


def test_unchanged_files_do_no_work_and_changed_files_are_replaced(engine: Youju, corpus: Path) -> None:
    engine.ingest([corpus], progress=False)
    store = index_of(engine).store
    version = store.version()
    report = engine.ingest([corpus], progress=False)
    assert report.counts() == {"unchanged": 5}
    assert report.chunks_embedded == 0 and store.version() == version
    # same bytes, new mtime: detected by hash, still no embedding
    target = corpus / "004_de6b2c95de9cf1f8.txt"
    target.write_bytes(target.read_bytes())
    assert engine.ingest([corpus], progress=False).chunks_embedded == 0
    # changed content: replaced, its old chunks gone from both SQLite and FAISS
    old_ids = {c.id for d in store.documents() if d.source == target.name for c in store.doc_chunks(d.id)}
    target.write_text("杭州都市圈\n\n全新的内容:杭州至湖州的高铁用时缩短至18分钟。", encoding="utf-8")
    report = engine.ingest([corpus], progress=False)
    assert report.counts() == {"unchanged": 4, "replaced": 1}
    new_doc = next(d for d in store.documents() if d.source == target.name)
    new_ids = {c.id for c in store.doc_chunks(new_doc.id)}
    assert not (old_ids & new_ids)
    assert _faiss_count(engine) == store.counts()["chunks"]
    hits = list(engine.retrieve("杭州至湖州的高铁用时", k=1).hits)
    assert "18分钟" in hits[0].chunk.text


def test_prune_removes_documents_whose_files_are_gone(engine: Youju, corpus: Path) -> None:
    engine.ingest([corpus], progress=False)
    (corpus / "002_1fd86357b09ad930.txt").unlink()
    assert "removed" not in engine.ingest([corpus], progress=False).counts()
    report = engine.ingest([corpus], prune=True, progress=False)
    assert report.counts()["removed"] == 1
    assert {d.source for d in engine.documents()} == {p.name for p in corpus.glob("*.txt")}
    assert _faiss_count(engine) == index_of(engine).store.counts()["chunks"]


def test_single_file_gets_its_file_name_and_unknown_types_are_skipped(engine: Youju, corpus: Path) -> None:
    (corpus / "notes.xyz").write_text("x")
    (corpus / "empty.txt").write_text("   ")
    report = engine.ingest([corpus / "000_4fc3eb35a66a7ee3.txt", corpus / "notes.xyz", corpus / "empty.txt"],
                           progress=False)
    by_status = {r.source: r.status for r in report.results}
    assert by_status == {"000_4fc3eb35a66a7ee3.txt": "indexed", "notes.xyz": "skipped", "empty.txt": "skipped"}
    with pytest.raises(InputError, match="no such file"):
        engine.ingest([corpus / "missing"], progress=False)


def test_manifest_records_model_chunking_and_counts(engine: Youju, corpus: Path, hashing_settings: Settings) -> None:
    engine.ingest([corpus], progress=False)
    manifest = json.loads((hashing_settings.index_dir / "manifest.json").read_text())
    assert manifest["embedder"]["fingerprint"] == "hashing-char12-256"
    assert manifest["embedder"]["dimension"] == 256
    assert manifest["chunking"] == hashing_settings.chunking.as_key()
    assert manifest["counts"]["documents"] == 5
    assert manifest["counts"]["chunks"] == index_of(engine).store.counts()["chunks"]
    assert manifest["format_version"] == 1


def test_opening_with_another_model_is_a_clear_error(engine: Youju, corpus: Path, hashing_settings: Settings) -> None:
    engine.ingest([corpus], progress=False)
    other = Youju(hashing_settings.with_(model="hashing:128"), log=lambda m: None)
    with pytest.raises(IndexMismatchError, match="hashing-char12-256"):
        other.retrieve("南京")
    with pytest.raises(IndexMismatchError):
        other.ingest([corpus], progress=False)


def test_missing_index_is_a_clear_error(hashing_settings: Settings) -> None:
    with pytest.raises(EmptyIndexError, match="youju ingest"):
        Youju(hashing_settings, log=lambda m: None).retrieve("南京")


def test_lost_faiss_file_is_rebuilt_from_stored_vectors(engine: Youju, corpus: Path,
                                                        hashing_settings: Settings) -> None:
    engine.ingest([corpus], progress=False)
    before = list(engine.retrieve("成都至德眉资动车用时", k=5).hits)
    for f in hashing_settings.index_dir.glob("dense-*.faiss"):
        f.unlink()
    fresh = Youju(hashing_settings, log=lambda m: None)
    after = list(fresh.retrieve("成都至德眉资动车用时", k=5).hits)
    assert [h.chunk.id for h in after] == [h.chunk.id for h in before]
    assert list(hashing_settings.index_dir.glob("dense-*.faiss"))  # and saved again


def test_a_second_writer_is_refused(engine: Youju, corpus: Path) -> None:
    engine.ingest([corpus / "000_4fc3eb35a66a7ee3.txt"], progress=False)
    index: Index = index_of(engine)
    with index.writer(engine.embedder, "hashing", engine.settings.chunking):
        with pytest.raises(IndexBusyError):
            Youju(engine.settings, log=lambda m: None).ingest([corpus], progress=False)


def test_search_can_be_restricted_to_documents(engine: Youju, corpus: Path) -> None:
    engine.ingest([corpus], progress=False)
    doc = next(d for d in engine.documents() if d.source.startswith("002"))
    hits = list(engine.retrieve("南京都市圈面积", k=5, documents=[doc.id]).hits)
    assert hits and {h.source for h in hits} == {doc.source}
