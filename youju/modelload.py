"""Loading any transformers-based model (embedder, reranker, LLM) by folder or hub id, the same
way everywhere: quiet, local files only for a folder, and one readable error when it fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from youju.errors import ModelError
from youju.i18n import Msg

T = TypeVar("T")


def quiet_transformers() -> None:
    """No weight-loading progress bars or advisory warnings on the user's terminal."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def load_model(kind: str, model_id: str, loader: Callable[[str, bool], T]) -> T:
    """`loader(target, local_files_only)` for a folder path or a hub id. A hub id only works on a
    machine that can reach the hub; nothing is downloaded behind the user's back otherwise.
    `kind` is embedding, llm or reranker (for the message)."""
    quiet_transformers()
    path = Path(model_id).expanduser()
    local = path.is_dir()
    try:
        return loader(str(path) if local else model_id, local)
    except Exception as exc:  # the libraries raise many kinds; the user needs one sentence
        raise ModelError("err.model_load", kind=Msg("kind." + kind), model=model_id,
                         detail=type(exc).__name__) from exc
