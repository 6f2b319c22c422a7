"""Files that are broken, locked, oddly encoded or full of invisible characters: each is that
file's outcome (a one-line reason), never the run's, and nothing is indexed as mojibake."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from youju.errors import InputError
from youju.ingest.cleaning import clean
from youju.ingest.loaders import decode_text, load_file

TRAD = "臺北市政府公告:本市都會區公共運輸補貼計畫自明年起實施,每位市民每月最高補貼新臺幣一千二百元。" * 2
JA = "東京都の公共交通補助制度について、来年度から一人当たり月額千二百円を上限として支給します。" * 2
ZH = "南京都市圈是我国最早启动建设的跨省都市圈。规划明确都市圈面积2.7万平方公里。" * 3


def _docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("南京都市圈面积2.7万平方公里。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _broken_xml_docx() -> bytes:
    """A valid zip whose document.xml is not XML (what lxml raises XMLSyntaxError on)."""
    src = zipfile.ZipFile(io.BytesIO(_docx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            data = src.read(item.filename)
            z.writestr(item, b"<w:document><w:body><w:p>" if item.filename == "word/document.xml" else data)
    return out.getvalue()


def _pdf(password: str | None, algorithm: str = "AES-256") -> bytes:
    from pypdf import PdfWriter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 12)
    c.drawString(72, 750, "南京都市圈面积2.7万平方公里。")
    c.showPage()
    c.save()
    if password is None:
        return buf.getvalue()
    writer = PdfWriter(clone_from=io.BytesIO(buf.getvalue()))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_docx_with_broken_xml_is_a_one_line_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(_broken_xml_docx())
    with pytest.raises(InputError, match=r"DOCX.*XMLSyntaxError") as info:
        load_file(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("algorithm", ["AES-256", "AES-128", "RC4-128"])
def test_encrypted_pdf_with_empty_password_is_read(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "open.pdf"
    path.write_bytes(_pdf("", algorithm))
    assert "2.7万平方公里" in load_file(path).text


@pytest.mark.parametrize("algorithm", ["AES-256", "AES-128", "RC4-128"])
def test_password_protected_pdf_is_skipped_as_such(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(_pdf("secret", algorithm))
    with pytest.raises(InputError, match="password-protected"):
        load_file(path)


@pytest.mark.parametrize("text,encoding,expected", [
    (TRAD, "big5", "big5"), (JA, "shift_jis", "shift_jis"), (ZH, "gb18030", "gb18030"),
    (ZH, "utf-16-le", "utf-16-le"),
])
def test_cjk_encodings_decode_to_the_same_text(text: str, encoding: str, expected: str) -> None:
    decoded, used = decode_text(text.encode(encoding))
    assert decoded == text
    assert used.replace("_", "-") == expected.replace("_", "-") or (expected == "shift_jis" and used == "cp932")


def test_utf8_with_a_few_bad_bytes_keeps_the_file_and_says_so() -> None:
    data = ZH.encode("utf-8")
    damaged = data[:60] + b"\xff\xfe\xfa\xfb\xfc" + data[60:]
    text, used = decode_text(damaged)
    assert text.replace("\ufffd", "") == ZH
    assert used == "utf-8 (5 bad bytes replaced)"


def test_bytes_no_detector_reads_are_refused_not_indexed_as_mojibake() -> None:
    import random

    rng = random.Random(7)
    noise = bytes(rng.randrange(128, 256) for _ in range(3000))
    with pytest.raises(InputError, match="encoding"):
        decode_text(noise)


def test_invisible_characters_are_removed_without_splitting_words() -> None:
    raw = "测\u200b试\ufeff文本\u200c与\u200d连接\u202e反向\u2060词\x1b[31m红色\x1b[0m结束。"
    assert clean(raw).text == "测试文本与连接反向词红色结束。"


def test_a_broken_file_is_its_own_outcome_and_the_rest_is_indexed(engine, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(ZH, encoding="utf-8")
    (folder / "broken.docx").write_bytes(_broken_xml_docx())
    (folder / "locked.pdf").write_bytes(_pdf("secret"))
    (folder / "big5.txt").write_bytes(TRAD.encode("big5"))
    report = engine.ingest([folder], progress=False)
    by_name = {Path(r.path).name: r for r in report.results}
    assert by_name["good.txt"].status == "indexed"
    assert by_name["big5.txt"].status == "indexed" and by_name["big5.txt"].encoding == "big5"
    assert by_name["broken.docx"].status == "skipped" and "XMLSyntaxError" in by_name["broken.docx"].reason
    assert by_name["locked.pdf"].status == "skipped" and "password" in by_name["locked.pdf"].reason
    assert by_name["locked.pdf"].reason_zh == "PDF 有密码保护"
    assert {d.source for d in engine.documents()} == {"good.txt", "big5.txt"}


def test_unreadable_folders_link_loops_and_dangling_links_are_reported(engine, tmp_path: Path) -> None:
    import os

    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_text(ZH, encoding="utf-8")
    (folder / "sub" / "inner.txt").write_text(ZH + "内层。", encoding="utf-8")
    (folder / "sub" / "loop").symlink_to(folder)
    (folder / "gone.txt").symlink_to(tmp_path / "missing.txt")
    locked = folder / "locked"
    locked.mkdir()
    (locked / "secret.txt").write_text(ZH, encoding="utf-8")
    locked.chmod(0)
    try:
        report = engine.ingest([folder], progress=False)
    finally:
        locked.chmod(0o755)
    by_source = {r.source: r for r in report.results}
    assert by_source["good.txt"].status == "indexed" and by_source["sub/inner.txt"].status == "indexed"
    assert by_source["gone.txt"].status == "skipped" and "does not exist" in by_source["gone.txt"].reason
    assert by_source["sub/loop"].status == "skipped" and "loop" in by_source["sub/loop"].reason
    if os.geteuid() != 0:  # root reads any folder
        assert by_source["locked"].status == "skipped" and "cannot read" in by_source["locked"].reason


def test_a_run_where_every_file_was_skipped_exits_1(tmp_path: Path) -> None:
    from helpers import run_cli

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "locked.pdf").write_bytes(_pdf("secret"))
    env = {"YOUJU_HOME": str(tmp_path / "home"), "YOUJU_MODEL": "hashing:64"}
    result = run_cli("ingest", str(folder), env=env)
    assert result.returncode == 1
    assert "PDF 有密码保护" in result.stdout + result.stderr


def _big_text(n_paragraphs: int) -> str:
    return "\n\n".join(f"第{i}条 白鹭湾新区第{i}项措施安排资金{i}万元,覆盖{i % 17 + 1}个街道。" * 6
                       for i in range(n_paragraphs))


def test_a_large_document_is_embedded_in_bounded_slices_and_committed_whole(engine, tmp_path: Path) -> None:
    from youju.engine.indexing import GROUP_CHUNKS

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "big.txt").write_text(_big_text(7 * GROUP_CHUNKS), encoding="utf-8")
    (folder / "small.txt").write_text(ZH, encoding="utf-8")
    batches: list[int] = []
    embed = engine.embedder.embed_documents_with_spans

    def counted(texts, spans, progress=None):
        batches.append(len(texts))
        return embed(texts, spans, progress)

    engine.embedder.embed_documents_with_spans = counted
    report = engine.ingest([folder], progress=False)
    big = next(r for r in report.results if r.source == "big.txt")
    assert big.status == "indexed" and big.chunks > 3 * GROUP_CHUNKS
    assert max(batches) <= GROUP_CHUNKS  # never the whole document at once
    from helpers import index_of

    index = index_of(engine)
    assert len(index.dense()) == index.store.counts()["chunks"]
    doc = next(d for d in engine.documents() if d.source == "big.txt")
    chunks = index.store.doc_chunks(doc.id)
    assert len(chunks) == big.chunks and [c.text for c in chunks][:1]
    hits = engine.retrieve("第450项措施安排资金多少", k=3).hits
    assert any("第450项措施" in h.chunk.text for h in hits)


def test_an_interrupted_large_document_leaves_no_half_of_it(engine, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-small.txt").write_text(ZH, encoding="utf-8")
    (folder / "b-big.txt").write_text(_big_text(900), encoding="utf-8")
    calls = {"n": 0}
    embed = engine.embedder.embed_documents_with_spans

    def interrupted(texts, spans, progress=None):
        calls["n"] += 1
        if calls["n"] == 3:  # the small file's group, then two slices of the big one
            raise KeyboardInterrupt
        return embed(texts, spans, progress)

    engine.embedder.embed_documents_with_spans = interrupted
    with pytest.raises(KeyboardInterrupt):
        engine.ingest([folder], progress=False)
    from helpers import index_of

    index = index_of(engine)
    assert {d.source for d in engine.documents()} == {"a-small.txt"}
    assert len(index.dense()) == index.store.counts()["chunks"]


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(monkeypatch, capsys) -> None:
    from youju.engine import indexing

    monkeypatch.setattr(indexing, "LINE_EVERY", 0.0)
    bar = indexing._bar(True, "zh")
    bar.total = 300
    bar.update(128)
    bar.update(128)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["向量化:128/300 个片段", "向量化:256/300 个片段"]


def test_a_large_document_added_to_an_index_is_mirrored_from_the_store(engine, tmp_path: Path) -> None:
    """Its slices' vectors are not held until the commit: FAISS reads them back from the
    store afterwards, and holds exactly what the store holds."""
    from helpers import index_of

    from youju.engine.indexing import GROUP_CHUNKS

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "small.txt").write_text(ZH, encoding="utf-8")
    engine.ingest([folder], progress=False)  # the index and its FAISS file exist before the big one
    (folder / "big.txt").write_text(_big_text(3 * GROUP_CHUNKS), encoding="utf-8")
    report = engine.ingest([folder], progress=False)
    assert next(r for r in report.results if r.source == "big.txt").chunks > GROUP_CHUNKS
    from youju.retrieval.dense import DenseIndex

    index = index_of(engine)
    rowids = [r for (r,) in index.store._db().execute("SELECT rowid FROM chunks ORDER BY rowid")]
    # the file the writer saved, read directly (opening the index would repair a mismatch)
    saved = DenseIndex.load(max(index.path.glob("dense-*.faiss"), key=lambda p: p.stat().st_mtime_ns), "Flat")
    assert len(saved) == len(rowids)
    assert np.array_equal(saved.vectors(np.asarray(rowids)), index.store.vectors_of(rowids, saved.dimension))
