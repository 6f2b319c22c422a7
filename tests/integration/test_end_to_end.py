"""The README's main job on a fresh home with the real default model: the first `youju ask`
prepares the model and indexes the sample corpus by itself, then answers from it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import run_cli

pytestmark = pytest.mark.slow


def test_first_ask_prepares_everything_and_finds_the_area_passage(tmp_path: Path) -> None:
    env = {"YOUJU_HOME": str(tmp_path / "home")}
    out = run_cli("ask", "--json", "南京都市圈的面积有多大", env=env)
    assert out.returncode == 0, out.stderr
    assert "Preparing the default embedding model" in out.stderr and "示例语料" in out.stderr
    data = json.loads(out.stdout)
    top3 = data["hits"][:3]
    hit = next(h for h in top3 if "面积2.7万平方公里" in h["text"])
    assert hit["doc"] == "000_4fc3eb35a66a7ee3.txt"
    with sqlite3.connect(tmp_path / "home" / "index" / "chunks.sqlite") as db:
        text = db.execute("SELECT text FROM documents WHERE source=?", (hit["doc"],)).fetchone()[0]
    assert text[hit["start"]:hit["end"]] == hit["text"]
    # second run: nothing to prepare, nothing to index
    again = run_cli("ingest", "data/corpus", env=env)
    assert "未变 5" in again.stdout and "向量化 0 个片段" in again.stdout


@pytest.fixture(scope="module")
def real_engine(real_home: Path, tmp_path_factory):
    """The default model and the sample corpus, in a private index."""
    from helpers import CORPUS

    from youju import Settings, Youju

    settings = Settings(home=real_home, index=tmp_path_factory.mktemp("index"))
    with Youju(settings, log=lambda m: None) as yj:
        yj.ingest([CORPUS], progress=False)
        yield yj


def test_list_question_is_answered_from_its_passage(real_engine) -> None:
    answer = real_engine.ask("南京都市圈包括哪些地方?")
    assert not answer.abstained
    for city in ("镇江市", "扬州市", "淮安市", "芜湖市", "马鞍山市", "滁州市", "宣城市"):
        assert city in answer.text
    cite = answer.citations[0]
    assert cite.source == "000_4fc3eb35a66a7ee3.txt" and "宣城市市区" in cite.quote
    doc = real_engine.document(cite.doc_id)
    assert doc.text[cite.start:cite.end] == cite.quote


def test_missing_figure_abstains(real_engine) -> None:
    answer = real_engine.ask("深圳市国土面积是多少?")
    assert answer.abstained and answer.text.startswith("资料中没有找到")
    assert answer.hits and "深圳" in answer.hits[0].chunk.text


def test_commute_time_is_cited(real_engine) -> None:
    answer = real_engine.ask("成都至德眉资的动车要多久?")
    assert not answer.abstained and "23分钟" in answer.text
    assert any("23分钟" in c.quote for c in answer.citations)
    assert all(s.supported for s in answer.sentences)


def test_follow_up_is_answered_about_the_new_place(real_engine) -> None:
    from youju.chat.conversation import Conversation

    conv = Conversation()
    real_engine.ask("南京都市圈的面积有多大?", conversation=conv)
    follow = real_engine.ask("那成都呢?", conversation=conv)
    assert follow.standalone_question == "成都都市圈的面积有多大?"
    assert "2.64万平方公里" in follow.text
