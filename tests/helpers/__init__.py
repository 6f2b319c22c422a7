"""Shared by the tests: repository paths, running the CLI as a user would, and the hand-made
passages and evaluation items several test modules use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "corpus"
# Where slow tests keep the converted default model between runs (gitignored).
TEST_HOME = Path(os.environ.get("YOUJU_TEST_HOME", REPO / ".cache" / "test-home"))


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `python -m youju ...` in a subprocess (as a user would)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "youju", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout, cwd=REPO)


def index_of(yj):
    """The index behind a facade, opened on its own (as another reader would)."""
    from youju.retrieval.index import Index

    return Index.open(yj.settings.index_dir, faiss_factory=yj.settings.retrieval.faiss_index)
