"""An OpenAI-compatible model server as the answer writer, against a real `transformers serve`
process on 127.0.0.1 serving a tiny Qwen2 trained in the test to reply one cited sentence.
The documents and question are written for this test (a city not in the sample corpus)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli
from helpers.documents import write_docs
from helpers.models import make_answering_qwen
from helpers.servers import free_port, transformers_serve

from youju import Settings, Youju

REPLY = "临江市对博士人才给予60万元安居补贴[1]。"  # what the model writes
SHOWN = "临江市对博士人才给予60万元安居补贴。[1]"  # the verified answer puts markers after the sentence
QUESTION = "临江市对博士人才给予多少安居补贴?"
pytestmark = pytest.mark.slow  # trains a model and starts a server: about a minute


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[str, str]:
    """(base URL, model name) of a running `transformers serve`."""
    model = make_answering_qwen(tmp_path_factory.mktemp("llm") / "qwen", REPLY)
    with transformers_serve(model) as url:
        yield url, str(model)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    docs = write_docs(tmp_path_factory.mktemp("docs"))
    home = tmp_path_factory.mktemp("home")
    out = run_cli("ingest", str(docs), env={"YOUJU_HOME": str(home), "YOUJU_MODEL": "hashing:256"})
    assert out.returncode == 0, out.stderr
    return home


def _env(home: Path) -> dict[str, str]:
    return {"YOUJU_HOME": str(home), "YOUJU_MODEL": "hashing:256", "YOUJU_MIN_ANSWERABLE": "0"}


def test_cli_answer_comes_from_the_server_cited_and_verified(served, home: Path) -> None:
    url, name = served
    out = run_cli("ask", "--json", "--llm", url, "--llm-model", name, QUESTION, env=_env(home))
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["composer"] == "llm" and not answer["abstained"]
    assert answer["answer"] == SHOWN
    (cite,) = answer["citations"]
    assert cite["doc"] == "临江人才安居办法.txt" and "博士人才给予60万元安居补贴" in cite["quote"]
    assert all(s["supported"] for s in answer["sentences"])


def test_stream_arrives_in_pieces_from_the_server(served, home: Path) -> None:
    url, name = served
    settings = Settings(home=home, model="hashing:256").with_({"llm.server_model": name, "answer.min_answerable": 0.0})
    with Youju(settings, log=lambda m: None) as yj:
        stream = yj.stream(QUESTION, composer="llm", llm=url)
        pieces = list(stream)
    assert len(pieces) > 3 and "".join(pieces) == REPLY  # token by token, as the server sent them
    assert stream.answer.composer == "llm" and stream.answer.citations[0].quote.startswith("第一条")


def test_unknown_model_name_falls_back_with_the_servers_reason(served, home: Path) -> None:
    url, _ = served
    out = run_cli("ask", "--llm", url, "--llm-model", "no-such-model", QUESTION, env=_env(home))
    assert out.returncode == 0, out.stderr
    assert "大模型服务" in out.stdout and "HTTP 4" in out.stdout and "no-such-model" in out.stdout
    assert "已改用抽取式回答" in out.stdout
    assert "60万元" in out.stdout  # the extractive answer, still cited


def test_server_that_is_down_is_one_clear_note(home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    out = run_cli("ask", "--json", "--llm", url, "--llm-model", "m", QUESTION, env=_env(home))
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["composer"] == "extractive" and "Traceback" not in out.stderr
    assert any(f"无法连接大模型服务 {url}" in n and "已改用抽取式回答" in n for n in answer["notes"])


def test_chat_ui_llm_field_takes_the_server_url(served, home: Path) -> None:
    from youju.app.web import handlers as h

    url, name = served
    settings = Settings(home=home, model="hashing:256").with_({"llm.server_model": name, "answer.min_answerable": 0.0})
    with Youju(settings, log=lambda m: None) as yj:
        session = h.new_session(yj)
        steps = list(h.ask(yj, session, QUESTION, h.AskOptions(k=3, composer="llm", llm=f" {url} ")))
    answer = session.turns[0].answer
    assert answer is not None and answer.composer == "llm" and answer.text == SHOWN
    assert "60万元安居补贴" in steps[-1].chat and not steps[-1].warning
