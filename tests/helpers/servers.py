"""Real servers started by a test on 127.0.0.1: `transformers serve` (an OpenAI-compatible LLM
server) and `youju serve`. Each runs as its own process; the helper waits until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server at {url} did not come up in {timeout} s")


@contextmanager
def running(cmd: list[str], health_url: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """The server started, up (its `health_url` answers) and stopped afterwards. Its output goes
    to a file, shown if it exits early (a pipe nobody reads would fill and stall it)."""
    with tempfile.TemporaryDirectory(prefix="youju-server-") as tmp:
        log = Path(tmp) / "server.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                    env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
            try:
                wait_until_up(health_url, proc, log)
                yield proc
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


@contextmanager
def transformers_serve(model: Path) -> Iterator[str]:
    """`transformers serve` pinned to a model folder; yields its OpenAI base URL."""
    port = free_port()
    cli = Path(sys.executable).with_name("transformers")
    with running([str(cli), "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
                 f"http://127.0.0.1:{port}/health"):
        yield f"http://127.0.0.1:{port}/v1"
