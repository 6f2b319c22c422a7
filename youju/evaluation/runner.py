"""Run an evaluation set through the pipeline: retrieve and answer every question with the
current index, score each answer, and aggregate with bootstrap confidence intervals, overall
and per question type. Optionally the same questions with keyword-only and dense-only
retrieval, so a run carries its own baselines."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from youju.engine import Engine
from youju.evaluation import metrics as m
from youju.evaluation.evalset import EvalItem, ResolvedItem, load_eval_set, resolve
from youju.evaluation.stats import bootstrap_ci, mean_of, percentile
from youju.records import Answer, Hit

RETRIEVAL_METRICS = ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "budget_recall"]
ANSWER_METRICS = ["key_fact_recall", "rouge_l", "citation_precision", "citation_recall", "supported_rate",
                  "answer_chars"]
ABSTENTION_METRICS = ["abstain_precision", "abstain_recall", "false_abstention"]
ALL_METRICS = RETRIEVAL_METRICS + ANSWER_METRICS + ABSTENTION_METRICS
LOWER_IS_BETTER = {"false_abstention", "answer_chars"}
BUDGET_CHARS = 1500
RETRIEVE_K = 10  # passages retrieved per question for the retrieval metrics (the answer uses -k)


def run(engine: Engine, set_path: Path, *, k: int | None = None, composer: str | None = None,
        modes: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Evaluate; returns {"config", "records": {mode: [record]}, "metrics": {mode: summary}}."""
    items = load_eval_set(set_path)
    index = engine.index()
    store = index.store
    documents = {d.source: (d.id, store.document(d.id).text) for d in store.documents()}
    resolved = resolve(items, documents, Path(set_path).name)
    k = k or engine.settings.top_k
    modes = list(modes or [engine.settings.retrieval])
    engine.warm_up()
    engine.ask(items[0].question, k=k, composer=composer)  # first-call costs are start-up, not latency
    records: dict[str, list[dict]] = {}
    total = len(resolved) * len(modes)
    done = 0
    for mode in modes:
        records[mode] = []
        for r in resolved:
            records[mode].append(_one(engine, r, mode, k, composer))
            done += 1
            if progress:
                progress(done, total)
    return {"config": _config(engine, set_path, k, composer, modes), "records": records,
            "metrics": {mode: summarise(recs) for mode, recs in records.items()}}


def _one(engine: Engine, r: ResolvedItem, mode: str, k: int, composer: str | None) -> dict:
    item = r.item
    hits, timings = engine.retrieve(item.question, max(RETRIEVE_K, k), mode=mode)
    answer = engine.ask(item.question, k=k, composer=composer, hits=hits[:k])
    timings = {**timings, **{s: v for s, v in answer.timings.items() if s not in timings}}
    timings["total"] = sum(v for s, v in timings.items() if s != "total")
    return _record(item, r, mode, hits, answer, timings)


def _record(item: EvalItem, r: ResolvedItem, mode: str, hits: list[Hit], answer: Answer,
            timings: dict[str, float]) -> dict:
    spans = [(h.chunk.doc_id, h.chunk.start, h.chunk.end) for h in hits]
    cites = [(c.doc_id, c.start, c.end) for c in answer.citations]
    gold = r.gold
    answered = not answer.abstained
    metrics: dict[str, Any] = {"expected_abstain": item.unanswerable, "abstained": answer.abstained}
    if gold:
        metrics.update({f"recall@{n}": m.recall_at_k(spans, gold, n) for n in (1, 3, 5, 10)})
        metrics.update({"mrr@10": m.mrr_at_k(spans, gold, 10), "ndcg@10": m.ndcg_at_k(spans, gold, 10),
                        "budget_recall": m.budget_recall(spans, gold, BUDGET_CHARS)})
    if not item.unanswerable:
        # An abstention on an answerable question states no key fact and cites nothing.
        metrics["key_fact_recall"] = m.key_fact_recall(answer.text if answered else "", item.key_facts)
        metrics["rouge_l"] = m.rouge_l(answer.text if answered else "", item.answer)
        metrics["citation_recall"] = m.citation_recall(cites if answered else [], gold)
    if answered:
        metrics["citation_precision"] = m.citation_precision(cites, [c.quote for c in answer.citations], gold,
                                                             item.key_facts)
        metrics["supported_rate"] = m.supported_rate([s.supported for s in answer.sentences])
        metrics["answer_chars"] = len(m.strip_markers(answer.text))
    return {
        "id": item.id, "question": item.question, "type": item.type, "tags": list(item.tags), "mode": mode,
        "reference": item.answer, "key_facts": list(item.key_facts),
        "answer": answer.text, "abstained": answer.abstained,
        "citations": [{"n": c.n, "doc": c.source, "doc_id": c.doc_id, "start": c.start, "end": c.end,
                       "quote": c.quote} for c in answer.citations],
        "sentences": [{"text": s.text, "citations": list(s.citations), "supported": s.supported, "reason": s.reason}
                      for s in answer.sentences],
        "hits": [{"rank": h.rank, "doc": h.source, "doc_id": h.chunk.doc_id, "start": h.chunk.start,
                  "end": h.chunk.end, "text": h.chunk.text, "heading_path": list(h.chunk.heading_path),
                  "score": h.score, "scores_by_retriever": h.scores_by_retriever,
                  "covers": sorted(i for i, group in enumerate(gold)
                                   if any(m.covers((h.chunk.doc_id, h.chunk.start, h.chunk.end), g) for g in group))}
                 for h in hits],
        "gold": [[{"doc": g.source, "doc_id": g.doc_id, "start": g.start, "end": g.end} for g in group]
                 for group in gold],
        "evidence": [e.text for e in item.evidence],
        "metrics": metrics,
        "timings_ms": {s: round(v, 3) for s, v in timings.items()},
    }


# --- aggregation --------------------------------------------------------------------------------

def _abstention_stat(name: str) -> Callable[[Sequence[dict]], float | None]:
    def statistic(records: Sequence[dict]) -> float | None:
        scores = m.abstention_scores([r["metrics"]["expected_abstain"] for r in records],
                                     [r["metrics"]["abstained"] for r in records])
        return scores[name]

    return statistic


def statistic_for(name: str) -> Callable[[Sequence[dict]], float | None]:
    return _abstention_stat(name) if name in ABSTENTION_METRICS else mean_of(name)


def summarise(records: Sequence[dict], rounds: int = 1000) -> dict[str, Any]:
    """Every metric with its 95% bootstrap interval and count, overall and per question type;
    per-stage latency p50/p95."""
    def block(recs: Sequence[dict]) -> dict[str, Any]:
        out = {}
        for name in ALL_METRICS:
            stat = statistic_for(name)
            value = stat(recs)
            if value is None:
                continue
            n = len(recs) if name in ABSTENTION_METRICS else sum(
                1 for r in recs if r["metrics"].get(name) is not None)
            out[name] = {"value": value, "ci": bootstrap_ci(recs, stat, rounds=rounds), "n": n}
        return out

    types = sorted({r["type"] for r in records})
    stages: dict[str, list[float]] = {}
    for r in records:
        for stage, ms in r["timings_ms"].items():
            stages.setdefault(stage, []).append(ms)
    return {
        "overall": block(records),
        "by_type": {t: block([r for r in records if r["type"] == t]) for t in types},
        "latency_ms": {s: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for s, v in stages.items()},
        "questions": len(records),
    }


# --- configuration ------------------------------------------------------------------------------

def _config(engine: Engine, set_path: Path, k: int, composer: str | None, modes: Sequence[str]) -> dict[str, Any]:
    index = engine.index()
    manifest_file = index.path / "manifest.json"
    return {
        "eval_set": str(Path(set_path).resolve()),
        "eval_set_sha256": hashlib.sha256(Path(set_path).read_bytes()).hexdigest(),
        "index": str(index.path),
        "index_manifest": json.loads(manifest_file.read_text()) if manifest_file.exists() else None,
        "embedder_fingerprint": engine.embedder.fingerprint,
        "settings": engine.settings.to_dict(),
        "k": k,
        "composer": composer or engine.settings.composer,
        "modes": list(modes),
        "git_commit": git_commit(),
        "youju_version": _version(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def git_commit() -> str:
    repo = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("youju")
    except PackageNotFoundError:
        return "dev"


def check_thresholds(summary: dict[str, Any], spec: str) -> list[str]:
    """`recall@5=0.9,key_fact_recall=0.8` against the overall metrics; returns the failures.
    For false_abstention (lower is better) the threshold is a maximum."""
    from youju.errors import InputError

    failures = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, raw = part.partition("=")
        name = name.strip()
        if name not in ALL_METRICS:
            raise InputError(f"unknown metric {name!r} in --fail-under; use one of: {', '.join(ALL_METRICS)}")
        try:
            limit = float(raw)
        except ValueError:
            raise InputError(f"--fail-under {part!r}: expected name=number") from None
        entry = summary["overall"].get(name)
        value = entry["value"] if entry else None
        lower_is_better = name in LOWER_IS_BETTER
        if value is None or (value > limit if lower_is_better else value < limit):
            shown = "undefined" if value is None else f"{value:.3f}"
            failures.append(f"{name} {shown} {'>' if lower_is_better else '<'} {limit}")
    return failures
