"""One normalisation step for text that reaches the index or a question: invisible characters
removed without splitting words (zero-width spaces and joiners, the byte-order mark, bidi
controls, soft hyphens, terminal escape sequences, other control characters), and for questions
NFKC as well (full-width letters and digits, compatibility forms), so that `南\u200b京` and `南京`,
or `２０２５年` and `2025年`, are the same question."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and formatting characters that never belong to a word: ZWSP, ZWNJ, ZWJ, word
# joiner, BOM, soft hyphen, Mongolian vowel separator, bidi embeddings/overrides/isolates/marks.
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u202a-\u202e\u2066-\u2069"
                       "\u2061-\u2064]")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_invisible(text: str, keep_form_feed: bool = False) -> str:
    """Remove invisible and control characters (tabs and line breaks stay; form feeds too when
    asked: the PDF loader separates pages with them)."""
    text = ANSI_ESCAPE.sub("", INVISIBLE.sub("", text))
    if keep_form_feed:
        return re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]", "", text)
    return CONTROL.sub("", text)


def normalise_question(text: str) -> str:
    """A question as the pipeline sees it: invisible characters gone, NFKC, spaces collapsed."""
    text = unicodedata.normalize("NFKC", strip_invisible(text))
    return re.sub(r"\s+", " ", text).strip()
