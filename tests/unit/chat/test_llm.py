"""The local-LLM composer through the real transformers path, with a tiny Qwen2 model built in
the test; and the fallback to extractive answers when no model can be used."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.passages import NO_THRESHOLDS
from helpers.passages import hits as _hits

from youju import Youju
from youju.chat.llm import TransformersComposer
from youju.config import LLMSettings
from youju.embeddings.hashing import HashingEmbedder
from youju.engine import AnswerStream
from youju.errors import ModelError
from youju.records import Answer


def _llm(folder: Path, **options) -> LLMSettings:
    return LLMSettings(model=str(folder), **options)


def test_tiny_model_streams_and_every_citation_points_somewhere(tiny_qwen: Path) -> None:
    composer = TransformersComposer(_llm(tiny_qwen, max_new_tokens=24), HashingEmbedder(), answer=NO_THRESHOLDS)
    stream = AnswerStream(composer.stream("成都至德眉资的动车要多久?", _hits()))
    pieces = list(stream)
    answer = stream.answer
    assert isinstance(answer, Answer) and answer.composer == "llm"
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert {"analyse", "compose", "verify"} <= set(answer.timings)
    cited = {c.n for c in answer.citations}
    assert all(set(s.citations) <= cited for s in answer.sentences)  # whatever random text it wrote
    tok, model = composer.load()
    assert composer.load() == (tok, model)  # loaded once


def test_prompt_numbers_the_passages_and_names_the_refusal(tiny_qwen: Path) -> None:
    composer = TransformersComposer(_llm(tiny_qwen), None)
    messages = composer.messages("成都至德眉资的动车要多久?", _hits())
    assert messages[0]["role"] == "system" and "资料中没有找到这个问题的答案。" in messages[0]["content"]
    assert "[1]" in messages[-1]["content"] and "[3]" in messages[-1]["content"]
    assert "不得使用资料以外" in messages[0]["content"]


def test_llm_answer_with_a_bad_citation_is_repaired(tiny_qwen: Path) -> None:
    composer = TransformersComposer(_llm(tiny_qwen), HashingEmbedder())
    raw = "成都至德眉资动车用时缩短至23分钟[1]。全国共有500个都市圈[7]。南京都市圈面积2.7万平方公里[3]。"
    answer = composer.finish("q", raw, _hits())
    assert "[7]" not in answer.text
    first, bad, third = answer.sentences
    assert first.supported and third.supported
    assert bad.supported is False and "已删除指向不存在来源的 [7]" in bad.reason  # the reason is in the answer's language
    by_n = {c.n: c for c in answer.citations}
    assert "23分钟" in by_n[1].quote and "轨道交通" not in by_n[1].quote  # narrowed to the sentence
    assert by_n[2].quote.endswith("面积2.7万平方公里。") and by_n[2].doc_id == "d2"  # passage 3, renumbered


def test_llm_refusal_is_an_abstention(tiny_qwen: Path) -> None:
    composer = TransformersComposer(_llm(tiny_qwen), None)
    answer = composer.finish("q", "资料中没有找到这个问题的答案。", _hits())
    assert answer.abstained and not answer.citations


def test_weak_evidence_is_refused_before_the_model_runs(tiny_qwen: Path) -> None:
    composer = TransformersComposer(_llm(tiny_qwen), HashingEmbedder(), answer=NO_THRESHOLDS)
    composer.load = lambda: pytest.fail("the model must not run")
    answer = composer.compose("上海都市圈的面积有多大?", _hits())
    assert answer.abstained and "上海都市圈" in answer.text


def test_unloadable_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="could not load the LLM"):
        TransformersComposer(_llm(tmp_path), None).load()


@pytest.mark.parametrize("llm,note", [("", "未配置本地大模型"), ("/no/such/model", "本地大模型无法加载")])
def test_engine_falls_back_to_extractive_and_says_so_once(engine: Youju, corpus: Path, llm: str, note: str) -> None:
    engine.settings = engine.settings.with_({"answer.composer": "llm", "llm.model": llm,
                                             "answer.min_answerable": 0.0})
    said: list[str] = []
    engine.log = said.append
    engine.ingest([corpus], progress=False)
    first = engine.ask("成都至德眉资动车用时")
    second = engine.ask("南京都市圈的面积")
    assert first.composer == second.composer == "extractive"
    assert any(note in n for n in first.notes)
    assert len([m for m in said if note in m]) == 1
