"""Weigh the retrieved passages before anything is said: every sentence of the top passages is
a candidate, scored by the fitted selector (youju/chat/model.py over youju/chat/features.py),
and the fitted answerability model decides whether the passages answer the question at all.
Three refusals need no model: a question naming a place or organisation that no passage names;
a figure question whose best sentence names the asked-for figure with its number missing
(`深圳市国土面积平方公里`); and a figure question about a subject the best sentence does not list
among those it gives figures to (博士后, where it gives them to 博士, 硕士 and 本科). Every
composer abstains on the same decision."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from youju.chat.candidates import Candidate, Sources, candidates
from youju.chat.crosslingual import english_names, named_in
from youju.chat.features import (
    CANDIDATE_FEATURES,
    CLAUSE,
    Weighed,
    link_flags,
    may_extend,
    neighbours,
    pair_row,
    question_features,
    softmax,
    weigh,
)
from youju.chat.model import AnswerModel, load_model
from youju.chat.questions import (
    ADMIN_KINDS,
    REGION_KINDS,
    QuestionInfo,
    analyse,
    dropped_number,
    entity_core,
    has_quantity,
    names,
    places_named,
    states_asked_kind,
    subject_cores,
)
from youju.config import AnswerSettings
from youju.embeddings.base import Embedder
from youju.records import Hit, with_headings
from youju.text.script import to_simplified
from youju.text.tokens import tagged

_TYPE_MATCH = CANDIDATE_FEATURES.index("type_match")
_WORD = CANDIDATE_FEATURES.index("word")
_ANNOUNCES = CANDIDATE_FEATURES.index("announces")
_RESTATES = CANDIDATE_FEATURES.index("restates")


@dataclass(frozen=True)
class Evidence:
    question: QuestionInfo
    candidates: tuple[Candidate, ...]  # best first
    scores: np.ndarray  # the selector's score of each candidate, same order
    matrix: np.ndarray  # their feature rows, same order
    p_answerable: float  # the answerability model's probability
    threshold: float  # answer at or above it
    missing_entities: tuple[str, ...]  # places or organisations the question names and no passage does
    figure_gap: Candidate | None  # names the asked figure, but the number is missing in the text
    abstain: bool
    reason: str  # "", "entity", "figure", "weak"
    extension: Candidate | None = None  # the best sentence's neighbour the answer needs too (a reason's cause)

    @property
    def probabilities(self) -> np.ndarray:
        return softmax(self.scores) if len(self.scores) else self.scores

    def feature(self, i: int, name: str) -> float:
        return float(self.matrix[i, CANDIDATE_FEATURES.index(name)])


def gather(question: str, hits: list[Hit], sources: Sources | None, embedder: Embedder | None,
           settings: AnswerSettings | None = None, model: AnswerModel | None = None,
           timings: dict[str, float] | None = None) -> Evidence:
    """Score every candidate sentence and decide whether to answer."""
    settings = settings or AnswerSettings()
    model = model or load_model(settings.model_file or None)
    sources = sources or Sources()
    info = analyse(question)
    t0 = time.perf_counter()
    qvec = sources.question_vector if sources.question_vector is not None else (
        embedder.embed_query(question) if embedder is not None else None)
    cands = candidates(hits, sources, embedder, timings)
    weighed = weigh(info, cands, qvec)
    scores = model.select(weighed.matrix)
    order = np.argsort(-scores, kind="stable")
    p = model.p_answerable(question_features(info, Weighed([weighed.candidates[i] for i in order],
                                                           weighed.matrix[order]), scores[order], hits)) \
        if len(scores) else 0.0
    order = _on_subject_first(info, weighed.candidates, order)
    order = _asked_year_first(info, weighed.candidates, order)
    # the blank figure is judged on the best sentence as ranked, before one stating a figure goes first
    gap = _figure_gap(info, Weighed([weighed.candidates[i] for i in order[:1]], weighed.matrix[order[:1]]))
    order, kind_found = _asked_kind_first(info, weighed, order)
    if kind_found:
        order, kind_found = _asked_places_first(info, weighed.candidates, order)
    ranked = Weighed([weighed.candidates[i] for i in order], weighed.matrix[order])
    scores = scores[order]
    threshold = model.threshold if settings.min_answerable < 0 else settings.min_answerable
    read = _passages_text(hits)
    missing = _missing_entities(info, read) or _unlisted_subject(info, ranked, read)
    if not ranked.candidates:
        reason = "weak"
    elif missing:
        reason = "entity"
    elif gap is not None:
        reason = "figure"
    elif p < threshold or not kind_found or _kind_missing(info, ranked):
        reason = "weak"
    else:
        reason = ""
    if timings is not None:
        timings["analyse"] = (time.perf_counter() - t0) * 1000
    return Evidence(info, tuple(ranked.candidates), scores, ranked.matrix, p, threshold, missing, gap,
                    bool(reason), reason, None if reason else _extension(model, info, ranked, scores))


def _extension(model: AnswerModel, info: QuestionInfo, ranked: Weighed, scores: np.ndarray) -> Candidate | None:
    """The sentence before or after the best one when the fitted extension model says the answer
    needs it too (the likelier of the two, at the model's threshold)."""
    if model.extend is None or not ranked.candidates:
        return None
    flags = link_flags(ranked.candidates)
    before, after = neighbours(ranked.candidates)
    options = [(model.p_extend(pair_row(info.asks, ranked.matrix, flags, scores, 0, nb, nb == after[0])), nb)
               for nb in (int(before[0]), int(after[0])) if nb >= 0 and may_extend(info.asks, ranked.matrix, 0, nb)]
    p, nb = max(options, default=(0.0, -1))
    return ranked.candidates[nb] if nb >= 0 and p >= model.extend_threshold else None


def _passages_text(hits: list[Hit]) -> str:
    """The top passages with their headings and titles, as folded to simplified characters
    (traditional passages may sit under a simplified title): what a refusal for a name no
    passage uses reads."""
    return to_simplified("".join(with_headings(h.chunk.heading_path, h.chunk.text) + h.title for h in hits[:5]))


def _missing_entities(info: QuestionInfo, text: str) -> tuple[str, ...]:
    """The regions the question names (上海都市圈, 长株潭城市群) that no retrieved passage, heading
    or title names in that form (上海都市圈 is not 上海), and the cities, districts and counties
    (青禾市, 白鹭湾新区) none names at all (深圳 for 深圳市). Other names the tagger finds are too
    often mis-cut or written another way (凱薩/凱撒) to refuse on: the answerability model weighs
    them (entity_missing). `text`: _passages_text of the hits."""
    missing = tuple(e for e in info.entities if (e.endswith(REGION_KINDS) and len(e) > 3 and to_simplified(e) not in text)
                    or (e.endswith(ADMIN_KINDS) and len(core := entity_core(e)) >= 2 and to_simplified(core) not in text))
    if info.english:  # an English question's names, by their pinyin (Changsha: no 长沙 anywhere)
        missing += tuple(f"{name} {kind}".strip() for name, kind in english_names(info.text)
                         if not named_in(name, text, kind))
    return missing


def _on_subject_first(info: QuestionInfo, cands: list[Candidate], order: np.ndarray) -> np.ndarray:
    """The ranking with the sentences about the asked subject first: those whose sentence,
    headings, title or passage name every place or organisation of the question (a sentence
    about 江苏省 does not answer a question about 南京都市圈, however well it scores). A
    comparison names several subjects, each answered on its own: no reordering."""
    cores = subject_cores(info.entities)
    if not cores or info.compare:
        return order
    return _first(order, [all(names(c.text + c.context + c.hit.chunk.text, core) for core in cores) for c in cands])


def figure_subjects(sentence: str, info: QuestionInfo) -> list[set[str]]:
    """For a sentence that gives several subjects their own figures (对博士人才给予60万元…,对硕士
    人才给予20万元…), per clause stating a figure, the tagger's words that set it apart from the
    other such clauses ({博士}, {硕士}, …); [] when fewer than two clauses have words of their own."""
    clauses = [c for c in CLAUSE.findall(to_simplified(sentence)) if has_quantity(c, info.numbers)]
    words = [{w for w, _ in tagged(c) if len(w) >= 2 and not any(ch.isdigit() for ch in w)} for c in clauses]
    own = [ws.difference(*(o for j, o in enumerate(words) if j != i)) for i, ws in enumerate(words)]
    return own if sum(1 for o in own if o) >= 2 else []


def names_a_subject(info: QuestionInfo, subjects: list[set[str]]) -> bool:
    """Does the question name one of the subjects (figure_subjects) by the tagger's words?"""
    asked = _asked_words(info)
    return any(s & asked for s in subjects)


def _asked_words(info: QuestionInfo) -> set[str]:
    """The question's words of two characters or more, as the tagger cuts them (博士后, not 博士)."""
    return {w for w, _ in tagged(to_simplified(info.text)) if len(w) >= 2}


def _unlisted_subject(info: QuestionInfo, ranked: Weighed, text: str) -> tuple[str, ...]:
    """For a figure question whose best sentence gives several subjects their own figures (对博士
    人才给予60万元…,对硕士人才给予20万元…): when the question names none of those subjects but a
    word no passage uses (博士后), that word; the sentence lists who gets what, and the asked one
    is not among them. Words are the tagger's, so 博士 is not found in 博士后. `text`:
    _passages_text of the hits."""
    if info.asks != "number" or info.compare or info.english or not ranked.candidates:
        return ()
    subjects = figure_subjects(ranked.candidates[0].text, info)
    if not subjects or names_a_subject(info, subjects):
        return ()
    asked = _asked_words(info)
    return tuple(w for w in info.attribute if len(w) >= 2 and w in asked and to_simplified(w) not in text)[:1]


def _first(order: np.ndarray, about: list[bool]) -> np.ndarray:
    """The ranking with the candidates marked in `about` first (each part in its own order)."""
    if not any(about):
        return order
    return np.array([i for i in order if about[i]] + [i for i in order if not about[i]], dtype=int)


_YEAR = re.compile(r"(?<!\d)(1[6-9]\d\d|20\d\d)(?=年)")
# a year as a deadline (到2025年的目标, 截至2015年), not the end of a span (2009年到2010年, 6月至2000年)
_DEADLINE = re.compile(r"(?<![年月日\d])(?:到|至|截至|截止到?)\s*((?:1[6-9]|20)\d\d)(?=年)")


def _asked_year_first(info: QuestionInfo, cands: list[Candidate], order: np.ndarray) -> np.ndarray:
    """For a figure or date question that names a year (2023年…增加值是多少), or any question
    about what is due by a year (到2025年的目标是什么): the sentences that name that year go
    first; one about 2026's target does not answer it. A comparison's sides are picked by
    subject: no reordering."""
    text = to_simplified(info.text)
    years = _YEAR.findall(text) if info.asks in ("number", "date") else _DEADLINE.findall(text)
    if not years or info.compare:
        return order
    return _first(order, [all(y + "年" in c.text for y in years) for c in cands])


def _asked_kind_first(info: QuestionInfo, weighed: Weighed, order: np.ndarray, within: int = 3
                      ) -> tuple[np.ndarray, bool]:
    """For a figure or date question: the first of the `within` best sentences that states the
    asked kind (an amount in the asked noun's unit, a date) goes first, and (order, False) when
    none does: the answer would not hold what was asked (the verifier's check, made before the
    answer is written). A best sentence that announces or restates, whose neighbour answers, and
    a comparison, whose sides are picked by subject, are left as they are."""
    if info.asks not in ("number", "date") or info.compare or not len(order):
        return order, True
    best = weighed.matrix[order[0]]
    if best[_ANNOUNCES] or best[_RESTATES]:
        return order, True
    fit = next((k for k, i in enumerate(order[:within]) if states_asked_kind(weighed.candidates[i].text, info)), None)
    if fit is None:
        return order, False
    return np.concatenate([[order[fit]], np.delete(order, fit)]).astype(int), True


# a list of places asked: 哪些城市, 哪几个地区, 哪些省份 (searched in the simplified question)
_ASKS_PLACES = re.compile(r"(?:哪些|哪几个?)(?:城市|地方|地区|省份?|国家|县|区|市)")


def _asked_places_first(info: QuestionInfo, cands: list[Candidate], order: np.ndarray, within: int = 3
                        ) -> tuple[np.ndarray, bool]:
    """For a question asking which places (长株潭都市圈包括哪些城市): the first of the `within` best
    sentences about the asked subject that names two places or more goes first, and (order,
    False) when none does. A sentence naming other regions (武汉都市圈、长株潭都市圈…) or other
    places without the subject does not list the subject's places."""
    if info.compare or not _ASKS_PLACES.search(to_simplified(info.text)) or not len(order):
        return order, True
    cores = subject_cores(info.entities)
    for k, i in enumerate(order[:within]):
        c = cands[i]
        if all(names(c.text + c.context, core) for core in cores) and \
                len(places_named(to_simplified(c.text), cores)) >= 2:
            return np.concatenate([[i], np.delete(order, k)]).astype(int), True
    return order, False


def _figure_gap(info: QuestionInfo, ranked: Weighed) -> Candidate | None:
    """For a figure question: the best candidate, when the clause of it that names the asked
    figure has lost its number (`深圳市国土面积平方公里`, `17所乡镇敬老院入住老年人名`) and states
    no other. A heading or a title line is never the gap, nor is a sentence
    about something else (it must cover most of the question's words)."""
    if info.asks not in ("number", "date") or not ranked.candidates:
        return None
    best, row = ranked.candidates[0], ranked.matrix[0]
    if best.is_heading or row[_WORD] < 0.5:
        return None
    clause = named_clause(best.text, info)
    if not any(w in clause for w in info.attribute if len(w) > 1):
        return None  # the blank is in a clause about something else (城市群常住人口达万 for 人均GDP)
    def states(text: str) -> bool:  # what was asked: a date for a date question (1937年 is no amount)
        return states_asked_kind(text, info) if info.asks == "date" else has_quantity(text, info.numbers)

    if dropped_number(clause) and not states(clause):
        return best  # 增加值亿元,同比增长9.5%: the asked clause is blank, whatever its neighbours say
    # 按照小学每人每年元的标准: the figure was dropped and the sentence states no other
    return best if dropped_number(best.text) and not states(best.text) else None


def _kind_missing(info: QuestionInfo, ranked: Weighed) -> bool:
    """A figure or date question none of whose five best sentences holds one."""
    return info.asks in ("number", "date") and not ranked.matrix[:5, _TYPE_MATCH].any()


def named_clause(sentence: str, info: QuestionInfo) -> str:
    """The clause of a sentence that covers most of the question's words."""
    clauses = [c.strip(",，;；:： ") for c in CLAUSE.findall(sentence)] or [sentence]
    return max(clauses, key=lambda c: sum(len(w) for w in info.content if w in c))
