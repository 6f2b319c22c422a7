"""Answer metrics on hand-worked cases; the eval runner, reports, comparison, thresholds and
feedback drafts end to end with the hashing embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import CORPUS, run_cli
from helpers.evalsets import SET

from youju.evaluation import metrics as m
from youju.evaluation.evalset import GoldSpan
from youju.evaluation.stats import bootstrap_ci, percentile

GOLD = [[GoldSpan("d", "d.txt", 100, 120)], [GoldSpan("d", "d.txt", 500, 540)]]


def test_key_fact_recall_normalises_numbers_and_width() -> None:
    assert m.key_fact_recall("确立了八个方面30个领域[1]", ["8个方面", "30个领域"]) == 1.0
    assert m.key_fact_recall("面积２．７万平方公里", ["2.7万平方公里"]) == 1.0
    assert m.key_fact_recall("增加值1,600余亿元", ["1600余亿元"]) == 1.0
    assert m.key_fact_recall("面积27000平方公里", ["2.7万平方公里"]) == 1.0
    assert m.key_fact_recall("只有南京", ["南京", "成都"]) == 0.5
    assert m.key_fact_recall("任何回答", []) is None


def test_key_fact_punctuation_at_its_edges_is_not_part_of_it() -> None:
    # gold spans copied with the sentence's stop, or the one before it
    assert m.key_fact_recall("辖8个村、2个社区；[1]", ["8个村、2个社区。"]) == 1.0
    assert m.key_fact_recall("全裸是受到鼓励的。[1]", ["。全裸是受到鼓励的"]) == 1.0
    # punctuation inside a fact still counts: 8个村2个社区 does not state 8个村、2个社区
    assert m.key_fact_recall("辖8个村2个社区。", ["8个村、2个社区。"]) == 0.0
    assert m.key_fact_recall("……", ["……"]) == 1.0  # a fact of punctuation alone is kept whole


def test_rouge_l_is_character_lcs_f1() -> None:
    # LCS("甲乙丙丁", "乙丁戊") = "乙丁": P = 2/4, R = 2/3, F1 = 4/7
    assert m.rouge_l("甲乙丙丁[1]", "乙丁戊") == pytest.approx(4 / 7)
    assert m.rouge_l("完全不同", "毫无关联") == 0.0
    assert m.rouge_l("答案", None) is None


def test_citation_precision_and_recall() -> None:
    cites = [("d", 90, 105), ("d", 300, 320), ("e", 0, 10)]
    quotes = ["overlaps gold", "面积2.7万平方公里", "nothing"]
    # 1st overlaps gold A, 2nd contains a key fact, 3rd neither
    assert m.citation_precision(cites, quotes, GOLD, ["2.7万平方公里"]) == pytest.approx(2 / 3)
    assert m.citation_recall(cites, GOLD) == 0.5  # A cited, B not
    assert m.citation_precision([], [], GOLD, []) is None
    assert m.citation_recall(cites, []) is None


def test_a_missing_key_fact_is_placed_where_it_was_lost() -> None:
    passages = ["在元代,蒙古人把他们纳入帝国的政治系统内,归岭北行省管理。", "其他段落说到明代。"]
    quote = [passages[0]]
    assert m.missed_where("…归岭北行省管理。[1]", quote, passages, ["元代"]) == "cut"
    assert m.missed_where("其他段落说到明代。[1]", ["其他段落说到明代。"], passages, ["元代"]) == "passage"
    assert m.missed_where("其他段落说到明代。[1]", ["其他段落说到明代。"], passages, ["清代"]) == "retrieval"
    assert m.missed_where("在元代[1]", quote, passages, ["元代"]) is None
    # two facts: one shown, the other only in a passage that was not cited
    assert m.missed_where("在元代[1]", quote, passages, ["元代", "明代"]) == "passage"


def test_a_key_fact_next_to_the_cited_sentence_is_told_from_one_elsewhere() -> None:
    passage = "韩遂女婿阎行乘夜攻击韩遂。成公英建议韩遂投靠羌人。韩遂听从。后来韩遂逝世于金城。"
    cited = ["成公英建议韩遂投靠羌人。"]
    answer = "成公英建议韩遂投靠羌人。[1]"
    assert m.missed_where(answer, cited, [passage], ["阎行乘夜攻击韩遂"]) == "beside"  # the sentence before
    assert m.missed_where(answer, cited, [passage], ["投靠羌人。韩遂听从"]) == "beside"  # runs into the next
    assert m.missed_where(answer, cited, [passage], ["逝世于金城"]) == "passage"  # two sentences away
    # a trimmed quote stands for its whole sentence: the neighbour is the sentence after that
    assert m.missed_where("…投靠羌人。[1]", ["投靠羌人。"], [passage], ["韩遂听从"]) == "beside"
    assert m.missed_where(answer, cited, ["另一段。" + passage], ["另一段"]) == "passage"


def test_report_sorts_missed_facts_by_where_they_were_lost() -> None:
    from youju.evaluation.report import _problems
    from youju.evaluation.results import EvalRecord
    from youju.records import Answer, Chunk, Citation, Hit

    text = "在元代,蒙古人把他们纳入帝国的政治系统内,归岭北行省管理。"
    hit = Hit(Chunk("c1", "d1", text, 0, len(text)), 0.9, 1, source="d.txt", title="d")
    cited = Citation(1, "c1", "d1", 0, len(text), text, "d.txt", "d")

    def record(qid: str, answer: str, facts: tuple[str, ...]) -> EvalRecord:
        return EvalRecord(qid, "何时?", "date", "hybrid", Answer("何时?", answer + "[1]", (cited,)), (hit,), (), (),
                          False, {"key_fact_recall": 0.0}, key_facts=facts)

    lines = _problems([record("q1", "…归岭北行省管理。", ("元代",)), record("q2", "…归岭北行省管理。", ("清代",))])
    cut = next(line for line in lines if "cut from a cited sentence" in line)
    lost = next(line for line in lines if "in no retrieved passage" in line)
    assert "(1): q1" in cut and "q2" not in cut and "(1): q2" in lost
    assert any("another sentence was chosen) (0): none" in line for line in lines)


def test_supported_rate_and_abstention_scores() -> None:
    assert m.supported_rate([True, False, None, True]) == pytest.approx(2 / 3)
    assert m.supported_rate([None]) is None
    expected = [True, True, False, False, False]
    abstained = [True, False, True, False, False]
    assert m.abstention_scores(expected, abstained) == {
        "abstain_precision": 0.5, "abstain_recall": 0.5, "false_abstention": pytest.approx(1 / 3)}


def test_bootstrap_interval_and_percentile() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert bootstrap_ci([0.5] * 20, lambda xs: sum(xs) / len(xs)) == (0.5, 0.5)
    lo, hi = bootstrap_ci([0, 1] * 50, lambda xs: sum(xs) / len(xs))
    assert lo < 0.5 < hi and hi - lo < 0.3
    assert bootstrap_ci([0, 1] * 50, lambda xs: sum(xs) / len(xs)) == (lo, hi)  # seeded: repeatable


# --- runs ---------------------------------------------------------------------------------------



@pytest.fixture
def indexed(tmp_path: Path) -> dict[str, str]:
    env = {"YOUJU_HOME": str(tmp_path / "home"), "YOUJU_MODEL": "hashing:256",
           "YOUJU_MIN_ANSWERABLE": "0"}  # the hashing model's cosines are on another scale
    assert run_cli("ingest", str(CORPUS), env=env).returncode == 0
    return env


def _write_set(tmp_path: Path, items: list[dict]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


def test_eval_run_writes_every_file_and_respects_thresholds(tmp_path: Path, indexed) -> None:
    path = _write_set(tmp_path, SET)
    out = tmp_path / "run"
    res = run_cli("eval", str(path), "--out", str(out), "--ablate", "--fail-under", "recall@10=0.5", env=indexed)
    assert res.returncode == 0, res.stderr
    assert {"metrics.json", "results.jsonl", "report.md", "report.html"} <= {p.name for p in out.iterdir()}
    meta = json.loads((out / "metrics.json").read_text())
    assert set(meta["metrics"]) == {"hybrid", "keyword", "dense"}
    overall = meta["metrics"]["hybrid"]["overall"]
    assert overall["recall@10"]["value"] == 1.0 and overall["abstain_recall"]["value"] == 1.0
    assert len(overall["recall@5"]["ci"]) == 2 and overall["recall@5"]["n"] == 2
    assert set(meta["metrics"]["hybrid"]["by_type"]) == {"number", "list", "unanswerable"}
    assert {"embed_query", "keyword_search", "analyse", "total"} <= set(meta["metrics"]["hybrid"]["latency_ms"])
    cfg = meta["config"]
    assert cfg["embedder_fingerprint"] == "hashing-char12-256" and cfg["index_manifest"]["counts"]["documents"] == 5
    assert cfg["git_commit"] and cfg["settings"]["retrieval"]["mode"] == "hybrid"
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 9 and {r["mode"] for r in records} == {"hybrid", "keyword", "dense"}
    first = next(r for r in records if r["id"] == "a1" and r["mode"] == "hybrid")
    assert first["gold"][0][0]["doc"] == "000_4fc3eb35a66a7ee3.txt" and any(h["covers"] for h in first["hits"])
    page = (out / "report.html").read_text()
    assert "<svg" in page and "Recall@k" in page and "<mark class='gold'>" in page
    assert "<script>地方" not in page and "&lt;script&gt;地方" in page  # questions are escaped
    assert "| recall@5 |" in (out / "report.md").read_text()
    # a threshold that is missed fails the command, naming the metric
    res = run_cli("eval", str(path), "--out", str(tmp_path / "run2"), "--fail-under", "recall@1=1.01", env=indexed)
    assert res.returncode == 1 and "recall@1" in res.stderr
    res = run_cli("eval", str(path), "--fail-under", "precision=1", env=indexed)
    assert res.returncode == 2 and "'precision' 不存在" in res.stderr and "Traceback" not in res.stderr  # bad input


def test_compare_runs(tmp_path: Path, indexed) -> None:
    import shutil

    path = _write_set(tmp_path, SET)
    a, b = tmp_path / "a", tmp_path / "b"
    run_cli("eval", str(path), "--out", str(a), env=indexed)
    shutil.copytree(a, b)
    # make B worse on exactly one question, by hand
    lines = [json.loads(x) for x in (b / "results.jsonl").read_text().splitlines()]
    for r in lines:
        if r["id"] == "u1":
            r["abstained"] = r["metrics"]["abstained"] = False
    (b / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
    res = run_cli("eval", "compare", str(a), str(b), env=indexed)
    assert res.returncode == 0, res.stderr
    assert "abstain_recall" in res.stdout and "worse in B (1)" in res.stdout and "better in B (0)" in res.stdout
    assert "u1 上海都市圈的面积有多大? (1.00 -> 0.00)" in res.stdout
    assert (b / "compare.html").exists()
    assert run_cli("eval", "compare", str(a), str(tmp_path), env=indexed).returncode == 2  # not a run: bad input


def test_validate_reports_every_problem_with_its_line(tmp_path: Path, indexed) -> None:
    bad = SET[:1] + [{"id": "x", "question": "q", "evidence": [{"doc": "000_4fc3eb35a66a7ee3.txt", "text": "不存在的话"}]},
                     {"id": "y", "question": "q2", "type": "fact"}]
    res = run_cli("eval", "validate", str(_write_set(tmp_path, bad)), "--lang", "en", env=indexed)
    assert res.returncode == 1
    assert "line 2 (x): evidence text not found" in res.stderr and "line 3" in res.stderr
    good = run_cli("eval", "validate", str(_write_set(tmp_path, SET)), "--corpus", str(CORPUS), env=indexed)
    assert good.returncode == 0 and "3 questions" in good.stdout and "000_4fc3eb35a66a7ee3.txt:" in good.stdout


def test_feedback_becomes_draft_items(tmp_path: Path, indexed) -> None:
    cite = {"n": 1, "doc": "000_4fc3eb35a66a7ee3.txt", "start": 2753, "end": 2820, "quote": "成都至德眉资动车用时缩短至23分钟"}
    feedback = [
        {"rating": "up", "question": "那成都呢?", "standalone_question": "成都至德眉资的动车要多久?",
         "answer": "成都至德眉资动车用时缩短至23分钟。[1]", "abstained": False, "citations": [cite]},
        {"rating": "down", "question": "南京都市圈的面积有多大?", "answer": "…", "citations": [], "comment": "答非所问"},
        {"rating": "up", "question": "上海都市圈的面积有多大?", "answer": "资料中没有找到…", "abstained": True, "citations": []},
    ]
    fb = tmp_path / "feedback.jsonl"
    fb.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in feedback), encoding="utf-8")
    out = tmp_path / "drafts.jsonl"
    res = run_cli("eval", "from-feedback", str(fb), "--out", str(out), env=indexed)
    assert res.returncode == 0, res.stderr
    drafts = {d["question"]: d for d in map(json.loads, out.read_text().splitlines())}
    up = drafts["成都至德眉资的动车要多久?"]
    assert up["evidence"] == [{"doc": cite["doc"], "text": cite["quote"]}] and up["answer"].endswith("23分钟。")
    assert drafts["上海都市圈的面积有多大?"]["type"] == "unanswerable"
    down = drafts["南京都市圈的面积有多大?"]
    assert "thumbs down" in down["note"] and "答非所问" in down["note"] and "needs-review" in down["tags"]
    res = run_cli("eval", "validate", str(out), "--lang", "en", env=indexed)
    assert res.returncode == 1 and "note left to act on" in res.stderr  # the down draft needs a human
    ready = tmp_path / "ready.jsonl"
    ready.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts.values() if "note" not in d))
    assert run_cli("eval", "validate", str(ready), env=indexed).returncode == 0


def test_report_plots_show_abstention_and_whole_number_counts() -> None:
    import re

    from youju.evaluation.report import _latency_histogram, _type_bars
    from youju.evaluation.results import EvalRecord, MetricValue, ModeSummary
    from youju.records import Answer

    summary = ModeSummary(2, {}, {"number": {"recall@5": MetricValue(0.5, None, 1)},
                                  "unanswerable": {"abstain_recall": MetricValue(1.0, None, 1)}}, {})
    bars = _type_bars(summary)
    assert "<title>unanswerable abstain_recall 1.000</title>" in bars  # not an empty group
    assert ">unanswerable</text>" in bars  # the whole name, shrunk to fit, not cut
    records = [EvalRecord(f"q{i}", "q", "fact", "hybrid", Answer("q", ""), (), (), (), False, {},
                          {"total": float(v)}) for i, v in enumerate([10] * 7 + [20] * 3)]
    ticks = re.findall(r"text-anchor='end'>([^<]+)</text>", _latency_histogram(records))
    assert ticks == ["0", "2", "4", "6", "8"]


def test_a_set_that_is_not_utf8_is_one_line_naming_the_line(tmp_path: Path) -> None:
    from youju.errors import EvalSetError
    from youju.evaluation.evalset import load_eval_set

    path = tmp_path / "gbk.jsonl"
    good = '{"id": "a", "question": "南京?", "type": "unanswerable"}\n'
    path.write_bytes(good.encode("utf-8") + '{"id": "b", "question": "南京都市圈面积?", "type": "unanswerable"}\n'.encode("gbk"))
    with pytest.raises(EvalSetError, match="line 2: not UTF-8") as info:
        load_eval_set(path)
    assert info.value.text("zh").startswith("gbk.jsonl line 2:不是 UTF-8")
