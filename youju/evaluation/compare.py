"""Compare two evaluation runs on the questions they share: metric deltas with paired
bootstrap 95% intervals, and the questions that got better or worse."""

from __future__ import annotations

import html
import random
from typing import Any

from youju.errors import InputError
from youju.evaluation.report import CSS, fmt
from youju.evaluation.runner import ALL_METRICS, LOWER_IS_BETTER, statistic_for
from youju.evaluation.stats import percentile


def outcome(r: dict) -> float:
    """One number per question for "better or worse": abstaining correctly on an unanswerable
    question, otherwise key-fact recall (or Recall@5 when there are no key facts); 0 when an
    answerable question was refused."""
    mt = r["metrics"]
    if mt["expected_abstain"]:
        return 1.0 if mt["abstained"] else 0.0
    if mt["abstained"]:
        return 0.0
    for key in ("key_fact_recall", "recall@5"):
        if mt.get(key) is not None:
            return mt[key]
    return 1.0


def compare(a: dict[str, Any], b: dict[str, Any], mode: str | None = None, rounds: int = 1000) -> dict[str, Any]:
    mode_a = mode or next(iter(a["records"]))
    mode_b = mode or next(iter(b["records"]))
    if mode_a not in a["records"] or mode_b not in b["records"]:
        raise InputError(f"retrieval mode {mode!r} is not in both runs")
    ra = {r["id"]: r for r in a["records"][mode_a]}
    rb = {r["id"]: r for r in b["records"][mode_b]}
    ids = [i for i in ra if i in rb]
    if not ids:
        raise InputError("the two runs share no question ids")
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
        ci = (percentile(deltas, 2.5), percentile(deltas, 97.5)) if deltas else None
        rows.append({"metric": name, "a": va, "b": vb, "delta": None if va is None or vb is None else vb - va, "ci": ci})
    changes = [(i, outcome(ra[i]), outcome(rb[i])) for i in ids]
    return {
        "a": {"config": a["config"], "mode": mode_a}, "b": {"config": b["config"], "mode": mode_b},
        "questions": len(ids), "metrics": rows,
        "better": [{"id": i, "question": rb[i]["question"], "a": x, "b": y} for i, x, y in changes if y > x],
        "worse": [{"id": i, "question": rb[i]["question"], "a": x, "b": y} for i, x, y in changes if y < x],
    }


def _significant(row: dict) -> str:
    ci = row["ci"]
    if not ci or ci[0] is None:
        return ""
    if ci[0] > 0 or ci[1] < 0:
        return "*"
    return ""


def compare_text(result: dict[str, Any]) -> str:
    a, b = result["a"]["config"], result["b"]["config"]
    lines = [f"A: {a['date']} {a['git_commit'][:12]} ({result['a']['mode']})",
             f"B: {b['date']} {b['git_commit'][:12]} ({result['b']['mode']})",
             f"{result['questions']} shared questions; * = the 95% interval of the change excludes 0", "",
             f"{'metric':<20}{'A':>9}{'B':>9}{'B-A':>9}   95% CI of B-A"]
    for row in result["metrics"]:
        name = row["metric"]
        delta = "–" if row["delta"] is None else f"{row['delta']:+.3f}"
        ci = row["ci"]
        band = f"[{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci and ci[0] is not None else ""
        lines.append(f"{name:<20}{fmt(row['a'], name):>9}{fmt(row['b'], name):>9}{delta:>9}   {band}{_significant(row)}")
    for title, key in (("better in B", "better"), ("worse in B", "worse")):
        items = result[key]
        lines += ["", f"{title} ({len(items)}):"] + [f"  {q['id']} {q['question']} ({q['a']:.2f} -> {q['b']:.2f})"
                                                     for q in items]
    return "\n".join(lines)


def compare_html(result: dict[str, Any]) -> str:
    e = html.escape
    text = compare_text(result)
    head, _, _ = text.partition("\n\nmetric")
    rows = []
    for row in result["metrics"]:
        ci = row["ci"]
        band = f"[{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci and ci[0] is not None else ""
        cls = "good" if _significant(row) and (row["delta"] or 0) > 0 else "bad" if _significant(row) else ""
        if row["metric"] in LOWER_IS_BETTER and cls:
            cls = "bad" if cls == "good" else "good"
        delta = "–" if row["delta"] is None else f"{row['delta']:+.3f}"
        rows.append(f"<tr><td>{e(row['metric'])}</td><td class='num'>{fmt(row['a'], row['metric'])}</td>"
                    f"<td class='num'>{fmt(row['b'], row['metric'])}</td><td class='num {cls}'>{delta}</td>"
                    f"<td class='num'>{band}</td></tr>")
    lists = "".join(
        f"<h2>{title} ({len(result[key])})</h2><ul>" +
        "".join(f"<li>{e(q['id'])} {e(q['question'])} ({q['a']:.2f} → {q['b']:.2f})</li>" for q in result[key]) +
        "</ul>" for title, key in (("Better in B", "better"), ("Worse in B", "worse")))
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>youju eval compare</title>"
            f"<style>{CSS}</style></head><body><h1>Evaluation comparison</h1><pre class='meta'>{e(head)}</pre>"
            "<table><tr><th>metric</th><th>A</th><th>B</th><th>B − A</th><th>95% CI of B − A</th></tr>"
            + "".join(rows) + "</table>" + lists + "</body></html>")
