"""The README's main job on a fresh home with the real default model: the first `youju ask`
prepares the model and indexes the sample corpus by itself, then answers from it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import run_cli

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
