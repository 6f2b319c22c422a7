"""The evaluation report opens in real headless Chromium and shows its plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CORPUS, run_cli
from helpers.browser import browser, screenshot  # noqa: F401 - the fixture
from helpers.evalsets import SET

pytestmark = pytest.mark.slow


def test_report_html_shows_plots_and_gold_spans(tmp_path: Path, browser) -> None:  # noqa: F811
    env = {"YOUJU_HOME": str(tmp_path / "home"), "YOUJU_MODEL": "hashing:256", "YOUJU_MIN_ANSWERABLE": "0"}
    assert run_cli("ingest", str(CORPUS), env=env).returncode == 0
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in SET), encoding="utf-8")
    out = tmp_path / "run"
    assert run_cli("eval", str(path), "--out", str(out), "--ablate", env=env).returncode == 0
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((out / "report.html").as_uri())
    svgs = page.locator("figure svg")
    assert svgs.count() == 3
    for i in range(3):
        box = svgs.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 150
    assert page.locator("figure svg polyline").count() == 3  # one Recall@k line per retrieval mode
    assert page.locator("figure svg rect").count() > 5
    screenshot(page, "eval-report")
    first = page.locator("details").first
    first.locator("summary").click()
    mark = first.locator("mark.gold").first
    assert mark.is_visible() and "23分钟" in mark.inner_text()
    assert page.evaluate("document.scripts.length") == 0  # the <script> in a question stayed text
    screenshot(page, "eval-report-question")
    assert not errors
