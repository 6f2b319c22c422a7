"""The keyword side of retrieval: the two FTS5 columns a chunk contributes (jieba words and CJK
bigrams) and the MATCH expression for a question. Both sides are folded to simplified
characters, so 臺灣鐵路 and 台湾铁路 are the same terms."""

from __future__ import annotations

from youju.text.script import to_simplified
from youju.text.tokens import bigrams, strip_question_words, words


def fts_document(text: str) -> tuple[str, str]:
    """The two columns a chunk contributes to the FTS5 index."""
    text = to_simplified(text)
    return " ".join(words(text)), " ".join(bigrams(text))


def query_terms(text: str) -> tuple[list[str], list[str]]:
    """A question's keyword terms, each once: its content words and the bigrams of its text
    without question words (what every keyword backend searches for)."""
    pairs = [b for b in bigrams(to_simplified(strip_question_words(text))) if len(b) == 2]
    return (list(dict.fromkeys(words(to_simplified(text), drop_question_words=True, search_mode=False))),
            list(dict.fromkeys(pairs)))


def fts_query(text: str, use_bigrams: bool = True) -> str | None:
    """An FTS5 MATCH expression: any of the question's content words or bigrams (quoted, so
    no token is read as query syntax). None when the question has no usable keyword."""
    q_words, q_bigrams = query_terms(text)
    terms = [f'words:"{_quote(w)}"' for w in q_words]
    if use_bigrams:
        terms += [f'bigrams:"{_quote(b)}"' for b in q_bigrams]
    return " OR ".join(terms) if terms else None


def _quote(token: str) -> str:
    return token.replace('"', '""')
