"""有据 youju: cited answers from your own documents, fully offline.

    import youju

    with youju.Youju(home="/tmp/youju") as yj:
        yj.ingest(["data/corpus"])
        answer = yj.ask("南京都市圈的面积有多大?")
        print(answer.text)                      # 面积2.7万平方公里。[1]
        for c in answer.citations:              # each [n] is a verbatim span of a document
            print(c.n, c.source, c.start, c.end, c.quote)

Everything public is importable from here; attributes load on first use, so `import youju`
stays instant (no torch, no numpy)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# name -> module that defines it
_EXPORTS = {
    "Youju": "youju.api",
    "AnswerStream": "youju.engine", "Progress": "youju.engine", "IndexInfo": "youju.engine",
    "Settings": "youju.config", "ChunkingSettings": "youju.config", "RetrievalSettings": "youju.config",
    "AnswerSettings": "youju.config", "LLMSettings": "youju.config",
    "Document": "youju.records", "Chunk": "youju.records", "Hit": "youju.records", "Retrieval": "youju.records",
    "Citation": "youju.records", "AnswerSentence": "youju.records", "Answer": "youju.records",
    "DocInfo": "youju.records", "FileResult": "youju.records", "IngestReport": "youju.records",
    "Conversation": "youju.chat.conversation",
    "EvalRun": "youju.evaluation.results", "EvalRecord": "youju.evaluation.results",
    "ModeSummary": "youju.evaluation.results", "MetricValue": "youju.evaluation.results",
    "RunConfig": "youju.evaluation.results", "Feedback": "youju.evaluation.feedback",
    "YoujuError": "youju.errors", "InputError": "youju.errors", "EvalSetError": "youju.errors",
    "QuestionError": "youju.errors", "SearchIndexError": "youju.errors", "EmptyIndexError": "youju.errors",
    "IndexMismatchError": "youju.errors", "IndexBusyError": "youju.errors", "IndexDamagedError": "youju.errors",
    "ModelError": "youju.errors", "LLMServerError": "youju.errors",
}
__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from youju.api import Youju
    from youju.chat.conversation import Conversation
    from youju.config import AnswerSettings, ChunkingSettings, LLMSettings, RetrievalSettings, Settings
    from youju.engine import AnswerStream, IndexInfo, Progress
    from youju.errors import (
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
    from youju.evaluation.feedback import Feedback
    from youju.evaluation.results import EvalRecord, EvalRun, MetricValue, ModeSummary, RunConfig
    from youju.records import (
        Answer,
        AnswerSentence,
        Chunk,
        Citation,
        DocInfo,
        Document,
        FileResult,
        Hit,
        IngestReport,
        Retrieval,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'youju' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
