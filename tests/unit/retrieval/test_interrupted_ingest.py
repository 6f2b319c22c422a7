"""Kill a real `youju ingest` part-way: the previous index must stay usable, every document in
it must be complete, and the next run must pick up where the killed one stopped."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import CORPUS, REPO, run_cli

from youju.config import Settings
from youju.ingest.documents import build_document

CHUNKING = Settings(home=Path("unused")).chunking  # what the ingest subprocess uses


N_BIG = 120  # documents: many commit groups, so the run is still going when the signal comes


def _big_folder(root: Path, n: int = N_BIG) -> Path:
    folder = root / "big"
    folder.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    for i in range(n):
        (folder / f"doc{i:03d}.txt").write_text(f"第{i}号文件\n\n" + texts[i % len(texts)], encoding="utf-8")
    return folder


def _env(home: Path) -> dict[str, str]:
    return {"YOUJU_HOME": str(home), "YOUJU_MODEL": "hashing:256", "PYTHONPATH": str(REPO), "YOUJU_DEBUG": "1"}


def _default_sigint() -> None:
    """The child reacts to Ctrl-C as in a terminal even when this test runs in the background
    (a background job of a non-interactive shell inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _committed_docs(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0


def _start_and_interrupt(home: Path, folder: Path, sig: int) -> tuple[subprocess.Popen, str, int]:
    db = home / "index" / "chunks.sqlite"
    before = _committed_docs(db)
    err = folder.parent / "stderr.txt"
    with open(err, "w") as err_file:
        proc = subprocess.Popen([sys.executable, "-m", "youju", "ingest", str(folder)], env={**os.environ, **_env(home)},
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=err_file, text=True,
                                preexec_fn=_default_sigint)
        deadline = time.time() + 60
        while _committed_docs(db) <= before + 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "ingest finished before it could be interrupted; make the folder bigger"
        proc.send_signal(sig)
        proc.wait(timeout=60)
    return proc, err.read_text(), _committed_docs(db)


def _assert_complete_and_searchable(home: Path) -> int:
    """Every stored document has exactly the chunks a fresh chunking gives; search works."""
    db = home / "index" / "chunks.sqlite"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, path, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.id) FROM documents d").fetchall()
    for _, path, n in rows:
        parsed = build_document(Path(path), Path(path).name, Path(path).read_bytes(), CHUNKING)
        assert n == len(parsed.chunks), f"{path} is half-written"
    out = run_cli("ask", "--json", "成都至德眉资动车用时", "-k", "3", env=_env(home))
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)["hits"]
    assert len(hits) == 3 and all(h["text"] for h in hits)
    return len(rows)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_interrupted_ingest_leaves_a_usable_index(tmp_path: Path, sig: int) -> None:
    home = tmp_path / "home"
    first = run_cli("ingest", str(CORPUS), env=_env(home))
    assert first.returncode == 0, first.stderr
    folder = _big_folder(tmp_path)
    proc, stderr, committed = _start_and_interrupt(home, folder, sig)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, f"committed {committed} of {N_BIG + 5}; stderr: {stderr[-1500:]}"
        assert "中断" in stderr
        # Ctrl-C is orderly: the FAISS file for the committed version was written on the way out
        with sqlite3.connect(home / "index" / "chunks.sqlite") as conn:
            version = json.loads(conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0])
        assert (home / "index" / f"dense-{version}.faiss").exists(), stderr
    assert 5 < committed < 5 + N_BIG
    assert _assert_complete_and_searchable(home) == committed
    # the next run continues: what was committed is unchanged, the rest is indexed
    again = run_cli("ingest", "--json", str(folder), env=_env(home))
    assert again.returncode == 0, again.stderr
    counts = json.loads(again.stdout)["counts"]
    assert counts.get("unchanged", 0) == committed - 5
    assert counts.get("indexed", 0) == N_BIG - (committed - 5)
    assert _assert_complete_and_searchable(home) == N_BIG + 5
    manifest = json.loads((home / "index" / "manifest.json").read_text())
    assert manifest["counts"]["documents"] == N_BIG + 5
