"""The command line: one subcommand per noun (`youju ingest | ask | chat | serve | list | remove |
eval run|compare|validate|from-feedback`), each a thin shell over `youju.Youju`. Only the
standard library is imported at start-up, so `youju --help` is instant; each command imports
what it needs. Exit codes are documented in youju/errors.py and docs/RELIABILITY.md."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import youju
from youju.errors import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL
from youju.i18n import t

if TYPE_CHECKING:
    from youju.api import Youju
    from youju.config import Settings
    from youju.records import Hit, IngestReport

EPILOG = """examples:
  youju ingest data/corpus            index a folder (unchanged files are skipped)
  youju ask "南京都市圈包括哪些地方?"     a short answer with [n] citations and its sources
  youju ask --json "南京都市圈的面积有多大"
  youju ask --passages "成都至德眉资的动车要多久?"   the retrieved passages, with offsets
  youju list                           what is indexed
  youju chat                           the chat in a browser, on http://127.0.0.1:7860
  youju serve                          an HTTP API on http://127.0.0.1:8000 (docs at /docs)
  youju ask --llm http://127.0.0.1:11434/v1 --llm-model qwen2.5 "…"   an Ollama model writes the answer
  youju eval data/eval/sample.jsonl    run an evaluation set (youju eval run ...)

exit codes: 0 success; 1 the command ran but its outcome failed (a file failed or was skipped,
an evaluation below --fail-under); 2 bad input; 3 index problem; 4 model problem; 130 interrupted.

Data (prepared models, the default index) lives in YOUJU_HOME
(default: the user data folder, e.g. ~/.local/share/youju)."""
EVAL_COMMANDS = ("run", "compare", "validate", "from-feedback")


def _common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("common options")
    g.add_argument("--home", type=Path, help="data folder for models and the default index (env YOUJU_HOME)")
    g.add_argument("--index", type=Path, metavar="DIR|URI",
                   help="use the index in DIR instead of <home>/index; or on Milvus: a Milvus Lite file PATH.db, or "
                        "a server milvus://HOST:PORT/COLLECTION (env YOUJU_INDEX; needs pip install '.[milvus]')")
    g.add_argument("--model", help="embedding model: 'default' (multilingual-e5-small), a sentence-transformers "
                                   "folder, or a hub id (env YOUJU_MODEL)")
    g.add_argument("--lang", choices=["zh", "en"], help="language of messages (default zh; env YOUJU_LANG)")


def _answer_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, help="passages given to the answer (default 5)")
    p.add_argument("--composer", choices=["extractive", "llm"],
                   help="extractive sentences (default; llm when --llm is given) or a local LLM")
    p.add_argument("--llm", metavar="MODEL|URL",
                   help="the LLM that writes the answer: a transformers chat model folder, or the base URL of an "
                        "OpenAI-compatible server (Ollama http://127.0.0.1:11434/v1, vLLM, llama.cpp, LM Studio, "
                        "transformers serve); env YOUJU_LLM. A server's API key, if any: env YOUJU_LLM_API_KEY")
    p.add_argument("--llm-model", metavar="NAME",
                   help="the model name to ask a server for (default: the server's only model; env YOUJU_LLM_MODEL)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="youju", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="有据 youju: cited answers from your own documents, fully offline.")
    parser.add_argument("--version", action="version", version=f"youju {youju.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="index files and folders (.txt .md .html .pdf .docx)",
                       description="Index files and folders. Unchanged files are skipped, changed files "
                                   "replaced; each document is committed atomically, so an interrupted run "
                                   "leaves a usable index and the next run continues. Exits 1 when a file failed "
                                   "or was skipped (the rest is indexed).")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders (searched recursively)")
    p.add_argument("--prune", action="store_true", help="also remove indexed documents whose files are gone")
    p.add_argument("--rebuild", action="store_true",
                   help="start a new index (the current one, e.g. a damaged one, is kept aside as INDEX.old-DATE)")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    p.add_argument("-v", "--verbose", action="store_true", help="list every file, not only problems")
    p.add_argument("--chunk-size", type=int, help="target chunk size in characters (default 400)")
    _common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question with cited sources",
                       description="Answer a question from the indexed documents. Every factual sentence carries "
                                   "[n]; the numbered sources show the quoted span in its document. When the "
                                   "documents do not hold the answer, says so and shows the nearest passages. "
                                   "Without QUESTION, reads one question per line from stdin (models load once). "
                                   "On a first run, indexes the sample corpus.")
    p.add_argument("question", nargs="?", help="the question (omit to read questions from stdin)")
    _answer_options(p)
    p.add_argument("--json", action="store_true", help="print JSON (one object per line for stdin input)")
    p.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"], help="retriever (default hybrid)")
    p.add_argument("--passages", action="store_true", help="print the retrieved passages instead of an answer")
    _common(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="open the chat in a browser (Gradio, on localhost)",
                       description="Start the chat UI: streamed cited answers, the sources panel, document upload "
                                   "and viewer. Binds to 127.0.0.1 unless --host says otherwise. On a first run it "
                                   "prepares the model and indexes the sample corpus, with progress on the page.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--share", action="store_true", help="also publish through a Gradio share link (needs internet)")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login (use it with --host or --share)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    _common(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="an HTTP API for other tools (FastAPI, OpenAI-compatible chat)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Serve the engine over HTTP: POST /v1/ask, /v1/documents (list, upload,\n"
                                   "show, delete), and POST /v1/chat/completions so OpenAI clients can use youju\n"
                                   "as a model (citations in the reply's `youju` field). Interactive docs at /docs.\n"
                                   "Binds to 127.0.0.1 unless --host says otherwise.",
                       epilog="example:\n  YOUJU_API_TOKEN=secret youju serve --port 8000\n"
                              "  curl -H 'Authorization: Bearer secret' -d '{\"question\": \"南京都市圈的面积有多大\"}' "
                              "-H 'content-type: application/json' http://127.0.0.1:8000/v1/ask")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--token", help="require `Authorization: Bearer TOKEN` on /v1 (env YOUJU_API_TOKEN, which "
                                   "keeps it out of the process list)")
    _answer_options(p)
    _common(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("list", help="list indexed documents", description="List the documents in the index.")
    p.add_argument("--json", action="store_true", help="print JSON")
    _common(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("remove", help="remove documents from the index",
                       description="Remove documents (by the name `youju list` shows, or by id) from the index.")
    p.add_argument("docs", nargs="+", metavar="DOC")
    _common(p)
    p.set_defaults(func=cmd_remove)

    _eval_parsers(sub)
    return parser


def _eval_parsers(sub: Any) -> None:
    ev = sub.add_parser("eval", help="run, compare and manage evaluation sets",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Offline evaluation on the current index (nothing is ingested). "
                                    "`youju eval SET.jsonl ...` is short for `youju eval run SET.jsonl ...`.")
    ev.set_defaults(help_parser=ev)
    evs = ev.add_subparsers(dest="eval_command", metavar="COMMAND")

    p = evs.add_parser("run", help="run a set; write metrics.json, results.jsonl, report.md, report.html",
                       description="Run an evaluation set on the current index and write metrics.json, "
                                   "results.jsonl, report.md and report.html.")
    p.add_argument("set", type=Path, metavar="SET.jsonl")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<set>-<time>)")
    _answer_options(p)
    p.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"], help="the main retrieval mode")
    p.add_argument("--ablate", action="store_true", help="also run keyword-only and dense-only retrieval")
    p.add_argument("--fail-under", metavar="SPEC",
                   help="e.g. recall@5=0.9,key_fact_recall=0.8: exit 1 when a metric is below (for "
                        "false_abstention: above) its threshold")
    _common(p)
    p.set_defaults(func=cmd_eval_run)

    p = evs.add_parser("compare", help="metric deltas with 95%% intervals between two runs",
                       description="Compare two evaluation runs: metric deltas with paired-bootstrap 95% "
                                   "intervals, questions that got better or worse.")
    p.add_argument("run_a", type=Path, metavar="RUN_A")
    p.add_argument("run_b", type=Path, metavar="RUN_B")
    p.add_argument("--mode", help="retrieval mode to compare (default: each run's main one)")
    p.add_argument("--out", type=Path, help="HTML file to write (default: RUN_B/compare.html)")
    _common(p)
    p.set_defaults(func=cmd_eval_compare)

    p = evs.add_parser("validate", help="check a set's format and that its evidence is in its documents",
                       description="Check an evaluation set: every line's format, and that every evidence text is "
                                   "found verbatim in its document (in the index, or in the files under --corpus).")
    p.add_argument("set", type=Path, metavar="SET.jsonl")
    p.add_argument("--corpus", type=Path, help="resolve evidence against these files instead of the index")
    _common(p)
    p.set_defaults(func=cmd_eval_validate)

    p = evs.add_parser("from-feedback", help="turn chat feedback into draft evaluation items",
                       description="Turn chat feedback (thumbs up/down, wrong citation) into draft evaluation "
                                   "items (JSON lines).")
    p.add_argument("feedback", type=Path, nargs="?", metavar="FEEDBACK.jsonl", help="default: <home>/feedback.jsonl")
    p.add_argument("--out", type=Path, help="write the drafts here (default: print them)")
    p.add_argument("--exclude", type=Path, metavar="SET.jsonl", help="skip questions already in this set")
    _common(p)
    p.set_defaults(func=cmd_eval_from_feedback)


def _settings(args: argparse.Namespace) -> Settings:
    from youju.config import Settings

    chunk_size = getattr(args, "chunk_size", None)
    return Settings.from_env(changes={
        "home": args.home, "index": args.index, "model": args.model, "lang": args.lang,
        "retrieval.top_k": getattr(args, "k", None), "retrieval.mode": getattr(args, "retrieval", None),
        "answer.composer": getattr(args, "composer", None) or ("llm" if getattr(args, "llm", None) else None),
        "llm.model": getattr(args, "llm", None), "llm.server_model": getattr(args, "llm_model", None),
        "chunking.size": chunk_size,
        # a larger target than the default maximum raises the maximum with it
        "chunking.max_size": max(chunk_size, 600) if chunk_size else None})


def _youju(args: argparse.Namespace) -> Youju:
    from youju.api import Youju

    return Youju(_settings(args))


def _lang(args: argparse.Namespace) -> str:
    return getattr(args, "lang", None) or os.environ.get("YOUJU_LANG") or "zh"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- ingest -------------------------------------------------------------------------------------

def cmd_ingest(args: argparse.Namespace) -> int:
    from youju.records import IngestReport

    lang = _lang(args)
    if args.rebuild:
        from youju.retrieval.index import set_aside

        for p in args.paths:  # a typo in a path must not cost the old index
            if not p.expanduser().exists():
                from youju.errors import InputError

                raise InputError("err.no_path", path=p)
        settings = _settings(args)
        if str(settings.index_location).startswith("milvus://"):
            from youju.errors import InputError

            raise InputError("err.rebuild_milvus", uri=settings.index_location)
        backup = set_aside(settings.index_dir)
        if backup is not None:
            _say(t("index_set_aside", lang, path=backup))
    with _youju(args) as yj:
        report = IngestReport()
        try:
            yj.ingest(args.paths, prune=args.prune, progress=not args.json, report=report)
        except KeyboardInterrupt:
            _print_ingest(yj, report, args, lang)  # say what was committed before the interruption
            raise
        _print_ingest(yj, report, args, lang)
    counts = report.counts()
    return EXIT_PARTIAL if counts["failed"] or counts["skipped"] else EXIT_OK


def _print_ingest(yj: Youju, report: IngestReport, args: argparse.Namespace, lang: str) -> None:
    counts = report.counts()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for r in report.results:
        if args.verbose or r.status in ("skipped", "failed", "removed"):
            reason = r.reason_in(lang)
            detail = f" ({reason})" if reason else (f" ({r.chunks} chunks)" if r.chunks else "")
            print(f"{t('status.' + r.status, lang)}\t{r.source}{detail}")
    timings = report.timings
    print(t("ingest_summary", lang, seconds=sum(timings.values()), chunks=report.chunks_embedded,
            **{k: counts.get(k, 0) for k in ("indexed", "replaced", "unchanged", "skipped", "failed", "removed")}))
    if report.chunks_embedded:
        print(t("ingest_timings", lang, prepare=timings["prepare_model"], load_model=timings["load_model"],
                read_chunk=timings["read_chunk"], embed=timings["embed"], index=timings["index"]))
    try:
        info = yj.info()
        print(t("index_totals", lang, path=info.path, documents=info.documents, chunks=info.chunks))
    except Exception:
        pass


# --- ask ----------------------------------------------------------------------------------------

def cmd_ask(args: argparse.Namespace) -> int:
    from youju.config import SAMPLE_CORPUS

    lang = _lang(args)
    with _youju(args) as yj:
        if yj.needs_sample_corpus():
            _say(t("first_run", lang, path=SAMPLE_CORPUS))
            yj.prepare()
        questions = [args.question] if args.question is not None else (line.strip() for line in sys.stdin)
        indent = 2 if args.question is not None else None
        for question in questions:
            if not question and args.question is None:
                continue  # blank lines between questions on stdin
            if args.passages:
                found = yj.retrieve(question)
                if args.json:
                    print(json.dumps({"question": question, **found.to_dict()}, ensure_ascii=False, indent=indent),
                          flush=True)
                else:
                    _print_hits(question, list(found.hits), found.timings, lang)
                continue
            answer = yj.ask(question)
            if args.json:
                print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=indent), flush=True)
            else:
                from youju.app.render import answer_text

                print(answer_text(answer, _doc_text(yj), lang))
                print(t("timings", lang, items=", ".join(f"{k} {v:.0f}" for k, v in answer.timings.items())))
                print(flush=True)
    return EXIT_OK


def _doc_text(yj: Youju):
    def text(doc_id: str) -> str:
        doc = yj.document(doc_id)
        return doc.text if doc else ""

    return text


def _print_hits(question: str, hits: list[Hit], timings: dict[str, float], lang: str) -> None:
    print(t("passages_for", lang, question=question))
    if not hits:
        print(t("no_passages", lang))
    for h in hits:
        path = " > ".join(h.chunk.heading_path) or t("no_heading", lang)
        print(t("passage_head", lang, rank=h.rank, doc=h.source, path=path, start=h.chunk.start,
                end=h.chunk.end, score=h.score))
        print("    " + h.chunk.text.replace("\n", "\n    "))
    print(t("timings", lang, items=", ".join(f"{k} {v:.1f}" for k, v in timings.items())))
    print()


# --- chat, list and remove ----------------------------------------------------------------------

def cmd_chat(args: argparse.Namespace) -> int:
    from youju.errors import InputError

    lang = _lang(args)
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            raise InputError("err.auth_format")
        auth = (user, password)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not auth:
        _say(t("chat_open_host", lang, host=args.host))
    from youju.app.web.layout import launch

    url_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    with _youju(args) as yj:
        _say(t("chat_url", lang, url=f"http://{url_host}:{args.port}"))
        try:
            launch(yj, host=args.host, port=args.port, share=args.share, auth=auth, open_browser=args.open)
        except OSError as exc:
            raise InputError("err.cannot_listen", host=args.host, port=args.port, detail=exc) from None
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from youju.config import SAMPLE_CORPUS
    from youju.errors import InputError

    lang = _lang(args)
    token = args.token or os.environ.get("YOUJU_API_TOKEN") or None
    if args.host not in ("127.0.0.1", "localhost", "::1") and not token:
        _say(t("serve_open_host", lang, host=args.host))
    from youju.app.serve import run

    url_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    with _youju(args) as yj:
        if yj.needs_sample_corpus():
            _say(t("first_run", lang, path=SAMPLE_CORPUS))
        yj.prepare()  # the model and index are ready before the first request
        _say(t("serve_url", lang, url=f"http://{url_host}:{args.port}"))
        try:
            run(yj, host=args.host, port=args.port, token=token)
        except OSError as exc:
            raise InputError("err.cannot_listen", host=args.host, port=args.port, detail=exc) from None
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from youju.errors import EmptyIndexError

    lang = _lang(args)
    with _youju(args) as yj:
        try:
            docs = yj.documents()
        except EmptyIndexError:
            docs = []
    if args.json:
        print(json.dumps([d.to_dict() for d in docs], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not docs:
        print(t("list_empty", lang))
        return EXIT_OK
    print(t("list_head", lang))
    for d in docs:
        print(f"{d.source}\t{d.chunks}\t{d.meta.get('encoding') or d.meta.get('kind', '')}\t{d.title}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from youju.errors import InputError

    lang = _lang(args)
    with _youju(args) as yj:
        docs = yj.documents()
        ids = []
        for name in args.docs:
            match = [d for d in docs if name in (d.source, d.id, Path(d.source).name)]
            if not match:
                raise InputError("err.no_such_doc", name=name)
            ids += [d.id for d in match]
        removed = yj.remove(ids)
    print(t("ui_removed", lang, names="、".join(removed)))
    return EXIT_OK


# --- eval ---------------------------------------------------------------------------------------

def cmd_eval_run(args: argparse.Namespace) -> int:
    import time as _time

    from youju.evaluation.evalset import load_eval_set
    from youju.evaluation.report import write_run
    from youju.evaluation.runner import check_thresholds, parse_thresholds

    lang = _lang(args)
    if args.fail_under:
        parse_thresholds(args.fail_under)  # reject a bad spec before the long run
    load_eval_set(args.set)  # and a bad set
    with _youju(args) as yj:
        info = yj.info()
        _say(t("eval_using", lang, path=info.path, documents=info.documents, chunks=info.chunks,
               model=yj.embedder.fingerprint))
        main = yj.settings.retrieval.mode
        modes = [main] + ([m for m in ("keyword", "dense") if m != main] if args.ablate else [])
        bar = _progress_bar("eval")
        result = yj.evaluate(args.set, k=args.k, composer=args.composer, modes=modes,
                             progress=lambda done, total: _tick(bar, done, total))
        bar.close()
    out = args.out or Path("runs") / f"{args.set.stem}-{_time.strftime('%Y%m%d-%H%M%S')}"
    write_run(result, out)
    for mode, summary in result.summaries.items():
        print(f"{mode:>8}: " + ", ".join(f"{k} {summary.overall[k].value:.3f}" for k in
                                         ("recall@1", "recall@5", "key_fact_recall", "citation_precision",
                                          "supported_rate", "abstain_recall", "false_abstention")
                                         if k in summary.overall))
    print(t("eval_written", lang, path=out))
    if args.fail_under:
        failures = check_thresholds(result.summary, args.fail_under)
        if failures:
            _say(t("eval_below", lang, failures="; ".join(failures)))
            return EXIT_PARTIAL
    return EXIT_OK


def _progress_bar(desc: str):
    from tqdm import tqdm

    return tqdm(total=0, desc=desc, unit="q", mininterval=0.5, leave=False, dynamic_ncols=True, disable=None)


def _tick(bar: Any, done: int, total: int) -> None:
    bar.total = total
    bar.n = done
    bar.refresh()


def cmd_eval_compare(args: argparse.Namespace) -> int:
    from youju.evaluation.compare import compare, compare_html, compare_text
    from youju.evaluation.results import EvalRun

    result = compare(EvalRun.load(args.run_a), EvalRun.load(args.run_b), args.mode)
    print(compare_text(result))
    out = args.out or args.run_b / "compare.html"
    out.write_text(compare_html(result), encoding="utf-8")
    print(f"\n{out}")
    return EXIT_OK


def cmd_eval_validate(args: argparse.Namespace) -> int:
    from youju.evaluation.evalset import parse_eval_set, resolve_each

    lang = _lang(args)
    items, problems = parse_eval_set(args.set)
    if args.corpus:
        documents = _documents_from_files(args.corpus, _settings(args))
    else:
        with _youju(args) as yj:
            documents = {}
            for d in yj.documents():
                doc = yj.document(d.id)
                documents[d.source] = (d.id, doc.text if doc else "")
    resolved, more = resolve_each(items, documents, args.set.name)
    problems += more
    for p in problems:
        _say(f"{t('error', lang)}: {p.text(lang)}")
    print(_coverage_report(resolved, documents))
    return EXIT_PARTIAL if problems else EXIT_OK


def _documents_from_files(folder: Path, settings: Settings) -> dict[str, tuple[str, str]]:
    from youju.ingest.documents import build_document
    from youju.ingest.files import discover

    out = {}
    for f in discover([folder]).files:
        doc = build_document(f.path, f.source, f.path.read_bytes(), settings.chunking).document
        out[f.source] = (doc.id, doc.text)
    return out


def _coverage_report(resolved: list[Any], documents: dict[str, tuple[str, str]]) -> str:
    """How the set covers its documents: questions by type, and gold evidence by document and
    by position in it (beginning, middle, end third)."""
    from collections import Counter

    by_type = Counter(r.item.type for r in resolved)
    texts = {doc_id: (source, len(text)) for source, (doc_id, text) in documents.items()}
    where: Counter[tuple[str, int]] = Counter()
    for r in resolved:
        for group in r.gold:
            g = group[0]
            source, n = texts[g.doc_id]
            where[(source, min(2, 3 * g.start // max(n, 1)))] += 1
    lines = [f"{len(resolved)} questions: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())),
             "evidence spans by document (beginning / middle / end):"]
    for source in sorted({s for s, _ in where}):
        lines.append(f"  {source}: " + " / ".join(str(where[(source, i)]) for i in range(3)))
    return "\n".join(lines)


def cmd_eval_from_feedback(args: argparse.Namespace) -> int:
    from youju.evaluation.evalset import load_eval_set
    from youju.evaluation.feedback import draft_items, read_feedback

    path = args.feedback or _settings(args).feedback_file
    known = {i.question for i in load_eval_set(args.exclude)} if args.exclude else set()
    drafts = draft_items(read_feedback(path), known)
    text = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        _say(f"{len(drafts)} drafts -> {args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


# --- entry point --------------------------------------------------------------------------------

def _with_eval_shorthand(argv: list[str]) -> list[str]:
    """`youju eval SET.jsonl ...` -> `youju eval run SET.jsonl ...` (a set named like a
    subcommand is run with `youju eval run compare`)."""
    if "eval" in argv:
        i = argv.index("eval")
        rest = argv[i + 1:]
        if rest and rest[0] not in (*EVAL_COMMANDS, "-h", "--help"):
            return argv[:i + 1] + ["run"] + rest
    return argv


def _debug_trace() -> None:
    """YOUJU_DEBUG=1 shows where an error came from (users see one line otherwise)."""
    if os.environ.get("YOUJU_DEBUG"):
        import traceback

        traceback.print_exc()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_with_eval_shorthand(list(sys.argv[1:] if argv is None else argv)))
    if not getattr(args, "func", None):
        getattr(args, "help_parser", parser).print_help()
        return EXIT_INPUT
    lang = _lang(args)
    from youju.errors import YoujuError

    try:
        return int(args.func(args))
    except YoujuError as exc:
        _debug_trace()
        _say(f"{t('error', lang)}: {exc.text(lang)}")
        return exc.exit_code
    except KeyboardInterrupt:
        _debug_trace()
        _say("\n" + t("interrupted", lang))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except sqlite3.DatabaseError as exc:  # damage SQLite only notices mid-query (a truncated store)
        _debug_trace()
        from youju.retrieval.index import damaged

        error = damaged(_settings(args).index_dir, exc)
        _say(f"{t('error', lang)}: {error.text(lang)}")
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
