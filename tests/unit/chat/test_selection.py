"""Answer selection pieces on passages written for the purpose: candidates and their features,
the fitted model's file, enumerations, figure comparison, cross-lingual keywords, the
answer-aware verifier and question normalisation. The hashing embedder stands in for the model
(these test the mechanics; answer quality is measured by the evaluation sets)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.passages import HAND_MODEL
from helpers.passages import composer as hand_composer

from youju.chat.candidates import Candidate, Sources, candidates
from youju.chat.crosslingual import chinese_keywords, pinyin_index
from youju.chat.enumerations import enumerate_items, wants_items
from youju.chat.evidence import _asked_kind_first, _asked_places_first, _asked_year_first, gather
from youju.chat.extractive import ExtractiveComposer, _as_answer
from youju.chat.features import (
    CANDIDATE_FEATURES,
    EXTEND_FEATURES,
    QUESTION_FEATURES,
    _subsequence,
    link_flags,
    neighbours,
    weigh,
)
from youju.chat.figures import compare_figures, figure_for
from youju.chat.model import AnswerModel, Linear, load_model
from youju.chat.questions import analyse, carries_unit, expected_units, states_asked_kind
from youju.chat.verify import Verifier
from youju.config import AnswerSettings
from youju.embeddings.hashing import HashingEmbedder
from youju.engine.core import check_question
from youju.errors import QuestionError
from youju.records import Chunk, Citation, Hit
from youju.text.sentences import split_sentences

ANSWER_ALL = AnswerSettings(min_answerable=0.0)


def _hit(text: str, path: tuple[str, ...] = (), rank: int = 1, doc: str = "d", start: int = 0,
         title: str = "标题") -> Hit:
    chunk = Chunk(f"{doc}-{start}", doc, text, start, start + len(text), path, {}, tuple(split_sentences(text)))
    return Hit(chunk, 1.0 / rank, rank, {"dense": 0.9, "dense_rank": rank, "keyword_rank": rank}, f"{doc}.txt", title)


def _best(text: str, question: str) -> Candidate:
    return candidates([_hit(text)], Sources(), HashingEmbedder())[0]


def test_the_shipped_model_matches_the_features() -> None:
    model = load_model()
    assert list(model.selector.features) == CANDIDATE_FEATURES
    assert list(model.answerable.features) == QUESTION_FEATURES
    assert model.extend is not None and list(model.extend.features) == EXTEND_FEATURES
    assert 0 < model.extend_threshold < 1
    assert 0 < model.threshold < 1 and model.about["fitted_by"] == "scripts/fit_answer_model.py"
    assert AnswerModel.from_dict(model.to_dict()).to_dict() == model.to_dict()


def test_candidates_come_from_stored_vectors_or_are_embedded_once() -> None:
    hit = _hit("第一句话。第二句话说面积2.7万平方公里。")
    stored = np.ones((2, 8), dtype=np.float32) / np.sqrt(8)
    got = candidates([hit], Sources(sentence_vectors={hit.chunk.id: stored}), None)
    assert [c.text for c in got] == ["第一句话。", "第二句话说面积2.7万平方公里。"]
    assert np.allclose(got[0].vector, stored[0])
    timings: dict[str, float] = {}
    fresh = candidates([hit], Sources(), HashingEmbedder(), timings)
    assert fresh[1].vector is not None and "embed_sentences" in timings  # nothing stored: embedded here
    again = candidates([hit, hit], Sources(), HashingEmbedder())
    assert len(again) == 2  # a sentence of two overlapping passages is one candidate


def test_features_see_subject_figure_and_wording() -> None:
    info = analyse("白鹭湾新区对博士人才给予多少安居补贴?")
    cands = candidates([_hit("第三条 对博士人才给予60万元安居补贴。对硕士人才给予20万元安居补贴。本办法自2024年起施行。")],
                       Sources(), HashingEmbedder())
    m = weigh(info, cands, HashingEmbedder().embed_query(info.text)).matrix
    col = CANDIDATE_FEATURES.index
    doctor, master, date = m
    assert doctor[col("word")] > master[col("word")]  # 博士 is the asked subject
    assert doctor[col("type_match")] == 1 and date[col("type_match")] == 0  # 2024年 is a date, not an amount
    assert _subsequence("第7届选举焦点", "选举的焦点是越南问题") == 4


def test_an_ordinal_is_not_the_amount_and_the_unit_must_fit_the_asked_noun() -> None:
    info = analyse("青禾市现有多少人才?")
    cands = candidates([_hit("第八条 本办法由青禾市人才办负责解释。青禾市人才总量达12万人。数字产业引导基金 | 10亿元。")],
                       Sources(), HashingEmbedder())
    m = weigh(info, cands, None).matrix
    col = CANDIDATE_FEATURES.index
    ordinal, people, fund = m
    assert ordinal[col("type_match")] == 0 and ordinal[col("type_miss")] == 1  # 第八条 says which, not how many
    assert people[col("type_match")] == 1 and people[col("unit_miss")] == 0
    assert fund[col("type_match")] == 1 and fund[col("unit_miss")] == 1  # 亿元 does not count 人才
    area = weigh(analyse("青禾市面积多大?"), cands, None).matrix
    assert area[2, col("unit_miss")] == 1 and area[0, col("unit_miss")] == 0  # no figure: nothing to mismatch
    population = analyse("北部湾城市群常住人口有多少?")
    # 万人 with its number lost is no amount of people, whatever other figure the sentence states
    assert not states_asked_kind("南宁市常住人口达到万人,三市比重由年的42.7%提高到年的44.3%。", population)
    assert states_asked_kind("城市群常住人口超过4100万人。", population)
    assert states_asked_kind("常住人口三百人。", population)
    # the asked noun right before the amount says its unit (人口…为3400万); a share of it does not
    peak = analyse("青禾国的人口峰值大约多少人?")
    assert states_asked_kind("青禾国领土面积为27万平方公里,人口峰值则为3400万。", peak)
    assert not states_asked_kind("青禾国城镇人口比重提高到44.3%。", peak)
    assert not states_asked_kind("青禾国常住人口达到万人。", peak)
    # a which-year question needs a year, not any figure
    year = analyse("张明最后一个赛季是哪一年?")
    assert not states_asked_kind("张明最后一个赛季再次获得篮板王,命中率为72.7%。", year)
    assert states_asked_kind("1972-1973年赛季,张明率队赢得60场比赛。", year)
    assert states_asked_kind("张明最后一个赛季命中率为72.7%。", analyse("张明最后一个赛季是什么时候?"))
    assert not carries_unit("面积2.7万平方公里", ())  # no unit asked: none carried
    gdp = expected_units(analyse("青禾市人均GDP是多少?"))  # GDP is money: counted in 元
    assert carries_unit("人均GDP达5.7万元", gdp) and not carries_unit("明确8项主要任务42条具体举措", gdp)


def test_features_see_definitions_and_the_documents_topic() -> None:
    # an article whose later sentences speak of its subject as 本鱼 / 其: the opening sentence names
    # the subject but answers only what the subject is
    text = ("青禾鲈（学名：Perca qinghe）是白鹭湾特有的淡水鱼。本鱼体长约30厘米，以小虾和水生昆虫为食。"
            "其卵于每年四月孵化，白鹭湾新区2021年将其列为保护物种。")
    cands = candidates([_hit(text, title="青禾鲈")], Sources(), HashingEmbedder())
    col = CANDIDATE_FEATURES.index
    opening, food, eggs = weigh(analyse("青禾鲈主要以什么为食?"), cands, None).matrix
    assert food[col("topic_rest")] > 0 and opening[col("topic_rest")] == 0  # 青禾鲈 is the title: not the fact
    assert opening[col("word")] > food[col("word")]  # by the question's words alone, the opening sentence wins
    defined = weigh(analyse("什么是青禾鲈?"), cands, None).matrix
    assert list(defined[:, col("defines")]) == [1, 0, 0]
    assert weigh(analyse("青禾鲈的学名是什么?"), cands, None).matrix[:, col("defines")].sum() == 0  # 学名：, not 学名是
    # 本鱼 and 其 point back to the subject; the opening sentence names it; 本次/本市 are not anaphors
    assert list(defined[:, col("anaphor")]) == [0, 1, 1]
    meeting = candidates([_hit("本次会议在青禾市召开。本市代表出席。", title="会议")], Sources(), HashingEmbedder())
    assert weigh(analyse("会议在哪里召开?"), meeting, None).matrix[:, col("anaphor")].sum() == 0


def test_features_read_traditional_text_as_simplified() -> None:
    text = "臨江縣位於白鷺灣北岸。現任臨江縣縣長為張明,2021年就任。"
    cands = candidates([_hit(text, title="臨江縣")], Sources(), HashingEmbedder())
    col = CANDIDATE_FEATURES.index
    rows = weigh(analyse("臨江縣縣長是誰?"), cands, None).matrix
    assert list(rows[:, col("type_match")]) == [0, 1]  # 縣長 is a post, as 县长 is
    place = weigh(analyse("臨江縣位於哪裡?"), cands, None).matrix
    assert place[0, col("type_match")] == 1 and place[0, col("word")] == 1  # 白鷺灣 is a place; 位於 is covered


def test_a_trimmed_sentence_keeps_the_asked_date_and_the_reason() -> None:
    founded = ("2019年3月，经市政府常务会议研究，并报省有关部门备案同意后，青禾市在原有人才专项资金的基础上设立人才发展基金，"
               "用于支持高层次人才引进与培养，2021年又追加了5亿元，2023年起每年安排专项预算用于人才平台建设。")
    answer = _as_answer(founded, analyse("青禾市在哪一年设立人才发展基金?"))
    assert answer.startswith("2019年3月") and "设立人才发展基金" in answer and "2021年" not in answer  # another event's date
    degree = ("1998年，在青禾师范学院教育系取得学士学位，2003年在白鹭湾大学教育研究所取得硕士学位，"
              "2008年在江南大学教育学院取得博士学位，此后一直在青禾师范学院任教。")
    assert _as_answer(degree, analyse("张明何时取得学士学位?")).startswith("1998年，在青禾师范学院")
    paused = ("由于客流预测低于国家审批标准，加之地方财政收入连续两年下降，且沿线拆迁进度明显滞后于原定计划安排，"
              "因此白鹭湾新区暂停了地铁二期工程建设，而后将原有资金转投公交专用道和城市慢行系统建设，并计划于2027年重新评估该项目。")
    signed = ("1789年6月20日，青禾县三级会议会场被封闭后，会议中的第三等级代表和一些下级僧侣、激进乡绅以及闻讯赶来的各乡士绅代表冒雨前往县城东门外书院的室内网球场集会，"
              "签署了著名的《书院宣言》，宣誓如未能为本县制订出一部成文章程就绝不解散。")
    assert _as_answer(signed, analyse("《书院宣言》是在哪一年签署的?")).startswith("1789年6月20日…")
    assert analyse("《书院宣言》是在哪一年签署的?").numbers == ()  # 哪一年 names no year of its own
    reason = _as_answer(paused, analyse("为什么白鹭湾新区暂停了地铁二期工程建设?"))
    assert reason.startswith("由于客流预测") and "暂停了地铁二期" in reason
    # the window with the question's words holds another figure; the asked duration is not trimmed away
    time_limit = "住房公积金异地转移接续要件简化为1张表，办理时限压缩至5个工作日以内。"
    shown = _as_answer(time_limit, analyse("川渝住房公积金异地转移接续现在要多长时间办完?"))
    assert "5个工作日" in shown and "1张表" not in shown, shown


def test_enumerations_marked_runs_and_sub_sections() -> None:
    text = ("九市召开会议,达成五点协议:一是共建轨道上的都市圈;二是推动公交一卡通;三是统一执法标准;"
            "四是共建信息平台;五是编制交通规划。此外还有别的内容。")
    lead = _best(text, "九市达成哪几点协议?")
    items = enumerate_items(lead, analyse("九市达成了哪几点协议?"), None)
    assert [i.shown for i in items] == ["一是共建轨道上的都市圈;", "二是推动公交一卡通;", "三是统一执法标准;",
                                        "四是共建信息平台;", "五是编制交通规划。"]
    assert all(text[i.start:i.end] == i.quote for i in items)  # each a slice of the document
    doc = ("典型做法之3:成都都市圈同城化开局起势\n成都都市圈由成都市为中心组成。\n(一)完善同城化推进机制。内容甲。\n"
           "(二)构建1小时快捷通勤圈。内容乙。\n(三)打造产业协同生态圈。内容丙。\n典型做法之4:杭州都市圈\n杭州内容。")
    start = doc.index("成都都市圈由")
    intro = Candidate(_hit(doc[start:start + 15], ("典型做法之3:成都都市圈同城化开局起势",), start=start), 0, 1,
                      start, start + 15, doc[start:start + 15], None)
    info = analyse("成都都市圈有哪些同城化做法?")
    assert wants_items(info)
    sections = enumerate_items(intro, info, lambda doc_id: doc)
    assert [i.shown for i in sections] == ["(一)完善同城化推进机制。", "(二)构建1小时快捷通勤圈。", "(三)打造产业协同生态圈。"]
    places = _best("南京都市圈范围包括南京市、镇江市、扬州市,面积2.7万平方公里。", "")
    assert enumerate_items(places, analyse("南京都市圈包括哪些地方?"), None) == []  # the sentence is the list


def test_comparison_concludes_from_the_cited_figures() -> None:
    info = analyse("南京和成都哪个面积大?")
    a = figure_for("规划范围包括南京市,面积2.7万平方公里。", info)
    b = figure_for("成都都市圈面积2.64万平方公里,人口3000万。", info)
    assert a and b and (a.value, a.unit) == (27000, "平方公里") and b.value == 26400
    assert compare_figures([("南京", a), ("成都", b)], info, "zh") == "南京的面积更大(2.7万平方公里 > 2.64万平方公里)。"
    assert compare_figures([("南京", a), ("成都", b)], analyse("南京和成都哪个面积小?"), "en") == \
        "成都 is smaller (2.64万平方公里 < 2.7万平方公里)."
    people = figure_for("常住人口2600万人。", analyse("哪个人口多"))
    assert compare_figures([("南京", a), ("甲", people)], info, "zh") is None  # area and people do not compare


def test_the_extractive_answer_lists_compares_and_keeps_offsets() -> None:
    composer = hand_composer()
    text = "南京都市圈面积2.7万平方公里。成都都市圈面积2.64万平方公里。"
    answer = composer.compose("南京都市圈和成都都市圈哪个面积大?", [_hit(text)])
    assert not answer.abstained and answer.text.endswith("[1][2]")
    assert "南京都市圈的面积更大" in answer.sentences[-1].text and answer.sentences[-1].supported
    assert all(text[c.start:c.end] == c.quote for c in answer.citations)
    # the documents in traditional characters: the subjects are still found in them
    traditional = "廣州都市圈面積2.7萬平方公里。蘇州都市圈面積2.64萬平方公里。"
    both = composer.compose("广州都市圈和苏州都市圈哪个面积大?", [_hit(traditional)])
    assert both.text.endswith("[1][2]") and "广州都市圈的面积更大" in both.sentences[-1].text, both.text
    five = ("九市达成五点协议:一是共建轨道上的都市圈;二是推动公交一卡通;三是统一执法标准;四是共建信息平台;五是编制交通规划。")
    listed = composer.compose("九市达成了哪几点协议?", [_hit(five)])
    assert len(listed.citations) >= 5 and "五是编制交通规划" in listed.text


def test_a_multi_figure_sentence_is_trimmed_to_the_asked_subject() -> None:
    sentence = "第三条 安居补贴标准:对博士人才给予60万元安居补贴,对硕士人才给予20万元安居补贴,对本科人才给予5万元安居补贴。"
    shown = _as_answer(sentence, analyse("白鹭湾新区对博士人才给予多少安居补贴?"))
    assert "60万元" in shown and "20万元" not in shown and shown.endswith("。")
    # a question that names none of the subjects is answered with every subject's figure
    every = _as_answer(sentence, analyse("白鹭湾新区的安居补贴是多少?"))
    assert all(f in every for f in ("60万元", "20万元", "5万元")), every
    # figures of different measures are not several subjects': the asked one is still picked
    bus = _as_answer("开通跨市公交线路24条,日均客流量3.6万人次。", analyse("跨市公交线路有多少条?"))
    assert "24条" in bus and "3.6万" not in bus, bus
    pupils = _as_answer("深圳市外来人口随迁子女达86万人,深圳市将59%的义务教育学位提供给了外来人口随迁子女。",
                        analyse("深圳有多少外来人口随迁子女?"))
    assert "86万人" in pupils and "59%" not in pupils, pupils


def test_a_question_about_what_is_due_by_a_year_is_answered_by_that_year() -> None:
    text = "江澜都市圈规划明确了发展目标。到2025年,区域经济总量力争突破1.5万亿元。到2030年,建成现代化都市圈。"
    cands = candidates([_hit(text)], Sources(), HashingEmbedder())
    ranked = np.array([0, 2, 1])  # as a selector might rank them: the sentence that names 目标 first
    assert list(_asked_year_first(analyse("江澜都市圈到2025年的目标是什么?"), cands, ranked)) == [1, 0, 2]
    assert list(_asked_year_first(analyse("江澜都市圈到2030年要建成什么?"), cands, ranked)) == [2, 0, 1]
    # a span of years (2021年到2025年) is not a deadline, and a year merely named is not either
    assert list(_asked_year_first(analyse("江澜都市圈2021年到2025年做了什么?"), cands, ranked)) == [0, 2, 1]
    assert list(_asked_year_first(analyse("江澜都市圈2025年的目标是什么?"), cands, ranked)) == [0, 2, 1]


def test_a_figure_question_about_a_subject_the_sentence_does_not_list_is_refused() -> None:
    composer = hand_composer()
    text = "第五条 对引进的院士给予100万元补贴,对国家级领军人才给予80万元补贴,对省级领军人才给予50万元补贴。"
    answer = composer.compose("对省级领军人才给予多少补贴?", [_hit(text)])
    assert not answer.abstained and "50万元" in answer.text and "80万元" not in answer.text, answer.text
    assert "100万元" in composer.compose("对院士给予多少补贴?", [_hit(text)]).text
    # 市级 is named nowhere, and the sentence gives figures to 院士, 国家级 and 省级 only
    unlisted = composer.compose("对市级领军人才给予多少补贴?", [_hit(text)])
    assert unlisted.abstained and unlisted.text == "资料中没有找到关于“市级”的内容。", unlisted.text
    # a question that names no subject, but nothing the passages lack either, is answered
    assert not composer.compose("人才补贴是多少?", [_hit(text)]).abstained
    # 奖励 and 资助 are amounts of money too (人才 alone would ask for a head count)
    rewards = text.replace("补贴", "奖励")
    assert "50万元" in composer.compose("对省级领军人才给予多少奖励?", [_hit(rewards)]).text


def test_a_figure_question_is_answered_by_a_sentence_stating_the_asked_kind_or_refused() -> None:
    info = analyse("白鹭湾新区现有多少人才?")
    text = "第八条 本办法由白鹭湾新区人才办负责解释,有效期5年。白鹭湾新区现有各类人才3.2万人。人才公寓500套。"
    weighed = weigh(info, candidates([_hit(text)], Sources(), HashingEmbedder()), None)
    order, found = _asked_kind_first(info, weighed, np.array([0, 2, 1]))
    assert found and list(order) == [1, 0, 2]  # 3.2万人 counts 人才; 第八条, 5年 and 500套 do not
    order, found = _asked_kind_first(info, weighed, np.array([0, 2]))
    assert not found
    none = gather(info.text, [_hit("第八条 本办法由白鹭湾新区人才办负责解释,有效期5年。人才公寓500套。")], None,
                  HashingEmbedder(), ANSWER_ALL, HAND_MODEL)
    assert none.abstain and none.reason == "weak"


def test_a_comma_grouping_thousands_does_not_cut_the_number_when_trimming() -> None:
    sentence = ("根据条约规定,除了割让的殖民地以外,德国在欧洲还失去了65,000平方公里的国土,人口减少了约700万人,"
                "并且必须把军队规模限制在十万人以内,同时承担巨额赔款。")
    shown = _as_answer(sentence, analyse("根据条约,德国失去了多少面积的国土?"))
    assert "65,000平方公里" in shown and "700万" not in shown


def test_figure_left_blank_is_a_refusal_but_never_a_heading() -> None:
    gap = [_hit("深圳市国土面积平方公里,年,城区常住人口万人,地区生产总值2.8万亿元。")]
    answer = hand_composer().compose("深圳市国土面积是多少?", gap)
    assert answer.abstained and "深圳市国土面积平方公里" in answer.text and answer.citations
    title = [_hit("白鹭湾新区高层次人才安居办法", ("白鹭湾新区高层次人才安居办法",)),
             _hit("第三条 对博士人才给予60万元安居补贴。", rank=2, start=40)]
    ev = gather("白鹭湾新区博士人才安居补贴是多少?", title, None, HashingEmbedder(), ANSWER_ALL, HAND_MODEL)
    assert ev.figure_gap is None
    # 以…为名 reads like 为[N]名, but a date question asks a date, and the sentence has one
    named = [_hit("模式种的种名是以发现化石的张明为名,他在1937年发现青禾鲈的化石。")]
    assert gather("青禾鲈化石是什么时候发现的?", named, None, HashingEmbedder(), ANSWER_ALL, HAND_MODEL).figure_gap is None
    assert gather("青禾鲈化石有多少件?", named, None, HashingEmbedder(), ANSWER_ALL, HAND_MODEL).figure_gap is not None


def test_english_questions_get_chinese_keywords_by_pinyin_and_glossary() -> None:
    pinyin = pinyin_index(["南京", "都市圈", "成都", "面积", "江澜", "长沙"])
    keywords = chinese_keywords("What is the area of the Nanjing metropolitan area?", pinyin)
    assert {"南京", "都市圈", "面积"} <= set(keywords) and "成都" not in keywords
    assert "江澜" in chinese_keywords("When did the Jianglan railway open?", pinyin)
    assert analyse("What is the area of the Nanjing metropolitan area?").english


def test_an_english_question_naming_a_place_no_passage_names_is_refused() -> None:
    hits = [_hit("江澜都市圈面积3.1万平方公里,常住人口2600万人。"), _hit("江澜至临川城际铁路建成通车。", rank=2, start=40)]
    missing = gather("What is the population of the Changsha metropolitan area?", hits, None, HashingEmbedder(),
                     ANSWER_ALL, HAND_MODEL)
    assert missing.abstain and missing.reason == "entity" and missing.missing_entities == ("Changsha 都市圈",)
    other = [_hit("长沙市常住人口1000万人。"), *hits]  # 长沙 alone is not 长沙都市圈
    assert gather("What is the population of the Changsha metropolitan area?", other, None, HashingEmbedder(),
                  ANSWER_ALL, HAND_MODEL).missing_entities == ("Changsha 都市圈",)
    named = gather("When did Jianglan-Linchuan's intercity railway open in December?", hits, None, HashingEmbedder(),
                   ANSWER_ALL, HAND_MODEL)
    assert named.missing_entities == () and named.reason != "entity"  # by pinyin; a month is not a name


def test_verifier_checks_that_the_answer_answers_the_question() -> None:
    cite = {1: Citation(1, "c", "d", 0, 20, "成都都市圈面积2.64万平方公里。", "x.txt", "标题", ("成都",))}
    v = Verifier(lang="zh")
    wrong_subject = v.verify("成都都市圈面积2.64万平方公里。[1]", cite, analyse("南京都市圈的面积有多大?"))
    assert wrong_subject.sentences[0].supported is False and "南京都市圈" in wrong_subject.sentences[0].reason
    right = v.verify("成都都市圈面积2.64万平方公里。[1]", cite, analyse("成都都市圈的面积有多大?"))
    assert right.sentences[0].supported is True
    no_figure = {1: Citation(1, "c", "d", 0, 20, "成都都市圈建设开局良好。", "x.txt")}
    unanswered = v.verify("成都都市圈建设开局良好。[1]", no_figure, analyse("成都都市圈的面积有多大?"))
    assert unanswered.sentences[0].supported is False and "数字" in unanswered.sentences[0].reason
    fund = {1: Citation(1, "c", "d", 0, 30, "第八条 成都都市圈产业基金规模10亿元。", "x.txt", "标题", ("成都",))}
    wrong_unit = v.verify("第八条 成都都市圈产业基金规模10亿元。[1]", fund, analyse("成都都市圈的常住人口是多少?"))
    assert wrong_unit.sentences[0].supported is False and "数字" in wrong_unit.sentences[0].reason
    assert v.verify("第八条 成都都市圈产业基金规模10亿元。[1]", fund,
                    analyse("成都都市圈产业基金规模是多少?")).sentences[0].supported is True
    visits = {1: Citation(1, "c", "d", 0, 30, "成都都市圈预约挂号超过100万人次。", "x.txt", "标题", ("成都",))}
    assert v.verify("成都都市圈预约挂号超过100万人次。[1]", visits,  # 人次 counts visits, not residents
                    analyse("成都都市圈常住人口有多少?")).sentences[0].supported is False
    assert v.verify("成都都市圈预约挂号超过100万人次。[1]", visits,
                    analyse("成都都市圈预约挂号超过了多少人次?")).sentences[0].supported is True
    # a traditional sentence under a simplified title (as in the DRCD corpus) is about the subject
    county = {1: Citation(1, "c", "d", 0, 14, "全縣面積1200平方公里。", "临江县.txt", "临江县")}
    assert v.verify("全縣面積1200平方公里。[1]", county, analyse("臨江縣的面積有多大?")).sentences[0].supported is True
    assert v.verify("全縣面積1200平方公里。[1]", county, analyse("雲嶺縣的面積有多大?")).sentences[0].supported is False
    # a passage names its subject once: its later sentences are about it, the sentences of another
    # passage are not, and a subject named only after the quote does not count
    text = "江澜都市圈规划印发。再经过三年奋斗,到2025年区域经济总量突破1.5万亿元。"
    chunk = Chunk("p", "d", text, 100, 100 + len(text))
    quote = text[text.index("再经过"):]
    later = {1: Citation(1, "p", "d", 100 + text.index(quote), 100 + len(text), quote, "d.txt", "规划")}
    question = analyse("江澜都市圈到2025年区域经济总量要突破多少?")
    assert v.verify(quote + "[1]", later, question, passages=[chunk]).sentences[0].supported is True
    assert v.verify(quote + "[1]", later, question).sentences[0].supported is False  # the passage not known
    other = Chunk("q", "d", "临川市规划印发。" + quote, 0, 8 + len(quote))
    elsewhere = {1: Citation(1, "q", "d", 8, 8 + len(quote), quote, "d.txt", "规划")}
    assert v.verify(quote + "[1]", elsewhere, question, passages=[other]).sentences[0].supported is False
    first = Chunk("r", "d", quote + "江澜都市圈规划印发。", 0, len(quote) + 10)
    before = {1: Citation(1, "r", "d", 0, len(quote), quote, "d.txt", "规划")}
    assert v.verify(quote + "[1]", before, question, passages=[first]).sentences[0].supported is False
    # the cited passage begins with the quote, and the retrieved passage just before names the subject
    starts = Chunk("s", "d", quote, 500, 500 + len(quote))
    cited = {1: Citation(1, "s", "d", 500, 500 + len(quote), quote, "d.txt", "规划")}
    near = Chunk("n", "d", "江澜都市圈规划印发。", 400, 410)
    assert v.verify(quote + "[1]", cited, question, passages=[near, starts]).sentences[0].supported is True
    far = Chunk("f", "d", "江澜都市圈规划印发。", 0, 10)  # 490 characters before: another part of the document
    elsewhere_doc = Chunk("n", "e", "江澜都市圈规划印发。", 400, 410)
    for passages in ([far, starts], [elsewhere_doc, starts]):
        assert v.verify(quote + "[1]", cited, question, passages=passages).sentences[0].supported is False
    # nor is the question refused as naming a place no passage names
    ev = gather("臨江都市圈的面積有多大?", [_hit("全圈面積1200平方公里。", title="临江都市圈")], None, HashingEmbedder(),
                ANSWER_ALL, HAND_MODEL)
    assert ev.reason != "entity" and not ev.missing_entities


@pytest.mark.parametrize("raw,clean", [("南\u200b京都市圈面积多大", "南京都市圈面积多大"),
                                       ("  ２０２５年的\u202e目标 ", "2025年的目标"), ("\x1b[31m南京\x1b[0m?", "南京?")])
def test_questions_are_normalised(raw: str, clean: str) -> None:
    assert check_question(raw) == clean


@pytest.mark.parametrize("raw,fragment", [("", "empty"), ("\u200b \u200b", "empty"), ("??!。", "no words"),
                                          ("问" * 1001, "too long")])
def test_questions_that_cannot_be_asked_are_clear_errors(raw: str, fragment: str) -> None:
    with pytest.raises(QuestionError, match=fragment):
        check_question(raw)


def test_a_figure_or_place_question_is_not_answered_with_a_list() -> None:
    # invented passages: the asked figure or place is in one sentence next to a numbered run
    assert not wants_items(analyse("滨湖区有几个工作专班制定了年度任务清单?"))
    assert not wants_items(analyse("云岭镇提出了多少项重点任务?"))
    assert wants_items(analyse("云岭镇提出了哪些重点任务?")) and wants_items(analyse("五市达成了哪几点协议?"))
    composer = hand_composer()
    tasks = "云岭镇提出12项重点任务:一是修缮山路;二是建设卫生院;三是改造校舍。"
    count = composer.compose("云岭镇提出了多少项重点任务?", [_hit(tasks)])
    assert "12项" in count.text and len(count.citations) == 1, count.text
    meeting = "2024年3月,五市在南屿市召开协作会议,达成三点共识:一是共建园区;二是共享人才;三是共保生态。"
    where = composer.compose("五市协作会议在哪里召开?", [_hit(meeting)])
    assert "南屿市" in where.text and len(where.citations) == 1, where.text
    listed = composer.compose("五市达成了哪几点共识?", [_hit(meeting)])
    assert len(listed.citations) >= 3 and "三是共保生态" in listed.text, listed.text


def test_a_figure_clause_is_picked_by_the_asked_unit_not_by_a_shared_character() -> None:
    info = analyse("石门社区服务人员由多少人增加到多少人?")
    sentence = "一是将3个网格调整为8个网格,充实社区服务人员,由16人增至40人,平均年龄35岁,本科以上人员占比达80%,经费直接下拨。"
    shown = _as_answer(sentence, info)
    assert "由16人增至40人" in shown and "80%" not in shown, shown


def test_a_sentence_that_restates_the_question_with_its_figure_answers_alone() -> None:
    text = "云岭镇总面积为38平方公里。相邻的石门镇面积为52平方公里。"
    ev = gather("云岭镇总面积为多少平方公里?", [_hit(text)], None, HashingEmbedder(), ANSWER_ALL, HAND_MODEL)
    assert ev.feature(0, "restates") == 1  # it repeats the question's words: the neighbour would be added
    answer = hand_composer().compose("云岭镇总面积为多少平方公里?", [_hit(text)])
    assert "38平方公里" in answer.text and "石门镇" not in answer.text and len(answer.citations) == 1, answer.text


def test_a_question_about_one_year_is_not_answered_with_another_years_figure() -> None:
    # the 2027 target covers more of the question's words than 2024's sentence, whose figure is blank
    text = "到2027年,全县文旅产业营业收入突破50亿元。2024年,全县文旅收入亿元,同比增长8.1%。"
    question = "2024年全县文旅产业营业收入是多少?"
    answer = hand_composer().compose(question, [_hit(text)])
    assert answer.abstained and "50亿元" not in answer.text, answer.text
    answer = hand_composer().compose(question, [_hit(text.replace("收入亿元", "收入36亿元"))])
    assert "36亿元" in answer.text and "50亿元" not in answer.text, answer.text


def test_a_which_places_question_needs_a_sentence_naming_the_subjects_places() -> None:
    # invented passages: 青禾都市圈 is named only among other regions, and places are named
    # only without it; the list of its cities is nowhere
    regions = ("依托沿江通道推动江澜都市圈、青禾都市圈协同发展,依托京广通道推动江澜都市圈、云岭都市圈联动发展。"
               "青禾都市圈同城化建设加快推进。江澜、长沙、南昌等城市综合实力不断提升。")
    ev = gather("青禾都市圈包括哪些城市?", [_hit(regions)], None, HashingEmbedder(), ANSWER_ALL, HAND_MODEL)
    assert ev.abstain and ev.reason == "weak", [c.text for c in ev.candidates[:3]]
    members = regions + "青禾都市圈包括青禾市、临川市、石桥市、云阳市四市,面积2万平方公里。"
    answer = hand_composer().compose("青禾都市圈包括哪些城市?", [_hit(members)])
    assert not answer.abstained and "临川市、石桥市" in answer.text, answer.text
    # other questions are not checked for places: the same passages answer them
    cands = candidates([_hit(regions)], Sources(), HashingEmbedder())
    order = np.arange(len(cands))
    assert _asked_places_first(analyse("青禾都市圈同城化建设进展如何?"), cands, order)[1]
    assert not _asked_places_first(analyse("青禾都市圈包括哪些城市?"), cands, order)[1]


def test_the_answer_brings_the_neighbour_the_extension_model_asks_for() -> None:
    # invented passage: the outcome sentence opens with 所以, its cause is the sentence before
    text = "石门水库建于1958年。上游山区连年暴雨,库区泥沙淤积严重。所以石门水库在2020年进行了清淤扩容。此后蓄水能力明显提升。"
    cands = candidates([_hit(text)], Sources(), HashingEmbedder())
    third = next(i for i, c in enumerate(cands) if c.text.startswith("所以"))
    before, after = neighbours(cands)
    assert cands[before[third]].text.startswith("上游")
    assert cands[after[third]].text.startswith("此后")
    assert before[0] == -1 and after[-1] == -1
    assert link_flags(cands)[third].tolist() == [1.0, 0.0]
    # a hand-set extension model: add the sentence before a best sentence that opens with a link
    extend = Linear.neutral(EXTEND_FEATURES, {"best_opens_link": 4.0, "after": -3.0}, bias=-1.0)
    model = AnswerModel(HAND_MODEL.selector, HAND_MODEL.answerable, 0.5, {}, extend, 0.5)
    question = "石门水库为什么在2020年进行了清淤扩容?"
    ev = gather(question, [_hit(text)], None, HashingEmbedder(), ANSWER_ALL, model)
    assert ev.candidates[0].text.startswith("所以") and ev.extension is not None
    assert ev.extension.text.startswith("上游")
    answer = ExtractiveComposer(HashingEmbedder(), "zh", ANSWER_ALL, model=model).compose(question, [_hit(text)])
    assert answer.text.index("泥沙淤积") < answer.text.index("清淤扩容") and len(answer.citations) == 2, answer.text
    for c in answer.citations:  # each sentence cites its own exact slice
        assert text[c.start:c.end] == c.quote
    # without the extension part (an older model file) the best sentence answers alone
    alone = ExtractiveComposer(HashingEmbedder(), "zh", ANSWER_ALL, model=HAND_MODEL).compose(question, [_hit(text)])
    assert len(alone.citations) == 1 and "泥沙" not in alone.text, alone.text
    assert AnswerModel.from_dict(model.to_dict()).to_dict() == model.to_dict()


def test_a_figure_answer_is_never_joined_by_a_neighbour_stating_another_figure() -> None:
    # invented passage: two targets side by side; an extension model that always extends
    text = "到2023年,青禾区域经济总量力争突破2.7万亿元。到2025年,青禾区域经济总量力争突破3.3万亿元。"
    extend = Linear.neutral(EXTEND_FEATURES, {}, bias=5.0)
    model = AnswerModel(HAND_MODEL.selector, HAND_MODEL.answerable, 0.5, {}, extend, 0.5)
    question = "到2025年青禾区域经济总量力争突破多少?"
    answer = ExtractiveComposer(HashingEmbedder(), "zh", ANSWER_ALL, model=model).compose(question, [_hit(text)])
    assert "3.3万亿元" in answer.text and "2.7万亿元" not in answer.text and len(answer.citations) == 1, answer.text
    # a question that asks no figure gets the neighbour the model asks for
    what = ExtractiveComposer(HashingEmbedder(), "zh", ANSWER_ALL, model=model).compose(
        "青禾区域经济总量的目标是什么?", [_hit(text)])
    assert len(what.citations) == 2, what.text
