"""Evaluation metrics, each defined here once (docs/EVALUATION.md explains them).

Retrieval, by span overlap with gold evidence: a passage covers an evidence span when it
overlaps at least half of it; an evidence item counts as found when any of its occurrences is
covered. Defined on (doc_id, start, end) spans, so they are fair across chunkings.
Answers: key-fact recall and character ROUGE-L on normalised text, citation precision and
recall against gold spans, the verifier's supported-sentence rate, abstention scores."""

from __future__ import annotations

import math
from collections.abc import Sequence

from youju.chat.citations import strip_markers
from youju.evaluation.evalset import GoldSpan
from youju.text.numbers import canonical
from youju.text.sentences import split_sentences

Span = tuple[str, int, int]  # doc_id, start, end


def covers(span: Span, gold: GoldSpan) -> bool:
    doc_id, start, end = span
    if doc_id != gold.doc_id:
        return False
    overlap = min(end, gold.end) - max(start, gold.start)
    return overlap * 2 >= gold.end - gold.start


def _covered_groups(span: Span, gold: Sequence[Sequence[GoldSpan]]) -> set[int]:
    return {i for i, group in enumerate(gold) if any(covers(span, g) for g in group)}


def recall_at_k(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], k: int) -> float:
    """Share of evidence items covered by the top k passages."""
    if not gold:
        return 0.0
    found: set[int] = set()
    for span in spans[:k]:
        found |= _covered_groups(span, gold)
    return len(found) / len(gold)


def mrr_at_k(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], k: int = 10) -> float:
    """1 / rank of the first passage that covers any evidence (0 if none in the top k)."""
    for rank, span in enumerate(spans[:k], start=1):
        if _covered_groups(span, gold):
            return 1.0 / rank
    return 0.0


def ndcg_at_k(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], k: int = 10) -> float:
    """Binary nDCG where a passage is relevant if it covers evidence no earlier passage covered
    (so overlapping chunks of one span are not counted twice)."""
    if not gold:
        return 0.0
    found: set[int] = set()
    dcg = 0.0
    for rank, span in enumerate(spans[:k], start=1):
        new = _covered_groups(span, gold) - found
        if new:
            dcg += 1.0 / math.log2(rank + 1)
            found |= new
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def budget_recall(spans: Sequence[Span], gold: Sequence[Sequence[GoldSpan]], budget: int) -> float:
    """Recall when the passages, in rank order, may use at most `budget` characters of context
    (the last one cut to fit): fair between small and large chunks."""
    if not gold:
        return 0.0
    found: set[int] = set()
    left = budget
    for doc_id, start, end in spans:
        if left <= 0:
            break
        end = min(end, start + left)
        left -= end - start
        found |= _covered_groups((doc_id, start, end), gold)
    return len(found) / len(gold)


# --- answers ------------------------------------------------------------------------------------

def normalise_for_match(text: str) -> str:
    """Full/half width, thousands separators, Chinese numerals and 万/亿 amounts made canonical
    (八个 = 8个, 2.7万 = 27000), spaces dropped, Latin lower-cased: for key-fact matching."""
    return canonical(text).lower()


# punctuation around a key fact is not part of it: a gold span copied as "。全裸或者…" or
# "8个村、2个社区。" is stated by an answer that shows "辖8个村、2个社区；"
_EDGE_PUNCT = "。！？!?；;，,、：:…. \n"


def normalise_fact(fact: str) -> str:
    """A key fact as matched: normalised, with punctuation at its edges dropped."""
    whole = normalise_for_match(fact)
    return whole.strip(_EDGE_PUNCT) or whole


def key_fact_recall(answer: str, key_facts: Sequence[str]) -> float | None:
    """Share of key facts the answer states (after normalisation); None without key facts."""
    if not key_facts:
        return None
    text = normalise_for_match(strip_markers(answer))
    return sum(1 for f in key_facts if normalise_fact(f) in text) / len(key_facts)


def missed_where(answer: str, quotes: Sequence[str], passages: Sequence[str], key_facts: Sequence[str]) -> str | None:
    """Where the key facts an answer leaves out are, which tells what to fix: "cut" (in the
    sentences it cites: the shown text trimmed them away), "beside" (in the sentence before or
    after a cited one, alone or together with it: the neighbour was needed or was the answer),
    "passage" (elsewhere in a retrieved passage: another sentence was chosen), "retrieval" (in
    none of the passages); None when nothing is missing."""
    text = normalise_for_match(strip_markers(answer))
    missing = [f for f in map(normalise_fact, key_facts) if f not in text]
    if not missing:
        return None
    quoted = normalise_for_match(" ".join(quotes))
    if all(f in quoted for f in missing):
        return "cut"
    windows = [normalise_for_match(w) for w in _with_neighbours(quotes, passages)]
    if all(any(f in w for w in windows) for f in missing):
        return "beside"
    read = [normalise_for_match(p) for p in passages]
    return "passage" if all(any(f in p for p in read) for f in missing) else "retrieval"


def _with_neighbours(quotes: Sequence[str], passages: Sequence[str]) -> list[str]:
    """Each quote found in a passage, as a pair with the sentence before it and with the one
    after it (a quote may be a trimmed part of a sentence: the whole sentence is taken)."""
    out = []
    for passage in passages:
        spans = split_sentences(passage)
        for quote in quotes:
            at = passage.find(quote) if quote else -1
            if at < 0 or not spans:
                continue
            first = next((i for i, (_, b) in enumerate(spans) if at < b), len(spans) - 1)
            last = next((i for i, (_, b) in enumerate(spans) if at + len(quote) <= b), len(spans) - 1)
            out.append(passage[spans[max(first - 1, 0)][0]:spans[last][1]])
            out.append(passage[spans[first][0]:spans[min(last + 1, len(spans) - 1)][1]])
    return out


def rouge_l(answer: str, reference: str | None) -> float | None:
    """Character-level ROUGE-L F1 (longest common subsequence) against the reference answer,
    markers and punctuation removed: Chinese has no spaces, so characters are the tokens."""
    if not reference:
        return None
    a, r = _chars(strip_markers(answer)), _chars(reference)
    if not a or not r:
        return 0.0
    lcs = _lcs(a, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def _chars(text: str) -> str:
    return "".join(ch for ch in normalise_for_match(text) if ch.isalnum() or ch in ".%")


def _lcs(a: str, b: str) -> int:
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, other in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if ch == other else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def citation_precision(citations: Sequence[Span], quotes: Sequence[str], gold: Sequence[Sequence[GoldSpan]],
                       key_facts: Sequence[str]) -> float | None:
    """Share of citations whose span overlaps gold evidence or whose quote contains a key fact;
    None for an answer without citations."""
    if not citations:
        return None
    facts = [normalise_fact(f) for f in key_facts]
    good = 0
    for span, quote in zip(citations, quotes):
        overlaps = any(span[0] == g.doc_id and span[1] < g.end and g.start < span[2] for group in gold for g in group)
        if overlaps or any(f in normalise_for_match(quote) for f in facts):
            good += 1
    return good / len(citations)


def citation_recall(citations: Sequence[Span], gold: Sequence[Sequence[GoldSpan]]) -> float | None:
    """Share of gold evidence items that some citation overlaps; None without gold evidence."""
    if not gold:
        return None
    found = sum(1 for group in gold
                if any(c[0] == g.doc_id and c[1] < g.end and g.start < c[2] for c in citations for g in group))
    return found / len(gold)


def supported_rate(verdicts: Sequence[bool | None]) -> float | None:
    """Share of the answer's fact-stating sentences the verifier found supported."""
    judged = [v for v in verdicts if v is not None]
    return sum(judged) / len(judged) if judged else None


def abstention_scores(expected: Sequence[bool], abstained: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of abstaining on unanswerable items; false-abstention rate on the
    answerable ones."""
    tp = sum(1 for e, a in zip(expected, abstained) if e and a)
    fp = sum(1 for e, a in zip(expected, abstained) if not e and a)
    unanswerable = sum(expected)
    answerable = len(expected) - unanswerable
    return {"abstain_precision": tp / (tp + fp) if tp + fp else None,
            "abstain_recall": tp / unanswerable if unanswerable else None,
            "false_abstention": fp / answerable if answerable else None}
