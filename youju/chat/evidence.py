"""Weigh the retrieved passages before anything is said: split them into candidate sentences,
score each against the question (keyword overlap, embedding similarity, the asked-for kind of
fact), and decide whether the documents answer the question at all. The extractive composer
answers from these candidates; every composer abstains on the same decision."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from youju.chat.questions import REGION_KINDS, QuestionInfo, analyse, dropped_number, entity_core, has_figure
from youju.config import AnswerSettings
from youju.embeddings.base import Embedder
from youju.records import Hit, with_headings
from youju.text.numbers import numbers
from youju.text.sentences import split_sentences
from youju.text.tokens import bigrams

MAX_DENSE_CANDIDATES = 8  # only the lexically best sentences are embedded, and only their
DENSE_CHARS = 120  # first characters: one long sentence pads the whole batch (see BENCHMARKS)
_CLAUSE = re.compile(r"[^,，;；:：]+[,，;；:：]?")


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int  # document offsets of the sentence
    end: int
    text: str
    lexical: float  # weighted coverage of the question's words by the sentence (+ its headings)
    dense: float  # cosine with the question (0 when not embedded)
    score: float
    figure_clause: str | None  # the clause naming the asked-for attribute, for figure questions
    clause_score: float  # how well that clause names it (specific words and the entity count most)
    figure_ok: bool  # that clause, or a neighbour, states a figure


@dataclass(frozen=True)
class Evidence:
    question: QuestionInfo
    candidates: tuple[Candidate, ...]  # best first
    on_topic: tuple[Candidate, ...]  # candidates whose context names the question's entities
    missing_entities: tuple[str, ...]
    figure_gap: Candidate | None  # names the asked figure, but the number is missing in the text
    figure_answers: tuple[Candidate, ...]  # for figure questions: sentences that state it, best first
    coverage: float  # keyword coverage of the question by the best sentence (and its headings)
    best_score: float
    top_dense: float
    abstain: bool
    reason: str  # "", "entity", "figure", "weak"


def gather(question: str, hits: list[Hit], embedder: Embedder | None, settings: AnswerSettings | None = None,
           max_hits: int = 5) -> Evidence:
    """Split the top passages into candidate sentences, score them, and decide whether to
    abstain: below `settings.abstain_min_score` (the best sentence's score) or
    `settings.abstain_min_dense` (the best passage's cosine), calibrated by
    bench/calibrate_abstention.py."""
    info = analyse(question)
    q_bigrams = set(bigrams("".join(info.content)))
    seen: set[tuple[str, int, int]] = set()
    sentences: list[tuple[Hit, int, int, str, str]] = []
    for hit in hits[:max_hits]:
        context = with_headings(hit.chunk.heading_path, "") + hit.title
        for a, b in split_sentences(hit.chunk.text):
            key = (hit.chunk.doc_id, hit.chunk.start + a, hit.chunk.start + b)
            text = hit.chunk.text[a:b]
            if key in seen or len(text) < 4 or text.rstrip("。:：") in hit.chunk.heading_path:
                continue  # headings state nothing (and 典型做法之13 is no figure)
            seen.add(key)
            sentences.append((hit, key[1], key[2], text, context))
    weights = _word_weights(info, [s[3] for s in sentences])
    rough = [(_lexical(text, context, weights, q_bigrams), hit, start, end, text)
             for hit, start, end, text, context in sentences]
    rough.sort(key=lambda r: (-r[0], r[1].rank))
    dense = _dense_scores(question, [r[4] for r in rough[:MAX_DENSE_CANDIDATES]], embedder)
    specificity = _specificity(info, [r[4] for r in rough])
    candidates = [_candidate(info, r, dense[i] if i < len(dense) else 0.0, specificity) for i, r in enumerate(rough)]
    candidates.sort(key=lambda c: -c.score)
    return _decide(info, tuple(candidates), hits, settings or AnswerSettings())


def _word_weights(info: QuestionInfo, sentences: list[str]) -> dict[str, float]:
    """Longer words are more specific, and so are words few of the candidate sentences share
    (总体定位 says more than 杭州 when every passage is about 杭州); entity words count extra, and
    so does what an X的Y question asks for (Y)."""
    cores = {entity_core(e) for e in info.entities}
    n = len(sentences)
    return {w: len(w) * math.log(1 + n / (1 + sum(1 for s in sentences if w in s)))
            * (1.5 if any(c in w or w in c for c in cores) else 1.0) * (2.0 if w in info.focus else 1.0)
            for w in info.content}


def _lexical(text: str, context: str, weights: dict[str, float], q_bigrams: set[str]) -> float:
    if not weights:
        return 0.0
    total = sum(weights.values())
    in_text = sum(w for word, w in weights.items() if word in text)
    in_context = sum(w for word, w in weights.items() if word not in text and word in context)
    words = (in_text + 0.5 * in_context) / total
    bg = len(q_bigrams & set(bigrams(text))) / len(q_bigrams) if q_bigrams else 0.0
    return 0.7 * words + 0.3 * bg


def _dense_scores(question: str, texts: list[str], embedder: Embedder | None) -> list[float]:
    if embedder is None or not texts:
        return []
    q = embedder.embed_query(question)
    return [float(x) for x in embedder.embed_documents([t[:DENSE_CHARS] for t in texts]) @ q]


def _specificity(info: QuestionInfo, sentences: list[str]) -> dict[str, float]:
    """Weights of the attribute words among the candidate sentences: a word in every sentence
    (随迁子女 in a passage about them) says less about which clause answers than a rare one (补贴)."""
    words = info.attribute or info.content
    n = len(sentences)
    return {w: len(w) * math.log(1 + n / (1 + sum(1 for s in sentences if w in s))) for w in words}


def _candidate(info: QuestionInfo, rough: tuple, dense: float, specificity: dict[str, float]) -> Candidate:
    lex, hit, start, end, text = rough
    clause, clause_score, figure_ok = None, 0.0, True
    if info.kind == "figure":
        clause, clause_score, figure_ok = _figure_clause(text, info, specificity)
    score = 0.6 * lex + 0.3 * dense + 0.05 / hit.rank
    if info.kind == "figure":
        score += 0.15 if figure_ok else -0.3
    elif info.kind == "list" and (text.count("、") >= 2 or "包括" in text):
        score += 0.1
    return Candidate(hit, start, end, text, lex, dense, score, clause, clause_score, figure_ok)


def _figure_clause(text: str, info: QuestionInfo, specificity: dict[str, float]) -> tuple[str | None, float, bool]:
    """For a figure question: (the clause that best names the asked-for attribute, how well
    it does, whether it or a neighbour states a figure). `2021年4月,江苏、安徽…联合印发` has
    its date in the neighbour; in `深圳市国土面积平方公里,年,…,地区生产总值2.8万亿元` the area
    has no number, whatever the other clauses say."""
    clauses = _CLAUSE.findall(text)
    cores = [entity_core(e) for e in info.entities]
    bonus = 0.5 * max(specificity.values(), default=0.0)
    named = [sum(v for w, v in specificity.items() if w in c) + (bonus if any(k in c for k in cores) else 0.0)
             for c in clauses]
    best = max(range(len(clauses)), key=lambda i: named[i]) if clauses else 0
    if not clauses or named[best] <= (bonus if any(k in clauses[best] for k in cores) else 0.0):
        return None, 0.0, False  # no clause names the attribute
    own = tuple(numbers(info.text))
    clause = clauses[best]
    if has_figure(clause, own):
        return clause, named[best], True
    # The figure may sit in a neighbouring clause (`从连续缴存24个月减至12个月` after the
    # clause naming the waiting time), unless this clause shows its own number was dropped.
    ok = not dropped_number(clause) and any(
        has_figure(clauses[j], own) and not dropped_number(clauses[j]) for j in (best - 1, best + 1) if 0 <= j < len(clauses))
    return clause, named[best], ok


def _entity_form(core: str, info: QuestionInfo) -> str:
    """The form an entity must appear in: with its region kind when the question gave one
    (上海都市圈, not just 上海; 南京市 may be 南京)."""
    for e in info.entities:
        if entity_core(e) == core and e.endswith(REGION_KINDS):
            return core + next(k for k in REGION_KINDS if e.endswith(k))
    return core


def _decide(info: QuestionInfo, candidates: tuple[Candidate, ...], hits: list[Hit], th: AnswerSettings) -> Evidence:
    cores = [entity_core(e) for e in info.entities]
    sections: dict[tuple, str] = {}  # retrieved text by (document, heading path)
    for h in hits:
        key = (h.chunk.doc_id, h.chunk.heading_path)
        sections[key] = sections.get(key, "") + with_headings(h.chunk.heading_path, h.chunk.text) + h.title

    def names(c: Candidate, core: str) -> bool:
        """The entity is named by the sentence's passage, its headings, or retrieved text of an
        enclosing section (杭湖嘉绍 in the introduction of 典型做法之4 covers its (三)), but not by a
        sibling section (深圳's 典型做法 does not vouch for 重庆's)."""
        core = _entity_form(core, info)
        path = c.hit.chunk.heading_path
        return any(core in sections.get((c.hit.chunk.doc_id, path[:i]), "") for i in range(len(path) + 1)) \
            or core in with_headings(path, c.hit.chunk.text) + c.hit.title

    if info.compare and len(cores) > 1:  # each entity needs its own evidence
        on_topic = tuple(c for c in candidates if any(names(c, core) for core in cores))
    else:
        on_topic = tuple(c for c in candidates if all(names(c, core) for core in cores))
    missing = tuple(e for e, core in zip(info.entities, cores) if not any(names(c, core) for c in candidates))
    if not on_topic and not missing:
        on_topic = candidates  # each entity is named somewhere, never together: no verdict from names
    top_dense = max((h.scores_by_retriever.get("dense", 0.0) for h in hits), default=0.0)
    best = on_topic[0] if on_topic else None
    coverage = best.lexical if best else 0.0
    gap, no_figure = None, False
    answers: tuple[Candidate, ...] = ()
    if info.kind == "figure":
        named = [c for c in on_topic if c.figure_clause]
        top = max((c.clause_score for c in named), default=0.0)
        closest = sorted((c for c in named if c.clause_score >= 0.8 * top), key=lambda c: -c.clause_score)
        answers = tuple(sorted((c for c in closest if c.figure_ok), key=lambda c: -c.score))
        no_figure = not answers
        gap = closest[0] if no_figure and closest else None
    if missing:
        reason = "entity"
    elif no_figure:
        reason = "figure"
    elif best is None or best.score < th.abstain_min_score or (top_dense and top_dense < th.abstain_min_dense):
        reason = "weak"
    else:
        reason = ""
    return Evidence(info, candidates, on_topic, missing, gap, answers, coverage, best.score if best else 0.0,
                    top_dense, bool(reason), reason)

