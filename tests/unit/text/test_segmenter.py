"""The lazy segmenter (jieba fed from an SQLite lexicon, text by text) must cut and tag exactly
as jieba with its full dictionary does, on text written for the test, and hand over to the full
dictionary after enough text or when its lexicon is missing or damaged."""

from __future__ import annotations

from pathlib import Path

import pytest

from youju.text import segmenter, tokens

TEXTS = [
    "成德眉资同城化到2025年的目标是什么?",
    "白鹭湾新区对博士人才给予60万元安居补贴;对硕士人才给予20万元。",
    "粤港澳大湾区和长三角的城际铁路、市域铁路互联互通,一网通办事项达到1,200项。",
    "王小明同志任青禾市数字产业引导基金管理委员会主任。",  # a name jieba's dictionary does not hold
    "What is the area of the Nanjing metropolitan area? 约2.7万平方公里(km²)。",
    "中华人民共和国国民经济和社会发展第十四个五年规划和2035年远景目标纲要",  # long dictionary words
    "——「」《》……!!??  \t",
    "",
]


@pytest.fixture(scope="module")
def lexicon_dir(tmp_path_factory) -> Path:
    """A lexicon written by a segmenter that had to load the full dictionary."""
    folder = tmp_path_factory.mktemp("lexicon")
    first = segmenter.Segmenter(tokens._segmenter._words, cache_dir=folder)
    assert not first.lazy  # no lexicon yet: full dictionary, and the lexicon is written
    assert first.lexicon_path.is_file()
    return folder


def test_lazy_segmenter_cuts_and_tags_as_the_full_dictionary(lexicon_dir: Path) -> None:
    full = segmenter.Segmenter(tokens._segmenter._words, lazy=False)
    lazy = segmenter.Segmenter(tokens._segmenter._words, cache_dir=lexicon_dir)
    assert lazy.lazy and not full.lazy
    for text in TEXTS:
        assert list(lazy.cut(text)) == list(full.cut(text)), text
        assert list(lazy.cut_for_search(text)) == list(full.cut_for_search(text)), text
        assert lazy.tag(text) == full.tag(text), text
        assert lazy.tokenize(text, True) == list(full.tokenize(text, True)), text
        assert [w for w, _, _ in lazy.tokenize(text, True)] == list(full.cut_for_search(text)), text
    assert dict(lazy.tag(TEXTS[2])).get("粤港澳大湾区") == "ns"  # the domain words and their tags
    assert lazy.lazy and len(lazy._tok.FREQ) < 5_000  # it fetched a little, not the dictionary


def test_enough_text_switches_to_the_full_dictionary(lexicon_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(segmenter, "LAZY_CHARS", 100)
    lazy = segmenter.Segmenter(tokens._segmenter._words, cache_dir=lexicon_dir)
    before = list(lazy.cut(TEXTS[0]))
    assert lazy.lazy
    long_text = "".join(TEXTS) * 3
    assert list(lazy.cut_for_search(long_text)) == list(segmenter.Segmenter(
        tokens._segmenter._words, lazy=False).cut_for_search(long_text))
    assert not lazy.lazy and list(lazy.cut(TEXTS[0])) == before


def test_a_damaged_lexicon_means_the_full_dictionary(lexicon_dir: Path, tmp_path: Path) -> None:
    probe = segmenter.Segmenter(tokens._segmenter._words, cache_dir=tmp_path)
    probe.lexicon_path.write_bytes(b"not a database at all" * 50)
    damaged = segmenter.Segmenter(tokens._segmenter._words, cache_dir=tmp_path)
    assert not damaged.lazy
    assert segmenter.Segmenter(tokens._segmenter._words, cache_dir=tmp_path).lazy  # written anew
    assert list(damaged.cut(TEXTS[1])) == list(segmenter.Segmenter(tokens._segmenter._words, lazy=False).cut(TEXTS[1]))
