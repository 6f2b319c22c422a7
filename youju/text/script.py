"""Traditional Chinese folded to simplified, one character for one, so that keyword analysis
cuts 臺灣的鐵路 as it cuts 台湾的铁路 (jieba's dictionary is simplified: traditional text is cut
into odd single characters) and a question in one script finds passages in the other. The fold
keeps every offset: a word found in the folded text is the same slice of the original."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def _table() -> dict[int, str]:
    text = resources.files("youju.text").joinpath("t2s.txt").read_text(encoding="utf-8")
    return {ord(line[0]): line[1] for line in text.splitlines() if len(line) == 2}


def to_simplified(text: str) -> str:
    """The text with each traditional character replaced by its simplified form (same length)."""
    return text.translate(_table())


def in_script_of(question: str, passages: list[str]) -> str:
    """The question in simplified characters when it is written in traditional ones and the
    passages are simplified (臨江市 is not found in text that says 临江市); otherwise as it is."""
    folded = to_simplified(question)
    if folded == question or not passages:
        return question
    text = "".join(passages)
    changed = sum(1 for a, b in zip(text, to_simplified(text)) if a != b)
    return folded if changed * 200 <= len(text) else question  # a few 於 or 乾隆 do not make a text traditional
