"""The public surface: `import youju` (lazy, complete), settings from strings and the
environment, the facade as a context manager, typed streaming, the README's Python example,
the error tree with its exit codes, and the layer rule."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CORPUS, REPO

import youju
from youju.config import Settings
from youju.errors import (
    EXIT_INDEX,
    EXIT_INPUT,
    EXIT_MODEL,
    EmptyIndexError,
    EvalSetError,
    IndexBusyError,
    IndexDamagedError,
    IndexMismatchError,
    InputError,
    LLMServerError,
    ModelError,
    QuestionError,
    SearchIndexError,
    YoujuError,
)


def test_import_youju_is_light_and_lists_everything_public() -> None:
    code = ("import sys, youju; print(youju.__version__); print(sorted(youju.__all__)); "
            "print(','.join(m for m in ('torch', 'numpy', 'gradio', 'transformers', 'faiss') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    version, names, heavy = out.stdout.splitlines()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version) and heavy == ""
    for name in ("Youju", "Settings", "Document", "Chunk", "Hit", "Citation", "Answer", "IngestReport", "DocInfo",
                 "EvalRun", "MetricValue", "ModeSummary", "AnswerStream", "YoujuError", "InputError"):
        assert f"'{name}'" in names
    for name in youju.__all__:
        assert getattr(youju, name) is not None
    with pytest.raises(AttributeError):
        youju.NoSuchThing  # noqa: B018


def test_facade_help_reads_like_documentation() -> None:
    doc = youju.Youju.__doc__ or ""
    for method in ("ingest", "ask", "stream", "retrieve", "documents", "remove", "evaluate", "feedback", "close"):
        assert f"`{method}(" in doc, method
    assert youju.Youju.ask.__doc__ and youju.Youju.stream.__doc__ and youju.Youju.prepare.__doc__


def test_settings_take_strings_and_sections_and_the_environment(tmp_path: Path) -> None:
    s = Settings(home=str(tmp_path))
    assert s.home == tmp_path and s.index_dir == tmp_path / "index"
    env = {"YOUJU_HOME": str(tmp_path / "env-home"), "YOUJU_TOP_K": "3", "YOUJU_CHUNK_SIZE": "300"}
    s = Settings.from_env(env, {"home": None, "retrieval.mode": "dense"})  # None: keep what the environment says
    assert s.home == tmp_path / "env-home" and s.retrieval.top_k == 3 and s.retrieval.mode == "dense"
    assert s.chunking.size == 300 and s.chunking.max_size == 600
    with pytest.raises(InputError, match="YOUJU_LANG must be one of zh, en"):
        Settings(lang="fr")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown setting"):
        s.with_({"retrieval.nope": 1})
    with pytest.raises(InputError, match="YOUJU_TOP_K must be at least 1"):
        s.with_({"retrieval.top_k": 0})


def test_options_are_keyword_only(engine) -> None:
    with pytest.raises(TypeError):
        engine.ask("南京", None, 3)  # type: ignore[misc]


def test_facade_is_a_context_manager_and_streams_typed_pieces(hashing_settings, corpus: Path) -> None:
    with youju.Youju(hashing_settings, log=lambda m: None) as yj:
        yj.ingest([corpus], progress=False)
        stream = yj.stream("成都至德眉资的动车要多久?", k=3)
        pieces = list(stream)
        answer = stream.answer
        assert all(isinstance(p, str) for p in pieces)
        assert isinstance(answer, youju.Answer) and answer.text.startswith("".join(pieces)[:5])
        assert yj.info().documents == 5
    assert yj._index is None  # closed on the way out


def test_records_round_trip_through_their_dicts(engine, corpus: Path) -> None:
    engine.settings = engine.settings.with_({"answer.min_answerable": 0.0})
    engine.ingest([corpus], progress=False)
    answer = engine.ask("成都至德眉资的动车要多久?")
    assert youju.Answer.from_dict(answer.to_dict()).to_dict() == answer.to_dict()
    doc = engine.documents()[0]
    assert youju.DocInfo.from_dict(doc.to_dict()) == doc
    report = engine.ingest([corpus], progress=False)
    assert youju.IngestReport.from_dict(report.to_dict()).to_dict() == report.to_dict()


def test_the_error_tree_and_its_exit_codes() -> None:
    for cls in (EvalSetError, QuestionError):
        assert issubclass(cls, InputError) and cls.exit_code == EXIT_INPUT
    for cls in (EmptyIndexError, IndexMismatchError, IndexBusyError, IndexDamagedError):
        assert issubclass(cls, SearchIndexError) and cls.exit_code == EXIT_INDEX
    assert issubclass(LLMServerError, ModelError) and LLMServerError.exit_code == EXIT_MODEL
    assert all(issubclass(c, YoujuError) for c in (InputError, SearchIndexError, ModelError))
    err = EmptyIndexError("err.no_index", path="/x")
    assert str(err) == err.text("en") and "youju ingest" in str(err) and "/x 处没有索引" in err.text("zh")
    assert err.context == {"path": "/x"}


def test_every_error_message_has_both_languages() -> None:
    from youju.i18n import MESSAGES

    for key, entry in MESSAGES.items():
        assert entry.get("zh") and entry.get("en"), key
    used = set()
    for path in (REPO / "youju").rglob("*.py"):
        used |= set(re.findall(r"Error\(\"(err\.[a-z_.]+)\"", path.read_text(encoding="utf-8")))
    assert used and used <= set(MESSAGES), used - set(MESSAGES)


def test_layer_rule_holds() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from check_layers import violations
    finally:
        sys.path.pop(0)
    assert violations() == []


def _readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_python_example_runs_as_written(tmp_path: Path) -> None:
    code = _readme_example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 12
    code = code.replace('"/tmp/youju-demo"', repr(str(tmp_path / "home")))
    env = {"YOUJU_MODEL": "hashing:256", "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "home" / "index" / "chunks.sqlite").exists()
    assert "recall@5" in out.stdout
    assert CORPUS.is_dir()


def test_readme_lists_every_setting_and_no_other() -> None:
    import typing
    from dataclasses import fields, is_dataclass

    from youju.config import Settings

    def names(cls: type) -> set[str]:
        hints = typing.get_type_hints(cls)
        out = set()
        for f in fields(cls):
            if is_dataclass(hints[f.name]):
                out |= names(hints[f.name])
            elif "env" in f.metadata:
                out.add(f.metadata["env"])
        return out

    section = (REPO / "README.md").read_text(encoding="utf-8").split("### Settings", 1)[1].split("\n## ", 1)[0]
    secrets = {"YOUJU_LLM_API_KEY", "YOUJU_API_TOKEN", "YOUJU_MILVUS_TOKEN"}  # read from the environment only, never kept in Settings
    listed = set(re.findall(r"`(YOUJU_[A-Z_]+)", section)) - {"YOUJU_DEBUG"} - secrets
    assert listed == names(Settings)
