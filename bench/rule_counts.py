"""How often the hand-written answer rules fire, and how often the verifier flags right answers:

- `refusals SET.jsonl INDEX ...`: per evaluation set (over its index), how many answerable and
  unanswerable questions the unlisted-subject refusal (`evidence._unlisted_subject`: a figure
  question about a subject the best sentence does not give a figure to) refuses.
- `flags RUN_DIR ...`: per `youju eval run` output folder, how many answered questions have a
  sentence the verifier flagged, by whether the answer holds all its key facts.

    .venv/bin/python bench/rule_counts.py refusals data/eval/newdocs.jsonl /tmp/nd .cache/qa/cmrc-fit.jsonl /tmp/qa/idx-cmrc
    .venv/bin/python bench/rule_counts.py flags runs/newdocs runs/cmrc
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from youju import Settings, Youju
from youju.chat.evidence import _passages_text, _unlisted_subject, gather
from youju.chat.features import Weighed
from youju.evaluation.evalset import load_eval_set
from youju.text.normalise import normalise_question


def refusals(pairs: list[str]) -> None:
    print("| set | answerable refused | unanswerable refused |\n|---|---|---|")
    for set_path, index in zip(pairs[::2], pairs[1::2]):
        counts: Counter[tuple[bool, bool]] = Counter()
        with Youju(Settings.from_env(index=Path(index)), log=lambda m: None) as yj:
            for item in load_eval_set(Path(set_path)):
                text = normalise_question(item.question)
                search = yj.search_text(text)  # as the engine asks it: English searched in Chinese
                text = f"{text} ({search})" if search != text else text
                hits = list(yj.retrieve(text, k=5).hits)
                ev = gather(text, hits, yj.sources(search, hits), yj.embedder)
                fired = bool(_unlisted_subject(ev.question, Weighed(list(ev.candidates), ev.matrix),
                                               _passages_text(hits)))
                counts[(item.type != "unanswerable", fired)] += 1
        print(f"| {set_path} | {counts[(True, True)]} of {counts[(True, True)] + counts[(True, False)]} | "
              f"{counts[(False, True)]} of {counts[(False, True)] + counts[(False, False)]} |")


def flags(runs: list[str]) -> None:
    print("| run | flagged, holds its key facts | flagged, does not | not flagged, holds | not flagged, does not |\n"
          "|---|---|---|---|---|")
    for run in runs:
        counts: Counter[tuple[bool, bool]] = Counter()
        for line in (Path(run) / "results.jsonl").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["abstained"] or not r.get("key_facts"):
                continue
            flagged = any(s["supported"] is False for s in r["sentences"])
            counts[(flagged, r["metrics"].get("key_fact_recall") == 1.0)] += 1
        print(f"| {run} | {counts[(True, True)]} | {counts[(True, False)]} | {counts[(False, True)]} | "
              f"{counts[(False, False)]} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["refusals", "flags"])
    ap.add_argument("paths", nargs="+", help="SET INDEX pairs (refusals) or run folders (flags)")
    args = ap.parse_args()
    if args.what == "refusals":
        if len(args.paths) % 2:
            ap.error("refusals takes SET INDEX pairs")
        refusals(args.paths)
    else:
        flags(args.paths)


if __name__ == "__main__":
    main()
