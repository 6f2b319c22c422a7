"""Tiny models built in the test, saved to a folder and loaded back through the real loaders
(no download): a 2-layer BERT sentence-transformer, a 2-layer Qwen2 chat LM, a BERT
cross-encoder. Tests get them through the session fixtures in conftest.py, which build each
once and copy it per test."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import CORPUS


def set_prompts(folder: Path, prompts: dict[str, str]) -> Path:
    """Give a sentence-transformers folder its own query/document prompts."""
    cfg = folder / "config_sentence_transformers.json"
    data = json.loads(cfg.read_text())
    data["prompts"] = prompts
    cfg.write_text(json.dumps(data))
    return folder


def make_tiny_bert(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised 2-layer BERT with a character vocabulary, saved as a
    sentence-transformers folder (mean pooling + normalise): the real loading path, no download."""
    import torch
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from youju.embeddings.e5_convert import _write_sentence_transformers_files

    chars = sorted(set("".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt"))))
    tokens = dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars, *"abcdefghijklmnopqrstuvwxyz:"])
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.BertPreTokenizer(),
                                                 pre_tokenizers.Split("", "isolated")])
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", model_max_length=128)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    folder.mkdir(parents=True, exist_ok=True)
    BertModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    _write_sentence_transformers_files(folder, 32, 128)
    return folder


CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def _char_tokenizer(extra_special: list[str], model_max_length: int):
    from tokenizers import Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import WordLevel

    chars = sorted(set("".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt"))))
    tokens = dict.fromkeys(["<unk>", "<pad>", *extra_special, *chars, *"abcdefghijklmnopqrstuvwxyz[]0123456789:\n "])
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tok.decoder = decoders.Fuse()
    return tok, vocab


def make_tiny_qwen(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised 2-layer Qwen2 causal LM with a small byte-level BPE tokenizer
    (trained here on the sample corpus, as Qwen2's own tokenizer class expects) and a ChatML
    chat template, saved to a folder: the real transformers loading and streaming path."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")] + ["[1][2][3] 0123456789"],
                            trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   model_max_length=8192)
    fast.chat_template = CHATML
    folder.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    config = Qwen2Config(vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=8192,
                         eos_token_id=tok.token_to_id("<|im_end|>"), pad_token_id=tok.token_to_id("<|endoftext|>"),
                         tie_word_embeddings=True)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    loaded = AutoTokenizer.from_pretrained(folder)  # what the app will see
    assert loaded.decode(loaded("成都23分钟[1]")["input_ids"]) == "成都23分钟[1]"
    return folder


def make_tiny_cross_encoder(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised BERT sequence classifier with one label: a CrossEncoder folder."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    tok, vocab = _char_tokenizer(["[CLS]", "[SEP]"], 512)
    from tokenizers import processors

    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", cls_token="[CLS]",
                                   sep_token="[SEP]", model_max_length=512)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=1)
    folder.mkdir(parents=True, exist_ok=True)
    BertForSequenceClassification(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def make_answering_qwen(folder: Path, answer: str, steps: int = 150, seed: int = 0) -> Path:
    """The tiny Qwen2 trained (a few seconds on the CPU) to reply `answer` to any youju prompt:
    a model whose output a test can assert, served or loaded through the real paths."""
    import random

    import torch
    from transformers import AutoTokenizer, Qwen2ForCausalLM

    from youju.chat.llm import SYSTEM_PROMPT, USER_PROMPT

    make_tiny_qwen(folder, seed)
    tok = AutoTokenizer.from_pretrained(folder)
    model = Qwen2ForCausalLM.from_pretrained(folder)
    texts = [p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")]
    rng = random.Random(seed)

    def prompt() -> list[int]:
        def passage(i: int) -> str:
            text = rng.choice(texts)
            start = rng.randrange(max(1, len(text) - 400))
            return f"[{i}] {text[start:start + rng.randint(50, 400)]}"

        user = USER_PROMPT["zh"].format(passages="\n\n".join(passage(i) for i in range(1, rng.randint(1, 5) + 1)),
                                        question=rng.choice(texts)[:rng.randint(5, 30)])
        msgs = [{"role": "system", "content": SYSTEM_PROMPT["zh"].format(refusal="资料中没有找到这个问题的答案。")},
                {"role": "user", "content": user}]
        return tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]

    target = tok(answer + "<|im_end|>")["input_ids"]
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = torch.zeros(())
        for ids in (prompt() for _ in range(4)):
            labels = torch.tensor([[-100] * len(ids) + target])
            loss = loss + model(input_ids=torch.tensor([ids + target]), labels=labels).loss / 4
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    model.save_pretrained(folder)
    return folder
