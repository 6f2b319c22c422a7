"""The ONNX export keeps its weights in a file of their own (memory-mapped by ONNX Runtime, so
a cold start does not parse them): same outputs, readable like the graph, and a half-done
conversion is told apart from a finished one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from youju.embeddings.encoder import ONNX_DATA, ONNX_FILE, externalise, has_external_weights


def _single_file_model(path: Path) -> np.ndarray:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.random.default_rng(0).standard_normal((64, 32)).astype(np.float32)  # 8 KB: externalised
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 32])],
        [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(path))
    return weight


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


def test_weights_move_to_their_own_file_with_the_same_outputs(tmp_path: Path) -> None:
    graph = tmp_path / "onnx" / ONNX_FILE
    weight = _single_file_model(graph)
    x = np.ones((2, 64), dtype=np.float32)
    before = _run(graph, x)
    assert not has_external_weights(graph.parent)
    os.chmod(graph, 0o644)
    externalise(graph, graph)
    data = graph.with_name(ONNX_DATA)
    assert has_external_weights(graph.parent)
    assert graph.stat().st_size < weight.nbytes <= data.stat().st_size
    assert (data.stat().st_mode & 0o777) == (graph.stat().st_mode & 0o777)  # not owner-only
    assert np.array_equal(_run(graph, x), before)
    assert not (graph.parent / ".externalise").exists()


def test_a_weights_file_beside_a_one_file_graph_is_not_taken_for_a_finished_export(tmp_path: Path) -> None:
    graph = tmp_path / "onnx" / ONNX_FILE
    _single_file_model(graph)
    graph.with_name(ONNX_DATA).write_bytes(b"\0" * 16)  # stopped between the two renames
    assert not has_external_weights(graph.parent)


def test_a_damaged_one_file_export_is_exported_again(tmp_path: Path, monkeypatch) -> None:
    """An old home's one-file export that onnx cannot read is replaced, not a traceback."""
    from youju.embeddings import default_model, encoder, pieces

    folder = tmp_path / "model"
    (folder / "onnx").mkdir(parents=True)
    (folder / "onnx" / ONNX_FILE).write_bytes(b"not a protobuf" * 100)
    exported: list[Path] = []

    def export(f: Path) -> Path:
        exported.append(f)
        dest = f / "onnx" / ONNX_FILE
        _single_file_model(dest)
        externalise(dest, dest)
        return dest

    monkeypatch.setattr(encoder, "export_onnx", export)
    monkeypatch.setattr(pieces, "write", lambda tokenizer, dest: True)
    default_model.export_files(folder)
    assert exported == [folder] and has_external_weights(folder / "onnx")
