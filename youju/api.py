"""The public facade, `youju.Youju`: the engine (ingest, ask, stream, documents, remove,
first-run preparation) plus evaluation and feedback, which sit a layer above the engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from youju.config import ComposerName, RetrievalMode
from youju.engine import Engine
from youju.evaluation.feedback import Feedback, save_feedback
from youju.evaluation.results import EvalRun
from youju.records import Answer


class Youju(Engine):
    """Cited answers from your own documents, fully offline.

    >>> import youju
    >>> with youju.Youju(home="/tmp/youju-demo") as yj:
    ...     yj.ingest(["data/corpus"])
    ...     answer = yj.ask("南京都市圈的面积有多大?")
    ...     print(answer.text, answer.citations[0].quote)

    Settings come from `youju.Settings` (pass one, or keyword changes such as `home=...`,
    `model=...`, `lang="en"`; YOUJU_* environment variables fill in the rest). Models load on
    first use; `prepare()` does all first-run work up front, with progress. Methods:

    - `ingest(paths, prune=, progress=)` -> IngestReport: index files and folders
    - `ask(question, k=, documents=, composer=, llm=, conversation=)` -> Answer
    - `stream(question, ...)` -> AnswerStream: iterate text pieces, then `.answer`
    - `retrieve(question, k=, documents=, retrieval=)` -> Retrieval: passages only
    - `documents()`, `document(id)`, `remove(ids)`, `info()`: what is indexed
    - `evaluate(set_path, k=, modes=)` -> EvalRun: run an evaluation set
    - `feedback(rating, answer)`: record a rating for `youju eval from-feedback`
    - `conversation()`: a Conversation for follow-up questions
    - `close()` (or use it as a context manager)
    """

    def evaluate(self, eval_set: str | Path, *, k: int | None = None, composer: ComposerName | None = None,
                 modes: Sequence[RetrievalMode] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> EvalRun:
        """Run an evaluation set (JSON lines: question, key facts, verbatim evidence) on the
        current index. `modes` lists retrieval modes, the first being the main one (default:
        the configured mode). `EvalRun.save(folder)` writes it; `youju.evaluation.report`
        renders it."""
        from youju.evaluation.runner import run

        return run(self, Path(eval_set), k=k, composer=composer, modes=modes, progress=progress)

    def feedback(self, rating: str, answer: Answer, *, cited: int | None = None, comment: str | None = None,
                 context: dict[str, Any] | None = None) -> Feedback:
        """Append a rating ("up", "down" or "wrong_citation" of citation `cited`) of an answer to
        <home>/feedback.jsonl; `context` records what produced it (k, composer, documents)."""
        record = Feedback.of(rating, answer, {"model": self.embedder_name,
                                              "retrieval": self.settings.retrieval.mode, **(context or {})},
                             cited, comment)
        save_feedback(self.settings.feedback_file, record)
        return record
