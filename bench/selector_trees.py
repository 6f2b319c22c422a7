"""The selector as gradient-boosted trees instead of the fitted network, on the features
scripts/fit_answer_model.py cached (run it first): each candidate classified as answer / not
(pointwise), the question's top-scored candidate taken. Top-1 cross-validated on the fit split
(the fit script's article folds) and on the report split, per source; compare with the fit
script's `selector_cv_top1` and `report_*.selector_top1` in youju/chat/answer_model.json.

    .venv/bin/python bench/selector_trees.py --work /tmp/qa
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

SETTINGS = [dict(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0),
            dict(max_iter=400, learning_rate=0.03, max_leaf_nodes=31, min_samples_leaf=40, l2_regularization=1.0),
            dict(max_iter=300, learning_rate=0.05, max_depth=4, min_samples_leaf=50)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=REPO / ".cache" / "fit", help="where the fit script cached features")
    ap.add_argument("--seed", type=int, default=20261121, help="the fit script's seed (the same questions)")
    args = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier

    examples = fit.load_examples(args.work / "features.npz", fit.all_questions(random.Random(args.seed)))
    train_set = [e for e in examples if e.q.split == "fit" and e.labels.any()]
    report = [e for e in examples if e.q.split == "report" and not e.q.negative and e.labels.any()]

    def trained(es: list, setting: dict) -> HistGradientBoostingClassifier:
        model = HistGradientBoostingClassifier(**setting, random_state=0)
        return model.fit(np.concatenate([e.matrix for e in es]), np.concatenate([e.labels for e in es]))

    def top1(model: HistGradientBoostingClassifier, es: list) -> float:
        return float(np.mean([e.labels[int(np.argmax(model.decision_function(e.matrix)))] for e in es]))

    folds = fit.folds(train_set)
    print("| setting | cross-validated top-1 | report all | CMRC | DRCD | shipped sample | seconds |\n"
          "|---|---|---|---|---|---|---|")
    for setting in SETTINGS:
        t0 = time.perf_counter()
        hits = [float(e.labels[int(np.argmax(m.decision_function(e.matrix)))])
                for k in range(5) for m in [trained([e for e, f in zip(train_set, folds) if f != k], setting)]
                for e, f in zip(train_set, folds) if f == k]
        model = trained(train_set, setting)
        per = [top1(model, [e for e in report if e.q.source == s]) for s in ("cmrc", "drcd", "sample")]
        print(f"| {setting} | {np.mean(hits):.3f} | {top1(model, report):.3f} | "
              + " | ".join(f"{v:.3f}" for v in per) + f" | {time.perf_counter() - t0:.0f} |")


if __name__ == "__main__":
    main()
