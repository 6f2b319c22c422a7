"""The signals answer selection and abstention are fitted on (scripts/fit_answer_model.py),
computed the same way at fit time and at question time. Per candidate sentence: how close its
meaning is to the question (cosine of the question's vector and the sentence's, made at
ingest), how much of the question's wording it covers (weighted words, character bigrams,
the longest shared run of characters), whether it holds the kind of thing asked (a figure, a
date, a person, a place, a list), whether it is about the asked subject (the question's
entities and the words after its last 的), and where it sits (passage rank, position, the
retrievers' scores). Per question: how well the best sentence answers, and what the passages
lack (question words found nowhere, entities never named). Text and question are matched as
folded to simplified characters, so traditional text (誰, 縣, 為) is read as simplified is."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from youju.chat.candidates import Candidate
from youju.chat.questions import (
    GENERIC_PLACES,
    QuestionInfo,
    carries_unit,
    dropped_number,
    entity_core,
    expected_units,
    has_quantity,
)
from youju.records import Hit
from youju.text.numbers import DATE, numbers
from youju.text.script import to_simplified
from youju.text.tokens import bigrams, strip_question_words

CANDIDATE_FEATURES = [
    "cos", "cos_gap", "cos_rank", "word", "word_ctx", "word_gap", "bigram", "bigram_gap", "char", "lcs", "lcs_gap",
    "new_chars", "length", "hit_rank", "hit_dense_gap", "hit_keyword", "first", "position", "heading",
    "type_match", "type_miss", "reason_cue", "has_number", "unit", "question_numbers", "entity", "entity_ctx",
    "focus", "clause_word", "clause_type", "dropped", "restates", "announces", "prev_word", "next_word",
    "heading_word", "subseq", "subseq_gap", "attribute_missing", "attribute_word", "attribute_word_gap",
    "unit_miss", "topic_rest", "topic_rest_gap", "defines", "anaphor",
]
QUESTION_FEATURES = [
    "best_score", "best_prob", "margin", "best_cos", "best_word", "best_bigram", "best_lcs", "best_type_match",
    "best_type_miss", "top_dense", "keyword_share", "missing_word", "missing_longest", "entity_missing",
    "english", "asks_number", "asks_date", "asks_who_where", "asks_list", "question_length", "best_dropped",
    "attribute_absent", "best_attribute_missing", "best_attribute_word", "best_entity_ctx", "best_unit_miss",
]
# Whether the answer needs the sentence before or after the best one too (a reason whose cause is
# in the sentence before, 他主张… whose subject is named before it, an answer that runs on): the
# best sentence and that neighbour as a pair. "nb_" is the neighbour.
EXTEND_FEATURES = [
    "after", "p_best", "p_nb", "score_gap", "best_type_match", "best_type_miss", "nb_type_match", "nb_type_miss",
    "best_restates", "best_announces", "best_anaphor", "nb_anaphor", "best_opens_link", "nb_opens_link",
    "best_ends_open", "best_length", "nb_length", "best_word", "nb_word", "nb_cos_gap", "nb_reason_cue",
    "asks_reason", "asks_how", "asks_kind", "asks_fact", "kind_stated", "kind_beside",
]
# a comma or colon between digits is part of a number (5,000, 9:30), not a clause break
CLAUSE = re.compile(r"(?:[^,，;；:：]|(?<=\d),(?=\d{3})|(?<=\d):(?=\d{2}))+[,，;；:：]?")
_PERSON = re.compile(r"[\u4e00-\u9fff]{1,4}(书记|市长|省长|县长|主任|部长|局长|总理|主席|总统|皇帝|国王|教授|院士|先生|女士|"
                     r"经理|董事长|校长|所长|厅长|委员)|[\u4e00-\u9fff]{1,6}·[\u4e00-\u9fff]{1,8}|由[\u4e00-\u9fff]{2,4}(担任|负责|提出|创立|设计)")
_PLACE = re.compile(r"[\u4e00-\u9fff]{1,8}(省|市|县|区|镇|乡|村|州|国|岛|港|湾|山|河|江|湖|城|街道|新区|都市圈|地区|大陆|半岛|盆地)")
_LIST = re.compile(r"[、,，].*[、,，].*[、]|一是.*二是|其一|首先.*其次|[(（][一二三四五六七八九十\d][)）].*[(（][一二三四五六七八九十\d][)）]|"
                   r"包括|分别是|等[一二三四五六七八九十\d]+[个项条类]")
# A sentence that announces what follows: 具有数个特征。由五项指标组成… 如下: 包括:
_ANNOUNCES = re.compile(r"[数几多若干][个种项条类点方面]|[一二三四五六七八九十两\d]+[个种项条类点][^，,。]{0,8}(组成|构成|包括|为|如下|是)|"
                        r"如下|以下|下列|[:：]$")
_REASON = re.compile(r"因为|由于|因此|所以|为了|以便|原因|导致|旨在|目的是|因而|得益于")
_UNITS = ("平方公里", "公里", "万元", "亿元", "元", "万人", "人次", "人", "户", "套", "列", "个", "项", "所", "家", "吨",
          "年", "月", "天", "小时", "分钟", "倍", "%", "米", "亩")
# "什么是X" / "X是什么": the sentence that defines X says "X（…）是/为/指…"
_DEFINITION = (re.compile(r"^(?:请问)?(?:什么(?:是|叫做?)|何谓|何为)(.{2,30}?)[？?。!！]*$"),
               re.compile(r"^(.{2,30}?)(?:是什么|是指什么|指的是什么|是啥|是什么意思)[？?。!！]*$"))
_COPULA = r"(?:\s*[（(][^）)]{0,60}[）)])?[，,]?\s*(?:是|为|即|指|乃|又称|又名|亦称|也称|简称)"
# A sentence that opens by pointing back (他主张…, 牠们的天敌…, 本鱼体呈…, 该城为…): it is about
# the subject named before it, which it does not repeat
_ANAPHOR = re.compile(r"^(?:[他她它牠其该此这]|本(?![次年月日届期市省县区国]))")
# a sentence that goes on from the one before it (所以…, 但…, 后来…)
_LINK = re.compile(r"^(?:所以|因此|因而|于是|从而|故|但|但是|然而|不过|而|并且?|此外|另外|同时|其中|后来|之后|随后|其后|最终|"
                   r"最后|直到|直至|然后|接着|再|又|也|亦|即|例如|比如|包括)")
_COMMON_CHARS = set("的了是在和与及或对为有个这那其之也都就而并于把被将从向由等中上下以所到")


@dataclass(frozen=True)
class Weighed:
    """Candidates with their feature rows (same order) and the question's own features
    (filled in once the selector has scored the candidates)."""

    candidates: list[Candidate]
    matrix: np.ndarray  # len(candidates) x len(CANDIDATE_FEATURES)


class QuestionTerms:
    """What of the question can be matched against text: its content words (weighted by length),
    CJK bigrams and characters, entity cores, focus words, numbers and unit."""

    def __init__(self, info: QuestionInfo) -> None:
        self.info = info
        text = to_simplified(info.text)
        self.words = [to_simplified(w).lower() for w in info.content if w.strip()]
        core = strip_question_words(text)
        self.core = re.sub(r"[^\w]", "", core).lower()
        self.bigrams = set(bigrams(core))
        self.chars = {ch for ch in self.core if "\u3400" <= ch <= "\u9fff" and ch not in _COMMON_CHARS}
        self.entities = [entity_core(to_simplified(e)) for e in info.entities]
        self.focus = [to_simplified(w).lower() for w in info.focus]
        self.numbers = set(info.numbers)
        self.units = [u for u in _UNITS if u in text and u not in ("年", "月", "个", "人")]
        # units a figure answer must carry: those its measured nouns are counted in (人口: 人)
        self.expected_units = expected_units(info)
        self.definiendum = _definiendum(text)


def weigh(info: QuestionInfo, cands: Sequence[Candidate], question_vector: np.ndarray | None) -> Weighed:
    """The feature row of every candidate (CANDIDATE_FEATURES, in order)."""
    terms = QuestionTerms(info)
    n = len(cands)
    rows = np.zeros((n, len(CANDIDATE_FEATURES)), dtype=np.float64)
    if not n:
        return Weighed(list(cands), rows)
    plain = [to_simplified(c.text) for c in cands]  # every match below is made in simplified characters
    texts = [p.lower() for p in plain]
    contexts = [to_simplified(c.context + " " + c.hit.chunk.text).lower() for c in cands]
    weights = _word_weights(terms.words, texts)
    attributes = _attributes(info)
    total = sum(weights.values()) or 1.0
    attribute_total = sum(weights.get(w, 0.0) for w in attributes) or 1.0
    cos = _cosines(question_vector, cands)
    dense = [h.scores_by_retriever.get("dense", 0.0) for h in _unique_hits(cands)]
    top_dense = max(dense, default=0.0)
    for i, (c, p, text, ctx) in enumerate(zip(cands, plain, texts, contexts)):
        word = sum(w for t, w in weights.items() if t in text) / total
        word_ctx = sum(w for t, w in weights.items() if t in text or t in ctx) / total
        grams = set(bigrams(p))
        bigram = len(terms.bigrams & grams) / len(terms.bigrams) if terms.bigrams else 0.0
        chars = {ch for ch in text if "\u3400" <= ch <= "\u9fff"}
        char = len(terms.chars & chars) / len(terms.chars) if terms.chars else 0.0
        lcs = _longest_shared(terms.core, text) / max(4, min(len(terms.core), 20))
        has_number = bool(set(numbers(p)) - terms.numbers)
        quantity = has_quantity(p, tuple(terms.numbers))
        match, miss = _type_fit(info, p, quantity)
        clause_word, clause_type, dropped = _clauses(info, terms, weights, total, p)
        s = c.hit.scores_by_retriever
        rest = [t for t in weights if t not in to_simplified(c.hit.title).lower()]  # words the document title does not say
        rest_total = sum(weights[t] for t in rest)
        rows[i] = [
            cos[i], 0.0, 0.0, word, word_ctx, 0.0, bigram, 0.0, char, min(lcs, 1.5), 0.0,
            1 - len(chars & terms.chars) / len(chars) if chars else 1.0,
            math.log(1 + len(c.text)) / 5, 1 / c.hit.rank,
            s.get("dense", top_dense) - top_dense, 1 / s["keyword_rank"] if s.get("keyword_rank") else 0.0,
            float(c.index == 0), c.index / max(c.count - 1, 1), float(c.is_heading),
            match, miss, float(info.asks == "reason" and bool(_REASON.search(p))), float(has_number),
            float(any(u in p for u in terms.units)) if terms.units else 0.0,
            sum(1 for x in terms.numbers if x in numbers(p)) / len(terms.numbers) if terms.numbers else 0.0,
            _share(terms.entities, p), _share(terms.entities, p + ctx),
            _share(terms.focus, text), clause_word, clause_type, dropped,
            float(bigram > 0.9 and char > 0.9 and len(c.text) < 1.3 * len(info.text)),
            float(bool(_ANNOUNCES.search(p))), 0.0, 0.0,
            sum(w for t, w in weights.items() if t in heading) / total if (heading := _own_heading(c)) else 0.0,
            _subsequence(terms.core, text) / max(len(terms.core), 1), 0.0,
            sum(1 for w in attributes if w not in text and w not in ctx) / len(attributes) if attributes else 0.0,
            sum(weights.get(w, 0.0) for w in attributes if w in text) / attribute_total, 0.0,
            float(bool(terms.expected_units) and quantity and not carries_unit(p, terms.expected_units)),
            sum(weights[t] for t in rest if t in text) / rest_total if rest_total else word, 0.0,
            float(bool(terms.definiendum) and bool(re.search(re.escape(terms.definiendum) + _COPULA, text))),
            float(bool(_ANAPHOR.match(p))),
        ]
    _neighbours(cands, rows, CANDIDATE_FEATURES.index("word"))
    for gap, name in (("cos_gap", "cos"), ("word_gap", "word"), ("bigram_gap", "bigram"), ("lcs_gap", "lcs"),
                      ("subseq_gap", "subseq"), ("attribute_word_gap", "attribute_word"),
                      ("topic_rest_gap", "topic_rest")):
        source = CANDIDATE_FEATURES.index(name)
        rows[:, CANDIDATE_FEATURES.index(gap)] = rows[:, source] - rows[:, source].max()
    order = np.argsort(-rows[:, 0], kind="stable")
    rows[order, 2] = 1 / np.arange(1, n + 1)
    return Weighed(list(cands), rows)


def question_features(info: QuestionInfo, weighed: Weighed, scores: np.ndarray, hits: Sequence[Hit]) -> np.ndarray:
    """QUESTION_FEATURES for the answerability model, given the selector's scores."""
    return with_scores(question_base(info, hits), weighed.matrix, scores)


def question_base(info: QuestionInfo, hits: Sequence[Hit]) -> np.ndarray:
    """The question's features that do not depend on the selector: what the passages lack,
    what kind of question it is, how the retrievers scored."""
    out = np.zeros(len(QUESTION_FEATURES), dtype=np.float64)
    terms = QuestionTerms(info)
    passages = to_simplified(" ".join((" > ".join(h.chunk.heading_path) + " " + h.title + " " + h.chunk.text).lower()
                                      for h in hits[:5]))
    named = [w for w in terms.words if len(w) >= 2 and w not in GENERIC_PLACES]
    absent = [w for w in named if w not in passages]
    out[QUESTION_FEATURES.index("missing_word")] = (sum(len(w) for w in absent) / sum(len(w) for w in named)
                                                    if named else 0.0)
    out[QUESTION_FEATURES.index("missing_longest")] = min(max((len(w) for w in absent), default=0), 6) / 6
    out[QUESTION_FEATURES.index("entity_missing")] = (sum(1 for e in terms.entities if e.lower() not in passages)
                                                      / len(terms.entities) if terms.entities else 0.0)
    attributes = _attributes(info)
    out[QUESTION_FEATURES.index("attribute_absent")] = (sum(1 for w in attributes if w not in passages)
                                                        / len(attributes) if attributes else 0.0)
    out[QUESTION_FEATURES.index("english")] = float(info.english)
    out[QUESTION_FEATURES.index("asks_number")] = float(info.asks == "number")
    out[QUESTION_FEATURES.index("asks_date")] = float(info.asks == "date")
    out[QUESTION_FEATURES.index("asks_who_where")] = float(info.asks in ("person", "place"))
    out[QUESTION_FEATURES.index("asks_list")] = float(info.asks == "list")
    out[QUESTION_FEATURES.index("question_length")] = math.log(1 + len(info.text)) / 5
    dense = [h.scores_by_retriever.get("dense", 0.0) for h in hits[:5]]
    out[QUESTION_FEATURES.index("top_dense")] = max(dense, default=0.0)
    out[QUESTION_FEATURES.index("keyword_share")] = (sum(1 for h in hits[:5] if "keyword_rank" in h.scores_by_retriever)
                                                     / max(len(hits[:5]), 1))
    return out


def with_scores(base: np.ndarray, matrix: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The question's features with the selector's part filled in: its best score, how sure it
    is, and how well the best candidate matches."""
    out = base.copy()
    if not len(scores):
        return out
    probs = softmax(scores)
    order = np.argsort(-scores)
    best = matrix[order[0]]
    col = CANDIDATE_FEATURES.index
    out[:9] = [scores[order[0]], probs[order[0]], probs[order[0]] - (probs[order[1]] if len(order) > 1 else 0.0),
               best[col("cos")], best[col("word")], best[col("bigram")], best[col("lcs")],
               best[col("type_match")], best[col("type_miss")]]
    out[QUESTION_FEATURES.index("best_dropped")] = best[col("dropped")]
    out[QUESTION_FEATURES.index("best_attribute_missing")] = best[col("attribute_missing")]
    out[QUESTION_FEATURES.index("best_attribute_word")] = best[col("attribute_word")]
    out[QUESTION_FEATURES.index("best_entity_ctx")] = best[col("entity_ctx")]
    out[QUESTION_FEATURES.index("best_unit_miss")] = best[col("unit_miss")]
    return out


def _attributes(info: QuestionInfo) -> list[str]:
    """The words naming what is asked about the subject (面积, 地铁, 博士后), lower-cased."""
    return [to_simplified(w).lower() for w in info.attribute if len(w) >= 2 and w not in GENERIC_PLACES]


def _definiendum(question: str) -> str:
    """What a definition question asks to define (什么是约化群: 约化群; 京急逗子线的路线记号是什么:
    路线记号), lower-cased; "" for other questions."""
    text = question.strip()
    for pattern in _DEFINITION:
        if m := pattern.match(text):
            term = re.sub(r"[「」《》“”\"'‘’]", "", m.group(1)).split("的")[-1].strip()
            return term.lower() if len(term) >= 2 else ""
    return ""


def _own_heading(c: Candidate) -> str:
    """The heading of the section the sentence is in (the deepest of its passage's path)."""
    return to_simplified(c.hit.chunk.heading_path[-1]).lower() if c.hit.chunk.heading_path else ""


def _neighbours(cands: Sequence[Candidate], rows: np.ndarray, word: int) -> None:
    """prev_word / next_word: how much of the question the sentence before / after covers (the
    answer often follows a sentence that restates or announces it)."""
    prev, nxt = CANDIDATE_FEATURES.index("prev_word"), CANDIDATE_FEATURES.index("next_word")
    before, after = neighbours(cands)
    for i in range(len(cands)):
        rows[i, prev] = rows[before[i], word] if before[i] >= 0 else 0.0
        rows[i, nxt] = rows[after[i], word] if after[i] >= 0 else 0.0


def neighbours(cands: Sequence[Candidate]) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate, the index of the sentence right before and right after it in its
    passage among the candidates (-1 where that sentence is not one)."""
    where = {(c.hit.chunk.id, c.index): i for i, c in enumerate(cands)}
    before = np.array([where.get((c.hit.chunk.id, c.index - 1), -1) for c in cands], dtype=int)
    after = np.array([where.get((c.hit.chunk.id, c.index + 1), -1) for c in cands], dtype=int)
    return before, after


def link_flags(cands: Sequence[Candidate]) -> np.ndarray:
    """Per candidate: does it open by going on from the sentence before (所以…, 后来…), does it
    end open (…如下：)."""
    texts = [to_simplified(c.text).rstrip() for c in cands]
    return np.array([[float(bool(_LINK.match(t))), float(t[-1:] in ":：,，")] for t in texts]).reshape(-1, 2)


def may_extend(asks: str, matrix: np.ndarray, best: int, nb: int) -> bool:
    """A figure or date answer states one figure: a best sentence that states the asked kind is
    not joined by a neighbour stating another (到2023年…2.7万亿元 beside 到2025年…3.3万亿元)."""
    kind = CANDIDATE_FEATURES.index("type_match")
    return not (asks in ("number", "date") and matrix[best, kind] > 0 and matrix[nb, kind] > 0)


def pair_row(asks: str, matrix: np.ndarray, flags: np.ndarray, scores: np.ndarray, best: int, nb: int,
             after: bool) -> np.ndarray:
    """EXTEND_FEATURES of the best candidate and its neighbour before or `after` it, given the
    selector's scores and link_flags."""
    col = CANDIDATE_FEATURES.index
    b, n = matrix[best], matrix[nb]
    probs = softmax(scores)
    kind = asks in ("number", "date", "person", "place")
    return np.array([
        float(after), probs[best], probs[nb], scores[best] - scores[nb],
        b[col("type_match")], b[col("type_miss")], n[col("type_match")], n[col("type_miss")],
        b[col("restates")], b[col("announces")], b[col("anaphor")], n[col("anaphor")],
        flags[best, 0], flags[nb, 0], flags[best, 1],
        b[col("length")], n[col("length")], b[col("word")], n[col("word")], n[col("cos")] - b[col("cos")],
        n[col("reason_cue")], float(asks == "reason"), float(asks == "how"),
        float(kind), float(asks in ("fact", "list")),
        # a figure, date, person or place asked: stated by the best sentence (it answers alone), or
        # only by the neighbour
        float(kind and b[col("type_match")] > 0), float(kind and not b[col("type_match")] and n[col("type_match")] > 0),
    ])


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _unique_hits(cands: Sequence[Candidate]) -> list[Hit]:
    seen: dict[str, Hit] = {}
    for c in cands:
        seen.setdefault(c.hit.chunk.id, c.hit)
    return list(seen.values())


def _word_weights(words: list[str], texts: list[str]) -> dict[str, float]:
    """Longer words are more specific, and so are words few candidate sentences share."""
    n = len(texts)
    return {w: len(w) * math.log(1 + n / (1 + sum(1 for t in texts if w in t))) for w in dict.fromkeys(words)}


def _cosines(q: np.ndarray | None, cands: Sequence[Candidate]) -> np.ndarray:
    if q is None:
        return np.zeros(len(cands))
    return np.array([float(c.vector @ q) if c.vector is not None else 0.0 for c in cands])


def _longest_shared(a: str, b: str) -> int:
    """Length of the longest run of characters of `a` that also occurs in `b`."""
    best = 0
    for i in range(len(a)):
        n = best + 1
        while i + n <= len(a) and a[i:i + n] in b:
            best = n
            n += 1
    return best


def _subsequence(a: str, b: str) -> int:
    """Length of the longest common subsequence of `a` and `b` (bit-parallel, Hyyrö 2004): a
    question made from a sentence by putting a question word where the answer was shares most
    of its characters with the sentence, in order, around a gap."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for ch in b:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def _share(items: Sequence[str], text: str) -> float:
    return sum(1 for x in items if x and x.lower() in text.lower()) / len(items) if items else 0.0


def _type_fit(info: QuestionInfo, text: str, has_number: bool) -> tuple[float, float]:
    """(the sentence holds the kind of thing asked, it does not) for questions that ask for a
    kind; (0, 0) otherwise."""
    have = {"number": has_number, "date": bool(DATE.search(text)), "person": bool(_PERSON.search(text)),
            "place": bool(_PLACE.search(text)), "list": bool(_LIST.search(text))}.get(info.asks)
    if have is None:
        return 0.0, 0.0
    return (1.0, 0.0) if have else (0.0, 1.0)


def _clauses(info: QuestionInfo, terms: QuestionTerms, weights: dict[str, float], total: float,
             text: str) -> tuple[float, float, float]:
    """(how well the best clause covers the question's words, whether that clause or a neighbour
    holds the asked kind, whether that clause lost its number: 国土面积平方公里)."""
    clauses = CLAUSE.findall(text) or [text]
    covered = [sum(w for t, w in weights.items() if t in c.lower()) / total for c in clauses]
    best = max(range(len(clauses)), key=lambda i: covered[i])
    near = clauses[max(best - 1, 0):best + 2]
    if info.asks in ("number", "date"):
        pattern_ok = any(has_quantity(c, tuple(terms.numbers)) if info.asks == "number" else bool(DATE.search(c))
                         for c in near)
    else:
        pattern_ok = False
    dropped = float(info.kind == "figure" and dropped_number(clauses[best]))
    return covered[best], float(pattern_ok), dropped
