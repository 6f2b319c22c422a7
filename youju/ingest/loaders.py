"""Read files into raw text: encoding detection for text files, visible text for HTML, the text
layer of PDFs (pages separated by form feeds) and DOCX paragraphs with their heading styles
(rendered as markdown `#` headings so one structure detector serves every format)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from youju.errors import InputError

KINDS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
         ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
PAGE_BREAK = "\f"


@dataclass(frozen=True)
class Loaded:
    text: str
    kind: str
    encoding: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def kind_of(path: Path) -> str | None:
    return KINDS.get(path.suffix.lower())


def load_file(path: Path, data: bytes | None = None) -> Loaded:
    """Load one supported file. Raises InputError with a reason a user can act on."""
    kind = kind_of(path)
    if kind is None:
        raise InputError("err.unsupported_type", suffix=path.suffix or "(none)")
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise InputError("err.file_empty")
    if kind in ("text", "markdown"):
        text, encoding = decode_text(data)
        return Loaded(text, kind, encoding)
    if kind == "html":
        return load_html(data)
    if kind == "pdf":
        return load_pdf(data)
    return load_docx(data)


# --- text encodings -------------------------------------------------------------------------

_BOMS = [(b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes, returning (text, encoding used). Order: BOM, BOM-less UTF-16 (NUL
    pattern), strict UTF-8, GB18030 (a superset of GBK and GB2312) when the result looks like
    Chinese, then Windows-1252 as the last resort for Western text."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc.replace("-sig", "")), enc
            except UnicodeDecodeError:
                raise InputError("err.bom_mismatch", encoding=enc) from None
    utf16 = _guess_utf16(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _looks_chinese(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise InputError("err.unknown_encoding") from None


def _guess_utf16(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0) / (len(sample) / 2)
    odd_zeros = sample[1::2].count(0) / (len(sample) / 2)
    if odd_zeros > 0.3 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.3 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def _looks_chinese(text: str) -> bool:
    """GB18030 decodes most byte soups; accept it only when the result is mostly ASCII,
    CJK ideographs and CJK punctuation."""
    sample = text[:5000]
    if not sample:
        return True
    ok = sum(1 for ch in sample if ch < "\u0080" or "\u4e00" <= ch <= "\u9fff"
             or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or "\u2010" <= ch <= "\u2027")
    return ok / len(sample) > 0.9


# --- HTML -------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


_WIDE = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]"
# A line break (with the spaces around it) between two wide characters is dropped, as CSS does
# for segment breaks (unlike PDF soft wraps, HTML source has real whitespace); lookarounds, so that
# one-character lines (中\n文\n字) join too.
_WIDE_BREAK = re.compile(rf"(?<={_WIDE})[^\S\n]*\n\s*(?={_WIDE})")
_LAYOUT_BREAK = re.compile(r"\s*\n\s*")


def _join_lines(data: str) -> str:
    return _LAYOUT_BREAK.sub(" ", _WIDE_BREAK.sub("", data))


class _VisibleText(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "footer", "aside",
            "iframe", "form", "button", "select"}
    BLOCK = {"p", "div", "section", "article", "main", "header", "li", "ul", "ol", "table",
             "tr", "blockquote", "pre", "dd", "dt", "dl", "figure", "figcaption", "hr", "address"}
    VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed",
            "source", "track", "wbr", "param"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_stack: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.VOID:
            if tag in ("br", "hr"):
                self.parts.append("\n")
            return
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self.skip_stack.append(tag)
        elif not self.skip_stack:
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
            elif tag in self.BLOCK:
                self.parts.append("\n")
            elif tag in ("td", "th"):
                self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self.skip_stack and self.skip_stack[-1] == tag:
            self.skip_stack.pop()
        elif not self.skip_stack and (tag in self.BLOCK or tag[:1] == "h" and tag[1:].isdigit()):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self.skip_stack:
            # Source line breaks inside HTML are layout, not structure: a space between Latin
            # words, nothing between Chinese characters (a space there would split a word).
            self.parts.append(_join_lines(data) if "\n" in data else data)


def load_html(data: bytes) -> Loaded:
    m = _META_CHARSET.search(data[:4096])
    encoding = None
    if m:
        try:
            text = data.decode(m.group(1).decode("ascii"))
            encoding = m.group(1).decode("ascii").lower()
        except (LookupError, UnicodeDecodeError):
            encoding = None
    if encoding is None:
        text, encoding = decode_text(data)
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    body = "".join(parser.parts)
    title = " ".join(parser.title.split())
    meta = {"html_title": title} if title else {}
    if title and not re.search(r"^\s*#", body):
        body = f"# {title}\n\n{body}"
    return Loaded(body, "html", encoding, meta)


# --- PDF and DOCX -----------------------------------------------------------------------------

def load_pdf(data: bytes) -> Loaded:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError("err.pdf_encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise InputError("err.pdf_unreadable", detail=exc) from None
    if not any(p.strip() for p in pages):
        raise InputError("err.pdf_no_text")
    return Loaded(PAGE_BREAK.join(pages), "pdf", None, {"pages": len(pages)})


def load_docx(data: bytes) -> Loaded:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError("err.docx_unreadable", detail=exc) from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append(" | ".join(c for c in cells if c))
            lines.append("")
            continue
        text = block.text.strip()
        level = _docx_heading_level(block.style.name if block.style is not None else "")
        lines.append(("#" * level + " " + text) if level and text else text)
    return Loaded("\n".join(lines), "docx", None)


def _docx_heading_level(style: str) -> int:
    if style in ("Title", "标题"):
        return 1
    m = re.match(r"(?:Heading|标题)\s*(\d)", style)
    return min(int(m.group(1)), 6) if m else 0
