from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CORPUS, REPO, run_cli

HEAVY = ("torch", "transformers", "sentence_transformers", "faiss", "gradio", "numpy")


@pytest.mark.parametrize("argv", [["--help"], ["ingest", "--help"], ["ask", "--help"], ["list", "--help"],
                                  ["chat", "--help"], ["remove", "--help"], ["eval", "--help"],
                                  ["eval", "run", "--help"], ["eval", "compare", "--help"]])
def test_help_is_instant_and_imports_nothing_heavy(argv: list[str]) -> None:
    code = ("import sys\nfrom youju.app.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "usage: youju" in out.stdout
    assert out.stdout.strip().endswith("HEAVY="), out.stdout[-200:]


def _env(tmp_path: Path) -> dict[str, str]:
    return {"YOUJU_HOME": str(tmp_path / "home"), "YOUJU_MODEL": "hashing:256"}


def test_ingest_ask_list_round_trip(tmp_path: Path) -> None:
    env = _env(tmp_path)
    out = run_cli("ingest", str(CORPUS), env=env)
    assert out.returncode == 0, out.stderr
    assert "新增 5" in out.stdout
    again = run_cli("ingest", str(CORPUS), "--lang", "en", env=env)
    assert "unchanged 5" in again.stdout and "embedded 0 chunks" in again.stdout
    out = run_cli("ask", "--json", "--passages", "南京都市圈面积2.7万平方公里", "-k", "3", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["question"] == "南京都市圈面积2.7万平方公里"
    hit = data["hits"][0]
    assert {"rank", "doc", "start", "end", "text", "score", "heading_path"} <= set(hit)
    text = (CORPUS / hit["doc"]).exists() and hit["text"]
    assert text and "2.7万平方公里" in text
    assert set(data["timings_ms"]) >= {"embed_query", "dense_search", "keyword_search", "fusion"}
    listing = json.loads(run_cli("list", "--json", env=env).stdout)
    assert sorted(d["doc"] for d in listing) == sorted(p.name for p in CORPUS.glob("*.txt"))
    assert all(d["chunks"] > 0 for d in listing)
    gone = listing[0]["doc"]
    out = run_cli("remove", gone, env=env)
    assert out.returncode == 0 and gone in out.stdout, out.stderr
    after = json.loads(run_cli("list", "--json", env=env).stdout)
    assert sorted(d["doc"] for d in after) == sorted(d["doc"] for d in listing[1:])
    missing = run_cli("remove", gone, env=env)
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1


def test_ask_reads_questions_from_stdin_one_json_per_line(tmp_path: Path) -> None:
    env = _env(tmp_path)
    run_cli("ingest", str(CORPUS), env=env)
    out = run_cli("ask", "--json", "-k", "2", env=env, input="南京都市圈的面积\n\n成都至德眉资动车用时\n")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["question"] for d in lines] == ["南京都市圈的面积", "成都至德眉资动车用时"]
    assert all(len(d["hits"]) == 2 for d in lines)


ANSWERING = {"YOUJU_MIN_ANSWERABLE": "0"}  # the hashing model scores low


def test_ask_json_has_the_documented_shape(tmp_path: Path) -> None:
    env = {**_env(tmp_path), **ANSWERING}
    run_cli("ingest", str(CORPUS), env=env)
    data = json.loads(run_cli("ask", "--json", "成都至德眉资的动车要多久?", env=env).stdout)
    assert {"question", "answer", "abstained", "citations", "hits", "timings_ms"} <= set(data)
    assert isinstance(data["answer"], str) and data["abstained"] is False
    cite = data["citations"][0]
    assert {"n", "doc", "start", "end", "quote"} <= set(cite) and "23分钟" in cite["quote"]
    text = (CORPUS / cite["doc"]).read_text(encoding="utf-8")
    assert cite["quote"] in text
    assert {"rank", "doc", "start", "end", "text", "score"} <= set(data["hits"][0])
    assert {"rewrite", "embed_query", "dense_search", "keyword_search", "fusion", "analyse", "total"} <= set(
        data["timings_ms"])


def test_ask_prints_the_answer_then_its_sources(tmp_path: Path) -> None:
    env = {**_env(tmp_path), **ANSWERING}
    run_cli("ingest", str(CORPUS), env=env)
    out = run_cli("ask", "成都至德眉资的动车要多久?", env=env)
    assert out.returncode == 0, out.stderr
    answer, _, sources = out.stdout.partition("来源:")
    assert "23分钟" in answer and "[1]" in answer
    assert "[1]" in sources and "【" in sources and "000_4fc3eb35a66a7ee3.txt" in sources
    refused = run_cli("ask", "上海都市圈的面积有多大?", env=env)
    assert "资料中没有找到" in refused.stdout and "最接近的段落" in refused.stdout


@pytest.mark.parametrize("args,fragment,code", [
    (["ingest", "/no/such/folder"], "找不到文件或文件夹", 2),  # bad input
    (["ask", "南京", "--index", "/tmp/youju-no-index-here"], "处没有索引", 3),  # index problem
    (["ask", "   "], "问题为空", 2),
])
def test_user_errors_are_one_line_without_traceback(tmp_path: Path, args: list[str], fragment: str, code: int) -> None:
    env = _env(tmp_path)
    if args[0] == "ask" and "--index" not in args:
        run_cli("ingest", str(CORPUS), env=env)
    out = run_cli(*args, env=env)
    assert out.returncode == code
    assert "Traceback" not in out.stderr
    assert fragment in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_bad_environment_setting_is_a_clear_error(tmp_path: Path) -> None:
    out = run_cli("list", env={**_env(tmp_path), "YOUJU_CHUNK_SIZE": "big"})
    assert out.returncode == 2 and "YOUJU_CHUNK_SIZE" in out.stderr and "Traceback" not in out.stderr


def test_eval_subcommands_and_a_set_named_like_one(tmp_path: Path) -> None:
    env = _env(tmp_path)
    out = run_cli("eval", env=env)
    assert out.returncode == 2 and "run" in out.stdout and "compare" in out.stdout
    named = tmp_path / "compare"
    named.write_text('{"id": "u", "question": "上海都市圈的面积?", "type": "unanswerable"}\n', encoding="utf-8")
    run_cli("ingest", str(CORPUS), env=env)
    res = subprocess.run([sys.executable, "-m", "youju", "eval", "run", "compare", "--out", "run"], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(REPO), **env}, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr  # `compare` as a set, not the compare command
    assert (tmp_path / "run" / "report.html").exists()
    short = run_cli("eval", str(named), "--out", str(tmp_path / "run2"), env=env)  # the shorthand
    assert short.returncode == 0 and (tmp_path / "run2" / "metrics.json").exists()
