"""The OpenAI-compatible server composer's failure paths, against real sockets on 127.0.0.1 (the
protocol itself is tested against `transformers serve` in tests/integration/test_llm_server.py)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from helpers.passages import NO_THRESHOLDS
from helpers.passages import hits as _hits

from youju.chat.llm_server import ServerComposer, _detail, is_server_url
from youju.config import LLMSettings
from youju.embeddings.hashing import HashingEmbedder


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for c in held:
        c.close()
    sock.close()


def test_a_server_that_never_answers_times_out_into_the_extractive_answer(silent_server: str) -> None:
    settings = LLMSettings(model=silent_server, server_model="m", max_time=1.0, connect_timeout=1.0)
    composer = ServerComposer(settings, HashingEmbedder(), answer=NO_THRESHOLDS)
    answer = composer.compose("成都至德眉资的动车要多久?", _hits())
    assert answer.composer == "extractive" and answer.citations
    assert any(f"大模型服务 {silent_server} 在 1 秒内没有回应" in n and "已改用抽取式回答" in n for n in answer.notes)


def test_an_api_key_from_the_environment_is_sent(monkeypatch) -> None:
    composer = ServerComposer(LLMSettings(model="http://127.0.0.1:1/v1"), None)
    assert composer._headers() == {}
    monkeypatch.setenv("YOUJU_LLM_API_KEY", "k-123")
    assert composer._headers() == {"Authorization": "Bearer k-123"}


def test_server_urls_and_error_details() -> None:
    assert is_server_url("http://127.0.0.1:11434/v1") and is_server_url("https://x/v1")
    assert not is_server_url("/models/Qwen2.5-1.5B-Instruct")
    assert _detail('{"error": {"message": "model not found"}}') == "model not found"
    assert _detail('{"detail": "Server is pinned"}') == "Server is pinned"
    assert _detail("<html>502</html>") == "<html>502</html>"
