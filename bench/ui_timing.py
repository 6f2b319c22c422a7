"""Time the chat as a user meets it, in headless Chromium: from `youju chat` to a usable page
on a first run (fresh home: model preparation and indexing of the sample corpus) and on a later
run, and from pressing Enter to the first streamed text and to the finished answer. With
--screenshots DIR, also saves the main states of the page (real model, sample corpus).

    .venv/bin/python bench/ui_timing.py [--questions 5] [--screenshots docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, free_port, header

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
QUESTIONS = ["成都至德眉资的动车要多久?", "南京都市圈包括哪些地方?", "深圳市国土面积是多少?", "杭州都市圈要实现哪三张网的融合?",
             "川渝之间的省际高速公路通道有几条?", "上海都市圈的面积有多大?", "武汉城市圈首次联席会是哪天召开的?"]


def session(browser, home: Path, questions: list[str], shots: Path | None,
            first_run_shot: Path | None = None) -> dict[str, object]:
    port = free_port()
    env = {**os.environ, "YOUJU_HOME": str(home), "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "youju", "chat", "--port", str(port)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 950})
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                break
            except Exception:  # not listening yet
                time.sleep(0.2)
        served = time.perf_counter() - t0
        if shots is None and first_run_shot:
            page.wait_for_timeout(8000)  # into the preparation: the progress bar is on the page
            page.screenshot(path=str(first_run_shot))
        page.wait_for_selector("#yj-send:not([disabled])", timeout=300_000)
        usable = time.perf_counter() - t0
        first_text, done = [], []
        for q in questions:
            n = page.locator(".yj-bot:not(.yj-streaming)").count()
            box = page.locator("#yj-question textarea")
            box.fill(q)
            start = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(
                f"""() => {{ const s = document.querySelector('.yj-streaming');
                    if (s && s.innerText.replace(/[…▍\\s]/g, '').length > 0) return true;
                    return document.querySelectorAll('.yj-bot:not(.yj-streaming)').length > {n}; }}""",
                timeout=120_000, polling=10)
            first_text.append((time.perf_counter() - start) * 1000)
            page.wait_for_function(f"document.querySelectorAll('.yj-bot:not(.yj-streaming)').length > {n}",
                                   timeout=120_000, polling=10)
            done.append((time.perf_counter() - start) * 1000)
            if shots and q == questions[0]:
                page.screenshot(path=str(shots / "chat-answer.png"))
                page.locator(".yj-bot").last.locator(".yj-cite").first.click()
                page.locator("#yj-sources .yj-card.yj-selected").wait_for()
                page.locator("#yj-sources .yj-card.yj-selected details summary").click()
                page.screenshot(path=str(shots / "chat-citation.png"))
            if shots and q.startswith("上海"):
                page.screenshot(path=str(shots / "chat-abstention.png"))
        if shots:
            page.locator(".yj-bot").first.locator(".yj-cite").first.click()
            page.locator("#yj-sources .yj-card.yj-selected .yj-open").click()
            page.locator("#yj-viewer #yj-focus").wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=str(shots / "document-viewer.png"))
            page.get_by_role("tab", name="文档").click()
            page.screenshot(path=str(shots / "documents.png"))
        page.close()
        return {"served": served, "usable": usable, "first_text": first_text, "done": done}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=len(QUESTIONS))
    ap.add_argument("--screenshots", type=Path, help="save screenshots of the main states here")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    questions = QUESTIONS[: args.questions]
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=FLAGS)
        first = session(browser, Path(tmp) / "home", questions, None,
                        args.screenshots / "first-run.png" if args.screenshots else None)
        later = session(browser, Path(tmp) / "home", questions, args.screenshots)
        browser.close()
    print(header("Chat UI timing (headless Chromium, default model, sample corpus)",
                 "bench/ui_timing.py" + (f" --screenshots {args.screenshots}" if args.screenshots else "")))
    for name, r in (("first run (fresh home: model preparation + indexing)", first), ("later run", later)):
        print(f"- {name}: page served after {r['served']:.1f} s, usable (question box enabled) after {r['usable']:.1f} s; "
              f"over {len(r['done'])} questions, first streamed text median {statistics.median(r['first_text']):.0f} ms "
              f"(max {max(r['first_text']):.0f}), finished answer median {statistics.median(r['done']):.0f} ms "
              f"(max {max(r['done']):.0f})")


if __name__ == "__main__":
    main()
