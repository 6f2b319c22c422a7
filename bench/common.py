"""Shared helpers for the bench scripts: machine description, the sample eval set, spans."""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CORPUS = REPO / "data" / "corpus"
EVAL_SET = REPO / "data" / "eval" / "sample.jsonl"


def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return (f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"Python {platform.python_version()}")


def header(title: str, command: str) -> str:
    return (f"### {title}\n\n- command: `{command}`\n- date: {time.strftime('%Y-%m-%d')}\n"
            f"- machine: {machine()}\n")


def spans(hits) -> list[tuple[str, int, int]]:
    return [(h.chunk.doc_id, h.chunk.start, h.chunk.end) for h in hits]




def rss_mb(pid: int | str = "self") -> float:
    """A process's resident memory now (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    """A port nothing listens on now, for a server a bench starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_home(home: Path) -> Path:
    """A new home that shares the prepared models of the current one (YOUJU_HOME or the
    default), so a bench starts from an empty index without converting the model again."""
    from youju.config import Settings

    (home / "models").mkdir(parents=True)
    models = Settings.from_env().models_dir
    for m in sorted(models.iterdir()) if models.is_dir() else []:
        os.symlink(m, home / "models" / m.name)
    return home


def store_of(yj):
    """The chunk store behind a facade, opened on its own (as another reader would)."""
    from youju.retrieval.index import Index

    return Index.open(yj.settings.index_dir, faiss_factory=yj.settings.retrieval.faiss_index).store
