"""A late-interaction signal for the selector, measured beside the shipped features: for each
candidate sentence, the mean over the question's tokens of their best cosine with the sentence's
tokens (MaxSim, as in ColBERT), from the same model's token outputs: the question's from its own
embedding pass, the sentence's from its passage's forward pass (what ingest runs anyway; keeping
it would mean storing every token's vector). Added as two features (the score and its gap to the
question's best candidate) to the features scripts/fit_answer_model.py caches; top-1 of the
shipped setting (16 hidden units, L2 0.01) and of the linear model, cross-validated on the fit
split (its article folds) and on the report split.

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/selector_late_interaction.py --home /tmp/yh --work /tmp/qa

Runs the fit script's feature extraction once more to record each question's candidates (about 5
minutes), then the model over every indexed passage and question (about 4 minutes).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
from common import REPO

sys.path.insert(0, str(REPO / "scripts"))
import fit_answer_model as fit

import youju.chat.features as features
from youju.embeddings.base import l2_normalise
from youju.text.normalise import normalise_question


def token_outputs(embedder, texts: list[str], kind: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per text: its tokens' normalised output vectors and their character spans in the text
    (the prompt and special tokens left out)."""
    prompt = embedder.prompts[kind]
    encodings = embedder._encode([prompt + t for t in texts])
    out: list = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    for k in range(0, len(order), 16):
        batch = order[k:k + 16]
        hidden, mask = embedder._forward([encodings[i].ids for i in batch])
        for row, i in enumerate(batch):
            n = int(mask[row].sum())
            starts = np.array([a for a, _ in encodings[i].offsets[:n]]) - len(prompt)
            ends = np.array([b for _, b in encodings[i].offsets[:n]]) - len(prompt)
            real = (ends > starts) & (starts >= 0)
            out[i] = (l2_normalise(hidden[row, :n][real]).astype(np.float16), starts[real], ends[real])
    return out


def max_sim(question: np.ndarray, passage: tuple[np.ndarray, np.ndarray, np.ndarray], text: str,
            sentence: str) -> float:
    vectors, starts, ends = passage
    a = text.find(sentence)  # a sentence is a slice of its passage (also of one with the answer cut out)
    inside = (starts < a + len(sentence)) & (ends > a) if a >= 0 else np.zeros(len(starts), bool)
    if not inside.any() or not len(question):
        return 0.0
    return float((question @ vectors[inside].astype(np.float32).T).max(axis=1).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=REPO / ".cache" / "fit-home", help="YOUJU_HOME with the default model")
    ap.add_argument("--work", type=Path, default=REPO / ".cache" / "fit", help="where the fit script cached features")
    ap.add_argument("--seed", type=int, default=20261121, help="the fit script's seed (the same questions)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    questions = fit.all_questions(random.Random(args.seed))
    examples = fit.load_examples(args.work / "features.npz", questions)
    recorded: list[list[tuple[str, str]]] = []
    weigh = features.weigh

    def recording(info, cands, vector):  # extract() calls features.weigh once per question
        recorded.append([(c.hit.chunk.id, c.text) for c in cands])
        return weigh(info, cands, vector)

    features.weigh = recording
    engines = fit.engines(args.home, args.work)
    fit.extract(questions, engines)
    features.weigh = weigh
    texts = {cid: text for source in engines for cid, text in
             sqlite3.connect(args.work / f"idx-{source}" / "chunks.sqlite").execute("SELECT id, text FROM chunks")}
    embedder = next(iter(engines.values())).embedder
    ids = list(texts)
    passages = dict(zip(ids, token_outputs(embedder, [texts[i] for i in ids], "document")))
    asked = token_outputs(embedder, [normalise_question(q.text) for q in questions], "query")
    print(f"candidates and token outputs: {time.perf_counter() - t0:.0f} s", file=sys.stderr)

    def extended(e, cands, question) -> np.ndarray:
        if not len(e.matrix):
            return np.zeros((0, e.matrix.shape[1] + 2))
        assert len(cands) == len(e.matrix), e.q.qid  # the same candidates as the cached features
        score = np.array([max_sim(question[0].astype(np.float32), passages[cid], texts[cid], s) for cid, s in cands])
        return np.hstack([e.matrix, np.stack([score, score - score.max()], axis=1)])

    print("| features | selector | cross-validated top-1 | report all | CMRC | DRCD | shipped sample |\n"
          "|---|---|---|---|---|---|---|")
    with_max_sim = [fit.Example(e.q, extended(e, c, q), e.labels, e.question_base, e.pairs)
                    for e, c, q in zip(examples, recorded, asked)]
    for name, group in (("shipped", examples), ("shipped + MaxSim", with_max_sim)):
        fitset = [e for e in group if e.q.split == "fit"]
        report = [e for e in group if e.q.split == "report" and not e.q.negative and e.labels.any()]
        mean, scale = fit.standardise(np.concatenate([e.matrix for e in fitset if len(e.matrix)]))
        folds = fit.folds(fitset)
        for hidden in (16, 0):
            oof = fit.out_of_fold(fitset, folds, 0.01, mean, scale, hidden, args.seed)
            selector = fit.fit_selector(fitset, 0.01, mean, scale, hidden, args.seed)
            cells = [fit.top1_rate(group, [selector.score(e.matrix) for e in group])
                     for source in (None, "cmrc", "drcd", "sample")
                     for group in [[e for e in report if source in (None, e.q.source)]]]
            print(f"| {name} | {f'{hidden} hidden' if hidden else 'linear'} | {fit.top1_rate(fitset, oof):.3f} | "
                  + " | ".join(f"{v:.3f}" for v in cells) + " |", flush=True)
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
