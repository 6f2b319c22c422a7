"""scripts/fit_answer_model.py's extension labels and the outcome its threshold is chosen on,
on an invented passage: the answer runs over two sentences, the gold evidence is the first."""

from __future__ import annotations

import numpy as np
from helpers.scripts import load_script

from youju.chat.candidates import Sources, candidates
from youju.embeddings.hashing import HashingEmbedder
from youju.records import Chunk, Hit
from youju.text.sentences import split_sentences

fit = load_script("fit_answer_model")

TEXT = "石门水库上游连年暴雨。所以库区在2020年清淤扩容。此后蓄水能力提升。"


def _cands() -> list:
    chunk = Chunk("c", "d", TEXT, 0, len(TEXT), (), {}, tuple(split_sentences(TEXT)))
    return candidates([Hit(chunk, 1.0, 1, {"dense": 0.9}, "d.txt", "石门水库")], Sources(), HashingEmbedder())


def test_pairs_label_the_neighbour_that_completes_the_answer() -> None:
    q = fit.Question("cmrc", "1", "库区为什么清淤扩容?", "fit", True, "d.txt",
                     "石门水库上游连年暴雨。所以库区在2020年清淤扩容", "石门水库上游连年暴雨。")
    p = fit.pairs_of(q, "reason", _cands())
    assert p.before.tolist() == [-1, 0, 1] and p.after.tolist() == [1, 2, -1]
    assert p.full.tolist() == [0, 0, 0]  # no sentence holds the whole answer alone
    assert p.with_after.tolist() == [1, 0, 0] and p.with_before.tolist() == [0, 1, 0]
    assert p.good.tolist() == [1, 0, 0]  # only the evidence sentence counts as a citation
    other_doc = fit.Question("cmrc", "2", "库区为什么清淤扩容?", "fit", True, "e.txt", q.answer, q.evidence)
    assert not fit.pairs_of(other_doc, "reason", _cands()).with_after.any()  # the answer is in another document
    made_unanswerable = fit.Question("cmrc", "3", q.text, "fit", False, "d.txt", q.answer, drop_answer=True)
    assert not fit.pairs_of(made_unanswerable, "reason", _cands()).with_before.any()


def test_the_outcome_counts_whole_answers_and_citation_precision() -> None:
    # best sentence wrong, its neighbour completes the answer and is the evidence
    helps = fit.Extension(0, full=0.0, good=0.0, rows=[np.zeros(2)], labels=[1.0], nb_good=[1.0])
    # best sentence already right: adding the neighbour halves its citation precision
    costs = fit.Extension(1, full=1.0, good=1.0, rows=[np.zeros(2)], labels=[0.0], nb_good=[0.0])
    probs = [np.array([0.9]), np.array([0.6])]
    never = fit.extension_outcome([helps, costs], probs, 2.0)
    assert never == {"whole_answer": 0.5, "citation_precision": 0.5, "extended": 0.0}
    both = fit.extension_outcome([helps, costs], probs, 0.5)
    assert both == {"whole_answer": 1.0, "citation_precision": 0.5, "extended": 1.0}
    first = fit.extension_outcome([helps, costs], probs, 0.8)
    assert first == {"whole_answer": 1.0, "citation_precision": 0.75, "extended": 0.5}


def test_separately_embedded_sentences_are_embedded_once_per_passage() -> None:
    from types import SimpleNamespace

    calls: list[list[str]] = []

    class Counting(HashingEmbedder):
        def embed_documents(self, texts, progress=None):
            calls.append(list(texts))
            return super().embed_documents(texts)

    chunk = Chunk("c", "d", TEXT, 0, len(TEXT), (), {}, tuple(split_sentences(TEXT)))
    hit = Hit(chunk, 1.0, 1, {"dense": 0.9}, "d.txt", "石门水库")
    engine, cache = SimpleNamespace(embedder=Counting()), {}
    first = fit.own_vectors(engine, [hit], cache)
    again = fit.own_vectors(engine, [hit], cache)
    assert len(calls) == 1 and calls[0] == [TEXT[a:b] for a, b in split_sentences(TEXT)]
    expected = HashingEmbedder().embed_documents(calls[0])
    assert np.allclose(first["c"], expected) and again["c"] is first["c"]
