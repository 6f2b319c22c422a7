"""Write the report split of the public QA evaluation sets (../shared/qa-data) as youju
evaluation sets, so `youju eval run` can measure answers on questions the answer model was not
fitted on (scripts/fit_answer_model.py puts every article in the fit or the report split by a
hash of its title; unanswerable questions go by the title of the article they are about).

    .venv/bin/python scripts/qa_eval_sets.py            # -> .cache/qa/{cmrc,drcd}-{fit,report}.jsonl
    .venv/bin/youju ingest ../shared/qa-data/cmrc-trial/corpus --index .cache/qa/idx-cmrc
    .venv/bin/youju eval run .cache/qa/cmrc-report.jsonl --index .cache/qa/idx-cmrc
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_answer_model import QA, RAW, REPO, split_of

SETS = {"cmrc": QA / "cmrc-trial" / "eval.jsonl", "drcd": QA / "drcd-test" / "eval.jsonl"}


def titles(source: str) -> dict[str, str]:
    """Corpus file name -> article title (the corpora name files title.replace(' ', '_'))."""
    data = json.loads(RAW[source].read_text(encoding="utf-8"))
    return {a["title"].replace(" ", "_") + ".txt": a["title"] for a in data["data"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / ".cache" / "qa")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for source, path in SETS.items():
        by_file = titles(source)
        split: dict[str, list[str]] = {"fit": [], "report": []}
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            doc = item["evidence"][0]["doc"] if item.get("evidence") else next(
                t.split(":", 1)[1] for t in item.get("tags", []) if t.startswith("excluded-doc:"))
            split[split_of(f"{source}:{by_file.get(doc, doc)}")].append(line)
        for name, lines in split.items():
            (args.out / f"{source}-{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"{source}-{name}: {len(lines)} questions", file=sys.stderr)


if __name__ == "__main__":
    main()
