"""Fixtures for every test, and the network guard: no test opens a socket to anything but
localhost. Builders and paths live in `helpers/` (importable as `helpers`)."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CORPUS, TEST_HOME

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


# --- network guard: nothing but localhost ---------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(address) -> bool:
    if isinstance(address, (str, bytes)):  # unix socket
        return True
    host = address[0]
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or str(host).startswith("127.")


def _guarded_connect(self, address):
    if not _allowed(address):
        raise ConnectionRefusedError(f"test network guard: connection to {address!r} blocked")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _allowed(address):
        raise ConnectionRefusedError(f"test network guard: connection to {address!r} blocked")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the sample corpus (tests may modify it)."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def hashing_settings(tmp_path: Path):
    from youju.config import Settings

    return Settings(home=tmp_path / "home", model="hashing:256")


@pytest.fixture
def engine(hashing_settings) -> Iterator:
    """The facade over a fresh home, with the hashing test embedder."""
    from youju import Youju

    with Youju(hashing_settings, log=lambda m: None) as yj:
        yield yj


@pytest.fixture(scope="session")
def real_home() -> Path:
    """A home with the real default model prepared (converted once, then reused)."""
    from youju.embeddings import default_model

    TEST_HOME.mkdir(parents=True, exist_ok=True)
    default_model.prepare(TEST_HOME / "models", quiet=True)
    return TEST_HOME


# Tiny models: built once per session, copied per test (a test may change its folder).

@pytest.fixture(scope="session")
def _tiny_models(tmp_path_factory) -> dict[str, Path]:
    return {}


def _tiny(cache: dict[str, Path], name: str, build, tmp_path_factory, tmp_path: Path) -> Path:
    if name not in cache:
        cache[name] = build(tmp_path_factory.mktemp(name) / name)
    dest = tmp_path / name
    shutil.copytree(cache[name], dest)
    return dest


@pytest.fixture
def tiny_bert(_tiny_models, tmp_path_factory, tmp_path: Path) -> Path:
    """A 2-layer BERT sentence-transformers folder (random weights, seed 0)."""
    from helpers.models import make_tiny_bert

    return _tiny(_tiny_models, "bert", make_tiny_bert, tmp_path_factory, tmp_path)


@pytest.fixture
def tiny_qwen(_tiny_models, tmp_path_factory, tmp_path: Path) -> Path:
    """A 2-layer Qwen2 chat model folder with a ChatML template (random weights)."""
    from helpers.models import make_tiny_qwen

    return _tiny(_tiny_models, "qwen", make_tiny_qwen, tmp_path_factory, tmp_path)


@pytest.fixture
def tiny_cross_encoder(_tiny_models, tmp_path_factory, tmp_path: Path) -> Path:
    """A BERT sequence classifier with one label: a CrossEncoder folder."""
    from helpers.models import make_tiny_cross_encoder

    return _tiny(_tiny_models, "cross_encoder", make_tiny_cross_encoder, tmp_path_factory, tmp_path)
