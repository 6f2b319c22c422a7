"""Errors a user can cause, as one tree under `YoujuError` (the way httpx draws its own):

    YoujuError                      exit 1   anything youju reports without a traceback
    ├── InputError                  exit 2   an argument, file, question or setting that cannot be used
    │   ├── EvalSetError            exit 2   a line of an evaluation set (carries `line`)
    │   └── QuestionError           exit 2   an empty, punctuation-only or over-long question
    ├── SearchIndexError            exit 3   the index folder cannot be used as it is
    │   ├── EmptyIndexError         exit 3   no index yet, or no documents in it
    │   ├── IndexMismatchError      exit 3   built by another embedding model or format version
    │   ├── IndexBusyError          exit 3   another process is writing to it
    │   └── IndexDamagedError       exit 3   a damaged file (says how to recover)
    └── ModelError                  exit 4   an embedding model or LLM that cannot be prepared or used
        └── LLMServerError          exit 4   an OpenAI-compatible server that is down or refuses

Other exit codes of the command line: 0 success; 1 an ingest where some file failed or was
skipped (the rest is indexed); 5 an evaluation below its --fail-under thresholds; 130
interrupted (Ctrl-C). docs/RELIABILITY.md lists them with what to do.

Every error is built from a message key in `youju.i18n.MESSAGES` (one table holds the Chinese
and English of every message) and the context it carries (path, line, model, ...), which are
also attributes of the exception: `exc.context["path"]`. `str(exc)` is the English message;
`exc.text("zh")` the Chinese one."""

from __future__ import annotations

from typing import Any

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_INPUT = 2
EXIT_INDEX = 3
EXIT_MODEL = 4
EXIT_QUALITY = 5
EXIT_INTERRUPTED = 130


class YoujuError(Exception):
    """Base of every error youju reports to a user as one line."""

    exit_code = 1
    key = "err.generic"

    def __init__(self, key: str | None = None, /, **context: Any) -> None:
        self.key = key or type(self).key
        self.context = context
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        from youju.i18n import t

        return t(self.key, lang, **self.context)


class InputError(YoujuError):
    """An argument, file, question or setting that cannot be used as given."""

    exit_code = 2


class EvalSetError(InputError):
    """A problem on one line of an evaluation set (`context["line"]`)."""


class QuestionError(InputError):
    """A question youju cannot work with: empty, punctuation only, or far too long."""


class SearchIndexError(YoujuError):
    """An index that is missing, busy, damaged or built with another model."""

    exit_code = 3


class EmptyIndexError(SearchIndexError):
    """No index at the path yet, or it holds no documents."""


class IndexMismatchError(SearchIndexError):
    """The index was built with another embedding model or format version."""


class IndexBusyError(SearchIndexError):
    """Another process is writing to the index."""


class IndexDamagedError(SearchIndexError):
    """A file of the index is damaged; the message names the way to recover."""


class ModelError(YoujuError):
    """An embedding model or LLM that cannot be prepared, loaded or run."""

    exit_code = 4


class LLMServerError(ModelError):
    """An OpenAI-compatible model server that is down, slow, or does not know the model."""
