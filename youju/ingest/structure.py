"""Heading detection on cleaned text. Each heading has a rank (smaller is higher); a chunk's
heading path is the stack of headings above it, e.g.
`典型做法之3:成都都市圈同城化开局起势 > (二)构建1小时快捷通勤圈`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十百零〇两"
TITLE_RANK = 0  # the document's own title line: the root, never shown in heading paths
_SENTENCE_END = re.compile(r"[。！？!?；;]")

# (rank, pattern); the pattern matches at the start of a line.
_ENUMERATED = [
    (1, re.compile(rf"^第[{CN_NUM}\d]+(编|部分|篇)")),
    (2, re.compile(rf"^第[{CN_NUM}\d]+(章|期)")),
    (3, re.compile(rf"^第[{CN_NUM}\d]+节")),
    (4, re.compile(r"^(典型做法|典型案例|案例|做法|经验)之?[\d一二三四五六七八九十]+\s*[:：]")),
    (5, re.compile(rf"^第[{CN_NUM}\d]+条")),
    (7, re.compile(rf"^[{CN_NUM}]+、")),
    (8, re.compile(rf"^[(（][{CN_NUM}]+[)）]")),
    (9, re.compile(r"^\d{1,2}[.．、](?!\d)")),
    (10, re.compile(r"^[(（]\d{1,2}[)）]")),
]
_PLAIN_TITLE_RANK = 6  # a short line without sentence punctuation, e.g. 规划同编
_MARKDOWN = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_NOT_TITLE_END = tuple("。！？!?；;，,、:：…")


@dataclass(frozen=True)
class Heading:
    start: int  # offset of the heading line in the text
    end: int  # end of the heading's own title (the line may go on with body text)
    rank: int
    title: str


def heading_name(title: str) -> str:
    """What a heading names, without its enumeration marker: (五)推进民生同保 -> 推进民生同保,
    典型做法之3:成都都市圈同城化开局起势 -> 成都都市圈同城化开局起势, 第三条 -> ""."""
    text = _MARKDOWN.sub(r"\2", title.strip())
    for _, pattern in _ENUMERATED:
        if m := pattern.match(text):
            text = text[m.end():]
            break
    return text.strip(" :：.．、。")


def lines_with_offsets(text: str) -> Iterator[tuple[int, str]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def find_headings(text: str) -> list[Heading]:
    lines = [(o, x) for o, x in lines_with_offsets(text) if x.strip()]
    headings: list[Heading] = []
    for i, (offset, line) in enumerate(lines):
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        h = _heading(offset, line, nxt, first=(i == 0))
        if h is not None:
            headings.append(h)
    return headings


def _heading(offset: int, line: str, next_line: str, first: bool) -> Heading | None:
    m = _MARKDOWN.match(line)
    if m:
        title = m.group(2)
        return Heading(offset, offset + len(line), len(m.group(1)), title)
    for rank, pattern in _ENUMERATED:
        found = pattern.match(line)
        if found:
            if rank == 5:  # legal articles: the heading is just 第X条, however long the article
                title = found.group(0)
                return Heading(offset, offset + len(title), rank, title)
            title = _leading_title(line, limit=60 if rank <= 4 else 40)
            if title is None:
                return None
            return Heading(offset, offset + len(title), rank, title.rstrip())
    if _is_plain_title(line, next_line):
        return Heading(offset, offset + len(line), TITLE_RANK if first else _PLAIN_TITLE_RANK, line)
    return None


def _leading_title(line: str, limit: int) -> str | None:
    """The heading part of an enumerated line: up to its first sentence end (the line may
    continue with body text, as in `(一)主要做法。一是…`)."""
    m = _SENTENCE_END.search(line)
    title = line[: m.start()] if m else line
    return title if len(title) <= limit else None


def _is_plain_title(line: str, next_line: str) -> bool:
    text = line.strip()
    if not 2 <= len(text) <= 40 or text.endswith(_NOT_TITLE_END) or _SENTENCE_END.search(text):
        return False
    if " | " in text:  # a table row (the DOCX loader joins cells with " | "): a fact, not a heading
        return False
    if re.fullmatch(r"[\d\s.:/\-年月日]+", text):
        return False
    # A title introduces something: the next line is body text or another heading.
    return bool(next_line) and (len(next_line) > len(text) or bool(_MARKDOWN.match(next_line)))


def heading_paths(headings: list[Heading]) -> list[tuple[str, ...]]:
    """For each heading, the path of titles from the top down to it (the document title,
    rank 0, is left out: it is shown as the document's title)."""
    stack: list[Heading] = []
    paths = []
    for h in headings:
        while stack and stack[-1].rank >= h.rank:
            stack.pop()
        stack.append(h)
        paths.append(tuple(x.title for x in stack if x.rank != TITLE_RANK))
    return paths


def document_title(text: str, headings: list[Heading], fallback: str) -> str:
    """The first heading if it opens the document, else the first line (shortened)."""
    first_line = next((x.strip() for _, x in lines_with_offsets(text) if x.strip()), "")
    if headings and text[: headings[0].start].strip() == "":
        return headings[0].title
    if not first_line:
        return fallback
    m = _SENTENCE_END.search(first_line)
    title = first_line[: m.start()] if m else first_line
    return title if len(title) <= 40 else title[:40] + "…"
