"""An OpenAI-compatible chat server as the answer writer: Ollama, vLLM, llama.cpp's server,
LM Studio and `transformers serve` all speak `POST {base}/chat/completions` with server-sent
events. Only the transport differs from the in-process model: the prompt, the citation parsing,
the verifier and the refusal of weak evidence are `ChatComposer`'s. A server that is down,
slow or does not know the model yields the extractive answer with a note saying why."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from youju.chat.extractive import ExtractiveComposer
from youju.chat.llm import ChatComposer
from youju.config import AnswerSettings, LLMSettings
from youju.embeddings.base import Embedder
from youju.errors import LLMServerError

API_KEY_ENV = "YOUJU_LLM_API_KEY"


def is_server_url(model: str) -> bool:
    return model.startswith(("http://", "https://"))


class ServerComposer(ChatComposer):
    def __init__(self, settings: LLMSettings, embedder: Embedder | None, lang: str = "zh",
                 answer: AnswerSettings | None = None) -> None:
        super().__init__(settings, embedder, lang, answer)
        self.base_url = settings.model.rstrip("/")
        self.connect_timeout = settings.connect_timeout
        self._served = settings.server_model
        self._lock = threading.Lock()

    def fallback(self) -> ExtractiveComposer:
        return ExtractiveComposer(self.embedder, self.lang, self.answer_settings)

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(API_KEY_ENV, "")
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _timeout(self) -> Any:
        import httpx

        return httpx.Timeout(self.max_time, connect=self.connect_timeout)

    def served_model(self) -> str:
        """The model to ask for: the configured name, or the server's only model."""
        with self._lock:
            if not self._served:
                data = self._call(lambda c: c.get(f"{self.base_url}/models", headers=self._headers()))
                names = [m.get("id", "") for m in data.get("data") or [] if isinstance(m, dict)]
                if len(names) != 1:
                    raise LLMServerError("err.llm_server_no_model", url=self.base_url,
                                         models=", ".join(names) or "-")
                self._served = names[0]
            return self._served

    def _call(self, request: Any) -> dict[str, Any]:
        """One plain request's JSON, with the transport's failures as LLMServerError."""
        import httpx

        try:
            with httpx.Client(timeout=self._timeout()) as client:
                response = request(client)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if response.status_code >= 400:
            raise LLMServerError("err.llm_server_status", url=self.base_url, status=response.status_code,
                                 detail=_detail(response.text))
        try:
            return response.json()
        except ValueError:
            raise LLMServerError("err.llm_server_reply", url=self.base_url, detail=response.text[:200]) from None

    def _transport_error(self, exc: Exception) -> LLMServerError:
        import httpx

        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return LLMServerError("err.llm_server_down", url=self.base_url)
        if isinstance(exc, httpx.TimeoutException):
            return LLMServerError("err.llm_server_timeout", url=self.base_url, seconds=self.max_time)
        return LLMServerError("err.llm_server_reply", url=self.base_url, detail=f"{type(exc).__name__}: {exc}")

    def pieces(self, messages: list[dict[str, str]]) -> Iterator[str]:
        import httpx

        payload = {"model": self.served_model(), "messages": messages, "stream": True,
                   "max_tokens": self.max_new_tokens, "temperature": 0}
        deadline = time.monotonic() + self.max_time
        try:
            with httpx.Client(timeout=self._timeout()) as client, \
                    client.stream("POST", f"{self.base_url}/chat/completions", json=payload,
                                  headers=self._headers()) as response:
                if response.status_code >= 400:
                    raise LLMServerError("err.llm_server_status", url=self.base_url, status=response.status_code,
                                         detail=_detail(response.read().decode("utf-8", "replace")))
                for line in response.iter_lines():
                    piece = self._piece(line)
                    if piece is None:
                        break
                    if piece:
                        yield piece
                    if time.monotonic() > deadline:  # cut like the in-process model's max_time
                        break
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None

    def _piece(self, line: str) -> str | None:
        """The text of one server-sent event line; None at the end of the stream."""
        if not line.startswith("data:"):
            return ""  # blank separators, comments, `event:` lines
        data = line[5:].strip()
        if data == "[DONE]":
            return None
        try:
            event = json.loads(data)
        except ValueError:
            raise LLMServerError("err.llm_server_reply", url=self.base_url, detail=data[:200]) from None
        if isinstance(event, dict) and event.get("error"):
            raise LLMServerError("err.llm_server_status", url=self.base_url, status=200, detail=_detail(data))
        choices = event.get("choices") or [] if isinstance(event, dict) else []
        return "".join((c.get("delta") or {}).get("content") or "" for c in choices if isinstance(c, dict))


def _detail(body: str) -> str:
    """The server's own words: OpenAI's error.message, FastAPI's detail, or the start of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:200]
        if error or data.get("detail"):
            return str(error or data.get("detail"))[:200]
    return body.strip()[:200]
