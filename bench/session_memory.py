"""What a chat session holds, and whether it is all given back: asks the evaluation questions
through the web UI's own handler (`app.web.handlers.ask`, as `youju chat` does) from 8 sessions
at a time in one process, then drops the sessions (as Gradio does 60 minutes after a browser
disconnects) and reads the Python heap (tracemalloc) and RSS, for --rounds rounds. A leak in
youju's answer path would show as heap that stays after the sessions are gone.

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/session_memory.py --index /tmp/qa/idx-sample [--rounds 4]
"""

from __future__ import annotations

import argparse
import gc
import json
import tracemalloc

from common import REPO, header, rss_mb

SETS = [REPO / "data" / "eval" / "sample.jsonl", REPO / "data" / "eval" / "sample-new.jsonl"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True, help="an index of the sample corpus")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--questions", type=int, default=200, help="questions per round, spread over the sessions")
    args = ap.parse_args()
    from youju import Settings, Youju
    from youju.app.web import handlers

    questions = [json.loads(line)["question"] for path in SETS for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    questions = [questions[i % len(questions)] for i in range(args.questions)]
    rows = []
    with Youju(Settings.from_env().with_({"index": args.index}), log=lambda m: None) as yj:
        opts = handlers.AskOptions(k=5)
        warm = handlers.new_session(yj)
        for q in questions:  # every cache the answer path has is filled before measuring
            list(handlers.ask(yj, warm, q, opts))
        del warm
        gc.collect()
        tracemalloc.start()
        base, rss0 = tracemalloc.get_traced_memory()[0], rss_mb()
        for _ in range(args.rounds):
            sessions = [handlers.new_session(yj) for _ in range(args.sessions)]
            for i, q in enumerate(questions):
                list(handlers.ask(yj, sessions[i % len(sessions)], q, opts))
            held = tracemalloc.get_traced_memory()[0] - base
            del sessions
            gc.collect()
            rows.append((held, tracemalloc.get_traced_memory()[0] - base, rss_mb()))
    print(header("Memory a chat session holds", "YOUJU_HOME=/tmp/yh .venv/bin/python bench/session_memory.py "
                 f"--index {args.index} --rounds {args.rounds}"))
    print(f"{args.sessions} sessions x {args.questions // args.sessions} questions a round; RSS before the rounds "
          f"{rss0:.0f} MB\n")
    print("| round | Python heap held by the live sessions, MB | left after they are dropped, MB | RSS after, MB |\n"
          "|---:|---:|---:|---:|")
    for i, (held, left, rss) in enumerate(rows, start=1):
        print(f"| {i} | {held / 1e6:.1f} | {left / 1e6:.1f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
