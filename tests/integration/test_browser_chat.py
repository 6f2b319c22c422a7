"""The chat UI in real headless Chromium against `youju chat` on localhost: streamed answers
with clickable citations, the highlighted span, abstention, upload then ask, documents that
try to inject HTML, feedback, export and the language switch. Screenshots go to test-artifacts/.
The hashing embedder keeps this fast; answer quality is tested elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from helpers import CORPUS, REPO, run_cli
from helpers.browser import browser, screenshot  # noqa: F401 - the fixture
from helpers.servers import free_port, running

pytestmark = pytest.mark.slow

EVIL = ("恶意文档测试\n\n青岛港<script>window.__pwned = 1</script>吞吐量创新高。"
        "<img src=x onerror=\"window.__pwned = 2\">青岛港货物吞吐量达到6.6亿吨。")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    docs = tmp_path_factory.mktemp("docs")
    for p in CORPUS.glob("*.txt"):
        shutil.copy(p, docs / p.name)
    (docs / "evil.html").write_text(f"<html><body><p>{EVIL}</p></body></html>".replace("<script>", "&lt;script&gt;")
                                    .replace("</script>", "&lt;/script&gt;").replace("<img", "&lt;img"),
                                    encoding="utf-8")
    (docs / "evil.txt").write_text(EVIL, encoding="utf-8")
    env = {**os.environ, "YOUJU_HOME": str(home), "YOUJU_MODEL": "hashing:256", "YOUJU_MIN_ANSWERABLE": "0",
           "PYTHONPATH": str(REPO)}
    assert run_cli("ingest", str(docs), env=env).returncode == 0
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running([sys.executable, "-m", "youju", "chat", "--port", str(port)], url, env=env):
        yield {"url": url, "home": home, "docs": docs}


@pytest.fixture
def page(app, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app["url"])
    page.wait_for_selector("#yj-send:not([disabled]), #yj-send button:not([disabled])", timeout=120_000)
    yield page
    assert not errors, errors
    page.close()


def ask(page, question: str) -> None:
    page.evaluate("""() => { window.__sawStreaming = false;
        new MutationObserver(() => { if (document.querySelector('.yj-streaming')) window.__sawStreaming = true; })
          .observe(document.body, {subtree: true, childList: true}); }""")
    n = page.locator(".yj-bot:not(.yj-streaming)").count()
    box = page.locator("#yj-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.yj-bot:not(.yj-streaming)').length > {n}", timeout=60_000)


def test_streamed_answer_with_clickable_citation(page) -> None:
    ask(page, "成都至德眉资的动车要多久?")
    assert page.evaluate("window.__sawStreaming")  # the answer bubble was written progressively
    answer = page.locator(".yj-bot").last
    assert "23分钟" in answer.inner_text()
    assert answer.locator(".yj-cite").count() >= 1
    screenshot(page, "chat-answer")
    answer.locator(".yj-cite").first.click()
    selected = page.locator("#yj-sources .yj-card.yj-selected")
    selected.wait_for(timeout=10_000)
    mark = selected.locator("mark.yj-quote").first
    assert mark.is_visible() and "23分钟" in mark.inner_text()
    assert "000_4fc3eb35a66a7ee3.txt" in selected.inner_text()
    screenshot(page, "chat-citation")
    # the whole section expands, with the span still highlighted
    selected.locator("details summary").click()
    assert "23分钟" in selected.locator(".yj-section mark.yj-quote").inner_text()
    # and the document viewer opens at the cited offset
    selected.locator(".yj-open").click()
    focus = page.locator("#yj-viewer #yj-focus")
    focus.wait_for(timeout=10_000)
    assert "23分钟" in focus.inner_text()
    page.wait_for_timeout(500)
    assert focus.is_visible() and focus.bounding_box()["y"] < 950  # scrolled into view
    assert "23分钟" in page.locator("#yj-viewer #yj-focus").inner_text()  # still focused a moment later
    screenshot(page, "document-viewer")


def test_unanswerable_question_looks_like_a_refusal(page) -> None:
    ask(page, "上海都市圈的面积有多大?")
    bubble = page.locator(".yj-bot").last
    assert "yj-abstained" in bubble.get_attribute("class")
    assert "资料中没有找到" in bubble.inner_text()
    assert page.locator("#yj-sources .yj-hit").count() >= 1  # the nearest passages are shown
    screenshot(page, "chat-abstention")


def test_upload_then_ask_cites_the_new_file(page, app, tmp_path) -> None:
    path = tmp_path / "青岛都市圈.txt"
    path.write_text("青岛都市圈规划\n\n青岛都市圈面积约1.3万平方公里,包括青岛市、潍坊市部分地区。", encoding="utf-8")
    page.get_by_role("tab", name="文档").click()
    page.locator("#yj-upload input[type=file]").set_input_files(str(path))
    page.locator("#yj-ingest").click()
    page.wait_for_function("document.querySelector('#yj-results') && "
                           "document.querySelector('#yj-results').innerText.includes('青岛都市圈.txt')", timeout=60_000)
    assert "新增" in page.locator("#yj-results").inner_text()
    screenshot(page, "documents-upload")
    assert (app["home"] / "uploads" / "青岛都市圈.txt").exists()
    page.get_by_role("tab", name="对话").click()
    ask(page, "青岛都市圈的面积有多大?")
    answer = page.locator(".yj-bot").last
    assert "1.3万平方公里" in answer.inner_text()
    answer.locator(".yj-cite").first.click()
    assert "青岛都市圈.txt" in page.locator("#yj-sources .yj-card.yj-selected").inner_text()


def test_documents_cannot_inject_html(page) -> None:
    ask(page, "青岛港货物吞吐量是多少?")
    answer = page.locator(".yj-bot").last
    assert "6.6亿吨" in answer.inner_text()
    page.locator("#yj-sources .yj-open").first.click()
    page.locator("#yj-viewer #yj-focus").wait_for(timeout=10_000)
    viewer_text = page.locator("#yj-viewer").inner_text()
    assert "<script>window.__pwned = 1</script>" in viewer_text  # shown as text
    assert "onerror" in viewer_text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#yj-viewer script, #yj-viewer img, #yj-sources script, #yj-sources img").count() == 0
    screenshot(page, "document-escaped")


def test_feedback_export_and_language(page, app) -> None:
    ask(page, "南京都市圈包括哪些地方?")
    page.locator(".yj-bot").last.locator(".yj-fb[data-rating='down']").click()
    feedback = app["home"] / "feedback.jsonl"
    deadline = time.time() + 10
    # wait for a whole line: the file exists a moment before its first line is written
    while not (feedback.exists() and feedback.read_text(encoding="utf-8").endswith("\n")) and time.time() < deadline:
        time.sleep(0.2)
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert record["rating"] == "down" and record["question"] == "南京都市圈包括哪些地方?"
    assert record["settings"]["k"] == 5 and record["citations"]
    page.get_by_role("button", name="导出对话(Markdown)").click()
    link = page.locator("#yj-export a").first
    link.wait_for(timeout=10_000)
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "南京都市圈包括哪些地方?" in text and "[1]" in text and "> " in text
    page.get_by_label("English").check()
    page.get_by_role("button", name="Send").wait_for(timeout=10_000)
    page.get_by_role("tab", name="Documents").wait_for(timeout=10_000)  # the tabs re-render a moment later
    screenshot(page, "chat-english")


def test_follow_ups_use_this_sessions_history_only(page, app, browser) -> None:  # noqa: F811
    ask(page, "南京都市圈的面积有多大?")
    ask(page, "那成都呢?")
    rewrite = page.locator(".yj-bot").last.locator(".yj-rewrite")
    assert "成都都市圈的面积有多大?" in rewrite.inner_text()
    other = browser.new_page(viewport={"width": 1400, "height": 950})
    other.goto(app["url"])
    other.wait_for_selector("#yj-send:not([disabled]), #yj-send button:not([disabled])", timeout=120_000)
    ask(other, "那成都呢?")  # a new tab has no earlier question to lean on
    assert other.locator(".yj-user").count() == 1 and other.locator(".yj-rewrite").count() == 0
    other.close()
