"""Evaluation sets: JSON lines of questions with optional answers, key facts and gold evidence.
Evidence is a verbatim span of a document, resolved to character offsets at run time, so
labels survive any change of chunking."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from youju.errors import InputError

KNOWN_FIELDS = {"id", "question", "answer", "key_facts", "type", "evidence", "tags", "note"}


@dataclass(frozen=True)
class Evidence:
    doc: str
    text: str


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    type: str = "fact"
    answer: str | None = None
    key_facts: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    tags: tuple[str, ...] = ()
    line: int = 0

    @property
    def unanswerable(self) -> bool:
        return not self.evidence and self.type == "unanswerable"


@dataclass(frozen=True)
class GoldSpan:
    doc_id: str
    source: str
    start: int
    end: int


@dataclass
class ResolvedItem:
    item: EvalItem
    gold: list[list[GoldSpan]] = field(default_factory=list)  # per evidence: every place it occurs


def load_eval_set(path: Path) -> list[EvalItem]:
    """Parse and check a set; the first problem is an InputError naming its line."""
    items, problems = parse_eval_set(path)
    if problems:
        raise problems[0]
    return items


def parse_eval_set(path: Path) -> tuple[list[EvalItem], list[InputError]]:
    """Every item that parses, and every problem (each naming its line)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such evaluation set: {path}", zh=f"找不到评测集:{path}")
    items: list[EvalItem] = []
    problems: list[InputError] = []
    seen: set[str] = set()
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            items.append(_parse_line(path, n, raw, seen))
        except InputError as exc:
            problems.append(exc)
    if not items and not problems:
        problems.append(InputError(f"{path} holds no questions"))
    return items, problems


def _parse_line(path: Path, n: int, raw: str, seen: set[str]) -> EvalItem:
    where = f"{path.name} line {n}"
    try:
        data: dict[str, Any] = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: each line must be a JSON object")
    unknown = set(data) - KNOWN_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown field(s) {sorted(unknown)}")
    qid, question = data.get("id"), data.get("question")
    if not isinstance(qid, str) or not qid:
        raise InputError(f"{where}: 'id' must be a non-empty string")
    if qid in seen:
        raise InputError(f"{where}: duplicate id {qid!r}")
    seen.add(qid)
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"{where}: 'question' must be a non-empty string")
    evidence = data.get("evidence", [])
    if not isinstance(evidence, list) or not all(
            isinstance(e, dict) and isinstance(e.get("doc"), str) and isinstance(e.get("text"), str) and e["text"]
            for e in evidence):
        raise InputError(f"{where}: 'evidence' must be a list of {{\"doc\": ..., \"text\": ...}}")
    if data.get("note"):
        raise InputError(f"{where}: has a note left to act on ({str(data['note'])[:60]}…); "
                         "resolve it and delete the note")
    kind = data.get("type", "fact" if evidence else "unanswerable")
    if kind == "unanswerable" and evidence:
        raise InputError(f"{where}: an unanswerable item cannot have evidence")
    if not evidence and kind != "unanswerable":
        raise InputError(f"{where}: an item without evidence must have type \"unanswerable\"")
    key_facts = data.get("key_facts", [])
    if not isinstance(key_facts, list) or not all(isinstance(k, str) and k for k in key_facts):
        raise InputError(f"{where}: 'key_facts' must be a list of strings")
    answer = data.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise InputError(f"{where}: 'answer' must be a string")
    return EvalItem(qid, question.strip(), str(kind), answer, tuple(key_facts),
                    tuple(Evidence(e["doc"], e["text"]) for e in evidence), tuple(data.get("tags", [])), n)


def resolve(items: list[EvalItem], documents: dict[str, tuple[str, str]], set_name: str = "set") -> list[ResolvedItem]:
    """Map each evidence text to offsets. `documents` maps a document's display path to
    (doc_id, text); `doc` may also be given as a file name when that is unambiguous."""
    by_name: dict[str, list[str]] = {}
    for source in documents:
        by_name.setdefault(Path(source).name, []).append(source)
    out = []
    for item in items:
        gold = []
        for ev in item.evidence:
            source = ev.doc if ev.doc in documents else _by_file_name(by_name, ev.doc, item, set_name)
            doc_id, text = documents[source]
            spans = _find_all(text, ev.text)
            if not spans:
                raise InputError(f"{set_name} line {item.line} ({item.id}): evidence text not found in {source}: "
                                 f"{ev.text[:40]!r}")
            gold.append([GoldSpan(doc_id, source, a, b) for a, b in spans])
        out.append(ResolvedItem(item, gold))
    return out


def resolve_each(items: list[EvalItem], documents: dict[str, tuple[str, str]],
                 set_name: str = "set") -> tuple[list[ResolvedItem], list[InputError]]:
    """Like resolve, but collects every problem instead of stopping at the first."""
    resolved, problems = [], []
    for item in items:
        try:
            resolved += resolve([item], documents, set_name)
        except InputError as exc:
            problems.append(exc)
    return resolved, problems


def _by_file_name(by_name: dict[str, list[str]], doc: str, item: EvalItem, set_name: str) -> str:
    matches = by_name.get(Path(doc).name, [])
    if len(matches) != 1:
        problem = "is not in the index" if not matches else f"is ambiguous ({len(matches)} documents)"
        raise InputError(f"{set_name} line {item.line} ({item.id}): document {doc!r} {problem}")
    return matches[0]


def _find_all(text: str, needle: str) -> list[tuple[int, int]]:
    spans, pos = [], text.find(needle)
    while pos >= 0:
        spans.append((pos, pos + len(needle)))
        pos = text.find(needle, pos + 1)
    return spans
