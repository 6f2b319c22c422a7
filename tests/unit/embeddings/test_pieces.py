"""The piece tokenizer (a Unigram vocabulary fetched from SQLite per text) must give the full
tokenizer's ids and offsets exactly, on a Unigram tokenizer trained here on text written for
the test, including unknown characters, truncation and the cases where it must step aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from youju.embeddings import pieces

TRAIN = """白鹭湾新区对博士人才给予60万元安居补贴;对硕士人才给予20万元安居补贴。
青禾市数字产业引导基金规模为10亿元,重点投向集成电路、人工智能和工业软件。
到2025年,力争区域经济总量突破3.3万亿元,常住人口城镇化率达到75%左右。
中欧班列长安号全年开行2295列,货运量同比增长35%。
The fund invests in integrated circuits, artificial intelligence and industrial software.
Residents may apply online through the one-stop service portal within 30 days.""".splitlines()

CASES = [
    "query: 白鹭湾新区对博士人才给予多少安居补贴?",
    "passage: 青禾市数字产业引导基金规模为10亿元。",
    "query: How large is the fund for industrial software?",
    "query: 鸂鶒 and 龘 are characters the vocabulary has never seen",  # unknown runs fuse into one
    "query:   several   spaces\tand a tab ＡＢＣ①½",
    "passage: " + "中欧班列长安号全年开行2295列。" * 60,  # longer than max_length: truncated the same way
    "",
]


def _unigram_tokenizer(path: Path) -> Path:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(" " * 2, " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    trainer = trainers.UnigramTrainer(vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                      unk_token="<unk>", max_piece_length=8)
    tok.train_from_iterator(TRAIN * 5 + ["query: ", "passage: "], trainer)
    tok.add_special_tokens(["<mask>"])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    path.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def unigram(tmp_path_factory) -> Path:
    return _unigram_tokenizer(tmp_path_factory.mktemp("unigram") / "tokenizer.json")


def _full(path: Path, max_length: int):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(max_length)
    return tok


def test_piece_tokenizer_gives_the_full_tokenizers_ids_and_offsets(unigram: Path, tmp_path: Path) -> None:
    assert pieces.write(unigram, tmp_path)
    fast = pieces.PieceTokenizer.open(tmp_path, unigram, 64)
    assert fast is not None
    full = _full(unigram, 64)
    for text in CASES:
        want, got = full.encode(text), fast.encode(text)
        assert got is not None, text
        assert (got.ids, got.offsets) == (want.ids, list(want.offsets)), text
    unknown = full.encode(CASES[3])
    assert unknown.ids.count(3) >= 1 and len(unknown.ids) < len(CASES[3])  # the case tests fused unknowns
    assert len(full.encode(CASES[5]).ids) == 64  # and the case tests truncation


def test_a_batch_of_passages_gets_the_full_tokenizers_ids_and_offsets(unigram: Path, tmp_path: Path) -> None:
    # one Unigram model for the whole batch: pieces that one text holds must not change another's
    # cut, and the in-memory lookup (hashes, longest piece per first character) must miss none
    assert pieces.write(unigram, tmp_path)
    fast = pieces.PieceTokenizer.open(tmp_path, unigram, 64)
    assert fast is not None
    full = _full(unigram, 64)
    batch = [*CASES, *TRAIN, "passage: 博士人才", "passage: 博士", "passage: 士人", "passage: 集成电路人工智能工业软件"]
    got = fast.encode_batch(batch)
    assert got is not None
    want = full.encode_batch(batch)
    assert [(g.ids, g.offsets) for g in got] == [(w.ids, list(w.offsets)) for w in want]
    assert fast.encode_batch(["passage: 基金", "query: </s>"]) is None  # a special token: the full tokenizer


def test_texts_holding_a_special_token_go_to_the_full_tokenizer(unigram: Path, tmp_path: Path) -> None:
    pieces.write(unigram, tmp_path)
    fast = pieces.PieceTokenizer.open(tmp_path, unigram, 64)
    assert fast is not None
    assert fast.encode("query: 基金<mask>规模") is None
    assert fast.encode("query: </s>") is None


def test_a_changed_tokenizer_file_or_missing_vocabulary_is_not_used(unigram: Path, tmp_path: Path) -> None:
    pieces.write(unigram, tmp_path)
    other = tmp_path / "other" / "tokenizer.json"
    other.parent.mkdir()
    other.write_text(unigram.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert pieces.PieceTokenizer.open(tmp_path, other, 64) is None
    (tmp_path / pieces.LEXICON).unlink()
    assert pieces.PieceTokenizer.open(tmp_path, unigram, 64) is None


def test_other_tokenizer_kinds_are_left_to_the_full_tokenizer(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "南京": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(tmp_path / "tokenizer.json"))
    assert not pieces.write(tmp_path / "tokenizer.json", tmp_path / "onnx")
    assert not (tmp_path / "onnx" / pieces.STUB).exists()
