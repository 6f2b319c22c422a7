"""Evaluation sets: JSON lines of questions with optional answers, key facts and gold evidence.
Evidence is a verbatim span of a document, resolved to character offsets at run time, so
labels survive any change of chunking."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from youju.errors import EvalSetError, InputError

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

    def to_dict(self) -> dict[str, Any]:
        return {"doc": self.source, "doc_id": self.doc_id, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GoldSpan:
        return cls(d["doc_id"], d["doc"], d["start"], d["end"])


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


def parse_eval_set(path: Path) -> tuple[list[EvalItem], list[EvalSetError]]:
    """Every item that parses, and every problem (each naming its line)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("err.no_eval_set", path=path)
    items: list[EvalItem] = []
    problems: list[EvalSetError] = []
    seen: set[str] = set()
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # name the line, and what to do
        line = data[:exc.start].count(b"\n") + 1
        raise EvalSetError("err.eval_encoding", where=f"{path.name} line {line}", line=line) from None
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            items.append(_parse_line(path, n, raw, seen))
        except EvalSetError as exc:
            problems.append(exc)
    if not items and not problems:
        problems.append(EvalSetError("err.eval_empty", path=path, line=0))
    return items, problems


def _parse_line(path: Path, n: int, raw: str, seen: set[str]) -> EvalItem:
    where = f"{path.name} line {n}"

    def problem(key: str, **context: Any) -> EvalSetError:
        return EvalSetError(key, where=where, line=n, **context)

    def field_problem(name: str, rule: str, rule_zh: str) -> EvalSetError:
        return problem("err.eval_field", field=name, rule=rule, rule_zh=rule_zh)

    try:
        data: dict[str, Any] = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise problem("err.eval_json", detail=exc.msg) from None
    if not isinstance(data, dict):
        raise problem("err.eval_object")
    unknown = set(data) - KNOWN_FIELDS
    if unknown:
        raise problem("err.eval_unknown_fields", fields=sorted(unknown))
    qid, question = data.get("id"), data.get("question")
    if not isinstance(qid, str) or not qid:
        raise field_problem("id", "a non-empty string", "非空字符串")
    if qid in seen:
        raise problem("err.eval_dup_id", id=qid)
    seen.add(qid)
    if not isinstance(question, str) or not question.strip():
        raise field_problem("question", "a non-empty string", "非空字符串")
    evidence = data.get("evidence", [])
    if not isinstance(evidence, list) or not all(
            isinstance(e, dict) and isinstance(e.get("doc"), str) and isinstance(e.get("text"), str) and e["text"]
            for e in evidence):
        raise field_problem("evidence", 'a list of {"doc": ..., "text": ...}', '{"doc": ..., "text": ...} 的列表')
    if data.get("note"):
        raise problem("err.eval_note", note=str(data["note"])[:60])
    kind = data.get("type", "fact" if evidence else "unanswerable")
    if not isinstance(kind, str):
        raise field_problem("type", "a string", "字符串")
    if kind == "unanswerable" and evidence:
        raise problem("err.eval_unanswerable_evidence")
    if not evidence and kind != "unanswerable":
        raise problem("err.eval_needs_type")
    key_facts = data.get("key_facts", [])
    if not isinstance(key_facts, list) or not all(isinstance(k, str) and k for k in key_facts):
        raise field_problem("key_facts", "a list of strings", "字符串列表")
    answer = data.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise field_problem("answer", "a string", "字符串")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
        raise field_problem("tags", "a list of strings", "字符串列表")
    return EvalItem(qid, question.strip(), kind, answer, tuple(key_facts),
                    tuple(Evidence(e["doc"], e["text"]) for e in evidence), tuple(tags), n)


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
                raise EvalSetError("err.eval_evidence_missing", where=f"{set_name} line {item.line}", line=item.line,
                                   id=item.id, source=source, text=ev.text[:40])
            gold.append([GoldSpan(doc_id, source, a, b) for a, b in spans])
        out.append(ResolvedItem(item, gold))
    return out


def resolve_each(items: list[EvalItem], documents: dict[str, tuple[str, str]],
                 set_name: str = "set") -> tuple[list[ResolvedItem], list[EvalSetError]]:
    """Like resolve, but collects every problem instead of stopping at the first."""
    resolved, problems = [], []
    for item in items:
        try:
            resolved += resolve([item], documents, set_name)
        except EvalSetError as exc:
            problems.append(exc)
    return resolved, problems


def _by_file_name(by_name: dict[str, list[str]], doc: str, item: EvalItem, set_name: str) -> str:
    matches = by_name.get(Path(doc).name, [])
    if len(matches) != 1:
        where = f"{set_name} line {item.line}"
        if not matches:
            raise EvalSetError("err.eval_doc_missing", where=where, line=item.line, id=item.id, doc=doc)
        raise EvalSetError("err.eval_doc_ambiguous", where=where, line=item.line, id=item.id, doc=doc,
                           count=len(matches))
    return matches[0]


def _find_all(text: str, needle: str) -> list[tuple[int, int]]:
    spans, pos = [], text.find(needle)
    while pos >= 0:
        spans.append((pos, pos + len(needle)))
        pos = text.find(needle, pos + 1)
    return spans
