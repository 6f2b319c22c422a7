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
from pathlib import Path
from typing import Any

from youju.chat.citations import strip_markers
from youju.errors import InputError

RATINGS = ("up", "down", "wrong_citation")


def save_feedback(path: Path, rating: str, answer, settings: dict[str, Any], cited: int | None = None,
                  comment: str | None = None) -> dict[str, Any]:
    """Append one feedback record (the format above) as a JSON line; returns it."""
    import time

    from youju.chat.render import answer_to_dict

    if rating not in RATINGS:
        raise InputError(f"unknown rating {rating!r}")
    a = answer_to_dict(answer)
    record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rating": rating, "question": a["question"],
              "standalone_question": a["standalone_question"], "answer": a["answer"], "abstained": a["abstained"],
              "citations": [{k: c[k] for k in ("n", "doc", "start", "end", "quote")} for c in a["citations"]],
              "settings": settings}
    if cited is not None:
        record["cited"] = cited
    if comment:
        record["comment"] = comment
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return record


def read_feedback(path: Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no feedback file at {path}", zh=f"找不到反馈文件:{path}")
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"{path.name} line {n}: not valid JSON") from None
        if record.get("rating") not in RATINGS or not record.get("question"):
            raise InputError(f"{path.name} line {n}: needs a question and a rating ({', '.join(RATINGS)})")
        records.append(record)
    return records


def draft_items(records: list[dict[str, Any]], known_questions: set[str] = frozenset()) -> list[dict[str, Any]]:
    """One draft per question (the latest feedback wins), skipping questions already known."""
    from youju.chat.questions import analyse

    latest: dict[str, dict] = {}
    for r in records:
        latest[(r.get("standalone_question") or r["question"]).strip()] = r
    items = []
    for question, r in latest.items():
        if question in known_questions:
            continue
        qid = "fb-" + hashlib.sha1(question.encode()).hexdigest()[:8]
        kind = analyse(question).kind
        item: dict[str, Any] = {"id": qid, "question": question}
        citations = r.get("citations") or []
        if r["rating"] == "up" and r.get("abstained"):
            item.update({"type": "unanswerable", "evidence": []})
        elif r["rating"] == "up":
            item.update({"answer": strip_markers(r.get("answer", "")).strip(), "type": kind,
                         "evidence": [{"doc": c["doc"], "text": c["quote"]} for c in citations if c.get("quote")]})
        else:
            bad = r.get("cited")
            keep = [c for c in citations if r["rating"] == "wrong_citation" and c.get("n") != bad]
            item.update({"type": kind, "evidence": [{"doc": c["doc"], "text": c["quote"]} for c in keep]})
            flagged = next((c["quote"] for c in citations if c.get("n") == bad), None)
            item["note"] = ("thumbs down: find the passage that answers this (or set type unanswerable), "
                            "add evidence and key_facts, then delete this note"
                            if r["rating"] == "down" else
                            f"wrong citation [{bad}]: {flagged!r} does not support the answer; check the evidence, "
                            "then delete this note")
        item["tags"] = ["from-feedback", r["rating"]] + (["needs-review"] if "note" in item else [])
        if r.get("comment"):
            item.setdefault("note", "")
            item["note"] = (item["note"] + " | user comment: " + r["comment"]).strip(" |")
        items.append(item)
    return items
