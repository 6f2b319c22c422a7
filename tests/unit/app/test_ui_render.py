"""The chat UI's HTML and upload handling, without a browser: citations become links to their
own numbers, every document or user string is escaped, the cited span is marked at its exact
offsets, and uploaded file names cannot escape the upload folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from youju.app.uploads import safe_upload_name, store_upload, store_uploads
from youju.app.web.html import TurnView, chat_html, conversation_markdown, document_html, section_span, sources_html
from youju.records import Answer, AnswerSentence, Chunk, Citation, Hit

DOC = "标题\n\n一、第一节\n青岛港<b>吞吐量</b>达到6.6亿吨。其他内容。\n\n二、第二节\n与此无关。"
START = DOC.index("青岛港")
END = DOC.index("。", START) + 1


def _answer(abstained: bool = False) -> Answer:
    chunk = Chunk("c1", "d1", DOC[START:END], START, END, ("一、第一节",))
    hit = Hit(chunk, 0.5, 1, {"dense": 0.9, "dense_rank": 1, "keyword": 3.0, "keyword_rank": 2, "rrf": 0.5},
              source="<evil>.txt", title="标题<script>")
    cite = Citation(1, "c1", "d1", START, END, DOC[START:END], "<evil>.txt", "标题<script>", ("一、第一节",))
    sentences = (AnswerSentence("青岛港<b>吞吐量</b>达到6.6亿吨。", (1,), True),
                 AnswerSentence("它还有9亿吨。", (1,), False, "数字 9 不在引文中"))
    return Answer("青岛港<img onerror=x>?", "…", (cite,), (hit,), abstained, {"total": 12.0}, sentences)


def test_answer_escapes_text_and_links_each_citation() -> None:
    html = chat_html([TurnView("青岛港<img onerror=x>?", _answer())], "zh")
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img onerror=x&gt;" in html and "&lt;b&gt;吞吐量&lt;/b&gt;" in html
    links = re.findall(r"<a class='yj-cite' href='#' data-turn='0' data-n='(\d+)'>\[(\d+)\]</a>", html)
    assert links == [("1", "1"), ("1", "1")]
    assert html.count("yj-unsupported") == 1 and "数字 9 不在引文中" in html


def test_refusal_is_styled_as_a_refusal() -> None:
    assert "yj-abstained" in chat_html([TurnView("q", _answer(abstained=True))], "zh")
    assert "yj-abstained" not in chat_html([TurnView("q", _answer())], "zh")


def test_streaming_turn_hides_half_written_markers() -> None:
    html = chat_html([TurnView("q", None, "青岛港[1")], "zh")
    assert "yj-streaming" in html and "青岛港" in html


def test_sources_mark_exactly_the_cited_span() -> None:
    html = sources_html(_answer(), 0, lambda doc_id: DOC, False, 1, "zh")
    assert "<script>" not in html and "&lt;evil&gt;.txt" in html
    marked = re.findall(r"<mark class='yj-quote'>(.*?)</mark>", html)
    assert marked and all(m == "青岛港&lt;b&gt;吞吐量&lt;/b&gt;达到6.6亿吨。" for m in marked)
    assert f"data-start='{START}' data-end='{END}'" in html
    assert "yj-card yj-selected" in html
    assert "#1" not in html  # the retrieved-passage list only on request or for a refusal
    assert "#1" in sources_html(_answer(), 0, lambda doc_id: DOC, True, None, "zh")


def test_section_is_the_heading_up_to_the_next_heading_of_its_rank() -> None:
    s0, s1 = section_span(DOC, START)
    assert DOC[s0:s1].startswith("一、第一节") and "二、第二节" not in DOC[s0:s1] and "其他内容" in DOC[s0:s1]


def test_document_view_marks_the_span_and_escapes_the_rest() -> None:
    html = document_html("t<i>", "s", DOC, START, END, "zh")
    assert "<i>" not in html
    focus = re.search(r"<mark id='yj-focus' class='yj-quote'>(.*?)</mark>", html)
    assert focus and focus.group(1) == "青岛港&lt;b&gt;吞吐量&lt;/b&gt;达到6.6亿吨。"


def test_markdown_export_keeps_citations_and_quotes() -> None:
    md = conversation_markdown([TurnView("问题", _answer()), TurnView("未完成")], lambda d: DOC, "zh")
    assert "## 1. 问题" in md and "[1]" in md and f"> {DOC[START:END]}" in md
    assert "未完成" not in md


@pytest.mark.parametrize("name, expected", [
    ("报告.pdf", "报告.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\win.ini", "win.ini"),
    ("/abs/path/a b;rm -rf.txt", "a_b_rm_-rf.txt"),
    ("..", "upload"),
    (".hidden.md", "hidden.md"),
    ("x" * 300 + ".docx", "x" * 100 + ".docx"),
])
def test_upload_names_stay_inside_the_upload_folder(name: str, expected: str, tmp_path: Path) -> None:
    assert safe_upload_name(name) == expected


def test_store_upload_copies_into_the_folder(tmp_path: Path) -> None:
    src = tmp_path / "in" / "a.txt"
    src.parent.mkdir()
    src.write_text("内容", encoding="utf-8")
    dest = store_upload(src, tmp_path / "uploads")
    assert dest.parent == (tmp_path / "uploads").resolve() and dest.read_text(encoding="utf-8") == "内容"


def test_a_failed_upload_copy_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("内容", encoding="utf-8")
    gone = tmp_path / "gone.txt"  # vanished before the copy: copyfile raises OSError
    stored = store_uploads([gone, good], tmp_path / "uploads", "zh")
    assert [p.name for p in stored.paths] == ["good.txt"]
    assert len(stored.errors) == 1 and "gone.txt" in stored.errors[0]


def test_chat_feedback_round_trips_into_draft_items(tmp_path: Path) -> None:
    from youju.evaluation.feedback import Feedback, draft_items, read_feedback, save_feedback

    fb = tmp_path / "feedback.jsonl"
    save_feedback(fb, Feedback.of("up", _answer(), {"k": 5}))
    save_feedback(fb, Feedback.of("wrong_citation", _answer(), {"k": 5}, cited=1))
    with pytest.raises(Exception, match="unknown rating"):
        save_feedback(fb, Feedback.of("meh", _answer(), {}))
    records = read_feedback(fb)
    assert [r.rating for r in records] == ["up", "wrong_citation"] and records[1].cited == 1
    assert records[0].citations[0].quote == DOC[START:END]
    [draft] = draft_items(records)  # one draft per question: the latest feedback wins
    assert draft["evidence"] == [] and "wrong citation [1]" in draft["note"]
    [good] = draft_items(records[:1])
    assert good["evidence"] == [{"doc": "<evil>.txt", "text": DOC[START:END]}]
