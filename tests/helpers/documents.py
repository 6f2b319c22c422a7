"""Documents written for the tests of answer writers and the HTTP API: a city (临江市) that the
sample corpus does not mention, so nothing tuned on the sample corpus can help."""

from __future__ import annotations

from pathlib import Path

LINJIANG = {
    "临江人才安居办法.txt": "临江市人才安居办法\n\n第一条 对新引进的博士人才给予60万元安居补贴;"
                     "对硕士人才给予20万元安居补贴。\n\n第二条 补贴分三年发放,每年发放三分之一。\n",
    "临江轨道交通规划.txt": "临江市轨道交通规划\n\n到2030年,临江市建成地铁线路5条,总里程180公里。\n",
    "临江产业基金.txt": "临江市产业基金管理办法\n\n临江市设立智能制造产业基金,规模30亿元。\n",
}


def write_docs(folder: Path, docs: dict[str, str] = LINJIANG) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
