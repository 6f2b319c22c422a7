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
    pattern), strict UTF-8, UTF-8 with a few bad bytes (replaced by U+FFFD; the encoding says
    how many), then charset-normalizer's detection (GB18030, Big5, Shift-JIS, Windows code
    pages…) for files long enough to tell, GB18030 for short ones that read as Chinese. Text
    that no detector reads cleanly is refused rather than indexed as mojibake."""
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
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad <= max(8, len(data) // 2000) and any(ord(ch) > 0x7F and ch != "\ufffd" for ch in text):
        return text, f"utf-8 ({bad} bad bytes replaced)"
    if len(data) >= DETECT_MIN_BYTES:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data).best()
        if best is not None and best.chaos <= MAX_CHAOS:
            enc = _prefer_cp1252(data, best.encoding)
            return data.decode(enc), enc
        raise InputError("err.unknown_encoding")
    try:
        text = data.decode("gb18030")
        if _looks_chinese(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        if _looks_western(text):
            return text, "cp1252"
    except UnicodeDecodeError:
        pass
    raise InputError("err.unknown_encoding")


# charset-normalizer misreads very short CJK byte runs (8-20 characters) as Korean or Big5;
# from about 60 characters on it is right on the sample corpus in GB18030 and Big5.
DETECT_MIN_BYTES = 120
MAX_CHAOS = 0.2  # charset-normalizer's "mess" ratio above which the decoding is mojibake


def _prefer_cp1252(data: bytes, encoding: str) -> str:
    """Western single-byte pages decode the same letters mostly; when the detector names one
    of them and Windows-1252 reads the bytes too, use 1252 (by far the most common)."""
    if encoding in ("cp1250", "cp1251", "cp1257", "latin_1", "iso8859_2", "iso8859_15", "mac_roman"):
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return encoding
    return encoding


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


def _looks_western(text: str) -> bool:
    """Short Windows-1252 text: mostly ASCII, and what is not is Latin letters or typographic
    punctuation (a CJK byte run read as 1252 gives symbols like ¤ and Ã in bulk)."""
    import unicodedata

    high = [ch for ch in text if ord(ch) > 0x7F]
    return len(high) <= 0.3 * len(text) and all(
        unicodedata.name(ch, "").startswith("LATIN") or ch in "‘’“”–—…€•" for ch in high)


# --- HTML -------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


_WIDE = r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]"
# A line break (with the spaces around it) between two wide characters is dropped, as CSS does
# for segment breaks (unlike PDF soft wraps, HTML source has real whitespace); lookarounds, so that
# one-character lines (中\n文\n字) join too.
_WIDE_BREAK = re.compile(rf"(?<={_WIDE}|[,;:!?，。；：])[^\S\n]*\n\s*(?={_WIDE})")
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

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError("err.pdf_encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # pypdf and its decoders raise many types; any of them is this file's failure
        raise InputError("err.pdf_unreadable", detail=_reason(exc)) from None
    if not any(p.strip() for p in pages):
        raise InputError("err.pdf_no_text")
    return Loaded(PAGE_BREAK.join(pages), "pdf", None, {"pages": len(pages)})


def load_docx(data: bytes) -> Loaded:
    import io

    try:
        import docx

        return Loaded("\n".join(_docx_lines(docx.Document(io.BytesIO(data)))), "docx", None)
    except Exception as exc:  # zipfile, lxml (XMLSyntaxError), python-docx: any is this file's failure
        raise InputError("err.docx_unreadable", detail=_reason(exc)) from None


def _docx_lines(document: Any) -> list[str]:
    import docx

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
    return lines


def _reason(exc: Exception) -> str:
    """One line naming what went wrong inside a parser library."""
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _docx_heading_level(style: str) -> int:
    if style in ("Title", "标题"):
        return 1
    m = re.match(r"(?:Heading|标题)\s*(\d)", style)
    return min(int(m.group(1)), 6) if m else 0
