"""Dense search chosen by size: exact below a line, an inverted file above it (re-clustered as
the index grows), ids kept right through removals, and a named FAISS type left alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import index_of

import youju.retrieval.dense as dense_module
from youju import Youju
from youju.config import RetrievalSettings, Settings
from youju.retrieval.dense import DenseIndex, auto_factory, fits


def test_the_type_follows_the_size() -> None:
    assert auto_factory(dense_module.EXACT_MAX - 1) == "Flat"
    assert auto_factory(100_000) == "IVF1024,Flat"
    assert auto_factory(1_000_000) == "IVF4096,Flat"
    assert fits("IVF1024,Flat", 200_000) and not fits("IVF1024,Flat", 1_000_000)  # outgrown: re-clustered
    assert not fits("Flat", dense_module.EXACT_MAX)
    assert fits("IVF1024,Flat", dense_module.EXACT_MAX // 2 + 1)  # no flip back at the line
    assert not fits("IVF1024,Flat", dense_module.EXACT_MAX // 2 - 1)


def test_an_ivf_index_keeps_its_ids_through_removal() -> None:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((600, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(600, dtype=np.int64) * 7 + 3
    dense = DenseIndex(16, "IVF16,Flat")
    dense.train(vecs)
    dense.add(ids, vecs)
    assert dense.remove(list(ids[:300]))
    found, _ = dense.search(vecs[400], 1)
    assert list(found) == [ids[400]]  # under an IDMap2 wrapper this came back as -1
    found, _ = dense.search(vecs[400], 3, allowed=ids[[10, 401, 402]])
    assert set(found) == {ids[401], ids[402]}  # removed ids are gone, the filter holds


@pytest.fixture
def small_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense_module, "EXACT_MAX", 60)


def test_an_index_past_the_line_switches_to_ivf_and_answers_as_exact_search(
        small_line: None, engine: Youju, corpus: Path, hashing_settings: Settings) -> None:
    engine.ingest([corpus], progress=False)
    index = index_of(engine)
    n = index.counts()["chunks"]
    assert n > 60
    dense = index.dense()
    assert dense.factory == auto_factory(n) and dense.factory.startswith("IVF")
    exact = DenseIndex(dense.dimension, "Flat")
    ids, vecs = next(index.store.vectors(dense.dimension, batch=10**6))
    exact.add(ids, vecs)
    for i in range(0, n, 17):  # with fewer lists than NPROBE, IVF searches them all: exact results
        assert list(dense.search(vecs[i], 5)[0]) == list(exact.search(vecs[i], 5)[0])
    # the FAISS file holds the IVF index; a new process loads it as such
    again = Youju(hashing_settings, log=lambda m: None)
    assert index_of(again).dense().factory == dense.factory
    # re-ingest of a changed document: removal in place, old chunks gone
    target = corpus / "004_de6b2c95de9cf1f8.txt"
    target.write_text("杭州都市圈\n\n全新的内容:杭州至湖州的高铁用时缩短至18分钟。", encoding="utf-8")
    engine.ingest([corpus], progress=False)
    hits = engine.retrieve("杭州至湖州的高铁用时缩短至18分钟", k=3).hits
    assert "18分钟" in hits[0].chunk.text and hits[0].scores_by_retriever["dense_rank"] == 1
    assert len(index.dense()) == index.counts()["chunks"]


def test_a_named_faiss_type_is_kept_whatever_the_size(small_line: None, corpus: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "named", model="hashing:256", retrieval=RetrievalSettings(faiss_index="Flat"))
    with Youju(settings, log=lambda m: None) as engine:
        engine.ingest([corpus], progress=False)
        assert index_of(engine).dense().factory == "Flat"
