"""Compare two evaluation runs on the questions they share: metric deltas with paired
bootstrap 95% intervals, and the questions that got better or worse."""

from __future__ import annotations

import html
import random
from dataclasses import dataclass

from youju.errors import InputError
from youju.evaluation.report import CSS, fmt
from youju.evaluation.results import EvalRecord, EvalRun, RunConfig
from youju.evaluation.runner import ALL_METRICS, LOWER_IS_BETTER, statistic_for
from youju.evaluation.stats import percentile


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    a: float | None
    b: float | None
    delta: float | None  # b - a
    ci: tuple[float, float] | None  # paired-bootstrap 95% interval of the delta


@dataclass(frozen=True)
class Change:
    """A question whose outcome differs between the runs."""

    id: str
    question: str
    a: float
    b: float


@dataclass(frozen=True)
class Comparison:
    a: RunConfig
    b: RunConfig
    mode_a: str
    mode_b: str
    questions: int  # shared by both runs
    metrics: list[MetricDelta]
    better: list[Change]
    worse: list[Change]


def outcome(r: EvalRecord) -> float:
    """One number per question for "better or worse": abstaining correctly on an unanswerable
    question, otherwise key-fact recall (or Recall@5 when there are no key facts); 0 when an
    answerable question was refused."""
    if r.expected_abstain:
        return 1.0 if r.abstained else 0.0
    if r.abstained:
        return 0.0
    for key in ("key_fact_recall", "recall@5"):
        if key in r.scores:
            return r.scores[key]
    return 1.0


def compare(a: EvalRun, b: EvalRun, mode: str | None = None, rounds: int = 1000) -> Comparison:
    mode_a = mode or a.mode
    mode_b = mode or b.mode
    if mode_a not in a.records or mode_b not in b.records:
        raise InputError("err.compare_mode", mode=mode)
    ra = {r.id: r for r in a.records[mode_a]}
    rb = {r.id: r for r in b.records[mode_b]}
    ids = [i for i in ra if i in rb]
    if not ids:
        raise InputError("err.compare_no_shared")
    rng = random.Random(0)
    rows = []
    for name in ALL_METRICS:
        stat = statistic_for(name)
        va, vb = stat([ra[i] for i in ids]), stat([rb[i] for i in ids])
        if va is None and vb is None:
            continue
        deltas = []
        for _ in range(rounds):
            sample = [ids[rng.randrange(len(ids))] for _ in ids]
            x, y = stat([ra[i] for i in sample]), stat([rb[i] for i in sample])
            if x is not None and y is not None:
                deltas.append(y - x)
        lo, hi = percentile(deltas, 2.5), percentile(deltas, 97.5)
        ci = (lo, hi) if lo is not None and hi is not None else None
        rows.append(MetricDelta(name, va, vb, None if va is None or vb is None else vb - va, ci))
    changes = [(i, outcome(ra[i]), outcome(rb[i])) for i in ids]
    return Comparison(a.config, b.config, mode_a, mode_b, len(ids), rows,
                      [Change(i, rb[i].question, x, y) for i, x, y in changes if y > x],
                      [Change(i, rb[i].question, x, y) for i, x, y in changes if y < x])


def _significant(row: MetricDelta) -> str:
    return "*" if row.ci and (row.ci[0] > 0 or row.ci[1] < 0) else ""


def _band(row: MetricDelta) -> str:
    return f"[{row.ci[0]:+.3f}, {row.ci[1]:+.3f}]" if row.ci else ""


def compare_text(result: Comparison) -> str:
    a, b = result.a, result.b
    lines = [f"A: {a.date} {a.git_commit[:12]} ({result.mode_a})",
             f"B: {b.date} {b.git_commit[:12]} ({result.mode_b})",
             f"{result.questions} shared questions; * = the 95% interval of the change excludes 0", "",
             f"{'metric':<20}{'A':>9}{'B':>9}{'B-A':>9}   95% CI of B-A"]
    for row in result.metrics:
        name = row.metric
        delta = "–" if row.delta is None else f"{row.delta:+.3f}"
        lines.append(f"{name:<20}{fmt(row.a, name):>9}{fmt(row.b, name):>9}{delta:>9}   {_band(row)}{_significant(row)}")
    for title, items in (("better in B", result.better), ("worse in B", result.worse)):
        lines += ["", f"{title} ({len(items)}):"] + [f"  {q.id} {q.question} ({q.a:.2f} -> {q.b:.2f})" for q in items]
    return "\n".join(lines)


def compare_html(result: Comparison) -> str:
    e = html.escape
    text = compare_text(result)
    head, _, _ = text.partition("\n\nmetric")
    rows = []
    for row in result.metrics:
        cls = "good" if _significant(row) and (row.delta or 0) > 0 else "bad" if _significant(row) else ""
        if row.metric in LOWER_IS_BETTER and cls:
            cls = "bad" if cls == "good" else "good"
        delta = "–" if row.delta is None else f"{row.delta:+.3f}"
        rows.append(f"<tr><td>{e(row.metric)}</td><td class='num'>{fmt(row.a, row.metric)}</td>"
                    f"<td class='num'>{fmt(row.b, row.metric)}</td><td class='num {cls}'>{delta}</td>"
                    f"<td class='num'>{_band(row)}</td></tr>")
    lists = "".join(
        f"<h2>{title} ({len(items)})</h2><ul>" +
        "".join(f"<li>{e(q.id)} {e(q.question)} ({q.a:.2f} → {q.b:.2f})</li>" for q in items) +
        "</ul>" for title, items in (("Better in B", result.better), ("Worse in B", result.worse)))
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>youju eval compare</title>"
            f"<style>{CSS}</style></head><body><h1>Evaluation comparison</h1><pre class='meta'>{e(head)}</pre>"
            "<table><tr><th>metric</th><th>A</th><th>B</th><th>B − A</th><th>95% CI of B − A</th></tr>"
            + "".join(rows) + "</table>" + lists + "</body></html>")
