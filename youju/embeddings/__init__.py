"""text -> vectors: the Embedder protocol and its backends."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from youju.embeddings.base import Embedder, l2_normalise
from youju.errors import InputError

if TYPE_CHECKING:
    from youju.embeddings.encoder import Runtime

__all__ = ["Embedder", "l2_normalise", "make_embedder"]


def make_embedder(model: str, models_dir: Path, device: str = "cpu", batch_size: int = 32,
                  runtime: Runtime = "auto") -> Embedder:
    """`default` (the bundled multilingual-e5-small), `hashing[:DIM]` (tests only), or a
    sentence-transformers folder or hub id. A mean-pooling folder on the CPU runs through
    `TransformerEncoder` (ONNX Runtime when the folder has an export, else torch); anything
    else through sentence-transformers. Nothing heavy is loaded until first use, except that
    `default` is prepared (converted and exported once) here."""
    if model == "hashing" or model.startswith("hashing:"):
        from youju.embeddings.hashing import HashingEmbedder

        try:
            dim = int(model.split(":", 1)[1]) if ":" in model else 256
        except ValueError:
            raise InputError("err.hashing_spec", model=model) from None
        return HashingEmbedder(dim)
    from youju.embeddings.encoder import TransformerEncoder, plain_pipeline
    from youju.embeddings.sentence_transformer import SentenceTransformerEmbedder

    if model == "default":
        from youju.embeddings import default_model

        folder = default_model.prepare(models_dir)
        if device == "cpu":
            return TransformerEncoder(folder, name=default_model.DIRNAME, batch_size=batch_size, runtime=runtime)
        return SentenceTransformerEmbedder(str(folder), device, batch_size, name=default_model.DIRNAME)
    path = Path(model).expanduser()
    config = plain_pipeline(path) if path.is_dir() and device == "cpu" else None
    if config is not None:
        return TransformerEncoder(path, name=model, batch_size=batch_size, runtime=runtime, config=config)
    return SentenceTransformerEmbedder(model, device, batch_size)
