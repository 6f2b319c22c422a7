"""Cleaning that keeps offsets honest: the cleaned text is what gets stored, chunked and cited,
so everything removed here is gone before any offset is taken. Web and page furniture is
dropped (or kept as metadata), runs of blank lines collapse, and lines broken by line numbers
(`1、…` `2、…` cutting sentences in half) are joined back together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from youju.ingest.loaders import PAGE_BREAK
from youju.text.normalise import strip_invisible

CLEANER_VERSION = 3  # bump when loading or cleaning changes, so re-ingest re-chunks every document

TERMINAL = "。！？!?；;…”’」』）)】》\"'"
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BREADCRUMB = re.compile(r"^(首页|主页|网站首页|当前位置|您的位置|您现在的位置|位置)\s*[»>›:：/|]")
_SITE_NAME = re.compile(r"^[\w\u4e00-\u9fff]{2,14}(网|网站|门户|官网|在线|频道)$")
_PUBLISH = re.compile(r"(发布时间|发布日期|浏览次数|阅读次数|阅读量|点击数|点击量)\s*[:：]")
_DATE_LINE = re.compile(
    r"^(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)(\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s+(\S{1,16}))?$")
_ISSUE_LINE = re.compile(r"^\S{1,10}\s+\d{4}年(第)?\d{1,2}期$")
_KEYWORDS = re.compile(r"^(关键词|关键字|标签)\s*[:：]\s*(.*)$")
_SOURCE = re.compile(r"^[(（]?(来源|稿源|文章来源|供稿)\s*[:：]\s*(.{1,30}?)[)）]?$")
_TAIL = re.compile(r"^(相关新闻|相关阅读|相关文章|相关推荐|相关链接|猜你喜欢|推荐阅读|延伸阅读|热点推荐|"
                   r"热门推荐|热门文章|更多阅读|上一篇|下一篇|责任编辑|编辑\s*[:：])")
_FURNITURE = re.compile(r"^(【?(打印本页|打印|关闭窗口|关闭|返回顶部|分享到|收藏)】?\s*)+$|^字号\s*[:：]|^\d{1,3}$")
_LINE_NO = re.compile(r"^(\d{1,3})、")
_CATEGORY_TITLE = re.compile(r"^(\S{1,8})\s*[|｜]\s*(\S.{3,})$")


@dataclass(frozen=True)
class Cleaned:
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    page_starts: tuple[tuple[int, int], ...] = ()  # (offset in text, page number), PDFs only


def clean(raw: str, kind: str = "text") -> Cleaned:
    """Return the text to store plus what was lifted out as metadata."""
    meta: dict[str, Any] = {}
    # Invisible characters go before anything else, so `测\u200b试` is stored (and cited) as 测试.
    raw = strip_invisible(raw, keep_form_feed=True)
    pages = raw.split(PAGE_BREAK) if kind == "pdf" else [raw]
    page_lines: list[tuple[int, list[str]]] = []
    for number, page in enumerate(pages, start=1):
        lines = [_normalise_line(x) for x in page.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        if kind == "pdf":
            lines = _join_soft_wraps(lines)
        page_lines.append((number, lines))
    flat = [(n, line) for n, lines in page_lines for line in lines]
    flat = _drop_furniture(flat, meta)
    flat = _join_numbered_fragments(flat)
    return _assemble(flat, meta, kind == "pdf")


def _normalise_line(line: str) -> str:
    return _SPACE.sub(" ", _CONTROL.sub("", line)).strip()


def _drop_furniture(lines: list[tuple[int, str]], meta: dict[str, Any]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    content_seen = 0  # non-empty lines kept so far: the "header area" is the first few
    total = sum(1 for _, x in lines if x)
    nonempty_index = 0
    for page, line in lines:
        if not line:
            out.append((page, line))
            continue
        nonempty_index += 1
        header = content_seen < 4
        if _TAIL.match(line) and nonempty_index > total * 0.5 and len(line) <= 30:
            break  # related-news lists, editor lines: everything after is page furniture
        if _BREADCRUMB.match(line) or _FURNITURE.match(line):
            continue
        if header and nonempty_index <= 2 and _SITE_NAME.match(line):
            meta.setdefault("site", line)
            continue
        if _PUBLISH.search(line) and len(line) <= 100:
            for key, value in re.findall(r"(发布时间|发布日期|浏览次数|阅读次数|来源)\s*[:：]\s*(\S+)", line):
                meta[{"发布时间": "published", "发布日期": "published", "来源": "source"}.get(key, "views")] = value
            continue
        m = _DATE_LINE.match(line)
        if header and m:
            meta.setdefault("published", m.group(1) + (m.group(2) or ""))
            if m.group(3):
                meta.setdefault("source", m.group(3))
            continue
        if header and _ISSUE_LINE.match(line):
            meta.setdefault("issue", line)
            continue
        m = _KEYWORDS.match(line)
        if header and m:
            meta["keywords"] = m.group(2)
            continue
        m = _SOURCE.match(line)
        if m:
            meta.setdefault("source", m.group(2))
            continue
        if content_seen == 0:
            m = _CATEGORY_TITLE.match(line)
            if m and not re.search(r"[。！？]", line):
                meta["category"] = m.group(1)
                line = m.group(2)
        content_seen += 1
        out.append((page, line))
    return out


def _join_numbered_fragments(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """`1、…` `2、…` `3、…` numbering every line, with most lines breaking mid-sentence, is
    line numbering from a converted page: strip the numbers and rejoin the sentences."""
    numbered = [(i, int(m.group(1))) for i, (_, x) in enumerate(lines) if (m := _LINE_NO.match(x))]
    if len(numbered) < 3 or [n for _, n in numbered] != list(range(1, len(numbered) + 1)):
        return lines
    idx = [i for i, _ in numbered]
    broken = sum(1 for i in idx[1:] if _prev_text(lines, i) and not _prev_text(lines, i).endswith(tuple(TERMINAL)))
    if broken < (len(idx) - 1) / 2:
        return lines
    out: list[tuple[int, str]] = []
    for i, (page, line) in enumerate(lines):
        if i in idx:
            line = _LINE_NO.sub("", line, count=1)
            if out and out[-1][1] and not out[-1][1].endswith(tuple(TERMINAL)):
                out[-1] = (out[-1][0], out[-1][1] + line)
                continue
        out.append((page, line))
    return out


def _prev_text(lines: list[tuple[int, str]], i: int) -> str:
    for j in range(i - 1, -1, -1):
        if lines[j][1]:
            return lines[j][1]
    return ""


def _join_soft_wraps(lines: list[str]) -> list[str]:
    """PDF text layers break lines at the page width; rejoin lines that stop mid-sentence."""
    widths = sorted(len(x) for x in lines if x)
    if not widths:
        return lines
    typical = widths[int(len(widths) * 0.8)]
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        if (prev and line and len(prev) >= typical * 0.8 and not prev.endswith(tuple(TERMINAL + ":："))
                and not re.match(r"^(#|第\S{1,4}[章节条]|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）])", line)):
            sep = " " if prev[-1].isascii() and prev[-1].isalnum() and line[0].isascii() else ""
            out[-1] = prev + sep + line
        else:
            out.append(line)
    return out


def _assemble(lines: list[tuple[int, str]], meta: dict[str, Any], paged: bool) -> Cleaned:
    """Join lines, collapsing any run of blank lines into one blank line."""
    parts: list[str] = []
    page_starts: list[tuple[int, int]] = []
    offset = 0
    pending_blank = False
    last_page = None
    for page, line in lines:
        if not line:
            pending_blank = bool(parts)
            continue
        if parts:
            sep = "\n\n" if pending_blank or (paged and page != last_page) else "\n"
            parts.append(sep)
            offset += len(sep)
        if paged and page != last_page:
            page_starts.append((offset, page))
        parts.append(line)
        offset += len(line)
        pending_blank = False
        last_page = page
    return Cleaned("".join(parts), meta, tuple(page_starts))
