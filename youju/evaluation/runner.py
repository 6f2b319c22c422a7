"""Run an evaluation set through the pipeline: retrieve and answer every question with the
current index, score each answer, and aggregate with bootstrap confidence intervals, overall
and per question type. Optionally the same questions with keyword-only and dense-only
retrieval, so a run carries its own baselines."""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import youju
from youju.config import ComposerName, RetrievalMode
from youju.engine import Engine
from youju.errors import InputError
from youju.evaluation import metrics as m
from youju.evaluation.evalset import EvalItem, ResolvedItem, load_eval_set, resolve
from youju.evaluation.results import EvalRecord, EvalRun, MetricValue, ModeSummary, Percentiles, RunConfig
from youju.evaluation.stats import bootstrap_ci, percentile
from youju.records import Answer, Hit

RETRIEVAL_METRICS = ["recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "budget_recall"]
ANSWER_METRICS = ["key_fact_recall", "rouge_l", "citation_precision", "citation_recall", "supported_rate",
                  "answer_chars"]
ABSTENTION_METRICS = ["abstain_precision", "abstain_recall", "false_abstention"]
ALL_METRICS = RETRIEVAL_METRICS + ANSWER_METRICS + ABSTENTION_METRICS
LOWER_IS_BETTER = {"false_abstention", "answer_chars"}
BUDGET_CHARS = 1500
RETRIEVE_K = 10  # passages retrieved per question for the retrieval metrics (the answer uses -k)


def run(engine: Engine, set_path: Path, *, k: int | None = None, composer: ComposerName | None = None,
        modes: Sequence[RetrievalMode] | None = None, progress: Callable[[int, int], None] | None = None) -> EvalRun:
    """Answer every question of the set with the current index (in each retrieval mode), score
    each answer, and summarise with bootstrap intervals."""
    items = load_eval_set(set_path)
    documents = {d.source: (d.id, _text(engine, d.id)) for d in engine.documents()}
    resolved = resolve(items, documents, Path(set_path).name)
    k = k or engine.settings.retrieval.top_k
    modes = list(modes or [engine.settings.retrieval.mode])
    engine.warm_up()
    engine.ask(items[0].question, k=k, composer=composer)  # first-call costs are start-up, not latency
    records: dict[str, list[EvalRecord]] = {}
    total = len(resolved) * len(modes)
    done = 0
    for mode in modes:
        records[mode] = []
        for r in resolved:
            records[mode].append(_one(engine, r, mode, k, composer))
            done += 1
            if progress:
                progress(done, total)
    return EvalRun(_config(engine, set_path, k, composer, modes), records,
                   {mode: summarise(recs) for mode, recs in records.items()})


def _text(engine: Engine, doc_id: str) -> str:
    doc = engine.document(doc_id)
    return doc.text if doc else ""


def _one(engine: Engine, r: ResolvedItem, mode: RetrievalMode, k: int, composer: ComposerName | None) -> EvalRecord:
    item = r.item
    found = engine.retrieve(item.question, k=max(RETRIEVE_K, k), retrieval=mode)
    hits = list(found.hits)
    answer = engine.ask(item.question, k=k, composer=composer, hits=hits[:k])
    timings = {**found.timings, **{s: v for s, v in answer.timings.items() if s not in found.timings}}
    timings["total"] = sum(v for s, v in timings.items() if s != "total")
    return EvalRecord(
        item.id, item.question, item.type, mode, replace(answer, hits=()), tuple(hits),
        tuple(tuple(sorted(i for i, group in enumerate(r.gold)
                           if any(m.covers((h.chunk.doc_id, h.chunk.start, h.chunk.end), g) for g in group)))
              for h in hits),
        tuple(tuple(group) for group in r.gold), item.unanswerable, _scores(item, r, hits, answer), timings,
        item.tags, item.answer, item.key_facts, tuple(e.text for e in item.evidence))


def _scores(item: EvalItem, r: ResolvedItem, hits: list[Hit], answer: Answer) -> dict[str, float]:
    spans = [(h.chunk.doc_id, h.chunk.start, h.chunk.end) for h in hits]
    cites = [(c.doc_id, c.start, c.end) for c in answer.citations]
    gold = r.gold
    answered = not answer.abstained
    scores: dict[str, float | None] = {}
    if gold:
        scores.update({f"recall@{n}": m.recall_at_k(spans, gold, n) for n in (1, 3, 5, 10)})
        scores.update({"mrr@10": m.mrr_at_k(spans, gold, 10), "ndcg@10": m.ndcg_at_k(spans, gold, 10),
                       "budget_recall": m.budget_recall(spans, gold, BUDGET_CHARS)})
    if not item.unanswerable:
        # An abstention on an answerable question states no key fact and cites nothing.
        scores["key_fact_recall"] = m.key_fact_recall(answer.text if answered else "", item.key_facts)
        scores["rouge_l"] = m.rouge_l(answer.text if answered else "", item.answer)
        scores["citation_recall"] = m.citation_recall(cites if answered else [], gold)
    if answered:
        scores["citation_precision"] = m.citation_precision(cites, [c.quote for c in answer.citations], gold,
                                                            item.key_facts)
        scores["supported_rate"] = m.supported_rate([s.supported for s in answer.sentences])
        scores["answer_chars"] = len(m.strip_markers(answer.text))
    return {name: value for name, value in scores.items() if value is not None}


# --- aggregation --------------------------------------------------------------------------------

Statistic = Callable[[Sequence[EvalRecord]], "float | None"]


def _abstention_stat(name: str) -> Statistic:
    def statistic(records: Sequence[EvalRecord]) -> float | None:
        scores = m.abstention_scores([r.expected_abstain for r in records], [r.abstained for r in records])
        return scores[name]

    return statistic


def _mean_of(name: str) -> Statistic:
    def statistic(records: Sequence[EvalRecord]) -> float | None:
        values = [r.scores[name] for r in records if name in r.scores]
        return sum(values) / len(values) if values else None

    return statistic


def statistic_for(name: str) -> Statistic:
    return _abstention_stat(name) if name in ABSTENTION_METRICS else _mean_of(name)


def summarise(records: Sequence[EvalRecord], rounds: int = 1000) -> ModeSummary:
    """Every metric with its 95% bootstrap interval and count, overall and per question type;
    per-stage latency p50/p95."""
    def block(recs: Sequence[EvalRecord]) -> dict[str, MetricValue]:
        out = {}
        for name in ALL_METRICS:
            stat = statistic_for(name)
            value = stat(recs)
            if value is None:
                continue
            n = len(recs) if name in ABSTENTION_METRICS else sum(1 for r in recs if name in r.scores)
            out[name] = MetricValue(value, bootstrap_ci(recs, stat, rounds=rounds), n)
        return out

    types = sorted({r.type for r in records})
    stages: dict[str, list[float]] = {}
    for r in records:
        for stage, ms in r.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    return ModeSummary(len(records), block(records), {t: block([r for r in records if r.type == t]) for t in types},
                       {s: Percentiles(percentile(v, 50) or 0.0, percentile(v, 95) or 0.0) for s, v in stages.items()})


# --- configuration ------------------------------------------------------------------------------

def _config(engine: Engine, set_path: Path, k: int, composer: str | None, modes: Sequence[str]) -> RunConfig:
    info = engine.info()
    return RunConfig(str(Path(set_path).resolve()), hashlib.sha256(Path(set_path).read_bytes()).hexdigest(),
                     str(info.path), info.manifest, engine.embedder.fingerprint, engine.settings.to_dict(), k,
                     composer or engine.settings.answer.composer, tuple(modes), git_commit(), youju.__version__,
                     time.strftime("%Y-%m-%dT%H:%M:%S%z"))


def git_commit() -> str:
    repo = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def parse_thresholds(spec: str) -> dict[str, float]:
    """`recall@5=0.9,key_fact_recall=0.8` -> {metric: limit}; a bad spec is an InputError."""
    limits = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, raw = part.partition("=")
        name = name.strip()
        if name not in ALL_METRICS:
            raise InputError("err.unknown_metric", name=name, known=", ".join(ALL_METRICS))
        try:
            limits[name] = float(raw)
        except ValueError:
            raise InputError("err.fail_under_spec", part=part) from None
    return limits


def check_thresholds(summary: ModeSummary, spec: str) -> list[str]:
    """The metrics of `spec` (see parse_thresholds) that miss their limit. For metrics where
    lower is better (false_abstention) the limit is a maximum."""
    failures = []
    for name, limit in parse_thresholds(spec).items():
        value = summary.value(name)
        lower_is_better = name in LOWER_IS_BETTER
        if value is None or (value > limit if lower_is_better else value < limit):
            shown = "undefined" if value is None else f"{value:.3f}"
            failures.append(f"{name} {shown} {'>' if lower_is_better else '<'} {limit}")
    return failures
