"""The items a passage enumerates, for answering a list question with every item: a run of
sentences marked `一是… 二是…`, `(一)… (二)…`, `1. … 2. …`, `首先… 其次…` (after a sentence that
announces them, `达成五点协议:` or `具有以下特点`), or the sub-sections of the section the answer
sits in (`典型做法之3` and its `(一)…(六)`). Each item is a slice of the document, so it can be
cited on its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from youju.chat.candidates import Candidate
from youju.chat.questions import QuestionInfo, entity_core
from youju.ingest.structure import find_headings, heading_name
from youju.text.numbers import chinese_to_int
from youju.text.script import to_simplified
from youju.text.sentences import split_sentences

MAX_ITEMS = 10
SHOWN_CHARS = 60  # an item is shown up to its first sentence end, at most this long
_CN = "一二三四五六七八九十"
# Families of item markers; an item starts with the family's n-th marker.
_FAMILIES: list[Callable[[int], str]] = [
    lambda n: f"{_CN[n - 1]}是" if n <= 10 else "",
    lambda n: f"[(（]{_CN[n - 1]}[)）]" if n <= 10 else "",
    lambda n: f"{n}[.．、](?!\\d)",
    lambda n: f"[(（]{n}[)）]",
    lambda n: f"第{_CN[n - 1]}[,，、]" if n <= 10 else "",
    lambda n: ("首先", "其次", "再次|第三", "最后|此外")[n - 1] if n <= 4 else "",
]


@dataclass(frozen=True)
class Item:
    start: int  # document offsets of the item (its sentence, or its heading line)
    end: int
    quote: str  # the document's text there
    shown: str  # what the answer shows
    chunk_id: str
    heading_path: tuple[str, ...]


# Questions about practices, measures, points…: their items are sentences or sections, not the
# `、`-separated names a sentence may also list.
PRACTICES = re.compile(r"做法|措施|举措|经验|方面|任务|工作|行动|成效|进展|特点|特征|内容|要点|目标|原则|机制|方式|协议|"
                       r"要求|条件|步骤|环节|重点|几点|哪几项|\bmeasures?\b|\bsteps?\b|\bpoints?\b", re.I)


def _about_practices(info: QuestionInfo) -> bool:
    return bool(PRACTICES.search(to_simplified(info.text)))  # 舉措 is read as 举措


def wants_items(info: QuestionInfo) -> bool:
    """A list is asked: a list question, or one about practices, measures, tasks... A figure or
    date question is answered by its figure even when it names such a noun (有几个专委会制定了
    工作要点, 提出了多少项任务)."""
    if info.asks in ("number", "date") and info.kind != "list":
        return False
    return info.kind == "list" or info.asks == "list" or _about_practices(info)


def is_inline_list(sentence: str, info: QuestionInfo) -> bool:
    """The sentence is itself the list the question asks for: `、`-separated names, for a
    question that is not about practices (whose items are sentences or sections)."""
    return sentence.count("、") >= 2 and not _about_practices(info)


def in_named_section(cands: list[Candidate] | tuple[Candidate, ...], info: QuestionInfo) -> list[Candidate]:
    """The sentences (in document order, heading lines left out) of the sections whose heading
    the question quotes: 武汉都市圈在推进民生同保方面做了哪些工作 names the section (五)推进民生同保,
    whose items answer it, not the list of sections that mentions 民生同保 among others."""
    question = to_simplified(info.text)

    def inside(c: Candidate) -> bool:
        """After the section's heading line when the passage holds it (a passage may begin with
        the headings above); a passage without it lies wholly in the section."""
        chunk = c.hit.chunk
        title = chunk.heading_path[-1]
        at = chunk.text.find(title)
        return at < 0 or c.start >= chunk.start + at + len(title)

    named = [c for c in cands if c.hit.chunk.heading_path and not c.is_heading and inside(c)
             and len(name := to_simplified(heading_name(c.hit.chunk.heading_path[-1]))) >= 4 and name in question]
    return sorted(named, key=lambda c: (c.hit.chunk.doc_id, c.start))


def enumerate_items(best: Candidate, info: QuestionInfo, document_text: Callable[[str], str] | None) -> list[Item]:
    """The items to list for this answer: a marked run the sentence leads or belongs to, or
    (for a question about practices) the sub-sections of its section; [] if none."""
    chunk = best.hit.chunk
    text = document_text(chunk.doc_id) if document_text else ""
    if not text or text[chunk.start:chunk.end] != chunk.text:
        text = " " * chunk.start + chunk.text  # only the passage is known: offsets stay the document's
    items = _marked_run(text, best)
    if len(items) < 2:
        items = _announced_headings(text, best)
    if len(items) < 2 and _about_practices(info):
        items = _sub_sections(text, best, info)
    return [Item(a, b, text[a:b], _shown(text[a:b]), chunk.id if chunk.start <= a < chunk.end else "",
                 chunk.heading_path) for a, b in items[:MAX_ITEMS]]


def _shown(item: str) -> str:
    """The item's first sentence; a long one up to its last clause break within SHOWN_CHARS
    (else its last word break: never inside a number, which would state another figure:
    每年有1万余名 cut as 每年有1)."""
    first = re.split(r"(?<=[。；;！？!?])", item.strip(), maxsplit=1)[0]
    if len(first) <= SHOWN_CHARS:
        return first
    head = first[:SHOWN_CHARS]
    breaks = [m.start() for m in re.finditer(r"[，,；;：:]", head) if m.start() >= SHOWN_CHARS // 4]
    if breaks:
        return head[:breaks[-1]] + "…"
    cut = SHOWN_CHARS
    while cut > SHOWN_CHARS // 2 and (_NUMERIC.match(first[cut - 1]) or _NUMERIC.match(first[cut])):
        cut -= 1  # back out of a number (2.4万, 1,000, 75%)
    return first[:cut].rstrip("，,、") + "…"


_NUMERIC = re.compile(r"[\d.．,，%％万亿千百十零一二三四五六七八九两余多]")


def _family_at(sentence: str) -> tuple[int, int] | None:
    """(family, n) when the sentence starts with an item marker."""
    s = sentence.lstrip()
    for f, marker in enumerate(_FAMILIES):
        for n in range(1, 11):
            pattern = marker(n)
            if pattern and re.match(pattern, s):
                return f, n
    return None


_INLINE = {0, 4, 5}  # 一是, 第一, 首先: items inside a paragraph; the others open paragraphs


def _marked_run(text: str, best: Candidate) -> list[tuple[int, int]]:
    """The run of marked items the best sentence starts, belongs to, or announces (the items
    right after it): item n+1 must follow item n in the same family, within the section."""
    lo, hi = _scope(text, best.start)
    sentences = split_sentences(text, lo, hi)
    at = next((i for i, (a, b) in enumerate(sentences) if a <= best.start < b), None)
    if at is None:
        return []
    here = _family_at(text[sentences[at][0]:sentences[at][1]])
    if here is None:
        a, b = sentences[at]
        colon = re.search(r"[:：]\s*", text[a:b])
        inline = _family_at(text[a + colon.end():b]) if colon else None
        if colon is not None and inline is not None and inline[1] == 1:  # 达成五点协议:一是…; item 1 is the sentence's tail
            sentences[at] = (a + colon.end(), b)
            here = inline
        elif at + 1 < len(sentences):  # an announcing sentence: the items start right after it
            here = _family_at(text[sentences[at + 1][0]:sentences[at + 1][1]])
            if here is None or here[1] != 1:
                return []
            at += 1
        else:
            return []
    family, n = here
    first = at  # walk back to item 1 of this run (an item may run over several sentences)
    while n > 1 and first > 0:
        prev = _family_at(text[sentences[first - 1][0]:sentences[first - 1][1]])
        first -= 1
        if prev is not None and prev[0] == family:
            if prev[1] != n - 1:
                return []
            n -= 1
    if n != 1:
        return []
    items: list[tuple[int, int]] = []
    for a, b in sentences[first:]:
        mark = _family_at(text[a:b])
        if mark is None:
            continue  # a further sentence of the current item: the item is cited by its first
        if mark[0] == family:
            if mark[1] != len(items) + 1:
                break  # a new run of the same family
            items.append((a, b))
        elif family in _INLINE and mark[0] not in _INLINE:
            break  # the paragraph holding the inline run has ended
    return items if len(items) >= 2 else []


# 达成五点合作协议。 三个方面: a count of points, measures, aspects the sentence announces
_COUNTED = re.compile(rf"([{_CN[:9]}两]|(?<![\d.])[2-9])[点项条个种大]?(?:方面|措施|举措|任务|协议|共识|原则|要点|做法|点)")


def _announced_headings(text: str, best: Candidate) -> list[tuple[int, int]]:
    """The headings that follow a paragraph ending with a sentence that announces how many
    items there are (…达成五点合作协议。 then 规划同编, 交通同网, …): that many headings of the
    rank of the first, each with text of its own; none unless all are there."""
    m = _COUNTED.search(to_simplified(best.text))
    if m is None:
        return []
    count = int(m.group(1)) if m.group(1).isdigit() else chinese_to_int(m.group(1)) or 0
    following = [h for h in find_headings(text) if h.start >= best.end]
    if not following or text[best.end:following[0].start].strip():
        return []  # the paragraph goes on: the items are not the next headings
    run = [h for h in following if h.rank == following[0].rank][:count]
    if len(run) < count or any(not text[a.end:b.start].strip() for a, b in zip(run, run[1:])):
        return []
    return [(h.start, h.end) for h in run]


def _scope(text: str, pos: int) -> tuple[int, int]:
    """The section around `pos` that an enumeration can span: under the nearest heading that is
    not itself an enumerated item (ranks 0-6: titles, chapters, 典型做法之N), up to the next
    heading of its rank or higher."""
    headings = [h for h in find_headings(text) if h.rank <= 6]
    above = [h for h in headings if h.start <= pos]
    if not above:
        return 0, next((h.start for h in headings if h.start > pos), len(text))
    parent = above[-1]
    return parent.start, next((h.start for h in headings if h.start > pos and h.rank <= parent.rank), len(text))


def _sub_sections(text: str, best: Candidate, info: QuestionInfo) -> list[tuple[int, int]]:
    """The child headings of the section the answer sits in, when that section is what the
    question asks about (its title names the question's subject) and it has several children."""
    headings = find_headings(text)
    above = [h for h in headings if h.start <= best.start]
    words = [entity_core(e) for e in info.entities] + [w for w in info.attribute if len(w) >= 2]
    for parent in sorted(above, key=lambda h: -h.start):  # nearest first
        later = [h for h in headings if h.start > parent.start]
        stop = next((h.start for h in later if h.rank <= parent.rank), len(text))
        inside = [h for h in later if h.start < stop]
        if not inside:
            continue
        top = min(h.rank for h in inside)
        children = [h for h in inside if h.rank == top]
        if top in _ITEM_RANKS and len(children) >= 2 and any(w and w in parent.title for w in words):
            return [(h.start, h.end) for h in children]
    return []


# Heading ranks whose siblings are items of a list (典型做法之N, 一、, (一), 1., (1)); not legal
# articles (第X条) or plain title lines.
_ITEM_RANKS = {4, 7, 8, 9, 10}
