"""Calibrate when youju says "资料中没有找到…" instead of answering, on the shipped evaluation set.

Two rules need no threshold: a question naming an entity that no retrieved passage names
abstains, and so does a figure question whose passages name the attribute without its number
(the corpus drops numbers: `深圳市国土面积平方公里`). The remaining evidence must pass two
thresholds: the best sentence's score (keyword overlap, embedding similarity, kind of fact)
and the best passage's dense cosine. They are chosen by grid search for balanced accuracy on the odd-numbered items
and reported on the even-numbered ones (held out), then on all.

    .venv/bin/python bench/calibrate_abstention.py
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import CORPUS, EVAL_SET, header

from youju.chat.evidence import Thresholds, gather
from youju.config import Settings
from youju.engine import Engine
from youju.evaluation.evalset import load_eval_set
from youju.evaluation.metrics import abstention_scores

SCORE = [i / 20 for i in range(0, 17)]
DENSE = [0.70 + i / 100 for i in range(0, 21)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path)
    args = ap.parse_args()
    items = load_eval_set(EVAL_SET)
    home = args.home or Settings.from_env().home
    rows = []  # (index, should_abstain, rule_reason, best sentence score, top_dense)
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Settings.from_env(home=home, index=Path(tmp) / "idx", model="default"), log=lambda m: None)
        engine.ingest([CORPUS], progress=False)
        engine.warm_up()
        for i, item in enumerate(items):
            hits, _ = engine.retrieve(item.question)
            ev = gather(item.question, hits, engine.embedder, Thresholds(0.0, 0.0))
            rows.append((i, item.unanswerable, ev.reason, ev.best_score, ev.top_dense))
        engine.index().close()

    def predict(row, c: float, d: float) -> bool:
        _, _, reason, score, dense = row
        return bool(reason) or score < c or dense < d

    def scores(subset, c: float, d: float) -> dict[str, float]:
        """The evaluation's own abstention metrics (undefined counts as 0), plus balanced accuracy."""
        s = {k: v or 0.0 for k, v in abstention_scores([r[1] for r in subset],
                                                       [predict(r, c, d) for r in subset]).items()}
        return {**s, "balanced_accuracy": (s["abstain_recall"] + 1 - s["false_abstention"]) / 2}

    def best(subset) -> tuple[float, float]:
        # ties: the least strict thresholds (answer more)
        return max(((c, d) for c in SCORE for d in DENSE),
                   key=lambda cd: (round(scores(subset, *cd)["balanced_accuracy"], 6), -cd[0], -cd[1]))

    odd, even = [r for r in rows if r[0] % 2], [r for r in rows if not r[0] % 2]
    dev = best(odd)
    final = best(rows)
    print(header("Abstention calibration", "bench/calibrate_abstention.py"))
    n_un = sum(r[1] for r in rows)
    print(f"{len(rows)} questions ({n_un} unanswerable). Rule-based abstentions alone: "
          f"{sum(1 for r in rows if r[2] and r[1])} correct, {sum(1 for r in rows if r[2] and not r[1])} wrong.\n")
    print("| thresholds (score, dense) | fitted on | evaluated on | balanced accuracy | abstain precision | "
          "abstain recall | false abstention |")
    print("|---|---|---|---|---|---|---|")
    for (c, d), fit, name, subset in [(dev, "odd items", "even items (held out)", even), (dev, "odd items", "all", rows),
                                      (final, "all", "all", rows), ((0.0, 0.0), "-", "all (rules only)", rows)]:
        s = scores(subset, c, d)
        print(f"| {c:.2f}, {d:.2f} | {fit} | {name} | {s['balanced_accuracy']:.3f} | {s['abstain_precision']:.3f} | "
              f"{s['abstain_recall']:.3f} | {s['false_abstention']:.3f} |")
    print(f"\nDefaults to use: abstain_min_score={final[0]:.2f}, abstain_min_dense={final[1]:.2f}")
    wrong = [(items[r[0]].id, items[r[0]].question, r[2] or "threshold", round(r[3], 2), round(r[4], 3))
             for r in rows if predict(r, *final) != r[1]]
    print("Misjudged at these thresholds: " + ("; ".join(f"{w[0]} {w[1]} ({w[2]}, score {w[3]}, dense {w[4]})"
                                                         for w in wrong) or "none"))


if __name__ == "__main__":
    main()
