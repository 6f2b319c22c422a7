"""The default composer: answers with sentences taken from the passages, each followed by its
citation. The sentence the fitted selector ranks first is the direct answer; it brings the
sentence before or after it along when the fitted extension model says the answer needs that
one too (a sentence that only announces what follows, `具有数个特征。`; a reason whose cause is
in the sentence before). A list question gets every item the passage enumerates (`(一)(二)(三)`
sections, `一是…二是…`, `达成五点协议:…`), each cited on its own; a comparison gets each side's
figure, cited, then the conclusion computed from the cited figures (units normalised) citing
both. Long sentences are trimmed to the clauses that matter, never away from the asked figure
or date; the citation keeps the sentence."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

from youju.chat.candidates import Candidate, Sources
from youju.chat.composer import TextStream, abstention
from youju.chat.conversation import Turn
from youju.chat.enumerations import Item, enumerate_items, in_named_section, is_inline_list, wants_items
from youju.chat.evidence import Evidence, figure_subjects, gather, names_a_subject
from youju.chat.figures import Figure, compare_figures, figure_for
from youju.chat.model import AnswerModel
from youju.chat.questions import (
    ASKS_YEAR,
    QuestionInfo,
    carries_unit,
    expected_units,
    has_figure,
    has_quantity,
    names,
    states_asked_kind,
    subject_cores,
)
from youju.chat.verify import Verifier
from youju.config import AnswerSettings
from youju.embeddings.base import Embedder
from youju.records import Answer, Citation, Hit
from youju.text.numbers import DATE
from youju.text.script import to_simplified

MAX_SENTENCE = 120  # characters shown of one source sentence before trimming to its key clauses
MAX_FIGURE_SENTENCE = 90  # a figure or a date sits in one clause: long sentences around it are trimmed sooner
_UNITS = ("平方公里", "公里", "万元", "亿元", "元", "人次", "万人", "人", "户", "套", "列", "条", "项", "所", "家", "吨", "亩",
          "倍", "%", "米", "分钟", "小时", "天", "年", "个", "座", "对", "名")
# a comma between digits groups thousands (5,000): it does not end a clause
_CLAUSES = re.compile(r"(?:[^,，;；]|(?<=\d),(?=\d{3}))+[,，;；]?")
_ENDS = re.compile(r"[。！？!?；;][”’\"」』）)]*$")  # a sentence's end, with the quotation it closes
# a cause (因此, 所以 are its consequence); 因 alone as in 因花蕾的形状…而得名, not 因素 or 因果
_CAUSE = re.compile(r"因为|由于|原因|为了|以便|旨在|得益于|因(?![此而素子果应])")
_YEAR = re.compile(r"\d{3,4}\s*年|[一二三四五六七八九十〇零]{2,4}年|民[国國]\s*\d{1,3}\s*年|元年")
_CONSEQUENCE = re.compile(r"[而且并]?(?:因此|所以|因而|故|于是|从而|以致|致使)")


@dataclass(frozen=True)
class Piece:
    """One sentence of the answer: the text shown and what it cites (`derived`: computed from
    the cited sentences, like a comparison's conclusion, not quoted from them)."""

    text: str
    cites: tuple[Citation, ...]
    derived: bool = False
    continues: bool = False  # goes on from the piece before (a list item): about what that one is about


class ExtractiveComposer:
    name = "extractive"

    def __init__(self, embedder: Embedder | None, lang: str = "zh", settings: AnswerSettings | None = None,
                 verifier: Verifier | None = None, model: AnswerModel | None = None) -> None:
        self.embedder = embedder
        self.model = model  # None: the fitted model (settings.model_file or the shipped one)
        self.lang = lang
        self.settings = settings or AnswerSettings()
        self.verifier = verifier or Verifier(embedder, lang=lang)

    def compose(self, question: str, hits: list[Hit], history: list[Turn] | None = None,
                sources: Sources | None = None) -> Answer:
        timings: dict[str, float] = {}
        evidence = gather(question, hits, sources, self.embedder, self.settings, self.model, timings)
        if evidence.abstain:
            return abstention(question, evidence, hits, self.lang, self.name, timings,
                              filtered=bool(sources and sources.filtered))
        return self.answer_from(question, evidence, hits, timings, sources)

    def answer_from(self, question: str, evidence: Evidence, hits: list[Hit], timings: dict[str, float],
                    sources: Sources | None = None) -> Answer:
        t0 = time.perf_counter()
        pieces = plan(evidence, sources or Sources(), self.lang)
        citations: dict[int, Citation] = {}
        text = ""
        for piece in pieces:
            numbers = []
            for c in piece.cites:
                n = next((k for k, old in citations.items() if (old.doc_id, old.start, old.end) ==
                          (c.doc_id, c.start, c.end)), len(citations) + 1)
                citations[n] = Citation(n, c.chunk_id, c.doc_id, c.start, c.end, c.quote, c.source, c.title,
                                        c.heading_path)
                numbers.append(n)
            text += piece.text + "".join(f"[{n}]" for n in numbers)
        t1 = time.perf_counter()
        verified = self.verifier.verify(text, citations, evidence.question,
                                        frozenset(p.text for p in pieces if p.derived),
                                        frozenset(p.text for p in pieces if p.continues), [h.chunk for h in hits])
        timings["compose"] = (t1 - t0) * 1000
        timings["verify"] = (time.perf_counter() - t1) * 1000
        return Answer(question, verified.text, verified.citations, tuple(hits), False, timings,
                      verified.sentences, composer=self.name)

    def stream(self, question: str, hits: list[Hit], history: list[Turn] | None = None,
               sources: Sources | None = None) -> TextStream:
        answer = self.compose(question, hits, history, sources)
        for s in answer.sentences:  # already verified: stream it sentence by sentence
            yield s.text + "".join(f"[{n}]" for n in s.citations)
        return answer


def cite(c: Candidate) -> Citation:
    h = c.hit
    return Citation(0, h.chunk.id, h.chunk.doc_id, c.start, c.end, c.text, h.source, h.title, h.chunk.heading_path)


def plan(evidence: Evidence, sources: Sources, lang: str) -> list[Piece]:
    """The answer's sentences: a comparison, a list, or the direct answer (with the sentence it
    needs beside it when it only announces or restates)."""
    info = evidence.question
    if info.compare and len(info.entities) > 1:
        pieces = _comparison(evidence, lang)
        if pieces:
            return pieces
    best = evidence.candidates[0]
    # a sentence that announces a list answers with the list, unless a figure, a date, a person or
    # a place was asked (九市在临川市召开会议,达成五点协议: answers where the meeting was)
    announces = bool(evidence.feature(0, "announces")) and info.asks not in ("number", "date", "person", "place")
    if wants_items(info) or announces:
        # a `、` list answers only as the best sentence: taking one of the top three instead (as
        # marked items still are) lost 1-2 points of key-fact recall on the public sets' fit split
        if is_inline_list(best.text, info):
            return [Piece(_as_answer(best.text, info), (cite(best),))]
        # the best of the top sentences that leads (or is part of) a marked enumeration, those of a
        # section the question names by its heading first
        leads = [*in_named_section(evidence.candidates, info)[:3], *evidence.candidates[:3]] if wants_items(info) \
            else [best]
        for lead in leads:
            items = enumerate_items(lead, info, sources.document_text)
            if len(items) >= 2:
                return _list_pieces(lead, items, info)
    pieces = [Piece(_as_answer(best.text, info), (cite(best),))]
    neighbour = evidence.extension
    if neighbour is not None:
        piece = Piece(_as_answer(neighbour.text, info), (cite(neighbour),))
        pieces = [piece, *pieces] if neighbour.start < best.start else [*pieces, piece]
    return pieces


def _list_pieces(lead: Candidate, items: list[Item], info: QuestionInfo) -> list[Piece]:
    """The announcing sentence (unless it is itself the first item; up to the first item when
    the list begins inside it: 达成五点协议:一是…), then each item with its own citation."""
    pieces = []
    if not any(i.start == lead.start for i in items):
        first = min(i.start for i in items)
        if lead.start < first < lead.end:
            lead = replace(lead, end=first, text=lead.text[:first - lead.start])
        pieces.append(Piece(_as_answer(lead.text, info), (cite(lead),)))
    for item in items:
        c = Citation(0, item.chunk_id, lead.hit.chunk.doc_id, item.start, item.end, item.quote, lead.hit.source,
                     lead.hit.title, item.heading_path)
        pieces.append(Piece(_as_answer(item.shown, info), (c,), continues=True))
    return pieces


def _comparison(evidence: Evidence, lang: str) -> list[Piece]:
    """Each compared entity's best sentence that states the asked figure, then (when two figures
    in comparable units were found) the conclusion, citing both."""
    info = evidence.question
    sides: list[tuple[str, Candidate, Figure | None]] = []
    for e, core in zip(info.entities, subject_cores(info.entities)):
        pick = next((c for c in evidence.candidates if names(c.text, core) and c not in [s[1] for s in sides]
                     and has_figure(c.text)), None) or \
            next((c for c in evidence.candidates if names(c.text + c.context, core) and c not in [s[1] for s in sides]),
                 None)
        if pick is not None:
            sides.append((e, pick, figure_for(pick.text, info)))
    if len(sides) < 2:
        return []
    pieces = [Piece(_as_answer(c.text, info), (cite(c),)) for _, c, _ in sides]
    figures = [(e, c, f) for e, c, f in sides if f is not None]
    if len(figures) >= 2:
        conclusion = compare_figures([(e, f) for e, _, f in figures], info, lang)
        if conclusion:
            pieces.append(Piece(conclusion, tuple(cite(c) for _, c, _ in figures), derived=True))
    return pieces


def _as_answer(sentence: str, info: QuestionInfo) -> str:
    """The sentence as shown: long ones trimmed to the clauses that answer the question, and a
    figure question's sentence that gives several subjects their own figures (博士… 硕士…)
    trimmed to the asked subject's clause (verbatim pieces joined by …), unless the question
    names none of them and the figures are in one unit (安居补贴是多少: every subject's figure is
    the answer); always ending like a sentence (so the verifier, and a reader, can tell where one
    cited sentence stops)."""
    text = sentence.strip()
    limit = MAX_SENTENCE * 3 // 2 if info.kind == "list" else MAX_FIGURE_SENTENCE if info.asks in ("number", "date") \
        else MAX_SENTENCE
    several = info.asks == "number" and sum(1 for c in _CLAUSES.findall(text) if has_quantity(c, info.numbers)) >= 2
    if several and _same_unit(text, info) and (subjects := figure_subjects(text, info)) and \
            not names_a_subject(info, subjects):
        several = False  # no subject asked among those the sentence gives figures to
    if len(text) > limit or several:
        trimmed = _trim(text, info, min(limit, len(text)), one_figure=several)
        # never trim away the asked figure or date the sentence states (the verifier would rightly flag it)
        if info.asks in ("number", "date") and not states_asked_kind(trimmed, info) and states_asked_kind(text, info):
            trimmed = _trim(text, info, min(limit, len(text)), one_figure=several, kind_only=True)
        text = trimmed
    return text if _ENDS.search(text) else text.rstrip(",，:：;；…") + "。"


def _same_unit(sentence: str, info: QuestionInfo) -> bool:
    """Do the sentence's figures come in one unit (60万元, 20万元, 5万元: one measure for several
    subjects, not 86万人 and 59% about one)?"""
    figures = [f for c in _CLAUSES.findall(sentence) if (f := figure_for(c, info)) is not None]
    return len(figures) >= 2 and len({f.unit for f in figures}) == 1


def _anchor(clauses: list[str], best: int, info: QuestionInfo, limit: int,
            one_figure: bool) -> tuple[int, int, int | None]:
    """The clauses an answer must show around the best one (first, last) and a clause to lead
    it with when that is too far back to include what lies between: for a date question the
    date that dates the best clause (a date holds for the clauses after it until the next one:
    1789年6月20日，…，签署了《网球场宣言》); for a figure question the neighbour with the figure (it
    usually follows: …增加值达到3.3万亿元); for a reason restated as a consequence (因此…) the
    clause from 由于 on before it; otherwise the clause after the best (an answer follows what
    the question restates)."""
    def fits(a: int, b: int) -> bool:
        return _fits(clauses, a, b, limit)

    if info.asks == "date":
        dated = _YEAR if ASKS_YEAR.search(to_simplified(info.text)) else DATE
        if not dated.search(clauses[best]):
            before = next((i for i in range(best - 1, -1, -1) if dated.search(clauses[i])), None)
            if before is not None:
                return (before, best, None) if fits(before, best) else (best, best, before)
            after = best + 1 < len(clauses) and DATE.search(clauses[best + 1]) and fits(best, best + 1)
            return best, best + int(bool(after)), None
    elif info.asks == "number" and not has_quantity(clauses[best], info.numbers):
        side = next((i for i in (best + 1, best - 1)
                     if 0 <= i < len(clauses) and has_quantity(clauses[i], info.numbers)), None)
        if side is not None and fits(min(side, best), max(side, best)):
            return min(side, best), max(side, best), None
        return best, best, None
    elif info.asks == "reason" and best > 0 and _CONSEQUENCE.match(clauses[best]):
        cause = next((i for i in range(best - 1, -1, -1) if _CAUSE.search(clauses[i])), best - 1)
        return (cause if fits(cause, best) else best - 1), best, None
    return best, best + int(not one_figure and best + 1 < len(clauses) and fits(best, best + 1)), None


def _fits(clauses: list[str], first: int, last: int, limit: int) -> bool:
    """Do clauses first..last (inclusive) together stay within `limit` characters?"""
    return len("".join(clauses[first:last + 1])) <= limit


def _trim(text: str, info: QuestionInfo, limit: int, one_figure: bool = False, kind_only: bool = False) -> str:
    """The window of clauses that best covers the question's words (widened to neighbours that
    also do, and, since an answer usually follows what the question restates, to the clause
    after it), within `limit`; with `one_figure`, never taking in another clause's figure; with
    `kind_only`, around a clause that states the asked kind."""
    clauses = _CLAUSES.findall(text)
    if len(clauses) < 2:
        return text

    words = info.attribute if any(w in text for w in info.attribute) else info.content
    units = expected_units(info) or tuple(u for u in _UNITS if u in info.text)

    def value(clause: str) -> float:
        v = sum(len(w) * (4 if w in info.focus else 1) for w in words if w in clause)
        if info.kind == "list":
            v += 2 * clause.count("、")
        if info.asks == "number" and has_quantity(clause, info.numbers):
            v += 3 + 3 * carries_unit(clause, units)  # 由25人增至84人 counts people; 人员占比达95% does not
        elif info.asks == "date" and DATE.search(clause):
            v += 3
        elif info.asks == "reason" and _CAUSE.search(clause):
            v += 3
        return v

    pool = [i for i in range(len(clauses)) if has_quantity(clauses[i], info.numbers)] if one_figure else []
    if kind_only:
        pool = [i for i in (pool or range(len(clauses))) if states_asked_kind(clauses[i], info)] or pool
    # on a tie, a figure question takes the clause that holds a figure
    best = max(pool or range(len(clauses)), key=lambda i: (value(clauses[i]), info.asks == "number"
                                                           and has_quantity(clauses[i], info.numbers)))
    lo, hi, lead = _anchor(clauses, best, info, limit, one_figure)
    while True:  # widen to neighbours that also match, within the limit
        options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(clauses) and value(clauses[i]) > 0
                   and not (one_figure and has_figure(clauses[i]))
                   and not (info.asks == "date" and i > hi and DATE.search(clauses[i]))]  # another event's date
        grown = [(lo if i > hi else i, hi if i < lo else i) for i in options]
        grown = [(a, b) for a, b in grown if _fits(clauses, a, b, limit)]
        if not grown:
            break
        lo, hi = max(grown, key=lambda ab: sum(value(c) for c in clauses[ab[0]:ab[1] + 1]))
    window = "".join(clauses[lo:hi + 1])
    cores = subject_cores(info.entities)
    if lead is not None and lead < lo:  # the date that dates the window, too far back to show what lies between
        window = clauses[lead].rstrip(",，;；") + "…" + window
    elif lo > 0 and any(names(clauses[0], core) and not names(window, core) for core in cores):
        window = clauses[0].rstrip(",，;；") + "…" + window  # keep who or what the sentence is about
    elif lo > 0:
        window = "…" + window
    return window.rstrip(",，;；")
