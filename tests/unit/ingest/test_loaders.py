from __future__ import annotations

import io
from pathlib import Path

import pytest

from youju.config import ChunkingSettings
from youju.errors import InputError
from youju.ingest.documents import build_document
from youju.ingest.loaders import decode_text, load_file

CHUNKING = ChunkingSettings(size=300, max_size=600, overlap=1)
ZH = "南京都市圈是我国最早启动建设的跨省都市圈。规划明确都市圈面积2.7万平方公里。"


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
    ("utf-16", "utf-16-le"),
])
def test_text_encodings_are_detected_and_reported(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(ZH.encode(encoding))
    loaded = load_file(path)
    assert loaded.text == ZH
    assert loaded.encoding == expected


def test_utf16_without_bom_and_western_fallback() -> None:
    assert decode_text("规划同编 abc".encode("utf-16-le")) == ("规划同编 abc", "utf-16-le")
    assert decode_text("café au lait".encode("cp1252")) == ("café au lait", "cp1252")


def test_gbk_file_is_indexed_with_its_text_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(("规划同编\n" + ZH).encode("gbk"))
    parsed = build_document(path, path.name, path.read_bytes(), CHUNKING)
    doc, chunks = parsed.document, parsed.chunks
    assert doc.meta["encoding"] == "gb18030"
    assert "2.7万平方公里" in doc.text
    assert chunks and all(doc.text[c.start:c.end] == c.text for c in chunks)


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes("# 标题\n\n正文。".encode("utf-8-sig"))
    doc = build_document(path, path.name, path.read_bytes(), CHUNKING).document
    assert doc.text.startswith("# 标题")
    assert doc.title == "标题"


def test_html_keeps_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("""<html><head><title>页面标题</title><style>p{color:red}</style>
        <script>alert('x')</script></head><body><nav>首页 » 新闻</nav>
        <h2>交通同网</h2><p>九市将夯实交通互联互通基础。</p><p>第二段<br>换行。</p>
        <footer>版权所有</footer></body></html>""", encoding="utf-8")
    doc = build_document(path, path.name, path.read_bytes(), CHUNKING).document
    assert "alert" not in doc.text and "color" not in doc.text
    assert "版权所有" not in doc.text and "首页" not in doc.text
    assert "## 交通同网" in doc.text and "九市将夯实交通互联互通基础。" in doc.text
    assert "第二段\n换行。" in doc.text
    assert doc.meta["html_title"] == "页面标题"


def test_html_source_line_breaks_join_chinese_without_space() -> None:
    from youju.ingest.loaders import load_html

    html = "<p>都市圈\n  建设，推进\n同城化。see\nmore 中\nx 中\n文\n字</p>".encode()
    assert load_html(html).text.strip() == "都市圈建设，推进同城化。see more 中 x 中文字"


def test_docx_paragraphs_heading_styles_and_tables(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("成都都市圈", level=1)
    d.add_heading("构建1小时快捷通勤圈", level=2)
    d.add_paragraph("成都至德眉资动车用时缩短至23分钟。")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "指标"
    table.rows[0].cells[1].text = "23分钟"
    path = tmp_path / "doc.docx"
    d.save(path)
    parsed = build_document(path, path.name, path.read_bytes(), CHUNKING)
    doc, chunks = parsed.document, parsed.chunks
    assert "# 成都都市圈" in doc.text and "## 构建1小时快捷通勤圈" in doc.text
    assert "指标 | 23分钟" in doc.text
    target = next(c for c in chunks if "23分钟。" in c.text)
    assert target.heading_path == ("成都都市圈", "构建1小时快捷通勤圈")


def _pdf_bytes() -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 12)
    c.drawString(72, 750, "第一章 总则")
    c.drawString(72, 730, "南京都市圈面积2.7万平方公里。")
    c.showPage()
    c.setFont("Helvetica", 12)
    c.drawString(72, 750, "Page two has English text. It ends here.")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_text_layer_with_page_numbers(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(_pdf_bytes())
    parsed = build_document(path, path.name, path.read_bytes(), ChunkingSettings(size=20, max_size=40, overlap=1))
    doc, chunks = parsed.document, parsed.chunks
    assert "2.7万平方公里" in doc.text and "Page two" in doc.text
    pages = {c.meta["page"] for c in chunks}
    assert pages == {1, 2}
    assert next(c for c in chunks if "Page two" in c.text).meta["page"] == 2


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"  \n", "empty"),
    ("x.xyz", b"data", "unsupported"),
    ("broken.pdf", b"%PDF-1.4 not really", "PDF"),
    ("broken.docx", b"PK not a zip", "DOCX"),
])
def test_bad_files_give_a_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=reason):
        load_file(path)
