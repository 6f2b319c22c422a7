"""What an evaluation run produces, as records (modelled on Haystack's EvaluationRunResult):
one `EvalRecord` per question and retrieval mode, a `ModeSummary` of every metric
(`MetricValue`: value, 95% interval, n) overall and per question type, and the `EvalRun`
holding them with its configuration. `EvalRun.save(folder)` writes metrics.json and
results.jsonl; `EvalRun.load(folder)` reads them back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from youju.errors import InputError
from youju.evaluation.evalset import GoldSpan
from youju.records import Answer, AnswerSentence, Citation, Hit

RESULTS_FORMAT = 2


@dataclass(frozen=True)
class MetricValue:
    value: float
    ci: tuple[float, float] | None  # 95% bootstrap interval over questions
    n: int  # questions the metric is defined on

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci": list(self.ci) if self.ci else None, "n": self.n}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MetricValue:
        ci = d.get("ci")
        return cls(d["value"], (ci[0], ci[1]) if ci and ci[0] is not None else None, d.get("n", 0))


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float

    def to_dict(self) -> dict[str, float]:
        return {"p50": self.p50, "p95": self.p95}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Percentiles:
        return cls(d["p50"], d["p95"])


Metrics = dict[str, MetricValue]  # metric name -> value


@dataclass(frozen=True)
class ModeSummary:
    """Every metric for one retrieval mode: overall, per question type, and latency per stage."""

    questions: int
    overall: Metrics
    by_type: dict[str, Metrics]
    latency_ms: dict[str, Percentiles]

    def value(self, name: str) -> float | None:
        entry = self.overall.get(name)
        return entry.value if entry else None

    def to_dict(self) -> dict[str, Any]:
        return {"overall": _metrics_dict(self.overall),
                "by_type": {t: _metrics_dict(m) for t, m in self.by_type.items()},
                "latency_ms": {s: p.to_dict() for s, p in self.latency_ms.items()}, "questions": self.questions}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModeSummary:
        return cls(d.get("questions", 0), _metrics_from(d["overall"]),
                   {t: _metrics_from(m) for t, m in d.get("by_type", {}).items()},
                   {s: Percentiles.from_dict(p) for s, p in d.get("latency_ms", {}).items()})


def _metrics_dict(metrics: Metrics) -> dict[str, Any]:
    return {name: v.to_dict() for name, v in metrics.items()}


def _metrics_from(d: dict[str, Any]) -> Metrics:
    return {name: MetricValue.from_dict(v) for name, v in d.items()}


@dataclass(frozen=True)
class EvalRecord:
    """One question answered in one retrieval mode, with its per-question scores."""

    id: str
    question: str
    type: str
    mode: str
    answer: Answer  # text, abstention, citations and verdicts (without its hits: see `hits`)
    hits: tuple[Hit, ...]  # the passages retrieved for the retrieval metrics, best first
    covers: tuple[tuple[int, ...], ...]  # per hit: the gold evidence items it covers
    gold: tuple[tuple[GoldSpan, ...], ...]  # per evidence item: every place it occurs
    expected_abstain: bool
    scores: dict[str, float]  # per-question metric values (only those defined for it)
    timings_ms: dict[str, float] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    reference: str | None = None
    key_facts: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # the gold evidence texts

    @property
    def abstained(self) -> bool:
        return self.answer.abstained

    def to_dict(self) -> dict[str, Any]:
        a = self.answer
        return {
            "id": self.id, "question": self.question, "type": self.type, "tags": list(self.tags), "mode": self.mode,
            "reference": self.reference, "key_facts": list(self.key_facts),
            "answer": a.text, "abstained": a.abstained, "composer": a.composer,
            "citations": [c.to_dict() for c in a.citations],
            "sentences": [s.to_dict() for s in a.sentences],
            "hits": [{**h.to_dict(), "covers": list(c)} for h, c in zip(self.hits, self.covers)],
            "gold": [[g.to_dict() for g in group] for group in self.gold],
            "evidence": list(self.evidence),
            "metrics": {**self.scores, "expected_abstain": self.expected_abstain, "abstained": a.abstained},
            "timings_ms": {s: round(v, 3) for s, v in self.timings_ms.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvalRecord:
        metrics = dict(d.get("metrics", {}))
        expected = bool(metrics.pop("expected_abstain", False))
        abstained = bool(metrics.pop("abstained", d.get("abstained", False)))
        answer = Answer(d["question"], d.get("answer", ""), tuple(Citation.from_dict(c) for c in d.get("citations", ())),
                        (), abstained, dict(d.get("timings_ms", {})),
                        tuple(AnswerSentence.from_dict(s) for s in d.get("sentences", ())),
                        composer=d.get("composer", "extractive"))
        hits = d.get("hits", [])
        return cls(d["id"], d["question"], d.get("type", "fact"), d["mode"], answer,
                   tuple(Hit.from_dict(h) for h in hits), tuple(tuple(h.get("covers", ())) for h in hits),
                   tuple(tuple(GoldSpan.from_dict(g) for g in group) for group in d.get("gold", ())), expected,
                   {k: v for k, v in metrics.items() if v is not None}, dict(d.get("timings_ms", {})),
                   tuple(d.get("tags", ())), d.get("reference"), tuple(d.get("key_facts", ())),
                   tuple(d.get("evidence", ())))


@dataclass(frozen=True)
class RunConfig:
    """What a run was made with, so two runs can be told apart and compared."""

    eval_set: str
    eval_set_sha256: str
    index: str
    index_manifest: dict[str, Any] | None
    embedder_fingerprint: str
    settings: dict[str, Any]
    k: int
    composer: str
    modes: tuple[str, ...]
    git_commit: str
    youju_version: str
    date: str

    def to_dict(self) -> dict[str, Any]:
        return {"eval_set": self.eval_set, "eval_set_sha256": self.eval_set_sha256, "index": self.index,
                "index_manifest": self.index_manifest, "embedder_fingerprint": self.embedder_fingerprint,
                "settings": self.settings, "k": self.k, "composer": self.composer, "modes": list(self.modes),
                "git_commit": self.git_commit, "youju_version": self.youju_version, "date": self.date}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        return cls(d["eval_set"], d.get("eval_set_sha256", ""), d.get("index", ""), d.get("index_manifest"),
                   d.get("embedder_fingerprint", ""), dict(d.get("settings", {})), d.get("k", 0),
                   d.get("composer", ""), tuple(d.get("modes", ())), d.get("git_commit", "unknown"),
                   d.get("youju_version", ""), d.get("date", ""))


@dataclass
class EvalRun:
    """A whole run: its configuration, every record per retrieval mode, and their summaries.
    The first mode is the main one (the others are ablations)."""

    config: RunConfig
    records: dict[str, list[EvalRecord]]
    summaries: dict[str, ModeSummary]

    @property
    def mode(self) -> str:
        return next(iter(self.summaries))

    @property
    def summary(self) -> ModeSummary:
        return self.summaries[self.mode]

    def metric(self, name: str, mode: str | None = None) -> MetricValue | None:
        """One overall metric of a mode (default: the main one), None where it is undefined."""
        return self.summaries[mode or self.mode].overall.get(name)

    def to_dict(self) -> dict[str, Any]:
        return {"format": RESULTS_FORMAT, "config": self.config.to_dict(),
                "metrics": {mode: s.to_dict() for mode, s in self.summaries.items()},
                "records": {mode: [r.to_dict() for r in recs] for mode, recs in self.records.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvalRun:
        return cls(RunConfig.from_dict(d["config"]),
                   {mode: [EvalRecord.from_dict(r) for r in recs] for mode, recs in d.get("records", {}).items()},
                   {mode: ModeSummary.from_dict(s) for mode, s in d["metrics"].items()})

    def save(self, folder: Path) -> None:
        """metrics.json (configuration and summaries) and results.jsonl (one record per line)."""
        folder.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        records = data.pop("records")
        (folder / "metrics.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        with open(folder / "results.jsonl", "w", encoding="utf-8") as f:
            for recs in records.values():
                for r in recs:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, folder: Path) -> EvalRun:
        folder = Path(folder)
        if not (folder / "metrics.json").is_file() or not (folder / "results.jsonl").is_file():
            raise InputError("err.not_a_run", path=folder)
        try:
            data = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
            records: dict[str, list[dict[str, Any]]] = {}
            for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = json.loads(line)
                    records.setdefault(r["mode"], []).append(r)
            return cls.from_dict({**data, "records": records})
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError("err.not_a_run", path=folder) from exc
