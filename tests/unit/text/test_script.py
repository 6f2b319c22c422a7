"""Traditional characters are analysed as their simplified forms and given back as written."""

from __future__ import annotations

from youju.retrieval.keywords import fts_document, query_terms
from youju.text.script import in_script_of, to_simplified
from youju.text.tokens import content_words, tagged, words


def test_folding_maps_each_traditional_character_and_keeps_the_length() -> None:
    text = "臺灣的鐵路線會加掛另一個機車頭,里程約1,000公里。"
    folded = to_simplified(text)
    assert folded == "台湾的铁路线会加挂另一个机车头,里程约1,000公里。"
    assert len(folded) == len(text)
    simplified = "南京都市圈面积约2.7万平方公里,2025年目标。"
    assert to_simplified(simplified) == simplified  # simplified text is left alone


def test_traditional_text_is_cut_as_simplified_and_given_back_as_written() -> None:
    # jieba alone cuts 車/站位/於 and 歸嶺/北/行省; folded, it finds 車站, 位於, 嶺北行省
    question = "車站位於上海市區的南北兩側造成什麼困擾?"
    assert [w for w, _ in tagged(question)][:3] == ["車站", "位於", "上海市"]
    assert "".join(w for w, _ in tagged(question)) == question
    assert ("嶺北行省", "ns") in tagged("被納入草原封建帝國的政治系統內歸嶺北行省管理")
    assert {"車站", "位於", "困擾"} <= set(content_words(question))
    assert "什麼" not in content_words(question) and "甚麼" not in content_words("車站造成甚麼困擾")
    assert set(words("政治系統")) == {"政治", "系統"}


def test_keyword_terms_are_the_same_in_either_script() -> None:
    assert query_terms("車站位於上海市區的南北兩側造成什麼困擾?") == query_terms("车站位于上海市区的南北两侧造成什么困扰?")
    assert fts_document("臺灣鐵路") == fts_document("台湾铁路")
    assert "甚么" not in query_terms("這是甚麼")[0]


def test_a_traditional_question_is_answered_from_simplified_documents(tmp_path) -> None:
    from helpers.documents import write_docs
    from helpers.passages import HAND_MODEL

    from youju import Settings, Youju

    HAND_MODEL.save(tmp_path / "model.json")  # the fitted model's choices rest on the real model's cosines
    settings = Settings(home=tmp_path / "home", model="hashing:256", index=tmp_path / "index")
    changes = {"answer.min_answerable": 0.0, "answer.model_file": str(tmp_path / "model.json")}
    with Youju(settings.with_(changes), log=lambda m: None) as yj:
        yj.ingest([write_docs(tmp_path / "docs")], progress=False)
        answer = yj.ask("臨江市智能製造產業基金規模多大?")  # 臨江市 is nowhere in the documents, 临江市 is
    assert not answer.abstained and "30亿元" in answer.text and answer.citations[0].source == "临江产业基金.txt"


def test_a_question_keeps_its_script_unless_the_passages_are_simplified() -> None:
    assert in_script_of("臨江市的基金多大?", ["临江市设立智能制造产业基金,规模30亿元。"]) == "临江市的基金多大?"
    assert in_script_of("臨江市的基金多大?", ["臨江市設立智慧製造產業基金,規模30億元。"]) == "臨江市的基金多大?"
    simplified_with_a_traditional_name = "乾隆年间,临江市设立书院。" + "临江市设立智能制造产业基金,规模30亿元。" * 20
    assert in_script_of("臨江市", [simplified_with_a_traditional_name]) == "临江市"
    assert in_script_of("临江市", ["臨江市設立基金"]) == "临江市"  # no simplified -> traditional table: kept
