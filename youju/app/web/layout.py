"""The Gradio page: tabs for the chat, documents, the viewer and settings, wired to the plain
handlers in `handlers.py`. CSS and the page's JavaScript are package data in `static/`.

No `from __future__ import annotations` here: Gradio reads the handlers' annotations to pass
them gr.EventData, and this module is only imported when the chat starts."""

import html
import os
from importlib import resources
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
import gradio as gr

from youju.api import Youju
from youju.app.concurrency import ANSWER_SLOTS
from youju.app.uploads import UPLOAD_TYPES
from youju.app.web import handlers as h
from youju.app.web.html import chat_html, sources_html
from youju.i18n import t


def static(name: str) -> str:
    return resources.files("youju.app.web").joinpath("static", name).read_text(encoding="utf-8")


def notify(message: str, error: bool = False) -> None:
    """A toast. Gradio renders its text as HTML: everything is escaped (a document name could
    carry markup)."""
    (gr.Warning if error else gr.Info)(html.escape(message))


def _opts(k: Any, composer: Any, llm: Any, documents: Any, show_all: Any, lang: str) -> h.AskOptions:
    return h.AskOptions(int(k), composer, llm or "", tuple(documents or ()), bool(show_all), lang)


def build_app(yj: Youju, server_folders: bool = True, preparation: h.Preparation | None = None) -> gr.Blocks:
    """The Blocks app; launch it with `launch`. `server_folders` offers indexing a folder by its
    path on the server: right for a local app, not for one others reach over the network.
    `preparation`: first-run work already started with the server (else a page load starts it)."""
    lang0 = yj.settings.lang

    def lists_update() -> tuple[Any, ...]:
        choices = h.doc_choices(yj)
        return (gr.update(value=h.doc_rows(yj)), gr.update(choices=choices), gr.update(choices=choices),
                gr.update(choices=choices))

    def session_of(session: h.Session | None) -> h.Session:
        return session or h.new_session(yj)

    # --- events -------------------------------------------------------------------------------

    def prepare(lang, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        """On page load: a first run prepares the model and indexes the sample corpus, with a
        progress bar on the page; later runs just warm up so the first answer is fast."""
        report = lambda share, desc: progress(share if share is not None else 0, desc=desc)
        if preparation is not None:
            preparation.wait(report)
        else:
            h.prepare(yj, lang, report)
        return (h.status_html(yj, lang), *lists_update(), gr.update(interactive=True), gr.update(interactive=True))

    def ask(question, session, k, composer, llm, documents, show_all, lang):
        session = session_of(session)
        for step in h.ask(yj, session, question, _opts(k, composer, llm, documents, show_all, lang)):
            if step.warning:
                notify(step.warning, error=True)
            yield (step.chat, gr.update() if step.sources is None else step.sources, session,
                   gr.update() if step.question is None else step.question, gr.update())

    def on_cite(session, show_all, lang, evt: gr.EventData):
        session = session_of(session)
        return h.select_citation(yj, session, int(evt.turn), int(evt.n), show_all, lang), session

    def on_feedback(session, k, composer, documents, lang, evt: gr.EventData):
        opts = _opts(k, composer, "", documents, False, lang)
        if session and h.feedback(yj, session, int(evt.turn), str(evt.rating), int(evt.n), opts):
            notify(t("ui_feedback_saved", lang))

    def on_open_doc(lang, evt: gr.EventData):
        page = h.open_document(yj, str(evt.doc), int(evt.start), int(evt.end), lang)
        if page is None:
            return gr.update(), gr.update(), gr.update()
        return gr.Tabs(selected="viewer"), page, gr.update(value=str(evt.doc))

    def view_doc(doc_id, lang):
        return (h.open_document(yj, doc_id, None, None, lang) or "") if doc_id else ""

    def finish_ingest(outcome: h.IngestOutcome, lang: str) -> tuple[Any, ...]:
        for message in outcome.warnings:
            notify(message, error=True)
        return (outcome.rows, h.status_html(yj, lang), *lists_update())

    def ingest_files(files, lang, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        if not files:
            return ([], h.status_html(yj, lang), *lists_update())
        paths = [Path(f if isinstance(f, str) else f.name) for f in files]
        return finish_ingest(h.ingest_uploads(yj, paths, lang, _chunk_progress(progress, lang)), lang)

    def ingest_folder(folder, lang, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        if not server_folders or not (folder or "").strip():
            return ([], h.status_html(yj, lang), *lists_update())
        outcome = h.ingest_paths(yj, [Path(folder.strip()).expanduser()], lang, _chunk_progress(progress, lang))
        return finish_ingest(outcome, lang)

    def remove_docs(doc_ids, lang):
        if doc_ids:
            message, error = h.remove(yj, list(doc_ids), lang)
            notify(message, error)
        return (h.status_html(yj, lang), *lists_update(), gr.update(value=[]))

    def clear(lang):
        return chat_html([], lang), sources_html(None, 0, h.doc_text(yj), False, None, lang), h.new_session(yj)

    def export(session, lang):
        path = h.export(yj, session_of(session), lang)
        return gr.update(value=str(path), visible=True) if path else gr.update(visible=False)

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
                        chat = gr.HTML(chat_html([], lang0), js_on_load=static("chat.js"), elem_id="yj-chat")
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
                        sources = gr.HTML(sources_html(None, 0, h.doc_text(yj), False, None, lang0),
                                          js_on_load=static("sources.js"), elem_id="yj-sources")
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
                s = yj.settings
                k = gr.Slider(1, 10, value=s.retrieval.top_k, step=1, label=t("ui_k", lang0))
                composer = gr.Radio([(t("ui_composer_extractive", lang0), "extractive"),
                                     (t("ui_composer_llm", lang0), "llm")], value=s.answer.composer,
                                    label=t("ui_composer", lang0))
                llm_path = gr.Textbox(s.llm.model, label=t("ui_llm_path", lang0))
                doc_filter = gr.Dropdown([], multiselect=True, label=t("ui_doc_filter", lang0))

        lists = [docs, to_remove, viewer_pick, doc_filter]
        ask_inputs = [question, session, k, composer, llm_path, doc_filter, show_all, lang]
        ask_outputs = [chat, sources, session, question, status]
        demo.load(prepare, [lang], [status, *lists, question, send], concurrency_limit=1, concurrency_id="ingest")
        # Answers share one queue sized to the cores (the page shows each waiting user its place):
        # more answers side by side than cores only makes every answer slower.
        question.submit(ask, ask_inputs, ask_outputs, concurrency_limit=ANSWER_SLOTS, concurrency_id="answer")
        send.click(ask, ask_inputs, ask_outputs, concurrency_limit=ANSWER_SLOTS, concurrency_id="answer")
        chat.cite(on_cite, [session, show_all, lang], [sources, session])
        chat.feedback(on_feedback, [session, k, composer, doc_filter, lang], None)
        sources.feedback(on_feedback, [session, k, composer, doc_filter, lang], None)
        # scrolled after the tab switch has made the viewer visible
        sources.open_doc(on_open_doc, [lang], [tabs, viewer, viewer_pick]).then(None, js=static("scroll_to_focus.js"))
        show_all.change(lambda s, a, lg: h.sources_for(yj, session_of(s), a, lg), [session, show_all, lang], sources)
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
            session = session_of(session)
            choices = [(t("ui_composer_extractive", new_lang), "extractive"), (t("ui_composer_llm", new_lang), "llm")]
            return (new_lang, f"### {t('ui_title', new_lang)}", h.status_html(yj, new_lang),
                    chat_html(session.turns, new_lang), h.sources_for(yj, session, show_all_value, new_lang),
                    gr.update(choices=choices, label=t("ui_composer", new_lang)), *updates)

        lang_pick.change(relabel, [lang_pick, session, show_all],
                         [lang, title, status, chat, sources, composer, *[c for c, _, _ in labelled]])
    return demo


def _chunk_progress(progress: Any, lang: str):
    return lambda done, total: progress((done, total) if total else 0, desc=t("ui_busy", lang), unit="chunks")


def launch(yj: Youju, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           auth: tuple[str, str] | None = None, open_browser: bool = False) -> Any:
    local = host in ("127.0.0.1", "localhost", "::1") and not share
    preparation = h.Preparation(yj, yj.settings.lang)  # model and index ready before the first page or API call
    demo = build_app(yj, server_folders=local, preparation=preparation)
    demo.queue(default_concurrency_limit=8)  # light events (citations, documents) side by side
    return demo.launch(server_name=host, server_port=port, share=share, auth=auth, inbrowser=open_browser,
                       ssr_mode=False, css=static("style.css"), footer_links=[], max_file_size="200mb", quiet=True,
                       prevent_thread_lock=False)
