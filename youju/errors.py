"""Errors a user can cause. The CLI prints them as one line; each message says what to do."""

from __future__ import annotations


class YoujuError(Exception):
    """Base of every error youju reports to a user without a traceback. The message is
    English; `zh` optionally gives the Chinese a Chinese-speaking user sees."""

    exit_code = 1

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" and self.zh else str(self)


class InputError(YoujuError):
    """A file or argument that cannot be used as given."""


class ModelError(YoujuError):
    """An embedding or generative model that cannot be prepared or loaded."""


class IndexError_(YoujuError):
    """An index that is missing, busy, damaged or built with another model."""


class IndexMismatchError(IndexError_):
    """The index was built with another embedding model or chunking."""


class IndexBusyError(IndexError_):
    """Another process is writing to the index."""


class EmptyIndexError(IndexError_):
    """The index holds no documents yet."""
