"""`youju serve` as a real process on 127.0.0.1, called with the official `openai` client and with
plain HTTP (httpx): answers with citations that point into the served documents, streaming,
the token, upload and removal, and clear JSON errors for bad requests."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from helpers import REPO, run_cli
from helpers.documents import write_docs
from helpers.passages import HAND_MODEL
from helpers.servers import free_port, running

from youju import Settings, Youju

TOKEN = "s3cret-token"
QUESTION = "临江市对博士人才给予多少安居补贴?"
ENV = {"YOUJU_MODEL": "hashing:256", "YOUJU_MIN_ANSWERABLE": "0", "YOUJU_API_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> str:
    home = tmp_path_factory.mktemp("home")
    HAND_MODEL.save(home / "answer_model.json")  # the fitted model's choices rest on the real model's cosines
    env = {**ENV, "YOUJU_HOME": str(home), "PYTHONPATH": str(REPO), "YOUJU_ANSWER_MODEL": str(home / "answer_model.json")}
    out = run_cli("ingest", str(write_docs(tmp_path_factory.mktemp("docs"))), env=env)
    assert out.returncode == 0, out.stderr
    port = free_port()
    with running([sys.executable, "-m", "youju", "serve", "--port", str(port)], f"http://127.0.0.1:{port}/health",
                 env=env):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def http(server: str):
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
        yield client


def _events(text: str) -> list[tuple[str, dict]]:
    """(event, data) of a server-sent event stream."""
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((fields.get("event", ""), json.loads(fields["data"]) if fields["data"] != "[DONE]" else {}))
    return out


# --- the official OpenAI client ---------------------------------------------------------------

def test_openai_client_gets_a_cited_answer_whose_offsets_open_the_document(server: str, http) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{server}/v1", api_key=TOKEN)
    assert [m.id for m in client.models.list()] == ["youju"]
    reply = client.chat.completions.create(model="youju", messages=[
        {"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}])
    text = reply.choices[0].message.content
    assert "60万元" in text and "[1]" in text and reply.choices[0].finish_reason == "stop"
    extra = reply.model_extra["youju"]
    cite = extra["citations"][0]
    assert cite["doc"] == "临江人才安居办法.txt" and extra["answer"] == text
    doc = http.get(f"/v1/documents/{cite['doc_id']}").json()
    assert doc["text"][cite["start"]:cite["end"]] == cite["quote"] and "path" not in doc


def test_openai_client_streams_and_the_last_chunk_carries_the_citations(server: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{server}/v1", api_key=TOKEN)
    chunks = list(client.chat.completions.create(model="youju", stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "60万元" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["youju"]["citations"][0]["quote"].startswith("第一条")


def test_openai_client_follow_up_uses_the_earlier_turns(server: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=f"{server}/v1", api_key=TOKEN)
    first = client.chat.completions.create(model="youju", messages=[{"role": "user", "content": QUESTION}])
    reply = client.chat.completions.create(model="youju", messages=[
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "硕士人才呢?"}])
    extra = reply.model_extra["youju"]
    assert extra["question"] == "硕士人才呢?" and extra["standalone_question"] == "临江市的硕士人才呢?"  # the subject carried over


def test_openai_client_with_a_wrong_key_is_refused(server: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{server}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as exc:
        client.chat.completions.create(model="youju", messages=[{"role": "user", "content": QUESTION}])
    assert "访问令牌" in exc.value.message


# --- plain HTTP ---------------------------------------------------------------------------------

def test_ask_returns_the_answer_json_of_the_cli(http) -> None:
    r = http.post("/v1/ask", json={"question": QUESTION, "k": 2})
    assert r.status_code == 200
    answer = r.json()
    assert set(answer) >= {"question", "answer", "abstained", "citations", "hits", "sentences", "notes"}
    assert len(answer["hits"]) == 2 and "60万元" in answer["answer"]


def test_ask_streams_deltas_then_the_answer(http) -> None:
    r = http.post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    assert {e for e, _ in events[:-1]} == {"delta"} and events[-1][0] == "answer"
    assert "".join(d["text"] for _, d in events[:-1]) and events[-1][1]["citations"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}])
def test_every_v1_route_wants_the_token(server: str, headers: dict) -> None:
    for method, path in [("GET", "/v1/documents"), ("POST", "/v1/ask"), ("GET", "/v1/models"),
                         ("DELETE", "/v1/documents/x"), ("POST", "/v1/chat/completions")]:
        r = httpx.request(method, server + path, headers=headers, json={"question": QUESTION})
        assert r.status_code == 401, (method, path)
        assert r.json()["error"]["type"] == "unauthorized"
    assert httpx.get(server + "/health").status_code == 200  # liveness needs no token
    assert "/v1/ask" in httpx.get(server + "/openapi.json").json()["paths"]


@pytest.mark.parametrize("body,status,says", [
    ({"question": ""}, 400, "问题为空"),
    ({"question": "?!。"}, 400, "只有标点"),
    ({}, 422, "question"),
    ({"question": QUESTION, "k": 0}, 422, "k"),
    ({"question": QUESTION, "composer": "gpt"}, 422, "composer"),
    ("not json", 422, "JSON"),
])
def test_bad_requests_are_clear_json_errors(http, body, status: int, says: str) -> None:
    r = (http.post("/v1/ask", content=body, headers={"content-type": "application/json"}) if isinstance(body, str)
         else http.post("/v1/ask", json=body))
    assert r.status_code == status
    error = r.json()["error"]
    assert says in error["message"] and "Traceback" not in r.text


def test_chat_completion_without_a_user_question_is_a_400(http) -> None:
    r = http.post("/v1/chat/completions", json={"model": "youju", "messages": [{"role": "system", "content": "hi"}]})
    assert r.status_code == 400 and "user" in r.json()["error"]["message"]
    assert http.post("/v1/chat/completions", json={"messages": []}).status_code == 422


def test_upload_answer_and_remove(http) -> None:
    new = "临江市绿色建筑条例\n\n新建公共建筑应当全部达到绿色建筑一星级标准,屋顶光伏覆盖率不低于50%。\n"
    files = [("files", ("../../绿色建筑条例.txt", new.encode(), "text/plain")),
             ("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream"))]
    r = http.post("/v1/documents", files=files)
    assert r.status_code == 200, r.text
    report = r.json()
    statuses = {x["source"]: x["status"] for x in report["files"]}
    assert all("path" not in x for x in report["files"])  # the server's folders stay private
    assert statuses["绿色建筑条例.txt"] == "indexed" and statuses["tool.exe"] == "skipped"
    docs = {d["doc"]: d["id"] for d in http.get("/v1/documents").json()}
    doc_id = next(i for name, i in docs.items() if name.endswith("绿色建筑条例.txt"))
    answer = http.post("/v1/ask", json={"question": "临江市屋顶光伏覆盖率不低于多少?"}).json()
    assert answer["citations"] and answer["citations"][0]["doc_id"] == doc_id and "50%" in answer["answer"]

    assert http.delete(f"/v1/documents/{doc_id}").json() == {"removed": [next(n for n in docs if docs[n] == doc_id)]}
    assert doc_id not in {d["id"] for d in http.get("/v1/documents").json()}
    r = http.delete(f"/v1/documents/{doc_id}")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"
    assert http.get(f"/v1/documents/{doc_id}").status_code == 404
    answer = http.post("/v1/ask", json={"question": "临江市屋顶光伏覆盖率不低于多少?"}).json()
    assert all(c["doc_id"] != doc_id for c in answer["citations"])


def test_upload_without_files_is_a_422(http) -> None:
    r = http.post("/v1/documents", data={"x": "1"})
    assert r.status_code == 422 and "files" in r.json()["error"]["message"]


# --- in process: the answer slots -------------------------------------------------------------

def test_answers_run_one_slot_at_a_time_while_documents_are_served(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from youju.app.serve import Slots, create_app

    settings = Settings(home=tmp_path / "home", model="hashing:256").with_({"answer.min_answerable": 0.0})
    with Youju(settings, log=lambda m: None) as yj:
        yj.ingest([write_docs(tmp_path / "docs")], progress=False)
        inside, most = [0], [0]
        lock = threading.Lock()
        real_stream = yj.stream

        def slow_stream(*args, **kwargs):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.2)
            try:
                return real_stream(*args, **kwargs)
            finally:
                with lock:
                    inside[0] -= 1

        yj.stream = slow_stream  # type: ignore[method-assign]
        client = TestClient(create_app(yj, slots=Slots(1)))
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(
            client.post("/v1/ask", json={"question": QUESTION}).status_code)) for _ in range(4)]
        for th in threads:
            th.start()
        listed = client.get("/v1/documents")
        for th in threads:
            th.join()
    assert results == [200] * 4 and most[0] == 1
    assert listed.status_code == 200 and len(listed.json()) == 3


def test_a_busy_port_is_one_clear_line(server: str, tmp_path: Path) -> None:
    port = server.rsplit(":", 1)[1]
    env = {**ENV, "YOUJU_HOME": str(tmp_path / "home"), "YOUJU_INDEX": str(tmp_path / "index")}
    out = run_cli("serve", "--port", port, env=env, timeout=120)
    assert out.returncode == 2 and f"127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr


def test_an_upload_over_the_limit_is_refused_before_it_is_read(server: str) -> None:
    import socket

    from youju.app.serve import MAX_UPLOAD_BYTES

    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:  # the headers only: no body follows
        s.sendall(f"POST /v1/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
                  f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {MAX_UPLOAD_BYTES + 1}\r\n\r\n"
                  .encode())
        reply = b""
        while b"200 MB" not in reply and (chunk := s.recv(65536)):  # head and body may come apart
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413") and b"200 MB" in reply
