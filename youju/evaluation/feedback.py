"""Feedback from the chat (thumbs up/down, wrong citation) as draft evaluation items.

A feedback record is one JSON line (the chat writes them to <home>/feedback.jsonl):
{"ts", "rating": "up" | "down" | "wrong_citation", "question", "standalone_question", "answer",
 "abstained", "citations": [{"n", "doc", "start", "end", "quote"}], "cited": n (wrong_citation),
 "comment", "settings"}.

A thumbs-up becomes a ready item whose evidence is what the answer cited (or an unanswerable
item when the answer was a refusal). A thumbs-down or a wrong citation becomes a draft that
still needs its evidence: it keeps a "note" saying what to check, and `youju eval validate`
rejects it until someone adds evidence or marks it unanswerable."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from youju.chat.citations import strip_markers
from youju.errors import InputError
from youju.records import Answer, Citation

Rating = Literal["up", "down", "wrong_citation"]
RATINGS: tuple[Rating, ...] = ("up", "down", "wrong_citation")


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer (a line of feedback.jsonl)."""

    rating: Rating
    question: str
    answer: str
    standalone_question: str = ""
    abstained: bool = False
    citations: tuple[Citation, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # what produced the answer (k, composer, model, ...)
    cited: int | None = None  # the citation a wrong_citation rating is about
    comment: str | None = None
    ts: str = ""

    @classmethod
    def of(cls, rating: str, answer: Answer, settings: dict[str, Any], cited: int | None = None,
           comment: str | None = None) -> Feedback:
        if rating not in RATINGS:
            raise InputError("err.rating", rating=rating)
        return cls(rating, answer.question, answer.text, answer.standalone_question, answer.abstained,
                   answer.citations, settings, cited, comment, time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ts": self.ts, "rating": self.rating, "question": self.question,
                               "standalone_question": self.standalone_question, "answer": self.answer,
                               "abstained": self.abstained, "citations": [c.to_dict() for c in self.citations],
                               "settings": self.settings}
        if self.cited is not None:
            out["cited"] = self.cited
        if self.comment:
            out["comment"] = self.comment
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Feedback:
        return cls(d["rating"], d["question"], d.get("answer", ""), d.get("standalone_question") or "",
                   bool(d.get("abstained", False)), tuple(Citation.from_dict(c) for c in d.get("citations") or ()),
                   dict(d.get("settings") or {}), d.get("cited"), d.get("comment"), d.get("ts", ""))


def save_feedback(path: Path, feedback: Feedback) -> None:
    """Append one feedback record as a JSON line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(feedback.to_dict(), ensure_ascii=False) + "\n")


def read_feedback(path: Path) -> list[Feedback]:
    path = Path(path)
    if not path.is_file():
        raise InputError("err.no_feedback", path=path)
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise InputError("err.feedback_line", path=path.name, line=n, problem="not valid JSON",
                             problem_zh="不是有效的 JSON") from None
        if not isinstance(record, dict) or record.get("rating") not in RATINGS or not record.get("question"):
            raise InputError("err.feedback_line", path=path.name, line=n,
                             problem=f"needs a question and a rating ({', '.join(RATINGS)})",
                             problem_zh=f"需要问题和评价({', '.join(RATINGS)})")
        try:
            records.append(Feedback.from_dict(record))
        except (KeyError, TypeError, ValueError):
            raise InputError("err.feedback_line", path=path.name, line=n, problem="malformed citations",
                             problem_zh="引文格式有误") from None
    return records


def draft_items(records: list[Feedback], known_questions: set[str] | frozenset[str] = frozenset()
                ) -> list[dict[str, Any]]:
    """One draft per question (the latest feedback wins), skipping questions already known."""
    from youju.chat.questions import analyse

    latest: dict[str, Feedback] = {}
    for r in records:
        latest[(r.standalone_question or r.question).strip()] = r
    items = []
    for question, r in latest.items():
        if question in known_questions:
            continue
        qid = "fb-" + hashlib.sha1(question.encode()).hexdigest()[:8]
        kind = analyse(question).kind
        item: dict[str, Any] = {"id": qid, "question": question}
        citations = r.citations
        if r.rating == "up" and r.abstained:
            item.update({"type": "unanswerable", "evidence": []})
        elif r.rating == "up":
            item.update({"answer": strip_markers(r.answer).strip(), "type": kind,
                         "evidence": [{"doc": c.source, "text": c.quote} for c in citations if c.quote]})
        else:
            bad = r.cited
            keep = [c for c in citations if r.rating == "wrong_citation" and c.n != bad]
            item.update({"type": kind, "evidence": [{"doc": c.source, "text": c.quote} for c in keep]})
            flagged = next((c.quote for c in citations if c.n == bad), None)
            item["note"] = ("thumbs down: find the passage that answers this (or set type unanswerable), "
                            "add evidence and key_facts, then delete this note"
                            if r.rating == "down" else
                            f"wrong citation [{bad}]: {flagged!r} does not support the answer; check the evidence, "
                            "then delete this note")
        item["tags"] = ["from-feedback", r.rating] + (["needs-review"] if "note" in item else [])
        if r.comment:
            item.setdefault("note", "")
            item["note"] = (item["note"] + " | user comment: " + r.comment).strip(" |")
        items.append(item)
    return items
