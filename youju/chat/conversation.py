"""Multi-turn questions. A follow-up such as `那成都呢?` or `它的面积呢?` is rewritten into a
standalone question from the previous turn before retrieval; the history is bounded."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from youju.chat.questions import QuestionInfo, analyse, entity_core
from youju.records import Answer
from youju.text.tokens import tagged

_LEAD = re.compile(r"^(那么|那|还有|另外|再问一下|请问|再问|那请问)[,，\s]*")
_PRONOUN = re.compile(r"它们|它|其|该地|该市|该省|该|这个|这里|那里|此")
_TAIL = re.compile(r"(的情况)?(呢|怎么样|如何)?[?？!！。.]*$")
_PARTICLE_TAGS = {"uj", "v", "p", "r", "m", "c", "y", "x", "d", "f", "a", "ul", "uz"}
_FOLLOW_UP_MAX = 14  # characters: longer questions are taken as standalone


@dataclass(frozen=True)
class Turn:
    question: str  # as asked
    standalone: str  # what was retrieved and answered
    answer: Answer


class Conversation:
    def __init__(self, max_turns: int = 6) -> None:
        self.turns: deque[Turn] = deque(maxlen=max_turns)

    def rewrite(self, question: str) -> str:
        return rewrite_follow_up(question, self.turns[-1].standalone if self.turns else None)

    def add(self, question: str, standalone: str, answer: Answer) -> None:
        self.turns.append(Turn(question, standalone, answer))

    def history(self) -> list[Turn]:
        return list(self.turns)


def rewrite_follow_up(question: str, previous: str | None) -> str:
    """Rule-based: a follow-up naming a new entity swaps it into the previous question
    (`那成都呢?` after `南京都市圈的面积有多大?` -> `成都都市圈的面积有多大?`); one asking about
    a new attribute of the same thing puts the previous subject in (`它的面积呢?` ->
    `南京都市圈的面积呢?`). Anything else stands alone."""
    q = question.strip()
    if not previous or not _is_follow_up(q):
        return q
    body = _LEAD.sub("", q)
    now, before = analyse(body), analyse(previous)
    if now.entities and before.entities and not _has_new_attribute(body, now, previous):
        rewritten = previous
        for old, new in zip(before.entities, now.entities):  # swap the places, keep 都市圈 etc.
            rewritten = rewritten.replace(entity_core(old), entity_core(new), 1)
        return rewritten
    subject = _subject(previous)
    if subject and not now.entities:
        stripped = _PRONOUN.sub("", body, count=1).lstrip("的")
        return subject + ("" if stripped.startswith("的") else "的") + stripped
    return body


def _is_follow_up(q: str) -> bool:
    return (len(q) <= _FOLLOW_UP_MAX and (bool(_LEAD.match(q)) or bool(_PRONOUN.search(q)) or bool(re.search(r"呢[?？]?$", q)))) \
        or bool(_PRONOUN.match(_LEAD.sub("", q)))


def _has_new_attribute(body: str, info: QuestionInfo, previous: str) -> bool:
    """Besides the entity, does the follow-up ask about something the previous question did
    not (`那成都的人口呢` after a question about area)?"""
    rest = _TAIL.sub("", body)
    for e in info.entities:
        rest = rest.replace(e, " ")
    return any(w not in previous for w in re.split(r"[的和与及、,，\s]+", rest) if len(w) >= 2)


def _subject(question: str) -> str | None:
    """The thing the question is about: from its first entity up to the first particle or
    verb (`南京都市圈包括哪些地方?` -> `南京都市圈`)."""
    words = tagged(question)
    info = analyse(question)
    start = next((i for i, (w, _) in enumerate(words) if any(w in e or e in w for e in info.entities)), None)
    if start is None:
        return None
    out = ""
    for w, flag in words[start:]:
        if flag in _PARTICLE_TAGS and out:
            break
        out += w
    return out or None
