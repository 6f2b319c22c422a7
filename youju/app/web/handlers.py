"""What the chat page does, as plain functions of the facade and one browser session's state:
no Gradio here, so every handler is testable on its own. `layout.py` wires them to the page."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from youju.api import Youju
from youju.app.render import DocText
from youju.app.uploads import store_uploads
from youju.app.web.html import TurnView, chat_html, conversation_markdown, document_html, sources_html
from youju.chat.conversation import Conversation
from youju.config import ComposerName
from youju.engine import Progress
from youju.errors import YoujuError
from youju.i18n import t
from youju.records import IngestReport


@dataclass
class Session:
    """What one browser session owns: its conversation and which source is selected."""

    conversation: Conversation
    turns: list[TurnView] = field(default_factory=list)
    selected: tuple[int, int | None] | None = None  # (answer index, citation number)


@dataclass(frozen=True)
class AskOptions:
    """The settings tab, per session: passages, composer, LLM folder, document filter."""

    k: int
    composer: ComposerName = "extractive"
    llm: str = ""
    documents: tuple[str, ...] = ()
    show_all: bool = False
    lang: str = "zh"


@dataclass(frozen=True)
class ChatUpdate:
    """One step of an answer being written: the conversation, the sources panel when it
    changes, and a question to put back in the box (after a failure) or to clear ("")."""

    chat: str
    sources: str | None = None
    question: str | None = None
    warning: str | None = None


@dataclass
class IngestOutcome:
    rows: list[list[str]]  # file, result, detail
    warnings: list[str] = field(default_factory=list)


def new_session(yj: Youju) -> Session:
    return Session(yj.conversation())


def doc_text(yj: Youju) -> DocText:
    def text(doc_id: str) -> str:
        doc = yj.document(doc_id)
        return doc.text if doc else ""

    return text


def doc_choices(yj: Youju) -> list[tuple[str, str]]:
    try:
        return [(f"{d.source} · {d.title}", d.id) for d in yj.documents()]
    except YoujuError:
        return []


def doc_rows(yj: Youju) -> list[list[str | int]]:
    try:
        return [[d.source, d.title, d.chunks] for d in yj.documents()]
    except YoujuError:
        return []


def status_html(yj: Youju, lang: str) -> str:
    try:
        info = yj.info()
        documents, chunks = info.documents, info.chunks
    except YoujuError:
        documents = chunks = 0
    key = "ui_ready" if chunks else "ui_no_index"
    return f"<div class='yj-status'>{t(key, lang, documents=documents, chunks=chunks)}</div>"


def sources_for(yj: Youju, session: Session, show_all: bool, lang: str) -> str:
    if not session.selected or not session.turns:
        return sources_html(None, 0, doc_text(yj), show_all, None, lang)
    i, n = session.selected
    return sources_html(session.turns[i].answer, i, doc_text(yj), show_all, n, lang)


def prepare(yj: Youju, lang: str, report: Callable[[float | None, str], None]) -> None:
    """First run: prepare the model and index the sample corpus; always warm up. `report`
    gets (share done or None, what is happening)."""
    def progress(p: Progress) -> None:
        if p.stage == "model":
            report(p.done / max(p.total, 1), t("ui_preparing_model", lang, step=p.detail))
        elif p.stage == "index":
            report(p.done / p.total if p.total else None, t("ui_preparing", lang))

    if yj.needs_sample_corpus():
        report(None, t("ui_preparing", lang))
    yj.prepare(progress=progress)


class Preparation:
    """The first-run work (`prepare`) started with the server rather than on the first page
    load, in a thread; a page that loads meanwhile shows its progress and waits for it."""

    def __init__(self, yj: Youju, lang: str) -> None:
        self.state: tuple[float | None, str] = (None, t("ui_preparing", lang))
        self.done = threading.Event()
        self.error: YoujuError | None = None
        threading.Thread(target=self._run, args=(yj, lang), name="youju-prepare", daemon=True).start()

    def _run(self, yj: Youju, lang: str) -> None:
        try:
            prepare(yj, lang, self._report)
        except YoujuError as exc:
            self.error = exc
        except Exception as exc:  # shown on the page, not lost in a thread
            self.error = YoujuError("err.generic", detail=f"{type(exc).__name__}: {exc}")
        finally:
            self.done.set()

    def _report(self, share: float | None, desc: str) -> None:
        self.state = (share, desc)

    def wait(self, report: Callable[[float | None, str], None]) -> None:
        """Block until preparation is done, passing on its progress; raise what it raised."""
        while not self.done.wait(0.3):
            report(*self.state)
        if self.error is not None:
            raise self.error


def ask(yj: Youju, session: Session, question: str, opts: AskOptions) -> Iterator[ChatUpdate]:
    """Stream one answer into the session: the question at once, then the text as it is
    written, then the finished answer with its sources. A failure removes the half-written
    turn and gives the question back."""
    question = (question or "").strip()
    if not question:
        return
    turn = TurnView(question)
    session.turns.append(turn)
    i = len(session.turns) - 1
    yield ChatUpdate(chat_html(session.turns, opts.lang), question="")
    try:
        stream = yj.stream(question, conversation=session.conversation, k=opts.k,
                           documents=list(opts.documents) or None, composer=opts.composer,
                           llm=opts.llm.strip() or None, lang=opts.lang)
        for piece in stream:
            turn.partial += piece
            yield ChatUpdate(chat_html(session.turns, opts.lang))
        turn.answer = stream.answer
    except Exception as exc:
        session.turns.pop()
        message = exc.text(opts.lang) if isinstance(exc, YoujuError) else f"{t('error', opts.lang)}: {exc}"
        yield ChatUpdate(chat_html(session.turns, opts.lang), question=question, warning=message)
        return
    session.selected = (i, turn.answer.citations[0].n if turn.answer.citations else None)
    yield ChatUpdate(chat_html(session.turns, opts.lang), sources_for(yj, session, opts.show_all, opts.lang))


def select_citation(yj: Youju, session: Session, turn: int, n: int, show_all: bool, lang: str) -> str:
    if 0 <= turn < len(session.turns):
        session.selected = (turn, n)
    return sources_for(yj, session, show_all, lang)


def feedback(yj: Youju, session: Session, turn: int, rating: str, n: int, opts: AskOptions) -> bool:
    """Record a rating of answer `turn` (citation `n` for wrong_citation); False if there is
    no such answer."""
    if not 0 <= turn < len(session.turns) or session.turns[turn].answer is None:
        return False
    answer = session.turns[turn].answer
    assert answer is not None
    yj.feedback(rating, answer, cited=n if rating == "wrong_citation" else None,
                context={"k": opts.k, "composer": opts.composer, "documents": list(opts.documents)})
    return True


def open_document(yj: Youju, doc_id: str, start: int | None, end: int | None, lang: str) -> str | None:
    """The viewer's HTML for a document, the span [start, end) marked; None if it is gone."""
    doc = yj.document(doc_id)
    return document_html(doc.title, doc.source, doc.text, start, end, lang) if doc else None


def ingest_paths(yj: Youju, paths: list[Path], lang: str, progress: Callable[[int, int], None]) -> IngestOutcome:
    report = IngestReport()
    outcome = IngestOutcome([])
    try:
        yj.ingest(paths, progress=progress, report=report)
    except YoujuError as exc:
        outcome.warnings.append(exc.text(lang))
    outcome.rows = [[r.source, t("status." + r.status, lang), r.reason_in(lang) or (f"{r.chunks}" if r.chunks else "")]
                    for r in report.results]
    return outcome


def ingest_uploads(yj: Youju, files: list[Path], lang: str, progress: Callable[[int, int], None]) -> IngestOutcome:
    stored = store_uploads(files, yj.settings.uploads_dir, lang)
    outcome = ingest_paths(yj, stored.paths, lang, progress) if stored.paths else IngestOutcome([])
    outcome.warnings[:0] = stored.errors
    return outcome


def remove(yj: Youju, doc_ids: list[str], lang: str) -> tuple[str, bool]:
    """(message, whether it is an error)."""
    try:
        names = yj.remove(doc_ids)
    except YoujuError as exc:
        return exc.text(lang), True
    return t("ui_removed", lang, names="、".join(names)), False


def export(yj: Youju, session: Session, lang: str) -> Path | None:
    """The conversation with its sources as a Markdown file, or None when there is nothing."""
    if not session.turns:
        return None
    path = Path(tempfile.mkdtemp(prefix="youju-")) / f"youju-{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(conversation_markdown(session.turns, doc_text(yj), lang), encoding="utf-8")
    return path
