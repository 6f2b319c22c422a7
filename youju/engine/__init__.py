"""The engine layer: one object that owns the settings, the model and the index, and runs
ingest and answering for every front end."""

from youju.engine.core import AnswerStream, Engine, IndexInfo, Progress, ProgressFn

__all__ = ["AnswerStream", "Engine", "IndexInfo", "Progress", "ProgressFn"]
