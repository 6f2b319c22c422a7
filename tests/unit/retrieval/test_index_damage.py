"""A damaged index is found on open and either repaired (the FAISS file, a cache) or reported
with the way to recover (the chunk store, the lock); the manifest never lags or breaks a run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from youju import Youju
from youju.config import Settings
from youju.errors import IndexDamagedError
from youju.retrieval.index import DB_NAME, MANIFEST, Index

QUESTION = "南京都市圈面积有多大"


@pytest.fixture
def built(engine: Youju, corpus: Path) -> Youju:
    engine.ingest([corpus], progress=False)
    return engine


def _fresh(settings: Settings, said: list[str] | None = None) -> Youju:
    return Youju(settings, log=(said.append if said is not None else lambda m: None))


def _faiss(settings: Settings) -> Path:
    return next(settings.index_dir.glob("dense-*.faiss"))


def _answers(settings: Settings) -> list[str]:
    with _fresh(settings) as yj:
        return [h.chunk.id for h in yj.retrieve(QUESTION, k=5).hits]


@pytest.mark.parametrize("damage", ["garbage header", "empty", "truncated"])
def test_a_damaged_store_is_a_clear_error_naming_the_recovery(built: Youju, hashing_settings: Settings,
                                                              damage: str) -> None:
    db = hashing_settings.index_dir / DB_NAME
    faiss_file = _faiss(hashing_settings)
    built.close()
    data = db.read_bytes()
    db.write_bytes({"garbage header": b"\x00garbage" + data[8:], "empty": b"",
                    "truncated": data[:len(data) // 3]}[damage])
    with pytest.raises(IndexDamagedError) as info:
        Index.open(hashing_settings.index_dir)
    assert "--rebuild" in info.value.text("en") and "--rebuild" in info.value.text("zh")
    assert info.value.exit_code == 3
    assert faiss_file.exists()  # nothing else is deleted on the way


def test_cli_on_a_damaged_store_is_one_line_exit_3_and_rebuild_recovers(tmp_path: Path, corpus: Path) -> None:
    env = {"YOUJU_HOME": str(tmp_path / "home"), "YOUJU_MODEL": "hashing:64"}
    assert run_cli("ingest", str(corpus), env=env).returncode == 0
    db = tmp_path / "home" / "index" / DB_NAME
    db.write_bytes(b"not sqlite at all" * 100)
    for args in (("list",), ("ask", QUESTION)):
        result = run_cli(*args, env=env)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "youju ingest --rebuild" in result.stderr
    rebuilt = run_cli("ingest", "--rebuild", str(corpus), env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert list((tmp_path / "home").glob("index.old-*/chunks.sqlite"))  # the damaged one is kept aside
    assert run_cli("ask", QUESTION, env=env).returncode == 0


@pytest.mark.parametrize("damage", ["truncated", "empty", "bad header", "random vectors", "another index"])
def test_a_damaged_faiss_file_is_rebuilt_with_a_notice(built: Youju, hashing_settings: Settings, corpus: Path,
                                                      tmp_path: Path, damage: str) -> None:
    expected = _answers(hashing_settings)
    faiss_file = _faiss(hashing_settings)
    data = faiss_file.read_bytes()
    if damage == "another index":  # a FAISS file of a smaller index, same model
        other = Youju(Settings(home=tmp_path / "other", model="hashing:256"), log=lambda m: None)
        other.ingest([next(corpus.iterdir())], progress=False)
        other.close()
        new = _faiss(other.settings).read_bytes()
    elif damage == "random vectors":  # same size, the vector bytes overwritten
        rng = np.random.default_rng(0)
        cut = len(data) // 4
        new = data[:cut] + rng.integers(0, 256, len(data) - 2 * cut, dtype=np.uint8).tobytes() + data[-cut:]
    else:
        new = {"truncated": data[:len(data) // 2], "empty": b"", "bad header": b"XXXX" + data[4:]}[damage]
    faiss_file.write_bytes(new)
    said: list[str] = []
    with _fresh(hashing_settings, said) as yj:
        assert [h.chunk.id for h in yj.retrieve(QUESTION, k=5).hits] == expected
        assert max(h.scores_by_retriever.get("dense", 0) for h in yj.retrieve(QUESTION, k=5).hits) <= 1.0001
    assert any("向量索引文件" in s and "重建" in s for s in said), said
    said.clear()
    assert _answers(hashing_settings) == expected and not said  # the rebuilt file was saved


def test_manifest_is_current_after_each_commit_and_repaired_by_any_ingest(built: Youju, hashing_settings: Settings,
                                                                         corpus: Path) -> None:
    manifest = hashing_settings.index_dir / MANIFEST
    counts = json.loads(manifest.read_text())["counts"]
    stale = {**json.loads(manifest.read_text()), "counts": {"documents": 1, "chunks": 3}}
    manifest.write_text(json.dumps(stale))
    built.ingest([corpus], progress=False)  # nothing changed
    assert json.loads(manifest.read_text())["counts"] == counts


def test_a_garbage_manifest_does_not_break_a_run(built: Youju, hashing_settings: Settings, tmp_path: Path) -> None:
    from helpers.evalsets import SET

    (hashing_settings.index_dir / MANIFEST).write_text("[1, 2")
    assert Index.open(hashing_settings.index_dir).manifest() is None
    (hashing_settings.index_dir / MANIFEST).write_text('"a string"')
    assert Index.open(hashing_settings.index_dir).manifest() is None
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in SET))
    run = built.evaluate(eval_set)
    assert len(run.records[run.mode]) == len(SET)


def test_a_lock_that_is_a_folder_is_a_clear_error(built: Youju, hashing_settings: Settings, corpus: Path) -> None:
    lock = hashing_settings.index_dir / ".lock"
    lock.unlink()
    lock.mkdir()
    changed = next(corpus.iterdir())
    changed.write_text(changed.read_text(encoding="utf-8") + "\n新增一句。", encoding="utf-8")
    with pytest.raises(IndexDamagedError, match="lock file"):
        built.ingest([corpus], progress=False)
