"""`youju serve`: the engine over HTTP (FastAPI), for other tools to call.

    POST   /v1/ask                  the Answer JSON of `youju ask --json`; {"stream": true} for
                                    server-sent events: `delta` {"text"} ..., then `answer` {...}
    GET    /v1/documents            the indexed documents (`youju list --json`)
    POST   /v1/documents            upload files (multipart, field `files`); the ingest report
    GET    /v1/documents/{id}       one document with its text, to show a cited span [start, end)
    DELETE /v1/documents/{id}       remove it from the index
    POST   /v1/chat/completions     OpenAI-compatible: the answer with [n] markers as the message;
                                    the whole Answer JSON (citations with offsets and quotes) in
                                    the extra field `youju`; streaming as OpenAI chunks
    GET    /v1/models               the one "model", youju
    GET    /health                  liveness, without authentication

With a token (`--token` or YOUJU_API_TOKEN) every /v1 route wants `Authorization: Bearer TOKEN`.
Errors are JSON in OpenAI's shape, {"error": {"type", "code", "message"}}, with a 4xx status for
anything the caller can fix, never a traceback. Answers are computed ANSWER_SLOTS at a time,
like the chat UI's; other requests go on beside them."""

# No `from __future__ import annotations`: FastAPI reads the route functions' annotations, and the
# ones naming classes imported inside create_app() must be real objects, not strings.
import hmac
import itertools
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from youju.app.concurrency import ANSWER_SLOTS
from youju.errors import EmptyIndexError, IndexBusyError, InputError, ModelError, YoujuError
from youju.i18n import t

if TYPE_CHECKING:
    from fastapi import FastAPI

    from youju.api import Youju
    from youju.records import Answer

MODEL_ID = "youju"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # per request, as the chat UI's upload limit


class AskRequest(BaseModel):
    question: str = Field(description="the question, in Chinese or English")
    k: int | None = Field(None, ge=1, le=50, description="passages given to the answer (default 5)")
    documents: list[str] | None = Field(None, description="search only these document ids")
    composer: Literal["extractive", "llm"] | None = Field(
        None, description="extractive sentences, or the LLM the server was started with (--llm)")
    lang: Literal["zh", "en"] | None = Field(None, description="language of the refusal and notes")
    stream: bool = Field(False, description="server-sent events: `delta` pieces, then the `answer`")


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # OpenAI's content parts: keep the text ones
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    model_config = {"extra": "allow"}  # temperature, max_tokens, ...: accepted, not used


class Slots:
    """At most ANSWER_SLOTS answers at once; the others wait their turn."""

    def __init__(self, n: int = ANSWER_SLOTS) -> None:
        self._sem = threading.BoundedSemaphore(n)

    def __enter__(self) -> None:
        self._sem.acquire()

    def __exit__(self, *exc: object) -> None:
        self._sem.release()


def status_of(exc: YoujuError) -> int:
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, EmptyIndexError):
        return 409  # nothing indexed yet: upload documents first
    if isinstance(exc, IndexBusyError | ModelError):
        return 503
    return 500  # a damaged index, or anything else the caller cannot fix


def error_body(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "code": code or kind, "message": message}}


def _sse(event: str | None, data: Any) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(yj: "Youju", token: str | None = None, slots: Slots | None = None) -> "FastAPI":
    from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    import youju

    app = FastAPI(title="youju 有据", version=youju.__version__,
                  description="Cited answers from your own documents, offline. Errors are "
                              "`{\"error\": {\"type\", \"code\", \"message\"}}`.")
    slots = slots or Slots()
    bearer = HTTPBearer(auto_error=False)
    lang0 = yj.settings.lang

    def authorised(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:  # noqa: B008
        if token and not (creds and hmac.compare_digest(creds.credentials.encode(), token.encode())):
            raise HTTPException(401, t("err.api_token", lang0), headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(YoujuError)
    def _youju_error(request: Request, exc: YoujuError) -> JSONResponse:
        return JSONResponse(error_body(type(exc).__name__, exc.text(lang0), exc.key), status_of(exc))

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        kind = {401: "unauthorized", 404: "not_found", 413: "too_large"}.get(exc.status_code, "invalid_request")
        return JSONResponse(error_body(kind, str(exc.detail)), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg')}"
                             for e in exc.errors())
        return JSONResponse(error_body("invalid_request", problems), 422)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body("internal_error", f"{type(exc).__name__}: {exc}"), 500)

    @app.middleware("http")
    async def _too_large(request: Request, call_next: Any) -> Any:
        """Refused before the body is read (and spooled to disk), not after."""
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES:
            return JSONResponse(error_body("too_large", t("err.api_too_large", lang0, mb=MAX_UPLOAD_BYTES >> 20)), 413)
        return await call_next(request)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": youju.__version__}

    auth = [Depends(authorised)]

    @app.post("/v1/ask", dependencies=auth, summary="Answer a question with cited sources")
    def ask(req: AskRequest) -> Any:
        kwargs: dict[str, Any] = dict(k=req.k, documents=req.documents, composer=req.composer, lang=req.lang or lang0)
        if not req.stream:
            with slots:
                return yj.ask(req.question, **kwargs).to_dict()
        first = _checked_stream(yj, slots, req.question, kwargs)  # a bad question is a 4xx, before the stream

        def events() -> Iterator[str]:
            for piece, answer in first:
                yield _sse("delta", {"text": piece}) if answer is None else _sse("answer", answer.to_dict())

        return StreamingResponse(_guarded(events(), lang0), media_type="text/event-stream")

    @app.get("/v1/documents", dependencies=auth, summary="The indexed documents")
    def documents() -> list[dict[str, Any]]:
        return [d.to_dict() for d in _documents(yj)]

    @app.get("/v1/documents/{doc_id}", dependencies=auth, summary="One document with its text")
    def document(doc_id: str) -> dict[str, Any]:
        doc = yj.document(doc_id)
        if doc is None:
            raise HTTPException(404, t("err.api_no_document", lang0, doc=doc_id))
        return {k: v for k, v in doc.to_dict().items() if k != "path"}  # the server's own paths stay private

    @app.delete("/v1/documents/{doc_id}", dependencies=auth, summary="Remove a document from the index")
    def remove(doc_id: str) -> dict[str, Any]:
        try:
            removed = yj.remove([doc_id])  # the names removed: none when there is no such document
        except EmptyIndexError:
            removed = []
        if not removed:
            raise HTTPException(404, t("err.api_no_document", lang0, doc=doc_id))
        return {"removed": removed}

    @app.post("/v1/documents", dependencies=auth, summary="Upload and index files")
    def upload(files: list[UploadFile] = File(...)) -> dict[str, Any]:  # noqa: B008
        return _ingest_uploads(yj, files, lang0)

    @app.get("/v1/models", dependencies=auth, summary="The model list OpenAI clients ask for")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "youju"}]}

    @app.post("/v1/chat/completions", dependencies=auth, summary="OpenAI-compatible chat (youju as a model)")
    def chat(req: ChatRequest) -> Any:
        question, conversation = _chat_question(yj, req.messages)
        kwargs: dict[str, Any] = dict(conversation=conversation, lang=lang0)
        reply = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": req.model or MODEL_ID}
        if not req.stream:
            with slots:
                answer = yj.ask(question, **kwargs)
            return {**reply, "object": "chat.completion", "youju": answer.to_dict(),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": answer.text}}],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}
        first = _checked_stream(yj, slots, question, kwargs)

        def chunks() -> Iterator[str]:
            head = {**reply, "object": "chat.completion.chunk"}
            yield _sse(None, {**head, "choices": [{"index": 0, "delta": {"role": "assistant"}}]})
            for piece, answer in first:
                if answer is None:
                    yield _sse(None, {**head, "choices": [{"index": 0, "delta": {"content": piece}}]})
                else:  # the verified answer may differ from the raw pieces; the last chunk carries it
                    yield _sse(None, {**head, "youju": answer.to_dict(),
                                      "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            yield _sse(None, "[DONE]")

        return StreamingResponse(_guarded(chunks(), lang0, "[DONE]"), media_type="text/event-stream")

    return app


def _documents(yj: "Youju") -> list[Any]:
    try:
        return yj.documents()
    except EmptyIndexError:
        return []


def _checked_stream(yj: "Youju", slots: Slots, question: str,
                    kwargs: dict[str, Any]) -> Iterator[tuple[str, "Answer | None"]]:
    """The answer's pieces as (text, None) and then ("", answer), computed in an answer slot.
    The question is checked here, before the response starts, so a bad one is still a 400."""
    from youju.engine.core import check_question

    check_question(question)

    def run() -> Iterator[tuple[str, "Answer | None"]]:
        with slots:
            stream = yj.stream(question, **kwargs)
            for piece in stream:
                yield piece, None
            yield "", stream.answer

    pieces = run()
    first = next(pieces)  # retrieval runs now: a missing index is still a status code, not a broken stream
    return itertools.chain([first], pieces)


def _guarded(events: Iterator[str], lang: str, done: str | None = None) -> Iterator[str]:
    """A failure after the response started can only be told in the stream: one `error` event."""
    try:
        yield from events
    except Exception as exc:
        message = exc.text(lang) if isinstance(exc, YoujuError) else f"{type(exc).__name__}: {exc}"
        yield _sse("error", error_body(type(exc).__name__, message))
        if done:
            yield _sse(None, done)


def _chat_question(yj: "Youju", messages: list[Any]) -> tuple[str, Any]:
    """The last user message is the question; earlier user/assistant pairs are the conversation
    it may follow up on (system messages are ignored: youju has its own rules)."""
    from youju.records import Answer

    turns = [(m.role, m.text()) for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise InputError("err.api_no_user_message")
    conversation = yj.conversation()
    asked: str | None = None
    for role, text in turns[:-1]:
        if role == "user":
            asked = text
        elif asked is not None:
            conversation.add(asked, conversation.rewrite(asked), Answer(asked, text))
            asked = None
    return turns[-1][1], conversation


def _ingest_uploads(yj: "Youju", files: list[Any], lang: str) -> dict[str, Any]:
    from youju.app.uploads import safe_upload_name, store_uploads
    from youju.records import IngestReport

    with tempfile.TemporaryDirectory(prefix="youju-upload-") as tmp:
        received = []
        for i, f in enumerate(files):
            dest = Path(tmp) / str(i) / safe_upload_name(f.filename or "upload")
            dest.parent.mkdir()
            with open(dest, "wb") as fh:
                while block := f.file.read(1 << 20):
                    fh.write(block)
            received.append(dest)
        stored = store_uploads(received, yj.settings.uploads_dir, lang)
        report = yj.ingest(stored.paths, progress=False) if stored.paths else IngestReport()
    out = report.to_dict()
    out["files"] = [{k: v for k, v in f.items() if k != "path"} for f in out["files"]]  # the server's folders stay private
    return {**out, "errors": stored.errors}


def run(yj: "Youju", host: str = "127.0.0.1", port: int = 8000, token: str | None = None) -> None:
    """Serve until Ctrl-C. The socket is bound here first, so a busy port is an OSError for the
    caller to report (uvicorn would log it and exit)."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    server = uvicorn.Server(uvicorn.Config(create_app(yj, token), log_level="warning"))
    server.run(sockets=[sock])
