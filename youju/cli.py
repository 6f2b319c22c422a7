"""`youju ingest | ask | list`. Only the standard library is imported at start-up, so
`youju --help` is instant; each command imports what it needs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from youju.i18n import t

EPILOG = """examples:
  youju ingest data/corpus            index a folder (unchanged files are skipped)
  youju ask "南京都市圈包括哪些地方?"     a short answer with [n] citations and its sources
  youju ask --json "南京都市圈的面积有多大"
  youju ask --passages "成都至德眉资的动车要多久?"   the retrieved passages, with offsets
  youju list                           what is indexed
  youju chat                           the chat in a browser, on http://127.0.0.1:7860

Data (prepared models, the default index) lives in YOUJU_HOME
(default: the user data folder, e.g. ~/.local/share/youju)."""


def _common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("common options")
    g.add_argument("--home", type=Path, help="data folder for models and the default index (env YOUJU_HOME)")
    g.add_argument("--index", type=Path, metavar="DIR", help="use the index in DIR instead of <home>/index")
    g.add_argument("--model", help="embedding model: 'default' (multilingual-e5-small), a sentence-transformers "
                                   "folder, or a hub id (env YOUJU_MODEL)")
    g.add_argument("--lang", choices=["zh", "en"], help="language of messages (default zh; env YOUJU_LANG)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="youju", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="有据 youju: cited answers from your own documents, fully offline.")
    parser.add_argument("--version", action="version", version=f"youju {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="index files and folders (.txt .md .html .pdf .docx)",
                       description="Index files and folders. Unchanged files are skipped, changed files "
                                   "replaced; each document is committed atomically, so an interrupted run "
                                   "leaves a usable index and the next run continues.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders (searched recursively)")
    p.add_argument("--prune", action="store_true", help="also remove indexed documents whose files are gone")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    p.add_argument("-v", "--verbose", action="store_true", help="list every file, not only problems")
    p.add_argument("--chunk-size", type=int, help="target chunk size in characters (default 300)")
    _common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question with cited sources",
                       description="Answer a question from the indexed documents. Every factual sentence carries "
                                   "[n]; the numbered sources show the quoted span in its document. When the "
                                   "documents do not hold the answer, says so and shows the nearest passages. "
                                   "Without QUESTION, reads one question per line from stdin (models load once). "
                                   "On a first run, indexes the sample corpus.")
    p.add_argument("question", nargs="?", help="the question (omit to read questions from stdin)")
    p.add_argument("-k", type=int, help="passages to retrieve (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per line for stdin input)")
    p.add_argument("--composer", choices=["extractive", "llm"], help="extractive sentences (default) or a local LLM")
    p.add_argument("--llm", metavar="MODEL", help="local causal chat model for --composer llm (folder or hub id)")
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

    p = sub.add_parser("remove", help="remove documents from the index",
                       description="Remove documents (by the name `youju list` shows, or by id) from the index.")
    p.add_argument("docs", nargs="+", metavar="DOC")
    _common(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("eval", help="run, compare and manage evaluation sets",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Offline evaluation on the current index (nothing is ingested).",
                       epilog="""modes:
  youju eval SET.jsonl [--out DIR] [-k K] [--composer C] [--ablate] [--fail-under SPEC]
        run every question; write metrics.json, results.jsonl, report.md, report.html
  youju eval compare RUN_A RUN_B [--out FILE.html]
        metric deltas with 95% intervals, and the questions that got better or worse
  youju eval validate SET.jsonl [--corpus DIR]
        check a set: its format, and that every evidence text is found in its document
  youju eval from-feedback [FEEDBACK.jsonl] [--out FILE] [--exclude SET.jsonl]
        turn chat feedback into draft evaluation items
Each mode has its own --help, e.g. `youju eval compare --help`.""")
    p.add_argument("target", metavar="SET|compare|validate|from-feedback")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    _common(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("list", help="list indexed documents", description="List the documents in the index.")
    p.add_argument("--json", action="store_true", help="print JSON")
    _common(p)
    p.set_defaults(func=cmd_list)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("youju")
    except PackageNotFoundError:
        return "dev"


def _settings(args: argparse.Namespace):
    from youju.config import Settings

    return Settings.from_env(home=args.home, index=args.index, model=args.model, lang=args.lang,
                             top_k=getattr(args, "k", None), chunk_size=getattr(args, "chunk_size", None),
                             composer=getattr(args, "composer", None), llm=getattr(args, "llm", None),
                             retrieval=getattr(args, "retrieval", None))


def _engine(args: argparse.Namespace):
    from youju.engine import Engine

    return Engine(_settings(args))


def _lang(args: argparse.Namespace) -> str:
    return args.lang or os.environ.get("YOUJU_LANG") or "zh"


# --- ingest -------------------------------------------------------------------------------------

def cmd_ingest(args: argparse.Namespace) -> int:
    from youju.ingest.pipeline import IngestReport

    lang = _lang(args)
    engine = _engine(args)
    report = IngestReport()
    try:
        engine.ingest(args.paths, prune=args.prune, progress=not args.json, report=report)
    except KeyboardInterrupt:
        _print_ingest(engine, report, args, lang)  # say what was committed before the interruption
        raise
    _print_ingest(engine, report, args, lang)
    bad = report.counts()
    return 1 if bad["failed"] and not (bad["indexed"] or bad["replaced"] or bad["unchanged"]) else 0


def _print_ingest(engine, report, args, lang: str) -> None:
    counts = report.counts()
    timings = {"prepare": engine.timings.get("prepare_model", 0.0), **report.timings}
    if args.json:
        print(json.dumps({"files": [r.__dict__ for r in report.results], "counts": dict(counts),
                          "chunks_embedded": report.chunks_embedded, "timings_s": timings},
                         ensure_ascii=False, indent=2))
        return
    for r in report.results:
        if args.verbose or r.status in ("skipped", "failed", "removed"):
            detail = f" ({r.reason})" if r.reason else (f" ({r.chunks} chunks)" if r.chunks else "")
            print(f"{t('status.' + r.status, lang)}\t{r.source}{detail}")
    total = sum(timings.values())
    print(t("ingest_summary", lang, seconds=total, chunks=report.chunks_embedded,
            **{k: counts.get(k, 0) for k in ("indexed", "replaced", "unchanged", "skipped", "failed", "removed")}))
    if report.chunks_embedded:
        print(t("ingest_timings", lang, **timings))
    try:
        totals = engine.index_for_reading().store.counts()
        print(t("index_totals", lang, path=engine.settings.index_dir, **totals))
    except Exception:  # the summary must not hide the real outcome
        pass


# --- ask ----------------------------------------------------------------------------------------

def cmd_ask(args: argparse.Namespace) -> int:
    from youju.ingest.pipeline import IngestReport

    lang = _lang(args)
    engine = _engine(args)
    if engine.needs_sample_corpus():
        from youju.config import SAMPLE_CORPUS

        print(t("first_run", lang, path=SAMPLE_CORPUS), file=sys.stderr)
        report = IngestReport()
        engine.ingest([SAMPLE_CORPUS], progress=True, report=report)
    questions = [args.question] if args.question is not None else (line.strip() for line in sys.stdin)
    indent = 2 if args.question is not None else None
    doc_text = None
    for question in questions:
        if not question:
            continue
        if args.passages:
            hits, timings = engine.retrieve(question)
            if args.json:
                print(json.dumps(_passages_json(question, hits, timings), ensure_ascii=False, indent=indent), flush=True)
            else:
                _print_hits(question, hits, timings, lang)
            continue
        answer = engine.ask(question)
        if args.json:
            from youju.chat.render import answer_to_dict

            print(json.dumps(answer_to_dict(answer), ensure_ascii=False, indent=indent), flush=True)
        else:
            from youju.chat.render import answer_text

            doc_text = doc_text or _doc_text(engine)
            print(answer_text(answer, doc_text, lang))
            print(t("timings", lang, items=", ".join(f"{k} {v:.0f}" for k, v in answer.timings.items())))
            print(flush=True)
    return 0


def _doc_text(engine):
    store = engine.index().store
    return lambda doc_id: store.document(doc_id).text


def _passages_json(question: str, hits, timings: dict[str, float]) -> dict:
    from youju.chat.render import hit_to_dict

    return {"question": question, "hits": [hit_to_dict(h) for h in hits],
            "timings_ms": {k: round(v, 2) for k, v in timings.items()}}


def _print_hits(question: str, hits, timings: dict[str, float], lang: str) -> None:
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


# --- chat and remove -----------------------------------------------------------------------------

def cmd_chat(args: argparse.Namespace) -> int:
    from youju.errors import InputError

    lang = _lang(args)
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            raise InputError("--auth needs USER:PASSWORD", zh="--auth 的格式是 用户名:密码")
        auth = (user, password)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not auth:
        print(t("chat_open_host", lang, host=args.host), file=sys.stderr)
    engine = _engine(args)
    from youju.chat.ui import launch

    url_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(t("chat_url", lang, url=f"http://{url_host}:{args.port}"), file=sys.stderr, flush=True)
    try:
        launch(engine, host=args.host, port=args.port, share=args.share, auth=auth, open_browser=args.open)
    except OSError as exc:
        raise InputError(f"cannot listen on {args.host}:{args.port} ({exc}); try another --port",
                         zh=f"无法在 {args.host}:{args.port} 上启动({exc});请换一个 --port") from None
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from youju.errors import InputError

    lang = _lang(args)
    engine = _engine(args)
    docs = engine.documents()
    ids = []
    for name in args.docs:
        match = [d for d in docs if name in (d.source, d.id, Path(d.source).name)]
        if not match:
            raise InputError(f"no indexed document called {name!r} (see youju list)",
                             zh=f"索引中没有名为 {name!r} 的文档(见 youju list)")
        ids += [d.id for d in match]
    removed = engine.remove(ids)
    print(t("ui_removed", lang, names="、".join(removed)))
    return 0


# --- eval ----------------------------------------------------------------------------------------

def _eval_parser(mode: str) -> argparse.ArgumentParser:
    if mode == "compare":
        p = argparse.ArgumentParser(prog="youju eval compare", description="Compare two evaluation runs: metric "
                                    "deltas with paired-bootstrap 95% intervals, questions that got better or worse.")
        p.add_argument("run_a", type=Path, metavar="RUN_A")
        p.add_argument("run_b", type=Path, metavar="RUN_B")
        p.add_argument("--mode", help="retrieval mode to compare (default: each run's main one)")
        p.add_argument("--out", type=Path, help="HTML file to write (default: RUN_B/compare.html)")
    elif mode == "validate":
        p = argparse.ArgumentParser(prog="youju eval validate", description="Check an evaluation set: every "
                                    "line's format, and that every evidence text is found verbatim in its document "
                                    "(in the index, or in the files under --corpus).")
        p.add_argument("set", type=Path, metavar="SET.jsonl")
        p.add_argument("--corpus", type=Path, help="resolve evidence against these files instead of the index")
    elif mode == "from-feedback":
        p = argparse.ArgumentParser(prog="youju eval from-feedback", description="Turn chat feedback (thumbs "
                                    "up/down, wrong citation) into draft evaluation items (JSON lines).")
        p.add_argument("feedback", type=Path, nargs="?", metavar="FEEDBACK.jsonl",
                       help="default: <home>/feedback.jsonl")
        p.add_argument("--out", type=Path, help="write the drafts here (default: print them)")
        p.add_argument("--exclude", type=Path, metavar="SET.jsonl", help="skip questions already in this set")
    else:
        p = argparse.ArgumentParser(prog="youju eval SET.jsonl", description="Run an evaluation set on the "
                                    "current index and write metrics.json, results.jsonl, report.md, report.html.")
        p.add_argument("--out", type=Path, help="run folder (default: runs/<set>-<time>)")
        p.add_argument("-k", type=int, help="passages given to the composer (default 5)")
        p.add_argument("--composer", choices=["extractive", "llm"])
        p.add_argument("--llm", metavar="MODEL")
        p.add_argument("--retrieval", choices=["hybrid", "dense", "keyword"], help="the main retrieval mode")
        p.add_argument("--ablate", action="store_true", help="also run keyword-only and dense-only retrieval")
        p.add_argument("--fail-under", metavar="SPEC",
                       help="e.g. recall@5=0.9,key_fact_recall=0.8: exit 1 when a metric is below (for "
                            "false_abstention: above) its threshold")
    _common(p)
    return p


def cmd_eval(args: argparse.Namespace) -> int:
    mode = args.target if args.target in ("compare", "validate", "from-feedback") else "run"
    sub = _eval_parser(mode).parse_args(args.rest)
    for key in ("home", "index", "model", "lang"):  # common options may come before the target
        if getattr(sub, key, None) is None:
            setattr(sub, key, getattr(args, key))
    lang = _lang(sub)
    if mode == "compare":
        return _eval_compare(sub)
    if mode == "validate":
        return _eval_validate(sub, lang)
    if mode == "from-feedback":
        return _eval_from_feedback(sub)
    sub.set = Path(args.target)
    return _eval_run(sub, lang)


def _eval_run(args: argparse.Namespace, lang: str) -> int:
    import time as _time

    from youju.evaluation.report import write_run
    from youju.evaluation.runner import check_thresholds, run

    if args.fail_under:
        check_thresholds({"overall": {}}, args.fail_under)  # reject a bad spec before the long run
    engine = _engine(args)
    index = engine.index()
    counts = index.store.counts()
    print(t("eval_using", lang, path=index.path, documents=counts["documents"], chunks=counts["chunks"],
            model=engine.embedder.fingerprint), file=sys.stderr)
    modes = [engine.settings.retrieval] + ([m for m in ("keyword", "dense") if m != engine.settings.retrieval]
                                           if args.ablate else [])
    bar = _progress_bar("eval")
    result = run(engine, args.set, k=args.k, composer=args.composer, modes=modes,
                 progress=lambda done, total: _tick(bar, done, total))
    bar.close()
    out = args.out or Path("runs") / f"{args.set.stem}-{_time.strftime('%Y%m%d-%H%M%S')}"
    write_run(result, out)
    summary = result["metrics"][modes[0]]["overall"]
    for mode in modes:
        o = result["metrics"][mode]["overall"]
        print(f"{mode:>8}: " + ", ".join(f"{k} {o[k]['value']:.3f}" for k in
                                         ("recall@1", "recall@5", "key_fact_recall", "citation_precision",
                                          "supported_rate", "abstain_recall", "false_abstention") if k in o))
    print(t("eval_written", lang, path=out))
    if args.fail_under:
        failures = check_thresholds({"overall": summary}, args.fail_under)
        if failures:
            print(t("eval_below", lang, failures="; ".join(failures)), file=sys.stderr)
            return 1
    return 0


def _progress_bar(desc: str):
    from tqdm import tqdm

    return tqdm(total=0, desc=desc, unit="q", mininterval=0.5, leave=False, dynamic_ncols=True, disable=None)


def _tick(bar, done: int, total: int) -> None:
    bar.total = total
    bar.n = done
    bar.refresh()


def _eval_compare(args: argparse.Namespace) -> int:
    from youju.evaluation.compare import compare, compare_html, compare_text
    from youju.evaluation.report import load_run

    result = compare(load_run(args.run_a), load_run(args.run_b), args.mode)
    print(compare_text(result))
    out = args.out or args.run_b / "compare.html"
    out.write_text(compare_html(result), encoding="utf-8")
    print(f"\n{out}")
    return 0


def _eval_validate(args: argparse.Namespace, lang: str) -> int:
    from youju.evaluation.evalset import parse_eval_set, resolve_each

    items, problems = parse_eval_set(args.set)
    if args.corpus:
        documents = _documents_from_files(args.corpus)
    else:
        store = _engine(args).index_for_reading().store
        documents = {d.source: (d.id, store.document(d.id).text) for d in store.documents()}
    resolved, more = resolve_each(items, documents, args.set.name)
    problems += more
    for p in problems:
        print(f"{t('error', lang)}: {p.text(lang)}", file=sys.stderr)
    print(_coverage_report(resolved, documents))
    return 1 if problems else 0


def _documents_from_files(folder: Path) -> dict[str, tuple[str, str]]:
    from youju.config import Settings
    from youju.ingest.documents import build_document
    from youju.ingest.pipeline import discover

    chunking = Settings.from_env().chunking()
    files, _ = discover([folder])
    out = {}
    for path, source in files:
        doc, _ = build_document(path, source, path.read_bytes(), chunking)
        out[source] = (doc.id, doc.text)
    return out


def _coverage_report(resolved, documents: dict[str, tuple[str, str]]) -> str:
    """How the set covers its documents: questions by type, and gold evidence by document and
    by position in it (beginning, middle, end third)."""
    from collections import Counter

    by_type = Counter(r.item.type for r in resolved)
    texts = {doc_id: (source, len(text)) for source, (doc_id, text) in documents.items()}
    where: Counter = Counter()
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


def _eval_from_feedback(args: argparse.Namespace) -> int:
    from youju.evaluation.evalset import load_eval_set
    from youju.evaluation.feedback import draft_items, read_feedback

    path = args.feedback or _settings(args).feedback_file
    known = {i.question for i in load_eval_set(args.exclude)} if args.exclude else set()
    drafts = draft_items(read_feedback(path), known)
    text = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(drafts)} drafts -> {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# --- list ---------------------------------------------------------------------------------------

def cmd_list(args: argparse.Namespace) -> int:
    lang = _lang(args)
    engine = _engine(args)
    from youju.errors import EmptyIndexError

    try:
        docs = engine.documents()
    except EmptyIndexError:
        docs = []
    if args.json:
        print(json.dumps([{"doc": d.source, "id": d.id, "title": d.title, "chunks": d.chunks, "size": d.size,
                           "path": d.path, "encoding": d.meta.get("encoding")} for d in docs],
                         ensure_ascii=False, indent=2))
        return 0
    if not docs:
        print(t("list_empty", lang))
        return 0
    print(t("list_head", lang))
    for d in docs:
        print(f"{d.source}\t{d.chunks}\t{d.meta.get('encoding') or d.meta.get('kind', '')}\t{d.title}")
    return 0


def _debug_trace() -> None:
    """YOUJU_DEBUG=1 shows where an error came from (users see one line otherwise)."""
    if os.environ.get("YOUJU_DEBUG"):
        import traceback

        traceback.print_exc()


# --- entry point --------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    lang = _lang(args)
    from youju.errors import YoujuError

    try:
        return args.func(args)
    except YoujuError as exc:
        _debug_trace()
        print(f"{t('error', lang)}: {exc.text(lang)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        _debug_trace()
        print("\n" + t("interrupted", lang), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
