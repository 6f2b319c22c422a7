"""Calibrate the answer verifier's two thresholds: the share of a sentence's character bigrams
found in its cited text (MIN_LEXICAL) and the embedding cosine between them (MIN_SEMANTIC).

Positives: each reference answer of the shipped evaluation set against its own gold evidence
(paraphrased claims that the evidence supports). Negatives: the same answer against the gold
evidence of another question from the same document (on-topic text that does not support it).
A sentence counts as supported when its numbers are in the cited text and either threshold is
met. Fitted on odd items, reported on even ones (held out) and on all.

    .venv/bin/python bench/calibrate_verifier.py
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
from common import EVAL_SET, header

from youju.chat.citations import bigram_recall, strip_markers
from youju.chat.verify import MIN_LEXICAL, MIN_SEMANTIC
from youju.config import Settings
from youju.embeddings import make_embedder
from youju.evaluation.evalset import load_eval_set
from youju.text.numbers import canonical, numbers

LEXICAL = [i / 20 for i in range(6, 19)]
SEMANTIC = [0.80 + i / 100 for i in range(0, 16)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path)
    args = ap.parse_args()
    settings = Settings.from_env(home=args.home) if args.home else Settings.from_env()
    items = [i for i in load_eval_set(EVAL_SET) if i.answer and i.evidence]
    rng = random.Random(0)
    pairs = []  # (item index, claim, source, supported?)
    for i, item in enumerate(items):
        claim = strip_markers(item.answer)
        pairs.append((i, claim, "".join(e.text for e in item.evidence), True))
        others = [o for o in items if o is not item and o.evidence[0].doc == item.evidence[0].doc]
        other = rng.choice(others)
        pairs.append((i, claim, "".join(e.text for e in other.evidence), False))
    embedder = make_embedder(settings.model, settings.models_dir)
    claims = embedder.embed_documents([p[1] for p in pairs])
    sources = embedder.embed_documents([p[2] for p in pairs])
    cosine = np.sum(claims * sources, axis=1)
    lexical = [bigram_recall(canonical(c), canonical(s)) for _, c, s, _ in pairs]
    numbers_ok = [all(n in numbers(s) for n in numbers(c)) for _, c, s, _ in pairs]

    def accuracy(idx: list[int], lo: float, se: float) -> tuple[float, float, float]:
        pred = {j: numbers_ok[j] and (lexical[j] >= lo or cosine[j] >= se) for j in idx}
        pos = [j for j in idx if pairs[j][3]]
        neg = [j for j in idx if not pairs[j][3]]
        tpr = sum(pred[j] for j in pos) / len(pos)
        tnr = sum(not pred[j] for j in neg) / len(neg)
        return (tpr + tnr) / 2, tpr, tnr

    odd = [j for j, p in enumerate(pairs) if p[0] % 2]
    even = [j for j, p in enumerate(pairs) if not p[0] % 2]
    every = list(range(len(pairs)))
    fit = max(((lo, se) for lo in LEXICAL for se in SEMANTIC), key=lambda t: (round(accuracy(odd, *t)[0], 6), -t[0], -t[1]))
    print(header("Verifier calibration", "bench/calibrate_verifier.py"))
    print(f"{len(items)} reference answers: {len(pairs)} (claim, cited text) pairs, half supported.\n")
    print("| thresholds (lexical, semantic) | evaluated on | balanced accuracy | supported kept | unsupported caught |")
    print("|---|---|---|---|---|")
    for (lo, se), name, idx in [(fit, "even items (held out)", even), (fit, "all", every),
                                ((MIN_LEXICAL, MIN_SEMANTIC), "all, current defaults", every),
                                ((MIN_LEXICAL, 2.0), "all, lexical only (no embedding)", every)]:
        ba, tpr, tnr = accuracy(idx, lo, se)
        shown = f"{lo:.2f}, {se:.2f}" if se <= 1 else f"{lo:.2f}, -"
        print(f"| {shown} | {name} | {ba:.3f} | {tpr:.3f} | {tnr:.3f} |")
    print(f"\nFitted on odd items: MIN_LEXICAL={fit[0]:.2f}, MIN_SEMANTIC={fit[1]:.2f}")


if __name__ == "__main__":
    main()
