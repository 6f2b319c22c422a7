from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from youju.ingest.chunking import chunk_spans, make_chunks
from youju.ingest.structure import find_headings
from youju.text.sentences import split_long, split_sentences

# Random documents built from the pieces real ones are made of.
PIECES = st.sampled_from(["南京", "都市圈", "同城化", "发展", "2.7万", "平方公里", "a", "Z", " ", "  ", "\n", "\n\n",
                          "。", "！", "？", "!", "?", "；", ";", ",", "、", "”", "」", ")", "(一)", "一、", "1. ",
                          "# ", "典型做法之3:", "第一章", "\t", "\u3000"])
TEXTS = st.lists(PIECES, max_size=300).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, size=st.integers(20, 120), overlap=st.integers(0, 2))
def test_chunk_offsets_are_honest_and_cover_every_sentence(text: str, size: int, overlap: int) -> None:
    max_size = size * 2
    chunks = make_chunks("doc", text, find_headings(text), size=size, max_size=max_size, overlap=overlap)
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert c.text and c.text == c.text.strip()
        assert len(c.text) <= max_size
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


@settings(max_examples=200, deadline=None)
@given(text=TEXTS)
def test_sentences_never_split_unless_too_long(text: str) -> None:
    spans = split_sentences(text)
    for a, b in spans:
        assert text[a:b].strip() == text[a:b] != ""
    size, max_size = 30, 60
    for start, end, _ in chunk_spans(text, [], size=size, max_size=max_size, overlap=1):
        for a, b in spans:
            inside = start <= a < end or start < b <= end
            if inside and b - a <= max_size:
                assert start <= a and b <= end, "a sentence that fits was cut"


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = "他说:“同城化发展。”随后离开。(完)"
    assert [text[a:b] for a, b in split_sentences(text)] == ["他说:“同城化发展。”", "随后离开。", "(完)"]


def test_a_stop_inside_a_quotation_does_not_end_the_sentence() -> None:
    def pieces(text: str) -> list[str]:
        return [text[a:b] for a, b in split_sentences(text)]

    # a cited definition is one sentence, not two fragments ending inside the quotation
    assert pieces("词典解释为:“一个人迅速获得财富。通常指不适应新地位的人。”其后有争议。") == [
        "词典解释为:“一个人迅速获得财富。通常指不适应新地位的人。”", "其后有争议。"]
    assert pieces("文件提出「三个一!四个统一」的要求。下一句。") == ["文件提出「三个一!四个统一」的要求。", "下一句。"]
    # a quotation that never closes, or closes only on another line or too far on, does not swallow the text
    assert pieces("标题“未闭合。后一句。") == ["标题“未闭合。", "后一句。"]
    assert pieces("“甲。\n乙。”丙。") == ["“甲。", "乙。”", "丙。"]
    far = "“开头。" + "很长的引文" * 50 + "。”结尾。"
    assert pieces(far)[0] == "“开头。"


def test_long_sentence_is_cut_at_commas_within_the_maximum() -> None:
    text = "，".join(["成都市外环铁路通过预可研审查"] * 20) + "。"
    pieces = split_long(text, (0, len(text)), 60)
    assert all(b - a <= 60 for a, b in pieces)
    assert "".join(text[a:b] for a, b in pieces) == text
    assert all(text[b - 1] == "，" for a, b in pieces[:-1])


def test_one_sentence_overlap_between_neighbouring_chunks() -> None:
    sentences = [f"第{i}句话的内容在这里。" for i in range(20)]
    text = "".join(sentences)
    chunks = make_chunks("d", text, [], size=60, max_size=120, overlap=1)
    assert len(chunks) > 2
    for prev, nxt in zip(chunks, chunks[1:]):
        last_sentence = prev.text[prev.text.rfind("第"):]
        assert nxt.text.startswith(last_sentence)


def test_chunks_break_at_headings() -> None:
    text = ("九市协议\n规划同编\n九市达成共识,共同编制规划。\n"
            "交通同网\n九市将夯实交通互联互通基础。")
    chunks = make_chunks("d", text, find_headings(text), size=40, max_size=80)
    # the title line is too small to stand alone and joins the first section
    assert [c.heading_path for c in chunks] == [("规划同编",), ("交通同网",)]
    assert chunks[0].text.startswith("九市协议") and chunks[1].text.startswith("交通同网")


def test_chunk_ids_depend_on_document_and_span() -> None:
    text = "第一句话。第二句话。"
    a = make_chunks("doc-a", text, [], size=300, max_size=600)
    b = make_chunks("doc-b", text, [], size=300, max_size=600)
    assert a[0].id != b[0].id
    assert make_chunks("doc-a", text, [], size=300, max_size=600)[0].id == a[0].id


def test_chunk_list_makes_the_same_records_by_index_slice_and_iteration() -> None:
    text = "".join(f"第{i}条 本条规定事项{i}。其他内容说明{i}!" for i in range(80))
    chunks = make_chunks("d", text, find_headings(text), size=60, max_size=120)
    listed = list(chunks)
    assert len(listed) == len(chunks) > 5
    assert chunks[2:5] == tuple(listed[2:5]) and chunks[-1] == listed[-1] and chunks[0] == listed[0]
    assert [c.sentences for c in chunks[1:3]] == [c.sentences for c in listed[1:3]]
    for c in listed:
        assert text[c.start:c.end] == c.text and c.sentences
    with pytest.raises(IndexError):
        chunks[len(chunks)]
