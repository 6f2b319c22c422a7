"""The ONNX export: the same vectors as the model on torch (padded batches included), its
weights in a file of their own (memory-mapped by ONNX Runtime, so a cold start does not parse
them), and an export of an older format, a damaged or a half-written one is exported again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from youju.embeddings import encoder
from youju.embeddings.encoder import (
    EXPORT_MARK,
    EXPORT_VERSION,
    ONNX_DATA,
    ONNX_FILE,
    TransformerEncoder,
    export_onnx,
    is_current_export,
)

TEXTS = ["南京", "南京都市圈面积2.7万平方公里", "成都至德眉资动车用时缩短至23分钟" * 3, "福州", "都市圈" * 20]


def test_the_export_gives_the_torch_models_vectors(tiny_bert: Path) -> None:
    export_onnx(tiny_bert)
    onnx_dir = tiny_bert / "onnx"
    assert is_current_export(onnx_dir)
    assert json.loads((onnx_dir / EXPORT_MARK).read_text()) == {"version": EXPORT_VERSION, "attention": "eager"}
    graph, data = onnx_dir / ONNX_FILE, onnx_dir / ONNX_DATA
    assert graph.stat().st_size < data.stat().st_size  # the weights live in their own file
    assert (data.stat().st_mode & 0o777) == (graph.stat().st_mode & 0o777)  # readable like the graph
    assert not (onnx_dir / ".export").exists()
    on_onnx = TransformerEncoder(tiny_bert, runtime="onnx")
    on_torch = TransformerEncoder(tiny_bert, runtime="torch")
    assert on_onnx.runtime_in_use == "onnx"
    # batched (so padded) passages, and a query
    assert np.allclose(on_onnx.embed_documents(TEXTS), on_torch.embed_documents(TEXTS), atol=1e-5)
    assert np.allclose(on_onnx.embed_query("面积多大"), on_torch.embed_query("面积多大"), atol=1e-5)


def test_the_traced_attention_is_the_plain_one(tiny_bert: Path) -> None:
    """sdpa's decomposition guards its softmax with IsNaN/Where in every layer, which made the
    default model's passages 1.2x slower on ONNX Runtime (bench/embed_runtime.py --exports)."""
    import onnx

    def ops() -> set[str]:
        return {n.op_type for n in onnx.load(str(tiny_bert / "onnx" / ONNX_FILE), load_external_data=False).graph.node}

    export_onnx(tiny_bert)
    assert "IsNaN" not in ops()
    export_onnx(tiny_bert, attention="sdpa")
    assert "IsNaN" in ops()


@pytest.mark.parametrize("state", ["no marker (youju <= 0.2.0)", "older version", "weights file missing",
                                   "marker unreadable"])
def test_an_older_damaged_or_unfinished_export_is_exported_again(tmp_path: Path, monkeypatch, state: str) -> None:
    from youju.embeddings import default_model, pieces

    onnx_dir = tmp_path / "model" / "onnx"
    onnx_dir.mkdir(parents=True)
    (onnx_dir / ONNX_FILE).write_bytes(b"g" * 10)
    (onnx_dir / ONNX_DATA).write_bytes(b"w" * 100)
    mark = onnx_dir / EXPORT_MARK
    mark.write_text(json.dumps({"version": EXPORT_VERSION, "attention": "eager"}))
    assert is_current_export(onnx_dir)
    if state.startswith("no marker"):
        mark.unlink()
    elif state == "older version":
        mark.write_text(json.dumps({"version": EXPORT_VERSION - 1}))
    elif state == "weights file missing":
        (onnx_dir / ONNX_DATA).unlink()
    else:
        mark.write_text("[1, 2")
    assert not is_current_export(onnx_dir)
    exported: list[Path] = []
    monkeypatch.setattr(encoder, "export_onnx", lambda folder: exported.append(folder) or folder)
    monkeypatch.setattr(pieces, "write", lambda tokenizer, dest: True)
    default_model.export_files(tmp_path / "model")
    assert exported == [tmp_path / "model"]
