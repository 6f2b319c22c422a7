"""Citations, verification, abstention, the extractive composer and follow-up questions, on
small hand-made passages (the hashing embedder stands in for the model)."""

from __future__ import annotations

import pytest
from helpers.passages import HAND_MODEL, composer
from helpers.passages import hits as _hits

from youju.chat.citations import marker_numbers, split_answer, supporting_span
from youju.chat.conversation import Conversation, rewrite_follow_up
from youju.chat.evidence import gather
from youju.chat.extractive import ExtractiveComposer, _as_answer
from youju.chat.questions import analyse, dropped_number, has_figure, states_asked_kind
from youju.chat.verify import Verifier
from youju.config import AnswerSettings
from youju.records import Citation
from youju.text.numbers import DATE, canonical, chinese_to_int, numbers


def _composer() -> ExtractiveComposer:
    return composer()


# --- citations and numbers ----------------------------------------------------------------------

def test_markers_in_every_form() -> None:
    assert marker_numbers("a[1]b【2】c[3, 4]d[5，6]") == [1, 2, 3, 4, 5, 6]
    assert [(s.text, s.citations) for s in split_answer("面积2.7万平方公里。[1]规划由两省印发[2][3]。没有出处的一句。")] == [
        ("面积2.7万平方公里。", [1]), ("规划由两省印发。", [2, 3]), ("没有出处的一句。", [])]


def test_a_quoted_sentence_in_an_answer_keeps_its_citation() -> None:
    quoted = "词典解释为:“一个人迅速获得财富。通常含义即不适应新的地位。”[1]他寄出明信片,写着「希望。」[2]"
    assert [(s.text, s.citations) for s in split_answer(quoted)] == [
        ("词典解释为:“一个人迅速获得财富。通常含义即不适应新的地位。”", [1]), ("他寄出明信片,写着「希望。」", [2])]
    # a quotation that never closes does not swallow the answer: its stops end sentences
    assert [s.text for s in split_answer("他说:“好。下一句。[1]")] == ["他说:“好。", "下一句。"]
    # the composer keeps a sentence that ends in a closing quote as it is (no stop added after it)
    assert _as_answer("词典解释为:“一个人迅速获得财富。”", analyse("词典怎么解释?")).endswith("。”")


def test_numbers_normalise_chinese_numerals_and_units() -> None:
    assert numbers("面积2.7万平方公里,八个方面30个领域,1,600余亿元") == ["27000", "8", "30", "160000000000"]
    assert chinese_to_int("一百零五") == 105 and chinese_to_int("十三五") is None
    assert canonical("确立了八个方面") == "确立了8个方面"
    assert numbers("一体化发展,多达万人") == []  # no number in 一体化; 万人 lost its number
    assert numbers("分为两种,十多個,三小时") == ["2", "10", "3"] and numbers("十分重要,一时") == []


def test_dates_of_any_era_but_not_durations() -> None:
    for date in ("1231年", "公元前25年", "民國39年", "2022年12月", "清朝末期", "七月十一,攻破居庸关", "十二月"):
        assert DATE.search(date), date
    for span in ("签订3年以上劳动合同", "分三期建设", "三个月内完成", "三月内完成", "耗时十个月"):
        assert not DATE.search(span), span


@pytest.mark.parametrize(("question", "entities"), [
    ("青禾市的常住人口是多少?", ("青禾市",)),  # the tagger cuts it 青/禾市
    ("江澜市的地铁有几条线路?", ("江澜市",)),  # 江/澜市
    ("2023年青禾市数字经济核心产业增加值是多少?", ("青禾市",)),  # 年青/禾市
    ("骗取白鹭湾新区安居补贴会有什么后果?", ("白鹭湾新区",)),  # a verb before it is not part of the name
    ("钱塘区和余杭区的市民可以办理多少项海宁市政务服务事项?", ("余杭区", "海宁市", "钱塘区")),
    ("长株潭都市圈包括哪些城市?", ("长株潭都市圈",)),
    ("哪个城市的人口最多?", ()),  # 城市 is not a place name
    ("秋明州州內哪一種作物的產量最高?", ("秋明州",)),  # 秋/明州州/內: the second 州 is "the state's"
])
def test_place_names_the_tagger_does_not_know(question: str, entities: tuple[str, ...]) -> None:
    assert analyse(question).entities == entities


def test_supporting_span_narrows_to_the_sentence() -> None:
    chunk = _hits()[0].chunk
    start, end = supporting_span("动车用时缩短至23分钟", chunk)
    quote = chunk.text[start - chunk.start:end - chunk.start]
    assert quote.startswith("成都至德眉资动车用时缩短至23分钟") and quote.endswith("。")
    assert "轨道交通" not in quote


# --- the verifier -------------------------------------------------------------------------------

def _citation(n: int, quote: str) -> Citation:
    return Citation(n, f"c{n}", "d", 0, len(quote), quote, "x.txt")


def test_verifier_removes_a_citation_that_points_nowhere() -> None:
    cites = {1: _citation(1, "成都至德眉资动车用时缩短至23分钟,都市圈日开行动车104对。")}
    v = Verifier().verify("成都至德眉资的动车只要23分钟[1]。全国共有500个都市圈[7]。", cites)
    assert "[7]" not in v.text and "[1]" in v.text
    first, second = v.sentences
    assert first.supported is True and first.citations == (1,)
    assert second.supported is False and "removed [7]" in second.reason and second.citations == ()
    assert [c.n for c in v.citations] == [1]


def test_verifier_checks_numbers_and_wording() -> None:
    cites = {1: _citation(1, "成都至德眉资动车用时缩短至23分钟。"), 2: _citation(2, "面积2.7万平方公里。")}
    v = Verifier().verify("动车用时缩短至25分钟[1]。面积27000平方公里[2]。杭州的人口最多[2]。", cites)
    wrong_number, same_number, unrelated = v.sentences
    assert wrong_number.supported is False and "25" in wrong_number.reason
    assert same_number.supported is True  # 2.7万 == 27000
    assert unrelated.supported is False


def test_verifier_renumbers_in_order_of_use() -> None:
    cites = {3: _citation(3, "南京都市圈面积2.7万平方公里。"), 1: _citation(1, "成都都市圈面积2.64万平方公里。")}
    v = Verifier().verify("成都都市圈面积2.64万平方公里[1]。南京都市圈面积2.7万平方公里[3]。", cites)
    assert v.text == "成都都市圈面积2.64万平方公里。[1]南京都市圈面积2.7万平方公里。[2]"
    assert [(c.n, c.quote) for c in v.citations] == [(1, "成都都市圈面积2.64万平方公里。"), (2, "南京都市圈面积2.7万平方公里。")]


def test_semantic_support_uses_the_embedder() -> None:
    class Fixed:  # every text embeds to the same vector: meaning always matches
        def embed_documents(self, texts):
            import numpy as np

            return np.ones((len(texts), 4), dtype="float32") / 2

    cites = {1: _citation(1, "九市将夯实交通互联互通基础。")}
    assert Verifier(Fixed()).verify("各城市要加强道路连接[1]。", cites).sentences[0].supported is True
    assert Verifier(None).verify("各城市要加强道路连接[1]。", cites).sentences[0].supported is False


# --- question analysis, abstention and the extractive composer ------------------------------------

def test_question_analysis() -> None:
    q = analyse("南京都市圈的面积有多大?")
    assert (q.kind, q.entities, q.attribute) == ("figure", ("南京都市圈",), ("面积",))
    assert analyse("南京都市圈包括哪些地方?").kind == "list"
    assert analyse("南京都市圈和成都都市圈哪个面积更大?").compare
    assert dropped_number("深圳市国土面积平方公里") and not dropped_number("面积2.7万平方公里")
    assert has_figure("上杭县17所敬老院", ignore=()) and not has_figure("17所敬老院入住老年人名", ignore=("17",))


def test_a_question_in_traditional_characters_asks_what_its_simplified_form_asks() -> None:
    asked = {"島原之亂於何時發生?": "date", "民族自決的觀念是誰提出的?": "person", "臨江市的地鐵有幾條線路?": "number",
             "為什麼臨江縣暫停了地鐵工程?": "reason", "臨江縣位於哪裡?": "place", "臨江縣和哪邊相鄰?": "place",
             "臨江縣是在哪個時候設立的?": "date"}
    assert {q: analyse(q).asks for q in asked} == asked
    q = analyse("臨江市的地鐵有幾條線路?")
    assert q.entities == ("臨江市",) and q.attribute == ("地鐵", "線路")  # as the question writes them
    assert analyse("臨江縣是於西元幾年設立的?").asks == "date" and analyse("民國幾年設縣?").asks == "date"
    assert analyse("人才公寓要住满几年?").asks == "number"  # a span of years
    assert analyse("複合式裝甲因為什麼問題難以大規模裝備?").asks == "reason"  # 大規模 asks no figure
    when = analyse("燕軍在哪一天攻破居庸關?")
    assert states_asked_kind("七月十一,攻破居庸關;", when) and states_asked_kind("二戰時期,臨江縣遭轟炸。", when)
    assert not states_asked_kind("燕軍攻破居庸關,守將逃走。", when)


def test_abstains_when_the_number_was_dropped() -> None:
    answer = _composer().compose("深圳市国土面积是多少?", _hits([1, 0, 2]))
    assert answer.abstained
    assert answer.text.startswith("资料中没有找到") and "深圳市国土面积平方公里" in answer.text
    assert len(answer.citations) == 1 and "国土面积平方公里" in answer.citations[0].quote
    assert answer.sentences[0].supported is True  # the gap itself is checkable


def test_abstains_when_nothing_names_the_entity() -> None:
    answer = _composer().compose("上海都市圈的面积有多大?", _hits())
    assert answer.abstained and "上海都市圈" in answer.text and not answer.citations
    assert answer.hits  # the nearest passages are still there to show


def test_figure_answer_cites_the_sentence_that_states_it() -> None:
    answer = _composer().compose("成都至德眉资的动车要多久?", _hits([2, 0, 1]))
    assert not answer.abstained
    assert "23分钟" in answer.text and answer.text.endswith("[1]")
    cite = answer.citations[0]
    assert "23分钟" in cite.quote and cite.doc_id == "d0"
    hit = _hits()[0]
    assert hit.chunk.text[cite.start - hit.chunk.start:cite.end - hit.chunk.start] == cite.quote
    assert all(s.supported for s in answer.sentences)


def test_long_sentences_are_trimmed_to_what_was_asked() -> None:
    answer = _composer().compose("南京都市圈的面积有多大?", _hits([2, 0, 1]))
    assert answer.text.startswith("规划明确都市圈主要范围包括南京市…面积2.7万平方公里。")
    assert answer.citations[0].quote.endswith("面积2.7万平方公里。")  # the citation keeps the whole sentence
    assert answer.sentences[0].supported is True


def test_list_answer_keeps_the_list() -> None:
    answer = _composer().compose("南京都市圈包括哪些地方?", _hits([2, 0, 1]))
    assert "镇江市市区、句容市" in answer.text and "宣城市市区" in answer.text


def test_abstains_on_weak_evidence_by_threshold() -> None:
    strict_settings = AnswerSettings(min_answerable=1.0)  # nothing is certain enough
    strict = composer("zh", strict_settings)
    assert strict.compose("成都至德眉资的动车要多久?", _hits()).abstained
    assert gather("成都至德眉资的动车要多久?", _hits(), None, None, strict_settings, HAND_MODEL).reason == "weak"


def test_english_refusal() -> None:
    answer = composer("en").compose("上海都市圈的面积有多大?", _hits())
    assert answer.text.startswith("The documents say nothing about")


# --- follow-up questions ----------------------------------------------------------------------------

@pytest.mark.parametrize("previous,follow_up,expected", [
    ("南京都市圈的面积有多大?", "那成都呢?", "成都都市圈的面积有多大?"),
    ("南京都市圈包括哪些地方?", "它的面积呢?", "南京都市圈的面积呢?"),
    ("哈尔滨市的国土面积是多少?", "那深圳呢?", "深圳市的国土面积是多少?"),
    ("南京都市圈的面积有多大?", "深圳市国土面积是多少?", "深圳市国土面积是多少?"),  # standalone: unchanged
    (None, "那成都呢?", "那成都呢?"),  # nothing to refer to
])
def test_follow_up_rewriting(previous, follow_up, expected) -> None:
    assert rewrite_follow_up(follow_up, previous) == expected


def test_conversation_history_is_bounded() -> None:
    conv = Conversation(max_turns=2)
    answer = _composer().compose("成都至德眉资的动车要多久?", _hits())
    for q in ["一", "二", "三"]:
        conv.add(q, q, answer)
    assert [t.question for t in conv.turns] == ["二", "三"]
    assert conv.rewrite("那南京呢?") == "南京呢?"  # the last turn names no entity: nothing to swap


def test_a_figure_question_shows_the_figure_clause_when_clauses_tie() -> None:
    """An English question's Chinese keywords (都市圈 面积 江澜) can score a clause that names the
    region as high as the clause with the asked figure; the figure clause is the answer."""
    from youju.chat.extractive import _as_answer
    from youju.chat.questions import QuestionInfo

    sentence = ("规划明确都市圈主要范围包括江澜市,青禾市市区、白鹭县,临江市市区、东湖县,西岭市市区、北港县,"
                "南湾市市区、望海县、云溪县,石门市市区、长宁县及周边县市的部分街道和乡镇,面积2.7万平方公里。")
    info = QuestionInfo("What is the area of the Jianglan metropolitan area? (都市圈 面积 江澜)", "figure", False,
                        ("都市", "都市圈", "面积"), (), ("都市", "都市圈", "面积"), asks="number", english=True)
    assert len(sentence) > 90  # long enough to be trimmed to its key clauses
    assert _as_answer(sentence, info).endswith("面积2.7万平方公里。")


def _one_passage(text: str, path: tuple[str, ...] = ()) -> list:
    from youju.records import Chunk, Hit

    return [Hit(Chunk("c0", "d0", text, 0, len(text), path), 1.0, 1, {"dense": 0.9}, "report.txt", "报告")]


def test_a_list_begun_inside_the_announcing_sentence_is_not_shown_twice() -> None:
    text = ("2023年5月,九市在临川市召开联席会议,达成三点协议:一是共建城际铁路;二是推动公交一卡通互联互通;"
            "三是统一道路运输执法标准。")
    answer = _composer().compose("九市在临川市达成了哪几点协议?", _one_passage(text))
    assert [s.text for s in answer.sentences] == [
        "2023年5月,九市在临川市召开联席会议,达成三点协议。", "一是共建城际铁路;", "二是推动公交一卡通互联互通;",
        "三是统一道路运输执法标准。"]
    assert [len(s.citations) for s in answer.sentences] == [1, 1, 1, 1]
    # the items do not name 临川市 themselves: the sentence that announces them does
    assert all(s.supported for s in answer.sentences), answer.sentences


def test_points_announced_by_count_are_the_headings_that_follow() -> None:
    text = ("四市召开首次联席会议,经协商一致,达成三点合作共识。\n\n交通同网\n\n四市共建城际铁路,推进公交一卡通。\n\n"
            "产业同链\n\n四市共建产业园区,联合招商。\n\n民生同享\n\n四市互认社保缴费年限。\n\n其他消息\n\n青禾市召开会议。")
    answer = _composer().compose("四市达成了哪几点共识?", _one_passage(text))
    assert [s.text for s in answer.sentences[1:]] == ["交通同网。", "产业同链。", "民生同享。"]
    assert len({s.citations[0] for s in answer.sentences}) == 4 and all(s.supported for s in answer.sentences)
    # two headings where three are announced: not a list of points
    short = text.split("民生同享")[0].rstrip()
    assert "交通同网" not in _composer().compose("四市达成了哪几点共识?", _one_passage(short)).text
    # 12点共识 announces twelve, not two
    twelve = short.replace("三点合作共识", "12点合作共识")
    assert "交通同网" not in _composer().compose("四市达成了哪几点共识?", _one_passage(twelve)).text


def test_a_list_question_is_answered_by_the_best_sentence_not_a_lower_ranked_list() -> None:
    # a lower-ranked sentence that happens to list names (村, 村, 村) is not what was asked
    text = "云岭镇位于青禾市西部,下辖白沙村、石门村、龙潭村等12个行政村。云岭镇的主导产业为茶叶种植及乡村旅游。"
    answer = _composer().compose("云岭镇的主导产业有哪些?", _one_passage(text))
    assert answer.text == "云岭镇的主导产业为茶叶种植及乡村旅游。[1]", answer.text


def test_which_one_is_not_a_list_question() -> None:
    assert analyse("《青禾月报》是由哪个出版社发行的?").kind != "list"
    assert analyse("该工程由哪个单位负责?").asks != "list"
    assert analyse("该工程由哪些单位负责?").kind == "list"


LINJIANG_PRACTICES = ("临江都市圈同城化做法\n\n"
                      "近年来,临江市与周边城市推进机制同建、交通同网、民生同保,打造区域发展主引擎。\n\n"
                      "(一)推进机制同建。一是建立市长联席会议制度,每年召开两次会议;二是设立同城化发展办公室,集中办公。\n\n"
                      "(二)推进交通同网。一是开通城际公交线路12条;二是推进轨道交通互联互通,建成市域铁路1条。\n\n"
                      "(三)推进民生同保。一是推进医疗共享,城镇职工医保异地门诊即时结算全面开通;"
                      "二是推进就业共赢,2023年组织1,000多家企业赴周边城市招聘;三是推进教育共建,新开办中小学校5所。\n")


def test_a_list_question_that_names_a_section_lists_that_sections_items(tmp_path) -> None:
    from helpers.documents import write_docs

    from youju import Settings, Youju

    HAND_MODEL.save(tmp_path / "model.json")  # the fitted model's choices rest on the real model's cosines
    settings = Settings(home=tmp_path / "home", model="hashing:256", index=tmp_path / "index")
    with Youju(settings.with_({"answer.min_answerable": 0.0, "answer.model_file": str(tmp_path / "model.json")}),
               log=lambda m: None) as yj:
        yj.ingest([write_docs(tmp_path / "docs", {"临江做法.txt": LINJIANG_PRACTICES})], progress=False)
        answer = yj.ask("临江市在推进民生同保方面做了哪些工作?")
    # the items of (三)推进民生同保, each cited; not the three sections the opening sentence names
    assert [s.text for s in answer.sentences] == [
        "一是推进医疗共享,城镇职工医保异地门诊即时结算全面开通;", "二是推进就业共赢,2023年组织1,000多家企业赴周边城市招聘;",
        "三是推进教育共建,新开办中小学校5所。"], answer.text
    assert all(len(s.citations) == 1 and s.supported for s in answer.sentences)


def test_a_long_list_item_is_shown_up_to_a_clause_break_never_inside_a_number() -> None:
    from youju.chat.enumerations import _shown

    item = ("三是推进教育共建,华中农业大学、武昌首义学院等多所高等院校下沉市县开办新校区,武汉市职业教育与周边8市相互开放,"
            "每年有1万余名都市圈内初中毕业生到武汉市就读中职学校。")
    assert _shown(item) == "三是推进教育共建,华中农业大学、武昌首义学院等多所高等院校下沉市县开办新校区,武汉市职业教育与周边8市相互开放…"
    no_breaks = "三是推进教育共建每年有12345678901234567890名初中毕业生到武汉市就读中职学校享受同等待遇并获得补贴资助和奖学金共计若干项"
    shown = _shown(no_breaks)
    assert shown.endswith("…") and not shown[-2].isdigit() and no_breaks.startswith(shown[:-1])


def test_a_heading_without_its_marker() -> None:
    from youju.ingest.structure import heading_name

    assert heading_name("(五)推进民生同保") == "推进民生同保"
    assert heading_name("典型做法之3:成都都市圈同城化开局起势") == "成都都市圈同城化开局起势"
    assert heading_name("一、总体要求") == "总体要求"
    assert heading_name("第三条") == ""
    assert heading_name("## 规划同编") == "规划同编"


def test_the_named_sections_sentences_are_those_after_its_heading_line() -> None:
    from youju.chat.candidates import Candidate
    from youju.chat.enumerations import in_named_section
    from youju.records import Chunk, Hit

    def sentences(marked: str, path: tuple[str, ...], start: int) -> list[Candidate]:  # "|" between sentences
        text = marked.replace("|", "")
        hit = Hit(Chunk(f"c{start}", "d0", text, start, start + len(text), path), 1.0, 1, {}, "a.txt", "标题")
        out, at = [], 0
        for i, s in enumerate(marked.split("|")):
            out.append(Candidate(hit, i, 0, start + at, start + at + len(s), s, None))
            at += len(s)
        return out

    # a passage that begins with the heading above the named one, and one that continues the section
    first = sentences("二、重点任务|(一)壮大数字产业|一是做强电子信息制造业;", ("二、重点任务", "(一)壮大数字产业"), 0)
    rest = sentences("二是发展软件和信息服务业;|三是培育人工智能产业。", ("二、重点任务", "(一)壮大数字产业"), 40)
    info = analyse("青禾市在壮大数字产业方面有哪些举措?")
    assert [c.text for c in in_named_section(rest + first, info)] == \
        ["一是做强电子信息制造业;", "二是发展软件和信息服务业;", "三是培育人工智能产业。"]
    assert in_named_section(first, analyse("青禾市有哪些重点任务?")) == []  # 重点任务 is too short a name
