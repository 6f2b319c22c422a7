"""jieba, loaded no more than the text at hand needs.

jieba's full dictionary (half a million entries) takes about 0.9 s to load and its part-of-speech
table another 0.4 s: most of a one-question `youju ask`. Segmenting a sentence only ever looks
up substrings of that sentence (at most 16 characters long, jieba's longest word), so while a
process has seen little text the segmenter works from a *lexicon*: an SQLite copy of jieba's
dictionary (word, frequency, tag; domain words included) from which the substrings of each new
text are fetched before jieba runs. jieba's own code then cuts it, with exactly the entries
the full dictionary would give it, so words and tags are the same (tested against the full
dictionary). After LAZY_CHARS characters, or one long text, the full dictionary is loaded and
the lexicon is no longer used.

The lexicon is written once, whenever the full dictionary has been loaded and no lexicon exists,
in the user's cache folder ($XDG_CACHE_HOME or ~/.cache, under youju/; not the shared temporary
folder, where another user could plant one). Without it everything loads in full, as before.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from youju.sqlbatch import select_in

LAZY_CHARS = 5_000  # text segmented through the lexicon before the full dictionary pays off
_LEXICON_VERSION = 1


class Segmenter:
    """Word cuts (`cut`, `cut_for_search`) and part-of-speech tags (`tag`) from jieba with extra
    words added. Thread-safe. `cache_dir` holds the lexicon (default: `default_cache_dir()`)."""

    def __init__(self, words: Iterable[tuple[str, int, str]], *, cache_dir: Path | None = None,
                 lazy: bool = True) -> None:
        self._words = tuple(words)
        self._cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._lazy_allowed = lazy
        self._lock = threading.RLock()
        self._tok: Any = None  # a jieba.Tokenizer
        self._pos: Any = None  # a jieba.posseg.POSTokenizer over it
        self._lexicon: sqlite3.Connection | None = None
        self._max_len = 0
        self._seen: set[str] = set()  # substrings already fetched from the lexicon
        self._chars = 0  # text segmented through the lexicon

    @property
    def lazy(self) -> bool:
        """True while working from the lexicon (False once the full dictionary is loaded)."""
        self._ensure("")
        return self._lexicon is not None

    @property
    def lexicon_path(self) -> Path:
        import jieba

        key = hashlib.sha1(repr((_LEXICON_VERSION, jieba.__version__, _dict_size(), self._words)).encode())
        return self._cache_dir / f"youju-jieba-{key.hexdigest()[:16]}.sqlite"

    def cut(self, text: str) -> Iterator[str]:
        return self._ensure(text).cut(text)

    def cut_for_search(self, text: str) -> Iterator[str]:
        return self._ensure(text).cut_for_search(text)

    def tokenize(self, text: str, search_mode: bool) -> list[tuple[str, int, int]]:
        """(word, start, end) for each cut (search mode also yields the parts of long words)."""
        return list(self._ensure(text).tokenize(text, mode="search" if search_mode else "default"))

    def tag(self, text: str) -> list[tuple[str, str]]:
        """(word, part-of-speech) pairs (ns: place, nt: organisation, ...)."""
        self._ensure(text)
        return [(p.word, p.flag) for p in self._pos.cut(text)]

    # --- loading ----------------------------------------------------------------------------

    def _ensure(self, text: str) -> Any:
        with self._lock:
            if self._tok is None:
                self._start()
            if self._lexicon is not None:
                self._chars += len(text)
                if self._chars > LAZY_CHARS:
                    self._load_full()
                else:
                    self._fetch(text)
            return self._tok

    def _start(self) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        if self._lazy_allowed and self._open_lexicon():
            self._tok = jieba.Tokenizer()
            self._tok.FREQ, self._tok.total, self._tok.initialized = {}, self._total, True
            self._pos = _pos_tokenizer(self._tok, {})
        else:
            self._load_full()

    def _open_lexicon(self) -> bool:
        path = self.lexicon_path
        if not path.is_file():
            return False
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta"))
            self._total, self._max_len = int(meta["total"]), int(meta["max_len"])
        except (sqlite3.Error, KeyError, ValueError):
            con.close()
            path.unlink(missing_ok=True)  # damaged: the full load below writes a new one
            return False
        self._lexicon = con
        return True

    def _fetch(self, text: str) -> None:
        """Copy every entry the text could look up (its substrings up to the longest word)."""
        wanted = [s for s in substrings(text, self._max_len) if s not in self._seen]
        if not wanted:
            return
        assert self._lexicon is not None
        freq, tags = self._tok.FREQ, self._pos.word_tag_tab
        try:
            for word, f, tag in select_in(self._lexicon, "SELECT word, freq, tag FROM lexicon WHERE word IN ({marks})",
                                          wanted):
                freq[word] = f
                if tag:
                    tags[word] = tag
        except sqlite3.Error:
            self._load_full()  # the lexicon went bad under us: the full dictionary is always right
            return
        self._seen.update(wanted)

    def _load_full(self) -> None:
        import jieba

        tags = _full_dictionary(self._words)
        self._tok = jieba.dt
        self._pos = _pos_tokenizer(jieba.dt, tags)
        if self._lexicon is not None:
            self._lexicon.close()
            self._lexicon = None
        elif self._lazy_allowed:
            self._write_lexicon(tags)
        self._seen.clear()

    def _write_lexicon(self, tags: dict[str, str]) -> None:
        path = self.lexicon_path
        if path.is_file():
            return
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        freq = self._tok.FREQ
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(tmp) as con:
                con.execute("CREATE TABLE lexicon (word TEXT PRIMARY KEY, freq INTEGER, tag TEXT) WITHOUT ROWID")
                con.executemany("INSERT INTO lexicon VALUES (?, ?, ?)",
                                ((w, f, tags.get(w)) for w, f in freq.items()))
                con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                con.executemany("INSERT INTO meta VALUES (?, ?)",
                                [("total", str(self._tok.total)), ("max_len", str(max(map(len, freq))))])
            con.close()
            os.replace(tmp, path)
        except (OSError, sqlite3.Error):
            tmp.unlink(missing_ok=True)  # no lexicon: the next process loads in full too


def substrings(text: str, longest: int) -> set[str]:
    """Every substring of `text` up to `longest` characters: all a dictionary lookup over the
    text can ask for (jieba's and a Unigram tokenizer's)."""
    n = len(text)
    return {text[i:j] for i in range(n) for j in range(i + 1, min(n, i + longest) + 1)}


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "youju"


def _dict_size() -> int:
    import jieba

    try:
        return os.path.getsize(Path(jieba.__file__).with_name("dict.txt"))
    except OSError:
        return 0


_full_lock = threading.Lock()
_full_tags: dict[tuple[tuple[str, int, str], ...], dict[str, str]] = {}


def _full_dictionary(words: tuple[tuple[str, int, str], ...]) -> dict[str, str]:
    """Load jieba's global dictionary and add `words` (once per process: adding a word twice
    would count its frequency twice in jieba's total); return the tag table."""
    import jieba

    with _full_lock:
        if words not in _full_tags:
            if _full_tags:
                raise RuntimeError("jieba's global dictionary already holds another word list")
            jieba.initialize()
            for word, freq, tag in words:
                jieba.add_word(word, freq=freq, tag=tag)
            _full_tags[words] = _word_tags(jieba.dt)
        return _full_tags[words]


def _word_tags(tok: Any) -> dict[str, str]:
    """jieba.posseg's table (dict.txt's third column), the added words' tags over it."""
    tags: dict[str, str] = {}
    with tok.get_dict_file() as f:
        for line in f:
            parts = line.strip().decode("utf-8").split(" ")
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    tags.update(tok.user_word_tag_tab)
    tok.user_word_tag_tab = {}
    return tags


def _pos_tokenizer(tok: Any, tags: dict[str, str]) -> Any:
    """A POSTokenizer over `tok` with the given tag table. Importing jieba.posseg builds a
    tokenizer of its own from dict.txt (0.4 s); it is given an empty file while it is imported
    and its table is shared with ours afterwards."""
    import jieba

    if "jieba.posseg" not in sys.modules:
        jieba.dt.get_dict_file = lambda: io.BytesIO()
        try:
            import jieba.posseg
        finally:
            del jieba.dt.get_dict_file
    import jieba.posseg

    pos = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    pos.tokenizer, pos.word_tag_tab = tok, tags
    if tok is jieba.dt:  # jieba.posseg.cut (for anyone else in the process) gets the same table
        jieba.posseg.dt.word_tag_tab = tags
    return pos
