"""The chat page's handlers as plain functions of the facade and a session (no Gradio)."""

from __future__ import annotations

from pathlib import Path

import pytest

from youju import Youju
from youju.app.web import handlers as h


@pytest.fixture
def yj(engine: Youju, corpus: Path) -> Youju:
    engine.settings = engine.settings.with_({"answer.min_answerable": 0.0})
    engine.ingest([corpus], progress=False)
    return engine


def test_ask_streams_into_the_session_then_shows_the_sources(yj: Youju) -> None:
    session = h.new_session(yj)
    steps = list(h.ask(yj, session, "成都至德眉资的动车要多久?", h.AskOptions(k=5)))
    assert steps[0].question == "" and "成都至德眉资的动车要多久?" in steps[0].chat  # the box is cleared at once
    assert any("yj-streaming" in s.chat for s in steps[1:-1])  # written progressively
    last = steps[-1]
    assert "23分钟" in last.chat and last.sources and "yj-selected" in last.sources
    assert session.turns[0].answer is not None and session.selected == (0, 1)
    follow = list(h.ask(yj, session, "那南京呢?", h.AskOptions(k=5)))[-1]
    assert "南京" in session.turns[1].answer.standalone_question and follow.warning is None


def test_a_failing_question_leaves_no_half_turn_and_gives_the_question_back(yj: Youju) -> None:
    session = h.new_session(yj)
    steps = list(h.ask(yj, session, "南京?", h.AskOptions(k=5, documents=("no-such-doc",),
                                                         composer="llm", llm="/no/such/model")))
    assert session.turns and session.turns[0].answer is not None  # an unusable LLM falls back, not fails

    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    yj.stream = broken  # type: ignore[method-assign]
    steps = list(h.ask(yj, session, "成都呢?", h.AskOptions(k=5)))
    assert len(session.turns) == 1 and steps[-1].question == "成都呢?" and "disk gone" in steps[-1].warning


def test_feedback_select_open_and_export(yj: Youju, tmp_path: Path) -> None:
    session = h.new_session(yj)
    list(h.ask(yj, session, "成都至德眉资的动车要多久?", h.AskOptions(k=5)))
    assert h.feedback(yj, session, 0, "down", 0, h.AskOptions(k=5)) is True
    assert h.feedback(yj, session, 7, "down", 0, h.AskOptions(k=5)) is False  # no such answer
    assert '"rating": "down"' in yj.settings.feedback_file.read_text(encoding="utf-8")
    cite = session.turns[0].answer.citations[0]
    assert "yj-selected" in h.select_citation(yj, session, 0, cite.n, False, "zh")
    page = h.open_document(yj, cite.doc_id, cite.start, cite.end, "zh")
    assert page and "yj-focus" in page and h.open_document(yj, "gone", None, None, "zh") is None
    path = h.export(yj, session, "zh")
    assert path and "成都至德眉资的动车要多久?" in path.read_text(encoding="utf-8")


def test_uploads_and_removal_report_per_file(yj: Youju, tmp_path: Path) -> None:
    good = tmp_path / "青岛.txt"
    good.write_text("青岛都市圈\n\n青岛都市圈面积约1.3万平方公里。", encoding="utf-8")
    odd = tmp_path / "notes.xyz"
    odd.write_text("x")
    outcome = h.ingest_uploads(yj, [good, odd, tmp_path / "gone.txt"], "zh", lambda done, total: None)
    rows = {row[0]: row for row in outcome.rows}
    assert rows["青岛.txt"][1] == "新增" and rows["notes.xyz"][1] == "跳过" and "不支持的文件类型" in rows["notes.xyz"][2]
    assert len(outcome.warnings) == 1 and "gone.txt" in outcome.warnings[0]  # the copy failed; the rest went in
    doc = next(d for d in yj.documents() if d.source == "青岛.txt")
    message, error = h.remove(yj, [doc.id], "zh")
    assert not error and "青岛.txt" in message
    assert "青岛.txt" not in {d.source for d in yj.documents()}


def test_two_uploads_with_the_same_name_never_replace_each_other(yj: Youju, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "通知.txt", tmp_path / "b" / "通知.txt"
    first.write_text("白鹭湾新区对博士给予60万元安居补贴。", encoding="utf-8")
    second.write_text("青禾市数字产业引导基金规模为10亿元。", encoding="utf-8")
    h.ingest_uploads(yj, [first], "zh", lambda done, total: None)
    h.ingest_uploads(yj, [second], "zh", lambda done, total: None)
    h.ingest_uploads(yj, [first], "zh", lambda done, total: None)  # the same file again: no third copy
    stored = sorted(p.read_text(encoding="utf-8") for p in yj.settings.uploads_dir.iterdir())
    assert stored == sorted([first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")])
    assert sum(1 for d in yj.documents() if "通知" in d.source) == 2
