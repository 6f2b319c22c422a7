"""The Gradio chat: streamed cited answers, the sources panel, documents (upload, folder,
remove, viewer), settings, feedback and export. Every action calls the same Engine methods
as the CLI; this module only wires them to the page. One Engine (one model, one index) serves
every session; a session keeps only its own conversation.

No `from __future__ import annotations` here: Gradio reads the handlers' annotations to pass
them gr.EventData, and this module is only imported when the chat starts."""

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
import gradio as gr  # noqa: E402

from youju.chat.conversation import Conversation
from youju.chat.ui_render import CSS, TurnView, chat_html, conversation_markdown, document_html, sources_html
from youju.engine import Engine
from youju.errors import InputError, YoujuError
from youju.i18n import t
from youju.records import Answer

_UNSAFE = re.compile(r"[^\w\u3400-\u9fff.()（）\-]+")
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"]
CHAT_JS = """
element.addEventListener('click', (e) => {
  const cite = e.target.closest('.yj-cite');
  if (cite) { e.preventDefault(); trigger('cite', {turn: +cite.dataset.turn, n: +cite.dataset.n}); return; }
  const fb = e.target.closest('.yj-fb');
  if (fb) { fb.classList.add('yj-done'); trigger('feedback', {turn: +fb.dataset.turn, rating: fb.dataset.rating, n: +(fb.dataset.n || 0)}); }
});
watch('value', () => { const box = element.querySelector('.yj-chat'); if (box) box.scrollTop = box.scrollHeight; });
"""
SOURCES_JS = """
element.addEventListener('click', (e) => {
  const open = e.target.closest('.yj-open');
  if (open) { trigger('open_doc', {doc: open.dataset.doc, start: +open.dataset.start, end: +open.dataset.end}); return; }
  const fb = e.target.closest('.yj-fb');
  if (fb) { fb.classList.add('yj-done'); trigger('feedback', {turn: +fb.dataset.turn, rating: fb.dataset.rating, n: +(fb.dataset.n || 0)}); }
});
watch('value', () => { const s = element.querySelector('.yj-selected'); if (s) s.scrollIntoView({block: 'nearest'}); });
"""
SCROLL_TO_FOCUS = """() => setTimeout(() => {
  const m = document.querySelector('#yj-viewer #yj-focus'); if (m) m.scrollIntoView({block: 'center'}); }, 150)"""


@dataclass
class Session:
    """What one browser session owns: its conversation and which source is selected."""

    conversation: Conversation
    turns: list[TurnView] = field(default_factory=list)
    selected: "tuple[int, int | None] | None" = None  # (answer index, citation number)


def safe_upload_name(name: str) -> str:
    """A file name that cannot leave the upload folder: no directories, no dot-dot, no odd
    characters; the extension is kept."""
    base = Path(str(name).replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip("._ ") or "upload"
    stem, dot, ext = base.rpartition(".")
    return (stem[:100] + dot + ext[:10]) if dot else base[:110]


def store_upload(src: Path, upload_dir: Path) -> Path:
    upload_dir = upload_dir.resolve()
    upload_dir.mkdir(parents=True, exist_ok=True)
    dest = (upload_dir / safe_upload_name(Path(src).name)).resolve()
    if dest.parent != upload_dir:  # belt and braces: the name above has no separators left
        raise InputError(f"refusing to write outside the upload folder: {src}")
    shutil.copyfile(src, dest)
    return dest


def store_uploads(srcs: list[Path], upload_dir: Path, lang: str) -> tuple[list[Path], list[str]]:
    """Copy each upload in; a file that fails (e.g. a full disk) becomes a message, not a lost
    batch: the others are still returned for indexing."""
    stored, errors = [], []
    for src in srcs:
        try:
            stored.append(store_upload(src, upload_dir))
        except YoujuError as exc:
            errors.append(exc.text(lang))
        except OSError as exc:
            errors.append(f"{t('error', lang)}: {Path(src).name}: {exc.strerror or exc}")
    return stored, errors


def build_app(engine: Engine, server_folders: bool = True):
    """The Blocks app; launch it with `launch`. `server_folders` offers indexing a folder by its
    path on the server: right for a local app, not for one others reach over the network."""
    lang0 = engine.settings.lang
    upload_dir = engine.settings.home / "uploads"
    feedback_file = engine.settings.feedback_file

    def doc_text(doc_id: str) -> str:
        doc = engine.document(doc_id)
        return doc.text if doc else ""

    def doc_choices() -> list[tuple[str, str]]:
        try:
            return [(f"{d.source} · {d.title}", d.id) for d in engine.documents()]
        except YoujuError:
            return []

    def doc_rows(lang: str) -> list[list]:
        try:
            return [[d.source, d.title, d.chunks] for d in engine.documents()]
        except YoujuError:
            return []

    def status_text(lang: str) -> str:
        try:
            counts = engine.index_for_reading().store.counts()
        except YoujuError:
            counts = {"documents": 0, "chunks": 0}
        key = "ui_ready" if counts["chunks"] else "ui_no_index"
        return f"<div class='yj-status'>{t(key, lang, **counts)}</div>"

    def lists_update(lang: str):
        choices = doc_choices()
        return (gr.update(value=doc_rows(lang)), gr.update(choices=choices), gr.update(choices=choices),
                gr.update(choices=choices))

    def new_session() -> Session:
        return Session(Conversation(engine.settings.history_turns))

    def render_sources(session: Session, show_all: bool, lang: str) -> str:
        if not session.selected or not session.turns:
            return sources_html(None, 0, doc_text, show_all, None, lang)
        i, n = session.selected
        return sources_html(session.turns[i].answer, i, doc_text, show_all, n, lang)

    # --- handlers ---------------------------------------------------------------------------

    def prepare(lang, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """On page load: a first run prepares the model and indexes the sample corpus, with a
        progress bar on the page; later runs just load the model so the first answer is fast."""
        if engine.needs_sample_corpus():
            from youju.config import SAMPLE_CORPUS

            progress(0, desc=t("ui_preparing", lang))
            if engine.settings.model == "default":
                from youju.embeddings import default_model

                steps = iter(range(1, 16))  # embeddings, 12 layers, weights, tokenizer
                default_model.prepare(engine.settings.models_dir, quiet=True, on_step=lambda name: progress(
                    (next(steps, 15), 15), desc=t("ui_preparing_model", lang, step=name), unit="steps"))
            engine.embedder  # noqa: B018 - loads (and on a first run, converts) the model
            engine.ingest([SAMPLE_CORPUS], progress=lambda done, total: progress(
                (done, total) if total else 0, desc=t("ui_preparing", lang), unit="chunks"))
        try:
            engine.ask("预热", k=1)  # loads the model, the FAISS file and jieba: the first real answer is fast
        except YoujuError:
            pass  # empty index: the status says what to do
        return (status_text(lang), *lists_update(lang), gr.update(interactive=True), gr.update(interactive=True))

    def ask(question, session, k, composer, llm_path, doc_filter, show_all, lang):
        session = session or new_session()
        question = (question or "").strip()
        if not question:
            yield gr.update(), gr.update(), session, gr.update(), gr.update()
            return
        if composer == "llm" and llm_path:
            engine.set_llm(llm_path.strip())
        turn = TurnView(question)
        session.turns.append(turn)
        i = len(session.turns) - 1
        yield chat_html(session.turns, lang), gr.update(), session, "", gr.update()
        try:
            for item in engine.ask_stream(question, session.conversation, int(k), doc_filter or None, composer,
                                          lang=lang):
                if isinstance(item, Answer):
                    turn.answer = item
                else:
                    turn.partial += item
                    yield chat_html(session.turns, lang), gr.update(), session, gr.update(), gr.update()
        except Exception as exc:  # noqa: BLE001 - the page must never keep a half-written turn
            session.turns.pop()
            message = exc.text(lang) if isinstance(exc, YoujuError) else f"{t('error', lang)}: {exc}"
            gr.Warning(message)
            yield chat_html(session.turns, lang), gr.update(), session, question, gr.update()
            return
        session.selected = (i, turn.answer.citations[0].n if turn.answer.citations else None)
        yield (chat_html(session.turns, lang), render_sources(session, show_all, lang), session, gr.update(),
               gr.update())

    def on_cite(session, show_all, lang, evt: gr.EventData):
        if session and 0 <= int(evt.turn) < len(session.turns):
            session.selected = (int(evt.turn), int(evt.n))
        return render_sources(session or new_session(), show_all, lang), session

    def on_feedback(session, k, composer, doc_filter, lang, evt: gr.EventData):
        from youju.evaluation.feedback import save_feedback

        if not session or not 0 <= int(evt.turn) < len(session.turns):
            return
        answer = session.turns[int(evt.turn)].answer
        if answer is None:
            return
        settings = {"k": int(k), "composer": composer, "documents": doc_filter or [],
                    "model": engine.embedder_name, "retrieval": engine.settings.retrieval}
        cited = int(evt.n) if evt.rating == "wrong_citation" else None
        save_feedback(feedback_file, evt.rating, answer, settings, cited=cited)
        gr.Info(t("ui_feedback_saved", lang))

    def on_open_doc(lang, evt: gr.EventData):
        doc = engine.document(str(evt.doc))
        if doc is None:
            return gr.update(), gr.update(), gr.update()
        html = document_html(doc.title, doc.source, doc.text, int(evt.start), int(evt.end), lang)
        return gr.Tabs(selected="viewer"), html, gr.update(value=doc.id)

    def view_doc(doc_id, lang):
        doc = engine.document(doc_id) if doc_id else None
        return document_html(doc.title, doc.source, doc.text, None, None, lang) if doc else ""

    def run_ingest(paths: list[Path], lang, progress):
        from youju.ingest.pipeline import IngestReport

        report = IngestReport()
        try:
            engine.ingest(paths, progress=lambda done, total: progress(
                (done, total) if total else 0, desc=t("ui_busy", lang), unit="chunks"), report=report)
        except YoujuError as exc:
            gr.Warning(exc.text(lang))
        rows = [[r.source, t("status." + r.status, lang), r.reason or (f"{r.chunks}" if r.chunks else "")]
                for r in report.results]
        return (rows, status_text(lang), *lists_update(lang))

    def ingest_files(files, lang, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        if not files:
            return ([], status_text(lang), *lists_update(lang))
        paths = [Path(f if isinstance(f, str) else f.name) for f in files]
        stored, errors = store_uploads(paths, upload_dir, lang)
        for message in errors:
            gr.Warning(message)
        return run_ingest(stored, lang, progress)

    def ingest_folder(folder, lang, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        if not server_folders or not (folder or "").strip():
            return ([], status_text(lang), *lists_update(lang))
        return run_ingest([Path(folder.strip()).expanduser()], lang, progress)

    def remove_docs(doc_ids, lang):
        if doc_ids:
            try:
                names = engine.remove(list(doc_ids))
                gr.Info(t("ui_removed", lang, names="、".join(names)))
            except YoujuError as exc:
                gr.Warning(exc.text(lang))
        return (status_text(lang), *lists_update(lang), gr.update(value=[]))

    def clear(lang):
        session = new_session()
        return chat_html([], lang), sources_html(None, 0, doc_text, False, None, lang), session

    def export(session, lang):
        if not session or not session.turns:
            return gr.update(visible=False)
        path = Path(tempfile.mkdtemp(prefix="youju-")) / f"youju-{time.strftime('%Y%m%d-%H%M%S')}.md"
        path.write_text(conversation_markdown(session.turns, doc_text, lang), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    # --- layout -------------------------------------------------------------------------------

    with gr.Blocks(title="有据 youju", analytics_enabled=False) as demo:
        session = gr.State(None)
        lang = gr.State(lang0)
        with gr.Row():
            title = gr.Markdown(f"### {t('ui_title', lang0)}")
            lang_pick = gr.Radio([("中文", "zh"), ("English", "en")], value=lang0, show_label=False, container=False,
                                 elem_id="yj-lang", scale=0, min_width=180)
        status = gr.HTML(f"<div class='yj-status'>{t('ui_busy', lang0)}</div>", elem_id="yj-status")
        with gr.Tabs(selected="chat") as tabs:
            with gr.Tab(t("ui_tab_chat", lang0), id="chat") as tab_chat:
                with gr.Row():
                    with gr.Column(scale=3):
                        chat = gr.HTML(chat_html([], lang0), js_on_load=CHAT_JS, elem_id="yj-chat")
                        with gr.Row():
                            question = gr.Textbox(label=t("ui_question", lang0), placeholder=t("ui_question_hint", lang0),
                                                  lines=1, scale=5, interactive=False, elem_id="yj-question")
                            send = gr.Button(t("ui_send", lang0), variant="primary", scale=1, interactive=False,
                                             elem_id="yj-send")
                        with gr.Row():
                            new = gr.Button(t("ui_clear", lang0), size="sm")
                            export_btn = gr.Button(t("ui_export", lang0), size="sm")
                            export_file = gr.File(label=None, show_label=False, visible=False, elem_id="yj-export")
                    with gr.Column(scale=2):
                        show_all = gr.Checkbox(False, label=t("ui_show_all", lang0))
                        sources = gr.HTML(sources_html(None, 0, doc_text, False, None, lang0), js_on_load=SOURCES_JS,
                                          elem_id="yj-sources")
            with gr.Tab(t("ui_tab_docs", lang0), id="docs") as tab_docs:
                with gr.Row():
                    with gr.Column():
                        upload = gr.File(label=t("ui_upload", lang0), file_count="multiple", file_types=UPLOAD_TYPES,
                                         elem_id="yj-upload")
                        ingest_btn = gr.Button(t("ui_ingest", lang0), variant="primary", elem_id="yj-ingest")
                        folder = gr.Textbox(label=t("ui_folder", lang0), visible=server_folders)
                        folder_btn = gr.Button(t("ui_ingest_folder", lang0), visible=server_folders)
                        results = gr.Dataframe(headers=[t(k, lang0) for k in ("ui_col_file", "ui_col_status",
                                                                              "ui_col_detail")],
                                               label=t("ui_results", lang0), interactive=False, elem_id="yj-results")
                    with gr.Column():
                        docs = gr.Dataframe(headers=[t(k, lang0) for k in ("ui_col_doc", "ui_col_title", "ui_col_chunks")],
                                            label=t("ui_documents", lang0), interactive=False, elem_id="yj-docs")
                        to_remove = gr.Dropdown([], multiselect=True, label=t("ui_remove_pick", lang0))
                        remove_btn = gr.Button(t("ui_remove", lang0), variant="stop")
            with gr.Tab(t("ui_tab_viewer", lang0), id="viewer") as tab_viewer:
                viewer_pick = gr.Dropdown([], label=t("ui_viewer_pick", lang0), elem_id="yj-viewer-pick")
                viewer = gr.HTML("", elem_id="yj-viewer")
            with gr.Tab(t("ui_tab_settings", lang0), id="settings") as tab_settings:
                k = gr.Slider(1, 10, value=engine.settings.top_k, step=1, label=t("ui_k", lang0))
                composer = gr.Radio([(t("ui_composer_extractive", lang0), "extractive"),
                                     (t("ui_composer_llm", lang0), "llm")], value=engine.settings.composer,
                                    label=t("ui_composer", lang0))
                llm_path = gr.Textbox(engine.settings.llm, label=t("ui_llm_path", lang0))
                doc_filter = gr.Dropdown([], multiselect=True, label=t("ui_doc_filter", lang0))

        lists = [docs, to_remove, viewer_pick, doc_filter]
        ask_inputs = [question, session, k, composer, llm_path, doc_filter, show_all, lang]
        ask_outputs = [chat, sources, session, question, status]
        demo.load(prepare, [lang], [status, *lists, question, send], concurrency_limit=1, concurrency_id="ingest")
        question.submit(ask, ask_inputs, ask_outputs)
        send.click(ask, ask_inputs, ask_outputs)
        chat.cite(on_cite, [session, show_all, lang], [sources, session])
        chat.feedback(on_feedback, [session, k, composer, doc_filter, lang], None)
        sources.feedback(on_feedback, [session, k, composer, doc_filter, lang], None)
        # scrolled after the tab switch has made the viewer visible
        sources.open_doc(on_open_doc, [lang], [tabs, viewer, viewer_pick]).then(None, js=SCROLL_TO_FOCUS)
        show_all.change(lambda s, a, lg: render_sources(s or new_session(), a, lg), [session, show_all, lang], sources)
        new.click(clear, [lang], [chat, sources, session])
        export_btn.click(export, [session, lang], export_file)
        ingest_btn.click(ingest_files, [upload, lang], [results, status, *lists], concurrency_limit=1,
                         concurrency_id="ingest")
        folder_btn.click(ingest_folder, [folder, lang], [results, status, *lists], concurrency_limit=1,
                         concurrency_id="ingest")
        remove_btn.click(remove_docs, [to_remove, lang], [status, *lists, to_remove], concurrency_limit=1,
                         concurrency_id="ingest")
        viewer_pick.input(view_doc, [viewer_pick, lang], viewer)  # not .change: opening a citation sets it too

        labelled = [(question, "ui_question", "ui_question_hint"), (send, "ui_send", None), (new, "ui_clear", None),
                    (export_btn, "ui_export", None), (show_all, "ui_show_all", None), (upload, "ui_upload", None),
                    (ingest_btn, "ui_ingest", None), (folder, "ui_folder", None), (folder_btn, "ui_ingest_folder", None),
                    (to_remove, "ui_remove_pick", None), (remove_btn, "ui_remove", None),
                    (viewer_pick, "ui_viewer_pick", None), (k, "ui_k", None), (llm_path, "ui_llm_path", None),
                    (doc_filter, "ui_doc_filter", None), (tab_chat, "ui_tab_chat", None),
                    (tab_docs, "ui_tab_docs", None), (tab_viewer, "ui_tab_viewer", None),
                    (tab_settings, "ui_tab_settings", None)]

        def relabel(new_lang, session, show_all_value):
            updates = []
            for comp, key, hint in labelled:
                if isinstance(comp, gr.Button):
                    updates.append(gr.update(value=t(key, new_lang)))
                elif hint:
                    updates.append(gr.update(label=t(key, new_lang), placeholder=t(hint, new_lang)))
                else:
                    updates.append(gr.update(label=t(key, new_lang)))
            session = session or new_session()
            choices = [(t("ui_composer_extractive", new_lang), "extractive"), (t("ui_composer_llm", new_lang), "llm")]
            return (new_lang, f"### {t('ui_title', new_lang)}", status_text(new_lang),
                    chat_html(session.turns, new_lang), render_sources(session, show_all_value, new_lang),
                    gr.update(choices=choices, label=t("ui_composer", new_lang)), *updates)

        lang_pick.change(relabel, [lang_pick, session, show_all],
                         [lang, title, status, chat, sources, composer, *[c for c, _, _ in labelled]])
    return demo


def launch(engine: Engine, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           auth: tuple[str, str] | None = None, open_browser: bool = False):
    local = host in ("127.0.0.1", "localhost", "::1") and not share
    demo = build_app(engine, server_folders=local)
    demo.queue(default_concurrency_limit=8)  # questions run side by side; ingest is one at a time
    return demo.launch(server_name=host, server_port=port, share=share, auth=auth, inbrowser=open_browser,
                       ssr_mode=False, css=CSS, footer_links=[], max_file_size="200mb", quiet=True,
                       prevent_thread_lock=False)

