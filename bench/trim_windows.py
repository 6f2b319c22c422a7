"""A fitted choice of which part of a long sentence to show, against the shipped trimming rule
(`extractive._as_answer`). Data: the public sets' and the shipped sample's answerable questions
whose gold sentence holds the gold answer and is trimmed for the question. Every run of clauses
within the limit is a candidate window; a conditional logit over 17 window features (question
words held, the asked kind, whether the window holds the clause that best restates the question
or its neighbours, size, position) is fitted on the fit split, with L2 and a cost per 100
characters chosen by 5-fold cross-validation (most answers held whole at a mean of at most 60
characters shown). Printed: on the report split, the share of gold answers the shown text holds
whole and the mean characters shown, for the fitted windows, a neutral hand-set window score and
the shipped rule; with `--non-figure`, only questions that ask no figure or date (the shipped
rule places a figure or date by its kind).

    .venv/bin/python bench/trim_windows.py [--non-figure]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
from common import REPO

sys.path.insert(0, str(REPO / "scripts"))
import fit_answer_model as fit

from youju.chat.extractive import _CAUSE, _CLAUSES, MAX_FIGURE_SENTENCE, MAX_SENTENCE, _as_answer
from youju.chat.features import QuestionTerms
from youju.chat.features import _type_fit as type_fit
from youju.chat.questions import QuestionInfo, analyse, has_quantity, names, states_asked_kind, subject_cores
from youju.evaluation.metrics import normalise_fact, normalise_for_match
from youju.text.script import to_simplified

FEATURES = ["word", "word_rest", "focus", "kind", "kind_miss", "has_best", "has_after_best", "has_before_best",
            "clauses", "length", "starts", "ends", "new_chars", "cause", "entity", "best_last", "best_first"]
LENGTH = FEATURES.index("length")
NEUTRAL = {"word": 1.0, "kind": 1.0, "kind_miss": -1.0, "length": -0.01}
BUDGET = 60  # mean characters shown at most (half of MAX_SENTENCE)


@dataclass
class Group:
    q: fit.Question
    shown: list[str]  # each window's text
    rows: np.ndarray
    labels: np.ndarray
    rule_holds: bool  # the shipped rule's text holds the gold answer
    rule_length: int


def rows_of(clauses: list[str], info: QuestionInfo, wins: list[tuple[int, int]]) -> np.ndarray:
    terms = QuestionTerms(info)
    weights = {w: float(len(w)) for w in terms.words if w}
    total = sum(weights.values()) or 1.0
    low = [to_simplified(c).lower() for c in clauses]
    cover = [sum(v for t, v in weights.items() if t in c) / total for c in low]
    best = max(range(len(clauses)), key=lambda i: cover[i])
    whole_kind = info.asks in ("number", "date") and states_asked_kind("".join(clauses), info)
    out = np.zeros((len(wins), len(FEATURES)))
    for k, (a, b) in enumerate(wins):
        shown, rest = "".join(low[a:b + 1]), "".join(low[:a] + low[b + 1:])
        if info.asks in ("number", "date"):
            stated = states_asked_kind(shown, info)
            kind, miss = float(stated), float(whole_kind and not stated)
        else:
            kind, miss = type_fit(info, shown, has_quantity(shown, info.numbers))
        chars = [ch for ch in shown if "\u4e00" <= ch <= "\u9fff"]
        out[k] = [sum(v for t, v in weights.items() if t in shown) / total,
                  sum(v for t, v in weights.items() if t in rest and t not in shown) / total,
                  float(any(f in shown for f in terms.focus)), kind, miss,
                  float(a <= best <= b), float(a <= best + 1 <= b), float(a <= best - 1 <= b), b - a + 1,
                  len(shown) / 100, float(a == 0), float(b == len(clauses) - 1),
                  sum(1 for ch in chars if ch not in terms.core) / max(len(chars), 1),
                  float(info.asks == "reason" and bool(_CAUSE.search(shown))),
                  float(any(names(shown, c) for c in subject_cores(info.entities))),
                  float(best == b), float(best == a)]
    return out


def groups(non_figure: bool) -> list[Group]:
    out = []
    for q in fit.qa_questions("cmrc") + fit.qa_questions("drcd") + fit.sample_questions():
        sentence = q.evidence.strip()
        fact = normalise_fact(q.answer) if q.answer else ""
        if not q.answerable or not fact or fact not in normalise_for_match(sentence):
            continue
        info = analyse(q.text)
        rule = _as_answer(sentence, info)
        clauses = _CLAUSES.findall(sentence)
        if normalise_for_match(rule.rstrip("。")) == normalise_for_match(sentence.rstrip("。")) or len(clauses) < 2:
            continue  # shown whole
        if non_figure and info.asks in ("number", "date"):
            continue
        limit = MAX_SENTENCE * 3 // 2 if info.kind == "list" else MAX_FIGURE_SENTENCE \
            if info.asks in ("number", "date") else MAX_SENTENCE
        wins = [(a, b) for a in range(len(clauses)) for b in range(a, len(clauses))
                if len("".join(clauses[a:b + 1])) <= min(limit, len(sentence))] or \
            [(i, i) for i in range(len(clauses))]
        shown = ["".join(clauses[a:b + 1]) for a, b in wins]
        out.append(Group(q, shown, rows_of(clauses, info, wins),
                         np.array([float(fact in normalise_for_match(t)) for t in shown]),
                         fact in normalise_for_match(rule), len(rule)))
    return out


def fit_logit(train: list[Group], l2: float):
    """The fit script's conditional logit (linear) over each sentence's windows, on features
    standardised over `train`."""
    mean, scale = fit.standardise(np.concatenate([g.rows for g in train]))
    return fit.fit_selector([fit.Example(g.q, g.rows, g.labels, np.zeros(0)) for g in train], l2, mean, scale,
                            names=FEATURES).score


def outcome(gs: list[Group], scores: list[np.ndarray]) -> tuple[float, float]:
    top = [int(np.argmax(s)) for s in scores]
    return float(np.mean([g.labels[i] for g, i in zip(gs, top)])), float(np.mean([len(g.shown[i]) for g, i in zip(gs, top)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--non-figure", action="store_true", help="only questions that ask no figure or date")
    args = ap.parse_args()
    gs = groups(args.non_figure)
    fit_g = [g for g in gs if g.q.split == "fit"]
    report = [g for g in gs if g.q.split == "report"]
    fold = fit.folds(fit_g)  # by article, as the fit script's (it reads only each group's question)
    best, key = (0.01, 0.0), (-1.0, 0.0)
    for l2 in (1e-2, 3e-2, 1e-1):
        raw: list[np.ndarray] = [np.zeros(0)] * len(fit_g)
        for k in range(5):
            score = fit_logit([g for g, f in zip(fit_g, fold) if f != k], l2)
            for i, (g, f) in enumerate(zip(fit_g, fold)):
                if f == k:
                    raw[i] = score(g.rows)
        for cost in [0.5 * c for c in range(11)]:
            held, length = outcome(fit_g, [r - cost * g.rows[:, LENGTH] for r, g in zip(raw, fit_g)])
            if length <= BUDGET and (held, -length) > key:
                best, key = (l2, cost), (held, -length)
    score = fit_logit(fit_g, best[0])
    neutral = np.array([NEUTRAL.get(f, 0.0) for f in FEATURES])
    print(f"sentences: fit {len(fit_g)}, report {len(report)}; chosen l2 {best[0]}, cost {best[1]} "
          f"(cross-validated: {key[0]:.3f} held whole, {-key[1]:.1f} characters)")
    print("report split              held whole  characters")
    for name, (held, length) in [
            ("fitted windows", outcome(report, [score(g.rows) - best[1] * g.rows[:, LENGTH] for g in report])),
            ("neutral window score", outcome(report, [g.rows @ neutral for g in report])),
            ("shipped rule", (float(np.mean([g.rule_holds for g in report])),
                              float(np.mean([g.rule_length for g in report]))))]:
        print(f"{name:26s}{held:10.3f}{length:12.1f}")
    print("fit split, shipped rule   "
          f"{np.mean([g.rule_holds for g in fit_g]):10.3f}{np.mean([g.rule_length for g in fit_g]):12.1f}")


if __name__ == "__main__":
    main()
