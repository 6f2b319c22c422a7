"""text -> vectors: the Embedder protocol and its backends."""

from __future__ import annotations

from youju.embeddings.base import Embedder, l2_normalise
from youju.errors import InputError

__all__ = ["Embedder", "l2_normalise", "make_embedder"]


def make_embedder(model: str, models_dir, device: str = "cpu", batch_size: int = 32) -> Embedder:
    """`default` (the bundled multilingual-e5-small), `hashing[:DIM]` (tests only), or a
    sentence-transformers folder or hub id. Nothing heavy is loaded until first use, except
    that `default` is prepared (converted once) here."""
    if model == "hashing" or model.startswith("hashing:"):
        from youju.embeddings.hashing import HashingEmbedder

        try:
            dim = int(model.split(":", 1)[1]) if ":" in model else 256
        except ValueError:
            raise InputError("err.hashing_spec", model=model) from None
        return HashingEmbedder(dim)
    from youju.embeddings.sentence_transformer import SentenceTransformerEmbedder

    if model == "default":
        from youju.embeddings import default_model

        folder = default_model.prepare(models_dir)
        return SentenceTransformerEmbedder(str(folder), device, batch_size, name=default_model.DIRNAME)
    return SentenceTransformerEmbedder(model, device, batch_size)
