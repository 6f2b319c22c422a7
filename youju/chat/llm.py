"""Answers written by a chat model. `ChatComposer` holds what every writer shares: the prompt
(numbered passages, [n] after every claim, no outside knowledge, the exact refusal sentence),
the refusal of weak evidence before the model runs, and the citation parsing and verifier that
whatever the model writes goes through. `TransformersComposer` runs a local causal model
in-process (AutoModelForCausalLM and the tokenizer's chat template, streamed with
TextIteratorStreamer); `youju.chat.llm_server.ServerComposer` asks an OpenAI-compatible server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Self

from youju.chat.candidates import Sources
from youju.chat.composer import TextStream, abstention, drain
from youju.chat.conversation import Turn
from youju.chat.evidence import gather
from youju.chat.questions import QuestionInfo
from youju.chat.verify import Verifier
from youju.config import AnswerSettings, LLMSettings
from youju.embeddings.base import Embedder
from youju.errors import LLMServerError, ModelError
from youju.i18n import t
from youju.modelload import load_model
from youju.records import Answer, Citation, Hit

if TYPE_CHECKING:
    from youju.chat.extractive import ExtractiveComposer

SYSTEM_PROMPT = {
    "zh": ("你是严谨的政策文件问答助手。只能依据用户给出的编号资料回答,不得使用资料以外的任何知识。"
           "每个陈述事实的句子末尾都要用方括号标注所依据资料的编号,例如[1]或[2][3]。"
           "回答要简短:先用一句话直接回答,再给出最多两句补充。"
           "如果资料中没有答案,只回答这一句:{refusal}"),
    "en": ("You answer questions about policy documents strictly from the numbered passages the user gives; "
           "never use outside knowledge. End every sentence that states a fact with the number of its passage "
           "in square brackets, e.g. [1] or [2][3]. Be brief: one sentence that answers, then at most two more. "
           "If the passages do not answer the question, reply with exactly this sentence: {refusal}"),
}
USER_PROMPT = {"zh": "资料:\n{passages}\n\n问题:{question}", "en": "Passages:\n{passages}\n\nQuestion: {question}"}


class ChatComposer:
    """The shared part of every chat-model writer; a subclass supplies `pieces(messages)`."""

    name = "llm"

    def __init__(self, settings: LLMSettings, embedder: Embedder | None, lang: str = "zh",
                 answer: AnswerSettings | None = None) -> None:
        self.model_id = settings.model
        self.embedder = embedder
        self.lang = lang
        self.max_new_tokens = settings.max_new_tokens
        self.max_time = settings.max_time
        self.answer_settings = answer or AnswerSettings()
        self.verifier = Verifier(embedder, no_fact=(t("refusal", lang),), lang=lang)

    def for_lang(self, lang: str) -> Self:
        """The same model, prompting and refusing in another language."""
        if lang == self.lang:
            return self
        import copy

        other = copy.copy(self)
        other.lang = lang
        other.verifier = Verifier(self.embedder, no_fact=(t("refusal", lang),), lang=lang)
        return other

    def pieces(self, messages: list[dict[str, str]]) -> Iterator[str]:
        raise NotImplementedError

    def fallback(self) -> ChatComposer | ExtractiveComposer | None:
        """Who answers when the model cannot be reached before it wrote anything (None: raise)."""
        return None

    def compose(self, question: str, hits: list[Hit], history: list[Turn] | None = None,
                sources: Sources | None = None) -> Answer:
        return drain(self.stream(question, hits, history, sources))

    def stream(self, question: str, hits: list[Hit], history: list[Turn] | None = None,
               sources: Sources | None = None) -> TextStream:
        timings: dict[str, float] = {}
        evidence = gather(question, hits, sources, self.embedder, self.answer_settings, timings=timings)
        if evidence.abstain:  # refused on the same decision as the extractive composer, before the model runs
            answer = abstention(question, evidence, hits, self.lang, self.name, timings,
                                filtered=bool(sources and sources.filtered))
            yield answer.text
            return answer
        t1 = time.perf_counter()
        raw = ""
        notes: tuple[str, ...] = ()
        try:
            for piece in self.pieces(self.messages(question, hits, history)):
                raw += piece
                yield piece
        except LLMServerError as exc:
            fallback = None if raw else self.fallback()
            if fallback is None and not raw:
                raise
            if fallback is not None:  # nothing written yet: the extractive answer, and why
                answer = yield from fallback.stream(question, hits, history, sources)
                return replace(answer, notes=(*answer.notes, t("llm_server_failed", self.lang, error=exc.text(self.lang))))
            notes = (t("llm_server_cut", self.lang, error=exc.text(self.lang)),)  # keep what was written
        timings["compose"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        answer = self.finish(question, raw, hits, evidence.question)
        timings["verify"] = (time.perf_counter() - t2) * 1000
        return replace(answer, timings=timings, notes=answer.notes + notes)

    def messages(self, question: str, hits: list[Hit], history: list[Turn] | None = None) -> list[dict[str, str]]:
        refusal = t("refusal", self.lang)
        passages = "\n\n".join(f"[{i}] {' > '.join(h.chunk.heading_path) or h.title}\n{h.chunk.text}"
                               for i, h in enumerate(hits, start=1))
        msgs = [{"role": "system", "content": SYSTEM_PROMPT[self.lang].format(refusal=refusal)}]
        for turn in (history or [])[-2:]:  # a little context for follow-ups
            msgs += [{"role": "user", "content": turn.standalone}, {"role": "assistant", "content": turn.answer.text}]
        msgs.append({"role": "user", "content": USER_PROMPT[self.lang].format(passages=passages, question=question)})
        return msgs

    def finish(self, question: str, raw: str, hits: list[Hit], info: QuestionInfo | None = None) -> Answer:
        """Turn the model's text into a verified Answer: [n] means passage n; each citation is
        narrowed to the sentence(s) of that passage that support the claim."""
        from youju.chat.citations import split_answer, supporting_span

        text = raw.strip()
        refusal = t("refusal", self.lang)
        if not text or refusal in text:
            verified = self.verifier.verify(refusal, {})
            return Answer(question, verified.text, (), tuple(hits), True, {}, verified.sentences, composer=self.name)
        spans: dict[int, tuple[int, int]] = {}
        for part in split_answer(text):
            for n in part.citations:
                if 1 <= n <= len(hits):  # passage n; anything else points at nothing
                    a, b = supporting_span(part.text, hits[n - 1].chunk)
                    old = spans.get(n, (a, b))
                    spans[n] = (min(a, old[0]), max(b, old[1]))  # cited twice: cover both sentences
        citations: dict[int, Citation] = {}
        for n, (start, end) in spans.items():
            h = hits[n - 1]
            quote = h.chunk.text[start - h.chunk.start:end - h.chunk.start]
            citations[n] = Citation(n, h.chunk.id, h.chunk.doc_id, start, end, quote, h.source, h.title,
                                    h.chunk.heading_path)
        verified = self.verifier.verify(text, citations, info, passages=[h.chunk for h in hits])
        return Answer(question, verified.text, verified.citations, tuple(hits), False, {}, verified.sentences,
                      composer=self.name)


class TransformersComposer(ChatComposer):
    """A local causal chat model (a folder or a hub id in the cache), loaded once, run in-process."""

    def __init__(self, settings: LLMSettings, embedder: Embedder | None, lang: str = "zh",
                 answer: AnswerSettings | None = None, device: str = "cpu") -> None:
        super().__init__(settings, embedder, lang, answer)
        self.device = device
        self._loaded: tuple[Any, Any] | None = None  # (tokenizer, model)
        self._lock = threading.Lock()

    def load(self):
        """(tokenizer, model), loaded once. Raises ModelError with one readable sentence."""
        with self._lock:
            if self._loaded is None:
                def load(target: str, local: bool):
                    from transformers import AutoModelForCausalLM, AutoTokenizer

                    return (AutoTokenizer.from_pretrained(target, local_files_only=local),
                            AutoModelForCausalLM.from_pretrained(target, local_files_only=local))

                tok, model = load_model("llm", self.model_id, load)
                if not getattr(tok, "chat_template", None):
                    raise ModelError("err.llm_no_template", model=self.model_id)
                model.to(self.device).eval()
                self._loaded = (tok, model)
            return self._loaded

    def pieces(self, messages: list[dict[str, str]]) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        tok, model = self.load()
        inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True).to(self.device)
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True, timeout=self.max_time + 30)
        kwargs = dict(**inputs, streamer=streamer, max_new_tokens=self.max_new_tokens, max_time=self.max_time,
                      do_sample=False, pad_token_id=tok.pad_token_id or tok.eos_token_id)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                model.generate(**kwargs)
            except BaseException as exc:  # surfaced below, in the caller's thread
                errors.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield from (piece for piece in streamer if piece)
        thread.join()
        if errors:
            raise ModelError("err.llm_generate", detail=f"{type(errors[0]).__name__}: {errors[0]}")
