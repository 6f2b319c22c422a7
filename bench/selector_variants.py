"""Two alternatives to the shipped selector, on the features scripts/fit_answer_model.py caches:

- sentence vectors: the vectors pooled from each passage's forward pass (what ingest stores)
  against each sentence embedded on its own, and both side by side (the cosine features of
  each). Needs both caches, made by
      YOUJU_HOME=... .venv/bin/python scripts/fit_answer_model.py --home ... --work /tmp/qa --features-only
      YOUJU_HOME=... .venv/bin/python scripts/fit_answer_model.py --home ... --work /tmp/qa --features-only \\
          --separate-sentences
- seed ensembles: the mean log-probability of N selectors fitted from different random starts.

Each at the shipped setting (16 hidden units, L2 0.01): top-1 cross-validated on the fit split
(the fit script's article folds) and on the report split, per source; for the vector variants
also the answerability model fitted on their selector's out-of-fold scores (abstention recall
out of fold at 3% false abstention, and on the report split by kind of unanswerable question).

    .venv/bin/python bench/selector_variants.py --work /tmp/qa [--seeds 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
from common import REPO

sys.path.insert(0, str(REPO / "scripts"))
import fit_answer_model as fit

from youju.chat.features import CANDIDATE_FEATURES

HIDDEN, L2 = 16, 0.01
COSINES = [CANDIDATE_FEATURES.index(n) for n in ("cos", "cos_gap", "cos_rank")]


def log_softmax(s: np.ndarray) -> np.ndarray:
    s = s - s.max()
    return s - np.log(np.exp(s).sum())


def report_cells(report: list, scores: list[np.ndarray]) -> str:
    cells = []
    for source in (None, "cmrc", "drcd", "sample"):
        group = [(e, s) for e, s in zip(report, scores) if source in (None, e.q.source)]
        cells.append(f"{fit.top1_rate([e for e, _ in group], [s for _, s in group]):.3f}")
    return " | ".join(cells)


def abstention(fitset: list, oof: list[np.ndarray], selector, examples: list, seed: int) -> str:
    """The answerability model on these selector scores: out-of-fold abstention recall at the
    fit script's threshold rule, then false abstention and abstention recall by kind on the
    report split."""
    qx = fit.question_rows(fitset, oof)
    qy = np.array([1.0 if e.q.answerable and not e.q.negative else 0.0 for e in fitset])
    mean, scale = fit.standardise(qx)
    p = fit.p_out_of_fold(qx, qy, np.array(fit.folds(fitset)), mean, scale, L2, 8, seed)
    threshold = fit.choose_threshold(p, qy, 0.03)
    model = fit.fit_answerable(qx, qy, mean, scale, L2, 8, seed)
    report = [e for e in examples if e.q.split == "report"]
    rp = fit.p_of(model, fit.question_rows(report, [selector.score(e.matrix) if len(e.matrix) else np.zeros(0)
                                                     for e in report]))
    answerable = np.array([e.q.answerable and not e.q.negative for e in report])
    kinds = [("original", lambda e: not e.q.negative), ("answer cut", lambda e: e.q.drop_answer),
             ("swapped", lambda e: e.q.swapped)]
    cells = [f"{(p[qy == 0] < threshold).mean():.3f}", f"{(rp[answerable] < threshold).mean():.3f}"]
    for _, kind in kinds:
        mask = np.array([not a and kind(e) for e, a in zip(report, answerable)])
        cells.append(f"{(rp[mask] < threshold).mean():.3f}")
    return " | ".join(cells)


def vectors(work: Path, questions: list, seed: int) -> None:
    pooled = fit.load_examples(work / "features.npz", questions)
    separate = fit.load_examples(work / "features-separate.npz", questions)
    other = [j for j in range(len(CANDIDATE_FEATURES)) if j not in COSINES]
    for a, b in zip(pooled, separate):  # the same candidates, only the cosines differ
        assert a.matrix.shape == b.matrix.shape and np.allclose(a.matrix[:, other], b.matrix[:, other]), a.q.qid
    print("| sentence vectors | cross-validated top-1 | report all | CMRC | DRCD | shipped sample "
          "| abstention recall out of fold | report false abstention | report abstention recall: original "
          "| answer cut | swapped |\n|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ("pooled", "separate", "both"):
        examples = []
        for a, b in zip(pooled, separate):
            matrix = {"pooled": a.matrix, "separate": b.matrix,
                      "both": np.hstack([a.matrix, b.matrix[:, COSINES]])}[name]
            examples.append(fit.Example(a.q, matrix, a.labels, a.question_base, a.pairs))
        fitset = [e for e in examples if e.q.split == "fit"]
        report = [e for e in examples if e.q.split == "report" and not e.q.negative]
        mean, scale = fit.standardise(np.concatenate([e.matrix for e in fitset if len(e.matrix)]))
        oof = fit.out_of_fold(fitset, fit.folds(fitset), L2, mean, scale, HIDDEN, seed)
        selector = fit.fit_selector(fitset, L2, mean, scale, HIDDEN, seed)
        print(f"| {name} | {fit.top1_rate(fitset, oof):.3f} | {report_cells(report, [selector.score(e.matrix) for e in report])}"
              f" | {abstention(fitset, oof, selector, examples, seed)} |", flush=True)


def ensembles(work: Path, questions: list, seed: int, seeds: int) -> None:
    examples = fit.load_examples(work / "features.npz", questions)
    fitset = [e for e in examples if e.q.split == "fit"]
    report = [e for e in examples if e.q.split == "report" and not e.q.negative]
    mean, scale = fit.standardise(np.concatenate([e.matrix for e in fitset if len(e.matrix)]))
    print("| selectors averaged | cross-validated top-1 | report all | CMRC | DRCD | shipped sample |\n"
          "|---|---|---|---|---|---|")
    oof_sum = [np.zeros(len(e.labels)) for e in fitset]
    report_sum = [np.zeros(len(e.labels)) for e in report]
    for n in range(1, seeds + 1):
        oof = fit.out_of_fold(fitset, fit.folds(fitset), L2, mean, scale, HIDDEN, seed + n - 1)
        selector = fit.fit_selector(fitset, L2, mean, scale, HIDDEN, seed + n - 1)
        oof_sum = [t + log_softmax(s) if len(s) else t for t, s in zip(oof_sum, oof)]
        report_sum = [t + log_softmax(selector.score(e.matrix)) if len(e.labels) else t
                      for t, e in zip(report_sum, report)]
        print(f"| {n} | {fit.top1_rate(fitset, oof_sum):.3f} | {report_cells(report, report_sum)} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=REPO / ".cache" / "fit", help="where the fit script cached features")
    ap.add_argument("--seed", type=int, default=20261121, help="the fit script's seed (the same questions)")
    ap.add_argument("--seeds", type=int, default=5, help="largest ensemble to try")
    args = ap.parse_args()
    t0 = time.perf_counter()
    questions = fit.all_questions(random.Random(args.seed))
    if (args.work / "features-separate.npz").exists():
        vectors(args.work, questions, args.seed)
    else:
        print(f"(no {args.work / 'features-separate.npz'}: sentence-vector comparison skipped)")
    ensembles(args.work, questions, args.seed, args.seeds)
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
