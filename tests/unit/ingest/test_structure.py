"""Cleaning and heading detection, on the real (dirty) sample corpus and on small cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CORPUS

from youju.config import ChunkingSettings
from youju.ingest.cleaning import clean
from youju.ingest.documents import build_document
from youju.ingest.structure import find_headings, heading_paths
from youju.records import Chunk, Document

CHUNKING = ChunkingSettings(size=300, max_size=600, overlap=1)


def _doc(name: str) -> tuple[Document, tuple[Chunk, ...]]:
    path = CORPUS / name
    parsed = build_document(path, name, path.read_bytes(), CHUNKING)
    return parsed.document, parsed.chunks


def test_web_furniture_is_dropped_or_kept_as_metadata() -> None:
    doc, _ = _doc("002_1fd86357b09ad930.txt")
    assert "湖北墙材科技网" not in doc.text and "首页 »" not in doc.text
    assert doc.meta["site"] == "湖北墙材科技网"
    assert doc.meta["published"] == "2021年05月21日" and doc.meta["source"] == "湖北日报"
    assert doc.title == "武汉城市圈首次达成同城化发展协议"
    doc, _ = _doc("000_4fc3eb35a66a7ee3.txt")
    assert doc.meta["published"] == "2021-12-13" and doc.meta["views"] == "43525"
    assert "浏览次数" not in doc.text
    assert "相关新闻" not in doc.text and "深圳湾论坛" not in doc.text  # the related-news tail
    assert doc.title == "新型城镇化试点示范等地区典型做法:推动都市圈同城化发展"
    doc, _ = _doc("004_de6b2c95de9cf1f8.txt")
    assert "猜你喜欢" not in doc.text and "威尼斯" not in doc.text
    assert doc.meta["keywords"] == "长三角示范区都市"


def test_blank_line_runs_collapse() -> None:
    doc, _ = _doc("000_4fc3eb35a66a7ee3.txt")
    assert "\n\n\n" not in doc.text
    assert "\n \n" not in doc.text


def test_line_numbers_that_break_sentences_are_removed_and_joined() -> None:
    doc, _ = _doc("003_28a5303fe9716dff.txt")
    assert "以根底设施一体化为同城化开展先导" in doc.text  # was split across "…以根底设施\n2、一体化…"
    assert "\n2、" not in doc.text and not doc.text.startswith("1、")
    # the conversion typos stay: citations must quote the source as it is
    assert "公共效劳" in doc.text


def test_real_enumerations_are_not_mistaken_for_line_numbers() -> None:
    text = "一、总体要求。\n1、坚持规划引领。\n2、坚持改革创新。\n3、坚持民生优先。"
    assert clean(text).text == text


def test_heading_path_of_the_commute_passage() -> None:
    doc, chunks = _doc("000_4fc3eb35a66a7ee3.txt")
    chunk = next(c for c in chunks if "23分钟" in c.text)
    assert chunk.heading_path == ("典型做法之3:成都都市圈同城化开局起势", "(二)构建1小时快捷通勤圈")
    titles = [h.title for h in find_headings(doc.text) if h.title.startswith("典型做法")]
    assert len(titles) == 6


def test_issue_and_practice_headings_nest() -> None:
    _, chunks = _doc("001_27c8e537de5c832a.txt")
    chunk = next(c for c in chunks if "86万人" in c.text)
    assert chunk.heading_path == ("第一期:加快城镇基本公共服务均等化",
                                  "典型做法之1:广东省深圳市将大部分义务教育学位提供给随迁子女",
                                  "(二)主要成效")
    later = next(c for c in chunks if "关中平原城市群现代产业体系完备" in c.text)
    assert later.heading_path[0] == "第三期:促进城市群一体化发展"


def test_short_unpunctuated_title_lines_are_headings() -> None:
    _, chunks = _doc("002_1fd86357b09ad930.txt")
    chunk = next(c for c in chunks if "九州通衢" in c.text)
    assert chunk.heading_path == ("交通同网",)


@pytest.mark.parametrize("text,expected", [
    ("# 总则\n正文。\n## 目标\n正文二。", [("总则",), ("总则", "目标")]),
    ("第一章 总则\n第一节 目的\n第一条 为了规范管理,制定本办法。", [("第一章 总则",), ("第一章 总则", "第一节 目的"),
                                                    ("第一章 总则", "第一节 目的", "第一条")]),
    ("一、总体要求\n(一)指导思想。坚持稳中求进。\n（二）基本原则\n二、重点任务",
     [("一、总体要求",), ("一、总体要求", "(一)指导思想"), ("一、总体要求", "（二）基本原则"), ("二、重点任务",)]),
    ("1. 加强规划衔接\n正文内容比标题长得多的一行文字。\n2. 推进交通互联\n正文。",
     [("1. 加强规划衔接",), ("2. 推进交通互联",)]),
])
def test_heading_patterns(text: str, expected: list[tuple[str, ...]]) -> None:
    assert heading_paths(find_headings(text)) == expected


def test_long_enumerated_sentences_are_not_headings() -> None:
    text = "1. " + "很长的句子" * 20 + "。\n正文。"
    assert find_headings(text) == []


def test_every_corpus_file_chunks_with_honest_offsets() -> None:
    for path in sorted(Path(CORPUS).glob("*.txt")):
        doc, chunks = _doc(path.name)
        assert chunks
        for c in chunks:
            assert doc.text[c.start:c.end] == c.text
            assert len(c.text) <= CHUNKING.max_size
